/*
 * test_ratelimit.c - unit tests for ratelimit/bucket and ratelimit/store:
 * exact rates, burst, costs, refunds, idleness, clock steps, extreme
 * limits; the store's sharing, bound, expiry and threads; the store's
 * hash against SipHash-2-4's reference vectors
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>

#include "core/siphash.h"
#include "ratelimit/bucket.h"
#include "ratelimit/store.h"
#include "tap.h"

#define S RL_NS_PER_SEC
#define T0 (1000 * S)  /* a CLOCK_MONOTONIC-like start, not 0 */
#define COST_MAX (1ULL << 31)

/* How many of n takes of cost 1 at now are allowed. */
static int
take_n(const struct rl_limit *lim, uint64_t *tat, uint64_t now, int n)
{
	int allowed = 0;

	for (int i = 0; i < n; i++)
		allowed += rl_bucket_take(lim, tat, now, 1, NULL);
	return allowed;
}

static void
test_limits(void)
{
	char err[100];
	struct rl_limit ok1 = { 500, 3600 * S, 500 };
	struct rl_limit bad[] = {
		{ 0, S, 1 }, { 2 * S, S, 1 }, { 1, 0, 1 },
		{ 1, RL_PERIOD_MAX + 1, 1 }, { 1, S, 0 },
		{ 1, S, RL_BURST_MAX + 1 }, { 1, RL_PERIOD_MAX, 17 },
	};
	int refused = 0;

	ok(rl_limit_valid(&ok1, err, sizeof(err)), "500 per hour is valid");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused += !rl_limit_valid(&bad[i], err, sizeof(err));
	is_int(refused, 7, "out-of-bounds limits refused");
	ok(rl_limit_valid(&(struct rl_limit){ 1, RL_PERIOD_MAX, 16 }, NULL, 0),
	    "the longest burst window is valid");
}

static void
test_exact_rate(void)
{
	struct rl_limit lim = { 500, 3600 * S, 500 };
	uint64_t tat = 0, before, retry;

	is_int(take_n(&lim, &tat, T0, 500), 500, "500 per hour: 500 at once");
	before = tat;
	ok(!rl_bucket_take(&lim, &tat, T0, 1, &retry), "the 501st refused");
	is_int((long long)retry, (long long)(7200 * S / 1000),
	    "retry after 7.2 s");
	is_int((long long)tat, (long long)before, "a refusal changes nothing");
	ok(!rl_bucket_take(&lim, &tat, T0 + 7200 * S / 1000 - 1, 1, &retry) &&
	    retry == 1, "1 ns before 7.2 s still refused");
	ok(rl_bucket_take(&lim, &tat, T0 + 7200 * S / 1000, 1, &retry) &&
	    retry == 0, "one more after 7.2 s");
	ok(!rl_bucket_take(&lim, &tat, T0 + 7200 * S / 1000, 1, NULL),
	    "and only one");
	is_int((long long)rl_bucket_idle_until(tat),
	    (long long)(T0 + 3600 * S + 7200 * S / 1000),
	    "idle when the last unit has drained");
}

static void
test_burst_cost(void)
{
	struct rl_limit lim = { 10, 60 * S, 3 };
	struct rl_limit big = { 10, S, 10 };
	uint64_t tat = 0, retry;

	is_int(take_n(&lim, &tat, T0, 10), 3, "burst 3 of 10 per minute");
	ok(!rl_bucket_take(&lim, &tat, T0, 1, &retry) && retry == 6 * S,
	    "the next in 6 s");
	tat = 0;
	ok(rl_bucket_take(&big, &tat, T0, 7, NULL), "cost 7 of burst 10");
	ok(!rl_bucket_take(&big, &tat, T0, 4, &retry), "cost 4 more refused");
	is_int((long long)retry, (long long)(S / 10), "for 100 ms");
	ok(rl_bucket_take(&big, &tat, T0, 3, NULL), "cost 3 more allowed");
	ok(!rl_bucket_take(&big, &tat, T0 + 1000 * S, 11, &retry) &&
	    retry == RL_NEVER, "a cost above the burst never passes");
	ok(rl_bucket_take(&big, &tat, T0, 0, &retry) && retry == 0,
	    "cost 0 always passes");
	ok(rl_bucket_take(&big, &tat, T0 + S, 10, NULL),
	    "after one period the burst again");
}

static void
test_refund_idle(void)
{
	struct rl_limit lim = { 10, S, 10 };
	uint64_t tat = 0;

	rl_bucket_refund(&lim, &tat, T0, 5);
	is_int((long long)tat, 0, "refund to a fresh bucket: still fresh");
	rl_bucket_take(&lim, &tat, T0, 4, NULL);
	rl_bucket_take(&lim, &tat, T0, 5, NULL);
	rl_bucket_refund(&lim, &tat, T0, 5);
	is_int((long long)tat, (long long)(T0 + 4 * S / 10),
	    "a refund undoes its take exactly");
	rl_bucket_refund(&lim, &tat, T0 + S / 10, 100);
	is_int((long long)tat, (long long)(T0 + S / 10),
	    "refunds stop at empty");
	is_int(take_n(&lim, &tat, T0 + S / 10, 20), 10,
	    "empty means the full burst, no more");
	is_int((long long)rl_bucket_idle_until(tat),
	    (long long)(T0 + S / 10 + S), "idle after a full drain");
	/* At idle_until the state answers as a fresh one. */
	{
		uint64_t fresh = 0, a = 0, b = 0;
		uint64_t at = rl_bucket_idle_until(tat);

		ok(take_n(&lim, &tat, at, 20) == take_n(&lim, &fresh, at, 20) &&
		    !rl_bucket_take(&lim, &tat, at, 1, &a) &&
		    !rl_bucket_take(&lim, &fresh, at, 1, &b) && a == b &&
		    tat == fresh, "an idle state equals a fresh one");
	}
}

static void
test_clock_steps(void)
{
	struct rl_limit lim = { 10, S, 10 };
	uint64_t tat = 0, retry, back = T0 - 50 * S;

	take_n(&lim, &tat, T0, 10);
	ok(!rl_bucket_take(&lim, &tat, back, 1, &retry),
	    "50 s back in time: full");
	is_int((long long)retry, (long long)(S / 10),
	    "but only one interval to wait, not 50 s");
	ok(rl_bucket_take(&lim, &tat, back + S / 10, 1, NULL),
	    "allowed one interval later on the stepped clock");
	is_int(take_n(&lim, &tat, T0 + 1000000 * S, 100), 10,
	    "a forward jump grants the burst, no more");
}

static void
test_inexact_rate(void)
{
	/* 3 per second: T = 333,333,333.3 ns. Take whenever allowed, every
	 * ms for 1000 s: the burst plus 3 per second, to a unit. */
	struct rl_limit lim = { 3, S, 3 };
	uint64_t tat = 0;
	long long allowed = 0;

	is_int(take_n(&lim, &tat, T0, 10), 3, "3 per second: 3 at once");
	allowed = 3;
	for (uint64_t ms = 1; ms <= 1000000; ms++)
		allowed += rl_bucket_take(&lim, &tat, T0 + ms * 1000000, 1,
		    NULL);
	is_int(allowed, 3003, "3 per second over 1000 s: 3003");
}

static void
test_extremes(void)
{
	struct rl_limit fast = { S, S, S };  /* 1e9 per second */
	struct rl_limit slow = { 1, 30 * 86400 * S, 1 };
	struct rl_limit wide = { S, 1100 * S, RL_BURST_MAX };
	uint64_t tat = 0, retry, late = (uint64_t)1 << 62;

	ok(rl_limit_valid(&fast, NULL, 0) && rl_limit_valid(&slow, NULL, 0) &&
	    rl_limit_valid(&wide, NULL, 0), "extreme limits are valid");
	ok(rl_bucket_take(&fast, &tat, T0, S, NULL), "1e9 at once");
	ok(!rl_bucket_take(&fast, &tat, T0, 1, &retry) && retry == 1,
	    "the next one 1 ns later");
	ok(rl_bucket_take(&fast, &tat, T0 + 1, 1, NULL), "and then allowed");
	tat = 0;
	ok(rl_bucket_take(&slow, &tat, late, 1, NULL) &&
	    !rl_bucket_take(&slow, &tat, late, 1, &retry) &&
	    retry == 30 * 86400 * S, "1 per 30 days, near 2^62 ns");
	tat = 0;
	ok(rl_bucket_take(&wide, &tat, late, COST_MAX, NULL) &&
	    tat == late + COST_MAX * 1100, "cost 2^31, burst 2^40");
	tat = 0;
	ok(rl_bucket_take(&wide, &tat, UINT64_MAX - 10, COST_MAX, NULL) &&
	    tat == UINT64_MAX, "the TAT saturates at the end of time");
	ok(!rl_bucket_take(&wide, &tat, UINT64_MAX - 10, RL_BURST_MAX, &retry)
	    && retry > 0, "and then refuses");
}

static void
test_store(void)
{
	struct rl_limit lim = { 5, 60 * S, 5 };
	struct rl_limit per_sec = { 1, S, 1 };
	struct rl_store *st = rl_store_new(8);
	char key[16];
	int n = 0;

	for (int i = 0; i < 10; i++)
		n += rl_store_take(st, &lim, "a", T0, 1, NULL);
	is_int(n, 5, "one key: 5 of 10");
	n = 0;
	for (int i = 0; i < 10; i++)
		n += rl_store_take(st, &lim, "b", T0, 1, NULL);
	is_int(n, 5, "another key: its own 5");
	rl_store_refund(st, &lim, "a", T0, 2);
	rl_store_refund(st, &lim, "nosuch", T0, 2);
	is_int((long long)rl_store_count(st), 2, "a refund adds no key");
	n = 0;
	for (int i = 0; i < 10; i++)
		n += rl_store_take(st, &lim, "a", T0, 1, NULL);
	is_int(n, 2, "a refund gives back");

	/* Full at 8 keys: the least recently used goes. */
	for (int i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		rl_store_take(st, &lim, key, T0 + 1, 1, NULL);
	}
	is_int((long long)rl_store_count(st), 8, "8 keys");
	rl_store_take(st, &lim, "b", T0 + 2, 0, NULL);  /* b is recent */
	rl_store_take(st, &lim, "new", T0 + 3, 1, NULL);
	is_int((long long)rl_store_count(st), 8, "the bound holds");
	ok(rl_store_take(st, &lim, "a", T0 + 3, 5, NULL),
	    "the oldest, a, was evicted (fresh again)");
	ok(!rl_store_take(st, &lim, "b", T0 + 3, 1, NULL),
	    "b, recently used, kept its state");

	/* Expiry: lazy on insertion, and by the sweep with a budget. */
	rl_store_free(&st);
	ok(st == NULL, "free clears the pointer");
	st = rl_store_new(8);
	for (int i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "p%d", i);
		rl_store_take(st, &per_sec, key, T0, 1, NULL);
	}
	rl_store_take(st, &per_sec, "late", T0 + 2 * S, 1, NULL);
	is_int((long long)rl_store_count(st), 7,
	    "an insertion drops idle keys from the LRU end");
	is_int((long long)rl_store_expire(st, T0 + S - 1, 100), 0,
	    "nothing idle before its time");
	is_int((long long)rl_store_expire(st, T0 + S, 3), 3,
	    "the sweep stops at its budget");
	is_int((long long)rl_store_expire(st, T0 + 3 * S, 100), 4,
	    "the sweep drops every idle key");
	is_int((long long)rl_store_count(st), 0, "empty");
	rl_store_free(&st);
}

/* The vectors of the SipHash paper: key 00..0f, message 00..len-1. */
static void
test_siphash(void)
{
	const uint64_t key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	unsigned char msg[15];

	for (int i = 0; i < 15; i++)
		msg[i] = (unsigned char)i;
	ok(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL &&
	    siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL,
	    "SipHash-2-4 reference vectors");
}

#define THREADS 8

/* Each thread counts on store, and floods flood with fresh keys (apart,
 * so that evicting non-idle keys at the bound cannot reset "shared"). */
struct worker {
	struct rl_store *store, *flood;
	int id, shared, own, keys;
};

static const struct rl_limit shared_lim = { 1000, 3600 * S, 1000 };
static const struct rl_limit own_lim = { 100, 3600 * S, 100 };

/* Hammer one shared key, one own key and many distinct keys. */
static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char key[32];

	snprintf(key, sizeof(key), "own-%d", w->id);
	for (int i = 0; i < 500; i++) {
		w->shared += rl_store_take(w->store, &shared_lim, "shared",
		    T0, 1, NULL);
		w->own += rl_store_take(w->store, &own_lim, key, T0, 1, NULL);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "many-%d-%d", w->id, i);
		w->keys += rl_store_take(w->flood, &own_lim, key, T0, 1, NULL);
	}
	return NULL;
}

static void
test_threads(void)
{
	struct rl_store *st = rl_store_new(4096), *flood = rl_store_new(4096);
	struct worker w[THREADS] = { { 0 } };
	pthread_t th[THREADS];
	int shared = 0, own_ok = 0, keys = 0;

	for (int i = 0; i < THREADS; i++) {
		w[i].store = st;
		w[i].flood = flood;
		w[i].id = i;
		pthread_create(&th[i], NULL, worker_run, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		shared += w[i].shared;
		own_ok += w[i].own == 100;
		keys += w[i].keys;
	}
	is_int(shared, 1000, "8 threads on one key: exactly the limit");
	is_int(own_ok, THREADS, "each thread's own key: exactly its limit");
	is_int(keys, THREADS * 5000, "every fresh key allowed");
	ok(rl_store_count(flood) <= 4096 && rl_store_count(flood) > 2048,
	    "the bound holds under threads (%zu keys)", rl_store_count(flood));
	rl_store_free(&st);
	rl_store_free(&flood);
}

int
main(void)
{
	plan(59);
	test_siphash();
	test_limits();
	test_exact_rate();
	test_burst_cost();
	test_refund_idle();
	test_clock_steps();
	test_inexact_rate();
	test_extremes();
	test_store();
	test_threads();
	return done();
}
