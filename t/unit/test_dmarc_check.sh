#!/bin/bash
# test_dmarc_check.sh -- run t/unit/test_dmarc_check against real DNS servers
#
# Starts nsd with the DMARC records of test_results and test_report_file,
# and the dnslib stub with those of test_errors_and_from (one name never
# answered), both on 127.0.0.1, then runs test_dmarc_check (TAP) with
# their ports in DNS_PORT and STUB_PORT. Skips when nsd or python3-dnslib
# is missing. The expectations in test_dmarc_check.c follow this data:
# change both together.

. "$(dirname "$0")/../e2e/lib.sh"
. "$E2E_LIBDIR/dns.sh"

: "${TEST_DMARC_CHECK:=$top_builddir/t/unit/test_dmarc_check}"
dns_need nsd dnslib
[ -x "$TEST_DMARC_CHECK" ] || tap_bail "$TEST_DMARC_CHECK is not built"
e2e_init nopostfix

mkdir -p "$E2E_DIR/zones"
cat >"$E2E_DIR/zones/example.org.zone" <<'EOF_ZONE'
$ORIGIN example.org.
$TTL 300
@        IN SOA  ns1 hostmaster 1 3600 600 86400 30
@        IN NS   ns1
ns1      IN A    127.0.0.1
_dmarc   IN TXT  "v=DMARC1; p=reject; rua=mailto:r@example.org"
EOF_ZONE
# quar.example has a record, nothing.example none.
cat >"$E2E_DIR/zones/example.zone" <<'EOF_ZONE'
$ORIGIN example.
$TTL 300
@            IN SOA  ns1.example.org. hostmaster.example.org. 1 3600 600 86400 30
@            IN NS   ns1.example.org.
_dmarc.quar  IN TXT  "v=DMARC1; p=quarantine"
EOF_ZONE

cat >"$E2E_DIR/stub.json" <<'EOF_STUB'
{"records": [
   {"name": "_dmarc.example.org", "type": "TXT", "data": "v=DMARC1; p=reject"},
   {"name": "_dmarc.example.net", "type": "TXT", "data": "v=DMARC1; p=none"}
 ],
 "timeout": ["_dmarc.slow.example"]}
EOF_STUB

dns_start "$E2E_DIR/zones"
dnsstub_start "$E2E_DIR/stub.json"

DNS_PORT=$DNS_PORT STUB_PORT=$STUB_PORT "$TEST_DMARC_CHECK"
exit $?
