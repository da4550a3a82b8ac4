//! Running a built world on its virtual clock: ticks, dial deliveries, provider events.

use ports::Clock;
use ports::store::CampaignStatuses;
use ports::store::DueBatch;
use ports::store::{DoNotCall, DueLeads, Leads};

use crate::fake_providers::ProviderKind;
use adapters::voice::simulator::SimulatorEvent;
use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::lead::DueKind;
use domain::phone::E164;
use engine::dial::DialOutcome;
use engine::messages::DialMessage;
use futures::StreamExt;

use super::{Pending, PendingEvent, PhaseRequests, RunStats, World, reference_from_url};

impl World {
    /// Runs the campaign until it drains (its schedule is deleted) or the time limit.
    pub async fn run(&mut self) -> anyhow::Result<RunStats> {
        let start = self.clock.now();
        let mut stats = RunStats::default();
        let mut next_tick = start;
        let mut dnc_plan: Vec<(DateTime<Utc>, E164)> = self
            .settings
            .dnc_additions
            .iter()
            .map(|(offset, n)| (start + *offset, n.clone()))
            .collect();
        dnc_plan.sort();
        let mut damage_plan: Vec<(DateTime<Utc>, super::Damage)> = (self.settings.damage.iter())
            .filter_map(|d| Some((start + d.at?, d.clone())))
            .collect();
        damage_plan.sort_by_key(|(at, _)| *at);
        let mut stop_at = None;
        let mut paused_since = None;
        loop {
            let now = self.clock.now();
            if now - start > self.settings.max_virtual || stop_at.is_some_and(|at| now >= at) {
                break;
            }
            // DNC additions happen before anything else at their instant.
            self.add_planned_dnc(&mut dnc_plan, now).await?;
            self.damage_planned(&mut damage_plan, now).await?;
            if now >= next_tick {
                let before = PhaseRequests::of(&self.requests);
                let finished = self.tick(&mut stats).await?;
                self.count_phase(&mut stats, "tick", before);
                // Paused by a guardrail (the tick), or by a dialer (an account problem, no fresh
                // registry extract).
                let paused_by_dialer = stats.dial_outcomes.contains_key(engine::dial::PAUSED);
                if stop_at.is_none() && (!stats.guardrail_trips.is_empty() || paused_by_dialer) {
                    stop_at = self.settings.stop_after_pause.map(|wait| now + wait);
                }
                if finished {
                    stats.finished = true;
                    break;
                }
                self.resume_if_due(&mut paused_since, now, &mut stats)
                    .await?;
                let before = PhaseRequests::of(&self.requests);
                self.receive().await?;
                self.count_phase(&mut stats, "poll", before);
                next_tick += Duration::minutes(1);
            }
            self.deliver_dials(&mut stats).await?;
            let before = PhaseRequests::of(&self.requests);
            let reports = self.deliver_provider_events(&mut stats).await?;
            self.count_phase(&mut stats, "event", before);
            let before = PhaseRequests::of(&self.requests);
            for report in reports {
                self.deliver_report(report, &mut stats).await?;
            }
            self.count_phase(&mut stats, "report", before);

            let mut next = self.next_instant(&mut next_tick, &dnc_plan).await?;
            if let Some((at, _)) = damage_plan.first() {
                next = next.min(*at);
            }
            self.clock.set(next.max(now));
        }
        stats.create_requests = self.simulator.create_requests();
        stats.calls_placed = self.simulator.calls().len() as u64;
        stats.virtual_elapsed = self.clock.now() - start;
        Ok(stats)
    }

    /// Puts on the DNC list every planned number whose time has come.
    async fn add_planned_dnc(
        &mut self,
        plan: &mut Vec<(DateTime<Utc>, E164)>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        while plan.first().is_some_and(|(at, _)| *at <= now) {
            let (at, number) = plan.remove(0);
            self.store
                .add_dnc(&self.campaign.tenant, &number, "api", at)
                .await?;
            self.dnc_added.push((number.clone(), at));
            if self.settings.erase_dnc_additions {
                self.erase_and_import_again(&number, at).await?;
            }
        }
        Ok(())
    }

    /// A person resumes the first campaign once it has been paused for
    /// [`super::WorldConfig::resume_after_pause`].
    async fn resume_if_due(
        &self,
        paused_since: &mut Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        stats: &mut RunStats,
    ) -> anyhow::Result<()> {
        use domain::status::CampaignStatus;
        use ports::store::Campaigns;
        let Some(wait) = self.settings.resume_after_pause else {
            return Ok(());
        };
        let record = self.store.get_campaign(&self.campaign).await?;
        let Some(record) = record.filter(|r| r.status == CampaignStatus::Paused) else {
            *paused_since = None;
            return Ok(());
        };
        let since = *paused_since.get_or_insert(now);
        if now - since < wait {
            return Ok(());
        }
        let moved = self
            .store
            .set_campaign_status(
                &self.campaign,
                CampaignStatus::Paused,
                CampaignStatus::Active,
                now,
            )
            .await;
        if moved.is_ok() {
            let guardrail = record.pause_reason.map(|r| r.guardrail);
            stats.resumed.push((
                guardrail.unwrap_or(domain::guardrails::Guardrail::FailedAttempts),
                now,
            ));
            *paused_since = None;
        }
        Ok(())
    }

    /// Damages every planned lead whose time has come (see [`super::Damage`]).
    async fn damage_planned(
        &mut self,
        plan: &mut Vec<(DateTime<Utc>, super::Damage)>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        while plan.first().is_some_and(|(at, _)| *at <= now) {
            let (_, damage) = plan.remove(0);
            let leads = self.store.all_leads(&self.campaign).await?;
            let victim = super::damage::damage_one(&self.store, &self.campaign, &leads, &damage)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no lead to damage at {now}: {damage:?}"))?;
            self.damaged.push(victim);
        }
        Ok(())
    }

    /// The next instant anything happens: a tick, a dial message, a provider event, a simulated
    /// call's event, a planned DNC addition. With nothing in motion, the idle minutes up to the
    /// next due lead are skipped (moving `next_tick` there): ticks in between would find
    /// nothing to do.
    async fn next_instant(
        &self,
        next_tick: &mut DateTime<Utc>,
        dnc_plan: &[(DateTime<Utc>, E164)],
    ) -> anyhow::Result<DateTime<Utc>> {
        let mut next = *next_tick;
        if let Some(p) = self.pending.iter().map(|p| p.at).min() {
            next = next.min(p);
        }
        if let Some(w) = self.provider_events.iter().map(|w| w.at).min() {
            next = next.min(w);
        }
        if let Some(at) = self.simulator.next_delivery() {
            next = next.min(at);
        }
        if let Some((at, _)) = dnc_plan.first() {
            next = next.min(*at);
        }
        // Nothing in motion: skip the idle minutes to the next due lead (ticks in between
        // would find nothing to do).
        let idle = next == *next_tick
            && self.pending.is_empty()
            && self.provider_events.is_empty()
            && self.simulator.next_delivery().is_none();
        if idle && let Some(due) = self.next_due().await? {
            let due_minute = due.duration_trunc(Duration::minutes(1)).unwrap_or(due);
            if due_minute > *next_tick {
                *next_tick = due_minute;
                next = due_minute;
                if let Some((at, _)) = dnc_plan.first() {
                    next = next.min(*at);
                }
            }
        }
        Ok(next)
    }

    /// Adds the requests made since `before` to `phase`.
    fn count_phase(&self, stats: &mut RunStats, phase: &'static str, before: PhaseRequests) {
        stats
            .requests
            .entry(phase)
            .or_default()
            .add_since(before, PhaseRequests::of(&self.requests));
    }

    /// Runs a tick of every campaign (twice at once when asked); true once every campaign's
    /// schedule is deleted.
    async fn tick(&self, stats: &mut RunStats) -> anyhow::Result<bool> {
        let runs = if self.settings.duplicate_ticks { 2 } else { 1 };
        let campaigns = self.campaigns();
        let ticks = campaigns
            .iter()
            .flat_map(|c| (0..runs).map(|_| self.engine.tick(c)));
        for result in futures::future::join_all(ticks).await {
            stats.ticks += 1;
            match result {
                Ok(report) => {
                    stats.quiet_ticks += u64::from(report.quiet);
                    stats.deferred_by_ticks += report.deferred as u64;
                    if let Some(guardrail) = report.paused_by {
                        stats.guardrail_trips.push((guardrail, self.clock.now()));
                    }
                }
                Err(engine::EngineError::Crash(_)) => stats.crashed_ticks += 1,
                Err(err) => return Err(err.into()),
            }
        }
        let deleted = self.schedules.0.lock().unwrap().clone();
        Ok(campaigns.iter().all(|c| deleted.contains(c)))
    }

    /// Takes every visible message off the queue into the virtual-delay buffer.
    async fn receive(&mut self) -> anyhow::Result<()> {
        loop {
            let messages = super::receive_visible(&self.sqs, &self.queue_url).await?;
            if messages.is_empty() {
                return Ok(());
            }
            for m in messages {
                let body = m.body.unwrap_or_default();
                let message: DialMessage = serde_json::from_str(&body)?;
                self.pending.push(Pending {
                    at: message.not_before,
                    body,
                    receipt: m.receipt_handle.unwrap_or_default(),
                    planned: message.not_before,
                    tenant: message.campaign.tenant.to_string(),
                });
            }
        }
    }

    /// Hands every message due now to the dialers, `dialers` at a time.
    async fn deliver_dials(&mut self, stats: &mut RunStats) -> anyhow::Result<()> {
        let now = self.clock.now();
        let (due, later): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| p.at <= now);
        self.pending = later;
        let engine = &self.engine;
        let work = due.into_iter().map(|p| async move {
            let message: DialMessage =
                serde_json::from_str(&p.body).expect("bodies were parsed on receipt");
            (p, engine.dial(&message).await)
        });
        let before = PhaseRequests::of(&self.requests);
        let results: Vec<_> = futures::stream::iter(work)
            .buffer_unordered(self.settings.dialers.max(1))
            .collect()
            .await;
        stats
            .requests
            .entry("dial")
            .or_default()
            .add_since(before, PhaseRequests::of(&self.requests));
        let before = PhaseRequests::of(&self.requests);
        for (p, result) in results {
            stats.dial_deliveries += 1;
            stats.largest_dial_message = stats.largest_dial_message.max(p.body.len());
            match result {
                Ok(DialOutcome::Done(what)) => {
                    *stats.dial_outcomes.entry(what.to_owned()).or_default() += 1;
                    if what == "called" {
                        let waits = stats.start_waits.entry(p.tenant.clone()).or_default();
                        waits.push((now - p.planned).num_milliseconds());
                    }
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(&p.receipt)
                        .send()
                        .await?;
                }
                Ok(DialOutcome::Later(delay)) => {
                    *stats.dial_outcomes.entry("later".into()).or_default() += 1;
                    let at = now + Duration::from_std(delay).unwrap_or_default();
                    self.pending.push(Pending { at, ..p });
                }
                // The message was not deleted: SQS makes it visible again after the timeout.
                Err(engine::EngineError::Crash(_)) => {
                    *stats.dial_outcomes.entry("crashed".into()).or_default() += 1;
                    self.pending.push(Pending {
                        at: now + Duration::seconds(30),
                        ..p
                    });
                }
                Err(err) => return Err(err.into()),
            }
        }
        stats
            .requests
            .entry("poll")
            .or_default()
            .add_since(before, PhaseRequests::of(&self.requests));
        Ok(())
    }

    /// Delivers the network's provider events due now (and retries of failed deliveries); answers the
    /// agent reports due now, for the caller to deliver (counted as their own phase).
    async fn deliver_provider_events(
        &mut self,
        stats: &mut RunStats,
    ) -> anyhow::Result<Vec<PendingEvent>> {
        let mut reports = Vec::new();
        let now = self.clock.now();
        let mut batch: Vec<PendingEvent> = self
            .simulator
            .take_due(now)
            .into_iter()
            .map(|w| PendingEvent {
                at: now,
                bearer: w
                    .header("authorization")
                    .and_then(|a| a.strip_prefix("Bearer "))
                    .map(str::to_owned),
                url: w.url,
                body: w.body,
                tries: 0,
            })
            .collect();
        let (due, later): (Vec<PendingEvent>, Vec<PendingEvent>) =
            std::mem::take(&mut self.provider_events)
                .into_iter()
                .partition(|w| w.at <= now);
        self.provider_events = later;
        batch.extend(due);
        for pending in batch {
            if pending.bearer.is_some() {
                reports.push(pending);
                continue;
            }
            let PendingEvent {
                url, body, tries, ..
            } = pending;
            stats.provider_event_deliveries += 1;
            let kind = self.settings.provider;
            if self.handled_by_the_provider(&url, &body, stats).await? {
                continue;
            }
            let request = match kind {
                ProviderKind::Simulator => self.simulator.signed(url.clone(), body.clone(), now),
                kind => crate::fake_providers::rewrite_event(kind, &url, &body, now)
                    .ok_or_else(|| anyhow::anyhow!("cannot rewrite the event for {url}"))?,
            };
            let reference = reference_from_url(&url)
                .ok_or_else(|| anyhow::anyhow!("bad callback URL {url}"))?;
            match self
                .engine
                .handle_provider_event(kind.name(), &reference, &request)
                .await
            {
                Ok(_) => {}
                // A 5xx: the provider retries a couple of times, then gives up (the tick's
                // reconciliation settles the call).
                Err(engine::EngineError::Crash(_)) if tries < 2 => {
                    self.provider_events.push(PendingEvent {
                        at: now + Duration::seconds(30),
                        url,
                        body,
                        tries: tries + 1,
                        bearer: None,
                    });
                }
                Err(engine::EngineError::Crash(_)) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(reports)
    }

    /// Network events the provider itself handles rather than posting them as an event:
    /// the agent platform acts on machines and transfers by itself and reports no stream;
    /// Twilio asks its call flow when the agent's stream ends. True when handled here.
    async fn handled_by_the_provider(
        &mut self,
        url: &str,
        body: &[u8],
        stats: &mut RunStats,
    ) -> anyhow::Result<bool> {
        let name = serde_json::from_slice::<SimulatorEvent>(body)
            .map(|e| e.event)
            .unwrap_or_default();
        Ok(match (self.settings.provider, name.as_str()) {
            (
                ProviderKind::HttpAgent | ProviderKind::Retell | ProviderKind::Vapi,
                "amd" | "stream_ended" | "stream_started" | "stream_failed",
            ) => true,
            (ProviderKind::Twilio, "stream_ended") => {
                self.ask_call_flow(url, body, stats).await?;
                true
            }
            _ => false,
        })
    }

    /// Twilio's `<Redirect>` after the agent's stream: the call-flow request, signed as Twilio
    /// signs it; a `<Dial>` in the answer is a transfer (counted: the simulated agent never
    /// asks for one). A failed request is a hang-up, as Twilio plays an error and ends the call.
    async fn ask_call_flow(
        &mut self,
        callback_url: &str,
        body: &[u8],
        stats: &mut RunStats,
    ) -> anyhow::Result<()> {
        let url = callback_url.replace("/v1/call-events/", "/v1/call-flow/");
        let now = self.clock.now();
        let request = crate::fake_providers::rewrite_event(ProviderKind::Twilio, &url, body, now)
            .ok_or_else(|| anyhow::anyhow!("cannot sign the call flow for {url}"))?;
        let reference = reference_from_url(callback_url)
            .ok_or_else(|| anyhow::anyhow!("bad callback URL {callback_url}"))?;
        stats.call_flows += 1;
        match self.engine.call_flow("twilio", &reference, &request).await {
            Ok(engine::call_flow::CallFlowAnswer::Answer(_, twiml)) => {
                stats.transfers += u64::from(twiml.contains("<Dial"));
            }
            Ok(engine::call_flow::CallFlowAnswer::Rejected(err)) => {
                anyhow::bail!("the call flow refused Twilio's request: {err}")
            }
            Err(engine::EngineError::Crash(_)) => {}
            Err(err) => return Err(err.into()),
        }
        Ok(())
    }

    /// Delivers one agent report to the report API's engine side; an agent retries a failed
    /// report (a crash answers 5xx) a few times.
    async fn deliver_report(
        &mut self,
        pending: PendingEvent,
        stats: &mut RunStats,
    ) -> anyhow::Result<()> {
        stats.agent_reports += 1;
        let token = pending.bearer.clone().unwrap_or_default();
        // On Vapi the assistant reports through its report tool, not the report API.
        if self.settings.provider == ProviderKind::Vapi {
            return self.deliver_tool_call(pending, &token, stats).await;
        }
        let report: domain::call_report::AgentReport = serde_json::from_slice(&pending.body)?;
        match self.engine.apply_agent_report(&token, &report).await {
            Ok(engine::reports::ReportOutcome::Recorded { changed, .. }) => {
                stats.agent_reports_recorded += u64::from(changed);
            }
            Ok(other) => anyhow::bail!("an agent report was refused: {other:?}"),
            Err(engine::EngineError::Crash(_)) if pending.tries < 4 => {
                self.provider_events.push(PendingEvent {
                    at: self.clock.now() + Duration::seconds(5),
                    tries: pending.tries + 1,
                    ..pending
                });
            }
            Err(engine::EngineError::Crash(_)) => {}
            Err(err) => return Err(err.into()),
        }
        Ok(())
    }

    /// The earliest deadline in the due index.
    async fn next_due(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let far = self.clock.now() + Duration::days(3650);
        let mut earliest: Option<DateTime<Utc>> = None;
        for (campaign, shard) in self
            .campaigns()
            .into_iter()
            .flat_map(|c| (0..ports::store::LEAD_SHARDS).map(move |s| (c, s)))
        {
            for kind in [DueKind::Dial, DueKind::CallDeadline] {
                if kind == DueKind::CallDeadline && shard > 0 {
                    continue;
                }
                let leads = self
                    .store
                    .due_leads(campaign, kind, far, DueBatch::up_to(1), shard)
                    .await?;
                for lead in leads {
                    if let Some((_, at)) = lead.state.due() {
                        earliest = Some(earliest.map_or(at, |e: DateTime<Utc>| e.min(at)));
                    }
                }
            }
        }
        Ok(earliest)
    }
}
