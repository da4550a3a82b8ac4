//! A fake Twilio that plays a call's life from the TwiML it is given, for scenario tests of the
//! Twilio adapter and the call-events routes.
//!
//! It speaks Twilio's REST API over HTTP (create a call, update a live call: end it or replace
//! its TwiML) and runs each call's TwiML as a small state machine: the callee answers → the
//! `<Connect><Stream>` connects the agent → the test (as the agent) ends the stream → the next
//! verb runs: `<Hangup/>`, or `<Redirect>` (the fake fetches the URL, signed, and runs the TwiML
//! it answers: `<Dial>` or `<Hangup/>`). Machine detection is asynchronous, as Twilio's: the
//! verdict is posted to the call's `AsyncAmdStatusCallback` while the call runs, and the
//! engine's answer (a REST update) acts on the live call. Callbacks are form-encoded and carry
//! `X-Twilio-Signature` over the URL Twilio was given; they are delivered to where the engine's
//! routes listen (the fake plays the network between the two). What the callee experienced is
//! recorded per call.

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
}

/// One TwiML verb the fake runs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verb {
    Stream(BTreeMap<String, String>),
    Redirect(String),
    Dial(String),
    Say(String),
    Hangup,
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
}

#[derive(Default)]
struct Inner {
    calls: BTreeMap<String, LiveCall>,
    /// Where the engine's routes listen (`http://127.0.0.1:port`).
    deliver_to: String,
    /// Status codes of every callback delivered, by URL path.
    deliveries: Vec<(String, u16)>,
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

    /// `url` as the network reaches it: the engine's routes at `deliver_to`, same path.
    fn routed(&self, url: &str) -> String {
        let path = url.find("/v1/").map_or(url, |i| &url[i..]);
        format!("{}{path}", self.lock().deliver_to)
    }

    /// Posts a signed form to `url` (as Twilio would); answers the status and body.
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
        };
        {
            let mut inner = self.lock();
            let call = inner.calls.get_mut(sid).expect("a placed call");
            call.status = "in-progress".into();
            call.answered_by = Some(verdict.into());
        }
        if detection.is_some() {
            let url = self
                .call(sid)
                .field("AsyncAmdStatusCallback")
                .expect("asynchronous detection has a callback")
                .to_owned();
            let mut params = self.base_params(sid);
            params.push(("AnsweredBy".into(), verdict.into()));
            self.post_signed(&url, &params).await;
        }
        self.run(sid).await;
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
                Verb::Stream(parameters) => {
                    let mut inner = self.lock();
                    let call = inner.calls.get_mut(sid).expect("a placed call");
                    call.experienced.push(Experience::TalkedToAgent);
                    call.stream_parameters = parameters;
                    return;
                }
                Verb::Say(text) => self.experience(sid, Experience::HeardMessage(text)),
                Verb::Dial(number) => self.experience(sid, Experience::Transferred(number)),
                Verb::Hangup => return self.complete(sid).await,
                Verb::Redirect(url) => {
                    let mut params = self.base_params(sid);
                    params.push(("CallStatus".into(), "in-progress".into()));
                    let (status, twiml) = self.post_signed(&url, &params).await;
                    let verbs = if status == 200 {
                        parse_twiml(&twiml)
                    } else {
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
        params.push(("CallDuration".into(), "42".into()));
        if let Some(answered_by) = &call.answered_by {
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
    match (form.get("Status").map(String::as_str), form.get("Twiml")) {
        (Some("completed"), _) => {
            live.experienced.push(Experience::HungUpOn);
            live.verbs = vec![Verb::Hangup];
        }
        (_, Some(twiml)) => live.verbs = parse_twiml(twiml),
        _ => return StatusCode::BAD_REQUEST.into_response(),
    }
    drop(inner);
    axum::Json(json!({"sid": sid, "status": "in-progress"})).into_response()
}

/// A world on the Twilio adapter whose Twilio is a [`FakeTwilio`], with the engine's
/// call-events routes (webhooks, call flow, agent reports) served over HTTP where the fake
/// delivers its callbacks.
pub async fn world(
    label: &str,
    campaign: domain::config::CampaignSpec,
    contacts: Vec<domain::lead::Contact>,
    start: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(crate::World, FakeTwilio)> {
    let fake = FakeTwilio::start(crate::fake_providers::TWILIO_TOKEN).await?;
    let mut config = crate::WorldConfig::calm(label, campaign, contacts, start);
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
        if lead.state.status != domain::status::LeadStatus::Pending
            && lead.state.status != domain::status::LeadStatus::Scheduled
        {
            continue;
        }
        let message = engine::messages::DialMessage {
            campaign: world.campaign.clone(),
            config_version: version,
            lead,
            call: engine::messages::CallSettings {
                provider: "twilio".into(),
                from: domain::phone::E164::parse_strict("+14155552671")?,
                agent_ref: "wss://agents.example.com/ava".into(),
                voicemail_message: Some("Hi, this is Ava.".into()),
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

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The verbs of a TwiML document, in order (the ones this system emits).
fn parse_twiml(twiml: &str) -> Vec<Verb> {
    use xmlparser::{ElementEnd, Token};
    let mut verbs = Vec::new();
    let mut element = String::new();
    let mut attributes: BTreeMap<String, String> = BTreeMap::new();
    let mut parameters: BTreeMap<String, String> = BTreeMap::new();
    let mut text = String::new();
    for token in xmlparser::Tokenizer::from(twiml).flatten() {
        match token {
            Token::ElementStart { local, .. } => {
                element = local.as_str().to_owned();
                attributes.clear();
                text.clear();
            }
            Token::Attribute { local, value, .. } => {
                attributes.insert(local.as_str().to_owned(), unescape(value.as_str()));
            }
            Token::Text { text: t } => text.push_str(&unescape(t.as_str())),
            Token::ElementEnd { end, .. } => match (end, element.as_str()) {
                (ElementEnd::Empty, "Parameter") | (ElementEnd::Open, "Parameter") => {
                    if let (Some(n), Some(v)) = (attributes.get("name"), attributes.get("value")) {
                        parameters.insert(n.clone(), v.clone());
                    }
                }
                (ElementEnd::Empty, "Hangup") => verbs.push(Verb::Hangup),
                (ElementEnd::Close(_, name), _) => match name.as_str() {
                    "Stream" => verbs.push(Verb::Stream(std::mem::take(&mut parameters))),
                    "Redirect" => verbs.push(Verb::Redirect(text.trim().to_owned())),
                    "Dial" => verbs.push(Verb::Dial(text.trim().to_owned())),
                    "Say" => verbs.push(Verb::Say(text.trim().to_owned())),
                    _ => {}
                },
                _ => {}
            },
            _ => {}
        }
    }
    verbs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verbs_of_a_twiml_document_are_read_in_order() {
        let twiml = "<?xml version=\"1.0\"?><Response><Connect><Stream url=\"wss://a\"><Parameter name=\"lead\" value=\"a&amp;b\"/></Stream></Connect><Redirect method=\"POST\">https://x/v1/call-flow</Redirect><Dial>+14155550100</Dial><Say>Hi &lt;there&gt;</Say><Hangup/></Response>";
        let mut params = BTreeMap::new();
        params.insert("lead".to_owned(), "a&b".to_owned());
        assert_eq!(
            parse_twiml(twiml),
            vec![
                Verb::Stream(params),
                Verb::Redirect("https://x/v1/call-flow".into()),
                Verb::Dial("+14155550100".into()),
                Verb::Say("Hi <there>".into()),
                Verb::Hangup,
            ]
        );
    }
}
