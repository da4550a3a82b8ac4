//! Campaign and lead statuses, and the actions that move them.
//!
//! Every action is idempotent: applying it to the status it leads to is [`Transition::Unchanged`],
//! not an error, so a retried request or a duplicated event does no harm. An action that makes no
//! sense in a status is a [`TransitionError`] naming both, which the API turns into a 409.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a campaign is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Being configured; not running.
    Draft,
    /// Launched with a start date in the future.
    Scheduled,
    /// Making calls.
    Active,
    /// Temporarily stopped; keeps its progress.
    Paused,
    /// Every lead is final, or the end date passed.
    Completed,
    /// Stopped for good by the user.
    Cancelled,
}

impl CampaignStatus {
    /// Every status, for exhaustive tests and documentation.
    pub const ALL: [CampaignStatus; 6] = [
        Self::Draft,
        Self::Scheduled,
        Self::Active,
        Self::Paused,
        Self::Completed,
        Self::Cancelled,
    ];

    /// Live campaigns count against the plan limit.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Scheduled | Self::Active | Self::Paused)
    }

    /// Whether contacts may still be imported into the campaign.
    pub fn accepts_contacts(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::Scheduled | Self::Active | Self::Paused
        )
    }

    /// Whether the campaign can never change again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled)
    }

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// Applies an action: the new status, no change, or why the action is refused.
    pub fn apply(
        self,
        action: CampaignAction,
    ) -> Result<Transition<CampaignStatus>, TransitionError> {
        use CampaignAction as A;
        use CampaignStatus as S;
        use Transition::{Changed, Unchanged};
        let result = match (action, self) {
            (
                A::Launch {
                    starts_in_future: true,
                },
                S::Draft,
            ) => Changed(S::Scheduled),
            (
                A::Launch {
                    starts_in_future: false,
                },
                S::Draft,
            ) => Changed(S::Active),
            (A::Launch { .. }, S::Scheduled | S::Active) => Unchanged,
            (A::Start, S::Scheduled) => Changed(S::Active),
            (A::Start, S::Active) => Unchanged,
            (A::Pause, S::Active) => Changed(S::Paused),
            (A::Pause, S::Paused) => Unchanged,
            (A::Resume, S::Paused) => Changed(S::Active),
            (A::Resume, S::Active) => Unchanged,
            (A::Cancel, S::Scheduled | S::Active | S::Paused) => Changed(S::Cancelled),
            (A::Cancel, S::Cancelled) => Unchanged,
            (A::Complete, S::Active) => Changed(S::Completed),
            (A::Complete, S::Completed) => Unchanged,
            (A::Update | A::Delete, S::Draft) => Unchanged,
            (A::Update, S::Paused) => Unchanged,
            _ => {
                return Err(TransitionError {
                    entity: "campaign",
                    status: self.as_str(),
                    action: action.as_str(),
                });
            }
        };
        Ok(result)
    }
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What can be done to a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CampaignAction {
    /// Start calling now, or schedule for the start date.
    Launch {
        /// Whether the start date is still ahead.
        starts_in_future: bool,
    },
    /// The start date arrived (done by the tick).
    Start,
    /// Stop calling for now.
    Pause,
    /// Continue after a pause.
    Resume,
    /// Stop for good.
    Cancel,
    /// No lead can be called any more, or the end date passed (done by the tick).
    Complete,
    /// Change the configuration (Draft and Paused only).
    Update,
    /// Remove the campaign (Draft only).
    Delete,
}

impl CampaignAction {
    /// Every action, for exhaustive tests.
    pub const ALL: [CampaignAction; 9] = [
        Self::Launch {
            starts_in_future: false,
        },
        Self::Launch {
            starts_in_future: true,
        },
        Self::Start,
        Self::Pause,
        Self::Resume,
        Self::Cancel,
        Self::Complete,
        Self::Update,
        Self::Delete,
    ];

    /// The action's name, as used in errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Launch { .. } => "launch",
            Self::Start => "start",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Cancel => "cancel",
            Self::Complete => "complete",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// The result of applying an action that is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition<S> {
    /// The status moves to a new value.
    Changed(S),
    /// The action is allowed but already in effect (idempotent repeat).
    Unchanged,
}

/// An action that is not allowed in the current status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a {status} {entity}")]
pub struct TransitionError {
    /// What was acted on: "campaign" or "lead".
    pub entity: &'static str,
    /// The status the entity is in.
    pub status: &'static str,
    /// The action that was refused.
    pub action: &'static str,
}

/// Where a lead is. The public status; a lead handed to the queue also holds an internal lease
/// (see [`crate::lead`]) while its public status stays Pending or Scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    /// Not yet called.
    Pending,
    /// A retry or a callback is due at a time.
    Scheduled,
    /// A call is in progress.
    Calling,
    /// Finished: the call connected and ended as intended.
    Completed,
    /// Finished: could not connect, retries exhausted or a permanent failure.
    Failed,
    /// Finished without (further) calls: skipped by a user, on the DNC list, campaign ended.
    Skipped,
}

impl LeadStatus {
    /// Every status.
    pub const ALL: [LeadStatus; 6] = [
        Self::Pending,
        Self::Scheduled,
        Self::Calling,
        Self::Completed,
        Self::Failed,
        Self::Skipped,
    ];

    /// Final statuses never change again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Skipped)
    }

    /// Whether a tick may hand the lead to a dialer (when it is due).
    pub fn is_dialable(self) -> bool {
        matches!(self, Self::Pending | Self::Scheduled)
    }

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Scheduled => "scheduled",
            Self::Calling => "calling",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

impl fmt::Display for LeadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CampaignStatus as S;
    use Transition::{Changed, Unchanged};

    /// The whole table, written out: every action in every status.
    #[test]
    fn every_campaign_action_in_every_status_gives_the_designed_result() {
        let launch_now = CampaignAction::Launch {
            starts_in_future: false,
        };
        let launch_later = CampaignAction::Launch {
            starts_in_future: true,
        };
        let expected: Vec<(CampaignAction, S, Option<Transition<S>>)> = vec![
            (launch_now, S::Draft, Some(Changed(S::Active))),
            (launch_later, S::Draft, Some(Changed(S::Scheduled))),
            (launch_now, S::Scheduled, Some(Unchanged)),
            (launch_now, S::Active, Some(Unchanged)),
            (launch_now, S::Paused, None),
            (launch_now, S::Completed, None),
            (launch_now, S::Cancelled, None),
            (
                CampaignAction::Start,
                S::Scheduled,
                Some(Changed(S::Active)),
            ),
            (CampaignAction::Start, S::Active, Some(Unchanged)),
            (CampaignAction::Start, S::Draft, None),
            (CampaignAction::Start, S::Paused, None),
            (CampaignAction::Pause, S::Active, Some(Changed(S::Paused))),
            (CampaignAction::Pause, S::Paused, Some(Unchanged)),
            (CampaignAction::Pause, S::Draft, None),
            (CampaignAction::Pause, S::Scheduled, None),
            (CampaignAction::Pause, S::Completed, None),
            (CampaignAction::Pause, S::Cancelled, None),
            (CampaignAction::Resume, S::Paused, Some(Changed(S::Active))),
            (CampaignAction::Resume, S::Active, Some(Unchanged)),
            (CampaignAction::Resume, S::Draft, None),
            (CampaignAction::Resume, S::Cancelled, None),
            (
                CampaignAction::Cancel,
                S::Active,
                Some(Changed(S::Cancelled)),
            ),
            (
                CampaignAction::Cancel,
                S::Paused,
                Some(Changed(S::Cancelled)),
            ),
            (
                CampaignAction::Cancel,
                S::Scheduled,
                Some(Changed(S::Cancelled)),
            ),
            (CampaignAction::Cancel, S::Cancelled, Some(Unchanged)),
            (CampaignAction::Cancel, S::Draft, None),
            (CampaignAction::Cancel, S::Completed, None),
            (
                CampaignAction::Complete,
                S::Active,
                Some(Changed(S::Completed)),
            ),
            (CampaignAction::Complete, S::Completed, Some(Unchanged)),
            (CampaignAction::Complete, S::Paused, None),
            (CampaignAction::Update, S::Draft, Some(Unchanged)),
            (CampaignAction::Update, S::Paused, Some(Unchanged)),
            (CampaignAction::Update, S::Active, None),
            (CampaignAction::Update, S::Scheduled, None),
            (CampaignAction::Delete, S::Draft, Some(Unchanged)),
            (CampaignAction::Delete, S::Active, None),
            (CampaignAction::Delete, S::Paused, None),
        ];
        for (action, status, want) in expected {
            let got = status.apply(action).ok();
            assert_eq!(got, want, "{} on {}", action.as_str(), status);
        }
    }

    #[test]
    fn a_refused_action_names_the_status_and_the_action() {
        let err = S::Completed.apply(CampaignAction::Pause).unwrap_err();
        assert_eq!(
            err,
            TransitionError {
                entity: "campaign",
                status: "completed",
                action: "pause"
            }
        );
        assert_eq!(err.to_string(), "cannot pause a completed campaign");
    }

    #[test]
    fn final_campaigns_refuse_every_action_that_would_change_them() {
        for status in [S::Completed, S::Cancelled] {
            for action in CampaignAction::ALL {
                if let Ok(Changed(to)) = status.apply(action) {
                    panic!("{status} moved to {to} on {}", action.as_str());
                }
            }
        }
    }

    #[test]
    fn every_change_moves_between_designed_statuses_and_repeating_it_is_a_no_op() {
        for status in S::ALL {
            for action in CampaignAction::ALL {
                if let Ok(Changed(to)) = status.apply(action) {
                    // Applying the same action again is idempotent (except Launch, whose
                    // target depends on the start date, which Start/Resume then handle).
                    assert_eq!(
                        to.apply(action),
                        Ok(Unchanged),
                        "{} twice from {status}",
                        action.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_their_stored_names() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        for s in LeadStatus::ALL {
            assert_eq!(LeadStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("running"), None);
    }

    #[test]
    fn live_means_scheduled_active_or_paused() {
        let live: Vec<_> = S::ALL.into_iter().filter(|s| s.is_live()).collect();
        assert_eq!(live, vec![S::Scheduled, S::Active, S::Paused]);
    }
}
