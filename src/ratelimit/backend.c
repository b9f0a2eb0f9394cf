/*
 * backend.c - the process's rate-limit backend; see backend.h
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "ratelimit/backend.h"
#include "ratelimit/store.h"

/* Idle keys the embedded store sweeps per batch, besides the lazy ones. */
#define EXPIRE_BUDGET 8

static pthread_rwlock_t lock;
static pthread_once_t lock_once = PTHREAD_ONCE_INIT;
static struct rl_store *embedded;   /* when not on Redis */
static struct rl_redis *redis;
static char *redis_address, *redis_prefix;
static uint64_t redis_timeout_ms;

/* A writer (reload) must not wait behind an endless stream of batches. */
static void
lock_init(void)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

/* Are two optional strings equal? */
static bool
same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Release the Redis handle and what describes it; lock held. */
static void
drop_redis(void)
{
	rl_redis_free(&redis);
	free(redis_address);
	free(redis_prefix);
	redis_address = redis_prefix = NULL;
}

/* Point the backend at Redis as configured; lock held. */
static bool
use_redis(const struct rl_backend_config *c, char *err, size_t errlen)
{
	struct rl_redis *next;

	if (redis != NULL && same(redis_address, c->redis_address) &&
	    same(redis_prefix, c->redis_prefix) &&
	    redis_timeout_ms == c->redis_timeout_ms)
		return true;
	next = rl_redis_new(c->redis_address, c->redis_prefix,
	    c->redis_timeout_ms, err, errlen);
	if (next == NULL)
		return false;
	drop_redis();
	rl_store_free(&embedded);
	redis = next;
	redis_address = xstrdup(c->redis_address);
	redis_prefix = xstrdup(c->redis_prefix ? c->redis_prefix : "");
	redis_timeout_ms = c->redis_timeout_ms;
	return true;
}

bool
rl_backend_configure(const struct rl_backend_config *c, char *err,
    size_t errlen)
{
	bool good = true;

	pthread_once(&lock_once, lock_init);
	pthread_rwlock_wrlock(&lock);
	if (c->redis_address != NULL && *c->redis_address != '\0') {
		good = use_redis(c, err, errlen);
	} else {
		drop_redis();
		if (embedded == NULL)
			embedded = rl_store_new(c->max_keys);
		else
			rl_store_set_max(embedded, c->max_keys);
	}
	pthread_rwlock_unlock(&lock);
	return good;
}

/* CLOCK_MONOTONIC in nanoseconds: the embedded buckets' clock. */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * RL_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Apply ops to the embedded store. */
static void
apply_embedded(struct rl_op *ops, size_t n)
{
	uint64_t now = now_ns();

	for (size_t i = 0; i < n; i++) {
		struct rl_op *op = &ops[i];

		if (op->refund) {
			rl_store_refund(embedded, &op->limit, op->key, now,
			    op->cost);
			continue;
		}
		op->allowed = rl_store_take(embedded, &op->limit, op->key,
		    now, op->cost, &op->retry_after_ns);
	}
	rl_store_expire(embedded, now, EXPIRE_BUDGET);
}

bool
rl_backend_apply(struct rl_op *ops, size_t n, char *err, size_t errlen)
{
	bool good = true;

	pthread_once(&lock_once, lock_init);
	pthread_rwlock_rdlock(&lock);
	if (redis != NULL)
		good = rl_redis_apply(redis, ops, n, err, errlen);
	else if (embedded != NULL)
		apply_embedded(ops, n);
	else {
		snprintf(err, errlen, "no rate-limit store is running");
		good = false;
	}
	pthread_rwlock_unlock(&lock);
	return good;
}

size_t
rl_backend_keys(void)
{
	size_t n = 0;

	pthread_once(&lock_once, lock_init);
	pthread_rwlock_rdlock(&lock);
	if (embedded != NULL)
		n = rl_store_count(embedded);
	pthread_rwlock_unlock(&lock);
	return n;
}

void
rl_backend_stop(void)
{
	pthread_once(&lock_once, lock_init);
	pthread_rwlock_wrlock(&lock);
	drop_redis();
	rl_store_free(&embedded);
	pthread_rwlock_unlock(&lock);
}
