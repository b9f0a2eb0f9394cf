#!/bin/bash
# dkim-testdata.sh -- mxward's DKIM on the public test data in
# ../shared/testdata (dkim-rfc8463/, dkim-dkimpy/; see their SOURCE.md),
# skipped when that folder is not there.
#
# The key records are served by the dnslib stub (t/e2e/dns.sh) and every
# message goes through `mxward scan --json`:
#   - RFC 8463 appendix A.3: the ed25519 and rsa signatures both pass;
#   - dkimpy's rfc6376.signed.msg (the same, simple/simple) and Exim's
#     ed25519 interop message pass;
#   - dkimpy's key records: test.message signed by dkimpy against each of
#     them: test.txt and test2.txt (no k=) pass; test_bad.txt (corrupt
#     p=), badversion.txt, badk.txt and test_tlsrpt.txt (s=tlsrpt) are
#     permerror;
#   - mxward signs rfc6376.msg with the RFC 8463 keys (the ed25519 seed and
#     the RSA key of appendix A.1); dkimpy and mxward verify both. The b=
#     of the RFC cannot be reproduced: it covers the tag list, whose order
#     (and i=, q=) libopendkim chooses differently;
#   - test_nofrom.message (no From) is not signed.
# dkimpy also verifies every verified message; the agreement between the
# two is printed at the end. dkimpy's gmail-signed test2.message and
# message.mbox need a key that is not in the data and are not run.
set -u
. "$top_srcdir/t/e2e/lib.sh"
TD=$top_srcdir/../shared/testdata
[ -d "$TD/dkim-rfc8463" ] && [ -d "$TD/dkim-dkimpy" ] ||
    tap_skip_all "no ../shared/testdata/dkim-rfc8463 and dkim-dkimpy"
. "$top_srcdir/t/e2e/dns.sh"
dns_need dnslib
DKIMPY=/usr/bin/python3
"$DKIMPY" -c 'import dkim, nacl' 2>/dev/null ||
    tap_skip_all "python3-dkim and python3-nacl are needed"
lsan_excuse_libopendkim  # mxward signs with Ed25519 here
e2e_init nopostfix
e2e_need_mxward
tap_plan 14
d=$E2E_DIR
R=$TD/dkim-rfc8463
P=$TD/dkim-dkimpy
py() { "$DKIMPY" "$top_srcdir/t/unit/dkim_dkimpy.py" "$@"; }

# ---- the records ----
rec() { tr -d '\r\n' <"$1"; }
"$PYTHON" - "$d/records.json" <<EOF
import json, re, sys
recs = {}
for line in open("$R/dns-records.txt"):
    m = re.match(r'(\S+)\.\s+TXT\s+"(.*)"\s*$', line)
    if m:
        recs[m.group(1)] = m.group(2)
recs["sed._domainkey.test.ex"] = """$(rec "$P/eximtest.dns")"""
for sel, f in [("test", "test.txt"), ("test2", "test2.txt"),
               ("bad", "test_bad.txt"), ("badversion", "badversion.txt"),
               ("badk", "badk.txt"), ("tlsrpt", "test_tlsrpt.txt"),
               ("ed", "ed25519test.dns")]:
    recs[sel + "._domainkey.example.com"] = open("$P/" + f).read().strip()
json.dump(recs, open(sys.argv[1], "w"), indent=1)
EOF
"$PYTHON" -c 'import json, sys
recs = json.load(open(sys.argv[1]))
json.dump({"records": [{"name": k, "type": "TXT", "data": v} for k, v in recs.items()],
           "zones": ["football.example.com", "test.ex", "example.com"]},
          open(sys.argv[2], "w"))' "$d/records.json" "$d/stub.json"
dnsstub_start "$d/stub.json"
cat >"$d/p.yaml" <<EOF
authserv_id: mx.test.example
dns: { servers: ["127.0.0.1@$STUB_PORT"], timeout: 2s }
antivirus: { enabled: no }
EOF

scan() { # scan POLICY FILE [options]
    local p=$1 f=$2; shift 2
    "$MXWARD" -c "$p" scan --json --ip 203.0.113.5 --from a@example.com \
        --rcpt b@example.net "$@" "$f" 2>>"$d/mxward.log"
}
results() {
    printf '%s' "$1" | "$PYTHON" -c 'import json, sys
for s in json.load(sys.stdin)["dkim"]:
    print(s["result"] + (" (%s)" % s["reason"] if s.get("reason") else ""))'
}
AGREE=0 TOTAL=0
# verify FILE EXPECTED DESCRIPTION: mxward's results, and dkimpy's
# verdict on each signature counted against them.
verify() {
    local got ours theirs i=0
    got=$(results "$(scan "$d/p.yaml" "$1")")
    tap_is "$got" "$2" "$3"
    mapfile -t ours < <(printf '%s\n' "$got" | sed 's/ .*//')
    mapfile -t theirs < <(py verify "$d/records.json" "$1" 2>/dev/null | sed 's/ .*//')
    for ((i = 0; i < ${#theirs[@]}; i++)); do
        TOTAL=$((TOTAL + 1))
        if { [ "${theirs[i]}" = pass ] && [ "${ours[i]:-}" = pass ]; } ||
           { [ "${theirs[i]}" != pass ] && [ "${ours[i]:-}" != pass ]; }; then
            AGREE=$((AGREE + 1))
        else
            tap_diag "$3: signature $((i + 1)): mxward ${ours[i]:-none}, dkimpy ${theirs[i]}"
        fi
    done
}
crlf() { sed 's/\r$//; s/$/\r/' "$1" >"$2"; }

# ---- verifying ----
verify "$R/rfc8463-A.3-signed.eml" "pass
pass" "RFC 8463 A.3: ed25519 and rsa signatures pass"
crlf "$P/rfc6376.signed.msg" "$d/rfc6376.signed.eml"
verify "$d/rfc6376.signed.eml" "pass
pass" "dkimpy rfc6376.signed.msg (simple/simple): both pass"
crlf "$P/ed25519test2.msg" "$d/exim.eml"
verify "$d/exim.eml" "pass" "Exim's ed25519 interop message passes"

crlf "$P/test.message" "$d/test.eml"
for case in "test:pass:test.txt" "test2:pass:test2.txt, no k=" \
        "bad:permerror (key p= is not an RSA key):test_bad.txt, corrupt p=" \
        "badversion:permerror (unsupported key version):badversion.txt" \
        "badk:permerror (unknown key type (k=)):badk.txt, k=ed25519-sha256" \
        "tlsrpt:permerror (key not for email (s=)):test_tlsrpt.txt, s=tlsrpt"; do
    sel=${case%%:*} rest=${case#*:}
    want=${rest%%:*} what=${rest#*:}
    py sign "$P/test.private" example.com "$sel" rsa-sha256 relaxed/relaxed \
        "$d/test.eml" "$d/test-$sel.eml"
    verify "$d/test-$sel.eml" "$want" "dkimpy key record $what: $want"
done
crlf "$P/ed25519test.msg" "$d/ed.eml"
py sign "$P/ed25519test.key" example.com ed ed25519-sha256 relaxed/relaxed \
    "$d/ed.eml" "$d/ed-signed.eml"
verify "$d/ed-signed.eml" "pass" "dkimpy ed25519test.key/.dns: pass"

# ---- signing with the RFC 8463 keys ----
cat >>"$d/sign.yaml" <<EOF
authserv_id: mx.test.example
dns: { servers: ["127.0.0.1@$STUB_PORT"], timeout: 2s }
antivirus: { enabled: no }
dkim:
  keys: ["ed football.example.com brisbane $R/ed25519-private-seed.b64",
         "rsa football.example.com test $R/rsa-private.pem"]
  signing: ["*@football.example.com ed,rsa", "* ed"]
EOF
crlf "$R/rfc8463-A.3-unsigned.eml" "$d/unsigned.eml"
json=$(scan "$d/sign.yaml" "$d/unsigned.eml" --user joe)
printf '%s' "$json" | "$PYTHON" -c 'import json, sys
r = json.load(sys.stdin)
msg = open(sys.argv[1], "rb").read()
for h in reversed([h for h in r["headers_added"] if h["name"] == "DKIM-Signature"]):
    msg = b"DKIM-Signature: " + h["value"].encode() + b"\r\n" + msg
open(sys.argv[2], "wb").write(msg)' "$d/unsigned.eml" "$d/ours.eml"
tap_is "$(grep -c '^DKIM-Signature:' "$d/ours.eml")" 2 \
    "mxward signs the RFC 8463 message with both keys"
tap_is "$(py verify "$d/records.json" "$d/ours.eml" 2>&1 | sed 's/ .*//' | tr '\n' ' ')" \
    "pass pass " "dkimpy verifies both"
verify "$d/ours.eml" "pass
pass" "mxward verifies both"
crlf "$P/test_nofrom.message" "$d/nofrom.eml"
tap_is "$(scan "$d/sign.yaml" "$d/nofrom.eml" --user joe | grep -c '"DKIM-Signature"')" 0 \
    "a message without From is not signed"

tap_diag "agreement with dkimpy: $AGREE of $TOTAL signatures"
tap_done
