/*
 * cache.h - DNS answers and the resolver's answer cache (inside src/dns)
 *
 * dns_answer_new() allocates an answer, its records and extra bytes in
 * one block with one reference; dns_answer_ref() adds one and
 * dns_answer_free() (resolver.h) drops one. An answer must not change once
 * it is handed out.
 *
 * dns_cache_new() makes a cache of at most budget bytes (answers and
 * bookkeeping); dns_cache_get() returns a live answer with a reference for
 * the caller; dns_cache_put() keeps a reference to an answer for its
 * time to live (NXDOMAIN and NODATA for at most DNS_CACHE_NEGATIVE_TTL
 * seconds; failures never), evicting the oldest entries to make room.
 * Keys are names as dns_query_name() gives them (lowercase, no trailing
 * dot). The entries gauge, when given, follows the count of entries.
 * All functions are thread safe except dns_cache_free(), which needs the
 * cache unused.
 */
#ifndef MXWARD_DNS_CACHE_H
#define MXWARD_DNS_CACHE_H

#include <stdint.h>

#include "dns/resolver.h"

#define DNS_CACHE_NEGATIVE_TTL 60 /* seconds, at most and by default */

struct dns_cache;
struct metrics_family;

/* *extra_r gets extra bytes after rr[count]; all zeroed. */
struct dns_answer *dns_answer_new(size_t count, size_t extra,
    unsigned char **extra_r);
/* An answer with only a status and a type. */
const struct dns_answer *dns_answer_status(enum dns_status status,
    enum dns_type type);
const struct dns_answer *dns_answer_ref(const struct dns_answer *a);

struct dns_cache *dns_cache_new(uint64_t budget,
    struct metrics_family *entries);
void dns_cache_free(struct dns_cache **cache_p);
const struct dns_answer *dns_cache_get(struct dns_cache *cache,
    const char *key, enum dns_type type);
void dns_cache_put(struct dns_cache *cache, const char *key,
    enum dns_type type, const struct dns_answer *a);

#endif
