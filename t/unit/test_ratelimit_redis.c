/*
 * test_ratelimit_redis.c - the rate-limit store on a real redis-server:
 * exact rates in microseconds, burst, costs, refunds, TTLs, the prefix,
 * one round trip per batch, two handles sharing a limit, threads, the
 * clamp, NOSCRIPT, a stalled, a killed and a restarted server, limits
 * Redis cannot keep; and the round-trip time of a batch
 *
 * test_ratelimit_redis.sh starts the server and passes RL_TEST_REDIS
 * (127.0.0.1:PORT), RL_TEST_REDIS_PID and RL_TEST_REDIS_RESTART (a shell
 * command that starts it again on the same port); without them only the
 * tests that need no server run, the others are skipped. Checks read
 * Redis directly through a hiredis connection of their own.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis.h>

#include "ratelimit/redis.h"
#include "ratelimit/store.h"
#include "tap.h"

#define S RL_NS_PER_SEC
#define HOUR (3600 * S)
#define TIMEOUT_MS 200
#define THREADS 4
#define TAKES_EACH 100
#define BENCH_CALLS 10000
#define LOCAL_TESTS 7
#define REDIS_TESTS 44

static const struct rl_limit per_hour = { 500, HOUR, 500 };

static const char *address;
static char host[64];
static int port;
static char prefix[64];
static redisContext *admin;

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* An integer reply of our own connection, or -1. */
static long long
admin_int(const char *fmt, ...)
{
	redisReply *r;
	long long n = -1;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(admin, fmt, ap);
	va_end(ap);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		n = r->integer;
	else if (r != NULL && r->type == REDIS_REPLY_STRING)
		n = atoll(r->str);
	freeReplyObject(r);
	return n;
}

static void
admin_do(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	freeReplyObject(redisvCommand(admin, fmt, ap));
	va_end(ap);
}

/* The server's clock, in microseconds since the epoch. */
static long long
server_us(void)
{
	redisReply *r = redisCommand(admin, "TIME");
	long long us = -1;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
		us = atoll(r->element[0]->str) * 1000000 +
		    atoll(r->element[1]->str);
	freeReplyObject(r);
	return us;
}

/* How often the server ran command name (INFO commandstats). */
static long long
calls_of(const char *name)
{
	redisReply *r = redisCommand(admin, "INFO commandstats");
	char pattern[64];
	const char *p;
	long long n = 0;

	snprintf(pattern, sizeof(pattern), "cmdstat_%s:calls=", name);
	if (r != NULL && r->type == REDIS_REPLY_STRING &&
	    (p = strstr(r->str, pattern)) != NULL)
		n = atoll(p + strlen(pattern));
	freeReplyObject(r);
	return n;
}

static struct rl_op
take(const char *key, struct rl_limit limit, uint64_t cost)
{
	return (struct rl_op){ .key = key, .limit = limit, .cost = cost };
}

static struct rl_op
refund(const char *key, struct rl_limit limit, uint64_t cost)
{
	return (struct rl_op){ .key = key, .limit = limit, .cost = cost,
	    .refund = true };
}

/* Apply one op: 1 allowed, 0 refused, -1 no answer. */
static int
apply1(struct rl_redis *r, struct rl_op op, uint64_t *retry_r)
{
	char err[256];

	if (!rl_redis_apply(r, &op, 1, err, sizeof(err))) {
		printf("# %s\n", err);
		return -1;
	}
	if (retry_r != NULL)
		*retry_r = op.retry_after_ns;
	return op.allowed;
}

/* n takes of 1, one call each: how many were allowed (-1 on error). */
static int
take_n(struct rl_redis *r, const char *key, struct rl_limit limit, int n)
{
	int allowed = 0, one;

	for (int i = 0; i < n; i++) {
		if ((one = apply1(r, take(key, limit, 1), NULL)) < 0)
			return -1;
		allowed += one;
	}
	return allowed;
}

static struct rl_redis *
handle(uint64_t timeout_ms)
{
	char err[256];
	struct rl_redis *r = rl_redis_new(address, prefix, timeout_ms, err,
	    sizeof(err));

	if (r == NULL)
		printf("# %s\n", err);
	return r;
}

static void
test_limits(void)
{
	char err[128];
	struct rl_limit fastest = { 1000000, S, 1 }, too_fast = { 1000001, S, 1 };
	struct rl_redis *r;
	const char *bad[] = { "a:b:c", "unix:relative", "host:0" };
	int refused = 0;

	ok(rl_redis_limit_valid(&per_hour, err, sizeof(err)),
	    "500 per hour is valid on Redis");
	ok(rl_redis_limit_valid(&fastest, err, sizeof(err)),
	    "1e6 per second is valid on Redis");
	ok(!rl_redis_limit_valid(&too_fast, err, sizeof(err)) &&
	    strstr(err, "microsecond") != NULL, "1e6+1 per second is not (%s)",
	    err);
	ok(!rl_redis_limit_valid(&(struct rl_limit){ 0, S, 1 }, err,
	    sizeof(err)), "what bucket.h refuses is refused (%s)", err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = rl_redis_new(bad[i], "p:", 100, err, sizeof(err));
		refused += r == NULL;
		rl_redis_free(&r);
	}
	is_int(refused, 3, "bad addresses refused");
	/* Decided without Redis: nothing listens on port 1. */
	r = rl_redis_new("127.0.0.1:1", "p:", 100, err, sizeof(err));
	{
		struct rl_op ops[] = { take("k", per_hour, 501),
		    take("k", per_hour, 0), refund("k", per_hour, 0) };

		ok(rl_redis_apply(r, ops, 3, err, sizeof(err)) &&
		    !ops[0].allowed && ops[0].retry_after_ns == RL_NEVER &&
		    ops[1].allowed && ops[2].allowed,
		    "cost above burst refused, cost 0 allowed, locally");
		ops[1].limit = too_fast;
		ok(!rl_redis_apply(r, ops, 3, err, sizeof(err)),
		    "a batch with a limit Redis cannot keep fails (%s)", err);
	}
	rl_redis_free(&r);
}

/* 500 per hour, burst 500: exact to the microsecond. */
static void
test_exact_rate(struct rl_redis *r)
{
	long long t0 = server_us(), tat, pttl;
	int64_t start = now_us(), elapsed;
	uint64_t retry = 0;

	is_int(take_n(r, "rate", per_hour, 500), 500, "500 at once allowed");
	ok(apply1(r, take("rate", per_hour, 1), &retry) == 0,
	    "the 501st refused");
	elapsed = now_us() - start;
	ok(retry <= 7200 * 1000000ULL && retry + (uint64_t)elapsed * 1000 >=
	    7200 * 1000000ULL && retry % 1000 == 0,
	    "retry after 7.2 s less the time taken, in whole us (%llu ns, "
	    "%lld us taken)", (unsigned long long)retry, (long long)elapsed);
	tat = admin_int("GET %s%s", prefix, "rate");
	ok(tat - 3600000000LL >= t0 && tat - 3600000000LL <= server_us(),
	    "the TAT is exactly the first take + 3600 s, in us");
	pttl = admin_int("PTTL %s%s", prefix, "rate");
	ok(pttl > 3590000 && pttl <= 3600001,
	    "the key expires when the bucket is idle (PTTL %lld ms)", pttl);
	is_int(admin_int("EXISTS %s", "rate"), 0, "no key without the prefix");
}

static void
test_burst_one(struct rl_redis *r)
{
	struct rl_limit lim = { 1, 10 * S, 1 };
	uint64_t retry = 0;
	long long pttl;
	int second;

	ok(apply1(r, take("one", lim, 1), NULL) == 1, "burst 1: one allowed");
	second = apply1(r, take("one", lim, 1), &retry);
	ok(second == 0 && retry > 9 * S && retry <= 10 * S,
	    "the second refused for up to 10 s (%llu ns)",
	    (unsigned long long)retry);
	pttl = admin_int("PTTL %s%s", prefix, "one");
	ok(pttl > 9000 && pttl <= 10001, "PTTL within the idle time (%lld)",
	    pttl);
}

static void
test_refunds(struct rl_redis *r)
{
	struct rl_limit lim = { 3, 60 * S, 3 };

	is_int(take_n(r, "refund", lim, 4), 3, "3 per minute: 3 of 4");
	ok(apply1(r, refund("refund", lim, 1), NULL) == 1, "refund 1");
	is_int(take_n(r, "refund", lim, 2), 1, "refund restores one");
	ok(apply1(r, refund("empty", lim, 5), NULL) == 1,
	    "refund on a fresh key");
	is_int(admin_int("EXISTS %s%s", prefix, "empty"), 0,
	    "it writes nothing");
	is_int(take_n(r, "empty", lim, 4), 3, "never below empty");
	ok(apply1(r, refund("empty", lim, 3), NULL) == 1 &&
	    admin_int("EXISTS %s%s", prefix, "empty") == 0,
	    "a refund that empties the bucket deletes the key");
}

/* Several ops are one EVALSHA; ops on one key apply in order. */
static void
test_batch(struct rl_redis *r)
{
	struct rl_limit one = { 1, 10 * S, 1 };
	struct rl_op ops[] = { take("b1", per_hour, 1), take("b2", one, 1),
	    take("b2", one, 1), take("b3", per_hour, 501),
	    take("b4", per_hour, 500) };
	long long evalsha = calls_of("evalsha"), eval = calls_of("eval");
	char err[256];
	bool done;

	done = rl_redis_apply(r, ops, 5, err, sizeof(err));
	ok(done, "a batch of 5 (%s)", done ? "" : err);
	is_int(calls_of("evalsha") - evalsha, 1, "one EVALSHA for all");
	is_int(calls_of("eval") - eval, 0, "and nothing else");
	ok(ops[0].allowed && ops[1].allowed && !ops[2].allowed &&
	    !ops[3].allowed && ops[3].retry_after_ns == RL_NEVER &&
	    ops[4].allowed, "each op answered, in order on the same key");
	is_int(admin_int("EXISTS %s%s", prefix, "b3"), 0,
	    "a cost above the burst touches nothing");
	evalsha = calls_of("evalsha");
	done = rl_redis_apply(r, &ops[3], 1, err, sizeof(err));
	ok(done && calls_of("evalsha") == evalsha,
	    "a batch decided locally sends nothing");
}

/* A TAT beyond a full bucket is pulled back to exactly full. */
static void
test_clamp(struct rl_redis *r)
{
	long long now = server_us(), tat;
	uint64_t retry = 0;
	int allowed;

	admin_do("SET %s%s %lld", prefix, "clamp", now + 36000000000LL);
	allowed = apply1(r, take("clamp", per_hour, 1), &retry);
	ok(allowed == 0 && retry <= 7200 * 1000000ULL &&
	    retry > 7100 * 1000000ULL,
	    "a TAT 10 h ahead is refused for 7.2 s only (%llu ns)",
	    (unsigned long long)retry);
	tat = admin_int("GET %s%s", prefix, "clamp");
	ok(tat >= now + 3600000000LL && tat <= server_us() + 3600000000LL,
	    "and stored as exactly full");
}

/* Two "MX hosts" share one limit. */
static void
test_two_hosts(struct rl_redis *a, struct rl_redis *b)
{
	struct rl_limit lim = { 10, HOUR, 10 };
	int allowed = 0, one, failed = 0;

	for (int i = 0; i < 20; i++) {
		one = apply1(i % 2 ? b : a, take("shared", lim, 1), NULL);
		if (one < 0)
			failed++;
		else
			allowed += one;
	}
	ok(failed == 0 && allowed == 10,
	    "two handles: %d allowed of burst 10", allowed);
}

static void
test_noscript(struct rl_redis *r)
{
	long long evalsha, eval;

	admin_do("SCRIPT FLUSH");
	evalsha = calls_of("evalsha");
	eval = calls_of("eval");
	ok(apply1(r, take("noscript", per_hour, 1), NULL) == 1,
	    "after SCRIPT FLUSH the take works");
	ok(calls_of("evalsha") - evalsha == 1 && calls_of("eval") - eval == 1,
	    "by EVALSHA, NOSCRIPT, then EVAL");
	evalsha = calls_of("evalsha");
	eval = calls_of("eval");
	ok(apply1(r, take("noscript", per_hour, 1), NULL) == 1 &&
	    calls_of("evalsha") - evalsha == 1 && calls_of("eval") == eval,
	    "then EVALSHA alone again");
}

/* A key of another type fails the batch and writes nothing. */
static void
test_wrong_type(struct rl_redis *r)
{
	struct rl_op ops[] = { take("fine", per_hour, 1),
	    take("list", per_hour, 1) };
	char err[256] = "";

	admin_do("RPUSH %s%s x", prefix, "list");
	ok(!rl_redis_apply(r, ops, 2, err, sizeof(err)) &&
	    strstr(err, "WRONGTYPE") != NULL, "a list as a key: error (%s)",
	    err);
	is_int(admin_int("EXISTS %s%s", prefix, "fine"), 0,
	    "the batch wrote nothing");
}

/* Keys count their first RL_KEY_MAX bytes, as in the embedded store. */
static void
test_long_keys(struct rl_redis *r)
{
	struct rl_limit lim = { 1, HOUR, 1 };
	char a[RL_KEY_MAX + 10], b[RL_KEY_MAX + 10];

	memset(a, 'k', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[RL_KEY_MAX + 1] = 'x';
	ok(apply1(r, take(a, lim, 1), NULL) == 1 &&
	    apply1(r, take(b, lim, 1), NULL) == 0,
	    "keys alike in their first RL_KEY_MAX bytes share a bucket");
}

struct hammer {
	struct rl_redis *r;
	int allowed, failed;
};

static void *
hammer_key(void *arg)
{
	struct hammer *h = arg;
	struct rl_limit lim = { 200, HOUR, 200 };
	int one;

	for (int i = 0; i < TAKES_EACH; i++) {
		one = apply1(h->r, take("threads", lim, 1), NULL);
		if (one < 0)
			h->failed++;
		else
			h->allowed += one;
	}
	return NULL;
}

/* THREADS threads on two handles hammer one key of burst 200. */
static void
test_threads(struct rl_redis *a, struct rl_redis *b)
{
	pthread_t t[THREADS];
	struct hammer h[THREADS];
	int allowed = 0, failed = 0;

	for (int i = 0; i < THREADS; i++) {
		h[i] = (struct hammer){ i % 2 ? b : a, 0, 0 };
		pthread_create(&t[i], NULL, hammer_key, &h[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		allowed += h[i].allowed;
		failed += h[i].failed;
	}
	ok(failed == 0 && allowed == 200, "%d threads, %d takes: %d allowed "
	    "of burst 200", THREADS, THREADS * TAKES_EACH, allowed);
}

/* The round trip of a batch of two takes. */
static void
bench(struct rl_redis *r)
{
	struct rl_limit lim = { 1000000, S, 1000000 };
	struct rl_op ops[2];
	int64_t start = now_us(), took;
	int failed = 0;
	char err[256];

	for (int i = 0; i < BENCH_CALLS; i++) {
		ops[0] = take("bench1", lim, 1);
		ops[1] = take("bench2", lim, 1);
		failed += !rl_redis_apply(r, ops, 2, err, sizeof(err));
	}
	took = now_us() - start;
	ok(failed == 0, "%d batches of 2 takes", BENCH_CALLS);
	printf("# %d batches of 2 in %lld ms: %.1f us per round trip\n",
	    BENCH_CALLS, (long long)took / 1000,
	    (double)took / BENCH_CALLS);
}

/* Is nothing accepting connections on the test port any more? */
static bool
port_closed(void)
{
	struct timeval tv = { 0, 200000 };
	redisContext *c = redisConnectWithTimeout(host, port, tv);
	bool closed = c == NULL || c->err != 0;

	redisFree(c);
	return closed;
}

/* A stalled server (SIGSTOP) costs one timeout, then nothing. */
static void
test_stalled(struct rl_redis *r, pid_t pid)
{
	int64_t t0, t1;
	char err[256] = "";
	struct rl_op op = take("stall", per_hour, 1);
	bool done;

	apply1(r, op, NULL);   /* a pooled connection */
	kill(pid, SIGSTOP);
	t0 = now_us();
	done = rl_redis_apply(r, &op, 1, err, sizeof(err));
	t1 = now_us();
	ok(!done && t1 - t0 < 2 * TIMEOUT_MS * 1000 &&
	    strstr(err, "no answer within") != NULL,
	    "stalled: fails after the timeout, saying so (%lld ms: %s)",
	    (long long)(t1 - t0) / 1000, err);
	done = rl_redis_apply(r, &op, 1, err, sizeof(err));
	ok(!done && strstr(err, "not tried") != NULL && now_us() - t1 < 50000,
	    "then fails at once (%s)", err);
	kill(pid, SIGCONT);
	usleep((RL_REDIS_BACKOFF_MS + 100) * 1000);
	ok(apply1(r, op, NULL) >= 0, "after the back-off it answers again");
}

/* A killed server fails fast; restarted, it serves after the back-off. */
static void
test_killed(struct rl_redis *r, pid_t pid, const char *restart)
{
	int64_t t0, t1;
	char err[256] = "";
	struct rl_op op = take("killed", per_hour, 1);
	bool done;

	apply1(r, op, NULL);
	redisFree(admin);
	admin = NULL;
	kill(pid, SIGKILL);
	for (int i = 0; i < 50 && !port_closed(); i++)
		usleep(100000);
	t0 = now_us();
	done = rl_redis_apply(r, &op, 1, err, sizeof(err));
	t1 = now_us();
	ok(!done && t1 - t0 < 1000000, "killed: fails in %lld ms (%s)",
	    (long long)(t1 - t0) / 1000, err);
	done = rl_redis_apply(r, &op, 1, err, sizeof(err));
	ok(!done && strstr(err, "not tried") != NULL,
	    "then not tried (%s)", err);
	ok(system(restart) == 0, "redis-server restarted on the same port");
	usleep((RL_REDIS_BACKOFF_MS + 100) * 1000);
	ok(apply1(r, op, NULL) == 1,
	    "after the back-off it answers (a new server: NOSCRIPT, EVAL)");
	admin = redisConnect(host, port);
	is_int(admin_int("EXISTS %s%s", prefix, "killed"), 1,
	    "the new server has the key");
}

/* Nothing listens on port 1: fail fast, then not tried. */
static void
test_unreachable(void)
{
	char err[256] = "";
	struct rl_op op = take("k", per_hour, 1);
	struct rl_redis *r = rl_redis_new("127.0.0.1:1", "p:", TIMEOUT_MS, err,
	    sizeof(err));
	int64_t t0 = now_us();

	ok(r != NULL && !rl_redis_apply(r, &op, 1, err, sizeof(err)) &&
	    now_us() - t0 < 1000000, "unreachable: fails fast (%s)", err);
	ok(!rl_redis_apply(r, &op, 1, err, sizeof(err)) &&
	    strstr(err, "not tried") != NULL, "then not tried");
	rl_redis_free(&r);
}

static void
test_redis(void)
{
	const char *pid_text = getenv("RL_TEST_REDIS_PID");
	const char *restart = getenv("RL_TEST_REDIS_RESTART");
	struct rl_redis *a, *b;

	address = getenv("RL_TEST_REDIS");
	if (address == NULL || pid_text == NULL || restart == NULL ||
	    sscanf(address, "%63[^:]:%d", host, &port) != 2) {
		for (int i = 0; i < REDIS_TESTS; i++)
			ok(true, "# SKIP no redis-server (RL_TEST_REDIS)");
		return;
	}
	admin = redisConnect(host, port);
	snprintf(prefix, sizeof(prefix), "mxtest:%ld:", (long)getpid());
	a = handle(TIMEOUT_MS);
	b = handle(TIMEOUT_MS);
	ok(a != NULL && b != NULL && admin != NULL && admin->err == 0,
	    "connected to %s", address);
	test_exact_rate(a);
	test_burst_one(a);
	test_refunds(a);
	test_batch(a);
	test_clamp(a);
	test_two_hosts(a, b);
	test_noscript(a);
	test_wrong_type(a);
	test_long_keys(a);
	test_threads(a, b);
	bench(a);
	test_unreachable();
	test_stalled(a, (pid_t)atol(pid_text));
	test_killed(a, (pid_t)atol(pid_text), restart);
	rl_redis_free(&a);
	rl_redis_free(&b);
	redisFree(admin);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	plan(LOCAL_TESTS + REDIS_TESTS);
	test_limits();
	test_redis();
	return done();
}
