#!/bin/bash
# test_dkim_dkimpy.sh -- mxward's DKIM against independent implementations.
#
# Keys are made here (openssl for RSA, python3-nacl for Ed25519) and
# published in a test zone served by nsd (t/e2e/dns.sh); the DNS-timeout
# case uses the dnslib stub. Messages signed by dkimpy (python3-dkim) are
# checked with `mxward scan --json`: pass, tampered body and header,
# missing, revoked and p=-less keys, a DNS timeout, rsa-sha1 and a 512-bit
# key (RFC 8301, by policy), ed25519, two signatures, a malformed field,
# "Date   :", and a t=s key. Messages mxward signs (scan --user, so the
# client counts as authenticated) are verified by dkimpy and by
# opendkim-testmsg. `mxward check` compares the keys with the zone.
#
# opendkim-testmsg(8) has no option for a name server or a key file: it
# verifies through libopendkim's default resolver, the C library's, which
# reads /etc/resolv.conf. So it runs in private mount and network
# namespaces (unshare -mn, root only): a resolv.conf naming 127.0.0.1 is
# bind-mounted over /etc/resolv.conf and the dnslib stub answers on port
# 53 of that namespace's own loopback. Nothing leaves it; without root or
# unshare those cases are skipped.
set -u
. "$top_srcdir/t/e2e/lib.sh"
. "$top_srcdir/t/e2e/dns.sh"
dns_need nsd dnslib
DKIMPY=/usr/bin/python3
lsan_excuse_libopendkim
"$DKIMPY" -c 'import dkim, nacl' 2>/dev/null ||
    tap_skip_all "python3-dkim and python3-nacl are needed"
command -v openssl >/dev/null 2>&1 || tap_skip_all "openssl is needed"
e2e_init nopostfix
e2e_need_mxward
tap_plan 38
d=$E2E_DIR
py() { "$DKIMPY" "$top_srcdir/t/unit/dkim_dkimpy.py" "$@"; }

# ---- keys and the zone ----
openssl genrsa -out "$d/rsa.pem" 2048 2>/dev/null
openssl genrsa -out "$d/weak.pem" 512 2>/dev/null
pub() { openssl rsa -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0; }
ED_PUB=$(py edkey "$d/ed.seed")
RSA_REC="v=DKIM1; k=rsa; p=$(pub "$d/rsa.pem")"
ED_REC="v=DKIM1; k=ed25519; p=$ED_PUB"
# TXT rdata as 255-byte character-strings.
txt() { printf '%s' "$1" | fold -w 255 | sed 's/.*/"&"/' | tr '\n' ' '; }
mkdir "$d/zones"
cat >"$d/zones/example.org.zone" <<EOF
\$ORIGIN example.org.
\$TTL 300
@ IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 60
@ IN NS ns.example.org.
ns IN A 127.0.0.1
r._domainkey IN TXT $(txt "$RSA_REC")
e._domainkey IN TXT $(txt "$ED_REC")
w._domainkey IN TXT $(txt "v=DKIM1; k=rsa; p=$(pub "$d/weak.pem")")
ts._domainkey IN TXT $(txt "v=DKIM1; k=rsa; t=s; p=$(pub "$d/rsa.pem")")
revoked._domainkey IN TXT "v=DKIM1; k=rsa; p="
nop._domainkey IN TXT "v=DKIM1; k=rsa"
EOF
dns_start "$d/zones"
cat >"$d/stub.json" <<EOF
{"records": [{"name": "r._domainkey.example.org", "type": "TXT",
              "data": "$RSA_REC"}],
 "timeout": ["slow._domainkey.example.org"], "zones": ["example.org"]}
EOF
dnsstub_start "$d/stub.json"

policy() { # policy FILE PORT [dkim options...]
    local f=$1 port=$2; shift 2
    {
        echo "authserv_id: mx.test.example"
        echo "dns: { servers: [\"127.0.0.1@$port\"], timeout: 2s }"
        echo "antivirus: { enabled: no }"
        echo "dkim:"
        local line
        for line in "$@"; do echo "  $line"; done
    } >"$f"
}
policy "$d/p.yaml" "$DNS_PORT" "verify: yes"
policy "$d/stub.yaml" "$STUB_PORT" "verify: yes"
policy "$d/lax.yaml" "$DNS_PORT" "rsa_sha1: accept" "weak_keys: accept"

printf 'From: Joe <joe@example.org>\r\nTo: Jane <jane@example.net>\r\nSubject: Hello\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n\r\nHi Jane,\r\n\r\nsee you.\r\n' >"$d/m.eml"

# scan POLICY FILE [scan options]: the JSON record.
scan() {
    local p=$1 f=$2; shift 2
    "$MXWARD" -c "$p" scan --json --ip 203.0.113.5 --from joe@example.org \
        --rcpt jane@example.net "$@" "$f" 2>>"$d/mxward.log"
}
# results JSON: "result (reason)" per signature, one per line.
results() {
    printf '%s' "$1" | "$PYTHON" -c 'import json, sys
for s in json.load(sys.stdin)["dkim"]:
    print(s["result"] + (" (%s)" % s["reason"] if s.get("reason") else ""))'
}
# dkimsign KEY SEL ALG CANON IN OUT [IDENTITY]
dkimsign() { py sign "$1" example.org "$2" "$3" "$4" "$5" "$6" ${7:+"$7"}; }
check() { # check POLICY FILE EXPECTED DESCRIPTION
    local json
    json=$(scan "$1" "$2")
    tap_is "$(results "$json")" "$3" "$4"
}
# ---- dkimpy signs, mxward verifies ----
dkimsign "$d/rsa.pem" r rsa-sha256 relaxed/relaxed "$d/m.eml" "$d/pass.eml"
json=$(scan "$d/p.yaml" "$d/pass.eml")
tap_is "$(results "$json")" "pass" "rsa-sha256 relaxed/relaxed: pass"
b8=$(sed -n 's/.*[; ]b=\([A-Za-z0-9+/]\{8\}\).*/\1/p' "$d/pass.eml" | head -1)
tap_is "$(printf '%s' "$json" | "$PYTHON" -c 'import json, sys
s = json.load(sys.stdin)["dkim"][0]; print(s["domain"], s["selector"], s["b"])')" \
    "example.org r $b8" "domain, selector and header.b reported"
tap_like "$json" 'dkim=pass header.d=example.org header.s=r header.b='"${b8//+/\\+}" \
    "Authentication-Results method per signature"
tap_like "$json" '"name": *"DKIM_PASS"' "DKIM_PASS symbol"

dkimsign "$d/rsa.pem" r rsa-sha256 simple/simple "$d/m.eml" "$d/simple.eml"
check "$d/p.yaml" "$d/simple.eml" "pass" "rsa-sha256 simple/simple: pass"

sed 's/see you\./see you!/' "$d/pass.eml" >"$d/body.eml"
check "$d/p.yaml" "$d/body.eml" "fail (body hash mismatch)" "tampered body: fail"
tap_like "$(scan "$d/p.yaml" "$d/body.eml")" \
    'dkim=fail \(body hash mismatch\) header.d=example.org' \
    "fail written RFC 8601 style, with a reason comment"
sed 's/^Subject: Hello/Subject: Hallo/' "$d/pass.eml" >"$d/header.eml"
check "$d/p.yaml" "$d/header.eml" "fail (signature did not verify)" \
    "tampered header: fail"

dkimsign "$d/rsa.pem" missing rsa-sha256 relaxed/relaxed "$d/m.eml" "$d/nx.eml"
check "$d/p.yaml" "$d/nx.eml" "permerror (no key for signature (nxdomain))" \
    "missing key (NXDOMAIN): permerror"
dkimsign "$d/rsa.pem" revoked rsa-sha256 relaxed/relaxed "$d/m.eml" "$d/rev.eml"
check "$d/p.yaml" "$d/rev.eml" "permerror (key revoked)" "revoked key (p=): permerror"
dkimsign "$d/rsa.pem" nop rsa-sha256 relaxed/relaxed "$d/m.eml" "$d/nop.eml"
check "$d/p.yaml" "$d/nop.eml" "permerror (key record without p=)" \
    "key record without p=: permerror"

dkimsign "$d/rsa.pem" slow rsa-sha256 relaxed/relaxed "$d/m.eml" "$d/slow.eml"
check "$d/stub.yaml" "$d/slow.eml" "temperror (key lookup failed (timeout))" \
    "DNS timeout: temperror"
check "$d/stub.yaml" "$d/pass.eml" "pass" "the stub serves the good key"

dkimsign "$d/rsa.pem" r rsa-sha1 relaxed/relaxed "$d/m.eml" "$d/sha1.eml"
check "$d/p.yaml" "$d/sha1.eml" "permerror (rsa-sha1 not accepted (RFC 8301))" \
    "rsa-sha1: permerror by default"
check "$d/lax.yaml" "$d/sha1.eml" "pass" "rsa-sha1 with rsa_sha1: accept: pass"

dkimsign "$d/weak.pem" w rsa-sha256 relaxed/relaxed "$d/m.eml" "$d/weak.eml"
check "$d/p.yaml" "$d/weak.eml" "permerror (key too small (512 bits))" \
    "512-bit key: permerror by default"
check "$d/lax.yaml" "$d/weak.eml" "pass" "512-bit key with weak_keys: accept: pass"

dkimsign "$d/ed.seed" e ed25519-sha256 relaxed/relaxed "$d/m.eml" "$d/ed.eml"
check "$d/p.yaml" "$d/ed.eml" "pass" "ed25519-sha256: pass"

dkimsign "$d/rsa.pem" r rsa-sha256 relaxed/relaxed "$d/ed.eml" "$d/two.eml"
check "$d/p.yaml" "$d/two.eml" "pass
pass" "two signatures (rsa and ed25519): both pass"

{ printf 'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=r; h=from;\r\n\tbh=garbage!; b=AAAA\r\n'; cat "$d/pass.eml"; } >"$d/bad.eml"
json=$(scan "$d/p.yaml" "$d/bad.eml")
tap_is "$(results "$json")" "permerror (bh= is not base64)
pass" "malformed signature: permerror, the good one still passes"
tap_like "$json" 'dkim=permerror \(bh= is not base64\) header.d=example.org header.s=r' \
    "the malformed one gets its own A-R method"

# "Date   :" (RFC 5322 obs-optional WSP before the colon): dkimpy refuses
# to sign it ("Unexpected characters in RFC822 header"), so
# opendkim-testmsg signs (simple/simple and rsa-sha1, libopendkim's
# defaults it has no option for; hence the lax policy).
sed 's/^Date:/Date   :/' "$d/m.eml" >"$d/date.eml"
opendkim-testmsg -C -d example.org -s r -k "$d/rsa.pem" <"$d/date.eml" >"$d/date-s.eml" 2>>"$d/mxward.log"
check "$d/lax.yaml" "$d/date-s.eml" "pass" "\"Date   :\" signed by opendkim-testmsg: pass"

dkimsign "$d/rsa.pem" ts rsa-sha256 relaxed/relaxed "$d/m.eml" "$d/ts-ok.eml" \
    joe@example.org
check "$d/p.yaml" "$d/ts-ok.eml" "pass" "key t=s, i= in d=: pass"
printf 'From: Joe <joe@sub.example.org>\r\nSubject: t=s\r\n\r\nbody\r\n' >"$d/sub.eml"
dkimsign "$d/rsa.pem" ts rsa-sha256 relaxed/relaxed "$d/sub.eml" "$d/ts-bad.eml" \
    joe@sub.example.org
check "$d/p.yaml" "$d/ts-bad.eml" "permerror (i= domain is not d= (key t=s))" \
    "key t=s, i= in a subdomain: permerror"

check "$d/p.yaml" "$d/m.eml" "" "unsigned: no signature reported"
tap_like "$(scan "$d/p.yaml" "$d/m.eml")" 'dkim=none' "unsigned: dkim=none"

# ---- mxward signs, dkimpy and opendkim-testmsg verify ----
policy "$d/sign.yaml" "$DNS_PORT" \
    "keys: [\"ex-rsa example.org r $d/rsa.pem\", \"ex-ed example.org e $d/ed.seed\"]" \
    "signing: [\"*@example.org ex-rsa,ex-ed\"]"
json=$(scan "$d/sign.yaml" "$d/m.eml" --user joe)
printf '%s' "$json" | "$PYTHON" -c 'import json, sys
r = json.load(sys.stdin)
msg = open(sys.argv[1], "rb").read()
for h in reversed([h for h in r["headers_added"] if h["name"] == "DKIM-Signature"]):
    msg = b"DKIM-Signature: " + h["value"].encode() + b"\r\n" + msg
open(sys.argv[2], "wb").write(msg)' "$d/m.eml" "$d/ours.eml"
tap_is "$(grep -c '^DKIM-Signature:' "$d/ours.eml")" 2 \
    "authenticated sender: signed with both keys"
printf '{"r._domainkey.example.org": "%s", "e._domainkey.example.org": "%s"}\n' \
    "$RSA_REC" "$ED_REC" >"$d/records.json"
tap_is "$(py verify "$d/records.json" "$d/ours.eml" 2>&1)" \
    "pass d=example.org s=r
pass d=example.org s=e" "dkimpy verifies both of mxward's signatures"
check "$d/p.yaml" "$d/ours.eml" "pass
pass" "mxward verifies its own signatures"
sed 's/see you\./see you!/' "$d/ours.eml" >"$d/ours-bad.eml"
tap_is "$(py verify "$d/records.json" "$d/ours-bad.eml" 2>/dev/null)" \
    "fail d=example.org s=r
fail d=example.org s=e" "dkimpy: tampered, both fail"
tap_is "$(printf '%s' "$(scan "$d/sign.yaml" "$d/m.eml")" | "$PYTHON" -c 'import json, sys
print(sum(h["name"] == "DKIM-Signature" for h in json.load(sys.stdin)["headers_added"]))')" \
    0 "unauthenticated sender: not signed"

# opendkim-testmsg, in namespaces of its own (see the header).
testmsg() { # testmsg MESSAGE: opendkim-testmsg's exit status and output
    unshare -mn /bin/sh -c '
        ip link set lo up || exit 90
        printf "nameserver 127.0.0.1\n" >"$1/ns.resolv.conf"
        mount --bind "$1/ns.resolv.conf" /etc/resolv.conf || exit 91
        "$2" "$3/t/e2e/dnsstub.py" --port 53 --port-file "$1/ns.port" \
            "$1/ns.json" >/dev/null 2>&1 &
        stub=$!
        i=0; while [ ! -s "$1/ns.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
        opendkim-testmsg <"$4" 2>&1; rc=$?
        kill $stub; rm -f "$1/ns.port"
        echo "rc=$rc"' sh "$d" "$DKIMPY" "$top_srcdir" "$1"
}
"$PYTHON" -c 'import json, sys
recs = json.load(open(sys.argv[1]))
json.dump({"records": [{"name": k, "type": "TXT", "data": v} for k, v in recs.items()],
           "zones": ["example.org"]}, open(sys.argv[2], "w"))' "$d/records.json" "$d/ns.json"
# opendkim-testmsg verifies the first good signature: one key at a time.
tr -d '\r' <"$d/ours.eml" | awk '/^DKIM-Signature: v=1; a=ed25519/ { next } { print }' >"$d/ours-rsa.eml"
tr -d '\r' <"$d/ours.eml" | awk '/^DKIM-Signature: v=1; a=rsa/ { next } { print }' >"$d/ours-ed.eml"
if [ "$(id -u)" -ne 0 ] || ! command -v opendkim-testmsg >/dev/null 2>&1 ||
        ! out=$(testmsg "$d/ours-rsa.eml") || [ "${out##*rc=}" = 90 ] || [ "${out##*rc=}" = 91 ]; then
    tap_skip "needs root, unshare and opendkim-tools" "opendkim-testmsg verifies mxward's rsa signature"
    tap_skip "needs root, unshare and opendkim-tools" "opendkim-testmsg verifies mxward's ed25519 signature"
    tap_skip "needs root, unshare and opendkim-tools" "opendkim-testmsg refuses a tampered one"
else
    tap_is "$out" "rc=0" "opendkim-testmsg verifies mxward's rsa signature"
    tap_is "$(testmsg "$d/ours-ed.eml")" "rc=0" "opendkim-testmsg verifies mxward's ed25519 signature"
    sed 's/see you\./see you!/' "$d/ours-rsa.eml" >"$d/ours-rsa-bad.eml"
    tap_unlike "$(testmsg "$d/ours-rsa-bad.eml")" '^rc=0$' "opendkim-testmsg refuses a tampered one"
fi

# ---- mxward check: keys against the zone ----
out=$("$MXWARD" -c "$d/sign.yaml" check 2>&1) && rc=0 || rc=$?
tap_like "$out" 'key ex-rsa .* r._domainkey.example.org published' "check: rsa key matches its record"
tap_is "$rc" 0 "check: published keys pass"
policy "$d/sign-bad.yaml" "$DNS_PORT" \
    "keys: [\"ex-w example.org w $d/rsa.pem\", \"ex-n example.org none $d/rsa.pem\"]"
out=$("$MXWARD" -c "$d/sign-bad.yaml" check 2>&1) && rc=0 || rc=$?
tap_like "$out" 'key ex-w .* DOES NOT MATCH' "check: a record with another key is named"
tap_like "$out" 'key ex-n .* NOT PUBLISHED' "check: a missing record is named"
tap_done
