/*
 * check.c - `mxward check`: validate a policy without starting anything
 *
 * Loads the policy with every section exactly as the daemon would (same
 * loader, same init hooks) and reports each error as FILE:LINE: reason.
 * A policy that loads is then inspected further by the checks that can
 * (DKIM signing keys against their DNS records), one line per finding;
 * a finding that would break mail makes the exit status 1.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "engine/engine.h"

/* Print one inspection finding as a line. */
static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int
cli_check(const char *policy_path)
{
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = engine_load_policy(policy_path, errs);
	int status = conf == NULL ? 1 : 0;

	for (size_t i = 0; i < conf_errors_count(errs); i++)
		fprintf(stderr, "%s\n", conf_errors_get(errs, i));
	if (conf != NULL && !engine_inspect(conf, say))
		status = 1;
	if (status == 0)
		printf("%s: policy OK\n", policy_path);
	conf_free(&conf);
	conf_errors_free(&errs);
	return status;
}
