/*
 * cache.c - DNS answers and the resolver's answer cache; see cache.h
 *
 * PUBLIC FUNCTIONS
 *	dns_answer_new(), dns_answer_status(), dns_answer_ref() and
 *	dns_answer_free() make and share answers; dns_status_name() names a
 *	status. dns_cache_new(), dns_cache_free(), dns_cache_get() and
 *	dns_cache_put() keep answers for their time to live.
 *
 * DESIGN
 *	An answer is one allocation: a small head (the reference count and
 *	the allocation's size, which the cache charges to its budget), the
 *	struct dns_answer with its rr[], then the canonical name and the
 *	record data the rr[] point into. Nothing in it changes after it is
 *	handed out, so readers need no lock; the count is atomic.
 *
 *	The cache is CACHE_SHARDS shards, each a hash table with chains, a
 *	list in insertion order for eviction, a mutex and an equal part of
 *	the budget. The shard and the bucket come from one 64-bit hash of
 *	key and type under a random seed per cache, so names chosen by a
 *	remote sender cannot be aimed at one chain. Expired entries go when
 *	a lookup meets them or when eviction reaches them, oldest first.
 *	Tables double when chains average two entries.
 *
 * THREAD SAFETY
 *	A shard's lock covers a walk of one chain, never anything slow; an
 *	answer dropped by the cache is freed under the lock only when the
 *	cache held its last reference.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/xalloc.h"
#include "dns/cache.h"
#include "metrics/metrics.h"

#define CACHE_SHARDS 16
#define CACHE_BUCKETS_INITIAL 64

/* ---------------------------------------------------------- answers ---- */

/* Kept in front of every answer, in the same allocation. */
struct answer_head {
	atomic_uint refs;
	size_t bytes; /* the whole allocation */
};
#define ALIGN_UP(n, a) (((n) + (a) - 1) / (a) * (a))
#define HEAD_SIZE ALIGN_UP(sizeof(struct answer_head), _Alignof(max_align_t))

static struct answer_head *
answer_head(const struct dns_answer *a)
{
	return (struct answer_head *)(void *)((char *)(uintptr_t)a - HEAD_SIZE);
}

struct dns_answer *
dns_answer_new(size_t count, size_t extra, unsigned char **extra_r)
{
	size_t body = sizeof(struct dns_answer) +
	    count * sizeof(struct dns_rdata);
	size_t bytes = HEAD_SIZE + body + extra;
	char *block = xcalloc(1, bytes);
	struct answer_head *head = (struct answer_head *)(void *)block;

	atomic_init(&head->refs, 1);
	head->bytes = bytes;
	*extra_r = (unsigned char *)block + HEAD_SIZE + body;
	return (struct dns_answer *)(void *)(block + HEAD_SIZE);
}

const struct dns_answer *
dns_answer_status(enum dns_status status, enum dns_type type)
{
	unsigned char *extra;
	struct dns_answer *a = dns_answer_new(0, 0, &extra);

	a->status = status;
	a->type = type;
	return a;
}

const struct dns_answer *
dns_answer_ref(const struct dns_answer *a)
{
	atomic_fetch_add_explicit(&answer_head(a)->refs, 1,
	    memory_order_relaxed);
	return a;
}

void
dns_answer_free(const struct dns_answer **answer_p)
{
	const struct dns_answer *a = *answer_p;
	struct answer_head *head;

	if (a == NULL)
		return;
	*answer_p = NULL;
	head = answer_head(a);
	if (atomic_fetch_sub_explicit(&head->refs, 1,
	    memory_order_acq_rel) == 1)
		free(head);
}

static const char *const status_names[] = {
	[DNS_OK] = "ok", [DNS_NODATA] = "nodata", [DNS_NXDOMAIN] = "nxdomain",
	[DNS_SERVFAIL] = "servfail", [DNS_TIMEOUT] = "timeout",
	[DNS_BADNAME] = "badname", [DNS_ERROR] = "error",
};

const char *
dns_status_name(enum dns_status status)
{
	if ((size_t)status >= sizeof(status_names) / sizeof(status_names[0]))
		return "unknown";
	return status_names[status];
}

/* ------------------------------------------------------------ cache ---- */

struct cache_entry {
	struct cache_entry *hnext;          /* hash chain */
	struct cache_entry *older, *newer;  /* insertion order */
	uint64_t hash;
	uint64_t expires_ms;                /* CLOCK_MONOTONIC */
	const struct dns_answer *answer;    /* one reference */
	size_t bytes;                       /* entry + answer */
	enum dns_type type;
	char key[];
};

struct cache_shard {
	pthread_mutex_t lock;
	struct cache_entry **buckets;
	size_t n_buckets, n_entries;
	size_t bytes, budget;
	struct cache_entry *oldest, *newest;
};

struct dns_cache {
	uint64_t seed;
	struct metrics_family *entries; /* or NULL */
	struct cache_shard shards[CACHE_SHARDS];
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Hash of key and type under the cache's seed (multiply-xorshift per
 * byte, then a final mix). */
static uint64_t
cache_hash(const struct dns_cache *c, const char *key, enum dns_type type)
{
	uint64_t h = c->seed ^ ((uint64_t)type * 0x9e3779b97f4a7c15ULL);

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* The shard takes the low bits, the bucket the ones above. */
static struct cache_shard *
cache_shard(struct dns_cache *c, uint64_t hash)
{
	return &c->shards[hash % CACHE_SHARDS];
}

static struct cache_entry **
cache_bucket(struct cache_shard *s, uint64_t hash)
{
	return &s->buckets[(hash / CACHE_SHARDS) % s->n_buckets];
}

static void
gauge_add(struct dns_cache *c, int64_t delta)
{
	if (c->entries != NULL)
		metrics_add(c->entries, 0, delta);
}

/* Take e out of its shard (lock held) and drop its answer. */
static void
cache_remove(struct dns_cache *c, struct cache_shard *s,
    struct cache_entry *e)
{
	struct cache_entry **pp = cache_bucket(s, e->hash);

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		s->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		s->newest = e->older;
	s->n_entries--;
	s->bytes -= e->bytes;
	gauge_add(c, -1);
	dns_answer_free(&e->answer);
	free(e);
}

/* The entry for key/type in s (lock held), or NULL. */
static struct cache_entry *
cache_find(struct cache_shard *s, uint64_t hash, const char *key,
    enum dns_type type)
{
	struct cache_entry *e = *cache_bucket(s, hash);

	for (; e != NULL; e = e->hnext)
		if (e->hash == hash && e->type == type &&
		    strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

const struct dns_answer *
dns_cache_get(struct dns_cache *c, const char *key, enum dns_type type)
{
	uint64_t hash = cache_hash(c, key, type);
	struct cache_shard *s = cache_shard(c, hash);
	const struct dns_answer *a = NULL;
	struct cache_entry *e;

	pthread_mutex_lock(&s->lock);
	if ((e = cache_find(s, hash, key, type)) != NULL) {
		if (e->expires_ms > now_ms())
			a = dns_answer_ref(e->answer);
		else
			cache_remove(c, s, e);
	}
	pthread_mutex_unlock(&s->lock);
	return a;
}

/* Twice the buckets (lock held). */
static void
cache_grow(struct cache_shard *s)
{
	struct cache_entry **old = s->buckets;
	size_t n_old = s->n_buckets;

	s->n_buckets *= 2;
	s->buckets = xcalloc(s->n_buckets, sizeof(*s->buckets));
	for (size_t i = 0; i < n_old; i++) {
		struct cache_entry *e = old[i], *next;

		for (; e != NULL; e = next) {
			struct cache_entry **b = cache_bucket(s, e->hash);

			next = e->hnext;
			e->hnext = *b;
			*b = e;
		}
	}
	free(old);
}

/* How long an answer may be kept, in seconds (0: not at all). */
static uint32_t
cache_ttl(const struct dns_answer *a)
{
	switch (a->status) {
	case DNS_OK:
		return a->ttl;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		return a->ttl == 0 || a->ttl > DNS_CACHE_NEGATIVE_TTL ?
		    DNS_CACHE_NEGATIVE_TTL : a->ttl;
	default:
		return 0;
	}
}

void
dns_cache_put(struct dns_cache *c, const char *key, enum dns_type type,
    const struct dns_answer *a)
{
	uint64_t hash = cache_hash(c, key, type);
	struct cache_shard *s = cache_shard(c, hash);
	uint32_t ttl = cache_ttl(a);
	size_t klen = strlen(key);
	size_t bytes = sizeof(struct cache_entry) + klen + 1 +
	    answer_head(a)->bytes;
	struct cache_entry *e, *old, **b;

	if (ttl == 0 || bytes > s->budget)
		return;
	e = xmalloc(sizeof(*e) + klen + 1);
	memcpy(e->key, key, klen + 1);
	e->hash = hash;
	e->type = type;
	e->bytes = bytes;
	e->answer = dns_answer_ref(a);
	e->expires_ms = now_ms() + (uint64_t)ttl * 1000;
	pthread_mutex_lock(&s->lock);
	if ((old = cache_find(s, hash, key, type)) != NULL)
		cache_remove(c, s, old);
	while (s->bytes + bytes > s->budget && s->oldest != NULL)
		cache_remove(c, s, s->oldest);
	if (s->n_entries >= s->n_buckets * 2)
		cache_grow(s);
	b = cache_bucket(s, hash);
	e->hnext = *b;
	*b = e;
	e->newer = NULL;
	e->older = s->newest;
	if (s->newest != NULL)
		s->newest->newer = e;
	else
		s->oldest = e;
	s->newest = e;
	s->n_entries++;
	s->bytes += bytes;
	gauge_add(c, 1);
	pthread_mutex_unlock(&s->lock);
}

struct dns_cache *
dns_cache_new(uint64_t budget, struct metrics_family *entries)
{
	struct dns_cache *c = xcalloc(1, sizeof(*c));

	if (getrandom(&c->seed, sizeof(c->seed), 0) != sizeof(c->seed))
		c->seed = now_ms() ^ (uint64_t)(uintptr_t)c;
	c->entries = entries;
	for (size_t i = 0; i < CACHE_SHARDS; i++) {
		struct cache_shard *s = &c->shards[i];

		pthread_mutex_init(&s->lock, NULL);
		s->n_buckets = CACHE_BUCKETS_INITIAL;
		s->buckets = xcalloc(s->n_buckets, sizeof(*s->buckets));
		s->budget = budget / CACHE_SHARDS;
	}
	return c;
}

void
dns_cache_free(struct dns_cache **cache_p)
{
	struct dns_cache *c = *cache_p;

	if (c == NULL)
		return;
	*cache_p = NULL;
	for (size_t i = 0; i < CACHE_SHARDS; i++) {
		struct cache_shard *s = &c->shards[i];

		while (s->oldest != NULL)
			cache_remove(c, s, s->oldest);
		free(s->buckets);
		pthread_mutex_destroy(&s->lock);
	}
	free(c);
}
