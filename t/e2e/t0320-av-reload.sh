#!/bin/bash
# t0320 -- signature updates while mail flows. Two clients send clean and
# EICAR messages in a loop through real Postfix while the database changes
# under mxward: a new signature file is noticed (database_check_interval)
# and loaded in the background, a truncated signature file is refused
# (log line, mxward_av_reloads_total{result="failed"}) with the old engine
# still scanning, and a reload to concurrent_reload: no frees the old
# engine first. Throughout, every infected message is refused with 554 and
# every clean one delivered: nothing lost, nothing passed unscanned.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 15
av_setup --only eicar --only clean
sink_start
POL_METRICS=127.0.0.1:$(free_port) mx_write_policy "$E2E_DIR/policy.yaml"
keep_listen=$MX_LISTEN keep_metrics=$MX_METRICS
mx_start "$E2E_DIR/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start a

metric() {
    http_get "http://$MX_METRICS/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
reloads() { metric "mxward_av_reloads_total{result=\"$1\"}"; }
# The marker a new signature will find (kept out of this file whole).
marker=MXWARD-RELOAD-$(printf 'MARKER')-5a1c
make_message "$E2E_DIR/marker.eml" "marker" "X-Note: reload"
printf '%s\r\n' "$marker" >>"$E2E_DIR/marker.eml"
tap_like "$(send "$E2E_DIR/marker.eml")" '^data 250 ' "before the update the marker passes"

clean=$AV_MAIL/$(av_expected clean | head -n 1)
infected=$AV_MAIL/$(av_expected eicar | head -n 1)
n=60
send --count "$n" "$clean" >"$E2E_DIR/clean.out" &
clean_pid=$!
send --count "$n" "$infected" >"$E2E_DIR/infected.out" &
infected_pid=$!

# A new signature file, written beside and renamed in, as freshclam does.
hex=$(printf '%s' "$marker" | od -An -tx1 | tr -d ' \n')
printf 'MXWARD-Reload-Marker:0:*:%s\n' "$hex" >"$AV_DB/.marker.tmp"
mv "$AV_DB/.marker.tmp" "$AV_DB/marker.ndb"
_reloaded() { [ "$(reloads success)" = "${1}" ]; }
tap_ok "the new signature file is loaded in the background" wait_for 20 _reloaded 1
tap_like "$(send "$E2E_DIR/marker.eml")" '^data 554 5\.7\.1 Virus found: MXWARD-Reload-Marker' \
    "after the update the marker is refused"

# A truncated file (a signature cut in the middle) is refused.
printf 'MXWARD-Broken:0:*:4142434\n' >"$AV_DB/broken.ndb"
_failed() { [ "$(reloads failed)" = 1 ]; }
tap_ok "a truncated database is refused" wait_for 20 _failed
tap_ok "with a log line" wait_log "$MX_LOG" 'broken\.ndb|[Mm]alformed|failed'
tap_like "$(send "$E2E_DIR/marker.eml")" '^data 554 5\.7\.1 Virus found: MXWARD-Reload-Marker' \
    "the old engine keeps scanning"
rm "$AV_DB/broken.ndb"
tap_ok "without it the database loads again" wait_for 20 _reloaded 2

# concurrent_reload: no -- the old engine goes first, messages wait.
POL_LISTEN=$keep_listen POL_METRICS=$keep_metrics \
POL_ANTIVIRUS="{ database: \"$AV_DB\", database_check_interval: 1s, concurrent_reload: no }" \
    mx_write_policy "$E2E_DIR/policy.yaml"
kill -HUP "$MX_PID"
tap_ok "a reload with concurrent_reload: no rebuilds the engine" wait_for 20 _reloaded 3
tap_like "$(send "$E2E_DIR/marker.eml")" '^data 554 5\.7\.1 Virus found: MXWARD-Reload-Marker' \
    "and the new engine scans"

wait "$clean_pid" "$infected_pid"
tap_is "$(grep -c '^result ' "$E2E_DIR/clean.out")" "$n" "all $n clean sessions ran"
tap_is "$(grep -c '^result [0-9]* 250$' "$E2E_DIR/clean.out")" "$n" \
    "every clean message was accepted during the reloads"
tap_is "$(grep -c '^result [0-9]* 554$' "$E2E_DIR/infected.out")" "$n" \
    "every infected message was refused during the reloads"
wait_sent $((n + 1)) 60 || true
tap_is "$(sink_count)" $((n + 1)) "delivered: the clean ones and the first marker"
tap_is "$(postfix_queue_count)" 0 "nothing left in the queue"
tap_ok "mxward is still running" pid_alive "$MX_PID"
tap_done
