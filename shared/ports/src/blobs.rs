//! The data bucket: uploaded CSVs, import reports, exports. Presigned URLs let clients move
//! bytes without passing them through a function; large objects are written in parts, with at
//! most one part in memory.

use std::time::Duration;

use async_trait::async_trait;

use crate::BoxError;

/// Why a bucket request failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The request failed (the adapter's error is the source).
    #[error("the bucket request failed")]
    Failed(#[source] BoxError),
    /// A presigning configuration was refused (expiry or length out of range).
    #[error("cannot presign: {0}")]
    Presign(String),
}

/// The bucket.
#[async_trait]
pub trait Blobs: Send + Sync {
    /// A URL that lets its holder PUT `key` (with `content_type`) of exactly `content_length`
    /// bytes until it expires.
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<String, BlobError>;
    /// A URL that lets its holder GET `key` until it expires (as a download named after the
    /// key's last part).
    async fn presign_get(&self, key: &str, expires_in: Duration) -> Result<String, BlobError>;
    /// Writes a small object whole.
    async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), BlobError>;
    /// Starts writing `key` in parts: nothing is visible under it until the upload finishes.
    async fn upload(&self, key: &str, content_type: &str)
    -> Result<Box<dyn BlobUpload>, BlobError>;
    /// Deletes `key` (no error if it is already gone; the bucket keeps no older versions).
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
}

/// An object being written in parts.
#[async_trait]
pub trait BlobUpload: Send {
    /// Appends bytes (a part is sent whenever one is full).
    async fn write(&mut self, bytes: &[u8]) -> Result<(), BlobError>;
    /// Bytes written so far.
    fn bytes(&self) -> u64;
    /// Sends what is left and makes the object visible; answers its size.
    async fn finish(self: Box<Self>) -> Result<u64, BlobError>;
    /// Gives the upload up.
    async fn abort(self: Box<Self>);
}

/// What a stored object is: its length and the tag of the version read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHead {
    /// Bytes.
    pub size: u64,
    /// The version's entity tag, when the bucket gives one.
    pub etag: Option<String>,
}

/// Reading the bucket: what the importer needs of an uploaded file, and of the report parts it
/// wrote.
#[async_trait]
pub trait BlobReads: Send + Sync {
    /// The object's length and version tag; `None` if there is no such object.
    async fn head(&self, key: &str) -> Result<Option<BlobHead>, BlobError>;
    /// The object's bytes from `offset` on, only if it is still the version tagged `if_match`
    /// (when given): `Ok(None)` when it was replaced since, so a changed file is never read.
    async fn read_from(
        &self,
        key: &str,
        offset: u64,
        if_match: Option<&str>,
    ) -> Result<Option<Box<dyn BlobBody>>, BlobError>;
    /// The keys under `prefix`, in key order.
    async fn keys_under(&self, prefix: &str) -> Result<Vec<String>, BlobError>;
}

/// An object's bytes, as they arrive.
#[async_trait]
pub trait BlobBody: Send {
    /// The next bytes; `None` at the end.
    async fn next_bytes(&mut self) -> Result<Option<Vec<u8>>, BlobError>;
}
