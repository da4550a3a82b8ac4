#!/usr/bin/env python3
"""Writes the importer's bad-input corpus: one file per case and, next to it, the exact report
the importer must produce (<name>.expected.json). Expectations are written here by hand, from
the rules in shared/domain/src/import, not recorded from the importer's output.

Run from anywhere: python3 tests/import-corpus/make_corpus.py
"""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
CASES = []


def case(name, data, *, status="completed", rows=0, imported=0, rejected=None, report=None,
         refusal=None, repaired=None, warnings=0, setup=None):
    """status: completed | rejected. report: [(line, reason), ...] in line order."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    CASES.append((name, data, {
        "status": status,
        "rows_read": rows,
        "imported": imported,
        "rejected": rejected or {},
        "repaired": repaired or {},
        "refusal": refusal,
        "report": [list(r) for r in (report or [])],
        "warnings": warnings,
        "setup": setup or {},
    }))


def utf16(text, bom, codec):
    return bom + text.encode(codec)


# --- Whole-file refusals ------------------------------------------------------------------
case("empty.csv", b"", status="rejected", refusal="empty_file")
case("blank_lines_only.csv", "\n\r\n   \n", status="rejected", refusal="empty_file")
case("no_phone_column.csv", "name,email\nAnn,ann@example.com\n", status="rejected", refusal="no_phone_column")
case("duplicate_headers.csv", "phone,name,Phone\n+14155552671,Ann,+14155552672\n", status="rejected",
     refusal="duplicate_header")
case("duplicate_meaning_headers.csv", "phone,mobile\n+14155552671,+14155552672\n", status="rejected",
     refusal="duplicate_header")
case("duplicate_custom_headers.csv", "phone,Notes,notes\n+14155552671,a,b\n", status="rejected",
     refusal="duplicate_header")
case("binary_file.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", status="rejected", refusal="binary_file")
case("header_ten_thousand_columns.csv",
     "phone," + ",".join(f"c{i}" for i in range(10_000)) + "\n+14155552671\n",
     status="rejected", refusal="bad_header")

# --- Header only, headers ----------------------------------------------------------------
case("header_only.csv", "phone,name,email\n")
case("header_only_no_newline.csv", "phone,name")
case("empty_header_column.csv", "phone,,name\n+14155552671,vip,Ann\n", rows=1, imported=1, warnings=1)
case("phone_header_aliases.csv", "Phone Number,First Name,Last Name\n(415) 555-2671,Ann,Lee\n", rows=1, imported=1)
case("mobile_header.csv", "Name;Mobile\nAnn;+1 415 555 2671\n", rows=1, imported=1)

# --- Encodings -----------------------------------------------------------------------------
case("utf8_bom_semicolons.csv", b"\xef\xbb\xbfphone;name;company\r\n+14155552671;Zo\xc3\xab;Ac\xc3\xa9\r\n"
     b"+14155552672;Bj\xc3\xb6rn;X\r\n", rows=2, imported=2)
case("utf16le_excel_unicode_text.txt",
     utf16("phone\tname\r\n+14155552671\tZoë\r\n+14155552672\tJosé\r\n", b"\xff\xfe", "utf-16-le"),
     rows=2, imported=2)
case("utf16be_bom.csv", utf16("phone,name\n+14155552671,Ann\n", b"\xfe\xff", "utf-16-be"), rows=1, imported=1)
case("windows1252_excel.csv", b"phone,name\r\n+14155552671,Ren\xe9e\r\n+14155552672,M\xfcller\r\n",
     rows=2, imported=2)
# A UTF-8 file (valid for its whole sniffed first 64 KB) with one byte that is not UTF-8 later.
big = "".join(f"+1415{2000000 + i:07},{'n' * 1000}\n" for i in range(70))
case("invalid_utf8_mid_file.csv", b"phone,name\n" + big.encode() + b"+14155550000,B\xffb\n+14155550001,Cy\n",
     rows=72, imported=71, rejected={"invalid_utf8": 1}, report=[(72, "invalid_utf8")])

# --- Delimiters, quoting, line endings -------------------------------------------------------
case("tab_delimited.tsv", "phone\tname\n+14155552671\tAnn\n", rows=1, imported=1)
case("pipe_delimited.csv", "phone|name\n+14155552671|Ann\n+14155552672|Bob\n", rows=2, imported=2)
case("quoted_newlines.csv", 'phone,note\n+14155552671,"line one\nline two"\n+14155552672,"a ""quote"""\n',
     rows=2, imported=2)
case("quoted_delimiters.csv", 'phone,company\n+14155552671,"Acme, Inc."\n', rows=1, imported=1)
case("mixed_line_endings.csv", "phone,name\r\n+14155552671,A\n+14155552672,B\r+14155552673,C\r\n",
     rows=3, imported=3)
case("no_trailing_newline.csv", "phone,name\n+14155552671,A\n+14155552672,B", rows=2, imported=2)
case("blank_lines_between_rows.csv", "phone,name\n\n+14155552671,A\n\n\n+14155552672,B\n\n",
     rows=2, imported=2)
case("unterminated_quote.csv", 'phone,name\n+14155552671,A\n+14155552672,"B\n+14155552673,C\n',
     rows=2, imported=2)  # the open quote swallows the rest of the file into row 3's name

# --- Excel damage and phone numbers --------------------------------------------------------
case("scientific_notation.csv", "phone,name\n1.41555E+10,A\n4.15555e9,B\n+14155552671,C\n",
     rows=3, imported=1, rejected={"phone_scientific_notation": 2},
     report=[(2, "phone_scientific_notation"), (3, "phone_scientific_notation")])
# Control characters pasted from a spreadsheet or a terminal: dropped from the fields (no XML
# call document, such as Twilio's TwiML, can hold them), the rest kept, the row imported.
case("control_characters.csv", "phone,name,notes\n+14155552671,Ann\x07 Lee,bell\x1b[0m\x7f done\n",
     rows=1, imported=1, repaired={"control_characters_removed": 1})
case("formulas.csv", 'phone,name\n=A1+B1,A\n@SUM(A1),B\n"=""+14155552671""",C\n',
     rows=3, imported=1, rejected={"phone_formula": 2}, repaired={"unwrapped_text_formula": 1},
     report=[(2, "phone_formula"), (3, "phone_formula")])
# Digits invalid in the region (US) that are another country's with a '+': refused by name,
# never moved to that country (here London).
case("stripped_country_code.csv", "phone,name\n442071838750,London\n14155552671,SF\n4155552672,SF2\n",
     rows=3, imported=2, rejected={"phone_needs_country_code": 1},
     report=[(2, "phone_needs_country_code")])
# Foreign numbers only with a '+', tel: or the region's own international prefix (011 in the
# US); more than E.164's 15 digits and extensions are refused.
case("international_written_forms.csv",
     "phone,name\n+49 800 12345678901,German 0800 longer than E.164 allows\n"
     "tel:+49-800-1234567,German 0800 as a tel URI\n"
     "011 49 30 128,short Berlin number dialled with the US prefix\n"
     "+1 415 555 2671 ext. 9,extension\n"
     "011 44 20 7183 8750,London dialled with the US prefix\n",
     rows=5, imported=3, rejected={"phone_too_long": 1, "phone_extension": 1},
     report=[(2, "phone_too_long"), (5, "phone_extension")], setup={"countries": ["US", "DE", "GB"]})
case("invalid_numbers.csv", "phone,name\n12,A\nhello,B\n+999 123 456,C\n+1 555 010 9999,D\n,E\n"
     "123456789012345678901,F\n",
     rows=6, imported=0,
     rejected={"phone_invalid": 2, "phone_not_a_number": 1, "phone_invalid_country_code": 1,
               "phone_empty": 1, "phone_too_long": 1},
     report=[(2, "phone_invalid"), (3, "phone_not_a_number"), (4, "phone_invalid_country_code"),
             (5, "phone_invalid"), (6, "phone_empty"), (7, "phone_too_long")])
case("international_numbers.csv", "phone,name\n+44 20 7183 8750,London\n+33 1 42 68 53 00,Paris\n"
     "+91 74104 10123,Mumbai\n", rows=3, imported=3, setup={"countries": ["US", "GB", "FR", "IN"]})
# A tenant calls only into its allowed countries (default: US). Canada shares +1 with the US and
# Jamaica (+1 876) is a known premium-fraud destination: both refused for a US-only tenant.
case("destination_not_allowed.csv", "phone,name\n+44 20 7183 8750,London\n+1 416 555 0100,Toronto\n"
     "+1 876 555 0100,Kingston\n+1 415 555 2671,SF\n",
     rows=4, imported=1, rejected={"destination_not_allowed": 3},
     report=[(2, "destination_not_allowed"), (3, "destination_not_allowed"), (4, "destination_not_allowed")])
case("us_formats.csv", "phone\n(415) 555-2671\n415.555.2672\n1 415 555 2673\n+1-415-555-2674\n4155552675\n",
     rows=5, imported=5)
case("whitespace_padding.csv", "phone , name \n  +1 415 555 2671  ,  Ann  \n", rows=1, imported=1)

# --- Duplicates, DNC, re-import --------------------------------------------------------------
case("duplicate_in_file.csv", "phone,name\n+14155552671,A\n(415) 555-2671,B\n415.555.2671,C\n+14155552672,D\n",
     rows=4, imported=2, rejected={"duplicate_in_file": 2},
     report=[(3, "duplicate_in_file"), (4, "duplicate_in_file")])
case("dnc_suppressed.csv", "phone,name\n+14155552671,A\n+14155552672,B\n+14155552673,C\n",
     rows=3, imported=1, rejected={"do_not_call": 2}, report=[(2, "do_not_call"), (4, "do_not_call")],
     setup={"dnc": ["+14155552671", "+14155552673"]})
case("reimport_existing.csv", "phone,name\n+14155552671,Again\n+14155552699,New\n",
     rows=2, imported=1, rejected={"duplicate_in_campaign": 1}, report=[(2, "duplicate_in_campaign")],
     setup={"preimport": "phone\n+14155552671\n"})

# --- Optional columns ------------------------------------------------------------------------
case("timezones.csv", "phone,timezone\n+14155552671,America/Chicago\n+14155552672,Mars/Olympus\n"
     "+14155552673,\n+14155552674,US/Eastern\n",
     rows=4, imported=3, rejected={"invalid_timezone": 1}, report=[(3, "invalid_timezone")])
case("consent_values.csv", "phone,consent\n+14155552671,yes\n+14155552672,No\n+14155552673,1\n"
     "+14155552674,maybe\n+14155552675,\n",
     rows=5, imported=4, rejected={"invalid_consent": 1}, report=[(5, "invalid_consent")])
case("emails.csv", "phone,email\n+14155552671,ann@example.com\n+14155552672,not-an-email\n"
     "+14155552673,a b@c.d\n", rows=3, imported=1, rejected={"invalid_email": 2},
     report=[(3, "invalid_email"), (4, "invalid_email")])
case("states.csv", "phone,state\n+14155552671,FL\n+14155552672,Florida\n+14155552673,US-TX\n"
     "+14155552674,Atlantis\n", rows=4, imported=3, rejected={"invalid_state": 1}, report=[(5, "invalid_state")])
case("custom_fields.csv", "phone,name,Plan Tier,Renewal Date\n+14155552671,Ann,Gold,2026-07-01\n",
     rows=1, imported=1)

# --- Row shape and limits --------------------------------------------------------------------
case("too_many_fields.csv", "phone,name\n+14155552671,A,extra\n+14155552672,B,,\n",
     rows=2, imported=1, rejected={"too_many_fields": 1}, report=[(2, "too_many_fields")])
case("fewer_fields.csv", "phone,name,email\n+14155552671\n,Bob,b@c.d\n",
     rows=2, imported=1, rejected={"phone_empty": 1}, report=[(3, "phone_empty")])
case("ten_thousand_column_row.csv", "phone,name\n+14155552671," + ",".join(["x"] * 9_999) + "\n+14155552672,B\n",
     rows=2, imported=1, rejected={"too_many_columns": 1}, report=[(2, "too_many_columns")])
case("row_too_long.csv", "phone,name\n+14155552671," + "y" * 100_000 + "\n+14155552672,B\n",
     rows=2, imported=1, rejected={"row_too_long": 1}, report=[(2, "row_too_long")])
# Custom fields travel with the lead to the agent: 8 KiB in all (names and values), names of at
# most 64 characters. 3 fields of 3,000 characters each are over; 2 are not.
case("custom_fields_too_large.csv",
     "phone,a,b,c\n+14155552671," + ",".join(["y" * 3_000] * 3) + "\n+14155552672," +
     ",".join(["y" * 3_000] * 2) + ",\n",
     rows=2, imported=1, rejected={"custom_fields_too_large": 1}, report=[(2, "custom_fields_too_large")])
case("long_custom_header.csv", "phone," + "n" * 65 + "\n+14155552671,x\n", status="rejected",
     refusal="bad_header")
case("field_too_long.csv", "phone,name\n+14155552671," + "z" * 5_000 + "\n+14155552672,B\n",
     rows=2, imported=1, rejected={"field_too_long": 1}, report=[(2, "field_too_long")])


def main():
    for old in HERE.glob("*.expected.json"):
        old.unlink()
    for name, data, expected in CASES:
        (HERE / name).write_bytes(data)
        (HERE / f"{name}.expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(f"wrote {len(CASES)} cases to {HERE}")


if __name__ == "__main__":
    main()
