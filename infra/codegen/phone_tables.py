#!/usr/bin/env python3
"""Regenerate shared/domain/src/phone/tables.rs from libphonenumber's metadata.

Two tables come out of Google's libphonenumber (as carried by the Python `phonenumbers`
package, pinned in infra/requirements.txt):

* PREFIX_ZONES: E.164 digit prefix -> candidate IANA time zones (longest prefix wins).
  libphonenumber's names are mapped to current chrono-tz names where a zone was renamed
  (Asia/Calcutta -> Asia/Kolkata, ...). Area codes that libphonenumber splits across time
  zones get, at the area-code level, the union of every zone seen under them: a number in
  an exchange the data does not list may be on either side of the line, and a number that
  may be in several zones is only called when the window is open in all of them.
  Overlay area codes inherit their base code's zones (see OVERLAYS).
* NANP_AREA_CODES: NANP area code -> ISO 3166-2 subdivision (US state, Canadian province),
  used to apply state calling-hour rules.

Usage: .venv/bin/python infra/codegen/phone_tables.py  (writes the file and prints a summary)
The output is committed; CI does not regenerate it.
"""
from __future__ import annotations

import collections
import pathlib
import sys

import phonenumbers
from phonenumbers import tzdata
from phonenumbers.geodata import GEOCODE_DATA

OUT = pathlib.Path(__file__).resolve().parents[2] / "shared/domain/src/phone/tables.rs"

# Zones that tzdata renamed (the old spelling is only a backward-compatibility link).
# Source: tzdata `backward` file, "renamed" links.
RENAMED = {
    "Africa/Asmera": "Africa/Asmara",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Godthab": "America/Nuuk",
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Choibalsan": "Asia/Ulaanbaatar",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "Europe/Kiev": "Europe/Kyiv",
    "Pacific/Enderbury": "Pacific/Kanton",
    "Pacific/Ponape": "Pacific/Pohnpei",
    "Pacific/Truk": "Pacific/Chuuk",
}

# Overlay area codes share their base code's territory, so they share its zones.
# Source: NANPA area code maps (overlays of split-zone areas).
OVERLAYS = {
    "364": "270",  # Kentucky west: Central and Eastern
    "930": "812",  # Indiana south: Central and Eastern
    "458": "541",  # Oregon: Pacific and Mountain (Malheur County)
    "986": "208",  # Idaho: Mountain and Pacific
    "726": "210",
    "283": "513",
    "326": "937",
    "448": "850",  # Florida panhandle: Central and Eastern
    "729": "423",  # Tennessee east: Eastern and Central
}

US_STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA",
    "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA",
    "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
    "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS",
    "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH",
    "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN",
    "Texas": "TX", "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington State": "WA",
    "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
    "Washington D.C.": "DC", "District of Columbia": "DC",
}
CA_PROVINCES = {
    "Alberta": "AB", "British Columbia": "BC", "Manitoba": "MB", "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL", "Nova Scotia": "NS", "Ontario": "ON",
    "Prince Edward Island": "PE", "Quebec": "QC", "Saskatchewan": "SK",
    "Northwest Territories": "NT", "Nunavut": "NU", "Yukon": "YT",
    "Nova Scotia/Prince Edward Island": "NS", "Yukon/Northwest Territories/Nunavut": "YT",
}


def rust_variant(zone: str) -> str:
    return zone.replace("/", "__").replace("-", "").replace("+", "Plus")


def subdivision(description: str) -> str | None:
    """'New Jersey' -> 'US-NJ'; 'San Antonio, TX' -> 'US-TX'; 'Manitoba' -> 'CA-MB'."""
    if description in US_STATES:
        return "US-" + US_STATES[description]
    if description in CA_PROVINCES:
        return "CA-" + CA_PROVINCES[description]
    if ", " in description:
        tail = description.rsplit(", ", 1)[1]
        if tail in US_STATES.values():
            return "US-" + tail
        if tail in CA_PROVINCES.values():
            return "CA-" + tail
    return None


def zone_table() -> dict[str, tuple[str, ...]]:
    data = {prefix: tuple(RENAMED.get(z, z) for z in zones)
            for prefix, zones in tzdata.TIMEZONE_DATA.items()}
    # Widen split NANP area codes to the union of the zones under them.
    by_npa: dict[str, set[str]] = collections.defaultdict(set)
    for prefix, zones in data.items():
        if prefix.startswith("1") and len(prefix) >= 4:
            by_npa[prefix[1:4]].update(zones)
    for npa, base in OVERLAYS.items():
        by_npa[npa].update(by_npa.get(base, ()))
    for npa, zones in by_npa.items():
        key = "1" + npa
        own = set(data.get(key, ()))
        if len(zones) > 1 or (key not in data and zones):
            data[key] = tuple(sorted(own | zones))
    return data


def area_codes() -> dict[int, str]:
    votes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    exact: dict[str, str] = {}
    for prefix, names in GEOCODE_DATA.items():
        if not prefix.startswith("1") or len(prefix) < 4 or "en" not in names:
            continue
        sub = subdivision(names["en"])
        if sub is None:
            continue
        npa = prefix[1:4]
        if len(prefix) == 4:
            exact[npa] = sub
        votes[npa][sub] += 1
    result = {}
    for npa, counter in votes.items():
        result[int(npa)] = exact.get(npa) or counter.most_common(1)[0][0]
    for npa, base in OVERLAYS.items():
        if int(npa) not in result and int(base) in result:
            result[int(npa)] = result[int(base)]
    return result


def main() -> int:
    zones = zone_table()
    codes = area_codes()
    lines = [
        "// @generated by infra/codegen/phone_tables.py -- do not edit by hand.",
        f"// Source: Google libphonenumber metadata via the Python package phonenumbers {phonenumbers.__version__}.",
        "// Copyright (C) The Libphonenumber Authors. Licensed under the Apache License, Version 2.0;",
        "// see shared/domain/NOTICE-libphonenumber. Changes: legacy zone names mapped to current",
        "// names, split NANP area codes widened to the union of their zones, overlays added.",
        "",
        "use chrono_tz::Tz;",
        "",
        f"/// Version of the libphonenumber data these tables came from.",
        f'pub(crate) const SOURCE_VERSION: &str = "{phonenumbers.__version__}";',
        "",
        f"/// Longest digit prefix in [`PREFIX_ZONES`].",
        f"pub(crate) const LONGEST_PREFIX: usize = {max(len(p) for p in zones)};",
        "",
        "/// E.164 digit prefix (country code first) -> candidate zones, sorted by prefix.",
        "pub(crate) static PREFIX_ZONES: &[(&str, &[Tz])] = &[",
    ]
    for prefix in sorted(zones):
        variants = ", ".join(f"Tz::{rust_variant(z)}" for z in zones[prefix])
        lines.append(f'    ("{prefix}", &[{variants}]),')
    lines += [
        "];",
        "",
        "/// NANP area code -> ISO 3166-2 subdivision (\"US-NJ\", \"CA-MB\"), sorted by area code.",
        "pub(crate) static NANP_AREA_CODES: &[(u16, &str)] = &[",
    ]
    for npa in sorted(codes):
        lines.append(f'    ({npa}, "{codes[npa]}"),')
    lines += ["];", ""]
    OUT.write_text("\n".join(lines))
    print(f"wrote {OUT}: {len(zones)} zone prefixes, {len(codes)} area codes "
          f"(phonenumbers {phonenumbers.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
