//! Import jobs (`C#{tenant}#{campaign}` / `IMPORT#{id}`): one per uploaded CSV, with its
//! progress checkpoint and its report.

use async_trait::async_trait;
use domain::ids::{CampaignRef, ImportId};
use ports::store::{ImportRecord, Imports};
use serde::{Deserialize, Serialize};

use super::keys;
use super::quarantine::{Owner, Unreadable};
use super::{
    DynamoStore, PrefixRead, Refusal, StoreError, WriteError, conditional, corrupt, decode_record,
    n, s,
};

#[derive(Serialize, Deserialize)]
struct ImportItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    record: ImportRecord,
}

/// An import job as stored.
fn import_item(
    record: &ImportRecord,
) -> Result<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, StoreError>
{
    let item = ImportItem {
        pk: keys::campaign_pk(&record.campaign),
        sk: keys::import_sk(&record.id),
        kind: "import".into(),
        record: record.clone(),
    };
    serde_dynamo::to_item(item).map_err(|e| corrupt(record.id.as_str(), e))
}

#[async_trait]
impl Imports for DynamoStore {
    /// Writes an import job: new (`expected_version` None) or replacing the version read.
    async fn put_import(
        &self,
        record: &ImportRecord,
        expected_version: Option<u64>,
    ) -> Result<(), WriteError> {
        let item = import_item(record)?;
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        request = match expected_version {
            None => request.condition_expression("attribute_not_exists(pk)"),
            Some(v) => request
                .condition_expression("version = :v")
                .expression_attribute_values(":v", n(v)),
        };
        conditional(request.send().await).map(|_| ())
    }

    /// Reads an import job.
    async fn get_import(
        &self,
        campaign: &CampaignRef,
        id: &ImportId,
    ) -> Result<Option<ImportRecord>, StoreError> {
        decode_record(
            self.consistent_item(keys::campaign_pk(campaign), keys::import_sk(id))
                .await?,
            id.as_str(),
            |i: ImportItem| i.record,
        )
    }

    /// A campaign's import jobs, newest first.
    async fn list_imports(&self, campaign: &CampaignRef) -> Result<Vec<ImportRecord>, StoreError> {
        let read = PrefixRead {
            newest_first: true,
            ..PrefixRead::default()
        };
        let items = self
            .items_with_prefix(keys::campaign_pk(campaign), "IMPORT#", read)
            .await?;
        let mut records = Vec::with_capacity(items.len());
        for item in items {
            match serde_dynamo::from_item::<_, ImportItem>(item.clone()) {
                Ok(decoded) => records.push(decoded.record),
                Err(err) => {
                    let unreadable = Unreadable::new(&item, err);
                    self.set_aside(&Owner::campaign(campaign), "import", &unreadable)
                        .await?;
                }
            }
        }
        Ok(records)
    }

    /// Commits a chunk: the import's new checkpoint and counts, and `imported` new Pending leads
    /// on the campaign's counters (a due change: the chunk's leads are already written), in one
    /// transaction conditional on the checkpoint read. A retried chunk's commit is refused once
    /// one has landed, so nothing is counted twice.
    async fn commit_import_chunk_telling(
        &self,
        record: &ImportRecord,
        expected_version: u64,
        imported: i64,
        event: Option<&domain::webhooks::Event>,
    ) -> Result<(), WriteError> {
        use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
        let mut items = vec![self.import_put(record, expected_version)?];
        if imported != 0 {
            let update = Update::builder()
                .table_name(&self.table)
                .key(keys::PK, s(keys::campaign_pk(&record.campaign)))
                .key(keys::SK, s(keys::STATS_SK))
                .update_expression("ADD n_pending :n, #changes :one")
                .expression_attribute_names("#changes", super::counters::DUE_CHANGES)
                .expression_attribute_values(":n", n(imported))
                .expression_attribute_values(":one", n(1))
                .build()
                .map_err(|e| corrupt(record.id.as_str(), e))?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        if let Some(event) = event {
            items.push(super::webhooks::event_put(
                &self.table,
                &record.campaign.tenant,
                event,
            )?);
        }
        self.transact_or(items, Refusal::Stale).await
    }

    async fn put_import_telling(
        &self,
        record: &ImportRecord,
        expected_version: u64,
        event: &domain::webhooks::Event,
    ) -> Result<(), WriteError> {
        let items = vec![
            self.import_put(record, expected_version)?,
            super::webhooks::event_put(&self.table, &record.campaign.tenant, event)?,
        ];
        self.transact_or(items, Refusal::Stale).await
    }
}

impl DynamoStore {
    /// The import's item, replacing the version read, as a transaction's part.
    fn import_put(
        &self,
        record: &ImportRecord,
        expected_version: u64,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
        let item = import_item(record)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(expected_version))
            .build()
            .map_err(|e| corrupt(record.id.as_str(), e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}
