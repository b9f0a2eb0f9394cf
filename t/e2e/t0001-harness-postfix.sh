#!/bin/bash
# t0001 -- the harness itself, no mxward: a private Postfix relays a message
# from the Python client to smtp-sink, and stops cleanly by PID.  When this
# fails, every other e2e failure is about the harness, not the daemon.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 5
sink_start
postfix_start a
msg=$E2E_DIR/clean.eml
make_message "$msg" "harness check"

out=$(send --rcpt someone@example.org "$msg")
tap_like "$out" '^data 250 ' "Postfix accepted the message"
tap_ok "Postfix relayed it to smtp-sink (status=sent)" wait_sent 1 30
f=$(sink_files | head -n 1)
tap_like "$(sink_headers "$f")" '^Subject: harness check$' "captured message has our Subject"
tap_like "$(sink_headers "$f")" '^Received: from client\.test\.example .*by mx\.test\.example \(Postfix\)' \
    "captured message went through our Postfix"
master=$(postfix_master_pid "$PF_DIR")
postfix_stop
tap_ok "Postfix master $master and its children are gone" \
    test -z "$(postfix_pids "$PF_DIR")"
tap_done
