#!/bin/bash
# t0500 -- recipients_max through Postfix.  With the default limit of 50,
# a message to 55 recipients gets 250 for the first 50 and "452 4.5.3" for
# the other five, and is delivered once, to the 50; with reject (Exim's
# recipients_max_reject) every RCPT gets 250 and the message is refused
# "550 5.5.3" at end of DATA; a trusted network gets trusted_limit.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 12
sink_start
pol=$E2E_DIR/policy.yaml
mx_write_policy "$pol"
mx_start "$pol"
PF_MILTER=$MX_LISTEN postfix_start a
keep_listen=$MX_LISTEN

# rcpt_args N: --rcpt options for rN@example.org, N recipients.
rcpt_args() {
    local i
    for ((i = 1; i <= $1; i++)); do
        printf -- '--rcpt\nr%d@example.org\n' "$i"
    done
}
# rcpt_codes OUT FIRST LAST: the RCPT reply lines FIRST..LAST of OUT.
rcpt_codes() { printf '%s\n' "$1" | grep '^rcpt ' | sed -n "$2,$3p"; }
# reload: SIGHUP, waiting for the log to say the policy was reloaded.
_reloaded() { [ "$(grep -c 'reloaded ' "$MX_LOG")" -gt "$1" ]; }
reload() {
    local before
    before=$(grep -c 'reloaded ' "$MX_LOG" || true)
    kill -HUP "$MX_PID"
    wait_for 10 _reloaded "$before" || tap_bail "policy not reloaded"
}

msg=$E2E_DIR/m.eml
make_message "$msg" "recipients_max"
mapfile -t args < <(rcpt_args 55)
out=$(send "${args[@]}" "$msg")
tap_is "$(rcpt_codes "$out" 1 50 | grep -c '^rcpt 250 ')" 50 \
    "recipients 1..50 accepted"
tap_is "$(rcpt_codes "$out" 51 55 |
    grep -c '^rcpt 452 4\.5\.3 Too many recipients')" 5 \
    "recipients 51..55 deferred with 452 4.5.3"
tap_like "$out" '^data 250 ' "the message is accepted at end of DATA"
tap_ok "delivered to 50 recipients" wait_sent 50 30
tap_is "$(sink_count)" 1 "the sink received it once"
f=$(sink_files | head -n 1)
tap_is "$(grep -c '^X-Rcpt-Args:' "$f")" 50 "with 50 recipients"
tap_ok "the log counts five refused recipients" \
    wait_log "$MX_LOG" 'refused_rcpt=5'

# reject: every RCPT accepted, the message refused at end of DATA.
POL_LISTEN=$keep_listen POL_EXTRA='recipients_max: { reject: true }' \
    mx_write_policy "$pol"
reload
out=$(send "${args[@]}" "$msg")
tap_is "$(rcpt_codes "$out" 1 55 | grep -c '^rcpt 250 ')" 55 \
    "reject: all 55 recipients accepted"
tap_like "$out" '^data 550 5\.5\.3 Too many recipients' \
    "reject: refused 550 5.5.3 at end of DATA"

# A trusted network with its own cap.
POL_LISTEN=$keep_listen POL_TRUSTED='[127.0.0.0/8]' \
    POL_EXTRA='recipients_max: { trusted_limit: 5 }' mx_write_policy "$pol"
reload
mapfile -t args < <(rcpt_args 6)
out=$(send "${args[@]}" "$msg")
tap_is "$(rcpt_codes "$out" 1 5 | grep -c '^rcpt 250 ')" 5 \
    "trusted: recipients 1..5 accepted"
tap_like "$(rcpt_codes "$out" 6 6)" '^rcpt 452 4\.5\.3 ' \
    "trusted: the sixth deferred (trusted_limit 5)"
wait_sent 55 30 || true
tap_is "$(sink_count)" 2 "two messages delivered, the refused one not"
tap_done
