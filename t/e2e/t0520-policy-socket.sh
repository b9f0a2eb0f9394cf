#!/bin/bash
# t0520 -- the policy-delegation socket (listen.policy), spoken to by
# t/e2e/policyclient.py: a plain RCPT request gets DUNNO; pipelined
# requests are all answered, in order; an Exim-style request followed by a
# half-close gets its answer and then EOF at once; 51 RCPT requests of one
# instance under recipients_max 50 get 452 4.5.3 for the 51st; DATA of a
# new instance with recipient_count 60 gets 550 5.5.3; VRFY is refused
# with 502 5.5.1 (accepted after a reload with vrfy: accept); a client of
# a refused network gets the access refusal. Bad requests (random bytes, a
# NUL, an over-long line, too many attributes, an oversized request, no
# request=, a truncated request then EOF) close the connection without a
# reply and are logged, and the daemon goes on answering. Connections
# over max_connections are closed at once; a request not complete within
# request_timeout closes its connection. A stop does not wait for an idle
# connection. Last, the same over a unix socket of the policy's mode.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init nopostfix

tap_plan 38
pol=$E2E_DIR/policy.yaml
pport=$(free_port)
extra='policy_service: { max_connections: 5, request_timeout: 1s }'
POL_POLICY_LISTEN=inet:127.0.0.1:$pport POL_REFUSED='[127.0.0.2/32]' \
    POL_METRICS=127.0.0.1:$(free_port) POL_EXTRA=$extra mx_write_policy "$pol"
keep_listen=$MX_LISTEN keep_metrics=$MX_METRICS
mx_start "$pol"
wait_for 10 tcp_open "$pport" || tap_bail "the policy socket does not answer"

pc() { "$PYTHON" "$E2E_LIBDIR/policyclient.py" "$pport" "$@"; }
# nth N TEXT: line N of TEXT.
nth() { printf '%s\n' "$2" | sed -n "$1p"; }

tap_is "$(pc ask)" DUNNO "a plain RCPT request: DUNNO"

out=$(pc pipeline 52 instance=pipe.1)
tap_is "$(printf '%s\n' "$out" | sed -n 1,50p | grep -cx DUNNO)" 50 \
    "pipelined: the first 50 answered DUNNO"
tap_is "$(nth 51 "$out")|$(nth 52 "$out")" \
    "452 4.5.3 Too many recipients|452 4.5.3 Too many recipients" \
    "pipelined: 51 and 52 answered 452, in order"

start=$(date +%s%N)
out=$(pc halfclose instance=)
ms=$((($(date +%s%N) - start) / 1000000))
tap_is "$out" "DUNNO
eof" "half-close after one request: the answer, then EOF"
tap_ok "and at once (${ms} ms)" test "$ms" -lt 2000

out=$(pc repeat 51 instance=msg.51)
tap_is "$(printf '%s\n' "$out" | sed -n 1,50p | grep -cx DUNNO)" 50 \
    "50 recipients of one instance: DUNNO"
tap_is "$(nth 51 "$out")" "452 4.5.3 Too many recipients" \
    "the 51st: 452 4.5.3 Too many recipients"
tap_ok "the refusal is logged" \
    wait_log "$MX_LOG" 'policyd: RCPT from localhost\[127\.0\.0\.1\]: 452 4\.5\.3 .*to=<r51@example\.org> instance=msg\.51'
tap_is "$(pc ask protocol_state=DATA recipient_count=60 instance=data.60 \
    recipient=)" "550 5.5.3 Too many recipients" \
    "DATA of a new instance with recipient_count=60: 550 5.5.3"
tap_is "$(pc ask protocol_state=VRFY recipient=postmaster instance=)" \
    "502 5.5.1 VRFY command is disabled" "VRFY refused by default"
tap_is "$(pc ask client_address=127.0.0.2 instance=refused.1)" \
    "554 5.7.1 Access denied" "a client of a refused network: 554 5.7.1"

for kind in random nul long-line many-attrs oversized no-request truncated; do
    tap_is "$(pc bad "$kind")" closed "$kind: closed without a reply"
done
tap_is "$(grep -c 'closing without a reply' "$MX_LOG")" 7 \
    "each logged with its reason"
tap_ok "mxward still running" pid_alive "$MX_PID"
tap_is "$(pc ask)" DUNNO "and still answering"

out=$(pc hold 5)
tap_is "$out" "served 5
extra closed
first still served" "max_connections 5: the sixth closed at once"
tap_ok "and logged" wait_log "$MX_LOG" 'max_connections\), closing this one'
out=$(pc hold 5)
tap_like "$out" 'extra closed' "a second sixth connection closed at once"

out=$(pc stall 5)
tap_like "$out" '^closed after [12]\.' \
    "a request stalled half-way: closed after request_timeout (1s)"
tap_ok "and logged" wait_log "$MX_LOG" 'request not complete in time'

metric() { http_get "http://$MX_METRICS/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
no_conn() { [ "$(metric mxward_policy_connections)" = 0 ]; }
tap_ok "no connection left counted as open" wait_for 10 no_conn
tap_is "$(metric mxward_policy_errors_total)" 7 "7 malformed requests counted"
tap_is "$(metric mxward_policy_connections_refused_total)" 2 \
    "2 connections over max_connections counted"
tap_is "$(grep -c 'max_connections), closing' "$MX_LOG")" 1 \
    "but logged once a minute: 1 line"
tap_is "$(metric 'mxward_policy_replies_total{action="defer"}')" 3 \
    "3 deferrals counted"
tap_is "$(metric 'mxward_policy_requests_total{state="VRFY"}')" 1 \
    "1 VRFY request counted"

# vrfy: accept, by reload.
POL_LISTEN=$keep_listen POL_METRICS=$keep_metrics \
    POL_POLICY_LISTEN=inet:127.0.0.1:$pport POL_REFUSED='[127.0.0.2/32]' \
    POL_EXTRA="policy_service: { vrfy: accept }" mx_write_policy "$pol"
kill -HUP "$MX_PID"
wait_log "$MX_LOG" 'reloaded ' || tap_bail "policy not reloaded"
tap_is "$(pc ask protocol_state=VRFY recipient=postmaster instance=)" \
    DUNNO "vrfy: accept after a reload: DUNNO"

# A stop closes an idle connection at once (it writes the time of its EOF).
"$PYTHON" -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.recv(1)
open(sys.argv[2], "w").write("%d\n" % time.time_ns())' \
    "$pport" "$E2E_DIR/idle.eof" &
idle_pid=$!
e2e_at_exit "stop_pid $idle_pid 2"
wait_log "$MX_LOG" 'connections open|ready' 1 || true
sleep 0.5
start=$(date +%s%N)
kill -TERM "$MX_PID"
wait_for 20 pid_gone "$MX_PID" || true
wait "$MX_PID" && rc=0 || rc=$?
MX_PID=
tap_is "$rc" 0 "mxward exits 0 on SIGTERM"
wait_for 5 test -s "$E2E_DIR/idle.eof" || true
ms=$((($(cat "$E2E_DIR/idle.eof" 2>/dev/null || echo 0) - start) / 1000000))
tap_ok "an idle policy connection is closed at once (${ms} ms)" \
    test "$ms" -ge 0 -a "$ms" -lt 1000
stop_pid "$idle_pid" 2

# The same front end on a unix socket, mode from listen.socket_mode.
sock=$E2E_DIR/policy.sock
POL_POLICY_LISTEN=unix:$sock POL_EXTRA= mx_write_policy "$pol"
mx_start "$pol"
wait_for 10 test -S "$sock" || tap_bail "no policy socket at $sock"
tap_is "$(stat -c %a "$sock")" 666 "the unix socket has listen.socket_mode"
tap_is "$("$PYTHON" "$E2E_LIBDIR/policyclient.py" "$sock" ask)" DUNNO \
    "a request over the unix socket: DUNNO"
tap_is "$("$PYTHON" "$E2E_LIBDIR/policyclient.py" "$sock" ask \
    protocol_state=VRFY)" "502 5.5.1 VRFY command is disabled" \
    "VRFY over the unix socket: 502 5.5.1"
tap_done
