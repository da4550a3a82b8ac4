//! The store's repositories, one per aggregate, each a handful of methods. They are the only
//! way to the store: handlers, the API, the importer, the results worker and the admin
//! commands all call these, and the DynamoDB store implements each one in the module that owns
//! the aggregate's keys (no forwarding layer). A caller's bounds name the aggregates it
//! touches, for example `S: Campaigns + Leads` for a dialer.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::contact_caps::ContactCaps;
use domain::ids::TenantId;
use domain::ids::{AgentId, ApiKeyId, CampaignId, CampaignRef, ExportId, ImportId, LeadRef};
use domain::lead::{DueKind, Lead};
use domain::phone::E164;
use domain::results::{HourTally, Tally};
use domain::status::{CampaignStatus, LeadStatus};

use super::{
    AgentRecord, ApiKeyRecord, CampaignCounters, CampaignRecord, DncEntry, DncRemoval, DueBatch,
    DueRead, DueScan, ExportRecord, ImportRecord, InsertOutcome, LeadCursor, LeadWrite,
    NewCampaign, NumberCalls, QuarantineOwner, QuarantinedItem, StoreError, TenantRecord,
    WriteError,
};

/// Tenants and the API keys that act for them.
#[async_trait]
pub trait Tenants: Send + Sync {
    /// Creates a tenant; refused if the id exists.
    async fn create_tenant(&self, tenant: &TenantRecord) -> Result<(), WriteError>;
    /// Reads a tenant.
    async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<TenantRecord>, StoreError>;
    /// Stores a new key; refused if its id or secret hash exists.
    async fn create_api_key(&self, record: &ApiKeyRecord) -> Result<(), WriteError>;
    /// The key whose secret hashes to `secret_hash`, if any (revoked keys included).
    async fn api_key_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// A tenant's keys.
    async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// Revokes a tenant's key. Revoking twice keeps the first time.
    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, WriteError>;
}

/// A tenant's AI voice agents.
#[async_trait]
pub trait Agents: Send + Sync {
    /// Writes an agent: a new one (`expected_version` None) or a change of the version read.
    async fn put_agent(
        &self,
        record: &AgentRecord,
        expected_version: Option<u64>,
    ) -> Result<(), WriteError>;
    /// The agent, if the tenant has it.
    async fn get_agent(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
    ) -> Result<Option<AgentRecord>, StoreError>;
    /// Every agent of a tenant.
    async fn list_agents(&self, tenant: &TenantId) -> Result<Vec<AgentRecord>, StoreError>;
    /// Deletes an agent if it still has the version read.
    async fn delete_agent(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        expected_version: u64,
    ) -> Result<(), WriteError>;
}

/// Campaigns: configuration and lifecycle status.
#[async_trait]
pub trait Campaigns: Send + Sync {
    /// Creates a Draft campaign and its zeroed counters; refused if the id exists.
    async fn create_campaign(&self, new: NewCampaign) -> Result<CampaignRecord, WriteError>;
    /// The campaign, if the tenant has it (another tenant's id finds nothing).
    async fn get_campaign(&self, c: &CampaignRef) -> Result<Option<CampaignRecord>, StoreError>;
    /// A page of a tenant's campaigns, optionally of one status, after the id `after`; with
    /// the id to continue after.
    async fn list_campaigns(
        &self,
        tenant: &TenantId,
        status: Option<CampaignStatus>,
        after: Option<&CampaignId>,
        limit: usize,
    ) -> Result<(Vec<CampaignRecord>, Option<CampaignId>), StoreError>;
    /// Replaces the configuration if the campaign is still at `expected_version` and in Draft
    /// or Paused.
    async fn update_campaign_config(
        &self,
        c: &CampaignRef,
        expected_version: u64,
        config: &domain::config::CampaignConfig,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError>;
    /// Deletes a Draft campaign.
    async fn delete_campaign(&self, c: &CampaignRef) -> Result<(), WriteError>;
}

/// A campaign's lifecycle: status moves, each conditional on the status it leaves.
#[async_trait]
pub trait CampaignStatuses: Send + Sync {
    /// Moves the status from `from` to `to`, refused if no longer in `from` (or, when the
    /// move makes the campaign live, if the tenant's plan allows no more live campaigns).
    async fn set_campaign_status(
        &self,
        c: &CampaignRef,
        from: CampaignStatus,
        to: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError>;
    /// The same, recording the change's `campaign.status_changed` event in the same write.
    async fn set_campaign_status_telling(
        &self,
        c: &CampaignRef,
        from: CampaignStatus,
        to: CampaignStatus,
        now: DateTime<Utc>,
        event: &domain::webhooks::Event,
    ) -> Result<(), WriteError>;
    /// Pauses an Active campaign with its reason — a guardrail's trip, an account problem —
    /// (and its webhook event, in the same write); refused unless it is still Active since
    /// `active_since` (a pause and resume in between started a new window).
    async fn pause_with_reason(
        &self,
        c: &CampaignRef,
        active_since: Option<DateTime<Utc>>,
        reason: &domain::guardrails::PauseReason,
        event: Option<&domain::webhooks::Event>,
    ) -> Result<(), WriteError>;
}

/// A campaign's counters: status counts, pacing state, the quiet hint.
#[async_trait]
pub trait Counters: Send + Sync {
    /// The counters (strongly consistent).
    async fn counters(&self, c: &CampaignRef) -> Result<CampaignCounters, StoreError>;
    /// The campaign (if the tenant has it) and its counters, in one request.
    async fn campaign_with_counters(
        &self,
        c: &CampaignRef,
    ) -> Result<(Option<CampaignRecord>, CampaignCounters), StoreError>;
    /// Adds freshly imported leads to the Pending count.
    async fn add_imported(&self, c: &CampaignRef, count: i64) -> Result<(), StoreError>;
    /// Drops rolling-hour minutes wholly more than an hour old; returns the starts dropped.
    async fn roll_hour_window(
        &self,
        c: &CampaignRef,
        counters: &CampaignCounters,
        now: DateTime<Utc>,
    ) -> Result<i64, WriteError>;
    /// Keeps the guardrails' snapshots: adds `add`, drops those taken at `drop`.
    async fn keep_health(
        &self,
        c: &CampaignRef,
        add: Option<domain::guardrails::HealthSnapshot>,
        drop: &[DateTime<Utc>],
    ) -> Result<(), StoreError>;
    /// Leaves a quiet hint: nothing in due shard `s` due before `until[s]`, as of `changes`.
    async fn leave_quiet_hint(
        &self,
        c: &CampaignRef,
        until: &[DateTime<Utc>],
        changes: i64,
    ) -> Result<(), StoreError>;
}

/// Which of a lead's attempt records to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordsWanted {
    /// Every finished attempt's (a lead's page, its export, its erasure).
    All,
    /// One attempt's (a report about it).
    Attempt(u8),
}

/// The attempt records of leads: each finished attempt's record (its clearance, what the
/// provider and the agent reported) is an item of its own, written in the transaction that
/// closes or amends the attempt, so the lead item keeps only what dialing needs and stays the
/// same size however much agents report. Reads that show or export attempts attach them;
/// the dial path never reads them.
#[async_trait]
pub trait AttemptRecords: Send + Sync {
    /// Reads the records `which` names of each of `leads` (one batched read per hundred) and
    /// puts them in each lead's `state.log`, oldest first, beside any the lead item still
    /// carried from before records were items of their own.
    async fn attach_records(
        &self,
        campaign: &CampaignRef,
        leads: &mut [Lead],
        which: RecordsWanted,
    ) -> Result<(), StoreError>;
}

/// A campaign's leads. Every transition write also writes the attempt records in the new
/// state's `log` (see [`AttemptRecords`]).
#[async_trait]
pub trait Leads: AttemptRecords + Send + Sync {
    /// The lead (strongly consistent); one whose item does not decode is set aside and reads
    /// as absent.
    async fn get_lead(&self, lead: &LeadRef) -> Result<Option<Lead>, StoreError>;
    /// A page of a campaign's leads, optionally of one status, with where the next page starts;
    /// without their attempt records (callers that show history attach them:
    /// [`AttemptRecords::attach_records`]), so screening a page costs no record reads.
    async fn list_leads(
        &self,
        campaign: &CampaignRef,
        status: Option<LeadStatus>,
        cursor: Option<LeadCursor>,
        limit: usize,
    ) -> Result<(Vec<Lead>, Option<LeadCursor>), StoreError>;
    /// Every lead of a campaign, with its attempt records.
    async fn all_leads(&self, campaign: &CampaignRef) -> Result<Vec<Lead>, StoreError>;
    /// Writes each new lead unless one with the same id (same number) exists in the campaign,
    /// up to `concurrency` writes at a time; one outcome per lead, in order. An existing lead
    /// is never overwritten, so re-importing never resets progress.
    async fn insert_leads(
        &self,
        campaign: &CampaignRef,
        leads: &[Lead],
        concurrency: usize,
    ) -> Result<Vec<InsertOutcome>, StoreError>;
    /// Writes one transition with its counters and guards, all or nothing.
    async fn write_transition(&self, write: LeadWrite<'_>) -> Result<(), WriteError>;
    /// The tenant's calls to `number` over all its campaigns (its ledger), with the version a
    /// claim that adds one must still find.
    async fn number_calls(
        &self,
        tenant: &TenantId,
        number: &E164,
    ) -> Result<NumberCalls, StoreError>;
}

/// The due index: which leads need the tick.
#[async_trait]
pub trait DueLeads: Send + Sync {
    /// Leads due for `kind` at `now`, as many as `batch` says, shards visited from
    /// `first_shard`.
    async fn due_leads(
        &self,
        campaign: &CampaignRef,
        kind: DueKind,
        now: DateTime<Utc>,
        batch: DueBatch,
        first_shard: u8,
    ) -> Result<Vec<Lead>, StoreError>;
    /// The leads a read of the due index asks for, with how far each shard was read.
    async fn scan_due(
        &self,
        campaign: &CampaignRef,
        read: DueRead<'_>,
    ) -> Result<DueScan, StoreError>;
}

/// Import jobs and their checkpoints.
#[async_trait]
pub trait Imports: Send + Sync {
    /// Writes an import job: new (`expected_version` None) or replacing the version read.
    async fn put_import(
        &self,
        record: &ImportRecord,
        expected_version: Option<u64>,
    ) -> Result<(), WriteError>;
    /// Reads an import job.
    async fn get_import(
        &self,
        campaign: &CampaignRef,
        id: &ImportId,
    ) -> Result<Option<ImportRecord>, StoreError>;
    /// A campaign's import jobs, newest first.
    async fn list_imports(&self, campaign: &CampaignRef) -> Result<Vec<ImportRecord>, StoreError>;
    /// Commits a chunk: the new checkpoint and `imported` new Pending leads, together, on the
    /// condition that the job is still at `expected_version`.
    async fn commit_import_chunk(
        &self,
        record: &ImportRecord,
        expected_version: u64,
        imported: i64,
    ) -> Result<(), WriteError> {
        self.commit_import_chunk_telling(record, expected_version, imported, None)
            .await
    }
    /// The same, recording the import's webhook event (its end) in the same transaction.
    async fn commit_import_chunk_telling(
        &self,
        record: &ImportRecord,
        expected_version: u64,
        imported: i64,
        event: Option<&domain::webhooks::Event>,
    ) -> Result<(), WriteError>;
    /// [`Imports::put_import`] replacing the version read, recording the import's webhook
    /// event (its end) in the same transaction.
    async fn put_import_telling(
        &self,
        record: &ImportRecord,
        expected_version: u64,
        event: &domain::webhooks::Event,
    ) -> Result<(), WriteError>;
}

/// A tenant's Do-Not-Call list.
#[async_trait]
pub trait DoNotCall: Send + Sync {
    /// Adds a number (idempotent). `source` says why: `api`, `csv`, `opt_out`.
    async fn add_dnc(
        &self,
        tenant: &TenantId,
        number: &E164,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Adds many numbers; returns those still unwritten after every retry (never reported
    /// as added).
    async fn add_dnc_many(
        &self,
        tenant: &TenantId,
        numbers: &[E164],
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<E164>, StoreError>;
    /// Removes a number and records who removed it and when, in one transaction. Idempotent:
    /// a number not on the list is not recorded again (`None`).
    async fn remove_dnc(
        &self,
        tenant: &TenantId,
        number: &E164,
        removed_by: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DncRemoval>, StoreError>;
    /// The tenant's most recent removals, newest first.
    async fn dnc_removals(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<DncRemoval>, StoreError>;
    /// Which of `numbers` are on the list.
    async fn dnc_among(
        &self,
        tenant: &TenantId,
        numbers: &[E164],
    ) -> Result<HashSet<E164>, StoreError>;
    /// A page of the list in number order after `after`, with the number to continue after.
    async fn list_dnc(
        &self,
        tenant: &TenantId,
        after: Option<&E164>,
        limit: usize,
    ) -> Result<(Vec<DncEntry>, Option<E164>), StoreError>;
}

/// What the operators allow a tenant: its caller ids and the countries it may call.
#[async_trait]
pub trait TenantPolicies: Send + Sync {
    /// Replaces the tenant's caller numbers and allowed countries; false if no such tenant.
    async fn set_tenant_policy(
        &self,
        tenant: &TenantId,
        caller_numbers: &[E164],
        allowed_countries: &[String],
    ) -> Result<bool, StoreError>;
    /// Replaces the tenant's caps on calls per number; false if no such tenant.
    async fn set_contact_caps(
        &self,
        tenant: &TenantId,
        caps: ContactCaps,
    ) -> Result<bool, StoreError>;
    /// Replaces the tenant's retention (days after a campaign ends that its leads are kept;
    /// none: kept); false if no such tenant.
    async fn set_retention(&self, tenant: &TenantId, days: Option<u16>)
    -> Result<bool, StoreError>;
}

/// A tenant's caller numbers as the dialers use them: each number's days (calls, answers, talk
/// time; the calls counted by the claims, see [`super::CallerUseGuard`]) and its rests.
#[async_trait]
pub trait CallerNumbers: Send + Sync {
    /// The figures of `numbers` on the UTC day `day` (a number with no call that day: zeros).
    async fn caller_days(
        &self,
        tenant: &TenantId,
        numbers: &[E164],
        day: chrono::NaiveDate,
    ) -> Result<Vec<(E164, domain::caller_health::NumberDay)>, StoreError>;
    /// Rests `number`, with `event` recorded in the same write. `unless_resting`: not if it
    /// already rests at the rest's start (the health rule rests a number once). False when
    /// not written (no such tenant, or already resting).
    async fn rest_caller_number(
        &self,
        tenant: &TenantId,
        number: &E164,
        rest: &domain::caller_health::NumberRest,
        unless_resting: bool,
        event: Option<&domain::webhooks::Event>,
    ) -> Result<bool, StoreError>;
    /// Ends a rest; false when the number was not resting.
    async fn restore_caller_number(
        &self,
        tenant: &TenantId,
        number: &E164,
    ) -> Result<bool, StoreError>;
    /// Creates or replaces the named pool `name`, unless that would make the tenant keep more
    /// than `max_pools` pools (false: not written).
    async fn put_caller_pool(
        &self,
        tenant: &TenantId,
        name: &str,
        pool: &domain::caller_pool::CallerPool,
        max_pools: usize,
    ) -> Result<bool, StoreError>;
    /// Removes the named pool; false when there was none.
    async fn remove_caller_pool(&self, tenant: &TenantId, name: &str) -> Result<bool, StoreError>;
}

/// Per-tenant request budgets: one shared API must not let one tenant's burst starve the rest.
#[async_trait]
pub trait RateLimits: Send + Sync {
    /// Takes one request from the tenant's budget of `limit` for the second `epoch_second`;
    /// false when that second's budget is spent.
    async fn take_request(
        &self,
        tenant: &TenantId,
        epoch_second: i64,
        limit: u32,
    ) -> Result<bool, StoreError>;
}

/// Which tenants are dialing on a provider account, and how much each weighs: what the
/// dialers divide the account's calls per second by (`domain::fair_share`). A mark runs out by
/// itself, so a tenant that stops dialing stops holding a share without anyone clearing it.
#[async_trait]
pub trait AccountDemand: Send + Sync {
    /// Records that `tenant`, weighing `weight`, is dialing on `account` until `until` (a later
    /// mark replaces an earlier one).
    async fn mark_dialing(
        &self,
        account: &str,
        tenant: &TenantId,
        weight: u32,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The tenants whose mark on `account` has not run out at `now`, with their weights.
    async fn dialing_on(
        &self,
        account: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<(TenantId, u32)>, StoreError>;
}

/// Whether `number` is on the tenant's list (strongly consistent: one key of `dnc_among`).
pub async fn is_dnc<S: DoNotCall + ?Sized>(
    store: &S,
    tenant: &TenantId,
    number: &E164,
) -> Result<bool, StoreError> {
    Ok(store
        .dnc_among(tenant, std::slice::from_ref(number))
        .await?
        .contains(number))
}

/// Export jobs.
#[async_trait]
pub trait Exports: Send + Sync {
    /// Records a new export job; refused if the id exists.
    async fn create_export(&self, record: &ExportRecord) -> Result<(), WriteError>;
    /// Saves an export job's progress.
    async fn save_export(&self, record: &ExportRecord) -> Result<(), WriteError>;
    /// Saves an export job with its webhook event (`export.ready`), in one transaction.
    async fn save_export_telling(
        &self,
        record: &ExportRecord,
        event: &domain::webhooks::Event,
    ) -> Result<(), WriteError>;
    /// Reads an export job.
    async fn get_export(
        &self,
        campaign: &CampaignRef,
        id: &ExportId,
    ) -> Result<Option<ExportRecord>, StoreError>;
}

/// What reporting reads and reconciliation repairs: hourly analytics, counters rewritten from
/// the leads, the last reconciliation.
#[async_trait]
pub trait Reports: Send + Sync {
    /// A campaign's hourly items, oldest first.
    async fn hourly_counters(&self, campaign: &CampaignRef) -> Result<Vec<HourTally>, StoreError>;
    /// Overwrites one hour's item.
    async fn put_hourly_counters(
        &self,
        campaign: &CampaignRef,
        hour: &HourTally,
    ) -> Result<(), StoreError>;
    /// Replaces the counters with `new` if every one still holds its value in `expected`.
    async fn replace_counters(
        &self,
        campaign: &CampaignRef,
        expected: &Tally,
        new: &Tally,
    ) -> Result<(), WriteError>;
    /// Stores a campaign's last reconciliation report.
    async fn put_reconcile_report(
        &self,
        campaign: &CampaignRef,
        report: &super::ReconcileReport,
    ) -> Result<(), StoreError>;
    /// A campaign's last reconciliation report.
    async fn reconcile_report(
        &self,
        campaign: &CampaignRef,
    ) -> Result<Option<super::ReconcileReport>, StoreError>;
}

/// Items set aside because they no longer decode (one bad item blocks nothing).
#[async_trait]
pub trait Quarantine: Send + Sync {
    /// The items set aside under a campaign or a tenant, oldest key first.
    async fn quarantined(
        &self,
        owner: QuarantineOwner<'_>,
    ) -> Result<Vec<QuarantinedItem>, StoreError>;
}

/// A campaign's leads shard by shard, for the jobs that read them all (export,
/// reconciliation): a round of shards can be read at once.
#[async_trait]
pub trait LeadPages: Send + Sync {
    /// The leads after `after` in one shard of the campaign (with `status`: of that status),
    /// at most `want`, in id order.
    async fn lead_shard_page(
        &self,
        campaign: &CampaignRef,
        status: Option<domain::status::LeadStatus>,
        shard: u8,
        after: Option<String>,
        want: usize,
    ) -> Result<super::ShardPage, StoreError>;
}
