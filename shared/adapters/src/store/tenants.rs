//! Tenants (`T#{tenant}` / `TENANT`): plan and the count of live campaigns that enforces it;
//! and their API keys. A key's secret is never stored: only its SHA-256, which is the lookup
//! key (`KEY#{sha256}`), plus a listing entry under the tenant (`T#{tenant}` / `APIKEY#{id}`).
//! Issuing and revoking write both in one transaction.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use domain::ids::{ApiKeyId, TenantId};
use domain::phone::E164;
use ports::store::{ApiKeyRecord, Refusal, TenantPolicies, TenantRecord, Tenants};
use serde::{Deserialize, Serialize};

use super::keys;
use super::{
    DynamoStore, StoreError, WriteError, aws, condition_held, conditional, corrupt, decode_record,
    s,
};

#[derive(Serialize, Deserialize)]
struct TenantItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    record: TenantRecord,
}

#[derive(Serialize, Deserialize)]
struct KeyItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    record: ApiKeyRecord,
}

#[async_trait]
impl Tenants for DynamoStore {
    /// Creates a tenant; refused if the id exists.
    async fn create_tenant(&self, tenant: &TenantRecord) -> Result<(), WriteError> {
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
    async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<TenantRecord>, StoreError> {
        decode_record(
            self.consistent_item(keys::tenant_pk(tenant), keys::TENANT_SK)
                .await?,
            &tenant.to_string(),
            |i: TenantItem| i.record,
        )
    }

    /// Stores a new key (both items), refusing to overwrite either.
    async fn create_api_key(&self, record: &ApiKeyRecord) -> Result<(), WriteError> {
        let by_hash = KeyItem {
            pk: keys::api_key_hash_pk(&record.secret_hash),
            sk: "KEY".into(),
            kind: "api_key".into(),
            record: record.clone(),
        };
        let listing = KeyItem {
            pk: keys::tenant_pk(&record.tenant),
            sk: keys::api_key_sk(&record.id),
            kind: "api_key".into(),
            record: record.clone(),
        };
        let mut items = Vec::new();
        for item in [by_hash, listing] {
            let key = item.pk.clone();
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(
                    serde_dynamo::to_item(item).map_err(|e| corrupt(&key, e))?,
                ))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| corrupt(&key, e))?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        self.transact_or(items, Refusal::Stale).await
    }

    /// The key whose secret hashes to `secret_hash`, if any (revoked keys included).
    async fn api_key_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::api_key_hash_pk(secret_hash)))
            .key(keys::SK, s("KEY"))
            .send()
            .await
            .map_err(aws)?;
        out.item
            .map(|item| {
                serde_dynamo::from_item::<_, KeyItem>(item)
                    .map(|i| i.record)
                    .map_err(|e| corrupt("api key", e))
            })
            .transpose()
    }

    /// A tenant's keys.
    async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(keys::tenant_pk(tenant)))
            .expression_attribute_values(":prefix", s("APIKEY#"))
            .send()
            .await
            .map_err(aws)?;
        super::decode_records(out.items, "api key", |i: KeyItem| i.record)
    }

    /// Revokes a tenant's key (both items, at once). Revoking twice keeps the first time.
    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, WriteError> {
        let Some(record) = self
            .list_api_keys(tenant)
            .await?
            .into_iter()
            .find(|k| &k.id == id)
        else {
            return Err(WriteError::Refused(Refusal::Stale));
        };
        if record.revoked_at.is_some() {
            return Ok(record);
        }
        let mut items = Vec::new();
        for (pk, sk) in [
            (keys::api_key_hash_pk(&record.secret_hash), "KEY".to_owned()),
            (keys::tenant_pk(tenant), keys::api_key_sk(id)),
        ] {
            let update = Update::builder()
                .table_name(&self.table)
                .key(keys::PK, s(pk.clone()))
                .key(keys::SK, s(sk))
                .update_expression("SET revoked_at = :now")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":now", s(now.to_rfc3339()))
                .build()
                .map_err(|e| corrupt(&pk, e))?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(aws)?;
        Ok(ApiKeyRecord {
            revoked_at: Some(now),
            ..record
        })
    }
}

#[async_trait]
impl TenantPolicies for DynamoStore {
    async fn set_tenant_policy(
        &self,
        tenant: &TenantId,
        caller_numbers: &[E164],
        allowed_countries: &[String],
    ) -> Result<bool, StoreError> {
        let list = |items: Vec<String>| {
            aws_sdk_dynamodb::types::AttributeValue::L(items.into_iter().map(s).collect())
        };
        let numbers = list(caller_numbers.iter().map(ToString::to_string).collect());
        self.set_on_tenant(
            tenant,
            &[
                ("caller_numbers", numbers),
                ("allowed_countries", list(allowed_countries.to_vec())),
            ],
        )
        .await
    }

    async fn set_contact_caps(
        &self,
        tenant: &TenantId,
        caps: domain::contact_caps::ContactCaps,
    ) -> Result<bool, StoreError> {
        let caps = serde_dynamo::to_attribute_value(caps).map_err(|e| corrupt(tenant, e))?;
        self.set_on_tenant(tenant, &[("contact_caps", caps)]).await
    }

    async fn set_retention(
        &self,
        tenant: &TenantId,
        days: Option<u16>,
    ) -> Result<bool, StoreError> {
        let days = match days {
            Some(days) => super::n(days),
            None => aws_sdk_dynamodb::types::AttributeValue::Null(true),
        };
        self.set_on_tenant(tenant, &[("retention_days", days)])
            .await
    }
}

impl DynamoStore {
    /// Sets attributes of an existing tenant item; false if there is no such tenant.
    async fn set_on_tenant(
        &self,
        tenant: &TenantId,
        values: &[(&str, aws_sdk_dynamodb::types::AttributeValue)],
    ) -> Result<bool, StoreError> {
        let sets: Vec<String> = values
            .iter()
            .map(|(name, _)| format!("{name} = :{name}"))
            .collect();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::TENANT_SK))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression("attribute_exists(pk)");
        for (name, value) in values {
            update = update.expression_attribute_values(format!(":{name}"), value.clone());
        }
        condition_held(update.send().await)
    }
}
