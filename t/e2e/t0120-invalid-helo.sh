#!/bin/bash
# t0120 -- an invalid HELO name (one label: "notqualified") is refused with
# 550 5.7.1 at MAIL FROM when the policy says helo.invalid_action: reject;
# with invalid_action: score the message is delivered and HELO_INVALID
# shows in X-Spam-Status and in mxward's log line for the message.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 8
sink_start
POL_HELO_ACTION=reject mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start a

msg=$E2E_DIR/m.eml
make_message "$msg" "invalid helo"

# 1. invalid_action: reject
out=$(send --helo notqualified "$msg")
tap_like "$out" '^mail 550 5\.7\.1 ' "invalid HELO: 550 5.7.1 at MAIL FROM"
tap_unlike "$out" '^data 250 ' "not accepted"
out=$(send --helo client.test.example "$msg")
tap_like "$out" '^data 250 ' "a valid HELO name from the same client is accepted"
tap_ok "that one is delivered" wait_sent 1 30

# 2. invalid_action: score -- restart mxward on the same socket.
mx_stop
POL_LISTEN=$MX_LISTEN POL_HELO_ACTION=score mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
out=$(send --helo notqualified "$msg")
tap_like "$out" '^data 250 ' "invalid_action score: accepted"
tap_ok "and delivered" wait_sent 2 30
f=$(sink_files | tail -n 1)
hdr=$(sink_headers "$f")
tap_like "$hdr" '^X-Spam-Status: .*HELO_INVALID' "X-Spam-Status names HELO_INVALID"
tap_ok "mxward's log line has HELO_INVALID" wait_log "$MX_LOG" 'helo=notqualified .*HELO_INVALID'
tap_done
