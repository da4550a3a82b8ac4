use chrono::{DateTime, Utc};

use super::*;
use crate::config::{CampaignConfig, CampaignSpec};
use crate::ids::{CampaignId, ImportId, LeadId};
use crate::lead::{Contact, ImportSource, Lead, LeadState};
use crate::phone::E164;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn config(extra: &str) -> CampaignConfig {
    let spec: CampaignSpec =
        serde_json::from_str(&format!(r#"{{"name":"x","agent_id":"a"{extra}}}"#)).unwrap();
    CampaignConfig::parse(spec).unwrap()
}

/// The tenant's calls to the number before: `n` today, in 7 days and in 24 hours; default caps.
fn tenant_calls(n: u8) -> (CapCounts, ContactCaps) {
    let counts = CapCounts {
        local_day: n,
        last_7_days: n,
        last_24h: n,
    };
    (counts, ContactCaps::default())
}

fn lead(number: &str) -> Lead {
    let phone = E164::parse_strict(number).unwrap();
    Lead {
        id: LeadId::derive(&CampaignId::parse("c").unwrap(), &phone),
        contact: Contact::new(phone),
        source: ImportSource {
            import_id: ImportId::parse("i").unwrap(),
            line: 2,
        },
        state: LeadState::new(utc("2026-06-10T00:00:00Z")),
    }
}

#[test]
fn a_clearance_names_every_zone_with_its_local_time_and_the_ranges_that_allowed_it() {
    // 270: western Kentucky, Central or Eastern time. Wednesday 15:00Z = 10:00 CDT, 11:00 EDT.
    let at = utc("2026-06-10T15:00:00Z");
    let c = config("");
    let record = clearance(
        &lead("+12705550100"),
        &c,
        at,
        "+14155550199",
        Some(tenant_calls(0)),
    );
    let zones: Vec<(&str, &str, &str)> = record
        .zones
        .iter()
        .map(|z| (z.zone.as_str(), z.local.as_str(), z.window.as_str()))
        .collect();
    assert_eq!(
        zones,
        [
            ("America/Chicago", "2026-06-10T10:00 Wed", "09:00-18:00"),
            ("America/New_York", "2026-06-10T11:00 Wed", "09:00-18:00")
        ]
    );
    // Kentucky's own hours, not the federal 08:00-21:00.
    let kentucky = RuleSet::current()
        .allowed_on(at.date_naive(), ["US-KY"])
        .unwrap()
        .to_string();
    assert_ne!(kentucky, "08:00-21:00");
    assert!(record.zones.iter().all(|z| z.legal == kentucky));
    assert_eq!(record.subdivisions, ["US-KY"]);
    assert_eq!(record.rules, RuleSet::current().version);
    assert_eq!(record.dnc_checked_at, at);
    assert_eq!(record.caller_number, "+14155550199");
    assert_eq!(verify(&record, &c), Vec::<String>::new());
    // It travels as JSON on the lead and back unchanged.
    let text = serde_json::to_string(&record).unwrap();
    assert_eq!(
        serde_json::from_str::<CallClearance>(&text).unwrap(),
        record
    );
}

#[test]
fn the_verifier_finds_every_record_that_does_not_prove_the_call_was_allowed() {
    let c = config("");
    let good = clearance(
        &lead("+12125550100"),
        &c,
        utc("2026-06-10T15:00:00Z"),
        "+1",
        Some(tenant_calls(0)),
    );
    let finds = |edit: &dyn Fn(&mut CallClearance), config: &CampaignConfig| {
        let mut r = good.clone();
        edit(&mut r);
        verify(&r, config)
    };
    // Early morning: the decision itself was outside the window.
    let early = clearance(
        &lead("+12125550100"),
        &c,
        utc("2026-06-10T11:00:00Z"),
        "+1",
        Some(tenant_calls(0)),
    );
    assert_eq!(early.zones[0].window, "none");
    assert!(!verify(&early, &c).is_empty());
    assert!(!finds(&|r| r.zones[0].local = "2026-06-10T12:00 Wed".into(), &c).is_empty());
    assert!(!finds(&|r| r.zones[0].legal = "00:00-24:00".into(), &c).is_empty());
    assert!(!finds(&|r| r.rules = "us-1999".into(), &c).is_empty());
    assert!(!finds(&|r| r.dnc_checked_at = r.at - Duration::days(1), &c).is_empty());
    assert!(!finds(&|r| r.zones.clear(), &c).is_empty());
    // The campaign asked for consent the record does not show.
    assert!(!finds(&|_| {}, &config(r#","consent_required":true"#)).is_empty());
    // Florida allows three calls in 24 hours.
    let florida = clearance(
        &lead("+13055550100"),
        &c,
        utc("2026-06-10T15:00:00Z"),
        "+1",
        Some(tenant_calls(0)),
    );
    assert_eq!(florida.cap_per_24h, Some(3));
    let mut over = florida.clone();
    over.calls_in_24h = 3;
    assert!(!verify(&over, &c).is_empty());
    assert!(verify(&florida, &c).is_empty());
    // The tenant's caps across campaigns: three a local day, seven in 7 days by default.
    assert!(!finds(&|r| r.tenant_calls = None, &c).is_empty());
    let (counts, caps) = tenant_calls(3);
    let day = TenantCalls::new(counts, caps);
    assert!(!finds(&|r| r.tenant_calls = Some(day), &c).is_empty());
    let (counts, caps) = tenant_calls(2);
    let mut week = TenantCalls::new(counts, caps);
    week.last_7_days = 7;
    assert!(!finds(&|r| r.tenant_calls = Some(week), &c).is_empty());
}

#[test]
fn calls_in_the_last_24_hours_are_the_tenants_where_counted_else_the_leads() {
    let at = utc("2026-06-10T15:00:00Z");
    let mut l = lead("+13055550100");
    l.state.recent_starts = vec![
        utc("2026-06-09T14:00:00Z"),
        utc("2026-06-09T16:00:00Z"),
        utc("2026-06-10T13:00:00Z"),
    ];
    assert_eq!(clearance(&l, &config(""), at, "+1", None).calls_in_24h, 2);
    // Where the claim counted the tenant's calls (every campaign), those are the count.
    assert_eq!(
        clearance(&l, &config(""), at, "+1", Some(tenant_calls(3))).calls_in_24h,
        3
    );
}

#[test]
fn a_telemarketing_clearance_records_the_written_consent_relied_on_and_is_verified() {
    let c = config(r#","purpose":"telemarketing""#);
    let mut written = lead("+12125550100");
    written.contact.consent_type = Some(crate::lead::ConsentType::ExpressWritten);
    written.contact.consent_source = Some("web form /offers".into());
    written.contact.consent_at = Some(utc("2026-05-01T10:00:00Z"));
    written.contact.consent_reference = Some("form-8841".into());
    let at = utc("2026-06-10T15:00:00Z");
    let record = clearance(&written, &c, at, "+1", Some(tenant_calls(0)));
    assert_eq!(
        (
            record.purpose.as_str(),
            record.consent_rule.as_str(),
            record.consent_type.as_deref(),
            record.consent_reference.as_deref()
        ),
        (
            "telemarketing",
            "express_written",
            Some("express_written"),
            Some("form-8841")
        )
    );
    assert_eq!(verify(&record, &c), Vec::<String>::new());
    let finds = |edit: &dyn Fn(&mut CallClearance)| {
        let mut r = record.clone();
        edit(&mut r);
        verify(&r, &c)
    };
    assert!(!finds(&|r| r.consent_type = Some("express".into())).is_empty());
    assert!(!finds(&|r| r.consent_reference = None).is_empty());
    assert!(!finds(&|r| r.consent_rule = "none".into()).is_empty());
    // The same lead's clearance in an informational campaign is not this campaign's.
    let informational = clearance(&written, &config(""), at, "+1", Some(tenant_calls(0)));
    assert!(!verify(&informational, &c).is_empty());
}
