/*
 * errors.c - the list of "FILE:LINE: reason" lines a policy load produced
 *
 * conf_errors_new() / conf_errors_free(&errs); conf_errors_add() appends one
 * formatted line; conf_errors_here() appends one at the location set with
 * conf_errors_set_here() (the section or table entry an init hook is
 * validating); conf_errors_count() and conf_errors_get() read them back
 * in order.
 * conf_excerpt() prepares admin text for quoting in a line.
 *
 * Contract: the list owns its strings; conf_errors_get() results live until
 * conf_errors_free(). At most CONF_ERRORS_MAX lines are kept; one more says
 * that the rest were dropped, so a broken file cannot make the list (or the
 * log) grow without bound. One list belongs to one load, on one thread.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/options.h"
#include "core/xalloc.h"

#define CONF_ERRORS_MAX 100
#define CONF_ERROR_LINE_MAX 1024

struct conf_errors {
	char **v;
	size_t n;
	size_t cap;
	bool dropped;        /* the "too many errors" line was written */
	char *here_file;     /* for conf_errors_here(); NULL: unset */
	unsigned here_line;
};

struct conf_errors *
conf_errors_new(void)
{
	return xcalloc(1, sizeof(struct conf_errors));
}

void
conf_errors_free(struct conf_errors **errs_p)
{
	struct conf_errors *errs = *errs_p;

	if (errs == NULL)
		return;
	for (size_t i = 0; i < errs->n; i++)
		free(errs->v[i]);
	free(errs->v);
	free(errs->here_file);
	free(errs);
	*errs_p = NULL;
}

/* Append one line made of file, line and an already formatted reason. */
static void
errors_append(struct conf_errors *errs, const char *file, unsigned line,
    const char *reason)
{
	if (errs->dropped)
		return;
	if (errs->n == errs->cap) {
		errs->cap = errs->cap ? errs->cap * 2 : 8;
		errs->v = xrealloc(errs->v, errs->cap * sizeof(*errs->v));
	}
	if (errs->n == CONF_ERRORS_MAX) {
		/* Keep the count honest but stop collecting. */
		errs->v[errs->n++] = xasprintf("%s:%u: too many errors, "
		    "only the first %d are shown", file, line, CONF_ERRORS_MAX);
		errs->dropped = true;
		return;
	}
	errs->v[errs->n++] = xasprintf("%s:%u: %s", file, line, reason);
}

void
conf_errors_add(struct conf_errors *errs, const char *file, unsigned line,
    const char *fmt, ...)
{
	char reason[CONF_ERROR_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	errors_append(errs, file, line, reason);
}

void
conf_errors_here(struct conf_errors *errs, const char *fmt, ...)
{
	char reason[CONF_ERROR_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	errors_append(errs, errs->here_file ? errs->here_file : "(policy)",
	    errs->here_line, reason);
}

void
conf_errors_set_here(struct conf_errors *errs, const char *file,
    unsigned line)
{
	free(errs->here_file);
	errs->here_file = file ? xstrdup(file) : NULL;
	errs->here_line = line;
}

size_t
conf_errors_count(const struct conf_errors *errs)
{
	return errs->n;
}

const char *
conf_errors_get(const struct conf_errors *errs, size_t i)
{
	return i < errs->n ? errs->v[i] : NULL;
}

const char *
conf_excerpt(const char *text, char *buf, size_t size)
{
	size_t limit = CONF_EXCERPT_MAX, n, i;
	bool cut = false;

	/* Room for "..." and the NUL; callers pass CONF_EXCERPT_MAX + 4. */
	if (limit > size - 4)
		limit = size - 4;
	n = strnlen(text, limit + 1);
	if (n > limit) {
		n = limit;
		/* Do not end inside a UTF-8 sequence. */
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
		cut = true;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		/* No control bytes: the line goes to a terminal or syslog. */
		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (cut)
		memcpy(buf + i, "...", 3), i += 3;
	buf[i] = '\0';
	return buf;
}
