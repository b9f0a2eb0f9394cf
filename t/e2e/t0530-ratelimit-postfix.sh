#!/bin/bash
# t0530 -- rate limits through Postfix, on the policy socket and through
# the milter, with the embedded store.  Postfix "a" asks mxward with
# check_policy_service in smtpd_recipient_restrictions, Postfix "b" has
# mxward as its milter; both relay to one smtp-sink.  A limit of 3
# messages per hour per sender delivers a sender's first three and gives
# the fourth "451 4.7.1" at RCPT while another sender still passes; a
# dry_run limit lets everything through and only counts its would-be
# refusals (mxward_ratelimit_hits_total); a sender's messages through the
# milter and through the policy socket are charged to the same bucket of
# the one mxward process; and a message the milter refuses at end of DATA
# (over limits.message_size_limit) gets its charge back.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 20
sink_start
pol=$E2E_DIR/policy.yaml
policy_port=$(free_port)
POL_POLICY_LISTEN=inet:127.0.0.1:$policy_port POL_SIZE=10k \
    POL_METRICS=127.0.0.1:$(free_port) POL_EXTRA='rate_limits:
  limits:
    per_sender: { key: [sender], counts: messages, rate: "3 per 1h" }
    dry_sender: { key: [sender], counts: messages, rate: "1 per 1h", dry_run: yes }' \
    mx_write_policy "$pol"
mx_start "$pol"
wait_for 10 tcp_open "$policy_port" || tap_bail "no policy socket on $policy_port"
url=http://$MX_METRICS/metrics

# Postfix b: mxward as the milter, no policy service.
PF_MILTER=$MX_LISTEN postfix_start b
milter_port=$PF_PORT
milter_dir=$PF_DIR
# Postfix a (the one send() talks to): the policy service, no milter.
postfix_start a \
    "smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:$policy_port, permit_mynetworks, reject" \
    "smtpd_policy_service_timeout = 20s"

# metric TEXT SAMPLE: the value of one sample (name{labels}), 0 if absent.
metric() {
    printf '%s\n' "$1" | awk -v m="$2" '$1 == m { v = $2 } END { printf "%d\n", v + 0 }'
}
hits() { metric "$(http_get "$url")" "mxward_ratelimit_hits_total{limit=\"$1\"}"; }
checks() { metric "$(http_get "$url")" "mxward_ratelimit_checks_total{limit=\"$1\"}"; }
# results OUT: the final code of every message, on one line ("250 250 451").
results() { printf '%s\n' "$1" | awk '/^result / { printf "%s%s", sep, $3; sep = " " } END { print "" }'; }
# sink_ge N: at least N messages captured (by both Postfix instances).
sink_ge() { [ "$(sink_count)" -ge "$1" ]; }
queues_empty() {
    postfix_queue_empty && [ "$(PF_CONF=$milter_dir/etc postfix_queue_count)" -eq 0 ]
}

msg=$E2E_DIR/m.eml
make_message "$msg" "rate limits"

# ---- the policy socket: 3 per hour per sender ----
out=$(send --from a@example.net --count 4 "$msg")
tap_is "$(results "$out")" "250 250 250 451" \
    "sender a: three messages accepted, the fourth refused"
tap_like "$out" '^rcpt 451 4\.7\.1 .*Rate limit exceeded, try again later' \
    "... at RCPT with 451 4.7.1 Rate limit exceeded"
out=$(send --from b@example.net "$msg")
tap_is "$(results "$out")" "250" "sender b still passes"
tap_ok "the sink received four messages" wait_for 30 sink_ge 4
tap_is "$(hits per_sender)" 1 "mxward_ratelimit_hits_total{limit=\"per_sender\"} is 1"
tap_is "$(checks per_sender)" 5 \
    "mxward_ratelimit_checks_total{limit=\"per_sender\"} is 5 (one per message)"
tap_ok "the log names the limit and the key" \
    wait_log "$MX_LOG" 'rate limit per_sender: per_sender:sender=a@example\.net over 3 per 1h'

# ---- dry_run: everything through, the would-be refusals counted ----
dry0=$(hits dry_sender)
out=$(send --from d@example.net --count 3 "$msg")
tap_is "$(results "$out")" "250 250 250" \
    "sender d: three messages accepted although dry_sender allows one"
tap_is "$(($(hits dry_sender) - dry0))" 2 \
    "mxward_ratelimit_hits_total{limit=\"dry_sender\"} counted two would-be refusals"
tap_ok "the sink received seven messages" wait_for 30 sink_ge 7
tap_ok "the log marks them as dry runs" \
    wait_log "$MX_LOG" 'rate limit dry_sender: dry_sender:sender=d@example\.net over 1 per 1h \(dry run\)'

# ---- one bucket for both front ends ----
out=$(PF_PORT=$milter_port send --from m@example.net --count 2 "$msg")
tap_is "$(results "$out")" "250 250" "sender m: two messages through the milter"
out=$(send --from m@example.net "$msg")
tap_is "$(results "$out")" "250" "sender m: the third through the policy socket passes"
out=$(send --from m@example.net "$msg")
tap_like "$out" '^rcpt 451 4\.7\.1 .*Rate limit exceeded' \
    "sender m: the fourth through the policy socket gets 451 4.7.1"
out=$(PF_PORT=$milter_port send --from m@example.net "$msg")
tap_like "$out" '^rcpt 451 4\.7\.1 .*Rate limit exceeded' \
    "sender m: a fifth through the milter gets 451 4.7.1 too"
tap_ok "the sink received ten messages" wait_for 30 sink_ge 10

# ---- refunds: mail refused in the end is not counted ----
big=$E2E_DIR/big.eml
make_big_message "$big" 50
out=$(PF_PORT=$milter_port send --from f@example.net --count 2 "$big")
tap_is "$(results "$out")" "552 552" \
    "sender f: two messages over the size limit refused at end of DATA"
out=$(PF_PORT=$milter_port send --from f@example.net --count 4 "$msg")
tap_is "$(results "$out")" "250 250 250 451" \
    "sender f: still three messages accepted, then 451"
tap_ok "the sink received thirteen messages" wait_for 30 sink_ge 13
wait_for 30 queues_empty || true
tap_is "$(sink_count)" 13 "and no more"
tap_done
