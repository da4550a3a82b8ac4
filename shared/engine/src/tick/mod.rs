//! The tick: once a minute per running campaign (an EventBridge Scheduler schedule).
//!
//! Steps, each safe to repeat or to interrupt (the next tick picks up where this one died):
//! 1. Load the campaign; a Scheduled one becomes Active at its start. A Paused one goes
//!    through steps 2–4 only: it dials nothing, settles overdue calls, completes at its end.
//! 2. Read the counters; forget rolling-hour minutes older than an hour.
//! 3. Reconcile calls past their deadline (look them up; apply what the provider says).
//! 4. A campaign past its end (Active or Paused: it completes), completed or cancelled drains: its open leads are skipped
//!    (reason: campaign ended) and, once no lead is open or on a call, its schedule is deleted.
//! 5. An Active campaign's guardrails judge the last window of its counters (failed attempts,
//!    provider throttling, opt-outs, DNC hits); one that trips pauses the campaign with its
//!    reason and the tick dials nothing.
//! 6. Otherwise compute the minute's budget, read only due leads (due before the next tick),
//!    defer those whose window is closed to its next opening, skip those that can never be
//!    called, lease the rest by conditional writes and enqueue them with delays spread over the
//!    minute, none before it falls due. A tick that dealt with every lead due leaves a quiet
//!    hint: per due shard, nothing due before the next time it saw there (at most
//!    `quiet_horizon` ahead). Later ticks read only the shards with something due, and none at
//!    all in a quiet minute, unless a due change (a retry, a callback, a call given back, an
//!    import) came since.
//! 7. A campaign with no open lead left completes. Where set-aside leads may still hold counts
//!    that keep it open (or hold slots), the results worker is asked to repair the counters
//!    ([`set_aside`]).

mod dial_due;
mod guardrails;
mod quiet;
mod reconcile;
mod set_aside;

use chrono::{DateTime, Duration, Utc};
use domain::ids::CampaignRef;
use domain::lead::{DueKind, SkipReason};
use domain::status::{CampaignStatus, LeadStatus};
use ports::store::LEAD_SHARDS;
use ports::store::{
    Agents, CallerNumbers, CampaignStatuses, Campaigns, Counters, DueLeads, Leads, Tenants,
};
use ports::store::{CampaignCounters, DueBatch, WriteError};

use crate::{Engine, EngineError, LoadedCampaign, bounded};

/// The repositories the tick uses.
pub trait TickStore:
    Campaigns + CampaignStatuses + Counters + DueLeads + Leads + Agents + CallerNumbers + Tenants
{
}

impl<T> TickStore for T where
    T: Campaigns
        + CampaignStatuses
        + Counters
        + DueLeads
        + Leads
        + Agents
        + CallerNumbers
        + Tenants
{
}

/// What a tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TickReport {
    /// The campaign's status after the tick (`None`: no such campaign).
    pub status: Option<CampaignStatus>,
    /// Scheduled -> Active.
    pub started: bool,
    /// Overdue calls settled.
    pub reconciled: usize,
    /// Leads skipped.
    pub skipped: usize,
    /// Leads moved to their next opening.
    pub deferred: usize,
    /// Leads leased and enqueued.
    pub enqueued: usize,
    /// The due index was not read: a quiet hint said nothing is due yet.
    pub quiet: bool,
    /// The quiet hint this tick left: nothing due before this (in the earliest shard).
    pub quiet_until: Option<DateTime<Utc>>,
    /// Active -> Paused by this guardrail.
    pub paused_by: Option<domain::guardrails::Guardrail>,
    /// Active -> Completed.
    pub completed: bool,
    /// The schedule was deleted (drained or gone).
    pub schedule_deleted: bool,
    /// The counters were found to hold set-aside leads' counts (a repair was asked for).
    pub stale_counts: bool,
}

/// How often a campaign ticks: its schedule's rate (`adapters::schedules`, `rate(1 minute)`).
const TICK_PERIOD: Duration = Duration::minutes(1);

/// How far ahead "any time" is, for draining.
const FOREVER: Duration = Duration::days(365 * 100);

impl<S: TickStore> Engine<S> {
    /// Runs one tick of a campaign.
    #[tracing::instrument(name = "tick", skip_all, fields(tenant = %campaign.tenant, campaign = %campaign.campaign))]
    pub async fn tick(&self, campaign: &CampaignRef) -> Result<TickReport, EngineError> {
        let now = self.clock.now();
        let mut report = TickReport::default();
        let (record, mut counters) = self.store.campaign_with_counters(campaign).await?;
        let Some(record) = record else {
            self.schedules.delete(campaign).await?;
            report.schedule_deleted = true;
            return Ok(report);
        };
        let mut loaded = self.remember(record);
        self.crash_point("tick.after_load")?;
        report.status = Some(loaded.record.status);
        match loaded.record.status {
            CampaignStatus::Draft => return Ok(report),
            CampaignStatus::Scheduled => {
                if !self.start_if_due(&mut loaded, now, &mut report).await? {
                    return Ok(report);
                }
            }
            // A paused campaign dials nothing but still settles calls past their deadline
            // (their slots come back) and completes at its end date.
            CampaignStatus::Active
            | CampaignStatus::Paused
            | CampaignStatus::Completed
            | CampaignStatus::Cancelled => {}
        }

        self.roll_hour(campaign, &mut counters, now).await?;
        if counters.count(LeadStatus::Calling) > 0 && self.reconcile_due(campaign, now) {
            report.reconciled = self.reconcile_overdue(&loaded, now).await?;
        }
        self.crash_point("tick.after_reconcile")?;

        let ended = loaded.config.ends_at.is_some_and(|end| now >= end);
        if ended || loaded.record.status.is_final() {
            return self.drain(&loaded, now, report).await;
        }
        if loaded.record.status != CampaignStatus::Active {
            return Ok(report);
        }
        match self.review_guardrails(&loaded, &counters, now).await? {
            guardrails::Verdict::Dial => {}
            guardrails::Verdict::Paused(reason) => {
                report.status = Some(CampaignStatus::Paused);
                report.paused_by = Some(reason.guardrail);
                return Ok(report);
            }
            guardrails::Verdict::Moved => return Ok(report),
        }
        self.crash_point("tick.after_guardrails")?;

        self.dial_due(&loaded, &counters, now, &mut report).await?;
        self.crash_point("tick.after_enqueue")?;
        report.stale_counts = self
            .repair_set_aside_counts(campaign, &counters, now)
            .await?
            != set_aside::Stale::No;

        if counters.open() == 0 && counters.total() > 0 && self.nothing_open(campaign, now).await? {
            match self
                .move_campaign(
                    campaign,
                    CampaignStatus::Active,
                    CampaignStatus::Completed,
                    now,
                )
                .await
            {
                Ok(()) | Err(WriteError::Refused(_)) => {}
                Err(err) => return Err(err.into()),
            }
            self.finish(campaign).await?;
            report.completed = true;
            report.schedule_deleted = true;
            report.status = Some(CampaignStatus::Completed);
        }
        Ok(report)
    }

    /// A Scheduled campaign whose start has come becomes Active (true); false: not yet, or
    /// another tick or an action moved it first.
    async fn start_if_due(
        &self,
        loaded: &mut LoadedCampaign,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<bool, EngineError> {
        if loaded.config.starts_at.is_some_and(|start| now < start) {
            return Ok(false);
        }
        let campaign = loaded.record.reference();
        let (from, to) = (CampaignStatus::Scheduled, CampaignStatus::Active);
        match self.move_campaign(&campaign, from, to, now).await {
            Ok(()) => {}
            Err(WriteError::Refused(_)) => return Ok(false),
            Err(err) => return Err(err.into()),
        }
        loaded.record.status = to;
        report.started = true;
        report.status = Some(to);
        Ok(true)
    }

    async fn roll_hour(
        &self,
        campaign: &CampaignRef,
        counters: &mut CampaignCounters,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        match self.store.roll_hour_window(campaign, counters, now).await {
            Ok(dropped) => {
                counters.hour_starts -= dropped;
                Ok(())
            }
            // Another tick rolled first: read what it left.
            Err(WriteError::Refused(_)) => {
                *counters = self.store.counters(campaign).await?;
                Ok(())
            }
            Err(err) => Err(err.into()),
        }
    }

    /// A campaign with nothing left open: its counters are reconciled with its leads and its
    /// leads given the tenant's retention (jobs on the results queue, queued first so a
    /// failure retries the whole step next minute), then its schedule is deleted.
    async fn finish(&self, campaign: &CampaignRef) -> Result<(), EngineError> {
        if let Some(queue) = &self.results {
            let job = crate::messages::ResultsJob::Reconcile {
                campaign: campaign.clone(),
                repair: true,
            };
            job.enqueue(queue.as_ref()).await?;
            let campaign = campaign.clone();
            let retain = crate::messages::ResultsJob::Retain { campaign };
            retain.enqueue(queue.as_ref()).await?;
        }
        self.schedules.delete(campaign).await?;
        Ok(())
    }

    /// Whether the due index holds no lead at all (nothing dialable, nothing on a call).
    async fn nothing_open(
        &self,
        campaign: &CampaignRef,
        now: DateTime<Utc>,
    ) -> Result<bool, EngineError> {
        let far = now + FOREVER;
        Ok(self
            .store
            .due_leads(campaign, DueKind::Dial, far, DueBatch::up_to(1), 0)
            .await?
            .is_empty()
            && self
                .store
                .due_leads(campaign, DueKind::CallDeadline, far, DueBatch::up_to(1), 0)
                .await?
                .is_empty())
    }

    /// Skips the open leads of an ended campaign, a batch per tick; deletes the schedule once
    /// no lead is open or on a call.
    async fn drain(
        &self,
        loaded: &LoadedCampaign,
        now: DateTime<Utc>,
        mut report: TickReport,
    ) -> Result<TickReport, EngineError> {
        let campaign = loaded.record.reference();
        let status = loaded.record.status;
        if matches!(status, CampaignStatus::Active | CampaignStatus::Paused) {
            match self
                .move_campaign(&campaign, status, CampaignStatus::Completed, now)
                .await
            {
                Ok(()) => {
                    report.completed = true;
                    report.status = Some(CampaignStatus::Completed);
                }
                Err(WriteError::Refused(_)) => {}
                Err(err) => return Err(err.into()),
            }
        }
        let batch = self.settings.drain_batch;
        let open = self
            .store
            .due_leads(
                &campaign,
                DueKind::Dial,
                now + FOREVER,
                DueBatch::up_to(batch),
                shard_of(now),
            )
            .await?;
        let count = open.len();
        let skips = open
            .into_iter()
            .map(|lead| self.skip(&campaign, lead, SkipReason::CampaignEnded));
        for result in bounded(self.settings.write_concurrency, skips).await {
            if result? {
                report.skipped += 1;
            }
        }
        self.crash_point("tick.after_drain")?;
        if count < batch && self.nothing_open(&campaign, now).await? {
            self.finish(&campaign).await?;
            report.schedule_deleted = true;
        }
        Ok(report)
    }
}

/// Consecutive ticks start reading the due index on different shards.
fn shard_of(now: DateTime<Utc>) -> u8 {
    (now.timestamp().div_euclid(60) % i64::from(LEAD_SHARDS)) as u8
}
