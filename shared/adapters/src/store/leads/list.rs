//! Paged listing of a campaign's leads.

use domain::ids::{CampaignRef, LeadId};
use domain::lead::Lead;
use domain::status::LeadStatus;

use super::read_lead;
use crate::store::keys::{self, LEAD_SHARDS};
use crate::store::{DynamoStore, StoreError, aws, s};

/// Where a page of leads ends: the shard and the last lead id read in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadCursor {
    /// The shard to continue in.
    pub shard: u8,
    /// The last lead id read in that shard.
    pub after: Option<String>,
}

impl LeadCursor {
    /// Opaque text form for APIs: `{shard}.{lead id}`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.shard, self.after.as_deref().unwrap_or(""))
    }

    /// Parses [`LeadCursor::encode`].
    pub fn decode(text: &str) -> Option<Self> {
        let (shard, after) = text.split_once('.')?;
        let shard: u8 = shard.parse().ok().filter(|s| *s < LEAD_SHARDS)?;
        let after = (!after.is_empty()).then(|| after.to_owned());
        if let Some(id) = &after {
            LeadId::parse(id.clone()).ok()?;
        }
        Some(Self { shard, after })
    }
}

impl DynamoStore {
    /// A page of a campaign's leads, optionally with one status, in (shard, id) order.
    /// Reads only that page's items (the by-status index serves the filtered case).
    pub async fn list_leads(
        &self,
        campaign: &CampaignRef,
        status: Option<LeadStatus>,
        cursor: Option<LeadCursor>,
        limit: usize,
    ) -> Result<(Vec<Lead>, Option<LeadCursor>), StoreError> {
        let mut cursor = cursor.unwrap_or(LeadCursor {
            shard: 0,
            after: None,
        });
        let mut leads = Vec::new();
        while leads.len() < limit && cursor.shard < LEAD_SHARDS {
            let want = i32::try_from(limit - leads.len()).unwrap_or(i32::MAX);
            let (pk_attr, sk_attr, pk, index) = match status {
                None => (
                    keys::PK,
                    keys::SK,
                    keys::lead_pk(campaign, cursor.shard),
                    None,
                ),
                Some(status) => (
                    keys::STATUS_PK,
                    keys::STATUS_SK,
                    keys::status_pk(campaign, status, cursor.shard),
                    Some(keys::STATUS_INDEX),
                ),
            };
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .expression_attribute_names("#pk", pk_attr)
                .expression_attribute_values(":pk", s(pk))
                .limit(want);
            request = match &cursor.after {
                Some(after) => request
                    .key_condition_expression("#pk = :pk AND #sk > :after")
                    .expression_attribute_names("#sk", sk_attr)
                    .expression_attribute_values(":after", s(after.clone())),
                None => request.key_condition_expression("#pk = :pk"),
            };
            let out = request.send().await.map_err(aws)?;
            let items = out.items.unwrap_or_default();
            let exhausted = out.last_evaluated_key.is_none();
            for item in items {
                match read_lead(item) {
                    Ok(lead) => {
                        cursor.after = Some(lead.id.to_string());
                        leads.push(lead);
                    }
                    Err(unreadable) => {
                        cursor.after = Some(unreadable.sk.clone());
                        self.quarantine_lead(campaign, &unreadable).await?;
                    }
                }
            }
            if exhausted {
                cursor = LeadCursor {
                    shard: cursor.shard + 1,
                    after: None,
                };
            }
        }
        let next = (cursor.shard < LEAD_SHARDS).then_some(cursor);
        Ok((leads, next))
    }

    /// Every lead of a campaign (tests, reconciliation, export): pages through all shards.
    pub async fn all_leads(&self, campaign: &CampaignRef) -> Result<Vec<Lead>, StoreError> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let (page, next) = self.list_leads(campaign, None, cursor, 500).await?;
            all.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }
}

#[cfg(feature = "test-support")]
impl DynamoStore {
    /// Writes leads with unconditional `BatchWriteItem`s, 25 at a time: for seeding benchmark
    /// campaigns quickly. Never used by the engine (imports use conditional puts).
    pub async fn seed_leads(
        &self,
        campaign: &CampaignRef,
        leads: &[Lead],
    ) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        for chunk in leads.chunks(25) {
            let mut requests = Vec::new();
            for lead in chunk {
                let item = super::lead_item(campaign, lead)?;
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(|e| crate::store::corrupt(&lead.id, e))?;
                requests.push(WriteRequest::builder().put_request(put).build());
            }
            let left = self.batch_write(requests).await?;
            if !left.is_empty() {
                return Err(crate::store::corrupt(
                    "seed",
                    format!("{} leads left unwritten after every retry", left.len()),
                ));
            }
        }
        Ok(())
    }
}
