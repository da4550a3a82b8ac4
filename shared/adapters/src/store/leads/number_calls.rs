//! A number's call ledger (`N#{tenant}#{E.164}` / `CALLS`): every call the tenant's campaigns
//! started to the number and still count for a frequency cap, one top-level attribute per call
//! (`c#{campaign}/{lead}/{attempt}` = epoch millisecond: a call's start to the instant the
//! claim decided, as the caps count it; seconds would let a call leave a span early), a `version` that moves with each call
//! added, and a TTL a ledger span after the newest. A claim adds its call on the condition of
//! the version it counted (see `domain::contact_caps`), so concurrent claims to one number from
//! several campaigns are serialized on this item; a claim given back before its call was placed
//! takes the call off again (a blind remove: only room is made).
//!
//! Attributes rather than one map: a remove from a map that does not exist is refused by
//! DynamoDB, and a release must never fail on an old or expired ledger.

use aws_sdk_dynamodb::types::Update;
use chrono::{DateTime, Utc};
use domain::contact_caps::LEDGER_SPAN;
use domain::ids::TenantId;
use domain::phone::E164;
use ports::store::{NumberCallGuard, NumberCallRelease, NumberCalls};

use super::transition::Expr;
use crate::store::keys;
use crate::store::{DynamoStore, Item, StoreError, aws, corrupt, n, s};

/// The prefix of a call's attribute.
const CALL_PREFIX: &str = "c#";
const VERSION: &str = "version";

use keys::number_pk;

const CALLS_SK: &str = keys::NUMBER_CALLS_SK;

/// When a ledger whose newest call started at `at` may be deleted.
fn expiry(at: DateTime<Utc>) -> i64 {
    (at + LEDGER_SPAN).timestamp()
}

impl DynamoStore {
    /// The ledger as stored (eventually consistent: a stale read only makes the claim's
    /// condition fail, and the claim reads again).
    pub(super) async fn read_number_calls(
        &self,
        tenant: &TenantId,
        number: &E164,
    ) -> Result<NumberCalls, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, s(number_pk(tenant, number)))
            .key(keys::SK, s(CALLS_SK))
            .send()
            .await
            .map_err(aws)?;
        out.item
            .map_or_else(|| Ok(NumberCalls::default()), |item| decode(&item))
    }

    /// The claim's part: the call added, old calls dropped, on the version counted.
    pub(super) fn record_number_call(
        &self,
        tenant: &TenantId,
        call: &NumberCallGuard,
    ) -> Result<Update, StoreError> {
        let mut e = Expr::default();
        let (name, at) = (
            call_name(&mut e, 0, &call.key),
            e.value(n(call.at.timestamp_millis())),
        );
        e.set.push(format!("{name} = {at}"));
        e.set(VERSION, n(call.expected_version + 1));
        e.set(keys::EXPIRES_AT, n(expiry(call.at)));
        e.set("kind", s("number_calls"));
        for (i, old) in call.forget.iter().enumerate() {
            let name = call_name(&mut e, i + 1, old);
            e.remove.push(name);
        }
        let version = e.name(VERSION);
        let condition = if call.expected_version == 0 {
            format!("attribute_not_exists({version})")
        } else {
            let expected = e.value(n(call.expected_version));
            format!("{version} = {expected}")
        };
        e.conditions.push(condition);
        e.update(
            &self.table,
            number_pk(tenant, &call.number),
            CALLS_SK.into(),
        )
    }

    /// A release's part: the call taken off (a ledger that is gone gets a key-only item that
    /// expires a span after the call's claim).
    pub(super) fn forget_number_call(
        &self,
        tenant: &TenantId,
        release: &NumberCallRelease,
    ) -> Result<Update, StoreError> {
        let mut e = Expr::default();
        let name = call_name(&mut e, 0, &release.key);
        e.remove.push(name);
        let expires = e.name(keys::EXPIRES_AT);
        let at = e.value(n(expiry(release.started_at)));
        e.set
            .push(format!("{expires} = if_not_exists({expires}, {at})"));
        e.update(
            &self.table,
            number_pk(tenant, &release.number),
            CALLS_SK.into(),
        )
    }
}

/// A placeholder for a call's attribute, by position (call keys hold characters a placeholder
/// may not, and two keys must never share one).
fn call_name(e: &mut Expr, i: usize, key: &str) -> String {
    let placeholder = format!("#call{i}");
    e.names
        .insert(placeholder.clone(), format!("{CALL_PREFIX}{key}"));
    placeholder
}

fn decode(item: &Item) -> Result<NumberCalls, StoreError> {
    let number = |v: &aws_sdk_dynamodb::types::AttributeValue| -> Option<i64> {
        v.as_n().ok().and_then(|t| t.parse().ok())
    };
    let mut ledger = NumberCalls {
        version: item.get(VERSION).and_then(number).unwrap_or(0) as u64,
        ..NumberCalls::default()
    };
    for (name, value) in item {
        if let Some(key) = name.strip_prefix(CALL_PREFIX) {
            let at = number(value)
                .and_then(DateTime::from_timestamp_millis)
                .ok_or_else(|| corrupt(name, "a call's start is not an epoch millisecond"))?;
            ledger.calls.insert(key.to_owned(), at);
        }
    }
    Ok(ledger)
}
