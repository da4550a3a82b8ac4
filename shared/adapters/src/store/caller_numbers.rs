//! A tenant's caller numbers as the dialers use them (`CallerNumbers`): each number's day
//! ledgers (`CN#{tenant}#{E.164}` / `DAY#{date}`, counted by the claims; see
//! `leads/caller_use.rs`) and its rests, kept on the tenant item as one map entry per number
//! (`rested.{E.164}`), so the dialers' cached read of the tenant sees them; its named pools
//! likewise, one entry per pool (`caller_pools.{name}`).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, TransactWriteItem, Update};
use chrono::NaiveDate;
use domain::caller_health::{NumberDay, NumberRest};
use domain::caller_pool::CallerPool;
use domain::ids::TenantId;
use domain::phone::E164;
use domain::webhooks::Event;
use ports::store::{CallerNumbers, StoreError};

use super::{DynamoStore, Item, condition_held, corrupt, keys, n, s};

/// The rest's end in epoch seconds, kept beside it so a condition can compare it.
const UNTIL_EPOCH: &str = "until_epoch";

#[async_trait]
impl CallerNumbers for DynamoStore {
    async fn caller_days(
        &self,
        tenant: &TenantId,
        numbers: &[E164],
        day: NaiveDate,
    ) -> Result<Vec<(E164, NumberDay)>, StoreError> {
        let mut unique: Vec<&E164> = numbers.iter().collect();
        unique.sort();
        unique.dedup();
        let mut days: HashMap<String, NumberDay> = HashMap::new();
        for chunk in unique.chunks(100) {
            let mut request = KeysAndAttributes::builder();
            for number in chunk {
                request = request.keys(HashMap::from([
                    (
                        keys::PK.to_owned(),
                        s(keys::caller_number_pk(tenant, number)),
                    ),
                    (keys::SK.to_owned(), s(keys::caller_day_sk(day))),
                ]));
            }
            let request = request.build().map_err(|e| corrupt("caller days", e))?;
            for item in self.batch_get(request).await? {
                if let Some(AttributeValue::S(pk)) = item.get(keys::PK) {
                    days.insert(pk.clone(), decode_day(&item));
                }
            }
        }
        Ok(unique
            .into_iter()
            .map(|number| {
                let pk = keys::caller_number_pk(tenant, number);
                (number.clone(), days.get(&pk).copied().unwrap_or_default())
            })
            .collect())
    }

    async fn rest_caller_number(
        &self,
        tenant: &TenantId,
        number: &E164,
        rest: &NumberRest,
        unless_resting: bool,
        event: Option<&Event>,
    ) -> Result<bool, StoreError> {
        if !self.ensure_tenant_map(tenant, "rested").await? {
            return Ok(false);
        }
        let mut value = serde_dynamo::to_item::<_, HashMap<String, AttributeValue>>(rest)
            .map_err(|e| corrupt(number, e))?;
        value.insert(UNTIL_EPOCH.into(), n(rest.until.timestamp()));
        let mut condition = "attribute_exists(pk)".to_owned();
        if unless_resting {
            condition.push_str(" AND (attribute_not_exists(rested.#n) OR rested.#n.#u <= :since)");
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::TENANT_SK))
            .update_expression("SET rested.#n = :rest")
            .condition_expression(condition)
            .expression_attribute_names("#n", number.as_str())
            .expression_attribute_values(":rest", AttributeValue::M(value));
        if unless_resting {
            update = update
                .expression_attribute_names("#u", UNTIL_EPOCH)
                .expression_attribute_values(":since", n(rest.since.timestamp()));
        }
        let update = update.build().map_err(|e| corrupt(number, e))?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        if let Some(event) = event {
            items.push(super::webhooks::event_put(&self.table, tenant, event)?);
        }
        // Refused (already resting, no such tenant, or a concurrent write): not written, and
        // the next judgement decides again.
        match self.transact_or(items, ports::store::Refusal::Stale).await {
            Ok(()) => Ok(true),
            Err(ports::store::WriteError::Refused(_)) => Ok(false),
            Err(ports::store::WriteError::Store(err)) => Err(err),
        }
    }

    async fn restore_caller_number(
        &self,
        tenant: &TenantId,
        number: &E164,
    ) -> Result<bool, StoreError> {
        let result = self
            .tenant_update(tenant)
            .update_expression("REMOVE rested.#n")
            .condition_expression("attribute_exists(rested.#n)")
            .expression_attribute_names("#n", number.as_str())
            .send()
            .await;
        condition_held(result)
    }

    async fn put_caller_pool(
        &self,
        tenant: &TenantId,
        name: &str,
        pool: &CallerPool,
        max_pools: usize,
    ) -> Result<bool, StoreError> {
        if !self.ensure_tenant_map(tenant, POOLS).await? {
            return Ok(false);
        }
        let value = serde_dynamo::to_item::<_, HashMap<String, AttributeValue>>(pool)
            .map_err(|e| corrupt(name, e))?;
        // A new pool only while there is room; replacing one always (the count stays).
        let result = self
            .tenant_update(tenant)
            .update_expression("SET #pools.#n = :pool")
            .condition_expression("attribute_exists(#pools.#n) OR size(#pools) < :max")
            .expression_attribute_names("#pools", POOLS)
            .expression_attribute_names("#n", name)
            .expression_attribute_values(":pool", AttributeValue::M(value))
            .expression_attribute_values(":max", n(max_pools as i64))
            .send()
            .await;
        condition_held(result)
    }

    async fn remove_caller_pool(&self, tenant: &TenantId, name: &str) -> Result<bool, StoreError> {
        let result = self
            .tenant_update(tenant)
            .update_expression("REMOVE #pools.#n")
            .condition_expression("attribute_exists(#pools.#n)")
            .expression_attribute_names("#pools", POOLS)
            .expression_attribute_names("#n", name)
            .send()
            .await;
        condition_held(result)
    }
}

/// The tenant item's map of named pools (`TenantRecord::caller_pools`).
const POOLS: &str = "caller_pools";

impl DynamoStore {
    /// An update of the tenant's item (`T#{tenant}` / `TENANT`), to be given its expression.
    pub(crate) fn tenant_update(
        &self,
        tenant: &TenantId,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::TENANT_SK))
    }

    /// The tenant item's map attribute `name` (`rested`, `registries`), created empty if
    /// missing (an entry cannot be set in a map that does not exist); false if there is no such
    /// tenant.
    pub(crate) async fn ensure_tenant_map(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .tenant_update(tenant)
            .update_expression("SET #map = if_not_exists(#map, :empty)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#map", name)
            .expression_attribute_values(":empty", AttributeValue::M(HashMap::new()))
            .send()
            .await;
        condition_held(result)
    }
}

/// A day ledger's figures (missing attributes are zeros).
fn decode_day(item: &Item) -> NumberDay {
    let count = |name: &str| -> u64 {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|t| t.parse::<i64>().ok())
            .map_or(0, |v| v.max(0) as u64)
    };
    NumberDay {
        calls: count(super::leads::CALLER_CALLS) as u32,
        answered: count(ANSWERED) as u32,
        talk_seconds: count(TALK_SECONDS),
        short_calls: count(SHORT_CALLS) as u32,
    }
}

/// The day ledger's health attributes, added by each call's outcome.
pub(crate) const ANSWERED: &str = "answered";
pub(crate) const TALK_SECONDS: &str = "talk_seconds";
pub(crate) const SHORT_CALLS: &str = "short_calls";
