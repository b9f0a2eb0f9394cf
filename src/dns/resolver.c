/*
 * resolver.c - the shared caching resolver on libunbound; see resolver.h
 *
 * PUBLIC FUNCTIONS
 *	dns_resolver_new(), dns_resolver_ref(), dns_resolver_unref() build and
 *	share a resolver; dns_lookup() asks one question;
 *	dns_register_metrics() registers the mxward_dns_* families once.
 *	Answers and their cache are in cache.c, names and decoders in wire.c.
 *
 * DESIGN
 *	Each resolver owns one libunbound context in threaded asynchronous
 *	mode (libunbound runs its own worker thread) and one dispatcher
 *	thread of ours, which waits on ub_fd() and calls ub_process(); the
 *	callbacks therefore run on the dispatcher. A lookup posts its
 *	question with ub_resolve_async() and sleeps on its own waiter (a
 *	mutex and a condition variable on CLOCK_MONOTONIC) until the
 *	callback fills it or timeout_ms pass. On timeout it calls
 *	ub_cancel(): when that succeeds libunbound will never call back, so
 *	the lookup drops the callback's reference to the waiter as well;
 *	when it fails the callback is running or about to, and drops its own
 *	reference. The waiter is freed by whichever reference goes last,
 *	with any result nobody took. A cancelled question keeps running
 *	inside libunbound (in threaded mode ub_cancel() only marks it) until
 *	libunbound gives up on it; its answer is then discarded. It costs an
 *	in-flight query slot for a while, never a waiting thread.
 *
 *	libunbound gives up on a server that never answers after several
 *	tries, each waiting twice as long as the one before, and then says
 *	SERVFAIL. So that our wait fires first and such a lookup reliably
 *	says DNS_TIMEOUT, the least retransmit timeout (infra-cache-min-rtt,
 *	default 50 ms) is set to an eighth of timeout_ms: libunbound then
 *	gives up only after some five times our timeout (measured with
 *	libunbound 1.17: 38 times the least timeout), which also bounds how
 *	long a cancelled question lives on. A lost packet to a live server
 *	is resent after that least timeout at the latest. Reverse zones of
 *	private addresses, which libunbound would answer itself, are asked
 *	of the servers too (unblock-lan-zones); the RFC 6761 names
 *	(localhost, test, invalid, onion) stay local.
 *
 *	In front of libunbound sits our answer cache (cache.c), keyed by the
 *	lowercased name without its trailing dot and the type. cache_size
 *	bytes are split: a quarter each for our answers, libunbound's
 *	message cache and its RRset cache, an eighth each for its DNSSEC key
 *	cache and its negative cache.
 *
 *	libunbound's messages go to our log through a stdio cookie stream;
 *	while a resolver is built, the first one becomes the error text.
 *
 * CONTRACT
 *	A resolver is freed by its last unref, which stops the dispatcher,
 *	then deletes the libunbound context and the cache; no lookup may run
 *	then (each caller holds a reference). The metrics are registered by
 *	the first dns_resolver_new() or dns_register_metrics().
 *
 * THREAD SAFETY
 *	dns_lookup(), ref and unref may be called from any thread. No lock
 *	is held across a wait for libunbound: a waiter's lock covers a few
 *	assignments.
 *
 * SECURITY
 *	Names come from SMTP clients and from DNS data; dns_query_name()
 *	checks them and escapes every unusual byte for libunbound, so a
 *	backslash or a quote in a name is only ever data. canonical comes
 *	from libunbound, which shows bytes other than letters, digits, '-',
 *	'_' and '*' as '?'.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unbound.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "dns/cache.h"
#include "dns/resolver.h"
#include "dns/wire.h"
#include "metrics/metrics.h"

#define MIN_RTT_FLOOR_MS 50      /* libunbound's default */
#define MIN_RTT_CEILING_MS 30000 /* a quarter of its largest timeout */
#define DNS_CLASS_IN 1
#define RCODE_NOERROR 0
#define RCODE_NXDOMAIN 3

struct dns_resolver {
	struct ub_ctx *ctx;
	uint64_t timeout_ms;
	atomic_uint refs;
	pthread_t dispatcher;
	int wake[2];                  /* the dispatcher's stop pipe */
	pthread_condattr_t condattr;  /* CLOCK_MONOTONIC, for the waiters */
	struct dns_cache *cache;
};

/* ---------------------------------------------------------- metrics ---- */

enum { QT_A, QT_AAAA, QT_MX, QT_TXT, QT_PTR, QT_SPF, QT_OTHER, QT_COUNT };
static const char *const query_type_labels[QT_COUNT] = {
	"a", "aaaa", "mx", "txt", "ptr", "spf", "other",
};
/* The label of each type we know; everything else counts as "other". */
static const struct {
	enum dns_type type;
	int label;
} query_type_map[] = {
	{ DNS_T_A, QT_A }, { DNS_T_AAAA, QT_AAAA }, { DNS_T_MX, QT_MX },
	{ DNS_T_TXT, QT_TXT }, { DNS_T_PTR, QT_PTR }, { DNS_T_SPF, QT_SPF },
};

static pthread_once_t metrics_once = PTHREAD_ONCE_INIT;
static struct metrics_family *m_queries, *m_hits, *m_timeouts, *m_servfails,
    *m_entries;

/* Register the families (once per process). */
static void
metrics_init(void)
{
	m_queries = metrics_counter_new("mxward_dns_queries_total",
	    "DNS lookups asked by the checks, cache hits included, by type.",
	    "type", query_type_labels, QT_COUNT);
	m_hits = metrics_counter_new("mxward_dns_cache_hits_total",
	    "DNS lookups answered from mxward's own answer cache.", NULL, NULL,
	    1);
	m_timeouts = metrics_counter_new("mxward_dns_timeouts_total",
	    "DNS lookups that got no answer within the timeout.", NULL, NULL,
	    1);
	m_servfails = metrics_counter_new("mxward_dns_servfails_total",
	    "DNS lookups answered SERVFAIL or REFUSED, or bogus under DNSSEC.",
	    NULL, NULL, 1);
	m_entries = metrics_gauge_new("mxward_dns_cache_entries",
	    "Answers held in mxward's DNS answer cache now.", NULL, NULL, 1);
}

void
dns_register_metrics(void)
{
	pthread_once(&metrics_once, metrics_init);
}

/* The metrics label index of a query type. */
static size_t
query_type_label(enum dns_type type)
{
	for (size_t i = 0;
	    i < sizeof(query_type_map) / sizeof(query_type_map[0]); i++)
		if (query_type_map[i].type == type)
			return (size_t)query_type_map[i].label;
	return QT_OTHER;
}

/* ---------------------------------------------------------- answers ---- */

/* Length of a canonical name without its trailing dot, and whether it
 * differs from the question (which has no trailing dot here). */
static size_t
canonical_length(const char *canonname, const char *qname)
{
	size_t len;

	if (canonname == NULL)
		return 0;
	len = strlen(canonname);
	if (len > 0 && canonname[len - 1] == '.')
		len--;
	if (len == 0 || (strlen(qname) == len &&
	    strncasecmp(canonname, qname, len) == 0))
		return 0;
	return len;
}

/* The status libunbound's result stands for. */
static enum dns_status
result_status(const struct ub_result *res)
{
	if (res->bogus)
		return DNS_SERVFAIL;
	if (res->rcode == RCODE_NXDOMAIN || res->nxdomain)
		return DNS_NXDOMAIN;
	if (res->rcode != RCODE_NOERROR)
		return DNS_SERVFAIL;
	return res->havedata ? DNS_OK : DNS_NODATA;
}

/* Build our answer from libunbound's result (which the caller frees). */
static const struct dns_answer *
answer_from_result(const struct ub_result *res, enum dns_type type,
    const char *key)
{
	enum dns_status status = result_status(res);
	size_t count = 0, data_bytes = 0, clen;
	unsigned char *extra;
	struct dns_answer *a;

	if (status == DNS_OK)
		for (; res->data[count] != NULL; count++)
			data_bytes += res->len[count] > 0 ?
			    (size_t)res->len[count] : 0;
	clen = canonical_length(res->canonname, key);
	a = dns_answer_new(count, clen + 1 + data_bytes, &extra);
	a->status = status;
	a->type = type;
	a->secure = res->secure != 0;
	a->ttl = res->ttl > 0 ? (uint32_t)res->ttl : 0;
	if (clen > 0) {
		memcpy(extra, res->canonname, clen);
		a->canonical = (const char *)extra;
	}
	extra += clen + 1;
	a->count = count;
	for (size_t i = 0; i < count; i++) {
		size_t len = res->len[i] > 0 ? (size_t)res->len[i] : 0;

		memcpy(extra, res->data[i], len);
		a->rr[i].data = extra;
		a->rr[i].len = len;
		extra += len;
	}
	return a;
}

/* ---------------------------------------------------------- waiters ---- */

/* One lookup's meeting point with its libunbound callback. */
struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_uint refs;          /* the lookup's and the callback's */
	bool done;                 /* under lock */
	int err;                   /* under lock */
	struct ub_result *result;  /* under lock; freed with the waiter if
	                              nobody took it */
};

static struct waiter *
waiter_new(const pthread_condattr_t *condattr)
{
	struct waiter *w = xcalloc(1, sizeof(*w));

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, condattr);
	atomic_init(&w->refs, 2);
	return w;
}

static void
waiter_unref(struct waiter *w)
{
	if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) != 1)
		return;
	ub_resolve_free(w->result);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* libunbound's callback, on the dispatcher thread. */
static void
waiter_callback(void *arg, int err, struct ub_result *result)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->lock);
	w->done = true;
	w->err = err;
	w->result = result;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	waiter_unref(w);
}

/* Sleep until the callback came or timeout_ms passed since start (on
 * CLOCK_MONOTONIC); true if it came. The lock is held on entry and on
 * return. */
static bool
waiter_wait(struct waiter *w, const struct timespec *start,
    uint64_t timeout_ms)
{
	struct timespec deadline = {
		.tv_sec = start->tv_sec + (time_t)(timeout_ms / 1000),
		.tv_nsec = start->tv_nsec + (long)(timeout_ms % 1000) * 1000000,
	};

	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	while (!w->done)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) ==
		    ETIMEDOUT)
			break;
	return w->done;
}

/* ------------------------------------------------------- dispatcher ---- */

/* Deliver libunbound's answers until dns_resolver_unref() says stop. */
static void *
dispatcher_main(void *arg)
{
	struct dns_resolver *r = arg;
	struct pollfd pfd[2] = {
		{ .fd = r->wake[0], .events = POLLIN },
		{ .fd = ub_fd(r->ctx), .events = POLLIN },
	};
	nfds_t n = pfd[1].fd >= 0 ? 2 : 1;

	for (;;) {
		int err;

		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("dns: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents != 0)
			break;
		if (n < 2 || pfd[1].revents == 0)
			continue;
		if ((err = ub_process(r->ctx)) != 0 ||
		    (pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
			/* The channel from libunbound is broken: stop
			 * listening to it; lookups will time out. */
			log_error("dns: libunbound: %s", err != 0 ?
			    ub_strerror(err) : "result pipe closed");
			n = 1;
		}
	}
	return NULL;
}

/* Start the dispatcher with every signal blocked: the process's signals
 * are for the threads that wait for them. */
static bool
dispatcher_start(struct dns_resolver *r, char *err, size_t errlen)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&r->dispatcher, NULL, dispatcher_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		snprintf(err, errlen, "pthread_create: %s", strerror(rc));
	return rc == 0;
}

/* --------------------------------------------------------- resolver ---- */

/* libunbound's messages go to our log; while this thread builds a
 * resolver, its first error is kept here for the caller's err. */
static pthread_once_t unbound_log_once = PTHREAD_ONCE_INIT;
static FILE *unbound_log;
static _Thread_local char *unbound_note;
static _Thread_local size_t unbound_note_size;

/* libunbound's message types and the levels we log them at. */
static const struct {
	const char *prefix;
	enum log_level level;
} unbound_levels[] = {
	{ "error: ", LOG_LEVEL_ERROR }, { "warning: ", LOG_LEVEL_WARNING },
	{ "notice: ", LOG_LEVEL_INFO }, { "info: ", LOG_LEVEL_INFO },
	{ "debug: ", LOG_LEVEL_DEBUG },
};

/* A line from libunbound ("[TIME] libunbound[PID:TID] error: text"). */
static ssize_t
unbound_log_write(void *cookie, const char *data, size_t size)
{
	const char *msg = data, *end = data + size, *p;
	enum log_level level = LOG_LEVEL_WARNING;
	int len;

	(void)cookie;
	/* Skip the two bracketed prefixes; our log has its own. */
	for (int i = 0; i < 2 && (p = memchr(msg, ']', (size_t)(end - msg)))
	    != NULL; i++)
		msg = p + 1 < end && p[1] == ' ' ? p + 2 : p + 1;
	for (size_t i = 0; i < sizeof(unbound_levels) /
	    sizeof(unbound_levels[0]); i++) {
		size_t plen = strlen(unbound_levels[i].prefix);

		if ((size_t)(end - msg) >= plen &&
		    memcmp(msg, unbound_levels[i].prefix, plen) == 0) {
			level = unbound_levels[i].level;
			msg += plen;
			break;
		}
	}
	/* The data is not a string: the line ends at a newline or at end. */
	p = memchr(msg, '\n', (size_t)(end - msg));
	len = (int)((p != NULL ? p : end) - msg);
	log_msg(level, "dns: libunbound: %.*s", len, msg);
	if (unbound_note != NULL && unbound_note[0] == '\0')
		snprintf(unbound_note, unbound_note_size, "%.*s", len, msg);
	return (ssize_t)size;
}

/* Once per process: the stream libunbound writes its messages to. */
static void
unbound_log_init(void)
{
	cookie_io_functions_t io = { .write = unbound_log_write };

	unbound_log = fopencookie(NULL, "w", io);
	/* libunbound does not flush: a line must reach us as it is done. */
	if (unbound_log != NULL)
		setvbuf(unbound_log, NULL, _IOLBF, 0);
}

/* Set one libunbound option, or fill err. */
static bool
unbound_option(struct ub_ctx *ctx, const char *opt, const char *val, char *err,
    size_t errlen)
{
	int rc = ub_ctx_set_option(ctx, opt, val);

	if (rc != 0)
		snprintf(err, errlen, "libunbound option %s %s: %s", opt, val,
		    ub_strerror(rc));
	return rc == 0;
}

/* Set a numeric libunbound option. */
static bool
unbound_number_option(struct ub_ctx *ctx, const char *opt, uint64_t value,
    char *err, size_t errlen)
{
	char val[32];

	snprintf(val, sizeof(val), "%llu", (unsigned long long)value);
	return unbound_option(ctx, opt, val, err, errlen);
}

/* libunbound's least retransmit timeout for a lookup timeout: it gives
 * up on a silent server after some 38 times this (five tries of two sends,
 * doubling), so an eighth keeps its SERVFAIL well behind our timeout. */
static uint64_t
min_rtt_ms(uint64_t timeout_ms)
{
	uint64_t rtt = timeout_ms / 8;

	return rtt < MIN_RTT_FLOOR_MS ? MIN_RTT_FLOOR_MS :
	    rtt > MIN_RTT_CEILING_MS ? MIN_RTT_CEILING_MS : rtt;
}

/* libunbound's caches and the part of cache_size each gets. */
static const struct {
	const char *option;
	unsigned divisor;
} unbound_caches[] = {
	{ "msg-cache-size:", 4 }, { "rrset-cache-size:", 4 },
	{ "key-cache-size:", 8 }, { "neg-cache-size:", 8 },
};

/* Configure ctx from settings; false with err filled. */
static bool
unbound_configure(struct ub_ctx *ctx, const struct dns_settings *settings,
    char *err, size_t errlen)
{
	int rc;

	for (size_t i = 0; i < sizeof(unbound_caches) /
	    sizeof(unbound_caches[0]); i++)
		if (!unbound_number_option(ctx, unbound_caches[i].option,
		    settings->cache_size / unbound_caches[i].divisor, err,
		    errlen))
			return false;
	/* Our wait, not libunbound's, must end a lookup at a silent server;
	 * see DESIGN. Private-address reverse zones go to the servers too. */
	if (!unbound_number_option(ctx, "infra-cache-min-rtt:",
	    min_rtt_ms(settings->timeout_ms), err, errlen) ||
	    !unbound_option(ctx, "unblock-lan-zones:", "yes", err, errlen) ||
	    !unbound_option(ctx, "insecure-lan-zones:", "yes", err, errlen))
		return false;
	for (size_t i = 0; i < settings->n_servers; i++) {
		if ((rc = ub_ctx_set_fwd(ctx, settings->servers[i])) != 0) {
			snprintf(err, errlen, "dns server '%s': %s",
			    settings->servers[i], ub_strerror(rc));
			return false;
		}
	}
	if (settings->n_servers > 0) {
		/* Servers are named on purpose, loopback ones included. */
		if (!unbound_option(ctx, "do-not-query-localhost:", "no", err,
		    errlen))
			return false;
	} else if ((rc = ub_ctx_resolvconf(ctx, NULL)) != 0) {
		snprintf(err, errlen, "reading /etc/resolv.conf: %s",
		    ub_strerror(rc));
		return false;
	}
	if (settings->trust_anchor_file != NULL &&
	    settings->trust_anchor_file[0] != '\0' &&
	    (rc = ub_ctx_add_ta_file(ctx, settings->trust_anchor_file)) != 0) {
		snprintf(err, errlen, "trust anchor file %s: %s",
		    settings->trust_anchor_file, ub_strerror(rc));
		return false;
	}
	if ((rc = ub_ctx_async(ctx, 1)) != 0) {
		snprintf(err, errlen, "libunbound threads: %s",
		    ub_strerror(rc));
		return false;
	}
	/* libunbound reads the trust anchors (and applies the rest) when
	 * the context is finalized. Removing a local zone finalizes it, and
	 * there is no root local zone to remove. */
	if ((rc = ub_ctx_zone_remove(ctx, ".")) != 0) {
		snprintf(err, errlen, "libunbound: %s",
		    unbound_note != NULL && unbound_note[0] != '\0' ?
		    unbound_note : ub_strerror(rc));
		return false;
	}
	return true;
}

struct dns_resolver *
dns_resolver_new(const struct dns_settings *settings, char *err,
    size_t errlen)
{
	struct dns_resolver *r;
	struct ub_ctx *ctx;
	char note[256] = "";
	bool configured;

	dns_register_metrics();
	pthread_once(&unbound_log_once, unbound_log_init);
	if ((ctx = ub_ctx_create()) == NULL) {
		snprintf(err, errlen, "libunbound: cannot create a context");
		return NULL;
	}
	if (unbound_log != NULL)
		ub_ctx_debugout(ctx, unbound_log);
	unbound_note = note;
	unbound_note_size = sizeof(note);
	configured = unbound_configure(ctx, settings, err, errlen);
	unbound_note = NULL;
	if (!configured) {
		ub_ctx_delete(ctx);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->ctx = ctx;
	r->timeout_ms = settings->timeout_ms;
	atomic_init(&r->refs, 1);
	pthread_condattr_init(&r->condattr);
	pthread_condattr_setclock(&r->condattr, CLOCK_MONOTONIC);
	r->cache = dns_cache_new(settings->cache_size / 4, m_entries);
	if (pipe(r->wake) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (!dispatcher_start(r, err, errlen)) {
		close(r->wake[0]);
		close(r->wake[1]);
		goto fail;
	}
	return r;
fail:
	dns_cache_free(&r->cache);
	pthread_condattr_destroy(&r->condattr);
	ub_ctx_delete(ctx);
	free(r);
	return NULL;
}

void
dns_resolver_ref(struct dns_resolver *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void
dns_resolver_unref(struct dns_resolver **r_p)
{
	struct dns_resolver *r = *r_p;

	if (r == NULL)
		return;
	*r_p = NULL;
	if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* Stop the dispatcher before the context it polls goes away. */
	while (write(r->wake[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(r->dispatcher, NULL);
	close(r->wake[0]);
	close(r->wake[1]);
	ub_ctx_delete(r->ctx);
	dns_cache_free(&r->cache);
	pthread_condattr_destroy(&r->condattr);
	free(r);
}

/* Ask libunbound and wait; the answer, or a TIMEOUT/ERROR one. */
static const struct dns_answer *
lookup_unbound(struct dns_resolver *r, const char *escaped, const char *key,
    enum dns_type type)
{
	struct waiter *w = waiter_new(&r->condattr);
	struct timespec start;
	const struct dns_answer *a;
	struct ub_result *result;
	int id, rc, err;

	clock_gettime(CLOCK_MONOTONIC, &start);
	rc = ub_resolve_async(r->ctx, escaped, (int)type, DNS_CLASS_IN, w,
	    waiter_callback, &id);
	if (rc != 0) {
		log_warning("dns: cannot ask for %s: %s", key, ub_strerror(rc));
		waiter_unref(w); /* the callback's: it will not come */
		waiter_unref(w);
		return dns_answer_status(DNS_ERROR, type);
	}
	pthread_mutex_lock(&w->lock);
	if (!waiter_wait(w, &start, r->timeout_ms)) {
		pthread_mutex_unlock(&w->lock);
		/* Success means libunbound will never call back; otherwise
		 * the callback is under way and brings its own unref. */
		if (ub_cancel(r->ctx, id) == 0)
			waiter_unref(w);
		pthread_mutex_lock(&w->lock);
	}
	if (!w->done) {
		pthread_mutex_unlock(&w->lock);
		waiter_unref(w);
		metrics_add(m_timeouts, 0, 1);
		return dns_answer_status(DNS_TIMEOUT, type);
	}
	result = w->result;
	w->result = NULL;
	err = w->err;
	pthread_mutex_unlock(&w->lock);
	waiter_unref(w);
	if (err != 0 || result == NULL) {
		log_warning("dns: looking up %s: %s", key, ub_strerror(err));
		ub_resolve_free(result);
		return dns_answer_status(DNS_ERROR, type);
	}
	a = answer_from_result(result, type, key);
	ub_resolve_free(result);
	if (a->status == DNS_SERVFAIL)
		metrics_add(m_servfails, 0, 1);
	return a;
}

const struct dns_answer *
dns_lookup(struct dns_resolver *r, const char *name, enum dns_type type)
{
	char key[DNS_QUERY_NAME_MAX], escaped[DNS_QUERY_NAME_MAX];
	const struct dns_answer *a;

	if (!dns_query_name(name, key, escaped))
		return dns_answer_status(DNS_BADNAME, type);
	if (r == NULL)
		return dns_answer_status(DNS_ERROR, type);
	metrics_add(m_queries, query_type_label(type), 1);
	if ((a = dns_cache_get(r->cache, key, type)) != NULL) {
		metrics_add(m_hits, 0, 1);
		return a;
	}
	a = lookup_unbound(r, escaped, key, type);
	dns_cache_put(r->cache, key, type, a);
	return a;
}
