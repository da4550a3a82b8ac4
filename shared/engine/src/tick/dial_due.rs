//! Step 5 of the tick: read the leads due before the next tick, defer those whose window is
//! closed and skip those that can never be called, lease the rest and enqueue them, and leave
//! the quiet hint when every due lead was dealt with.

use chrono::{DateTime, Duration, Utc};
use domain::eligibility::{Screen, screen_for_call};
use domain::ids::{CampaignRef, LeadRef};
use domain::lead::{CounterDelta, DueKind, Lead, SkipReason};
use domain::pacing::{ProviderLimit, spread_over_minute};
use domain::status::LeadStatus;
use ports::queue::Outgoing;
use ports::store::{AgentRecord, CampaignCounters, DueBatch, DueRead, Guards, LeadWrite};
use ports::store::{LEAD_SHARDS, WriteError};

use super::quiet::Quiet;
use super::{TICK_PERIOD, TickReport, TickStore, shard_of};
use crate::messages::{CallSettings, DialMessage};
use crate::{Engine, EngineError, LoadedCampaign, bounded};

/// What the due index gave this tick to work on.
struct DueWork {
    /// The campaign's agent (whose provider places the calls).
    agent: AgentRecord,
    /// How many calls this tick may start.
    budget: usize,
    /// The leads read, due before the next tick.
    due: Vec<Lead>,
    /// What the tick can promise so far about the shards it read.
    quiet: Quiet,
}

/// A due lead that is not dialed this tick.
enum Undialable {
    /// Its window is closed: moved to its next opening.
    Defer(Lead, DateTime<Utc>),
    /// It can never be called.
    Skip(Lead, SkipReason),
}

/// What a lease attempt gave.
enum Lease {
    /// Leased: the message for its dialer.
    Enqueue(Outgoing),
    /// Leased by someone else meanwhile, or changed since it was read.
    Lost,
}

impl<S: TickStore> Engine<S> {
    /// Leases the minute's due leads and enqueues them.
    pub(super) async fn dial_due(
        &self,
        loaded: &LoadedCampaign,
        counters: &CampaignCounters,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let campaign = loaded.record.reference();
        let Some(work) = self.read_due(loaded, counters, now, report).await? else {
            return Ok(());
        };
        let DueWork {
            agent,
            budget,
            due,
            mut quiet,
        } = work;
        // Best effort: a failed health read must not stop the campaign dialing.
        let named_pool = (loaded.config.named_pool.clone()).or(agent.spec.named_pool.clone());
        if let Err(err) =
            (self.watch_caller_health(&campaign, &agent, named_pool.as_deref(), now)).await
        {
            tracing::warn!(%campaign, error = %err, "caller number health not judged");
        }
        record_lag(&due, now);
        let (dialable, undialable) = self.screen(due, loaded, now, budget, &mut quiet);
        self.move_undialable(&campaign, undialable, &mut quiet, report)
            .await?;
        self.crash_point("tick.after_screen")?;

        let call = CallSettings {
            provider: agent.spec.provider.clone(),
            from: domain::phone::E164::parse_strict(&agent.spec.caller_number)
                .map_err(|_| EngineError::InvalidAgent(campaign.clone()))?,
            pool: (agent.spec.caller_pool.iter())
                .map(|n| domain::phone::E164::parse_strict(&n.0))
                .collect::<Result<_, _>>()
                .map_err(|_| EngineError::InvalidAgent(campaign.clone()))?,
            named_pool,
            chosen_because: None,
            limits: agent.spec.caller_limits.unwrap_or_default(),
            agent_ref: agent.spec.provider_agent_ref.clone(),
            voicemail_message: agent.spec.voicemail_message.clone(),
        };
        let outgoing = self
            .lease_all(loaded, &call, dialable, now, &mut quiet)
            .await?;
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

    /// The due leads this tick may work on, with the agent and the budget; `None` when there
    /// is nothing to do: no open lead, a quiet hint that still holds, no agent, no budget.
    async fn read_due(
        &self,
        loaded: &LoadedCampaign,
        counters: &CampaignCounters,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<Option<DueWork>, EngineError> {
        let campaign = loaded.record.reference();
        let config = &loaded.config;
        if counters.count(LeadStatus::Pending) + counters.count(LeadStatus::Scheduled) == 0 {
            return Ok(None);
        }
        let horizon = self.settings.quiet_horizon;
        // Quiet means nothing is due before the next tick: nothing for this tick to take.
        let take_until = now + TICK_PERIOD;
        let quiet_shards = counters.quiet_shards(take_until, horizon);
        if quiet_shards.iter().all(|quiet| *quiet) {
            report.quiet = true;
            return Ok(None);
        }
        let Some(agent) = self.agent(&campaign.tenant, &config.agent).await? else {
            tracing::error!(%campaign, agent = %config.agent, "the campaign's agent does not exist; not dialing");
            return Ok(None);
        };
        let provider = self.provider(&agent.spec.provider)?;
        let limit = ProviderLimit {
            calls_per_second: provider.account().calls_per_second,
        };
        let budget = config.pacing.budget(counters.pacing_state(), limit) as usize;
        if budget == 0 {
            return Ok(None);
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
        let read = DueRead {
            kind: DueKind::Dial,
            due_by: take_until,
            look_until,
            batch,
            first_shard: shard_of(now),
            skip: &quiet_shards,
        };
        let scan = self.store.scan_due(&campaign, read).await?;
        let quiet = Quiet::after(&scan, &quiet_shards, &counters.quiet, look_until);
        Ok(Some(DueWork {
            agent,
            budget,
            due: scan.due,
            quiet,
        }))
    }

    /// Splits the due leads into those to dial (up to the budget, each with the time it falls
    /// due) and those to defer or skip. A dialable lead beyond the budget is left for the next
    /// tick, so the quiet hint no longer holds.
    fn screen(
        &self,
        due: Vec<Lead>,
        loaded: &LoadedCampaign,
        now: DateTime<Utc>,
        budget: usize,
        quiet: &mut Quiet,
    ) -> (Vec<(Lead, DateTime<Utc>)>, Vec<Undialable>) {
        let mut dialable = Vec::new();
        let mut undialable = Vec::new();
        for lead in due {
            let at = lead.state.due().map_or(now, |(_, at)| at.max(now));
            match screen_for_call(&lead, &loaded.config, at, self.settings.call_start_margin) {
                Screen::Dial if dialable.len() < budget => dialable.push((lead, at)),
                Screen::Dial => quiet.holds = false,
                Screen::Defer(at) => undialable.push(Undialable::Defer(lead, at)),
                Screen::Skip(reason) => undialable.push(Undialable::Skip(lead, reason)),
            }
        }
        (dialable, undialable)
    }

    /// Defers and skips, with bounded concurrency; each lead moved counts for the quiet hint.
    async fn move_undialable(
        &self,
        campaign: &CampaignRef,
        undialable: Vec<Undialable>,
        quiet: &mut Quiet,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let moves = undialable.into_iter().map(|lead| async move {
            match lead {
                Undialable::Defer(lead, at) => {
                    let shard = lead.id.shard(LEAD_SHARDS);
                    let moved = self.defer(campaign, lead, at).await?;
                    Ok::<_, EngineError>(Moved {
                        shard,
                        moved,
                        due_again: Some(at),
                        deferred: true,
                    })
                }
                Undialable::Skip(lead, reason) => {
                    let shard = lead.id.shard(LEAD_SHARDS);
                    let moved = self.skip(campaign, lead, reason).await?;
                    Ok(Moved {
                        shard,
                        moved,
                        due_again: None,
                        deferred: false,
                    })
                }
            }
        });
        for result in bounded(self.settings.write_concurrency, moves).await {
            let moved = result?;
            if moved.deferred {
                report.deferred += usize::from(moved.moved);
            } else {
                report.skipped += usize::from(moved.moved);
            }
            quiet.leaves(moved.shard, moved.moved, moved.due_again);
        }
        Ok(())
    }

    /// Leases each dialable lead (a conditional write) to start at its offset in the minute,
    /// never before it falls due, and returns the dial messages of the leases won.
    async fn lease_all(
        &self,
        loaded: &LoadedCampaign,
        call: &CallSettings,
        dialable: Vec<(Lead, DateTime<Utc>)>,
        now: DateTime<Utc>,
        quiet: &mut Quiet,
    ) -> Result<Vec<Outgoing>, EngineError> {
        let offsets = spread_over_minute(dialable.len() as u32);
        let leases = dialable
            .into_iter()
            .zip(offsets)
            .map(|((lead, due), offset)| {
                let start = (now + Duration::from_std(offset).unwrap_or_default()).max(due);
                self.lease(loaded, call, lead, start, now)
            });
        let mut outgoing = Vec::new();
        for result in bounded(self.settings.write_concurrency, leases).await {
            match result? {
                // Dealt with, and no bound on the hint: its lease lapses only if its dialer
                // dies, and the lead is then offered again when the hint runs out (at most
                // `quiet_horizon` after this tick) rather than when the lease lapses — a
                // little later, on a path that is already a failure, for a hint that lasts
                // through the minutes its call takes.
                Lease::Enqueue(message) => outgoing.push(message),
                // Not known to be dealt with.
                Lease::Lost => quiet.holds = false,
            }
        }
        Ok(outgoing)
    }

    /// Leases one lead to start at `start`: a conditional write of the lease; the message for
    /// its dialer, delayed until `start`, if the write won.
    async fn lease(
        &self,
        loaded: &LoadedCampaign,
        call: &CallSettings,
        lead: Lead,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Lease, EngineError> {
        let campaign = loaded.record.reference();
        let mut state = lead.state.clone();
        let token = ulid::Ulid::generate().to_string();
        if state
            .lease(token, start, start + self.settings.lease_grace)
            .is_err()
        {
            return Ok(Lease::Lost);
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
                    campaign,
                    config_version: loaded.record.config_version,
                    lead: Lead { state, ..lead },
                    call: call.clone(),
                    not_before: start,
                };
                Ok(Lease::Enqueue(Outgoing {
                    body: serde_json::to_string(&message).unwrap_or_default(),
                    delay: (start - now).to_std().unwrap_or_default(),
                }))
            }
            Err(WriteError::Refused(_)) => Ok(Lease::Lost),
            Err(err) => Err(EngineError::from(err)),
        }
    }
}

/// A defer or skip that was tried.
struct Moved {
    /// The lead's due shard.
    shard: u8,
    /// Whether the write landed (a refused one leaves the lead to the next tick).
    moved: bool,
    /// When the lead is due again (a deferral's next opening; a skipped lead never is).
    due_again: Option<DateTime<Utc>>,
    /// A deferral (else a skip).
    deferred: bool,
}

/// How far behind the campaign is: the oldest due lead read now was due this long ago.
fn record_lag(due: &[Lead], now: DateTime<Utc>) {
    if let Some(oldest) = due
        .iter()
        .filter_map(|l| l.state.due().map(|(_, at)| at))
        .min()
    {
        let lag = (now - oldest).num_milliseconds().max(0) as f64 / 1000.0;
        ports::metrics::put(ports::metrics::Metric::seconds("TickLagSeconds", lag));
    }
}
