#!/bin/bash
# policy-throughput.sh -- rate limits on the policy socket: mxward against
# postfwd.  Not a test.
#
# One run, on this machine, drives with the same client, the same
# requests and the same number of connections, one after the other:
#   postfwd   postfwd 1.35 (Debian package postfwd; /usr/sbin/postfwd is
#             postfwd2, the pre-forking server with its rate counters in
#             its cache daemon; postfwd1, the single-process one, is
#             measured too) with one rule
#                 action=rate(sender/500/3600/451 4.7.1 rate exceeded)
#             and Debian's default options (--cache=600
#             --cache-rdomain-only --cache-no-size), without logging
#             (--perfmon: no syslog daemon here, and its best case);
#   mxward    embedded store, and store redis (a redis-server started
#             here), with the same limit, every other check off:
#                 per_sender: { key: [sender], counts: messages,
#                               rate: "500 per 1h" }
# The client is bench/policy-load: CONNECTIONS persistent connections
# (default 20, as many smtpd processes), each sending a Postfix RCPT
# request as soon as the previous one was answered, one message per
# request, senders s0..s(SENDERS-1)@example.net in turn (default 10000, so
# there are many buckets and none is over the limit), for SECONDS
# (default 10) after a one-second warm-up with other senders. The client
# is in C (one thread, poll), the same for all: client and servers share
# this machine's cores, and a Python client (selectors, 20 connections)
# reached the same rate against mxward but took twice the client's CPU.
#
# Printed: requests/s and the answers of each, the busy CPU time of the
# whole host per request (/proc/stat: client and server together; this
# machine's cores are shared by both), mxward's ratio to postfwd; then a
# check that each enforces the limit (501 requests of one sender on one
# connection: 500 DUNNO and one 451), and Redis round trips per check
# (INFO commandstats: EVALSHA and EVAL calls during the redis run over
# its requests; 1.00 expected, refunds only come with refused mail).
#
# Usage (as root; needs redis-server, redis-cli, a built ./mxward and
# bench/policy-load; installs postfwd with apt-get when it is missing, and
# leaves its rows out if that fails):
#     bench/policy-throughput.sh [--seconds N] [--connections N] [--senders N]
# Everything runs on 127.0.0.1 in a temp dir and is stopped by PID; the
# whole run takes about a minute.
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/.." && pwd)}"
. "$top_srcdir/t/e2e/lib.sh"
. "$top_srcdir/t/e2e/redis.sh"

seconds=10
conns=20
senders=10000
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) seconds=$2; shift ;;
    --connections) conns=$2; shift ;;
    --senders) senders=$2; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--seconds N] [--connections N] [--senders N]" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" -eq 0 ] || { echo "policy-throughput: run as root" >&2; exit 1; }
load=$top_builddir/bench/policy-load
for p in redis-server redis-cli "$MXWARD" "$load"; do
    command -v "$p" >/dev/null 2>&1 || { echo "policy-throughput: $p not found" >&2; exit 1; }
done

# postfwd: install it when missing (services kept from starting, as
# t/run-all.sh does); without it, only mxward is measured.
postfwd_install() {
    local guard='' rc=0
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        guard=/usr/sbin/policy-rc.d
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        postfwd >/dev/null 2>&1 || rc=$?
    [ -n "$guard" ] && rm -f "$guard"
    return "$rc"
}
have_postfwd=yes
if [ ! -x /usr/sbin/postfwd2 ] && ! postfwd_install; then
    echo "policy-throughput: postfwd could not be installed (apt-get install postfwd);" \
        "measuring mxward alone" >&2
    have_postfwd=no
fi

E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mxward-bench.XXXXXX")
chmod 755 "$E2E_DIR"
trap e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
D=$E2E_DIR
calc() { local e=$1; shift; awk "$@" "BEGIN { $e }"; }
# Busy jiffies of the host (/proc/stat, all CPUs: user, nice, system,
# irq, softirq).
host_cpu() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
clk_tck=$(getconf CLK_TCK)

rows=()
checks=()
RATE=
TIMED=
# Run before and after each timed run (the Redis counters).
timed_hook() { :; }
# measure LABEL PORT: warm up, time the run, check the limit; one row.
measure() {
    local label=$1 port=$2 secs n dunno t4 t5 other rec b0 b1 cpu
    "$load" -c "$conns" -t 1 -s "$senders" -p warm "$port" >/dev/null
    timed_hook before
    b0=$(host_cpu)
    read -r secs n dunno t4 t5 other rec <<<"$("$load" -c "$conns" -t "$seconds" \
        -s "$senders" "$port")"
    b1=$(host_cpu)
    timed_hook after
    TIMED=$n
    RATE=$(calc 'printf "%.0f", n / s' -v n="$n" -v s="$secs")
    cpu=$(calc 'printf "%.1f", (b1 - b0) * 1e6 / hz / n' -v b0="$b0" -v b1="$b1" \
        -v hz="$clk_tck" -v n="$n")
    rows+=("$(printf '%-34s %6s %7s %9s %8s %18s %7s %8s' "$label" "$conns" "$secs" \
        "$n" "$RATE" "$dunno/$t4/$((t5 + other))" "$rec" "$cpu")")
    read -r secs n dunno t4 t5 other rec <<<"$("$load" -c 1 -n 501 -s 1 -p over "$port")"
    checks+=("$(printf '%-34s %s DUNNO, %s 4xx, %s other' "$label" "$dunno" "$t4" \
        "$((t5 + other))")")
}

# ---- postfwd2 and postfwd1 ----
# pid_tree PID: PID and its descendants, parents first.
pid_tree() {
    local c
    echo "$1"
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do pid_tree "$c"; done
}
# postfwd_stop PIDFILE: the master by PID, then whatever it left behind.
postfwd_stop() {
    local pid p tree
    [ -s "$1" ] || return 0
    pid=$(cat "$1")
    tree=$(pid_tree "$pid")
    stop_pid "$pid" 10
    for p in $tree; do stop_pid "$p" 5; done
    rm -f "$1"
}
# postfwd_run LABEL PROGRAM ARGS...: start it (it daemonizes; its PID
# file and sockets are in $D/NAME), measure, stop it.
postfwd_run() {
    local label=$1 prog=$2 name port dir
    shift 2
    name=$(basename "$prog")
    dir=$D/$name
    mkdir -p "$dir"
    chown nobody "$dir"
    port=$(free_port)
    e2e_at_exit "postfwd_stop '$dir/pid'"
    "$prog" --file "$D/postfwd.cf" --interface 127.0.0.1 --port "$port" \
        --pidfile "$dir/pid" --user nobody --group nogroup --nodns \
        --cache=600 --cache-rdomain-only --cache-no-size "$@" \
        >"$D/$name.log" 2>&1 ||
        { cat "$D/$name.log" >&2; echo "policy-throughput: $name did not start" >&2; exit 1; }
    wait_for 20 tcp_open "$port" ||
        { cat "$D/$name.log" >&2; echo "policy-throughput: $name does not listen" >&2; exit 1; }
    measure "$label" "$port"
    postfwd_stop "$dir/pid"
}
postfwd2_rate=
postfwd1_rate=
if [ "$have_postfwd" = yes ]; then
    echo 'id=RATE01; action=rate(sender/500/3600/451 4.7.1 rate exceeded)' >"$D/postfwd.cf"
    postfwd_run "postfwd2 1.35 (/usr/sbin/postfwd)" /usr/sbin/postfwd2 \
        --cache_socket "unix::$D/postfwd2/cache.sock" --perfmon
    postfwd2_rate=$RATE
    postfwd_run "postfwd1 1.35" /usr/sbin/postfwd1 -d --perfmon
    postfwd1_rate=$RATE
fi

# ---- mxward, embedded store and redis ----
policy_port=$(free_port)
# mx_policy FILE STORE-LINES: the bench policy.
mx_policy() {
    POL_POLICY_LISTEN=inet:127.0.0.1:$policy_port POL_LOG_LEVEL=warning \
        POL_HELO_REQUIRED=false POL_EXTRA="rate_limits:
$2
  limits:
    per_sender: { key: [sender], counts: messages, rate: \"500 per 1h\" }" \
        mx_write_policy "$1"
}
mx_policy "$D/embedded.yaml" "  store: embedded"
mx_start "$D/embedded.yaml"
wait_for 10 tcp_open "$policy_port" || { echo "policy-throughput: no policy socket" >&2; exit 1; }
measure "mxward, embedded store" "$policy_port"
mx_embedded=$RATE
mx_stop

redis_start
# evals: EVALSHA and EVAL calls so far.
evals() {
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info commandstats |
        awk -F'[:=,]' '/^cmdstat_evalsha:/ { s = $3 } /^cmdstat_eval:/ { e = $3 }
            END { printf "%d %d\n", s, e }'
}
mx_policy "$D/redis.yaml" "  store: redis
  redis_address: \"127.0.0.1:$REDIS_PORT\"
  redis_prefix: \"bench:rl:\""
mx_start "$D/redis.yaml"
wait_for 10 tcp_open "$policy_port" || { echo "policy-throughput: no policy socket" >&2; exit 1; }
# Round trips of the timed run alone.
timed_hook() {
    case $1 in
    before) read -r sha0 ev0 <<<"$(evals)" ;;
    after) read -r sha1 ev1 <<<"$(evals)" ;;
    esac
}
measure "mxward, store redis" "$policy_port"
mx_redis=$RATE
keys=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" dbsize)
mx_stop

echo
printf '%-34s %6s %7s %9s %8s %18s %7s %8s\n' "server" "conns" "secs" "requests" \
    "req/s" "DUNNO/4xx/other" "reconn" "hostCPUus"
printf '%s\n' "${rows[@]}"
echo
echo "limit check, 501 requests of one sender on one connection (500 DUNNO, 1 4xx expected):"
printf '  %s\n' "${checks[@]}"
echo
echo "Redis round trips per check: $((sha1 - sha0)) EVALSHA + $((ev1 - ev0)) EVAL" \
    "for $TIMED requests = $(calc 'printf "%.3f", (a + b) / n' -v a=$((sha1 - sha0)) \
    -v b=$((ev1 - ev0)) -v n="$TIMED"); $keys keys in Redis at the end"
ratio() { calc 'printf "%.1fx", a / b' -v a="$1" -v b="$2"; }
if [ -n "$postfwd2_rate" ]; then
    echo "mxward of postfwd2 (/usr/sbin/postfwd): embedded" \
        "$(ratio "$mx_embedded" "$postfwd2_rate"), redis $(ratio "$mx_redis" "$postfwd2_rate");" \
        "of postfwd1: embedded $(ratio "$mx_embedded" "$postfwd1_rate"), redis" \
        "$(ratio "$mx_redis" "$postfwd1_rate") (target 10x)"
fi
