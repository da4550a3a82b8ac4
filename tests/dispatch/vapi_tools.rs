//! The assistant's report tool on Vapi: a `tool-calls` message is applied by the report API's
//! rules (an opt-out on the DNC list in the same write, an invalid report refused and nothing
//! changed), exactly once, and answered with each tool call's result by its id.

use domain::status::LeadStatus;
use engine::provider_events::ProviderEventOutcome;
use ports::store::DoNotCall;
use system_tests::World;
use system_tests::fake_providers::ProviderKind;
use system_tests::fake_providers::vapi::{end_of_call_report, tool_calls_message};
use system_tests::world::{WorldConfig, contacts_in};

use crate::scenarios::{all_week, dial_message_now, noon, spec};

/// Sends one report tool call for the world's only call; the answer's result for it.
async fn call_the_tool(world: &World, tool_call_id: &str, arguments: &str) -> serde_json::Value {
    let call = world.simulator.calls().pop().expect("a call was placed");
    let request = tool_calls_message(
        &call.reference,
        &call.provider_call_id,
        tool_call_id,
        arguments.as_bytes(),
    )
    .expect("the fake Vapi kept the call");
    let outcome = (world.engine)
        .handle_provider_event("vapi", &call.reference, &request)
        .await
        .unwrap();
    let ProviderEventOutcome::Answer(content_type, body) = outcome else {
        panic!("no answer: {outcome:?}")
    };
    assert_eq!(content_type, "application/json");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let result = answer["results"][0].clone();
    assert_eq!(result["toolCallId"], tool_call_id, "{body}");
    assert_eq!(result["name"], "call_report", "{body}");
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_assistants_report_tool_follows_the_report_rules_and_is_answered_by_id() {
    let campaign = spec(serde_json::json!({
        "name": "Vapi tools",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") }
    }));
    let mut config = WorldConfig::calm("vapi-tools", campaign, contacts_in(&["212"], 1), noon());
    config.provider = ProviderKind::Vapi;
    let world = World::build(config).await.unwrap();
    assert_eq!(
        world.engine.tick(&world.campaign).await.unwrap().enqueued,
        1
    );
    let lead = world.leads().await.unwrap().pop().unwrap();
    let mut message = dial_message_now(&world, lead.clone(), noon()).await;
    message.call.provider = "vapi".into();
    world.engine.dial(&message).await.unwrap();
    let tenant = &world.campaign.tenant;
    let phone = std::slice::from_ref(&lead.contact.phone);

    // An opt-out that also asks for a callback is no report: refused, nothing changed.
    let refused = call_the_tool(
        &world,
        "tc-1",
        r#"{"opt_out": true, "callback_at": "2026-06-12T15:00:00Z"}"#,
    )
    .await;
    assert!(
        refused["error"].as_str().unwrap().contains("callback_at"),
        "{refused}"
    );
    assert!(
        world
            .store
            .dnc_among(tenant, phone)
            .await
            .unwrap()
            .is_empty()
    );

    // The opt-out alone: recorded, and the number on the tenant's DNC list in the same write.
    let recorded = call_the_tool(&world, "tc-2", r#"{"opt_out": true}"#).await;
    assert_eq!(recorded["result"], "recorded", "{recorded}");
    assert_eq!(world.store.dnc_among(tenant, phone).await.unwrap().len(), 1);
    let stored = world.leads().await.unwrap().pop().unwrap();
    assert_eq!(stored.state.status, LeadStatus::Calling);
    assert!(stored.state.call.unwrap().report.opt_out);

    // Vapi sends it again (a retry): nothing new.
    let again = call_the_tool(&world, "tc-3", r#"{"opt_out": true}"#).await;
    assert_eq!(again["result"], "already recorded", "{again}");
}

/// One call of the world's only lead on the fake Vapi, placed; the world and the lead.
async fn one_vapi_call(label: &str) -> (World, domain::lead::Lead) {
    let campaign = spec(serde_json::json!({
        "name": "Vapi analysis",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") }
    }));
    let mut config = WorldConfig::calm(label, campaign, contacts_in(&["212"], 1), noon());
    config.provider = ProviderKind::Vapi;
    let world = World::build(config).await.unwrap();
    world.engine.tick(&world.campaign).await.unwrap();
    let lead = world.leads().await.unwrap().pop().unwrap();
    let mut message = dial_message_now(&world, lead.clone(), noon()).await;
    message.call.provider = "vapi".into();
    world.engine.dial(&message).await.unwrap();
    (world, lead)
}

/// Delivers an end-of-call report for the world's only call; the lead after it.
async fn end_the_call(
    world: &World,
    reason: &str,
    structured: serde_json::Value,
) -> domain::lead::Lead {
    let call = world.simulator.calls().pop().expect("a call was placed");
    let request = end_of_call_report(&call.reference, &call.provider_call_id, reason, structured)
        .expect("the fake Vapi kept the call");
    (world.engine)
        .handle_provider_event("vapi", &call.reference, &request)
        .await
        .unwrap();
    world.leads().await.unwrap().pop().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn what_the_analysis_learnt_follows_the_report_rules_and_a_bad_field_never_costs_the_opt_out()
{
    // An opt-out beside a callback time in the past and results over their bound: the opt-out
    // stands (on the DNC list), the invalid fields are dropped.
    let (world, lead) = one_vapi_call("vapi-analysis-opt-out").await;
    let structured = serde_json::json!({
        "opt_out": true, "callback_at": "2020-01-01T00:00:00Z", "notes": "x".repeat(5000)
    });
    let ended = end_the_call(&world, "customer-ended-call", structured).await;
    let record = &ended.state.log[0];
    assert_eq!(
        record.outcome,
        domain::retry::Outcome::OptedOut,
        "{ended:?}"
    );
    assert_eq!(
        ended.state.status,
        LeadStatus::Completed,
        "an opt-out is final"
    );
    assert!(
        record.report.opt_out && record.report.results.is_empty(),
        "{record:?}"
    );
    let phone = std::slice::from_ref(&lead.contact.phone);
    let listed = world
        .store
        .dnc_among(&world.campaign.tenant, phone)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "the opt-out is on the DNC list");

    // A callback time in the past is no callback: the call simply completed, and the lead is
    // not called again at once; a forwarded call is recorded as transferred, with its results.
    let (world, _) = one_vapi_call("vapi-analysis-past-callback").await;
    let structured = serde_json::json!({"callback_at": "2020-01-01T00:00:00Z", "plan": "gold"});
    let ended = end_the_call(&world, "assistant-forwarded-call", structured).await;
    let record = &ended.state.log[0];
    assert_eq!(
        record.outcome,
        domain::retry::Outcome::Completed,
        "{record:?}"
    );
    assert_eq!(record.report.callback_at, None);
    assert_eq!(
        record.report.results.get("plan").map(String::as_str),
        Some("gold")
    );
    assert!(record.transferred, "the assistant forwarded the call");
    assert_ne!(
        ended.state.status,
        LeadStatus::Scheduled,
        "no callback scheduled: {ended:?}"
    );
}
