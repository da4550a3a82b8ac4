"""Schemathesis hooks for the contract test: generators that follow the API's runtime rules
where a JSON schema cannot say them (infra/contract-test.sh loads this file).

- Formats: `caller-number` is a number the operators registered for the tenant (the demo
  tenant's), `phone` a valid number in a country the tenant may call, `region` a region with
  phone numbering, `agent-id` the seeded agent (a campaign names one of the tenant's agents).
- Campaign bodies: a window's ranges start before they end and do not overlap, and `ends_at`
  comes after `starts_at`; a blackout entry lies within 2000-2100, its `to` on or after its
  `from` and at most 62 days later. Only values that already satisfy the schema are rearranged, so a
  deliberately invalid (negative) case stays invalid.
- The bulk DNC upload's `default_region`: two letters are given a region with phone numbering
  (a schema cannot list the regions libphonenumber knows).
- Contact caps: `per_local_day` no more than `per_7_days` (two schema-valid caps are swapped).
- Agents: a Twilio agent's `provider_agent_ref` is its media stream's `wss://` URL without a
  query or fragment, at most 600 characters as TwiML writes it (a schema-valid reference of
  another shape is given that form; the OpenAPI pattern cannot depend on `provider`).
- Registry extracts: `downloaded_on` within the registry's age limit of today (a relation to
  the server's clock a schema cannot state): a schema-valid date becomes yesterday.
"""

import json
import os
import re
from datetime import date, datetime, timezone

import schemathesis
from hypothesis import strategies as st

IDS = json.load(open(os.environ["CONTRACT_IDS"])) if os.environ.get("CONTRACT_IDS") else {}

schemathesis.openapi.format("caller-number", st.just("+14155550199"))
schemathesis.openapi.format(
    "phone",
    st.sampled_from(["+14155552671", "+12125550100", "+13125550123", "(415) 555-2671"]),
)
schemathesis.openapi.format("region", st.sampled_from(["US", "CA", "GB", "DE", "FR", "AU"]))
schemathesis.openapi.format("agent-id", st.just(IDS.get("agent_id", "missing-seed")))

EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
START = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
END = re.compile(r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")


def _minutes(text):
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _day(ranges):
    """Valid ranges of a day, sorted and without overlaps; None if any is not schema-valid."""
    if not isinstance(ranges, list):
        return None
    spans = []
    for r in ranges:
        if not (isinstance(r, dict) and set(r) == {"start", "end"}):
            return None
        start, end = r["start"], r["end"]
        if not (isinstance(start, str) and isinstance(end, str)):
            return None
        if not (START.match(start) and END.match(end)):
            return None
        a, b = sorted((_minutes(start), _minutes(end)))
        if a == b:
            continue
        spans.append((a, b))
    spans.sort()
    kept, last = [], -1
    for a, b in spans:
        if a >= last:
            kept.append((a, b))
            last = b
    return [{"start": f"{a // 60:02d}:{a % 60:02d}", "end": "24:00" if b == 1440 else f"{b // 60:02d}:{b % 60:02d}"} for a, b in kept]


@schemathesis.hook
def map_body(ctx, body):
    path = ctx.operation.path if ctx.operation is not None else ""
    if path == "/v1/contact-caps" and isinstance(body, dict):
        return _caps(body)
    if path.startswith("/v1/webhook-endpoints") and isinstance(body, dict):
        return _endpoint(body)
    if path.startswith("/v1/agents") and isinstance(body, dict):
        return _agent(body)
    if path == "/v1/registries/{registry}/extracts" and isinstance(body, dict):
        return _extract(body)
    if not path.startswith("/v1/campaigns") or not isinstance(body, dict):
        return body
    schedule = body.get("schedule")
    if not isinstance(schedule, dict):
        return body
    window = schedule.get("window")
    if isinstance(window, dict):
        fixed = {day: _day(ranges) for day, ranges in window.items()}
        if all(v is not None for v in fixed.values()):
            if not any(fixed.values()):
                fixed["monday"] = [{"start": "09:00", "end": "17:00"}]
            schedule["window"] = fixed
    # Dates within the API's range (2000 to 2100), the end after the start.
    dates = {}
    for key in ("starts_at", "ends_at"):
        value = schedule.get(key)
        if isinstance(value, str):
            try:
                dates[key] = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return body
            if dates[key].tzinfo is None:
                return body
            if not (EARLIEST <= dates[key] < LATEST):
                schedule.pop(key)
                dates.pop(key)
    if len(dates) == 2 and dates["ends_at"] <= dates["starts_at"]:
        schedule.pop("ends_at")
    blackout = schedule.get("blackout")
    if isinstance(blackout, list):
        schedule["blackout"] = [b for b in (_blackout(e) for e in blackout) if b is not None]
    return body


ALL_EVENTS = ("call.completed", "lead.opted_out", "campaign.status_changed",
              "import.completed", "import.failed", "export.ready", "caller_number.rested")
ENDPOINT_FIELDS = {"url", "events", "description", "enabled"}


def _endpoint(body):
    """A schema-valid endpoint made valid for the API: a URL this local run may deliver to (a
    generated URI names any host) and no event type twice. A body that breaks
    the schema is left as it is: the API must refuse it."""
    url, events, description = body.get("url"), body.get("events"), body.get("description")
    valid = (
        set(body) <= ENDPOINT_FIELDS
        and isinstance(url, str) and 1 <= len(url) <= 2048
        and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$", url) is not None
        and isinstance(events, list) and 1 <= len(events) <= 7
        and all(isinstance(e, str) and e in ALL_EVENTS for e in events)
        and (description is None or (isinstance(description, str) and len(description) <= 200))
        and isinstance(body.get("enabled", True), bool)
    )
    if not valid:
        return body
    body["url"] = "http://127.0.0.1:9/generated"
    body["events"] = list(dict.fromkeys(events))
    return body


def _caps(body):
    """Caps with the day's no more than the week's, when both are schema-valid integers."""
    day, week = body.get("per_local_day"), body.get("per_7_days")
    valid = all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 20 for v in (day, week))
    if valid and day > week:
        body["per_local_day"], body["per_7_days"] = week, day
    return body


def _blackout(entry):
    """A schema-valid blackout entry made valid for the API; anything else as given."""
    if not isinstance(entry, dict) or not isinstance(entry.get("from"), str):
        return entry
    try:
        first = date.fromisoformat(entry["from"])
        last = date.fromisoformat(entry["to"]) if isinstance(entry.get("to"), str) else first
    except ValueError:
        return entry
    if not (EARLIEST.date() <= first < LATEST.date()):
        return None
    if last < first or (last - first).days >= 62 or last >= LATEST.date():
        entry.pop("to", None)
    return entry


def _agent(body):
    """A Twilio agent streams to a wss:// URL (see the module docs)."""
    ref = body.get("provider_agent_ref")
    if body.get("provider") == "twilio" and isinstance(ref, str) and ref.strip():
        path = re.sub(r"[^A-Za-z0-9/_.-]", "", ref)[:500]
        body = dict(body, provider_agent_ref=f"wss://agents.example.com/{path}")
    return body


def _extract(body):
    """A registry extract downloaded within the registry's age limit of the server's day (the
    local run's clock starts now): a schema-valid date is moved to yesterday; anything else is
    left as given, for the API to refuse."""
    day = body.get("downloaded_on")
    if isinstance(day, str):
        try:
            date.fromisoformat(day)
        except ValueError:
            return body
        yesterday = datetime.now(timezone.utc).date().toordinal() - 1
        body["downloaded_on"] = date.fromordinal(yesterday).isoformat()
    return body


REGIONS = ["US", "CA", "GB", "DE", "FR", "AU"]


@schemathesis.hook
def map_query(ctx, query):
    path = ctx.operation.path if ctx.operation is not None else ""
    if path == "/v1/dnc/bulk" and isinstance(query, dict):
        region = query.get("default_region")
        if isinstance(region, str) and len(region) == 2 and region.isalpha():
            query["default_region"] = REGIONS[sum(map(ord, region)) % len(REGIONS)]
    return query
