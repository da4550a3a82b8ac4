//! Every JSON body the API accepts, as the API reads it: JSON -> the request type ->
//! validation, and for a campaign the screening every tick and dialer does with it (windows,
//! legal hours, holidays, daily caps, end dates) at instants around its dates. Never a panic,
//! whatever the body; a valid campaign's screening never answers a time before `now`.
//!
//!   cargo fuzz run api_bodies corpus/api_bodies      (see docs/developing.md, "Fuzzing")
#![no_main]

use chrono::{DateTime, Duration, Utc};
use domain::agent::{Agent, AgentSpec};
use domain::config::{CampaignConfig, CampaignSpec};
use domain::eligibility::{Screen, screen_for_call};
use domain::ids::{CampaignId, ImportId, LeadId};
use domain::lead::{Contact, ImportSource, Lead, LeadState};
use domain::phone::{DefaultRegion, E164};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    match kind % 4 {
        0 => campaign(body),
        1 => {
            if let Ok(spec) = serde_json::from_slice::<AgentSpec>(body) {
                let _ = Agent::parse(&spec);
            }
        }
        2 => {
            // POST /v1/dnc: {"number": ...}
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body)
                && let Some(n) = v.get("number").and_then(|n| n.as_str())
            {
                let _ = E164::normalize(n, DefaultRegion::us());
            }
        }
        _ => {
            // POST .../imports: {"size_bytes": ...}
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
                let _ = v.get("size_bytes").and_then(|n| n.as_u64());
            }
        }
    }
});

fn campaign(body: &[u8]) {
    let Ok(spec) = serde_json::from_slice::<CampaignSpec>(body) else {
        return;
    };
    let Ok(config) = CampaignConfig::parse(spec) else {
        return;
    };
    let base = DateTime::parse_from_rfc3339("2026-03-08T06:30:00Z").unwrap().with_timezone(&Utc);
    let mut instants = vec![base, base + Duration::days(200)];
    for date in [config.starts_at, config.ends_at].into_iter().flatten() {
        instants.extend([date - Duration::minutes(1), date, date + Duration::minutes(1)]);
    }
    for number in ["+12125550100", "+18085550100", "+447700900123", "+61491570156"] {
        let lead = lead(number, base);
        for now in &instants {
            match screen_for_call(&lead, &config, *now, Duration::minutes(5)) {
                Screen::Dial => {}
                Screen::Defer(at) => assert!(at >= *now, "deferred into the past: {at} < {now}"),
                Screen::Skip(_) => {}
            }
        }
    }
}

fn lead(number: &str, due: DateTime<Utc>) -> Lead {
    let phone = E164::parse_strict(number).unwrap();
    Lead {
        id: LeadId::derive(&CampaignId::parse("c").unwrap(), &phone),
        contact: Contact {
            consent: Some(true),
            ..Contact::new(phone)
        },
        source: ImportSource {
            import_id: ImportId::parse("i").unwrap(),
            line: 2,
        },
        state: LeadState::new(due),
    }
}
