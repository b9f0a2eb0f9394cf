/*
 * check.c - the report a check writes its findings into; see check.h
 *
 * All memory comes from the report's arena. A report belongs to one
 * transaction and is used by one thread at a time.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "checks/check.h"
#include "core/arena.h"

const struct conf_name_code check_action_names[] = {
	{ "accept", ACTION_ACCEPT },
	{ "add_header", ACTION_ADD_HEADER },
	{ "quarantine", ACTION_QUARANTINE },
	{ "discard", ACTION_DISCARD },
	{ "tempfail", ACTION_TEMPFAIL },
	{ "reject", ACTION_REJECT },
	{ NULL, 0 },
};

const struct conf_name_code check_on_error_names[] = {
	{ "tempfail", ACTION_TEMPFAIL },
	{ "accept", ACTION_ACCEPT },
	{ "reject", ACTION_REJECT },
	{ NULL, 0 },
};

void
check_report_init(struct check_report *report, struct arena *arena)
{
	memset(report, 0, sizeof(*report));
	report->arena = arena;
	report->tail = &report->symbols;
	report->action = ACTION_ACCEPT;
}

/* Append a symbol whose detail is already formatted. */
static struct check_symbol *
report_add(struct check_report *report, const char *name, double score,
    const char *detail)
{
	struct check_symbol *sym = arena_zalloc(report->arena, sizeof(*sym));

	sym->name = name;
	sym->score = score;
	sym->detail = detail;
	*report->tail = sym;
	report->tail = &sym->next;
	return sym;
}

void
check_symbol(struct check_report *report, const char *name, double score,
    const char *detail_fmt, ...)
{
	char detail[512];
	va_list ap;

	if (detail_fmt == NULL) {
		report_add(report, name, score, NULL);
		return;
	}
	va_start(ap, detail_fmt);
	vsnprintf(detail, sizeof(detail), detail_fmt, ap);
	va_end(ap);
	report_add(report, name, score, arena_strdup(report->arena, detail));
}

void
check_decide(struct check_report *report, const char *symbol,
    enum check_action action, const struct conf_reply *reply,
    const char *detail_fmt, ...)
{
	char detail[512];
	va_list ap;

	if (detail_fmt != NULL) {
		va_start(ap, detail_fmt);
		vsnprintf(detail, sizeof(detail), detail_fmt, ap);
		va_end(ap);
		report_add(report, symbol, 0, arena_strdup(report->arena, detail));
	} else {
		report_add(report, symbol, 0, reply != NULL && reply->text != NULL ?
		    arena_strdup(report->arena, reply->text) : NULL);
	}
	if (action <= report->action && report->action_by != NULL)
		return;
	if (action < report->action)
		return;
	report->action = action;
	report->action_by = symbol;
	if (reply != NULL)
		report->reply = *reply;
	else
		memset(&report->reply, 0, sizeof(report->reply));
}

void
check_trust(struct check_report *report)
{
	report->trust = true;
}

void
check_authres(struct check_report *report, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (report->n_authres >= sizeof(report->authres) / sizeof(report->authres[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	report->authres[report->n_authres++] = arena_strdup(report->arena, text);
}

void
check_header(struct check_report *report, const char *name,
    const char *value_fmt, ...)
{
	char value[4096]; /* a DKIM-Signature with an RSA-4096 b= fits */
	va_list ap;

	if (report->n_headers >= sizeof(report->header_names) /
	    sizeof(report->header_names[0]))
		return;
	va_start(ap, value_fmt);
	vsnprintf(value, sizeof(value), value_fmt, ap);
	va_end(ap);
	report->header_names[report->n_headers] = name;
	report->header_values[report->n_headers++] =
	    arena_strdup(report->arena, value);
}

void
check_charge(struct check_report *report, const struct check *by, void *data)
{
	struct check_charge *charge = arena_alloc(report->arena,
	    sizeof(*charge));

	charge->by = by;
	charge->data = data;
	charge->next = report->charges;
	report->charges = charge;
}

void
check_error(struct check_report *report, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	report->error = arena_strdup(report->arena, text);
}

void
check_fact(struct check_report *report, const char *name,
    const char *value_fmt, ...)
{
	char value[512];
	va_list ap;

	if (report->n_facts >= sizeof(report->fact_names) /
	    sizeof(report->fact_names[0]))
		return;
	va_start(ap, value_fmt);
	vsnprintf(value, sizeof(value), value_fmt, ap);
	va_end(ap);
	report->fact_names[report->n_facts] = name;
	report->fact_values[report->n_facts++] =
	    arena_strdup(report->arena, value);
}
