/*
 * start.c - bring up and release what checks need beyond their policy
 *
 * Some checks hold resources outside the policy snapshot (the antivirus
 * engine), and all share the resolver. engine_start() builds the resolver
 * and calls the checks' start hooks with the current policy before the
 * first message, engine_update() follows each reload (a new resolver if
 * the dns section changed; starting checks the new policy enabled,
 * stopping those it disabled), and engine_stop() releases it all.
 * engine_inspect() runs the checks' inspect hooks for `mxward check`. Called from one thread (the daemon's main
 * thread, or a command), never concurrently with each other.
 */
#include "config.h"

#include <stdbool.h>

#include "conf/conf.h"
#include "core/log.h"
#include "engine/engine.h"
#include "dns/resolver.h"
#include "engine/policy.h"
#include "engine/resolver.h"

#define CHECKS_MAX 64

/* Which checks' start hooks have run and not been stopped. */
static bool started[CHECKS_MAX];

/* Start or update check i under conf; first: refuse on failure. */
static bool
start_one(const struct conf *conf, size_t i, bool first, char *err,
    size_t errlen)
{
	const struct check *c = checks_all[i];
	const struct check_common *common =
	    conf_section_values(conf, POLICY_CHECKS + i);

	if (c->start == NULL)
		return true;
	if (!common->enabled) {
		if (started[i] && c->stop != NULL)
			c->stop();
		started[i] = false;
		return true;
	}
	if (!c->start(common, first || !started[i], err, errlen))
		return false;
	started[i] = true;
	return true;
}

bool
engine_start(char *err, size_t errlen)
{
	struct conf *conf = conf_acquire();
	bool good = conf != NULL;

	if (checks_count > CHECKS_MAX)
		log_die("engine: %zu checks compiled in, at most %d", checks_count,
		    CHECKS_MAX);
	if (good)
		good = engine_resolver_start(conf, err, errlen);
	for (size_t i = 0; good && i < checks_count; i++)
		good = start_one(conf, i, true, err, errlen);
	conf_release(&conf);
	if (!good)
		engine_stop();
	return good;
}

void
engine_update(void)
{
	struct conf *conf = conf_acquire();
	char err[512];

	if (conf != NULL)
		engine_resolver_update(conf);
	for (size_t i = 0; conf != NULL && i < checks_count; i++)
		if (!start_one(conf, i, false, err, sizeof(err)))
			log_error("%s: %s (keeping what runs)",
			    checks_all[i]->name, err);
	conf_release(&conf);
}

void
engine_stop(void)
{
	for (size_t i = 0; i < checks_count; i++) {
		if (started[i] && checks_all[i]->stop != NULL)
			checks_all[i]->stop();
		started[i] = false;
	}
	engine_resolver_stop();
}

bool
engine_inspect(const struct conf *conf, void (*say)(const char *fmt, ...))
{
	struct dns_resolver *dns;
	char err[256];
	bool good = true;

	dns = engine_resolver_new(conf, err, sizeof(err));
	if (dns == NULL) {
		say("dns: %s", err);
		return false;
	}
	for (size_t i = 0; i < checks_count; i++) {
		const struct check_common *common =
		    conf_section_values(conf, POLICY_CHECKS + i);

		if (common->enabled && checks_all[i]->inspect != NULL &&
		    !checks_all[i]->inspect(common, dns, say))
			good = false;
	}
	dns_resolver_unref(&dns);
	return good;
}
