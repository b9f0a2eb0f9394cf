/*
 * fuzz_policy.c - libFuzzer harness for the policy loader (src/conf)
 *
 * LLVMFuzzerTestOneInput() loads the input with conf_load_buffer() against
 * a small set of sections that together use every option type, nested
 * keys, bounds, enumerations, a table of named entries (rates.limits) and
 * init/fini pairs for sections and entries, so the whole path from
 * libyaml events through the tree, merging of keys and the type parsers is
 * exercised. Besides the sanitizers it checks the loader's promises and
 * aborts when one is broken: a load either returns a conf and no error, or
 * NULL and at least one error; every error line has the form
 * "fuzz.yaml:LINE: reason", is printable and bounded; loaded values keep
 * their invariants (bounds, reply shape, table entries sorted, named and
 * bounded); init and fini pair up. The
 * input is then loaded once more against the daemon's real sections
 * (engine_sections) so the real option tables and init hooks are fuzzed
 * too. Linked
 * with replay.c it replays fuzz/corpus/policy in `make check`.
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/xalloc.h"
#include "engine/engine.h"
#include "fuzz.h"


struct top_values {
	char *authserv_id;
	long long workers;
	char *listen_milter;
	struct conf_strlist dns_servers;
};

static const struct conf_option top_options[] = {
	{ "authserv_id", CONF_STRING, offsetof(struct top_values, authserv_id),
	  NULL, 0, 0, NULL, NULL },
	{ "workers", CONF_INT, offsetof(struct top_values, workers), "4",
	  1, 64, NULL, NULL },
	{ "listen.milter", CONF_STRING,
	  offsetof(struct top_values, listen_milter), "inet:127.0.0.1:8890",
	  0, 0, NULL, NULL },
	{ "dns.servers", CONF_STRING_LIST,
	  offsetof(struct top_values, dns_servers), NULL, 0, 0, NULL, NULL },
	{ .key = NULL },
};

struct limits_values {
	uint64_t message_size_limit;
	long long recipients_max;
	uint64_t timeout;
	long long offset;
};

static const struct conf_option limits_options[] = {
	{ "message_size_limit", CONF_SIZE,
	  offsetof(struct limits_values, message_size_limit), "10M",
	  1024, 4.0 * 1024 * 1024 * 1024, NULL, NULL },
	{ "recipients_max", CONF_INT,
	  offsetof(struct limits_values, recipients_max), "100", 1, 1000,
	  NULL, NULL },
	{ "timeout", CONF_DURATION, offsetof(struct limits_values, timeout),
	  "5m", 1000, 3600 * 1000, NULL, NULL },
	{ "offset", CONF_INT, offsetof(struct limits_values, offset), NULL,
	  0, 0, NULL, NULL },
	{ .key = NULL },
};

static const struct conf_name_code action_names[] = {
	{ "accept", 0 }, { "tempfail", 1 }, { "reject", 2 }, { NULL, 0 },
};

struct helo_values {
	bool enabled;
	bool tls_required;
	double invalid_score;
	int action;
	struct conf_reply reply;
	struct conf_strlist names;
	struct cidr_list trusted;
	uint64_t delay;
	char *made;  /* by init, outside the arena */
};

/* init and fini must pair up; counted to check it. */
static long live_inits;

/* Allocate outside the arena, so a missed fini shows as a leak too. */
static bool
helo_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct helo_values *v = values;

	v->made = xstrdup("made");
	live_inits++;
	if (v->delay == 4242) {
		/* A reachable init failure. */
		conf_errors_here(errs, "helo: delay 4242ms refused");
		return false;
	}
	return true;
}

static void
helo_fini(void *values)
{
	struct helo_values *v = values;

	free(v->made);
	v->made = NULL;
	live_inits--;
}

static const struct conf_option helo_options[] = {
	{ "enabled", CONF_BOOL, offsetof(struct helo_values, enabled), "yes",
	  0, 0, NULL, NULL },
	{ "tls.required", CONF_BOOL,
	  offsetof(struct helo_values, tls_required), "no", 0, 0, NULL, NULL },
	{ "invalid_score", CONF_SCORE,
	  offsetof(struct helo_values, invalid_score), "2.5", -100, 100, NULL,
	  NULL },
	{ "action", CONF_ENUM, offsetof(struct helo_values, action), "reject",
	  0, 0, action_names, NULL },
	{ "reply", CONF_REPLY, offsetof(struct helo_values, reply),
	  "550 5.7.1 Bad HELO", 0, 0, NULL, NULL },
	{ "names", CONF_STRING_LIST, offsetof(struct helo_values, names),
	  "[localhost]", 0, 0, NULL, NULL },
	{ "trusted", CONF_CIDR_LIST, offsetof(struct helo_values, trusted),
	  "[127.0.0.0/8, '::1']", 0, 0, NULL, NULL },
	{ "delay", CONF_DURATION, offsetof(struct helo_values, delay), "0",
	  0, 0, NULL, NULL },
	{ .key = NULL },
};

struct actions_values {
	double reject;
	double tempfail;
};

static const struct conf_option actions_options[] = {
	{ "reject", CONF_SCORE, offsetof(struct actions_values, reject), "15",
	  0, 1000, NULL, NULL },
	{ "tempfail", CONF_SCORE, offsetof(struct actions_values, tempfail),
	  "off", 0, 0, NULL, NULL },
	{ .key = NULL },
};

struct limit_values {
	struct conf_entry_head head;
	struct conf_strlist key;
	long long burst;
	uint64_t period;
	bool dry_run;
	char *made;  /* by init, outside the arena */
};

/* Entry inits not yet undone by fini. */
static long live_entries;

/* Per entry, like helo_init; burst 4242 fails. */
static bool
limit_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct limit_values *v = values;

	v->made = xstrdup(v->head.name);
	live_entries++;
	if (v->burst == 4242) {
		conf_errors_here(errs, "limit %s: burst 4242 refused",
		    v->head.name);
		return false;
	}
	return true;
}

static void
limit_fini(void *values)
{
	struct limit_values *v = values;

	free(v->made);
	v->made = NULL;
	live_entries--;
}

static const struct conf_option limit_options[] = {
	{ "key", CONF_STRING_LIST, offsetof(struct limit_values, key),
	  "[sender]", 0, 0, NULL, NULL },
	{ "burst", CONF_INT, offsetof(struct limit_values, burst), "10",
	  0, 100000, NULL, NULL },
	{ "rate.period", CONF_DURATION,
	  offsetof(struct limit_values, period), "1h", 1000, 0x7fffffff, NULL,
	  NULL },
	{ "dry_run", CONF_BOOL, offsetof(struct limit_values, dry_run), "no",
	  0, 0, NULL, NULL },
	{ .key = NULL },
};

static const struct conf_section limit = {
	"limit", NULL, limit_options, sizeof(struct limit_values), limit_init,
	limit_fini,
};

struct rates_values {
	bool enabled;
	struct conf_table limits;
};

static const struct conf_option rates_options[] = {
	{ "enabled", CONF_BOOL, offsetof(struct rates_values, enabled), "yes",
	  0, 0, NULL, NULL },
	{ "limits", CONF_TABLE, offsetof(struct rates_values, limits), NULL,
	  0, 0, NULL, NULL, &limit },
	{ .key = NULL },
};

static const struct conf_section top = {
	"", NULL, top_options, sizeof(struct top_values), NULL, NULL,
};
static const struct conf_section limits = {
	"limits", NULL, limits_options, sizeof(struct limits_values), NULL,
	NULL,
};
static const struct conf_section helo = {
	"helo", NULL, helo_options, sizeof(struct helo_values), helo_init,
	helo_fini,
};
static const struct conf_section actions = {
	"actions", NULL, actions_options, sizeof(struct actions_values), NULL,
	NULL,
};
static const struct conf_section rates = {
	"rates", NULL, rates_options, sizeof(struct rates_values), NULL, NULL,
};
static const struct conf_section *const sections[] = {
	&top, &limits, &helo, &actions, &rates,
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* One error line: "fuzz.yaml:LINE: reason", printable, bounded. */
static void
check_error_line(const char *line)
{
	const char *p = line + strlen("fuzz.yaml:");

	CHECK(strncmp(line, "fuzz.yaml:", 10) == 0);
	CHECK(*p >= '0' && *p <= '9');
	while (*p >= '0' && *p <= '9')
		p++;
	CHECK(p[0] == ':' && p[1] == ' ' && p[2] != '\0');
	CHECK(strlen(line) < 2048);
	for (p = line; *p != '\0'; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

/* A table: bounded, sorted, names as promised, every entry initialised. */
static void
check_table(const struct conf_table *t)
{
	CHECK(t->n <= CONF_TABLE_MAX && (long)t->n == live_entries);
	for (size_t i = 0; i < t->n; i++) {
		const struct limit_values *v = t->values[i];
		size_t len = strlen(t->names[i]);

		CHECK(len >= 1 && len <= CONF_TABLE_NAME_MAX);
		CHECK(strspn(t->names[i], "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len);
		CHECK(i == 0 || strcmp(t->names[i - 1], t->names[i]) < 0);
		CHECK(v->head.name == t->names[i] && v->head.line >= 1 &&
		    strcmp(v->head.file, "fuzz.yaml") == 0);
		CHECK(v->burst >= 0 && v->burst <= 100000);
		CHECK(v->period >= 1000 && v->period <= 0x7fffffff);
		CHECK(v->made != NULL && strcmp(v->made, v->head.name) == 0);
	}
}

/* The loaded values keep the promises of their types. */
static void
check_values(const struct conf *conf)
{
	const struct limits_values *l = conf_section_values(conf, 1);
	const struct helo_values *h = conf_section_values(conf, 2);
	const struct actions_values *a = conf_section_values(conf, 3);

	CHECK(l->message_size_limit >= 1024 &&
	    l->message_size_limit <= 4ULL << 30);
	CHECK(l->recipients_max >= 1 && l->recipients_max <= 1000);
	CHECK(l->timeout >= 1000 && l->timeout <= 3600 * 1000);
	CHECK(isnan(h->invalid_score) ||
	    (h->invalid_score >= -100 && h->invalid_score <= 100));
	CHECK(h->action >= 0 && h->action <= 2);
	CHECK(strlen(h->reply.code) == 3 && h->reply.xcode[0] ==
	    h->reply.code[0] && h->reply.text != NULL &&
	    h->reply.text[0] != '\0' && strpbrk(h->reply.text, "\r\n") ==
	    NULL && strlen(h->reply.text) <= 400);
	for (size_t i = 0; i < h->names.n; i++)
		CHECK(h->names.v[i] != NULL);
	for (size_t i = 0; i < h->trusted.n; i++)
		CHECK(h->trusted.v[i].prefix <= 128);
	CHECK(h->made != NULL);
	CHECK(isnan(a->reject) || (a->reject >= 0 && a->reject <= 1000));
	CHECK(conf->generation > 0);
	check_table(&((const struct rates_values *)
	    conf_section_values(conf, 4))->limits);
}

/* The same input against the daemon's real sections and init hooks. */
static void
load_real_policy(const uint8_t *data, size_t size)
{
	const struct conf_section *const *real;
	size_t n_real = engine_sections(&real);
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = conf_load_buffer("fuzz.yaml", (const char *)data,
	    size, real, n_real, errs);

	CHECK((conf != NULL) == (conf_errors_count(errs) == 0));
	for (size_t i = 0; i < conf_errors_count(errs); i++)
		check_error_line(conf_errors_get(errs, i));
	conf_free(&conf);
	conf_errors_free(&errs);
}

/* One input: load it, check the promises, release it. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = conf_load_buffer("fuzz.yaml", (const char *)data,
	    size, sections, N_SECTIONS, errs);
	size_t n = conf_errors_count(errs);

	if (conf != NULL) {
		CHECK(n == 0);
		CHECK(live_inits == 1);
		check_values(conf);
	} else {
		CHECK(n > 0 && n <= 101);
	}
	for (size_t i = 0; i < n; i++)
		check_error_line(conf_errors_get(errs, i));
	/* Through a reference, as the daemon drops snapshots. */
	conf_release(&conf);
	CHECK(live_inits == 0 && live_entries == 0);
	conf_errors_free(&errs);
	load_real_policy(data, size);
	return 0;
}
