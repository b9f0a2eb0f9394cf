/*
 * test_ratelimit_check.c - the rate_limits check through the real engine
 *
 * Loads policies with the real loader and registry, starts the checks as
 * the daemon does (engine_start, engine_update after a reload) and drives
 * whole transactions, with the embedded store: messages, recipients and
 * bytes counted where rate_limits says, refusals with the limit's reply,
 * dry_run, score, exemptions, stress, refunds of refused mail, the DATA
 * charge of an envelope-only session, counts kept across a reload, a
 * store that cannot answer (an unreachable Redis) with and without
 * fail_open, and the policy errors of a limit.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/log.h"
#include "engine/engine.h"
#include "engine/stats.h"
#include "tap.h"

#define BASE "authserv_id: mx.test\nantivirus: { enabled: false }\n" \
	"helo: { enabled: false }\nrelay: { enabled: false }\n" \
	"spf: { enabled: false }\ndkim: { enabled: false }\n" \
	"dmarc: { enabled: false }\n" \
	"dns: { servers: ['127.0.0.1@1'], timeout: 100ms }\n"

/* Load policy text; NULL with the first error in *err_r when it fails. */
static struct conf *
load(const char *yaml, char *err, size_t errlen)
{
	const struct conf_section *const *sections;
	size_t n = engine_sections(&sections);
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = conf_load_buffer("test.yaml", yaml, strlen(yaml),
	    sections, n, errs);

	snprintf(err, errlen, "%s", conf_errors_count(errs) ?
	    conf_errors_get(errs, 0) : "");
	conf_errors_free(&errs);
	return conf;
}

/* Make policy text current and let the checks follow. */
static void
publish(const char *yaml)
{
	char err[512];
	struct conf *conf = load(yaml, err, sizeof(err));

	if (conf == NULL) {
		printf("Bail out! policy: %s\n", err);
		exit(1);
	}
	conf_publish(conf);
	engine_update();
}

/* Start a message from sender; the MAIL answer. */
static enum check_action
mail(struct engine_session *s, const char *sender)
{
	struct engine_reply reply;

	return engine_mail(s, sender, 0, &reply);
}

/* One RCPT; its answer, reply code in code (4 bytes). */
static enum check_action
rcpt(struct engine_session *s, const char *to, char *code)
{
	struct engine_reply reply = { 0 };
	enum check_action a = engine_rcpt(s, to, &reply);

	snprintf(code, 16, "%s %s", a == ACTION_ACCEPT ? "" : reply.code,
	    a == ACTION_ACCEPT ? "" : reply.xcode);
	return a;
}

/* A whole message of body bytes to one recipient; the verdict action,
 * or the RCPT refusal. */
static enum check_action
message(struct engine_session *s, const char *sender, const char *to,
    size_t body)
{
	static char chunk[4096];
	struct engine_reply reply;
	char code[16];
	enum check_action a;

	memset(chunk, 'x', sizeof(chunk));
	mail(s, sender);
	if ((a = rcpt(s, to, code)) != ACTION_ACCEPT) {
		engine_abort(s);
		return a;
	}
	engine_data(s, &reply);
	engine_header(s, "Subject", "t", NULL, 0, &reply);
	engine_eoh(s, &reply);
	for (size_t left = body; left > 0;) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);

		engine_body(s, chunk, n, &reply);
		left -= n;
	}
	return engine_eom(s)->action;
}

/* Does a symbol of that name appear in the message's findings? */
static bool
has_symbol(struct engine_session *s, const char *name)
{
	const struct check_symbol *lists[2];

	engine_findings(s, lists);
	for (size_t l = 0; l < 2; l++)
		for (const struct check_symbol *y = lists[l]; y; y = y->next)
			if (strcmp(y->name, name) == 0)
				return true;
	return false;
}

static void
test_messages_and_recipients(void)
{
	struct engine_session *s;
	char code[16];
	size_t accepted = 0;

	publish(BASE "rate_limits:\n  limits:\n"
	    "    per_sender: { key: [sender], counts: messages, "
	    "rate: 3 per 1h }\n"
	    "    per_client: { key: [client_address], counts: recipients, "
	    "rate: 5 per 1h }\n");
	s = engine_session_new("c.example", "192.0.2.1");
	for (int i = 0; i < 3; i++)
		is_int(message(s, "Bob@Example.org", "a@example.net", 10),
		    ACTION_ACCEPT, "a message of the 3 per hour passes");
	mail(s, "bob@example.org");
	is_int(rcpt(s, "a@example.net", code), ACTION_TEMPFAIL,
	    "the 4th message (the sender in another case) is deferred at "
	    "its first RCPT");
	is_str(code, "451 4.7.1", "with 451 4.7.1");
	ok(has_symbol(s, "RATELIMIT"), "symbol RATELIMIT");
	engine_abort(s);

	/* 3 recipients charged so far; the sender limit does not apply to
	 * another sender. */
	mail(s, "carol@example.org");
	for (int i = 0; i < 4; i++)
		accepted += rcpt(s, "x@example.net", code) == ACTION_ACCEPT;
	is_int((long long)accepted, 2, "per_client: 5 recipients per hour, "
	    "3 used: 2 more pass");
	is_str(code, "451 4.7.1", "the others are deferred");
	engine_session_free(&s);

	s = engine_session_new("c.example", "192.0.2.2");
	is_int(message(s, "dave@example.org", "a@example.net", 10),
	    ACTION_ACCEPT, "another client has its own count");
	engine_session_free(&s);
}

static void
test_refunds_and_bytes(void)
{
	struct engine_session *s;
	char code[16];

	publish(BASE "rate_limits:\n  limits:\n"
	    "    rcpts: { key: [client_address], counts: recipients, "
	    "rate: 2 per 1h }\n"
	    "    volume: { key: [sender_domain], counts: bytes, "
	    "rate: 10000 per 1h, action: reject }\n");
	s = engine_session_new("c.example", "192.0.2.3");
	is_int(message(s, "a@big.example", "x@example.net", 20000),
	    ACTION_REJECT, "bytes: a message over the whole burst is refused "
	    "at end of data");
	is_int(message(s, "a@small.example", "x@example.net", 100),
	    ACTION_ACCEPT, "the refused message's recipient was refunded");
	is_int(message(s, "a@small.example", "x@example.net", 100),
	    ACTION_ACCEPT, "and so this second one passes");
	mail(s, "a@small.example");
	is_int(rcpt(s, "x@example.net", code), ACTION_TEMPFAIL,
	    "the third recipient in the hour is deferred");
	engine_abort(s);
	engine_session_free(&s);
}

static void
test_modes(void)
{
	struct engine_session *s;
	char code[16];

	publish(BASE "access: { trusted_networks: [] }\n"
	    "rate_limits:\n  limits:\n"
	    "    dry: { key: [client_network], counts: recipients, "
	    "rate: 1 per 1h, dry_run: yes }\n"
	    "    scored: { key: [helo], counts: recipients, rate: 1 per 1h, "
	    "action: score, score: 2.5 }\n"
	    "    exempt: { key: [client_address], counts: recipients, "
	    "rate: 1 per 1h, exempt_networks: [192.0.2.0/28], "
	    "exempt_logins: [relay] }\n"
	    "    busy: { key: [client_address], counts: recipients, "
	    "rate: 1 per 1h, only_under_stress: yes }\n");
	s = engine_session_new("c.example", "192.0.2.4");
	engine_helo(s, "h.example", &(struct engine_reply){ 0 });
	mail(s, "a@example.org");
	is_int(rcpt(s, "1@example.net", code), ACTION_ACCEPT, "first passes");
	is_int(rcpt(s, "2@example.net", code), ACTION_ACCEPT,
	    "dry run, score and exempt: the second passes too");
	ok(has_symbol(s, "RATELIMIT_DRY_RUN"), "dry run is recorded");
	ok(has_symbol(s, "RATELIMIT"), "the score limit adds its symbol");
	engine_set_stress(s, true);
	is_int(rcpt(s, "3@example.net", code), ACTION_ACCEPT,
	    "under stress the busy limit starts counting: its first passes");
	is_int(rcpt(s, "4@example.net", code), ACTION_TEMPFAIL,
	    "and its second is deferred");
	engine_session_free(&s);

	s = engine_session_new("c.example", "198.51.100.1");
	engine_set_auth(s, "relay");
	mail(s, "a@example.org");
	rcpt(s, "1@example.net", code);
	is_int(rcpt(s, "2@example.net", code), ACTION_ACCEPT,
	    "an exempt login is not counted");
	engine_session_free(&s);
}

/* The policy front end may ask at DATA only, with the MTA's count. */
static void
test_envelope_data(void)
{
	struct engine_session *s;
	struct engine_reply reply;

	publish(BASE "rate_limits:\n  limits:\n"
	    "    msgs: { key: [sender], counts: messages, rate: 1 per 1h }\n"
	    "    rcpts: { key: [sender], counts: recipients, "
	    "rate: 10 per 1h }\n");
	s = engine_session_new("c.example", "192.0.2.5");
	engine_set_envelope_only(s);
	mail(s, "e@example.org");
	engine_set_message_counts(s, 8, 0);
	is_int(engine_data(s, &reply), ACTION_ACCEPT,
	    "DATA with 8 recipients told: charged, passes");
	engine_abort(s);
	mail(s, "e@example.org");
	engine_set_message_counts(s, 3, 0);
	is_int(engine_data(s, &reply), ACTION_TEMPFAIL,
	    "a second message at DATA: over both limits, deferred");
	engine_session_free(&s);
}

/* A reload keeps the counts; an unreachable Redis follows the policy. */
static void
test_reload_and_store_errors(void)
{
	struct engine_session *s;
	char code[16];

	publish(BASE "rate_limits:\n  limits:\n"
	    "    r: { key: [client_address], counts: recipients, "
	    "rate: 1 per 1h }\n");
	s = engine_session_new("c.example", "192.0.2.6");
	message(s, "a@example.org", "1@example.net", 10);
	publish(BASE "rate_limits:\n  max_keys: 5000\n  limits:\n"
	    "    r: { key: [client_address], counts: recipients, "
	    "rate: 1 per 1h }\n");
	mail(s, "a@example.org");
	is_int(rcpt(s, "1@example.net", code), ACTION_TEMPFAIL,
	    "a reload keeps what was charged");
	engine_abort(s);

	publish(BASE "rate_limits:\n  store: redis\n"
	    "  redis_address: 127.0.0.1:1\n  redis_timeout: 100ms\n"
	    "  limits:\n    r: { key: [sender], counts: recipients, "
	    "rate: 1 per 1h }\n");
	mail(s, "a@example.org");
	is_int(rcpt(s, "1@example.net", code), ACTION_TEMPFAIL,
	    "Redis unreachable: on_error tempfail");
	is_str(code, "451 4.7.1", "with the error reply");
	engine_abort(s);
	publish(BASE "rate_limits:\n  store: redis\n"
	    "  redis_address: 127.0.0.1:1\n  on_error: reject\n"
	    "  limits:\n    r: { key: [sender], counts: recipients, "
	    "rate: 1 per 1h }\n");
	mail(s, "a@example.org");
	is_int(rcpt(s, "1@example.net", code), ACTION_REJECT,
	    "on_error reject refuses");
	engine_abort(s);
	publish(BASE "rate_limits:\n  store: redis\n"
	    "  redis_address: 127.0.0.1:1\n"
	    "  limits:\n    r: { key: [sender], counts: recipients, "
	    "rate: 1 per 1h, fail_open: yes }\n");
	mail(s, "a@example.org");
	is_int(rcpt(s, "1@example.net", code), ACTION_ACCEPT,
	    "fail_open lets the recipient through");
	ok(has_symbol(s, "RATELIMIT_UNCHECKED"), "marked unchecked");
	engine_session_free(&s);
}

/* A limit's policy errors, each named with the limit. */
static void
test_policy_errors(void)
{
	static const struct {
		const char *limit, *want;
	} cases[] = {
		{ "{ key: [sender], rate: 1 per 1h }", "counts is required" },
		{ "{ key: [sender], counts: messages }", "rate is required" },
		{ "{ key: [sender], counts: messages, rate: 1 per fortnight }",
		  "unknown unit" },
		{ "{ key: [mailbox], counts: messages, rate: 1 per 1h }",
		  "unknown key part 'mailbox'" },
		{ "{ counts: messages, rate: 1 per 1h }", "key needs" },
		{ "{ key: [recipient], counts: messages, rate: 1 per 1h }",
		  "counts recipients" },
		{ "{ key: [sender], counts: bytes, rate: 1 per 1h, "
		  "tempfail_reply: '550 5.7.1 no' }", "4xx" },
	};
	char yaml[512], err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf *conf;

		snprintf(yaml, sizeof(yaml), BASE "rate_limits:\n  limits:\n"
		    "    bad: %s\n", cases[i].limit);
		conf = load(yaml, err, sizeof(err));
		ok(conf == NULL && strstr(err, "bad") != NULL &&
		    strstr(err, cases[i].want) != NULL, "refused: %s", err);
		conf_free(&conf);
	}
	snprintf(yaml, sizeof(yaml), BASE "rate_limits:\n  store: redis\n"
	    "  redis_address: 127.0.0.1:1\n  limits:\n    fast: { key: "
	    "[sender], counts: messages, rate: 2000000 per 1s }\n");
	ok(load(yaml, err, sizeof(err)) == NULL && strstr(err, "fast") != NULL,
	    "more than one per microsecond is refused on redis: %s", err);
	snprintf(yaml, sizeof(yaml), BASE "rate_limits:\n  store: redis\n"
	    "  limits: {}\n");
	ok(load(yaml, err, sizeof(err)) == NULL &&
	    strstr(err, "redis_address") != NULL, "redis needs an address");
}

int
main(void)
{
	char err[256];

	plan(37);
	log_open("test_ratelimit_check", true, LOG_LEVEL_ERROR);
	engine_stats_init();
	publish(BASE);
	if (!engine_start(err, sizeof(err))) {
		printf("Bail out! engine_start: %s\n", err);
		return 1;
	}
	test_messages_and_recipients();
	test_refunds_and_bytes();
	test_modes();
	test_envelope_data();
	test_reload_and_store_errors();
	test_policy_errors();
	engine_stop();
	conf_publish(NULL);
	return 0;
}
