//! What an import-queue message asks for: an object to import (an S3 notification), or the
//! continuation of an import.

use domain::ids::{CampaignId, CampaignRef, ImportId, TenantId};
use domain::registry::Registry;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportRequest {
    /// A new object under `imports/`.
    Object {
        /// Its key, decoded.
        key: String,
        /// Its size, when the notification says.
        size: Option<u64>,
    },
    /// Carry on with an import from its checkpoint.
    Continue {
        campaign: CampaignRef,
        import: ImportId,
    },
    /// Load (or carry on loading) a registry extract: its upload arrived at
    /// `imports/.registries/{tenant}/{registry}/{extract}`, or a continuation.
    Registry {
        tenant: TenantId,
        registry: Registry,
        extract: String,
    },
}

/// The continuation message of a registry extract's load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryContinuation {
    /// Always `continue_registry`.
    pub kind: String,
    pub tenant: String,
    pub registry: String,
    pub extract: String,
}

impl RegistryContinuation {
    /// The message for an extract.
    pub fn new(tenant: &TenantId, registry: Registry, extract: &str) -> Self {
        Self {
            kind: "continue_registry".into(),
            tenant: tenant.to_string(),
            registry: registry.code().to_owned(),
            extract: extract.to_owned(),
        }
    }
}

/// `imports/.registries/{tenant}/{registry}/{extract}` -> the request to load it.
pub fn parse_registry_key(key: &str) -> Option<ImportRequest> {
    let rest = key.strip_prefix("imports/.registries/")?;
    let mut parts = rest.split('/');
    let (tenant, registry, extract) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    registry_request(tenant, registry, extract)
}

fn registry_request(tenant: &str, registry: &str, extract: &str) -> Option<ImportRequest> {
    Some(ImportRequest::Registry {
        tenant: TenantId::parse(tenant).ok()?,
        registry: Registry::parse(registry)?,
        extract: ImportId::parse(extract).ok()?.to_string(),
    })
}

/// The continuation message the importer sends itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuation {
    /// Always `continue_import`.
    pub kind: String,
    /// Tenant id.
    pub tenant: String,
    /// Campaign id.
    pub campaign: String,
    /// Import id.
    pub import: String,
}

impl Continuation {
    /// The message for an import.
    pub fn new(campaign: &CampaignRef, import: &ImportId) -> Self {
        Self {
            kind: "continue_import".into(),
            tenant: campaign.tenant.to_string(),
            campaign: campaign.campaign.to_string(),
            import: import.to_string(),
        }
    }
}

/// The requests in a message body: S3 notifications (test events skipped; fields the local
/// emulator omits are optional), or a continuation. Anything else is logged and dropped.
pub fn parse_message(body: &str) -> Vec<ImportRequest> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else {
        tracing::warn!("import message is not JSON; dropped");
        return Vec::new();
    };
    if value.get("Event").and_then(|e| e.as_str()) == Some("s3:TestEvent") {
        return Vec::new();
    }
    if let Ok(c) = serde_json::from_value::<Continuation>(value.clone())
        && c.kind == "continue_import"
    {
        let campaign = TenantId::parse(c.tenant)
            .ok()
            .zip(CampaignId::parse(c.campaign).ok());
        return match (campaign, ImportId::parse(c.import)) {
            (Some((tenant, campaign)), Ok(import)) => {
                vec![ImportRequest::Continue {
                    campaign: CampaignRef { tenant, campaign },
                    import,
                }]
            }
            _ => Vec::new(),
        };
    }
    if let Ok(c) = serde_json::from_value::<RegistryContinuation>(value.clone())
        && c.kind == "continue_registry"
    {
        return registry_request(&c.tenant, &c.registry, &c.extract)
            .into_iter()
            .collect();
    }
    let records = value
        .get("Records")
        .and_then(|r| r.as_array())
        .cloned()
        .unwrap_or_default();
    records
        .iter()
        .filter(|r| {
            r.get("eventName")
                .and_then(|n| n.as_str())
                .is_none_or(|n| n.starts_with("ObjectCreated"))
        })
        .filter_map(|r| {
            let object = r.get("s3")?.get("object")?;
            let key = decode_key(object.get("key")?.as_str()?);
            let size = object.get("size").and_then(|s| s.as_u64());
            if key.starts_with("imports/.registries/") {
                return parse_registry_key(&key);
            }
            Some(ImportRequest::Object { key, size })
        })
        .collect()
}

/// S3 notification keys are URL-encoded with `+` for spaces.
pub fn decode_key(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// `imports/{tenant}/{campaign}/{file}` -> its parts and the import id (the file's stem when
/// it is a valid id, as for uploads through the API; else a hash of the key).
pub fn parse_key(key: &str) -> Option<(CampaignRef, ImportId, String)> {
    let rest = key.strip_prefix("imports/")?;
    let mut parts = rest.splitn(3, '/');
    let tenant = TenantId::parse(parts.next()?).ok()?;
    let campaign = CampaignId::parse(parts.next()?).ok()?;
    let file = parts.next()?.to_owned();
    if file.is_empty() || file.ends_with('/') {
        return None;
    }
    let stem = file.strip_suffix(".csv").unwrap_or(&file);
    let import = ImportId::parse(stem)
        .ok()
        .filter(|_| !file.contains('/'))
        .unwrap_or_else(|| {
            let digest = Sha256::digest(key.as_bytes());
            ImportId::parse(format!("f{}", hex::encode(&digest[..12]))).expect("hex is a valid id")
        });
    Some((CampaignRef { tenant, campaign }, import, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_notifications_become_object_requests_with_decoded_keys() {
        let body = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},
            "object":{"key":"imports/t1/c1/My+List%2B%282%29.csv","size":42}}}]}"#;
        assert_eq!(
            parse_message(body),
            vec![ImportRequest::Object {
                key: "imports/t1/c1/My List+(2).csv".into(),
                size: Some(42)
            }]
        );
        assert!(parse_message(r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#).is_empty());
        assert!(parse_message("not json").is_empty());
    }

    #[test]
    fn registry_uploads_and_their_continuations_become_registry_requests() {
        let body = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},
            "object":{"key":"imports/.registries/t1/us_national_dnc/01hx","size":42}}}]}"#;
        let want = ImportRequest::Registry {
            tenant: TenantId::parse("t1").unwrap(),
            registry: Registry::UsNationalDnc,
            extract: "01hx".into(),
        };
        assert_eq!(parse_message(body), vec![want.clone()]);
        let tenant = TenantId::parse("t1").unwrap();
        let again = RegistryContinuation::new(&tenant, Registry::UsNationalDnc, "01hx");
        assert_eq!(
            parse_message(&serde_json::to_string(&again).unwrap()),
            vec![want]
        );
        // Neither a campaign import nor a registry load: unknown registry, extra parts.
        assert!(parse_registry_key("imports/.registries/t1/national/01hx").is_none());
        assert!(parse_registry_key("imports/.registries/t1/us_national_dnc/01hx/x").is_none());
        assert!(parse_key("imports/.registries/t1/us_national_dnc").is_none());
    }

    #[test]
    fn continuations_round_trip() {
        let c = CampaignRef {
            tenant: TenantId::parse("t").unwrap(),
            campaign: CampaignId::parse("c").unwrap(),
        };
        let i = ImportId::parse("i").unwrap();
        let body = serde_json::to_string(&Continuation::new(&c, &i)).unwrap();
        assert_eq!(
            parse_message(&body),
            vec![ImportRequest::Continue {
                campaign: c,
                import: i
            }]
        );
    }

    #[test]
    fn keys_name_tenant_campaign_and_import() {
        let (c, i, file) = parse_key("imports/t1/c1/01hx.csv").unwrap();
        assert_eq!(
            (
                c.tenant.as_str(),
                c.campaign.as_str(),
                i.as_str(),
                file.as_str()
            ),
            ("t1", "c1", "01hx", "01hx.csv")
        );
        let (_, hashed, _) = parse_key("imports/t1/c1/My List (2).csv").unwrap();
        assert!(hashed.as_str().starts_with('f') && hashed.as_str().len() == 25);
        assert!(parse_key("exports/t1/c1/x.csv").is_none());
        assert!(parse_key("imports/t1/x.csv").is_none());
        assert!(parse_key("imports/t 1/c1/x.csv").is_none());
    }
}
