/*
 * stats.h - the engine's metrics
 *
 * engine_stats_init() registers, once per process and before the threads
 * that update them, the families mxward_messages_total{action},
 * mxward_check_duration_seconds{check} and mxward_check_errors_total{check}.
 * The update functions are lock-free and may be called from any thread.
 */
#ifndef MXWARD_ENGINE_STATS_H
#define MXWARD_ENGINE_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "checks/check.h"

void engine_stats_init(void);
void engine_stats_message(enum check_action action);
void engine_stats_check(size_t check_index, double seconds, bool error);

#endif
