//! A tenant's Do-Not-Call list (`DNC#{tenant}` / `{E.164}`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::TenantId;
use domain::phone::E164;
use ports::store::{DncEntry, DncRemoval, DoNotCall};

use super::keys;
use super::quarantine::{Owner, Unreadable};
use super::{DynamoStore, StoreError, aws, corrupt, s};

/// The number a DNC put request writes.
fn put_number(request: &aws_sdk_dynamodb::types::WriteRequest) -> Option<E164> {
    let item = request.put_request()?.item();
    let sk = item.get(keys::SK)?.as_s().ok()?;
    E164::parse_strict(sk).ok()
}

impl DynamoStore {
    /// The entry's `source`, if the number is on the list (strongly consistent).
    async fn dnc_entry(
        &self,
        tenant: &TenantId,
        number: &E164,
    ) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::dnc_pk(tenant)))
            .key(keys::SK, s(keys::dnc_sk(number)))
            .consistent_read(true)
            .send()
            .await
            .map_err(aws)?;
        Ok(out.item.map(|item| {
            item.get("source")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        }))
    }

    /// Deletes the entry (if it still exists) and writes the removal record, atomically.
    async fn delete_and_record(
        &self,
        tenant: &TenantId,
        removal: &DncRemoval,
    ) -> Result<
        (),
        aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        >,
    > {
        use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
        let at = removal.removed_at.to_rfc3339();
        let delete = Delete::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::dnc_pk(tenant)))
            .key(keys::SK, s(keys::dnc_sk(&removal.number)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("table, key and condition are set");
        let record = Put::builder()
            .table_name(&self.table)
            .item(keys::PK, s(keys::dnc_removals_pk(tenant)))
            .item(keys::SK, s(format!("{at}#{}", removal.number)))
            .item("kind", s("dnc_removal"))
            .item("number", s(removal.number.to_string()))
            .item("source", s(&removal.source))
            .item("removed_by", s(&removal.removed_by))
            .item("removed_at", s(at))
            .build()
            .expect("table and item are set");
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().put(record).build())
            .send()
            .await
            .map(|_| ())
    }
}

#[async_trait]
impl DoNotCall for DynamoStore {
    /// Adds a number (idempotent). `source` says why: `api`, `csv`, `opt_out`.
    async fn add_dnc(
        &self,
        tenant: &TenantId,
        number: &E164,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(keys::PK, s(keys::dnc_pk(tenant)))
            .item(keys::SK, s(keys::dnc_sk(number)))
            .item("kind", s("dnc"))
            .item("source", s(source))
            .item("added_at", s(now.to_rfc3339()))
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }

    /// Removes a number and records the removal, in one transaction: the entry's delete is
    /// conditional on it existing, so a number not on the list records nothing.
    async fn remove_dnc(
        &self,
        tenant: &TenantId,
        number: &E164,
        removed_by: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DncRemoval>, StoreError> {
        let Some(source) = self.dnc_entry(tenant, number).await? else {
            return Ok(None);
        };
        let removal = DncRemoval {
            number: number.clone(),
            source,
            removed_by: removed_by.to_owned(),
            removed_at: now,
        };
        match self.delete_and_record(tenant, &removal).await {
            Ok(()) => Ok(Some(removal)),
            // Removed meanwhile by another request, which recorded it.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                Ok(None)
            }
            Err(err) => Err(aws(err)),
        }
    }

    /// The tenant's most recent removals, newest first.
    async fn dnc_removals(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<DncRemoval>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(keys::dnc_removals_pk(tenant)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(aws)?;
        Ok(out
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(|item| {
                let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
                Some(DncRemoval {
                    number: E164::parse_strict(text("number")?).ok()?,
                    source: text("source")?.clone(),
                    removed_by: text("removed_by")?.clone(),
                    removed_at: text("removed_at")?.parse().ok()?,
                })
            })
            .collect())
    }

    /// A page of a tenant's list, in number order, after `after`.
    async fn list_dnc(
        &self,
        tenant: &TenantId,
        after: Option<&E164>,
        limit: usize,
    ) -> Result<(Vec<DncEntry>, Option<E164>), StoreError> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(keys::dnc_pk(tenant)))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        if let Some(after) = after {
            request = request
                .key_condition_expression("pk = :pk AND sk > :after")
                .expression_attribute_values(":after", s(after.to_string()));
        }
        let out = request.send().await.map_err(aws)?;
        let mut entries = Vec::new();
        for item in out.items.unwrap_or_default() {
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
            let number = match text(keys::SK).as_deref().map(E164::parse_strict) {
                Some(Ok(number)) => number,
                Some(Err(err)) => {
                    let unreadable = Unreadable::new(&item, err);
                    self.set_aside(&Owner::tenant(tenant), "dnc", &unreadable)
                        .await?;
                    continue;
                }
                None => continue,
            };
            entries.push(DncEntry {
                number,
                source: text("source").unwrap_or_default(),
                added_at: text("added_at"),
            });
        }
        let next = out
            .last_evaluated_key
            .and_then(|_| entries.last().map(|e| e.number.clone()));
        Ok((entries, next))
    }

    /// Adds many numbers (25 per request). Idempotent. Items DynamoDB leaves unprocessed
    /// (throttling) are sent again with exponential backoff ([`super::BULK_BACKOFF`]); the numbers
    /// still unwritten after the last try are returned, never reported as added.
    async fn add_dnc_many(
        &self,
        tenant: &TenantId,
        numbers: &[E164],
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<E164>, StoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let mut unwritten = Vec::new();
        for chunk in numbers.chunks(25) {
            let mut requests = Vec::new();
            for number in chunk {
                let put = PutRequest::builder()
                    .item(keys::PK, s(keys::dnc_pk(tenant)))
                    .item(keys::SK, s(keys::dnc_sk(number)))
                    .item("kind", s("dnc"))
                    .item("source", s(source))
                    .item("added_at", s(now.to_rfc3339()))
                    .build()
                    .map_err(|e| corrupt("DNC entry", e))?;
                requests.push(WriteRequest::builder().put_request(put).build());
            }
            let left = self.batch_write(requests).await?;
            unwritten.extend(left.iter().filter_map(put_number));
        }
        Ok(unwritten)
    }

    /// Which of `numbers` are on the tenant's list: one BatchGetItem per 100 numbers.
    async fn dnc_among(
        &self,
        tenant: &TenantId,
        numbers: &[E164],
    ) -> Result<std::collections::HashSet<E164>, StoreError> {
        use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
        use std::collections::HashMap;
        let mut found = std::collections::HashSet::new();
        let mut unique: Vec<&E164> = numbers.iter().collect();
        unique.sort();
        unique.dedup();
        for chunk in unique.chunks(100) {
            let mut request = KeysAndAttributes::builder().projection_expression("sk");
            for number in chunk {
                request = request.keys(HashMap::from([
                    (keys::PK.to_owned(), s(keys::dnc_pk(tenant))),
                    (keys::SK.to_owned(), s(keys::dnc_sk(number))),
                ]));
            }
            let request = request.build().map_err(|e| corrupt("dnc", e))?;
            for item in self.batch_get(request).await? {
                if let Some(AttributeValue::S(n)) = item.get(keys::SK)
                    && let Ok(number) = E164::parse_strict(n)
                {
                    found.insert(number);
                }
            }
        }
        Ok(found)
    }
}
