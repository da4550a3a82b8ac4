use super::*;
use crate::lead::ConsentType;
use chrono::TimeZone;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 15, 0, 0).unwrap()
}

fn contact(number: &str) -> Contact {
    Contact::new(E164::parse_strict(number).unwrap())
}

fn extract(downloaded_on: &str) -> RegistryExtract {
    RegistryExtract {
        id: "x1".into(),
        downloaded_on: downloaded_on.parse().unwrap(),
        numbers: 3,
        loaded_at: at(2026, 12, 1),
    }
}

fn us_extracts(downloaded_on: &str) -> BTreeMap<Registry, RegistryExtract> {
    BTreeMap::from([(Registry::UsNationalDnc, extract(downloaded_on))])
}

#[test]
fn an_extract_line_reads_in_each_spelling_the_registry_downloads_use() {
    let want = E164::parse_strict("+12125550123").unwrap();
    for line in [
        "2125550123",
        "212,5550123",
        " 212-555-0123 ",
        "\"2125550123\"",
        "+12125550123",
        "12125550123\r",
    ] {
        assert_eq!(
            Registry::UsNationalDnc.read_line(line),
            Ok(Some(want.clone())),
            "{line:?}"
        );
    }
    assert_eq!(Registry::UsNationalDnc.read_line("   "), Ok(None));
    assert_eq!(
        Registry::UsNationalDnc.read_line("phone_number"),
        Err(BadLine::NotANumber)
    );
    assert_eq!(
        Registry::UsNationalDnc.read_line("212555"),
        Err(BadLine::NotANumber)
    );
    // A Toronto number is Canada's list's, not the US registry's.
    assert_eq!(
        Registry::UsNationalDnc.read_line("4165550123"),
        Err(BadLine::OtherCountry)
    );
    assert_eq!(
        Registry::CaNationalDncl.read_line("416,5550123"),
        Ok(Some(E164::parse_strict("+14165550123").unwrap()))
    );
    assert_eq!(
        Registry::UkTps.read_line("020 7946 0958"),
        Ok(Some(E164::parse_strict("+442079460958").unwrap()))
    );
}

#[test]
fn each_number_belongs_to_its_countrys_registry_and_the_codes_round_trip() {
    let of = |n: &str| Registry::for_number(&E164::parse_strict(n).unwrap());
    assert_eq!(of("+12125550123"), Some(Registry::UsNationalDnc));
    assert_eq!(of("+17875550123"), Some(Registry::UsNationalDnc)); // Puerto Rico
    assert_eq!(of("+14165550123"), Some(Registry::CaNationalDncl));
    assert_eq!(of("+442079460958"), Some(Registry::UkTps));
    assert_eq!(of("+33142685300"), None);
    assert_eq!(of("+61291234567"), Some(Registry::AuDncr));
    for registry in Registry::ALL {
        assert_eq!(Registry::parse(registry.code()), Some(registry));
    }
    assert_eq!(Registry::parse("national_dnc"), None);
}

#[test]
fn a_telemarketing_call_checks_a_fresh_extract_and_an_informational_one_owes_nothing() {
    let lead = contact("+12125550123");
    let now = at(2026, 12, 31);
    let fresh = us_extracts("2026-11-30"); // 31 days: the last day it may be relied on
    assert_eq!(
        check(Purpose::Informational, &lead, &BTreeMap::new(), now),
        RegistryCheck::NotNeeded
    );
    assert!(matches!(
        check(Purpose::Telemarketing, &lead, &fresh, now),
        RegistryCheck::Check {
            registry: Registry::UsNationalDnc,
            ..
        }
    ));
    let stale = us_extracts("2026-11-29");
    assert!(matches!(
        check(Purpose::Telemarketing, &lead, &stale, now),
        RegistryCheck::NoFreshExtract {
            newest: Some(_),
            ..
        }
    ));
    assert!(matches!(
        check(Purpose::Telemarketing, &lead, &BTreeMap::new(), now),
        RegistryCheck::NoFreshExtract { newest: None, .. }
    ));
    // A number no registry lists owes nothing even to telemarketing.
    let paris = contact("+33142685300");
    assert_eq!(
        check(Purpose::Telemarketing, &paris, &BTreeMap::new(), now),
        RegistryCheck::NotNeeded
    );
}

#[test]
fn a_running_business_relationship_exempts_and_an_ended_one_or_consent_does_not() {
    let now = at(2026, 12, 6);
    let mut lead = contact("+12125550123");
    lead.ebr_until = Some(at(2027, 3, 1));
    assert_eq!(
        check(Purpose::Telemarketing, &lead, &BTreeMap::new(), now),
        RegistryCheck::Exempt {
            registry: Registry::UsNationalDnc,
            exemption: Exemption::EstablishedBusinessRelationship {
                until: at(2027, 3, 1)
            },
        }
    );
    lead.ebr_until = Some(at(2026, 12, 1));
    assert!(matches!(
        check(Purpose::Telemarketing, &lead, &BTreeMap::new(), now),
        RegistryCheck::NoFreshExtract { .. }
    ));
    // Consent, even written with all its evidence, is no exemption: the number is checked.
    lead.consent_type = Some(ConsentType::ExpressWritten);
    lead.consent_source = Some("web form".into());
    lead.consent_at = Some(at(2026, 1, 1));
    lead.consent_reference = Some("form-7".into());
    assert!(matches!(
        check(
            Purpose::Telemarketing,
            &lead,
            &us_extracts("2026-12-01"),
            now
        ),
        RegistryCheck::Check { .. }
    ));
}

#[test]
fn the_uk_list_honours_no_business_relationship() {
    let now = at(2026, 12, 6);
    let mut lead = contact("+442079460958");
    lead.ebr_until = Some(at(2027, 3, 1));
    assert!(matches!(
        check(Purpose::Telemarketing, &lead, &BTreeMap::new(), now),
        RegistryCheck::NoFreshExtract {
            registry: Registry::UkTps,
            ..
        }
    ));
}

#[test]
fn entries_outlive_every_extract_that_may_still_be_relied_on() {
    for registry in Registry::ALL {
        let downloaded: NaiveDate = "2026-11-01".parse().unwrap();
        let expires = RegistryExtract::entries_expire_at(downloaded, registry);
        let extract = RegistryExtract {
            downloaded_on: downloaded,
            ..extract("2026-11-01")
        };
        // The last instant the extract is fresh is before its entries may go.
        let last_fresh = (downloaded + Days::new(registry.max_age_days()))
            .and_hms_opt(23, 59, 59)
            .unwrap()
            .and_utc();
        assert!(extract.fresh_at(registry, last_fresh));
        assert!(!extract.fresh_at(registry, last_fresh + chrono::Duration::seconds(1)));
        assert!(expires > last_fresh + chrono::Duration::days(registry.max_age_days() as i64));
    }
}

#[test]
fn the_message_says_which_registry_how_old_and_the_limit() {
    let now = at(2026, 12, 31);
    let message =
        no_fresh_extract_message(Registry::UsNationalDnc, Some(&extract("2026-11-20")), now);
    assert!(
        message.contains("National Do Not Call Registry"),
        "{message}"
    );
    assert!(message.contains("41 days ago (limit 31 days)"), "{message}");
    let none = no_fresh_extract_message(Registry::UkTps, None, now);
    assert!(none.contains("no extract"), "{none}");
}
