//! Telemarketing under the government do-not-call registries, under fire (four dialers, three
//! copies of every message, crashes, provider faults): a number in the tenant's fresh extract
//! is never called unless the contact's business relationship still runs, and every call's
//! clearance names the extract checked or the exemption; with no fresh extract the campaign
//! pauses at its first call, saying which registry and how old, and no attempt is spent.

use chrono::{DateTime, Utc};
use domain::guardrails::Guardrail;
use domain::lead::{ConsentType, Contact, SkipReason};
use domain::registry::Registry;
use domain::status::{CampaignStatus, LeadStatus};
use system_tests::World;
use system_tests::world::{WorldConfig, contacts_in};

use crate::scenarios::{all_week, run_and_check, spec, utc};

/// Telemarketing contacts in New York, each with written consent and its evidence.
fn consenting(count: usize) -> Vec<Contact> {
    let signed: DateTime<Utc> = utc("2026-05-01T10:00:00Z");
    let mut contacts = contacts_in(&["212"], count);
    for (i, contact) in contacts.iter_mut().enumerate() {
        contact.consent_type = Some(ConsentType::ExpressWritten);
        contact.consent_source = Some("web form /offers".into());
        contact.consent_at = Some(signed);
        contact.consent_reference = Some(format!("form-{i}"));
    }
    contacts
}

fn telemarketing() -> domain::config::CampaignSpec {
    spec(serde_json::json!({
        "name": "Offers",
        "agent_id": "agent-1",
        "purpose": "telemarketing",
        "schedule": { "window": all_week("08:00", "21:00") },
        "retry": { "max_retries": 1, "delay_minutes": 30 }
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registry_numbers_are_never_called_unless_a_business_relationship_still_runs() {
    let start = utc("2026-06-10T14:00:00Z");
    let mut contacts = consenting(16);
    // 0..2: listed, with a relationship still running; 2..4: listed, one that has ended;
    // 4..8: listed; 8..16: not listed.
    for contact in &mut contacts[0..2] {
        contact.ebr_until = Some(utc("2026-09-01T00:00:00Z"));
    }
    for contact in &mut contacts[2..4] {
        contact.ebr_until = Some(utc("2026-06-01T00:00:00Z"));
    }
    let listed: Vec<_> = contacts[0..8].iter().map(|c| c.phone.clone()).collect();
    let config = WorldConfig::calm("registry", telemarketing(), contacts, start).hostile();
    let world = World::build(config).await.unwrap();
    let downloaded = "2026-05-20".parse().unwrap();
    (world
        .load_registry_extract(Registry::UsNationalDnc, downloaded, &listed)
        .await)
        .unwrap();
    let (world, stats, findings) = run_and_check(world).await;
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    assert!(stats.finished, "{stats:?}");
    assert_eq!(world.status().await.unwrap(), CampaignStatus::Completed);
    let called: Vec<_> = (world.simulator.calls().into_iter())
        .map(|c| c.to)
        .collect();
    // Leads come back in no set order: each is judged by its own fields.
    for lead in world.leads().await.unwrap() {
        let phone = lead.contact.phone.clone();
        let on_registry = listed.contains(&phone);
        let ebr_running = lead.contact.ebr_until.is_some_and(|u| u > start);
        if on_registry && !ebr_running {
            assert_eq!(lead.state.status, LeadStatus::Skipped, "{phone}");
            assert_eq!(
                lead.state.skip_reason,
                Some(SkipReason::OnRegistry),
                "{phone}"
            );
            assert!(
                !called.contains(&phone),
                "{phone} on the registry was called"
            );
            continue;
        }
        assert!(called.contains(&phone), "{phone} should have been called");
        for record in &lead.state.log {
            let registry = (record.clearance.as_ref())
                .and_then(|c| c.registry.as_ref())
                .expect("a telemarketing clearance names the registry");
            assert_eq!(registry.registry, "us_national_dnc");
            if on_registry {
                let exemption = registry.exemption.as_deref().unwrap_or_default();
                assert!(exemption.starts_with("ebr_until 2026-09-01"), "{exemption}");
                assert_eq!(registry.extract_downloaded_on, None);
            } else {
                assert_eq!(registry.extract_downloaded_on, Some(downloaded));
                assert_eq!(registry.exemption, None);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_no_fresh_extract_the_campaign_pauses_at_its_first_call_and_spends_nothing() {
    let start = utc("2026-06-10T14:00:00Z");
    let mut config = WorldConfig::calm("stale-registry", telemarketing(), consenting(6), start);
    config.stop_after_pause = Some(chrono::Duration::minutes(10));
    let world = World::build(config).await.unwrap();
    // 40 days old: past the registry's 31.
    let downloaded = "2026-05-01".parse().unwrap();
    (world
        .load_registry_extract(Registry::UsNationalDnc, downloaded, &[])
        .await)
        .unwrap();
    let (world, _stats, findings) = run_and_check(world).await;
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    let record = world.record().await.unwrap();
    assert_eq!(record.status, CampaignStatus::Paused);
    let reason = record.pause_reason.expect("paused with a reason");
    assert_eq!(reason.guardrail, Guardrail::StaleRegistry);
    assert!(
        reason.message.contains("40 days ago (limit 31 days)"),
        "{}",
        reason.message
    );
    assert!(world.simulator.calls().is_empty(), "no call was placed");
    for lead in world.leads().await.unwrap() {
        assert!(lead.state.log.is_empty(), "no attempt spent: {lead:?}");
        assert_eq!(lead.state.status, LeadStatus::Pending);
    }
}
