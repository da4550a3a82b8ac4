use std::sync::Arc;

use adapters::blobs::S3Blobs;
use adapters::schedules::{EventBridgeSchedules, ScheduleInfo};
use adapters::store::DynamoStore;
use api::{ApiSettings, AppState};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{DateTime, Utc};
use domain::ids::{CampaignId, CampaignRef, ImportId, LeadId, TenantId};
use domain::lead::{Contact, ImportSource, Lead, LeadState};
use domain::phone::E164;
use domain::plan::Plan;
use emulator::TestEnv;
use http_body_util::BodyExt;
use ports::ManualClock;
use ports::blobs::Blobs;
use ports::store::{Counters, Leads};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A tenant id of the tests.
pub fn tenant_id(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

pub fn t0() -> DateTime<Utc> {
    // Wednesday 10:00 in New York.
    DateTime::parse_from_rfc3339("2026-06-10T14:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub struct App {
    pub router: Router,
    /// The API's clock.
    pub clock: ManualClock,
    /// The results queue and the bucket: tests run the results worker's jobs themselves.
    pub results_queue: String,
    pub sqs: aws_sdk_sqs::Client,
    pub blobs: Arc<dyn Blobs>,
    /// The same bucket read (the erasure job reads reports).
    pub reads: Arc<S3Blobs>,
    pub store: Arc<DynamoStore>,
    pub schedules: EventBridgeSchedules,
    /// The dial queue (what a tick enqueues).
    pub dial_queue: String,
    /// The webhook queue (fan-out jobs of status changes, redeliveries).
    pub webhook_queue: String,
}

pub struct Response {
    pub status: StatusCode,
    pub body: Value,
    pub content_type: String,
    pub retry_after: Option<String>,
}

impl App {
    /// An app whose tenants are not rate limited (tests make many requests in one virtual
    /// second).
    pub async fn spawn(label: &str) -> App {
        let settings = ApiSettings {
            tenant_requests_per_second: 1_000_000,
            ..ApiSettings::default()
        };
        Self::spawn_with(label, settings).await
    }

    pub async fn spawn_with(label: &str, settings: ApiSettings) -> App {
        Self::build(label, settings, false).await
    }

    /// An API whose launch and resume run the campaign's first tick at once, with an engine
    /// on the emulator's dial queue (as the deployment's API does).
    pub async fn spawn_ticking(label: &str) -> App {
        let settings = ApiSettings {
            tenant_requests_per_second: 1_000_000,
            ..ApiSettings::default()
        };
        Self::build(label, settings, true).await
    }

    async fn build(label: &str, settings: ApiSettings, ticking: bool) -> App {
        let env = TestEnv::new(label).await.expect("local AWS emulator");
        let store = Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&env.config),
            env.table(),
        ));
        let schedules = EventBridgeSchedules::new(
            aws_sdk_scheduler::Client::new(&env.config),
            env.resources.name("TickScheduleGroup").unwrap(),
            "arn:aws:lambda:us-east-1:123456789012:function:tick",
            "arn:aws:iam::123456789012:role/scheduler",
        );
        let reads = Arc::new(S3Blobs::new(
            emulator::s3_client(&env.config),
            env.resources.name("DataBucket").unwrap(),
        ));
        let blobs: Arc<dyn Blobs> = reads.clone();
        let clock = ManualClock::at(t0());
        let sqs = aws_sdk_sqs::Client::new(&env.config);
        let results_queue = env.resources.name("ResultsQueue").unwrap().to_owned();
        let dial_queue = env.resources.name("DialQueue").unwrap().to_owned();
        let webhook_queue = env.resources.name("WebhookQueue").unwrap().to_owned();
        let tick_now: Option<Arc<dyn api::tick_now::TickNow>> = ticking.then(|| {
            let engine = engine::Engine::new(
                store.clone(),
                Arc::new(adapters::queue::SqsQueue::new(sqs.clone(), &dial_queue)),
                // The tick reads the agent's provider account (its calls per second).
                engine::Providers::default().with(
                    "simulator",
                    Arc::new(adapters::voice::simulator::Simulator::new(
                        adapters::voice::simulator::SimulatorConfig::new(1, "secret"),
                        Arc::new(clock.clone()),
                    )),
                ),
                Arc::new(schedules.clone()),
                Arc::new(clock.clone()),
                Arc::new(ports::NoFaults),
                engine::Settings::new(""),
            );
            Arc::new(engine) as Arc<dyn api::tick_now::TickNow>
        });
        let state = AppState {
            tick_now,
            store: store.clone(),
            schedules: Arc::new(schedules.clone()),
            blobs: blobs.clone(),
            results: Arc::new(adapters::queue::SqsQueue::new(sqs.clone(), &results_queue)),
            clock: Arc::new(clock.clone()),
            settings,
            webhooks: Some(Arc::new(adapters::queue::SqsQueue::new(
                sqs.clone(),
                &webhook_queue,
            ))),
        };
        App {
            clock,
            dial_queue,
            webhook_queue,
            results_queue,
            sqs,
            blobs,
            reads,
            router: api::router(state),
            store,
            schedules,
        }
    }

    /// Runs every job on the results queue (what the results function does in the cloud);
    /// returns how many ran.
    pub async fn run_results_jobs(&self) -> usize {
        let mut ran = 0;
        loop {
            let bodies = self.take_messages(&self.results_queue).await;
            if bodies.is_empty() {
                return ran;
            }
            for body in &bodies {
                let job: engine::results::ResultsJob = serde_json::from_str(body).unwrap();
                let clock = Arc::new(ManualClock::at(t0()));
                let tools = engine::erasure::ErasureTools {
                    blobs: self.blobs.as_ref(),
                    reads: self.reads.as_ref(),
                    key: &lead_id_key(),
                };
                let (store, blobs) = (self.store.as_ref(), self.blobs.as_ref());
                engine::results::run_job(store, blobs, &job, clock, Some(tools))
                    .await
                    .unwrap();
                ran += 1;
            }
        }
    }

    /// Every job on the webhook queue now (taken off it).
    pub async fn webhook_jobs(&self) -> Vec<ports::store::WebhookJob> {
        let bodies = self.take_messages(&self.webhook_queue).await;
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).unwrap())
            .collect()
    }

    /// The bodies of every message on `queue` now, each deleted once read.
    async fn take_messages(&self, queue: &str) -> Vec<String> {
        let mut bodies = Vec::new();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(queue)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return bodies;
            }
            for m in messages {
                bodies.push(m.body().unwrap().to_owned());
                self.sqs
                    .delete_message()
                    .queue_url(queue)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }

    /// The API's time now.
    pub fn clock_now(&self) -> DateTime<Utc> {
        use ports::Clock;
        self.clock.now()
    }

    /// A tenant with a key; returns the key.
    pub async fn tenant(&self, id: &str, plan: Plan) -> String {
        let tenant = TenantId::parse(id).unwrap();
        api::admin::create_tenant(self.store.as_ref(), tenant.clone(), id, plan, t0())
            .await
            .unwrap();
        api::admin::set_caller_numbers(self.store.as_ref(), &tenant, &[CALLER_NUMBER.into()])
            .await
            .unwrap();
        api::admin::issue_key(self.store.as_ref(), &tenant, "test", t0())
            .await
            .unwrap()
            .1
    }

    pub async fn call(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        if !key.is_empty() {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let body = match body {
            Some(v) => {
                request = request.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    pub async fn send(&self, request: Request<Body>) -> Response {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
        Response {
            status,
            body,
            content_type,
            retry_after,
        }
    }

    pub async fn get(&self, key: &str, path: &str) -> Response {
        self.call(key, Method::GET, path, None).await
    }

    pub async fn post(&self, key: &str, path: &str, body: Value) -> Response {
        self.call(key, Method::POST, path, Some(body)).await
    }

    /// Whether `number` is on the key's tenant's DNC list (`POST /v1/dnc/check`).
    pub async fn check(&self, key: &str, number: &str) -> bool {
        let r = self
            .post(
                key,
                "/v1/dnc/check",
                serde_json::json!({ "number": number }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body["on_list"].as_bool().unwrap()
    }

    /// An outbound agent; returns its id.
    pub async fn agent(&self, key: &str) -> String {
        let r = self.post(key, "/v1/agents", agent_spec("outbound")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// A Draft campaign with `leads` callable leads; returns its id.
    pub async fn campaign(&self, key: &str, tenant: &str, leads: u32) -> String {
        let agent = self.agent(key).await;
        let r = self.post(key, "/v1/campaigns", campaign_spec(&agent)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let id = r.body["id"].as_str().unwrap().to_owned();
        self.add_leads(tenant, &id, leads).await;
        id
    }

    /// Writes leads straight to the store (the importer's job, tested elsewhere).
    pub async fn add_leads(&self, tenant: &str, campaign: &str, n: u32) {
        let contacts = (0..n)
            .map(|i| Contact {
                name: Some(format!("Lead {i}")),
                ..Contact::new(E164::parse_strict(&format!("+1212555{:04}", 1000 + i)).unwrap())
            })
            .collect();
        self.add_contacts(tenant, campaign, contacts).await;
    }

    /// Writes a lead for each contact straight to the store.
    pub async fn add_contacts(&self, tenant: &str, campaign: &str, contacts: Vec<Contact>) {
        let c = CampaignRef {
            tenant: TenantId::parse(tenant).unwrap(),
            campaign: CampaignId::parse(campaign).unwrap(),
        };
        let n = contacts.len();
        for (i, contact) in contacts.into_iter().enumerate() {
            let lead = Lead {
                id: LeadId::derive(&c.campaign, &contact.phone),
                contact,
                source: ImportSource {
                    import_id: ImportId::parse("seed").unwrap(),
                    line: i as u64 + 2,
                },
                state: LeadState::new(t0()),
            };
            self.store
                .insert_leads(&c, std::slice::from_ref(&lead), 1)
                .await
                .unwrap();
        }
        self.store.add_imported(&c, n as i64).await.unwrap();
    }

    pub async fn schedules(&self) -> Vec<ScheduleInfo> {
        self.schedules.list().await.unwrap()
    }

    pub async fn schedule_of(&self, tenant: &str, campaign: &str) -> Option<ScheduleInfo> {
        let name = EventBridgeSchedules::name(&CampaignRef {
            tenant: TenantId::parse(tenant).unwrap(),
            campaign: CampaignId::parse(campaign).unwrap(),
        });
        self.schedules().await.into_iter().find(|s| s.name == name)
    }
}

pub fn agent_spec(mode: &str) -> Value {
    json!({
        "name": "Ava",
        "mode": mode,
        "provider": "simulator",
        "caller_number": "+1 415 555 2671",
        "provider_agent_ref": "ava",
        "voicemail_message": "Hi, it's Ava."
    })
}

/// The number test agents call from, registered for every test tenant.
pub const CALLER_NUMBER: &str = "+14155552671";

pub fn campaign_spec(agent: &str) -> Value {
    json!({
        "name": "Spring renewals",
        "description": "Renewal reminders",
        "agent_id": agent,
        "pacing": { "max_concurrent_calls": 5, "calls_per_hour": 100 }
    })
}

/// Asserts a problem document with this status and code.
pub fn assert_problem(r: &Response, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{:?}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.body["code"], code, "{:?}", r.body);
    assert_eq!(r.body["status"], status.as_u16());
    assert_eq!(r.body["type"], format!("urn:campaigns:problem:{code}"));
}

/// The lead id key the API tests' results jobs (and imports) use.
pub fn lead_id_key() -> domain::ids::LeadIdKey {
    domain::ids::LeadIdKey::new("api-tests-lead-id-key").expect("long enough")
}
