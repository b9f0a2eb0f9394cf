#!/bin/bash
# t0540 -- rate limits kept in Redis, shared by two mxward processes.
# Both answer policy requests on their own socket and keep their buckets
# in one redis-server under one prefix: requests for a sender limited to
# 5 per hour, alternating between the two, get exactly five DUNNO in all
# and 451 4.7.1 after; the key carries the prefix and a TTL; restarting
# one mxward does not reset the count.  With redis-server hung (SIGSTOP:
# past redis_timeout) or stopped, the limit without fail_open tempfails
# (on_error), the one with fail_open (the second daemon's policy) lets
# the request through, both count mxward_ratelimit_store_errors_total and
# stay up; once redis-server is back on its port (after the pool's 1 s
# back-off) the limit holds again.
set -eu
. "$(dirname "$0")/lib.sh"
. "$E2E_LIBDIR/redis.sh"
redis_have || tap_skip_all "redis-server is not installed (apt-get install redis-server)"
command -v redis-cli >/dev/null 2>&1 ||
    tap_skip_all "redis-cli is not installed (apt-get install redis-tools)"
e2e_init nopostfix
e2e_need_mxward

tap_plan 20
redis_start
prefix="t0540:rl:"
limit=5
client=$E2E_LIBDIR/policyclient.py

# write_policy FILE POLICY-PORT METRICS FAIL-OPEN: a policy with the
# policy socket and the Redis-kept limit.
write_policy() {
    POL_POLICY_LISTEN=inet:127.0.0.1:$2 POL_METRICS=$3 POL_EXTRA="rate_limits:
  store: redis
  redis_address: \"127.0.0.1:$REDIS_PORT\"
  redis_prefix: \"$prefix\"
  redis_timeout: 200ms
  limits:
    per_sender: { key: [sender], counts: messages, rate: \"$limit per 1h\", fail_open: $4 }" \
        mx_write_policy "$1"
}

# Two daemons: logs mxward-1.log and mxward-2.log, PIDs in mx_pid[].
declare -a mx_pid policy_port metrics url
mxn_stop() { stop_pid "${mx_pid[$1]}" 10; mx_pid[$1]=; }
# mxn_start I: start daemon I on its policy; wait for its policy socket.
mxn_start() {
    local i=$1
    "$MXWARD" -c "$E2E_DIR/policy-$i.yaml" -f run 2>>"$E2E_DIR/mxward-$i.log" >&2 &
    mx_pid[i]=$!
    wait_for 20 tcp_open "${policy_port[i]}" ||
        tap_bail "mxward $i did not listen on ${policy_port[i]}: $(tail -n 5 "$E2E_DIR/mxward-$i.log")"
    wait_for 10 tcp_open "${metrics[i]##*:}" || tap_bail "no metrics from mxward $i"
}
for i in 1 2; do
    policy_port[i]=$(free_port)
    metrics[i]=127.0.0.1:$(free_port)
    url[i]=http://${metrics[i]}/metrics
    fail_open=no
    [ "$i" = 2 ] && fail_open=yes
    write_policy "$E2E_DIR/policy-$i.yaml" "${policy_port[i]}" "${metrics[i]}" "$fail_open"
    e2e_at_exit "mxn_stop $i"
    mxn_start "$i"
done

# ask I SENDER: one request to daemon I, for a new message each (the
# instance numbered in a file: callers run in subshells); the action.
echo 0 >"$E2E_DIR/seq"
ask() {
    local seq
    seq=$(($(cat "$E2E_DIR/seq") + 1))
    echo "$seq" >"$E2E_DIR/seq"
    "$PYTHON" "$client" "${policy_port[$1]}" ask "sender=$2" "instance=t0540.$seq"
}
# alternate N SENDER: N requests, odd ones to daemon 1, even ones to 2;
# prints "I ACTION" per request.
alternate() {
    local n
    for ((n = 1; n <= $1; n++)); do
        echo "$((2 - n % 2)) $(ask $((2 - n % 2)) "$2")"
    done
}
count() { printf '%s\n' "$1" | grep -Ec -- "$2" || true; }
# metric I SAMPLE: one sample of daemon I's metrics, 0 if absent.
metric() {
    http_get "${url[$1]}" | awk -v m="$2" '$1 == m { v = $2 } END { printf "%d\n", v + 0 }'
}
store_errors() { metric "$1" mxward_ratelimit_store_errors_total; }
checks() { metric "$1" 'mxward_ratelimit_checks_total{limit="per_sender"}'; }
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

# ---- one count for both daemons ----
out=$(alternate 12 s1@example.net)
tap_is "$(count "$out" ' DUNNO$')" "$limit" \
    "12 requests alternating between the daemons: exactly $limit DUNNO"
tap_is "$(count "$out" ' 451 4\.7\.1 Rate limit exceeded')" $((12 - limit)) \
    "the other $((12 - limit)) get 451 4.7.1"
tap_is "$(count "$out" '^1 DUNNO$') $(count "$out" '^2 DUNNO$')" "3 2" \
    "both daemons let some through (3 and 2)"

key="${prefix}per_sender:sender=s1@example.net"
keys=$(rcli --scan --pattern '*')
tap_is "$(printf '%s\n' "$keys" | grep -c . || true) $(printf '%s\n' "$keys" | grep -c "^${prefix}" || true)" "1 1" \
    "Redis holds one key, under the prefix"
tap_is "$keys" "$key" "the key names the limit and the sender"
pttl=$(rcli pttl "$key")
tap_ok "it expires (PTTL $pttl ms, within the hour)" \
    test "$pttl" -gt 0 -a "$pttl" -le 3600001

# ---- a restarted daemon keeps the shared count ----
mxn_stop 1
mxn_start 1
tap_like "$(ask 1 s1@example.net)" '^451 4\.7\.1 ' \
    "after a restart of daemon 1, s1 is still over the limit there"
tap_is "$(ask 1 s2@example.net)" DUNNO "another sender passes"

# answered I: a probe request to daemon I reached Redis (counted as a
# check, which only happens when the store answered).
answered() {
    local c
    c=$(checks "$1")
    ask "$1" probe@example.net >/dev/null
    [ "$(checks "$1")" -gt "$c" ]
}
both_answered() { wait_for 15 answered 1 && wait_for 15 answered 2; }

# ---- redis-server hung (SIGSTOP): past redis_timeout, the failure modes ----
kill -STOP "$REDIS_PID"
a1=$(ask 1 h@example.net)
a2=$(ask 2 h@example.net)
kill -CONT "$REDIS_PID"
tap_like "$a1" '^451 4\.7\.1 Message could not be checked' \
    "redis-server hung, without fail_open: on_error's tempfail"
tap_is "$a2" DUNNO "redis-server hung, with fail_open: DUNNO"
tap_ok "both daemons reach redis-server again once it goes on" both_answered

# ---- redis-server gone: the failure modes ----
e1=$(store_errors 1)
e2=$(store_errors 2)
stop_pid "$REDIS_PID" 10
a1=$(ask 1 s2@example.net)
a2=$(ask 2 s2@example.net)
tap_like "$a1" '^4[0-9][0-9] [0-9.]+ ' "without fail_open: a 4xx (on_error tempfail): $a1"
tap_unlike "$a1" 'Rate limit exceeded' "... not the rate-limit reply"
tap_is "$a2" DUNNO "with fail_open: DUNNO"
tap_ok "mxward_ratelimit_store_errors_total grew on both daemons" \
    test "$(store_errors 1)" -gt "$e1" -a "$(store_errors 2)" -gt "$e2"
both_up() { pid_alive "${mx_pid[1]}" && pid_alive "${mx_pid[2]}"; }
tap_ok "both daemons are still up" both_up

# ---- redis-server back on its port: enforced again ----
redis_start "$REDIS_PORT"
tap_ok "both daemons reach the new redis-server (after the back-off)" both_answered
out=$(alternate 8 s3@example.net)
tap_is "$(count "$out" ' DUNNO$')" "$limit" "8 requests alternating: exactly $limit DUNNO"
tap_is "$(count "$out" ' 451 4\.7\.1 ')" 3 "the other 3 get 451 4.7.1"
tap_like "$(rcli exists "${prefix}per_sender:sender=s3@example.net")" '^1$' \
    "the new server holds the key"
tap_done
