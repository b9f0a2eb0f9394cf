/*
 * test_conf.c - unit tests for src/conf: loading, errors, includes, tables,
 * snapshots, the man page writer
 *
 * Golden files: every t/unit/conf/NAME.yaml is loaded (from that directory,
 * so file names in error lines are relative) and the result, either the
 * error lines or a dump of every loaded value, is compared byte for byte
 * with NAME.ref. Set MXWARD_REGEN=1 to rewrite the .ref files after a
 * deliberate change, then review the diff.
 *
 * The other tests write files into a temporary directory made with
 * mkdtemp(3) under $TMPDIR (or /tmp) and remove it afterwards.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/optdoc.h"
#include "core/buf.h"
#include "core/cidr.h"
#include "core/xalloc.h"
#include "slurp.h"
#include "tap.h"

/* ---- test sections: every type, bounds, hooks, a table ---- */

struct top_values {
	char *authserv_id;
	long long workers;
	char *listen_milter;
};

static const struct conf_option top_options[] = {
	{ "authserv_id", CONF_STRING, offsetof(struct top_values, authserv_id),
	  NULL, 0, 0, NULL, "The authserv-id." },
	{ "workers", CONF_INT, offsetof(struct top_values, workers),
	  "4", 1, 64, NULL, "Worker threads." },
	{ "listen.milter", CONF_STRING,
	  offsetof(struct top_values, listen_milter), "inet:127.0.0.1:8890",
	  0, 0, NULL, "Where the milter listens." },
	{ .key = NULL },
};

static const struct conf_section top_section = {
	"", "Options outside any section.", top_options,
	sizeof(struct top_values), NULL, NULL,
};

struct limits_values {
	uint64_t message_size_limit;
	long long recipients_max;
	uint64_t timeout;
	uint64_t soft_size;
	long long offset;
};

/* Cross-option check: the soft limit may not exceed the hard one. */
static bool
limits_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct limits_values *v = values;

	if (v->soft_size > v->message_size_limit) {
		conf_errors_here(errs, "limits: soft_size is above "
		    "message_size_limit");
		return false;
	}
	return true;
}

static const struct conf_option limits_options[] = {
	{ "message_size_limit", CONF_SIZE,
	  offsetof(struct limits_values, message_size_limit), "10M",
	  1024, 4.0 * 1024 * 1024 * 1024, NULL, "Largest message." },
	{ "recipients_max", CONF_INT,
	  offsetof(struct limits_values, recipients_max), "100", 1, 1000,
	  NULL, "Most recipients." },
	{ "timeout", CONF_DURATION, offsetof(struct limits_values, timeout),
	  "5m", 1000, 3600 * 1000, NULL, "Time allowed." },
	{ "soft_size", CONF_SIZE, offsetof(struct limits_values, soft_size),
	  NULL, 0, 0, NULL, "Soft limit; 0 is none." },
	{ "offset", CONF_INT, offsetof(struct limits_values, offset),
	  NULL, 0, 0, NULL, "Unbounded integer." },
	{ .key = NULL },
};

static const struct conf_section limits_section = {
	"limits", NULL, limits_options, sizeof(struct limits_values),
	limits_init, NULL,
};

enum { ACT_ACCEPT, ACT_TEMPFAIL, ACT_REJECT };

static const struct conf_name_code act_names[] = {
	{ "accept", ACT_ACCEPT },
	{ "tempfail", ACT_TEMPFAIL },
	{ "reject", ACT_REJECT },
	{ NULL, 0 },
};

struct helo_values {
	bool enabled;
	bool required;
	bool tls_required;
	double invalid_score;
	int action;
	struct conf_reply reply;
	struct conf_strlist names;
	struct cidr_list trusted;
	uint64_t delay;
	char *comment;
	bool fail_init;
	char *compiled;   /* made by init outside the arena */
};

static _Atomic int helo_inits, helo_finis;

/* Derive state outside the arena, so fini has something to free. */
static bool
helo_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct helo_values *v = values;

	helo_inits++;
	v->compiled = xstrdup("compiled");
	if (v->fail_init) {
		conf_errors_here(errs, "helo: refused by init");
		return false;
	}
	return true;
}

static void
helo_fini(void *values)
{
	struct helo_values *v = values;

	helo_finis++;
	free(v->compiled);
	v->compiled = NULL;
}

static const struct conf_option helo_options[] = {
	{ "enabled", CONF_BOOL, offsetof(struct helo_values, enabled), "yes",
	  0, 0, NULL, "Run the check." },
	{ "required", CONF_BOOL, offsetof(struct helo_values, required), "no",
	  0, 0, NULL, "Require HELO." },
	{ "tls.required", CONF_BOOL,
	  offsetof(struct helo_values, tls_required), "off", 0, 0, NULL,
	  "Require TLS." },
	{ "invalid_score", CONF_SCORE,
	  offsetof(struct helo_values, invalid_score), "2.5", -100, 100, NULL,
	  "Score for an invalid name." },
	{ "action", CONF_ENUM, offsetof(struct helo_values, action), "reject",
	  0, 0, act_names, "What to do." },
	{ "reply", CONF_REPLY, offsetof(struct helo_values, reply),
	  "550 5.7.1 Bad HELO", 0, 0, NULL, "The reply." },
	{ "names", CONF_STRING_LIST, offsetof(struct helo_values, names),
	  "[localhost, localhost.localdomain]", 0, 0, NULL, "Bad names." },
	{ "trusted", CONF_CIDR_LIST, offsetof(struct helo_values, trusted),
	  "[127.0.0.0/8, '::1']", 0, 0, NULL, "Trusted clients." },
	{ "delay", CONF_DURATION, offsetof(struct helo_values, delay),
	  "250ms", 0, 0, NULL, "A pause." },
	{ "comment", CONF_STRING, offsetof(struct helo_values, comment),
	  NULL, 0, 0, NULL, "Free text.\n.TH not a request" },
	{ "fail_init", CONF_BOOL, offsetof(struct helo_values, fail_init),
	  NULL, 0, 0, NULL, "Make init fail (tests)." },
	{ .key = NULL },
};

static const struct conf_section helo_section = {
	"helo", "The HELO check.", helo_options, sizeof(struct helo_values),
	helo_init, helo_fini,
};

struct actions_values {
	double reject;
	double add_header;
	double tempfail;
};

static const struct conf_option actions_options[] = {
	{ "reject", CONF_SCORE, offsetof(struct actions_values, reject), "15",
	  0, 1000, NULL, "Reject at this score." },
	{ "add_header", CONF_SCORE,
	  offsetof(struct actions_values, add_header), "6", 0, 1000, NULL,
	  "Add headers at this score." },
	{ "tempfail", CONF_SCORE, offsetof(struct actions_values, tempfail),
	  "off", 0, 0, NULL, "Tempfail at this score." },
	{ .key = NULL },
};

static const struct conf_section actions_section = {
	"actions", "Score thresholds.", actions_options,
	sizeof(struct actions_values), NULL, NULL,
};

/* A table of named entries: rates.limits.NAME.OPTION. */

enum { COUNT_MESSAGES, COUNT_RECIPIENTS };

static const struct conf_name_code counts_names[] = {
	{ "messages", COUNT_MESSAGES },
	{ "recipients", COUNT_RECIPIENTS },
	{ NULL, 0 },
};

struct limit_values {
	struct conf_entry_head head;
	struct conf_strlist key;
	int counts;
	char *rate;
	long long burst;
	bool dry_run;
	bool notify;
	char *compiled;   /* made by init outside the arena */
};

/* Entry hooks: live counts what init made and fini has not freed yet. */
static _Atomic int limit_inits, limit_finis, limit_live;

/* Per entry: compile, and refuse burst 13 loudly and 14 silently. */
static bool
limit_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct limit_values *v = values;

	limit_inits++;
	limit_live++;
	v->compiled = xasprintf("%s=%s", v->head.name, v->rate);
	if (v->burst == 13) {
		conf_errors_here(errs, "limit %s: burst 13 refused by init",
		    v->head.name);
		return false;
	}
	return v->burst != 14;
}

static void
limit_fini(void *values)
{
	struct limit_values *v = values;

	limit_finis++;
	limit_live--;
	free(v->compiled);
	v->compiled = NULL;
}

static const struct conf_option limit_options[] = {
	{ "key", CONF_STRING_LIST, offsetof(struct limit_values, key),
	  "[sender]", 0, 0, NULL, "What is counted per." },
	{ "counts", CONF_ENUM, offsetof(struct limit_values, counts),
	  "messages", 0, 0, counts_names, "What is counted." },
	{ "rate", CONF_STRING, offsetof(struct limit_values, rate),
	  "100 per 1h", 0, 0, NULL, "How many per period." },
	{ "burst", CONF_INT, offsetof(struct limit_values, burst), "10",
	  0, 1000, NULL, "Allowed above the rate." },
	{ "dry_run", CONF_BOOL, offsetof(struct limit_values, dry_run), "no",
	  0, 0, NULL, "Only log." },
	{ "notify.enabled", CONF_BOOL, offsetof(struct limit_values, notify),
	  NULL, 0, 0, NULL, "A nested key inside an entry." },
	{ .key = NULL },
};

static const struct conf_section limit_section = {
	"limit", "One named limit.", limit_options,
	sizeof(struct limit_values), limit_init, limit_fini,
};

struct rates_values {
	bool enabled;
	struct conf_table limits;
	bool entries_ready;  /* init: every entry's init ran before */
};

/* The section's init runs after its entries' and its fini before. */
static _Atomic bool rates_fini_saw_entries; /* fini runs on reader threads too */

static bool
rates_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct rates_values *v = values;

	v->entries_ready = true;
	for (size_t i = 0; i < v->limits.n; i++)
		if (((struct limit_values *)v->limits.values[i])->compiled ==
		    NULL)
			v->entries_ready = false;
	return true;
}

static void
rates_fini(void *values)
{
	struct rates_values *v = values;

	rates_fini_saw_entries = true;
	for (size_t i = 0; i < v->limits.n; i++)
		if (((struct limit_values *)v->limits.values[i])->compiled ==
		    NULL)
			rates_fini_saw_entries = false;
}

static const struct conf_option rates_options[] = {
	{ "enabled", CONF_BOOL, offsetof(struct rates_values, enabled), "yes",
	  0, 0, NULL, "Count at all." },
	{ "limits", CONF_TABLE, offsetof(struct rates_values, limits), NULL,
	  0, 0, NULL, "Named limits.", &limit_section },
	{ .key = NULL },
};

static const struct conf_section rates_section = {
	"rates", "Rate limits.", rates_options, sizeof(struct rates_values),
	rates_init, rates_fini,
};

static const struct conf_section *const sections[] = {
	&top_section, &limits_section, &helo_section, &actions_section,
	&rates_section,
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* ---- helpers ---- */

/* Append one option's value, as the golden dumps show it. */
static void
dump_value(struct buf *b, const struct conf_option *o, const void *values)
{
	const char *p = (const char *)values + o->offset;
	char text[CIDR_TEXT_MAX];

	switch (o->type) {
	case CONF_BOOL:
		buf_puts(b, *(const bool *)p ? "yes" : "no");
		break;
	case CONF_INT:
		buf_appendf(b, "%lld", *(const long long *)p);
		break;
	case CONF_SIZE:
	case CONF_DURATION:
		buf_appendf(b, "%llu", (unsigned long long)*(const uint64_t *)p);
		break;
	case CONF_SCORE:
		if (isnan(*(const double *)p))
			buf_puts(b, "off");
		else
			buf_appendf(b, "%g", *(const double *)p);
		break;
	case CONF_STRING:
		if (*(char *const *)p == NULL)
			buf_puts(b, "(null)");
		else
			buf_appendf(b, "\"%s\"", *(char *const *)p);
		break;
	case CONF_ENUM:
		buf_puts(b, conf_code_name(o->names, *(const int *)p));
		break;
	case CONF_STRING_LIST: {
		const struct conf_strlist *l = (const void *)p;

		buf_putc(b, '[');
		for (size_t i = 0; i < l->n; i++)
			buf_appendf(b, "%s\"%s\"", i ? ", " : "", l->v[i]);
		buf_putc(b, ']');
		break;
	}
	case CONF_CIDR_LIST: {
		const struct cidr_list *l = (const void *)p;

		buf_putc(b, '[');
		for (size_t i = 0; i < l->n; i++) {
			ip_format(&l->v[i].net, text, sizeof(text));
			buf_appendf(b, "%s%s/%u", i ? ", " : "", text,
			    l->v[i].prefix);
		}
		buf_putc(b, ']');
		break;
	}
	case CONF_REPLY: {
		const struct conf_reply *r = (const void *)p;

		buf_appendf(b, "%s %s \"%s\"", r->code, r->xcode,
		    r->text ? r->text : "(null)");
		break;
	}
	case CONF_TABLE: {
		const struct conf_table *t = (const void *)p;

		/* Names, and where each entry's head says it was declared. */
		buf_putc(b, '{');
		for (size_t i = 0; i < t->n; i++) {
			const struct conf_entry_head *h = t->values[i];

			buf_appendf(b, "%s%s: %s:%u%s", i ? ", " : "",
			    t->names[i], h->file, h->line,
			    h->name == t->names[i] ? "" : " (head differs)");
		}
		buf_putc(b, '}');
		break;
	}
	}
}

/* Every option of section, "path = value" per line; a table's entries
 * follow it, each option under PATH.NAME. */
static void
dump_options(struct buf *b, const char *prefix,
    const struct conf_section *s, const void *values)
{
	for (const struct conf_option *o = s->options; o->key; o++) {
		const struct conf_table *t = (const void *)
		    ((const char *)values + o->offset);
		char *path = xasprintf("%s%s%s", prefix, prefix[0] ? "." : "",
		    o->key);

		buf_appendf(b, "%s = ", path);
		dump_value(b, o, values);
		buf_putc(b, '\n');
		for (size_t i = 0; o->type == CONF_TABLE && i < t->n; i++) {
			char *sub = xasprintf("%s.%s", path, t->names[i]);

			dump_options(b, sub, o->entry, t->values[i]);
			free(sub);
		}
		free(path);
	}
}

/* Every option of every section. */
static void
dump_conf(struct buf *b, const struct conf *conf)
{
	for (size_t i = 0; i < conf->n_sections; i++)
		dump_options(b, conf->sections[i]->name, conf->sections[i],
		    conf_section_values(conf, i));
}

/* The error lines, one per line. */
static void
dump_errors(struct buf *b, const struct conf_errors *errs)
{
	for (size_t i = 0; i < conf_errors_count(errs); i++)
		buf_appendf(b, "%s\n", conf_errors_get(errs, i));
}

/* Load path; the result as the golden files have it. Caller frees. */
static char *
load_text(const char *path, bool *loaded_r)
{
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = conf_load(path, sections, N_SECTIONS, errs);
	struct buf *b = buf_new();
	char *s;

	*loaded_r = conf != NULL;
	if (conf != NULL)
		dump_conf(b, conf);
	else
		dump_errors(b, errs);
	conf_free(&conf);
	conf_errors_free(&errs);
	s = buf_steal(b);
	buf_free(&b);
	return s;
}

/* Write text to dir/name. */
static void
spew(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		exit(99);
	}
	free(path);
}

/* conf_load_buffer a string; the conf or NULL, errors into errs. */
static struct conf *
load_str(const char *text, struct conf_errors *errs)
{
	return conf_load_buffer("mem.yaml", text, strlen(text), sections,
	    N_SECTIONS, errs);
}

/* Load text from memory and compare the first error line. */
static void
expect_error(const char *text, const char *want, const char *name)
{
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = load_str(text, errs);

	ok(conf == NULL, "%s: refused", name);
	is_str(conf_errors_get(errs, 0), want, name);
	conf_free(&conf);
	conf_errors_free(&errs);
}

#define HELO(conf) \
	((const struct helo_values *)conf_section_values((conf), 2))
#define LIMITS(conf) \
	((const struct limits_values *)conf_section_values((conf), 1))
#define TOP(conf) \
	((const struct top_values *)conf_section_values((conf), 0))
#define RATES(conf) \
	((const struct rates_values *)conf_section_values((conf), 4))
#define LIMIT(conf, i) \
	((const struct limit_values *)RATES(conf)->limits.values[i])

/* ---- golden files ---- */

/* scandir filter: NAME.yaml. */
static int
is_yaml(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return len > 5 && strcmp(d->d_name + len - 5, ".yaml") == 0;
}

/* Each NAME.yaml against NAME.ref, from inside the golden directory. */
static void
test_golden(void)
{
	const char *top = getenv("top_srcdir");
	char *dir = xasprintf("%s/t/unit/conf", top ? top : ".");
	bool regen = getenv("MXWARD_REGEN") != NULL;
	struct dirent **names;
	char cwd[4096];
	int n;

	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(dir) != 0) {
		ok(false, "golden directory %s", dir);
		free(dir);
		return;
	}
	n = scandir(".", &names, is_yaml, alphasort);
	ok(n >= 20, "golden cases found (%d)", n);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *ref = xasprintf("%.*s.ref", (int)strlen(name) - 5, name);
		char *want, *got;
		bool loaded;

		got = load_text(name, &loaded);
		if (regen)
			spew(".", ref, got);
		want = slurp(ref, NULL);
		is_str(got, want ? want : "(missing .ref)", name);
		free(got);
		free(want);
		free(ref);
		free(names[i]);
	}
	free(names);
	if (chdir(cwd) != 0)
		exit(99);
	free(dir);
}


/* ---- includes in a temporary directory ---- */

/* Remove dir and everything in it (one level of subdirectories). */
static void
rm_tree(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]->d_name);

		if (strcmp(names[i]->d_name, ".") != 0 &&
		    strcmp(names[i]->d_name, "..") != 0 && unlink(path) != 0)
			rm_tree(path);
		free(path);
		free(names[i]);
	}
	free(names);
	rmdir(dir);
}

/* Load dir/name; the error lines, with dir stripped, into *errors_r. */
static struct conf *
load_in(const char *dir, const char *name, char **errors_r)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = conf_load(path, sections, N_SECTIONS, errs);
	struct buf *b = buf_new();
	size_t len = strlen(dir);

	for (size_t i = 0; i < conf_errors_count(errs); i++) {
		const char *e = conf_errors_get(errs, i);

		buf_appendf(b, "%s\n", strncmp(e, dir, len) == 0 &&
		    e[len] == '/' ? e + len + 1 : e);
	}
	*errors_r = buf_steal(b);
	buf_free(&b);
	conf_errors_free(&errs);
	free(path);
	return conf;
}

/* Load dir/name, which must fail with exactly the lines want. */
static void
expect_load_errors(const char *dir, const char *name, const char *want,
    const char *test)
{
	char *errors;
	struct conf *conf = load_in(dir, name, &errors);

	ok(conf == NULL, "%s: refused", test);
	is_str(errors, want, test);
	conf_free(&conf);
	free(errors);
}

/* Merging of included files over the main one. */
static void
test_include_merge(const char *dir)
{
	char *errors, *subdir = xasprintf("%s/conf.d/dir.yaml", dir);
	struct conf *conf;

	spew(dir, "conf.d/10-a.yaml", "authserv_id: ten\nhelo:\n  names: [c]\n"
	    "  tls:\n    required: yes\n");
	spew(dir, "conf.d/20-b.yaml",
	    "authserv_id: twenty\nhelo:\n  action: accept\n");
	spew(dir, "conf.d/30-c.txt", "authserv_id: not matched\n");
	spew(dir, "conf.d/40-empty.yaml", "");
	mkdir(subdir, 0700); /* matched, but a directory: skipped */
	conf = load_in(dir, "main.yaml", &errors);
	is_str(errors, "", "includes load without errors");
	if (ok(conf != NULL, "includes merged")) {
		is_str(TOP(conf)->authserv_id, "twenty",
		    "the last file wins for a scalar");
		ok(HELO(conf)->names.n == 1 &&
		    strcmp(HELO(conf)->names.v[0], "c") == 0,
		    "a later list replaces the earlier one");
		ok(HELO(conf)->required, "main file's key kept in a merged "
		    "mapping");
		ok(HELO(conf)->tls_required, "nested key from an include");
		is_int(HELO(conf)->action, ACT_ACCEPT, "enum from the last file");
		is_int(LIMITS(conf)->recipients_max, 5,
		    "untouched section kept");
	}
	conf_free(&conf);
	free(errors);
	rmdir(subdir);
	free(subdir);
}

/* Errors inside included files name those files. */
static void
test_include_errors(const char *dir)
{
	spew(dir, "conf.d/50-bad.yaml", "helo:\n  required: maybe\n");
	spew(dir, "conf.d/60-inc.yaml", "include: '*.yaml'\n");
	expect_load_errors(dir, "main.yaml",
	    "conf.d/60-inc.yaml:1: include is not allowed in an included "
	    "file\n"
	    "conf.d/50-bad.yaml:2: helo.required: expected yes or no, "
	    "got 'maybe'\n",
	    "errors in included files name them");
}

/* 256 files are fine, 257 are not; absolute patterns and lists. */
static void
test_include_limits(const char *dir)
{
	char name[64], *text;
	struct conf *conf;
	char *errors;

	mkdir(text = xasprintf("%s/many", dir), 0700);
	free(text);
	for (int i = 0; i < 256; i++) {
		snprintf(name, sizeof(name), "many/%03d.yaml", i);
		spew(dir, name, "workers: 7\n");
	}
	text = xasprintf("include:\n  - %s/many/*.yaml\n  - nothing/*.yaml\n",
	    dir);
	spew(dir, "abs.yaml", text);
	free(text);
	conf = load_in(dir, "abs.yaml", &errors);
	ok(conf != NULL && TOP(conf)->workers == 7,
	    "256 files through an absolute glob in a list");
	conf_free(&conf);
	free(errors);
	spew(dir, "many/256.yaml", "workers: 8\n");
	expect_load_errors(dir, "abs.yaml",
	    "abs.yaml:2: include: more than 256 files\n", "257 files refused");
}

/* Includes from a temporary directory: merge, errors, limits. */
static void
test_includes(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/mxward-conf-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	char *sub, *errors, *big;
	struct conf *conf;

	if (mkdtemp(dir) == NULL) {
		ok(false, "mkdtemp: %s", strerror(errno));
		free(dir);
		return;
	}
	mkdir(sub = xasprintf("%s/conf.d", dir), 0700);
	free(sub);
	spew(dir, "main.yaml", "include: conf.d/*.yaml\n"
	    "authserv_id: main\nhelo:\n  names: [a, b]\n  required: yes\n"
	    "limits:\n  recipients_max: 5\n");
	conf = load_in(dir, "main.yaml", &errors);
	ok(conf != NULL && *errors == '\0', "empty include directory is fine");
	if (conf != NULL)
		is_str(TOP(conf)->authserv_id, "main", "main file read");
	conf_free(&conf);
	free(errors);

	test_include_merge(dir);
	test_include_errors(dir);
	test_include_limits(dir);

	expect_load_errors(dir, "missing.yaml",
	    "missing.yaml:0: cannot read: No such file or directory\n",
	    "missing file");
	big = xmalloc(1024 * 1024 + 2);
	memset(big, '#', 1024 * 1024 + 1);
	big[1024 * 1024 + 1] = '\0';
	spew(dir, "big.yaml", big);
	free(big);
	expect_load_errors(dir, "big.yaml",
	    "big.yaml:0: file larger than 1048576 bytes\n", "file over 1 MiB");
	rm_tree(dir);
	ok(access(dir, F_OK) != 0, "temporary directory removed");
	free(dir);
}

/* ---- limits and details through conf_load_buffer ---- */

/* A YAML flow sequence of n items. */
static char *
many_items(size_t n)
{
	struct buf *b = buf_new();
	char *s;

	buf_puts(b, "helo:\n  names: [");
	for (size_t i = 0; i < n; i++)
		buf_puts(b, i ? ",a" : "a");
	buf_puts(b, "]\n");
	s = buf_steal(b);
	buf_free(&b);
	return s;
}

/* YAML limits, include refused from memory, the error cap. */
static void
test_limits(void)
{
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf;
	char *text;
	struct buf *b;

	text = many_items(99000);
	conf = load_str(text, errs);
	ok(conf != NULL && HELO(conf)->names.n == 99000,
	    "99000 list items load");
	conf_free(&conf);
	free(text);
	text = many_items(100001);
	expect_error(text, "mem.yaml:2: more than 100000 YAML nodes",
	    "node limit");
	free(text);

	text = xmalloc(70000);
	memcpy(text, "authserv_id: ", 13);
	memset(text + 13, 'x', 70000 - 14);
	text[70000 - 1] = '\0';
	expect_error(text, "mem.yaml:1: scalar longer than 65536 bytes",
	    "scalar limit");
	free(text);

	expect_error("include: x/*.yaml\n",
	    "mem.yaml:1: include is not allowed here",
	    "include refused from a buffer");

	/* Errors are capped so a broken file cannot flood the log. */
	b = buf_new();
	for (int i = 0; i < 150; i++)
		buf_appendf(b, "bogus%d: 1\n", i);
	conf = load_str(b->data, errs);
	ok(conf == NULL && conf_errors_count(errs) == 101,
	    "errors capped at 100 plus one");
	is_str(conf_errors_get(errs, 100),
	    "mem.yaml:101: too many errors, only the first 100 are shown",
	    "cap line");
	buf_free(&b);
	conf_errors_free(&errs);
}

/* Values that the golden files do not show well. */
static void
test_values(void)
{
	struct conf_errors *errs = conf_errors_new();
	struct conf *a, *b;
	const char *text = "helo:\n  names: single\n  comment: ~\n"
	    "  reply: '421 4.3.2 Try again\tlater'\n  trusted: []\n"
	    "limits:\n  message_size_limit: 4G\n  offset: -9223372036854775808\n";

	a = load_str(text, errs);
	b = load_str(text, errs);
	if (!ok(a != NULL && b != NULL, "good buffer loads")) {
		for (size_t i = 0; i < conf_errors_count(errs); i++)
			printf("# %s\n", conf_errors_get(errs, i));
		conf_free(&a);
		conf_free(&b);
		conf_errors_free(&errs);
		return;
	}
	is_int((long long)(b->generation - a->generation), 1,
	    "generation counts loads");
	ok(HELO(a)->names.n == 1 && strcmp(HELO(a)->names.v[0], "single") == 0,
	    "a scalar is a one-item list");
	ok(HELO(a)->comment == NULL, "~ leaves a string unset");
	is_str(HELO(a)->reply.xcode, "4.3.2", "reply enhanced code");
	is_str(HELO(a)->reply.text, "Try again\tlater", "reply text with tab");
	is_int((long long)HELO(a)->trusted.n, 0, "empty network list");
	ok(LIMITS(a)->message_size_limit == 4ULL << 30, "4G is 2^32 bytes");
	ok(LIMITS(a)->offset == INT64_MIN, "most negative integer");
	ok(HELO(a)->compiled != NULL && strcmp(HELO(a)->compiled,
	    "compiled") == 0, "init hook ran");
	is_int(conf_errors_count(errs), 0, "no errors");
	conf_free(&a);
	conf_free(&b);
	ok(a == NULL, "conf_free clears the pointer");
	conf_errors_free(&errs);
	ok(errs == NULL, "conf_errors_free clears the pointer");
}

/* ---- tables of named entries ---- */

/* "rates:\n  limits:\n" and n entries "    eNNN: {burst: 1}". */
static char *
many_entries(size_t n)
{
	struct buf *b = buf_new();
	char *s;

	buf_puts(b, "rates:\n  limits:\n");
	for (size_t i = 0; i < n; i++)
		buf_appendf(b, "    e%03zu: {burst: 1}\n", i);
	s = buf_steal(b);
	buf_free(&b);
	return s;
}

#define LONG_NAME \
	"n23456789_123456789-123456789_123456789-123456789_123456789-1234"

/* Two entries with defaults, sorted, each with its head and init. */
static void
test_table_values(void)
{
	struct conf_errors *errs = conf_errors_new();
	int inits = limit_inits, finis = limit_finis;
	struct conf *conf = load_str("rates:\n  limits:\n"
	    "    zz: {burst: 3, key: [sender, recipient]}\n"
	    "    aa:\n      counts: recipients\n", errs);
	const struct conf_table *t;

	if (!ok(conf != NULL, "a table with two entries loads")) {
		conf_errors_free(&errs);
		return;
	}
	t = &RATES(conf)->limits;
	is_int((long long)t->n, 2, "two entries");
	is_str(t->names[0], "aa", "sorted by name: aa first");
	is_str(t->names[1], "zz", "then zz");
	ok(LIMIT(conf, 0)->head.name == t->names[0] &&
	    LIMIT(conf, 1)->head.name == t->names[1], "head names are names");
	ok(strcmp(LIMIT(conf, 0)->head.file, "mem.yaml") == 0 &&
	    LIMIT(conf, 0)->head.line == 4 && LIMIT(conf, 1)->head.line == 3,
	    "heads locate the entries' keys");
	ok(LIMIT(conf, 0)->counts == COUNT_RECIPIENTS &&
	    LIMIT(conf, 0)->burst == 10 && LIMIT(conf, 0)->key.n == 1 &&
	    strcmp(LIMIT(conf, 0)->key.v[0], "sender") == 0 &&
	    strcmp(LIMIT(conf, 0)->rate, "100 per 1h") == 0,
	    "defaults per entry");
	ok(LIMIT(conf, 1)->counts == COUNT_MESSAGES &&
	    LIMIT(conf, 1)->burst == 3 && LIMIT(conf, 1)->key.n == 2,
	    "values per entry");
	is_int(limit_inits - inits, 2, "init once per entry");
	is_str(LIMIT(conf, 1)->compiled, "zz=100 per 1h", "init saw its name");
	ok(RATES(conf)->entries_ready,
	    "the section's init runs after its entries'");
	rates_fini_saw_entries = false;
	conf_free(&conf);
	is_int(limit_finis - finis, 2, "fini once per entry");
	ok(rates_fini_saw_entries, "the section's fini runs before theirs");
	is_int(conf_errors_count(errs), 0, "no errors");
	conf_errors_free(&errs);

	/* Only the unknown key is cut in a message, not the entry's name. */
	expect_error("rates:\n  limits:\n    " LONG_NAME ":\n"
	    "      bogus: 1\n",
	    "mem.yaml:4: unknown option 'rates.limits." LONG_NAME ".bogus'",
	    "a 64-byte entry name is quoted whole");
}

/* Empty tables: the default, null, {}; and the 256-entry bound. */
static void
test_table_sizes(void)
{
	static const char *const empty[] = {
		"workers: 2\n", "rates:\n  limits:\n", "rates: {limits: {}}\n",
		"rates: {limits: ~}\n",
	};
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf;
	char *text;

	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		conf = load_str(empty[i], errs);
		ok(conf != NULL && RATES(conf)->limits.n == 0 &&
		    RATES(conf)->entries_ready, "empty table %zu", i);
		conf_free(&conf);
	}
	text = many_entries(256);
	conf = load_str(text, errs);
	ok(conf != NULL && RATES(conf)->limits.n == 256 &&
	    strcmp(RATES(conf)->limits.names[255], "e255") == 0,
	    "256 entries load");
	conf_free(&conf);
	free(text);
	is_int(conf_errors_count(errs), 0, "no errors");
	text = many_entries(257);
	expect_error(text, "mem.yaml:259: rates.limits: more than 256 entries",
	    "257 entries refused at the 257th");
	free(text);
	conf_errors_free(&errs);
}

/* Entry init failures: located at the entry, fini for those that ran. */
static void
test_table_init(void)
{
	const struct conf_section *const list[] = { &rates_section,
	    &helo_section };
	const char *later = "rates: {limits: {a: {}, b: {}}}\n"
	    "helo: {fail_init: yes}\n";
	int inits = limit_inits, finis = limit_finis;
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf;

	rates_fini_saw_entries = false;
	expect_error("rates:\n  limits:\n    c: {}\n    b:\n      burst: 13\n"
	    "    a: {}\n", "mem.yaml:4: limit b: burst 13 refused by init",
	    "entry init error at the entry's key");
	is_int(limit_inits - inits, 2, "inits up to the failed one (a, b)");
	is_int(limit_finis - finis, 2, "fini for both, the failed one too");
	ok(!rates_fini_saw_entries, "no section fini: its init never ran");
	expect_error("rates:\n  limits:\n    quiet: {burst: 14}\n",
	    "mem.yaml:3: limit quiet: invalid settings",
	    "a silent entry init failure gets a line");
	inits = limit_inits;
	expect_error("rates:\n  limits:\n    a: {}\nbogus: 1\n",
	    "mem.yaml:4: unknown option 'bogus'", "a parse error elsewhere");
	is_int(limit_inits - inits, 0, "no entry init after a parse error");
	/* A later section fails: every entry of an earlier one is undone. */
	inits = limit_inits;
	finis = limit_finis;
	conf = conf_load_buffer("mem.yaml", later, strlen(later), list, 2,
	    errs);
	ok(conf == NULL, "a later section's init fails the load");
	is_int(limit_inits - inits, 2, "both entries were initialised");
	is_int(limit_finis - finis, 2, "and both finalised");
	is_int(limit_live, 0, "no entry left initialised");
	conf_errors_free(&errs);
}

/* ---- hooks and snapshots ---- */

/* A failing init: its location, and fini for every init that ran. */
static void
test_init_failure(void)
{
	int inits = helo_inits, finis = helo_finis;

	expect_error("authserv_id: x\n\nhelo:\n  fail_init: yes\n",
	    "mem.yaml:3: helo: refused by init", "init error at the section");
	is_int(helo_inits - inits, 1, "init ran once");
	is_int(helo_finis - finis, 1, "fini ran for the failed init");
	expect_error("limits:\n  soft_size: 1k\n  message_size_limit: 1k\n"
	    "helo: {fail_init: yes}\n",
	    "mem.yaml:4: helo: refused by init",
	    "init error in a flow mapping");
	expect_error("limits: {soft_size: 2M, message_size_limit: 1M}\n",
	    "mem.yaml:1: limits: soft_size is above message_size_limit",
	    "cross-option check of another section");
	expect_error("authserv_id: x\nhelo: {fail_init: yes}\n",
	    "mem.yaml:2: helo: refused by init", "init error line 2");
	inits = helo_inits;
	expect_error("limits:\n  soft_size: 11M\n",
	    "mem.yaml:1: limits: soft_size is above message_size_limit",
	    "init error before later sections");
	is_int(helo_inits - inits, 0, "later inits do not run after a failure");
}

struct reader_arg {
	int rounds;
	int seen_null;
};

/* Acquire, read, release in a loop while the main thread republishes. */
static void *
reader(void *p)
{
	struct reader_arg *arg = p;

	for (int i = 0; i < arg->rounds; i++) {
		struct conf *conf = conf_acquire();

		if (conf == NULL) {
			arg->seen_null++;
			continue;
		}
		/* Touch the values: they must still be alive. */
		if (HELO(conf)->compiled == NULL ||
		    strcmp(HELO(conf)->compiled, "compiled") != 0)
			abort();
		conf_release(&conf);
	}
	return NULL;
}

/* Publish, acquire, release, also racing reader threads. */
static void
test_snapshots(void)
{
	struct conf_errors *errs = conf_errors_new();
	struct conf *a = load_str("authserv_id: a\n", errs);
	struct conf *b = load_str("authserv_id: b\n", errs);
	struct conf *held, *cur;
	int finis = helo_finis, inits;
	pthread_t tids[4];
	struct reader_arg args[4];

	ok(conf_acquire() == NULL, "nothing before the first publish");
	conf_publish(a);
	held = conf_acquire();
	ok(held == a, "acquire returns the published conf");
	conf_publish(b);
	is_int(helo_finis - finis, 0, "a held snapshot survives a publish");
	is_str(TOP(held)->authserv_id, "a", "held snapshot still readable");
	conf_release(&held);
	ok(held == NULL, "release clears the pointer");
	is_int(helo_finis - finis, 1, "last release runs fini once");
	cur = conf_acquire();
	is_str(cur ? TOP(cur)->authserv_id : NULL, "b", "the new one is current");
	conf_release(&cur);
	is_int(helo_finis - finis, 1, "current snapshot not freed by release");

	/* Readers race republishing; every snapshot is finalised once. */
	inits = helo_inits;
	finis = helo_finis;
	for (int i = 0; i < 4; i++) {
		args[i].rounds = 20000;
		args[i].seen_null = 0;
		pthread_create(&tids[i], NULL, reader, &args[i]);
	}
	for (int i = 0; i < 50; i++)
		conf_publish(load_str("authserv_id: c\n", errs));
	for (int i = 0; i < 4; i++)
		pthread_join(tids[i], NULL);
	is_int(helo_inits - inits, 50, "50 loads while readers run");
	is_int(helo_finis - finis, 50, "49 replaced plus b finalised");
	conf_publish(NULL);
	is_int(helo_finis - finis, 51, "withdrawing frees the last one");
	ok(conf_acquire() == NULL, "nothing published after withdrawal");
	ok(args[0].seen_null == 0, "readers never saw an empty slot");
	is_int(conf_errors_count(errs), 0, "no load errors");

	a = load_str("authserv_id: a\n", errs);
	finis = helo_finis;
	conf_release(&a);
	is_int(helo_finis - finis, 1, "release of an unpublished conf frees it");
	conf_errors_free(&errs);
}

/* ---- the man page ---- */

/* conf_write_man() documents every option. */
static void
test_man(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	bool all = true;

	conf_write_man(out, sections, N_SECTIONS);
	fclose(out);
	for (size_t i = 0; i < N_SECTIONS; i++) {
		const struct conf_section *s = sections[i];

		for (const struct conf_option *o = s->options; o->key; o++) {
			char *want = xasprintf(".B %s%s%s\n", s->name,
			    s->name[0] ? "." : "", o->key);

			if (strstr(text, want) == NULL) {
				printf("# missing: %s", want);
				all = false;
			}
			free(want);
		}
	}
	ok(all, "man page has every option's key path");
	ok(strstr(text, ".TP\n.B include\n") != NULL, "include documented");
	ok(strstr(text, ".SS \"Top-level options\"\n") != NULL &&
	    strstr(text, ".SS \"limits\"\n") != NULL, "one subsection each");
	ok(strstr(text, "\\fIsize\\fR; default \\fB10M\\fR; from 1k to 4G.") !=
	    NULL, "size bounds in units");
	ok(strstr(text, "default \\fB5m\\fR; from 1s to 1h.") != NULL,
	    "duration bounds in units");
	ok(strstr(text, "from \\-100 to 100") != NULL, "negative bound escaped");
	ok(strstr(text, "One of: \\fBaccept\\fR, \\fBtempfail\\fR, "
	    "\\fBreject\\fR.") != NULL, "enum names listed");
	ok(strstr(text, "\n\\&.TH not a request") != NULL,
	    "a doc line starting with a dot is escaped");
	ok(strstr(text, "\n.SH") == NULL && strncmp(text, ".SH", 3) != 0,
	    "no .SH of its own (the template has it)");
	ok(strstr(text, ".B rates.limits\n\\fItable\\fR; default "
	    "\\fBempty\\fR.\n") != NULL, "a table option and its type");
	ok(strstr(text, "names one \\fIlimit\\fR: 1 to 64 letters") != NULL,
	    "entry names explained");
	ok(strstr(text, ".RS\n.TP\n.BI rates.limits. limit .key\n") != NULL &&
	    strstr(text, ".BI rates.limits. limit .notify.enabled\n") != NULL &&
	    strstr(text, "A nested key inside an entry.\n.RE\n") != NULL,
	    "entry options indented as rates.limits.\\fIlimit\\fR.OPTION");
	free(text);
}

/* An init that fails without saying why. */
static bool
silent_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	return false;
}

static const struct conf_option no_options[] = { { .key = NULL } };

static const struct conf_section silent_section = {
	"never", NULL, no_options, 0, silent_init, NULL,
};

/* A section absent from the file: its init reports at the file, line 0,
 * and a silent failure still gives an error line. */
static void
test_init_absent(void)
{
	const struct conf_section *const list[] = { &top_section,
	    &silent_section };
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = conf_load_buffer("mem.yaml", "workers: 2\n", 11,
	    list, 2, errs);

	ok(conf == NULL, "silent init failure fails the load");
	is_str(conf_errors_get(errs, 0),
	    "mem.yaml:0: section never: invalid settings",
	    "absent section located at line 0");
	conf_errors_free(&errs);
}

/* ---- small pieces ---- */

static const struct conf_option bad_default_options[] = {
	{ "n", CONF_INT, 0, "many", 0, 0, NULL, NULL },
	{ .key = NULL },
};

static const struct conf_section bad_default_section = {
	"bad", NULL, bad_default_options, sizeof(long long), NULL, NULL,
};

/* Does loading "" with section alone abort the process? */
static bool
load_aborts(const struct conf_section *section)
{
	const struct conf_section *const list[] = { section };
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		struct conf_errors *errs = conf_errors_new();

		freopen("/dev/null", "w", stderr);
		conf_load_buffer("x", "", 0, list, 1, errs);
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

/* Bad table declarations: one option each, all about a table. */
static const struct conf_section small_entry = {
	"small", NULL, no_options, sizeof(char *), NULL, NULL,
};
static const struct conf_option table_in_entry_options[] = {
	{ "inner", CONF_TABLE, sizeof(struct conf_entry_head), NULL, 0, 0,
	  NULL, NULL, &limit_section },
	{ .key = NULL },
};
static const struct conf_section table_in_entry = {
	"outer", NULL, table_in_entry_options,
	sizeof(struct conf_entry_head) + sizeof(struct conf_table), NULL, NULL,
};
static const struct conf_option bad_table_options[][2] = {
	{ { "t", CONF_TABLE, 0, NULL, 0, 0, NULL, NULL, NULL } },
	{ { "t", CONF_TABLE, 0, "{}", 0, 0, NULL, NULL, &limit_section } },
	{ { "t", CONF_TABLE, 0, NULL, 0, 0, NULL, NULL, &small_entry } },
	{ { "t", CONF_TABLE, 0, NULL, 0, 0, NULL, NULL, &table_in_entry } },
};

/* A default that does not parse, or a bad table declaration, is a bug
 * in the tables: the load aborts. */
static void
test_bad_default(void)
{
	static const char *const why[] = {
		"no entry section", "a default", "entry smaller than its head",
		"a table inside an entry",
	};

	ok(load_aborts(&bad_default_section), "bad default aborts");
	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++) {
		const struct conf_section section = { "bad", NULL,
		    bad_table_options[i], sizeof(struct conf_table), NULL,
		    NULL };

		ok(load_aborts(&section), "table with %s aborts", why[i]);
	}
}

/* The name<->code helpers. */
static void
test_name_code(void)
{
	int code = -1;

	ok(conf_name_code(act_names, "tempfail", &code) &&
	    code == ACT_TEMPFAIL, "name to code");
	ok(!conf_name_code(act_names, "Tempfail", &code), "names are exact");
	is_str(conf_code_name(act_names, ACT_REJECT), "reject", "code to name");
	ok(conf_code_name(act_names, 42) == NULL, "unknown code");
}

int
main(void)
{
	test_golden();
	test_includes();
	test_limits();
	test_values();
	test_init_failure();
	test_init_absent();
	test_table_values();
	test_table_sizes();
	test_table_init();
	test_snapshots();
	test_man();
	test_bad_default();
	test_name_code();
	plan(tap_run);
	return done();
}
