/*
 * verdict.c - from findings to one action; see verdict.h
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "engine/verdict.h"

enum check_action
verdict_action(const struct policy_actions *t, enum check_action hard,
    double score)
{
	enum check_action by_score = ACTION_ACCEPT;

	/* isnan() thresholds are off: comparisons with NAN are false. */
	if (score >= t->reject)
		by_score = ACTION_REJECT;
	else if (score >= t->tempfail)
		by_score = ACTION_TEMPFAIL;
	else if (score >= t->quarantine)
		by_score = ACTION_QUARANTINE;
	else if (score >= t->add_header)
		by_score = ACTION_ADD_HEADER;
	/* Actions are ordered by severity: the stronger one applies. */
	return hard > by_score ? hard : by_score;
}

double
verdict_score(const struct check_symbol *symbols)
{
	double sum = 0;

	for (const struct check_symbol *s = symbols; s != NULL; s = s->next)
		sum += s->score;
	return sum;
}

/* Append the names of scored symbols, comma separated. */
static void
append_tests(struct buf *b, const struct check_symbol *list, bool *first)
{
	for (const struct check_symbol *s = list; s != NULL; s = s->next) {
		if (s->score == 0)
			continue;
		buf_puts(b, *first ? "" : ",");
		buf_puts(b, s->name);
		*first = false;
	}
}

const char *
verdict_spam_status(struct arena *arena, const struct policy_actions *t,
    enum check_action action, double score, const struct check_symbol *a,
    const struct check_symbol *b)
{
	struct buf *out = buf_new();
	bool first = true;
	const char *result;

	buf_appendf(out, "%s, score=%.1f", action >= ACTION_ADD_HEADER &&
	    action != ACTION_DISCARD ? "Yes" : "No", score);
	if (!isnan(t->add_header))
		buf_appendf(out, " required=%.1f", t->add_header);
	buf_puts(out, " tests=");
	append_tests(out, a, &first);
	append_tests(out, b, &first);
	if (first)
		buf_puts(out, "none");
	result = arena_strdup(arena, out->data);
	buf_free(&out);
	return result;
}

const char *
verdict_authres(struct arena *arena, const char *authserv_id,
    const struct check_report *a, const struct check_report *b)
{
	struct buf *out = buf_new();
	const struct check_report *reports[] = { a, b };
	size_t methods = 0;
	const char *result;

	buf_puts(out, authserv_id);
	for (size_t r = 0; r < 2; r++) {
		if (reports[r] == NULL)
			continue;
		for (size_t i = 0; i < reports[r]->n_authres; i++, methods++)
			buf_appendf(out, ";\n\t%s", reports[r]->authres[i]);
	}
	/* RFC 8601 2.2: "none" when no method produced a result. */
	if (methods == 0)
		buf_puts(out, "; none");
	result = arena_strdup(arena, out->data);
	buf_free(&out);
	return result;
}
