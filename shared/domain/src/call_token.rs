//! The per-call token an AI agent reports with: bound to one attempt of one lead (tenant,
//! campaign, lead, attempt), valid until the call's longest duration plus a grace period, and
//! signed with the deployment's key. It is handed to the agent with the call (Twilio stream
//! parameters, the HTTP agent's create-call request) instead of the tenant's API key: a leaked
//! token can report on one call for an hour, nothing else.
//!
//! Shape: `ct1.{tenant}.{campaign}.{lead}.{attempt}.{expires unix seconds}.{hex HMAC-SHA-256}`.
//! The ids are in clear (they are in the call's URLs anyway); the MAC covers everything before
//! it, so no part can be changed.

use std::fmt;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ids::{CampaignId, CampaignRef, LeadId, LeadRef, TenantId};

const PREFIX: &str = "ct1";

/// The deployment's key for call tokens (at least 16 bytes). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct CallTokenKey(Vec<u8>);

/// A key shorter than 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a call token key needs at least 16 bytes")]
pub struct WeakCallTokenKey;

impl fmt::Debug for CallTokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallTokenKey(..)")
    }
}

/// What a token grants: reports about this attempt, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallClaims {
    /// The lead (with its tenant and campaign).
    pub lead: LeadRef,
    /// The attempt (1-based).
    pub attempt: u8,
    /// Reports after this are refused.
    pub expires_at: DateTime<Utc>,
}

/// Why a token is refused. One answer for every reason: a caller learns nothing from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the call token is invalid or expired")]
pub struct BadCallToken;

impl CallTokenKey {
    /// A key from secret bytes (the deployment's secret string).
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, WeakCallTokenKey> {
        let secret = secret.into();
        (secret.len() >= 16)
            .then_some(Self(secret))
            .ok_or(WeakCallTokenKey)
    }

    fn mac(&self, signed: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(signed.as_bytes());
        mac
    }

    /// The token for `claims`.
    pub fn mint(&self, claims: &CallClaims) -> String {
        let signed = format!(
            "{PREFIX}.{}.{}.{}.{}.{}",
            claims.lead.campaign.tenant,
            claims.lead.campaign.campaign,
            claims.lead.lead,
            claims.attempt,
            claims.expires_at.timestamp()
        );
        let tag = hex::encode(self.mac(&signed).finalize().into_bytes());
        format!("{signed}.{tag}")
    }

    /// The claims of a token this key signed that has not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<CallClaims, BadCallToken> {
        let (signed, tag) = token.rsplit_once('.').ok_or(BadCallToken)?;
        let tag = hex::decode(tag).map_err(|_| BadCallToken)?;
        self.mac(signed)
            .verify_slice(&tag)
            .map_err(|_| BadCallToken)?;
        let parts: Vec<&str> = signed.split('.').collect();
        let [PREFIX, tenant, campaign, lead, attempt, expires] = parts[..] else {
            return Err(BadCallToken);
        };
        let expires_at = expires
            .parse::<i64>()
            .ok()
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .ok_or(BadCallToken)?;
        if now > expires_at {
            return Err(BadCallToken);
        }
        Ok(CallClaims {
            lead: LeadRef {
                campaign: CampaignRef {
                    tenant: TenantId::parse(tenant).map_err(|_| BadCallToken)?,
                    campaign: CampaignId::parse(campaign).map_err(|_| BadCallToken)?,
                },
                lead: LeadId::parse(lead).map_err(|_| BadCallToken)?,
            },
            attempt: attempt
                .parse()
                .ok()
                .filter(|a| *a > 0)
                .ok_or(BadCallToken)?,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> CallTokenKey {
        CallTokenKey::new(s).unwrap()
    }

    fn claims() -> CallClaims {
        CallClaims {
            lead: LeadRef {
                campaign: CampaignRef {
                    tenant: TenantId::parse("acme").unwrap(),
                    campaign: CampaignId::parse("c1").unwrap(),
                },
                lead: LeadId::parse("0123abcd").unwrap(),
            },
            attempt: 2,
            expires_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn a_token_verifies_to_its_claims_until_it_expires() {
        let k = key("0123456789abcdef-key");
        let token = k.mint(&claims());
        let before = claims().expires_at - chrono::Duration::seconds(1);
        assert_eq!(k.verify(&token, before), Ok(claims()));
        let after = claims().expires_at + chrono::Duration::seconds(1);
        assert_eq!(k.verify(&token, after), Err(BadCallToken));
    }

    #[test]
    fn a_token_with_any_part_changed_or_another_key_is_refused() {
        let k = key("0123456789abcdef-key");
        let token = k.mint(&claims());
        let now = claims().expires_at - chrono::Duration::minutes(1);
        for (from, to) in [(".2.", ".3."), ("acme", "acmf"), (".c1.", ".c2.")] {
            let changed = token.replacen(from, to, 1);
            assert_ne!(changed, token);
            assert_eq!(k.verify(&changed, now), Err(BadCallToken), "{changed}");
        }
        let later = token.replace("1800000000", "1900000000");
        assert_eq!(k.verify(&later, now), Err(BadCallToken));
        assert_eq!(
            key("another-key-0123456789").verify(&token, now),
            Err(BadCallToken)
        );
        for junk in ["", "ct1", "ct1.a.b.c.d.e.f.00", "Bearer x"] {
            assert_eq!(k.verify(junk, now), Err(BadCallToken));
        }
    }

    #[test]
    fn a_short_key_is_refused() {
        assert_eq!(CallTokenKey::new("short"), Err(WeakCallTokenKey));
    }
}
