//! Calling-hour rules outside the US. Source research: `docs/research/rules-abroad.md`
//! (2026-12-07), which cites each rule and says how sure it is.
//!
//! The US federal baseline (08:00-21:00 every day) still applies on top of these, as the
//! conservative default everywhere: Canada's weekday curfew of 21:30 is held to 21:00.

use super::us::{h, rule};
use super::{CallingRule, Confidence};
use crate::holidays::Holiday;
use crate::local_range::LocalRange;

/// Canada's weekdays and weekends: 09:00-21:30 and 10:00-18:00.
const CANADA_HOURS: [Option<LocalRange>; 7] = {
    let weekday = Some(LocalRange::minutes(9 * 60, 21 * 60 + 30));
    let weekend = h(10, 18);
    [
        weekday, weekday, weekday, weekday, weekday, weekend, weekend,
    ]
};

/// British Columbia's statutory holidays (Employment Standards Act, since 2023). Family Day is
/// the third Monday of February (the same rule as Presidents' Day), Thanksgiving the second
/// Monday of October (Columbus Day's), Remembrance Day November 11 (Veterans Day's).
const BRITISH_COLUMBIA_HOLIDAYS: &[Holiday] = &[
    Holiday::NewYearsDay,
    Holiday::PresidentsDay,
    Holiday::GoodFriday,
    Holiday::VictoriaDay,
    Holiday::CanadaDay,
    Holiday::BritishColumbiaDay,
    Holiday::LaborDay,
    Holiday::TruthAndReconciliationDay,
    Holiday::ColumbusDay,
    Holiday::VeteransDay,
    Holiday::Christmas,
];

/// Australia's national public holidays (those every state keeps on the same date).
const AUSTRALIA_HOLIDAYS: &[Holiday] = &[
    Holiday::NewYearsDay,
    Holiday::AustraliaDay,
    Holiday::GoodFriday,
    Holiday::EasterMonday,
    Holiday::AnzacDay,
    Holiday::Christmas,
    Holiday::BoxingDay,
];

/// Countries, then provinces, by code.
pub static ABROAD: &[CallingRule] = &[
    CallingRule {
        scope: "telemarketing and automated (ADAD) calls; the ADAD hours are the same (MED)",
        ..rule(
            "CA",
            CANADA_HOURS,
            "CRTC Unsolicited Telecommunications Rules, Part III (Telemarketing Rules): \
             weekdays 9:00-21:30, weekends 10:00-18:00, the called party's time",
            Confidence::High,
        )
    },
    CallingRule {
        holidays: BRITISH_COLUMBIA_HOLIDAYS,
        holiday_hours: None,
        scope: "telemarketers under the Telemarketer Licensing Regulation; which holiday list \
                is meant is unverified: the statutory one, observed days included",
        ..rule(
            "CA-BC",
            CANADA_HOURS,
            "B.C. Telemarketer Licensing Regulation (Business Practices and Consumer \
             Protection Act), per Consumer Protection BC",
            Confidence::Medium,
        )
    },
    CallingRule {
        scope: "no statutory hours (PECR 2003 has none); the DMA code's guidance, applied \
                because it is stricter",
        ..rule(
            "GB",
            [
                h(8, 21),
                h(8, 21),
                h(8, 21),
                h(8, 21),
                h(8, 21),
                h(9, 21),
                h(9, 21),
            ],
            "DMA Direct Marketing Code of Practice (guidance, not law); PECR 2003 regs 19-21",
            Confidence::Medium,
        )
    },
    CallingRule {
        holidays: AUSTRALIA_HOLIDAYS,
        holiday_hours: None,
        holidays_move_to_weekdays: true,
        scope: "telemarketing and research calls",
        ..rule(
            "AU",
            [
                h(9, 20),
                h(9, 20),
                h(9, 20),
                h(9, 20),
                h(9, 20),
                h(9, 17),
                None,
            ],
            "Telecommunications (Telemarketing and Research Calls) Industry Standard 2017, \
             s. 12: weekdays 9:00-20:00, Saturday 9:00-17:00, no Sunday or national public \
             holiday",
            Confidence::High,
        )
    },
];

#[cfg(test)]
mod tests;
