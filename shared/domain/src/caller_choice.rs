//! Local presence: which of a pool's caller numbers a call goes out from. People answer a
//! number that looks near them; so the closest number the pool has free is chosen — the same
//! area code, else the same state (or, abroad, the same country), else the same time zone, else
//! the pool's default — spread over the numbers equally close, so no one number carries a
//! state's calls. What "free" means (still the tenant's, not rested, under its own limits) is
//! the caller's to say; a pool with no free number gives no choice, and the lead waits.

use serde::{Deserialize, Serialize};

use crate::phone::E164;

/// How close a caller number is to the contact, closest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "match", content = "value", rename_all = "snake_case")]
pub enum Closeness {
    /// The same NANP area code (`212`).
    AreaCode(String),
    /// The same state or province (`US-NY`), or abroad the same country (`GB`).
    State(String),
    /// A time zone both numbers may be in (`America/New_York`).
    TimeZone(String),
    /// Nothing nearer: the pool's default, or any free number.
    Default,
}

impl Closeness {
    /// 0 for the closest kind, 3 for none.
    pub fn rank(&self) -> u8 {
        match self {
            Self::AreaCode(_) => 0,
            Self::State(_) => 1,
            Self::TimeZone(_) => 2,
            Self::Default => 3,
        }
    }

    /// Why the number was chosen, as a person reads it ("same area code 212").
    pub fn describe(&self) -> String {
        match self {
            Self::AreaCode(code) => format!("same area code {code}"),
            Self::State(state) => format!("same state {state}"),
            Self::TimeZone(zone) => format!("same time zone {zone}"),
            Self::Default => "the pool's default".to_owned(),
        }
    }
}

/// How close `caller` is to `contact`.
pub fn closeness(caller: &E164, contact: &E164) -> Closeness {
    let area = |n: &E164| {
        let digits = n.digits();
        (digits.len() == 11 && digits.starts_with('1')).then(|| digits[1..4].to_owned())
    };
    if let (Some(a), Some(b)) = (area(caller), area(contact))
        && a == b
    {
        return Closeness::AreaCode(a);
    }
    match (caller.nanp_subdivision(), contact.nanp_subdivision()) {
        (Some(a), Some(b)) if a == b => return Closeness::State(a.to_owned()),
        // Abroad (or one side NANP only): the country, when both have one and it is not the
        // NANP's shared `+1` spread over countries already told apart above.
        (None, None) => {
            if let (Some(a), Some(b)) = (caller.region(), contact.region())
                && a == b
            {
                return Closeness::State(a.code());
            }
        }
        _ => {}
    }
    let theirs = contact.candidate_zones();
    match caller.candidate_zones().iter().find(|z| theirs.contains(z)) {
        Some(zone) => Closeness::TimeZone(zone.name().to_owned()),
        None => Closeness::Default,
    }
}

/// The number chosen for a call, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub number: E164,
    pub closeness: Closeness,
}

/// Chooses the caller number for a call to `contact` among the numbers of `pool` that are
/// `free`: the closest, spread by `spread` (say, a hash of the lead and attempt, so a retry may
/// go out from another number) over the equally close ones. When none is nearer than the
/// default, the pool's `default` if it is free, else the spread over every free number.
/// `None` when no number of the pool is free.
pub fn choose(
    pool: &[E164],
    default: Option<&E164>,
    contact: &E164,
    spread: u64,
    free: impl Fn(&E164) -> bool,
) -> Option<Choice> {
    let mut scored: Vec<(Closeness, &E164)> = (pool.iter())
        .filter(|n| free(n))
        .map(|n| (closeness(n, contact), n))
        .collect();
    let best = scored.iter().map(|(c, _)| c.rank()).min()?;
    if best == Closeness::Default.rank()
        && let Some(default) = default.filter(|d| pool.contains(d) && free(d))
    {
        return Some(Choice {
            number: default.clone(),
            closeness: Closeness::Default,
        });
    }
    scored.retain(|(c, _)| c.rank() == best);
    scored.sort_by(|a, b| a.1.as_str().cmp(b.1.as_str()));
    let (closeness, number) = scored.swap_remove((spread % scored.len() as u64) as usize);
    Some(Choice {
        number: number.clone(),
        closeness,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn n(s: &str) -> E164 {
        E164::parse_strict(s).unwrap()
    }

    /// Numbers of a few places: New York City (212, 646), upstate New York (518), Los Angeles
    /// (213), Chicago (312), London.
    const PLACES: &[&str] = &[
        "+12125550100",
        "+16465550101",
        "+15185550102",
        "+12135550103",
        "+13125550104",
        "+442079460105",
    ];

    #[test]
    fn the_closest_kind_of_number_is_chosen_and_said_why() {
        let pool: Vec<E164> = PLACES.iter().map(|p| n(p)).collect();
        let all = |_: &E164| true;
        let to = |p| choose(&pool, None, &n(p), 0, all).unwrap();
        assert_eq!(to("+12125559999").number, n("+12125550100"));
        assert_eq!(
            to("+12125559999").closeness.describe(),
            "same area code 212"
        );
        // 917 is New York City, but no number of the pool has it: New York state.
        let state = to("+19175559999");
        assert_eq!(state.closeness, Closeness::State("US-NY".into()));
        assert!(pool[..3].contains(&state.number), "{state:?}");
        // Boston: no Massachusetts number; New York shares its time zone.
        let zone = to("+16175559999");
        assert_eq!(zone.closeness.rank(), 2, "{zone:?}");
        // Manchester: the London number, the same country.
        assert_eq!(to("+441615559999").number, n("+442079460105"));
        assert_eq!(to("+441615559999").closeness, Closeness::State("GB".into()));
    }

    #[test]
    fn with_nothing_near_the_default_is_used_while_free() {
        let pool = vec![n("+12125550100"), n("+13125550104")];
        let honolulu = n("+18085559999");
        let default = n("+13125550104");
        let chosen = choose(&pool, Some(&default), &honolulu, 0, |_| true).unwrap();
        assert_eq!(
            (chosen.number, chosen.closeness),
            (default.clone(), Closeness::Default)
        );
        let busy = |x: &E164| *x != default;
        let other = choose(&pool, Some(&default), &honolulu, 0, busy).unwrap();
        assert_eq!(other.number, n("+12125550100"));
        assert!(choose(&pool, Some(&default), &honolulu, 0, |_| false).is_none());
    }

    #[test]
    fn the_spread_reaches_every_equally_close_number() {
        let pool = vec![n("+12125550100"), n("+12125550199"), n("+12125550142")];
        let chosen: BTreeSet<E164> = (0..3)
            .map(|k| {
                choose(&pool, None, &n("+12125559999"), k, |_| true)
                    .unwrap()
                    .number
            })
            .collect();
        assert_eq!(chosen.len(), 3);
    }

    fn place() -> impl Strategy<Value = E164> {
        (0..PLACES.len(), 0u32..100).prop_map(|(i, tail)| {
            let base = PLACES[i];
            let digits = &base[..base.len() - 2];
            n(&format!("{digits}{tail:02}"))
        })
    }

    proptest! {
        /// Whatever the pool, the contact and which numbers are free: the choice is one of the
        /// pool's free numbers, none free is closer, and there is a choice whenever one is free.
        #[test]
        fn the_choice_is_always_a_free_pool_number_and_the_closest_free_one(
            pool in proptest::collection::vec(place(), 0..8),
            busy in proptest::collection::vec(any::<bool>(), 8),
            contact in place(),
            spread in any::<u64>(),
            default_index in 0usize..8,
        ) {
            let free = |x: &E164| {
                pool.iter().position(|p| p == x).is_some_and(|i| !busy[i])
            };
            let default = pool.get(default_index);
            let choice = choose(&pool, default, &contact, spread, free);
            let any_free = pool.iter().any(free);
            prop_assert_eq!(choice.is_some(), any_free);
            if let Some(choice) = choice {
                prop_assert!(pool.contains(&choice.number));
                prop_assert!(free(&choice.number), "a busy number was chosen");
                let best = (pool.iter()).filter(|x| free(x))
                    .map(|x| closeness(x, &contact).rank()).min().unwrap();
                prop_assert_eq!(choice.closeness.rank(), best);
                prop_assert_eq!(closeness(&choice.number, &contact).rank(), best);
            }
        }
    }
}
