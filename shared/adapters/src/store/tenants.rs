//! Tenants (`T#{tenant}` / `TENANT`): plan and the count of live campaigns that enforces it.

use chrono::{DateTime, Utc};
use domain::ids::TenantId;
use domain::plan::Plan;
use serde::{Deserialize, Serialize};

use super::keys;
use super::{DynamoStore, StoreError, WriteError, conditional, corrupt, decode_record};

/// A tenant as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRecord {
    /// Id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Plan.
    pub plan: Plan,
    /// Campaigns now Scheduled, Active or Paused.
    pub live_campaigns: u32,
    /// The plan's limit on live campaigns; absent = unlimited. Kept on the item so a launch's
    /// condition can compare the two attributes atomically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_limit: Option<u32>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl TenantRecord {
    /// A new tenant with no live campaign.
    pub fn new(id: TenantId, name: impl Into<String>, plan: Plan, now: DateTime<Utc>) -> Self {
        Self {
            id,
            name: name.into(),
            plan,
            live_campaigns: 0,
            live_limit: plan.live_campaign_limit(),
            created_at: now,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct TenantItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    record: TenantRecord,
}

impl DynamoStore {
    /// Creates a tenant; refused if the id exists.
    pub async fn create_tenant(&self, tenant: &TenantRecord) -> Result<(), WriteError> {
        let item = TenantItem {
            pk: keys::tenant_pk(&tenant.id),
            sk: keys::TENANT_SK.into(),
            kind: "tenant".into(),
            record: tenant.clone(),
        };
        let item = serde_dynamo::to_item(item).map_err(|e| corrupt(&tenant.id, e))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        conditional(result).map(|_| ())
    }

    /// Reads a tenant.
    pub async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<TenantRecord>, StoreError> {
        decode_record(
            self.consistent_item(keys::tenant_pk(tenant), keys::TENANT_SK)
                .await?,
            &tenant.to_string(),
            |i: TenantItem| i.record,
        )
    }
}
