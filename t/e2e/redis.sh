# redis.sh -- a private redis-server for the tests (bash).
#
# Sourced after lib.sh, once e2e_init (or e2e_init nopostfix) made $E2E_DIR:
#
#     . "$(dirname "$0")/../e2e/lib.sh"; . "$E2E_LIBDIR/redis.sh"
#     redis_have || exec "$test_program"   # runs alone, skipping Redis
#     e2e_init nopostfix
#     redis_start                          # on 127.0.0.1:$REDIS_PORT
#
# redis_have
#     Status 0 when redis-server is installed.
# redis_start [PORT]
#     redis-server on 127.0.0.1:PORT (default: a free port), without
#     persistence (--save "" --appendonly no); its directory, log and PID
#     file are $E2E_DIR/redis.PORT/. Sets REDIS_PORT and REDIS_PID and
#     returns once it accepts connections; bails out with its log if it
#     does not. The server whose PID is in the PID file at exit is stopped
#     then, so a restart on the same port (after the first one died) is
#     stopped too.
# redis_restart_command PORT
#     Prints a command line for sh (a test program's system()) that runs
#     redis_start PORT again in a new bash, the server outliving it.
#
# Nothing listens beyond 127.0.0.1.

REDIS_PORT=
REDIS_PID=

redis_have() { command -v redis-server >/dev/null 2>&1; }

# Our server is alive and accepts connections.
redis_ready() { pid_alive "$REDIS_PID" && tcp_open "$REDIS_PORT"; }

# Stop the server recorded for PORT, if any.
redis_stop() {
    local pidfile=$E2E_DIR/redis.$1/pid
    [ -f "$pidfile" ] && stop_pid "$(cat "$pidfile")" 5
    return 0
}

redis_start() {
    local port=${1:-$(free_port)} dir
    dir=$E2E_DIR/redis.$port
    [ -d "$dir" ] || e2e_at_exit "redis_stop $port"
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" \
        --appendonly no --daemonize no --logfile "$dir/redis.log" \
        </dev/null >/dev/null 2>&1 &
    REDIS_PID=$!
    REDIS_PORT=$port
    echo "$REDIS_PID" >"$dir/pid"
    if ! wait_for 10 redis_ready; then
        tap_diag "$(cat "$dir/redis.log" 2>/dev/null)"
        tap_bail "redis-server did not start on 127.0.0.1:$port"
    fi
}

redis_restart_command() {
    local script
    script=$(printf '. %q && . %q && E2E_DIR=%q && redis_start %q' \
        "$E2E_LIBDIR/lib.sh" "$E2E_LIBDIR/redis.sh" "$E2E_DIR" "$1")
    printf 'bash -c %q\n' "$script"
}
