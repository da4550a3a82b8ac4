//! A fake Twilio that plays a call's life from the TwiML it is given, for scenario tests of the
//! Twilio adapter and the call-events routes, answering as Twilio's documents say (DESIGN-NOTES
//! "Twilio, as documented").
//!
//! It speaks Twilio's REST API over HTTP (create a call — or refuse it with an error code, as
//! a test asks; update a live call: end it, replace its TwiML, set its `TimeLimit`) and runs
//! each call's TwiML as a small state machine: the callee answers → the `<Connect><Stream>`
//! connects the agent and posts `stream-started` to the stream's `statusCallback` (or, while
//! the agent is down, `stream-error` and goes straight on) → the test (as the agent) ends the
//! stream → the next verb runs: `<Hangup/>`, or `<Redirect>` (the fake fetches the URL, signed,
//! and runs the TwiML it answers: `<Dial>` or `<Hangup/>`; a non-2xx answer is Twilio's
//! application error: the caller hears it and the call ends). Machine detection is
//! asynchronous, as Twilio's: the verdict is posted to the call's `AsyncAmdStatusCallback`
//! while the call runs, and the engine's answer (a REST update) acts on the live call.
//! Callbacks are form-encoded and carry `X-Twilio-Signature` over the URL Twilio was given,
//! connection-override fragment included (the fragment itself never reaches a server); they are
//! delivered to where the engine's routes listen (the fake plays the network between the two).
//! What the callee experienced is recorded per call.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use adapters::voice::twilio;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

mod twiml;

use twiml::{Verb, parse_twiml};

/// What the person (or machine) on the line experienced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Experience {
    /// The agent's stream was connected.
    TalkedToAgent,
    /// The call was bridged to this number.
    Transferred(String),
    /// A message was played (the voicemail message after the beep).
    HeardMessage(String),
    /// The call was ended from our side while it was up (a REST update).
    HungUpOn,
    /// The agent's stream failed: the callee heard nothing from the agent.
    AgentNeverCame,
    /// Twilio's application error was spoken (a non-2xx answer to a TwiML request).
    ApplicationError,
}

/// A call the fake holds.
#[derive(Debug, Clone)]
pub struct LiveCall {
    /// Its sid.
    pub sid: String,
    /// The create-call form, as posted.
    pub form: Vec<(String, String)>,
    /// Twilio's status: `queued`, `in-progress`, `completed`.
    pub status: String,
    /// The machine-detection verdict, once answered.
    pub answered_by: Option<String>,
    /// What the callee experienced, in order.
    pub experienced: Vec<Experience>,
    /// The stream's parameters (references, report URL and token, the lead's fields).
    pub stream_parameters: BTreeMap<String, String>,
    /// Call-flow requests the fake made.
    pub call_flow_requests: u32,
    /// The last `TimeLimit` a call update set.
    pub time_limit: Option<String>,
    /// The voice and language of the last `<Say>` heard.
    pub said_with: Option<(Option<String>, Option<String>)>,
    /// The talk time the status callback reports.
    pub talk_seconds: u32,
    /// Call updates that replaced the call's TwiML.
    pub twiml_updates: u32,
    verbs: Vec<Verb>,
}

impl LiveCall {
    /// A create-call form field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Who answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A person.
    Human,
    /// An answering machine.
    Machine,
    /// A fax machine.
    Fax,
}

#[derive(Default)]
struct Inner {
    calls: BTreeMap<String, LiveCall>,
    /// Where the engine's routes listen (`http://127.0.0.1:port`).
    deliver_to: String,
    /// Status codes of every callback delivered, by URL path.
    deliveries: Vec<(String, u16)>,
    /// The agent's stream cannot be reached: streams fail to start.
    agent_down: bool,
    /// Create-call requests are refused with this HTTP status and Twilio error code.
    refuse_with: Option<(u16, u32)>,
    /// Copies of each machine-detection callback.
    verdict_copies: u32,
}

/// The fake.
#[derive(Clone)]
pub struct FakeTwilio {
    inner: Arc<Mutex<Inner>>,
    token: String,
    /// Where its REST API listens.
    pub base: String,
    http: reqwest::Client,
}

impl FakeTwilio {
    /// Starts the REST API on a free port; `token` signs callbacks.
    pub async fn start(token: &str) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let fake = Self {
            inner: Arc::default(),
            token: token.to_owned(),
            base: format!("http://{}", listener.local_addr()?),
            http: reqwest::Client::new(),
        };
        let router = Router::new()
            .route("/2010-04-01/Accounts/{account}/Calls.json", post(create))
            .route("/2010-04-01/Accounts/{account}/Calls/{call}", post(update))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(fake)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delivers callbacks to the engine's routes at `base`.
    pub fn route_webhooks_to(&self, base: &str) {
        self.lock().deliver_to = base.trim_end_matches('/').to_owned();
    }

    /// Every call, in sid order.
    pub fn calls(&self) -> Vec<LiveCall> {
        self.lock().calls.values().cloned().collect()
    }

    /// A call by sid.
    pub fn call(&self, sid: &str) -> LiveCall {
        self.lock().calls[sid].clone()
    }

    /// Status codes the engine's routes answered, by path.
    pub fn deliveries(&self) -> Vec<(String, u16)> {
        self.lock().deliveries.clone()
    }

    /// The agent's stream is down (`true`) or back (`false`).
    pub fn agent_down(&self, down: bool) {
        self.lock().agent_down = down;
    }

    /// Posts each machine-detection verdict `copies` times.
    pub fn repeat_verdicts(&self, copies: u32) {
        self.lock().verdict_copies = copies;
    }

    /// Refuses every create-call request with `status` and Twilio's error `code` (`None`: stop).
    pub fn refuse_calls(&self, with: Option<(u16, u32)>) {
        self.lock().refuse_with = with;
    }

    /// `url` as the network reaches it: the engine's routes at `deliver_to`, same path and
    /// query, no fragment (a fragment never leaves the client).
    fn routed(&self, url: &str) -> String {
        let url = url.split('#').next().unwrap_or(url);
        let path = url.find("/v1/").map_or(url, |i| &url[i..]);
        format!("{}{path}", self.lock().deliver_to)
    }

    /// Posts a signed form to `url` (as Twilio would: signed over the URL it was given);
    /// answers the status and body.
    async fn post_signed(&self, url: &str, params: &[(String, String)]) -> (u16, String) {
        let signature = twilio::signature(&self.token, url, params);
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let response = self
            .http
            .post(self.routed(url))
            .header(twilio::SIGNATURE_HEADER, signature)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("the engine's routes answer");
        let status = response.status().as_u16();
        let url = url.split('#').next().unwrap_or(url);
        let path = url.find("/v1/").map_or(url, |i| &url[i..]).to_owned();
        self.lock().deliveries.push((path, status));
        (status, response.text().await.unwrap_or_default())
    }

    fn base_params(&self, sid: &str) -> Vec<(String, String)> {
        vec![
            ("AccountSid".into(), "ACfake".into()),
            ("CallSid".into(), sid.into()),
        ]
    }

    /// The callee answers: machine detection (if asked for) posts its verdict, and the TwiML
    /// runs up to the agent's stream.
    pub async fn answer(&self, sid: &str, who: Answer) {
        let detection = self.call(sid).field("MachineDetection").map(str::to_owned);
        let verdict = match (who, detection.as_deref()) {
            (Answer::Human, _) => "human",
            (Answer::Machine, Some("DetectMessageEnd")) => "machine_end_beep",
            (Answer::Machine, _) => "machine_start",
            (Answer::Fax, _) => "fax",
        };
        {
            let mut inner = self.lock();
            let call = inner.calls.get_mut(sid).expect("a placed call");
            call.status = "in-progress".into();
            call.answered_by = Some(verdict.into());
        }
        if detection.is_some() {
            let copies = self.lock().verdict_copies.max(1);
            for _ in 0..copies {
                self.post_verdict(sid).await;
            }
        }
        self.run(sid).await;
    }

    /// Posts the call's machine-detection verdict to its `AsyncAmdStatusCallback` (again, for a
    /// test of a repeated callback).
    pub async fn post_verdict(&self, sid: &str) -> u16 {
        let call = self.call(sid);
        let url = call
            .field("AsyncAmdStatusCallback")
            .expect("asynchronous detection has a callback")
            .to_owned();
        let mut params = self.base_params(sid);
        params.push(("AnsweredBy".into(), call.answered_by.unwrap_or_default()));
        self.post_signed(&url, &params).await.0
    }

    /// The carrier fails the call with a SIP response: its status callback says `failed`.
    pub async fn fails(&self, sid: &str, sip_response: u16) {
        let url = {
            let mut inner = self.lock();
            let call = inner.calls.get_mut(sid).expect("a placed call");
            call.status = "failed".into();
            call.verbs.clear();
            call.field("StatusCallback")
                .expect("a status callback")
                .to_owned()
        };
        let mut params = self.base_params(sid);
        params.push(("CallStatus".into(), "failed".into()));
        params.push(("SipResponseCode".into(), sip_response.to_string()));
        self.post_signed(&url, &params).await;
    }

    /// The agent ends its stream: the verbs after `<Connect>` run.
    pub async fn stream_ends(&self, sid: &str) {
        if self.call(sid).status == "in-progress" {
            self.run(sid).await;
        }
    }

    /// Runs verbs until the call waits (a stream) or ends.
    async fn run(&self, sid: &str) {
        loop {
            let verb = {
                let mut inner = self.lock();
                let call = inner.calls.get_mut(sid).expect("a placed call");
                if call.verbs.is_empty() {
                    None
                } else {
                    Some(call.verbs.remove(0))
                }
            };
            let Some(verb) = verb else {
                return self.complete(sid).await;
            };
            match verb {
                Verb::Stream {
                    status_callback,
                    parameters,
                } => {
                    let down = self.lock().agent_down;
                    if let Some(url) = status_callback {
                        let mut params = self.base_params(sid);
                        params.push(("StreamSid".into(), format!("MZ{sid}")));
                        if down {
                            params.push(("StreamEvent".into(), "stream-error".into()));
                            params.push((
                                "StreamError".into(),
                                "31920: WebSocket handshake error".into(),
                            ));
                        } else {
                            params.push(("StreamEvent".into(), "stream-started".into()));
                        }
                        self.post_signed(&url, &params).await;
                    }
                    let mut inner = self.lock();
                    let call = inner.calls.get_mut(sid).expect("a placed call");
                    call.stream_parameters = parameters;
                    if down {
                        // The stream ends at once: Twilio goes on to the next verb.
                        call.experienced.push(Experience::AgentNeverCame);
                        call.talk_seconds = 3;
                        continue;
                    }
                    call.experienced.push(Experience::TalkedToAgent);
                    return;
                }
                Verb::Say {
                    text,
                    voice,
                    language,
                } => {
                    let mut inner = self.lock();
                    if let Some(call) = inner.calls.get_mut(sid) {
                        call.experienced.push(Experience::HeardMessage(text));
                        call.said_with = Some((voice, language));
                    }
                }
                Verb::Dial(number) => self.experience(sid, Experience::Transferred(number)),
                Verb::Hangup => return self.complete(sid).await,
                Verb::Redirect(url) => {
                    let mut params = self.base_params(sid);
                    params.push(("CallStatus".into(), "in-progress".into()));
                    let (status, twiml) = self.post_signed(&url, &params).await;
                    let verbs = if status == 200 {
                        parse_twiml(&twiml)
                    } else {
                        // Twilio speaks its application error and ends the call.
                        self.experience(sid, Experience::ApplicationError);
                        vec![Verb::Hangup]
                    };
                    let mut inner = self.lock();
                    let call = inner.calls.get_mut(sid).expect("a placed call");
                    call.call_flow_requests += 1;
                    call.verbs = verbs;
                }
            }
        }
    }

    fn experience(&self, sid: &str, what: Experience) {
        let mut inner = self.lock();
        if let Some(call) = inner.calls.get_mut(sid) {
            call.experienced.push(what);
        }
    }

    /// The call ends: its one status callback (`completed`) is posted.
    async fn complete(&self, sid: &str) {
        let call = {
            let mut inner = self.lock();
            let call = inner.calls.get_mut(sid).expect("a placed call");
            if call.status == "completed" {
                return;
            }
            call.status = "completed".into();
            call.verbs.clear();
            call.clone()
        };
        let mut params = self.base_params(sid);
        params.push(("CallStatus".into(), "completed".into()));
        params.push(("CallDuration".into(), call.talk_seconds.to_string()));
        // With asynchronous detection the verdict went to its own callback; the status
        // callback is not relied on to repeat it (the engine keeps the verdict it was given).
        if let Some(answered_by) = &call.answered_by
            && call.field("AsyncAmd") != Some("true")
        {
            params.push(("AnsweredBy".into(), answered_by.clone()));
        }
        let url = call.field("StatusCallback").expect("a status callback");
        self.post_signed(url, &params).await;
    }

    /// Posts an agent report with the call's token (from its stream parameters) to the report
    /// URL it was given; answers the status and JSON body.
    pub async fn agent_reports(&self, sid: &str, report: serde_json::Value) -> (u16, String) {
        let token = self.call(sid).stream_parameters["report_token"].clone();
        self.report_with_token(sid, &token, report).await
    }

    /// Posts a report to the call's report URL with any `token` (a test forging one).
    pub async fn report_with_token(
        &self,
        sid: &str,
        token: &str,
        report: serde_json::Value,
    ) -> (u16, String) {
        let url = self.call(sid).stream_parameters["report_url"].clone();
        let response = self
            .http
            .post(self.routed(&url))
            .bearer_auth(token)
            .json(&report)
            .send()
            .await
            .expect("the report API answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Asks the call-flow URL again, as Twilio would if its first request timed out.
    pub async fn ask_call_flow_again(&self, sid: &str) -> String {
        let call = self.call(sid);
        let twiml = call.field("Twiml").unwrap_or_default();
        let url = parse_twiml(twiml)
            .into_iter()
            .find_map(|v| match v {
                Verb::Redirect(url) => Some(url),
                _ => None,
            })
            .expect("the TwiML redirects");
        let mut params = self.base_params(sid);
        params.push(("CallStatus".into(), "in-progress".into()));
        self.post_signed(&url, &params).await.1
    }
}

async fn create(State(fake): State<FakeTwilio>, body: Bytes) -> Response {
    if let Some((status, code)) = fake.lock().refuse_with {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let body =
            json!({"code": code, "message": "refused by the test", "status": status.as_u16()});
        return (status, axum::Json(body)).into_response();
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let twiml = form
        .iter()
        .find(|(k, _)| k == "Twiml")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut inner = fake.lock();
    let sid = format!("CA{:032}", inner.calls.len() + 1);
    inner.calls.insert(
        sid.clone(),
        LiveCall {
            sid: sid.clone(),
            form,
            status: "queued".into(),
            answered_by: None,
            experienced: Vec::new(),
            stream_parameters: BTreeMap::new(),
            call_flow_requests: 0,
            time_limit: None,
            said_with: None,
            talk_seconds: 42,
            twiml_updates: 0,
            verbs: parse_twiml(&twiml),
        },
    );
    (
        StatusCode::CREATED,
        axum::Json(json!({"sid": sid, "status": "queued"})),
    )
        .into_response()
}

/// `POST /Calls/{sid}.json`: `Status=completed` ends the call; `Twiml=` replaces what it runs.
async fn update(
    State(fake): State<FakeTwilio>,
    Path((_account, call)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let sid = call.trim_end_matches(".json").to_owned();
    let form: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    if fake
        .lock()
        .calls
        .get(&sid)
        .is_none_or(|c| c.status != "in-progress")
    {
        return (StatusCode::NOT_FOUND, axum::Json(json!({"code": 21220}))).into_response();
    }
    // The update is taken now; the call acts on it when it next runs (right after the
    // callback that caused it has been answered, as Twilio's does).
    let mut inner = fake.lock();
    let Some(live) = inner.calls.get_mut(&sid) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match (
        form.get("Status").map(String::as_str),
        form.get("Twiml"),
        form.get("TimeLimit"),
    ) {
        (Some("completed"), _, _) => {
            live.experienced.push(Experience::HungUpOn);
            live.verbs = vec![Verb::Hangup];
        }
        (_, Some(twiml), _) => {
            live.twiml_updates += 1;
            live.verbs = parse_twiml(twiml);
        }
        // A new limit changes nothing the call runs.
        (_, _, Some(limit)) => live.time_limit = Some(limit.clone()),
        _ => return StatusCode::BAD_REQUEST.into_response(),
    }
    drop(inner);
    axum::Json(json!({"sid": sid, "status": "in-progress"})).into_response()
}

/// A world on the Twilio adapter whose Twilio is a [`FakeTwilio`], with the engine's
/// call-events routes (provider events, call flow, agent reports) served over HTTP where the fake
/// delivers its callbacks.
pub async fn world(
    label: &str,
    campaign: domain::config::CampaignSpec,
    contacts: Vec<domain::lead::Contact>,
    start: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(crate::World, FakeTwilio)> {
    world_with(label, campaign, contacts, start, |_| {}).await
}

/// [`world`], with `tweak` applied to the world's configuration first (an outbox, damage).
pub async fn world_with(
    label: &str,
    campaign: domain::config::CampaignSpec,
    contacts: Vec<domain::lead::Contact>,
    start: chrono::DateTime<chrono::Utc>,
    tweak: impl FnOnce(&mut crate::WorldConfig),
) -> anyhow::Result<(crate::World, FakeTwilio)> {
    let fake = FakeTwilio::start(crate::fake_providers::TWILIO_TOKEN).await?;
    let mut config = crate::WorldConfig::calm(label, campaign, contacts, start);
    tweak(&mut config);
    config.provider = crate::fake_providers::ProviderKind::Twilio;
    config.provider_base = Some(fake.base.clone());
    let world = crate::World::build(config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    fake.route_webhooks_to(&format!("http://{}", listener.local_addr()?));
    let router = call_events::router(world.engine.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok((world, fake))
}

/// Ticks the world's campaign and dials every lead it enqueues, as a dialer would (with the
/// agent's voicemail message); answers the sids of the calls the fake received.
pub async fn dial_due_leads(
    world: &crate::World,
    fake: &FakeTwilio,
) -> anyhow::Result<Vec<String>> {
    use ports::store::Campaigns;
    let before = fake.calls().len();
    world.engine.tick(&world.campaign).await?;
    let version = world
        .store
        .get_campaign(&world.campaign)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no campaign"))?
        .config_version;
    for lead in world.leads().await? {
        use domain::status::LeadStatus::{Pending, Scheduled};
        if !matches!(lead.state.status, Pending | Scheduled) {
            continue;
        }
        let message = engine::messages::DialMessage {
            campaign: world.campaign.clone(),
            config_version: version,
            lead,
            call: engine::messages::CallSettings {
                voicemail_message: Some("Hi, this is Ava.".into()),
                ..engine::messages::CallSettings::from_number(
                    "twilio",
                    domain::phone::E164::parse_strict("+14155552671")?,
                    "wss://agents.example.com/ava",
                )
            },
            not_before: ports::Clock::now(&world.clock),
        };
        world.engine.dial(&message).await?;
    }
    Ok(fake.calls()[before..]
        .iter()
        .map(|c| c.sid.clone())
        .collect())
}
