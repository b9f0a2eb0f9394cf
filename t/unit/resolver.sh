#!/bin/bash
# resolver.sh -- run t/unit/test_resolver against real DNS servers
#
# Starts nsd with the zones below and the dnslib stub with the spec below,
# both on 127.0.0.1, then runs test_resolver (TAP) with their ports in
# DNS_PORT and STUB_PORT and a trust anchor for a zone that is not signed
# in DNS_TA_FILE. Skips when nsd or python3-dnslib is missing. The
# expectations in test_resolver.c follow this data: change both together.

. "$(dirname "$0")/../e2e/lib.sh"
. "$E2E_LIBDIR/dns.sh"

: "${TEST_RESOLVER:=$top_builddir/t/unit/test_resolver}"
dns_need nsd dnslib
[ -x "$TEST_RESOLVER" ] || tap_bail "$TEST_RESOLVER is not built"
E2E_TIMEOUT=${E2E_TIMEOUT:-300} e2e_init nopostfix

mkdir -p "$E2E_DIR/zones"
cat >"$E2E_DIR/zones/example.org.zone" <<'EOF'
$ORIGIN example.org.
$TTL 300
@        IN SOA  ns1 hostmaster 1 3600 600 86400 30
@        IN NS   ns1
ns1      IN A    127.0.0.1
www      IN A    192.0.2.10
www      IN A    192.0.2.11
www      IN AAAA 2001:db8::10
@        IN MX   10 mx1
@        IN MX   20 mx2.example.org.
mx1      IN A    192.0.2.25
@        IN TXT  "v=spf1 " "ip4:192.0.2.0/24 " "-all"
@        IN SPF  "v=spf1 -all"
quotes   IN TXT  "say \"hi\"; a\\b" "with space"
c1       IN CNAME c2
c2       IN CNAME www
short 1  IN A    192.0.2.99
empty    IN TXT  ""
_dmarc   IN TXT  "v=DMARC1; p=reject"
EOF
# A TXT record of four strings, 1000 bytes: larger than 512, so it needs
# EDNS or TCP.
{
    printf 'long IN TXT'
    for c in a b c d; do printf ' "%s"' "$(printf "%0250d" 0 | tr 0 "$c")"; done
    printf '\n'
} >>"$E2E_DIR/zones/example.org.zone"
cat >"$E2E_DIR/zones/2.0.192.in-addr.arpa.zone" <<'EOF'
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 300
@        IN SOA  ns1.example.org. hostmaster.example.org. 1 3600 600 86400 30
@        IN NS   ns1.example.org.
10       IN PTR  www.example.org.
EOF
# The stub: failures, and what nsd will not serve.
cat >"$E2E_DIR/stub.json" <<'EOF'
{"zones": ["stub.example"],
 "records": [
   {"name": "ok.stub.example", "type": "A", "data": "198.51.100.1"},
   {"name": "bytes.stub.example", "type": "TXT",
    "data": [{"hex": "610062"}, "\"q\\ "]},
   {"name": "*.wild.stub.example", "type": "TXT", "data": "wild"},
   {"name": "_spf.stub.example", "type": "TXT", "data": "v=spf1 -all"},
   {"name": "*.late.stub.example", "type": "A", "data": "198.51.100.2"}
 ],
 "servfail": ["fail.stub.example"],
 "delay": {"*.late.stub.example": 40},
 "timeout": ["slow.stub.example", "*.slow.stub.example"]}
EOF
# A trust anchor for example.org, which nsd serves unsigned: every answer
# from it must then be bogus.
printf 'example.org. IN DS 12345 13 2 %s\n' "$(printf '%064d' 0 | tr 0 a)" \
    >"$E2E_DIR/example.org.ds"

dns_start "$E2E_DIR/zones"
dnsstub_start "$E2E_DIR/stub.json"

DNS_PORT=$DNS_PORT STUB_PORT=$STUB_PORT DNS_TA_FILE=$E2E_DIR/example.org.ds \
    "$TEST_RESOLVER"
exit $?
