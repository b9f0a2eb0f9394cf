/*
 * redis.c - the rate-limit store on Redis: one Lua script per batch; see
 * redis.h for the algorithm, its precision and its bounds
 *
 * PUBLIC FUNCTIONS
 *	rl_redis_new(), rl_redis_free(), rl_redis_apply(),
 *	rl_redis_limit_valid().
 *
 * SCRIPT
 *	KEYS are the batch's keys, one per op; ARGV holds four values per
 *	op: "t" (take) or "r" (refund), inc, allow, full in microseconds.
 *	It answers two integers per op: 1 or 0 (allowed), and the retry
 *	after in microseconds. Numbers are written back with
 *	string.format('%d'), exact for integers below 2^53.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "core/redis.h"
#include "core/xalloc.h"
#include "ratelimit/redis.h"
#include "ratelimit/store.h"

/* 128-bit intermediates, as in bucket.c. */
__extension__ typedef unsigned __int128 u128;

#define NS_PER_US 1000
#define NUM_MAX 24   /* a uint64_t in decimal, and its NUL */
#define ARGS_PER_OP 4

static const char script_body[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "local old, tat, out = {}, {}, {}\n"
    "for i = 1, #KEYS do\n"
    "  local k = KEYS[i]\n"
    "  if old[k] == nil then\n"
    "    old[k] = tonumber(redis.call('GET', k) or 0) or 0\n"
    "    tat[k] = old[k]\n"
    "  end\n"
    "end\n"
    "for i = 1, #KEYS do\n"
    "  local k, a = KEYS[i], 4 * i - 4\n"
    "  local inc = tonumber(ARGV[a + 2])\n"
    "  local allow = tonumber(ARGV[a + 3])\n"
    "  local full = tonumber(ARGV[a + 4])\n"
    "  local x, debt, ok, retry = tat[k], 0, 1, 0\n"
    "  if x > now then debt = x - now end\n"
    "  if debt > full then x, debt = now + full, full end\n"
    "  if ARGV[a + 1] == 'r' then\n"
    "    if x > now then x = math.max(now, x - inc) end\n"
    "  elseif debt <= allow then\n"
    "    x = math.max(x, now) + inc\n"
    "  else\n"
    "    ok, retry = 0, debt - allow\n"
    "  end\n"
    "  tat[k] = x\n"
    "  out[2 * i - 1], out[2 * i] = ok, retry\n"
    "end\n"
    "for k, x in pairs(tat) do\n"
    "  if x > now then\n"
    "    if x ~= old[k] then\n"
    "      redis.call('SET', k, string.format('%d', x), 'PX',\n"
    "        string.format('%d', math.ceil((x - now) / 1000) + 1))\n"
    "    end\n"
    "  elseif old[k] ~= 0 then\n"
    "    redis.call('DEL', k)\n"
    "  end\n"
    "end\n"
    "return out\n";

struct rl_redis {
	struct redis_pool *pool;
	struct redis_script *script;
	char *prefix;
	size_t prefix_len;
};

/* The arguments of one batch: argv points into keys and nums. */
struct batch {
	size_t *sent;        /* indices of the ops sent to Redis */
	size_t n_sent;
	const char **argv;
	size_t *argvlen;
	int argc;
	char *keys;
	char *nums;
};

bool
rl_redis_limit_valid(const struct rl_limit *limit, char *err, size_t errlen)
{
	if (!rl_limit_valid(limit, err, errlen))
		return false;
	if ((u128)limit->period_ns < (u128)limit->count * NS_PER_US) {
		if (err != NULL)
			snprintf(err, errlen, "on Redis, count must be at most "
			    "one per microsecond (1e6 per second)");
		return false;
	}
	return true;
}

struct rl_redis *
rl_redis_new(const char *address, const char *prefix, uint64_t timeout_ms,
    char *err, size_t errlen)
{
	struct redis_pool *pool;
	struct rl_redis *r;

	pool = redis_pool_new(address, timeout_ms, RL_REDIS_BACKOFF_MS, err,
	    errlen);
	if (pool == NULL)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->pool = pool;
	r->script = redis_script_new(script_body);
	r->prefix = xstrdup(prefix);
	r->prefix_len = strlen(prefix);
	return r;
}

void
rl_redis_free(struct rl_redis **redis_p)
{
	struct rl_redis *r = *redis_p;

	if (r == NULL)
		return;
	redis_pool_free(&r->pool);
	redis_script_free(&r->script);
	free(r->prefix);
	free(r);
	*redis_p = NULL;
}

/* floor(units*P/N) in microseconds. */
static uint64_t
span_us(const struct rl_limit *limit, uint64_t units)
{
	return (uint64_t)((u128)units * limit->period_ns /
	    ((u128)limit->count * NS_PER_US));
}

/* Decide op without Redis when its cost allows: true if decided. */
static bool
decide_locally(struct rl_op *op)
{
	op->allowed = true;
	op->retry_after_ns = 0;
	if (op->cost == 0)
		return true;
	if (!op->refund && op->cost > op->limit.burst) {
		op->allowed = false;
		op->retry_after_ns = RL_NEVER;
		return true;
	}
	return false;
}

/* Append s (len bytes, kept by the caller) to argv. */
static void
batch_arg(struct batch *b, const char *s, size_t len)
{
	b->argv[b->argc] = s;
	b->argvlen[b->argc] = len;
	b->argc++;
}

/* Write v in decimal at *p, append it to argv, and move *p past it. */
static void
batch_num(struct batch *b, char **p, uint64_t v)
{
	int len = snprintf(*p, NUM_MAX, "%" PRIu64, v);

	batch_arg(b, *p, (size_t)len);
	*p += len + 1;
}

/* The script's arguments for the ops not decided locally. */
static bool
batch_build(struct rl_redis *r, struct batch *b, struct rl_op *ops,
    size_t n, char *err, size_t errlen)
{
	size_t keys_len = 0, len;
	char *k, *num;

	b->sent = xmalloc(n * sizeof(*b->sent));
	for (size_t i = 0; i < n; i++) {
		if (!rl_redis_limit_valid(&ops[i].limit, err, errlen))
			return false;
		if (decide_locally(&ops[i]))
			continue;
		b->sent[b->n_sent++] = i;
		len = strnlen(ops[i].key, RL_KEY_MAX);
		keys_len += r->prefix_len + len;
	}
	if (b->n_sent == 0)
		return true;
	b->argv = xmalloc((1 + (1 + ARGS_PER_OP) * b->n_sent) *
	    sizeof(*b->argv));
	b->argvlen = xmalloc((1 + (1 + ARGS_PER_OP) * b->n_sent) *
	    sizeof(*b->argvlen));
	k = b->keys = xmalloc(keys_len + 1);
	num = b->nums = xmalloc((1 + ARGS_PER_OP * b->n_sent) * NUM_MAX);
	batch_num(b, &num, b->n_sent);
	for (size_t j = 0; j < b->n_sent; j++) {
		const char *key = ops[b->sent[j]].key;

		len = strnlen(key, RL_KEY_MAX);
		memcpy(k, r->prefix, r->prefix_len);
		memcpy(k + r->prefix_len, key, len);
		batch_arg(b, k, r->prefix_len + len);
		k += r->prefix_len + len;
	}
	for (size_t j = 0; j < b->n_sent; j++) {
		const struct rl_op *op = &ops[b->sent[j]];
		const struct rl_limit *lim = &op->limit;
		uint64_t full = span_us(lim, lim->burst);
		uint64_t inc = op->cost >= lim->burst ? full :
		    span_us(lim, op->cost);

		batch_arg(b, op->refund ? "r" : "t", 1);
		batch_num(b, &num, inc);
		batch_num(b, &num, op->refund ? 0 :
		    span_us(lim, lim->burst - op->cost));
		batch_num(b, &num, full);
	}
	return true;
}

static void
batch_free(struct batch *b)
{
	free(b->sent);
	free(b->argv);
	free(b->argvlen);
	free(b->keys);
	free(b->nums);
}

/* The script's answer into the ops sent; false if it is not one. */
static bool
read_answer(const redisReply *reply, const struct batch *b,
    struct rl_op *ops, char *err, size_t errlen)
{
	if (reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 2 * b->n_sent)
		goto bad;
	for (size_t j = 0; j < b->n_sent; j++) {
		const redisReply *allowed = reply->element[2 * j];
		const redisReply *retry = reply->element[2 * j + 1];
		struct rl_op *op = &ops[b->sent[j]];

		if (allowed->type != REDIS_REPLY_INTEGER ||
		    retry->type != REDIS_REPLY_INTEGER ||
		    allowed->integer < 0 || allowed->integer > 1 ||
		    retry->integer < 0 ||
		    (uint64_t)retry->integer > UINT64_MAX / NS_PER_US)
			goto bad;
		op->allowed = allowed->integer == 1;
		op->retry_after_ns = (uint64_t)retry->integer * NS_PER_US;
	}
	return true;
bad:
	snprintf(err, errlen, "redis: the rate-limit script answered "
	    "something unexpected");
	return false;
}

bool
rl_redis_apply(struct rl_redis *r, struct rl_op *ops, size_t n, char *err,
    size_t errlen)
{
	struct batch b = { 0 };
	redisReply *reply = NULL;
	bool done;

	if (n == 0)
		return true;
	done = batch_build(r, &b, ops, n, err, errlen);
	if (done && b.n_sent > 0) {
		done = redis_pool_eval(r->pool, r->script, b.argc, b.argv,
		    b.argvlen, &reply, err, errlen) &&
		    read_answer(reply, &b, ops, err, errlen);
		if (reply != NULL)
			freeReplyObject(reply);
	}
	batch_free(&b);
	return done;
}
