/*
 * log.c - the daemon's log: syslog facility mail, or stderr in the foreground
 *
 * The destination and level are set at start-up (log_open) and the level may
 * change on reload; both are read atomically so any thread may log. Each
 * stderr line is written with one write(2) so lines from threads never mix.
 */
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static atomic_bool log_to_stderr = true;
static atomic_int log_threshold = LOG_LEVEL_INFO;
static const char *log_ident = "mxward";

static const int syslog_priority[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARNING] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

static const char *const level_name[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_open(const char *ident, bool to_stderr, enum log_level level)
{
	log_ident = ident;
	atomic_store(&log_to_stderr, to_stderr);
	atomic_store(&log_threshold, level);
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(enum log_level level)
{
	atomic_store(&log_threshold, level);
}

/* Format one line and hand it to the chosen destination. */
static void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n;

	if ((int)level > atomic_load(&log_threshold))
		return;
	if (!atomic_load(&log_to_stderr)) {
		vsnprintf(line, sizeof(line), fmt, ap);
		syslog(syslog_priority[level], "%s", line);
		return;
	}
	n = snprintf(line, sizeof(line), "%s[%ld]: %s: ", log_ident,
	    (long)getpid(), level_name[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	n = (int)strlen(line);
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line keeps concurrent lines whole. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

bool
log_due(_Atomic int64_t *last)
{
	int64_t now = (int64_t)time(NULL), then = atomic_load(last);

	return now - then >= LOG_REPEAT_SECONDS &&
	    atomic_compare_exchange_strong(last, &then, now);
}
