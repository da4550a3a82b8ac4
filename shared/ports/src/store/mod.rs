//! The store port: one repository per aggregate ([`repos`]), the values they exchange, and
//! the errors. Implemented by the DynamoDB store in the adapters crate.

mod access;
mod counters;
mod due;
mod erasure;
mod errors;
mod jobs;
mod listing;
mod records;
mod registries;
mod repos;
mod transition;
mod webhooks;

pub use access::{ApiKeyRecord, TenantRecord, home_country_only};
pub use jobs::{
    Drift, ExportKind, ExportRecord, ExportStatus, ImportFormat, ImportRecord, ImportStatus,
    ReconcileReport,
};
pub use listing::{
    DncEntry, DncRemoval, InsertOutcome, LeadCursor, QuarantineOwner, QuarantinedItem, ShardPage,
};

pub use counters::{CampaignCounters, QuietHint};
pub use due::{DueBatch, DueRead, DueScan, ShardRead};
pub use erasure::{Erasures, NumberForgotten, Retention};
pub use errors::{Refusal, StoreError, WriteError};
pub use records::{AgentRecord, CampaignRecord, NewCampaign};
pub use registries::{ExtractRecord, ExtractStatus, Registries};
pub use repos::is_dnc;
pub use repos::{
    AccountDemand, Agents, AttemptRecords, CallerNumbers, CampaignStatuses, Campaigns, Counters,
    DoNotCall, DueLeads, Exports, Imports, LeadPages, Leads, Quarantine, RateLimits, RecordsWanted,
    Reports, TenantPolicies, Tenants,
};
pub use transition::{
    CallerOutcome, CallerUseGuard, CpsGuard, Guards, HourlyIncrement, LeadWrite, NumberCallGuard,
    NumberCallRelease, NumberCalls, PacingGuard,
};
pub use webhooks::{
    DeliveryRecord, EndpointRecord, PreviousSecret, WebhookDeliveries, WebhookEndpoints,
    WebhookEvents, WebhookJob, Webhooks,
};

/// Leads of a campaign are spread over this many partitions (and due-index shards), so a
/// large import or a busy campaign stays below DynamoDB's per-partition limit of 1,000 writes
/// per second (4,000 lead writes per second per campaign), while a tick that finds nothing due
/// costs only this many small queries. Part of the port because the tick's quiet hint and
/// round-robin are per shard.
pub const LEAD_SHARDS: u8 = 4;
