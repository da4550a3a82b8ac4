//! Twilio's edge cases, each a scenario the fake Twilio plays from the TwiML it is given: an
//! agent that never comes on the line, refusals for the account's problems, failures the
//! carrier calls temporary, machine verdicts that repeat or come from a fax, a transfer that
//! outlasts the agent's time limit, the agent's voice on the voicemail message, the call flow
//! when our store fails, and callback URLs that carry the connection overrides.

use domain::agent::{AgentMode, AgentSpec};
use domain::guardrails::Guardrail;
use domain::ids::AgentId;
use domain::retry::Outcome;
use domain::status::{CampaignStatus, LeadStatus};
use ports::store::{AgentRecord, Agents, Campaigns, Counters, Reports};
use serde_json::json;
use system_tests::World;
use system_tests::fake_twilio::{Answer, Experience, FakeTwilio};
use system_tests::world::contacts_in;

use crate::twilio_calls::{
    TRANSFER, place_the_call, settled, the_lead, twilio_world, twilio_world_of,
};

const NO_DETECTION: fn() -> serde_json::Value = || json!({"voicemail_detection": false});

async fn campaign_status(
    world: &World,
) -> (CampaignStatus, Option<domain::guardrails::PauseReason>) {
    let record = world
        .store
        .get_campaign(&world.campaign)
        .await
        .unwrap()
        .unwrap();
    (record.status, record.pause_reason)
}

/// Every callback the fake delivered was answered with a 2xx.
fn all_callbacks_accepted(fake: &FakeTwilio) {
    let refused: Vec<_> = (fake.deliveries().into_iter())
        .filter(|(_, status)| !(200..300).contains(status))
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answered_call_whose_agent_never_came_is_agent_unavailable_and_uses_no_retry() {
    let (world, fake) = twilio_world("twilio-agent-down", NO_DETECTION()).await;
    fake.agent_down(true);
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    assert_eq!(
        fake.call(&sid).experienced,
        vec![Experience::AgentNeverCame]
    );
    let lead = settled(&world).await;
    let record = &lead.state.log[0];
    assert_eq!(
        record.outcome,
        Outcome::AgentUnavailable,
        "not a reached contact"
    );
    assert_eq!(lead.state.status, LeadStatus::Scheduled, "called again");
    assert_eq!((lead.state.retries_used, lead.state.agent_misses), (0, 1));
    all_callbacks_accepted(&fake);

    // The agent is back: the next call is a conversation.
    fake.agent_down(false);
    world.clock.advance(chrono::Duration::hours(3));
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    fake.stream_ends(&sid).await;
    let lead = settled(&world).await;
    assert_eq!(lead.state.log[1].outcome, Outcome::Completed);
    assert_eq!(lead.state.status, LeadStatus::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_report_that_turns_a_missed_agent_into_a_conversation_moves_the_hours_connected_count() {
    let (world, fake) = twilio_world("twilio-late-conversation", NO_DETECTION()).await;
    fake.agent_down(true);
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    assert_eq!(
        settled(&world).await.state.log[0].outcome,
        Outcome::AgentUnavailable
    );
    // The agent was there after all: its report after the call amends the attempt.
    let (status, body) = fake
        .agent_reports(&sid, json!({"disposition": "interested"}))
        .await;
    assert!(status < 300, "{status} {body}");
    let lead = the_lead(&world).await;
    assert!(
        lead.state.log[0].outcome.connected(),
        "{:?}",
        lead.state.log[0]
    );
    let hours = world.store.hourly_counters(&world.campaign).await.unwrap();
    let connected: i64 = hours.iter().map(|h| h.connected).sum();
    assert_eq!(
        connected, 1,
        "the hour's connected count follows the amended outcome: {hours:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_geo_permission_refusal_pauses_the_campaign_and_leaves_the_lead_untouched() {
    let (world, fake) = twilio_world("twilio-geo", NO_DETECTION()).await;
    fake.refuse_calls(Some((400, 21215)));
    let before = the_lead(&world).await;
    system_tests::fake_twilio::dial_due_leads(&world, &fake)
        .await
        .unwrap();
    assert!(fake.calls().is_empty(), "no call was created");
    let lead = the_lead(&world).await;
    assert_eq!(lead.state.status, LeadStatus::Pending);
    assert_eq!(
        (lead.state.attempts, lead.state.log.len()),
        (before.state.attempts, 0)
    );
    let (status, reason) = campaign_status(&world).await;
    assert_eq!(status, CampaignStatus::Paused);
    let reason = reason.expect("a pause reason");
    assert_eq!(reason.guardrail, Guardrail::AccountProblem);
    assert!(
        reason.message.contains("21215") && reason.message.contains("Geographic Permissions"),
        "{}",
        reason.message
    );
    let counters = world.store.counters(&world.campaign).await.unwrap();
    assert_eq!(
        (counters.attempts, counters.throttled),
        (0, 0),
        "{counters:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_credentials_pause_the_campaign_as_a_credentials_problem_not_throttling() {
    let (world, fake) = twilio_world("twilio-auth", NO_DETECTION()).await;
    fake.refuse_calls(Some((401, 20003)));
    system_tests::fake_twilio::dial_due_leads(&world, &fake)
        .await
        .unwrap();
    let (status, reason) = campaign_status(&world).await;
    assert_eq!(status, CampaignStatus::Paused);
    let message = reason.expect("a pause reason").message;
    assert!(message.contains("auth token"), "{message}");
    let counters = world.store.counters(&world.campaign).await.unwrap();
    assert_eq!(
        counters.throttled, 0,
        "not counted as the provider being busy"
    );
    assert_eq!(the_lead(&world).await.state.status, LeadStatus::Pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failure_the_carrier_calls_temporary_is_retried_and_a_lasting_one_fails_the_lead() {
    let (world, fake) =
        twilio_world_of("twilio-sip", NO_DETECTION(), contacts_in(&["212"], 2)).await;
    let sids = system_tests::fake_twilio::dial_due_leads(&world, &fake)
        .await
        .unwrap();
    assert_eq!(sids.len(), 2);
    fake.fails(&sids[0], 503).await;
    fake.fails(&sids[1], 404).await;
    let leads = world.leads().await.unwrap();
    let by_sid = |sid: &str| {
        leads
            .iter()
            .find(|l| {
                l.state
                    .log
                    .first()
                    .and_then(|r| r.provider_call_id.as_deref())
                    == Some(sid)
            })
            .expect("the call's lead")
    };
    let temporary = by_sid(&sids[0]);
    assert_eq!(temporary.state.log[0].outcome, Outcome::Failed);
    assert_eq!(
        temporary.state.log[0].disposition.as_deref(),
        Some("sip_503")
    );
    assert_eq!(
        temporary.state.status,
        LeadStatus::Scheduled,
        "503 is the network's trouble"
    );
    let lasting = by_sid(&sids[1]);
    assert_eq!(lasting.state.log[0].disposition.as_deref(), Some("sip_404"));
    assert_eq!(lasting.state.status, LeadStatus::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_repeated_machine_verdict_plays_the_message_once() {
    let (world, fake) = twilio_world(
        "twilio-amd-twice",
        json!({"voicemail_detection": true, "voicemail_action": "leave_message"}),
    )
    .await;
    fake.repeat_verdicts(3);
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Machine).await;
    let call = fake.call(&sid);
    assert_eq!(call.twiml_updates, 1, "the message was not restarted");
    assert_eq!(
        call.experienced,
        vec![Experience::HeardMessage("Hi, this is Ava.".into())]
    );
    assert_eq!(
        settled(&world).await.state.log[0].outcome,
        Outcome::Voicemail
    );
    all_callbacks_accepted(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fax_on_a_leave_message_campaign_is_hung_up_on() {
    let (world, fake) = twilio_world(
        "twilio-fax",
        json!({"voicemail_detection": true, "voicemail_action": "leave_message"}),
    )
    .await;
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Fax).await;
    assert_eq!(fake.call(&sid).experienced, vec![Experience::HungUpOn]);
    let record = settled(&world).await.state.log[0].clone();
    assert_eq!(record.outcome, Outcome::Voicemail);
    assert_eq!(record.answered_by.as_deref(), Some("fax"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_voicemail_message_is_spoken_in_the_agents_voice_and_language() {
    let (world, fake) = twilio_world(
        "twilio-voice",
        json!({"voicemail_detection": true, "voicemail_action": "leave_message"}),
    )
    .await;
    let tenant = world.campaign.tenant.clone();
    let id = AgentId::parse("agent-1").unwrap();
    let mut agent: AgentRecord = world.store.get_agent(&tenant, &id).await.unwrap().unwrap();
    agent.spec = AgentSpec {
        voice: Some("Polly.Joanna".into()),
        language: Some("en-US".into()),
        mode: AgentMode::Outbound,
        ..agent.spec
    };
    world
        .store
        .put_agent(&agent, Some(agent.version))
        .await
        .unwrap();
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Machine).await;
    assert_eq!(
        fake.call(&sid).said_with,
        Some((Some("Polly.Joanna".into()), Some("en-US".into())))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_transfer_raises_the_calls_time_limit_for_the_person_taking_over() {
    let (world, fake) = twilio_world(
        "twilio-transfer-limit",
        json!({"voicemail_detection": false, "transfer_number": TRANSFER, "max_transfer_seconds": 1800}),
    )
    .await;
    let sid = place_the_call(&world, &fake).await;
    assert_eq!(fake.call(&sid).field("TimeLimit"), Some("600"));
    fake.answer(&sid, Answer::Human).await;
    fake.agent_reports(&sid, json!({"transfer": true})).await;
    fake.stream_ends(&sid).await;
    let call = fake.call(&sid);
    assert!(
        call.experienced
            .contains(&Experience::Transferred(TRANSFER.into()))
    );
    assert_eq!(
        call.time_limit.as_deref(),
        Some("2400"),
        "the agent's 600 s and 1,800 more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_call_flow_hangs_up_politely_when_our_store_fails() {
    let (world, fake) = twilio_world(
        "twilio-flow-down",
        json!({"voicemail_detection": false, "transfer_number": TRANSFER}),
    )
    .await;
    let sid = place_the_call(&world, &fake).await;
    fake.answer(&sid, Answer::Human).await;
    // The store is gone while a person is on the line.
    world
        .store
        .client()
        .delete_table()
        .table_name(world.store.table())
        .send()
        .await
        .unwrap();
    fake.stream_ends(&sid).await;
    let call = fake.call(&sid);
    assert!(
        !call.experienced.contains(&Experience::ApplicationError),
        "Twilio never speaks its error to the person: {:?}",
        call.experienced
    );
    assert_eq!(call.status, "completed", "hung up");
    let flow: Vec<_> = (fake.deliveries().into_iter())
        .filter(|(path, _)| path.starts_with("/v1/call-flow/"))
        .collect();
    assert_eq!(flow.len(), 1);
    assert_eq!(flow[0].1, 200, "{flow:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_callback_url_carries_the_connection_overrides_and_verifies_signed_with_them() {
    let (world, fake) = twilio_world(
        "twilio-overrides",
        json!({"voicemail_detection": true, "voicemail_action": "hang_up"}),
    )
    .await;
    let sid = place_the_call(&world, &fake).await;
    let call = fake.call(&sid);
    let overrides = "#rc=3&rp=4xx,5xx,ct,rt";
    for field in ["StatusCallback", "AsyncAmdStatusCallback"] {
        assert!(call.field(field).unwrap().ends_with(overrides), "{field}");
    }
    assert!(
        call.field("Twiml")
            .unwrap()
            .contains("?event=stream#rc=3&amp;rp=")
    );
    fake.answer(&sid, Answer::Human).await;
    fake.stream_ends(&sid).await;
    settled(&world).await;
    // Stream start, verdict, status: each signed over its URL with the fragment, each taken.
    assert_eq!(fake.deliveries().len(), 3, "{:?}", fake.deliveries());
    all_callbacks_accepted(&fake);
}
