/*
 * stats.c - the engine's metrics; see stats.h
 *
 * Label values are the fixed action names and the compiled-in check names,
 * so every label set is bounded.
 */
#include "config.h"

#include <pthread.h>

#include "core/xalloc.h"
#include "engine/stats.h"
#include "metrics/metrics.h"

static struct metrics_family *messages, *durations, *errors;
/* Label values for the check families; they live as long as the process. */
static const char **check_names;

static const double duration_bounds[] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* Register the families; runs once. */
static void
stats_register(void)
{
	const char *actions[ACTION_COUNT];

	for (int a = 0; a < ACTION_COUNT; a++)
		actions[a] = conf_code_name(check_action_names, a);
	check_names = xcalloc(checks_count, sizeof(*check_names));
	for (size_t i = 0; i < checks_count; i++)
		check_names[i] = checks_all[i]->name;
	messages = metrics_counter_new("mxward_messages_total",
	    "Messages by the action taken.", "action", actions, ACTION_COUNT);
	durations = metrics_histogram_new("mxward_check_duration_seconds",
	    "Time spent in each check per message phase.", "check", check_names,
	    checks_count, duration_bounds,
	    sizeof(duration_bounds) / sizeof(duration_bounds[0]));
	errors = metrics_counter_new("mxward_check_errors_total",
	    "Times a check could not decide (its on_error applied).", "check",
	    check_names, checks_count);
}

void
engine_stats_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, stats_register);
}

void
engine_stats_message(enum check_action action)
{
	metrics_add(messages, (size_t)action, 1);
}

void
engine_stats_check(size_t check_index, double seconds, bool error)
{
	metrics_observe(durations, check_index, seconds);
	if (error)
		metrics_add(errors, check_index, 1);
}
