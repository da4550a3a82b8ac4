//! A caller number's day ledger (`CN#{tenant}#{E.164}` / `DAY#{date}`): the calls it started
//! in the UTC day (`calls`) and in each of its hours (`h00`..`h23`), counted by the claim's
//! own transaction on the condition that neither is at the agent's limit
//! (`domain::caller_limits`), so the limits hold over every campaign and dialer; a claim given
//! back before its call was placed is taken off again. Each call's outcome adds the day's
//! health figures (`answered`, `talk_seconds`, `short_calls`, `ended`). The item expires after
//! [`LEDGER_DAYS`], so the numbers' recent days stay readable.

use aws_sdk_dynamodb::types::Update;
use domain::caller_health::SHORT_CALL_SECONDS;
use domain::caller_limits::{ledger_day, ledger_hour};
use domain::ids::TenantId;
use ports::store::{CallerOutcome, CallerUseGuard};

use super::transition::Expr;
use crate::store::keys;
use crate::store::{DynamoStore, StoreError, n, s};

/// How many days a number's day ledger is kept.
pub const LEDGER_DAYS: i64 = 35;

/// The attribute counting the day's calls.
pub(crate) const CALLS: &str = "calls";

impl DynamoStore {
    /// The claim's part: one call more for the number's hour and day, refused at either limit.
    pub(super) fn caller_use(
        &self,
        tenant: &TenantId,
        guard: &CallerUseGuard,
    ) -> Result<Update, StoreError> {
        let mut e = self.caller_day_expr(guard, 1);
        let (calls, hour) = (
            e.name(CALLS),
            e.name(&keys::caller_hour_attr(ledger_hour(guard.at))),
        );
        let per_day = e.value(n(guard.limits.per_day));
        let per_hour = e.value(n(guard.limits.per_hour));
        e.conditions.push(format!(
            "(attribute_not_exists({calls}) OR {calls} < {per_day})"
        ));
        e.conditions.push(format!(
            "(attribute_not_exists({hour}) OR {hour} < {per_hour})"
        ));
        self.caller_day_update(tenant, guard, e)
    }

    /// A release's part: the call that was never placed taken off its hour and day.
    pub(super) fn caller_unuse(
        &self,
        tenant: &TenantId,
        guard: &CallerUseGuard,
    ) -> Result<Update, StoreError> {
        let e = self.caller_day_expr(guard, -1);
        self.caller_day_update(tenant, guard, e)
    }

    /// An outcome's part: the call's answer, talk time and shortness added to the day it
    /// started (written with the outcome, so counted once).
    pub(super) fn caller_outcome(
        &self,
        tenant: &TenantId,
        outcome: &CallerOutcome,
    ) -> Result<Update, StoreError> {
        use crate::store::caller_numbers::{ANSWERED, SHORT_CALLS, TALK_SECONDS};
        let mut e = Expr::default();
        if outcome.answered {
            e.add(ANSWERED, 1);
            e.add(TALK_SECONDS, i64::from(outcome.talk_seconds));
            if outcome.talk_seconds < SHORT_CALL_SECONDS {
                e.add(SHORT_CALLS, 1);
            }
        }
        e.add("ended", 1);
        let day = ledger_day(outcome.started_at);
        e.update(
            &self.table,
            keys::caller_number_pk(tenant, &outcome.number),
            keys::caller_day_sk(day),
        )
    }

    fn caller_day_expr(&self, guard: &CallerUseGuard, change: i64) -> Expr {
        let mut e = Expr::default();
        e.add(CALLS, change);
        e.add(&keys::caller_hour_attr(ledger_hour(guard.at)), change);
        let expires = (guard.at + chrono::Duration::days(LEDGER_DAYS)).timestamp();
        e.set(keys::EXPIRES_AT, n(expires));
        e.set("kind", s("caller_day"));
        e
    }

    fn caller_day_update(
        &self,
        tenant: &TenantId,
        guard: &CallerUseGuard,
        e: Expr,
    ) -> Result<Update, StoreError> {
        e.update(
            &self.table,
            keys::caller_number_pk(tenant, &guard.number),
            keys::caller_day_sk(ledger_day(guard.at)),
        )
    }
}
