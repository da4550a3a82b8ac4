//! A tenant's Do-Not-Call list (`DNC#{tenant}` / `{E.164}`).

use chrono::{DateTime, Utc};
use domain::ids::TenantId;
use domain::phone::E164;

use super::keys;
use super::{DynamoStore, StoreError, aws, s};

impl DynamoStore {
    /// Adds a number (idempotent). `source` says why: `api`, `csv`, `opt_out`.
    pub async fn add_dnc(
        &self,
        tenant: &TenantId,
        number: &E164,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(keys::PK, s(keys::dnc_pk(tenant)))
            .item(keys::SK, s(keys::dnc_sk(number)))
            .item("kind", s("dnc"))
            .item("source", s(source))
            .item("added_at", s(now.to_rfc3339()))
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }

    /// Removes a number (idempotent).
    pub async fn remove_dnc(&self, tenant: &TenantId, number: &E164) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::dnc_pk(tenant)))
            .key(keys::SK, s(keys::dnc_sk(number)))
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }

    /// Whether a number is on the list (strongly consistent).
    pub async fn is_dnc(&self, tenant: &TenantId, number: &E164) -> Result<bool, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::dnc_pk(tenant)))
            .key(keys::SK, s(keys::dnc_sk(number)))
            .consistent_read(true)
            .projection_expression("pk")
            .send()
            .await
            .map_err(aws)?;
        Ok(out.item.is_some())
    }
}
