#!/usr/bin/env python3
"""Writes contacts.csv: the demo campaign's contact list. 300 contacts across every US time
zone (and split area codes), all on the fictional 555-01XX exchange, plus rows a real list has:
a duplicate, a number Excel turned into scientific notation, a formula, an invalid number, a
bad time zone and a bad email. Deterministic; committed output."""
import csv
import pathlib
import random

AREA_CODES = {
    "212": "New York", "305": "Miami", "404": "Atlanta", "617": "Boston", "215": "Philadelphia",
    "312": "Chicago", "214": "Dallas", "504": "New Orleans", "612": "Minneapolis", "314": "St. Louis",
    "303": "Denver", "801": "Salt Lake City", "505": "Albuquerque", "602": "Phoenix", "208": "Boise",
    "213": "Los Angeles", "415": "San Francisco", "206": "Seattle", "503": "Portland", "702": "Las Vegas",
    "907": "Anchorage", "808": "Honolulu", "850": "Tallahassee", "270": "Bowling Green", "605": "Sioux Falls",
}
FIRST = ["Ava", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena", "Mo", "Nia"]
LAST = ["Lee", "Garcia", "Smith", "Nguyen", "Patel", "Khan", "Rossi", "Kim", "Brown", "Silva"]
PLANS = ["basic", "plus", "pro"]


def main():
    rng = random.Random(7)
    rows = []
    codes = list(AREA_CODES)
    for i in range(300):
        npa = codes[i % len(codes)]
        number = f"+1 ({npa}) 555-01{(i // len(codes)) % 100:02d}"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append({
            "phone": number,
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}{i}@example.com",
            "company": f"{AREA_CODES[npa]} {rng.choice(['Dental', 'Motors', 'Realty', 'Bakery'])}",
            "plan": rng.choice(PLANS),
            "renewal_date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        })
    bad = [
        dict(rows[0], phone="(212) 555-0100", email="dup@example.com"),   # duplicate of row 1
        dict(rows[1], phone="1.21256E+10"),                                 # Excel scientific notation
        dict(rows[2], phone="=A1+B1"),                                      # a formula
        dict(rows[3], phone="+1 555 010 9999"),                             # not a real number
        dict(rows[4], phone="+1 (917) 555-0100", email="not an email"),    # bad email
    ]
    rows.extend(bad)
    path = pathlib.Path(__file__).with_name("contacts.csv")
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} contacts to {path}")


if __name__ == "__main__":
    main()
