/*
 * test_spf_check.c - unit tests for checks/check_spf: the policy section,
 * who is checked, where results go, and when actions apply
 *
 * The values come from YAML through conf_load_buffer(). Lookups go to a
 * resolver whose server is a closed port on 127.0.0.1, so every question
 * fails: each checked sender is a temperror (with both engines: libspf2's
 * missing result is mapped), which is enough to see the actions, replies,
 * reject_at and the headers; names that are not domains give none without
 * DNS. Evaluation against real zone data is t/conformance/spf-suite.sh.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks/auth.h"
#include "checks/check.h"
#include "conf/conf.h"
#include "core/arena.h"
#include "dns/resolver.h"
#include "tap.h"

extern const struct check check_spf;

static struct dns_resolver *dns;
static struct arena *arena;
static struct conf *confs[16]; /* loaded, freed at the end */
static size_t n_confs;

/* The spf section loaded from yaml; NULL (and the first error in err)
 * when refused. */
static const void *
load(const char *yaml, char *err, size_t errlen)
{
	const struct conf_section *sections[] = { &check_spf.section };
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = conf_load_buffer("spf.yaml", yaml, strlen(yaml),
	    sections, 1, errs);

	snprintf(err, errlen, "%s", conf_errors_count(errs) ?
	    conf_errors_get(errs, 0) : "");
	conf_errors_free(&errs);
	if (conf == NULL || n_confs == sizeof(confs) / sizeof(confs[0]))
		return NULL;
	confs[n_confs++] = conf;
	return conf_section_values(conf, 0);
}

/* A transaction from 192.0.2.1 with helo and sender. */
static void
txn_init(struct check_txn *txn, const char *helo, const char *sender)
{
	memset(txn, 0, sizeof(*txn));
	txn->client_name = "client.example";
	txn->client_address = "192.0.2.1";
	ip_parse("192.0.2.1", &txn->client_ip);
	txn->client_ip_valid = true;
	txn->helo = helo;
	txn->sender = sender;
	txn->dns = dns;
	txn->hostname = "mx.test.example";
}

/* Run one phase with a fresh report writing into auth. */
static void
run(const void *values, enum check_phase phase, struct check_txn *txn,
    struct auth_results *auth, struct check_report *report)
{
	check_report_init(report, arena);
	report->auth = auth;
	txn->auth = auth;
	ok(check_spf.run(phase, txn, values, report) == CHECK_DONE,
	    "run returns CHECK_DONE");
}

/* Option checks done by init. */
static void
test_policy(void)
{
	char err[512];

	ok(load("spf: {}\n", err, sizeof(err)) != NULL, "defaults load: %s",
	    err);
	ok(load("spf: { temperror_action: reject }\n", err, sizeof(err)) ==
	    NULL && strstr(err, "5xx") != NULL,
	    "reject with the 451 default reply refused: %s", err);
	ok(load("spf: { fail_action: tempfail }\n", err, sizeof(err)) ==
	    NULL && strstr(err, "4xx") != NULL,
	    "tempfail with a 550 reply refused: %s", err);
	ok(load("spf: { fail_action: tempfail, fail_reply: \"451 4.7.23 "
	    "later\" }\n", err, sizeof(err)) != NULL,
	    "tempfail with a 451 reply: %s", err);
	ok(load("spf: { default_explanation: \"The %{x}-files\" }\n", err,
	    sizeof(err)) == NULL, "bad default_explanation refused: %s", err);
	ok(load("spf: { engine: spfmilter }\n", err, sizeof(err)) == NULL,
	    "unknown engine refused");
	ok(load("spf: { reject_at: rcpt, engine: libspf2, pass_score: off }\n",
	    err, sizeof(err)) != NULL, "reject_at, engine, off score: %s", err);
}

/* Who is not checked. */
static void
test_skipped(const void *values, const void *trusted_too)
{
	struct check_txn txn;
	struct check_report report;
	struct auth_results auth = { 0 };

	txn_init(&txn, "mail.example.org", "user@example.org");
	txn.client_ip_valid = false;
	run(values, CHECK_MAIL, &txn, &auth, &report);
	ok(auth.spf.result == NULL && report.n_authres == 0,
	    "no client address: no result");
	txn_init(&txn, "mail.example.org", "user@example.org");
	txn.trusted = true;
	run(values, CHECK_MAIL, &txn, &auth, &report);
	ok(auth.spf.result == NULL, "trusted client: not checked");
	txn.auth_login = "alice";
	txn.trusted = false;
	run(values, CHECK_MAIL, &txn, &auth, &report);
	ok(auth.spf.result == NULL, "authenticated sender: not checked");
	txn.auth_login = NULL;
	txn.trusted = true;
	run(trusted_too, CHECK_MAIL, &txn, &auth, &report);
	is_str(auth.spf.result, "temperror", "check_trusted: checked");
}

/* A DNS failure: temperror, tempfail at MAIL FROM by default. */
static void
test_temperror(const void *values, const char *engine)
{
	struct check_txn txn;
	struct check_report report;
	struct auth_results auth = { 0 };
	char name[100];

	txn_init(&txn, "mail.example.org", "user@example.org");
	run(values, CHECK_MAIL, &txn, &auth, &report);
	snprintf(name, sizeof(name), "%s: DNS failure is temperror", engine);
	is_str(auth.spf.result, "temperror", name);
	is_str(auth.spf.identity, "mailfrom", "identity mailfrom");
	is_str(auth.spf.domain, "example.org", "domain of the sender");
	is_str(auth.spf.sender, "user@example.org", "sender");
	ok(auth.spf.reason != NULL, "reason: %s", auth.spf.reason);
	is_str(report.authres[0], "spf=temperror smtp.mailfrom=example.org",
	    "Authentication-Results method");
	ok(report.n_facts == 1 && strcmp(report.fact_names[0], "spf") == 0 &&
	    strcmp(report.fact_values[0], "temperror") == 0, "fact spf");
	is_int(report.action, ACTION_TEMPFAIL, "temperror_action tempfail");
	is_str(report.action_by, "SPF_TEMPERROR", "decided by SPF_TEMPERROR");
	ok(strcmp(report.reply.code, "451") == 0 &&
	    strcmp(report.reply.xcode, "4.4.3") == 0 &&
	    strstr(report.reply.text, "checking example.org") != NULL,
	    "reply with {domain}: %s %s %s", report.reply.code,
	    report.reply.xcode, report.reply.text);
}

/* The null sender: the HELO identity. */
static void
test_helo_identity(const void *values)
{
	struct check_txn txn;
	struct check_report report;
	struct auth_results auth = { 0 };

	txn_init(&txn, "[192.0.2.1]", "");
	run(values, CHECK_MAIL, &txn, &auth, &report);
	is_str(auth.spf.result, "none", "address literal HELO: none");
	is_str(auth.spf.identity, "helo", "identity helo");
	is_str(auth.spf.sender, "postmaster@[192.0.2.1]", "postmaster@HELO");
	is_str(report.authres[0], "spf=none smtp.helo=\"[192.0.2.1]\"",
	    "smtp.helo quoted when it is no token");
	ok(report.symbols != NULL && strcmp(report.symbols->name,
	    "SPF_NONE") == 0 && report.symbols->score == 0, "SPF_NONE scored");
	is_int(report.action, ACTION_ACCEPT, "none decides nothing");
}

/* reject_at rcpt, check_helo, the Received-SPF field, scoring. */
static void
test_options(void)
{
	char err[512];
	const void *later = load("spf: { reject_at: rcpt, check_helo: yes, "
	    "received_spf_header: yes }\n", err, sizeof(err));
	const void *scored = load("spf: { temperror_action: score, "
	    "temperror_score: 1.5 }\n", err, sizeof(err));
	const char *received = "temperror (mx.test.example: error in "
	    "processing during lookup of user@example.org) client-ip="
	    "192.0.2.1; envelope-from=\"user@example.org\"; helo="
	    "mail.example.org; receiver=mx.test.example; identity=mailfrom; "
	    "problem=";
	struct check_txn txn;
	struct check_report report;
	struct auth_results auth = { 0 };

	txn_init(&txn, "mail.example.org", "user@example.org");
	run(later, CHECK_MAIL, &txn, &auth, &report);
	is_int(report.action, ACTION_ACCEPT, "reject_at rcpt: nothing at MAIL");
	is_str(auth.spf.helo_result, "temperror", "check_helo: helo_result");
	ok(report.n_authres == 2 && strcmp(report.authres[1],
	    "spf=temperror smtp.helo=mail.example.org") == 0,
	    "check_helo: smtp.helo method");
	ok(report.n_headers == 1 && strcmp(report.header_names[0],
	    "Received-SPF") == 0 && strncmp(report.header_values[0],
	    received, strlen(received)) == 0, "Received-SPF: %s",
	    report.n_headers ? report.header_values[0] : "(none)");
	run(later, CHECK_RCPT, &txn, &auth, &report);
	is_int(report.action, ACTION_TEMPFAIL, "reject_at rcpt: tempfail at "
	    "RCPT");
	run(later, CHECK_DATA, &txn, &auth, &report);
	is_int(report.action, ACTION_ACCEPT, "nothing at DATA");
	memset(&auth, 0, sizeof(auth));
	run(scored, CHECK_MAIL, &txn, &auth, &report);
	ok(report.action == ACTION_ACCEPT && report.symbols != NULL &&
	    strcmp(report.symbols->name, "SPF_TEMPERROR") == 0 &&
	    report.symbols->score == 1.5, "temperror_action score");
	ok(report.n_headers == 0, "no Received-SPF by default");
}

int
main(void)
{
	const char *servers[1];
	char server[64], err[256];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct dns_settings settings = { servers, 1, 300, NULL, 1 << 20 };
	const void *defaults, *trusted, *libspf2;

	plan(7 + 8 + 11 * 2 + 1 + 7 + 12);
	/* A port that was free a moment ago: nothing answers there. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		return 1;
	close(fd);
	snprintf(server, sizeof(server), "127.0.0.1@%u", ntohs(sin.sin_port));
	servers[0] = server;
	dns = dns_resolver_new(&settings, err, sizeof(err));
	arena = arena_new();
	if (dns == NULL || !check_spf.start(NULL, true, err, sizeof(err)))
		return 1;
	test_policy();
	defaults = load("spf: {}\n", err, sizeof(err));
	trusted = load("spf: { check_trusted: yes }\n", err, sizeof(err));
	libspf2 = load("spf: { engine: libspf2 }\n", err, sizeof(err));
	test_skipped(defaults, trusted);
	test_temperror(defaults, "mxward");
	test_temperror(libspf2, "libspf2");
	ok(true, "both engines give a result for a DNS failure");
	test_helo_identity(defaults);
	test_options();
	while (n_confs > 0)
		conf_free(&confs[--n_confs]);
	arena_free(&arena);
	dns_resolver_unref(&dns);
	return done();
}
