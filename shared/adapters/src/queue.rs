//! The dial queue: SQS with per-message delays, which spread each minute's calls.

use async_trait::async_trait;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use ::ports::queue::{MessageQueue, Outgoing, QueueError};

/// An SQS queue.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
    /// Real seconds per virtual second of delay: 1.0 in the cloud; the local runner's speed
    /// divides delays so a faster virtual clock keeps calls spread the same way.
    delay_scale: f64,
}

impl SqsQueue {
    /// A queue at `url`.
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
            delay_scale: 1.0,
        }
    }

    /// Scales delays (the local runner's virtual clock).
    pub fn with_delay_scale(mut self, scale: f64) -> Self {
        self.delay_scale = scale.max(0.0);
        self
    }

    /// The queue URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SDK client.
    pub fn client(&self) -> &aws_sdk_sqs::Client {
        &self.client
    }
}

/// SQS's longest per-message delay.
const MAX_DELAY_SECONDS: f64 = 900.0;

/// SQS's limit on one SendMessageBatch: 10 entries and 256 KiB of payload in all.
const MAX_BATCH_ENTRIES: usize = 10;
const MAX_BATCH_BYTES: usize = 256 * 1024;

/// What an entry adds to a batch's payload besides its body (id, delay; generous).
const ENTRY_OVERHEAD_BYTES: usize = 64;

/// Splits `bodies` (their sizes in bytes) into consecutive batches that SQS accepts: at most
/// 10 entries and 256 KiB each. A body that cannot fit even alone is an error: no batch is
/// formed, so nothing of `bodies` is sent half.
fn batches(sizes: &[usize]) -> Result<Vec<std::ops::Range<usize>>, QueueError> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, size) in sizes.iter().enumerate() {
        let size = size + ENTRY_OVERHEAD_BYTES;
        if size > MAX_BATCH_BYTES {
            return Err(QueueError::Invalid(format!(
                "a message of {} bytes is over SQS's {MAX_BATCH_BYTES}",
                size - ENTRY_OVERHEAD_BYTES
            )));
        }
        if i - start == MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES {
            out.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    Ok(out)
}

#[async_trait]
impl MessageQueue for SqsQueue {
    async fn send(&self, messages: Vec<Outgoing>) -> Result<(), QueueError> {
        let total = messages.len();
        let mut failed = 0;
        let sizes: Vec<usize> = messages.iter().map(|m| m.body.len()).collect();
        for range in batches(&sizes)? {
            let chunk = &messages[range];
            let mut batch = self.client.send_message_batch().queue_url(&self.url);
            for (i, message) in chunk.iter().enumerate() {
                let delay = (message.delay.as_secs_f64() * self.delay_scale)
                    .round()
                    .min(MAX_DELAY_SECONDS);
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(&message.body)
                    .delay_seconds(delay as i32)
                    .build()
                    .map_err(|e| QueueError::Invalid(e.to_string()))?;
                batch = batch.entries(entry);
            }
            let out = batch
                .send()
                .await
                .map_err(|e| QueueError::Request(Box::new(aws_sdk_sqs::Error::from(e))))?;
            failed += out.failed.len();
        }
        if failed > 0 {
            return Err(QueueError::Partial { failed, total });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every message is in exactly one batch, in order, and every batch is one SQS accepts.
        #[test]
        fn batches_cover_every_message_within_sqs_limits(
            sizes in proptest::collection::vec(0usize..MAX_BATCH_BYTES - ENTRY_OVERHEAD_BYTES, 0..60)
        ) {
            let ranges = batches(&sizes).unwrap();
            let covered: Vec<usize> = ranges.iter().flat_map(|r| r.clone()).collect();
            prop_assert_eq!(covered, (0..sizes.len()).collect::<Vec<_>>());
            for r in ranges {
                prop_assert!(!r.is_empty() && r.len() <= MAX_BATCH_ENTRIES);
                let bytes: usize = sizes[r].iter().map(|s| s + ENTRY_OVERHEAD_BYTES).sum();
                prop_assert!(bytes <= MAX_BATCH_BYTES);
            }
        }
    }

    #[test]
    fn ten_large_dial_messages_are_split_instead_of_failing_the_tick() {
        // Leads stored with 64 KB of custom fields before the 8 KiB limit existed.
        let ranges = batches(&[40 * 1024; 10]).unwrap();
        assert_eq!(ranges, vec![0..6, 6..10]);
    }

    #[test]
    fn a_message_over_the_limit_alone_is_refused_before_anything_is_sent() {
        assert!(matches!(
            batches(&[10, MAX_BATCH_BYTES]),
            Err(QueueError::Invalid(_))
        ));
    }
}
