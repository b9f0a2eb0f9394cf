#!/bin/bash
# test_ratelimit_redis.sh - run test_ratelimit_redis against a real
# redis-server
#
# Starts redis-server on 127.0.0.1 and a free port, in a temporary
# directory, without persistence (t/e2e/redis.sh), and runs
# t/unit/test_ratelimit_redis with
#   RL_TEST_REDIS          127.0.0.1:PORT
#   RL_TEST_REDIS_PID      the server's PID: the test stops and kills it
#   RL_TEST_REDIS_RESTART  a command starting it again on the same port
# Whichever server runs at the end is stopped by its PID. Without
# redis-server the program runs alone and skips its Redis tests.
. "$(dirname "$0")/../e2e/lib.sh"
. "$E2E_LIBDIR/redis.sh"

test_bin=$top_builddir/t/unit/test_ratelimit_redis
redis_have || exec "$test_bin"
e2e_init nopostfix
redis_start
RL_TEST_REDIS=127.0.0.1:$REDIS_PORT RL_TEST_REDIS_PID=$REDIS_PID \
	RL_TEST_REDIS_RESTART=$(redis_restart_command "$REDIS_PORT") \
	"$test_bin"
