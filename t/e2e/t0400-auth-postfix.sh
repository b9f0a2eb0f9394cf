#!/bin/bash
# t0400 -- SPF, DKIM and DMARC through a real Postfix, DNS from nsd.
#
# The zones (written here, served by nsd on 127.0.0.1) publish SPF records,
# a DKIM key made at run time, and a DMARC p=reject policy. Messages signed
# by dkimpy (python3-dkim) go through Postfix with mxward as its milter:
#   - a sender whose domain says "-all" is refused at MAIL FROM (550 5.7.23);
#   - a signed message arrives with spf=pass, dkim=pass and dmarc=pass in
#     one Authentication-Results, also when it was signed with simple
#     header canonicalisation over a folded Subject (the milter passes
#     header fields as they stand);
#   - a tampered body arrives with dkim=fail (DMARC still passes on SPF);
#   - a From domain with p=reject whose mail is neither SPF- nor
#     DKIM-aligned is refused at end of data (550 5.7.1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
dns_need nsd
DKIMPY=/usr/bin/python3
"$DKIMPY" -c 'import dkim' 2>/dev/null || tap_skip_all "python3-dkim is needed"
command -v openssl >/dev/null 2>&1 || tap_skip_all "openssl is needed"
e2e_init
tap_plan 12
d=$E2E_DIR

# ---- keys, zones, nsd ----
openssl genrsa -out "$d/rsa.pem" 2048 2>/dev/null
pub=$(openssl rsa -in "$d/rsa.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
txt() { printf '%s' "$1" | fold -w 255 | sed 's/.*/"&"/' | tr '\n' ' '; }
mkdir "$d/zones"
zone() { # zone ORIGIN RECORDS...
    {
        printf '$ORIGIN %s.\n$TTL 300\n' "$1"
        printf '@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 60\n' "$1" "$1"
        printf '@ IN NS ns.%s.\nns IN A 127.0.0.1\n' "$1"
        shift
        printf '%s\n' "$@"
    } >"$d/zones/$1.zone"
}
zone example.org '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"' \
    "s1._domainkey IN TXT $(txt "v=DKIM1; k=rsa; p=$pub")" \
    '_dmarc IN TXT "v=DMARC1; p=reject"'
zone example.net '@ IN TXT "v=spf1 -all"'
zone example.com '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"'
dns_start "$d/zones"

sink_start
POL_DNS_SERVERS="\"127.0.0.1@$DNS_PORT\"" \
    POL_SPF="{ enabled: true }" POL_DKIM="{ enabled: true }" \
    POL_DMARC="{ enabled: true }" mx_write_policy "$d/policy.yaml"
mx_start "$d/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start

# ---- messages ----
# message FILE SUBJECT-LINES...: From a@example.org, CRLF line ends.
message() {
    local f=$1; shift
    {
        printf 'From: <a@example.org>\r\nTo: <rcpt@example.org>\r\n'
        printf '%s\r\n' "$@"
        printf 'Date: Wed, 25 Nov 2026 12:00:00 +0000\r\n'
        printf 'Message-ID: <%s@example.org>\r\n\r\n' "$(basename "$f")"
        printf 'Hello from the DKIM test.\r\n'
    } >"$f"
}
sign() { # sign IN OUT CANON
    "$DKIMPY" "$top_srcdir/t/unit/dkim_dkimpy.py" sign "$d/rsa.pem" \
        example.org s1 rsa-sha256 "$3" "$1" "$2"
}
message "$d/plain.eml" "Subject: signed, relaxed"
sign "$d/plain.eml" "$d/relaxed.eml" relaxed/relaxed
message "$d/folded.eml" "Subject: signed, simple," "  folded over two lines"
sign "$d/folded.eml" "$d/simple.eml" simple/simple
sed 's/Hello from/Hello, tampered, from/' "$d/relaxed.eml" >"$d/tampered.eml"

# authres N: the Authentication-Results of the N-th delivered message.
authres() {
    sink_headers "$(sink_files | sed -n "${1}p")" | grep '^Authentication-Results:' || true
}

# ---- SPF fail: refused at MAIL FROM ----
out=$(send --from x@example.net --rcpt rcpt@example.org)
tap_like "$out" '^mail 550 5\.7\.23 ' "SPF fail: MAIL FROM refused with 550 5.7.23"
tap_unlike "$out" '^data ' "SPF fail: no DATA"

# ---- DKIM pass, relaxed ----
out=$(send --from b@example.org --rcpt rcpt@example.org "$d/relaxed.eml")
tap_like "$out" '^data 250 ' "signed message accepted"
wait_for 20 test "$(sink_count)" -ge 1 || tap_diag "message 1 not delivered"
ar=$(authres 1)
tap_like "$ar" 'dkim=pass header\.d=example\.org header\.s=s1 header\.b=' "delivered with dkim=pass header.d header.s header.b"
tap_like "$ar" 'spf=pass smtp\.mailfrom=example\.org' "and spf=pass smtp.mailfrom"
tap_like "$ar" 'dmarc=pass .*header\.from=example\.org' "and dmarc=pass header.from"
tap_is "$(sink_headers "$(sink_files | sed -n 1p)" | grep -c '^Authentication-Results:')" 1 \
    "one Authentication-Results header"

# ---- DKIM pass, simple/simple over a folded header ----
out=$(send --from b@example.org --rcpt rcpt@example.org "$d/simple.eml")
wait_for 20 test "$(sink_count)" -ge 2 || tap_diag "message 2 not delivered"
tap_like "$(authres 2)" 'dkim=pass header\.d=example\.org' "simple/simple over a folded Subject: dkim=pass"

# ---- DKIM fail: tampered body; DMARC passes on SPF ----
out=$(send --from b@example.org --rcpt rcpt@example.org "$d/tampered.eml")
wait_for 20 test "$(sink_count)" -ge 3 || tap_diag "message 3 not delivered"
ar=$(authres 3)
tap_like "$ar" 'dkim=fail .*header\.d=example\.org' "tampered body delivered with dkim=fail"
tap_like "$ar" 'dmarc=pass' "and dmarc=pass through aligned SPF"

# ---- DMARC p=reject: SPF passes for another domain, no signature ----
out=$(send --from c@example.com --rcpt rcpt@example.org "$d/plain.eml")
tap_like "$out" '^data 550 5\.7\.1 ' "DMARC p=reject honoured: 550 5.7.1 at end of data"
tap_is "$(sink_count)" 3 "the refused message was not delivered"
tap_done
