//! Holidays that calling-hour rules refer to, computed for any year.
//!
//! Rules ban calls "on legal holidays"; which holidays depends on the state. Fixed-date
//! holidays are also banned on the weekday they are observed on (Saturday -> Friday,
//! Sunday -> Monday): states differ on observance, and banning both days is the safe reading.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// A holiday, by the rule that places it in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holiday {
    /// January 1.
    NewYearsDay,
    /// Third Monday of January.
    MartinLutherKingDay,
    /// Third Monday of February (Washington's Birthday).
    PresidentsDay,
    /// Tuesday 47 days before Easter (Alabama: Baldwin and Mobile counties; Louisiana).
    MardiGras,
    /// Fourth Monday of April (Alabama).
    ConfederateMemorialDay,
    /// Friday before Easter.
    GoodFriday,
    /// Last Monday of May.
    MemorialDay,
    /// First Monday of June (Alabama).
    JeffersonDavisBirthday,
    /// June 14 (Pennsylvania).
    FlagDay,
    /// June 19.
    Juneteenth,
    /// July 4.
    IndependenceDay,
    /// July 24 (Utah).
    PioneerDay,
    /// Second Monday of August (Rhode Island).
    VictoryDay,
    /// First Monday of September.
    LaborDay,
    /// Second Monday of October.
    ColumbusDay,
    /// Tuesday after the first Monday of November (general election day).
    ElectionDay,
    /// November 11.
    VeteransDay,
    /// Fourth Thursday of November.
    Thanksgiving,
    /// December 25.
    Christmas,
    /// January 26 (Australia).
    AustraliaDay,
    /// Monday after Easter (Australia).
    EasterMonday,
    /// April 25 (Australia).
    AnzacDay,
    /// December 26 (Australia).
    BoxingDay,
    /// Monday before May 25 (Canada: British Columbia).
    VictoriaDay,
    /// July 1 (Canada).
    CanadaDay,
    /// First Monday of August (British Columbia).
    BritishColumbiaDay,
    /// September 30 (Canada's National Day for Truth and Reconciliation; British Columbia).
    TruthAndReconciliationDay,
}

/// The federal legal holidays (5 U.S.C. 6103).
pub const FEDERAL: &[Holiday] = &[
    Holiday::NewYearsDay,
    Holiday::MartinLutherKingDay,
    Holiday::PresidentsDay,
    Holiday::MemorialDay,
    Holiday::Juneteenth,
    Holiday::IndependenceDay,
    Holiday::LaborDay,
    Holiday::ColumbusDay,
    Holiday::VeteransDay,
    Holiday::Thanksgiving,
    Holiday::Christmas,
];

impl Holiday {
    /// The date the holiday falls on in `year`, before any observance shift.
    pub fn date_in(self, year: i32) -> Option<NaiveDate> {
        use Holiday as H;
        use Weekday::{Mon, Thu};
        match self {
            H::NewYearsDay => NaiveDate::from_ymd_opt(year, 1, 1),
            H::MartinLutherKingDay => NaiveDate::from_weekday_of_month_opt(year, 1, Mon, 3),
            H::PresidentsDay => NaiveDate::from_weekday_of_month_opt(year, 2, Mon, 3),
            H::MardiGras => easter(year).map(|d| d - Duration::days(47)),
            H::ConfederateMemorialDay => NaiveDate::from_weekday_of_month_opt(year, 4, Mon, 4),
            H::GoodFriday => easter(year).map(|d| d - Duration::days(2)),
            H::MemorialDay => last_weekday_of_month(year, 5, Mon),
            H::JeffersonDavisBirthday => NaiveDate::from_weekday_of_month_opt(year, 6, Mon, 1),
            H::FlagDay => NaiveDate::from_ymd_opt(year, 6, 14),
            H::Juneteenth => NaiveDate::from_ymd_opt(year, 6, 19),
            H::IndependenceDay => NaiveDate::from_ymd_opt(year, 7, 4),
            H::PioneerDay => NaiveDate::from_ymd_opt(year, 7, 24),
            H::VictoryDay => NaiveDate::from_weekday_of_month_opt(year, 8, Mon, 2),
            H::LaborDay => NaiveDate::from_weekday_of_month_opt(year, 9, Mon, 1),
            H::ColumbusDay => NaiveDate::from_weekday_of_month_opt(year, 10, Mon, 2),
            H::ElectionDay => NaiveDate::from_weekday_of_month_opt(year, 11, Mon, 1)
                .map(|d| d + Duration::days(1)),
            H::VeteransDay => NaiveDate::from_ymd_opt(year, 11, 11),
            H::Thanksgiving => NaiveDate::from_weekday_of_month_opt(year, 11, Thu, 4),
            H::Christmas => NaiveDate::from_ymd_opt(year, 12, 25),
            H::AustraliaDay => NaiveDate::from_ymd_opt(year, 1, 26),
            H::EasterMonday => easter(year).map(|d| d + Duration::days(1)),
            H::AnzacDay => NaiveDate::from_ymd_opt(year, 4, 25),
            H::BoxingDay => NaiveDate::from_ymd_opt(year, 12, 26),
            // The Monday before May 25 (May 18 when the 25th is itself a Monday).
            H::VictoriaDay => NaiveDate::from_ymd_opt(year, 5, 25).map(|may_25| {
                let back = i64::from(may_25.weekday().num_days_from_monday());
                may_25 - Duration::days(if back == 0 { 7 } else { back })
            }),
            H::CanadaDay => NaiveDate::from_ymd_opt(year, 7, 1),
            H::BritishColumbiaDay => NaiveDate::from_weekday_of_month_opt(year, 8, Mon, 1),
            H::TruthAndReconciliationDay => NaiveDate::from_ymd_opt(year, 9, 30),
        }
    }

    /// Whether the holiday is a fixed calendar date (and so may fall on a weekend).
    fn is_fixed_date(self) -> bool {
        use Holiday as H;
        matches!(
            self,
            H::NewYearsDay
                | H::FlagDay
                | H::Juneteenth
                | H::IndependenceDay
                | H::PioneerDay
                | H::VeteransDay
                | H::Christmas
                | H::AustraliaDay
                | H::AnzacDay
                | H::BoxingDay
                | H::CanadaDay
                | H::TruthAndReconciliationDay
        )
    }

    /// Whether `date` is this holiday or the weekday it is observed on.
    pub fn covers(self, date: NaiveDate) -> bool {
        // New Year's Day observed on Friday December 31 belongs to the next year.
        [date.year(), date.year() + 1].into_iter().any(|year| {
            let Some(day) = self.date_in(year) else {
                return false;
            };
            if day == date {
                return true;
            }
            if !self.is_fixed_date() {
                return false;
            }
            match day.weekday() {
                Weekday::Sat => day - Duration::days(1) == date,
                Weekday::Sun => day + Duration::days(1) == date,
                _ => false,
            }
        })
    }
}

/// Whether `date` is any of `holidays` (or the day one of them is observed).
pub fn is_any(holidays: &[Holiday], date: NaiveDate) -> bool {
    holidays.iter().any(|h| h.covers(date))
}

/// Whether `date` is the Monday or Tuesday after a weekend on which one of the fixed-date
/// `holidays` fell: where a holiday on a weekend is moved to the next weekdays (Australia's
/// substitute days; the Tuesday covers a Christmas and Boxing Day that both fall on the weekend,
/// and otherwise bans one day more: the safe side).
pub fn substitutes_any(holidays: &[Holiday], date: NaiveDate) -> bool {
    let back = match date.weekday() {
        Weekday::Mon => [1, 2],
        Weekday::Tue => [2, 3],
        _ => return false,
    };
    holidays.iter().filter(|h| h.is_fixed_date()).any(|h| {
        back.iter()
            .any(|days| h.date_in(date.year()) == Some(date - Duration::days(*days)))
    })
}

/// Easter Sunday (Gregorian), by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
pub fn easter(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

fn last_weekday_of_month(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let next_month = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let mut day = next_month - Duration::days(1);
    while day.weekday() != weekday {
        day -= Duration::days(1);
    }
    Some(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_matches_published_dates() {
        assert_eq!(easter(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter(2027), Some(date(2027, 3, 28)));
        assert_eq!(easter(2038), Some(date(2038, 4, 25)));
    }

    #[test]
    fn floating_holidays_land_on_their_published_2026_dates() {
        use Holiday as H;
        let cases = [
            (H::MartinLutherKingDay, date(2026, 1, 19)),
            (H::PresidentsDay, date(2026, 2, 16)),
            (H::MardiGras, date(2026, 2, 17)),
            (H::GoodFriday, date(2026, 4, 3)),
            (H::ConfederateMemorialDay, date(2026, 4, 27)),
            (H::MemorialDay, date(2026, 5, 25)),
            (H::JeffersonDavisBirthday, date(2026, 6, 1)),
            (H::VictoryDay, date(2026, 8, 10)),
            (H::LaborDay, date(2026, 9, 7)),
            (H::ColumbusDay, date(2026, 10, 12)),
            (H::ElectionDay, date(2026, 11, 3)),
            (H::Thanksgiving, date(2026, 11, 26)),
        ];
        for (holiday, expected) in cases {
            assert_eq!(holiday.date_in(2026), Some(expected), "{holiday:?}");
        }
    }

    #[test]
    fn a_weekend_holiday_is_also_observed_on_the_nearest_weekday() {
        // July 4, 2026 is a Saturday: observed Friday July 3.
        assert!(Holiday::IndependenceDay.covers(date(2026, 7, 3)));
        assert!(Holiday::IndependenceDay.covers(date(2026, 7, 4)));
        assert!(!Holiday::IndependenceDay.covers(date(2026, 7, 6)));
        // Christmas 2022 was a Sunday: observed Monday December 26.
        assert!(Holiday::Christmas.covers(date(2022, 12, 26)));
        // New Year's Day 2022 was a Saturday: observed Friday December 31, 2021.
        assert!(Holiday::NewYearsDay.covers(date(2021, 12, 31)));
    }

    #[test]
    fn ordinary_days_are_not_holidays() {
        assert!(!is_any(FEDERAL, date(2026, 3, 10)));
        assert!(is_any(FEDERAL, date(2026, 11, 26)));
    }
}
