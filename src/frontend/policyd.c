/*
 * policyd.c - policy-delegation requests to engine calls; see policyd.h
 *
 * The message table: a hash of instance → struct message (SipHash under a
 * per-process key; chains, doubled when as long as the table) and a list
 * from the most to the least recently used, all under table.lock. An
 * entry a request works on is marked busy: it stays in the table (so a
 * second request for the same instance waits on table.returned rather
 * than open a second session) but is never dropped. Entries are dropped
 * (taken out under the lock, freed after it: engine_session_free is an
 * engine call) to make room for a new one, when idle for idle_timeout
 * (here before an insertion, and from the accept loop through
 * policyd_messages_expire), and when their message ends.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/siphash.h"
#include "core/xalloc.h"
#include "engine/engine.h"
#include "engine/policy.h"
#include "frontend/policyd.h"
#include "frontend/policyd_proto.h"
#include "metrics/metrics.h"

#define BUCKETS_MIN 64

/* What the MTA is told, for the replies metric and the fallbacks. */
enum reply_kind {
	REPLY_DUNNO,
	REPLY_DEFER,
	REPLY_REJECT,
	REPLY_HOLD,
	REPLY_DISCARD,
	REPLY_COUNT
};

static const char *const reply_kind_names[REPLY_COUNT] = {
	"dunno", "defer", "reject", "hold", "discard",
};
/* access(5) actions that need no text. */
static const char *const reply_verbs[REPLY_COUNT] = {
	"DUNNO", "DEFER", "REJECT", "HOLD", "DISCARD",
};

/* One message (instance) followed from request to request. */
struct message {
	struct message *hnext;          /* hash chain; list of the dropped */
	struct message *newer, *older;  /* recently used list */
	char *instance;
	uint64_t hash;
	uint64_t last_used;             /* monotonic milliseconds */
	bool busy;                      /* a request works on it */
	struct engine_session *session;
	bool in_message;                /* engine_mail ran */
	enum reply_kind refused;        /* a refusal at connect, HELO, MAIL */
	char *refusal;                  /* ... its action, repeated */
};

struct policyd_client {
	char *peer;
	char *instance;                 /* the last one asked about */
};

/* The answer to one request, being built. */
struct outcome {
	enum reply_kind kind;
	struct buf *action;             /* access(5) action text */
	bool engine_logs;               /* the engine logs this refusal */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t returned;        /* a busy entry was put back */
	struct message **buckets;
	size_t n_buckets, n;
	struct message *newest, *oldest;
	uint64_t key[2];
} table = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.returned = PTHREAD_COND_INITIALIZER,
};

static struct metrics_family *metric_requests, *metric_replies;

/* Milliseconds on the monotonic clock. */
static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* ---- the table; every function here but message_clear holds the lock */

static size_t
bucket_of(uint64_t hash)
{
	return (size_t)(hash & (table.n_buckets - 1));
}

static void
lru_push(struct message *m)
{
	m->newer = NULL;
	m->older = table.newest;
	if (table.newest != NULL)
		table.newest->newer = m;
	else
		table.oldest = m;
	table.newest = m;
}

static void
lru_remove(struct message *m)
{
	if (m->newer != NULL)
		m->newer->older = m->older;
	else
		table.newest = m->older;
	if (m->older != NULL)
		m->older->newer = m->newer;
	else
		table.oldest = m->newer;
	m->newer = m->older = NULL;
}

static struct message *
table_find(const char *instance, uint64_t hash)
{
	if (table.n_buckets == 0)
		return NULL;
	for (struct message *m = table.buckets[bucket_of(hash)]; m != NULL;
	    m = m->hnext)
		if (m->hash == hash && strcmp(m->instance, instance) == 0)
			return m;
	return NULL;
}

/* Double the buckets, keeping chains about one entry long. */
static void
table_grow(void)
{
	size_t n = table.n_buckets ? table.n_buckets * 2 : BUCKETS_MIN;
	struct message **b = xcalloc(n, sizeof(*b)), *m, *next;

	for (size_t i = 0; i < table.n_buckets; i++) {
		for (m = table.buckets[i]; m != NULL; m = next) {
			next = m->hnext;
			m->hnext = b[m->hash & (n - 1)];
			b[m->hash & (n - 1)] = m;
		}
	}
	free(table.buckets);
	table.buckets = b;
	table.n_buckets = n;
}

static void
table_insert(struct message *m)
{
	size_t b;

	if (table.n >= table.n_buckets)
		table_grow();
	b = bucket_of(m->hash);
	m->hnext = table.buckets[b];
	table.buckets[b] = m;
	table.n++;
	lru_push(m);
}

/* Take m out of the table, onto the list *dead (through hnext). */
static void
table_drop(struct message *m, struct message **dead)
{
	struct message **pp = &table.buckets[bucket_of(m->hash)];

	while (*pp != m)
		pp = &(*pp)->hnext;
	*pp = m->hnext;
	table.n--;
	lru_remove(m);
	m->hnext = *dead;
	*dead = m;
}

/* Drop the entries idle for idle_ms, then the least recently used down
 * to max entries; busy ones stay. */
static void
table_trim(uint64_t now, uint64_t idle_ms, size_t max, struct message **dead)
{
	struct message *m, *newer;

	for (m = table.oldest; m != NULL; m = newer) {
		newer = m->newer;
		if (m->busy)
			continue;
		/* From here on every entry is newer: done unless over max. */
		if (table.n <= max && now - m->last_used < idle_ms)
			break;
		table_drop(m, dead);
	}
}

/* ---- entries, outside the lock */

/* Release what an entry holds: its engine session and refusal. */
static void
message_clear(struct message *m)
{
	engine_session_free(&m->session);
	free(m->refusal);
	m->refusal = NULL;
	m->in_message = false;
	m->refused = REPLY_DUNNO;
}

/* Free a list of dropped entries. */
static void
messages_free_list(struct message *dead)
{
	struct message *next;

	for (; dead != NULL; dead = next) {
		next = dead->hnext;
		message_clear(dead);
		free(dead->instance);
		free(dead);
	}
}

/* The entry of instance, busy now: found (waiting while another request
 * has it) or new. NULL when the table is full of busy entries. */
static struct message *
message_take(const char *instance)
{
	struct conf *conf = conf_acquire();
	const struct policy_service *ps = policy_service(conf);
	uint64_t hash = siphash24(table.key, instance, strlen(instance));
	uint64_t now = now_ms();
	struct message *m, *dead = NULL;

	pthread_mutex_lock(&table.lock);
	while ((m = table_find(instance, hash)) != NULL && m->busy)
		pthread_cond_wait(&table.returned, &table.lock);
	if (m != NULL) {
		lru_remove(m);
		lru_push(m);
	} else {
		table_trim(now, ps->idle_timeout,
		    (size_t)ps->max_messages_tracked - 1, &dead);
		if (table.n < (size_t)ps->max_messages_tracked) {
			m = xcalloc(1, sizeof(*m));
			m->instance = xstrdup(instance);
			m->hash = hash;
			table_insert(m);
		}
	}
	if (m != NULL) {
		m->busy = true;
		m->last_used = now;
	}
	pthread_mutex_unlock(&table.lock);
	conf_release(&conf);
	messages_free_list(dead);
	return m;
}

/* Put an entry back after a request, or drop it when its message ended. */
static void
message_put(struct message *m, bool ended)
{
	struct message *dead = NULL;

	pthread_mutex_lock(&table.lock);
	m->busy = false;
	if (ended) {
		table_drop(m, &dead);
	} else {
		m->last_used = now_ms();
		lru_remove(m);
		lru_push(m);
	}
	pthread_cond_broadcast(&table.returned);
	pthread_mutex_unlock(&table.lock);
	messages_free_list(dead);
}

/* The client moved on to another instance: the one it had is done. */
static void
message_end(const char *instance)
{
	uint64_t hash = siphash24(table.key, instance, strlen(instance));
	struct message *m, *dead = NULL;

	pthread_mutex_lock(&table.lock);
	m = table_find(instance, hash);
	if (m != NULL && !m->busy)
		table_drop(m, &dead);
	pthread_mutex_unlock(&table.lock);
	messages_free_list(dead);
}

void
policyd_messages_expire(void)
{
	struct conf *conf = conf_acquire();
	const struct policy_service *ps = policy_service(conf);
	struct message *dead = NULL;

	pthread_mutex_lock(&table.lock);
	table_trim(now_ms(), ps->idle_timeout,
	    (size_t)ps->max_messages_tracked, &dead);
	pthread_mutex_unlock(&table.lock);
	conf_release(&conf);
	messages_free_list(dead);
}

bool
policyd_messages_free(void)
{
	struct message *m, *newer, *dead = NULL;
	bool all;

	pthread_mutex_lock(&table.lock);
	for (m = table.oldest; m != NULL; m = newer) {
		newer = m->newer;
		if (!m->busy)
			table_drop(m, &dead);
	}
	all = table.n == 0;
	if (all) {
		free(table.buckets);
		table.buckets = NULL;
		table.n_buckets = 0;
	}
	pthread_mutex_unlock(&table.lock);
	messages_free_list(dead);
	return all;
}

/* ---- answers */

/* The action verb, with text when there is one fit to send. */
static void
outcome_verb(struct outcome *o, enum reply_kind kind, const char *text)
{
	o->kind = kind;
	buf_reset(o->action);
	buf_puts(o->action, reply_verbs[kind]);
	if (text != NULL && *text != '\0' && strpbrk(text, "\r\n") == NULL) {
		buf_putc(o->action, ' ');
		buf_puts(o->action, text);
	}
}

/* An engine answer as an access(5) action. */
static void
outcome_engine(struct outcome *o, enum check_action action,
    const struct engine_reply *reply, const char *hold_reason)
{
	enum reply_kind kind;

	switch (action) {
	case ACTION_TEMPFAIL:
	case ACTION_REJECT:
		kind = action == ACTION_TEMPFAIL ? REPLY_DEFER : REPLY_REJECT;
		o->kind = kind;
		buf_reset(o->action);
		/* The code must be of the action's class; else the verb
		 * lets Postfix pick one. */
		if (reply->code[0] != (kind == REPLY_DEFER ? '4' : '5') ||
		    !policyd_reply_smtp(o->action, reply->code, reply->xcode,
		    reply->text))
			outcome_verb(o, kind, reply->text);
		break;
	case ACTION_QUARANTINE:
		outcome_verb(o, REPLY_HOLD, hold_reason);
		break;
	case ACTION_DISCARD:
		outcome_verb(o, REPLY_DISCARD, reply->text);
		break;
	default:
		outcome_verb(o, REPLY_DUNNO, NULL);
		break;
	}
}

/* A refusal of the session or the message: every later request of the
 * message gets it too. Returns false, for the callers' convenience. */
static bool
outcome_refused(struct message *m, struct outcome *o,
    enum check_action action, const struct engine_reply *reply)
{
	outcome_engine(o, action, reply, NULL);
	m->refused = o->kind;
	m->refusal = xstrdup(o->action->data);
	return false;
}

/* An address without the angle brackets it may come in. */
static char *
address_bare(const char *addr)
{
	size_t n = addr != NULL ? strlen(addr) : 0;

	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>')
		return xstrndup(addr + 1, n - 2);
	return xstrdup(n > 0 ? addr : "");
}

/* A new envelope-only session for the request's client, through connect
 * and (with_helo and a name sent) HELO; false on a refusal. */
static bool
session_open(struct message *m, const struct policyd_request *req,
    bool with_helo, struct outcome *o)
{
	struct engine_reply reply;
	enum check_action action;

	m->session = engine_session_new(req->client_name,
	    req->client_address);
	engine_set_envelope_only(m->session);
	engine_set_auth(m->session, req->sasl_username);
	engine_set_tls(m->session, req->encryption_protocol);
	engine_set_stress(m->session, req->stress);
	action = engine_connect(m->session, &reply);
	if (action != ACTION_ACCEPT) {
		o->engine_logs = true; /* engine_connect logs its refusals */
		return outcome_refused(m, o, action, &reply);
	}
	if (with_helo && req->helo_name != NULL && *req->helo_name != '\0') {
		action = engine_helo(m->session, req->helo_name, &reply);
		if (action != ACTION_ACCEPT)
			return outcome_refused(m, o, action, &reply);
	}
	return true;
}

/* Start the message: engine_mail with the sender and size; false on a
 * refusal. */
static bool
message_mail(struct message *m, const struct policyd_request *req,
    struct outcome *o)
{
	struct engine_reply reply;
	enum check_action action;
	char *sender = address_bare(req->sender);

	action = engine_mail(m->session, sender, req->size, &reply);
	free(sender);
	m->in_message = true;
	if (action != ACTION_ACCEPT)
		return outcome_refused(m, o, action, &reply);
	return true;
}

/* RCPT, DATA or END-OF-MESSAGE on a started message. */
static void
message_step(struct message *m, const struct policyd_request *req,
    struct outcome *o)
{
	struct engine_session *s = m->session;
	const struct engine_verdict *v;
	struct engine_reply reply;
	enum check_action action;
	char *rcpt;

	switch (req->state) {
	case POLICYD_STATE_RCPT:
		rcpt = address_bare(req->recipient);
		action = engine_rcpt(s, rcpt, &reply);
		free(rcpt);
		outcome_engine(o, action, &reply, NULL);
		break;
	case POLICYD_STATE_DATA:
		engine_set_message_counts(s, req->recipient_count, 0);
		action = engine_data(s, &reply);
		outcome_engine(o, action, &reply, NULL);
		break;
	case POLICYD_STATE_END_OF_MESSAGE:
		engine_set_message_counts(s, req->recipient_count, req->size);
		v = engine_eom(s);
		if (v != NULL)
			outcome_engine(o, v->action, &v->reply,
			    v->quarantine_reason);
		o->engine_logs = true; /* the message's summary line */
		break;
	default:
		break;
	}
}

/* MAIL, RCPT, DATA or END-OF-MESSAGE for the message in m. */
static void
message_request(struct message *m, const struct policyd_request *req,
    struct outcome *o)
{
	if (m->session == NULL) {
		if (!session_open(m, req, true, o))
			return;
	} else if (m->refusal != NULL) {
		o->kind = m->refused;
		buf_reset(o->action);
		buf_puts(o->action, m->refusal);
		return;
	}
	engine_set_stress(m->session, req->stress);
	if (!m->in_message || req->state == POLICYD_STATE_MAIL) {
		if (!message_mail(m, req, o) ||
		    req->state == POLICYD_STATE_MAIL)
			return;
	}
	engine_set_queue_id(m->session, req->queue_id);
	message_step(m, req, o);
}

/* A message state: through the table when the request has an instance. */
static void
answer_message(struct policyd_client *c, const struct policyd_request *req,
    struct outcome *o)
{
	const char *instance = req->instance;
	struct message one = { 0 }, *m = NULL;

	if (instance != NULL && *instance != '\0') {
		/* Postfix: a new instance on a connection means the previous
		 * delivery was completed or aborted. */
		if (c->instance != NULL && strcmp(c->instance, instance) != 0)
			message_end(c->instance);
		if (c->instance == NULL || strcmp(c->instance, instance) != 0) {
			free(c->instance);
			c->instance = xstrdup(instance);
		}
		m = message_take(instance);
		if (m == NULL)
			log_debug("policyd: %s: every tracked message is busy; "
			    "instance %s answered alone", c->peer, instance);
	}
	if (m != NULL) {
		message_request(m, req, o);
		message_put(m, req->state == POLICYD_STATE_END_OF_MESSAGE);
		return;
	}
	message_request(&one, req, o);
	/* Freeing a refused message logs the engine's summary line. */
	if (one.in_message)
		o->engine_logs = true;
	message_clear(&one);
}

/* CONNECT, EHLO, HELO: the session's answers, on a session of its own. */
static void
answer_session(const struct policyd_request *req, struct outcome *o)
{
	struct message one = { 0 };

	session_open(&one, req, true, o);
	message_clear(&one);
}

/* VRFY and ETRN: the connect checks, then the policy's answer. */
static void
answer_command(const struct policyd_request *req, struct outcome *o)
{
	struct message one = { 0 };
	struct conf *conf;
	const struct policy_service *ps;
	const struct conf_reply *r;
	struct engine_reply reply;
	bool vrfy = req->state == POLICYD_STATE_VRFY;

	if (session_open(&one, req, false, o)) {
		conf = conf_acquire();
		ps = policy_service(conf);
		if ((vrfy ? ps->vrfy : ps->etrn) == POLICY_SERVICE_REJECT) {
			r = vrfy ? &ps->vrfy_reply : &ps->etrn_reply;
			reply.code = r->code;
			reply.xcode = r->xcode;
			reply.text = r->text;
			outcome_engine(o, r->code[0] == '4' ? ACTION_TEMPFAIL :
			    ACTION_REJECT, &reply, NULL);
		}
		conf_release(&conf);
	}
	message_clear(&one);
}

/* One line for a refusal the engine does not log itself. */
static void
log_refusal(const struct policyd_request *req, const struct outcome *o)
{
	char *sender = address_bare(req->sender);
	char *rcpt = address_bare(req->recipient);

	log_info("policyd: %s from %s[%s]: %s; from=<%s> to=<%s> "
	    "instance=%s", policyd_state_name(req->state),
	    req->client_name ? req->client_name : "unknown",
	    req->client_address ? req->client_address : "",
	    o->action->data, sender, rcpt,
	    req->instance ? req->instance : "");
	free(sender);
	free(rcpt);
}

void
policyd_answer(struct policyd_client *c, const struct policyd_request *req,
    struct buf *out)
{
	struct outcome o = { REPLY_DUNNO, buf_new(), false };

	metrics_add(metric_requests, (size_t)req->state, 1);
	switch (req->state) {
	case POLICYD_STATE_CONNECT:
	case POLICYD_STATE_EHLO:
	case POLICYD_STATE_HELO:
		answer_session(req, &o);
		break;
	case POLICYD_STATE_VRFY:
	case POLICYD_STATE_ETRN:
		answer_command(req, &o);
		break;
	case POLICYD_STATE_MAIL:
	case POLICYD_STATE_RCPT:
	case POLICYD_STATE_DATA:
	case POLICYD_STATE_END_OF_MESSAGE:
		answer_message(c, req, &o);
		break;
	default:
		log_debug("policyd: %s: protocol_state '%s' not known: DUNNO",
		    c->peer, req->protocol_state ? req->protocol_state : "");
		break;
	}
	if (o.action->len == 0)
		outcome_verb(&o, o.kind, NULL);
	if (o.kind != REPLY_DUNNO && !o.engine_logs)
		log_refusal(req, &o);
	/* An action too long for the protocol goes out as its bare verb. */
	if (!policyd_reply_format(out, o.action->data, o.action->len))
		policyd_reply_format(out, reply_verbs[o.kind],
		    strlen(reply_verbs[o.kind]));
	metrics_add(metric_replies, o.kind, 1);
	buf_free(&o.action);
}

struct policyd_client *
policyd_client_new(const char *peer)
{
	struct policyd_client *c = xcalloc(1, sizeof(*c));

	c->peer = xstrdup(peer);
	return c;
}

void
policyd_client_free(struct policyd_client **client_p)
{
	struct policyd_client *c = *client_p;

	if (c == NULL)
		return;
	free(c->peer);
	free(c->instance);
	free(c);
	*client_p = NULL;
}

void
policyd_requests_init(void)
{
	static const char *states[POLICYD_STATE_ETRN + 1];

	for (size_t i = 0; i <= POLICYD_STATE_ETRN; i++)
		states[i] = policyd_state_name((enum policyd_state)i);
	metric_requests = metrics_counter_new("mxward_policy_requests_total",
	    "Policy-delegation requests by protocol_state.", "state", states,
	    POLICYD_STATE_ETRN + 1);
	metric_replies = metrics_counter_new("mxward_policy_replies_total",
	    "Policy-delegation replies by action.", "action", reply_kind_names,
	    REPLY_COUNT);
	if (!siphash_key_random(table.key))
		log_warning("policyd: no random key for the message table");
}
