//! Leads: conditional insert (dedupe), reads, the due index, and transition writes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update,
};
use chrono::{DateTime, Utc};
use domain::ids::{CampaignRef, LeadId, LeadRef};
use domain::lead::{Contact, CounterDelta, DueKind, ImportSource, Lead, LeadState};
use domain::phone::E164;
use domain::status::{CampaignStatus, LeadStatus};
use serde::{Deserialize, Serialize};

use super::keys::{self, LEAD_SHARDS};
use super::quarantine::{QUARANTINED, Unreadable};
use super::{DynamoStore, Refusal, StoreError, WriteError, aws, conditional, corrupt, n, s};

// A lead as stored: its keys; `doc` (who to call and where the lead came from: fixed at
// import) and `state` as compact JSON documents (built and read with serde_json: far fewer
// allocations than nested DynamoDB maps, and smaller items); and, at the top level, what
// conditions and indexes need: `version`, `status`, the due index's `due_pk`/`due_at` (only
// while not final) and the by-status index's `status_pk`/`status_sk` (the lead id).

fn due_attributes(c: &CampaignRef, lead: &LeadId, state: &LeadState) -> Option<(String, i64)> {
    state
        .due()
        .map(|(kind, at)| (keys::due_pk(c, kind, lead), at.timestamp_millis()))
}

fn json<T: Serialize>(key: &LeadId, value: &T) -> Result<AttributeValue, StoreError> {
    serde_json::to_string(value)
        .map(AttributeValue::S)
        .map_err(|e| corrupt(key, e))
}

/// The fixed part of a lead.
#[derive(Serialize, Deserialize)]
struct LeadDoc<C, S> {
    contact: C,
    source: S,
}

/// How many due leads to read: a tick wants at least `enough` (its budget) and takes up to
/// `most` (more than the budget, since some due leads turn out to be outside their window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueBatch {
    /// Stop reading further shards once this many are found.
    pub enough: usize,
    /// Never return more than this.
    pub most: usize,
}

impl DueBatch {
    /// Up to `n`, reading shards until `n` are found.
    pub fn up_to(n: usize) -> Self {
        Self { enough: n, most: n }
    }
}

/// A read of the due index: the leads due for `kind` by `due_by`, looking ahead to
/// `look_until` for the next due time of each shard.
#[derive(Debug, Clone, Copy)]
pub struct DueRead<'a> {
    /// Which deadline.
    pub kind: DueKind,
    /// Leads due at or before this are returned.
    pub due_by: DateTime<Utc>,
    /// How far to look for each shard's next due time (no further than needed: every lead
    /// seen is read capacity).
    pub look_until: DateTime<Utc>,
    /// How many to take.
    pub batch: DueBatch,
    /// The shard the round-robin starts from.
    pub first_shard: u8,
    /// Shards not to read (index = shard; missing entries are read).
    pub skip: &'a [bool],
}

/// What a look at the due index found.
#[derive(Debug, Clone, Default)]
pub struct DueScan {
    /// Leads due at the time asked, in due order.
    pub due: Vec<Lead>,
    /// How far each due shard was read (index = shard).
    pub shards: Vec<ShardRead>,
}

impl DueScan {
    /// `due` holds every lead due at the time asked: every shard was read past it.
    pub fn complete(&self) -> bool {
        self.shards
            .iter()
            .all(|shard| matches!(shard, ShardRead::ReadOut(_)))
    }

    /// The earliest due time after the time asked that the look-ahead saw.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.shards
            .iter()
            .filter_map(|shard| match shard {
                ShardRead::ReadOut(next) => *next,
                _ => None,
            })
            .min()
    }
}

/// How far a scan read one due shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardRead {
    /// Not read: skipped as asked, or spared once enough leads were found.
    NotRead,
    /// Read, but the batch filled before the time asked.
    Partial,
    /// Read past the time asked: it holds no other lead due by then. The earliest later due time
    /// it holds within the look-ahead, if any.
    ReadOut(Option<DateTime<Utc>>),
}

/// Builds lead items for one campaign, reusing what repeats from lead to lead: the shard keys,
/// and the state document (every lead of an import starts in the same state).
#[derive(Debug)]
pub struct LeadItemBuilder {
    lead_pks: Vec<String>,
    due_pks: Vec<String>,
    status_pks: Vec<(LeadStatus, Vec<String>)>,
    campaign: CampaignRef,
    last_state: Option<(LeadState, String)>,
}

impl LeadItemBuilder {
    /// A builder for `campaign`'s leads.
    pub fn new(campaign: &CampaignRef) -> Self {
        let shards = 0..LEAD_SHARDS;
        Self {
            lead_pks: shards.clone().map(|s| keys::lead_pk(campaign, s)).collect(),
            due_pks: shards
                .clone()
                .map(|s| keys::due_shard_pk(campaign, DueKind::Dial, s))
                .collect(),
            status_pks: LeadStatus::ALL
                .iter()
                .map(|st| {
                    (
                        *st,
                        shards
                            .clone()
                            .map(|s| keys::status_pk(campaign, *st, s))
                            .collect(),
                    )
                })
                .collect(),
            campaign: campaign.clone(),
            last_state: None,
        }
    }

    /// The item of a new lead (what [`DynamoStore::insert_lead`] writes).
    pub fn item(&mut self, lead: &Lead) -> Result<HashMap<String, AttributeValue>, StoreError> {
        let shard = usize::from(lead.id.shard(LEAD_SHARDS));
        let state = match &self.last_state {
            Some((state, json)) if *state == lead.state => AttributeValue::S(json.clone()),
            _ => {
                let value = json(&lead.id, &lead.state)?;
                if let AttributeValue::S(text) = &value {
                    self.last_state = Some((lead.state.clone(), text.clone()));
                }
                value
            }
        };
        let mut item = HashMap::with_capacity(10);
        item.insert(keys::PK.to_owned(), s(self.lead_pks[shard].clone()));
        item.insert(keys::SK.to_owned(), s(lead.id.as_str()));
        item.insert(
            "doc".to_owned(),
            json(
                &lead.id,
                &LeadDoc {
                    contact: &lead.contact,
                    source: &lead.source,
                },
            )?,
        );
        item.insert("state".to_owned(), state);
        item.insert("version".to_owned(), n(lead.state.version));
        item.insert("status".to_owned(), s(lead.state.status.as_str()));
        match lead.state.due() {
            Some((DueKind::Dial, at)) => {
                item.insert(keys::DUE_PK.to_owned(), s(self.due_pks[shard].clone()));
                item.insert(keys::DUE_AT.to_owned(), n(at.timestamp_millis()));
            }
            Some((kind, at)) => {
                item.insert(
                    keys::DUE_PK.to_owned(),
                    s(keys::due_pk(&self.campaign, kind, &lead.id)),
                );
                item.insert(keys::DUE_AT.to_owned(), n(at.timestamp_millis()));
            }
            None => {}
        }
        let status_pk = self
            .status_pks
            .iter()
            .find(|(st, _)| *st == lead.state.status)
            .map(|(_, pks)| pks[shard].clone())
            .unwrap_or_default();
        item.insert(keys::STATUS_PK.to_owned(), s(status_pk));
        item.insert(keys::STATUS_SK.to_owned(), s(lead.id.as_str()));
        Ok(item)
    }
}

/// The DynamoDB item of a new lead (what [`DynamoStore::insert_lead`] writes).
pub fn lead_item(
    campaign: &CampaignRef,
    lead: &Lead,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    LeadItemBuilder::new(campaign).item(lead)
}

/// Reads a lead item back; an item that does not decode (or was quarantined before) is
/// [`Unreadable`], for the caller to set aside rather than fail on.
fn read_lead(item: HashMap<String, AttributeValue>) -> Result<Lead, Unreadable> {
    if item.contains_key(QUARANTINED) {
        return Err(Unreadable::new(&item, "quarantined"));
    }
    let text = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| format!("no {name}"))
    };
    let decoded = (|| -> Result<Lead, String> {
        let id = LeadId::parse(text(keys::SK)?.clone()).map_err(|e| e.to_string())?;
        let doc: LeadDoc<Contact, ImportSource> =
            serde_json::from_str(text("doc")?).map_err(|e| e.to_string())?;
        let state: LeadState = serde_json::from_str(text("state")?).map_err(|e| e.to_string())?;
        Ok(Lead {
            id,
            contact: doc.contact,
            source: doc.source,
            state,
        })
    })();
    decoded.map_err(|reason| Unreadable::new(&item, reason))
}

/// What a conditional insert found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The lead is new and was written.
    Inserted,
    /// A lead with this number already exists in the campaign; it was left as it is.
    Exists {
        /// Where the existing lead came from (a retried import recognises its own rows).
        source: ImportSource,
    },
    /// A lead with this number exists but its stored item does not decode: it was quarantined
    /// and left as it is.
    ExistsUnreadable,
}

/// One transition of one lead, with the counter changes and guards written with it.
#[derive(Debug)]
pub struct LeadWrite<'a> {
    /// The lead.
    pub lead: &'a LeadRef,
    /// The version the transition was computed from; the write is refused if it moved.
    pub expected_version: u64,
    /// The new state.
    pub state: &'a LeadState,
    /// Counter changes, applied atomically with the lead.
    pub counters: &'a CounterDelta,
    /// Further conditions and items of the same transaction.
    pub guards: Guards,
}

/// Extra conditions and items written atomically with a lead transition.
#[derive(Debug, Clone, Default)]
pub struct Guards {
    /// The campaign must be in this status.
    pub campaign_status: Option<CampaignStatus>,
    /// This number must not be on the tenant's Do-Not-Call list.
    pub not_on_dnc: Option<E164>,
    /// Take a concurrency slot and a rolling-hour start.
    pub pacing: Option<PacingGuard>,
    /// Take a provider calls-per-second token.
    pub provider_rate: Option<CpsGuard>,
    /// Add this number to the tenant's Do-Not-Call list (an opt-out).
    pub add_to_dnc: Option<E164>,
    /// Hourly analytics counters to move.
    pub hourly: Option<HourlyIncrement>,
}

/// Limits checked (and counted) when a call starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacingGuard {
    /// In-flight calls must be below this.
    pub max_concurrent: u32,
    /// Starts in the rolling hour must be below this.
    pub calls_per_hour: u32,
    /// The epoch minute of the start (its rolling-hour bucket).
    pub epoch_minute: i64,
}

/// A provider account's per-second start budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpsGuard {
    /// The provider account.
    pub account: String,
    /// The epoch second of the start.
    pub epoch_second: i64,
    /// Starts per second allowed.
    pub limit: u32,
}

/// Hourly analytics changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourlyIncrement {
    /// Start of the hour (UTC).
    pub hour: DateTime<Utc>,
    /// Calls started.
    pub started: i64,
    /// Calls connected.
    pub connected: i64,
    /// Talk seconds.
    pub talk_seconds: i64,
}

/// Which part of a transaction an item is, to name the condition that refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Lead,
    Stats,
    Campaign,
    Dnc,
    ProviderRate,
    Other,
}

impl Part {
    fn refusal(self) -> Refusal {
        match self {
            Part::Lead | Part::Other => Refusal::Stale,
            Part::Stats => Refusal::Pacing,
            Part::Campaign => Refusal::CampaignStatus,
            Part::Dnc => Refusal::DoNotCall,
            Part::ProviderRate => Refusal::ProviderRate,
        }
    }
}

/// An update expression under construction.
#[derive(Default)]
struct Expr {
    set: Vec<String>,
    add: Vec<String>,
    remove: Vec<String>,
    conditions: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    fn name(&mut self, attr: &str) -> String {
        let placeholder = format!(
            "#{}",
            attr.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        self.names.insert(placeholder.clone(), attr.to_owned());
        placeholder
    }

    fn value(&mut self, v: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), v);
        placeholder
    }

    fn set(&mut self, attr: &str, v: AttributeValue) {
        let (name, value) = (self.name(attr), self.value(v));
        self.set.push(format!("{name} = {value}"));
    }

    fn add(&mut self, attr: &str, amount: i64) {
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

    fn update(self, table: &str, pk: String, sk: String) -> Result<Update, StoreError> {
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
    /// Writes a new lead (an item from [`LeadItemBuilder`] for `campaign`) unless one with the
    /// same id exists.
    pub async fn insert_lead_item(
        &self,
        campaign: &CampaignRef,
        item: HashMap<String, AttributeValue>,
    ) -> Result<InsertOutcome, StoreError> {
        self.put_new_lead(campaign, item).await
    }

    /// Writes a new lead unless one with the same id (same number) exists in the campaign;
    /// an existing lead is never overwritten, so re-importing never resets progress.
    pub async fn insert_lead(
        &self,
        campaign: &CampaignRef,
        lead: &Lead,
    ) -> Result<InsertOutcome, StoreError> {
        self.put_new_lead(campaign, lead_item(campaign, lead)?)
            .await
    }

    async fn put_new_lead(
        &self,
        campaign: &CampaignRef,
        item: HashMap<String, AttributeValue>,
    ) -> Result<InsertOutcome, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(InsertOutcome::Inserted),
            Err(err) => {
                if let Some(failed) = err.as_service_error().and_then(|e| match e {
                    aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(f) => Some(f),
                    _ => None,
                }) {
                    let existing = failed.item().cloned().unwrap_or_default();
                    return match read_lead(existing) {
                        Ok(lead) => Ok(InsertOutcome::Exists { source: lead.source }),
                        Err(unreadable) => {
                            self.quarantine_lead(campaign, &unreadable).await?;
                            Ok(InsertOutcome::ExistsUnreadable)
                        }
                    };
                }
                Err(aws(err))
            }
        }
    }

    /// Reads a lead (strongly consistent). A lead whose item does not decode is quarantined
    /// and reads as absent: nobody dials, applies an event to, or shows what cannot be read.
    pub async fn get_lead(&self, lead: &LeadRef) -> Result<Option<Lead>, StoreError> {
        let (pk, sk) = keys::lead_key(lead);
        let Some(item) = self.consistent_item(pk, sk).await? else {
            return Ok(None);
        };
        match read_lead(item) {
            Ok(lead) => Ok(Some(lead)),
            Err(unreadable) => {
                self.quarantine_lead(&lead.campaign, &unreadable).await?;
                Ok(None)
            }
        }
    }

    /// Leads whose `kind` deadline is at or before `now`, read from the sparse due index only,
    /// sorted by due time: up to `batch.most`, and no further shard is read once
    /// `batch.enough` are found (each query is a read request; a shard that answers with
    /// enough spares the others). Dial shards are visited round-robin from `first_shard`
    /// (each contributing its earliest), so consecutive ticks start on different shards and
    /// none starves.
    /// Results may be slightly stale (the index is eventually consistent); writes are
    /// conditional on the version, so a stale lead costs a refused write, never a double dial.
    pub async fn due_leads(
        &self,
        campaign: &CampaignRef,
        kind: DueKind,
        now: DateTime<Utc>,
        batch: DueBatch,
        first_shard: u8,
    ) -> Result<Vec<Lead>, StoreError> {
        let read = DueRead {
            kind,
            due_by: now,
            look_until: now,
            batch,
            first_shard,
            skip: &[],
        };
        Ok(self.scan_due(campaign, read).await?.due)
    }

    /// [`DynamoStore::due_leads`], looking ahead in the same queries (no extra request) and not
    /// reading the shards the read skips: it also says, per shard, whether it was read past
    /// `due_by` and when its next lead after that falls due — what a tick needs to leave a
    /// quiet hint.
    pub async fn scan_due(
        &self,
        campaign: &CampaignRef,
        read: DueRead<'_>,
    ) -> Result<DueScan, StoreError> {
        let DueRead {
            kind,
            due_by: now,
            look_until,
            batch,
            first_shard,
            skip,
        } = read;
        let limit = batch.most;
        let shards: Vec<u8> = match kind {
            DueKind::Dial => (0..LEAD_SHARDS)
                .map(|i| (first_shard + i) % LEAD_SHARDS)
                .collect(),
            DueKind::CallDeadline => vec![0],
        };
        let look_until = look_until.max(now);
        let mut scan = DueScan {
            due: Vec::new(),
            shards: vec![ShardRead::NotRead; shards.len()],
        };
        for shard in shards {
            if skip.get(usize::from(shard)).copied().unwrap_or(false) {
                continue;
            }
            if scan.due.len() >= batch.enough.min(limit) {
                break;
            }
            let want = i32::try_from(limit - scan.due.len()).unwrap_or(i32::MAX);
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::DUE_INDEX)
                .key_condition_expression("#pk = :pk AND #at <= :until")
                .expression_attribute_names("#pk", keys::DUE_PK)
                .expression_attribute_names("#at", keys::DUE_AT)
                .expression_attribute_values(":pk", s(keys::due_shard_pk(campaign, kind, shard)))
                .expression_attribute_values(":until", n(look_until.timestamp_millis()))
                .limit(want)
                .send()
                .await
                .map_err(aws)?;
            // The shard's answer is in due order: all it holds due at `now` comes before
            // anything later, so one later lead (or the end of the shard) proves it was read out.
            let mut read_past_now = out.last_evaluated_key.is_none();
            let mut next_due: Option<DateTime<Utc>> = None;
            for item in out.items.unwrap_or_default() {
                let lead = match read_lead(item) {
                    Ok(lead) => lead,
                    Err(unreadable) => {
                        // Set aside: the quarantine takes it off the due index.
                        self.quarantine_lead(campaign, &unreadable).await?;
                        continue;
                    }
                };
                match lead.state.due() {
                    Some((_, at)) if at > now => {
                        read_past_now = true;
                        next_due = Some(next_due.map_or(at, |next| next.min(at)));
                    }
                    _ => scan.due.push(lead),
                }
            }
            scan.shards[usize::from(shard)] = if read_past_now {
                ShardRead::ReadOut(next_due)
            } else {
                ShardRead::Partial
            };
        }
        scan.due
            .sort_by_key(|lead| lead.state.due().map(|(_, at)| at));
        Ok(scan)
    }

    /// Writes a lead transition with its counters and guards, all or nothing.
    pub async fn write_transition(&self, write: LeadWrite<'_>) -> Result<(), WriteError> {
        let (pk, sk) = keys::lead_key(write.lead);
        let c = &write.lead.campaign;
        let guards = &write.guards;
        let mut parts: Vec<(Part, TransactWriteItem)> = Vec::new();
        let lead = lead_update(&write)?.update(&self.table, pk, sk)?;
        let mut stats = stats_update(write.counters, guards.pacing);
        if let Some(stats) = stats.as_mut().filter(|_| is_due_change(write.state)) {
            stats.add(super::counters::DUE_CHANGES, 1);
        }
        let only_lead = stats.is_none()
            && guards.campaign_status.is_none()
            && guards.not_on_dnc.is_none()
            && guards.provider_rate.is_none()
            && guards.add_to_dnc.is_none()
            && guards.hourly.is_none();
        if only_lead {
            return self.single_update(lead).await;
        }
        parts.push((
            Part::Lead,
            TransactWriteItem::builder().update(lead).build(),
        ));
        if let Some(stats) = stats {
            let update = stats.update(&self.table, keys::campaign_pk(c), keys::STATS_SK.into())?;
            parts.push((
                Part::Stats,
                TransactWriteItem::builder().update(update).build(),
            ));
        }
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
        if let Some(cps) = &guards.provider_rate {
            let mut e = Expr::default();
            e.add("n", 1);
            e.set(keys::EXPIRES_AT, n(cps.epoch_second + 3600));
            let (count, limit) = (e.name("n"), e.value(n(cps.limit)));
            e.conditions.push(format!(
                "(attribute_not_exists({count}) OR {count} < {limit})"
            ));
            let update = e.update(
                &self.table,
                keys::cps_pk(&cps.account, cps.epoch_second),
                keys::CPS_SK.into(),
            )?;
            parts.push((
                Part::ProviderRate,
                TransactWriteItem::builder().update(update).build(),
            ));
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
        if let Some(h) = guards.hourly {
            let mut e = Expr::default();
            e.add("started", h.started);
            e.add("connected", h.connected);
            e.add("talk_seconds", h.talk_seconds);
            if !e.add.is_empty() {
                let update = e.update(&self.table, keys::campaign_pk(c), keys::hour_sk(h.hour))?;
                parts.push((
                    Part::Other,
                    TransactWriteItem::builder().update(update).build(),
                ));
            }
        }
        self.transact(parts).await
    }

    async fn single_update(&self, update: Update) -> Result<(), WriteError> {
        let result = self
            .client
            .update_item()
            .table_name(update.table_name())
            .set_key(Some(update.key().clone()))
            .update_expression(update.update_expression())
            .set_condition_expression(update.condition_expression().map(str::to_owned))
            .set_expression_attribute_names(update.expression_attribute_names().cloned())
            .set_expression_attribute_values(update.expression_attribute_values().cloned())
            .send()
            .await;
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
                let item = lead_item(campaign, lead)?;
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(|e| corrupt(&lead.id, e))?;
                requests.push(WriteRequest::builder().put_request(put).build());
            }
            let mut pending = std::collections::HashMap::from([(self.table.clone(), requests)]);
            while !pending.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .send()
                    .await
                    .map_err(aws)?;
                pending = out.unprocessed_items.unwrap_or_default();
                pending.retain(|_, v| !v.is_empty());
            }
        }
        Ok(())
    }
}
