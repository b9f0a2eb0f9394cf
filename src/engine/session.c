/*
 * session.c - sessions, messages and the check pipeline; see engine.h
 *
 * A session lives in its own arena and holds the policy snapshot that was
 * current at connect, for the connect and HELO findings. A message lives in
 * a second arena with its own snapshot reference taken at MAIL FROM, so a
 * reload between two messages of one connection applies to the second one
 * while the first finishes under the policy it started with. Every message
 * ends in message_end(), reached from engine_mail (the next message),
 * engine_abort and engine_session_free; engine_eom only marks it finished so
 * that its verdict stays readable until the next call.
 *
 * Checks run in checks_all[] order; a hard decision of tempfail, reject or
 * discard stops the phase (the remaining checks could not change it).
 *
 * Charges (check_charge: rate-limit units taken) follow what happens to
 * what they were taken for: a refused recipient's charges are refunded at
 * once; an accepted recipient's join the message's, which are refunded
 * when the message ends undelivered: refused by us at any stage, or
 * aborted in a milter session (the client or the MTA gave up on it). A
 * message of an envelope-only session (the policy front end) that ends
 * without an end-of-message verdict keeps its charges: the MTA accepted
 * the recipients we allowed and does not tell what came of them.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/spool.h"
#include "core/xalloc.h"
#include "checks/auth.h"
#include "dns/resolver.h"
#include "engine/engine.h"
#include "engine/policy.h"
#include "engine/resolver.h"
#include "engine/stats.h"
#include "engine/summary.h"
#include "engine/verdict.h"
#include "mime/header.h"

#define AUTHRES_NAME "Authentication-Results"
#define OWNED_MAX 8
#define ADD_MAX 12

struct engine_message {
	struct arena *arena;
	struct conf *conf;           /* snapshot taken at MAIL FROM */
	struct check_report report;
	struct auth_results auth;    /* SPF, DKIM, DMARC (checks/auth.h) */
	const char **rcpts;
	size_t n_rcpts, cap_rcpts, n_refused;
	struct engine_header_delete *del;
	size_t n_del, cap_del;
	unsigned authres_seen;       /* Authentication-Results so far */
	struct {                     /* fields owned by a check, so far */
		const char *name;
		unsigned seen;
	} owned[OWNED_MAX];
	size_t n_owned;
	struct spool *spool;         /* the message whole, for needs_message */
	bool body_started;           /* the header/body separator is spooled */
	enum check_action answered;  /* strongest action told the MTA */
	struct check_report *answered_by;
	struct timespec started;
	bool finished;               /* engine_eom ran */
	bool refused;                /* we refused the message itself */
	struct engine_header add[ADD_MAX];
	struct engine_verdict verdict;
};

struct engine_session {
	struct arena *arena;
	struct conf *conf;           /* snapshot taken at connect */
	struct check_txn txn;
	struct check_report report;  /* connect and HELO findings */
	struct engine_message *msg;
};

/* Seconds elapsed since start. */
static double
seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Grow an arena-backed array of elements of size elem to hold n + 1. */
static void *
arena_grow_array(struct arena *arena, void *v, size_t n, size_t *cap,
    size_t elem)
{
	void *bigger;

	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 8;
	bigger = arena_alloc(arena, *cap * elem);
	if (n)
		memcpy(bigger, v, n * elem);
	return bigger;
}

/* Hand every charge of a list back to the check that made it. */
static void
refund_charges(struct check_charge *charges)
{
	for (struct check_charge *c = charges; c != NULL; c = c->next)
		c->by->refund(c->data);
}

/* Was the message refused, or (in a milter session) abandoned? */
static bool
message_undelivered(const struct engine_session *s,
    const struct engine_message *m)
{
	if (m->finished)
		return m->verdict.action == ACTION_TEMPFAIL ||
		    m->verdict.action == ACTION_REJECT;
	return m->refused || !s->txn.envelope_only;
}

/* Record the decision of a check that could not decide, per its on_error. */
static void
apply_on_error(const struct check *c, const struct check_common *common,
    const struct conf *conf, struct check_report *report)
{
	const struct policy_actions *actions = policy_actions(conf);
	char *symbol = arena_sprintf(report->arena, "%s_ERROR", c->name);
	const char *why = report->error ? report->error : "could not decide";

	for (char *p = symbol; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	log_warning("%s: %s, on_error=%s", c->name, why,
	    conf_code_name(check_on_error_names, common->on_error));
	switch (common->on_error) {
	case ACTION_ACCEPT:
		check_symbol(report, symbol, 0, "%s", why);
		break;
	case ACTION_REJECT:
		check_decide(report, symbol, ACTION_REJECT,
		    &actions->error_reject_reply, "%s", why);
		break;
	default:
		check_decide(report, symbol, ACTION_TEMPFAIL,
		    &actions->error_reply, "%s", why);
		break;
	}
	report->error = NULL;
}

/* Run every enabled check that wants phase; returns the report's action. */
static enum check_action
run_checks(struct engine_session *s, const struct conf *conf,
    enum check_phase phase, struct check_report *report)
{
	for (size_t i = 0; i < checks_count; i++) {
		const struct check *c = checks_all[i];
		const struct check_common *common =
		    conf_section_values(conf, POLICY_CHECKS + i);
		struct timespec t0;
		enum check_status status;

		if (!(c->phases & phase) || !common->enabled)
			continue;
		if (s->txn.trusted && !c->runs_for_trusted)
			continue;
		if (s->txn.envelope_only && c->needs_message)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		status = c->run(phase, &s->txn, common, report);
		engine_stats_check(i, seconds_since(&t0), status == CHECK_ERROR);
		if (status == CHECK_ERROR)
			apply_on_error(c, common, conf, report);
		if (report->trust)
			s->txn.trusted = true;
		if (report->action >= ACTION_DISCARD)
			break;
	}
	return report->action;
}

/* Fill the reply for a report's hard decision, with defaults. */
static enum check_action
answer(const struct check_report *report, struct engine_reply *reply_r)
{
	const struct conf_reply *r = &report->reply;
	bool temp = report->action == ACTION_TEMPFAIL;

	reply_r->code = r->code[0] ? r->code : temp ? "451" : "550";
	reply_r->xcode = r->xcode[0] ? r->xcode : temp ? "4.7.1" : "5.7.1";
	reply_r->text = r->text ? r->text : temp ?
	    "Try again later" : "Rejected by policy";
	return report->action;
}

/* Answer for a message phase, remembering what the MTA was told. */
static enum check_action
answer_message(struct engine_message *m, struct check_report *report,
    struct engine_reply *reply_r)
{
	enum check_action action = answer(report, reply_r);

	if (action >= ACTION_TEMPFAIL && report == &m->report)
		m->refused = true;
	if (action > m->answered) {
		m->answered = action;
		m->answered_by = report;
	}
	return action >= ACTION_DISCARD ? action : ACTION_ACCEPT;
}

/* Log and count a message that ended (at EOM, or earlier by a refusal). */
static void
message_account(struct engine_session *s, enum check_action action,
    double score)
{
	struct engine_message *m = s->msg;
	struct engine_summary summary = {
		.txn = &s->txn,
		.rcpts = m->rcpts,
		.n_rcpts = m->n_rcpts,
		.n_refused = m->n_refused,
		.action = action,
		.score = score,
		.symbols = { s->report.symbols, m->report.symbols },
		.reports = { &s->report, &m->report },
		.elapsed_ms = seconds_since(&m->started) * 1000,
	};

	engine_log_summary(&summary);
	engine_stats_message(action);
}

/* What a message that ended before its end of data came to: the
 * strongest answer given, except through the policy socket, where the
 * MTA goes on with the recipients accepted and only the message's own
 * decision counts. */
static enum check_action
unfinished_action(const struct engine_session *s,
    const struct engine_message *m)
{
	if (s->txn.envelope_only && m->n_rcpts > 0)
		return m->report.action;
	return m->answered;
}

/* The one place a message's memory and snapshot reference are released. */
static void
message_end(struct engine_session *s)
{
	struct engine_message *m = s->msg;

	if (m == NULL)
		return;
	/* A transaction the MTA ended after we refused it still counts. */
	if (!m->finished && m->answered >= ACTION_DISCARD)
		message_account(s, unfinished_action(s, m),
		    verdict_score(m->report.symbols));
	if (message_undelivered(s, m))
		refund_charges(m->report.charges);
	spool_free(&m->spool);
	conf_release(&m->conf);
	arena_free(&m->arena);
	free(m);
	s->msg = NULL;
	s->txn.sender = NULL;
	s->txn.rcpt = NULL;
	s->txn.queue_id = NULL;
	s->txn.declared_size = 0;
	s->txn.rcpt_count = 0;
	s->txn.rcpts_checked = 0;
	s->txn.header_count = 0;
	s->txn.header_bytes = 0;
	s->txn.size = 0;
	s->txn.auth = NULL;
}

/* Does an enabled check of conf read the message whole? */
static bool
message_needed(const struct conf *conf)
{
	for (size_t i = 0; i < checks_count; i++) {
		const struct check_common *common =
		    conf_section_values(conf, POLICY_CHECKS + i);

		if (common->enabled && checks_all[i]->needs_message)
			return true;
	}
	return false;
}

struct engine_session *
engine_session_new(const char *client_name, const char *client_address)
{
	struct engine_session *s = xcalloc(1, sizeof(*s));

	s->arena = arena_new();
	s->conf = conf_acquire();
	if (s->conf == NULL)
		log_die("engine: no policy loaded");
	check_report_init(&s->report, s->arena);
	s->txn.client_name = arena_strdup(s->arena,
	    client_name && *client_name ? client_name : "unknown");
	s->txn.client_address = arena_strdup(s->arena,
	    client_address ? client_address : "");
	s->txn.client_ip_valid = client_address != NULL &&
	    ip_parse(client_address, &s->txn.client_ip);
	s->txn.hostname = policy_top(s->conf)->authserv_id;
	s->txn.dns = engine_resolver_acquire();
	return s;
}

void
engine_session_free(struct engine_session **session_p)
{
	struct engine_session *s = *session_p;

	if (s == NULL)
		return;
	message_end(s);
	if (s->txn.dns != NULL)
		dns_resolver_unref(&s->txn.dns);
	conf_release(&s->conf);
	arena_free(&s->arena);
	free(s);
	*session_p = NULL;
}

void
engine_set_auth(struct engine_session *s, const char *login)
{
	s->txn.auth_login = login && *login ?
	    arena_strdup(s->arena, login) : NULL;
}

void
engine_set_tls(struct engine_session *s, const char *tls_version)
{
	s->txn.tls_version = tls_version && *tls_version ?
	    arena_strdup(s->arena, tls_version) : NULL;
}

void
engine_set_envelope_only(struct engine_session *s)
{
	s->txn.envelope_only = true;
}

void
engine_set_stress(struct engine_session *s, bool stress)
{
	s->txn.stress = stress;
}

void
engine_set_message_counts(struct engine_session *s, size_t rcpt_count,
    uint64_t size)
{
	if (s->msg == NULL)
		return;
	if (rcpt_count > 0)
		s->txn.rcpt_count = rcpt_count;
	if (size > 0)
		s->txn.size = size;
}

void
engine_set_queue_id(struct engine_session *s, const char *queue_id)
{
	struct arena *arena = s->msg ? s->msg->arena : s->arena;

	if (queue_id && *queue_id && (s->txn.queue_id == NULL ||
	    strcmp(s->txn.queue_id, queue_id) != 0))
		s->txn.queue_id = arena_strdup(arena, queue_id);
}

enum check_action
engine_connect(struct engine_session *s, struct engine_reply *reply_r)
{
	enum check_action action = run_checks(s, s->conf, CHECK_CONNECT,
	    &s->report);

	if (action >= ACTION_DISCARD)
		log_info("connect from %s[%s]: %s by %s", s->txn.client_name,
		    s->txn.client_address,
		    conf_code_name(check_action_names, (int)action),
		    s->report.action_by);
	answer(&s->report, reply_r);
	return action >= ACTION_DISCARD ? action : ACTION_ACCEPT;
}

enum check_action
engine_helo(struct engine_session *s, const char *helo,
    struct engine_reply *reply_r)
{
	enum check_action action;

	s->txn.helo = arena_strdup(s->arena, helo ? helo : "");
	action = run_checks(s, s->conf, CHECK_HELO, &s->report);
	answer(&s->report, reply_r);
	return action >= ACTION_DISCARD ? action : ACTION_ACCEPT;
}

enum check_action
engine_mail(struct engine_session *s, const char *sender,
    uint64_t declared_size, struct engine_reply *reply_r)
{
	struct engine_message *m;

	message_end(s);
	m = s->msg = xcalloc(1, sizeof(*m));
	m->arena = arena_new();
	m->conf = conf_acquire();
	clock_gettime(CLOCK_MONOTONIC, &m->started);
	check_report_init(&m->report, m->arena);
	m->report.auth = &m->auth;
	s->txn.auth = &m->auth;
	/* A reload may have brought a new resolver: the message uses it. */
	if (s->txn.dns != NULL)
		dns_resolver_unref(&s->txn.dns);
	s->txn.dns = engine_resolver_acquire();
	if (message_needed(m->conf)) {
		const struct policy_spool *sp = policy_spool(m->conf);

		m->spool = spool_new(sp->memory_limit, sp->directory);
	}
	s->txn.sender = arena_strdup(m->arena, sender ? sender : "");
	s->txn.declared_size = declared_size;
	/* A session refused at connect or HELO refuses its messages too. */
	if (s->report.action >= ACTION_DISCARD)
		return answer_message(m, &s->report, reply_r);
	run_checks(s, m->conf, CHECK_MAIL, &m->report);
	return answer_message(m, &m->report, reply_r);
}

enum check_action
engine_rcpt(struct engine_session *s, const char *rcpt,
    struct engine_reply *reply_r)
{
	struct engine_message *m = s->msg;
	struct check_report *report;
	enum check_action action;

	if (m == NULL)
		return ACTION_ACCEPT;
	/* Each recipient gets its own report: refusing one refuses no other. */
	report = arena_alloc(m->arena, sizeof(*report));
	check_report_init(report, m->arena);
	report->auth = &m->auth;
	s->txn.rcpt = arena_strdup(m->arena, rcpt ? rcpt : "");
	s->txn.rcpts_checked++;
	action = run_checks(s, m->conf, CHECK_RCPT, report);
	*m->report.tail = report->symbols;
	if (report->symbols != NULL)
		m->report.tail = report->tail;
	if (action == ACTION_REJECT || action == ACTION_TEMPFAIL) {
		m->n_refused++;
		refund_charges(report->charges);
		return answer_message(m, report, reply_r);
	}
	while (report->charges != NULL) {
		struct check_charge *c = report->charges;

		report->charges = c->next;
		c->next = m->report.charges;
		m->report.charges = c;
	}
	if (action == ACTION_DISCARD)
		check_decide(&m->report, report->action_by, action,
		    &report->reply, "recipient %s", s->txn.rcpt);
	m->rcpts = arena_grow_array(m->arena, m->rcpts, m->n_rcpts,
	    &m->cap_rcpts, sizeof(*m->rcpts));
	m->rcpts[m->n_rcpts++] = s->txn.rcpt;
	s->txn.rcpt_count = m->n_rcpts;
	return answer_message(m, &m->report, reply_r);
}

/* Run a message phase that has no input of its own. */
static enum check_action
message_phase(struct engine_session *s, enum check_phase phase,
    struct engine_reply *reply_r)
{
	struct engine_message *m = s->msg;

	if (m == NULL)
		return ACTION_ACCEPT;
	run_checks(s, m->conf, phase, &m->report);
	return answer_message(m, &m->report, reply_r);
}

enum check_action
engine_data(struct engine_session *s, struct engine_reply *reply_r)
{
	/* The empty line between header and body, counted here because a
	 * front end may skip the end-of-header step. */
	s->txn.size += 2;
	return message_phase(s, CHECK_DATA, reply_r);
}

/* Remember to delete the index-th field called name (as received). */
static void
delete_field(struct engine_message *m, const char *name, unsigned index)
{
	m->del = arena_grow_array(m->arena, m->del, m->n_del, &m->cap_del,
	    sizeof(*m->del));
	m->del[m->n_del].name = name;
	m->del[m->n_del].index = index;
	m->n_del++;
}

/* A field an enabled check writes itself is removed from the input. */
static void
note_owned(struct engine_message *m, const char *name)
{
	for (size_t i = 0; i < checks_count; i++) {
		const struct check_common *common =
		    conf_section_values(m->conf, POLICY_CHECKS + i);
		const char *const *owned = checks_all[i]->owned_headers;
		size_t k;

		if (owned == NULL || !common->enabled)
			continue;
		for (; *owned != NULL; owned++) {
			if (strcasecmp(*owned, name) != 0)
				continue;
			for (k = 0; k < m->n_owned; k++)
				if (m->owned[k].name == *owned)
					break;
			if (k == m->n_owned) {
				if (k == OWNED_MAX)
					return;
				m->owned[m->n_owned++].name = *owned;
			}
			delete_field(m, *owned, ++m->owned[k].seen);
			return;
		}
	}
}

/* Remember to delete an Authentication-Results header claiming our id. */
static void
note_authres(struct engine_message *m, const char *value)
{
	const char *ours = policy_top(m->conf)->authserv_id;
	char id[256];

	m->authres_seen++;
	if (!mime_authres_authserv_id(value, strlen(value), id, sizeof(id)) ||
	    strcasecmp(id, ours) != 0)
		return;
	delete_field(m, AUTHRES_NAME, m->authres_seen);
}

/* Spool a field as it stood: name, colon, the raw value with its folds
 * made CRLF (or " value" without one), CRLF. */
static void
spool_field(struct spool *spool, const char *name, const char *value,
    const char *raw, size_t raw_len)
{
	size_t start = 0;

	spool_write(spool, name, strlen(name));
	if (raw == NULL) {
		spool_write(spool, ": ", 2);
		spool_write(spool, value, strlen(value));
		spool_write(spool, "\r\n", 2);
		return;
	}
	spool_write(spool, ":", 1);
	for (size_t i = 0; i < raw_len; i++) {
		if (raw[i] != '\n' || (i > 0 && raw[i - 1] == '\r'))
			continue;
		spool_write(spool, raw + start, i - start);
		spool_write(spool, "\r", 1);
		start = i;
	}
	spool_write(spool, raw + start, raw_len - start);
	spool_write(spool, "\r\n", 2);
}

enum check_action
engine_header(struct engine_session *s, const char *name, const char *value,
    const char *raw, size_t raw_len, struct engine_reply *reply_r)
{
	struct engine_message *m = s->msg;
	enum check_action action;
	size_t bytes;

	if (m == NULL)
		return ACTION_ACCEPT;
	/* "Name:" raw value CRLF as it stands in the message. */
	bytes = strlen(name) + (raw != NULL ? raw_len + 1 : strlen(value) + 2) + 2;
	s->txn.header_name = name;
	s->txn.header_value = value;
	s->txn.header_count++;
	s->txn.header_bytes += bytes;
	s->txn.size += bytes;
	if (strcasecmp(name, AUTHRES_NAME) == 0)
		note_authres(m, value);
	else
		note_owned(m, name);
	if (m->spool != NULL)
		spool_field(m->spool, name, value, raw, raw_len);
	action = message_phase(s, CHECK_HEADER, reply_r);
	s->txn.header_name = s->txn.header_value = NULL;
	return action;
}

enum check_action
engine_eoh(struct engine_session *s, struct engine_reply *reply_r)
{
	return message_phase(s, CHECK_EOH, reply_r);
}

/* Spool the empty line between header and body, once. */
static void
spool_body_start(struct engine_message *m)
{
	if (m->spool != NULL && !m->body_started)
		spool_write(m->spool, "\r\n", 2);
	m->body_started = true;
}

enum check_action
engine_body(struct engine_session *s, const void *chunk, size_t len,
    struct engine_reply *reply_r)
{
	enum check_action action;

	if (s->msg != NULL && s->msg->spool != NULL) {
		spool_body_start(s->msg);
		spool_write(s->msg->spool, chunk, len);
	}
	s->txn.size += len;
	s->txn.body = chunk;
	s->txn.body_len = len;
	action = message_phase(s, CHECK_BODY, reply_r);
	s->txn.body = NULL;
	s->txn.body_len = 0;
	return action;
}

/* Headers added to a delivered message: A-R first, then spam status. */
static void
verdict_headers(struct engine_session *s, struct engine_verdict *v)
{
	struct engine_message *m = s->msg;
	const struct conf *conf = m->conf;
	size_t n = 0;

	m->add[n].name = AUTHRES_NAME;
	m->add[n++].value = verdict_authres(m->arena,
	    policy_top(conf)->authserv_id, &s->report, &m->report);
	for (size_t r = 0; r < 2; r++) {
		const struct check_report *rep = r ? &m->report : &s->report;

		for (size_t i = 0; i < rep->n_headers && n < ADD_MAX - 3; i++) {
			m->add[n].name = rep->header_names[i];
			m->add[n++].value = rep->header_values[i];
		}
	}
	if (policy_headers(conf)->spam_status) {
		m->add[n].name = "X-Spam-Score";
		m->add[n++].value = arena_sprintf(m->arena, "%.1f", v->score);
		m->add[n].name = "X-Spam-Status";
		m->add[n++].value = verdict_spam_status(m->arena,
		    policy_actions(conf), v->action, v->score,
		    s->report.symbols, m->report.symbols);
		if (v->action >= ACTION_ADD_HEADER) {
			m->add[n].name = "X-Spam-Flag";
			m->add[n++].value = "YES";
		}
	}
	v->add = m->add;
	v->n_add = n;
	v->del = m->del;
	v->n_del = m->n_del;
}

/* Show the spooled message to the end-of-message checks. */
static void
message_view(struct engine_session *s)
{
	struct engine_message *m = s->msg;
	char err[200];

	if (m->spool == NULL)
		return;
	spool_body_start(m);
	if (!spool_view(m->spool, &s->txn.message, &s->txn.message_len, err,
	    sizeof(err))) {
		s->txn.message = NULL;
		s->txn.message_error = arena_strdup(m->arena, err);
	}
}

const struct engine_verdict *
engine_eom(struct engine_session *s)
{
	struct engine_message *m = s->msg;
	const struct policy_actions *actions;
	struct engine_verdict *v;
	enum check_action hard;
	struct check_report *decider;

	if (m == NULL)
		return NULL;
	v = &m->verdict;
	actions = policy_actions(m->conf);
	message_view(s);
	run_checks(s, m->conf, CHECK_EOM, &m->report);
	s->txn.message = NULL;
	s->txn.message_len = 0;
	s->txn.message_error = NULL;
	decider = s->report.action > m->report.action ? &s->report : &m->report;
	hard = decider->action;
	v->score = verdict_score(s->report.symbols) +
	    verdict_score(m->report.symbols);
	v->action = verdict_action(actions, hard, v->score);
	v->symbols[0] = s->report.symbols;
	v->symbols[1] = m->report.symbols;
	if (v->action == hard && hard >= ACTION_DISCARD) {
		answer(decider, &v->reply);
	} else if (v->action == ACTION_REJECT || v->action == ACTION_TEMPFAIL) {
		const struct conf_reply *r = v->action == ACTION_REJECT ?
		    &actions->reject_reply : &actions->tempfail_reply;

		v->reply.code = r->code;
		v->reply.xcode = r->xcode;
		v->reply.text = r->text;
	}
	if (v->action == ACTION_QUARANTINE)
		v->quarantine_reason = actions->quarantine_reason;
	if (v->action <= ACTION_QUARANTINE)
		verdict_headers(s, v);
	m->finished = true;
	message_account(s, v->action, v->score);
	return v;
}

void
engine_findings(const struct engine_session *s,
    const struct check_symbol *lists_r[2])
{
	lists_r[0] = s->report.symbols;
	lists_r[1] = s->msg != NULL ? s->msg->report.symbols : NULL;
}

const char *
engine_fact(const struct engine_session *s, const char *name)
{
	const struct check_report *reports[2] = { &s->report,
	    s->msg ? &s->msg->report : NULL };

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; reports[l] && i < reports[l]->n_facts; i++)
			if (strcmp(reports[l]->fact_names[i], name) == 0)
				return reports[l]->fact_values[i];
	return NULL;
}

const struct auth_results *
engine_auth(const struct engine_session *s)
{
	return s->msg != NULL ? &s->msg->auth : NULL;
}

void
engine_abort(struct engine_session *s)
{
	message_end(s);
}
