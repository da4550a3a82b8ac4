//! The guardrails' storage: snapshots kept beside the counters and read with the campaign, and
//! a guardrail's pause conditional on the run it judged.

use domain::guardrails::{Guardrail, HealthCounts, HealthSnapshot, PauseReason, Trip};
use domain::status::CampaignStatus;
use ports::store::CampaignStatuses;
use ports::store::{Campaigns, Counters, Refusal, WebhookEvents, WriteError};

use crate::support::*;

fn counts(attempts: i64) -> HealthCounts {
    HealthCounts {
        attempts,
        finished: attempts,
        failed: attempts / 2,
        connected: 1,
        opted_out: 1,
        throttled: 3,
        dnc_hits: 4,
        agent_unavailable: 2,
        disclosures_due: 5,
        disclosures_missed: 1,
    }
}

fn reason() -> PauseReason {
    let trip = Trip {
        guardrail: Guardrail::DncHits,
        count: 4,
        sample: 24,
        limit_percent: 10,
    };
    PauseReason::of(trip, minutes(15), t0() + minutes(20))
}

async fn launch(f: &Fixture) {
    for (from, to) in [
        (CampaignStatus::Draft, CampaignStatus::Scheduled),
        (CampaignStatus::Scheduled, CampaignStatus::Active),
    ] {
        f.store
            .set_campaign_status(&f.campaign, from, to, t0())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn snapshots_are_read_with_the_campaign_and_dropped_when_asked() {
    let f = fixture("health").await;
    let first = HealthSnapshot {
        at: t0(),
        counts: counts(10),
    };
    let second = HealthSnapshot {
        at: t0() + minutes(3),
        counts: counts(16),
    };
    f.store
        .keep_health(&f.campaign, Some(first), &[])
        .await
        .unwrap();
    f.store
        .keep_health(&f.campaign, Some(second), &[])
        .await
        .unwrap();
    let (_, c) = f.store.campaign_with_counters(&f.campaign).await.unwrap();
    assert_eq!(c.health, vec![first, second]);

    f.store
        .keep_health(&f.campaign, None, &[first.at])
        .await
        .unwrap();
    let (_, c) = f.store.campaign_with_counters(&f.campaign).await.unwrap();
    assert_eq!(c.health, vec![second]);
    assert!(
        f.store
            .counters(&f.campaign)
            .await
            .unwrap()
            .health
            .is_empty(),
        "a plain counters read does not read the snapshots"
    );
}

#[tokio::test]
async fn a_guardrail_pauses_only_the_run_it_judged_and_resume_clears_its_reason() {
    let f = fixture("guardrail-pause").await;
    launch(&f).await;
    let since = f
        .store
        .get_campaign(&f.campaign)
        .await
        .unwrap()
        .unwrap()
        .active_since;
    assert_eq!(since, Some(t0()), "becoming Active starts a run");

    // A judgement of an earlier run (another start instant) is refused.
    let stale = f
        .store
        .pause_with_reason(&f.campaign, Some(t0() - minutes(60)), &reason(), None)
        .await;
    assert!(matches!(
        stale,
        Err(WriteError::Refused(Refusal::CampaignStatus))
    ));

    let told = domain::webhooks::Event {
        id: "evt_pause".into(),
        kind: domain::webhooks::EventType::CampaignStatusChanged,
        created_at: t0() + minutes(20),
        campaign_id: f.campaign.campaign.to_string(),
        lead_id: None,
        sequence: None,
        data: serde_json::json!({"from": "active", "to": "paused", "pause_reason": reason()}),
    };
    f.store
        .pause_with_reason(&f.campaign, since, &reason(), Some(&told))
        .await
        .unwrap();
    let events = f.store.recent_events(&f.campaign.tenant, 10).await.unwrap();
    assert_eq!(
        events.len(),
        1,
        "the pause's event is recorded in its write"
    );
    assert_eq!(events[0].0.data["pause_reason"]["guardrail"], "dnc_hits");
    let paused = f.store.get_campaign(&f.campaign).await.unwrap().unwrap();
    assert_eq!(paused.status, CampaignStatus::Paused);
    assert_eq!(paused.pause_reason, Some(reason()));

    // A second tick judging the same run finds it no longer Active.
    let again = f
        .store
        .pause_with_reason(&f.campaign, since, &reason(), None)
        .await;
    assert!(matches!(again, Err(WriteError::Refused(_))));

    let resumed_at = t0() + minutes(30);
    f.store
        .set_campaign_status(
            &f.campaign,
            CampaignStatus::Paused,
            CampaignStatus::Active,
            resumed_at,
        )
        .await
        .unwrap();
    let resumed = f.store.get_campaign(&f.campaign).await.unwrap().unwrap();
    assert_eq!(resumed.pause_reason, None, "resume clears the reason");
    assert_eq!(
        resumed.active_since,
        Some(resumed_at),
        "and starts a new run"
    );
    let stale = f
        .store
        .pause_with_reason(&f.campaign, since, &reason(), None)
        .await;
    assert!(
        stale.is_err(),
        "the old run's judgement cannot pause the new one"
    );
}
