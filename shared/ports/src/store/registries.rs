//! Extracts of government do-not-call registries a tenant uploads, and the numbers they list.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::TenantId;
use domain::phone::E164;
use domain::registry::{Registry, RegistryExtract};
use serde::{Deserialize, Serialize};

use super::{StoreError, WriteError};

/// Where an extract's upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtractStatus {
    /// Waiting for the file at its upload URL.
    AwaitingUpload,
    /// Its numbers are being loaded.
    Loading,
    /// Every line was read: its numbers block calls, and it is the tenant's newest extract of
    /// the registry unless a later download was loaded.
    Loaded,
    /// The file was refused whole (too large, or no number in it).
    Refused,
}

/// An upload of a registry extract, with its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractRecord {
    /// The tenant.
    pub tenant: TenantId,
    /// The registry.
    pub registry: Registry,
    /// The upload's id.
    pub id: String,
    /// The day the tenant downloaded it from the registry.
    pub downloaded_on: NaiveDate,
    /// Where it is.
    pub status: ExtractStatus,
    /// Bytes of the file read and loaded so far (the checkpoint).
    #[serde(default)]
    pub offset: u64,
    /// The uploaded version's entity tag, once reading started (a replaced file is not mixed in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Lines read so far.
    #[serde(default)]
    pub lines: u64,
    /// Numbers loaded so far.
    #[serde(default)]
    pub numbers: u64,
    /// Lines that were not a number of the registry's country.
    #[serde(default)]
    pub bad_lines: u64,
    /// The first bad lines' numbers (at most ten), to find them in the file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first_bad_lines: Vec<u64>,
    /// Why the file was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When its last number was loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loaded_at: Option<DateTime<Utc>>,
}

impl ExtractRecord {
    /// A new upload of `registry`'s extract downloaded on `downloaded_on`, waiting for its file.
    pub fn awaiting_upload(
        tenant: TenantId,
        registry: Registry,
        id: impl Into<String>,
        downloaded_on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            tenant,
            registry,
            id: id.into(),
            downloaded_on,
            status: ExtractStatus::AwaitingUpload,
            offset: 0,
            etag: None,
            lines: 0,
            numbers: 0,
            bad_lines: 0,
            first_bad_lines: Vec::new(),
            refusal: None,
            created_at: now,
            loaded_at: None,
        }
    }

    /// The bucket key its file is uploaded to. Under `imports/` so the bucket's notification
    /// brings it to the importer; `.registries` is no tenant id, so no campaign import's key.
    pub fn upload_key(&self) -> String {
        format!(
            "imports/.registries/{}/{}/{}",
            self.tenant,
            self.registry.code(),
            self.id
        )
    }

    /// What the tenant's record keeps of it once loaded.
    pub fn as_loaded(&self) -> Option<RegistryExtract> {
        Some(RegistryExtract {
            id: self.id.clone(),
            downloaded_on: self.downloaded_on,
            numbers: self.numbers,
            loaded_at: self.loaded_at?,
        })
    }
}

/// A tenant's registry extracts and the numbers they list (`RG#{tenant}#{registry}#{shard}`),
/// read at dial time by the claim's transaction (one key a number).
#[async_trait]
pub trait Registries: Send + Sync {
    /// Records a new upload; refused if the id is taken.
    async fn create_extract(&self, record: &ExtractRecord) -> Result<(), WriteError>;

    /// One upload.
    async fn get_extract(
        &self,
        tenant: &TenantId,
        registry: Registry,
        id: &str,
    ) -> Result<Option<ExtractRecord>, StoreError>;

    /// The tenant's uploads, newest first, at most `limit`.
    async fn list_extracts(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<ExtractRecord>, StoreError>;

    /// Writes `numbers` as listed by the registry until `expires_at` (idempotent: a number
    /// written again keeps the later expiry).
    async fn load_registry_numbers(
        &self,
        tenant: &TenantId,
        registry: Registry,
        numbers: &[E164],
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Saves the upload's progress, on the condition that its checkpoint is still
    /// `previous_offset` (two runs never both advance it). A loaded upload also becomes the
    /// tenant's newest extract of its registry, unless a later download is already.
    async fn save_extract(
        &self,
        record: &ExtractRecord,
        previous_offset: u64,
    ) -> Result<(), WriteError>;
}
