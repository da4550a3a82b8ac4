//! A telemarketing campaign calls only the contacts whose rows give express written consent
//! with its evidence; the others are skipped saying why, and every call's clearance records the
//! consent relied on (the promise checker verifies each against the campaign).

use chrono::DateTime;
use domain::lead::{ConsentType, SkipReason};
use domain::registry::Registry;
use domain::status::LeadStatus;
use system_tests::World;
use system_tests::world::{WorldConfig, contacts_in};

use crate::scenarios::{all_week, run_and_check, spec, utc};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn telemarketing_calls_only_written_consent_and_every_clearance_says_which() {
    let campaign = spec(serde_json::json!({
        "name": "Offers",
        "agent_id": "agent-1",
        "purpose": "telemarketing",
        "schedule": { "window": all_week("08:00", "21:00") },
        "retry": { "max_retries": 0 }
    }));
    let mut contacts = contacts_in(&["212"], 12);
    let signed: DateTime<chrono::Utc> = utc("2026-05-01T10:00:00Z");
    for (i, contact) in contacts.iter_mut().enumerate() {
        match i % 3 {
            0 => {
                contact.consent_type = Some(ConsentType::ExpressWritten);
                contact.consent_source = Some("web form /offers".into());
                contact.consent_at = Some(signed);
                contact.consent_reference = Some(format!("form-{i}"));
            }
            1 => contact.consent = Some(true),
            _ => {}
        }
    }
    let config = WorldConfig::calm("consent", campaign, contacts, utc("2026-06-10T14:00:00Z"));
    let world = World::build(config).await.unwrap();
    // Telemarketing to US numbers needs a fresh extract of the National DNC Registry.
    let downloaded = "2026-06-01".parse().unwrap();
    (world
        .load_registry_extract(Registry::UsNationalDnc, downloaded, &[])
        .await)
        .unwrap();
    let (world, stats, findings) = run_and_check(world).await;
    assert!(stats.finished, "{stats:?}");
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    let mut called = 0;
    for lead in world.leads().await.unwrap() {
        match lead.contact.consent_held() {
            ConsentType::ExpressWritten => {
                let clearance = (lead.state.log.first())
                    .and_then(|r| r.clearance.as_ref())
                    .expect("called, and cleared");
                assert_eq!(clearance.consent_type.as_deref(), Some("express_written"));
                assert_eq!(clearance.consent_reference, lead.contact.consent_reference);
                assert_eq!(clearance.purpose, "telemarketing");
                called += 1;
            }
            held => {
                assert_eq!(lead.state.status, LeadStatus::Skipped, "{lead:?}");
                let why = match held {
                    ConsentType::Express => SkipReason::ConsentInsufficient,
                    _ => SkipReason::NoConsent,
                };
                assert_eq!(lead.state.skip_reason, Some(why));
                assert!(lead.state.log.is_empty(), "never called");
            }
        }
    }
    assert_eq!(called, 4);
    let to: Vec<_> = world
        .simulator
        .calls()
        .iter()
        .map(|c| c.to.clone())
        .collect();
    assert_eq!(to.len(), 4, "{to:?}");
}
