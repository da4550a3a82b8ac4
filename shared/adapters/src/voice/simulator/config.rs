//! The simulated network's settings: how calls end, which faults it injects, and when its
//! agent or its account is down.

use chrono::{DateTime, Utc};

use super::ProviderAccount;

/// Relative weights of call fates.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeMix {
    /// Answered, conversation completed.
    pub completed: f64,
    /// Rang out.
    pub no_answer: f64,
    pub busy: f64,
    /// Machine answered.
    pub voicemail: f64,
    /// Network or carrier failure.
    pub failed: f64,
    /// Person asked not to be called again.
    pub opted_out: f64,
    /// Person asked to be called back.
    pub callback: f64,
}

impl Default for OutcomeMix {
    fn default() -> Self {
        Self {
            completed: 0.45,
            no_answer: 0.20,
            busy: 0.08,
            voicemail: 0.12,
            failed: 0.05,
            opted_out: 0.04,
            callback: 0.06,
        }
    }
}

/// Who picks up, by the number on their screen: the simulator's answer model. A call a person
/// would answer (completed, opt-out, callback) goes unanswered instead (no answer) with
/// probability 1 - `distant` when the caller number's area code is not the contact's, and
/// 1 - `labelled_answer` when the caller number is one the network labels "Spam Likely".
/// The default changes nothing: every number is answered alike.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerModel {
    /// The share of would-be answers kept from a number of another area code (0..=1).
    pub distant: f64,
    /// Numbers the network shows as "Spam Likely".
    pub labelled: Vec<domain::phone::E164>,
    /// The share of would-be answers kept from a labelled number (0..=1).
    pub labelled_answer: f64,
}

impl Default for AnswerModel {
    fn default() -> Self {
        Self {
            distant: 1.0,
            labelled: Vec::new(),
            labelled_answer: 1.0,
        }
    }
}

/// Fault probabilities (each 0..=1).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultMix {
    /// A final event is never delivered.
    pub lose_event: f64,
    /// A final event is delivered twice.
    pub duplicate_event: f64,
    /// A final event arrives 1-30 minutes late.
    pub late_event: f64,
    /// A progress event arrives after the final one.
    pub out_of_order: f64,
    /// Call creation answers 429 (no call).
    pub rate_limited: f64,
    /// Call creation answers 503 (no call).
    pub unavailable: f64,
    /// Call creation times out before the call is created.
    pub timeout_without_call: f64,
    /// Call creation times out after the call was created.
    pub timeout_with_call: f64,
}

impl FaultMix {
    /// Every fault, at rates that make each happen many times in a few thousand calls.
    pub fn hostile() -> Self {
        Self {
            lose_event: 0.05,
            duplicate_event: 0.10,
            late_event: 0.05,
            out_of_order: 0.10,
            rate_limited: 0.05,
            unavailable: 0.03,
            timeout_without_call: 0.02,
            timeout_with_call: 0.02,
        }
    }
}

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// The simulated account.
    pub account: ProviderAccount,
    /// Secret for its events' signatures.
    pub event_secret: String,
    /// Fates.
    pub outcomes: OutcomeMix,
    pub faults: FaultMix,
    /// When the agent or the account is down.
    pub outages: Outages,
    /// Who picks up, by caller number.
    pub answers: AnswerModel,
    /// Whether the agent reports its disclosures at all (default yes; the dispatch worlds that
    /// do not judge them leave it off, one report fewer per answered call).
    pub reports_disclosures: bool,
    /// The share of calls a person answers on which the agent forgets its disclosures (never
    /// identifies the business nor offers the opt-out), 0..=1. Default 0.
    pub disclosures_forgotten: f64,
}

impl SimulatorConfig {
    /// A well-behaved network with the default outcome mix.
    pub fn new(seed: u64, event_secret: impl Into<String>) -> Self {
        Self {
            seed,
            account: ProviderAccount {
                id: "simulator".into(),
                calls_per_second: 10,
            },
            event_secret: event_secret.into(),
            outcomes: OutcomeMix::default(),
            faults: FaultMix::default(),
            outages: Outages::default(),
            answers: AnswerModel::default(),
            reports_disclosures: true,
            disclosures_forgotten: 0.0,
        }
    }
}

/// Stretches of time when something beyond a single call is down.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outages {
    /// The agent's media stream cannot be reached: a person who answers hears nothing and
    /// hangs up within seconds; the network reports the stream's failure.
    pub agent_down: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The account refuses to place calls (a provider setting: permissions, credentials).
    pub account_refusing: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Outages {
    fn during(spans: &[(DateTime<Utc>, DateTime<Utc>)], at: DateTime<Utc>) -> bool {
        spans.iter().any(|(from, until)| *from <= at && at < *until)
    }

    /// Whether the agent is down at `at`.
    pub fn agent_down_at(&self, at: DateTime<Utc>) -> bool {
        Self::during(&self.agent_down, at)
    }

    /// Whether the account refuses calls at `at`.
    pub fn account_refusing_at(&self, at: DateTime<Utc>) -> bool {
        Self::during(&self.account_refusing, at)
    }
}
