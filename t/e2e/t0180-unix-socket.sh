#!/bin/bash
# t0180 -- mxward on a unix socket (listen.milter unix:PATH, socket_mode
# 0666): Postfix (smtpd unchrooted, smtpd_milters = unix:PATH) gets the same
# service as over TCP -- a message delivered with our headers, an invalid
# HELO refused, an oversize message refused with 552 5.3.4 even though
# over a unix socket Postfix waits for no reply to headers and body (the
# refusal comes at end of message) -- and a restart on the same path works
# (whether or not the old socket file was left behind).
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 9
sink_start
sock=$E2E_DIR/mxward.sock
POL_SIZE=10k POL_LISTEN=unix:$sock mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
tap_ok "socket $sock created" test -S "$sock"
tap_is "$(stat -c %a "$sock")" 666 "socket mode is 0666 as configured"
PF_MILTER=unix:$sock postfix_start a

msg=$E2E_DIR/m.eml
make_message "$msg" "over a unix socket"
out=$(send "$msg")
tap_like "$out" '^data 250 ' "accepted"
tap_ok "delivered" wait_sent 1 30
tap_is "$(sink_headers "$(sink_files | head -n 1)" | head -n 1)" \
    'Authentication-Results: mx.test.example; none' "with our Authentication-Results on top"
out=$(send --helo notqualified "$msg")
tap_like "$out" '^mail 550 5\.7\.1 ' "invalid HELO refused over the unix socket too"
big=$E2E_DIR/big.eml
make_big_message "$big" 50
out=$(send "$big")
tap_like "$out" '^data 552 5\.3\.4 ' "oversize refused at end of DATA without per-chunk replies"
tap_is "$(sink_count)" 1 "only the first message was delivered"
mx_stop
[ -e "$sock" ] && tap_diag "note: $sock left behind after SIGTERM"
mx_start "$E2E_DIR/policy.yaml"
out=$(send "$msg")
tap_like "$out" '^data 250 ' "restarted on the same socket path: accepted again"
tap_done
