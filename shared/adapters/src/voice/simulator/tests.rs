use std::sync::Arc;

use domain::ids::{CampaignId, CampaignRef, LeadId, TenantId};

use super::*;
use ports::ManualClock;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-10T15:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn request(attempt: u8) -> CallRequest {
    let to = E164::parse_strict("+12125550100").unwrap();
    let campaign = CampaignRef {
        tenant: TenantId::parse("t").unwrap(),
        campaign: CampaignId::parse("c").unwrap(),
    };
    let lead = LeadId::derive(&campaign.campaign, &to);
    CallRequest {
        reference: CallReference {
            campaign,
            lead,
            attempt,
        },
        to,
        from: E164::parse_strict("+14155550100").unwrap(),
        agent_ref: "agent".into(),
        callback_url: format!("http://localhost/v1/call-events/simulator/t/c/x/{attempt}"),
        call_flow_url: format!("http://localhost/v1/call-flow/simulator/t/c/x/{attempt}"),
        report_url: "http://localhost/v1/call-reports".into(),
        report_token: format!("ct1.t.c.x.{attempt}.0.00"),
        max_duration: StdDuration::from_secs(600),
        voicemail: Voicemail::Detect(VoicemailAction::LeaveMessage),
        voicemail_message: None,
        transfer_number: None,
        variables: BTreeMap::new(),
    }
}

fn simulator(faults: FaultMix, seed: u64) -> (Simulator, ManualClock) {
    let clock = ManualClock::at(t0());
    let mut config = SimulatorConfig::new(seed, "secret");
    config.faults = faults;
    (Simulator::new(config, Arc::new(clock.clone())), clock)
}

fn run_to_end(sim: &Simulator, clock: &ManualClock) -> Vec<ProviderRequest> {
    clock.advance(Duration::hours(2));
    sim.take_due(clock.now())
}

#[tokio::test]
async fn a_placed_call_reports_its_end_to_the_callback_url_signed() {
    let (sim, clock) = simulator(FaultMix::default(), 1);
    let placed = sim.place_call(&request(1)).await.unwrap();
    let (deliveries, reports): (Vec<_>, Vec<_>) = run_to_end(&sim, &clock)
        .into_iter()
        .partition(|d| d.header("authorization").is_none());
    assert!(deliveries.iter().all(|d| d.url == request(1).callback_url));
    // What the agent learned goes to the agent report API, with the call's token.
    assert!(reports.iter().all(|r| r.url == request(1).report_url
        && r.header("authorization") == Some(&format!("Bearer {}", request(1).report_token))));
    let events: Vec<CallEvent> = deliveries
        .iter()
        .map(|d| sim.parse_event(d, clock.now()).unwrap())
        .collect();
    let ended: Vec<_> = events
        .iter()
        .filter(|e| matches!(e.kind, CallEventKind::Ended { .. }))
        .collect();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].provider_call_id, placed.provider_call_id);
    assert_eq!(sim.calls().len(), 1);
}

#[tokio::test]
async fn tampered_wrong_key_missing_and_replayed_signatures_are_refused() {
    let (sim, clock) = simulator(FaultMix::default(), 2);
    sim.place_call(&request(1)).await.unwrap();
    let delivery = run_to_end(&sim, &clock).pop().unwrap();
    assert!(sim.parse_event(&delivery, clock.now()).is_ok());

    let mut tampered = delivery.clone();
    tampered.body = br#"{"call_id":"SIM00000001","event":"ended","outcome":"completed"}"#.to_vec();
    assert_eq!(
        sim.parse_event(&tampered, clock.now()),
        Err(ProviderEventError::BadSignature)
    );

    let mut other_url = delivery.clone();
    other_url.url.push('9');
    assert_eq!(
        sim.parse_event(&other_url, clock.now()),
        Err(ProviderEventError::BadSignature)
    );

    let mut missing = delivery.clone();
    missing.headers.remove(SIGNATURE_HEADER);
    assert_eq!(
        sim.parse_event(&missing, clock.now()),
        Err(ProviderEventError::BadSignature)
    );

    let mut wrong_key_config = SimulatorConfig::new(2, "another secret");
    wrong_key_config.faults = FaultMix::default();
    let wrong_key = Simulator::new(wrong_key_config, Arc::new(clock.clone()));
    assert_eq!(
        wrong_key.parse_event(&delivery, clock.now()),
        Err(ProviderEventError::BadSignature)
    );

    let later = clock.now() + Duration::minutes(6);
    assert_eq!(
        sim.parse_event(&delivery, later),
        Err(ProviderEventError::BadSignature),
        "replayed"
    );
}

#[tokio::test]
async fn the_same_seed_makes_the_same_network() {
    let fates = |seed| async move {
        let (sim, clock) = simulator(FaultMix::hostile(), seed);
        let mut out = Vec::new();
        for attempt in 1..=20 {
            out.push(format!("{:?}", sim.place_call(&request(attempt)).await));
            clock.advance(Duration::seconds(3));
        }
        out.extend(sim.calls().iter().map(|c| format!("{:?}", c.report)));
        out
    };
    assert_eq!(fates(7).await, fates(7).await);
    assert_ne!(fates(7).await, fates(8).await);
}

#[tokio::test]
async fn creation_faults_say_whether_a_call_may_exist() {
    let only = |f: fn(&mut FaultMix)| {
        let mut faults = FaultMix::default();
        f(&mut faults);
        faults
    };
    let (sim, _) = simulator(only(|f| f.rate_limited = 1.0), 3);
    assert!(matches!(
        sim.place_call(&request(1)).await,
        Err(PlaceCallError::RateLimited { .. })
    ));
    assert!(sim.calls().is_empty());

    let (sim, _) = simulator(only(|f| f.timeout_without_call = 1.0), 3);
    assert_eq!(
        sim.place_call(&request(1)).await,
        Err(PlaceCallError::Uncertain)
    );
    assert!(sim.calls().is_empty());

    let (sim, clock) = simulator(only(|f| f.timeout_with_call = 1.0), 3);
    assert_eq!(
        sim.place_call(&request(1)).await,
        Err(PlaceCallError::Uncertain)
    );
    assert_eq!(
        sim.calls().len(),
        1,
        "the call exists although the answer was lost"
    );
    let r = request(1);
    assert!(matches!(
        sim.lookup_call(&r.reference, None, &r.to, chrono::Utc::now())
            .await,
        Ok(CallLookup::InProgress { .. })
    ));
    clock.advance(Duration::hours(2));
    assert!(matches!(
        sim.lookup_call(&r.reference, None, &r.to, chrono::Utc::now())
            .await,
        Ok(CallLookup::Ended { .. })
    ));
    let unknown = request(2);
    assert_eq!(
        sim.lookup_call(&unknown.reference, None, &unknown.to, chrono::Utc::now())
            .await,
        Ok(CallLookup::NotFound)
    );
}

#[tokio::test]
async fn lost_duplicated_and_out_of_order_provider_events_happen_when_asked_for() {
    let ended = |deliveries: &[ProviderRequest], sim: &Simulator, now| {
        deliveries
            .iter()
            .filter(|d| {
                matches!(
                    sim.parse_event(d, now).unwrap().kind,
                    CallEventKind::Ended { .. }
                )
            })
            .count()
    };
    let lose = FaultMix {
        lose_event: 1.0,
        ..FaultMix::default()
    };
    let (sim, clock) = simulator(lose, 4);
    sim.place_call(&request(1)).await.unwrap();
    let d = run_to_end(&sim, &clock);
    assert_eq!(ended(&d, &sim, clock.now()), 0);

    let dup = FaultMix {
        duplicate_event: 1.0,
        out_of_order: 1.0,
        ..FaultMix::default()
    };
    let (sim, clock) = simulator(dup, 4);
    sim.place_call(&request(1)).await.unwrap();
    let d = run_to_end(&sim, &clock);
    assert_eq!(ended(&d, &sim, clock.now()), 2);
    let kinds: Vec<CallEventKind> = d
        .iter()
        .map(|w| sim.parse_event(w, clock.now()).unwrap().kind)
        .collect();
    let first_end = kinds
        .iter()
        .position(|k| matches!(k, CallEventKind::Ended { .. }))
        .unwrap();
    assert!(
        kinds[first_end..]
            .iter()
            .any(|k| matches!(k, CallEventKind::Progress(_))),
        "a progress event after the end: {kinds:?}"
    );
}
