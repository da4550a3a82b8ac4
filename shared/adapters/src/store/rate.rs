//! Per-tenant API request budgets (`RATE#{tenant}#{epoch second}` / `RATE`, expiring after an
//! hour): one conditional counter per tenant per second. A request that finds the second's
//! budget spent writes nothing.

use async_trait::async_trait;
use domain::ids::TenantId;
use ports::store::RateLimits;

use super::keys;
use super::{DynamoStore, StoreError, condition_held, n, s};

#[async_trait]
impl RateLimits for DynamoStore {
    async fn take_request(
        &self,
        tenant: &TenantId,
        epoch_second: i64,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::rate_pk(tenant, epoch_second)))
            .key(keys::SK, s(keys::RATE_SK))
            .update_expression("ADD #n :one SET #expires = :expires")
            .condition_expression("attribute_not_exists(#n) OR #n < :limit")
            .expression_attribute_names("#n", "n")
            .expression_attribute_names("#expires", keys::EXPIRES_AT)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(":expires", n(epoch_second + 3600))
            .send()
            .await;
        condition_held(result)
    }
}
