//! A Twilio campaign through a bad afternoon, under fire: the agent's media stream is down for
//! half an hour, then the account refuses calls for twenty minutes (a geographic-permissions
//! setting). Each pauses the campaign; a person resumes it; it drains. The network's own record
//! of every call proves no lead was wrongly completed or failed: no call the agent never came to
//! was recorded as reaching the person, no contact's attempt was spent on a refused call.

use chrono::Duration;
use domain::guardrails::Guardrail;
use domain::retry::Outcome;
use domain::status::{CampaignStatus, LeadStatus};
use system_tests::World;
use system_tests::fake_providers::ProviderKind;
use system_tests::world::{WorldConfig, contacts_in};

use crate::scenarios::{US_AREA_CODES, all_week, run_and_check, spec, utc};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_twilio_campaign_through_an_agent_outage_and_an_account_refusal_ends_true_to_the_line() {
    let campaign = spec(serde_json::json!({
        "name": "A bad afternoon",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "pacing": { "max_concurrent_calls": 6, "calls_per_hour": 120 },
        "retry": { "max_retries": 1, "delay_minutes": 15, "retry_on": ["no_answer", "busy"] },
        "call_handling": { "max_call_seconds": 300, "voicemail_detection": true,
            "voicemail_action": "hang_up" },
        "guardrails": { "min_sample": 5 }
    }));
    let start = utc("2026-06-10T14:00:00Z");
    let mut config =
        WorldConfig::calm("outages", campaign, contacts_in(US_AREA_CODES, 60), start).hostile();
    config.provider = ProviderKind::Twilio;
    config.calls_per_second = 2;
    config.outages.agent_down =
        vec![(start + Duration::minutes(10), start + Duration::minutes(40))];
    config.outages.account_refusing =
        vec![(start + Duration::minutes(70), start + Duration::minutes(90))];
    config.resume_after_pause = Some(Duration::minutes(20));
    // A lead's whole life: each call may bring a callback up to 48 h ahead (once, to day 5).
    config.max_virtual = Duration::days(8);
    let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;

    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    if !stats.finished {
        // Which leads held it open, and how (for the next reader of a red run).
        let open: Vec<String> = (world.leads().await.unwrap().iter())
            .filter(|l| !l.state.status.is_final())
            .map(|l| {
                format!(
                    "{} {:?} attempts {} call {:?} next {:?}",
                    l.id, l.state.status, l.state.attempts, l.state.call, l.state.next_call_at
                )
            })
            .collect();
        panic!(
            "the campaign did not drain ({:?}): {open:#?}\n{stats:?}",
            world.status().await
        );
    }
    assert_eq!(world.status().await.unwrap(), CampaignStatus::Completed);
    // Both troubles happened and each paused the campaign for what it was.
    let paused_for: Vec<Guardrail> = stats.resumed.iter().map(|(g, _)| *g).collect();
    assert!(
        paused_for.contains(&Guardrail::AgentUnavailable),
        "{paused_for:?}"
    );
    assert!(
        paused_for.contains(&Guardrail::AccountProblem),
        "{paused_for:?}"
    );
    assert!(
        findings.figures["agent_unavailable_calls"] > 0,
        "{:?}",
        findings.figures
    );
    // Agent misses used no retry: every lead that ended failed had its retry's worth of calls,
    // or a lasting failure, on the line.
    let leads = world.leads().await.unwrap();
    for lead in leads
        .iter()
        .filter(|l| l.state.status == LeadStatus::Failed)
    {
        let last = lead.state.log.last().expect("a failed lead was called");
        assert_ne!(last.outcome, Outcome::Completed, "{}", lead.id);
    }
    let misses: usize = leads
        .iter()
        .map(|l| {
            l.state
                .log
                .iter()
                .filter(|r| r.outcome == Outcome::AgentUnavailable)
                .count()
        })
        .sum();
    assert!(misses > 0, "the outage was recorded as the agent's absence");
}
