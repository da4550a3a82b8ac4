#!/usr/bin/env python3
"""The Python reference for the import benchmark: the same work as the Rust pipeline with the
standard `csv` module and Google's libphonenumber (`phonenumbers`): parse each row, normalize
the number to E.164 (US default region), validate it, look up its time zones, drop in-file
duplicates, and build the item dict. Prints one JSON line: rows, seconds, rows_per_s,
peak_rss_mb.

Usage: .venv/bin/python infra/bench/import_reference.py FILE [MAX_ROWS]
"""
import csv
import hashlib
import json
import resource
import sys
import time

import phonenumbers
from phonenumbers import timezone


def main():
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else None
    seen = set()
    items = 0
    rejected = 0
    rows = 0
    start = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        phone_col = header.index("phone")
        for row in reader:
            rows += 1
            if limit and rows > limit:
                rows -= 1
                break
            raw = row[phone_col] if phone_col < len(row) else ""
            try:
                number = phonenumbers.parse(raw, "US")
            except phonenumbers.NumberParseException:
                rejected += 1
                continue
            if not phonenumbers.is_valid_number(number):
                rejected += 1
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 in seen:
                rejected += 1
                continue
            seen.add(e164)
            zones = timezone.time_zones_for_number(number)
            lead_id = hashlib.sha256(b"campaign\x00" + e164.encode()).hexdigest()[:24]
            item = {
                "pk": "L#tenant#campaign#" + str(int(lead_id[:6], 16) % 4),
                "sk": lead_id,
                "contact": {"phone": e164, "name": row[1] if len(row) > 1 else "",
                            "custom": dict(zip(header[2:], row[2:]))},
                "zones": list(zones),
                "status": "pending",
            }
            items += bool(item)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "items": items, "rejected": rejected, "seconds": round(seconds, 3),
                      "rows_per_s": round(rows / seconds), "peak_rss_mb": round(peak, 1)}))


if __name__ == "__main__":
    main()
