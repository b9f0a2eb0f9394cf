/*
 * check.c - `mxward check`: validate a policy without starting anything
 *
 * Loads the policy with every section exactly as the daemon would (same
 * loader, same init hooks) and reports each error as FILE:LINE: reason.
 */
#include "config.h"

#include <stdio.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "engine/engine.h"

int
cli_check(const char *policy_path)
{
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = engine_load_policy(policy_path, errs);
	int status = conf == NULL ? 1 : 0;

	for (size_t i = 0; i < conf_errors_count(errs); i++)
		fprintf(stderr, "%s\n", conf_errors_get(errs, i));
	if (conf != NULL)
		printf("%s: policy OK\n", policy_path);
	conf_free(&conf);
	conf_errors_free(&errs);
	return status;
}
