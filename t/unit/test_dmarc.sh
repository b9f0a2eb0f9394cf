#!/bin/bash
# test_dmarc.sh -- run t/unit/test_dmarc against real DNS servers
#
# Starts nsd with the DMARC records of the evaluation cases below and the
# dnslib stub with those of the cases that need a failure (SERVFAIL, no
# answer at all) or the names asked (its query log), both on 127.0.0.1,
# then runs test_dmarc (TAP) with their ports in DNS_PORT and STUB_PORT
# and the stub's log in STUB_LOG. The resolver caches, so no name is given
# two meanings: each case has names of its own. Skips when nsd or
# python3-dnslib is missing. The expectations in test_dmarc.c follow this
# data: change both together.

. "$(dirname "$0")/../e2e/lib.sh"
. "$E2E_LIBDIR/dns.sh"

: "${TEST_DMARC:=$top_builddir/t/unit/test_dmarc}"
dns_need nsd dnslib
[ -x "$TEST_DMARC" ] || tap_bail "$TEST_DMARC is not built"
e2e_init nopostfix

zones=$E2E_DIR/zones
mkdir -p "$zones"
# zone ORIGIN: the zone file of ORIGIN, its records from stdin.
zone() {
    {
        printf '$ORIGIN %s.\n$TTL 300\n' "$1"
        printf '@ IN SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 30\n'
        printf '@ IN NS ns1.example.org.\n'
        cat
    } >"$zones/$1.zone"
}

# An Organizational Domain's record beside a TXT that is not DMARC.
zone com <<'EOF_ZONE'
_dmarc.example IN TXT "v=DMARC1; p=reject; rua=mailto:d@example.com"
_dmarc.example IN TXT "some other TXT"
EOF_ZONE
# A public suffix domain's record, psd=y (test_tree_walk).
zone net <<'EOF_ZONE'
_dmarc IN TXT "v=DMARC1; p=reject; psd=y"
EOF_ZONE
# Two records at a name, the org's below them.
zone org <<'EOF_ZONE'
_dmarc.a.example IN TXT "v=DMARC1; p=reject"
_dmarc.a.example IN TXT "v=DMARC1; p=none"
_dmarc.example   IN TXT "v=DMARC1; p=quarantine"
EOF_ZONE
# sp= and np=: news exists (no A), nx does not.
zone co.uk <<'EOF_ZONE'
_dmarc.example IN TXT "v=DMARC1; p=reject; sp=quarantine; np=reject"
news.example   IN MX  10 mx.example.co.uk.
EOF_ZONE
# One Organizational Domain per case; nothing at _dmarc.example itself.
zone example <<'EOF_ZONE'
_dmarc.strict       IN TXT "v=DMARC1; p=quarantine; adkim=s; aspf=s"
_dmarc.bogus        IN TXT "v=DMARC1; p=bogus"
_dmarc.sampled      IN TXT "v=DMARC1; p=reject; pct=0"
_dmarc.testmode     IN TXT "v=DMARC1; p=reject; t=y"
_dmarc.mail.psdn    IN TXT "v=DMARC1; p=reject; psd=n"
_dmarc.psdn         IN TXT "v=DMARC1; p=none"
_dmarc.mail.fewest  IN TXT "v=DMARC1; p=quarantine"
_dmarc.fewest       IN TXT "v=DMARC1; p=reject; sp=none"
_dmarc.testwalk     IN TXT "v=DMARC1; p=reject; t=y"
EOF_ZONE

# The stub: failures, and the walk whose queries are read from its log
# (nothing under com).
cat >"$E2E_DIR/stub.json" <<'EOF_STUB'
{"records": [
   {"name": "_dmarc.example.co.uk", "type": "TXT",
    "data": "v=DMARC1; p=reject; sp=quarantine; np=reject"},
   {"name": "_dmarc.example.net", "type": "TXT", "data": "v=DMARC1; p=reject"},
   {"name": "_dmarc.walk.example", "type": "TXT", "data": "v=DMARC1; p=reject"}
 ],
 "servfail": ["_dmarc.example.org", "_dmarc.net"],
 "timeout": ["nx.example.co.uk", "_dmarc.slow.example",
             "_dmarc.x.walk.example"]}
EOF_STUB

dns_start "$zones"
dnsstub_start "$E2E_DIR/stub.json"

DNS_PORT=$DNS_PORT STUB_PORT=$STUB_PORT STUB_LOG=$STUB_LOG "$TEST_DMARC"
exit $?
