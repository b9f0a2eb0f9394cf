/*
 * redis.h - RPUSH onto one Redis list, over a small pool of connections
 *
 * The Redis half of report.h's sinks, kept apart so report.c knows nothing
 * of hiredis. dmarc_redis_new() reads the address (see
 * dmarc_report_redis_new()) and connects nothing; dmarc_redis_rpush()
 * takes an idle connection or makes one (connect timeout timeout_ms),
 * sends RPUSH key value (command timeout timeout_ms), and returns the
 * connection to the pool. A connection that fails is dropped and the push
 * is tried once more on a new one; a connect that fails makes pushes fail
 * at once, without trying, for DMARC_REDIS_BACKOFF_MS, so an unreachable
 * Redis costs messages no time.
 *
 * Thread safe; the pool's mutex is never held across I/O.
 */
#ifndef MXWARD_DMARC_REDIS_H
#define MXWARD_DMARC_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dmarc_redis;

struct dmarc_redis *dmarc_redis_new(const char *address, const char *key,
    uint64_t timeout_ms, char *err, size_t errlen);
void dmarc_redis_free(struct dmarc_redis **redis_p);
bool dmarc_redis_rpush(struct dmarc_redis *redis, const char *value,
    size_t len, char *err, size_t errlen);

#endif
