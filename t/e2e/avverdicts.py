#!/usr/bin/env python3
"""avverdicts.py -- compare `mxward scan --json` records with expected.tsv.

Usage: avverdicts.py EXPECTED.TSV SCAN.JSONL TESTFILES(yes|no)

Prints one line per expected file: "ok", "not ok" or "skip", a tab, and a
description, for the calling test script to report as TAP. Expectations
(written by avmail.py): eicar -- rejected 554 5.7.1 naming
Eicar-Test-Signature; testfile -- ClamAV-Test-File found (skipped without
the shared unit-test signatures); testsig -- the unit-test marker found
(likewise); clean -- accepted with X-Virus-Status: Clean and no virus;
not-clean -- never accepted as clean (a virus, or a limit's tempfail);
bounded -- the scan ends with a verdict, whichever.
"""
import json
import os
import sys


def judge(expect, rec, testfiles):
    """(status, why) for one record."""
    virus = rec.get("virus") or ""
    action = rec.get("action")
    reply = rec.get("smtp_reply") or ""
    status = [h["value"] for h in rec.get("headers_added", [])
              if h["name"].lower() == "x-virus-status"]
    if expect == "eicar":
        good = (virus.startswith("Eicar-Test-Signature") and action == "reject"
                and reply.startswith("554 5.7.1 Virus found: Eicar-Test-Signature"))
    elif expect in ("testfile", "testsig"):
        if testfiles != "yes":
            return "skip", "no shared ClamAV unit-test signatures"
        name = "ClamAV-Test-File" if expect == "testfile" else "Unit-Test-Signature"
        good = name in virus and action == "reject"
    elif expect == "clean":
        good = action == "accept" and not virus and status == ["Clean"]
    elif expect == "bounded":
        good = action is not None
    else:
        good = action in ("reject", "tempfail") or (status and status != ["Clean"])
    return ("ok" if good else "not ok"), ""


def main():
    expected, scanned, testfiles = sys.argv[1], sys.argv[2], sys.argv[3]
    records = {}
    with open(scanned) as f:
        for line in f:
            rec = json.loads(line)
            records[os.path.basename(rec["file"])] = rec
    with open(expected) as f:
        for line in f:
            name, expect, what = line.rstrip("\n").split("\t")[:3]
            rec = records.get(name)
            if rec is None:
                print("not ok\t%s: %s (no scan record)" % (name, expect))
                continue
            status, why = judge(expect, rec, testfiles)
            desc = "%s: %s -- %s" % (name, expect, what)
            if status == "skip":
                print("skip\t%s\t%s" % (desc, why))
            elif status == "ok":
                print("ok\t%s" % desc)
            else:
                print("not ok\t%s\tgot action=%s virus=%s reply=%s" % (
                    desc, rec.get("action"), rec.get("virus"),
                    rec.get("smtp_reply")))


main()
