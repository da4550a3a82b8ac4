//! Erasing a person's number from a tenant's data, and the leads' retention: the store's part (see
//! `engine::erasure` for the whole job, `domain::erasure` for the marker and the record).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::erasure::ErasureRecord;
use domain::ids::{CampaignRef, ErasureId, LeadId, LeadRef, TenantId};
use domain::lead::Lead;
use domain::phone::E164;

use super::{ExportRecord, StoreError, WriteError};

/// What [`Erasures::forget_number`] removed besides writing the marker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NumberForgotten {
    /// The plain entry on the tenant's DNC list.
    pub dnc_entry: bool,
    /// Entries of the DNC removal log naming the number.
    pub dnc_log_entries: u32,
    /// The number's call ledger.
    pub call_ledger: bool,
}

/// The erasures of a tenant (`ERASURE#{id}` on the tenant's partition) and the writes that
/// erase a number (`ERASED#{tenant}` / marker: checked by every claim, see
/// [`super::Guards::not_erased`]).
#[async_trait]
pub trait Erasures: Send + Sync {
    /// Records an erasure (a new one, or its progress).
    async fn put_erasure(&self, record: &ErasureRecord) -> Result<(), StoreError>;

    /// One erasure of the tenant's.
    async fn get_erasure(
        &self,
        tenant: &TenantId,
        id: &ErasureId,
    ) -> Result<Option<ErasureRecord>, StoreError>;

    /// Writes the number's `marker` (so no claim calls it again), then deletes every item
    /// keyed by the number: its plain DNC entry (no removal is logged), the removal log's
    /// entries naming it, its call ledger. Idempotent.
    async fn forget_number(
        &self,
        tenant: &TenantId,
        number: &E164,
        marker: &str,
    ) -> Result<NumberForgotten, StoreError>;

    /// Deletes a lead as `stored` (refused if it has moved since), taking it out of every
    /// count it is in, in the same transaction: its status, its attempts, talk time and
    /// outcomes, the live call's concurrency slot and provider line if it is in a call, its
    /// calls in the campaign's hourly analytics; and counting it as erased.
    async fn erase_lead(&self, lead: &LeadRef, stored: &Lead) -> Result<(), WriteError>;

    /// A campaign's exports, any status.
    async fn exports_of(&self, campaign: &CampaignRef) -> Result<Vec<ExportRecord>, StoreError>;
}

/// The leads' retention: their expiry (the table's TTL) and the campaign's record of it.
#[async_trait]
pub trait Retention: Send + Sync {
    /// Sets the leads' expiry (`expires_at`, the table's TTL: DynamoDB deletes them within
    /// days of it), and their attempt records' (each lead with its attempts started), or, with
    /// `None`, takes it off; an item already gone is skipped.
    async fn expire_leads(
        &self,
        campaign: &CampaignRef,
        leads: &[(LeadId, u8)],
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// Records on the campaign when its leads expire (`None`: they do not).
    async fn set_personal_data_until(
        &self,
        campaign: &CampaignRef,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
}
