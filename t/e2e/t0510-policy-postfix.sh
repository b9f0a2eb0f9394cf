#!/bin/bash
# t0510 -- recipients_max through Postfix's policy delegation, no milter.
# With check_policy_service (listen.policy) in smtpd_recipient_restrictions
# and in smtpd_data_restrictions and smtpd_end_of_data_restrictions, a
# message to 55 recipients gets 250 for the first 50 and 452 4.5.3 for
# the other five, passes DATA (recipient_count 50) and end of data, and is
# delivered once, to the 50; mxward logs the message with its queue id
# and five refused recipients. With check_policy_service only in
# smtpd_data_restrictions, the same message is refused at DATA with
# 550 5.5.3 (recipient_count 55) and nothing is delivered. A client of a
# refused network gets the access refusal at RCPT.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 11
sink_start
pol=$E2E_DIR/policy.yaml
pport=$(free_port)
POL_POLICY_LISTEN=inet:127.0.0.1:$pport POL_REFUSED='[127.0.0.2/32]' \
    mx_write_policy "$pol"
mx_start "$pol"
wait_for 10 tcp_open "$pport" || tap_bail "the policy socket does not answer"
service="check_policy_service inet:127.0.0.1:$pport"
postfix_start a \
    "smtpd_recipient_restrictions = $service, permit_mynetworks, reject" \
    "smtpd_data_restrictions = $service" \
    "smtpd_end_of_data_restrictions = $service"

mapfile -t args < <(for i in $(seq 1 55); do printf -- '--rcpt\nr%d@example.org\n' "$i"; done)
# rcpt_codes OUT FIRST LAST: the RCPT reply lines FIRST..LAST of OUT.
rcpt_codes() { printf '%s\n' "$1" | grep '^rcpt ' | sed -n "$2,$3p"; }

msg=$E2E_DIR/m.eml
make_message "$msg" "recipients_max by policy delegation"
out=$(send "${args[@]}" "$msg")
tap_is "$(rcpt_codes "$out" 1 50 | grep -c '^rcpt 250 ')" 50 \
    "recipients 1..50 accepted"
tap_is "$(rcpt_codes "$out" 51 55 |
    grep -c '^rcpt 452 4\.5\.3 .*Too many recipients')" 5 \
    "recipients 51..55 deferred with 452 4.5.3"
tap_like "$out" '^data 250 ' "DATA and end of data pass (recipient_count 50)"
tap_ok "delivered to 50 recipients" wait_sent 50 30
tap_is "$(sink_count)" 1 "the sink received it once"
tap_is "$(grep -c '^X-Rcpt-Args:' "$(sink_files | head -n 1)")" 50 \
    "with 50 recipients"
tap_ok "mxward logs the message with its queue id, 5 refused" \
    wait_log "$MX_LOG" '^mxward\[[0-9]+\]: info: [0-9A-F]+: client=.* refused_rcpt=5 action=accept'

# Only at DATA: Postfix's own count decides.
postfix_conf "smtpd_recipient_restrictions = permit_mynetworks, reject" \
    "smtpd_end_of_data_restrictions ="
out=$(send "${args[@]}" "$msg")
tap_is "$(rcpt_codes "$out" 1 55 | grep -c '^rcpt 250 ')" 55 \
    "data restrictions only: all 55 recipients accepted by Postfix"
tap_like "$out" '^data 550 5\.5\.3 .*Too many recipients' \
    "refused at DATA with 550 5.5.3 (recipient_count 55)"

# A refused network, at RCPT.
postfix_conf "smtpd_recipient_restrictions = $service, permit_mynetworks, reject"
out=$(send --source 127.0.0.2 --rcpt r1@example.org "$msg")
tap_like "$out" '^rcpt 554 5\.7\.1 .*Access denied' \
    "a client of a refused network: 554 5.7.1 at RCPT"
sleep 2
tap_is "$(sink_count)" 1 "nothing else was delivered"
tap_done
