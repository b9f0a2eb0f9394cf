#!/bin/bash
# t0410 -- outbound mail signed by mxward through a real Postfix.
#
# The client is in dkim.sign_networks, so mail from it is signed with both
# keys of the policy's key table (rsa-sha256 and ed25519-sha256, keys made
# here). The delivered message carries two DKIM-Signature fields, both of
# which dkimpy (python3-dkim, an independent implementation) verifies
# against the records the zone publishes; mail from a domain the signing
# table does not name is not signed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
dns_need nsd
DKIMPY=/usr/bin/python3
"$DKIMPY" -c 'import dkim, nacl' 2>/dev/null ||
    tap_skip_all "python3-dkim and python3-nacl are needed"
command -v openssl >/dev/null 2>&1 || tap_skip_all "openssl is needed"
lsan_excuse_libopendkim
e2e_init
tap_plan 6
d=$E2E_DIR
py() { "$DKIMPY" "$top_srcdir/t/unit/dkim_dkimpy.py" "$@"; }

openssl genrsa -out "$d/rsa.pem" 2048 2>/dev/null
rsa_pub=$(openssl rsa -in "$d/rsa.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
ed_pub=$(py edkey "$d/ed.seed")
txt() { printf '%s' "$1" | fold -w 255 | sed 's/.*/"&"/' | tr '\n' ' '; }
mkdir "$d/zones"
cat >"$d/zones/example.org.zone" <<EOF
\$ORIGIN example.org.
\$TTL 300
@ IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 60
@ IN NS ns.example.org.
ns IN A 127.0.0.1
r2026._domainkey IN TXT $(txt "v=DKIM1; k=rsa; p=$rsa_pub")
e2026._domainkey IN TXT $(txt "v=DKIM1; k=ed25519; p=$ed_pub")
EOF
cat >"$d/records.json" <<EOF
{"r2026._domainkey.example.org": "v=DKIM1; k=rsa; p=$rsa_pub",
 "e2026._domainkey.example.org": "v=DKIM1; k=ed25519; p=$ed_pub"}
EOF
dns_start "$d/zones"

sink_start
POL_DNS_SERVERS="\"127.0.0.1@$DNS_PORT\"" POL_DKIM="
  enabled: true
  sign_networks: [127.0.0.0/8]
  keys: [\"ex-rsa example.org r2026 $d/rsa.pem\", \"ex-ed example.org e2026 $d/ed.seed\"]
  signing: [\"*@example.org ex-rsa,ex-ed\"]" \
    mx_write_policy "$d/policy.yaml"
"$MXWARD" -c "$d/policy.yaml" check >"$d/check.out" 2>&1
tap_is "$?" 0 "mxward check: the keys match their DNS records"
mx_start "$d/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start

printf 'From: <a@example.org>\r\nTo: <b@example.net>\r\nSubject: outbound\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <out1@example.org>\r\n\r\nSigned on the way out.\r\n' >"$d/out.eml"
out=$(send --from a@example.org --rcpt b@example.net "$d/out.eml")
tap_like "$out" '^data 250 ' "outbound message accepted"
wait_for 20 test "$(sink_count)" -ge 1 || tap_diag "not delivered"
sink_message "$(sink_files | sed -n 1p)" >"$d/delivered.eml"
tap_is "$(grep -c '^DKIM-Signature:' "$d/delivered.eml")" 2 "delivered with two DKIM-Signature fields"
tap_is "$(py verify "$d/records.json" "$d/delivered.eml" | sed 's/ .*//' | sort | tr '\n' ' ')" \
    "pass pass " "dkimpy verifies both signatures (rsa-sha256 and ed25519-sha256)"

sed 's/example\.org/example.com/g' "$d/out.eml" >"$d/other.eml"
send --from a@example.com --rcpt b@example.net "$d/other.eml" >/dev/null
wait_for 20 test "$(sink_count)" -ge 2 || tap_diag "second message not delivered"
tap_is "$(sink_message "$(sink_files | sed -n 2p)" | grep -c '^DKIM-Signature:')" 0 \
    "a From domain the signing table does not name is not signed"
tap_unlike "$(cat "$MX_LOG")" 'DKIM_ERROR|could not sign' "no signing errors logged"
tap_done
