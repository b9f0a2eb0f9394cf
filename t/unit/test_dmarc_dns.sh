#!/bin/bash
# test_dmarc_dns.sh -- the dmarc check through the real resolver: DMARC
# records served by t/e2e/dnsstub.py on 127.0.0.1 (several
# character-strings, SERVFAIL, no answer at all), messages run through
# `mxward scan --json`. p=reject honoured (550 5.7.1), sp= for a
# subdomain, no record, DNS failures (temperror, on_error: tempfail), the
# RFC 9989 tree walk, and the aggregate-report data file.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/dns.sh"
dns_need dnslib
e2e_init nopostfix
e2e_need_mxward
tap_plan 18
d=$E2E_DIR

cat >"$d/stub.json" <<'JSON'
{"records": [
  {"name": "_dmarc.example.org", "type": "TXT",
   "data": "v=DMARC1; p=reject; sp=quarantine; rua=mailto:r@example.org"},
  {"name": "example.org", "type": "A", "data": "192.0.2.1"},
  {"name": "sub.example.org", "type": "A", "data": "192.0.2.2"},
  {"name": "_dmarc.split.example", "type": "TXT",
   "data": ["v=DMARC1; p=reject; ", "rua=mailto:r@split.example"]},
  {"name": "_dmarc.example.net", "type": "TXT", "data": "v=DMARC1; p=none"}
 ],
 "timeout": ["_dmarc.slow.example"],
 "servfail": ["_dmarc.broken.example"]}
JSON
dnsstub_start "$d/stub.json"

# policy FILE [dmarc options]: scanning only, DMARC on the stub.
policy() {
	cat >"$1" <<EOF
authserv_id: mx.test.example
daemon: { user: "" }
antivirus: { enabled: false }
dns: { servers: ["127.0.0.1@$STUB_PORT"], timeout: 1s }
dmarc: { report_data: file, report_file: "$d/report.jsonl" $2 }
EOF
}
policy "$d/p.yaml" ""
policy "$d/walk.yaml" ", org_domain: tree_walk"

# scan POLICY FROM-DOMAIN: the JSON record of a message from that domain.
scan() {
	printf 'From: Someone <someone@%s>\nTo: b@example.com\nSubject: t\n\nbody\n' \
	    "$2" >"$d/m.eml"
	"$MXWARD" -c "$1" scan --json --ip 203.0.113.5 --helo mx.sender.test \
	    --from bounce@sender.test --rcpt b@example.com "$d/m.eml" 2>>"$d/mxward.log"
}
field() { printf '%s' "$json" | "$PYTHON" -c "import json,sys; r=json.load(sys.stdin); print($1)"; }

json=$(scan "$d/p.yaml" example.org)
tap_is "$(field "r['action']")" reject "p=reject: rejected"
tap_like "$(field "r['smtp_reply']")" '^550 5\.7\.1 Rejected by the DMARC policy of example\.org' \
    "... with 550 5.7.1 and the domain"
tap_is "$(field "(r['dmarc']['result'], r['dmarc']['policy'], r['dmarc']['domain'])")" \
    "('fail', 'reject', 'example.org')" "... dmarc fail, policy reject"

json=$(scan "$d/p.yaml" sub.example.org)
tap_is "$(field "r['action']")" quarantine "subdomain: sp=quarantine honoured"
tap_is "$(field "r['dmarc']['org_domain']")" example.org "... org domain by the PSL"

json=$(scan "$d/p.yaml" split.example)
tap_is "$(field "(r['action'], r['dmarc']['result'])")" "('reject', 'fail')" \
    "a record of two character-strings"

json=$(scan "$d/p.yaml" example.net)
tap_is "$(field "(r['action'], r['dmarc']['result'], r['dmarc']['policy'])")" \
    "('accept', 'fail', 'none')" "p=none: accepted"
tap_like "$(field "[h['value'] for h in r['headers_added'] if h['name'] == 'Authentication-Results']")" \
    'dmarc=fail \(p=none dis=none\) header\.from=example\.net' \
    "... Authentication-Results says dmarc=fail"

json=$(scan "$d/p.yaml" nothing.example)
tap_is "$(field "(r['action'], r['dmarc']['result'])")" "('accept', 'none')" \
    "no record (NXDOMAIN): none, accepted"

start=$(date +%s)
json=$(scan "$d/p.yaml" slow.example)
tap_is "$(field "(r['action'], r['dmarc']['result'])")" "('tempfail', 'temperror')" \
    "no answer: temperror, on_error tempfail"
tap_ok "... within the resolver's timeout" [ $(($(date +%s) - start)) -lt 10 ]
json=$(scan "$d/p.yaml" broken.example)
tap_is "$(field "(r['action'], r['dmarc']['result'])")" "('tempfail', 'temperror')" \
    "SERVFAIL: temperror, tempfail"

json=$(scan "$d/walk.yaml" a.b.example.org)
tap_is "$(field "(r['action'], r['dmarc']['org_domain'], r['dmarc']['policy'])")" \
    "('quarantine', 'example.org', 'quarantine')" "tree walk: the org's sp= applies"
tap_like "$(cat "$STUB_LOG")" '_dmarc\.b\.example\.org' "... _dmarc.b.example.org was asked"

lines=$(wc -l <"$d/report.jsonl")
tap_is "$lines" 5 "report data: one line per message with a record"
last=$(tail -n 1 "$d/report.jsonl")
json=$last
tap_is "$(field "(r['version'], r['header_from'], r['disposition'], r['policy_tag'])")" \
    "(1, 'a.b.example.org', 'quarantine', 'sp')" "... the last line, as documented"
tap_is "$(field "(r['policy_published']['domain'], r['policy_published']['rua'])")" \
    "('example.org', ['mailto:r@example.org'])" "... policy_published"
tap_is "$(field "(r['source_ip'], r['reporter'], r['envelope_from'])")" \
    "('203.0.113.5', 'mx.test.example', 'sender.test')" "... source and identifiers"
tap_done
