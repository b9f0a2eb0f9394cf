/*
 * redis.c - the one pool of Redis connections; see redis.h
 *
 * PUBLIC FUNCTIONS
 *	redis_pool_new(), redis_pool_free(), redis_pool_command(),
 *	redis_script_new(), redis_script_free(), redis_pool_eval().
 *
 * POOL
 *	Idle connections wait on a stack of at most REDIS_POOL_IDLE_MAX; a
 *	thread takes one under the mutex, uses it unlocked, and gives it back
 *	(or frees it when the stack is full), so one thread at a time uses a
 *	connection. A connection hiredis marks with an error is never given
 *	back. down_until (an atomic monotonic-clock time in ms, 0 when up)
 *	implements the back-off; one compare-and-swap elects the prober.
 *
 * SCRIPTS
 *	A script's SHA-1 is what SCRIPT LOAD answers, kept under the script's
 *	own mutex once known (the same on every server, so a script may serve
 *	several pools). On NOSCRIPT the call is made again as EVAL with the
 *	body, which also puts the script back into the server's cache.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis.h>

#include "core/redis.h"
#include "core/xalloc.h"

#define SHA1_HEX 40

struct redis_pool {
	char *name;            /* the address, for messages */
	char *host;            /* TCP, or NULL */
	int port;
	char *path;            /* Unix socket, or NULL */
	struct timeval timeout;
	int64_t backoff_ms;
	pthread_mutex_t lock;
	redisContext *idle[REDIS_POOL_IDLE_MAX];
	size_t n_idle;
	_Atomic int64_t down_until;  /* monotonic ms; 0: up */
};

struct redis_script {
	char *body;
	size_t len;
	pthread_mutex_t lock;
	char sha[SHA1_HEX + 1];  /* "" until learned */
};

/* What became of one command on one connection. */
enum outcome {
	OUT_DONE,      /* a reply, not an error */
	OUT_REFUSED,   /* an error reply: the connection is fine */
	OUT_NOSCRIPT,  /* the error reply NOSCRIPT */
	OUT_BROKEN,    /* no reply: the connection is unusable */
	OUT_TIMEOUT,   /* no reply in time: unusable, and Redis is slow */
};

/* One call: a command, or a script and its arguments. */
struct call {
	struct redis_script *script;  /* or NULL */
	int argc;
	const char **argv;
	const size_t *argvlen;
	redisReply *reply;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "HOST:PORT", "[IPV6]:PORT" or "HOST" into pool->host and pool->port. */
static bool
parse_tcp(struct redis_pool *pool, const char *address, char *err,
    size_t errlen)
{
	const char *colon = strrchr(address, ':'), *host_end;
	const char *host = address;
	char *end;
	long port = 6379;

	if (address[0] == '[') {
		host = address + 1;
		host_end = strchr(host, ']');
		if (host_end == NULL || (host_end[1] != '\0' &&
		    host_end[1] != ':')) {
			snprintf(err, errlen, "%s: expected [ADDRESS]:PORT",
			    address);
			return false;
		}
		colon = host_end[1] == ':' ? host_end + 1 : NULL;
	} else if (colon != NULL && strchr(address, ':') != colon) {
		snprintf(err, errlen, "%s: write an IPv6 address as "
		    "[ADDRESS]:PORT", address);
		return false;
	} else {
		host_end = colon != NULL ? colon : address + strlen(address);
	}
	if (colon != NULL) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || errno != 0 ||
		    port < 1 || port > 65535) {
			snprintf(err, errlen, "%s: bad port", address);
			return false;
		}
	}
	if (host_end == host) {
		snprintf(err, errlen, "%s: no host", address);
		return false;
	}
	pool->host = xstrndup(host, (size_t)(host_end - host));
	pool->port = (int)port;
	return true;
}

struct redis_pool *
redis_pool_new(const char *address, uint64_t timeout_ms, uint64_t backoff_ms,
    char *err, size_t errlen)
{
	struct redis_pool *pool = xcalloc(1, sizeof(*pool));

	pthread_mutex_init(&pool->lock, NULL);
	pool->name = xstrdup(address);
	if (strncmp(address, "unix:", 5) == 0 || address[0] == '/') {
		pool->path = xstrdup(address[0] == '/' ? address : address + 5);
		if (pool->path[0] != '/') {
			snprintf(err, errlen, "%s: the socket path must be "
			    "absolute", address);
			redis_pool_free(&pool);
			return NULL;
		}
	} else if (!parse_tcp(pool, address, err, errlen)) {
		redis_pool_free(&pool);
		return NULL;
	}
	pool->timeout.tv_sec = (time_t)(timeout_ms / 1000);
	pool->timeout.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	pool->backoff_ms = backoff_ms > INT32_MAX ? INT32_MAX :
	    (int64_t)backoff_ms;
	return pool;
}

void
redis_pool_free(struct redis_pool **pool_p)
{
	struct redis_pool *pool = *pool_p;

	if (pool == NULL)
		return;
	for (size_t i = 0; i < pool->n_idle; i++)
		redisFree(pool->idle[i]);
	pthread_mutex_destroy(&pool->lock);
	free(pool->name);
	free(pool->host);
	free(pool->path);
	free(pool);
	*pool_p = NULL;
}

struct redis_script *
redis_script_new(const char *body)
{
	struct redis_script *script = xcalloc(1, sizeof(*script));

	script->body = xstrdup(body);
	script->len = strlen(body);
	pthread_mutex_init(&script->lock, NULL);
	return script;
}

void
redis_script_free(struct redis_script **script_p)
{
	struct redis_script *script = *script_p;

	if (script == NULL)
		return;
	pthread_mutex_destroy(&script->lock);
	free(script->body);
	free(script);
	*script_p = NULL;
}

/* Copy the script's SHA-1 into sha (SHA1_HEX + 1 bytes): false if unknown. */
static bool
script_sha(struct redis_script *script, char *sha)
{
	pthread_mutex_lock(&script->lock);
	memcpy(sha, script->sha, sizeof(script->sha));
	pthread_mutex_unlock(&script->lock);
	return sha[0] != '\0';
}

static void
script_learn(struct redis_script *script, const char *sha)
{
	pthread_mutex_lock(&script->lock);
	memcpy(script->sha, sha, sizeof(script->sha));
	pthread_mutex_unlock(&script->lock);
}

/* May a call go ahead? Not while down, except for the one prober. */
static bool
pool_admit(struct redis_pool *pool, char *err, size_t errlen)
{
	int64_t down = atomic_load(&pool->down_until), now;

	if (down == 0)
		return true;
	now = now_ms();
	/* The period is over: whoever swaps first probes, and the others
	 * wait one more period meanwhile. */
	if (now >= down && atomic_compare_exchange_strong(&pool->down_until,
	    &down, now + pool->backoff_ms))
		return true;
	snprintf(err, errlen, "redis %s: not reachable a moment ago, not "
	    "tried", pool->name);
	return false;
}

static void
pool_down(struct redis_pool *pool)
{
	atomic_store(&pool->down_until, now_ms() + pool->backoff_ms);
}

/* Redis answered: end a back-off (the load spares the common case a
 * write to a shared line). */
static void
pool_up(struct redis_pool *pool)
{
	if (atomic_load(&pool->down_until) != 0)
		atomic_store(&pool->down_until, 0);
}

/* A new connection, or NULL with err filled and the pool down. */
static redisContext *
pool_connect(struct redis_pool *pool, char *err, size_t errlen)
{
	redisContext *c = pool->path != NULL ?
	    redisConnectUnixWithTimeout(pool->path, pool->timeout) :
	    redisConnectWithTimeout(pool->host, pool->port, pool->timeout);

	if (c != NULL && c->err == 0 && redisSetTimeout(c, pool->timeout) ==
	    REDIS_OK)
		return c;
	snprintf(err, errlen, "redis %s: %s", pool->name,
	    c != NULL ? c->errstr : "out of memory");
	if (c != NULL)
		redisFree(c);
	pool_down(pool);
	return NULL;
}

/* An idle connection (*pooled_r true), or a new one. */
static redisContext *
pool_take(struct redis_pool *pool, bool *pooled_r, char *err, size_t errlen)
{
	redisContext *c = NULL;

	pthread_mutex_lock(&pool->lock);
	if (pool->n_idle > 0)
		c = pool->idle[--pool->n_idle];
	pthread_mutex_unlock(&pool->lock);
	*pooled_r = c != NULL;
	return c != NULL ? c : pool_connect(pool, err, errlen);
}

/* Give a healthy connection back, or close it when enough are idle. */
static void
pool_give_back(struct redis_pool *pool, redisContext *c)
{
	pthread_mutex_lock(&pool->lock);
	if (pool->n_idle < REDIS_POOL_IDLE_MAX) {
		pool->idle[pool->n_idle++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&pool->lock);
	if (c != NULL)
		redisFree(c);
}

/* Did the failed command on c fail by its timeout? */
static bool
timed_out(const redisContext *c, int saved_errno)
{
#ifdef REDIS_ERR_TIMEOUT
	if (c->err == REDIS_ERR_TIMEOUT)
		return true;
#endif
	return c->err == REDIS_ERR_IO && (saved_errno == EAGAIN ||
	    saved_errno == EWOULDBLOCK || saved_errno == ETIMEDOUT);
}

/* One command on c; a reply that is not an error goes to *reply_r. */
static enum outcome
send_on(struct redis_pool *pool, redisContext *c, int argc,
    const char **argv, const size_t *argvlen, redisReply **reply_r,
    char *err, size_t errlen)
{
	redisReply *reply;
	enum outcome out;

	errno = 0;
	reply = redisCommandArgv(c, argc, argv, argvlen);
	if (reply == NULL) {
		if (timed_out(c, errno)) {
			snprintf(err, errlen, "redis %s: no answer within %lld ms",
			    pool->name,
			    (long long)pool->timeout.tv_sec * 1000 +
			    pool->timeout.tv_usec / 1000);
			return OUT_TIMEOUT;
		}
		snprintf(err, errlen, "redis %s: %s", pool->name,
		    c->err != 0 ? c->errstr : "no reply");
		return OUT_BROKEN;
	}
	if (reply->type != REDIS_REPLY_ERROR) {
		*reply_r = reply;
		return OUT_DONE;
	}
	out = strncmp(reply->str, "NOSCRIPT", 8) == 0 ? OUT_NOSCRIPT :
	    OUT_REFUSED;
	snprintf(err, errlen, "redis %s: %s", pool->name, reply->str);
	freeReplyObject(reply);
	return out;
}

/* SCRIPT LOAD the script on c and remember its SHA-1 in sha. */
static enum outcome
load_on(struct redis_pool *pool, redisContext *c,
    struct redis_script *script, char *sha, char *err, size_t errlen)
{
	const char *argv[] = { "SCRIPT", "LOAD", script->body };
	size_t argvlen[] = { 6, 4, script->len };
	redisReply *reply = NULL;
	enum outcome out;

	out = send_on(pool, c, 3, argv, argvlen, &reply, err, errlen);
	if (out != OUT_DONE)
		return out == OUT_NOSCRIPT ? OUT_REFUSED : out;
	if (reply->type != REDIS_REPLY_STRING || reply->len != SHA1_HEX) {
		snprintf(err, errlen, "redis %s: SCRIPT LOAD: unexpected reply",
		    pool->name);
		out = OUT_REFUSED;
	} else {
		memcpy(sha, reply->str, SHA1_HEX + 1);
		script_learn(script, sha);
	}
	freeReplyObject(reply);
	return out;
}

/* EVALSHA on c (SCRIPT LOAD first if need be); EVAL on NOSCRIPT. */
static enum outcome
eval_on(struct redis_pool *pool, redisContext *c, struct call *call,
    char *err, size_t errlen)
{
	int argc = call->argc + 2;
	const char **argv = xmalloc((size_t)argc * sizeof(*argv));
	size_t *argvlen = xmalloc((size_t)argc * sizeof(*argvlen));
	char sha[SHA1_HEX + 1];
	enum outcome out = OUT_DONE;

	if (!script_sha(call->script, sha))
		out = load_on(pool, c, call->script, sha, err, errlen);
	if (out == OUT_DONE) {
		memcpy(argv + 2, call->argv, (size_t)call->argc *
		    sizeof(*argv));
		memcpy(argvlen + 2, call->argvlen, (size_t)call->argc *
		    sizeof(*argvlen));
		argv[0] = "EVALSHA";
		argvlen[0] = 7;
		argv[1] = sha;
		argvlen[1] = SHA1_HEX;
		out = send_on(pool, c, argc, argv, argvlen, &call->reply, err,
		    errlen);
	}
	if (out == OUT_NOSCRIPT) {
		argv[0] = "EVAL";
		argvlen[0] = 4;
		argv[1] = call->script->body;
		argvlen[1] = call->script->len;
		out = send_on(pool, c, argc, argv, argvlen, &call->reply, err,
		    errlen);
		if (out == OUT_NOSCRIPT)
			out = OUT_REFUSED;
	}
	free(argv);
	free(argvlen);
	return out;
}

/* Make call on the pool: admission, one connection, one retry. */
static bool
pool_run(struct redis_pool *pool, struct call *call, char *err,
    size_t errlen)
{
	bool pooled = false;
	redisContext *c;
	enum outcome out;

	if (!pool_admit(pool, err, errlen))
		return false;
	for (int attempt = 0; attempt < 2; attempt++) {
		c = attempt == 0 ? pool_take(pool, &pooled, err, errlen) :
		    pool_connect(pool, err, errlen);
		if (c == NULL)
			return false;
		out = call->script != NULL ?
		    eval_on(pool, c, call, err, errlen) :
		    send_on(pool, c, call->argc, call->argv, call->argvlen,
		    &call->reply, err, errlen);
		if (out == OUT_DONE || out == OUT_REFUSED) {
			pool_give_back(pool, c);
			pool_up(pool);
			return out == OUT_DONE;
		}
		redisFree(c);
		/* Only a pooled connection may have died quietly while
		 * idle; anything else says Redis is unwell. */
		if (!pooled || out == OUT_TIMEOUT)
			break;
		pooled = false;
	}
	pool_down(pool);
	return false;
}

/* Hand call's reply to *reply_r, or free it. */
static void
hand_over(struct call *call, struct redisReply **reply_r)
{
	if (reply_r != NULL)
		*reply_r = call->reply;
	else if (call->reply != NULL)
		freeReplyObject(call->reply);
}

bool
redis_pool_command(struct redis_pool *pool, int argc, const char **argv,
    const size_t *argvlen, struct redisReply **reply_r, char *err,
    size_t errlen)
{
	struct call call = { NULL, argc, argv, argvlen, NULL };
	bool done = pool_run(pool, &call, err, errlen);

	hand_over(&call, reply_r);
	return done;
}

bool
redis_pool_eval(struct redis_pool *pool, struct redis_script *script,
    int argc, const char **argv, const size_t *argvlen,
    struct redisReply **reply_r, char *err, size_t errlen)
{
	struct call call = { script, argc, argv, argvlen, NULL };
	bool done = pool_run(pool, &call, err, errlen);

	hand_over(&call, reply_r);
	return done;
}
