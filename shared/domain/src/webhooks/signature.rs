//! Signing a delivery, in the style of Stripe's: header `Campaigns-Signature:
//! t={unix seconds},v1={hex HMAC-SHA-256}`, the MAC over `{t}.{body}` with the endpoint's
//! secret. The timestamp is signed so a receiver can refuse a replayed request (we suggest a
//! 5-minute tolerance); `v1` names the scheme so a later one can be sent beside it.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const HEADER: &str = "Campaigns-Signature";
/// The prefix of every endpoint secret.
pub const SECRET_PREFIX: &str = "whsec_";

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` sent at `at`.
pub fn sign(secret: &str, at: DateTime<Utc>, body: &[u8]) -> String {
    sign_with_each(&[secret], at, body)
}

/// The header value with one `v1` tag per secret, in order: while a rotated-out secret still
/// signs, a receiver that knows either secret verifies the request (as Stripe and Standard
/// Webhooks do during a rotation).
pub fn sign_with_each(secrets: &[&str], at: DateTime<Utc>, body: &[u8]) -> String {
    let t = at.timestamp();
    let mut header = format!("t={t}");
    for secret in secrets {
        let tag = hex::encode(mac(secret, t, body).finalize().into_bytes());
        header.push_str(&format!(",v1={tag}"));
    }
    header
}

/// Why a signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadSignature {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("no v1 signature matches")]
    Mismatch,
}

/// Checks a header as a receiver would: a `v1` tag over `{t}.{body}` with `secret`, `t`
/// within `tolerance` of `now` (constant-time comparison).
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), BadSignature> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", tag)) => tags.push(hex::decode(tag).map_err(|_| BadSignature::Malformed)?),
            _ => {}
        }
    }
    let t = timestamp.ok_or(BadSignature::Malformed)?;
    if (now.timestamp() - t).abs() > tolerance.num_seconds() {
        return Err(BadSignature::Stale);
    }
    tags.iter()
        .any(|tag| mac(secret, t, body).verify_slice(tag).is_ok())
        .then_some(())
        .ok_or(BadSignature::Mismatch)
}
