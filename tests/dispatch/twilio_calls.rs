//! A call's whole life through the Twilio adapter, played by a fake Twilio that runs the TwiML
//! it is given, with the engine's call-events routes (webhooks, call flow, agent reports)
//! served over HTTP: what the callee experiences and what the lead records.

use chrono::Duration;
use domain::lead::Lead;
use domain::retry::Outcome;
use domain::status::LeadStatus;
use ports::store::{DoNotCall, is_dnc};
use serde_json::{Value, json};
use system_tests::World;
use system_tests::fake_twilio::{self, Answer, Experience, FakeTwilio};
use system_tests::world::{contact, contacts_in};

use crate::scenarios::{all_week, noon, spec};

pub(crate) const TRANSFER: &str = "+13125550123";

/// A one-lead world at noon on the Twilio adapter, whose Twilio is the fake.
pub(crate) async fn twilio_world(label: &str, call_handling: Value) -> (World, FakeTwilio) {
    twilio_world_of(label, call_handling, contacts_in(&["212"], 1)).await
}

pub(crate) async fn twilio_world_of(
    label: &str,
    call_handling: Value,
    contacts: Vec<domain::lead::Contact>,
) -> (World, FakeTwilio) {
    let campaign = spec(json!({
        "name": label,
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "retry": { "max_retries": 2, "retry_on": ["no_answer"] },
        "call_handling": call_handling,
    }));
    fake_twilio::world(label, campaign, contacts, noon())
        .await
        .unwrap()
}

/// Ticks and dials the lead; answers the call's sid.
pub(crate) async fn place_the_call(world: &World, fake: &FakeTwilio) -> String {
    let sids = fake_twilio::dial_due_leads(world, fake).await.unwrap();
    assert_eq!(sids.len(), 1, "one call placed");
    sids[0].clone()
}

pub(crate) async fn the_lead(world: &World) -> Lead {
    world.leads().await.unwrap().remove(0)
}

/// Waits for the fake's spawned work (callbacks posted after an update) to land.
pub(crate) async fn settled(world: &World) -> Lead {
    for _ in 0..50 {
        let lead = the_lead(world).await;
        if lead.state.status != LeadStatus::Calling {
            return lead;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    the_lead(world).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_call_that_ends_normally_is_never_transferred() {
    let (world, fake) = twilio_world(
        "twilio-normal-end",
        json!({"voicemail_detection": false, "transfer_number": TRANSFER}),
    )
    .await;
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    fake.stream_ends(&sid).await;
    let call = fake.call(&sid);
    assert_eq!(call.experienced, vec![Experience::TalkedToAgent]);
    assert_eq!(call.call_flow_requests, 1, "the redirect asked what to do");
    assert_eq!(call.status, "completed");
    let lead = settled(&world).await;
    assert_eq!(lead.state.status, LeadStatus::Completed);
    assert_eq!(lead.state.log[0].outcome, Outcome::Completed);
    assert!(!lead.state.log[0].transferred);
    assert!(fake.deliveries().iter().all(|(_, status)| *status < 300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_transfer_the_agent_asks_for_happens_once() {
    let (world, fake) = twilio_world(
        "twilio-transfer",
        json!({"voicemail_detection": false, "transfer_number": TRANSFER}),
    )
    .await;
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    let (status, body) = fake.agent_reports(&sid, json!({"transfer": true})).await;
    assert_eq!(status, 200, "{body}");
    fake.stream_ends(&sid).await;
    let call = fake.call(&sid);
    assert_eq!(
        call.experienced,
        vec![
            Experience::TalkedToAgent,
            Experience::Transferred(TRANSFER.into())
        ]
    );
    // Twilio asking again (a timed-out request retried) connects nothing more.
    let again = fake.ask_call_flow_again(&sid).await;
    assert!(
        again.contains("<Hangup/>") && !again.contains("<Dial"),
        "{again}"
    );
    let lead = settled(&world).await;
    let record = &lead.state.log[0];
    assert!(record.transferred && record.report.transfer);
    assert_eq!(record.outcome, Outcome::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_machine_with_hang_up_ends_the_call_and_counts_as_voicemail() {
    let (world, fake) = twilio_world(
        "twilio-machine-hang-up",
        json!({"voicemail_detection": true, "voicemail_action": "hang_up"}),
    )
    .await;
    let sid = place_the_call(&world, &fake).await;
    assert_eq!(fake.call(&sid).field("MachineDetection"), Some("Enable"));
    fake.answer(&sid, Answer::Machine).await;
    let call = fake.call(&sid);
    assert_eq!(call.experienced, vec![Experience::HungUpOn]);
    assert_eq!(call.status, "completed");
    let lead = settled(&world).await;
    let record = &lead.state.log[0];
    assert_eq!(record.outcome, Outcome::Voicemail);
    assert_eq!(record.answered_by.as_deref(), Some("machine_start"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_machine_with_leave_message_hears_the_message_and_records_voicemail_left() {
    let (world, fake) = twilio_world(
        "twilio-machine-message",
        json!({"voicemail_detection": true, "voicemail_action": "leave_message"}),
    )
    .await;
    let sid = place_the_call(&world, &fake).await;
    assert_eq!(
        fake.call(&sid).field("MachineDetection"),
        Some("DetectMessageEnd")
    );
    fake.answer(&sid, Answer::Machine).await;
    let call = fake.call(&sid);
    assert_eq!(
        call.experienced,
        vec![Experience::HeardMessage("Hi, this is Ava.".into())]
    );
    let lead = settled(&world).await;
    let record = &lead.state.log[0];
    assert_eq!(record.outcome, Outcome::Voicemail);
    assert_eq!(record.answered_by.as_deref(), Some("machine_end_beep"));
    // The message left completes the lead (voicemail is not retried here).
    assert_eq!(lead.state.status, LeadStatus::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_opt_out_said_mid_call_is_on_the_dnc_list_before_the_call_ends() {
    let (world, fake) = twilio_world("twilio-opt-out", json!({"voicemail_detection": false})).await;
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    let (status, body) = fake.agent_reports(&sid, json!({"opt_out": true})).await;
    assert_eq!(status, 200, "{body}");
    let lead = the_lead(&world).await;
    assert_eq!(
        lead.state.status,
        LeadStatus::Calling,
        "the call is still up"
    );
    let tenant = &world.campaign.tenant;
    assert!(
        is_dnc(world.store.as_ref(), tenant, &lead.contact.phone)
            .await
            .unwrap(),
        "on the tenant's list while the call is up"
    );
    fake.stream_ends(&sid).await;
    let lead = settled(&world).await;
    assert_eq!(lead.state.log[0].outcome, Outcome::OptedOut);
    assert_eq!(lead.state.status, LeadStatus::Completed);
    // Any campaign of the tenant: the dial-time check refuses the number from now on.
    let listed = world
        .store
        .dnc_among(tenant, std::slice::from_ref(&lead.contact.phone))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_opt_out_reported_after_the_call_is_told_as_one_lead_opted_out() {
    use domain::webhooks::{EndpointSpec, EventType};
    use ports::Clock;
    use ports::store::{EndpointRecord, WebhookEndpoints, WebhookEvents};
    let campaign = spec(json!({
        "name": "late opt-out",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "call_handling": { "voicemail_detection": false },
    }));
    let (world, fake) = fake_twilio::world_with(
        "twilio-late-opt-out",
        campaign,
        contacts_in(&["212"], 1),
        noon(),
        |config| config.webhook_outbox = true,
    )
    .await
    .unwrap();
    let tenant = world.campaign.tenant.clone();
    let endpoint = EndpointRecord {
        tenant: tenant.clone(),
        id: "we_late".into(),
        spec: EndpointSpec {
            url: "https://hooks.example.com/in".into(),
            events: vec![EventType::LeadOptedOut],
            description: None,
            enabled: true,
        },
        secret: "whsec_late".into(),
        previous_secret: None,
        circuit_open_until: None,
        created_at: world.clock.now(),
        updated_at: world.clock.now(),
    };
    world.store.create_endpoint(&endpoint).await.unwrap();
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    fake.stream_ends(&sid).await;
    let ended = settled(&world).await;
    assert_ne!(ended.state.log[0].outcome, Outcome::OptedOut);
    let opt_outs = || async {
        let events = world.store.recent_events(&tenant, 100).await.unwrap();
        (events.into_iter())
            .filter(|(e, _)| e.kind == EventType::LeadOptedOut)
            .count()
    };
    assert_eq!(opt_outs().await, 0);

    // The agent files the opt-out just after hanging up: the attempt becomes an opt-out, the
    // number goes on the list and the endpoint is told, once however often it is repeated.
    for _ in 0..2 {
        let (status, body) = fake.agent_reports(&sid, json!({"opt_out": true})).await;
        assert_eq!(status, 200, "{body}");
    }
    let lead = the_lead(&world).await;
    assert_eq!(lead.state.log[0].outcome, Outcome::OptedOut);
    assert!(
        is_dnc(world.store.as_ref(), &tenant, &lead.contact.phone)
            .await
            .unwrap()
    );
    assert_eq!(opt_outs().await, 1, "one lead.opted_out per opt-out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_callback_report_schedules_the_lead_at_the_time_asked() {
    let (world, fake) =
        twilio_world("twilio-callback", json!({"voicemail_detection": false})).await;
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    let at = noon() + Duration::days(1);
    let (status, body) = fake
        .agent_reports(&sid, json!({"callback_at": at.to_rfc3339()}))
        .await;
    assert_eq!(status, 200, "{body}");
    fake.stream_ends(&sid).await;
    let lead = settled(&world).await;
    assert_eq!(lead.state.log[0].outcome, Outcome::CallbackRequested);
    assert_eq!(lead.state.status, LeadStatus::Scheduled);
    assert_eq!(lead.state.next_call_at, Some(at));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_callback_time_in_the_past_is_refused_and_leaves_a_completed_lead_alone() {
    let (world, fake) = twilio_world(
        "twilio-past-callback",
        json!({"voicemail_detection": false}),
    )
    .await;
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    fake.stream_ends(&sid).await;
    let completed = settled(&world).await;
    assert_eq!(completed.state.status, LeadStatus::Completed);
    let (status, body) = fake
        .agent_reports(&sid, json!({"callback_at": "2020-01-01T12:00:00Z"}))
        .await;
    assert_eq!(status, 422, "{body}");
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "callback_at", "{body}");
    let lead = the_lead(&world).await;
    assert_eq!(lead.state, completed.state, "nothing rescheduled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_conflicting_and_late_reports_change_nothing() {
    let (world, fake) =
        twilio_world("twilio-late-reports", json!({"voicemail_detection": false})).await;
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    fake.stream_ends(&sid).await;
    settled(&world).await;
    // Just after the call: the disposition and results land on the attempt.
    let report = json!({"disposition": "interested", "results": {"plan": "gold"}});
    let (status, body) = fake.agent_reports(&sid, report.clone()).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["recorded"], true);
    assert_eq!(answer["during_call"], false);
    let after_first = the_lead(&world).await;
    assert_eq!(after_first.state.log[0].report.results["plan"], "gold");

    // The same report again: recorded nothing, wrote nothing.
    let (status, body) = fake.agent_reports(&sid, report).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["recorded"],
        false
    );
    // Another value for a reported field: refused.
    let (status, body) = fake
        .agent_reports(&sid, json!({"disposition": "not_interested"}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("report_conflict"), "{body}");
    // A transfer after the call: refused.
    let (status, body) = fake.agent_reports(&sid, json!({"transfer": true})).await;
    assert_eq!(status, 409);
    assert!(body.contains("call_ended"), "{body}");
    // Past the token's expiry: refused.
    world.clock.advance(Duration::hours(2));
    let (status, _) = fake.agent_reports(&sid, json!({"opt_out": true})).await;
    assert_eq!(status, 401);
    let lead = the_lead(&world).await;
    assert_eq!(lead.state, after_first.state, "nothing changed");
    assert!(
        !is_dnc(
            world.store.as_ref(),
            &world.campaign.tenant,
            &lead.contact.phone
        )
        .await
        .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_report_with_another_calls_token_or_none_is_refused() {
    let (world, fake) = twilio_world("twilio-tokens", json!({"voicemail_detection": false})).await;
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    let token = fake.call(&sid).stream_parameters["report_token"].clone();
    // A token naming another attempt of the same lead, re-signed by nobody: refused.
    let forged = token.replacen(".1.", ".2.", 1);
    let lead = the_lead(&world).await;
    for bad in [forged.as_str(), "", "ck.key.secret"] {
        let outcome = world
            .engine
            .apply_agent_report(
                bad,
                &domain::call_report::AgentReport {
                    opt_out: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(outcome, engine::reports::ReportOutcome::BadToken, "{bad}");
    }
    // Over HTTP: no valid token answers 401 before the body is even read (a bad body too).
    for body in [
        json!({"opt_out": true}),
        json!({"disposition": "Not A Label"}),
    ] {
        let (status, answer) = fake.report_with_token(&sid, &forged, body).await;
        assert_eq!(status, 401, "{answer}");
        assert!(answer.contains("invalid_token"), "{answer}");
    }
    assert_eq!(the_lead(&world).await.state, lead.state);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_lead_field_reaches_the_agent_as_a_stream_parameter() {
    let mut ann = contact("+12125550100");
    ann.name = Some("Ann <Lee> & co".into());
    ann.email = Some("ann@example.com".into());
    ann.company = Some("Acme".into());
    ann.timezone = Some(chrono_tz::America::New_York);
    ann.state = Some(domain::window::Subdivision::parse("NY").unwrap());
    ann.custom.insert("plan".into(), "gold \"annual\"".into());
    ann.custom
        .insert("renewal_date".into(), "2026-07-01".into());
    let (world, fake) = twilio_world_of(
        "twilio-fields",
        json!({"voicemail_detection": false, "transfer_number": TRANSFER}),
        vec![ann.clone()],
    )
    .await;
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    let parameters = fake.call(&sid).stream_parameters;
    let lead = the_lead(&world).await;
    for (name, value) in [
        ("var_name", "Ann <Lee> & co"),
        ("var_email", "ann@example.com"),
        ("var_company", "Acme"),
        ("var_timezone", "America/New_York"),
        ("var_state", "US-NY"),
        ("var_plan", "gold \"annual\""),
        ("var_renewal_date", "2026-07-01"),
        ("transfer_number", TRANSFER),
        ("tenant", world.campaign.tenant.as_str()),
        ("campaign", world.campaign.campaign.as_str()),
        ("lead", lead.id.as_str()),
        ("attempt", "1"),
    ] {
        assert_eq!(
            parameters.get(name).map(String::as_str),
            Some(value),
            "{name}"
        );
    }
    assert!(parameters["report_token"].starts_with("ct1."));
    assert!(parameters["report_url"].ends_with("/v1/call-reports"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fields_past_twilios_size_limit_are_left_out_and_named_on_the_attempt_never_the_call() {
    let mut big = contact("+12125550101");
    for i in 0..16 {
        big.custom.insert(format!("field{i:02}"), "x".repeat(500));
    }
    let (world, fake) = twilio_world_of(
        "twilio-big-fields",
        json!({"voicemail_detection": false}),
        vec![big],
    )
    .await;
    let sid = place_the_call(&world, &fake).await;
    let twiml = fake.call(&sid).field("Twiml").unwrap().to_owned();
    assert!(twiml.chars().count() <= adapters::voice::twilio::TWIML_MAX_CHARS);
    fake.answer(&sid, Answer::Human).await;
    let carried = fake.call(&sid).stream_parameters;
    fake.stream_ends(&sid).await;
    let lead = settled(&world).await;
    let left_out = &lead.state.log[0].fields_left_out;
    assert!(!left_out.is_empty(), "some fields did not fit");
    for i in 0..16 {
        let name = format!("field{i:02}");
        let sent = carried.contains_key(&format!("var_{name}"));
        assert_ne!(
            sent,
            left_out.contains(&name),
            "{name}: carried or named, not both"
        );
    }
    assert_eq!(lead.state.log[0].outcome, Outcome::Completed);
}
