//! Administration that is not a public endpoint: creating tenants and issuing, listing and
//! revoking their API keys. Run by `campaigns admin ...` (infra/cli) with AWS credentials.

use chrono::{DateTime, Utc};
use domain::ids::{ApiKeyId, TenantId};
use domain::plan::Plan;
use ports::store::Tenants;
use ports::store::{ApiKeyRecord, TenantRecord};

use crate::auth::{generate_key, hash_key};

/// Why an admin operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The tenant exists.
    #[error("tenant {0} already exists")]
    TenantExists(TenantId),
    /// No such tenant.
    #[error("tenant {0} does not exist")]
    NoTenant(TenantId),
    /// No such key.
    #[error("key {0} does not exist")]
    NoKey(ApiKeyId),
    /// A value given to the command is not valid.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] ports::store::StoreError),
    /// A write failed.
    #[error(transparent)]
    Write(#[from] ports::store::WriteError),
}

/// Creates a tenant.
pub async fn create_tenant(
    store: &(impl Tenants + ?Sized),
    id: TenantId,
    name: &str,
    plan: Plan,
    now: DateTime<Utc>,
) -> Result<TenantRecord, AdminError> {
    let record = TenantRecord::new(id.clone(), name, plan, now);
    match store.create_tenant(&record).await {
        Ok(()) => Ok(record),
        Err(ports::store::WriteError::Refused(_)) => Err(AdminError::TenantExists(id)),
        Err(e) => Err(e.into()),
    }
}

/// Issues a key; returns its record and the secret text (shown once).
pub async fn issue_key(
    store: &(impl Tenants + ?Sized),
    tenant: &TenantId,
    label: &str,
    now: DateTime<Utc>,
) -> Result<(ApiKeyRecord, String), AdminError> {
    if store.get_tenant(tenant).await?.is_none() {
        return Err(AdminError::NoTenant(tenant.clone()));
    }
    let (id, key) = generate_key();
    let record = ApiKeyRecord {
        id,
        tenant: tenant.clone(),
        label: label.to_owned(),
        secret_hash: hash_key(&key),
        created_at: now,
        revoked_at: None,
    };
    store.create_api_key(&record).await?;
    Ok((record, key))
}

/// A tenant's keys (hashes included, secrets never).
pub async fn list_keys(
    store: &(impl Tenants + ?Sized),
    tenant: &TenantId,
) -> Result<Vec<ApiKeyRecord>, AdminError> {
    Ok(store.list_api_keys(tenant).await?)
}

/// Revokes a key; requests with it are refused from then on.
pub async fn revoke_key(
    store: &(impl Tenants + ?Sized),
    tenant: &TenantId,
    key: &ApiKeyId,
    now: DateTime<Utc>,
) -> Result<ApiKeyRecord, AdminError> {
    match store.revoke_api_key(tenant, key, now).await {
        Ok(record) => Ok(record),
        Err(ports::store::WriteError::Refused(_)) => Err(AdminError::NoKey(key.clone())),
        Err(e) => Err(e.into()),
    }
}

/// Replaces the numbers a tenant's agents may call from (numbers the operators verified the
/// tenant owns). Agents using another number are refused from then on (create, change,
/// launch).
pub async fn set_caller_numbers(
    store: &(impl Tenants + ports::store::TenantPolicies + ?Sized),
    tenant: &TenantId,
    numbers: &[String],
) -> Result<TenantRecord, AdminError> {
    let mut record = existing(store, tenant).await?;
    record.caller_numbers = numbers
        .iter()
        .map(|n| {
            domain::phone::E164::normalize(n, domain::phone::DefaultRegion::us())
                .map(|n| n.e164)
                .map_err(|e| AdminError::Invalid(format!("{n}: {e}")))
        })
        .collect::<Result<_, _>>()?;
    save_policy(store, record).await
}

/// Replaces the countries (ISO 3166-1 alpha-2) a tenant's leads and transfer numbers may be in.
pub async fn set_countries(
    store: &(impl Tenants + ports::store::TenantPolicies + ?Sized),
    tenant: &TenantId,
    countries: &[String],
) -> Result<TenantRecord, AdminError> {
    let mut record = existing(store, tenant).await?;
    record.allowed_countries = countries
        .iter()
        .map(|c| {
            domain::phone::DefaultRegion::parse(c)
                .map(domain::phone::DefaultRegion::code)
                .map_err(|e| AdminError::Invalid(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    save_policy(store, record).await
}

async fn existing(
    store: &(impl Tenants + ?Sized),
    tenant: &TenantId,
) -> Result<TenantRecord, AdminError> {
    (store.get_tenant(tenant).await?).ok_or_else(|| AdminError::NoTenant(tenant.clone()))
}

async fn save_policy(
    store: &(impl Tenants + ports::store::TenantPolicies + ?Sized),
    record: TenantRecord,
) -> Result<TenantRecord, AdminError> {
    let (numbers, countries) = (&record.caller_numbers, &record.allowed_countries);
    if store
        .set_tenant_policy(&record.id, numbers, countries)
        .await?
    {
        Ok(record)
    } else {
        Err(AdminError::NoTenant(record.id))
    }
}
