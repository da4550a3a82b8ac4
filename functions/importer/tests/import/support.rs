use ports::store::{Agents, Campaigns, Imports, Leads, Tenants};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use adapters::store::DynamoStore;
use chrono::{DateTime, Utc};
use domain::agent::{AgentMode, AgentSpec};
use domain::config::CampaignSpec;
use domain::ids::{AgentId, CampaignId, CampaignRef, TenantId};
use domain::plan::Plan;
use emulator::TestEnv;
use importer::event::ImportRequest;
use importer::job::{self, Outcome};
use importer::{ImportSettings, Importer};
use ports::store::{AgentRecord, ImportRecord, NewCampaign, TenantRecord};
use ports::{Faults, InjectedCrash, ManualClock, NoFaults};

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-10T14:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub struct World {
    pub store: Arc<DynamoStore>,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub bucket: String,
    pub queue_url: String,
}

/// Crashes at `point` on its `nth` visit (1-based), once.
#[derive(Debug)]
pub struct CrashOnce {
    pub point: &'static str,
    pub nth: u32,
    seen: Mutex<u32>,
}

impl CrashOnce {
    pub fn new(point: &'static str, nth: u32) -> Self {
        Self {
            point,
            nth,
            seen: Mutex::new(0),
        }
    }
}

impl Faults for CrashOnce {
    fn crash_point(&self, point: &'static str) -> Result<(), InjectedCrash> {
        if point != self.point {
            return Ok(());
        }
        let mut seen = self.seen.lock().unwrap();
        *seen += 1;
        if *seen == self.nth {
            Err(InjectedCrash(point))
        } else {
            Ok(())
        }
    }
}

impl World {
    pub async fn new(label: &str) -> World {
        let env = TestEnv::new(label).await.expect("local AWS emulator");
        World {
            store: Arc::new(DynamoStore::new(
                aws_sdk_dynamodb::Client::new(&env.config),
                env.table(),
            )),
            s3: emulator::s3_client(&env.config),
            sqs: aws_sdk_sqs::Client::new(&env.config),
            bucket: env.resources.name("DataBucket").unwrap().to_owned(),
            queue_url: env.resources.name("ImportQueue").unwrap().to_owned(),
        }
    }

    pub fn importer(&self, settings: ImportSettings, faults: Arc<dyn Faults>) -> Importer {
        Importer {
            store: self.store.clone(),
            blobs: Arc::new(adapters::blobs::S3Blobs::new(
                self.s3.clone(),
                self.bucket.clone(),
            )),
            continuations: Arc::new(adapters::queue::SqsQueue::new(
                self.sqs.clone(),
                &self.queue_url,
            )),
            clock: Arc::new(ManualClock::at(t0())),
            faults,
            lead_id_key: domain::ids::LeadIdKey::new("importer-tests-lead-id-key").unwrap(),
            settings,
        }
    }

    pub fn default_importer(&self) -> Importer {
        self.importer(ImportSettings::default(), Arc::new(NoFaults))
    }

    /// A tenant with a Draft campaign.
    pub async fn campaign(&self, tenant: &str, campaign: &str) -> CampaignRef {
        let c = CampaignRef {
            tenant: TenantId::parse(tenant).unwrap(),
            campaign: CampaignId::parse(campaign).unwrap(),
        };
        let _ = self
            .store
            .create_tenant(&TenantRecord::new(
                c.tenant.clone(),
                tenant,
                Plan::Enterprise,
                t0(),
            ))
            .await;
        let agent = AgentRecord {
            tenant: c.tenant.clone(),
            id: AgentId::parse("agent").unwrap(),
            spec: AgentSpec {
                name: "Ava".into(),
                mode: AgentMode::Outbound,
                provider: "simulator".into(),
                caller_number: "+14155550100".into(),
                caller_pool: Vec::new(),
                named_pool: None,
                caller_limits: None,
                caller_health: None,
                provider_agent_ref: "ava".into(),
                voicemail_message: None,
                voice: None,
                language: None,
            },
            version: 1,
            created_at: t0(),
            updated_at: t0(),
        };
        let _ = self.store.put_agent(&agent, None).await;
        let spec: CampaignSpec =
            serde_json::from_str(r#"{"name":"Import","agent_id":"agent"}"#).unwrap();
        self.store
            .create_campaign(NewCampaign {
                campaign: c.clone(),
                config: domain::config::CampaignConfig::parse(spec).unwrap(),
                now: t0(),
            })
            .await
            .unwrap();
        c
    }

    pub fn key(c: &CampaignRef, file: &str) -> String {
        format!("imports/{}/{}/{file}", c.tenant, c.campaign)
    }

    pub async fn upload(&self, key: &str, bytes: &[u8]) {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(bytes.to_vec().into())
            .send()
            .await
            .unwrap();
    }

    /// Uploads and imports a file in one call; returns the outcome and the import's record.
    pub async fn import(
        &self,
        importer: &Importer,
        c: &CampaignRef,
        file: &str,
        bytes: &[u8],
    ) -> (Outcome, ImportRecord) {
        let key = Self::key(c, file);
        self.upload(&key, bytes).await;
        let outcome = self
            .run(importer, &key, bytes.len() as u64)
            .await
            .expect("import runs");
        (outcome, self.record(c, &key).await)
    }

    pub async fn run(
        &self,
        importer: &Importer,
        key: &str,
        size: u64,
    ) -> Result<Outcome, job::ImportError> {
        let request = ImportRequest::Object {
            key: key.to_owned(),
            size: Some(size),
        };
        job::run(
            importer,
            request,
            Instant::now() + Duration::from_secs(3600),
        )
        .await
    }

    pub async fn record(&self, c: &CampaignRef, key: &str) -> ImportRecord {
        let (_, import, _) = importer::event::parse_key(key).unwrap();
        self.store
            .get_import(c, &import)
            .await
            .unwrap()
            .expect("an import record")
    }

    /// (line, reason) of every row in the import's report.
    pub async fn report(&self, record: &ImportRecord) -> Vec<(u64, String)> {
        let Some(key) = &record.report_key else {
            return Vec::new();
        };
        let object = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        let bytes = object.body.collect().await.unwrap().into_bytes();
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(bytes.as_ref());
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].parse().unwrap(), r[1].to_owned())
            })
            .collect()
    }

    /// Phone numbers of every lead of the campaign, sorted.
    pub async fn phones(&self, c: &CampaignRef) -> Vec<String> {
        let mut phones: Vec<String> = self
            .store
            .all_leads(c)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.contact.phone.to_string())
            .collect();
        phones.sort();
        phones
    }
}

/// The comparable parts of an import's outcome.
pub fn summary(record: &ImportRecord) -> (u64, u64, BTreeMap<String, u64>, BTreeMap<String, u64>) {
    (
        record.rows_read,
        record.imported,
        record.rejected.clone(),
        record.repaired.clone(),
    )
}
