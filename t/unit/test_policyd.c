/*
 * test_policyd.c - the policy front end's requests on the real engine
 *
 * Drives policyd_answer() with requests parsed by the real parser, under
 * policies loaded from text with the real checks (those that ask DNS or
 * read the message whole are disabled), and checks the replies: DUNNO for
 * a clean recipient, recipients_max at RCPT and at DATA, VRFY and ETRN,
 * a refused network and an invalid HELO name repeated to every request of
 * the message, HOLD at END-OF-MESSAGE, one-shot requests without
 * instance, and the message table: a message ends at END-OF-MESSAGE,
 * when its connection moves on to another instance, when it is the least
 * recently used of too many, and when idle for idle_timeout.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "engine/engine.h"
#include "engine/stats.h"
#include "frontend/policyd.h"
#include "frontend/policyd_proto.h"
#include "metrics/metrics.h"
#include "tap.h"

#define BASE_POLICY \
	"authserv_id: mx.test\n" \
	"access: { refused_networks: [198.51.100.0/24] }\n" \
	"spf: { enabled: no }\ndkim: { enabled: no }\n" \
	"dmarc: { enabled: no }\nantivirus: { enabled: no }\n"

/* Load BASE_POLICY plus extra and make it current. */
static void
publish(const char *extra)
{
	const struct conf_section *const *sections;
	size_t n = engine_sections(&sections);
	struct conf_errors *errs = conf_errors_new();
	struct buf *text = buf_new();
	struct conf *conf;

	buf_puts(text, BASE_POLICY);
	buf_puts(text, extra);
	conf = conf_load_buffer("test.yaml", text->data, text->len, sections,
	    n, errs);
	for (size_t i = 0; i < conf_errors_count(errs); i++)
		printf("# %s\n", conf_errors_get(errs, i));
	if (conf == NULL)
		abort();
	conf_errors_free(&errs);
	buf_free(&text);
	conf_publish(conf);
}

/* The action text for one request of attribute lines (fmt), as a
 * Postfix smtpd at 192.0.2.1 with a valid HELO name would send it; the
 * returned string lives until the next call. */
static const char *
ask(struct policyd_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *
ask(struct policyd_client *c, const char *fmt, ...)
{
	static char action[512];
	struct policyd_parser *p = policyd_parser_new(NULL);
	struct buf *in = buf_new(), *out = buf_new();
	char attrs[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(attrs, sizeof(attrs), fmt, ap);
	va_end(ap);
	buf_puts(in, "request=smtpd_access_policy\n");
	buf_puts(in, attrs);
	if (strstr(attrs, "client_address=") == NULL)
		buf_puts(in, "client_address=192.0.2.1\n");
	if (strstr(attrs, "helo_name=") == NULL)
		buf_puts(in, "helo_name=mail.example.net\n");
	if (strstr(attrs, "sender=") == NULL)
		buf_puts(in, "sender=a@example.net\n");
	buf_puts(in, "client_name=mail.example.net\n\n");
	if (policyd_parser_feed(p, in->data, in->len) != POLICYD_REQUEST)
		abort();
	policyd_answer(c, policyd_parser_request(p), out);
	/* "action=TEXT\n\n" */
	snprintf(action, sizeof(action), "%.*s", (int)(out->len - 9),
	    out->data + 7);
	buf_free(&in);
	buf_free(&out);
	policyd_parser_free(&p);
	return action;
}

/* n RCPT requests of instance; the action of the last one. */
static const char *
rcpts(struct policyd_client *c, const char *instance, int n)
{
	const char *last = NULL;

	for (int i = 1; i <= n; i++)
		last = ask(c, "protocol_state=RCPT\ninstance=%s\n"
		    "recipient=r%d@example.org\n", instance, i);
	return last;
}

/* mxward_messages_total{action="name"}, as the metrics page shows it. */
static long
messages_counted(const char *name)
{
	struct buf *b = buf_new();
	char *key = xasprintf("mxward_messages_total{action=\"%s\"} ", name);
	const char *at;
	long n = -1;

	metrics_render(b);
	at = strstr(b->data, key);
	if (at != NULL)
		n = strtol(at + strlen(key), NULL, 10);
	free(key);
	buf_free(&b);
	return n;
}

static void
test_recipients(void)
{
	struct policyd_client *c = policyd_client_new("test");
	long accepted, deferred;

	publish("recipients_max: { limit: 3 }\n");
	is_str(rcpts(c, "i1", 1), "DUNNO", "a clean recipient: DUNNO");
	is_str(rcpts(c, "i2", 3), "DUNNO", "third recipient of three: DUNNO");
	is_str(ask(c, "protocol_state=RCPT\ninstance=i2\n"
	    "recipient=<r4@example.org>\n"), "452 4.5.3 Too many recipients",
	    "fourth: 452 4.5.3 from recipients_max");
	accepted = messages_counted("accept");
	deferred = messages_counted("tempfail");
	is_str(ask(c, "protocol_state=DATA\ninstance=i3\nrecipient_count=4\n"),
	    "550 5.5.3 Too many recipients",
	    "DATA of a new instance with recipient_count 4: 550 5.5.3");
	ok(messages_counted("accept") == accepted + 1 &&
	    messages_counted("tempfail") == deferred,
	    "i2 ended: accepted for its 3 recipients, not counted deferred");
	is_str(ask(c, "protocol_state=DATA\ninstance=i4\nrecipient_count=3\n"),
	    "DUNNO", "DATA with recipient_count 3: DUNNO");
	is_str(rcpts(c, "", 4), "DUNNO",
	    "without instance every request stands alone");
	is_str(ask(c, "protocol_state=RCPT\nrecipient=x@example.org\n"
	    "sender=<>\n"), "DUNNO", "the null sender in brackets");
	is_str(ask(c, "protocol_state=BOGUS\ninstance=i5\n"), "DUNNO",
	    "an unknown protocol_state: DUNNO");
	policyd_client_free(&c);
}

static void
test_commands(void)
{
	struct policyd_client *c = policyd_client_new("test");

	publish("");
	is_str(ask(c, "protocol_state=VRFY\nrecipient=root\n"),
	    "502 5.5.1 VRFY command is disabled", "VRFY refused by default");
	is_str(ask(c, "protocol_state=ETRN\netrn_domain=example.org\n"),
	    "DUNNO", "ETRN accepted by default");
	publish("policy_service: { vrfy: accept, etrn: reject, "
	    "etrn_reply: \"458 4.7.1 Not now\" }\n");
	is_str(ask(c, "protocol_state=VRFY\nrecipient=root\n"), "DUNNO",
	    "vrfy: accept");
	is_str(ask(c, "protocol_state=ETRN\netrn_domain=example.org\n"),
	    "458 4.7.1 Not now", "etrn: reject with etrn_reply");
	is_str(ask(c, "protocol_state=VRFY\nrecipient=root\n"
	    "client_address=198.51.100.7\n"), "554 5.7.1 Access denied",
	    "VRFY from a refused network: the connect refusal");
	policyd_client_free(&c);
}

static void
test_refusals(void)
{
	struct policyd_client *c = policyd_client_new("test");

	publish("recipients_max: { limit: 3 }\n"
	    "actions: { quarantine: 2, add_header: off }\n"
	    "helo: { invalid_action: score, invalid_score: 3 }\n");
	is_str(ask(c, "protocol_state=CONNECT\nclient_address=198.51.100.7\n"
	    "helo_name=\n"), "554 5.7.1 Access denied",
	    "CONNECT from a refused network");
	is_str(ask(c, "protocol_state=RCPT\ninstance=r1\n"
	    "client_address=198.51.100.7\nrecipient=a@example.org\n"),
	    "554 5.7.1 Access denied", "its RCPT: refused too");
	is_str(ask(c, "protocol_state=RCPT\ninstance=r1\n"
	    "client_address=198.51.100.7\nrecipient=b@example.org\n"),
	    "554 5.7.1 Access denied", "and the next RCPT of the message");
	is_str(ask(c, "protocol_state=RCPT\ninstance=h1\nhelo_name=bad\n"
	    "recipient=a@example.org\n"), "DUNNO",
	    "an invalid HELO name only scored: DUNNO at RCPT");
	is_str(ask(c, "protocol_state=END-OF-MESSAGE\ninstance=h1\n"
	    "helo_name=bad\nrecipient_count=1\nsize=300\n"),
	    "HOLD held by mxward", "score 3 over quarantine 2: HOLD");
	is_str(rcpts(c, "h1", 3), "DUNNO",
	    "the message ended there: its instance starts afresh");

	publish("");
	is_str(ask(c, "protocol_state=MAIL\ninstance=h2\nhelo_name=bad\n"),
	    "550 5.7.1 Invalid HELO/EHLO name", "invalid HELO refused at MAIL");
	is_str(ask(c, "protocol_state=RCPT\ninstance=h2\nhelo_name=bad\n"
	    "recipient=a@example.org\n"), "550 5.7.1 Invalid HELO/EHLO name",
	    "and at every RCPT of the message");
	policyd_client_free(&c);
}

/* Pause for ms milliseconds. */
static void
pause_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&t, NULL);
}

static void
test_table(void)
{
	struct policyd_client *a = policyd_client_new("a"),
	    *b = policyd_client_new("b"), *d = policyd_client_new("d"),
	    *e = policyd_client_new("e");

	publish("recipients_max: { limit: 1 }\n"
	    "policy_service: { max_messages_tracked: 2, idle_timeout: 1s }\n");
	is_str(rcpts(a, "t1", 2), "452 4.5.3 Too many recipients",
	    "limit 1: the second recipient deferred");
	is_str(rcpts(b, "t1", 1), "452 4.5.3 Too many recipients",
	    "the same instance from another connection: the same message");
	rcpts(e, "t2", 1);
	rcpts(d, "t3", 1);
	is_str(rcpts(a, "t1", 1), "DUNNO",
	    "t1, least recently used of three, was dropped");
	rcpts(d, "t4", 1);
	is_str(rcpts(d, "t3", 1), "DUNNO",
	    "t3 ended when its connection asked about t4");
	is_str(rcpts(d, "t3", 1), "452 4.5.3 Too many recipients",
	    "and is followed again from there");
	pause_ms(1100);
	policyd_messages_expire();
	is_str(rcpts(d, "t3", 1), "DUNNO", "dropped after idle_timeout");
	ok(policyd_messages_free(), "every message freed at the end");
	policyd_client_free(&a);
	policyd_client_free(&b);
	policyd_client_free(&d);
	policyd_client_free(&e);
}

static void
test_metrics(void)
{
	struct buf *b = buf_new();

	metrics_render(b);
	ok(strstr(b->data, "mxward_policy_requests_total{state=\"RCPT\"}") !=
	    NULL, "requests counted by state");
	ok(strstr(b->data, "mxward_policy_replies_total{action=\"hold\"} 1") !=
	    NULL, "replies counted by action");
	buf_free(&b);
}

int
main(void)
{
	log_open("test_policyd", true, LOG_LEVEL_ERROR);
	engine_stats_init();
	policyd_requests_init();
	plan(31);
	test_recipients();
	test_commands();
	test_refusals();
	test_table();
	test_metrics();
	return done();
}
