#!/bin/bash
# t0330 -- scan limits through real Postfix. Zip bombs, archives nested
# past max_recursion, 12,000-file zips, 5000 MIME parts, deep MIME and
# message/rfc822 nesting, and a part over max_file_size: each is either
# found (554, EICAR hidden inside) or, when a limit stopped the scan,
# handled by on_limits -- tempfail (451 4.7.1) by default, and after a
# reload to on_limits: accept, delivered with X-Virus-Status: Unscanned.
# Never delivered as clean. mxward stays up and its peak memory bounded.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

av_setup --only limits
sink_start
# av_policy ON_LIMITS [MAX_FILE_SIZE]
av_policy() {
    POL_LISTEN=${keep_listen:-} POL_SIZE=10M \
    POL_ANTIVIRUS="{ database: \"$AV_DB\", max_file_size: ${2:-100M}, on_limits: $1 }" \
        mx_write_policy "$E2E_DIR/policy.yaml"
}
# av_reload ON_LIMITS [MAX_FILE_SIZE]: a new policy, and wait until loaded.
av_reload() {
    av_policy "$@"
    n_reloaded=$(grep -c 'reloaded ' "$MX_LOG" || true)
    kill -HUP "$MX_PID"
    wait_for 10 _reloaded
}
_reloaded() { [ "$(grep -c 'reloaded ' "$MX_LOG")" -gt "$n_reloaded" ]; }
av_policy tempfail
keep_listen=$MX_LISTEN
mx_start "$E2E_DIR/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start a

# A clean 1.5 MB attachment: over max_file_size, nothing else wrong.
big=$E2E_DIR/big-part.eml
{
    printf 'From: <a@example.net>\r\nTo: <b@example.org>\r\nSubject: big part\r\n'
    printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
    printf -- '--b\r\nContent-Type: application/octet-stream; name="data.bin"\r\n'
    printf 'Content-Transfer-Encoding: base64\r\n\r\n'
    head -c 1500000 /dev/urandom | base64 -w 76 | sed 's/$/\r/'
    printf -- '--b--\r\n'
} >"$big"

files=$(awk -F'\t' '{ print $1 }' "$AV_MAIL/expected.tsv")
tap_plan $(($(printf '%s\n' $files | wc -l) + 10))
n_clean=0
for f in $files; do
    out=$(send "$AV_MAIL/$f")
    case $(awk -F'\t' -v f="$f" '$1 == f { print $2 }' "$AV_MAIL/expected.tsv") in
    bounded)
        tap_like "$out" '^data (250|451|554) ' "$f: the scan ends"
        case $out in *"data 250 "*) n_clean=$((n_clean + 1)) ;; esac ;;
    *) tap_like "$out" '^data (554 5\.7\.1 Virus found|451 4\.7\.1 Message could not be scanned completely)' \
        "$f: found, or deferred by the limit" ;;
    esac
done
tap_ok "reload to max_file_size: 1M" av_reload tempfail 1M
tap_like "$(send "$big")" '^data 451 4\.7\.1 Message could not be scanned completely' \
    "a part over max_file_size: deferred"
tap_ok "the limit is named in the log" wait_log "$MX_LOG" 'ANTIVIRUS_LIMITS'

n_before=$(sink_count)
tap_ok "reload to on_limits: accept" av_reload accept 1M
tap_like "$(send "$big")" '^data 250 ' "with on_limits: accept the big part is delivered"
wait_sent $((n_before + 1)) 30 || true
last=$(sink_files | tail -n 1)
tap_like "$(sink_headers "$last")" '^X-Virus-Status: Unscanned \(MaxFileSize\)' \
    "marked X-Virus-Status: Unscanned (MaxFileSize)"
tap_is "$(for m in $(sink_files); do sink_headers "$m"; done | grep -c '^X-Virus-Status: Clean')" \
    "$n_clean" "no case but the harmless bomb of zeros was delivered as clean"
tap_ok "mxward is still running" pid_alive "$MX_PID"
hwm=$(mx_pid_status VmHWM | awk '{ print $1 }')
if ldd "$MXWARD" 2>/dev/null | grep -q libtsan; then
    tap_skip "ThreadSanitizer multiplies memory use" "peak memory bounded (VmHWM ${hwm} kB)"
else
    tap_ok "its peak memory stayed bounded (VmHWM ${hwm} kB < 400 MB)" [ "$hwm" -lt 409600 ]
fi
tap_is "$(postfix_queue_count)" 0 "nothing left in the queue"
tap_done
