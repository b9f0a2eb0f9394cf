#!/bin/bash
# t0210 -- garbage on mxward's sockets never takes it down: random bytes,
# a packet announcing 2 GiB, truncated and zero-length packets, unknown
# commands, junk after a valid negotiation and a flood of dropped
# connections on the milter socket; junk and an oversized request on the
# metrics socket. Afterwards mxward still serves a full milter session
# (miltertest), /metrics still answers, and no connection is left counted
# as open.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init nopostfix
command -v miltertest >/dev/null 2>&1 || tap_skip_all "miltertest is not installed"

kinds="random huge-length truncated zero bad-command after-negotiate flood"
tap_plan 11
POL_REFUSED='[192.0.2.0/24]' POL_METRICS=127.0.0.1:$(free_port) mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
port=${MX_LISTEN##*:}
for k in $kinds; do
    "$PYTHON" "$(dirname "$0")/garbage.py" 127.0.0.1 "$port" "$k"
    tap_ok "milter socket, $k: mxward still running" pid_alive "$MX_PID"
done
for k in http-junk http-huge; do
    "$PYTHON" "$(dirname "$0")/garbage.py" 127.0.0.1 "${MX_METRICS##*:}" "$k"
    tap_ok "metrics socket, $k: mxward still running" pid_alive "$MX_PID"
done

MILTER_SOCKET=inet:$port@127.0.0.1 MILTER_LIB=$E2E_LIBDIR/milter/common.lua \
    miltertest -s "$E2E_LIBDIR/milter/negotiate.lua" >"$E2E_DIR/mt.log" 2>&1 &&
    rc=0 || rc=$?
tap_is "$rc" 0 "a real milter session is still served"
[ "$rc" = 0 ] || tap_diag "$(cat "$E2E_DIR/mt.log")"
open_now() { [ "$(http_get "http://$MX_METRICS/metrics" |
    awk '$1 == "mxward_milter_connections" { print $2 }')" = 0 ]; }
tap_ok "/metrics answers and counts no connection left open" wait_for 10 open_now
tap_done
