//! Campaign lifecycle under the tick: what a pause, an end date and a cancel leave behind.

use chrono::Duration;
use domain::lead::SkipReason;
use domain::status::{CampaignStatus, LeadStatus};
use system_tests::World;
use system_tests::world::{WorldConfig, contacts_in};

use crate::scenarios::{all_week, dial_message_now, noon, pause, spec};

async fn count(world: &World, which: impl Fn(&domain::lead::Lead) -> bool) -> usize {
    world
        .leads()
        .await
        .unwrap()
        .iter()
        .filter(|l| which(l))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paused_campaign_settles_overdue_calls_and_completes_at_its_end_date() {
    let start = noon();
    let ends_at = start + Duration::hours(4);
    let campaign = spec(serde_json::json!({
        "name": "paused-ends",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00"), "ends_at": ends_at }
    }));
    let config = WorldConfig::calm("paused-ends", campaign, contacts_in(&["212"], 3), start);
    let world = World::build(config).await.unwrap();
    assert_eq!(
        world.engine.tick(&world.campaign).await.unwrap().enqueued,
        3
    );
    // One lead is on a call; no webhook is delivered (nothing here takes them), so only a
    // tick's reconciliation can settle it.
    let lead = world.leads().await.unwrap().remove(0);
    let message = dial_message_now(&world, lead, start).await;
    assert_eq!(
        world.engine.dial(&message).await.unwrap(),
        engine::dial::DialOutcome::Done("called")
    );
    pause(&world, start).await;

    // Two hours on, still paused: the call is settled and its slot comes back; nothing is dialed.
    world.clock.set(start + Duration::hours(2));
    let report = world.engine.tick(&world.campaign).await.unwrap();
    assert_eq!((report.reconciled, report.enqueued), (1, 0), "{report:?}");
    let calling = count(&world, |l| l.state.status == LeadStatus::Calling).await;
    assert_eq!(calling, 0);
    assert_eq!(world.status().await.unwrap(), CampaignStatus::Paused);

    // Past the end date the paused campaign completes and its open leads are skipped.
    world.clock.set(ends_at + Duration::minutes(1));
    let report = world.engine.tick(&world.campaign).await.unwrap();
    assert!(report.completed && report.schedule_deleted, "{report:?}");
    assert_eq!(world.status().await.unwrap(), CampaignStatus::Completed);
    let ended = count(&world, |l| {
        l.state.skip_reason == Some(SkipReason::CampaignEnded)
    })
    .await;
    assert_eq!(
        ended, 2,
        "the two leads never called are skipped, not left open"
    );
    assert_eq!(world.simulator.calls().len(), 1, "no call while paused");
}

/// Pause under load: four dialers working the leases of a tick (each message delivered twice),
/// the pause committed while they run. Once the pause has returned, no create-call request is
/// made: the claim's condition on the campaign's status refuses every later claim, cached
/// configuration or not, and the leads go back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_call_is_placed_after_a_pause_has_returned_under_four_dialers() {
    let start = noon();
    let world = crate::scenarios::noon_world("paused-four", 5).await;
    assert_eq!(
        world.engine.tick(&world.campaign).await.unwrap().enqueued,
        5
    );
    let mut messages = Vec::new();
    for lead in world.leads().await.unwrap() {
        let message = dial_message_now(&world, lead, start).await;
        messages.push(message.clone());
        messages.push(message);
    }
    // Two leads are called before the pause (the dialers' caches now hold the campaign as
    // Active).
    for message in messages.drain(..4) {
        world.engine.dial(&message).await.unwrap();
    }
    let before_pause = world.simulator.create_requests();
    assert_eq!(world.simulator.calls().len(), 2);
    pause(&world, start).await;
    // The pause has returned; four dialers take the remaining six deliveries at once.
    let engine = world.engine.clone();
    let mut dialers = Vec::new();
    for chunk in messages.chunks(2) {
        let (engine, chunk) = (engine.clone(), chunk.to_vec());
        dialers.push(tokio::spawn(async move {
            for message in chunk {
                engine.dial(&message).await.unwrap();
            }
        }));
    }
    for dialer in dialers {
        dialer.await.unwrap();
    }
    assert_eq!(
        world.simulator.create_requests(),
        before_pause,
        "no create-call request after the pause"
    );
    assert_eq!(
        count(&world, |l| l.state.status == LeadStatus::Calling).await,
        2,
        "only the calls placed before the pause"
    );
    assert_eq!(
        count(&world, |l| l.state.status == LeadStatus::Pending
            && l.state.lease.is_none())
        .await,
        3,
        "the other leads went back"
    );
}
