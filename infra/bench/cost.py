#!/usr/bin/env python3
"""Cost per 1,000 call attempts on AWS list prices (us-east-1, on-demand, arm64), line by line.

Inputs, each printed with the result so it can be challenged:
- requests per attempt by operation: the dispatch benchmark's counts
  (`BENCH_LARGE=5000 ./infra/bench.sh dispatch`, 300 leads, 320 attempts; BENCHMARKS.md);
- item sizes: MEASURED from the table after the dispatch benchmark (its "Item sizes as
  stored" table): a called lead — with its call log, agent report and clearance — 1,018 B
  median, 1,672 B p95, 2,390 B max (938 B before the clearance carried the tenant-wide counts
  of the frequency caps; 1,051 B with their first, nested form); the campaign counters item
  320 B; an hour bucket 80 B; a number's call ledger 119 B. At the median a lead write is 1
  write unit, just (under 1,024 B); past it (about the slower half at 2,000 leads) it is 2;
- handler durations: ESTIMATES (the emulator's timings say nothing about DynamoDB's), at the
  template's memory sizes;
- provider events and agent reports per call: `./infra/bench.sh twilio`.

The last table applies the same model to the sixteenth session's dispatch run, before and
after the attempt records moved off the lead item (`SESSION_RUNS`: that run's counts and sizes).

Each lead write is paid in the table and again in the `due` index (which projects ALL: the tick
reads whole leads from it); the `by_status` index projects keys only, so only a change of the
lead's public status writes there (before, with ALL, every lead write did). Usage:
python3 infra/bench/cost.py
"""

import math

PRICE = {
    "dynamodb_wru": 0.625 / 1e6,  # per write request unit (on-demand)
    "dynamodb_rru": 0.125 / 1e6,  # per read request unit (on-demand)
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s_arm": 0.0000133334,
    "sqs_request": 0.40 / 1e6,  # standard queue, per 64 KB chunk
    "http_api_request": 1.00 / 1e6,
    "scheduler_invocation": 1.00 / 1e6,
}

ATTEMPTS = 320  # in the measured run
# DynamoDB requests over the run, by operation (BENCHMARKS.md, dispatch with the report path).
REQUESTS = {"TransactWriteItems": 654, "UpdateItem": 1086, "GetItem": 1218, "Query": 224,
            "BatchGetItem": 78}
# Of the run's 1,115 UpdateItems, the guardrails' snapshot writes (the HEALTH item, 109 B: one
# unit each), counted apart from the lead-sized updates above.
HEALTH_WRITES = 29
# The tick's batch read holds three items (campaign, counters, guardrail snapshots).
BATCH_ITEMS = 3
# Of the GetItems, the dialer's eventually consistent read of the number's call ledger (one
# per claim; 0.5 unit) — the rest are strongly consistent (1 unit).
LEDGER_READS = 320
# Each claim's transaction also updates the number's ledger (small item, x2 transactional).
LEDGER_WRU_PER_ATTEMPT = 2
SQS = {"SendMessageBatch": 53, "ReceiveMessage": 130, "DeleteMessage": 320}
TICKS = 78

LEAD_KB = 0.99  # measured median 1,018 B (p95 1.63 KB: set it to see the upper line)
COUNTERS_KB = 0.32  # measured


def wru(kb: float) -> int:
    return math.ceil(kb)


# Of the lead writes, those that change the lead's public status (the claim: pending ->
# calling; the outcome: calling -> a final status or back to pending), by construction about
# two per attempt. A write that changes an index key is a delete and a put in that index.
STATUS_CHANGES_PER_ATTEMPT = 2


def by_status_wru(lead_writes: float, keys_only: bool) -> float:
    """Write units the by_status index adds over the run."""
    status_changes = STATUS_CHANGES_PER_ATTEMPT * ATTEMPTS
    if keys_only:
        # Only a status change touches a keys-only index: delete + put of a ~150 B entry.
        return status_changes * 2
    # Projecting ALL: every lead write rewrites the entry; a status change deletes the old
    # entry and puts the new one, each the lead's size.
    return (lead_writes + status_changes) * wru(LEAD_KB)


def dynamodb_units(by_status_keys_only: bool) -> tuple[float, float]:
    """Write and read units per attempt."""
    # Lead writes over the run: the transition transactions and the leases' updates (80% of
    # the UpdateItems; the rest are the tick's small counters and hint writes).
    lead_writes = REQUESTS["TransactWriteItems"] + REQUESTS["UpdateItem"] * 0.8
    # A transition transaction: the lead (x2, transactional), the counters item and often an
    # hour bucket (x2 each); the due index's entry of the lead (ALL, one copy) per lead write.
    tx = 2 * wru(LEAD_KB) + wru(LEAD_KB) + 2 * wru(COUNTERS_KB) + 2 * 1
    updates = REQUESTS["UpdateItem"] * 0.8 * 2 * wru(LEAD_KB) + REQUESTS["UpdateItem"] * 0.2 * 1
    writes = (REQUESTS["TransactWriteItems"] * tx + updates + LEDGER_WRU_PER_ATTEMPT * ATTEMPTS
              + HEALTH_WRITES + by_status_wru(lead_writes, by_status_keys_only))
    # Reads: eventually consistent GetItem/Query are 0.5 unit per 4 KB; strongly consistent 1.
    # (Listing leads by status now reads them from the table: an API read, not dispatch's.)
    reads = ((REQUESTS["GetItem"] - LEDGER_READS) * 1 + LEDGER_READS * 0.5
             + REQUESTS["Query"] * 4 + REQUESTS["BatchGetItem"] * BATCH_ITEMS)
    return writes / ATTEMPTS, reads / ATTEMPTS


def lines(keys_only: bool, webhooks_per_call: float, reports_per_call: float):
    w, r = dynamodb_units(keys_only)
    # Lambda: dialer batches of 10, one call-events invocation per provider event and per report, a
    # tick per minute; 60 ms each at 512 MB (API, call-events), 256 MB (dialer, tick): estimates.
    invocations = {
        "dialer": (0.1, 0.25, 0.3),  # (per attempt, GB, seconds per invocation)
        "call-events (provider events)": (webhooks_per_call, 0.5, 0.06),
        "call-events (reports)": (reports_per_call, 0.5, 0.06),
        "tick": (TICKS / ATTEMPTS, 0.25, 0.2),
    }
    out = [
        ("DynamoDB writes",
         f"{w:.1f} WRU/attempt (by_status {'keys only' if keys_only else 'ALL'}, due ALL)",
         w * PRICE["dynamodb_wru"]),
        ("DynamoDB reads", f"{r:.1f} RRU/attempt", r * PRICE["dynamodb_rru"]),
    ]
    for name, (n, gb, seconds) in invocations.items():
        cost = n * (PRICE["lambda_request"] + gb * seconds * PRICE["lambda_gb_s_arm"])
        out.append((f"Lambda {name}", f"{n:.2f} invocations/attempt, {gb*1024:.0f} MB, {seconds*1000:.0f} ms (est.)", cost))
    sqs = sum(SQS.values()) / ATTEMPTS
    out.append(("SQS", f"{sqs:.2f} requests/attempt", sqs * PRICE["sqs_request"]))
    api = webhooks_per_call + reports_per_call
    out.append(("API Gateway (HTTP API)", f"{api:.2f} requests/attempt (provider events + agent reports)",
                api * PRICE["http_api_request"]))
    out.append(("EventBridge Scheduler", f"{TICKS / ATTEMPTS:.2f} ticks/attempt",
                TICKS / ATTEMPTS * PRICE["scheduler_invocation"]))
    return out


def table(title: str, keys_only: bool) -> float:
    # The dispatch run's campaign detects machines: the end-of-call event and, for answered
    # calls, the verdict's (1.67 per attempt; Twilio with AMD: 2 per answered call); the
    # simulated agent's 0.68 reports per attempt.
    rows = lines(keys_only, webhooks_per_call=1.67, reports_per_call=0.68)
    total = sum(c for _, _, c in rows)
    print(f"\n### {title}\n")
    print("| line | basis | $ per 1,000 attempts |\n|---|---|---:|")
    for name, basis, cost in rows:
        print(f"| {name} | {basis} | {cost * 1000:.4f} |")
    print(f"| **total** | | **{total * 1000:.4f}** |")
    return total


def webhook_lines() -> float:
    """What one call costs more when the tenant has an endpoint for call.completed (not in
    the totals above: a tenant without webhooks pays none of it). Per call: the outbox item in
    the outcome's transaction (2 WRU); the fan-out (event read, endpoints query, delivery put,
    event update); one delivery try (delivery read, endpoints query, delivery write, ~1.5 KB);
    four SQS requests for each of the two jobs' send, receive and delete (batched receive
    counted whole: an upper line); two webhook-function invocations of ~100 ms at 256 MB
    (estimates)."""
    wru = 2 + 1 + 1 + 2
    rru = 1 + 1 + 1 + 1
    sqs = 6
    lam = 2 * (PRICE["lambda_request"] + 0.25 * 0.1 * PRICE["lambda_gb_s_arm"])
    total = (wru * PRICE["dynamodb_wru"] + rru * PRICE["dynamodb_rru"]
             + sqs * PRICE["sqs_request"] + lam)
    print("\n### Outbound webhooks, per call told (tenants with an endpoint for call.completed)\n")
    print("| line | basis | $ per 1,000 attempts |\n|---|---|---:|")
    print(f"| DynamoDB | {wru} WRU + {rru} RRU | {(wru * PRICE['dynamodb_wru'] + rru * PRICE['dynamodb_rru']) * 1000:.4f} |")
    print(f"| SQS | {sqs} requests | {sqs * PRICE['sqs_request'] * 1000:.4f} |")
    print(f"| Lambda webhooks | 2 invocations, 256 MB, 100 ms (est.) | {lam * 1000:.4f} |")
    print(f"| **total** | | **{total * 1000:.4f}** |")
    return total


# The same model on this session's dispatch run (`BENCH_LARGE=5000 ./infra/bench.sh dispatch`,
# 300 leads, 320 attempts, 217 agent reports), before (at 23a20e0) and after the attempt
# records moved off the lead item into items of their own. Both runs made the same requests
# but for the 108 reports that came after their call's end: before, one UpdateItem of the lead;
# after, a transaction of the lead and the attempt's record, after a strongly consistent
# BatchGetItem of that record. Each outcome's transaction also writes its record (320).
SESSION_RUNS = {
    "before": dict(requests={"TransactWriteItems": 654, "UpdateItem": 1299, "GetItem": 1402,
                             "Query": 507, "BatchGetItem": 78, "PutItem": 282},
                   lead_bytes=1075, record_bytes=0, record_writes=0, record_reads=0),
    "after": dict(requests={"TransactWriteItems": 762, "UpdateItem": 1191, "GetItem": 1402,
                            "Query": 507, "BatchGetItem": 78, "PutItem": 282},
                  lead_bytes=359, record_bytes=770, record_writes=320 + 108, record_reads=108),
}


def session_units(run: dict) -> tuple[float, float]:
    """Write and read units per attempt of one of this session's runs: the model above (by_status
    keys only), the lead at the run's measured median size, small PutItems (CPS buckets, call
    ledgers' first writes: 1 unit), and the records (2 units a write inside a transaction, 1 a
    strongly consistent read)."""
    global REQUESTS, LEAD_KB
    saved = (REQUESTS, LEAD_KB)
    REQUESTS, LEAD_KB = run["requests"], run["lead_bytes"] / 1024
    try:
        w, r = dynamodb_units(by_status_keys_only=True)
    finally:
        REQUESTS, LEAD_KB = saved
    record_wru = wru(run["record_bytes"] / 1024)
    w += (run["requests"]["PutItem"] + run["record_writes"] * 2 * record_wru) / ATTEMPTS
    r += run["record_reads"] / ATTEMPTS
    return w, r


def session_table() -> None:
    print("\n### This session's run: attempt records on the lead item, then items of their own\n")
    # Lambda, SQS, API Gateway and the scheduler: the same in both runs.
    other = sum(c for name, _, c in lines(True, 1.67, 0.68) if not name.startswith("DynamoDB"))
    print("| run | lead median | DynamoDB WRU / RRU per attempt | DynamoDB $ | total $ per 1,000 attempts |")
    print("|---|---:|---:|---:|---:|")
    for name, run in SESSION_RUNS.items():
        w, r = session_units(run)
        dynamo = w * PRICE["dynamodb_wru"] + r * PRICE["dynamodb_rru"]
        print(f"| {name} | {run['lead_bytes']} B ({wru(run['lead_bytes'] / 1024)} WRU) "
              f"| {w:.1f} / {r:.1f} | {dynamo * 1000:.4f} | {(dynamo + other) * 1000:.4f} |")


def main() -> None:
    # Projecting only what each index's query reads: the due index's query reads whole leads
    # (the tick hands them to the dialers), so it keeps ALL; the by_status index's listing
    # reads keys and then the leads from the table (template.yaml, since this session).
    before = table("Before: both lead indexes project ALL attributes", keys_only=False)
    now = table("Now: the by_status index projects keys only", keys_only=True)
    told = webhook_lines()
    session_table()
    print(f"\ngoal: <= $0.01 per 1,000 attempts; on the fifth session's counts: before the "
          f"by_status cut ${before * 1000:.4f}, after ${now * 1000:.4f}; with call.completed "
          f"webhooks +${told * 1000:.4f}; on this session's run: the last table")


if __name__ == "__main__":
    main()
