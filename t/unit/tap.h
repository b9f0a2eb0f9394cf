/*
 * tap.h - a minimal Test Anything Protocol producer for unit tests
 *
 * plan(n), ok(cond, fmt, ...), is_str(got, want, name), is_int(got, want,
 * name), done() returning the exit status. Header-only; one test per
 * process, so the counters are plain statics.
 */
#ifndef MXWARD_TAP_H
#define MXWARD_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed;

static inline void
plan(int n)
{
	printf("1..%d\n", n);
}

static inline bool ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline bool
ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_run++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	/* Flushed per line: a test that forks must not print it twice. */
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

static inline bool
is_str(const char *got, const char *want, const char *name)
{
	bool same = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	if (!ok(same, "%s", name))
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
	return same;
}

static inline bool
is_int(long long got, long long want, const char *name)
{
	if (!ok(got == want, "%s", name))
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return got == want;
}

static inline int
done(void)
{
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
