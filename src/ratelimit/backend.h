/*
 * backend.h - where the rate-limit buckets live: in process or in Redis
 *
 * One backend per process, chosen by the policy: the embedded store
 * (store.h) or Redis (redis.h). rl_backend_configure() brings it in line
 * with the policy at start-up and after each reload:
 *	- the embedded store is made once and kept across reloads (a changed
 *	  max_keys is applied to it with rl_store_set_max()), so no bucket
 *	  forgets what it was charged;
 *	- a Redis handle is made again only when its address, prefix or
 *	  timeout changed (the buckets live in Redis and lose nothing);
 *	- switching between the two starts afresh on the other side.
 * rl_backend_apply() runs a batch of takes and refunds (struct rl_op):
 * embedded, each op on the store with this process's monotonic clock;
 * Redis, all ops in one round trip on the server's clock. False with err
 * when the store could not answer (Redis down or slow): the outcome is
 * unknown (after a timeout Redis may still have applied the batch), and
 * the caller's failure mode decides.
 * rl_backend_keys() is the embedded store's key count (0 on Redis: it
 * is not counted there, as that would need a scan).
 * rl_backend_stop() releases everything.
 *
 * THREAD SAFETY
 *	apply and keys may run on any thread at once; configure and stop
 *	(main thread) wait for the batches in flight (a writer-preferring
 *	rwlock, held by a batch for at most one Redis timeout), so no batch
 *	ever sees a backend freed under it.
 */
#ifndef MXWARD_RATELIMIT_BACKEND_H
#define MXWARD_RATELIMIT_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratelimit/redis.h"

struct rl_backend_config {
	const char *redis_address;  /* NULL or "": the embedded store */
	const char *redis_prefix;
	uint64_t redis_timeout_ms;
	size_t max_keys;            /* the embedded store's bound */
};

bool rl_backend_configure(const struct rl_backend_config *config,
    char *err, size_t errlen);
bool rl_backend_apply(struct rl_op *ops, size_t n, char *err,
    size_t errlen);
size_t rl_backend_keys(void);
void rl_backend_stop(void);

#endif
