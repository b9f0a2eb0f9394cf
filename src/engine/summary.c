/*
 * summary.c - the one log line per message; see summary.h
 */
#include "config.h"

#include "core/buf.h"
#include "core/log.h"
#include "engine/summary.h"

#define SUMMARY_RCPTS_SHOWN 8
#define SUMMARY_SYMBOLS_SHOWN 32

/* Append up to SUMMARY_SYMBOLS_SHOWN symbols as NAME(score). */
static void
append_symbols(struct buf *b, const struct engine_summary *m)
{
	size_t shown = 0, hidden = 0;

	for (size_t l = 0; l < 2; l++) {
		for (const struct check_symbol *s = m->symbols[l]; s != NULL;
		    s = s->next) {
			if (shown == SUMMARY_SYMBOLS_SHOWN) {
				hidden++;
				continue;
			}
			buf_appendf(b, "%s%s(%.2f)", shown ? "," : "", s->name,
			    s->score);
			shown++;
		}
	}
	if (shown == 0)
		buf_puts(b, "none");
	if (hidden)
		buf_appendf(b, ",+%zu more", hidden);
}

void
engine_log_summary(const struct engine_summary *m)
{
	const struct check_txn *t = m->txn;
	struct buf *b = buf_new();
	size_t i;

	buf_appendf(b, "%s: client=%s[%s] helo=%s from=<%s> rcpt=",
	    t->queue_id ? t->queue_id : "NOQUEUE", t->client_name,
	    t->client_address, t->helo ? t->helo : "(none)",
	    t->sender ? t->sender : "");
	for (i = 0; i < m->n_rcpts && i < SUMMARY_RCPTS_SHOWN; i++)
		buf_appendf(b, "%s<%s>", i ? "," : "", m->rcpts[i]);
	if (m->n_rcpts > SUMMARY_RCPTS_SHOWN)
		buf_appendf(b, ",+%zu more", m->n_rcpts - SUMMARY_RCPTS_SHOWN);
	if (m->n_refused)
		buf_appendf(b, " refused_rcpt=%zu", m->n_refused);
	buf_appendf(b, " action=%s score=%.2f symbols=",
	    conf_code_name(check_action_names, (int)m->action), m->score);
	append_symbols(b, m);
	for (size_t l = 0; l < 2; l++)
		for (i = 0; m->reports[l] && i < m->reports[l]->n_facts; i++)
			buf_appendf(b, " %s=%s", m->reports[l]->fact_names[i],
			    m->reports[l]->fact_values[i]);
	buf_appendf(b, " time=%.2fms", m->elapsed_ms);
	log_info("%s", b->data);
	buf_free(&b);
}
