#!/bin/bash
# auth-throughput.sh -- what SPF, DKIM and DMARC cost, against the tools
# postmasters run today.  Not a test.
#
# One run, on this machine, with DNS from nsd on 127.0.0.1 (zones written
# here, a 2048-bit RSA key made here), every engine reading the same
# messages with a warm cache:
#   DKIM  mxward scan (dkim only)        verifications/s, against
#         opendkim -t (opendkim 2.11, its libunbound forwarding to the same
#         nsd), over the same signed messages; both must pass them all
#   SPF   bench/spf-eval: spf_check() alone, engine mxward and engine
#         libspf2, evaluations/s of a record with include:, a, mx and ip4
#         terms over the cached answers
#   base  mxward scan with every check off: the pipeline's own cost, shown
#         so the per-check rates can be read net of it
#   e2e   Postfix alone; Postfix + mxward with every check off, with DKIM
#         only, and with SPF, DKIM and DMARC: the same signed messages
#         over SMTP (20 sessions), messages/s, mxward's CPU time per
#         message and peak RSS. (opendkim as the milter is not compared:
#         the only way to point it at a DNS server on another port than
#         53 is ResolverConfiguration, and opendkim 2.11's milter then
#         dies in libunbound's config parser under concurrent sessions,
#         "fatal flex scanner internal error". Its offline mode, -t, is
#         what the DKIM row above measures.)
#
# Usage (as root; needs nsd, opendkim, python3-dkim, openssl, postfix):
#     bench/auth-throughput.sh [--messages N] [--no-e2e]
# Everything runs in a temp dir on 127.0.0.1 and is stopped by PID.
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/.." && pwd)}"
. "$top_srcdir/t/e2e/lib.sh"
. "$top_srcdir/t/e2e/dns.sh"

messages=2000
e2e=1
sessions=20
run_timeout=300
while [ $# -gt 0 ]; do
    case $1 in
    --messages) messages=$2; shift ;;
    --no-e2e) e2e=0 ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--messages N] [--no-e2e]" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" -eq 0 ] || { echo "auth-throughput: run as root" >&2; exit 1; }
DKIMPY=/usr/bin/python3
: "${top_builddir:=$top_srcdir}"
for p in nsd opendkim openssl "$MXWARD" "$top_builddir/bench/spf-eval"; do
    command -v "$p" >/dev/null 2>&1 || { echo "auth-throughput: $p not found" >&2; exit 1; }
done
"$DKIMPY" -c 'import dkim' 2>/dev/null || { echo "auth-throughput: python3-dkim needed" >&2; exit 1; }

E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mxward-bench.XXXXXX")
chmod 755 "$E2E_DIR"
trap e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
D=$E2E_DIR
clk_tck=$(getconf CLK_TCK)
bench_py() { "$PYTHON" "$BENCH_DIR/benchlib.py" "$@"; }
calc() { local e=$1; shift; awk "$@" "BEGIN { $e }"; }

# ---- the zone: SPF with include, a, mx; a DKIM key; DMARC p=reject ----
openssl genrsa -out "$D/rsa.pem" 2048 2>/dev/null
pub=$(openssl rsa -in "$D/rsa.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
txt() { printf '%s' "$1" | fold -w 255 | sed 's/.*/"&"/' | tr '\n' ' '; }
mkdir "$D/zones"
cat >"$D/zones/example.org.zone" <<EOF
\$ORIGIN example.org.
\$TTL 3600
@ IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 3600
@ IN NS ns.example.org.
ns IN A 127.0.0.1
@ IN A 198.51.100.10
@ IN MX 10 mx.example.org.
mx IN A 198.51.100.25
@ IN TXT "v=spf1 a mx include:_spf.example.org ip4:203.0.113.0/24 -all"
_spf IN TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ip4:127.0.0.0/8 ~all"
s1._domainkey IN TXT $(txt "v=DKIM1; k=rsa; p=$pub")
_dmarc IN TXT "v=DMARC1; p=reject"
EOF
dns_start "$D/zones"

# ---- the messages: 50 different ones signed by dkimpy, copied ----
mkdir "$D/src" "$D/work"
for ((i = 0; i < 50; i++)); do
    {
        printf 'From: <a@example.org>\r\nTo: <rcpt@example.org>\r\n'
        printf 'Subject: benchmark message %d\r\n' "$i"
        printf 'Date: Wed, 25 Nov 2026 12:00:00 +0000\r\n'
        printf 'Message-ID: <bench-%d@example.org>\r\n\r\n' "$i"
        for ((l = 0; l < 60; l++)); do
            printf 'Line %d of message %d, some text to hash for the body.\r\n' "$l" "$i"
        done
    } >"$D/src/$i.eml"
    "$DKIMPY" "$top_srcdir/t/unit/dkim_dkimpy.py" sign "$D/rsa.pem" example.org s1 \
        rsa-sha256 relaxed/relaxed "$D/src/$i.eml" "$D/src/$i.signed"
done
files=()
for ((i = 0; i < messages; i++)); do
    cp "$D/src/$((i % 50)).signed" "$D/work/$i.eml"
    files+=("$D/work/$i.eml")
done

# ---- offline engines ----
policy() { # policy FILE SPF DKIM DMARC [extra lines]
    local f=$1
    {
        echo "authserv_id: mx.bench.example"
        echo "daemon: { user: \"\", log_level: warning }"
        echo "listen: { milter: \"${POL_LISTEN:-inet:127.0.0.1:$(free_port)}\", socket_mode: \"0666\" }"
        echo "metrics: { listen: \"\" }"
        echo "access: { trusted_networks: [], refused_networks: [] }"
        echo "helo: { required: false }"
        echo "limits: { message_size_limit: 10M }"
        echo "antivirus: { enabled: false }"
        echo "dns: { servers: [\"127.0.0.1@$DNS_PORT\"], timeout: 5s }"
        echo "spf: $2"
        echo "dkim: $3"
        echo "dmarc: $4"
        shift 4
        printf '%s\n' "$@"
    } >"$f"
}
rows=()
row() { rows+=("$(printf '%-34s %7s %8s %9s %8s %9s' "$@")"); }

# mx_rate LABEL POLICY COUNT-PATTERN: time `mxward scan` over the files;
# prints the rate, adds a row. The first run warms the cache.
mx_rate() {
    local label=$1 pol=$2 pat=$3 wall ut st rss rc n
    "$MXWARD" -c "$pol" scan --json --ip 127.0.0.1 --helo client.example.org \
        --from b@example.org --rcpt rcpt@example.org "${files[0]}" >/dev/null 2>&1
    read -r wall ut st rss rc <<<"$(bench_py timed "$D/out.json" "$run_timeout" \
        "$MXWARD" -c "$pol" scan --json --ip 127.0.0.1 --helo client.example.org \
        --from b@example.org --rcpt rcpt@example.org "${files[@]}")"
    n=$(grep -c -- "$pat" "$D/out.json" || true)
    RATE=$(calc 'printf "%.0f", m / w' -v m="$messages" -v w="$wall")
    row "$label" "$messages" "$wall" "$RATE" "$n/$messages" "$((rss / 1024))"
}

policy "$D/none.yaml" "{ enabled: false }" "{ enabled: false }" "{ enabled: false }"
mx_rate "mxward scan, all checks off" "$D/none.yaml" '"action":"accept"'
base=$RATE
policy "$D/dkim.yaml" "{ enabled: false }" "{ enabled: true }" "{ enabled: false }"
mx_rate "mxward scan, dkim" "$D/dkim.yaml" '"dkim":\[{"result":"pass"'
mx_dkim=$RATE

# opendkim -t: the same files, its libunbound forwarding to the same nsd.
cat >"$D/unbound.conf" <<EOF
server:
  do-not-query-localhost: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$DNS_PORT
EOF
printf 'Mode v\nSyslog no\nResolverConfiguration %s\n' "$D/unbound.conf" >"$D/opendkim.conf"
list=$(IFS=,; echo "${files[*]}")
opendkim -x "$D/opendkim.conf" -t "${files[0]}" >/dev/null 2>&1 || true
read -r wall ut st rss rc <<<"$(bench_py timed "$D/opendkim.out" "$run_timeout" \
    opendkim -x "$D/opendkim.conf" -t "$list")"
n=$(grep -c 'verification .* succeeded' "$D/opendkim.out" "$D/opendkim.out.err" |
    awk -F: '{ s += $2 } END { print s }')
od_rate=$(calc 'printf "%.0f", m / w' -v m="$messages" -v w="$wall")
row "opendkim -t" "$messages" "$wall" "$od_rate" "$n/$messages" "$((rss / 1024))"

# SPF: spf_check() alone, COUNT times per engine over the cached answers
# (one scan per message would time the pipeline, not the evaluation).
spf_eval="$top_builddir/bench/spf-eval"
spf_rate() { # spf_rate ENGINE: "RESULT RATE"
    "$spf_eval" "$1" "127.0.0.1@$DNS_PORT" $((messages * 10)) 127.0.0.1 b@example.org
}
read -r mx_spf_result mx_spf <<<"$(spf_rate mxward)"
read -r lib_spf_result lib_spf <<<"$(spf_rate libspf2)"

# Net of the pipeline: per-message time of the check alone.
net() { calc 'printf "%.0f", 1 / (1 / r - 1 / b)' -v r="$1" -v b="$base"; }
echo
printf '%-34s %7s %8s %9s %8s %9s\n' "engine" "msgs" "secs" "msgs/s" "ok" "peakMB"
printf '%s\n' "${rows[@]}"
echo
echo "DKIM verifications/s: mxward $mx_dkim ($(net "$mx_dkim") net of the pipeline)," \
    "opendkim $od_rate; ratio mxward/opendkim" \
    "$(calc 'printf "%.2f", a / b' -v a="$mx_dkim" -v b="$od_rate")"
echo "SPF evaluations/s ($((messages * 10)) each, cached DNS; record with a, mx," \
    "include, ip4): mxward $mx_spf ($mx_spf_result), libspf2 $lib_spf" \
    "($lib_spf_result); ratio mxward/libspf2" \
    "$(calc 'printf "%.2f", a / b' -v a="$mx_spf" -v b="$lib_spf")"

[ "$e2e" = 1 ] || exit 0

# ---- Postfix end to end ----
SINK_NODUMP=1 sink_start
postfix_start authbench \
    "in_flow_delay = 0s" \
    "default_process_limit = 200" \
    "smtpd_client_connection_count_limit = 0" \
    "smtpd_client_message_rate_limit = 0" \
    "milter_connect_timeout = 10s"
drain() { wait_for 60 postfix_queue_empty || echo "  (queue not drained in 60 s)" >&2; }
export BENCH_SENDER=b@example.org
e2e_rows=()
# e2e_run LABEL: warm up, then send every file; one row.
e2e_run() {
    local label=$1 secs bytes ok rej def fail rate cpu0= cpu1 cpums=- hwm=-
    bench_py send "$PF_PORT" "$sessions" 60 "${files[@]:0:100}" >/dev/null
    drain
    if [ -n "$MX_PID" ]; then
        echo 5 >"/proc/$MX_PID/clear_refs" 2>/dev/null || true
        cpu0=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$MX_PID/stat")
    fi
    read -r secs bytes ok rej def fail <<<"$(bench_py send "$PF_PORT" "$sessions" \
        "$run_timeout" "${files[@]}")"
    rate=$(calc 'printf "%.1f", n / s' -v n="$messages" -v s="$secs")
    if [ -n "$MX_PID" ]; then
        cpu1=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$MX_PID/stat")
        cpums=$(calc 'printf "%.2f", d * 1000 / hz / n' -v d=$((cpu1 - cpu0)) \
            -v hz="$clk_tck" -v n="$messages")
        hwm=$(($(mx_pid_status VmHWM | cut -d' ' -f1) / 1024))
    fi
    e2e_rows+=("$(printf '%-40s %8s %8s %8s %14s %10s %8s' "$label" "$sessions" \
        "$secs" "$rate" "$ok/$rej/$def/$fail" "$cpums" "$hwm")")
    drain
    RATE=$rate
}
MX_PID=
e2e_run "postfix alone"
alone=$RATE

# mxward_e2e LABEL SPF DKIM DMARC: mxward as the milter, those checks on.
mxward_e2e() {
    POL_LISTEN=unix:$D/mxward.sock
    policy "$D/e2e.yaml" "$2" "$3" "$4"
    MX_LISTEN=$POL_LISTEN
    mx_start "$D/e2e.yaml"
    postfix_conf "smtpd_milters = $MX_LISTEN"
    sleep 1
    e2e_run "$1"
    mx_stop
    postfix_conf "smtpd_milters ="
}
mxward_e2e "postfix + mxward (all checks off)" "{ enabled: false }" \
    "{ enabled: false }" "{ enabled: false }"
mxward_e2e "postfix + mxward (dkim)" "{ enabled: false }" "{ enabled: true }" \
    "{ enabled: false }"
mx_e2e_dkim=$RATE
mxward_e2e "postfix + mxward (spf, dkim, dmarc)" "{ enabled: true }" \
    "{ enabled: true }" "{ enabled: true }"
with=$RATE
echo
printf '%-40s %8s %8s %8s %14s %10s %8s\n' "Postfix" "sessions" "secs" "msgs/s" \
    "ok/rej/def/x" "mxCPUms" "peakMB"
printf '%s\n' "${e2e_rows[@]}"
echo "Postfix + mxward, of Postfix alone: SPF, DKIM and DMARC" \
    "$(calc 'printf "%.2f", a / b' -v a="$with" -v b="$alone"), DKIM only" \
    "$(calc 'printf "%.2f", a / b' -v a="$mx_e2e_dkim" -v b="$alone")"
