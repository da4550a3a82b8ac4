//! The tenant's part of a provider account's second, for the claim's calls-per-second guard.
//!
//! Each dialer marks its tenant as dialing on the account (at most once per
//! [`Settings::demand_cache_ttl`], the mark lasting [`Settings::dialing_mark`]) and reads
//! which tenants are dialing there (cached for the same TTL); `domain::fair_share` turns their
//! weights into this tenant's share of the reserved part of the second. The claim takes a token
//! from the tenant's bucket for the second (`CpsGuard::tenant`) only while that part lasts; in
//! the lending part the account's bucket alone holds. The operators' static cap
//! ([`Settings::tenant_cps_share_percent`]) holds in both parts.
//!
//! Everything here is cached per warm container: a tenant that starts dialing is counted by the
//! others within the TTL, one that stops stops holding a share when its mark runs out.
//!
//! [`Settings::demand_cache_ttl`]: crate::Settings::demand_cache_ttl
//! [`Settings::dialing_mark`]: crate::Settings::dialing_mark
//! [`Settings::tenant_cps_share_percent`]: crate::Settings::tenant_cps_share_percent

use chrono::{DateTime, Utc};
use domain::fair_share::{in_reserved_part, reserved_share};
use domain::ids::TenantId;
use ports::store::{AccountDemand, Tenants};
use ports::voice::ProviderAccount;

use crate::{Engine, EngineError};

/// The tenant's bucket for one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TenantBucket {
    /// Its calls per second in this part of the second; `None`: no bucket of its own.
    pub limit: Option<u32>,
    /// The limit is its fair share (not only the static cap): a refusal may be the share's,
    /// so the start is worth trying again in the lending part.
    pub fair: bool,
}

impl<S: AccountDemand + Tenants> Engine<S> {
    /// The tenant's bucket on `account` for a claim at `now`.
    pub(crate) async fn tenant_bucket(
        &self,
        account: &ProviderAccount,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<TenantBucket, EngineError> {
        let limit = account.calls_per_second;
        let cap = (self.settings.tenant_cps_share_percent < 100)
            .then(|| self.settings.tenant_calls_per_second(limit));
        if !self.settings.fair_cps_shares {
            return Ok(TenantBucket {
                limit: cap,
                fair: false,
            });
        }
        let weight = self.tenant_terms(tenant).await?.dial_weight;
        let dialing = self.dialing_on(account, tenant, weight, now).await?;
        let share = in_reserved_part(now)
            .then(|| {
                let others = dialing.iter().filter(|(t, _)| t != tenant).map(|(_, w)| *w);
                reserved_share(limit, weight, others)
            })
            .flatten();
        Ok(match (cap, share) {
            (Some(cap), Some(share)) => TenantBucket {
                limit: Some(cap.min(share)),
                fair: share < cap,
            },
            (None, Some(share)) => TenantBucket {
                limit: Some(share),
                fair: true,
            },
            (cap, None) => TenantBucket {
                limit: cap,
                fair: false,
            },
        })
    }

    /// The tenants dialing on `account` (this one marked among them, once per TTL).
    async fn dialing_on(
        &self,
        account: &ProviderAccount,
        tenant: &TenantId,
        weight: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<(TenantId, u32)>, EngineError> {
        let ttl = self.settings.demand_cache_ttl;
        let marked = (account.id.clone(), tenant.clone());
        if self.marks.fresh(&marked, now, ttl).is_none() {
            let until = now + self.settings.dialing_mark;
            (self.store)
                .mark_dialing(&account.id, tenant, weight, until)
                .await?;
            self.marks.put(marked, now, ());
        }
        if let Some(dialing) = self.demand.fresh(&account.id, now, ttl) {
            return Ok(dialing);
        }
        let dialing = self.store.dialing_on(&account.id, now).await?;
        self.demand.put(account.id.clone(), now, dialing.clone());
        Ok(dialing)
    }
}
