//! The data bucket: uploaded CSVs (`imports/`), import reports (`reports/`) and exports
//! (`exports/`). Presigned URLs let clients move bytes without passing them through Lambda.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;

/// Why a bucket request failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The request failed.
    #[error("S3 request failed")]
    Aws(#[source] Box<aws_sdk_s3::Error>),
    /// A presigning configuration was refused (expiry out of range).
    #[error("cannot presign: {0}")]
    Presign(String),
}

fn aws<E>(err: E) -> BlobError
where
    aws_sdk_s3::Error: From<E>,
{
    BlobError::Aws(Box::new(aws_sdk_s3::Error::from(err)))
}

/// The bucket.
#[derive(Debug, Clone)]
pub struct Blobs {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl Blobs {
    /// The bucket `bucket`.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The SDK client.
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// A URL that lets its holder PUT `key` (with `content_type`) until it expires.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        expires_in: Duration,
    ) -> Result<String, BlobError> {
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| BlobError::Presign(e.to_string()))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .presigned(config)
            .await
            .map_err(aws)?;
        Ok(request.uri().to_owned())
    }

    /// A URL that lets its holder GET `key` until it expires.
    pub async fn presign_get(&self, key: &str, expires_in: Duration) -> Result<String, BlobError> {
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| BlobError::Presign(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(aws)?;
        Ok(request.uri().to_owned())
    }

    /// Writes a small object whole.
    pub async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), BlobError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body.into())
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }
}
