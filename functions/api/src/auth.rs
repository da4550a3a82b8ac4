//! API keys: `ck.{key id}.{secret}`. Only the SHA-256 of the whole key is stored; a request's
//! key is hashed and looked up, and names the tenant.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine as _;
use domain::ids::{ApiKeyId, TenantId};
use rand::RngExt;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// The prefix of every key.
pub const KEY_PREFIX: &str = "ck";

/// SHA-256 of a presented key, hex.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A fresh key: its public id and the whole secret text (shown once, never stored).
pub fn generate_key() -> (ApiKeyId, String) {
    let id = ulid::Ulid::generate().to_string().to_lowercase();
    let mut secret = [0u8; 32];
    rand::rng().fill(&mut secret);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    let key_id = ApiKeyId::parse(id.clone()).expect("a ULID is a valid id");
    (key_id, format!("{KEY_PREFIX}.{id}.{secret}"))
}

/// The tenant a request's key names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant(pub TenantId);

/// The tenant and the key acting for it: for what is recorded with who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub tenant: TenantId,
    /// The key's public id (never its secret).
    pub key: ApiKeyId,
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let key = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|k| k.starts_with("ck.") && k.len() <= 200)
            .ok_or(ApiError::Unauthorized)?;
        let record = state
            .store
            .api_key_by_hash(&hash_key(key))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if record.revoked_at.is_some() {
            return Err(ApiError::Unauthorized);
        }
        crate::request_span::record_tenant(&record.tenant);
        let second = state.clock.now().timestamp();
        let limit = state.settings.tenant_requests_per_second;
        if !state
            .store
            .take_request(&record.tenant, second, limit)
            .await?
        {
            return Err(ApiError::RateLimited);
        }
        Ok(Actor {
            tenant: record.tenant,
            key: record.id,
        })
    }
}

impl FromRequestParts<AppState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Actor::from_request_parts(parts, state)
            .await
            .map(|actor| Tenant(actor.tenant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_well_formed_and_hash_stably() {
        let (id1, key1) = generate_key();
        let (_, key2) = generate_key();
        assert_ne!(key1, key2);
        assert!(key1.starts_with(&format!("ck.{id1}.")));
        assert_eq!(hash_key(&key1), hash_key(&key1));
        assert_ne!(hash_key(&key1), hash_key(&key2));
        assert_eq!(hash_key(&key1).len(), 64);
    }
}
