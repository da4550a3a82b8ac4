//! Seeding leads for benchmarks (feature `test-support`).

use domain::ids::CampaignRef;
use domain::lead::Lead;

use crate::store::{DynamoStore, StoreError};

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
