//! The tick: once a minute per running campaign (an EventBridge Scheduler schedule).
//!
//! Steps, each safe to repeat or to interrupt (the next tick picks up where this one died):
//! 1. Load the campaign; a Scheduled one becomes Active at its start.
//! 2. Read the counters; forget rolling-hour minutes older than an hour.
//! 3. Reconcile calls past their deadline (look them up; apply what the provider says).
//! 4. A campaign past its end, completed or cancelled drains: its open leads are skipped
//!    (reason: campaign ended) and, once no lead is open or on a call, its schedule is deleted.
//! 5. Otherwise compute the minute's budget, read only due leads (due before the next tick),
//!    defer those whose window is closed to its next opening, skip those that can never be
//!    called, lease the rest by conditional writes and enqueue them with delays spread over the
//!    minute, none before it falls due. A tick that dealt with every lead due leaves a quiet
//!    hint: per due shard, nothing due before the next time it saw there (at most
//!    `quiet_horizon` ahead). Later ticks read only the shards with something due, and none at
//!    all in a quiet minute, unless a due change (a retry, a callback, a call given back, an
//!    import) came since.
//! 6. A campaign with no open lead left completes.

mod quiet;
mod reconcile;

use quiet::Quiet;

use chrono::{DateTime, Duration, Utc};
use domain::eligibility::{Screen, screen_for_call};
use domain::ids::{CampaignRef, LeadRef};
use domain::lead::{CounterDelta, DueKind, Lead, SkipReason};
use domain::pacing::{ProviderLimit, spread_over_minute};
use domain::status::{CampaignStatus, LeadStatus};
use ports::store::LEAD_SHARDS;
use ports::store::{
    AgentReader, CampaignReader, CampaignSnapshot, CampaignStatusWriter, Counters, DueLeads,
    LeadReader, LeadTransitions,
};
use ports::store::{CampaignCounters, DueBatch, DueRead, Guards, LeadWrite, WriteError};

use crate::messages::{CallSettings, DialMessage};
use crate::{Engine, EngineError, LoadedCampaign, bounded};

/// The store capabilities the tick uses.
pub trait TickStore:
    CampaignSnapshot
    + CampaignReader
    + CampaignStatusWriter
    + Counters
    + DueLeads
    + LeadReader
    + LeadTransitions
    + AgentReader
{
}

impl<T> TickStore for T where
    T: CampaignSnapshot
        + CampaignReader
        + CampaignStatusWriter
        + Counters
        + DueLeads
        + LeadReader
        + LeadTransitions
        + AgentReader
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
    /// Active -> Completed.
    pub completed: bool,
    /// The schedule was deleted (drained or gone).
    pub schedule_deleted: bool,
}

/// How often a campaign ticks: its schedule's rate (`adapters::schedules`, `rate(1 minute)`).
const TICK_PERIOD: Duration = Duration::minutes(1);

/// How far ahead "any time" is, for draining.
const FOREVER: Duration = Duration::days(365 * 100);

impl<S: TickStore> Engine<S> {
    /// Runs one tick of a campaign.
    #[tracing::instrument(skip(self), fields(campaign = %campaign))]
    pub async fn tick(&self, campaign: &CampaignRef) -> Result<TickReport, EngineError> {
        let now = self.clock.now();
        let mut report = TickReport::default();
        let (record, mut counters) = self.store.campaign_with_counters(campaign).await?;
        let Some(record) = record else {
            self.schedules.delete(campaign).await?;
            report.schedule_deleted = true;
            return Ok(report);
        };
        let mut loaded = self.remember(record)?;
        self.crash_point("tick.after_load")?;
        report.status = Some(loaded.record.status);
        match loaded.record.status {
            CampaignStatus::Draft | CampaignStatus::Paused => return Ok(report),
            CampaignStatus::Scheduled => {
                if loaded.config.starts_at.is_some_and(|start| now < start) {
                    return Ok(report);
                }
                match self
                    .store
                    .set_campaign_status(
                        campaign,
                        CampaignStatus::Scheduled,
                        CampaignStatus::Active,
                        now,
                    )
                    .await
                {
                    Ok(()) => report.started = true,
                    Err(WriteError::Refused(_)) => return Ok(report),
                    Err(err) => return Err(err.into()),
                }
                loaded.record.status = CampaignStatus::Active;
                report.status = Some(CampaignStatus::Active);
            }
            CampaignStatus::Active | CampaignStatus::Completed | CampaignStatus::Cancelled => {}
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

        self.dial_due(&loaded, &counters, now, &mut report).await?;
        self.crash_point("tick.after_enqueue")?;

        if counters.open() == 0 && counters.total() > 0 && self.nothing_open(campaign, now).await? {
            match self
                .store
                .set_campaign_status(
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

    /// A campaign with nothing left open: its counters are reconciled with its leads (a job
    /// on the results queue, queued first so a failure retries the whole step next minute),
    /// then its schedule is deleted.
    async fn finish(&self, campaign: &CampaignRef) -> Result<(), EngineError> {
        if let Some(queue) = &self.results {
            let job = crate::messages::ResultsJob::Reconcile {
                campaign: campaign.clone(),
                repair: true,
            };
            job.enqueue(queue.as_ref()).await?;
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
        if loaded.record.status == CampaignStatus::Active {
            match self
                .store
                .set_campaign_status(
                    &campaign,
                    CampaignStatus::Active,
                    CampaignStatus::Completed,
                    now,
                )
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

    /// Leases the minute's due leads and enqueues them.
    async fn dial_due(
        &self,
        loaded: &LoadedCampaign,
        counters: &CampaignCounters,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let campaign = loaded.record.reference();
        let config = &loaded.config;
        if counters.count(LeadStatus::Pending) + counters.count(LeadStatus::Scheduled) == 0 {
            return Ok(());
        }
        let horizon = self.settings.quiet_horizon;
        // Quiet means nothing is due before the next tick: nothing for this tick to take.
        let take_until = now + TICK_PERIOD;
        let quiet_shards = counters.quiet_shards(take_until, horizon);
        if quiet_shards.iter().all(|quiet| *quiet) {
            report.quiet = true;
            return Ok(());
        }
        let Some(agent) = self.agent(&campaign.tenant, &config.agent).await? else {
            tracing::error!(%campaign, agent = %config.agent, "the campaign's agent does not exist; not dialing");
            return Ok(());
        };
        let provider = self.provider(&agent.spec.provider)?;
        let limit = ProviderLimit {
            calls_per_second: provider.account().calls_per_second,
        };
        let budget = config.pacing.budget(counters.pacing_state(), limit) as usize;
        if budget == 0 {
            return Ok(());
        }
        // Take more than the budget from the shards read (some due leads turn out to be
        // outside their window), but read no further shard once the budget is covered.
        let batch = DueBatch {
            enough: budget,
            most: (budget * 2).clamp(10, 1200),
        };
        // The leads due before the next tick are this tick's: each is enqueued to start when
        // it falls due (a retry or a callback then starts on time, not up to a minute late).
        let look_until = (now + horizon).max(take_until);
        let scan = self
            .store
            .scan_due(
                &campaign,
                DueRead {
                    kind: DueKind::Dial,
                    due_by: take_until,
                    look_until,
                    batch,
                    first_shard: shard_of(now),
                    skip: &quiet_shards,
                },
            )
            .await?;
        let mut quiet = Quiet::after(&scan, &quiet_shards, &counters.quiet, look_until);
        let due = scan.due;
        // How far behind the campaign is: the oldest due lead read now was due this long ago.
        if let Some(oldest) = due
            .iter()
            .filter_map(|l| l.state.due().map(|(_, at)| at))
            .min()
        {
            let lag = (now - oldest).num_milliseconds().max(0) as f64 / 1000.0;
            ports::metrics::put(ports::metrics::Metric::seconds("TickLagSeconds", lag));
        }
        let mut dialable = Vec::new();
        let mut others = Vec::new();
        for lead in due {
            let at = lead.state.due().map_or(now, |(_, at)| at.max(now));
            match screen_for_call(&lead, config, at, self.settings.call_start_margin) {
                Screen::Dial if dialable.len() < budget => dialable.push((lead, at)),
                Screen::Dial => quiet.holds = false,
                Screen::Defer(at) => others.push((lead, Some(at), None)),
                Screen::Skip(reason) => others.push((lead, None, Some(reason))),
            }
        }
        let moves = others.into_iter().map(|(lead, defer, skip)| {
            let campaign = &campaign;
            let shard = lead.id.shard(LEAD_SHARDS);
            async move {
                match (defer, skip) {
                    (Some(at), _) => self
                        .defer(campaign, lead, at)
                        .await
                        .map(|moved| (shard, moved, false, Some(at))),
                    (_, Some(reason)) => self
                        .skip(campaign, lead, reason)
                        .await
                        .map(|moved| (shard, false, moved, None)),
                    _ => Ok((shard, false, false, None)),
                }
            }
        });
        for result in bounded(self.settings.write_concurrency, moves).await {
            let (shard, deferred, skipped, until) = result?;
            report.deferred += usize::from(deferred);
            report.skipped += usize::from(skipped);
            quiet.leaves(shard, deferred || skipped, until);
        }
        self.crash_point("tick.after_screen")?;

        let call = CallSettings {
            provider: agent.spec.provider.clone(),
            from: domain::phone::E164::parse_strict(&agent.spec.caller_number)
                .map_err(|_| EngineError::InvalidCampaign(campaign.clone()))?,
            agent_ref: agent.spec.provider_agent_ref.clone(),
            voicemail_message: agent.spec.voicemail_message.clone(),
        };
        let offsets = spread_over_minute(dialable.len() as u32);
        let leases = dialable
            .into_iter()
            .zip(offsets)
            .map(|((lead, due), offset)| {
                let campaign = &campaign;
                let call = &call;
                async move {
                    let start = (now + Duration::from_std(offset).unwrap_or_default()).max(due);
                    let mut state = lead.state.clone();
                    let token = ulid::Ulid::generate().to_string();
                    if state
                        .lease(token, start, start + self.settings.lease_grace)
                        .is_err()
                    {
                        return Ok(Err(lead.id));
                    }
                    let key = LeadRef {
                        campaign: campaign.clone(),
                        lead: lead.id.clone(),
                    };
                    let none = CounterDelta::default();
                    let write = LeadWrite {
                        lead: &key,
                        expected_version: lead.state.version,
                        state: &state,
                        counters: &none,
                        guards: Guards::default(),
                    };
                    match self.store.write_transition(write).await {
                        Ok(()) => {
                            let message = DialMessage {
                                campaign: campaign.clone(),
                                config_version: loaded.record.config_version,
                                lead: Lead { state, ..lead },
                                call: call.clone(),
                                not_before: start,
                            };
                            Ok(Ok((message, (start - now).to_std().unwrap_or_default())))
                        }
                        Err(WriteError::Refused(_)) => Ok(Err(lead.id)),
                        Err(err) => Err(EngineError::from(err)),
                    }
                }
            });
        let mut outgoing = Vec::new();
        for result in bounded(self.settings.write_concurrency, leases).await {
            match result? {
                Ok((message, delay)) => {
                    let body = serde_json::to_string(&message).unwrap_or_default();
                    // Dealt with, and no bound on the hint: its lease lapses only if its dialer
                    // dies, and the lead is then offered again when the hint runs out (at most
                    // `quiet_horizon` after this tick) rather than when the lease lapses — a
                    // little later, on a path that is already a failure, for a hint that lasts
                    // through the minutes its call takes.
                    outgoing.push(ports::queue::Outgoing { body, delay });
                }
                // Leased by someone else meanwhile, or changed: not known to be dealt with.
                Err(_) => quiet.holds = false,
            }
        }
        self.crash_point("tick.after_leases")?;
        report.enqueued = outgoing.len();
        ports::metrics::put(ports::metrics::Metric::count(
            "LeadsEnqueued",
            outgoing.len() as f64,
        ));
        if !outgoing.is_empty() {
            // Leases not enqueued (a crash here, a queue failure) lapse and are offered again.
            self.queue.send(outgoing).await?;
        }
        if quiet.holds {
            // An optimisation only: if it is not written, the next tick reads the index.
            match self
                .store
                .leave_quiet_hint(&campaign, &quiet.until, counters.due_changes)
                .await
            {
                Ok(()) => report.quiet_until = quiet.until.iter().min().copied(),
                Err(err) => tracing::warn!(%campaign, error = %err, "quiet hint not left"),
            }
        }
        Ok(())
    }
}

/// Consecutive ticks start reading the due index on different shards.
fn shard_of(now: DateTime<Utc>) -> u8 {
    (now.timestamp().div_euclid(60) % i64::from(LEAD_SHARDS)) as u8
}
