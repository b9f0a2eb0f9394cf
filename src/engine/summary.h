/*
 * summary.h - the one log line per message
 *
 * engine_log_summary() writes, at info level, the queue id, client, HELO,
 * sender, recipients, action, score, symbols, the checks' facts
 * (virus=NAME) and elapsed time of one
 * message. Long recipient and symbol lists are cut with a count of what was
 * left out, so a line never exceeds the log's line limit.
 */
#ifndef MXWARD_ENGINE_SUMMARY_H
#define MXWARD_ENGINE_SUMMARY_H

#include <stddef.h>

#include "checks/check.h"

struct engine_summary {
	const struct check_txn *txn;
	const char *const *rcpts;
	size_t n_rcpts;
	size_t n_refused;
	enum check_action action;
	double score;
	const struct check_symbol *symbols[2];
	const struct check_report *reports[2]; /* for their facts */
	double elapsed_ms;
};

void engine_log_summary(const struct engine_summary *summary);

#endif
