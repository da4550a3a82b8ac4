//! Plans and the limits they put on live campaigns.

use serde::{Deserialize, Serialize};

/// A tenant's subscription plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// One live campaign.
    Starter,
    /// Three live campaigns.
    Professional,
    /// No limit.
    Enterprise,
}

impl Plan {
    /// How many campaigns may be live (Scheduled, Active or Paused) at once; `None` = no limit.
    pub fn live_campaign_limit(self) -> Option<u32> {
        match self {
            Self::Starter => Some(1),
            Self::Professional => Some(3),
            Self::Enterprise => None,
        }
    }

    /// The plan's weight in the division of a shared provider account's seconds among the
    /// tenants dialing on it (see [`crate::fair_share`]): a Professional tenant gets twice a
    /// Starter's share, an Enterprise tenant four times.
    pub fn dial_weight(self) -> u32 {
        match self {
            Self::Starter => 1,
            Self::Professional => 2,
            Self::Enterprise => 4,
        }
    }

    /// Whether one more campaign may go live when `live` already are.
    pub fn allows_another_live_campaign(self, live: u32) -> bool {
        self.live_campaign_limit().is_none_or(|limit| live < limit)
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starter => "starter",
            Self::Professional => "professional",
            Self::Enterprise => "enterprise",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Starter, Self::Professional, Self::Enterprise]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_limits_are_one_three_and_unlimited() {
        let allowed = |plan: Plan| {
            (0..10)
                .take_while(|&live| plan.allows_another_live_campaign(live))
                .count()
        };
        assert_eq!(allowed(Plan::Starter), 1);
        assert_eq!(allowed(Plan::Professional), 3);
        assert_eq!(allowed(Plan::Enterprise), 10);
    }

    #[test]
    fn plans_round_trip_through_their_names() {
        for plan in [Plan::Starter, Plan::Professional, Plan::Enterprise] {
            assert_eq!(Plan::parse(plan.as_str()), Some(plan));
        }
        assert_eq!(Plan::parse("gold"), None);
    }
}
