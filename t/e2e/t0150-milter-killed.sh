#!/bin/bash
# t0150 -- mxward killed (SIGKILL, by PID) in the middle of a stream of
# messages: Postfix applies milter_default_action = tempfail, so nothing is
# lost.  Every message sent got a final reply; every one Postfix accepted
# (250, with a queue ID) was delivered or is still queued; every other one
# was refused with a 4xx (the client keeps it); nothing refused was
# delivered.  A restarted mxward serves again.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

N=200
tap_plan 9
sink_start
mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start a "milter_connect_timeout = 5s"

msg=$E2E_DIR/m.eml
make_big_message "$msg" 8
out=$E2E_DIR/stream.out
send --count "$N" "$msg" >"$out" 2>"$E2E_DIR/stream.err" &
client=$!
e2e_at_exit "stop_pid $client 2"

# Kill once a few messages went through, while the stream is running.
_results_ge() { [ "$(grep -c '^data ' "$out")" -ge "$1" ]; }
wait_for 60 _results_ge 20 || tap_diag "stream slow: $(grep -c '^data ' "$out") DATA replies"
killed_at=$(grep -c '^data ' "$out" || true)
kill -KILL "$MX_PID"
wait "$MX_PID" 2>/dev/null || true
wait_for 120 pid_gone "$client" || tap_diag "client still running"
wait "$client" || true
tap_diag "mxward killed after $killed_at DATA replies"

results=$(grep '^result ' "$out" || true)
tap_is "$(printf '%s\n' "$results" | grep -c .)" "$N" "the client reports a result for each of the $N messages"
tap_is "$(printf '%s\n' "$results" | grep -c ' 000$' || true)" 0 "every message got a final SMTP reply"
accepted=$(sed -n 's/^data 250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$out" | sort)
n_acc=$(printf '%s\n' "$accepted" | grep -c . || true)
n_4xx=$(printf '%s\n' "$results" | grep -c ' 4[0-9][0-9]$' || true)
tap_ok "some accepted before the kill ($n_acc), some tempfailed after ($n_4xx)" \
    test "$n_acc" -ge 20 -a "$n_4xx" -ge 1
tap_is "$((n_acc + n_4xx))" "$N" "accepted + tempfailed = sent (no 5xx, nothing else)"

# Deliveries do not involve the milter: let the queue drain.
wait_for 60 postfix_queue_empty || tap_diag "queue not empty: $(postfix_queue_count)"
delivered=$(sed -n 's/.* \([0-9A-F][0-9A-Za-z]*\): to=<.*status=sent .*/\1/p' "$PF_DIR/maillog" | sort -u)
queued=$(postqueue -c "$PF_CONF" -j | sed -n 's/.*"queue_id": *"\([^"]*\)".*/\1/p' | sort -u)
tap_is "$(printf '%s\n%s\n' "$delivered" "$queued" | grep . | sort -u | tr '\n' ' ')" \
    "$(printf '%s\n' "$accepted" | tr '\n' ' ')" \
    "accepted queue IDs = delivered + still queued"
tap_is "$(sink_count)" "$(printf '%s\n' "$delivered" | grep -c . || true)" \
    "the sink holds exactly the delivered messages"
tap_like "$(printf '%s\n' "$results" | grep -v ' 250$' | head -n 1)" ' 451$' \
    "the refusals are 451 (milter_default_action = tempfail)"
tap_ok "Postfix logged the milter failure" \
    wait_log "$PF_DIR/maillog" 'warning: (connect to Milter service|milter) inet:127\.0\.0\.1:[0-9]+: '

# Back on its feet.
mx_start "$E2E_DIR/policy.yaml"
make_message "$E2E_DIR/after.eml" "after restart"
o=$(send "$E2E_DIR/after.eml")
tap_like "$o" '^data 250 ' "after a restart of mxward, mail is accepted again"
tap_done
