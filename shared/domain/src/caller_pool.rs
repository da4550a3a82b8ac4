//! Named caller pools: a tenant groups its registered caller numbers into pools (`east`,
//! `spanish-line`) with their own per-number limits and health rule, and an agent or a campaign
//! calls from a pool by its name instead of listing numbers. Changing a pool changes every
//! agent and campaign that names it, from the dialers' next read of the tenant (30 s); a pool's
//! numbers are still checked against the tenant's registered numbers at every dial, so a number
//! withdrawn from the tenant stops being used at once whatever the pools say.

use serde::{Deserialize, Serialize};

use crate::agent::{CallerNumberText, MAX_CALLER_POOL};
use crate::caller_health::HealthRule;
use crate::caller_limits::CallerLimits;
use crate::config::FieldError;
use crate::phone::{DefaultRegion, E164};

/// Most named pools a tenant may keep (they live on the tenant item, which every dialer reads).
pub const MAX_POOLS: usize = 20;
/// Longest pool name.
pub const MAX_POOL_NAME: usize = 40;

/// A pool as sent (`PUT /v1/caller-pools/{name}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CallerPoolSpec {
    /// Its numbers, any format with a country code, each one of the tenant's registered
    /// numbers; 1-50 (repeats kept once).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub numbers: Vec<CallerNumberText>,
    /// The number a call goes out from when none is nearer the contact: one of `numbers`;
    /// absent = the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<CallerNumberText>,
    /// Calls each number may start per UTC hour and day; absent = the defaults (30 and 150).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<CallerLimits>,
    /// When a number rests for a low answer rate; absent = the defaults (after 40 calls, under
    /// half the rest of the pool's rate, for 24 hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthRule>,
}

/// A pool as kept on the tenant and shown: numbers normalized, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallerPool {
    /// The number used when none is nearer the contact (E.164).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub default: E164,
    /// Every number of the pool, the default first (E.164).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub numbers: Vec<E164>,
    /// Calls each number may start per UTC hour and day.
    pub limits: CallerLimits,
    /// When a number rests.
    pub health: HealthRule,
}

impl CallerPool {
    /// The numbers other than the default (what a dial message carries beside it).
    pub fn others(&self) -> impl Iterator<Item = &E164> {
        self.numbers.iter().filter(|n| **n != self.default)
    }
}

/// Whether `name` may name a pool: 1-40 of `a-z`, `0-9`, `-`, `_`, starting with a letter or
/// digit (it appears in paths and in the CLI).
pub fn check_pool_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok =
        chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if first_ok && rest_ok && name.len() <= MAX_POOL_NAME {
        Ok(())
    } else {
        Err(format!(
            "must be 1-{MAX_POOL_NAME} lower-case letters, digits, '-' or '_', starting with a letter or digit"
        ))
    }
}

impl CallerPoolSpec {
    /// Validates the pool against the tenant's registered numbers, reporting every bad field.
    pub fn parse(&self, registered: impl Fn(&E164) -> bool) -> Result<CallerPool, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut bad = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.into(),
                message,
            })
        };
        if self.numbers.is_empty() || self.numbers.len() > MAX_CALLER_POOL {
            bad("numbers", format!("must hold 1-{MAX_CALLER_POOL} numbers"));
        }
        let mut numbers: Vec<E164> = Vec::new();
        for (i, raw) in self.numbers.iter().enumerate() {
            match E164::normalize(&raw.0, DefaultRegion::us()) {
                Ok(n) if !registered(&n.e164) => bad(
                    &format!("numbers[{i}]"),
                    "is not one of the tenant's registered caller numbers".into(),
                ),
                Ok(n) if !numbers.contains(&n.e164) => numbers.push(n.e164),
                Ok(_) => {}
                Err(e) => bad(&format!("numbers[{i}]"), e.to_string()),
            }
        }
        let default = match &self.default {
            None => numbers.first().cloned(),
            Some(raw) => match E164::normalize(&raw.0, DefaultRegion::us()) {
                Ok(n) if numbers.contains(&n.e164) => Some(n.e164),
                Ok(_) => {
                    bad("default", "must be one of the pool's numbers".into());
                    None
                }
                Err(e) => {
                    bad("default", e.to_string());
                    None
                }
            },
        };
        let limits = self.limits.unwrap_or_default();
        let health = self.health.unwrap_or_default();
        for error in (limits.check("limits").into_iter()).chain(health.check("health")) {
            bad(&error.field, error.message);
        }
        match default {
            Some(default) if errors.is_empty() => {
                numbers.retain(|n| *n != default);
                numbers.insert(0, default.clone());
                Ok(CallerPool {
                    default,
                    numbers,
                    limits,
                    health,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(numbers: &[&str]) -> CallerPoolSpec {
        CallerPoolSpec {
            numbers: numbers.iter().map(|n| CallerNumberText::from(*n)).collect(),
            default: None,
            limits: None,
            health: None,
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_pool_keeps_its_numbers_normalized_once_with_the_default_first() {
        let mut sent = spec(&["+1 212 555 0100", "(646) 555-0100", "+12125550100"]);
        sent.default = Some("+1 646 555 0100".into());
        let pool = sent.parse(|_| true).unwrap();
        assert_eq!(pool.default.as_str(), "+16465550100");
        let numbers: Vec<&str> = pool.numbers.iter().map(E164::as_str).collect();
        assert_eq!(numbers, ["+16465550100", "+12125550100"]);
        let others: Vec<&str> = pool.others().map(E164::as_str).collect();
        assert_eq!(others, ["+12125550100"]);
        assert_eq!(pool.limits, CallerLimits::default());
    }

    #[test]
    fn a_pool_with_a_number_the_tenant_does_not_own_is_refused_by_field() {
        let owned = |n: &E164| n.as_str() == "+12125550100";
        let err = spec(&["+12125550100", "+13125550100"])
            .parse(owned)
            .unwrap_err();
        assert_eq!(fields(err), ["numbers[1]"]);
    }

    #[test]
    fn a_pool_must_have_numbers_and_a_default_among_them() {
        assert_eq!(fields(spec(&[]).parse(|_| true).unwrap_err()), ["numbers"]);
        let mut sent = spec(&["+12125550100"]);
        sent.default = Some("+13125550100".into());
        assert_eq!(fields(sent.parse(|_| true).unwrap_err()), ["default"]);
        let many: Vec<String> = (0..51).map(|i| format!("+1212555{i:04}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            fields(spec(&many).parse(|_| true).unwrap_err()),
            ["numbers"]
        );
    }

    #[test]
    fn a_pools_limits_are_checked_like_an_agents() {
        let mut sent = spec(&["+12125550100"]);
        sent.limits = Some(CallerLimits {
            per_hour: 0,
            per_day: 10,
        });
        let err = fields(sent.parse(|_| true).unwrap_err());
        assert!(err.iter().all(|f| f.starts_with("limits")), "{err:?}");
        assert!(!err.is_empty());
    }

    #[test]
    fn pool_names_are_short_lower_case_words() {
        for good in ["east", "spanish-line", "a", "pool_2"] {
            assert_eq!(check_pool_name(good), Ok(()), "{good}");
        }
        for bad in ["", "East", "-east", "has space", "x/y", &"a".repeat(41)] {
            assert!(check_pool_name(bad).is_err(), "{bad}");
        }
    }
}
