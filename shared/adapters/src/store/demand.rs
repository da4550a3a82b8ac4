//! Which tenants are dialing on a provider account (`DEMAND#{account}` / `{tenant}`, expiring an
//! hour after the mark runs out): one small item per tenant, read with one query by the
//! dialers that divide the account's calls per second (`domain::fair_share`). The partition
//! holds one item per tenant dialing there, so the read stays one page.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::TenantId;
use ports::store::AccountDemand;

use super::keys;
use super::{DynamoStore, StoreError, aws, n, s};

#[async_trait]
impl AccountDemand for DynamoStore {
    async fn mark_dialing(
        &self,
        account: &str,
        tenant: &TenantId,
        weight: u32,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(keys::PK, s(keys::demand_pk(account)))
            .item(keys::SK, s(tenant.to_string()))
            .item("weight", n(weight))
            .item("until_ms", n(until.timestamp_millis()))
            .item(keys::EXPIRES_AT, n(until.timestamp() + 3600))
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }

    async fn dialing_on(
        &self,
        account: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<(TenantId, u32)>, StoreError> {
        let mut dialing = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .filter_expression("until_ms > :now")
            .expression_attribute_values(":pk", s(keys::demand_pk(account)))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(aws)?;
            let tenant = item.get(keys::SK).and_then(|v| v.as_s().ok());
            let weight = item.get("weight").and_then(|v| v.as_n().ok());
            // A mark that no longer reads as one is no tenant's: it runs out by itself.
            if let (Some(Ok(tenant)), Some(Ok(weight))) = (
                tenant.map(|t| TenantId::parse(t.clone())),
                weight.map(|w| w.parse::<u32>()),
            ) {
                dialing.push((tenant, weight));
            }
        }
        Ok(dialing)
    }
}
