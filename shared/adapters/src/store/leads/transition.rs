//! Transition writes: a lead's new state with its counters and guards, all or nothing.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use domain::ids::CampaignRef;
use domain::lead::{CounterDelta, DueKind, LeadState};
use domain::status::LeadStatus;
use ports::store::Guards;

use super::{due_attributes, json};
use crate::store::keys;
use crate::store::{DynamoStore, Refusal, StoreError, WriteError, aws, conditional, corrupt, n, s};
use crate::store::{LeadWrite, PacingGuard};
use ports::store::LEAD_SHARDS;

/// Which part of a transaction an item is, to name the condition that refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Lead,
    Stats,
    Campaign,
    Dnc,
    Registry,
    ProviderRate,
    AccountLines,
    NumberCalls,
    CallerUse,
    Other,
}

impl Part {
    fn refusal(self) -> Refusal {
        match self {
            Part::Lead | Part::Other => Refusal::Stale,
            Part::Stats => Refusal::Pacing,
            Part::Campaign => Refusal::CampaignStatus,
            Part::Dnc => Refusal::DoNotCall,
            Part::Registry => Refusal::Registry,
            Part::ProviderRate => Refusal::ProviderRate,
            Part::AccountLines => Refusal::AccountLines,
            Part::NumberCalls => Refusal::NumberCallsMoved,
            Part::CallerUse => Refusal::CallerLimit,
        }
    }
}

/// An update expression under construction.
#[derive(Default)]
pub(crate) struct Expr {
    pub(crate) set: Vec<String>,
    add: Vec<String>,
    pub(crate) remove: Vec<String>,
    pub(crate) conditions: Vec<String>,
    pub(crate) names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    pub(crate) fn name(&mut self, attr: &str) -> String {
        let placeholder = format!(
            "#{}",
            attr.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        self.names.insert(placeholder.clone(), attr.to_owned());
        placeholder
    }

    pub(crate) fn value(&mut self, v: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), v);
        placeholder
    }

    pub(crate) fn set(&mut self, attr: &str, v: AttributeValue) {
        let (name, value) = (self.name(attr), self.value(v));
        self.set.push(format!("{name} = {value}"));
    }

    pub(crate) fn add(&mut self, attr: &str, amount: i64) {
        if amount != 0 {
            let (name, value) = (self.name(attr), self.value(n(amount)));
            self.add.push(format!("{name} {value}"));
        }
    }

    fn update_expression(&self) -> String {
        let mut parts = Vec::new();
        if !self.set.is_empty() {
            parts.push(format!("SET {}", self.set.join(", ")));
        }
        if !self.add.is_empty() {
            parts.push(format!("ADD {}", self.add.join(", ")));
        }
        if !self.remove.is_empty() {
            parts.push(format!("REMOVE {}", self.remove.join(", ")));
        }
        parts.join(" ")
    }

    fn condition(&self) -> Option<String> {
        (!self.conditions.is_empty()).then(|| self.conditions.join(" AND "))
    }

    pub(crate) fn update(self, table: &str, pk: String, sk: String) -> Result<Update, StoreError> {
        let expression = self.update_expression();
        let condition = self.condition();
        Update::builder()
            .table_name(table)
            .key(keys::PK, s(pk))
            .key(keys::SK, s(sk))
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names((!self.names.is_empty()).then_some(self.names))
            .set_expression_attribute_values((!self.values.is_empty()).then_some(self.values))
            .build()
            .map_err(|e| corrupt("update", e))
    }
}

/// The update that writes a lead's new state on the condition of its old version.
fn lead_update(write: &LeadWrite<'_>) -> Result<Expr, StoreError> {
    let c = &write.lead.campaign;
    let state = write.state;
    let mut e = Expr::default();
    e.set("state", json(&write.lead.lead, state)?);
    e.set("version", n(state.version));
    e.set("status", s(state.status.as_str()));
    e.set(
        keys::STATUS_PK,
        s(keys::status_pk(
            c,
            state.status,
            write.lead.lead.shard(LEAD_SHARDS),
        )),
    );
    match due_attributes(c, &write.lead.lead, state) {
        Some((due_pk, due_at)) => {
            e.set(keys::DUE_PK, s(due_pk));
            e.set(keys::DUE_AT, n(due_at));
        }
        None => {
            let (a, b) = (e.name(keys::DUE_PK), e.name(keys::DUE_AT));
            e.remove.push(a);
            e.remove.push(b);
        }
    }
    if let Some(account) = &write.counters.account_slot {
        match write.counters.in_flight {
            1 => e.set(keys::ACCOUNT_SLOT, s(account.clone())),
            -1 => {
                let slot = e.name(keys::ACCOUNT_SLOT);
                e.remove.push(slot);
            }
            _ => {}
        }
    }
    let (version, expected) = (e.name("version"), e.value(n(write.expected_version)));
    e.conditions.push(format!("{version} = {expected}"));
    Ok(e)
}

/// The counters update: every non-zero change, plus the pacing slot when a call starts.
fn stats_update(delta: &CounterDelta, pacing: Option<PacingGuard>) -> Option<Expr> {
    let mut e = Expr::default();
    for (status, change) in LeadStatus::ALL.iter().zip(delta.by_status) {
        e.add(&format!("n_{}", status.as_str()), change);
    }
    e.add("attempts", delta.attempts_started);
    e.add("talk_seconds", delta.talk_seconds);
    e.add("in_flight", delta.in_flight);
    e.add("throttled", delta.throttled);
    e.add("dnc_hits", delta.dnc_hits);
    e.add("disclosures_due", delta.disclosures_due);
    e.add("disclosures_missed", delta.disclosures_missed);
    for (outcome, count) in &delta.outcomes {
        e.add(&format!("o_{}", outcome.as_str()), *count);
    }
    if let Some(p) = pacing {
        let in_flight = e.name("in_flight");
        let hour = e.name("hour_starts");
        let (max, cap) = (e.value(n(p.max_concurrent)), e.value(n(p.calls_per_hour)));
        e.conditions.push(format!(
            "(attribute_not_exists({in_flight}) OR {in_flight} < {max})"
        ));
        e.conditions
            .push(format!("(attribute_not_exists({hour}) OR {hour} < {cap})"));
        e.add("hour_starts", 1);
        e.add(&keys::minute_attr(p.epoch_minute), 1);
    }
    (!e.add.is_empty()).then_some(e)
}

/// Whether a transition that moves the counters is a due change (see the counters module): the
/// lead lands on the due index to be dialed on its own schedule. Every move out of Calling into
/// a retry, a callback or a given-back call is one, and all of them move the counters. Writes
/// that move no counter are not: a lease or a deferral only moves a lead later, and a dialer
/// handing a lease back makes it due no later than the lease's lapse, which the index showed.
fn is_due_change(state: &LeadState) -> bool {
    matches!(state.due(), Some((DueKind::Dial, _))) && state.lease.is_none()
}

impl DynamoStore {
    /// Writes a lead transition with its counters and guards, all or nothing.
    pub(super) async fn transition(&self, write: LeadWrite<'_>) -> Result<(), WriteError> {
        let (pk, sk) = keys::lead_key(write.lead);
        let c = &write.lead.campaign;
        let guards = &write.guards;
        let mut parts: Vec<(Part, TransactWriteItem)> = Vec::new();
        let lead = lead_update(&write)?.update(&self.table, pk, sk)?;
        let mut stats = stats_update(write.counters, guards.pacing);
        if let Some(stats) = stats.as_mut().filter(|_| is_due_change(write.state)) {
            stats.add(super::super::counters::DUE_CHANGES, 1);
        }
        let only_lead = stats.is_none()
            && write.state.log.is_empty()
            && guards.campaign_status.is_none()
            && guards.not_on_dnc.is_none()
            && guards.not_erased.is_none()
            && guards.not_on_registry.is_none()
            && guards.provider_rate.is_none()
            && write.counters.account_slot.is_none()
            && guards.add_to_dnc.is_none()
            && guards.hourly.is_none()
            && guards.caller_use.is_none()
            && guards.caller_unuse.is_none()
            && guards.caller_outcome.is_none()
            && guards.record_number_call.is_none()
            && guards.forget_number_call.is_none();
        if only_lead {
            return self.single_update(lead).await;
        }
        parts.push((
            Part::Lead,
            TransactWriteItem::builder().update(lead).build(),
        ));
        // The attempt records this transition closed or amended (or a lead stored before
        // records were items still carried), each an item of its own.
        for record in &write.state.log {
            let update = super::records::record_update(&self.table, write.lead, record)?;
            parts.push((
                Part::Other,
                TransactWriteItem::builder().update(update).build(),
            ));
        }
        if let Some(stats) = stats {
            let update = stats.update(&self.table, keys::campaign_pk(c), keys::STATS_SK.into())?;
            parts.push((
                Part::Stats,
                TransactWriteItem::builder().update(update).build(),
            ));
        }
        parts.extend(self.guard_checks(c, guards)?);
        parts.extend(self.account_line(write.counters, guards.account_lines)?);
        parts.extend(self.guard_writes(c, guards)?);
        parts.extend(self.number_call_writes(c, guards)?);
        if let Some(guard) = &guards.caller_use {
            let update = self.caller_use(&c.tenant, guard)?;
            let item = TransactWriteItem::builder().update(update).build();
            parts.push((Part::CallerUse, item));
        }
        if let Some(guard) = &guards.caller_unuse {
            let update = self.caller_unuse(&c.tenant, guard)?;
            let item = TransactWriteItem::builder().update(update).build();
            parts.push((Part::Other, item));
        }
        if let Some(outcome) = &guards.caller_outcome {
            let update = self.caller_outcome(&c.tenant, outcome)?;
            let item = TransactWriteItem::builder().update(update).build();
            parts.push((Part::Other, item));
        }
        self.transact(parts).await
    }

    /// The guards that only check: the campaign still in a status, the number not on the
    /// tenant's DNC list, not erased, nor in its extract of a registry.
    fn guard_checks(
        &self,
        c: &CampaignRef,
        guards: &Guards,
    ) -> Result<Vec<(Part, TransactWriteItem)>, StoreError> {
        let mut parts = Vec::new();
        if let Some(status) = guards.campaign_status {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .key(keys::PK, s(keys::tenant_pk(&c.tenant)))
                .key(keys::SK, s(keys::campaign_sk(&c.campaign)))
                .condition_expression("#status = :status")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", s(status.as_str()))
                .build()
                .map_err(|e| corrupt("request", e))?;
            parts.push((
                Part::Campaign,
                TransactWriteItem::builder().condition_check(check).build(),
            ));
        }
        if let Some(number) = &guards.not_on_dnc {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .key(keys::PK, s(keys::dnc_pk(&c.tenant)))
                .key(keys::SK, s(keys::dnc_sk(number)))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| corrupt("request", e))?;
            parts.push((
                Part::Dnc,
                TransactWriteItem::builder().condition_check(check).build(),
            ));
        }
        if let Some(marker) = &guards.not_erased {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .key(keys::PK, s(keys::erased_pk(&c.tenant)))
                .key(keys::SK, s(marker.clone()))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| corrupt("request", e))?;
            // An erased number is refused as one on the DNC list is: the lead is skipped.
            parts.push((
                Part::Dnc,
                TransactWriteItem::builder().condition_check(check).build(),
            ));
        }
        if let Some((registry, number)) = &guards.not_on_registry {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .key(keys::PK, s(keys::registry_pk(&c.tenant, *registry, number)))
                .key(keys::SK, s(number.as_str()))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| corrupt("request", e))?;
            parts.push((
                Part::Registry,
                TransactWriteItem::builder().condition_check(check).build(),
            ));
        }
        Ok(parts)
    }

    /// One token of a per-second bucket (`pk` / `CPS`): counted, refused at `limit`, expiring
    /// an hour after its second.
    fn token_update(
        &self,
        pk: String,
        epoch_second: i64,
        limit: u32,
    ) -> Result<aws_sdk_dynamodb::types::Update, StoreError> {
        let mut e = Expr::default();
        e.add("n", 1);
        e.set(keys::EXPIRES_AT, n(epoch_second + 3600));
        let (count, limit) = (e.name("n"), e.value(n(limit)));
        e.conditions.push(format!(
            "(attribute_not_exists({count}) OR {count} < {limit})"
        ));
        e.update(&self.table, pk, keys::CPS_SK.into())
    }

    /// The provider account's line a call takes (refused at `limit` live calls) or gives back,
    /// when the call holds one (see [`CounterDelta::account_slot`]).
    fn account_line(
        &self,
        delta: &CounterDelta,
        limit: Option<u32>,
    ) -> Result<Option<(Part, TransactWriteItem)>, StoreError> {
        let Some(account) = &delta.account_slot else {
            return Ok(None);
        };
        let mut e = Expr::default();
        e.add("n", delta.in_flight);
        if let Some(limit) = limit.filter(|_| delta.in_flight > 0) {
            let (count, limit) = (e.name("n"), e.value(n(limit)));
            e.conditions.push(format!(
                "(attribute_not_exists({count}) OR {count} < {limit})"
            ));
        }
        if e.add.is_empty() {
            return Ok(None);
        }
        let pk = keys::account_lines_pk(account);
        let update = e.update(&self.table, pk, keys::ACCOUNT_LINES_SK.into())?;
        let item = TransactWriteItem::builder().update(update).build();
        Ok(Some((Part::AccountLines, item)))
    }

    /// The guards that write: a provider calls-per-second token (refused when the second's
    /// budget is spent), an opt-out's DNC entry, the hour's analytics.
    fn guard_writes(
        &self,
        c: &CampaignRef,
        guards: &Guards,
    ) -> Result<Vec<(Part, TransactWriteItem)>, StoreError> {
        let mut parts = Vec::new();
        if let Some(cps) = &guards.provider_rate {
            let update = self.token_update(
                keys::cps_pk(&cps.account, cps.epoch_second),
                cps.epoch_second,
                cps.limit,
            )?;
            parts.push((
                Part::ProviderRate,
                TransactWriteItem::builder().update(update).build(),
            ));
            if let Some((tenant, share)) = &cps.tenant {
                let update = self.token_update(
                    keys::tenant_cps_pk(&cps.account, tenant, cps.epoch_second),
                    cps.epoch_second,
                    *share,
                )?;
                parts.push((
                    Part::ProviderRate,
                    TransactWriteItem::builder().update(update).build(),
                ));
            }
        }
        if let Some(number) = &guards.add_to_dnc {
            let put = Put::builder()
                .table_name(&self.table)
                .item(keys::PK, s(keys::dnc_pk(&c.tenant)))
                .item(keys::SK, s(keys::dnc_sk(number)))
                .item("kind", s("dnc"))
                .item("source", s("opt_out"))
                .item("campaign", s(c.campaign.as_str()))
                .build()
                .map_err(|e| corrupt("request", e))?;
            parts.push((Part::Other, TransactWriteItem::builder().put(put).build()));
        }
        for event in &guards.events {
            let put = super::super::webhooks::event_put(&self.table, &c.tenant, event)?;
            parts.push((Part::Other, put));
        }
        if let Some(h) = guards.hourly {
            let mut e = Expr::default();
            e.add("started", h.started);
            e.add("connected", h.connected);
            e.add("talk_seconds", h.talk_seconds);
            e.add("answered", h.answered);
            e.add("abandoned", h.abandoned);
            if !e.add.is_empty() {
                let update = e.update(&self.table, keys::campaign_pk(c), keys::hour_sk(h.hour))?;
                parts.push((
                    Part::Other,
                    TransactWriteItem::builder().update(update).build(),
                ));
            }
        }
        Ok(parts)
    }

    /// The number's ledger: the claim's call added (on the version counted) or a released
    /// call taken off.
    fn number_call_writes(
        &self,
        c: &CampaignRef,
        guards: &Guards,
    ) -> Result<Vec<(Part, TransactWriteItem)>, StoreError> {
        let mut parts = Vec::new();
        if let Some(call) = &guards.record_number_call {
            let update = self.record_number_call(&c.tenant, call)?;
            parts.push((
                Part::NumberCalls,
                TransactWriteItem::builder().update(update).build(),
            ));
        }
        if let Some(release) = &guards.forget_number_call {
            let update = self.forget_number_call(&c.tenant, release)?;
            parts.push((
                Part::Other,
                TransactWriteItem::builder().update(update).build(),
            ));
        }
        Ok(parts)
    }

    async fn single_update(&self, update: Update) -> Result<(), WriteError> {
        let result = self.update_item_of(update).send().await;
        conditional(result).map(|_| ())
    }

    async fn transact(&self, parts: Vec<(Part, TransactWriteItem)>) -> Result<(), WriteError> {
        let (kinds, items): (Vec<Part>, Vec<TransactWriteItem>) = parts.into_iter().unzip();
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        if let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(cancelled)) =
            err.as_service_error()
        {
            let reasons = cancelled.cancellation_reasons();
            for (i, reason) in reasons.iter().enumerate() {
                match reason.code() {
                    Some("ConditionalCheckFailed") => {
                        let part = kinds.get(i).copied().unwrap_or(Part::Other);
                        return Err(WriteError::Refused(part.refusal()));
                    }
                    Some("TransactionConflict") => return Err(WriteError::Refused(Refusal::Conflict)),
                    _ => {}
                }
            }
        }
        Err(WriteError::Store(aws(err)))
    }
}
