//! Per-campaign EventBridge Scheduler schedules: one `rate(1 minute)` schedule per running
//! campaign, targeting the tick function with the campaign reference as input. Launch creates
//! it, pause disables it, resume enables it, completion and cancellation delete it.

use async_trait::async_trait;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target,
};
use chrono::{DateTime, Utc};
use domain::ids::CampaignRef;

use ::ports::schedules::{ScheduleError, Schedules, TickInput};

/// A schedule as stored (what the local runner fires).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleInfo {
    /// The schedule's name.
    pub name: String,
    /// Whether it fires.
    pub enabled: bool,
    /// The target's input.
    pub input: Option<TickInput>,
    /// Not before.
    pub start: Option<DateTime<Utc>>,
    /// Not after.
    pub end: Option<DateTime<Utc>>,
}

fn aws<E>(err: E) -> ScheduleError
where
    aws_sdk_scheduler::Error: From<E>,
{
    ScheduleError::Request(Box::new(aws_sdk_scheduler::Error::from(err)))
}

/// EventBridge Scheduler.
#[derive(Debug, Clone)]
pub struct EventBridgeSchedules {
    client: aws_sdk_scheduler::Client,
    group: String,
    target_arn: String,
    role_arn: String,
}

impl EventBridgeSchedules {
    /// Schedules in `group`, targeting the tick function `target_arn`, invoked with `role_arn`.
    pub fn new(
        client: aws_sdk_scheduler::Client,
        group: impl Into<String>,
        target_arn: impl Into<String>,
        role_arn: impl Into<String>,
    ) -> Self {
        Self {
            client,
            group: group.into(),
            target_arn: target_arn.into(),
            role_arn: role_arn.into(),
        }
    }

    /// The schedule name of a campaign (`[0-9a-zA-Z-_.]`, at most 64 characters: ids are
    /// at most 64 characters, so long pairs are shortened with a hash).
    pub fn name(campaign: &CampaignRef) -> String {
        let name = format!("{}.{}", campaign.tenant, campaign.campaign);
        if name.len() <= 64 {
            return name;
        }
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(name.as_bytes());
        format!("c.{}", hex::encode(&digest[..20]))
    }

    /// Every schedule of the group with its state and input (the local runner fires these).
    pub async fn list(&self) -> Result<Vec<ScheduleInfo>, ScheduleError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_schedules()
                .group_name(&self.group)
                .set_next_token(token)
                .send()
                .await
                .map_err(aws)?;
            for summary in page.schedules() {
                let Some(name) = summary.name() else { continue };
                let detail = self
                    .client
                    .get_schedule()
                    .group_name(&self.group)
                    .name(name)
                    .send()
                    .await
                    .map_err(aws)?;
                let input = detail
                    .target()
                    .and_then(|t| t.input())
                    .and_then(|i| serde_json::from_str(i).ok());
                out.push(ScheduleInfo {
                    name: name.to_owned(),
                    enabled: detail.state() != Some(&ScheduleState::Disabled),
                    input,
                    start: detail
                        .start_date()
                        .and_then(|d| DateTime::from_timestamp(d.secs(), 0)),
                    end: detail
                        .end_date()
                        .and_then(|d| DateTime::from_timestamp(d.secs(), 0)),
                });
            }
            token = page.next_token;
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    fn target(&self, campaign: &CampaignRef) -> Result<Target, ScheduleError> {
        let input = TickInput {
            tenant: campaign.tenant.to_string(),
            campaign: campaign.campaign.to_string(),
        };
        Target::builder()
            .arn(&self.target_arn)
            .role_arn(&self.role_arn)
            .input(serde_json::to_string(&input).unwrap_or_default())
            .build()
            .map_err(|e| ScheduleError::Invalid(e.to_string()))
    }
}

fn smithy_time(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(t.timestamp())
}

#[async_trait]
impl Schedules for EventBridgeSchedules {
    async fn create(
        &self,
        campaign: &CampaignRef,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) -> Result<(), ScheduleError> {
        let name = Self::name(campaign);
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| ScheduleError::Invalid(e.to_string()))?;
        let result = self
            .client
            .create_schedule()
            .group_name(&self.group)
            .name(&name)
            .schedule_expression("rate(1 minute)")
            .flexible_time_window(window)
            .target(self.target(campaign)?)
            .state(ScheduleState::Enabled)
            .action_after_completion(ActionAfterCompletion::Delete)
            .set_start_date(start.map(smithy_time))
            .set_end_date(end.map(smithy_time))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conflict_exception()) =>
            {
                // Already there (a retried launch): make sure it is enabled.
                self.set_enabled(campaign, true).await
            }
            Err(err) => Err(aws(err)),
        }
    }

    async fn set_enabled(
        &self,
        campaign: &CampaignRef,
        enabled: bool,
    ) -> Result<(), ScheduleError> {
        let name = Self::name(campaign);
        let current = self
            .client
            .get_schedule()
            .group_name(&self.group)
            .name(&name)
            .send()
            .await
            .map_err(aws)?;
        let state = if enabled {
            ScheduleState::Enabled
        } else {
            ScheduleState::Disabled
        };
        self.client
            .update_schedule()
            .group_name(&self.group)
            .name(&name)
            .schedule_expression(current.schedule_expression().unwrap_or("rate(1 minute)"))
            .set_flexible_time_window(current.flexible_time_window().cloned())
            .set_target(current.target().cloned())
            .set_start_date(current.start_date().cloned())
            .set_end_date(current.end_date().cloned())
            .set_action_after_completion(current.action_after_completion().cloned())
            .state(state)
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }

    async fn delete(&self, campaign: &CampaignRef) -> Result<(), ScheduleError> {
        let result = self
            .client
            .delete_schedule()
            .group_name(&self.group)
            .name(Self::name(campaign))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(aws(err)),
        }
    }
}
