/*
 * redis.h - the rate-limit store on Redis, shared by several MX hosts
 *
 * rl_redis_new() reads the address (the forms of core/redis.h) and
 * connects nothing; rl_redis_free() closes and clears the pointer.
 * rl_redis_apply() applies a batch of takes and refunds (struct rl_op) in
 * one round trip: one EVALSHA of one Lua script over all the batch's
 * keys, atomic on the server. It returns true when Redis answered (each
 * take's allowed and retry_after_ns set), false with err when it could
 * not. rl_redis_limit_valid() says whether a limit can be kept on Redis.
 *
 * ALGORITHM
 *	bucket.h's cell-rate algorithm, whose text defines P, N, B, c, debt,
 *	the clamp, take, refund and idleness; here in integer microseconds
 *	on the Redis server's clock (TIME), so all MX hosts agree. A key's
 *	value is its TAT in microseconds since the epoch. For each op, C
 *	computes in exact 128-bit arithmetic
 *	    inc   = floor(c*P/N)       what a take adds to the TAT
 *	    allow = floor((B-c)*P/N)   the most debt a take of c may find
 *	    full  = floor(B*P/N)       the debt of a full bucket
 *	(all in microseconds) and the script, with now from TIME, does
 *	    debt   = max(0, TAT - now)              (a missing key: TAT 0)
 *	    clamp  debt > full: TAT := now + full, debt := full
 *	    take   debt <= allow: allowed, TAT := max(TAT, now) + inc;
 *	           else refused, retry_after = debt - allow (TAT unchanged
 *	           but for the clamp)
 *	    refund TAT > now: TAT := max(now, TAT - inc)
 *	then stores each TAT with SET key TAT PX ceil((TAT - now)/1000) + 1,
 *	so the key disappears once its bucket is idle; a bucket left empty
 *	(TAT <= now) is deleted. Ops on the same key within one batch apply
 *	in order. All reads come before all writes, so a script that fails
 *	(a key of another type) has written nothing.
 *	Because debt is an integer, debt <= floor((B-c)*P/N) is exactly
 *	bucket.h's debt*N + c*P <= B*P, and debt - allow is exactly its
 *	ceil((debt*N + c*P - B*P)/N): decisions are bucket.h's on a
 *	microsecond clock. Costs: 0 is allowed and a cost above B refused
 *	(retry_after RL_NEVER) in C, without asking Redis; a refund's inc is
 *	capped at full (the same effect: it empties the bucket).
 *
 * PRECISION
 *	Lua numbers are doubles, exact below 2^53 (9.0e15). A TAT is now
 *	(1.8e15 us) plus at most full, which bucket.h's bounds keep below
 *	16 * 366 days (5.1e14 us): every value is exact. The granularity is
 *	1 us: rl_redis_limit_valid() refuses P/N below 1 us (more than 1e6
 *	units per second), so a take always adds at least 1 us; inc is
 *	rounded down by less than 1 us, the leniency of one take.
 *
 * REDIS
 *	Redis 5 or later (scripts are replicated by their effects, so TIME
 *	before writes is allowed; tested with 7.0). Keys are prefix followed
 *	by the first RL_KEY_MAX bytes of the key (as in store.h); they expire
 *	by themselves: no KEYS, no SCAN. Not for Redis Cluster: one script
 *	touches keys of many slots. Failures, timeouts, the retry on a fresh
 *	connection and the back-off (RL_REDIS_BACKOFF_MS) are core/redis.h's;
 *	a take whose reply timed out may have been applied on the server.
 *
 * THREAD SAFETY
 *	rl_redis_apply() may be called from any thread at once (the pool is
 *	shared); rl_redis_free() must not race with it.
 *
 * SECURITY
 *	Keys come from mail; they are sent as binary-safe arguments (KEYS of
 *	the script), never written into the script or a command line.
 */
#ifndef MXWARD_RATELIMIT_REDIS_H
#define MXWARD_RATELIMIT_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratelimit/bucket.h"

#define RL_REDIS_BACKOFF_MS 1000  /* Redis not tried after a failure */

struct rl_op {
	const char *key;          /* without the prefix */
	struct rl_limit limit;
	uint64_t cost;
	bool refund;              /* give back instead of take */
	/* out, for takes (a refund gets true and 0) */
	bool allowed;
	uint64_t retry_after_ns;  /* when refused; RL_NEVER for cost > burst */
};

struct rl_redis;

/* prefix is copied; NULL with err when the address cannot be read. */
struct rl_redis *rl_redis_new(const char *address, const char *prefix,
    uint64_t timeout_ms, char *err, size_t errlen);
void rl_redis_free(struct rl_redis **redis_p);

/* All ops in one round trip; false with err when Redis did not answer. */
bool rl_redis_apply(struct rl_redis *redis, struct rl_op *ops, size_t n,
    char *err, size_t errlen);

/* rl_limit_valid() and at most one unit per microsecond. */
bool rl_redis_limit_valid(const struct rl_limit *limit, char *err,
    size_t errlen);

#endif
