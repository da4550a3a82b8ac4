//! US calling-hour rules. Source research: `docs/research/us-calling-hours.md` (2026-11-25).
//!
//! Times are the called party's local time. Where a state has separate rules for live and
//! automated (ADAD / prerecorded) calls, the stricter applies: an AI agent's call is automated,
//! and automated informational calls are not clearly exempt (NV 597.814, OK 755.1, CA 2872).
//! Rules marked `Unverified` are applied because they are stricter, never to allow more.
//!
//! Not applied: Pennsylvania SB 992 (9-19, no Sundays) is pending; its enactment is unverified.
//! Mississippi's statute says "Central Standard Time"; read as local time (the same zone there).

use super::{CallingRule, Confidence, RuleSet};
use crate::holidays::{FEDERAL, Holiday};
use crate::local_range::LocalRange;

/// Bump when any rule here or in [`super::abroad`] changes; decisions record the version
/// they used.
pub const RULESET_VERSION: &str = "us-ca-gb-au-2026-12-07";

/// The rule set: federal baseline plus states, and the countries abroad with their provinces.
pub static RULES: RuleSet = RuleSet {
    version: RULESET_VERSION,
    baseline: &FEDERAL_BASELINE,
    subdivisions: STATES,
    abroad: super::abroad::ABROAD,
};

pub(super) const fn h(start_hour: u16, end_hour: u16) -> Option<LocalRange> {
    Some(LocalRange::hours(start_hour, end_hour))
}

const fn every_day(start_hour: u16, end_hour: u16) -> [Option<LocalRange>; 7] {
    [h(start_hour, end_hour); 7]
}

const fn mon_sat(start_hour: u16, end_hour: u16) -> [Option<LocalRange>; 7] {
    let day = h(start_hour, end_hour);
    [day, day, day, day, day, day, None]
}

const fn weekdays(start_hour: u16, end_hour: u16) -> [Option<LocalRange>; 7] {
    let day = h(start_hour, end_hour);
    [day, day, day, day, day, None, None]
}

/// FCC 47 CFR 64.1200(c)(1) and FTC TSR 16 CFR 310.4(c): 08:00-21:00 at the called party's
/// location. Applied to every number, including outside the US, as the default of reasonable hours.
pub static FEDERAL_BASELINE: CallingRule = CallingRule {
    jurisdiction: "US",
    hours: every_day(8, 21),
    holidays: &[],
    holiday_hours: None,
    max_calls_per_24h: None,
    holidays_move_to_weekdays: false,
    effective_from: None,
    source: "47 CFR 64.1200(c)(1); 16 CFR 310.4(c)",
    confidence: Confidence::High,
    scope: "all numbers (outside the US as a conservative default)",
};

const ALABAMA_HOLIDAYS: &[Holiday] = &[
    Holiday::NewYearsDay,
    Holiday::MartinLutherKingDay,
    Holiday::PresidentsDay,
    Holiday::MardiGras,
    Holiday::ConfederateMemorialDay,
    Holiday::MemorialDay,
    Holiday::JeffersonDavisBirthday,
    Holiday::Juneteenth,
    Holiday::IndependenceDay,
    Holiday::LaborDay,
    Holiday::ColumbusDay,
    Holiday::VeteransDay,
    Holiday::Thanksgiving,
    Holiday::Christmas,
];

const LOUISIANA_HOLIDAYS: &[Holiday] = &[
    Holiday::NewYearsDay,
    Holiday::MartinLutherKingDay,
    Holiday::MardiGras,
    Holiday::GoodFriday,
    Holiday::MemorialDay,
    Holiday::IndependenceDay,
    Holiday::LaborDay,
    Holiday::VeteransDay,
    Holiday::Thanksgiving,
    Holiday::Christmas,
];

const PENNSYLVANIA_HOLIDAYS: &[Holiday] = &[
    Holiday::NewYearsDay,
    Holiday::MartinLutherKingDay,
    Holiday::PresidentsDay,
    Holiday::GoodFriday,
    Holiday::MemorialDay,
    Holiday::FlagDay,
    Holiday::IndependenceDay,
    Holiday::LaborDay,
    Holiday::ColumbusDay,
    Holiday::ElectionDay,
    Holiday::VeteransDay,
    Holiday::Thanksgiving,
    Holiday::Christmas,
];

const RHODE_ISLAND_HOLIDAYS: &[Holiday] = &[
    Holiday::NewYearsDay,
    Holiday::MartinLutherKingDay,
    Holiday::PresidentsDay,
    Holiday::MemorialDay,
    Holiday::Juneteenth,
    Holiday::IndependenceDay,
    Holiday::VictoryDay,
    Holiday::LaborDay,
    Holiday::ColumbusDay,
    Holiday::VeteransDay,
    Holiday::Thanksgiving,
    Holiday::Christmas,
];

const UTAH_HOLIDAYS: &[Holiday] = &[
    Holiday::NewYearsDay,
    Holiday::MartinLutherKingDay,
    Holiday::PresidentsDay,
    Holiday::MemorialDay,
    Holiday::Juneteenth,
    Holiday::IndependenceDay,
    Holiday::PioneerDay,
    Holiday::LaborDay,
    Holiday::ColumbusDay,
    Holiday::VeteransDay,
    Holiday::Thanksgiving,
    Holiday::Christmas,
];

pub(super) const fn rule(
    jurisdiction: &'static str,
    hours: [Option<LocalRange>; 7],
    source: &'static str,
    confidence: Confidence,
) -> CallingRule {
    CallingRule {
        jurisdiction,
        hours,
        holidays: &[],
        holiday_hours: None,
        max_calls_per_24h: None,
        holidays_move_to_weekdays: false,
        effective_from: None,
        source,
        confidence,
        scope: "",
    }
}

/// States stricter than the baseline, alphabetical by code.
pub static STATES: &[CallingRule] = &[
    CallingRule {
        holidays: ALABAMA_HOLIDAYS,
        scope: "text read; reach beyond telephone utilities disputed",
        ..rule(
            "US-AL",
            mon_sat(8, 20),
            "Ala. Admin. Code r. 770-X-5-.17",
            Confidence::High,
        )
    },
    CallingRule {
        scope: "automated calls (ADAD)",
        ..rule(
            "US-CA",
            every_day(9, 21),
            "Cal. Pub. Util. Code 2872",
            Confidence::Medium,
        )
    },
    CallingRule {
        effective_from: Some((2023, 10, 1)),
        ..rule(
            "US-CT",
            every_day(9, 20),
            "CGS 42-288a(c); P.A. 23-98",
            Confidence::Medium,
        )
    },
    CallingRule {
        max_calls_per_24h: Some(3),
        ..rule(
            "US-FL",
            every_day(8, 20),
            "Fla. Stat. 501.616(6)(a)-(b)",
            Confidence::High,
        )
    },
    CallingRule {
        scope: "automated calls (ADAD); claimed",
        ..rule(
            "US-IN",
            every_day(9, 20),
            "IC 24-5-14-8",
            Confidence::Unverified,
        )
    },
    CallingRule {
        scope: "calls to a residence",
        ..rule(
            "US-KY",
            every_day(10, 21),
            "KRS 367.46955(16)",
            Confidence::Medium,
        )
    },
    CallingRule {
        holidays: LOUISIANA_HOLIDAYS,
        ..rule(
            "US-LA",
            mon_sat(8, 20),
            "La. R.S. 45:811; LPSC GO R-29617 sec. V(A)(2); R.S. 45:844.31",
            Confidence::High,
        )
    },
    CallingRule {
        ..rule(
            "US-MA",
            every_day(8, 20),
            "201 CMR 12.02(2); MGL c.159C sec. 3",
            Confidence::High,
        )
    },
    CallingRule {
        max_calls_per_24h: Some(3),
        effective_from: Some((2024, 1, 1)),
        ..rule(
            "US-MD",
            every_day(8, 20),
            "Md. Com. Law 14-4501 to 14-4503",
            Confidence::High,
        )
    },
    CallingRule {
        scope: "automated calls (ADAD), weekdays only",
        ..rule(
            "US-ME",
            weekdays(9, 17),
            "10 M.R.S. 1498(3)",
            Confidence::Medium,
        )
    },
    CallingRule {
        scope: "reach disputed",
        ..rule(
            "US-MI",
            every_day(9, 21),
            "MCL 750.540e(1)(f)",
            Confidence::Medium,
        )
    },
    CallingRule {
        scope: "residential",
        ..rule(
            "US-MN",
            every_day(9, 21),
            "Minn. Stat. 325E.30",
            Confidence::Medium,
        )
    },
    CallingRule {
        scope: "statute says Central Standard Time; read as local; holiday ban repealed (HB 1225, 2023)",
        ..rule(
            "US-MS",
            mon_sat(8, 20),
            "Miss. Code 77-3-723(1)",
            Confidence::High,
        )
    },
    CallingRule {
        holidays: FEDERAL,
        holiday_hours: h(13, 21),
        scope: "automated calls (ADAD); prerecorded on Sundays and holidays 13-21",
        ..rule(
            "US-NE",
            [
                h(8, 21),
                h(8, 21),
                h(8, 21),
                h(8, 21),
                h(8, 21),
                h(8, 21),
                h(13, 21),
            ],
            "Neb. Rev. Stat. 86-248; Neb. Admin. Code T.291 ch.11 sec. 3",
            Confidence::Medium,
        )
    },
    CallingRule {
        ..rule(
            "US-NM",
            every_day(9, 21),
            "NMSA 57-12-22(B)(5)",
            Confidence::High,
        )
    },
    CallingRule {
        scope: "ADAD 9-21 (NRS 597.814) is High; live calls 9-20 is unverified and applied",
        ..rule(
            "US-NV",
            every_day(9, 20),
            "NRS 597.814(2); NRS 598.0918(3)",
            Confidence::Unverified,
        )
    },
    CallingRule {
        max_calls_per_24h: Some(3),
        scope: "solicitations 8-20; automated calls effectively 9-20",
        ..rule(
            "US-OK",
            every_day(9, 20),
            "15 O.S. 775C.4; 15 O.S. 755.1(C)(2)",
            Confidence::High,
        )
    },
    CallingRule {
        max_calls_per_24h: Some(3),
        scope: "HB 3865 start date unverified; applied now",
        ..rule(
            "US-OR",
            every_day(8, 20),
            "ORS 646.563 as amended by HB 3865 (2025)",
            Confidence::Medium,
        )
    },
    CallingRule {
        holidays: PENNSYLVANIA_HOLIDAYS,
        ..rule(
            "US-PA",
            every_day(8, 21),
            "73 P.S. 2245; Act 73 of 2019",
            Confidence::High,
        )
    },
    CallingRule {
        holidays: RHODE_ISLAND_HOLIDAYS,
        ..rule(
            "US-RI",
            [
                h(9, 18),
                h(9, 18),
                h(9, 18),
                h(9, 18),
                h(9, 18),
                h(10, 17),
                None,
            ],
            "R.I. Gen. Laws 5-61-2(2), 5-61-3.6",
            Confidence::High,
        )
    },
    CallingRule {
        scope: "automated calls (ADAD), weekdays only",
        ..rule("US-SD", weekdays(9, 21), "SDCL 37-30-28", Confidence::High)
    },
    CallingRule {
        scope: "local vs Central time disputed; read as local",
        ..rule(
            "US-TX",
            [
                h(9, 21),
                h(9, 21),
                h(9, 21),
                h(9, 21),
                h(9, 21),
                h(9, 21),
                h(12, 21),
            ],
            "Tex. Bus. & Com. Code 301.051",
            Confidence::Medium,
        )
    },
    CallingRule {
        holidays: UTAH_HOLIDAYS,
        scope: "without prior express consent",
        ..rule(
            "US-UT",
            mon_sat(8, 21),
            "Utah Code 13-25a-103(3)",
            Confidence::High,
        )
    },
    CallingRule {
        ..rule(
            "US-WA",
            every_day(8, 20),
            "RCW 19.158.040(2); RCW 80.36.390",
            Confidence::High,
        )
    },
    CallingRule {
        ..rule(
            "US-WY",
            every_day(8, 20),
            "Wyo. Stat. 40-12-302(d)",
            Confidence::Medium,
        )
    },
];
