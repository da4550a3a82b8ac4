//! People erased while their campaign runs under fire (four dialers, three copies of every
//! message, crashes, provider faults), then imported again by a later list: an erased number is
//! never called again though its plain DNC entry is gone (the keyed marker alone refuses the
//! claim), its lead leaves every count (the campaign completes and its counters equal its
//! leads), and every other promise holds.

use chrono::Duration;
use domain::erasure::ErasureStatus;
use domain::lead::SkipReason;
use domain::status::{CampaignStatus, LeadStatus};
use system_tests::World;
use system_tests::world::{WorldConfig, contacts_in};

use crate::scenarios::{all_week, run_and_check, spec, utc};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_erased_number_is_never_called_again_even_imported_again_and_its_lead_leaves_every_count()
 {
    let campaign = spec(serde_json::json!({
        "name": "Erased mid-campaign",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "retry": { "max_retries": 2, "delay_minutes": 20 },
        "guardrails": { "max_dnc_hit_percent": 100 }
    }));
    let contacts = contacts_in(&["212"], 30);
    let start = utc("2026-06-10T14:00:00Z");
    let mut config = WorldConfig::calm("erasure", campaign, contacts.clone(), start).hostile();
    // Some are erased before they can be called, the others mid-campaign (some in a call,
    // some between retries, some already done).
    let erased: Vec<_> = (contacts.iter().enumerate())
        .filter(|(i, _)| i % 5 == 0)
        .map(|(i, c)| {
            (
                Duration::minutes(if i < 10 { 0 } else { 3 + i as i64 }),
                c.phone.clone(),
            )
        })
        .collect();
    config.dnc_additions = erased.clone();
    config.erase_dnc_additions = true;
    let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    assert!(stats.finished, "{stats:?}");
    assert_eq!(world.status().await.unwrap(), CampaignStatus::Completed);

    let leads = world.leads().await.unwrap();
    let mut called_before = 0;
    for (_, number) in &erased {
        let record = world.erasure_of(number).await.unwrap().expect("recorded");
        assert_eq!(record.status, ErasureStatus::Completed, "{number}");
        assert_eq!(record.erased.leads.len(), 1, "the first lead of {number}");
        called_before += usize::from(record.erased.leads[0].attempts > 0);
        let again = leads
            .iter()
            .find(|l| &l.contact.phone == number)
            .expect("imported again");
        assert_eq!(
            again.source.import_id.as_str(),
            "later",
            "{number}: the first lead is gone"
        );
        assert_eq!(
            (
                again.state.status,
                again.state.skip_reason,
                again.state.attempts
            ),
            (LeadStatus::Skipped, Some(SkipReason::DoNotCall), 0),
            "{number}: refused at the claim"
        );
        let plain = ports::store::is_dnc(world.store.as_ref(), &world.campaign.tenant, number);
        assert!(!plain.await.unwrap(), "{number}: only the marker stays");
    }
    assert!(
        called_before > 0,
        "some were erased after calls: {erased:?}"
    );
    assert_eq!(
        leads.len(),
        contacts.len(),
        "the erased lead of each number was replaced, once"
    );
}
