#!/usr/bin/env python3
"""spfsuite.py -- the openspf RFC 7208 test suite against mxward.

Two steps, driven by spf-suite.sh (which starts the DNS servers through
t/e2e/dns.sh and writes the policies):

  spfsuite.py prepare SUITE.yml OUTDIR
      One directory per scenario, OUTDIR/NN: tests.json, and the
      scenario's zone data as zones/ORIGIN.zone files for nsd, or as
      stub.json for t/e2e/dnsstub.py when nsd cannot serve it. Prints one
      line per scenario: "NN nsd|stub TESTS DESCRIPTION".

  spfsuite.py run OUTDIR/NN --policy FILE --first N [--engine E]
      Runs each test through `$MXWARD -c FILE scan --json --ip HOST
      --helo HELO --from MAILFROM` and compares the JSON's spf.result
      (and spf.explanation, when the test names one) with the test's
      result (one, or a list of acceptable ones). Prints one TAP line per
      test, numbered from N, and writes the number passed to
      OUTDIR/NN/passed. With --engine libspf2 a failure is a TODO: that
      engine's departures from RFC 7208 are known.

Zone data, by the suite's conventions: records of type SPF are served as
SPF and, unless the name has TXT data of its own ("TXT: NONE" meaning an
explicit nothing), as TXT too. TIMEOUT makes a name's queries go
unanswered: only dnsstub.py can do that, so such scenarios use it. The
stub times out whole names; where the suite times out only the types a
name has no data for, and the name has TXT data, the name answers
instead (NODATA for the other types, which no SPF evaluator asks for
since RFC 7208: type SPF). A TXT record of no strings at all (illegal;
nsd refuses it, libunbound would call the answer malformed) is served
as one empty string.

nsd serves one zone per top-level domain of the data and the root zone
(file root.zone, which dns.sh serves as "."), so names outside the
suite's data (a HELO of one label, a TLD made of macro output) get
NXDOMAIN as they would on the Internet.

Strings are bytes as the YAML escapes write them ("\\xEF" is the byte
0xEF, not U+00EF as UTF-8).
"""

import argparse
import json
import os
import subprocess
import sys

import yaml

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "WARNING: ThreadSanitizer")
MESSAGE = b"From: <sender@example.org>\r\nTo: <rcpt@example.org>\r\n" \
    b"Subject: SPF conformance\r\n\r\nbody\r\n"


def raw(s):
    """A suite string as the bytes it stands for."""
    try:
        return s.encode("latin-1")
    except UnicodeEncodeError:
        return s.encode("utf-8")


def txt_strings(data):
    """A TXT/SPF value: a list of character-strings (bytes). A record of
    no strings at all, which no server sends and resolvers refuse, is one
    empty string."""
    if isinstance(data, list):
        return [raw(str(x)) for x in data] or [b""]
    b = raw(str(data))
    return [b[i:i + 255] for i in range(0, len(b), 255)] or [b""]


def records(zonedata):
    """The records as (name, type, data), SPF copied to TXT, and the
    names that must time out."""
    out, timeouts = [], []
    for name, rrs in zonedata.items():
        types = set()
        for rr in rrs:
            if rr == "TIMEOUT":
                continue
            (rtype, value), = rr.items()
            types.add(rtype)
        for rr in rrs:
            if rr == "TIMEOUT":
                timeouts.append(name)
                continue
            (rtype, value), = rr.items()
            if rtype == "TXT" and value == "NONE":
                continue
            out.append((name, rtype, value))
            if rtype == "SPF" and "TXT" not in types:
                out.append((name, "TXT", value))
    names_with_txt = {n for n, t, _ in out if t == "TXT"}
    timeouts = [n for n in timeouts if n not in names_with_txt]
    return out, timeouts


def needs_stub(zonedata):
    """Can nsd not serve this scenario?"""
    for rrs in zonedata.values():
        for rr in rrs:
            if rr == "TIMEOUT":
                return True
    return False


def stub_spec(zonedata):
    """The scenario as a dnsstub.py SPEC."""
    recs, timeouts = records(zonedata)
    spec = []
    for name, rtype, value in recs:
        if rtype in ("SPF", "TXT"):
            data = [{"hex": s.hex()} for s in txt_strings(value)]
        elif rtype == "MX":
            data = "%d %s" % (value[0], value[1] or ".")
        else:
            data = str(value)
        spec.append({"name": name, "type": rtype, "data": data})
    return {"records": spec, "timeout": timeouts}


def zone_name(name):
    """A name in zone-file syntax, absolute, odd bytes as \\DDD."""
    out = []
    for c in raw(name.rstrip(".")):
        ch = chr(c)
        if ch.isalnum() or ch in "-_.":
            out.append(ch)
        else:
            out.append("\\%03d" % c)
    return "".join(out) + "."


def zone_string(b):
    """One character-string, quoted, every odd byte as \\DDD."""
    out = []
    for c in b:
        if 0x20 <= c < 0x7f and c not in (0x22, 0x5c):
            out.append(chr(c))
        else:
            out.append("\\%03d" % c)
    return '"' + "".join(out) + '"'


def zone_files(zonedata):
    """The scenario as zones for nsd: {file name: text}, one zone per
    top-level domain, and an empty root zone, root.zone (origin "."), so
    that names under other TLDs do not exist."""
    head = ["$TTL 300",
            "%s IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60",
            "%s IN NS ns.test."]
    zones = {".": [line % "." if "%s" in line else line for line in head]
             + ["ns.test. IN A 127.0.0.1"]}
    recs, _ = records(zonedata)
    for name, rtype, value in recs:
        tld = name.rstrip(".").split(".")[-1].lower()
        if tld not in zones:
            zones[tld] = [line % (tld + ".") if "%s" in line else line
                          for line in head]
        if rtype in ("SPF", "TXT"):
            data = " ".join(zone_string(s) for s in txt_strings(value))
        elif rtype == "MX":
            data = "%d %s" % (value[0], zone_name(value[1]) if value[1]
                              else ".")
        elif rtype in ("PTR", "CNAME"):
            data = zone_name(str(value))
        else:
            data = str(value)
        zones[tld].append("%s IN %s %s" % (zone_name(name), rtype, data))
    return {("root" if z == "." else z) + ".zone": "\n".join(lines) + "\n"
            for z, lines in zones.items()}


def prepare(suite, outdir):
    """Write every scenario; print the list."""
    with open(suite, "rb") as f:
        scenarios = list(yaml.safe_load_all(f))
    for i, sc in enumerate(scenarios, 1):
        d = os.path.join(outdir, "%02d" % i)
        os.makedirs(d, exist_ok=True)
        zonedata = sc.get("zonedata") or {}
        tests = []
        for name, t in sc["tests"].items():
            result = t["result"]
            tests.append({
                "name": "%s/%s" % (sc["description"], name),
                "helo": t["helo"], "host": t["host"],
                "mailfrom": t["mailfrom"],
                "result": result if isinstance(result, list) else [result],
                "explanation": t.get("explanation"),
            })
        with open(os.path.join(d, "tests.json"), "w") as f:
            json.dump(tests, f)
        if needs_stub(zonedata):
            kind = "stub"
            with open(os.path.join(d, "stub.json"), "w") as f:
                json.dump(stub_spec(zonedata), f, indent=1)
        else:
            kind = "nsd"
            os.makedirs(os.path.join(d, "zones"), exist_ok=True)
            for fname, text in zone_files(zonedata).items():
                with open(os.path.join(d, "zones", fname), "w") as f:
                    f.write(text)
        print("%02d %s %d %s" % (i, kind, len(tests), sc["description"]))
    with open(os.path.join(outdir, "message.eml"), "wb") as f:
        f.write(MESSAGE)


def scan(mxward, policy, message, test):
    """mxward's spf member for one test, or an error string."""
    cmd = [mxward, "-c", policy, "scan", "--json", "--ip", test["host"],
           "--helo", test["helo"], "--from", test["mailfrom"], message]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    err = p.stderr.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        if mark in err:
            return "sanitizer report: %s" % err[err.index(mark):][:300]
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        try:
            spf = json.loads(line).get("spf")
        except ValueError:
            continue
        return spf if spf is not None else "no spf result in the JSON"
    return "no JSON (exit %d): %s" % (p.returncode, err.strip()[-300:])


def judge(test, spf):
    """None if mxward's answer is right, else why not."""
    if isinstance(spf, str):
        return spf
    result = spf.get("result")
    if result not in test["result"]:
        return "result %s, expected %s (%s)" % (
            result, "/".join(test["result"]), spf.get("reason", ""))
    want = test["explanation"]
    if result == "fail" and want not in (None, "DEFAULT") and \
            spf.get("explanation") != want:
        return "explanation %r, expected %r" % (spf.get("explanation"), want)
    return None


def run(scenario, policy, first, engine):
    """Run one scenario's tests as TAP lines."""
    mxward = os.environ.get("MXWARD", "mxward")
    message = os.path.join(os.path.dirname(scenario), "message.eml")
    with open(os.path.join(scenario, "tests.json")) as f:
        tests = json.load(f)
    passed = 0
    for n, test in enumerate(tests, first):
        try:
            why = judge(test, scan(mxward, policy, message, test))
        except subprocess.TimeoutExpired:
            why = "mxward scan timed out"
        todo = " # TODO libspf2" if why and engine == "libspf2" else ""
        print("%sok %d - %s%s" % ("not " if why else "", n, test["name"],
                                  todo))
        if why:
            print("# %s" % why)
        else:
            passed += 1
        sys.stdout.flush()
    with open(os.path.join(scenario, "passed"), "w") as f:
        f.write("%d\n" % passed)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("suite")
    p.add_argument("outdir")
    r = sub.add_parser("run")
    r.add_argument("scenario")
    r.add_argument("--policy", required=True)
    r.add_argument("--first", type=int, default=1)
    r.add_argument("--engine", default="mxward")
    a = ap.parse_args()
    if a.cmd == "prepare":
        prepare(a.suite, a.outdir)
    else:
        run(a.scenario, a.policy, a.first, a.engine)


if __name__ == "__main__":
    main()
