//! A person erased mid-campaign: what `POST /v1/privacy/erase` and the results worker do, run
//! at a planned instant of the world, and then the same number imported again (a list
//! uploaded later still holds it) — only the keyed marker the erasure left can keep it from
//! being called.

use chrono::{DateTime, Utc};
use domain::erasure::ErasureRecord;
use domain::ids::{ErasureId, ImportId, LeadId};
use domain::lead::{Contact, ImportSource, Lead, LeadState};
use domain::phone::E164;
use engine::erasure::{EraseJob, ErasureTools, run_erasure};
use ports::store::{Counters, Erasures, Leads};

use super::World;
use super::seed::world_lead_id_key;

impl World {
    /// The erasure a world ran of `number` (its id names the number's digits: a test value).
    pub fn erasure_id(number: &E164) -> ErasureId {
        ErasureId::parse(format!("erase-{}", number.digits())).expect("digits are a valid id")
    }

    /// The numbers the run erased, and when.
    pub fn erased_numbers(&self) -> &[(E164, DateTime<Utc>)] {
        match self.settings.erase_dnc_additions {
            true => &self.dnc_added,
            false => &[],
        }
    }

    /// The record of the erasure of `number`, once run.
    pub async fn erasure_of(&self, number: &E164) -> anyhow::Result<Option<ErasureRecord>> {
        let id = Self::erasure_id(number);
        Ok(self.store.get_erasure(&self.campaign.tenant, &id).await?)
    }

    /// Erases `number` (its plain DNC entry was just added, as the API does), then inserts a
    /// new lead for it.
    pub(super) async fn erase_and_import_again(
        &self,
        number: &E164,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let bucket = adapters::blobs::S3Blobs::new(
            adapters::aws::s3_client(&self.env.config),
            self.env.resources.name("DataBucket")?,
        );
        let key = world_lead_id_key();
        let tools = ErasureTools {
            blobs: &bucket,
            reads: &bucket,
            key: &key,
        };
        let id = Self::erasure_id(number);
        let job = EraseJob {
            tenant: &self.campaign.tenant,
            erasure: &id,
            number,
        };
        run_erasure(self.store.as_ref(), tools, job, at).await?;
        let lead = Lead {
            id: LeadId::keyed(&key, &self.campaign.campaign, number),
            contact: Contact::new(number.clone()),
            source: ImportSource {
                import_id: ImportId::parse("later")?,
                line: 2,
            },
            state: LeadState::new(at),
        };
        let inserted = self.store.insert_leads(&self.campaign, &[lead], 1).await?;
        let new = inserted
            .iter()
            .filter(|o| **o == ports::store::InsertOutcome::Inserted)
            .count();
        self.store.add_imported(&self.campaign, new as i64).await?;
        Ok(())
    }
}
