/*
 * redis.c - RPUSH onto one Redis list, over a small pool of connections
 *
 * PUBLIC FUNCTIONS
 *	dmarc_redis_new(), dmarc_redis_free(), dmarc_redis_rpush(); see
 *	redis.h.
 *
 * POOL
 *	Idle connections wait on a stack of at most DMARC_REDIS_POOL_MAX; a
 *	thread takes one under the mutex, uses it unlocked, and gives it
 *	back (or frees it when the stack is full), so at most one thread
 *	ever uses a connection. A connection hiredis marks with an error is
 *	never given back. After a failed connect, down_until (an atomic
 *	monotonic-clock time) makes pushes fail at once until it passes.
 *
 * SECURITY
 *	The address and key are admin input, checked when the policy loads.
 *	The value is sent as a binary-safe argument (%b), never formatted.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis.h>

#include "core/xalloc.h"
#include "dmarc/redis.h"
#include "dmarc/report.h"

struct dmarc_redis {
	char *host;            /* TCP, or NULL */
	int port;
	char *path;            /* Unix socket, or NULL */
	char *key;
	struct timeval timeout;
	pthread_mutex_t lock;
	redisContext *idle[DMARC_REDIS_POOL_MAX];
	size_t n_idle;
	_Atomic int64_t down_until;  /* monotonic ms; 0: not down */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "HOST:PORT", "[IPV6]:PORT" or "HOST" into r->host and r->port. */
static bool
parse_tcp(struct dmarc_redis *r, const char *address, char *err,
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
	r->host = xstrndup(host, (size_t)(host_end - host));
	r->port = (int)port;
	return true;
}

struct dmarc_redis *
dmarc_redis_new(const char *address, const char *key, uint64_t timeout_ms,
    char *err, size_t errlen)
{
	struct dmarc_redis *r = xcalloc(1, sizeof(*r));

	if (strncmp(address, "unix:", 5) == 0 || address[0] == '/') {
		r->path = xstrdup(address[0] == '/' ? address : address + 5);
		if (r->path[0] != '/') {
			snprintf(err, errlen, "%s: the socket path must be "
			    "absolute", address);
			dmarc_redis_free(&r);
			return NULL;
		}
	} else if (!parse_tcp(r, address, err, errlen)) {
		dmarc_redis_free(&r);
		return NULL;
	}
	r->key = xstrdup(key);
	r->timeout.tv_sec = (time_t)(timeout_ms / 1000);
	r->timeout.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

void
dmarc_redis_free(struct dmarc_redis **redis_p)
{
	struct dmarc_redis *r = *redis_p;

	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_idle; i++)
		redisFree(r->idle[i]);
	if (r->key != NULL)
		pthread_mutex_destroy(&r->lock);
	free(r->host);
	free(r->path);
	free(r->key);
	free(r);
	*redis_p = NULL;
}

/* A new connection, or NULL with err filled (and the back-off set). */
static redisContext *
connect_new(struct dmarc_redis *r, char *err, size_t errlen)
{
	redisContext *c = r->path != NULL ?
	    redisConnectUnixWithTimeout(r->path, r->timeout) :
	    redisConnectWithTimeout(r->host, r->port, r->timeout);

	if (c != NULL && c->err == 0 && redisSetTimeout(c, r->timeout) ==
	    REDIS_OK)
		return c;
	snprintf(err, errlen, "redis %s%s%d: %s", r->path ? r->path : r->host,
	    r->path ? "" : ":", r->path ? 0 : r->port,
	    c != NULL ? c->errstr : "out of memory");
	if (c != NULL)
		redisFree(c);
	atomic_store(&r->down_until, now_ms() + DMARC_REDIS_BACKOFF_MS);
	return NULL;
}

/* An idle connection, or a new one. */
static redisContext *
take(struct dmarc_redis *r, char *err, size_t errlen)
{
	redisContext *c = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->n_idle > 0)
		c = r->idle[--r->n_idle];
	pthread_mutex_unlock(&r->lock);
	return c != NULL ? c : connect_new(r, err, errlen);
}

/* Give a healthy connection back. */
static void
give_back(struct dmarc_redis *r, redisContext *c)
{
	pthread_mutex_lock(&r->lock);
	if (r->n_idle < DMARC_REDIS_POOL_MAX) {
		r->idle[r->n_idle++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	if (c != NULL)
		redisFree(c);
}

/* One RPUSH on c: 1 done, 0 Redis said no, -1 the connection failed. */
static int
push_on(struct dmarc_redis *r, redisContext *c, const char *value,
    size_t len, char *err, size_t errlen)
{
	redisReply *reply = redisCommand(c, "RPUSH %s %b", r->key, value, len);
	int status = 1;

	if (reply == NULL) {
		snprintf(err, errlen, "redis: %s", c->errstr);
		return -1;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "redis: %s", reply->str);
		status = 0;
	}
	freeReplyObject(reply);
	return status;
}

bool
dmarc_redis_rpush(struct dmarc_redis *r, const char *value, size_t len,
    char *err, size_t errlen)
{
	int64_t down = atomic_load(&r->down_until);

	if (down != 0 && now_ms() < down) {
		snprintf(err, errlen, "redis: not reachable a moment ago, "
		    "not tried");
		return false;
	}
	/* A pooled connection may have been closed by the server since:
	 * one more try on a fresh one. */
	for (int attempt = 0; attempt < 2; attempt++) {
		redisContext *c = attempt == 0 ? take(r, err, errlen) :
		    connect_new(r, err, errlen);
		int status;

		if (c == NULL)
			return false;
		status = push_on(r, c, value, len, err, errlen);
		if (status >= 0) {
			give_back(r, c);
			return status == 1;
		}
		redisFree(c);
	}
	return false;
}
