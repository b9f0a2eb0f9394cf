#!/bin/bash
# t0050 -- the offline commands: `mxward check` exits 0 on the shipped
# policy and 1 with FILE:LINE: reason lines on a broken one (an include
# file's error names that file); `mxward scan --json` prints one JSON
# record per message with the keys DESIGN.md promises, refuses a client
# from a refused network with its reply, reports forged
# Authentication-Results to remove, and exits 2 on an unreadable file.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init nopostfix

tap_plan 14
e2e_need_mxward
d=$E2E_DIR

# The shipped policy, with its include pointing antivirus at a test database
# (the shipped /var/lib/clamav may hold no signatures here).
av_setup --only clean
mkdir -p "$d/shipped/conf.d"
cp "$top_srcdir/policies/mxward.yaml" "$d/shipped/"
printf 'antivirus: { database: "%s" }\n' "$AV_DB" >"$d/shipped/conf.d/av.yaml"
out=$("$MXWARD" -c "$d/shipped/mxward.yaml" check 2>&1) && rc=0 || rc=$?
tap_is "$rc" 0 "check: the shipped policy is valid"

mkdir "$d/conf.d"
cat >"$d/bad.yaml" <<'YAML'
include: conf.d/*.yaml
helo:
  invalid_action: maybe
limits:
  message_size_limit: 99G
YAML
printf 'actions:\n  rejct: 10\n' >"$d/conf.d/local.yaml"
out=$("$MXWARD" -c "$d/bad.yaml" check 2>&1) && rc=0 || rc=$?
tap_is "$rc" 1 "check: a broken policy exits 1"
tap_like "$out" "^$d/bad.yaml:3: helo.invalid_action: " "bad enum named with file and line"
tap_like "$out" "^$d/bad.yaml:5: limits.message_size_limit: " "out-of-bounds size named"
tap_like "$out" "^$d/conf.d/local.yaml:2: .*actions.rejct" "an include file's error names that file"

cat >"$d/p.yaml" <<'YAML'
authserv_id: mx.test.example
access: { trusted_networks: [], refused_networks: [192.0.2.0/24] }
helo: { invalid_action: score }
antivirus: { enabled: no }
spf: { enabled: no }
dkim: { enabled: no }
dmarc: { enabled: no }
YAML
printf 'From: a@example.org\nTo: b@example.org\nSubject: scan\nAuthentication-Results: other.example; none\nAuthentication-Results: mx.test.example; dkim=pass\n\nbody\n' >"$d/m.eml"

json=$("$MXWARD" -c "$d/p.yaml" scan --json --ip 203.0.113.5 --helo bad_name \
    --from a@example.org --rcpt b@example.org "$d/m.eml")
field() { printf '%s' "$json" | "$PYTHON" -c "import json,sys; r=json.load(sys.stdin); print($1)"; }
tap_is "$(field "sorted(k for k in r if k in ('action','smtp_reply','score','symbols','spf','dkim','dmarc','virus','headers_added'))" )" \
    "['action', 'dkim', 'dmarc', 'headers_added', 'score', 'smtp_reply', 'spf', 'symbols', 'virus']" \
    "scan --json has every promised key"
tap_is "$(field "r['action']")" accept "scored invalid HELO: accepted"
tap_is "$(field "[(s['name'], s['score']) for s in r['symbols']]")" "[('HELO_INVALID', 3.0)]" \
    "with the HELO_INVALID symbol and its score"
tap_is "$(field "r['headers_added'][0]['value']")" "mx.test.example; none" \
    "our Authentication-Results would be added"
tap_is "$(field "r['headers_removed']")" "[{'name': 'Authentication-Results', 'index': 2}]" \
    "the forged one (the second) would be removed"

json=$("$MXWARD" -c "$d/p.yaml" scan --json --ip 192.0.2.7 "$d/m.eml")
tap_is "$(field "(r['action'], r['smtp_reply'])")" "('reject', '554 5.7.1 Access denied')" \
    "refused network: reject with the policy's reply"

out=$("$MXWARD" -c "$d/p.yaml" scan --ip 203.0.113.5 "$d/m.eml" "$d/missing.eml" 2>&1) && rc=0 || rc=$?
tap_is "$rc" 2 "scan exits 2 when a message cannot be read"
tap_like "$out" "missing\\.eml: No such file" "and says which and why"
tap_like "$out" "^$d/m.eml: accept " "the readable one is still scanned"
tap_done
