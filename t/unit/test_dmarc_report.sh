#!/bin/bash
# test_dmarc_report.sh - run test_dmarc_report against a real redis-server
#
# Starts redis-server on 127.0.0.1 and a free port, in a temporary
# directory, without persistence (t/e2e/redis.sh), runs
# t/unit/test_dmarc_report with DMARC_TEST_REDIS=127.0.0.1:PORT, and stops
# the server by its PID. Without redis-server the program runs alone and
# skips its Redis tests.
. "$(dirname "$0")/../e2e/lib.sh"
. "$E2E_LIBDIR/redis.sh"

test_bin=$top_builddir/t/unit/test_dmarc_report
redis_have || exec "$test_bin"
e2e_init nopostfix
redis_start
DMARC_TEST_REDIS=127.0.0.1:$REDIS_PORT "$test_bin"
