/*
 * test_checks.c - unit tests for the checks in checks_all[]
 *
 * Each check's run() is driven with a hand-built struct check_txn and a
 * values struct filled here, without the YAML loader: options are set
 * through the check's own option table (key, type, offset), from the
 * table's default strings or from the values a test needs, and then the
 * section's init() runs with a real arena. conf_errors_here() is provided
 * below, recording the last message, so the test needs nothing of
 * libconf.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "checks/check.h"
#include "core/arena.h"
#include "core/cidr.h"
#include "tap.h"

/* ---- conf_errors, as much as the checks' init hooks use ---- */

struct conf_errors {
	unsigned n;
	char last[512];
};

void
conf_errors_here(struct conf_errors *errs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errs->last, sizeof(errs->last), fmt, ap);
	va_end(ap);
	errs->n++;
}

/* ---- setting options through the option tables ---- */

static struct arena *arena;

/* The check called name in checks_all[], or NULL. */
static const struct check *
find_check(const char *name)
{
	for (size_t i = 0; i < checks_count; i++)
		if (strcmp(checks_all[i]->name, name) == 0)
			return checks_all[i];
	return NULL;
}

/* The option key of check c; aborts the test when it does not exist. */
static const struct conf_option *
find_option(const struct check *c, const char *key)
{
	for (const struct conf_option *o = c->section.options; o->key; o++)
		if (strcmp(o->key, key) == 0)
			return o;
	printf("Bail out! %s has no option %s\n", c->name, key);
	exit(1);
}

/* Split a YAML flow sequence "[a, 'b']" into arena strings. */
static size_t
parse_flow(const char *text, char ***v_r)
{
	char *copy = arena_strdup(arena, text), *p, *item;
	char **v = arena_zalloc(arena, (strlen(text) + 1) * sizeof(*v));
	size_t n = 0;

	p = copy + strspn(copy, " ");
	if (*p == '[')
		p++;
	p[strcspn(p, "]")] = '\0';
	while ((item = strsep(&p, ",")) != NULL) {
		size_t len;

		item += strspn(item, " ");
		len = strlen(item);
		while (len > 0 && item[len - 1] == ' ')
			item[--len] = '\0';
		if (len >= 2 && (item[0] == '\'' || item[0] == '"')) {
			item[len - 1] = '\0';
			item++;
		}
		if (*item != '\0')
			v[n++] = item;
	}
	*v_r = v;
	return n;
}

/* A YAML double-quoted scalar without its quotes (no escapes needed). */
static const char *
unquote(const char *text)
{
	size_t len = strlen(text);

	if (len >= 2 && text[0] == '"' && text[len - 1] == '"')
		return arena_strndup(arena, text + 1, len - 2);
	return text;
}

/* Store text, written as in YAML, into option o of values. */
static bool
set_text(void *values, const struct conf_option *o, const char *text)
{
	char *at = (char *)values + o->offset, *end;
	char **items;
	size_t n;

	switch (o->type) {
	case CONF_BOOL:
		*(bool *)at = strcmp(text, "yes") == 0 ||
		    strcmp(text, "true") == 0;
		return *(bool *)at || strcmp(text, "no") == 0 ||
		    strcmp(text, "false") == 0;
	case CONF_INT:
		*(long long *)at = strtoll(text, &end, 10);
		return *end == '\0';
	case CONF_SIZE: {
		uint64_t size = strtoull(text, &end, 10);
		const char *units = "kMG";
		const char *u = *end != '\0' ? strchr(units, *end) : NULL;

		for (const char *k = units; u != NULL && k <= u; k++)
			size *= 1024;
		*(uint64_t *)at = size;
		return *end == '\0' || (u != NULL && end[1] == '\0');
	}
	case CONF_DURATION: {
		static const struct { const char *unit; uint64_t ms; } units[] =
		    { { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		      { "h", 3600000 } };
		uint64_t count = strtoull(text, &end, 10);

		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(end, units[i].unit) == 0) {
				*(uint64_t *)at = count * units[i].ms;
				return true;
			}
		return false;
	}
	case CONF_SCORE:
		*(double *)at = strcmp(text, "off") == 0 ? NAN :
		    strtod(text, &end);
		return strcmp(text, "off") == 0 || *end == '\0';
	case CONF_ENUM:
		for (const struct conf_name_code *nc = o->names; nc->name; nc++)
			if (strcmp(nc->name, text) == 0) {
				*(int *)at = nc->code;
				return true;
			}
		return false;
	case CONF_STRING:
		*(const char **)at = arena_strdup(arena, unquote(text));
		return true;
	case CONF_REPLY: {
		struct conf_reply *r = (struct conf_reply *)at;

		text = unquote(text);

		if (sscanf(text, "%3s %15s", r->code, r->xcode) != 2)
			return false;
		r->text = arena_strdup(arena, text + 4 + strlen(r->xcode) + 1);
		return true;
	}
	case CONF_STRING_LIST: {
		struct conf_strlist *l = (struct conf_strlist *)at;

		l->n = parse_flow(text, &l->v);
		return true;
	}
	case CONF_CIDR_LIST: {
		struct cidr_list *l = (struct cidr_list *)at;
		const char *err;

		n = parse_flow(text, &items);
		l->v = arena_zalloc(arena, (n + 1) * sizeof(*l->v));
		for (l->n = 0; l->n < n; l->n++)
			if (!cidr_parse(items[l->n], &l->v[l->n], &err))
				return false;
		return true;
	}
	default:
		return false;
	}
}

/* A values struct for c with every option at its default. */
static void *
defaults(const struct check *c)
{
	void *values = arena_zalloc(arena, c->section.size);

	for (const struct conf_option *o = c->section.options; o->key; o++)
		if (o->default_value != NULL &&
		    !set_text(values, o, o->default_value)) {
			printf("Bail out! %s.%s: default '%s' does not parse\n",
			    c->name, o->key, o->default_value);
			exit(1);
		}
	return values;
}

/* Set one option, as a policy file would. */
static void
set(const struct check *c, void *values, const char *key, const char *text)
{
	if (!set_text(values, find_option(c, key), text)) {
		printf("Bail out! %s.%s: '%s' does not parse\n", c->name, key,
		    text);
		exit(1);
	}
}

/* Run init as the loader would; true when it accepts the values. */
static bool
init(const struct check *c, void *values, struct conf_errors *errs_r)
{
	memset(errs_r, 0, sizeof(*errs_r));
	return c->section.init == NULL ||
	    c->section.init(values, arena, errs_r);
}

/* ---- running checks ---- */

static struct check_report report;

/* A fresh transaction from a client at addr (NULL: no address). */
static struct check_txn
txn_from(const char *addr)
{
	struct check_txn t = { .client_name = "unknown", .client_address = addr,
	    .sender = "" };

	t.client_ip_valid = addr != NULL && ip_parse(addr, &t.client_ip);
	return t;
}

/* Run c for one phase into the (reset) global report. */
static enum check_status
run(const struct check *c, enum check_phase phase, const struct check_txn *t,
    const void *values)
{
	check_report_init(&report, arena);
	return c->run(phase, t, values, &report);
}

/* The first symbol called name in the report, or NULL. */
static const struct check_symbol *
symbol(const char *name)
{
	for (const struct check_symbol *s = report.symbols; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* Did the last run leave nothing at all? */
static bool
silent(void)
{
	return report.symbols == NULL && report.action == ACTION_ACCEPT &&
	    !report.trust && report.n_authres == 0;
}

/* Was the last run a reject by symbol with reply "code xcode"? */
static bool
rejected(const char *sym, const char *code, const char *xcode)
{
	return report.action == ACTION_REJECT && report.action_by != NULL &&
	    strcmp(report.action_by, sym) == 0 &&
	    strcmp(report.reply.code, code) == 0 &&
	    strcmp(report.reply.xcode, xcode) == 0;
}

/* ---- the registry and the option tables ---- */

/* The registry's order and every option table's completeness. */
static void
test_registry(void)
{
	const char *order[] = { "access", "limits", "recipients_max", "helo",
	    "submission", "relay", "rate_limits", "spf", "dkim", "dmarc",
	    "antivirus" };
	bool tables_ok = true;

	is_int((long long)checks_count, 11, "eleven checks registered");
	for (size_t i = 0; i < 11 && i < checks_count; i++)
		is_str(checks_all[i]->name, order[i], "run order");
	for (size_t i = 0; i < checks_count; i++) {
		const struct check *c = checks_all[i];
		const struct conf_option *o = c->section.options;

		if (strcmp(c->section.name, c->name) != 0 || c->run == NULL ||
		    c->section.doc == NULL || strcmp(o[0].key, "enabled") != 0 ||
		    strcmp(o[1].key, "on_error") != 0)
			tables_ok = false;
		for (; o->key != NULL; o++) {
			/* A table's default is always empty. */
			if (o->doc == NULL || strlen(o->doc) < 20 ||
			    (o->default_value == NULL) !=
			    (o->type == CONF_TABLE) ||
			    o->offset >= c->section.size)
				tables_ok = false;
			if ((o->type == CONF_INT || o->type == CONF_SIZE ||
			    o->type == CONF_SCORE) && !(o->min < o->max))
				tables_ok = false;
			if (o->type == CONF_ENUM && o->names == NULL)
				tables_ok = false;
			if (!tables_ok) {
				printf("# bad option %s.%s\n", c->name, o->key);
				break;
			}
		}
		defaults(c); /* bails out if a default does not parse */
	}
	ok(tables_ok, "every option has a doc, a default, bounds, an offset");
}

/* ---- access ---- */

/* access: networks at CONNECT, SASL logins at MAIL. */
static void
test_access(void)
{
	const struct check *c = find_check("access");
	void *v = defaults(c);
	struct conf_errors errs;
	struct check_txn t;
	char login[400];

	ok(c->runs_for_trusted && c->phases == (CHECK_CONNECT | CHECK_MAIL),
	    "access: phases and runs_for_trusted");
	ok(init(c, v, &errs), "access: defaults accepted");
	t = txn_from("127.0.0.1");
	run(c, CHECK_CONNECT, &t, v);
	ok(report.trust && symbol("ACCESS_TRUSTED") != NULL &&
	    symbol("ACCESS_TRUSTED")->score == 0 &&
	    report.action == ACTION_ACCEPT, "access: 127.0.0.1 trusted");
	t = txn_from("::1");
	run(c, CHECK_CONNECT, &t, v);
	ok(report.trust, "access: ::1 trusted");
	t = txn_from("::ffff:127.0.0.2");
	run(c, CHECK_CONNECT, &t, v);
	ok(report.trust, "access: IPv4-mapped loopback trusted");
	t = txn_from("192.0.2.1");
	run(c, CHECK_CONNECT, &t, v);
	ok(silent(), "access: outside client neither trusted nor refused");
	t = txn_from(NULL);
	run(c, CHECK_CONNECT, &t, v);
	ok(silent(), "access: no client address, nothing said");

	set(c, v, "refused_networks", "[192.0.2.0/24, '2001:db8::/32', "
	    "127.0.0.2]");
	set(c, v, "refused_reply", "550 5.7.1 Go away");
	t = txn_from("192.0.2.77");
	run(c, CHECK_CONNECT, &t, v);
	ok(rejected("ACCESS_REFUSED", "550", "5.7.1") &&
	    strcmp(report.reply.text, "Go away") == 0 && !report.trust,
	    "access: refused network rejected with its reply");
	t = txn_from("2001:db8:1::5");
	run(c, CHECK_CONNECT, &t, v);
	ok(rejected("ACCESS_REFUSED", "550", "5.7.1"), "access: IPv6 refused");
	t = txn_from("2001:db9::1");
	run(c, CHECK_CONNECT, &t, v);
	ok(silent(), "access: IPv6 just outside the refused /32");
	t = txn_from("::ffff:192.0.2.9");
	run(c, CHECK_CONNECT, &t, v);
	ok(rejected("ACCESS_REFUSED", "550", "5.7.1"),
	    "access: IPv4-mapped client matches refused IPv4 network");
	t = txn_from("127.0.0.2");
	run(c, CHECK_CONNECT, &t, v);
	ok(rejected("ACCESS_REFUSED", "550", "5.7.1") && !report.trust &&
	    symbol("ACCESS_TRUSTED") == NULL, "access: refused wins over trusted");
	t = txn_from("127.0.0.1");
	run(c, CHECK_MAIL, &t, v);
	ok(silent(), "access: MAIL without authentication says nothing");

	t = txn_from("192.0.2.200");
	t.auth_login = "alice";
	run(c, CHECK_MAIL, &t, v);
	ok(report.n_authres == 1 && report.trust &&
	    symbol("ACCESS_AUTHENTICATED") != NULL,
	    "access: authenticated sender trusted");
	is_str(report.authres[0], "auth=pass smtp.auth=alice",
	    "access: authres for a token login");
	t.auth_login = "alice@Example.ORG";
	run(c, CHECK_MAIL, &t, v);
	is_str(report.authres[0], "auth=pass smtp.auth=alice@Example.ORG",
	    "access: address login stays unquoted");
	t.auth_login = "Alice Smith \"x\\y\"\r\nX-Evil: 1";
	run(c, CHECK_MAIL, &t, v);
	is_str(report.authres[0],
	    "auth=pass smtp.auth=\"Alice Smith \\\"x\\\\y\\\"??X-Evil: 1\"",
	    "access: other logins quoted, CR LF neutralised");
	t.auth_login = "a@b@c";
	run(c, CHECK_MAIL, &t, v);
	is_str(report.authres[0], "auth=pass smtp.auth=\"a@b@c\"",
	    "access: two @ quoted");
	memset(login, 'x', sizeof(login) - 1);
	login[sizeof(login) - 1] = '\0';
	login[10] = ' ';
	t.auth_login = login;
	run(c, CHECK_MAIL, &t, v);
	ok(report.n_authres == 1 && strlen(report.authres[0]) < 300 &&
	    report.authres[0][strlen(report.authres[0]) - 1] == '"',
	    "access: long login bounded and its quote closed");
	t.auth_login = "";
	run(c, CHECK_MAIL, &t, v);
	ok(silent(), "access: empty login is no login");

	set(c, v, "authenticated", "checked");
	t.auth_login = "bob";
	run(c, CHECK_MAIL, &t, v);
	ok(report.n_authres == 1 && !report.trust,
	    "access: authenticated: checked records but does not trust");
}

/* ---- helo ---- */

/* Is name a valid HELO under v? (runs at MAIL, from a network client) */
static bool
helo_ok(const struct check *c, const void *v, const char *name)
{
	struct check_txn t = txn_from("192.0.2.1");

	t.helo = name;
	run(c, CHECK_MAIL, &t, v);
	return report.action == ACTION_ACCEPT && report.symbols == NULL;
}

/* helo: names, literals, label lengths, missing HELO. */
static void
test_helo(void)
{
	const struct check *c = find_check("helo");
	void *v = defaults(c);
	struct conf_errors errs;
	struct check_txn t;
	char name[300];

	ok(!c->runs_for_trusted && c->phases == CHECK_MAIL,
	    "helo: judged at MAIL, not for trusted clients");
	ok(init(c, v, &errs), "helo: defaults accepted");
	ok(helo_ok(c, v, "mail.example.org"), "helo: host name");
	ok(helo_ok(c, v, "MAIL.EXAMPLE.ORG."), "helo: upper case, trailing dot");
	ok(helo_ok(c, v, "[192.0.2.1]"), "helo: IPv4 literal");
	ok(helo_ok(c, v, "[IPv6:2001:db8::1]"), "helo: IPv6 literal");
	ok(helo_ok(c, v, "[ipv6:::ffff:192.0.2.1]"),
	    "helo: IPv4-mapped IPv6 literal, tag in lower case");
	ok(!helo_ok(c, v, "[2001:db8::1]"), "helo: IPv6 literal without tag");
	ok(!helo_ok(c, v, "[IPv6:192.0.2.1]"), "helo: IPv4 under IPv6 tag");
	ok(!helo_ok(c, v, "[192.0.2.256]"), "helo: bad IPv4 literal");
	ok(!helo_ok(c, v, "[mail.example.org]"), "helo: bracketed name");
	ok(!helo_ok(c, v, "[]") && !helo_ok(c, v, "[") && !helo_ok(c, v, ""),
	    "helo: empty and broken brackets");
	ok(!helo_ok(c, v, "192.0.2.1"), "helo: bare IPv4 address");
	ok(!helo_ok(c, v, "localhost"), "helo: single label refused");
	ok(rejected("HELO_INVALID", "550", "5.7.1"),
	    "helo: invalid name rejected with invalid_reply");
	ok(!helo_ok(c, v, "mail_1.example.org"), "helo: underscore");
	memset(name, 'a', 63);
	strcpy(name + 63, ".example.org");
	ok(helo_ok(c, v, name), "helo: 63-character label");
	memset(name, 'a', 64);
	strcpy(name + 64, ".example.org");
	ok(!helo_ok(c, v, name), "helo: 64-character label");

	set(c, v, "allow_single_label", "yes");
	ok(helo_ok(c, v, "localhost"), "helo: allow_single_label");
	ok(!helo_ok(c, v, "12345"), "helo: numeric single label still invalid");

	set(c, v, "invalid_action", "score");
	ok(!helo_ok(c, v, "bad name\r\n") && report.action == ACTION_ACCEPT &&
	    symbol("HELO_INVALID") != NULL &&
	    symbol("HELO_INVALID")->score == 3,
	    "helo: invalid_action score adds invalid_score");
	is_str(symbol("HELO_INVALID")->detail, "bad name??",
	    "helo: detail is the name, control characters replaced");
	set(c, v, "invalid_score", "off");
	helo_ok(c, v, "-bad.example");
	ok(symbol("HELO_INVALID") != NULL && symbol("HELO_INVALID")->score == 0,
	    "helo: invalid_score off logs without scoring");

	t = txn_from("192.0.2.1");
	run(c, CHECK_MAIL, &t, v);
	ok(rejected("HELO_MISSING", "503", "5.5.1"),
	    "helo: MAIL without HELO rejected");
	t = txn_from(NULL);
	run(c, CHECK_MAIL, &t, v);
	ok(silent(), "helo: local submission needs no HELO");
	set(c, v, "required", "no");
	t = txn_from("192.0.2.1");
	run(c, CHECK_MAIL, &t, v);
	ok(silent(), "helo: required no");
	t.helo = "bad..name";
	run(c, CHECK_HELO, &t, v);
	ok(silent(), "helo: nothing decided at HELO itself");
}

/* ---- limits ---- */

/* Run limits at HEADER for one field with the counts given. */
static void
header(const struct check *c, const void *v, const char *name,
    const char *value, size_t count, size_t bytes)
{
	struct check_txn t = txn_from("192.0.2.1");

	t.header_name = name;
	t.header_value = value;
	t.header_count = count;
	t.header_bytes = bytes;
	run(c, CHECK_HEADER, &t, v);
}

/* limits: declared and actual size, header count and sizes. */
static void
test_limits(void)
{
	const struct check *c = find_check("limits");
	void *v = defaults(c);
	const struct conf_option *o = find_option(c, "message_size_limit");
	struct conf_errors errs;
	struct check_txn t = txn_from("127.0.0.1");

	ok(c->runs_for_trusted && c->phases == (CHECK_MAIL | CHECK_HEADER |
	    CHECK_BODY | CHECK_EOM), "limits: phases, runs for trusted");
	ok(o->min == 0 && o->max == 4294967296.0,
	    "limits: message_size_limit bounds 0..4G");
	ok(init(c, v, &errs), "limits: defaults accepted");
	t.declared_size = 25 * 1024 * 1024;
	run(c, CHECK_MAIL, &t, v);
	ok(silent(), "limits: declared size at the default limit");
	t.declared_size++;
	run(c, CHECK_MAIL, &t, v);
	ok(rejected("SIZE_LIMIT", "552", "5.3.4"),
	    "limits: declared size over the default limit rejected at MAIL");

	set(c, v, "message_size_limit", "1000");
	t.declared_size = 0;
	run(c, CHECK_MAIL, &t, v);
	ok(silent(), "limits: no SIZE= declared");
	t.size = 1000;
	t.body_len = 100;
	run(c, CHECK_BODY, &t, v);
	ok(silent(), "limits: body at the limit");
	t.size = 1001;
	run(c, CHECK_BODY, &t, v);
	ok(rejected("SIZE_LIMIT", "552", "5.3.4"), "limits: body over limit");
	run(c, CHECK_EOM, &t, v);
	ok(rejected("SIZE_LIMIT", "552", "5.3.4"), "limits: EOM over limit");
	set(c, v, "message_size_limit", "0");
	t.size = UINT64_MAX;
	t.declared_size = UINT64_MAX;
	run(c, CHECK_EOM, &t, v);
	ok(silent(), "limits: message_size_limit 0 is no limit (EOM)");
	run(c, CHECK_MAIL, &t, v);
	ok(silent(), "limits: message_size_limit 0 is no limit (MAIL)");

	header(c, v, "Subject", "x", 1000, 50);
	ok(silent(), "limits: 1000 header fields allowed by default");
	header(c, v, "Subject", "x", 1001, 50);
	ok(rejected("HEADER_COUNT_LIMIT", "552", "5.3.4"),
	    "limits: field 1001 rejected");
	set(c, v, "header_size_limit", "10");
	header(c, v, "Subject", "ab", 1, 10);
	ok(silent(), "limits: field of exactly header_size_limit");
	header(c, v, "Subject", "abc", 1, 11);
	ok(rejected("HEADER_SIZE_LIMIT", "552", "5.3.4"),
	    "limits: field one byte over header_size_limit");
	set(c, v, "header_size_limit", "0");
	set(c, v, "header_total_limit", "1k");
	header(c, v, "X", "y", 2, 1024);
	ok(silent(), "limits: header of exactly header_total_limit");
	header(c, v, "X", "y", 2, 1025);
	ok(rejected("HEADER_SIZE_LIMIT", "552", "5.3.4"),
	    "limits: header over header_total_limit");
	set(c, v, "header_total_limit", "0");
	set(c, v, "header_count_limit", "0");
	header(c, v, "X", "y", 100000, 1 << 30);
	ok(silent(), "limits: all header limits 0");
}

/* ---- recipients_max ---- */

/* Run recipients_max for t at phase with count recipients accepted. */
static void
rcpts(const struct check *c, const void *v, struct check_txn *t,
    enum check_phase phase, size_t count)
{
	t->rcpt = phase == CHECK_RCPT ? "rcpt@example.org" : NULL;
	t->rcpt_count = count;
	run(c, phase, t, v);
}

/* Was the last run a tempfail by RECIPIENTS_MAX with 452 4.5.3? */
static bool
deferred(void)
{
	return report.action == ACTION_TEMPFAIL && report.action_by != NULL &&
	    strcmp(report.action_by, "RECIPIENTS_MAX") == 0 &&
	    strcmp(report.reply.code, "452") == 0 &&
	    strcmp(report.reply.xcode, "4.5.3") == 0;
}

/* recipients_max: the RCPT just at the cap is accepted, the next one not. */
static bool
cap_is(const struct check *c, const void *v, struct check_txn *t,
    size_t cap)
{
	bool at, over;

	rcpts(c, v, t, CHECK_RCPT, cap - 1);
	at = silent();
	rcpts(c, v, t, CHECK_RCPT, cap);
	over = deferred();
	return at && over;
}

/* recipients_max: caps per sender class, no limit, reject at EOM. */
static void
test_recipients_max(void)
{
	const struct check *c = find_check("recipients_max");
	void *v = defaults(c);
	struct conf_errors errs;
	struct check_txn t = txn_from("192.0.2.1");
	const struct check_symbol *sym;

	ok(c->runs_for_trusted && c->phases == (CHECK_RCPT | CHECK_DATA |
	    CHECK_EOM), "recipients_max: phases, runs for trusted");
	ok(init(c, v, &errs), "recipients_max: defaults accepted");
	rcpts(c, v, &t, CHECK_RCPT, 0);
	ok(silent(), "recipients_max: first recipient");
	ok(cap_is(c, v, &t, 50),
	    "recipients_max: 50 by default, the 51st deferred");
	sym = symbol("RECIPIENTS_MAX");
	is_str(sym ? sym->detail : NULL, "recipient 51 over the limit of 50",
	    "recipients_max: detail names the recipient and the limit");
	rcpts(c, v, &t, CHECK_RCPT, 1000);
	ok(deferred(), "recipients_max: far over the cap deferred");
	rcpts(c, v, &t, CHECK_EOM, 50);
	ok(silent(), "recipients_max: nothing at EOM without reject");
	rcpts(c, v, &t, CHECK_DATA, 60);
	ok(silent(), "recipients_max: nothing at DATA");
	t.envelope_only = true;
	rcpts(c, v, &t, CHECK_DATA, 50);
	ok(silent(), "recipients_max: envelope only, DATA at the limit");
	rcpts(c, v, &t, CHECK_DATA, 51);
	ok(rejected("RECIPIENTS_MAX", "550", "5.5.3"),
	    "recipients_max: envelope only, DATA over the limit refused");
	t.envelope_only = false;

	/* -1 is "same as limit" for both classes. */
	set(c, v, "limit", "3");
	t.trusted = true;
	ok(cap_is(c, v, &t, 3), "recipients_max: trusted_limit -1 = limit");
	t.auth_login = "user";
	ok(cap_is(c, v, &t, 3),
	    "recipients_max: authenticated_limit -1 = limit");
	set(c, v, "authenticated_limit", "7");
	set(c, v, "trusted_limit", "5");
	ok(cap_is(c, v, &t, 7),
	    "recipients_max: authenticated and trusted: authenticated_limit");
	t.auth_login = NULL;
	ok(cap_is(c, v, &t, 5), "recipients_max: trusted gets trusted_limit");
	t.trusted = false;
	ok(cap_is(c, v, &t, 3), "recipients_max: everyone else gets limit");

	/* 0 is no limit, per class. */
	set(c, v, "trusted_limit", "0");
	t.trusted = true;
	rcpts(c, v, &t, CHECK_RCPT, 100000);
	ok(silent(), "recipients_max: trusted_limit 0 is no limit");
	t.trusted = false;
	set(c, v, "limit", "0");
	rcpts(c, v, &t, CHECK_RCPT, 100000);
	ok(silent(), "recipients_max: limit 0 is no limit");
	t.auth_login = "user";
	ok(cap_is(c, v, &t, 7),
	    "recipients_max: authenticated_limit applies when limit is 0");
	set(c, v, "authenticated_limit", "-1");
	rcpts(c, v, &t, CHECK_RCPT, 100000);
	ok(silent(), "recipients_max: authenticated_limit -1 follows limit 0");
	t.auth_login = NULL;

	/* reject: every RCPT accepted, the message refused at EOM. */
	set(c, v, "limit", "3");
	set(c, v, "reject", "yes");
	rcpts(c, v, &t, CHECK_RCPT, 10);
	ok(silent(), "recipients_max: reject accepts every RCPT");
	rcpts(c, v, &t, CHECK_EOM, 3);
	ok(silent(), "recipients_max: reject, message at the limit");
	rcpts(c, v, &t, CHECK_EOM, 4);
	ok(rejected("RECIPIENTS_MAX", "550", "5.5.3"),
	    "recipients_max: reject, message over the limit refused at EOM");
	set(c, v, "limit", "0");
	rcpts(c, v, &t, CHECK_EOM, 100000);
	ok(silent(), "recipients_max: reject with no limit");

	/* Replies of the wrong class are refused by init. */
	ok(find_option(c, "limit")->min == 0 &&
	    find_option(c, "trusted_limit")->min == -1 &&
	    find_option(c, "authenticated_limit")->max == 100000,
	    "recipients_max: bounds");
	set(c, v, "tempfail_reply", "550 5.5.3 No");
	ok(!init(c, v, &errs) && errs.n == 1 &&
	    strstr(errs.last, "tempfail_reply") != NULL,
	    "recipients_max: 5xx tempfail_reply refused");
	set(c, v, "tempfail_reply", "452 4.5.3 Later");
	set(c, v, "reject_reply", "452 4.5.3 No");
	ok(!init(c, v, &errs) && errs.n == 1 &&
	    strstr(errs.last, "reject_reply") != NULL,
	    "recipients_max: 4xx reject_reply refused");
	set(c, v, "tempfail_reply", "250 2.0.0 Fine");
	ok(!init(c, v, &errs) && errs.n == 2,
	    "recipients_max: both wrong, two errors");
}

/* ---- relay ---- */

/* Run relay at RCPT for rcpt from an untrusted, unauthenticated client. */
static bool
relay_ok(const struct check *c, const void *v, const char *rcpt)
{
	struct check_txn t = txn_from("192.0.2.1");

	t.rcpt = rcpt;
	run(c, CHECK_RCPT, &t, v);
	return silent();
}

/* relay: init validation, domain matching, trust exemptions. */
static void
test_relay(void)
{
	const struct check *c = find_check("relay");
	void *v = defaults(c);
	struct conf_errors errs;
	struct check_txn t = txn_from("192.0.2.1");

	ok(c->runs_for_trusted && c->phases == CHECK_RCPT,
	    "relay: RCPT, runs for trusted");
	is_str(find_option(c, "enabled")->default_value, "no",
	    "relay: off by default");
	ok(init(c, v, &errs), "relay: disabled with no domains accepted");
	set(c, v, "enabled", "yes");
	ok(!init(c, v, &errs) && errs.n == 1 &&
	    strstr(errs.last, "local_domains") != NULL,
	    "relay: enabled with no domains refused");
	set(c, v, "local_domains", "[example.org, bad domain.org]");
	ok(!init(c, v, &errs) && strstr(errs.last, "bad domain") != NULL,
	    "relay: a bad entry refused");
	set(c, v, "local_domains", "[Example.ORG, .Sub.Example.NET, localdomain]");
	ok(init(c, v, &errs), "relay: good entries accepted");

	ok(relay_ok(c, v, "user@example.org"), "relay: local domain");
	ok(relay_ok(c, v, "User@EXAMPLE.org"), "relay: local domain, any case");
	ok(relay_ok(c, v, "user@example.org."), "relay: trailing dot");
	ok(relay_ok(c, v, "postmaster"), "relay: no domain is local");
	ok(relay_ok(c, v, "root@localdomain"), "relay: single-label domain");
	ok(relay_ok(c, v, "u@a.sub.example.net"), "relay: .sub matches below");
	ok(relay_ok(c, v, "u@b.a.SUB.example.net"), "relay: .sub matches deeper");
	ok(!relay_ok(c, v, "u@sub.example.net"),
	    "relay: .sub does not match itself");
	ok(!relay_ok(c, v, "user@mail.example.org"),
	    "relay: plain entry does not match subdomains");
	ok(!relay_ok(c, v, "user@notexample.org"), "relay: label boundary");
	ok(!relay_ok(c, v, "user@elsewhere.net"),
	    "relay: foreign domain refused");
	ok(rejected("RELAY_DENIED", "554", "5.7.1"),
	    "relay: refused with reply 554 5.7.1");
	ok(!relay_ok(c, v, "\"a@example.org\"@elsewhere.net"),
	    "relay: quoted @ in the local part");
	ok(!relay_ok(c, v, "u@[192.0.2.1]"), "relay: address literal not local");

	t.rcpt = "user@elsewhere.net";
	t.trusted = true;
	run(c, CHECK_RCPT, &t, v);
	ok(silent(), "relay: trusted client may relay");
	t.trusted = false;
	t.auth_login = "alice";
	run(c, CHECK_RCPT, &t, v);
	ok(silent(), "relay: authenticated client may relay");
	t.auth_login = NULL;
	run(c, CHECK_MAIL, &t, v);
	ok(silent(), "relay: nothing outside RCPT");
}

/* ---- submission ---- */

/* submission: AUTH with and without TLS. */
static void
test_submission(void)
{
	const struct check *c = find_check("submission");
	void *v = defaults(c);
	struct conf_errors errs;
	struct check_txn t = txn_from("192.0.2.1");

	ok(c->runs_for_trusted && c->phases == CHECK_MAIL,
	    "submission: MAIL, runs for trusted");
	ok(init(c, v, &errs), "submission: defaults accepted");
	t.auth_login = "alice";
	run(c, CHECK_MAIL, &t, v);
	ok(silent(), "submission: off by default");
	set(c, v, "require_tls_for_auth", "yes");
	run(c, CHECK_MAIL, &t, v);
	ok(rejected("AUTH_WITHOUT_TLS", "530", "5.7.0"),
	    "submission: AUTH without TLS rejected");
	t.tls_version = "TLSv1.3";
	run(c, CHECK_MAIL, &t, v);
	ok(silent(), "submission: AUTH over TLS accepted");
	t.tls_version = NULL;
	t.auth_login = NULL;
	run(c, CHECK_MAIL, &t, v);
	ok(silent(), "submission: no AUTH, no TLS needed");
}

/* All of the above, one arena for everything. */
/* A signature directory with EICAR's body signature; the EICAR string is
 * put together here so no file of the project holds it whole. */
static char *
eicar_database(char *eicar, size_t size)
{
	static char dir[] = "/tmp/test_checks.XXXXXX";
	char path[64];
	FILE *f;

	snprintf(eicar, size, "%s%s%s", "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
	    "EICAR-STANDARD-ANTIVIRUS-", "TEST-FILE!$H+H*");
	if (mkdtemp(dir) == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/test.ndb", dir);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fprintf(f, "Eicar-Test-Signature:0:*:");
	for (const char *p = eicar; *p; p++)
		fprintf(f, "%02x", (unsigned char)*p);
	fprintf(f, "\n");
	fclose(f);
	return dir;
}

/* antivirus: database required, errors never pass, actions on a find. */
static void
test_antivirus(void)
{
	const struct check *c = find_check("antivirus");
	void *v = defaults(c);
	struct conf_errors errs;
	struct check_txn t = txn_from("192.0.2.1");
	char eicar[128], err[512], *dir, *msg;
	enum check_status status;

	ok(c->needs_message && c->phases == CHECK_EOM && c->runs_for_trusted,
	    "antivirus: reads the message whole at EOM, for everyone");
	set(c, v, "database", "/nonexistent/clamav");
	ok(!init(c, v, &errs) && strstr(errs.last, "/nonexistent/clamav"),
	    "antivirus: a missing database is refused: %s", errs.last);
	set(c, v, "enabled", "no");
	ok(init(c, v, &errs), "antivirus: disabled needs no database");
	set(c, v, "enabled", "yes");

	t.message = NULL;
	t.message_error = "cannot write spool file";
	ok(run(c, CHECK_EOM, &t, v) == CHECK_ERROR && report.error &&
	    strstr(report.error, "cannot write spool file"),
	    "antivirus: a message not kept is an error, never a pass");
	t.message = (const unsigned char *)"Subject: x\r\n\r\nhi\r\n";
	t.message_len = strlen((const char *)t.message);
	status = run(c, CHECK_EOM, &t, v);
	ok(status == CHECK_ERROR && report.error,
	    "antivirus: no engine loaded is an error: %s",
	    report.error ? report.error : "(none)");

	dir = eicar_database(eicar, sizeof(eicar));
	set(c, v, "database", dir ? dir : "/nonexistent");
	ok(dir && c->start(v, true, err, sizeof(err)),
	    "antivirus: engine starts on a test database");
	ok(run(c, CHECK_EOM, &t, v) == CHECK_DONE && report.n_headers == 1 &&
	    strcmp(report.header_values[0], "Clean") == 0,
	    "antivirus: clean message tagged X-Virus-Status: Clean");
	msg = arena_sprintf(arena, "Subject: x\r\n\r\n%s\r\n", eicar);
	t.message = (const unsigned char *)msg;
	t.message_len = strlen(msg);
	run(c, CHECK_EOM, &t, v);
	ok(rejected("ANTIVIRUS_INFECTED", "554", "5.7.1") &&
	    strncmp(report.reply.text, "Virus found: Eicar-Test-Signature",
	    33) == 0, "antivirus: EICAR rejected with its name: %s",
	    report.reply.text);
	ok(report.n_facts == 1 && strcmp(report.fact_names[0], "virus") == 0,
	    "antivirus: the virus is a fact for the log and JSON");
	set(c, v, "action", "add_header");
	run(c, CHECK_EOM, &t, v);
	ok(report.action == ACTION_ADD_HEADER && report.n_headers == 1 &&
	    strncmp(report.header_values[0], "Infected (Eicar", 15) == 0,
	    "antivirus: action add_header tags the message");
	c->stop();
	if (dir != NULL) {
		char path[64];

		snprintf(path, sizeof(path), "%s/test.ndb", dir);
		unlink(path);
		rmdir(dir);
	}
}

int
main(void)
{
	arena = arena_new();
	plan(145);
	test_registry();
	test_access();
	test_helo();
	test_limits();
	test_recipients_max();
	test_relay();
	test_submission();
	test_antivirus();
	arena_free(&arena);
	return done();
}
