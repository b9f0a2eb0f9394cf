/*
 * test_dmarc_check.c - the dmarc check: what a result does to a message
 *
 * check_dmarc's run() is driven with hand-made transactions (a message,
 * SPF and DKIM results in struct auth_results) against records served by
 * real DNS servers through the real resolver: t/unit/test_dmarc_check.sh
 * starts nsd (DNS_PORT) and the dnslib stub (STUB_PORT), and each test
 * says which one it asks; without them the test skips. Options are set
 * through the check's own option table,
 * from their defaults or the text a test gives, and its init() and fini()
 * run as the policy loader would run them. conf_errors_here() is provided
 * here, so no libconf is needed.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/auth.h"
#include "checks/check.h"
#include "core/arena.h"
#include "tap.h"
#include "testdns.h"

/* The stub's silence costs this much, each time. */
#define STUB_TIMEOUT_MS 1000

extern const struct check check_dmarc;

struct conf_errors {
	char last[512];
};

void
conf_errors_here(struct conf_errors *errs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errs->last, sizeof(errs->last), fmt, ap);
	va_end(ap);
}

static struct arena *arena;
static void *values;

/* Store text, as written in YAML without quotes, into option key. */
static void
set(const char *key, const char *text)
{
	const struct conf_option *o = check_dmarc.section.options;
	char *at;

	while (o->key != NULL && strcmp(o->key, key) != 0)
		o++;
	if (o->key == NULL) {
		printf("Bail out! no option %s\n", key);
		exit(1);
	}
	at = (char *)values + o->offset;
	if (text[0] == '"') /* a default written in YAML quotes */
		text = arena_strndup(arena, text + 1, strlen(text) - 2);
	switch (o->type) {
	case CONF_BOOL:
		*(bool *)at = strcmp(text, "yes") == 0;
		break;
	case CONF_SCORE:
		*(double *)at = strtod(text, NULL);
		break;
	case CONF_DURATION:
		*(uint64_t *)at = strtoull(text, NULL, 10);
		break;
	case CONF_STRING:
		*(const char **)at = arena_strdup(arena, text);
		break;
	case CONF_ENUM:
		for (const struct conf_name_code *n = o->names; n->name; n++)
			if (strcmp(n->name, text) == 0)
				*(int *)at = n->code;
		break;
	case CONF_REPLY: {
		struct conf_reply *r = (struct conf_reply *)at;

		sscanf(text, "%3s %15s", r->code, r->xcode);
		r->text = arena_strdup(arena, text + 4 + strlen(r->xcode) + 1);
		break;
	}
	default:
		printf("Bail out! option %s: type not handled\n", key);
		exit(1);
	}
}

/* Fresh values: every default, then "key=value" overrides; init runs. */
static void
configure(const char *const *overrides)
{
	struct conf_errors errs = { "" };

	if (values != NULL)
		check_dmarc.section.fini(values);
	values = arena_zalloc(arena, check_dmarc.section.size);
	for (const struct conf_option *o = check_dmarc.section.options;
	    o->key != NULL; o++)
		if (o->default_value != NULL)
			set(o->key, o->default_value);
	for (; overrides != NULL && *overrides != NULL; overrides++) {
		char key[64];
		const char *eq = strchr(*overrides, '=');

		snprintf(key, sizeof(key), "%.*s", (int)(eq - *overrides),
		    *overrides);
		set(key, eq + 1);
	}
	if (!check_dmarc.section.init(values, arena, &errs)) {
		printf("Bail out! init: %s\n", errs.last);
		exit(1);
	}
}

#define OPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static struct check_report report;
static struct auth_results auth;
static enum check_status status;
static bool dkim_unchecked; /* run() as if the DKIM check were off */
static struct dns_resolver *nsd, *stub;
static struct dns_resolver *dns; /* what run() asks: nsd or stub */

/* Run the check on a message with From: from and the given results:
 * spf is the SPF pass domain or NULL, dkim a d= that passed or NULL. */
static void
run(const char *from_header, const char *spf, const char *dkim)
{
	char message[512];
	struct check_txn txn = {
		.client_address = "192.0.2.9", .sender = "b@bounce.example",
		.queue_id = "QID1", .hostname = "mx.test", .auth = &auth,
		.dns = dns,
	};

	snprintf(message, sizeof(message), "%sSubject: t\r\n\r\nbody\r\n",
	    from_header);
	memset(&auth, 0, sizeof(auth));
	auth.dkim_checked = !dkim_unchecked;
	if (spf != NULL) {
		auth.spf.result = "pass";
		auth.spf.identity = "mailfrom";
		auth.spf.domain = spf;
	}
	if (dkim != NULL) {
		auth.dkim[0].result = "pass";
		auth.dkim[0].domain = dkim;
		auth.dkim[0].selector = "s1";
		auth.n_dkim = auth.n_dkim_seen = 1;
	}
	txn.message = (const unsigned char *)message;
	txn.message_len = strlen(message);
	check_report_init(&report, arena);
	report.auth = &auth;
	status = check_dmarc.run(CHECK_EOM, &txn, values, &report);
}

/* The symbol called name in the report, or NULL. */
static const struct check_symbol *
symbol(const char *name)
{
	for (const struct check_symbol *s = report.symbols; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static void
test_results(void)
{
	/* _dmarc.example.org: p=reject, rua=; _dmarc.quar.example:
	 * p=quarantine; nothing.example: none. */
	dns = nsd;
	configure(NULL);

	run("From: A <a@example.org>\r\n", NULL, "example.org");
	ok(status == CHECK_DONE && symbol("DMARC_PASS") != NULL &&
	    symbol("DMARC_PASS")->score == -1, "pass: DMARC_PASS, -1");
	is_str(report.authres[0], "dmarc=pass (p=reject dis=none) "
	    "header.from=example.org", "pass: Authentication-Results");
	ok(auth.dmarc.result != NULL && strcmp(auth.dmarc.result, "pass") == 0 &&
	    strcmp(auth.dmarc.policy, "reject") == 0 &&
	    strcmp(auth.dmarc.domain, "example.org") == 0,
	    "pass: auth->dmarc filled");
	ok(report.n_facts == 1 && strcmp(report.fact_values[0], "pass") == 0,
	    "fact dmarc=pass");

	run("From: a@example.org\r\n", "bounce.example", NULL);
	ok(report.action == ACTION_REJECT && strcmp(report.reply.code,
	    "550") == 0 && strcmp(report.reply.xcode, "5.7.1") == 0,
	    "fail, p=reject honoured: 550 5.7.1");
	is_str(report.reply.text, "Rejected by the DMARC policy of "
	    "example.org", "... {domain} in the reply");
	is_str(report.authres[0], "dmarc=fail (p=reject dis=reject) "
	    "header.from=example.org", "... Authentication-Results");
	is_str(auth.dmarc.disposition, "reject", "... disposition reject");

	/* Without the DKIM check a valid signature could have gone unseen. */
	dkim_unchecked = true;
	run("From: a@example.org\r\n", "bounce.example", NULL);
	dkim_unchecked = false;
	ok(report.action == ACTION_ACCEPT && symbol("DMARC_FAIL") &&
	    strstr(symbol("DMARC_FAIL")->detail, "not applied") != NULL,
	    "fail without the DKIM check: scored, policy not applied");

	configure(OPTS("reject_policy=quarantine"));
	run("From: a@example.org\r\n", NULL, NULL);
	ok(report.action == ACTION_QUARANTINE && symbol("DMARC_REJECT"),
	    "reject_policy: quarantine");
	configure(OPTS("reject_policy=score"));
	run("From: a@example.org\r\n", NULL, NULL);
	ok(report.action == ACTION_ACCEPT && symbol("DMARC_REJECT") &&
	    symbol("DMARC_REJECT")->score == 10, "reject_policy: score (10)");
	is_str(report.authres[0], "dmarc=fail (p=reject dis=none) "
	    "header.from=example.org", "... dis=none");

	configure(NULL);
	run("From: q@quar.example\r\n", NULL, NULL);
	ok(report.action == ACTION_QUARANTINE && symbol("DMARC_QUARANTINE"),
	    "p=quarantine honoured");
	configure(OPTS("quarantine_policy=score"));
	run("From: q@quar.example\r\n", NULL, NULL);
	ok(report.action == ACTION_ACCEPT && symbol("DMARC_QUARANTINE")->score
	    == 5, "quarantine_policy: score (5)");

	configure(NULL);
	run("From: n@nothing.example\r\n", NULL, NULL);
	ok(status == CHECK_DONE && symbol("DMARC_NONE") &&
	    report.action == ACTION_ACCEPT, "no record: DMARC_NONE");
	is_str(report.authres[0], "dmarc=none header.from=nothing.example",
	    "... dmarc=none");
}

static void
test_errors_and_from(void)
{
	/* The stub: no answer for _dmarc.slow.example; _dmarc.example.org:
	 * p=reject; _dmarc.example.net: p=none. */
	dns = stub;
	configure(NULL);

	run("From: s@slow.example\r\n", NULL, NULL);
	ok(status == CHECK_ERROR && report.error != NULL &&
	    strstr(report.error, "timeout") != NULL,
	    "DNS timeout: could not decide (%s)", report.error);
	is_str(report.authres[0], "dmarc=temperror header.from=slow.example",
	    "... dmarc=temperror");
	run("From: s@slow.example\r\n", NULL, "slow.example");
	ok(status == CHECK_DONE && symbol("DMARC_TEMPERROR"),
	    "DNS timeout, the From domain itself passed DKIM: go on");

	run("From: a@example.org\r\nFrom: b@example.net\r\n", NULL, NULL);
	ok(report.action == ACTION_REJECT && symbol("DMARC_MULTIPLE_FROM") &&
	    strstr(report.reply.text, "several domains") != NULL,
	    "two From domains: rejected");
	configure(OPTS("multiple_from=strictest"));
	run("From: b@example.net, a@example.org\r\n", NULL, "example.net");
	ok(report.action == ACTION_REJECT && symbol("DMARC_REJECT") &&
	    strstr(report.reply.text, "example.org") != NULL,
	    "strictest: the failing domain's p=reject applies");
	run("From: b@example.net, a@example.org\r\n", NULL, "example.org");
	ok(report.action == ACTION_ACCEPT && symbol("DMARC_FAIL"),
	    "strictest: p=none of the other is the worst");

	configure(NULL);
	run("", NULL, NULL);
	ok(status == CHECK_DONE && symbol("DMARC_NO_FROM")->score == 3 &&
	    report.action == ACTION_ACCEPT, "no From: scored 3");
	configure(OPTS("missing_from=reject"));
	run("From: undisclosed-recipients:;\r\n", NULL, NULL);
	ok(report.action == ACTION_REJECT && strstr(report.reply.text,
	    "no usable From") != NULL, "missing_from: reject");
}

static void
test_report_file(void)
{
	char path[256], line[4096];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/test_dmarc_check.%ld.jsonl",
	    P_tmpdir, (long)getpid());
	unlink(path);
	configure(OPTS("report_data=file",
	    arena_sprintf(arena, "report_file=%s", path)));
	dns = nsd; /* _dmarc.example.org: p=reject, rua= */
	run("From: a@example.org\r\n", NULL, "example.org");
	run("From: a@example.org\r\n", "bounce.example", NULL);
	run("From: a@nothing.example\r\n", NULL, NULL);
	f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		n++;
	is_int(n, 2, "report data: one line per evaluated message");
	ok(strstr(line, "\"disposition\":\"reject\"") != NULL &&
	    strstr(line, "\"queue_id\":\"QID1\"") != NULL &&
	    strstr(line, "\"envelope_from\":\"bounce.example\"") != NULL,
	    "... the last is the rejected one");
	if (f != NULL)
		fclose(f);
	unlink(path);
}

/* A message the engine could not keep is an error, never a pass. */
static void
test_no_message(void)
{
	struct check_txn txn = { .message_error = "disk full" };

	check_report_init(&report, arena);
	status = check_dmarc.run(CHECK_EOM, &txn, values, &report);
	ok(status == CHECK_ERROR && strstr(report.error, "disk full") != NULL,
	    "no message: could not decide");
}

int
main(void)
{
	if (getenv("DNS_PORT") == NULL || getenv("STUB_PORT") == NULL) {
		printf("1..0 # SKIP no DNS servers (run "
		    "t/unit/test_dmarc_check.sh)\n");
		return 0;
	}
	nsd = testdns_resolver("DNS_PORT", 3000);
	stub = testdns_resolver("STUB_PORT", STUB_TIMEOUT_MS);
	arena = arena_new();
	plan(27);
	test_results();
	test_errors_and_from();
	test_report_file();
	test_no_message();
	check_dmarc.section.fini(values);
	arena_free(&arena);
	dns_resolver_unref(&nsd);
	dns_resolver_unref(&stub);
	return done();
}
