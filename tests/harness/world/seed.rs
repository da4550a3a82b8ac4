//! Seeding a world: the tenant, its agent, the campaigns and their leads, launched.

use ports::store::CampaignStatuses;
use std::sync::Arc;

use adapters::store::DynamoStore;
use chrono::{DateTime, Utc};
use domain::agent::{AgentMode, AgentSpec};
use domain::config::{CampaignConfig, CampaignSpec};
use domain::ids::{AgentId, CampaignId, CampaignRef, ImportId, LeadId, TenantId};
use domain::lead::{Contact, ImportSource, Lead, LeadState};
use domain::plan::Plan;
use domain::status::CampaignStatus;
use ports::store::{
    AgentRecord, Agents, Campaigns, Counters, InsertOutcome, Leads, NewCampaign, TenantRecord,
    Tenants,
};

use super::{Damage, WorldConfig, damage};

/// The sibling campaigns (`campaign-2`, ...), seeded and launched.
pub(super) async fn seed_siblings(
    store: &Arc<DynamoStore>,
    tenant: &domain::ids::TenantId,
    settings: &WorldConfig,
) -> anyhow::Result<Vec<(CampaignRef, CampaignConfig)>> {
    let mut siblings = Vec::new();
    for (i, (spec, contacts)) in settings.siblings.iter().enumerate() {
        let sibling = CampaignRef {
            tenant: tenant.clone(),
            campaign: CampaignId::parse(format!("campaign-{}", i + 2))?,
        };
        let (config, _) =
            seed_leads_and_launch(store, &sibling, spec, contacts, settings.start, &[]).await?;
        siblings.push((sibling, config));
    }
    Ok(siblings)
}

/// The other tenants' campaigns (`tenant-2`/`campaign-1`, ...), each tenant with its agent,
/// seeded and launched.
pub(super) async fn seed_other_tenants(
    store: &Arc<DynamoStore>,
    settings: &WorldConfig,
) -> anyhow::Result<Vec<(CampaignRef, CampaignConfig)>> {
    let mut campaigns = Vec::new();
    for (i, (spec, contacts)) in settings.other_tenants.iter().enumerate() {
        let tenant = TenantId::parse(format!("tenant-{}", i + 2))?;
        seed_tenant_and_agent(store, &tenant, &spec.agent_id, settings).await?;
        let campaign = CampaignRef {
            tenant,
            campaign: CampaignId::parse("campaign-1")?,
        };
        let (config, _) =
            seed_leads_and_launch(store, &campaign, spec, contacts, settings.start, &[]).await?;
        campaigns.push((campaign, config));
    }
    Ok(campaigns)
}

/// Creates the tenant, its agent and the first campaign with its leads, launched (with the
/// leads damaged in Draft).
pub(super) async fn seed_campaign(
    store: &DynamoStore,
    settings: &WorldConfig,
) -> anyhow::Result<(CampaignRef, CampaignConfig, Vec<Lead>)> {
    let tenant = TenantId::parse("tenant-1")?;
    let now = settings.start;
    seed_tenant_and_agent(store, &tenant, &settings.campaign.agent_id, settings).await?;
    let campaign = CampaignRef {
        tenant: tenant.clone(),
        campaign: CampaignId::parse("campaign-1")?,
    };
    let in_draft: Vec<Damage> = (settings.damage.iter())
        .filter(|d| d.at.is_none())
        .cloned()
        .collect();
    let (config, damaged) = seed_leads_and_launch(
        store,
        &campaign,
        &settings.campaign,
        &settings.contacts,
        now,
        &in_draft,
    )
    .await?;
    Ok((campaign, config, damaged))
}

/// Creates an Enterprise tenant and its agent `agent_id` on the world's provider.
async fn seed_tenant_and_agent(
    store: &DynamoStore,
    tenant: &TenantId,
    agent_id: &str,
    settings: &WorldConfig,
) -> anyhow::Result<()> {
    let now = settings.start;
    let mut record = TenantRecord::new(tenant.clone(), "Test tenant", Plan::Enterprise, now);
    // The agent's number, and the one the hand-driven tests dial from.
    record.caller_numbers = vec![domain::phone::E164::parse_strict("+14155552671")?];
    record
        .caller_numbers
        .extend(settings.caller_pool.iter().cloned());
    store.create_tenant(&record).await?;
    let agent = AgentRecord {
        tenant: tenant.clone(),
        id: AgentId::parse(agent_id.to_owned())?,
        spec: AgentSpec {
            name: "Ava".into(),
            mode: AgentMode::Outbound,
            provider: settings.provider.name().into(),
            caller_number: "+14155552671".into(),
            caller_pool: (settings.caller_pool.iter())
                .map(|n| n.as_str().into())
                .collect(),
            named_pool: None,
            caller_limits: Some(settings.caller_limits),
            caller_health: Some(settings.caller_health),
            provider_agent_ref: "ava".into(),
            voicemail_message: Some("Hi, this is Ava.".into()),
            voice: None,
            language: None,
        },
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store.put_agent(&agent, None).await?;
    Ok(())
}

/// Creates a campaign, inserts the contacts as Pending leads, damages leads as `in_draft`
/// says, and launches it (Scheduled if it starts later). Returns the damaged leads as they
/// were.
async fn seed_leads_and_launch(
    store: &DynamoStore,
    campaign: &CampaignRef,
    spec: &CampaignSpec,
    contacts: &[Contact],
    now: DateTime<Utc>,
    in_draft: &[Damage],
) -> anyhow::Result<(CampaignConfig, Vec<Lead>)> {
    let config = CampaignConfig::parse(spec.clone())?;
    store
        .create_campaign(NewCampaign {
            campaign: campaign.clone(),
            config: config.clone(),
            now,
        })
        .await?;
    let import = ImportId::parse("seed")?;
    let leads: Vec<Lead> = contacts
        .iter()
        .enumerate()
        .map(|(i, contact)| Lead {
            id: LeadId::keyed(&world_lead_id_key(), &campaign.campaign, &contact.phone),
            contact: contact.clone(),
            source: ImportSource {
                import_id: import.clone(),
                line: i as u64 + 2,
            },
            state: LeadState::new(now),
        })
        .collect();
    let inserted = store
        .insert_leads(campaign, &leads, 8)
        .await?
        .into_iter()
        .filter(|outcome| *outcome == InsertOutcome::Inserted)
        .count() as i64;
    store.add_imported(campaign, inserted).await?;
    let mut damaged = Vec::new();
    for damage in in_draft {
        let victim = damage::damage_one(store, campaign, &leads, damage).await?;
        damaged.push(victim.ok_or_else(|| anyhow::anyhow!("no lead to damage: {damage:?}"))?);
    }
    let launched = if config.starts_at.is_some_and(|s| s > now) {
        CampaignStatus::Scheduled
    } else {
        CampaignStatus::Active
    };
    store
        .set_campaign_status(campaign, CampaignStatus::Draft, launched, now)
        .await?;
    Ok((config, damaged))
}

impl super::World {
    /// The tenant's extract of `registry` downloaded on `downloaded_on`, listing `numbers`,
    /// loaded as the importer loads one (its numbers, then the record saved loaded, which
    /// makes it the tenant's newest of the registry).
    pub async fn load_registry_extract(
        &self,
        registry: domain::registry::Registry,
        downloaded_on: chrono::NaiveDate,
        numbers: &[domain::phone::E164],
    ) -> anyhow::Result<()> {
        use ports::store::{ExtractRecord, ExtractStatus, Registries};
        let now = super::now_of(&self.clock);
        let tenant = self.campaign.tenant.clone();
        let id = format!("x{}", downloaded_on.format("%Y%m%d"));
        let mut record =
            ExtractRecord::awaiting_upload(tenant.clone(), registry, id, downloaded_on, now);
        record.status = ExtractStatus::Loading;
        self.store.create_extract(&record).await?;
        let expires = domain::registry::RegistryExtract::entries_expire_at(downloaded_on, registry);
        (self.store)
            .load_registry_numbers(&tenant, registry, numbers, expires)
            .await?;
        record.status = ExtractStatus::Loaded;
        record.lines = numbers.len() as u64;
        record.numbers = numbers.len() as u64;
        record.offset = 1;
        record.loaded_at = Some(now);
        self.store.save_extract(&record, 0).await?;
        Ok(())
    }
}

/// The worlds' deployment key: erased numbers' markers (every world's claims check them).
pub fn world_lead_id_key() -> domain::ids::LeadIdKey {
    domain::ids::LeadIdKey::new("world-lead-id-key-000").expect("long enough")
}
