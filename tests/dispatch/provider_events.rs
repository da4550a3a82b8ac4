//! Every provider event is bound to its call: a report validly signed for a lead's URL but naming
//! another call changes nothing.

use chrono::Duration;
use domain::status::LeadStatus;
use engine::Applied;
use engine::provider_events::ProviderEventOutcome;
use ports::Clock;
use system_tests::world::reference_from_url;

use crate::scenarios::{dial_message_now, noon, noon_world};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_signed_report_naming_another_call_is_ignored_and_changes_nothing() {
    let start = noon();
    let world = noon_world("bound-events", 2).await;
    assert_eq!(
        world.engine.tick(&world.campaign).await.unwrap().enqueued,
        2
    );
    let leads = world.leads().await.unwrap();
    for lead in &leads {
        let message = dial_message_now(&world, lead.clone(), start).await;
        world.engine.dial(&message).await.unwrap();
    }
    let calls = world.simulator.calls();
    assert_eq!(calls.len(), 2);
    let ends = calls.iter().map(|c| c.ends_at).max().unwrap();
    world.clock.set(ends + Duration::seconds(10));
    let deliveries = world.simulator.take_due(world.clock.now());
    let ended = |lead: &str| {
        deliveries
            .iter()
            .rfind(|d| {
                d.url.contains(lead) && String::from_utf8_lossy(&d.body).contains("\"ended\"")
            })
            .unwrap()
            .clone()
    };
    let (first, second) = (ended(leads[0].id.as_str()), ended(leads[1].id.as_str()));

    // The first call's report, validly signed for the second lead's URL.
    let forged = world
        .simulator
        .signed(second.url.clone(), first.body.clone(), world.clock.now());
    let reference = reference_from_url(&second.url).unwrap();
    let outcome = world
        .engine
        .handle_provider_event("simulator", &reference, &forged)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        ProviderEventOutcome::Outcome(Applied::Ignored("another call's report"))
    );
    let second_lead = world
        .leads()
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.id == leads[1].id)
        .unwrap();
    assert_eq!(second_lead.state.status, LeadStatus::Calling, "untouched");

    // Its own report still applies.
    let own = world
        .engine
        .handle_provider_event("simulator", &reference, &second)
        .await
        .unwrap();
    assert!(
        matches!(own, ProviderEventOutcome::Outcome(Applied::Applied(_))),
        "{own:?}"
    );
}
