//! The dial queue: SQS with per-message delays, which spread each minute's calls.

use async_trait::async_trait;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

pub use ::ports::queue::{MessageQueue, Outgoing, QueueError};

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

#[async_trait]
impl MessageQueue for SqsQueue {
    async fn send(&self, messages: Vec<Outgoing>) -> Result<(), QueueError> {
        let total = messages.len();
        let mut failed = 0;
        for chunk in messages.chunks(10) {
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
