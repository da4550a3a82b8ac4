//! Test doubles of the world: a queue that delivers every message several times, and
//! schedules that record deletions.

use std::time::Duration as StdDuration;

use adapters::queue::SqsQueue;
use ports::queue::{MessageQueue, Outgoing, QueueError};
use ports::schedules::{ScheduleError, Schedules};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::CampaignRef;

/// Multiplies every message (SQS delivers at least once; here always several times) and sends
/// them without delay: the harness keeps each message's delay in virtual time instead.
pub(super) struct CopyingQueue {
    pub(super) inner: SqsQueue,
    pub(super) copies: usize,
}

#[async_trait]
impl MessageQueue for CopyingQueue {
    async fn send(&self, messages: Vec<Outgoing>) -> Result<(), QueueError> {
        let copies = messages
            .into_iter()
            .flat_map(|m| {
                std::iter::repeat_n(
                    Outgoing {
                        body: m.body,
                        delay: StdDuration::ZERO,
                    },
                    self.copies,
                )
            })
            .collect();
        self.inner.send(copies).await
    }
}

/// Records schedule deletions (the runner's view of the Scheduler).
#[derive(Default)]
pub(super) struct RecordingSchedules(pub(super) std::sync::Mutex<Vec<CampaignRef>>);

#[async_trait]
impl Schedules for RecordingSchedules {
    async fn create(
        &self,
        _: &CampaignRef,
        _: Option<DateTime<Utc>>,
        _: Option<DateTime<Utc>>,
    ) -> Result<(), ScheduleError> {
        Ok(())
    }
    async fn set_enabled(&self, _: &CampaignRef, _: bool) -> Result<(), ScheduleError> {
        Ok(())
    }
    async fn delete(&self, campaign: &CampaignRef) -> Result<(), ScheduleError> {
        self.0.lock().unwrap().push(campaign.clone());
        Ok(())
    }
}
