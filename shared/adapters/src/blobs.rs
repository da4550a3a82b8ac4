//! The data bucket: uploaded CSVs (`imports/`), import reports (`reports/`) and exports
//! (`exports/`). Presigned URLs let clients move bytes without passing them through Lambda.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::presigning::PresigningConfig;
use ports::blobs::{BlobBody, BlobError, BlobHead, BlobReads, BlobUpload, Blobs};

fn aws<E>(err: E) -> BlobError
where
    aws_sdk_s3::Error: From<E>,
{
    BlobError::Failed(Box::new(aws_sdk_s3::Error::from(err)))
}

/// The bucket, on S3.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Blobs {
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
}

#[async_trait]
impl BlobReads for S3Blobs {
    async fn head(&self, key: &str) -> Result<Option<BlobHead>, BlobError> {
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        match head {
            Ok(head) => Ok(Some(BlobHead {
                size: (head.content_length())
                    .and_then(|l| u64::try_from(l).ok())
                    .unwrap_or(0),
                etag: head.e_tag().map(str::to_owned),
            })),
            Err(err) if status_of(&err) == Some(404) => Ok(None),
            Err(err) => Err(aws(err)),
        }
    }

    async fn read_from(
        &self,
        key: &str,
        offset: u64,
        if_match: Option<&str>,
    ) -> Result<Option<Box<dyn BlobBody>>, BlobError> {
        let mut request = (self.client.get_object())
            .bucket(&self.bucket)
            .key(key)
            .set_if_match(if_match.map(str::to_owned));
        if offset > 0 {
            request = request.range(format!("bytes={offset}-"));
        }
        match request.send().await {
            Ok(out) => Ok(Some(Box::new(S3Body(out.body)))),
            // S3 answers 412 when the object is no longer the version asked for.
            Err(err) if status_of(&err) == Some(412) => Ok(None),
            Err(err) => Err(aws(err)),
        }
    }

    async fn keys_under(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let page = (self.client.list_objects_v2())
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(aws)?;
            keys.extend((page.contents().iter()).filter_map(|o| o.key().map(str::to_owned)));
            token = page.next_continuation_token;
            if token.is_none() {
                break;
            }
        }
        keys.sort();
        Ok(keys)
    }
}

/// The HTTP status S3 answered a failed request with, if it answered.
fn status_of<E>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

/// An object's body as S3 streams it.
struct S3Body(aws_sdk_s3::primitives::ByteStream);

#[async_trait]
impl BlobBody for S3Body {
    async fn next_bytes(&mut self) -> Result<Option<Vec<u8>>, BlobError> {
        let next = self.0.try_next().await;
        next.map(|b| b.map(|b| b.to_vec()))
            .map_err(|e| BlobError::Failed(Box::new(e)))
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    /// A URL that lets its holder PUT `key` (with `content_type`) of exactly `content_length`
    /// bytes until it expires: the length is a signed header, so S3 refuses any other size.
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<String, BlobError> {
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| BlobError::Presign(e.to_string()))?;
        let length = i64::try_from(content_length)
            .map_err(|_| BlobError::Presign(format!("content length {content_length}")))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length)
            .presigned(config)
            .await
            .map_err(aws)?;
        Ok(request.uri().to_owned())
    }

    /// A URL that lets its holder GET `key` until it expires. S3 answers it as an attachment
    /// named after the key's last part, so a browser following the link saves the file.
    async fn presign_get(&self, key: &str, expires_in: Duration) -> Result<String, BlobError> {
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| BlobError::Presign(e.to_string()))?;
        let file = key.rsplit('/').next().unwrap_or(key).replace('"', "");
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(format!("attachment; filename=\"{file}\""))
            .presigned(config)
            .await
            .map_err(aws)?;
        Ok(request.uri().to_owned())
    }

    /// Writes a small object whole.
    async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), BlobError> {
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

    async fn upload(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<Box<dyn BlobUpload>, BlobError> {
        Ok(Box::new(self.multipart(key, content_type).await?))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }
}

/// S3's smallest part of a multipart upload (except the last); parts are sent at this size.
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// Writes one object of any size with a multipart upload, holding at most one part in memory:
/// bytes are buffered and sent as a part whenever [`PART_BYTES`] accumulate. Nothing is
/// visible under the key until [`MultipartWriter::finish`]; an abandoned upload is aborted by
/// [`MultipartWriter::abort`] or, if the process died, by the bucket's lifecycle rule.
#[derive(Debug)]
pub struct MultipartWriter {
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    upload_id: String,
    buffer: Vec<u8>,
    parts: Vec<aws_sdk_s3::types::CompletedPart>,
    bytes: u64,
}

impl S3Blobs {
    /// Starts writing `key` in parts.
    pub async fn multipart(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<MultipartWriter, BlobError> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(aws)?;
        Ok(MultipartWriter {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: key.to_owned(),
            upload_id: out.upload_id.unwrap_or_default(),
            buffer: Vec::with_capacity(PART_BYTES + 64 * 1024),
            parts: Vec::new(),
            bytes: 0,
        })
    }
}

#[async_trait]
impl BlobUpload for MultipartWriter {
    /// Appends bytes; sends a part when one is full.
    async fn write(&mut self, bytes: &[u8]) -> Result<(), BlobError> {
        self.buffer.extend_from_slice(bytes);
        self.bytes += bytes.len() as u64;
        if self.buffer.len() >= PART_BYTES {
            self.send_part().await?;
        }
        Ok(())
    }

    /// Bytes written so far.
    fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Sends the last part and makes the object visible.
    async fn finish(mut self: Box<Self>) -> Result<u64, BlobError> {
        if !self.buffer.is_empty() || self.parts.is_empty() {
            self.send_part().await?;
        }
        let parts = std::mem::take(&mut self.parts);
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .multipart_upload(
                aws_sdk_s3::types::CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(aws)?;
        Ok(self.bytes)
    }

    /// Gives the upload up (its parts are deleted).
    async fn abort(self: Box<Self>) {
        let _ = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .send()
            .await;
    }
}

impl MultipartWriter {
    async fn send_part(&mut self) -> Result<(), BlobError> {
        let number = i32::try_from(self.parts.len() + 1).unwrap_or(i32::MAX);
        let body = std::mem::replace(&mut self.buffer, Vec::with_capacity(PART_BYTES + 64 * 1024));
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .part_number(number)
            .body(body.into())
            .send()
            .await
            .map_err(aws)?;
        self.parts.push(
            aws_sdk_s3::types::CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag)
                .build(),
        );
        Ok(())
    }
}
