/*
 * snapshot.c - the published policy snapshot and its reference counts
 *
 * conf_publish() makes a loaded conf the current snapshot (taking over the
 * caller's reference) and drops the publisher's reference on the previous
 * one; conf_publish(NULL) withdraws the current snapshot (at shutdown).
 * conf_acquire() returns the current snapshot with a reference held, or
 * NULL before the first publish; conf_release(&conf) drops one and clears
 * the caller's pointer. The last release runs each section's fini hook and
 * frees the arena (conf_free()).
 *
 * Contract: a conf from conf_load() starts with one reference, its
 * owner's; conf_release() on it instead of conf_free() is also correct.
 * Thread safety: all three functions may be called from any thread. A
 * mutex guards only the pointer and the increment that pins it, for a few
 * instructions: never across I/O or a fini hook. The counts are atomic, so
 * releases take no lock. A snapshot must not be changed once published.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "conf/conf.h"

static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conf *snapshot_current;

void
conf_publish(struct conf *conf)
{
	struct conf *old;

	pthread_mutex_lock(&snapshot_lock);
	old = snapshot_current;
	snapshot_current = conf;
	pthread_mutex_unlock(&snapshot_lock);
	/* Outside the lock: this may be the last reference, and fini hooks
	 * may take their time. */
	conf_release(&old);
}

struct conf *
conf_acquire(void)
{
	struct conf *conf;

	/* The increment happens under the lock so a concurrent publish cannot
	 * drop the last reference between the load and the increment. */
	pthread_mutex_lock(&snapshot_lock);
	conf = snapshot_current;
	if (conf != NULL)
		atomic_fetch_add_explicit(&conf->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&snapshot_lock);
	return conf;
}

void
conf_release(struct conf **conf_p)
{
	struct conf *conf = *conf_p;

	if (conf == NULL)
		return;
	*conf_p = NULL;
	/* acq_rel: every user's accesses happen before the free. */
	if (atomic_fetch_sub_explicit(&conf->refs, 1,
	    memory_order_acq_rel) == 1)
		conf_free(&conf);
}
