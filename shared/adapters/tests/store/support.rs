use adapters::DynamoStore;
use chrono::{DateTime, Duration, Utc};
use domain::config::CampaignSpec;
use domain::ids::{CampaignId, CampaignRef, ImportId, LeadId, LeadRef, TenantId};
use domain::lead::{Contact, ImportSource, Lead, LeadState};
use domain::phone::E164;
use emulator::TestEnv;
use ports::store::NewCampaign;
use ports::store::{Campaigns, Leads, Tenants};

pub struct Fixture {
    pub store: DynamoStore,
    pub campaign: CampaignRef,
}

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-10T15:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub fn minutes(m: i64) -> Duration {
    Duration::minutes(m)
}

/// A store on a fresh table, with one Draft campaign.
pub async fn fixture(label: &str) -> Fixture {
    let env = TestEnv::new(label).await.expect("local AWS emulator");
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&env.config), env.table());
    let campaign = CampaignRef {
        tenant: TenantId::parse("tenant-a").unwrap(),
        campaign: CampaignId::parse("camp-1").unwrap(),
    };
    tenant_with_campaign(&store, &campaign).await;
    Fixture { store, campaign }
}

/// Creates the campaign's tenant (Professional) and the campaign, in Draft.
pub async fn tenant_with_campaign(store: &DynamoStore, campaign: &CampaignRef) {
    let tenant = ports::store::TenantRecord::new(
        campaign.tenant.clone(),
        "Test tenant",
        domain::plan::Plan::Professional,
        t0(),
    );
    store.create_tenant(&tenant).await.unwrap();
    let spec: CampaignSpec =
        serde_json::from_str(r#"{"name":"Test","agent_id":"agent-1"}"#).unwrap();
    store
        .create_campaign(NewCampaign {
            campaign: campaign.clone(),
            config: domain::config::CampaignConfig::parse(spec).unwrap(),
            now: t0(),
        })
        .await
        .unwrap();
}

/// A lead for `+1 212 555 01xx`, due at `due`.
pub fn lead(campaign: &CampaignRef, n: u32, due: DateTime<Utc>) -> Lead {
    let phone = E164::parse_strict(&format!("+121255501{n:02}")).unwrap();
    Lead {
        id: LeadId::derive(&campaign.campaign, &phone),
        contact: Contact {
            name: Some(format!("Lead {n}")),
            ..Contact::new(phone)
        },
        source: ImportSource {
            import_id: ImportId::parse("imp-1").unwrap(),
            line: u64::from(n) + 1,
        },
        state: LeadState::new(due),
    }
}

pub fn reference(campaign: &CampaignRef, lead: &Lead) -> LeadRef {
    LeadRef {
        campaign: campaign.clone(),
        lead: lead.id.clone(),
    }
}

/// Inserts one lead into the fixture's campaign, as an import would.
pub async fn insert(f: &Fixture, lead: &Lead) {
    f.store
        .insert_leads(&f.campaign, std::slice::from_ref(lead), 1)
        .await
        .unwrap();
}
