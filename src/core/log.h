/*
 * log.h - the daemon's log: syslog facility mail, or stderr in the foreground
 *
 * log_open() chooses the destination once at start-up; afterwards
 * log_error(), log_warning(), log_info() and log_debug() may be called from
 * any thread. Lines longer than LOG_LINE_MAX are truncated, never split.
 * log_die() logs and exits with status 1 (start-up errors only).
 * log_due() keeps a repeated warning to one line a minute.
 */
#ifndef MXWARD_CORE_LOG_H
#define MXWARD_CORE_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define LOG_LINE_MAX 4096

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_open(const char *ident, bool to_stderr, enum log_level level);
void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
#define LOG_REPEAT_SECONDS 60
/* True for one caller at most every LOG_REPEAT_SECONDS; *last (zero at
 * first) holds the time of the last true answer. */
bool log_due(_Atomic int64_t *last);

#define log_error(...)   log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
