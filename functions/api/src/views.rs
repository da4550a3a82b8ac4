//! Response bodies. They show what a client needs and nothing internal (no lease tokens, no
//! versions of internal state, no keys).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::config::{BlackoutSpec, CampaignSpec};
use domain::lead::Lead;
use domain::status::{CampaignStatus, LeadStatus};
use ports::store::{AgentRecord, CampaignRecord, ImportRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An agent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgentView {
    pub id: String,
    /// 1-200 characters.
    pub name: String,
    /// Inbound, outbound or hybrid.
    pub mode: domain::agent::AgentMode,
    /// The voice provider: `simulator`, `twilio`, `retell`, `vapi` or `http`.
    pub provider: String,
    /// The caller id, normalized to E.164.
    pub caller_number: String,
    /// The rest of its caller pool, E.164 (absent: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub caller_pool: Vec<domain::agent::CallerNumberText>,
    /// The tenant's named pool it calls from instead (its numbers, limits and health rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_pool: Option<String>,
    /// Calls each of its numbers may start per UTC hour and day.
    pub caller_limits: domain::caller_limits::CallerLimits,
    /// When one of its pool's numbers rests.
    pub caller_health: domain::caller_health::HealthRule,
    /// The agent's reference on the provider.
    pub provider_agent_ref: String,
    /// What the agent says when leaving a voicemail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail_message: Option<String>,
    /// The voice the voicemail message is spoken in, where the engine speaks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// The language of the voicemail message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Bumped by every change.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<AgentRecord> for AgentView {
    fn from(r: AgentRecord) -> Self {
        Self {
            id: r.id.to_string(),
            name: r.spec.name,
            mode: r.spec.mode,
            provider: r.spec.provider,
            caller_number: r.spec.caller_number,
            caller_pool: r.spec.caller_pool,
            named_pool: r.spec.named_pool,
            caller_limits: r.spec.caller_limits.unwrap_or_default(),
            caller_health: r.spec.caller_health.unwrap_or_default(),
            provider_agent_ref: r.spec.provider_agent_ref,
            voicemail_message: r.spec.voicemail_message,
            voice: r.spec.voice,
            language: r.spec.language,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Every agent of the tenant.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgentList {
    /// Agents.
    pub items: Vec<AgentView>,
}

/// A campaign.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignView {
    pub id: String,
    /// Lifecycle status.
    pub status: CampaignStatus,
    /// Bumped by every configuration change.
    pub config_version: u64,
    /// The configuration (normalized, defaults filled in).
    pub config: CampaignSpec,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Why a guardrail paused it (absent unless a guardrail did; resume clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_reason: Option<domain::guardrails::PauseReason>,
    /// When its leads expire (its end plus the tenant's retention; absent: they are kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_data_until: Option<DateTime<Utc>>,
}

impl From<CampaignRecord> for CampaignView {
    fn from(r: CampaignRecord) -> Self {
        Self {
            id: r.id.to_string(),
            status: r.status,
            config_version: r.config_version,
            config: r.config.spec().clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            pause_reason: r.pause_reason,
            personal_data_until: r.personal_data_until,
        }
    }
}

/// A page of campaigns.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignPage {
    /// Campaigns.
    pub items: Vec<CampaignView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// One finished call attempt.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    /// 1-based.
    pub attempt: u8,
    pub started_at: DateTime<Utc>,
    /// Outcome applied.
    pub ended_at: DateTime<Utc>,
    /// How it ended.
    pub outcome: domain::retry::Outcome,
    /// Talk time.
    pub duration_seconds: u32,
    /// The provider's call id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_call_id: Option<String>,
    /// The agent's disposition (its report's, else the provider's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    /// The agent's result fields (agent report API).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub results: BTreeMap<String, String>,
    /// The agent reported an opt-out on this call.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opted_out: bool,
    /// The callback time the agent reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_at: Option<DateTime<Utc>>,
    /// The agent asked for a transfer, and whether the call was transferred.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transfer_requested: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transferred: bool,
    /// What allowed the call: the rules' version, each zone's local time and the window and
    /// legal ranges it fell in, when the Do-Not-Call list was checked, the consent evidence,
    /// the calls in the 24 hours before against the cap, the caller number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clearance: Option<domain::clearance::CallClearance>,
    /// The provider's machine-detection verdict (`human`, `machine_end_beep`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    /// Lead fields the provider could not carry to the agent (its size limit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields_left_out: Vec<String>,
}

/// A lead.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeadView {
    /// Id (derived from the campaign and the number).
    pub id: String,
    /// E.164.
    pub phone: String,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Explicit IANA zone from the CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Address state from the CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Consent from the CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<bool>,
    /// Where the consent was given, from the CSV (evidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_source: Option<String>,
    /// When the consent was given, from the CSV (evidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_at: Option<DateTime<Utc>>,
    /// The consent the row gives (its `consent_type`, else `express` for a plain yes).
    pub consent_type: domain::lead::ConsentType,
    /// For written consent, the agreement's reference, from the CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_reference: Option<String>,
    /// Custom fields for the agent.
    pub custom: BTreeMap<String, String>,
    pub status: LeadStatus,
    /// Attempts started.
    pub attempts: u8,
    /// When it may next be called (Pending/Scheduled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_call_at: Option<DateTime<Utc>>,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<domain::lead::SkipReason>,
    /// The last outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_outcome: Option<domain::retry::Outcome>,
    /// The import it came from.
    pub import_id: String,
    /// Its line in that file.
    pub line: u64,
    /// Finished attempts, oldest first.
    pub calls: Vec<AttemptView>,
}

impl From<Lead> for LeadView {
    fn from(l: Lead) -> Self {
        let last_outcome = l.state.last_outcome();
        let consent_type = l.contact.consent_held();
        Self {
            id: l.id.to_string(),
            phone: l.contact.phone.to_string(),
            name: l.contact.name,
            email: l.contact.email,
            company: l.contact.company,
            timezone: l.contact.timezone.map(|z| z.name().to_owned()),
            state: l.contact.state.map(String::from),
            consent: l.contact.consent,
            consent_source: l.contact.consent_source,
            consent_at: l.contact.consent_at,
            consent_type,
            consent_reference: l.contact.consent_reference,
            custom: l.contact.custom,
            status: l.state.status,
            attempts: l.state.attempts,
            next_call_at: l
                .state
                .next_call_at
                .filter(|_| l.state.status.is_dialable()),
            skip_reason: l.state.skip_reason,
            last_outcome,
            import_id: l.source.import_id.to_string(),
            line: l.source.line,
            calls: l
                .state
                .log
                .into_iter()
                .map(|r| AttemptView {
                    disposition: r.shown_disposition().map(str::to_owned),
                    attempt: r.attempt,
                    started_at: r.started_at,
                    ended_at: r.ended_at,
                    outcome: r.outcome,
                    duration_seconds: r.duration_seconds,
                    provider_call_id: r.provider_call_id,
                    results: r.report.results,
                    opted_out: r.report.opt_out,
                    callback_at: r.report.callback_at,
                    transfer_requested: r.report.transfer,
                    transferred: r.transferred,
                    clearance: r.clearance,
                    answered_by: r.answered_by,
                    fields_left_out: r.fields_left_out,
                })
                .collect(),
        }
    }
}

/// A page of leads.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeadPage {
    /// Leads.
    pub items: Vec<LeadView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Where to upload a CSV.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadView {
    /// The import this upload becomes.
    pub import_id: String,
    /// Presigned URL.
    pub upload_url: String,
    /// Always `PUT`.
    pub method: String,
    /// Headers the upload must send.
    pub headers: BTreeMap<String, String>,
    /// The URL expires at.
    pub expires_at: DateTime<Utc>,
    /// The object's key in the bucket.
    pub object_key: String,
}

/// An import and its report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportView {
    pub id: String,
    /// `awaiting_upload`, `processing`, `completed`, `rejected` (the file was refused: see
    /// `refusal`) or `failed` (the import kept failing and was given up: see `refusal`).
    pub status: String,
    /// Rows read (excluding the header).
    pub rows_read: u64,
    /// Leads created.
    pub imported: u64,
    /// Rows rejected.
    pub rejected_total: u64,
    /// Rows rejected by reason code.
    pub rejected: BTreeMap<String, u64>,
    /// Rows imported after repairing spreadsheet damage, by repair.
    pub repaired: BTreeMap<String, u64>,
    /// Why the whole file was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// A URL to the rejected-rows CSV (line, original values, reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ImportView {
    /// The view of a record, with a report URL if there is a report.
    pub fn new(r: ImportRecord, report_url: Option<String>) -> Self {
        let status = serde_json::to_value(r.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        Self {
            id: r.id.to_string(),
            status,
            rows_read: r.rows_read,
            imported: r.imported,
            rejected_total: r.rejected_total(),
            rejected: r.rejected,
            repaired: r.repaired,
            refusal: r.refusal,
            report_url,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A campaign's imports, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportList {
    /// Imports.
    pub items: Vec<ImportView>,
}

/// A stored item set aside because it cannot be read back: it blocks nothing, and is listed
/// here until an operator repairs or removes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuarantinedView {
    /// `lead`, `import`, `campaign`, `agent` or `dnc`.
    pub kind: String,
    /// The item's table key (`pk/sk`).
    pub key: String,
    /// Why it cannot be read.
    pub reason: String,
    /// When it was first met (RFC 3339).
    pub found_at: String,
}

/// Items set aside.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuarantineList {
    /// The items, by key.
    pub items: Vec<QuarantinedView>,
}

impl From<ports::store::QuarantinedItem> for QuarantinedView {
    fn from(q: ports::store::QuarantinedItem) -> Self {
        Self {
            kind: q.kind,
            key: q.key,
            reason: q.reason,
            found_at: q.found_at,
        }
    }
}

/// A number on the Do-Not-Call list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DncView {
    /// E.164.
    pub number: String,
    /// `api`, `csv` or `opt_out`.
    pub source: String,
    /// When it was added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_at: Option<String>,
}

/// A page of the list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DncPage {
    /// Numbers.
    pub items: Vec<DncView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Whether a number is on the list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DncCheck {
    /// E.164.
    pub number: String,
    pub on_list: bool,
}

/// A number taken off the list, and who took it off.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DncRemovalView {
    /// The number (E.164).
    pub number: String,
    /// How it had got on the list: `api`, `csv` or `opt_out`.
    pub source: String,
    /// Who removed it: `key:{api key id}`, or `admin` for the operators' command.
    pub removed_by: String,
    pub removed_at: DateTime<Utc>,
}

impl From<ports::store::DncRemoval> for DncRemovalView {
    fn from(r: ports::store::DncRemoval) -> Self {
        Self {
            number: r.number.to_string(),
            source: r.source,
            removed_by: r.removed_by,
            removed_at: r.removed_at,
        }
    }
}

/// Recent removals from the list, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DncRemovalList {
    pub items: Vec<DncRemovalView>,
}

/// A row of a CSV that was not accepted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RowRejection {
    /// 1-based line in the file.
    pub line: u64,
    /// The value as given.
    pub value: String,
    /// Reason code.
    pub reason: String,
}

/// Most entries of each list a bulk answer carries (the counts are always whole), so a 5 MB
/// file of bad rows cannot make a response larger than the request.
pub const BULK_LIST_LIMIT: usize = 1_000;

/// Most numbers one bulk DNC upload adds. A tenant's list is one DynamoDB partition key, and one
/// partition takes about 1,000 writes a second: 10,000 numbers are about ten seconds of writes,
/// inside API Gateway's 29-second limit with room for throttled retries. A longer list is sent
/// in files of this size (each is idempotent: a number already there is written again).
pub const MAX_BULK_DNC_NUMBERS: usize = 10_000;

/// What a bulk upload did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulkDncResult {
    /// Numbers added (duplicates within the file counted once).
    pub added: u64,
    /// Valid numbers the store did not take even after retries with backoff (throttling):
    /// they are NOT on the list; send them again. Empty when every number was added. The
    /// first 1,000; `not_added_total` counts them all.
    pub not_added: Vec<String>,
    /// How many numbers were not added.
    pub not_added_total: u64,
    /// Rows refused: the first 1,000; `rejected_total` counts them all.
    pub rejected: Vec<RowRejection>,
    /// How many rows were refused.
    pub rejected_total: u64,
}

/// One lead of a preview.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreviewItem {
    /// The lead.
    #[serde(flatten)]
    pub lead: LeadView,
    /// Every zone it may be in.
    pub zones: Vec<String>,
    /// Its local time now, in its first zone (RFC 3339 with offset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_time: Option<String>,
}

/// The first leads of a campaign.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreviewView {
    /// Leads.
    pub items: Vec<PreviewItem>,
}

/// One lead of a dry run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DryRunItem {
    /// Lead id.
    pub id: String,
    /// E.164.
    pub phone: String,
    /// Every zone it may be in.
    pub zones: Vec<String>,
    /// When it would first be dialed (UTC), if it can be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_dial_at: Option<DateTime<Utc>>,
    /// The same instant in the lead's (first) local zone, RFC 3339 with offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_dial_local: Option<String>,
    /// Why it cannot be dialed: `do_not_call`, `no_consent`, `no_consent_evidence`, `window_never_opens`,
    /// `unknown_time_zone`, `campaign_ended`, or its final status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
    /// Its first dial waits for a blackout day to pass (without the blackout dates it would
    /// be dialed earlier).
    #[serde(default)]
    pub held_by_blackout: bool,
}

/// A dry run: a sample's first dial times and the campaign's projected completion.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DryRunView {
    /// Leads sampled.
    pub sample_size: usize,
    /// Per lead.
    pub items: Vec<DryRunItem>,
    /// Leads not yet final.
    pub open_leads: i64,
    /// Dial attempts per hour the pacing allows (assuming 3-minute calls).
    pub attempts_per_hour: f64,
    /// When the open leads would all have been called once, at that pace, counting only hours
    /// the window is open (in the sample's most common zone). Absent if never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projected_completion_at: Option<DateTime<Utc>>,
    /// The campaign's blackout days still ahead (in some contact's local date), as configured.
    #[serde(default)]
    pub blackout_ahead: Vec<BlackoutSpec>,
}
