#!/bin/bash
# t0110 -- a client from a refused network (127.0.0.2/32 here; the client
# binds to that loopback address) is refused at connect: mxward answers
# 554 5.7.1 Access denied, which Postfix logs as milter-reject and turns
# into its own "554 ... not accepting connections" greeting.  Nothing is
# delivered or queued; the same message from 127.0.0.1 goes through.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 6
sink_start
POL_REFUSED='[127.0.0.2/32]' mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start a

msg=$E2E_DIR/m.eml
make_message "$msg" "from a refused network"
out=$(send --source 127.0.0.2 "$msg")
tap_like "$out" '^connect 554 ' "refused client gets 554 at connect"
tap_ok "Postfix logs mxward's 554 5.7.1 Access denied for 127.0.0.2" \
    wait_log "$PF_DIR/maillog" \
    'milter-reject: CONNECT from [^ ]*\[127\.0\.0\.2\]: 554 5\.7\.1 Access denied'
tap_unlike "$out" '^data 250 ' "the message was not accepted"

make_message "$E2E_DIR/ok.eml" "from an allowed network"
out=$(send --source 127.0.0.1 "$E2E_DIR/ok.eml")
tap_like "$out" '^data 250 ' "the same client from 127.0.0.1 is accepted"
wait_sent 1 30 || true
tap_is "$(sink_count)" 1 "only the allowed message was delivered"
tap_is "$(postfix_queue_count)" 0 "nothing left in the queue"
tap_done
