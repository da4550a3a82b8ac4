#!/usr/bin/env python3
"""Capacity on paper: how many call attempts per second one campaign, one tenant and one
provider account can start before a hot DynamoDB key throttles.

Every attempt writes some items that many attempts share (the hot keys). DynamoDB serves at
most 1,000 write units per second per partition (and per item); a write in a transaction costs
double, and every started KB is a unit. So a hot key allows

    attempts/s = 1000 / (writes per attempt x 2 x ceil(item KB))

The writes per attempt are read from the code (shared/adapters/src/store/leads/transition.rs,
keys.rs) and agree with the dispatch benchmark's counts (BENCHMARKS.md: 2 transactional writes
per attempt in the dial and the webhook phases); item sizes are the dispatch benchmark's
measured medians (its "Item sizes as stored" table: counters 320 B, hour bucket 80 B, a called
lead 1,018 B — its p95 of 1,672 B would cost two units —, campaign 877 B, CPS item 50 B; the
outbox event is an estimate), printed beside each line so they can be challenged. Usage: python3 infra/bench/capacity.py
"""

import math

PARTITION_WCU = 1000  # write units per second, per partition and per item
TRANSACTION = 2  # a write inside TransactWriteItems costs double

# (hot partition, what shares it, [(item, writes per attempt, estimated KB, transactional)])
HOT_PARTITIONS = [
    ("C#{tenant}#{campaign}", "one campaign", [
        # claim (in_flight, rolling-hour minute slots) + outcome (status and outcome counts)
        ("STATS (counters)", 2, 0.33, True),
        # claim (started) + outcome (connected, talk seconds)
        ("HOUR#{hour} (analytics)", 2, 0.08, True),
    ]),
    # The due index's call-deadline partition: the lead enters at the claim and leaves at the
    # outcome; index writes are standard writes of the projected item (ALL: the lead's size).
    ("D#{tenant}#{campaign}#call_deadline#0 (GSI)", "one campaign", [
        ("every lead on a call", 2, 1.0, False),
    ]),
    # The claim's condition that the campaign is still active (condition checks are billed as
    # writes); every campaign of the tenant lives in the tenant's partition.
    ("T#{tenant}", "one tenant", [
        ("CAMPAIGN#{id} (condition check)", 1, 0.88, True),
    ]),
    # A tenant with a webhook endpoint for call.completed: the outcome's transaction also puts
    # the event into the tenant's outbox partition (EV#{tenant}).
    ("EV#{tenant} (outbox)", "one tenant with webhooks", [
        ("call.completed event", 1, 1.0, True),
    ]),
    # The claim's token for the account's calls per second: a new item every second.
    ("CPS#{account}#{second}", "one provider account", [
        ("CPS", 1, 0.05, True),
    ]),
]

# Share of an attempt's reads and writes elsewhere (lead partitions, dial shards) are spread over
# 16 shards and per-lead items: not hot.


def units(writes: int, kb: float, transactional: bool) -> int:
    return writes * (TRANSACTION if transactional else 1) * math.ceil(kb)


def main() -> None:
    print("| hot partition | shared by | items written per attempt (writes x KB est., tx) | write units per attempt | attempts/s before it throttles |")
    print("|---|---|---|---:|---:|")
    by_scope = {}
    for key, scope, items in HOT_PARTITIONS:
        wcu = sum(units(w, kb, tx) for _, w, kb, tx in items)
        rate = PARTITION_WCU / wcu
        by_scope[scope] = min(by_scope.get(scope, math.inf), rate)
        what = "; ".join(f"{name}: {w} x {kb} KB{' tx' if tx else ''}" for name, w, kb, tx in items)
        print(f"| {key} | {scope} | {what} | {wcu} | {rate:.0f} |")
    print()
    print("| scope | first limit (attempts started per second) | per hour |")
    print("|---|---:|---:|")
    for scope, rate in by_scope.items():
        print(f"| {scope} | {rate:.0f} | {rate * 3600:,.0f} |")
    print()
    # Calls in progress a campaign can hold at that start rate, for calls of a given length.
    campaign = by_scope["one campaign"]
    for minutes in (1, 3):
        print(f"at {campaign:.0f} starts/s and {minutes}-minute calls: "
              f"{campaign * minutes * 60:,.0f} calls in progress at once")


if __name__ == "__main__":
    main()
