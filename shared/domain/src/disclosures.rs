//! What an AI voice must say at the start of a call, and whether the agent said it. Under the
//! TCPA's rules for artificial-voice calls (47 CFR 64.1200(b)) the call identifies the business
//! at its start; a telemarketing call also offers an automated way to stop the calls. The agent
//! reports each as it happens (`identified_at`, `opt_out_offered_at`); a call a person answered
//! without them counts toward the missed-disclosures guardrail.

use crate::call_report::AgentReport;
use crate::config::Purpose;
use crate::retry::Outcome;

/// For a call that ended with `outcome` and the agent's `report`: `None` when no disclosure was
/// owed (no person heard the agent), else whether one was missed.
pub fn missed(outcome: Outcome, report: &AgentReport, purpose: Purpose) -> Option<bool> {
    let heard = matches!(
        outcome,
        Outcome::Completed | Outcome::OptedOut | Outcome::CallbackRequested
    );
    if !heard {
        return None;
    }
    let identified = report.identified_at.is_some();
    let offered = purpose == Purpose::Informational || report.opt_out_offered_at.is_some();
    Some(!(identified && offered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heard_call_owes_identification_and_for_telemarketing_the_opt_out_offer() {
        let at = "2026-06-10T15:00:05Z".parse().unwrap();
        let nothing = AgentReport::default();
        let identified = AgentReport {
            identified_at: Some(at),
            ..AgentReport::default()
        };
        let both = AgentReport {
            opt_out_offered_at: Some(at),
            ..identified.clone()
        };
        use Purpose::{Informational, Telemarketing};
        assert_eq!(missed(Outcome::NoAnswer, &nothing, Telemarketing), None);
        assert_eq!(missed(Outcome::Voicemail, &nothing, Telemarketing), None);
        assert_eq!(
            missed(Outcome::AgentUnavailable, &nothing, Informational),
            None
        );
        assert_eq!(
            missed(Outcome::Completed, &nothing, Informational),
            Some(true)
        );
        assert_eq!(
            missed(Outcome::Completed, &identified, Informational),
            Some(false)
        );
        assert_eq!(
            missed(Outcome::OptedOut, &identified, Telemarketing),
            Some(true)
        );
        assert_eq!(
            missed(Outcome::CallbackRequested, &both, Telemarketing),
            Some(false)
        );
    }
}
