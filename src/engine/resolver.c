/*
 * resolver.c - the engine's current resolver, built from the policy
 *
 * engine_resolver_start() builds the one shared resolver from a policy's
 * dns section; engine_resolver_update() builds a new one after a reload
 * only when that section changed (so the cache survives ordinary
 * reloads) and publishes it, while lookups in flight finish on the old
 * one, which goes with its last reference. engine_resolver_acquire()
 * returns the current resolver with a reference the caller drops with
 * dns_resolver_unref(); it is NULL before start and after stop.
 *
 * start, update and stop run on one thread (the daemon's main thread or a
 * command); acquire is thread safe. The mutex guards the pointer only,
 * never a lookup.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "dns/resolver.h"
#include "engine/policy.h"
#include "engine/resolver.h"

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dns_resolver *current;
static char *current_key; /* the settings current was built from */

/* The dns section as one string, to tell whether a reload changed it. */
static char *
settings_key(const struct policy_dns *dns)
{
	size_t len = 64 + (dns->trust_anchor ? strlen(dns->trust_anchor) : 0);
	char *key, *p;

	for (size_t i = 0; i < dns->servers.n; i++)
		len += strlen(dns->servers.v[i]) + 1;
	key = xmalloc(len);
	p = key + sprintf(key, "%llu %llu %s|",
	    (unsigned long long)dns->timeout,
	    (unsigned long long)dns->cache_size,
	    dns->trust_anchor ? dns->trust_anchor : "");
	for (size_t i = 0; i < dns->servers.n; i++)
		p += sprintf(p, "%s ", dns->servers.v[i]);
	return key;
}

/* Build a resolver from a policy's dns section. */
static struct dns_resolver *
build(const struct policy_dns *dns, char *err, size_t errlen)
{
	struct dns_settings settings = {
		.servers = (const char *const *)dns->servers.v,
		.n_servers = dns->servers.n,
		.timeout_ms = dns->timeout,
		.trust_anchor_file = dns->trust_anchor,
		.cache_size = dns->cache_size,
	};

	return dns_resolver_new(&settings, err, errlen);
}

/* Make r (with its reference) current; the old one loses ours. */
static void
publish(struct dns_resolver *r, char *key)
{
	struct dns_resolver *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = r;
	pthread_mutex_unlock(&current_lock);
	free(current_key);
	current_key = key;
	if (old != NULL)
		dns_resolver_unref(&old);
}

struct dns_resolver *
engine_resolver_new(const struct conf *conf, char *err, size_t errlen)
{
	return build(policy_dns(conf), err, errlen);
}

bool
engine_resolver_start(const struct conf *conf, char *err, size_t errlen)
{
	struct dns_resolver *r = engine_resolver_new(conf, err, errlen);

	if (r == NULL)
		return false;
	dns_register_metrics();
	publish(r, settings_key(policy_dns(conf)));
	return true;
}

void
engine_resolver_update(const struct conf *conf)
{
	char *key = settings_key(policy_dns(conf));
	struct dns_resolver *r;
	char err[256];

	if (current_key != NULL && strcmp(key, current_key) == 0) {
		free(key);
		return;
	}
	r = engine_resolver_new(conf, err, sizeof(err));
	if (r == NULL) {
		log_error("dns: %s (keeping the resolver that runs)", err);
		free(key);
		return;
	}
	log_info("dns: resolver settings changed, new resolver in use");
	publish(r, key);
}

void
engine_resolver_stop(void)
{
	publish(NULL, NULL);
}

struct dns_resolver *
engine_resolver_acquire(void)
{
	struct dns_resolver *r;

	pthread_mutex_lock(&current_lock);
	r = current;
	if (r != NULL)
		dns_resolver_ref(r);
	pthread_mutex_unlock(&current_lock);
	return r;
}
