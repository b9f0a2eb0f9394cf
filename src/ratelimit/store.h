/*
 * store.h - the embedded rate-limit store: key -> bucket, in process
 *
 * rl_store_new(max_keys) makes a store holding at most max_keys keys
 * (at least 1); rl_store_free() frees it and clears the pointer.
 * rl_store_set_max() changes the bound of a store in use (a policy
 * reload): the shards stay as they were made, each holding at least one
 * key, and a smaller bound is reached as keys are added.
 * rl_store_take() and rl_store_refund() apply rl_bucket_take() and
 * rl_bucket_refund() (bucket.h) to the bucket of key under limit;
 * rl_store_expire() drops idle keys; rl_store_count() counts keys.
 *
 * Keys are NUL-terminated strings of which only the first RL_KEY_MAX
 * bytes count. The table is split in up to 64 shards (of 16 keys at
 * least: a store of fewer than 32 keys is one shard) by a keyed hash;
 * each shard is a mutex, a chained hash table and an LRU list, and holds
 * at most max_keys / shards keys, so the LRU order is per shard. A full
 * shard first drops its least recently used key: when that key is idle
 * (bucket.h) no answer changes; otherwise that key starts afresh, the
 * price of bounded memory.
 * Idle keys are also dropped lazily (a few from the LRU end on every
 * insertion) and by rl_store_expire(). A refund for an unknown key does
 * nothing (its bucket is empty already).
 *
 * SECURITY
 *	Keys come from mail (addresses, client IPs): the hash is SipHash-2-4
 *	under a per-process random key, so no one can aim many keys at one
 *	chain; the memory bound holds whatever the keys.
 *
 * THREAD SAFETY
 *	All functions but rl_store_free() may be called from any thread at
 *	once; each holds one shard's lock for one table operation only.
 */
#ifndef MXWARD_RATELIMIT_STORE_H
#define MXWARD_RATELIMIT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratelimit/bucket.h"

#define RL_KEY_MAX 512

struct rl_store;

struct rl_store *rl_store_new(size_t max_keys);
void rl_store_free(struct rl_store **store_p);
void rl_store_set_max(struct rl_store *store, size_t max_keys);

bool rl_store_take(struct rl_store *store, const struct rl_limit *limit,
    const char *key, uint64_t now, uint64_t cost, uint64_t *retry_after_r);
void rl_store_refund(struct rl_store *store, const struct rl_limit *limit,
    const char *key, uint64_t now, uint64_t cost);
/* Drop idle keys, examining at most budget keys; returns how many went. */
size_t rl_store_expire(struct rl_store *store, uint64_t now, size_t budget);
size_t rl_store_count(struct rl_store *store);

#endif
