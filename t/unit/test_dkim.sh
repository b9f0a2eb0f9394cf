#!/bin/bash
# test_dkim.sh -- run t/unit/test_dkim against real DNS servers
#
# Makes the test's keys with openssl (RSA 2048 and Ed25519 to sign with,
# another RSA key that signs nothing) in $E2E_DIR/keys, publishes key
# records for them in example.org on nsd -- one selector per case, good,
# revoked, malformed or restricted -- and starts the dnslib stub, which
# never answers for selector "slow" and fails "fail". Then runs
# test_dkim (TAP) with the key directory in DKIM_KEY_DIR and the ports in
# DNS_PORT and STUB_PORT. Skips when nsd or python3-dnslib is missing.
# The selectors and keys in test_dkim.c follow this data: change both
# together.

. "$(dirname "$0")/../e2e/lib.sh"
. "$E2E_LIBDIR/dns.sh"

: "${TEST_DKIM:=$top_builddir/t/unit/test_dkim}"
dns_need nsd dnslib
[ -x "$TEST_DKIM" ] || tap_bail "$TEST_DKIM is not built"
e2e_init nopostfix

keys=$E2E_DIR/keys
mkdir -p "$keys" "$E2E_DIR/zones"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$keys/rsa.pem" 2>/dev/null &&
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
    -out "$keys/other.pem" 2>/dev/null &&
    openssl genpkey -algorithm ED25519 -out "$keys/ed.pem" 2>/dev/null ||
    tap_bail "openssl could not make the keys"

# The p= of a key, base64: its DER SubjectPublicKeyInfo (spki), an RSA
# key's bare RSAPublicKey (bare), an Ed25519 key's raw 32 bytes, the last
# of its SubjectPublicKeyInfo (ed_raw).
spki() { openssl pkey -in "$1" -pubout -outform DER | base64 -w0; }
bare() { openssl rsa -in "$1" -RSAPublicKey_out -outform DER 2>/dev/null | base64 -w0; }
ed_raw() { openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | base64 -w0; }
rsa=$(spki "$keys/rsa.pem")
other=$(spki "$keys/other.pem")
rsa_bare=$(bare "$keys/rsa.pem")
ed=$(ed_raw "$keys/ed.pem")

# txt SELECTOR TEXT...: one TXT record per TEXT at SELECTOR._domainkey, each
# cut into character-strings of at most 200 bytes.
txt() {
    local name=$1._domainkey text strings
    shift
    for text in "$@"; do
        strings=
        while [ -n "$text" ]; do
            strings+=" \"${text:0:200}\""
            text=${text:200}
        done
        printf '%s IN TXT%s\n' "$name" "$strings"
    done
}

{
    cat <<'EOF_ZONE'
$ORIGIN example.org.
$TTL 300
@        IN SOA  ns1 hostmaster 1 3600 600 86400 30
@        IN NS   ns1
ns1      IN A    127.0.0.1
EOF_ZONE
    # The keys as test_dkim signs with them, and as dkim_key_check_dns
    # compares them.
    txt r2048 "v=DKIM1; k=rsa; p=$rsa"
    txt e1 "v=DKIM1; k=ed25519; p=$ed"
    # Key records, each for one case of the verifier.
    txt revoked "v=DKIM1; k=rsa; p="
    txt nop "v=DKIM1; k=rsa"
    txt bare "v=DKIM1; k=rsa; p=$rsa_bare"
    txt two "v=spf1 -all" "v=DKIM1; k=rsa; p=$rsa"
    txt sha1 "v=DKIM1; k=rsa; h=sha1; p=$rsa"
    txt tlsrpt "v=DKIM1; k=rsa; s=tlsrpt; p=$rsa"
    txt testing "v=DKIM1; k=rsa; t=y; p=$rsa"
    txt edrsa "v=DKIM1; k=rsa; p=$rsa"
    txt ts "v=DKIM1; k=rsa; t=s; p=$rsa"
    # For dkim_key_check_dns: another key, a revoked record without k=.
    txt other "v=DKIM1; k=rsa; p=$other"
    txt gone "v=DKIM1; p="
} >"$E2E_DIR/zones/example.org.zone"

cat >"$E2E_DIR/stub.json" <<'EOF_STUB'
{"zones": ["example.org"],
 "records": [],
 "timeout": ["slow._domainkey.example.org"],
 "servfail": ["fail._domainkey.example.org"]}
EOF_STUB

dns_start "$E2E_DIR/zones"
dnsstub_start "$E2E_DIR/stub.json"

DKIM_KEY_DIR=$keys DNS_PORT=$DNS_PORT STUB_PORT=$STUB_PORT "$TEST_DKIM"
exit $?
