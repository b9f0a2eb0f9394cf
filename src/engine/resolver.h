/*
 * resolver.h - the engine's current resolver (see resolver.c)
 *
 * engine_resolver_start() builds it from the policy's dns section,
 * engine_resolver_update() rebuilds it after a reload that changed that
 * section, engine_resolver_stop() drops it; engine_resolver_acquire()
 * returns it with a reference (or NULL before start) for a message to
 * use. engine_resolver_new() builds a private one (for `mxward check`).
 */
#ifndef MXWARD_ENGINE_RESOLVER_H
#define MXWARD_ENGINE_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

struct dns_resolver;

struct dns_resolver *engine_resolver_new(const struct conf *conf, char *err,
    size_t errlen);
bool engine_resolver_start(const struct conf *conf, char *err, size_t errlen);
void engine_resolver_update(const struct conf *conf);
void engine_resolver_stop(void);
struct dns_resolver *engine_resolver_acquire(void);

#endif
