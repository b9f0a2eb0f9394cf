/*
 * store.c - sharded, bounded key -> bucket table; see store.h
 *
 * Each shard: a power-of-two array of chains (grown to keep at most one
 * key per chain on average) and a doubly linked LRU list, most recent
 * first, both intrusive in the entry. The shard is chosen by the top
 * bits of the hash, the chain by the low bits.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/siphash.h"
#include "core/xalloc.h"
#include "ratelimit/store.h"

#define SHARDS_MAX 64
#define CHAINS_MIN 16
#define SHARD_KEYS_MIN 16
#define LAZY_EXPIRE 2  /* idle keys dropped per insertion, from the LRU end */

struct rl_entry {
	struct rl_entry *chain;            /* next in the hash chain */
	struct rl_entry *newer, *older;    /* LRU list */
	uint64_t hash;
	uint64_t tat;
	size_t key_len;
	char key[];
};

struct rl_shard {
	pthread_mutex_t lock;
	struct rl_entry **chains;
	size_t chains_n;                   /* a power of two */
	size_t n, max;
	struct rl_entry *newest, *oldest;
};

struct rl_store {
	struct rl_shard *shards;
	unsigned shards_n;                 /* a power of two */
	unsigned shift;                    /* hash >> shift picks the shard */
	atomic_uint expire_next;           /* shard the next sweep starts at */
	uint64_t key[2];
};

struct rl_store *
rl_store_new(size_t max_keys)
{
	struct rl_store *store = xcalloc(1, sizeof(*store));
	unsigned bits = 0;

	if (max_keys == 0)
		max_keys = 1;
	/* Shards of at least SHARD_KEYS_MIN keys: a small store is one
	 * shard, with one exact LRU order. */
	while ((1u << (bits + 1)) <= SHARDS_MAX &&
	    (size_t)(1u << (bits + 1)) * SHARD_KEYS_MIN <= max_keys)
		bits++;
	store->shards_n = 1u << bits;
	store->shift = 64 - bits;
	store->shards = xcalloc(store->shards_n, sizeof(*store->shards));
	for (unsigned i = 0; i < store->shards_n; i++) {
		struct rl_shard *sh = &store->shards[i];

		pthread_mutex_init(&sh->lock, NULL);
		sh->max = max_keys / store->shards_n;
		sh->chains_n = CHAINS_MIN;
		sh->chains = xcalloc(sh->chains_n, sizeof(*sh->chains));
	}
	atomic_init(&store->expire_next, 0);
	if (!siphash_key_random(store->key))
		log_warning("ratelimit: getrandom failed; hash key from the "
		    "clock");
	return store;
}

void
rl_store_set_max(struct rl_store *store, size_t max_keys)
{
	size_t per_shard = max_keys / store->shards_n;

	for (unsigned i = 0; i < store->shards_n; i++) {
		struct rl_shard *sh = &store->shards[i];

		pthread_mutex_lock(&sh->lock);
		sh->max = per_shard > 0 ? per_shard : 1;
		pthread_mutex_unlock(&sh->lock);
	}
}

void
rl_store_free(struct rl_store **store_p)
{
	struct rl_store *store = *store_p;

	if (store == NULL)
		return;
	for (unsigned i = 0; i < store->shards_n; i++) {
		struct rl_shard *sh = &store->shards[i];
		struct rl_entry *e, *next;

		for (e = sh->newest; e != NULL; e = next) {
			next = e->older;
			free(e);
		}
		free(sh->chains);
		pthread_mutex_destroy(&sh->lock);
	}
	free(store->shards);
	free(store);
	*store_p = NULL;
}

/* Unlink e from the LRU list. */
static void
lru_unlink(struct rl_shard *sh, struct rl_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		sh->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		sh->oldest = e->newer;
	e->newer = e->older = NULL;
}

/* Make e the most recently used. */
static void
lru_push(struct rl_shard *sh, struct rl_entry *e)
{
	e->older = sh->newest;
	e->newer = NULL;
	if (sh->newest != NULL)
		sh->newest->newer = e;
	else
		sh->oldest = e;
	sh->newest = e;
}

/* The link that points at the entry for (hash, key), or at the NULL
 * ending its chain. */
static struct rl_entry **
shard_link(struct rl_shard *sh, uint64_t hash, const char *key, size_t len)
{
	struct rl_entry **link = &sh->chains[hash & (sh->chains_n - 1)];

	while (*link != NULL && ((*link)->hash != hash ||
	    (*link)->key_len != len || memcmp((*link)->key, key, len) != 0))
		link = &(*link)->chain;
	return link;
}

/* Remove e from the shard and free it. */
static void
shard_drop(struct rl_shard *sh, struct rl_entry *e)
{
	struct rl_entry **link = shard_link(sh, e->hash, e->key, e->key_len);

	*link = e->chain;
	lru_unlink(sh, e);
	sh->n--;
	free(e);
}

/* Double the chains array once the keys outnumber the chains. */
static void
shard_grow(struct rl_shard *sh)
{
	size_t n = sh->chains_n * 2;
	struct rl_entry **chains = xcalloc(n, sizeof(*chains));

	for (size_t i = 0; i < sh->chains_n; i++) {
		struct rl_entry *e, *next;

		for (e = sh->chains[i]; e != NULL; e = next) {
			next = e->chain;
			e->chain = chains[e->hash & (n - 1)];
			chains[e->hash & (n - 1)] = e;
		}
	}
	free(sh->chains);
	sh->chains = chains;
	sh->chains_n = n;
}

/* Make room for one key: idle keys from the LRU end, then, if still
 * full, the least recently used key whatever its state. */
static void
shard_make_room(struct rl_shard *sh, uint64_t now)
{
	for (int i = 0; i < LAZY_EXPIRE && sh->oldest != NULL &&
	    rl_bucket_idle_until(sh->oldest->tat) <= now; i++)
		shard_drop(sh, sh->oldest);
	while (sh->n >= sh->max && sh->oldest != NULL)
		shard_drop(sh, sh->oldest);
}

/* The entry for key in its shard, created (fresh) when absent if create;
 * called with the shard locked. */
static struct rl_entry *
shard_find(struct rl_shard *sh, uint64_t hash, const char *key, size_t len,
    uint64_t now, bool create)
{
	struct rl_entry **link = shard_link(sh, hash, key, len);
	struct rl_entry *e = *link;

	if (e != NULL) {
		lru_unlink(sh, e);
		lru_push(sh, e);
		return e;
	}
	if (!create)
		return NULL;
	shard_make_room(sh, now);
	if (sh->n >= sh->chains_n)
		shard_grow(sh);
	e = xcalloc(1, sizeof(*e) + len);
	e->hash = hash;
	e->key_len = len;
	memcpy(e->key, key, len);
	/* Room was made: the link found above may have moved. */
	link = shard_link(sh, hash, key, len);
	*link = e;
	lru_push(sh, e);
	sh->n++;
	return e;
}

/* The shard of key, locked; its hash and length in *hash_r, *len_r. */
static struct rl_shard *
shard_lock(struct rl_store *store, const char *key, uint64_t *hash_r,
    size_t *len_r)
{
	struct rl_shard *sh;

	*len_r = strnlen(key, RL_KEY_MAX);
	*hash_r = siphash24(store->key, key, *len_r);
	sh = &store->shards[store->shards_n == 1 ? 0 : *hash_r >> store->shift];
	pthread_mutex_lock(&sh->lock);
	return sh;
}

bool
rl_store_take(struct rl_store *store, const struct rl_limit *limit,
    const char *key, uint64_t now, uint64_t cost, uint64_t *retry_after_r)
{
	uint64_t hash;
	size_t len;
	struct rl_shard *sh = shard_lock(store, key, &hash, &len);
	struct rl_entry *e = shard_find(sh, hash, key, len, now, true);
	bool allowed = rl_bucket_take(limit, &e->tat, now, cost, retry_after_r);

	pthread_mutex_unlock(&sh->lock);
	return allowed;
}

void
rl_store_refund(struct rl_store *store, const struct rl_limit *limit,
    const char *key, uint64_t now, uint64_t cost)
{
	uint64_t hash;
	size_t len;
	struct rl_shard *sh = shard_lock(store, key, &hash, &len);
	struct rl_entry *e = shard_find(sh, hash, key, len, now, false);

	if (e != NULL)
		rl_bucket_refund(limit, &e->tat, now, cost);
	pthread_mutex_unlock(&sh->lock);
}

size_t
rl_store_expire(struct rl_store *store, uint64_t now, size_t budget)
{
	unsigned start = atomic_fetch_add(&store->expire_next, 1);
	size_t dropped = 0;

	/* Every shard, from a rotating start, oldest keys first; budget
	 * bounds the keys examined in all. */
	for (unsigned i = 0; i < store->shards_n && budget > 0; i++) {
		struct rl_shard *sh =
		    &store->shards[(start + i) & (store->shards_n - 1)];
		struct rl_entry *e, *newer;

		pthread_mutex_lock(&sh->lock);
		for (e = sh->oldest; e != NULL && budget > 0; e = newer) {
			newer = e->newer;
			budget--;
			if (rl_bucket_idle_until(e->tat) <= now) {
				shard_drop(sh, e);
				dropped++;
			}
		}
		pthread_mutex_unlock(&sh->lock);
	}
	return dropped;
}

size_t
rl_store_count(struct rl_store *store)
{
	size_t n = 0;

	for (unsigned i = 0; i < store->shards_n; i++) {
		pthread_mutex_lock(&store->shards[i].lock);
		n += store->shards[i].n;
		pthread_mutex_unlock(&store->shards[i].lock);
	}
	return n;
}
