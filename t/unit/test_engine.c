/*
 * test_engine.c - unit tests for the engine's pipeline
 *
 * Links its own checks_all[] (the linker then leaves the real registry in
 * the archive): one check that cannot decide whenever the sender's local
 * part is "fail", one that refuses the recipient "nobody@…" and scores the
 * header "X-Score", and the real policy sections around them. Drives the
 * real engine through whole transactions and checks on_error, per
 * recipient refusals, score thresholds, forged Authentication-Results
 * deletion and that a message keeps the policy it started with across a
 * reload.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "checks/check.h"
#include "conf/conf.h"
#include "core/arena.h"
#include "core/log.h"
#include "engine/engine.h"
#include "engine/stats.h"
#include "tap.h"

struct fake_values {
	struct check_common common;
	double header_score;
};

static const struct conf_option fake_options[] = {
	CHECK_COMMON_OPTIONS("yes"),
	{ "header_score", CONF_SCORE, offsetof(struct fake_values, header_score),
	  "4", -100, 100, NULL, "Score of an X-Score header." },
	{ NULL },
};

static const struct check check_fake;

/* Cannot decide for sender fail@…; refuses nobody@…; scores X-Score. */
static enum check_status
fake_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct fake_values *v = values;
	static const struct conf_reply refuse = { "550", "5.1.1", "No such user" };

	if (phase == CHECK_MAIL && strncmp(txn->sender, "fail@", 5) == 0)
		return CHECK_ERROR;
	if (phase == CHECK_RCPT)
		check_charge(report, &check_fake, arena_strdup(report->arena,
		    txn->rcpt));
	if (phase == CHECK_RCPT && strncmp(txn->rcpt, "nobody@", 7) == 0)
		check_decide(report, "FAKE_NO_USER", ACTION_REJECT, &refuse, NULL);
	if (phase == CHECK_HEADER && strcmp(txn->header_name, "X-Score") == 0)
		check_symbol(report, "FAKE_HEADER", v->header_score, NULL);
	return CHECK_DONE;
}

/* Refunds so far, "a@x,b@y," in the order they came. */
static char refunds[512];

static void
fake_refund(void *data)
{
	strncat(refunds, data, sizeof(refunds) - strlen(refunds) - 2);
	strcat(refunds, ",");
}

static const struct check check_fake = {
	.name = "fake",
	.phases = CHECK_MAIL | CHECK_RCPT | CHECK_HEADER,
	.section = { "fake", "A test check.", fake_options,
	    sizeof(struct fake_values), NULL, NULL },
	.run = fake_run,
	.refund = fake_refund,
};

const struct check *const checks_all[] = { &check_fake };
const size_t checks_count = 1;

/* Load policy text and make it current. */
static void
publish(const char *yaml)
{
	const struct conf_section *const *sections;
	size_t n = engine_sections(&sections);
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = conf_load_buffer("test.yaml", yaml, strlen(yaml),
	    sections, n, errs);

	for (size_t i = 0; i < conf_errors_count(errs); i++)
		printf("# %s\n", conf_errors_get(errs, i));
	if (conf == NULL)
		abort();
	conf_errors_free(&errs);
	conf_publish(conf);
}

/* A message from sender to rcpt with the given headers; the verdict. */
static const struct engine_verdict *
deliver(struct engine_session *s, const char *sender, const char *rcpt,
    const char *const *headers, enum check_action *mail_r)
{
	struct engine_reply reply;

	*mail_r = engine_mail(s, sender, 0, &reply);
	if (*mail_r != ACTION_ACCEPT)
		return NULL;
	engine_rcpt(s, rcpt, &reply);
	for (size_t i = 0; headers[i] != NULL; i += 2)
		engine_header(s, headers[i], headers[i + 1], NULL, 0, &reply);
	engine_eoh(s, &reply);
	engine_body(s, "hi\r\n", 4, &reply);
	return engine_eom(s);
}

static void
test_on_error(void)
{
	static const char *const none[] = { NULL };
	struct engine_session *s;
	struct engine_reply reply;
	enum check_action mail;
	const struct engine_verdict *v;

	publish("authserv_id: mx.test\nfake: { on_error: tempfail }\n");
	s = engine_session_new("client.test", "192.0.2.1");
	is_int(engine_mail(s, "fail@example.org", 0, &reply), ACTION_TEMPFAIL,
	    "on_error tempfail: MAIL deferred");
	is_str(reply.code, "451", "with the error reply's code");
	is_str(reply.xcode, "4.7.1", "and enhanced code");
	engine_abort(s);

	publish("authserv_id: mx.test\nfake: { on_error: reject }\n");
	is_int(engine_mail(s, "fail@example.org", 0, &reply), ACTION_REJECT,
	    "on_error reject, reloaded: the next MAIL is refused");
	is_str(reply.code, "550", "with actions.error_reject_reply");
	engine_session_free(&s);

	publish("authserv_id: mx.test\nfake: { on_error: accept }\n");
	s = engine_session_new("client.test", "192.0.2.1");
	v = deliver(s, "fail@example.org", "a@example.org", none, &mail);
	ok(v != NULL && v->action == ACTION_ACCEPT,
	    "on_error accept: delivered");
	ok(v != NULL && v->symbols[1] != NULL &&
	    strcmp(v->symbols[1]->name, "FAKE_ERROR") == 0,
	    "with a FAKE_ERROR symbol");
	engine_session_free(&s);
}

static void
test_recipients_and_scores(void)
{
	static const char *const headers[] = {
		"X-Score", "1",
		"Authentication-Results", "other.test; none",
		"Authentication-Results", "(c) MX.TEST; spf=pass",
		"X-Score", "2",
		NULL,
	};
	struct engine_session *s;
	struct engine_reply reply;
	enum check_action mail;
	const struct engine_verdict *v;

	publish("authserv_id: mx.test\nactions: { add_header: 6, reject: 10 }\n");
	s = engine_session_new("client.test", "192.0.2.1");
	engine_mail(s, "a@example.org", 0, &reply);
	is_int(engine_rcpt(s, "nobody@example.org", &reply), ACTION_REJECT,
	    "recipient refused");
	is_str(reply.text, "No such user", "with the check's reply");
	is_int(engine_rcpt(s, "b@example.org", &reply), ACTION_ACCEPT,
	    "the next recipient is not");
	engine_abort(s);

	v = deliver(s, "a@example.org", "b@example.org", headers, &mail);
	ok(v != NULL, "message reaches end of data");
	is_int(v->action, ACTION_ADD_HEADER, "two X-Score (4+4) reach add_header");
	ok(v->score > 7.99 && v->score < 8.01, "score 8");
	is_int((long long)v->n_del, 1, "one forged A-R to delete");
	is_int(v->n_del ? v->del[0].index : 0, 2, "the second A-R");
	is_str(v->add[0].name, "Authentication-Results", "ours is added first");
	is_str(v->add[0].value, "mx.test; none", "saying none");
	ok(v->n_add == 4 && strcmp(v->add[3].name, "X-Spam-Flag") == 0,
	    "and X-Spam-Flag for add_header");

	publish("authserv_id: mx.test\nactions: { add_header: 6, reject: 7 }\n");
	v = deliver(s, "a@example.org", "b@example.org", headers, &mail);
	is_int(v->action, ACTION_REJECT, "the next message sees the new threshold");
	is_str(v->reply.code, "554", "refused with actions.reject_reply");
	is_int((long long)v->n_add, 0, "no headers for a refused message");
	engine_session_free(&s);
}

/* A message keeps the snapshot it started with across a reload. */
static void
test_message_keeps_policy(void)
{
	static const char *const one[] = { "X-Score", "1", NULL };
	struct engine_session *s;
	struct engine_reply reply;
	const struct engine_verdict *v;

	publish("authserv_id: mx.test\nfake: { header_score: 4 }\n"
	    "actions: { add_header: 2, reject: 5 }\n");
	s = engine_session_new("client.test", "192.0.2.1");
	engine_mail(s, "a@example.org", 0, &reply);
	engine_rcpt(s, "b@example.org", &reply);
	publish("authserv_id: mx.test\nfake: { header_score: 4 }\n"
	    "actions: { add_header: 2, reject: 3 }\n");
	for (size_t i = 0; one[i] != NULL; i += 2)
		engine_header(s, one[i], one[i + 1], NULL, 0, &reply);
	engine_eoh(s, &reply);
	v = engine_eom(s);
	is_int(v->action, ACTION_ADD_HEADER,
	    "a reload mid-message does not change its thresholds");
	engine_session_free(&s);
}

/* Charges are refunded for what is refused or abandoned, not for what is
 * delivered, nor for what an envelope-only session leaves unfinished. */
static void
test_charges(void)
{
	static const char *const none[] = { NULL };
	static const char *const spam[] = { "X-Score", "1", NULL };
	struct engine_session *s;
	struct engine_reply reply;
	enum check_action mail;

	publish("authserv_id: mx.test\nfake: { header_score: 4 }\n"
	    "actions: { add_header: off, reject: 3 }\n");
	s = engine_session_new("client.test", "192.0.2.1");
	refunds[0] = '\0';
	engine_mail(s, "a@example.org", 0, &reply);
	engine_rcpt(s, "b@example.org", &reply);
	engine_rcpt(s, "nobody@example.org", &reply);
	is_str(refunds, "nobody@example.org,",
	    "a refused recipient's charge is refunded at once");
	engine_eoh(s, &reply);
	engine_eom(s);
	engine_abort(s);
	is_str(refunds, "nobody@example.org,",
	    "a delivered recipient's charge is kept");
	refunds[0] = '\0';
	deliver(s, "a@example.org", "c@example.org", spam, &mail);
	engine_abort(s);
	is_str(refunds, "c@example.org,", "a refused message's are refunded");
	refunds[0] = '\0';
	engine_mail(s, "a@example.org", 0, &reply);
	engine_rcpt(s, "d@example.org", &reply);
	engine_abort(s);
	is_str(refunds, "d@example.org,", "an abandoned message's too");
	engine_session_free(&s);

	s = engine_session_new("client.test", "192.0.2.1");
	engine_set_envelope_only(s);
	refunds[0] = '\0';
	deliver(s, "a@example.org", "e@example.org", none, &mail);
	engine_mail(s, "a@example.org", 0, &reply);
	engine_rcpt(s, "f@example.org", &reply);
	engine_session_free(&s);
	is_str(refunds, "", "envelope only: a message without an end keeps "
	    "its charges");
}

int
main(void)
{
	plan(27);
	log_open("test_engine", true, LOG_LEVEL_ERROR);
	engine_stats_init();
	test_on_error();
	test_charges();
	test_recipients_and_scores();
	test_message_keeps_policy();
	conf_publish(NULL);
	return done();
}
