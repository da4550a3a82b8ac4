//! How the tenants dialing on one provider account divide its calls per second.
//!
//! Every tenant that wants calls on an account (it tried to start one in the last half minute)
//! is *dialing* there, with a weight its plan gives it. Each second is split in two:
//!
//! - in the **reserved part** (its first [`RESERVED_MILLIS`]), a tenant may start at most its
//!   weighted share of the account's limit, rounded up and at least one call, so a tenant with
//!   a huge backlog cannot take the seconds of the others;
//! - in the **lending part** (the rest), only the account's own limit holds: whatever the
//!   reserved part left unused goes to whoever still wants it, so the account's capacity is
//!   never left idle while a tenant waits (work-conserving).
//!
//! A tenant alone on the account has no share to keep: the whole second is its. The account's
//! bucket bounds the sum in every case: rounding up lets the shares add to a little more than
//! the limit, never the starts.

use chrono::{DateTime, Timelike, Utc};

/// The part of each second in which tenants are held to their shares.
pub const RESERVED_MILLIS: u32 = 500;

/// A tenant's calls per second on an account allowing `limit`, when the tenants dialing there
/// weigh `total_weight` together and it weighs `weight` of that: its proportional part,
/// rounded up, at least one call and at most the limit.
pub fn weighted_share(limit: u32, weight: u32, total_weight: u32) -> u32 {
    let (limit, weight) = (u64::from(limit), u64::from(weight.max(1)));
    let total = u64::from(total_weight).max(weight);
    let share = (limit * weight).div_ceil(total);
    share.clamp(1, limit.max(1)) as u32
}

/// Whether `now` falls in its second's reserved part (shares hold) rather than the lending part.
pub fn in_reserved_part(now: DateTime<Utc>) -> bool {
    now.nanosecond() % 1_000_000_000 < RESERVED_MILLIS * 1_000_000
}

/// When a start refused in the reserved part may try again: the lending part of the same
/// second, where the others' unused shares are free.
pub fn lending_starts(now: DateTime<Utc>) -> DateTime<Utc> {
    let second = now.with_nanosecond(0).unwrap_or(now);
    second + chrono::Duration::milliseconds(i64::from(RESERVED_MILLIS))
}

/// The calls per second a tenant of `weight` may start in the reserved part of a second on an
/// account allowing `limit`, with `dialing` the weights of every tenant dialing there
/// (itself included or not); `None` when it is alone and the whole second is its.
pub fn reserved_share(
    limit: u32,
    weight: u32,
    others: impl IntoIterator<Item = u32>,
) -> Option<u32> {
    let others: u32 = others.into_iter().map(|w| w.max(1)).sum();
    (others > 0).then(|| weighted_share(limit, weight, weight.max(1) + others))
}

/// How long a start may wait past its plan and still try again at the next chance.
pub const PROMPT_RETRIES_FOR: chrono::Duration = chrono::Duration::seconds(2);
/// The longest a start in a backlog waits between tries, before its spread.
pub const MOST_BETWEEN_TRIES: chrono::Duration = chrono::Duration::seconds(4);

/// When a start refused for the provider's rate tries again. `next_chance` is the soonest it
/// could succeed (the lending part of this second after a refused share, the next second after
/// a spent account); `planned` is when it was meant to start; `salt` spreads a backlog's tries.
///
/// A start that has waited less than [`PROMPT_RETRIES_FOR`] tries at the next chance, so a
/// tenant within its share waits at most a second or two. One that has waited longer is in a
/// backlog: it tries again after half its wait so far (at most [`MOST_BETWEEN_TRIES`]),
/// stretched by 0.5-1.5 by `salt`. Every try of a refused start is a refused transaction,
/// which DynamoDB bills, and they all land on the account's one bucket item: a backlog of 100
/// starts retrying every half second makes up to 200 claims a second for the account's few
/// calls, where this makes about 25 — still many more than the account starts, so its seconds
/// stay full. The price: a backlog is served roughly newest first (a new start tries at once,
/// an old one every few seconds), so its oldest wait longer, still well inside the lease.
pub fn retry_after_refusal(
    now: DateTime<Utc>,
    planned: DateTime<Utc>,
    next_chance: DateTime<Utc>,
    salt: u64,
) -> DateTime<Utc> {
    let waited = now - planned;
    if waited < PROMPT_RETRIES_FOR {
        return next_chance;
    }
    let base = (waited / 2).min(MOST_BETWEEN_TRIES).num_milliseconds();
    let stretch = 500 + (salt % 1001) as i64; // per mille, 500..=1500
    next_chance.max(now + chrono::Duration::milliseconds(base * stretch / 1000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equal_tenants_split_the_second_evenly_rounding_up() {
        assert_eq!(reserved_share(30, 1, [1, 1]), Some(10));
        assert_eq!(reserved_share(10, 1, [1, 1]), Some(4));
        assert_eq!(reserved_share(1, 1, [1, 1]), Some(1));
    }

    #[test]
    fn a_heavier_tenant_gets_a_bigger_share() {
        assert_eq!(reserved_share(30, 4, [1, 1]), Some(20));
        assert_eq!(reserved_share(30, 1, [4, 1]), Some(5));
    }

    #[test]
    fn a_tenant_alone_has_the_whole_second() {
        assert_eq!(reserved_share(30, 1, []), None);
    }

    #[test]
    fn the_first_half_of_a_second_is_reserved_and_the_rest_is_lent() {
        let at = |ms: i64| {
            "2026-06-08T14:00:07Z".parse::<DateTime<Utc>>().unwrap()
                + chrono::Duration::milliseconds(ms)
        };
        assert!(in_reserved_part(at(0)));
        assert!(in_reserved_part(at(499)));
        assert!(!in_reserved_part(at(500)));
        assert!(!in_reserved_part(at(999)));
        assert_eq!(lending_starts(at(120)), at(500));
    }

    fn at(ms: i64) -> DateTime<Utc> {
        "2026-06-08T14:00:00Z".parse::<DateTime<Utc>>().unwrap()
            + chrono::Duration::milliseconds(ms)
    }

    #[test]
    fn a_start_that_has_barely_waited_tries_at_the_next_chance() {
        assert_eq!(
            retry_after_refusal(at(1_900), at(0), at(2_000), 7),
            at(2_000)
        );
    }

    #[test]
    fn a_start_in_a_backlog_tries_after_half_its_wait_spread_and_bounded() {
        // Waited 6 s: about 3 s more, stretched by 0.5 (salt 0) to 1.5 (salt 1000).
        assert_eq!(
            retry_after_refusal(at(6_000), at(0), at(7_000), 0),
            at(7_500)
        );
        assert_eq!(
            retry_after_refusal(at(6_000), at(0), at(7_000), 1_000),
            at(10_500)
        );
        // Waited a minute: at most 4 s, stretched.
        assert_eq!(
            retry_after_refusal(at(60_000), at(0), at(61_000), 1_000),
            at(66_000)
        );
    }

    proptest! {
        #[test]
        fn a_refused_start_never_tries_before_its_next_chance_nor_long_after(
            waited in 0i64..600_000, chance in 1i64..1_000, salt in any::<u64>()
        ) {
            let now = at(waited);
            let next = retry_after_refusal(now, at(0), now + chrono::Duration::milliseconds(chance), salt);
            prop_assert!(next >= now + chrono::Duration::milliseconds(chance));
            prop_assert!(next <= now + chrono::Duration::milliseconds(chance.max(6_000)));
        }

        #[test]
        fn every_share_is_between_one_call_and_the_limit(
            limit in 1u32..10_000, weight in 0u32..100, others in proptest::collection::vec(0u32..100, 0..20)
        ) {
            if let Some(share) = reserved_share(limit, weight, others) {
                prop_assert!((1..=limit).contains(&share));
            }
        }

        #[test]
        fn the_shares_cover_the_limit_and_overshoot_it_by_rounding_only(
            limit in 1u32..10_000, weights in proptest::collection::vec(1u32..100, 2..20)
        ) {
            let shares: Vec<u32> = (0..weights.len())
                .map(|i| {
                    let others = weights.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, w)| *w);
                    reserved_share(limit, weights[i], others).unwrap()
                })
                .collect();
            let sum: u32 = shares.iter().sum();
            prop_assert!(sum >= limit, "{shares:?} leave part of {limit} to no one");
            prop_assert!(sum <= limit + weights.len() as u32, "{shares:?} overshoot {limit}");
        }

        #[test]
        fn a_tenant_that_weighs_more_never_gets_less(
            limit in 1u32..10_000, light in 1u32..50, extra in 0u32..50, others in proptest::collection::vec(1u32..100, 1..10)
        ) {
            let a = reserved_share(limit, light, others.clone()).unwrap();
            let b = reserved_share(limit, light + extra, others).unwrap();
            prop_assert!(b >= a);
        }
    }
}
