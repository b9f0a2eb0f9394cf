#!/bin/bash
# t0140 -- a message over limits.message_size_limit (10k here; Postfix's own
# limit is far above) is refused with 552 5.3.4: at end of DATA when the
# client does not announce its size, at MAIL FROM when it says SIZE=.
# Nothing is delivered or queued; a small message still goes through.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 5
sink_start
POL_SIZE=10k mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start a

big=$E2E_DIR/big.eml
make_big_message "$big" 50
out=$(send "$big")
tap_like "$out" '^data 552 5\.3\.4 ' "50 KB message: 552 5.3.4 at end of DATA"
out=$(send --mail-size "$big")
tap_like "$out" '^mail 552 5\.3\.4 ' "50 KB announced with SIZE=: 552 5.3.4 at MAIL FROM"

make_message "$E2E_DIR/small.eml" "small"
out=$(send "$E2E_DIR/small.eml")
tap_like "$out" '^data 250 ' "a small message is accepted"
wait_sent 1 30 || true
tap_is "$(sink_count)" 1 "only the small message was delivered"
tap_is "$(postfix_queue_count)" 0 "nothing left in the queue"
tap_done
