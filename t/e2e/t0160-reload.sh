#!/bin/bash
# t0160 -- SIGHUP reloads the policy.  A broken file is refused (the log
# names FILE:LINE) and the old policy keeps serving; a good file's new
# thresholds apply to the next message: an invalid HELO scored 3 is
# delivered under actions.reject 15 and refused after reject drops to 2.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 8
sink_start
pol=$E2E_DIR/policy.yaml
POL_HELO_ACTION=score mx_write_policy "$pol"
mx_start "$pol"
PF_MILTER=$MX_LISTEN postfix_start a
keep_listen=$MX_LISTEN

msg=$E2E_DIR/m.eml
make_message "$msg" "reload test"
out=$(send --helo notqualified "$msg")
tap_like "$out" '^data 250 ' "invalid HELO scored 3 < reject 15: accepted"

# A broken policy: the threshold is not a number (line 6).
cp "$pol" "$E2E_DIR/good-15.yaml"
sed 's/reject: 15/reject: fifteen/' "$E2E_DIR/good-15.yaml" >"$pol"
bad_line=$(grep -n 'reject: fifteen' "$pol" | cut -d: -f1)
kill -HUP "$MX_PID"
tap_ok "the log names the broken file and line ($bad_line)" \
    wait_log "$MX_LOG" "$(printf '%s' "$pol" | sed 's/[.[\*^$]/\\&/g'):$bad_line:"
tap_ok "and says the current policy stays" wait_log "$MX_LOG" 'reload of .* failed'
tap_ok "mxward is still running" pid_alive "$MX_PID"
out=$(send --helo notqualified "$msg")
tap_like "$out" '^data 250 ' "old policy still serves: accepted"

# A good policy with a lower reject threshold (add_header may not exceed it).
POL_LISTEN=$keep_listen POL_HELO_ACTION=score POL_ADD_HEADER=1 POL_REJECT=2 \
    mx_write_policy "$pol"
n_reloaded=$(grep -c 'reloaded ' "$MX_LOG" || true)
kill -HUP "$MX_PID"
_reloaded() { [ "$(grep -c 'reloaded ' "$MX_LOG")" -gt "$n_reloaded" ]; }
tap_ok "the good policy is loaded" wait_for 10 _reloaded
out=$(send --helo notqualified "$msg")
tap_like "$out" '^data 554 5\.7\.1 ' "new threshold: the same message is refused (554 5.7.1 at end of DATA)"
wait_sent 2 30 || true
tap_is "$(sink_count)" 2 "two messages delivered, the refused one not"
tap_done
