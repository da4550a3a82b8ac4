//! Whether a lead may be dialed now: consent, the permitted window and daily call caps.
//! The tick screens due leads with this before leasing them, and the dialer screens again at
//! the last moment (configuration or time may have moved on).

use chrono::{DateTime, Utc};

use crate::config::{CampaignConfig, Purpose};
use crate::lead::{ConsentType, Lead, SkipReason};
use crate::legal::RuleSet;
use crate::retry::earliest_within_daily_cap;
use crate::window::{CallingPolicy, NeverReason, Subdivision, WindowDecision};

/// What to do with a due lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// It may be called now.
    Dial,
    /// Not before this instant.
    Defer(DateTime<Utc>),
    /// Never in this campaign.
    Skip(SkipReason),
}

/// The calling policy of a campaign.
pub fn policy(config: &CampaignConfig) -> CallingPolicy<'_> {
    CallingPolicy {
        weekly: &config.window,
        starts_at: config.starts_at,
        ends_at: config.ends_at,
        rules: RuleSet::current(),
        blackout: &config.blackout,
    }
}

/// Screens a lead for dialing at `now`.
pub fn screen(lead: &Lead, config: &CampaignConfig, now: DateTime<Utc>) -> Screen {
    if config.purpose == Purpose::Telemarketing && !lead.contact.has_written_consent_evidence() {
        return Screen::Skip(match lead.contact.consent_held() {
            ConsentType::None => SkipReason::NoConsent,
            _ => SkipReason::ConsentInsufficient,
        });
    }
    if config.consent_required && lead.contact.consent_held() == ConsentType::None {
        return Screen::Skip(SkipReason::NoConsent);
    }
    if config.consent_evidence_required && !lead.contact.has_consent_evidence() {
        return Screen::Skip(SkipReason::NoConsentEvidence);
    }
    let location = lead.contact.location();
    let mut at = now;
    // The window and the daily cap push each other forward; a few rounds settle it.
    for _ in 0..8 {
        match policy(config).evaluate(&location, at) {
            WindowDecision::Never(reason) => return Screen::Skip(skip_reason(reason)),
            WindowDecision::OpensAt(t) => {
                at = t;
                continue;
            }
            WindowDecision::Open { .. } => {}
        }
        let cap = RuleSet::current()
            .max_calls_per_24h(location.subdivisions.iter().map(Subdivision::as_str));
        let capped = cap.map_or(at, |cap| {
            earliest_within_daily_cap(&lead.state.recent_starts, cap, at)
        });
        if capped == at {
            return if at == now {
                Screen::Dial
            } else {
                Screen::Defer(at)
            };
        }
        at = capped;
    }
    Screen::Defer(at)
}

/// Screens a lead for starting a call now. Like [`screen`], but the window must stay open for
/// `margin` more: a call is committed and the provider reached a moment after this decision,
/// and that moment must still be inside the window (a decision at 20:59:59.9 is not a call at
/// 20:59:59.9). A lead whose window closes within the margin waits for its next opening.
pub fn screen_for_call(
    lead: &Lead,
    config: &CampaignConfig,
    now: DateTime<Utc>,
    margin: chrono::Duration,
) -> Screen {
    match screen(lead, config, now) {
        Screen::Dial => {
            let until = match policy(config).evaluate(&lead.contact.location(), now) {
                WindowDecision::Open { until } => until,
                _ => now,
            };
            if until >= now + margin {
                return Screen::Dial;
            }
            // `until` is a lower bound: the window may simply go on (a day boundary).
            match screen(lead, config, now + margin) {
                Screen::Dial => Screen::Dial,
                other => other,
            }
        }
        other => other,
    }
}

fn skip_reason(reason: NeverReason) -> SkipReason {
    match reason {
        NeverReason::UnknownTimeZone => SkipReason::UnknownTimeZone,
        NeverReason::CampaignEnded => SkipReason::CampaignEnded,
        NeverReason::WindowNeverOpens => SkipReason::WindowNeverOpens,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::config::CampaignSpec;
    use crate::ids::{CampaignId, ImportId, LeadId};
    use crate::lead::{Contact, ImportSource, LeadState};
    use crate::phone::E164;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn config(consent_required: bool) -> CampaignConfig {
        let mut spec: CampaignSpec =
            serde_json::from_str(r#"{"name":"x","agent_id":"a"}"#).unwrap();
        spec.consent_required = consent_required;
        CampaignConfig::parse(spec).unwrap()
    }

    fn lead(number: &str, consent: Option<bool>) -> Lead {
        let phone = E164::parse_strict(number).unwrap();
        Lead {
            id: LeadId::derive(&CampaignId::parse("c").unwrap(), &phone),
            contact: Contact {
                consent,
                ..Contact::new(phone)
            },
            source: ImportSource {
                import_id: ImportId::parse("i").unwrap(),
                line: 2,
            },
            state: LeadState::new(utc("2026-06-10T00:00:00Z")),
        }
    }

    #[test]
    fn a_lead_inside_its_window_may_be_dialed() {
        // Wednesday 10:00 in New York; the default window is weekdays 09-18.
        assert_eq!(
            screen(
                &lead("+12125550100", None),
                &config(false),
                utc("2026-06-10T14:00:00Z")
            ),
            Screen::Dial
        );
    }

    #[test]
    fn a_call_is_not_started_when_the_window_closes_within_the_margin() {
        // The default window closes at 18:00 New York (22:00Z); Thursday opens at 09:00.
        let l = lead("+12125550100", None);
        let margin = Duration::seconds(60);
        let late = utc("2026-06-10T21:59:30Z");
        assert_eq!(
            screen(&l, &config(false), late),
            Screen::Dial,
            "still inside"
        );
        assert_eq!(
            screen_for_call(&l, &config(false), late, margin),
            Screen::Defer(utc("2026-06-11T13:00:00Z"))
        );
        assert_eq!(
            screen_for_call(&l, &config(false), utc("2026-06-10T21:58:59Z"), margin),
            Screen::Dial
        );
    }

    #[test]
    fn a_call_is_not_started_when_the_campaign_ends_within_the_margin() {
        let mut spec: CampaignSpec =
            serde_json::from_str(r#"{"name":"x","agent_id":"a"}"#).unwrap();
        spec.schedule.ends_at = Some(utc("2026-06-10T15:00:00Z"));
        let config = CampaignConfig::parse(spec).unwrap();
        let l = lead("+12125550100", None);
        let now = utc("2026-06-10T14:59:10Z");
        assert_eq!(screen(&l, &config, now), Screen::Dial);
        assert_eq!(
            screen_for_call(&l, &config, now, Duration::seconds(60)),
            Screen::Skip(SkipReason::CampaignEnded)
        );
    }

    #[test]
    fn a_lead_outside_its_window_is_deferred_to_the_opening() {
        // 08:00 in Los Angeles: opens at 09:00 PDT.
        let d = screen(
            &lead("+12135550100", None),
            &config(false),
            utc("2026-06-10T15:00:00Z"),
        );
        assert_eq!(d, Screen::Defer(utc("2026-06-10T16:00:00Z")));
    }

    #[test]
    fn a_lead_without_consent_is_skipped_when_consent_is_required() {
        let now = utc("2026-06-10T14:00:00Z");
        assert_eq!(
            screen(&lead("+12125550100", None), &config(true), now),
            Screen::Skip(SkipReason::NoConsent)
        );
        assert_eq!(
            screen(&lead("+12125550100", Some(false)), &config(true), now),
            Screen::Skip(SkipReason::NoConsent)
        );
        assert_eq!(
            screen(&lead("+12125550100", Some(true)), &config(true), now),
            Screen::Dial
        );
    }

    #[test]
    fn a_lead_without_both_source_and_time_is_skipped_when_evidence_is_required() {
        let now = utc("2026-06-10T14:00:00Z");
        let mut spec: CampaignSpec =
            serde_json::from_str(r#"{"name":"x","agent_id":"a"}"#).unwrap();
        spec.consent_evidence_required = true;
        let evidence = CampaignConfig::parse(spec).unwrap();
        assert!(evidence.consent_required, "evidence implies consent");
        let mut l = lead("+12125550100", None);
        assert_eq!(
            screen(&l, &evidence, now),
            Screen::Skip(SkipReason::NoConsent)
        );
        l.contact.consent = Some(true);
        l.contact.consent_source = Some("web form /renewals".into());
        assert_eq!(
            screen(&l, &evidence, now),
            Screen::Skip(SkipReason::NoConsentEvidence),
            "a source without a time is not evidence"
        );
        l.contact.consent_at = Some(utc("2026-05-01T10:00:00Z"));
        assert_eq!(screen(&l, &evidence, now), Screen::Dial);
        l.contact.consent_source = None;
        assert_eq!(
            screen(&l, &evidence, now),
            Screen::Skip(SkipReason::NoConsentEvidence)
        );
        // Without the evidence requirement, consent alone is enough.
        assert_eq!(screen(&l, &config(true), now), Screen::Dial);
    }

    fn telemarketing() -> CampaignConfig {
        let spec: CampaignSpec =
            serde_json::from_str(r#"{"name":"x","agent_id":"a","purpose":"telemarketing"}"#)
                .unwrap();
        CampaignConfig::parse(spec).unwrap()
    }

    #[test]
    fn telemarketing_calls_only_leads_with_written_consent_and_all_its_evidence() {
        let now = utc("2026-06-10T14:00:00Z");
        let selling = telemarketing();
        let mut l = lead("+12125550100", None);
        let skip = |l: &Lead| screen(l, &selling, now);
        assert_eq!(skip(&l), Screen::Skip(SkipReason::NoConsent));
        l.contact.consent = Some(true);
        assert_eq!(
            skip(&l),
            Screen::Skip(SkipReason::ConsentInsufficient),
            "a plain yes is express consent, not written"
        );
        l.contact.consent_type = Some(ConsentType::ExpressWritten);
        l.contact.consent_source = Some("web form /offers".into());
        l.contact.consent_at = Some(utc("2026-05-01T10:00:00Z"));
        assert_eq!(
            skip(&l),
            Screen::Skip(SkipReason::ConsentInsufficient),
            "written consent without its agreement's reference"
        );
        l.contact.consent_reference = Some("form-8841".into());
        assert_eq!(skip(&l), Screen::Dial);
        // The same lead in an informational campaign that asks nothing.
        assert_eq!(
            screen(&lead("+12125550100", None), &config(false), now),
            Screen::Dial
        );
    }

    proptest::proptest! {
        /// Whatever the row says, a telemarketing campaign dials a lead only with written
        /// consent, its source, its time and its reference.
        #[test]
        fn telemarketing_never_dials_without_complete_written_consent(
            consent in proptest::option::of(proptest::bool::ANY),
            kind in proptest::option::of(0u8..3),
            source in proptest::bool::ANY, at in proptest::bool::ANY, reference in proptest::bool::ANY,
        ) {
            let now = utc("2026-06-10T14:00:00Z");
            let mut l = lead("+12125550100", consent);
            l.contact.consent_type = kind.map(|k| [ConsentType::None, ConsentType::Express, ConsentType::ExpressWritten][k as usize]);
            l.contact.consent_source = source.then(|| "form".to_owned());
            l.contact.consent_at = at.then(|| utc("2026-05-01T10:00:00Z"));
            l.contact.consent_reference = reference.then(|| "ref-1".to_owned());
            let complete = kind == Some(2) && source && at && reference;
            proptest::prop_assert_eq!(screen(&l, &telemarketing(), now) == Screen::Dial, complete);
        }
    }

    #[test]
    fn a_florida_number_called_three_times_today_waits_a_day() {
        let now = utc("2026-06-10T15:00:00Z"); // 11:00 EDT
        let mut l = lead("+13055550100", None);
        l.state.recent_starts = vec![
            now - Duration::hours(5),
            now - Duration::hours(3),
            now - Duration::hours(1),
        ];
        // The oldest call leaves the 24 hours at 10:00Z the next day (06:00 EDT), before the
        // window opens (09:00 EDT = 13:00Z): the window decides.
        assert_eq!(
            screen(&l, &config(false), now),
            Screen::Defer(utc("2026-06-11T13:00:00Z"))
        );
    }

    #[test]
    fn a_lead_whose_zone_is_unknown_is_skipped() {
        // +800 is the international freephone code: no time zone.
        let mut l = lead("+80012345678", None);
        l.contact.timezone = None;
        assert_eq!(
            screen(&l, &config(false), utc("2026-06-10T15:00:00Z")),
            Screen::Skip(SkipReason::UnknownTimeZone)
        );
    }
}
