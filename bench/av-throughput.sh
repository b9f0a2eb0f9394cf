#!/bin/bash
# av-throughput.sh -- what does virus scanning cost, in mxward and in clamd?
# Not a test.
#
# One run builds, in a temp dir:
#   a signature database   200,000 random MD5 hash signatures (.hdb),
#                          20,000 random body signatures of 16-40 bytes,
#                          some with ?? {n-m} or * wildcards (.ndb), and
#                          Eicar-Test-Signature -- no real ClamAV database
#                          is needed (nor downloaded)
#   a workload             a few hundred messages: text (~5 KB), HTML
#                          (~30 KB), a 300 KB PDF-like attachment, a ~1 MB
#                          zip, and some carrying EICAR; every attachment
#                          unique, so no scan cache helps either side
# and measures, on the same files with the same database and the same
# limits (mxward's defaults), each the best of --repeat runs (default 3):
#   clamd                  a private clamd (started afresh for each run, so
#                          its clean-file cache is cold), fed by one
#                          `clamdscan --stream` for all the files
#   mxward scan            `mxward scan --json` on all the files (in-process
#                          libclamav), with the engine load time subtracted
#                          (a run on one tiny message), also with
#                          scan_parts: no and/or salvage: no
#   Postfix end to end     (as root, unless --no-e2e) the workload sent over
#                          SMTP, N sessions, to a private Postfix relaying to
#                          smtp-sink: alone, with mxward as milter without
#                          antivirus, and with it
# and prints MB/s and messages/s, the ratio mxward/clamd (throughput per
# byte), CPU seconds, the detections each side made (a sanity check), and
# memory: clamd's VmRSS once loaded and its VmHWM after the run, mxward's
# peak RSS (getrusage of the child) and, as milter, its VmHWM.
#
# Usage:
#     bench/av-throughput.sh [--quick] [--messages N] [--repeat N]
#                            [--hashes N] [--bodies N] [--sessions N]
#                            [--no-e2e]
#
# Requires clamd and clamdscan (clamav-daemon), python3, a built ./mxward
# (its rows are skipped, not failed, when it cannot scan with the antivirus
# section); the end-to-end part needs root, postfix and smtp-sink.  --quick
# is a smoke run of seconds (40 messages, a 20,000 + 2,000 signature
# database, no Postfix).  Each timed run is killed after BENCH_RUN_TIMEOUT
# seconds (default 300).  Everything runs on 127.0.0.1 in a temp dir and
# is stopped by PID; the dir is removed on exit unless E2E_KEEP=1.
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/.." && pwd)}"
. "$top_srcdir/t/e2e/lib.sh"

messages=300
repeat=3
hashes=200000
bodies=20000
sessions=8
e2e=1
run_timeout=${BENCH_RUN_TIMEOUT:-300}
while [ $# -gt 0 ]; do
    case $1 in
    --quick) messages=40 repeat=1 hashes=20000 bodies=2000 sessions=4 e2e=0 ;;
    --messages) messages=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    --hashes) hashes=$2; shift ;;
    --bodies) bodies=$2; shift ;;
    --sessions) sessions=$2; shift ;;
    --no-e2e) e2e=0 ;;
    --e2e) e2e=1 ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--quick] [--messages N] [--repeat N] [--hashes N] [--bodies N] [--sessions N] [--no-e2e]" >&2
       exit 2 ;;
    esac
    shift
done

for p in clamd clamdscan "$PYTHON"; do
    command -v "$p" >/dev/null 2>&1 || { echo "av-throughput: $p not found (apt-get install clamav-daemon)" >&2; exit 1; }
done
if [ "$e2e" = 1 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v postfix >/dev/null 2>&1 ||
            ! command -v smtp-sink >/dev/null 2>&1; then
        echo "av-throughput: no Postfix part (needs root, postfix, smtp-sink)" >&2
        e2e=0
    fi
fi

# lib.sh's trap stops everything by PID and removes the dir.
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mxward-avbench.XXXXXX")
chmod 755 "$E2E_DIR"
trap e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
D=$E2E_DIR
clk_tck=$(getconf CLK_TCK)
start_all=$EPOCHREALTIME

# ------------------------------------------------------- generators ----

# One Python file for the database and the workload; it borrows EICAR and
# the MIME helpers from t/e2e/avmail.py, timed runs and the SMTP sender
# from bench/benchlib.py.
cat >"$D/avbench.py" <<'PY'
import json, os, random, sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "t", "e2e"))
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "bench"))
import avmail as am
from benchlib import send, timed

CRLF = am.CRLF


def gen_db(dbdir, n_hash, n_body):
    """Random hash and body signatures; the same for clamd and mxward."""
    rnd = random.Random(20240101)
    os.makedirs(dbdir, exist_ok=True)
    with open(os.path.join(dbdir, "bench.hdb"), "w") as f:
        for i in range(n_hash):
            f.write("%s:%d:Bench.Hash-%d\n"
                    % (rnd.randbytes(16).hex(), rnd.randint(512, 4 << 20), i))
    targets = [0] * 14 + [1, 1, 1, 3, 4, 7]
    with open(os.path.join(dbdir, "bench.ndb"), "w") as f:
        for i in range(n_body):
            h = [rnd.randbytes(1).hex() for _ in range(rnd.randint(16, 40))]
            r, mid = rnd.random(), len(h) // 2
            if r < 0.15:
                h[rnd.randint(4, len(h) - 5)] = "??"
            elif r < 0.25:
                h.insert(mid, "*")
            elif r < 0.30:
                h.insert(mid, "{2-8}")
            target = rnd.choice(targets)
            off = "0" if rnd.random() < 0.1 else "*"
            f.write("Bench.Body-%d:%d:%s:%s\n" % (i, target, off, "".join(h)))
        f.write("Eicar-Test-Signature:0:0:%s\n" % am.eicar().hex())


def pdf_like(rnd, size):
    """A PDF skeleton around a random (incompressible, image-like) stream."""
    data = rnd.randbytes(size)
    return (b"%PDF-1.5\n1 0 obj\n<< /Type /XObject /Subtype /Image /Width 640"
            b" /Height 480 /Length " + str(size).encode() + b" >>\nstream\n"
            + data + b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n")


def gen_work(outdir, n):
    """n messages named NNNN-KIND.eml; prints the count and bytes."""
    os.makedirs(outdir, exist_ok=True)
    # Per 20 messages: 8 text, 5 HTML, 4 PDF, 2 zip, 1 infected.
    kinds = ["text"] * 8 + ["html"] * 5 + ["pdf"] * 4 + ["zip"] * 2 + ["virus"]
    total = 0
    for i in range(n):
        rnd = random.Random(i)
        kind = kinds[(i * 7) % len(kinds)]
        name = "%04d-%s" % (i, kind)
        text = am.lorem(5000, i)
        if kind == "text":
            m = am.message(name, text, ["Content-Type: text/plain; charset=us-ascii"])
        elif kind == "html":
            html = ("<html><body><table>" + "".join(
                "<tr><td><a href=\"https://www.example.com/p/%d\">%s</a></td></tr>"
                % (rnd.randint(0, 1 << 30), l) for l in am.lorem(20000, i).split(CRLF))
                + "</table></body></html>" + CRLF)
            b = "=_alt_" + name
            m = am.message(name, am.multipart(b, [am.text_part(text), am.part(
                ["Content-Type: text/html; charset=us-ascii"], html)]),
                ["Content-Type: multipart/alternative; boundary=\"%s\"" % b])
        elif kind == "pdf":
            m = am.mixed(name, [am.text_part(text), am.attachment(
                pdf_like(rnd, 300 << 10), "scan-%d.pdf" % i, "application/pdf")])
        elif kind == "zip":
            z = am.zip_of([("photo.jpg", rnd.randbytes(800 << 10)),
                           ("minutes.txt", am.lorem(200000, i).encode()),
                           ("data.bin", rnd.randbytes(150 << 10))])
            m = am.mixed(name, [am.text_part(text), am.attachment(
                z, "files-%d.zip" % i, "application/zip")])
        else:
            z = am.zip_of([("readme.txt", am.lorem(3000, i).encode()),
                           ("invoice.com", am.eicar())])
            m = am.mixed(name, [am.text_part(text), am.attachment(
                z, "invoice-%d.zip" % i, "application/zip")])
        data = m.encode("ascii")
        total += len(data)
        with open(os.path.join(outdir, name + ".eml"), "wb") as f:
            f.write(data)
    print(n, total)


def count_json(path):
    """mxward scan --json: messages, with a virus, with limits/errors."""
    n = virus = other = 0
    with open(path) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            n += 1
            if r.get("virus"):
                virus += 1
            elif r.get("action") not in ("accept", "add_header"):
                other += 1
    print(n, virus, other)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "db":
        gen_db(args[0], int(args[1]), int(args[2]))
    elif cmd == "work":
        gen_work(args[0], int(args[1]))
    elif cmd == "timed":
        timed(args[0], float(args[1]), args[2:])
    elif cmd == "count-json":
        count_json(args[0])
    elif cmd == "send":
        send(int(args[0]), int(args[1]), float(args[2]), args[3:])
PY
bench_py() { top_srcdir=$top_srcdir "$PYTHON" "$D/avbench.py" "$@"; }

# awk arithmetic: calc 'EXPR' with the variables given as name=value.
calc() { local e=$1; shift; awk "$@" "BEGIN { $e }"; }

t0=$EPOCHREALTIME
bench_py db "$D/db" "$hashes" "$bodies"
db_secs=$(calc 'printf "%.1f", b - a' -v a="$t0" -v b="$EPOCHREALTIME")
db_size=$(du -sk "$D/db" | cut -f1)
read -r n_files n_bytes <<<"$(bench_py work "$D/work" "$messages")"
n_virus=$(find "$D/work" -name '*-virus.eml' | wc -l)
mb=$(calc 'printf "%.1f", b / 1048576' -v b="$n_bytes")
files=("$D"/work/*.eml)
make_message "$D/tiny.eml" tiny

echo "av throughput: $n_files messages, $mb MB ($n_virus with EICAR);" \
    "database $hashes hash + $bodies body signatures + EICAR ($db_size KB," \
    "built in ${db_secs}s); $(clamd --version | cut -d/ -f1); $(nproc) CPUs" >&2

rows=()
row() { rows+=("$(printf '%-34s %6s %7s %8s %7s %8s %7s %6s %8s %7s %9s' "$@")"); }
skip_row() { rows+=("$(printf '%-34s  %s' "$1" "$2")"); }

# ------------------------------------------------------------- clamd ----

CLAMD_PID=
clamd_rate=
clamd_port=$(free_port)
mkdir -p "$D/clamd-tmp"
cat >"$D/clamd.conf" <<EOF
# Private clamd for bench/av-throughput.sh (generated).  No User: it runs
# as whoever started the benchmark.  Limits: mxward's defaults.
Foreground yes
TCPSocket $clamd_port
TCPAddr 127.0.0.1
DatabaseDirectory $D/db
TemporaryDirectory $D/clamd-tmp
LogFile $D/clamd.log
LogTime yes
PidFile $D/clamd.pid
MaxThreads 4
SelfCheck 3600
StreamMaxLength 200M
MaxScanSize 400M
MaxFileSize 100M
MaxRecursion 25
MaxFiles 10000
MaxScanTime 120000
AlertExceedsMax yes
EOF

# PID-based status field of PID, e.g. VmRSS, in KB.
pid_kb() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }
cpu_ticks() {
    local rest
    rest=$(sed 's/^.*) //' "/proc/$1/stat")
    set -- $rest
    echo $((${12} + ${13}))
}
clamd_ping() { clamdscan -c "$D/clamd.conf" --ping 1 >/dev/null 2>&1; }

# less A B: is the number A smaller than B (B empty: yes)?
less() { [ -z "$2" ] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# clamd_once: start clamd, time one clamdscan over all the files, stop it.
# Sets c_load c_wall c_cpu c_rss c_hwm c_found c_rc; status 1 if clamd did
# not start.  A fresh clamd per run, so its clean-file cache is cold.
clamd_once() {
    local t0 k0 k1 ut st
    t0=$EPOCHREALTIME
    clamd -c "$D/clamd.conf" >>"$D/clamd.out" 2>&1 &
    CLAMD_PID=$!
    if ! wait_for 120 clamd_ping || ! pid_alive "$CLAMD_PID"; then
        stop_pid "$CLAMD_PID" 10
        CLAMD_PID=
        return 1
    fi
    c_load=$(calc 'printf "%.2f", b - a' -v a="$t0" -v b="$EPOCHREALTIME")
    c_rss=$(pid_kb "$CLAMD_PID" VmRSS)
    k0=$(cpu_ticks "$CLAMD_PID")
    read -r c_wall ut st _ c_rc <<<"$(bench_py timed "$D/clamdscan.out" "$run_timeout" \
        clamdscan --stream -c "$D/clamd.conf" --no-summary "${files[@]}")"
    k1=$(cpu_ticks "$CLAMD_PID")
    c_hwm=$(pid_kb "$CLAMD_PID" VmHWM)
    c_cpu=$(calc 'printf "%.2f", d / hz' -v d=$((k1 - k0)) -v hz="$clk_tck")
    c_found=$(grep -c ' FOUND$' "$D/clamdscan.out" || true)
    stop_pid "$CLAMD_PID" 10
    CLAMD_PID=
}

e2e_at_exit 'stop_pid "$CLAMD_PID" 10'
best=
for ((r = 0; r < repeat; r++)); do
    if ! clamd_once; then
        tail -n 20 "$D/clamd.out" >&2
        skip_row "clamd + clamdscan --stream" "clamd did not start (see above)"
        break
    fi
    if [ "$c_rc" != 0 ] && [ "$c_rc" != 1 ]; then
        skip_row "clamd + clamdscan --stream" "clamdscan failed ($c_rc): $(tail -n 1 "$D/clamdscan.out.err")"
        break
    fi
    if less "$c_wall" "${best%% *}"; then
        best="$c_wall $c_load $c_cpu $c_rss $c_hwm $c_found"
    fi
done
if [ -n "$best" ]; then
    read -r wall load cpu rss hwm found <<<"$best"
    clamd_rate=$(calc 'printf "%.2f", b / 1048576 / w' -v b="$n_bytes" -v w="$wall")
    row "clamd + clamdscan --stream" "$n_files" "$wall" "$load" \
        "$(calc 'printf "%.1f", n / w' -v n="$n_files" -v w="$wall")" \
        "$clamd_rate" 1.00 "$found/$n_virus" "$cpu" "$((rss / 1024))" "$((hwm / 1024))"
    echo "  clamd: $clamd_rate MB/s, loaded in ${load}s, VmHWM $((hwm / 1024)) MB" >&2
    grep -v ': OK$' "$D/clamdscan.out" | grep -v -- '-virus\.eml: .* FOUND$' |
        sed 's/^/  clamdscan: /' | head -n 5 >&2 || true
fi

# ------------------------------------------------------------ mxward ----

# mx_policy FILE [antivirus keys]: the test policy with antivirus on
# (lib.sh's POL_ANTIVIRUS); a generous size limit and a scored HELO so
# only the scan decides.
mx_policy() {
    local f=$1; shift
    POL_LOG_LEVEL=warning POL_HELO_REQUIRED=false POL_HELO_ACTION=score \
        POL_SIZE=200M POL_ANTIVIRUS="{ enabled: yes, database: \"$D/db\"${1:+, $1} }" \
        mx_write_policy "$f"
}
scan_args=(scan --json --ip 192.0.2.10 --helo client.test.example
    --from sender@example.net --rcpt rcpt@example.org)

# mx_scan LABEL [antivirus keys]: one mxward scan row, best of $repeat
# runs on all the files less the best of $repeat on one tiny message.
mx_scan() {
    local label=$1 pol=$D/policy-$RANDOM.yaml r t_wall t_cpu t_rss
    local wall ut st rss rc best='' tbest='' n virus other secs rate cpu
    shift
    mx_policy "$pol" "$*"
    if ! "$MXWARD" -c "$pol" check >"$D/check.out" 2>&1; then
        skip_row "$label" "policy refused: $(head -n 1 "$D/check.out")"
        return
    fi
    for ((r = 0; r < repeat; r++)); do
        read -r wall ut st rss rc <<<"$(bench_py timed "$D/tiny.out" "$run_timeout" \
            "$MXWARD" -c "$pol" "${scan_args[@]}" "$D/tiny.eml")"
        if [ "$rc" != 0 ]; then
            skip_row "$label" "mxward scan failed ($rc): $(tail -n 1 "$D/tiny.out.err")"
            return
        fi
        less "$wall" "${tbest%% *}" &&
            tbest="$wall $(calc 'printf "%.3f", u + s' -v u="$ut" -v s="$st") $rss"
        read -r wall ut st rss rc <<<"$(bench_py timed "$D/mx.out" "$run_timeout" \
            "$MXWARD" -c "$pol" "${scan_args[@]}" "${files[@]}")"
        if [ "$rc" != 0 ]; then
            skip_row "$label" "mxward scan failed ($rc): $(tail -n 1 "$D/mx.out.err")"
            return
        fi
        less "$wall" "${best%% *}" &&
            best="$wall $(calc 'printf "%.3f", u + s' -v u="$ut" -v s="$st") $rss"
    done
    read -r t_wall t_cpu t_rss <<<"$tbest"
    read -r wall cpu rss <<<"$best"
    read -r n virus other <<<"$(bench_py count-json "$D/mx.out")"
    secs=$(calc 'printf "%.3f", w - t' -v w="$wall" -v t="$t_wall")
    rate=$(calc 'printf "%.2f", b / 1048576 / s' -v b="$n_bytes" -v s="$secs")
    cpu=$(calc 'printf "%.2f", c - t' -v c="$cpu" -v t="$t_cpu")
    row "$label" "$n" "$secs" "$t_wall" \
        "$(calc 'printf "%.1f", n / s' -v n="$n" -v s="$secs")" "$rate" \
        "$([ -n "$clamd_rate" ] && calc 'printf "%.2f", r / c' -v r="$rate" -v c="$clamd_rate" || echo -)" \
        "$virus/$n_virus" "$cpu" "$((t_rss / 1024))" "$((rss / 1024))"
    [ "$other" -eq 0 ] || echo "  $label: $other messages neither clean nor infected" >&2
    echo "  $label: $rate MB/s" >&2
}

mx_ok=0
if [ -x "$MXWARD" ]; then
    mx_policy "$D/policy.yaml"
    if "$MXWARD" -c "$D/policy.yaml" check >"$D/check.out" 2>&1; then
        mx_ok=1
    else
        skip_row "mxward scan" "policy with antivirus refused: $(head -n 1 "$D/check.out")"
    fi
else
    skip_row "mxward scan" "no mxward binary at $MXWARD"
fi
if [ "$mx_ok" = 1 ]; then
    mx_scan "mxward scan"
    mx_scan "mxward scan, scan_parts: no" "scan_parts: no"
    mx_scan "mxward scan, salvage: no" "salvage: no"
    mx_scan "mxward scan, raw only" "scan_parts: no, salvage: no"
fi

# ---------------------------------------------- Postfix end to end ----

e2e_rows=()
if [ "$e2e" = 1 ]; then
    SINK_NODUMP=1 sink_start
    postfix_start avbench \
        "in_flow_delay = 0s" \
        "default_process_limit = 200" \
        "smtpd_client_connection_count_limit = 0" \
        "smtpd_client_message_rate_limit = 0" \
        "message_size_limit = 0" \
        "milter_connect_timeout = 10s"
    drain() { wait_for 60 postfix_queue_empty || echo "  (queue not drained in 60 s)" >&2; }
    base=
    noav=
    # e2e_run LABEL: send the workload through the current Postfix.
    e2e_run() {
        local label=$1 secs bytes ok rej def fail rate ratio vsnoav cpu0 cpu1 cpums hwm i
        local warm=()
        # Warm-up: Postfix spawns its smtpd and cleanup processes on demand.
        for ((i = 0; i < 2 * sessions; i++)); do warm+=("$D/tiny.eml"); done
        bench_py send "$PF_PORT" "$sessions" "$run_timeout" "${warm[@]}" >/dev/null
        drain
        if [ -n "$MX_PID" ]; then
            echo 5 >"/proc/$MX_PID/clear_refs" 2>/dev/null || true
            cpu0=$(cpu_ticks "$MX_PID")
        fi
        read -r secs bytes ok rej def fail <<<"$(bench_py send "$PF_PORT" "$sessions" \
            "$run_timeout" "${files[@]}")"
        rate=$(calc 'printf "%.1f", n / s' -v n="$n_files" -v s="$secs")
        cpums=- hwm=-
        if [ -n "$MX_PID" ]; then
            cpu1=$(cpu_ticks "$MX_PID")
            cpums=$(calc 'printf "%.1f", d * 1000 / hz / n' -v d=$((cpu1 - cpu0)) \
                -v hz="$clk_tck" -v n="$n_files")
            hwm=$(($(mx_pid_status VmHWM | cut -d' ' -f1) / 1024))
        fi
        [ -z "$base" ] && base=$rate
        ratio=$(calc 'printf "%.2f", r / b' -v r="$rate" -v b="$base")
        vsnoav=-
        [ -n "$noav" ] && vsnoav=$(calc 'printf "%.2f", r / b' -v r="$rate" -v b="$noav")
        e2e_rows+=("$(printf '%-34s %8s %6s %8s %8s %7s %6s %7s %10s %10s %8s' \
            "$label" "$sessions" "$n_files" "$secs" "$rate" \
            "$(calc 'printf "%.2f", b / 1048576 / s' -v b="$bytes" -v s="$secs")" \
            "$ratio" "$vsnoav" "$ok/$rej/$def/$fail" "$cpums" "$hwm")")
        echo "  e2e $label: $rate msgs/s ($ok accepted, $rej rejected, $def deferred, $fail failed)" >&2
        REPLY_RATE=$rate
    }
    MX_PID=
    e2e_run "postfix alone"
    for av in off on; do
        label="postfix+mxward, antivirus $av"
        if [ "$av" = on ] && [ "$mx_ok" != 1 ]; then
            e2e_rows+=("$(printf '%-34s  %s' "$label" "skipped: mxward cannot scan")")
            continue
        fi
        # Read by mx_write_policy (lib.sh).
        # shellcheck disable=SC2034
        POL_LISTEN=unix:$D/mxward.sock
        if [ "$av" = on ]; then
            mx_policy "$D/policy-milter.yaml"
        else
            POL_LOG_LEVEL=warning POL_HELO_REQUIRED=false POL_HELO_ACTION=score \
                POL_SIZE=200M mx_write_policy "$D/policy-milter.yaml"
        fi
        if mx_try_start "$D/policy-milter.yaml"; then
            postfix_conf "smtpd_milters = $MX_LISTEN"
            sleep 1
            e2e_run "$label"
            [ "$av" = off ] && noav=$REPLY_RATE
            mx_stop
            postfix_conf "smtpd_milters ="
        else
            e2e_rows+=("$(printf '%-34s  %s' "$label" "skipped: mxward did not start")")
        fi
    done
fi

# ----------------------------------------------------------- report ----

total=$(calc 'printf "%.0f", b - a' -v a="$start_all" -v b="$EPOCHREALTIME")
printf '\nScanning %s messages (%s MB, %s with EICAR), one after another:\n' \
    "$n_files" "$mb" "$n_virus"
printf '%-34s %6s %7s %8s %7s %8s %7s %6s %8s %7s %9s\n' \
    engine msgs secs "load s" msgs/s MB/s ratio found "CPU s" "RSS MB" "peak MB"
printf '%s\n' "${rows[@]}"
printf '\nsecs: the scanning alone, best of %s runs.  clamd: clamdscan'"'"'s wall\n' "$repeat"
printf '  time (one process, INSTREAM over TCP per file); load s: clamd start to\n'
printf '  first PONG.  mxward: the run minus a run on one tiny message (process\n'
printf '  start, policy, engine load: load s).\n'
printf 'ratio: MB/s against clamd (above 1: mxward scans a byte faster).\n'
printf 'found: messages reported infected / messages carrying EICAR.\n'
printf 'CPU s: clamd'"'"'s utime+stime over the run; mxward'"'"'s, minus the tiny run.\n'
printf 'RSS MB: clamd VmRSS once loaded; mxward peak RSS of the tiny run.\n'
printf 'peak MB: clamd VmHWM after the run; mxward peak RSS of the full run.\n'
if [ "${#e2e_rows[@]}" -gt 0 ]; then
    printf '\nPostfix end to end, %s SMTP sessions, a session per message:\n' "$sessions"
    printf '%-34s %8s %6s %8s %8s %7s %6s %7s %10s %10s %8s\n' \
        config sessions msgs secs msgs/s MB/s ratio vs-noav "ok/5xx/4xx/x" "ms/m" "VmHWM MB"
    printf '%s\n' "${e2e_rows[@]}"
    printf '\nratio: msgs/s against Postfix alone; vs-noav: against mxward without\n'
    printf '  antivirus; same run.  ok/5xx/4xx/x: accepted, rejected, deferred,\n'
    printf '  failed.  ms/m: mxward CPU time per message; VmHWM: its peak RSS.\n'
fi
printf 'Total %ss.\n' "$total"
