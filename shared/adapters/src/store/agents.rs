//! Agents (`T#{tenant}` / `AGENT#{id}`).

use async_trait::async_trait;
use domain::ids::{AgentId, TenantId};
use ports::store::Agents;
use serde::{Deserialize, Serialize};

use super::AgentRecord;
use super::keys;
use super::quarantine::{Owner, Unreadable};
use super::{DynamoStore, PrefixRead, StoreError, WriteError, conditional, corrupt, n, s};

#[derive(Serialize, Deserialize)]
struct AgentItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    record: AgentRecord,
}

fn decode(
    item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> Result<AgentRecord, StoreError> {
    let key = item
        .get(keys::SK)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    serde_dynamo::from_item::<_, AgentItem>(item)
        .map(|i| i.record)
        .map_err(|e| StoreError::Corrupt {
            key,
            reason: e.to_string(),
        })
}

#[async_trait]
impl Agents for DynamoStore {
    /// Writes an agent: a new one (`expected_version` = None) or a change of the version read.
    async fn put_agent(
        &self,
        record: &AgentRecord,
        expected_version: Option<u64>,
    ) -> Result<(), WriteError> {
        let item = AgentItem {
            pk: keys::tenant_pk(&record.tenant),
            sk: keys::agent_sk(&record.id),
            kind: "agent".into(),
            record: record.clone(),
        };
        let item = serde_dynamo::to_item(item).map_err(|e| corrupt(&record.id, e))?;
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        request = match expected_version {
            None => request.condition_expression("attribute_not_exists(pk)"),
            Some(v) => request
                .condition_expression("version = :v")
                .expression_attribute_values(":v", n(v)),
        };
        conditional(request.send().await).map(|_| ())
    }

    /// Reads an agent of a tenant.
    async fn get_agent(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
    ) -> Result<Option<AgentRecord>, StoreError> {
        let item = self
            .consistent_item(keys::tenant_pk(tenant), keys::agent_sk(agent))
            .await?;
        item.map(decode).transpose()
    }

    /// Every agent of a tenant.
    async fn list_agents(&self, tenant: &TenantId) -> Result<Vec<AgentRecord>, StoreError> {
        let items = self
            .items_with_prefix(keys::tenant_pk(tenant), "AGENT#", PrefixRead::default())
            .await?;
        let mut agents = Vec::with_capacity(items.len());
        for item in items {
            match decode(item.clone()) {
                Ok(agent) => agents.push(agent),
                Err(err) => {
                    let unreadable = Unreadable::new(&item, err);
                    self.set_aside(&Owner::tenant(tenant), "agent", &unreadable)
                        .await?;
                }
            }
        }
        Ok(agents)
    }

    /// Deletes an agent if it still has the version read.
    async fn delete_agent(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        expected_version: u64,
    ) -> Result<(), WriteError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::agent_sk(agent)))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(expected_version))
            .send()
            .await;
        conditional(result).map(|_| ())
    }
}
