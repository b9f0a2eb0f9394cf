#!/bin/bash
# t0190 -- a message whose score reaches actions.quarantine is accepted
# (250) and put in Postfix's hold queue, not delivered; mxward's log line
# says action=quarantine. Released with postsuper -H, it is delivered with
# our Authentication-Results and X-Spam-Flag: YES.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 7
sink_start
POL_HELO_ACTION=score POL_ADD_HEADER=1 POL_QUARANTINE=2 \
    mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start a

msg=$E2E_DIR/m.eml
make_message "$msg" "to be held"
# An invalid HELO scores 3: above quarantine (2).
out=$(send --helo notqualified "$msg")
tap_like "$out" '^data 250 ' "accepted by the MTA"
held() { postqueue -c "$PF_CONF" -j 2>/dev/null | grep -q '"queue_name": *"hold"'; }
tap_ok "it sits in the hold queue" wait_for 30 held
tap_is "$(sink_count)" 0 "nothing delivered"
tap_ok "mxward logged action=quarantine" wait_log "$MX_LOG" 'action=quarantine '

postsuper -c "$PF_CONF" -H ALL >/dev/null 2>&1
postfix_flush
tap_ok "released, it is delivered" wait_sent 1 30
hdr=$(sink_headers "$(sink_files | head -n 1)")
tap_like "$hdr" '^Authentication-Results: mx\.test\.example; none' "with our Authentication-Results"
tap_like "$hdr" '^X-Spam-Flag: YES' "and X-Spam-Flag: YES"
tap_done
