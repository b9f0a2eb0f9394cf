#!/bin/bash
# milter-throughput.sh -- what does mxward cost Postfix?  Not a test.
#
# One run measures, on this machine and in this order:
#   postfix alone            smtp-source -> smtpd -> smtp-sink
#   postfix + null milter    a do-nothing libmilter filter (bench/
#                            null-milter.c): the ceiling of the milter hop
#   postfix + mxward         the same Postfix with mxward as its milter
# the milters each over TCP (inet:127.0.0.1:PORT) and a unix socket, at 20
# and 100 parallel SMTP sessions, 4 KB messages, and prints messages/s,
# the ratio against Postfix alone at the same session count and, for
# mxward, against the null milter on the same transport (all measured in
# the same run), the busy CPU time of the whole host per
# message (/proc/stat), mxward's own CPU time per message (utime+stime from
# /proc/PID/stat over the run) and mxward peak RSS (VmHWM, reset per run
# through /proc/PID/clear_refs).
#
# Usage (as root; needs postfix, smtp-source, smtp-sink, python3, a built
# ./mxward):
#     bench/milter-throughput.sh [--quick] [--messages N] [--sessions "20 100"]
#
# Bounds: each timed run is killed after BENCH_RUN_TIMEOUT seconds (default
# 40, --quick 15) and the whole benchmark stops starting new runs after
# BENCH_DEADLINE seconds (default 240, --quick 90); between runs the queue
# is drained for at most 30 s.  in_flow_delay is 0 so the rate measured is
# what smtpd (and the milter behind it) accepts, not what the sink drains.
# Everything runs on 127.0.0.1 in a temp dir and is stopped by PID.
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/.." && pwd)}"
. "$top_srcdir/t/e2e/lib.sh"

messages=5000
warmup=300
sessions="20 100"
run_timeout=${BENCH_RUN_TIMEOUT:-40}
deadline=${BENCH_DEADLINE:-240}
while [ $# -gt 0 ]; do
    case $1 in
    --quick)
        messages=1000 warmup=100
        run_timeout=${BENCH_RUN_TIMEOUT:-15}
        deadline=${BENCH_DEADLINE:-90} ;;
    --messages) messages=$2; shift ;;
    --sessions) sessions=$2; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--quick] [--messages N] [--sessions \"20 100\"]" >&2; exit 2 ;;
    esac
    shift
done

[ "$(id -u)" -eq 0 ] || { echo "milter-throughput: run as root (Postfix must start as root)" >&2; exit 1; }
for p in postfix smtp-source smtp-sink "$PYTHON"; do
    command -v "$p" >/dev/null 2>&1 || { echo "milter-throughput: $p not found" >&2; exit 1; }
done

# lib.sh's trap (stops everything by PID, removes the dir); as a script,
# not a TAP test, the "plan" checks do not apply.
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mxward-bench.XXXXXX")
chmod 755 "$E2E_DIR"
trap e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

clk_tck=$(getconf CLK_TCK)
start_all=$EPOCHREALTIME

SINK_NODUMP=1 sink_start
postfix_start bench \
    "in_flow_delay = 0s" \
    "default_process_limit = 200" \
    "smtpd_client_connection_count_limit = 0" \
    "smtpd_client_message_rate_limit = 0" \
    "milter_connect_timeout = 10s"

# CPU ticks (utime+stime) of PID.
cpu_ticks() {
    # Field 2 (comm) may hold spaces; strip up to the last ")".
    local rest
    rest=$(sed 's/^.*) //' "/proc/$1/stat")
    set -- $rest
    echo $((${12} + ${13}))
}

# Busy CPU ticks of the whole host (all CPUs: user+nice+system+irq+softirq
# +steal), to see what a message costs everyone, mxward and Postfix alike.
host_ticks() {
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# Wait until the queue is empty (deliveries of the previous run done).
drain() { wait_for 30 postfix_queue_empty || echo "  (queue not drained in 30 s)" >&2; }

# run_source SESSIONS COUNT: time smtp-source; prints elapsed seconds, or
# fails (timeout, or a reply smtp-source did not expect).
run_source() {
    local t0 t1
    t0=$EPOCHREALTIME
    timeout "$run_timeout" smtp-source -4 -s "$1" -m "$2" -l 4096 \
        -M client.test.example -f sender@example.net -t rcpt@example.org \
        "127.0.0.1:$PF_PORT" >"$E2E_DIR/source.log" 2>&1 || return 1
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

declare -A base_rate ceil_rate
rows=()

# measure LABEL [TRANSPORT]: one row per session count for the current
# Postfix config. With a transport, a null-milter row records the ceiling
# and an mxward row is compared with it.
measure() {
    local label=$1 key=${2:-} s secs rate ratio vsnull cpu0 cpu1 cpums hwm now h0 h1 hostms
    for s in $sessions; do
        now=$(awk -v a="$start_all" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", b - a }')
        if [ "$now" -ge "$deadline" ]; then
            rows+=("$(printf '%-22s %8s  %s' "$label" "$s" "skipped: deadline ${deadline}s reached")")
            continue
        fi
        drain
        run_source "$s" "$warmup" >/dev/null ||
            { rows+=("$(printf '%-22s %8s  %s' "$label" "$s" "FAILED warm-up: $(tail -n 1 "$E2E_DIR/source.log")")"); continue; }
        drain
        if [ -n "$MX_PID" ]; then
            echo 5 >"/proc/$MX_PID/clear_refs" 2>/dev/null || true
            cpu0=$(cpu_ticks "$MX_PID")
        fi
        h0=$(host_ticks)
        if ! secs=$(run_source "$s" "$messages"); then
            rows+=("$(printf '%-22s %8s  %s' "$label" "$s" "FAILED or timed out (${run_timeout}s): $(tail -n 1 "$E2E_DIR/source.log")")")
            continue
        fi
        h1=$(host_ticks)
        rate=$(awk -v m="$messages" -v t="$secs" 'BEGIN { printf "%.0f", m / t }')
        hostms=$(awk -v d=$((h1 - h0)) -v hz="$clk_tck" -v m="$messages" \
            'BEGIN { printf "%.3f", d * 1000 / hz / m }')
        if [ -n "$MX_PID" ]; then
            cpu1=$(cpu_ticks "$MX_PID")
            cpums=$(awk -v d=$((cpu1 - cpu0)) -v hz="$clk_tck" -v m="$messages" \
                'BEGIN { printf "%.3f", d * 1000 / hz / m }')
            hwm=$(mx_pid_status VmHWM)
        else
            base_rate[$s]=$rate
            cpums=- hwm=-
        fi
        if [ -n "${base_rate[$s]:-}" ]; then
            ratio=$(awk -v r="$rate" -v b="${base_rate[$s]}" 'BEGIN { printf "%.2f", r / b }')
        else
            ratio=-
        fi
        vsnull=-
        case $label in
        *null*) [ -n "$key" ] && ceil_rate[$key:$s]=$rate ;;
        *) if [ -n "$key" ] && [ -n "${ceil_rate[$key:$s]:-}" ]; then
               vsnull=$(awk -v r="$rate" -v b="${ceil_rate[$key:$s]}" 'BEGIN { printf "%.2f", r / b }')
           fi ;;
        esac
        rows+=("$(printf '%-24s %8s %7s %8s %8s %6s %7s %10s %10s %12s' \
            "$label" "$s" "$messages" "$secs" "$rate" "$ratio" "$vsnull" "$hostms" "$cpums" "$hwm")")
        echo "  $label, $s sessions: $rate msgs/s" >&2
    done
}

echo "mxward milter throughput: $messages x 4 KB messages per run (+$warmup warm-up)," \
    "Postfix $(postconf -h mail_version), $(nproc) CPUs" >&2

# 1. Postfix alone.
MX_PID=
measure "postfix alone"

# The do-nothing filter, built here from bench/null-milter.c.
null_milter=$E2E_DIR/null-milter
${CC:-cc} -O2 -o "$null_milter" "$BENCH_DIR/null-milter.c" -lmilter -pthread ||
    { echo "cannot build bench/null-milter.c (libmilter-dev)" >&2; exit 1; }

# 2, 3. Postfix + the null milter, then + mxward, over TCP and a unix socket.
mx_ok=1
for transport in inet unix; do
    if [ "$transport" = inet ]; then
        port=$(free_port)
        null_spec=inet:$port@127.0.0.1 null_listen=inet:127.0.0.1:$port
        POL_LISTEN=inet:127.0.0.1:$(free_port)
    else
        null_spec=unix:$E2E_DIR/null.sock null_listen=$null_spec
        POL_LISTEN=unix:$E2E_DIR/mxward.sock
    fi
    "$null_milter" "$null_spec" &
    MX_PID=$!
    e2e_at_exit "stop_pid $MX_PID 5"
    sleep 1
    postfix_conf "smtpd_milters = $null_listen"
    sleep 1
    measure "postfix+null milter $transport" "$transport"
    stop_pid "$MX_PID" 10
    MX_PID=
    postfix_conf "smtpd_milters ="
    POL_LOG_LEVEL=warning POL_HELO_REQUIRED=false \
        mx_write_policy "$E2E_DIR/policy-$transport.yaml"
    if [ "$mx_ok" = 1 ] && mx_try_start "$E2E_DIR/policy-$transport.yaml"; then
        postfix_conf "smtpd_milters = $MX_LISTEN"
        sleep 1
        measure "postfix+mxward $transport" "$transport"
        mx_stop
        postfix_conf "smtpd_milters ="
    else
        mx_ok=0
        for s in $sessions; do
            rows+=("$(printf '%-22s %8s  %s' "postfix+mxward $transport" "$s" \
                "skipped: mxward ($MXWARD) did not start")")
        done
    fi
done

total=$(awk -v a="$start_all" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
printf '\n%-24s %8s %7s %8s %8s %6s %7s %10s %10s %12s\n' \
    config sessions msgs secs msgs/s ratio vs-null "host ms/m" "milter ms/m" "milter VmHWM"
printf '%s\n' "${rows[@]}"
printf '\nratio: msgs/s against "postfix alone" at the same session count, same run.\n'
printf 'vs-null: mxward msgs/s against the do-nothing libmilter filter on the same\n'
printf '  transport and session count, same run (the ceiling of the milter hop).\n'
printf 'host ms/m: busy CPU time of the whole host (all CPUs) per message over the\n'
printf '  timed run: Postfix, smtp-source, smtp-sink and mxward together.\n'
printf 'milter ms/m: the milter process utime+stime per message.  VmHWM: its peak RSS.\n'
printf 'Total %ss.\n' "$total"
