#!/bin/bash
# t0170 -- the Prometheus endpoint: /metrics answers in the text format,
# `promtool check metrics` accepts it, and the message counter moves by the
# messages handled (one accepted, one refused for its HELO).
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 8
sink_start
POL_METRICS=127.0.0.1:$(free_port) mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start a
url=http://$MX_METRICS/metrics

# Sum of a metric's samples (all label sets), 0 if absent.
metric_sum() {
    printf '%s\n' "$1" | awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%d\n", s }'
}

before=$(http_get "$url")
tap_like "$before" '^# TYPE mxward_messages_total counter$' "/metrics answers with mxward_messages_total"

msg=$E2E_DIR/m.eml
make_message "$msg" "metrics"
o1=$(send "$msg")
o2=$(send --helo notqualified "$msg")
tap_like "$o1" '^data 250 ' "first message accepted"
tap_like "$o2" '^mail 550 ' "second refused (invalid HELO)"

# The counters move as mxward answers; allow it a moment.
n0=$(metric_sum "$before" mxward_messages_total)
_moved() { [ "$(metric_sum "$(http_get "$url")" mxward_messages_total)" -ge $((n0 + 2)) ]; }
wait_for 5 _moved || true
after=$(http_get "$url")
printf '%s\n' "$after" >"$E2E_DIR/metrics.prom"
if command -v promtool >/dev/null 2>&1; then
    if promtool check metrics <"$E2E_DIR/metrics.prom" >"$E2E_DIR/promtool.log" 2>&1; then
        tap_result 0 "promtool check metrics accepts the exposition"
    else
        tap_result 1 "promtool check metrics accepts the exposition"
        tap_diag "$(cat "$E2E_DIR/promtool.log")"
    fi
else
    tap_skip "promtool not installed (Debian package prometheus)" "promtool check metrics"
fi
tap_is "$(( $(metric_sum "$after" mxward_messages_total) - $(metric_sum "$before" mxward_messages_total) ))" 2 \
    "mxward_messages_total moved by 2"
tap_like "$after" '^mxward_messages_total\{action="accept"\} [1-9]' "... one of them accept"
tap_like "$after" '^mxward_messages_total\{action="reject"\} [1-9]' "... one of them reject"
tap_ok "mxward_milter_connections_total counts Postfix's connections" \
    test "$(metric_sum "$after" mxward_milter_connections_total)" -ge 2
tap_done
