#!/bin/bash
# test_dmarc_report.sh - run test_dmarc_report against a real redis-server
#
# Starts redis-server on 127.0.0.1 and a free port, in a mktemp -d
# directory, without persistence (--save "" --appendonly no), runs
# t/unit/test_dmarc_report with DMARC_TEST_REDIS=127.0.0.1:PORT, and stops
# the server by its PID. Without redis-server the program runs alone and
# skips its Redis tests.
. "$(dirname "$0")/../e2e/lib.sh"

test_bin=$top_builddir/t/unit/test_dmarc_report
PATH=$PATH:/usr/bin:/usr/sbin
if ! command -v redis-server >/dev/null 2>&1; then
	exec "$test_bin"
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/test_dmarc_redis.XXXXXX")
port=$(free_port)
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" \
	--appendonly no --daemonize no --logfile "$dir/redis.log" &
redis_pid=$!
trap 'stop_pid "$redis_pid" 5; rm -rf "$dir"' EXIT
if ! wait_for 10 tcp_open "$port"; then
	echo "Bail out! redis-server did not start"
	sed 's/^/# /' "$dir/redis.log"
	exit 1
fi
DMARC_TEST_REDIS=127.0.0.1:$port "$test_bin"
