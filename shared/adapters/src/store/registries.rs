//! Registry extracts a tenant uploads (`T#{tenant}` / `REGISTRY#{registry}#{id}`), the numbers
//! they list (`RG#{tenant}#{registry}#{shard}` / `{E.164}`, expiring when no fresh extract can
//! be theirs), and the tenant's newest loaded extract of each registry, kept on the tenant item
//! (`registries.{registry}`) where the dialers' cached read of the tenant finds it.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use chrono::{DateTime, Utc};
use domain::ids::TenantId;
use domain::phone::E164;
use domain::registry::Registry;
use futures::{StreamExt, TryStreamExt};
use ports::store::{ExtractRecord, ExtractStatus, Registries, StoreError, WriteError};
use serde::{Deserialize, Serialize};

use super::{
    DynamoStore, PrefixRead, Refusal, condition_held, conditional, corrupt, decode_record, keys, n,
    s,
};

/// Batch writes of a load in flight at once.
const LOAD_CONCURRENCY: usize = 8;

#[derive(Serialize, Deserialize)]
struct ExtractItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    record: ExtractRecord,
}

fn extract_item(record: &ExtractRecord) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let item = ExtractItem {
        pk: keys::tenant_pk(&record.tenant),
        sk: keys::registry_extract_sk(record.registry, &record.id),
        kind: "registry_extract".into(),
        record: record.clone(),
    };
    serde_dynamo::to_item(item).map_err(|e| corrupt(&record.id, e))
}

#[async_trait]
impl Registries for DynamoStore {
    async fn create_extract(&self, record: &ExtractRecord) -> Result<(), WriteError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(extract_item(record)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        conditional(result).map(|_| ())
    }

    async fn get_extract(
        &self,
        tenant: &TenantId,
        registry: Registry,
        id: &str,
    ) -> Result<Option<ExtractRecord>, StoreError> {
        let sk = keys::registry_extract_sk(registry, id);
        let item = self.consistent_item(keys::tenant_pk(tenant), &sk).await?;
        decode_record(item, &sk, |i: ExtractItem| i.record)
    }

    async fn list_extracts(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<ExtractRecord>, StoreError> {
        let items = self
            .items_with_prefix(
                keys::tenant_pk(tenant),
                keys::REGISTRY_EXTRACT_PREFIX,
                PrefixRead::default(),
            )
            .await?;
        let mut records = Vec::with_capacity(items.len());
        for item in items {
            let decoded: ExtractItem =
                serde_dynamo::from_item(item).map_err(|e| corrupt("registry extract", e))?;
            records.push(decoded.record);
        }
        records.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        records.truncate(limit);
        Ok(records)
    }

    async fn load_registry_numbers(
        &self,
        tenant: &TenantId,
        registry: Registry,
        numbers: &[E164],
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // A batch may not name one key twice.
        let mut unique: Vec<&E164> = numbers.iter().collect();
        unique.sort();
        unique.dedup();
        let batches = unique
            .chunks(25)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|number| {
                        let put = PutRequest::builder()
                            .item(keys::PK, s(keys::registry_pk(tenant, registry, number)))
                            .item(keys::SK, s(number.as_str()))
                            .item(keys::EXPIRES_AT, n(expires_at.timestamp()))
                            .build()
                            .map_err(|e| corrupt("registry number", e))?;
                        Ok(WriteRequest::builder().put_request(put).build())
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        futures::stream::iter(batches)
            .map(|requests| self.batch_write(requests))
            .buffer_unordered(LOAD_CONCURRENCY)
            .try_for_each(|left| async move {
                match left.len() {
                    0 => Ok(()),
                    // Unwritten numbers would be callable: the load fails and is run again.
                    count => Err(corrupt(
                        "registry load",
                        format!("{count} numbers unwritten after every retry"),
                    )),
                }
            })
            .await
    }

    async fn save_extract(
        &self,
        record: &ExtractRecord,
        previous_offset: u64,
    ) -> Result<(), WriteError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(extract_item(record)?))
            .condition_expression("attribute_exists(pk) AND #offset = :previous")
            .expression_attribute_names("#offset", "offset")
            .expression_attribute_values(":previous", n(previous_offset))
            .send()
            .await;
        conditional(result)?;
        if record.status == ExtractStatus::Loaded {
            self.newest_extract(record).await?;
        }
        Ok(())
    }
}

impl DynamoStore {
    /// Makes a loaded extract the tenant's newest of its registry, unless one downloaded later
    /// is already (idempotent: a loaded upload's run sets it again).
    pub(crate) async fn newest_extract(&self, record: &ExtractRecord) -> Result<(), WriteError> {
        let Some(extract) = record.as_loaded() else {
            return Ok(());
        };
        if !self.ensure_tenant_map(&record.tenant, "registries").await? {
            return Err(WriteError::Refused(Refusal::Stale));
        }
        let value = serde_dynamo::to_item::<_, HashMap<String, AttributeValue>>(&extract)
            .map_err(|e| corrupt(&record.id, e))?;
        let result = self
            .tenant_update(&record.tenant)
            .update_expression("SET registries.#r = :extract")
            .condition_expression(
                "attribute_not_exists(registries.#r) OR registries.#r.#d <= :downloaded",
            )
            .expression_attribute_names("#r", record.registry.code())
            .expression_attribute_names("#d", "downloaded_on")
            .expression_attribute_values(":extract", AttributeValue::M(value))
            .expression_attribute_values(":downloaded", s(extract.downloaded_on.to_string()))
            .send()
            .await;
        // Refused: a later download is the newest already.
        condition_held(result)
            .map(|_| ())
            .map_err(WriteError::Store)
    }
}
