//! Identifiers. Every id is an opaque, validated token; the lead id is derived from the campaign
//! and the normalized number so that importing the same number twice addresses the same item.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::phone::E164;

/// Why a string is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id: must be 1-64 characters of A-Z, a-z, 0-9, '-' or '_'")]
pub struct InvalidId {
    /// Which id was expected ("campaign", "tenant", ...).
    pub kind: &'static str,
}

fn valid_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an id; the characters allowed are safe in keys, URLs and logs.
            pub fn parse(s: impl Into<String>) -> Result<Self, InvalidId> {
                let s = s.into();
                if valid_token(&s) { Ok(Self(s)) } else { Err(InvalidId { kind: $kind }) }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A customer account; every item in the store is scoped by it.
    TenantId,
    "tenant"
);
id_type!(
    /// A campaign within a tenant.
    CampaignId,
    "campaign"
);
id_type!(
    /// An AI voice agent within a tenant.
    AgentId,
    "agent"
);
id_type!(
    /// One CSV import job.
    ImportId,
    "import"
);
id_type!(
    /// One results export.
    ExportId,
    "export"
);
id_type!(
    /// One erasure of a person's number from a tenant's data.
    ErasureId,
    "erasure"
);
id_type!(
    /// An API key's public id (the secret itself is never stored).
    ApiKeyId,
    "api key"
);
id_type!(
    /// A lead: derived from the campaign and the number by [`LeadId::derive`].
    LeadId,
    "lead"
);

/// A campaign together with its tenant: everything is addressed through the tenant, so an id of
/// another tenant's campaign simply finds nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CampaignRef {
    /// The owner.
    pub tenant: TenantId,
    pub campaign: CampaignId,
}

impl fmt::Display for CampaignRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.tenant, self.campaign)
    }
}

/// A lead within its campaign and tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LeadRef {
    pub campaign: CampaignRef,
    pub lead: LeadId,
}

impl fmt::Display for LeadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.campaign, self.lead)
    }
}

/// How a campaign derives its lead ids. Stored with the campaign: one created before keyed ids
/// existed keeps plain ones, so a re-import still finds the leads it made (a different id for
/// the same number would be a second lead, and a second call).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadIdScheme {
    /// SHA-256 of campaign and number: anyone who guesses the number can check an id.
    #[default]
    Plain,
    /// HMAC-SHA-256 with the deployment's [`LeadIdKey`]: a leaked id reveals nothing.
    Keyed,
}

/// The deployment's secret for lead ids (at least 16 bytes). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct LeadIdKey(Vec<u8>);

/// A lead id key shorter than 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a lead id key needs at least 16 bytes")]
pub struct WeakLeadIdKey;

impl LeadIdKey {
    /// A key from secret bytes (the deployment's secret string).
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, WeakLeadIdKey> {
        let secret = secret.into();
        (secret.len() >= 16)
            .then_some(Self(secret))
            .ok_or(WeakLeadIdKey)
    }
}

impl LeadIdKey {
    /// HMAC-SHA-256 with this key over `parts`, each followed by a zero byte, in hex: a value
    /// that names its input to whoever holds the key and to nobody else (an erased number's
    /// marker, see `crate::erasure`).
    pub fn mac_hex(&self, parts: &[&str]) -> String {
        use hmac::{KeyInit, Mac};
        let mut mac =
            hmac::Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(&[0u8]);
        }
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl fmt::Debug for LeadIdKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LeadIdKey(..)")
    }
}

/// The first 96 bits of a digest, in hex: the lead id.
fn id_of(digest: &[u8]) -> LeadId {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(24);
    for byte in &digest[..12] {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0xF)]));
    }
    LeadId(hex)
}

impl LeadId {
    /// The lead id for a number in a campaign: the first 96 bits of
    /// SHA-256(campaign id, E.164), in hex. Deterministic, so a re-import addresses the existing
    /// lead (dedupe is a conditional put), and opaque, so ids in URLs and logs carry no number
    /// — but a guessed number can be checked against it; new campaigns use [`Self::keyed`].
    pub fn derive(campaign: &CampaignId, number: &E164) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(campaign.as_str().as_bytes());
        hasher.update([0u8]);
        hasher.update(number.as_str().as_bytes());
        id_of(&hasher.finalize())
    }

    /// The keyed lead id: the first 96 bits of HMAC-SHA-256(key; campaign id, E.164), in hex.
    /// As deterministic as [`Self::derive`] within a deployment, and without the key an id says
    /// nothing of its number.
    pub fn keyed(key: &LeadIdKey, campaign: &CampaignId, number: &E164) -> Self {
        use hmac::{KeyInit, Mac};
        let mut mac =
            hmac::Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC takes a key of any length");
        mac.update(campaign.as_str().as_bytes());
        mac.update(&[0u8]);
        mac.update(number.as_str().as_bytes());
        id_of(&mac.finalize().into_bytes())
    }

    /// The id under the campaign's scheme.
    pub fn for_scheme(
        scheme: LeadIdScheme,
        key: &LeadIdKey,
        campaign: &CampaignId,
        number: &E164,
    ) -> Self {
        match scheme {
            LeadIdScheme::Plain => Self::derive(campaign, number),
            LeadIdScheme::Keyed => Self::keyed(key, campaign, number),
        }
    }

    /// A stable shard number in `0..shards` for spreading this lead's index entries.
    pub fn shard(&self, shards: u8) -> u8 {
        let prefix = u32::from_str_radix(self.0.get(..6).unwrap_or("0"), 16).unwrap_or_else(|_| {
            self.0.bytes().fold(0u32, |acc, b| {
                acc.wrapping_mul(31).wrapping_add(u32::from(b))
            })
        });
        (prefix % u32::from(shards.max(1))) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_url_safe_tokens_and_refuse_everything_else() {
        assert!(CampaignId::parse("01JCZ9Q3N8-abc_def").is_ok());
        for bad in ["", "a/b", "a b", "é", &"x".repeat(65), "a#b"] {
            assert_eq!(
                CampaignId::parse(bad),
                Err(InvalidId { kind: "campaign" }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_same_number_in_the_same_campaign_always_gets_the_same_lead_id() {
        let c = CampaignId::parse("c1").unwrap();
        let n = E164::parse_strict("+14155552671").unwrap();
        assert_eq!(LeadId::derive(&c, &n), LeadId::derive(&c, &n));
        let other = CampaignId::parse("c2").unwrap();
        assert_ne!(LeadId::derive(&c, &n), LeadId::derive(&other, &n));
        assert_eq!(LeadId::derive(&c, &n).as_str().len(), 24);
    }

    #[test]
    fn a_keyed_lead_id_is_stable_per_key_and_cannot_be_checked_without_it() {
        let c = CampaignId::parse("c1").unwrap();
        let n = E164::parse_strict("+14155552671").unwrap();
        let key = LeadIdKey::new("deployment-secret-0123456789").unwrap();
        let other = LeadIdKey::new("another-deployment-secret-xyz").unwrap();
        let id = LeadId::keyed(&key, &c, &n);
        assert_eq!(
            id,
            LeadId::keyed(&key, &c, &n),
            "a re-import finds its lead"
        );
        assert_eq!(id.as_str().len(), 24);
        assert_ne!(
            id,
            LeadId::derive(&c, &n),
            "the plain hash does not reveal it"
        );
        assert_ne!(id, LeadId::keyed(&other, &c, &n));
        assert_eq!(LeadId::for_scheme(LeadIdScheme::Keyed, &key, &c, &n), id);
        assert_eq!(
            LeadId::for_scheme(LeadIdScheme::Plain, &key, &c, &n),
            LeadId::derive(&c, &n),
            "campaigns made before keyed ids keep theirs"
        );
        assert_eq!(LeadIdKey::new("short"), Err(WeakLeadIdKey));
        assert_eq!(format!("{key:?}"), "LeadIdKey(..)");
    }

    #[test]
    fn lead_shards_are_spread_and_in_range() {
        let c = CampaignId::parse("c").unwrap();
        let mut seen = [0u32; 8];
        for i in 0..8000u32 {
            let n = E164::parse_strict(&format!("+1415555{:04}", i % 10000)).unwrap();
            let shard = LeadId::derive(&c, &n).shard(8);
            seen[usize::from(shard)] += 1;
        }
        assert!(seen.iter().all(|&count| count > 800), "{seen:?}");
    }
}
