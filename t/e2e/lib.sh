# lib.sh -- shared helpers for the mxward end-to-end tests (bash).
#
# Sourced by t/e2e/tNNNN-*.sh and bench/*.sh:
#
#     . "$(dirname "$0")/lib.sh"
#     e2e_init                  # skip unless root + postfix; temp dir; trap
#     sink_start                # smtp-sink capturing into $SINK_DIR
#     mx_write_policy "$E2E_DIR/policy.yaml"; mx_start "$E2E_DIR/policy.yaml"
#     postfix_start             # private Postfix on $PF_PORT relaying to sink
#     tap_plan 2
#     out=$(send --rcpt a@example.org "$msg")
#     tap_like "$out" '^data 250 ' "message accepted"
#
# Everything listens on 127.0.0.1 and lives under one mktemp -d directory
# ($E2E_DIR).  Every process started here is recorded by PID and stopped by
# PID from the EXIT trap (Postfix children are found by their MAIL_CONFIG
# environment, which names our private config directory, never by name).
# The directory is removed afterwards unless E2E_KEEP=1; when a test failed,
# the logs (Postfix maillog, mxward stderr, smtp-sink stderr) are printed as
# TAP diagnostics first, so `make check` logs show why.
#
# Environment: MXWARD (the binary), top_srcdir, top_builddir -- set by
# AM_TESTS_ENVIRONMENT; defaults derived from this file's location so a
# script can also be run by hand: `sudo t/e2e/t0100-clean-delivery.sh`.
#
# Requires: bash, python3 (smtplib client, port picking), Postfix
# (postfix, postconf, postqueue, smtp-sink).  Root, because Postfix must
# start as root.

E2E_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$E2E_LIBDIR/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${MXWARD:=$top_builddir/mxward}"
: "${PYTHON:=python3}"
export top_srcdir top_builddir MXWARD
# Under a TSan build, every mxward a test starts has libmilter's own races
# suppressed (t/tsan.supp); other programs ignore the variable.
export TSAN_OPTIONS="suppressions=$top_srcdir/t/tsan.supp ${TSAN_OPTIONS:-}"
PATH=$PATH:/usr/sbin:/sbin

# ---------------------------------------------------------------- TAP ----

TAP_N=0
TAP_FAILED=0
TAP_PLANNED=

# Print the plan.
tap_plan() { TAP_PLANNED=$1; echo "1..$1"; }

# Report one result: tap_result 0|1 DESCRIPTION
tap_result() {
    TAP_N=$((TAP_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $TAP_N - $2"
    else
        echo "not ok $TAP_N - $2"
        TAP_FAILED=$((TAP_FAILED + 1))
    fi
}

# Skip one test: tap_skip REASON DESCRIPTION
tap_skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $2 # SKIP $1"; }

# Diagnostics, one "# " line per input line.
tap_diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# tap_ok DESCRIPTION COMMAND [ARGS...]: ok when the command succeeds.
tap_ok() {
    local desc=$1; shift
    if "$@"; then tap_result 0 "$desc"; else tap_result 1 "$desc"; fi
}

# tap_is GOT EXPECTED DESCRIPTION
tap_is() {
    if [ "$1" = "$2" ]; then
        tap_result 0 "$3"
    else
        tap_result 1 "$3"
        tap_diag "got:      '$1'" "expected: '$2'"
    fi
}

# tap_like TEXT EXTENDED-REGEX DESCRIPTION: some line of TEXT matches.
tap_like() {
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then
        tap_result 0 "$3"
    else
        tap_result 1 "$3"
        tap_diag "no line matches /$2/ in:" "$1"
    fi
}

# tap_unlike TEXT EXTENDED-REGEX DESCRIPTION: no line of TEXT matches.
tap_unlike() {
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then
        tap_result 1 "$3"
        tap_diag "a line matches /$2/ in:" "$1"
    else
        tap_result 0 "$3"
    fi
}

# Skip the whole script (only before any result was printed).
tap_skip_all() { echo "1..0 # SKIP $*"; E2E_SKIPPED=1; exit 0; }

# Abort the whole run: the driver reports an error.
tap_bail() { echo "Bail out! $*"; TAP_FAILED=$((TAP_FAILED + 1)); exit 1; }

# Final status: 0 if everything planned ran and passed.
tap_done() {
    if [ -n "$TAP_PLANNED" ] && [ "$TAP_N" -ne "$TAP_PLANNED" ]; then
        tap_diag "planned $TAP_PLANNED tests but ran $TAP_N"
        TAP_FAILED=$((TAP_FAILED + 1))
    fi
    [ "$TAP_FAILED" -eq 0 ] && exit 0
    exit 1
}

# ---------------------------------------------------- set-up, clean-up ----

E2E_DIR=
E2E_SKIPPED=
E2E_CLEANUPS=()

# Register a command (a string for eval) to run at exit, last first.
e2e_at_exit() { E2E_CLEANUPS+=("$1"); }

e2e_cleanup() {
    local rc=$? i
    trap - EXIT INT TERM HUP
    set +e
    for ((i = ${#E2E_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${E2E_CLEANUPS[i]}" >/dev/null 2>&1
    done
    [ "$TAP_FAILED" -gt 0 ] && rc=1
    # A sanitizer build reports at exit into mxward's stderr: any report
    # fails the script even if every assertion passed.
    if [ -n "$E2E_DIR" ] && grep -Eqs 'ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer' \
            "$E2E_DIR"/mxward*.log; then
        tap_diag "sanitizer report in the mxward log"
        rc=1
    fi
    if [ "$rc" -ne 0 ] && [ -z "$E2E_SKIPPED" ] && [ -n "$E2E_DIR" ]; then
        e2e_dump_logs
    fi
    if [ -n "$E2E_DIR" ] && [ -d "$E2E_DIR" ]; then
        if [ "${E2E_KEEP:-0}" = 1 ]; then
            echo "# kept $E2E_DIR"
        else
            rm -rf "$E2E_DIR"
        fi
    fi
    exit "$rc"
}

# Print the logs under $E2E_DIR as diagnostics (tails of each).
e2e_dump_logs() {
    local f
    for f in "$E2E_DIR"/*.log "$E2E_DIR"/postfix*/maillog; do
        [ -s "$f" ] || continue
        tap_diag "---- ${f#"$E2E_DIR"/} (last 60 lines)"
        tail -n 60 "$f" | sed 's/^/# /'
    done
}

# e2e_init [nopostfix]: skip unless we can run Postfix (root, postfix and
# smtp-sink installed) -- "nopostfix" for scripts that do not start it --
# then make $E2E_DIR and install the trap and the watchdog.  Call before
# tap_plan.
e2e_init() {
    if [ "${1:-}" != nopostfix ]; then
        [ "$(id -u)" -eq 0 ] || tap_skip_all "needs root (Postfix must start as root)"
        if ! command -v postfix >/dev/null 2>&1 || ! command -v smtp-sink >/dev/null 2>&1; then
            tap_skip_all "Postfix is not installed (apt-get install postfix)"
        fi
    fi
    command -v "$PYTHON" >/dev/null 2>&1 ||
        tap_bail "python3 is needed by the test client"
    E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mxward-e2e.XXXXXX")
    # Postfix daemons run as user postfix and must reach their queue dir.
    chmod 755 "$E2E_DIR"
    trap e2e_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    e2e_watchdog "${E2E_TIMEOUT:-240}"
}

# e2e_watchdog SECONDS: SIGTERM this script if it runs longer (a hung test
# must not hang `make check`); the EXIT trap then stops what it started.
e2e_watchdog() {
    local main=$$
    (
        trap 'kill "$sp" 2>/dev/null; exit 0' TERM
        sleep "$1" &
        sp=$!
        wait "$sp"
        echo "# watchdog: $1 s elapsed, stopping the test" >&2
        kill -TERM "$main"
    ) &
    E2E_WATCHDOG=$!
    e2e_at_exit 'kill "$E2E_WATCHDOG" 2>/dev/null; wait "$E2E_WATCHDOG" 2>/dev/null'
}

# For scripts where mxward signs with Ed25519: libopendkim 2.11.0~beta2
# keeps the key state of every Ed25519 signing handle, which LeakSanitizer
# would report at exit; t/lsan.supp names that frame, and only full stacks
# (slow unwinding, so only in these scripts) reach it under libcrypto.
lsan_excuse_libopendkim() {
    export LSAN_OPTIONS="suppressions=$top_srcdir/t/lsan.supp ${LSAN_OPTIONS:-}"
    export ASAN_OPTIONS="fast_unwind_on_malloc=0 ${ASAN_OPTIONS:-}"
}

# Need the built daemon (not a skip: a missing binary is a build failure).
e2e_need_mxward() {
    [ -x "$MXWARD" ] || tap_bail "mxward binary not found at $MXWARD"
}

# ------------------------------------------------------------ polling ----

# wait_for SECONDS COMMAND [ARGS...]: poll every 0.1 s until COMMAND
# succeeds; status 1 on timeout.
wait_for() {
    local limit=$1 i=0; shift
    local n=$((limit * 10))
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -ge "$n" ] && return 1
        sleep 0.1
    done
    return 0
}

# wait_log FILE EXTENDED-REGEX [SECONDS]: wait until a line of FILE matches
# (Postfix logs through postlogd, a moment after the fact).
wait_log() { wait_for "${3:-10}" grep -Eq -- "$2" "$1"; }

# True while PID is alive (and not a zombie).
pid_alive() {
    [ -n "$1" ] && [ -e "/proc/$1" ] || return 1
    local st
    st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}
pid_gone() { ! pid_alive "$1"; }

# stop_pid PID [SECONDS]: SIGTERM, wait, then SIGKILL; reaps our children.
stop_pid() {
    local pid=$1 limit=${2:-10}
    [ -n "$pid" ] || return 0
    if pid_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        if ! wait_for "$limit" pid_gone "$pid"; then
            kill -KILL "$pid" 2>/dev/null
            wait_for 5 pid_gone "$pid"
        fi
    fi
    wait "$pid" 2>/dev/null || true
    return 0
}

# Is something accepting TCP connections on 127.0.0.1:PORT?
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Print a TCP port that was free a moment ago (the kernel picks it).
free_port() {
    "$PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ------------------------------------------------------------ smtp-sink ----

SINK_PID=
SINK_PORT=
SINK_DIR=

# sink_start [extra smtp-sink options]: one file per delivered message in
# $SINK_DIR (see smtp-sink(1) DUMP FILE FORMAT).  With SINK_NODUMP=1 it only
# counts (for benchmarks).
sink_start() {
    SINK_PORT=$(free_port)
    SINK_DIR=$E2E_DIR/sink
    mkdir -p "$SINK_DIR"
    chown postfix "$SINK_DIR"
    local dump=(-d "$SINK_DIR/msg.")
    [ "${SINK_NODUMP:-0}" = 1 ] && dump=()
    # -u: drop root after binding; 1000: listen backlog.
    smtp-sink -u postfix -h sink.test.example "${dump[@]}" "$@" \
        "127.0.0.1:$SINK_PORT" 1000 2>"$E2E_DIR/sink.log" &
    SINK_PID=$!
    e2e_at_exit sink_stop
    wait_for 10 tcp_open "$SINK_PORT" || tap_bail "smtp-sink did not start"
}

sink_stop() { stop_pid "$SINK_PID" 5; SINK_PID=; }

# Number of complete messages captured so far.
sink_count() { find "$SINK_DIR" -type f -name 'msg.*' | wc -l; }

# List captured message files, oldest first.
sink_files() { ls -1tr "$SINK_DIR"/msg.* 2>/dev/null || true; }

# Print the message of a capture file without smtp-sink's own headers
# (they end with its three-line "Received: ... (smtp-sink) ..." header).
sink_message() {
    awk 'done { print; next }
         /^Received: from / { inrcv = 1; next }
         inrcv && /^[ \t]/ { if (++cont == 2) done = 1; next }' "$1"
}

# Print only the header section of a captured message, unfolded.
sink_headers() {
    sink_message "$1" | awk '/^\r?$/ { exit } { print }' | tr -d '\r' |
        awk '/^[ \t]/ { sub(/^[ \t]+/, " "); line = line $0; next }
             { if (line != "") print line; line = $0 }
             END { if (line != "") print line }'
}

# ------------------------------------------------------------- Postfix ----

PF_DIR=
PF_CONF=
PF_PORT=
PF_NAME=

# postfix_start [NAME] [main.cf lines...]: a private Postfix instance in
# $E2E_DIR/postfix-NAME (default NAME "a"; config in $PF_CONF = $PF_DIR/etc,
# queue in $PF_DIR/queue, log in $PF_DIR/maillog), smtpd on 127.0.0.1:$PF_PORT,
# relaying everything to the smtp-sink started by sink_start.  Set PF_MILTER
# (e.g. inet:127.0.0.1:PORT or unix:/path) to attach a milter.  Extra
# arguments are appended to main.cf verbatim (later lines win).
postfix_start() {
    local name=${1:-a}; shift || true
    PF_NAME=$name
    PF_DIR=$E2E_DIR/postfix-$name
    PF_CONF=$PF_DIR/etc
    PF_PORT=$(free_port)
    # The config dir must hold only root-owned files, so the queue and
    # data dirs sit beside it, not in it.
    mkdir -p "$PF_CONF" "$PF_DIR/queue" "$PF_DIR/data"
    chown postfix "$PF_DIR/data"
    postfix_write_main_cf "$name" "$@" >"$PF_CONF/main.cf"
    postfix_write_master_cf >"$PF_CONF/master.cf"
    : >"$PF_DIR/maillog"
    e2e_at_exit "postfix_stop_dir '$PF_DIR'"
    if ! postfix -c "$PF_CONF" start >"$PF_DIR/start.log" 2>&1; then
        # Postfix reports to stderr only on a tty, else to maillog_file.
        tap_diag "$(cat "$PF_DIR/start.log" "$PF_DIR/maillog")"
        tap_bail "postfix -c $PF_CONF start failed"
    fi
    wait_for 20 tcp_open "$PF_PORT" || tap_bail "Postfix smtpd did not answer on $PF_PORT"
}

postfix_write_main_cf() {
    local name=$1; shift
    cat <<EOF
# Private Postfix instance for mxward e2e tests ($name); generated.
compatibility_level = 3.6
config_directory = $PF_CONF
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
multi_instance_name = mxward-e2e-$name
syslog_name = postfix-e2e-$name
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $PF_DIR
myhostname = mx.test.example
mydomain = test.example
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
relay_domains =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$SINK_PORT
smtp_host_lookup = native
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtpd_peername_lookup = no
smtpd_banner = \$myhostname ESMTP
biff = no
notify_classes =
delay_warning_time = 0
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 10s
smtpd_milters = ${PF_MILTER:-}
milter_default_action = tempfail
milter_protocol = 6
milter_connect_macros = j {daemon_name} {daemon_addr} v _
milter_helo_macros = {tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
EOF
    local line
    for line in "$@"; do printf '%s\n' "$line"; done
}

# master.cf with only what a relay needs; nothing chrooted.
postfix_write_master_cf() {
    cat <<EOF
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# postfix_conf 'name = value'...: change main.cf and reload.
postfix_conf() {
    local kv
    for kv in "$@"; do postconf -c "$PF_CONF" -e "$kv"; done
    postfix -c "$PF_CONF" reload >/dev/null 2>&1
}

# PID of the master of the instance in DIR (empty if not running).
postfix_master_pid() {
    local f=$1/queue/pid/master.pid
    [ -s "$f" ] && tr -d ' \n' <"$f"
}

# PIDs of every process of the instance in DIR: the master exports
# MAIL_CONFIG=DIR/etc to all its children.
postfix_pids() {
    local p
    for p in /proc/[0-9]*; do
        tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "MAIL_CONFIG=$1/etc" &&
            echo "${p#/proc/}"
    done
    return 0
}

# Stop the instance in DIR: master by PID, then any stragglers by PID.
postfix_stop_dir() {
    local dir=$1 pid
    pid=$(postfix_master_pid "$dir")
    [ -n "$pid" ] && stop_pid "$pid" 10
    for pid in $(postfix_pids "$dir"); do
        [ "$pid" = "$$" ] || stop_pid "$pid" 3
    done
    return 0
}
postfix_stop() { postfix_stop_dir "$PF_DIR"; }

# Number of messages in the queue (all queues).
postfix_queue_count() {
    postqueue -c "$PF_CONF" -j 2>/dev/null | grep -c '"queue_id"' || true
}
postfix_queue_empty() { [ "$(postfix_queue_count)" -eq 0 ]; }

# Flush deferred mail now (after a tempfailed next hop came back).
postfix_flush() { postqueue -c "$PF_CONF" -f >/dev/null 2>&1 || true; }

# Number of "status=sent" deliveries logged so far.
postfix_sent_count() { grep -c ' status=sent ' "$PF_DIR/maillog" || true; }

# wait_sent N [SECONDS]: wait until at least N deliveries were logged (the
# sink wrote the file before it said 250, so the capture is complete).
wait_sent() {
    local n=$1 limit=${2:-30}
    _sent_ge() { [ "$(postfix_sent_count)" -ge "$1" ]; }
    wait_for "$limit" _sent_ge "$n"
}

# ------------------------------------------------------------- mxward ----

MX_PID=
MX_LOG=
MX_LISTEN=
MX_METRICS=

# mx_write_policy FILE: a minimal policy; tune with POL_* variables.
#   POL_LISTEN (default inet:127.0.0.1:<free port>), POL_METRICS ("" = off),
#   POL_POLICY_LISTEN (listen.policy; default "": no policy socket),
#   POL_ADD_HEADER (6), POL_REJECT (15), POL_REFUSED ([]),
#   POL_TRUSTED ([]), POL_HELO_REQUIRED (true), POL_HELO_ACTION (reject),
#   POL_SIZE (1M), POL_ANTIVIRUS ({ enabled: false }),
#   POL_DNS_SERVERS (none: resolv.conf; e.g. "\"127.0.0.1@$DNS_PORT\""),
#   POL_DNS_TIMEOUT (2s), POL_SPF, POL_DKIM, POL_DMARC (each
#   { enabled: false }: no test asks DNS unless it says so),
#   POL_EXTRA (appended verbatim).
# Sets MX_LISTEN and MX_METRICS to the addresses written.
mx_write_policy() {
    MX_LISTEN=${POL_LISTEN:-inet:127.0.0.1:$(free_port)}
    MX_METRICS=${POL_METRICS-}
    cat >"$1" <<EOF
# mxward e2e test policy (generated by t/e2e/lib.sh)
authserv_id: mx.test.example
daemon: { user: "", log_level: ${POL_LOG_LEVEL:-info} }
listen: { milter: "$MX_LISTEN", socket_mode: "0666", policy: "${POL_POLICY_LISTEN:-}" }
metrics: { listen: "$MX_METRICS" }
actions: { add_header: ${POL_ADD_HEADER:-6}, quarantine: ${POL_QUARANTINE:-off}, tempfail: off, reject: ${POL_REJECT:-15} }
headers: { spam_status: true }
access: { trusted_networks: ${POL_TRUSTED:-[]}, refused_networks: ${POL_REFUSED:-[]}, authenticated: trusted }
helo: { required: ${POL_HELO_REQUIRED:-true}, invalid_action: ${POL_HELO_ACTION:-reject} }
limits: { message_size_limit: ${POL_SIZE:-1M}, header_count_limit: 1000 }
relay: { enabled: false, local_domains: [example.org] }
submission: { require_tls_for_auth: false }
antivirus: ${POL_ANTIVIRUS:-"{ enabled: false }"}
dns: { servers: [${POL_DNS_SERVERS:-}], timeout: ${POL_DNS_TIMEOUT:-2s} }
spf: ${POL_SPF:-"{ enabled: false }"}
dkim: ${POL_DKIM:-"{ enabled: false }"}
dmarc: ${POL_DMARC:-"{ enabled: false }"}
${POL_EXTRA:-}
EOF
}

# Does the milter socket in MX_LISTEN answer?
mx_listening() {
    case $MX_LISTEN in
    inet:*) tcp_open "${MX_LISTEN##*:}" ;;
    unix:*) [ -S "${MX_LISTEN#unix:}" ] ;;
    local:*) [ -S "${MX_LISTEN#local:}" ] ;;
    *) return 1 ;;
    esac
}

# mx_try_start POLICY: mxward in the foreground (backgrounded here), stderr
# appended to $E2E_DIR/mxward.log; status 0 once the milter socket answers,
# 1 (after printing the log's tail as diagnostics) if it does not within 20 s.
mx_try_start() {
    e2e_need_mxward
    MX_LOG=$E2E_DIR/mxward.log
    # -f: log to stderr (no syslog in test containers).
    "$MXWARD" -c "$1" -f run 2>>"$MX_LOG" >&2 &
    MX_PID=$!
    e2e_at_exit mx_stop
    local i=0
    # Poll for the socket for 20 s, giving up at once if mxward exited.
    while pid_alive "$MX_PID" && ! mx_listening && [ "$i" -lt 200 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if ! pid_alive "$MX_PID" || ! mx_listening; then
        tap_diag "mxward did not listen on $MX_LISTEN"
        [ -s "$MX_LOG" ] && tail -n 20 "$MX_LOG" | sed 's/^/# /'
        mx_stop
        return 1
    fi
    if [ -n "$MX_METRICS" ]; then
        wait_for 10 tcp_open "${MX_METRICS##*:}" || tap_diag "metrics endpoint not up"
    fi
    return 0
}

# mx_start POLICY: the same, bailing out of the test when it fails.
mx_start() { mx_try_start "$1" || tap_bail "mxward did not start"; }

# mx_stop: SIGTERM by PID, SIGKILL after 10 s.
mx_stop() { stop_pid "$MX_PID" 10; MX_PID=; }

# mx_pid_status FIELD: a line of /proc/$MX_PID/status (e.g. VmHWM).
mx_pid_status() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$MX_PID/status"; }

# ------------------------------------------------------------ clients ----

# send [smtpclient.py options] [FILE]: SMTP to our Postfix; prints a line
# per stage ("data 250 2.0.0 Ok: queued as ...").
send() { "$PYTHON" "$E2E_LIBDIR/smtpclient.py" --port "$PF_PORT" "$@"; }

# make_message FILE [SUBJECT] [EXTRA-HEADER-LINES]: write a small message.
make_message() {
    {
        printf 'From: Sender <sender@example.net>\r\n'
        printf 'To: <rcpt@example.org>\r\n'
        printf 'Subject: %s\r\n' "${2:-e2e test}"
        printf 'Date: %s\r\n' "$(LC_ALL=C date -R)"
        printf 'Message-ID: <%s.%s@example.net>\r\n' "$$" "$RANDOM"
        [ -n "${3:-}" ] && printf '%s\r\n' "$3"
        printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n'
        printf '\r\nHello from the mxward e2e tests.\r\n'
    } >"$1"
}

# make_big_message FILE KBYTES: a message with a body of about KBYTES KB.
make_big_message() {
    make_message "$1" "big message"
    local line i
    line=$(printf '%076d' 0)
    for ((i = 0; i < $2 * 1024 / 78; i++)); do printf '%s\r\n' "$line"; done >>"$1"
}

# http_get URL: body on stdout (python3 urllib; no curl needed).
http_get() {
    "$PYTHON" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"
}

# ---------------------------------------------------------- antivirus ----

AV_DB=
AV_MAIL=
AV_TESTFILES=no

# av_setup [avmail.py options]: a signature database in $E2E_DIR/avdb and
# the generated test messages in $E2E_DIR/avmail (with expected.tsv);
# sets AV_TESTFILES to yes when the shared ClamAV unit-test signatures
# (../shared/testdata/clamav) are there, and POL_ANTIVIRUS to use the
# database.
av_setup() {
    AV_DB=$E2E_DIR/avdb
    AV_MAIL=$E2E_DIR/avmail
    mkdir -p "$AV_DB" "$AV_MAIL"
    AV_TESTFILES=$("$PYTHON" "$E2E_LIBDIR/avmail.py" --db "$AV_DB" |
        sed -n 's/^testfiles //p')
    "$PYTHON" "$E2E_LIBDIR/avmail.py" "$@" "$AV_MAIL" >/dev/null
    POL_ANTIVIRUS="{ database: \"$AV_DB\", database_check_interval: 1s }"
}

# av_expected EXPECT: the generated files expected to give EXPECT
# (eicar, testfile, testsig, clean, not-clean), one per line.
av_expected() {
    awk -F'\t' -v want="$1" '$2 == want { print $1 }' "$AV_MAIL/expected.tsv"
}
