//! Campaign analytics from counters and hourly items (O(hours), never O(leads)).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{HourTally, Tally};
use crate::retry::Outcome;
use crate::status::LeadStatus;

/// One outcome's count and share of finished attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeShare {
    pub outcome: Outcome,
    /// Finished attempts with it.
    pub count: i64,
    /// Its share of finished attempts (0..=1).
    pub share: f64,
}

/// One hour of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HourPoint {
    /// Start of the hour (UTC).
    pub hour: DateTime<Utc>,
    /// Calls started in the hour.
    pub calls_started: i64,
    /// Of those, answered by a person or a machine.
    pub calls_connected: i64,
    /// Their talk time.
    pub talk_seconds: i64,
}

/// What a campaign's calls achieved. Rates are absent (null) while their denominator is 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Analytics {
    /// Leads in the campaign.
    pub leads: i64,
    /// Leads reached (status Completed).
    pub leads_completed: i64,
    /// Leads in a final status.
    pub leads_finished: i64,
    /// Leads per status.
    pub by_status: BTreeMap<String, i64>,
    /// Completed leads / all leads.
    pub completion_rate: Option<f64>,
    /// Calls started (attempts).
    pub calls: i64,
    /// Calls with an outcome.
    pub calls_finished: i64,
    /// Calls answered by a person or a machine.
    pub calls_connected: i64,
    /// Connected calls / calls with an outcome.
    pub connection_rate: Option<f64>,
    /// Talk seconds / connected calls.
    pub average_call_seconds: Option<f64>,
    /// Total talk time.
    pub talk_seconds: i64,
    /// Calls started / leads.
    pub attempts_per_lead: Option<f64>,
    /// Finished calls per outcome, most frequent first.
    pub outcomes: Vec<OutcomeShare>,
    /// Calls per hour, oldest first; hours without calls are absent.
    pub timeline: Vec<HourPoint>,
    /// Over the 30 days before the request (the Telemarketing Sales Rule's window), calls a
    /// person answered, those abandoned (no agent came on), and their share (absent before the
    /// first answered call). The FTC allows at most 3 %.
    pub answered_calls_30d: i64,
    pub abandoned_calls_30d: i64,
    pub abandonment_rate_30d: Option<f64>,
}

fn ratio(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

impl Analytics {
    /// Analytics from a campaign's counters and its hourly items, at `now`.
    pub fn compute(counters: &Tally, hours: &[HourTally], now: DateTime<Utc>) -> Self {
        let (abandoned_30d, answered_30d, rate_30d) =
            super::tally::abandonment_since(hours, now - chrono::Duration::days(30));
        let leads = counters.total();
        let completed = counters.count(LeadStatus::Completed);
        let finished: i64 = LeadStatus::ALL
            .iter()
            .filter(|s| s.is_final())
            .map(|s| counters.count(*s))
            .sum();
        let calls_finished = counters.finished_attempts();
        let connected = counters.connected();
        let mut outcomes: Vec<OutcomeShare> = counters
            .outcomes
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(outcome, count)| OutcomeShare {
                outcome: *outcome,
                count: *count,
                share: ratio(*count, calls_finished).unwrap_or(0.0),
            })
            .collect();
        outcomes.sort_by(|a, b| b.count.cmp(&a.count).then(a.outcome.cmp(&b.outcome)));
        let mut timeline: Vec<HourPoint> = hours
            .iter()
            .filter(|h| h.started != 0 || h.connected != 0 || h.talk_seconds != 0)
            .map(|h| HourPoint {
                hour: h.hour,
                calls_started: h.started,
                calls_connected: h.connected,
                talk_seconds: h.talk_seconds,
            })
            .collect();
        timeline.sort_by_key(|h| h.hour);
        Self {
            leads,
            leads_completed: completed,
            leads_finished: finished,
            by_status: LeadStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), counters.count(*s)))
                .collect(),
            completion_rate: ratio(completed, leads),
            calls: counters.attempts,
            calls_finished,
            calls_connected: connected,
            connection_rate: ratio(connected, calls_finished),
            average_call_seconds: ratio(counters.talk_seconds, connected),
            talk_seconds: counters.talk_seconds,
            attempts_per_lead: ratio(counters.attempts, leads),
            outcomes,
            timeline,
            answered_calls_30d: answered_30d,
            abandoned_calls_30d: abandoned_30d,
            abandonment_rate_30d: rate_30d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::status_index;

    fn tally() -> Tally {
        let mut t = Tally::default();
        t.by_status[status_index(LeadStatus::Completed)] = 3;
        t.by_status[status_index(LeadStatus::Failed)] = 1;
        t.by_status[status_index(LeadStatus::Pending)] = 4;
        t.attempts = 10;
        t.talk_seconds = 300;
        t.outcomes.insert(Outcome::Completed, 3);
        t.outcomes.insert(Outcome::NoAnswer, 4);
        t.outcomes.insert(Outcome::Voicemail, 1);
        t.outcomes.insert(Outcome::Busy, 0);
        t
    }

    #[test]
    fn rates_are_computed_from_counters() {
        let a = Analytics::compute(&tally(), &[], now());
        assert_eq!(a.leads, 8);
        assert_eq!(a.leads_finished, 4);
        assert_eq!(a.completion_rate, Some(3.0 / 8.0));
        assert_eq!(a.calls_finished, 8);
        assert_eq!(
            a.calls_connected, 4,
            "completed and voicemail connect; no-answer does not"
        );
        assert_eq!(a.connection_rate, Some(0.5));
        assert_eq!(a.average_call_seconds, Some(75.0));
        assert_eq!(a.attempts_per_lead, Some(10.0 / 8.0));
    }

    #[test]
    fn outcome_distribution_is_sorted_by_count_and_drops_zeros() {
        let a = Analytics::compute(&tally(), &[], now());
        let names: Vec<_> = a.outcomes.iter().map(|o| o.outcome).collect();
        assert_eq!(
            names,
            vec![Outcome::NoAnswer, Outcome::Completed, Outcome::Voicemail]
        );
        let total: f64 = a.outcomes.iter().map(|o| o.share).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }

    #[test]
    fn an_empty_campaign_has_no_rates_rather_than_nan() {
        let a = Analytics::compute(&Tally::default(), &[], now());
        assert_eq!(a.completion_rate, None);
        assert_eq!(a.connection_rate, None);
        assert_eq!(a.average_call_seconds, None);
        assert!(a.outcomes.is_empty());
    }

    fn now() -> DateTime<Utc> {
        "2026-06-08T18:00:00Z".parse().unwrap()
    }

    #[test]
    fn abandonment_is_read_over_the_thirty_days_before_now() {
        let h = |at: &str, answered, abandoned| HourTally {
            answered,
            abandoned,
            ..HourTally::empty(at.parse().unwrap())
        };
        let hours = [
            h("2026-05-01T10:00:00Z", 50, 25), // over 30 days before: left out
            h("2026-05-10T10:00:00Z", 40, 2),
            h("2026-06-08T17:00:00Z", 60, 1),
        ];
        let a = Analytics::compute(&Tally::default(), &hours, now());
        assert_eq!((a.answered_calls_30d, a.abandoned_calls_30d), (100, 3));
        assert_eq!(a.abandonment_rate_30d, Some(0.03));
        assert_eq!(
            Analytics::compute(&Tally::default(), &[], now()).abandonment_rate_30d,
            None
        );
    }

    #[test]
    fn the_timeline_is_ordered_and_skips_empty_hours() {
        let h = |hour: u32, started| HourTally {
            started,
            connected: started / 2,
            ..HourTally::empty(format!("2026-06-08T{hour:02}:00:00Z").parse().unwrap())
        };
        let a = Analytics::compute(&tally(), &[h(15, 4), h(14, 6), h(16, 0)], now());
        let hours: Vec<_> = a.timeline.iter().map(|p| p.calls_started).collect();
        assert_eq!(hours, vec![6, 4]);
    }
}
