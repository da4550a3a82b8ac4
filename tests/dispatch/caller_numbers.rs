//! A caller number is the tenant's only while it is registered for it: one withdrawn while a
//! campaign runs stops being used within the dialers' cache, without spending a contact's
//! attempt, and the campaign pauses saying why.

use chrono::Duration;
use domain::status::{CampaignStatus, LeadStatus};
use ports::Clock;
use ports::store::{Campaigns, TenantPolicies};

use crate::scenarios::{dial_message_now, noon, noon_world};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_caller_number_withdrawn_mid_campaign_places_no_more_calls_and_pauses_it() {
    let world = noon_world("caller-withdrawn", 2).await;
    assert_eq!(
        world.engine.tick(&world.campaign).await.unwrap().enqueued,
        2
    );
    let leads = world.leads().await.unwrap();
    let first = dial_message_now(&world, leads[0].clone(), noon()).await;
    world.engine.dial(&first).await.unwrap();
    assert_eq!(
        world.simulator.calls().len(),
        1,
        "the number was the tenant's"
    );

    // The operators give the number up; the dialers' cached terms lapse.
    let tenant = &world.campaign.tenant;
    assert!(
        world
            .store
            .set_tenant_policy(tenant, &[], &["US".into()])
            .await
            .unwrap()
    );
    world.clock.set(noon() + Duration::seconds(31));
    let second = dial_message_now(&world, leads[1].clone(), noon()).await;
    world.engine.dial(&second).await.unwrap();

    assert_eq!(
        world.simulator.calls().len(),
        1,
        "no call from a withdrawn number"
    );
    let record = world
        .store
        .get_campaign(&world.campaign)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, CampaignStatus::Paused);
    let reason = record.pause_reason.expect("the pause says why");
    assert!(reason.message.contains("+14155552671"), "{reason:?}");
    let lead = (world.leads().await.unwrap().into_iter())
        .find(|l| l.id == leads[1].id)
        .unwrap();
    assert_eq!(lead.state.status, LeadStatus::Pending);
    assert_eq!(lead.state.attempts, 0, "no attempt spent");
    assert!(world.clock.now() > noon());
}
