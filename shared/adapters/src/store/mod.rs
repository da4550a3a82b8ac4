//! The DynamoDB store: one table, every state change a conditional write. It implements the
//! repositories of `ports::store` (one per aggregate, each in the module that owns its keys),
//! which are the only way callers reach it.
//!
//! # Key design
//!
//! Everything lives in one table with a string partition key `pk` and sort key `sk`, two
//! global secondary indexes, and a TTL attribute `expires_at`. Every key a request can reach
//! starts with the caller's tenant, so another tenant's ids address nothing (isolation by
//! construction, not by filtering).
//!
//! The table of every key and index, with the access pattern each serves, is section 5 of
//! `docs/ARCHITECTURE.md` (one copy; a test there fails when a key built here is missing
//! from it).
//!
//! **The due index is the engine's clock.** Every lead that is not final has exactly one entry:
//! Pending/Scheduled leads are due (`dial`) at their next call time or, while leased, when the
//! lease lapses; Calling leads are due (`call`) at their call deadline. A tick therefore reads
//! only what is due (cost grows with due leads, not with the campaign), lapsed leases come back
//! by themselves, and a call whose report never came surfaces at its deadline. Nothing can be
//! stuck: a non-final lead without a due entry cannot be written ([`LeadState::due`]).
//!
//! **Writes.** Every lead transition is written on the condition that the lead's `version` is
//! the one the transition was computed from; a stale writer is refused. Transitions that move
//! counters write the lead and the campaign's `STATS` item in one transaction, together with
//! any guard: the campaign still Active, the number not on the DNC list, a free concurrency
//! slot and rolling-hour budget, a provider calls-per-second token. A transition that moves no
//! counter and has no guard is a single conditional `UpdateItem`.
//!
//! **Limits.** Lead partitions and index partitions are sharded 4 ways per campaign, keeping
//! imports and ticks below 1,000 WCU/s per partition (4,000 lead writes/s per campaign);
//! transactions hold at most 8 items; items stay far below 400 KB (a lead keeps at most 12
//! attempt records).
//!
//! [`LeadState::due`]: domain::lead::LeadState::due

mod agents;
mod caller_numbers;
mod campaigns;
mod counters;
mod demand;
mod dnc;
mod erasure;
mod health;
mod imports;
pub mod keys;
pub(crate) mod leads;
mod quarantine;
mod rate;
mod registries;
mod results;
mod tenants;
pub mod webhooks;

pub use leads::{LeadItemBuilder, lead_item};

// The port's values, for the modules below (callers name them through `ports::store`).
use ::ports::store::{
    AgentRecord, CampaignCounters, CampaignRecord, LeadWrite, NewCampaign, PacingGuard, QuietHint,
    Refusal, StoreError, WriteError,
};
use aws_sdk_dynamodb::Client;

/// Converts any SDK operation error into a [`StoreError`], keeping the cause.
pub(crate) fn aws<E, R>(err: aws_sdk_dynamodb::error::SdkError<E, R>) -> StoreError
where
    aws_sdk_dynamodb::Error: From<aws_sdk_dynamodb::error::SdkError<E, R>>,
{
    let err = aws_sdk_dynamodb::Error::from(err);
    StoreError::Request {
        retryable: retryable(&err),
        source: Box::new(err),
    }
}

/// Whether retrying the same request may succeed: throttling, service and network errors are;
/// a request the service rejected as invalid or a missing table are not.
fn retryable(err: &aws_sdk_dynamodb::Error) -> bool {
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    !matches!(
        err,
        aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_)
            | aws_sdk_dynamodb::Error::ResourceNotFoundException(_)
            | aws_sdk_dynamodb::Error::ItemCollectionSizeLimitExceededException(_)
    ) && err.code() != Some("ValidationException")
}

impl DynamoStore {
    /// One item by key, read strongly consistent (every single-item read of the store).
    pub(crate) async fn consistent_item(
        &self,
        pk: impl Into<String>,
        sk: impl Into<String>,
    ) -> Result<
        Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
        StoreError,
    > {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, s(pk))
            .key(keys::SK, s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(aws)?;
        Ok(out.item)
    }
}

/// An item as the SDK returns it.
pub(crate) type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// How [`DynamoStore::items_with_prefix`] reads.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PrefixRead {
    /// Descending sort-key order (newest first, for time-ordered ids).
    pub(crate) newest_first: bool,
    /// Strongly consistent.
    pub(crate) consistent: bool,
}

/// The pause before each try of a bulk write's unprocessed items: at once, then doubling from
/// 50 ms to 3.2 s (6.35 s in all), as AWS advises for `UnprocessedItems`.
pub const BULK_BACKOFF: [std::time::Duration; 8] = {
    let ms = std::time::Duration::from_millis;
    [
        ms(0),
        ms(50),
        ms(100),
        ms(200),
        ms(400),
        ms(800),
        ms(1600),
        ms(3200),
    ]
};

impl DynamoStore {
    /// An `UpdateItem` request doing what `update` (built for a transaction) does, alone.
    pub(crate) fn update_item_of(
        &self,
        update: aws_sdk_dynamodb::types::Update,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(update.table_name())
            .set_key(Some(update.key().clone()))
            .update_expression(update.update_expression())
            .set_condition_expression(update.condition_expression().map(str::to_owned))
            .set_expression_attribute_names(update.expression_attribute_names().cloned())
            .set_expression_attribute_values(update.expression_attribute_values().cloned())
    }

    /// Every item of partition `pk` whose sort key begins with `prefix`, page after page.
    pub(crate) async fn items_with_prefix(
        &self,
        pk: String,
        prefix: &str,
        read: PrefixRead,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":prefix", s(prefix))
                .scan_index_forward(!read.newest_first)
                .consistent_read(read.consistent)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(aws)?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Writes `requests` (at most 25) with `BatchWriteItem`, sending what DynamoDB leaves
    /// unprocessed again after each pause of [`BULK_BACKOFF`]; returns what is still unwritten.
    pub(crate) async fn batch_write(
        &self,
        requests: Vec<aws_sdk_dynamodb::types::WriteRequest>,
    ) -> Result<Vec<aws_sdk_dynamodb::types::WriteRequest>, StoreError> {
        let mut pending = std::collections::HashMap::from([(self.table.clone(), requests)]);
        for (attempt, pause) in BULK_BACKOFF.iter().enumerate() {
            if attempt > 0 {
                tokio::time::sleep(*pause).await;
            }
            let out = self
                .client
                .batch_write_item()
                .set_request_items(Some(pending))
                .send()
                .await
                .map_err(aws)?;
            pending = out.unprocessed_items.unwrap_or_default();
            pending.retain(|_, v| !v.is_empty());
            if pending.is_empty() {
                break;
            }
        }
        Ok(pending.into_values().flatten().collect())
    }
}

/// Keys DynamoDB still left unprocessed after every pause of [`BULK_BACKOFF`]: the read is
/// incomplete, so it fails (retryable) rather than answer as if those items did not exist — a
/// DNC entry missed would let a number be called, a campaign missed would end its schedule.
#[derive(Debug, thiserror::Error)]
#[error("{0} keys still unprocessed after {tries} tries of BatchGetItem", tries = BULK_BACKOFF.len())]
pub struct UnprocessedKeys(pub usize);

impl DynamoStore {
    /// Reads `request` (at most 100 keys) with `BatchGetItem`, asking again for what DynamoDB
    /// leaves unprocessed after each pause of [`BULK_BACKOFF`]. Complete or an error: never a
    /// partial answer.
    pub(crate) async fn batch_get(
        &self,
        request: aws_sdk_dynamodb::types::KeysAndAttributes,
    ) -> Result<Vec<Item>, StoreError> {
        let mut pending = std::collections::HashMap::from([(self.table.clone(), request)]);
        let mut found = Vec::new();
        for (attempt, pause) in BULK_BACKOFF.iter().enumerate() {
            if attempt > 0 {
                tokio::time::sleep(*pause).await;
            }
            let out = self
                .client
                .batch_get_item()
                .set_request_items(Some(pending))
                .send()
                .await
                .map_err(aws)?;
            if let Some(mut responses) = out.responses {
                found.extend(responses.remove(&self.table).unwrap_or_default());
            }
            match out
                .unprocessed_keys
                .filter(|u| u.values().any(|k| !k.keys.is_empty()))
            {
                Some(unprocessed) => pending = unprocessed,
                None => return Ok(found),
            }
        }
        let left = pending.values().map(|k| k.keys.len()).sum();
        Err(StoreError::Request {
            retryable: true,
            source: Box::new(UnprocessedKeys(left)),
        })
    }
}

/// An item read by key, decoded through its stored shape `W`; `record` takes the record out of
/// it, `key` names it if it cannot be decoded. (A plain function rather than part of the read:
/// an extra generic async layer pushed the results function past the compiler's layout depth.)
pub(crate) fn decode_record<W, R>(
    item: Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
    key: &str,
    record: impl FnOnce(W) -> R,
) -> Result<Option<R>, StoreError>
where
    W: serde::de::DeserializeOwned,
{
    item.map(|item| {
        serde_dynamo::from_item::<_, W>(item)
            .map(record)
            .map_err(|e| corrupt(key, e))
    })
    .transpose()
}

/// Every item of a query's page, decoded through its stored shape `W` (see [`decode_record`]).
pub(crate) fn decode_records<W, R>(
    items: Option<Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>>,
    key: &str,
    record: impl Fn(W) -> R,
) -> Result<Vec<R>, StoreError>
where
    W: serde::de::DeserializeOwned,
{
    (items.unwrap_or_default().into_iter())
        .map(|item| {
            serde_dynamo::from_item::<_, W>(item)
                .map(&record)
                .map_err(|e| corrupt(key, e))
        })
        .collect()
}

impl DynamoStore {
    /// Writes `items` in one transaction; a cancelled one (a condition failed) is `refusal`.
    pub(crate) async fn transact_or(
        &self,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
        refusal: Refusal,
    ) -> Result<(), WriteError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                Err(WriteError::Refused(refusal))
            }
            Err(err) => Err(WriteError::Store(aws(err))),
        }
    }
}

/// An item that could not be encoded or decoded; `key` names it.
pub(crate) fn corrupt(key: impl ToString, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        key: key.to_string(),
        reason: reason.to_string(),
    }
}

/// Whether a conditional write's condition held (`false`: refused by it, nothing written);
/// any other failure is the store's.
pub(crate) fn condition_held<T, E, R>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
    R: std::fmt::Debug,
    aws_sdk_dynamodb::Error: From<aws_sdk_dynamodb::error::SdkError<E, R>>,
{
    match conditional(result) {
        Ok(_) => Ok(true),
        Err(WriteError::Refused(_)) => Ok(false),
        Err(WriteError::Store(err)) => Err(err),
    }
}

/// The result of a write with one condition: a failed condition is [`Refusal::Stale`].
pub(crate) fn conditional<T, E, R>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<T, WriteError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
    R: std::fmt::Debug,
    aws_sdk_dynamodb::Error: From<aws_sdk_dynamodb::error::SdkError<E, R>>,
{
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    match result {
        Ok(value) => Ok(value),
        Err(err) if err.code() == Some("ConditionalCheckFailedException") => {
            Err(WriteError::Refused(Refusal::Stale))
        }
        Err(err) => Err(WriteError::Store(aws(err))),
    }
}

/// The DynamoDB store.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store on `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

pub(crate) fn s(value: impl Into<String>) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::N(value.to_string())
}
