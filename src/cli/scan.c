/*
 * scan.c - `mxward scan`: saved messages through the same engine
 *
 *   mxward [-c FILE] scan [--json] [--ip ADDR] [--helo NAME] [--from ADDR]
 *                         [--rcpt ADDR]... [--user SASLNAME] MESSAGE.eml...
 *
 * Each message goes through the phases an MTA would drive: connect (from
 * --ip, default: an unknown client), HELO (--helo, default
 * localhost.localdomain), MAIL FROM (--from, default the null sender),
 * RCPT (each --rcpt), the header fields, the body with line ends made CRLF
 * as on the wire, end of message. A refusal at any phase ends the message
 * there, as the MTA would. Output: one human line per message, or with
 * --json one JSON object per line (JSON Lines).
 *
 * Exit status: 0 when every message was scanned, 1 on a usage or policy
 * error, 2 when a message could not be read or parsed.
 *
 * SECURITY: the files are untrusted mail. Header splitting is bounded by
 * mime_header_next(); the whole file is read into memory, up to
 * SCAN_FILE_MAX.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "checks/auth.h"
#include "engine/engine.h"
#include "engine/stats.h"
#include "engine/verdict.h"
#include "mime/header.h"

#define SCAN_FILE_MAX ((size_t)1 << 30)
#define SCAN_CHUNK 65536

struct scan_options {
	bool json;
	const char *ip, *helo, *from, *user;
	const char **rcpts;
	size_t n_rcpts;
};

/* What became of one message. */
struct scan_result {
	enum check_action action;
	struct engine_reply reply;
	const struct engine_verdict *verdict; /* NULL if refused before EOM */
	const struct check_symbol *symbols[2];
	double score;
	const char *virus;                    /* the antivirus check's finding */
	const struct auth_results *auth;      /* SPF, DKIM, DMARC */
	const char *error;                    /* malformed input */
};

/* Read a whole file; NULL with errno set on failure. */
static char *
read_file(const char *path, size_t *len_r)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (len == cap) {
			if (cap >= SCAN_FILE_MAX) {
				errno = EFBIG;
				free(data);
				data = NULL;
				break;
			}
			cap = cap ? cap * 2 : SCAN_CHUNK;
			data = xrealloc(data, cap);
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (f != stdin)
		fclose(f);
	*len_r = len;
	return data;
}

/* Feed the body in chunks, turning bare LF into CRLF as on the wire. */
static enum check_action
feed_body(struct engine_session *s, const char *body, size_t len,
    struct engine_reply *reply_r)
{
	char chunk[SCAN_CHUNK + 1];
	size_t o = 0;
	enum check_action action = ACTION_ACCEPT;

	for (size_t i = 0; i < len && action < ACTION_DISCARD; i++) {
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
			chunk[o++] = '\r';
		chunk[o++] = body[i];
		if (o >= SCAN_CHUNK) {
			action = engine_body(s, chunk, o, reply_r);
			o = 0;
		}
	}
	if (o > 0 && action < ACTION_DISCARD)
		action = engine_body(s, chunk, o, reply_r);
	return action;
}

/* Feed the header fields; *body_r is set to where the body starts. */
static enum check_action
feed_headers(struct engine_session *s, const char *data, size_t len,
    size_t *body_r, struct scan_result *r)
{
	struct mime_header_field field;
	enum check_action action = ACTION_ACCEPT;
	size_t pos = 0, line_start;

	for (;;) {
		line_start = pos;
		switch (mime_header_next(data, len, &pos, &field)) {
		case MIME_HEADER_FIELD:
			action = engine_header(s, field.name, field.value,
			    field.raw, field.raw_len, &r->reply);
			free(field.value);
			if (action >= ACTION_DISCARD)
				return action;
			continue;
		case MIME_HEADER_END:
			*body_r = pos;
			return action;
		case MIME_HEADER_MALFORMED:
			/* As MTAs do: a line that is no field starts the body. */
			*body_r = line_start;
			return action;
		case MIME_HEADER_TOO_LONG:
			r->error = "a header field exceeds 1 MiB";
			*body_r = len;
			return action;
		}
	}
}

/* Drive one message through the session's phases, stopping at a refusal. */
static void
scan_message(struct engine_session *s, const struct scan_options *o,
    const char *data, size_t len, struct scan_result *r)
{
	size_t body = 0;

	memset(r, 0, sizeof(*r));
#define PHASE(call) \
	if ((r->action = (call)) >= ACTION_DISCARD) return
	PHASE(engine_mail(s, o->from, 0, &r->reply));
	for (size_t i = 0; i < o->n_rcpts; i++)
		PHASE(engine_rcpt(s, o->rcpts[i], &r->reply));
	PHASE(engine_data(s, &r->reply));
	PHASE(feed_headers(s, data, len, &body, r));
	if (r->error != NULL)
		return;
	PHASE(engine_eoh(s, &r->reply));
	PHASE(feed_body(s, data + body, len - body, &r->reply));
#undef PHASE
	r->verdict = engine_eom(s);
	r->action = r->verdict->action;
	r->reply = r->verdict->reply;
}

/* The reply the MTA would give, or NULL when it accepts. */
static char *
reply_text(const struct scan_result *r)
{
	if (r->action != ACTION_REJECT && r->action != ACTION_TEMPFAIL)
		return NULL;
	return xasprintf("%s %s %s", r->reply.code, r->reply.xcode,
	    r->reply.text);
}

/* Set o[key] to a string, or leave it out when value is NULL. */
static void
set_string(json_t *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(o, key, json_string(value));
}

/* The "spf", "dkim" and "dmarc" members from the checks' results. */
static void
auth_json(json_t *o, const struct auth_results *a)
{
	json_t *spf = json_null(), *dkim = json_array(), *dmarc = json_null();

	if (a != NULL && a->spf.result != NULL) {
		spf = json_pack("{s:s}", "result", a->spf.result);
		set_string(spf, "domain", a->spf.domain);
		set_string(spf, "identity", a->spf.identity);
		set_string(spf, "explanation", a->spf.explanation);
		set_string(spf, "reason", a->spf.reason);
		set_string(spf, "helo_result", a->spf.helo_result);
	}
	for (size_t i = 0; a != NULL && i < a->n_dkim; i++) {
		const struct auth_dkim *d = &a->dkim[i];
		json_t *sig = json_pack("{s:s}", "result", d->result);

		set_string(sig, "domain", d->domain);
		set_string(sig, "selector", d->selector);
		set_string(sig, "algorithm", d->algorithm);
		set_string(sig, "b", d->b);
		set_string(sig, "identity", d->identity);
		set_string(sig, "reason", d->reason);
		json_array_append_new(dkim, sig);
	}
	if (a != NULL && a->dmarc.result != NULL) {
		dmarc = json_pack("{s:s}", "result", a->dmarc.result);
		set_string(dmarc, "domain", a->dmarc.domain);
		set_string(dmarc, "policy", a->dmarc.policy);
		set_string(dmarc, "disposition", a->dmarc.disposition);
		set_string(dmarc, "org_domain", a->dmarc.org_domain);
		set_string(dmarc, "reason", a->dmarc.reason);
	}
	json_object_set_new(o, "spf", spf);
	json_object_set_new(o, "dkim", dkim);
	json_object_set_new(o, "dmarc", dmarc);
}

/* One JSON Lines record (DESIGN.md's fields). */
static void
print_json(const char *path, const struct scan_result *r)
{
	const struct engine_verdict *v = r->verdict;
	json_t *o = json_object(), *symbols = json_array();
	json_t *added = json_array(), *removed = json_array();
	char *reply = reply_text(r), *line;

	json_object_set_new(o, "file", json_string(path));
	json_object_set_new(o, "action", json_string(conf_code_name(
	    check_action_names, (int)r->action)));
	json_object_set_new(o, "smtp_reply", reply ? json_string(reply) :
	    json_null());
	json_object_set_new(o, "score", json_real(r->score));
	for (size_t l = 0; l < 2; l++)
		for (const struct check_symbol *s = r->symbols[l]; s; s = s->next)
			json_array_append_new(symbols, json_pack("{s:s,s:f,s:s?}",
			    "name", s->name, "score", s->score, "detail",
			    s->detail));
	json_object_set_new(o, "symbols", symbols);
	auth_json(o, r->auth);
	json_object_set_new(o, "virus", r->virus ? json_string(r->virus) :
	    json_null());
	for (size_t i = 0; v != NULL && i < v->n_add; i++)
		json_array_append_new(added, json_pack("{s:s,s:s}", "name",
		    v->add[i].name, "value", v->add[i].value));
	json_object_set_new(o, "headers_added", added);
	for (size_t i = 0; v != NULL && i < v->n_del; i++)
		json_array_append_new(removed, json_pack("{s:s,s:i}", "name",
		    v->del[i].name, "index", (int)v->del[i].index));
	json_object_set_new(o, "headers_removed", removed);
	if (r->error != NULL)
		json_object_set_new(o, "error", json_string(r->error));
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	puts(line);
	free(line);
	free(reply);
	json_decref(o);
}

/* One human-readable line. */
static void
print_human(const char *path, const struct scan_result *r)
{
	char *reply = reply_text(r);

	printf("%s: %s score=%.2f", path, conf_code_name(check_action_names,
	    (int)r->action), r->score);
	if (reply != NULL)
		printf(" reply=\"%s\"", reply);
	for (size_t l = 0; l < 2; l++)
		for (const struct check_symbol *s = r->symbols[l]; s; s = s->next)
			printf(" %s(%.2f)", s->name, s->score);
	if (r->virus != NULL)
		printf(" virus=%s", r->virus);
	if (r->error != NULL)
		printf(" error=\"%s\"", r->error);
	putchar('\n');
	free(reply);
}

/* Scan one file in a fresh session; returns false if it could not be. */
static bool
scan_file(const char *path, const struct scan_options *o)
{
	struct engine_session *s;
	struct scan_result r;
	size_t len;
	char *data = read_file(path, &len);

	if (data == NULL) {
		fprintf(stderr, "mxward: %s: %s\n", path, strerror(errno));
		return false;
	}
	s = engine_session_new(o->ip ? "unknown" : NULL, o->ip);
	engine_set_auth(s, o->user);
	memset(&r, 0, sizeof(r));
	if ((r.action = engine_connect(s, &r.reply)) < ACTION_DISCARD &&
	    (r.action = engine_helo(s, o->helo, &r.reply)) < ACTION_DISCARD)
		scan_message(s, o, data, len, &r);
	engine_findings(s, r.symbols);
	r.virus = engine_fact(s, "virus");
	r.auth = engine_auth(s);
	r.score = r.verdict != NULL ? r.verdict->score :
	    verdict_score(r.symbols[0]) + verdict_score(r.symbols[1]);
	(o->json ? print_json : print_human)(path, &r);
	engine_abort(s);
	engine_session_free(&s);
	free(data);
	return r.error == NULL;
}

/* Parse scan's own options into o; returns the index of the first file. */
static int
parse_options(int argc, char **argv, struct scan_options *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "ip", required_argument, NULL, 'i' },
		{ "helo", required_argument, NULL, 'h' },
		{ "from", required_argument, NULL, 'f' },
		{ "rcpt", required_argument, NULL, 'r' },
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 'i': o->ip = optarg; break;
		case 'h': o->helo = optarg; break;
		case 'f': o->from = optarg; break;
		case 'u': o->user = optarg; break;
		case 'r':
			o->rcpts = xrealloc(o->rcpts, (o->n_rcpts + 1) *
			    sizeof(*o->rcpts));
			o->rcpts[o->n_rcpts++] = optarg;
			break;
		default:
			return -1;
		}
	}
	return optind;
}

int
cli_scan(const char *policy_path, int argc, char **argv)
{
	struct scan_options o = { .helo = "localhost.localdomain", .from = "" };
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf;
	char err[512];
	int first, status = 0;

	first = parse_options(argc, argv, &o);
	if (first < 0 || first >= argc) {
		fprintf(stderr, "usage: mxward scan [--json] [--ip ADDR] "
		    "[--helo NAME] [--from ADDR] [--rcpt ADDR]... "
		    "[--user SASLNAME] MESSAGE.eml...\n");
		free(o.rcpts);
		conf_errors_free(&errs);
		return 1;
	}
	log_open("mxward", true, LOG_LEVEL_WARNING);
	conf = engine_load_policy(policy_path, errs);
	for (size_t i = 0; i < conf_errors_count(errs); i++)
		fprintf(stderr, "%s\n", conf_errors_get(errs, i));
	conf_errors_free(&errs);
	if (conf == NULL) {
		free(o.rcpts);
		return 1;
	}
	engine_stats_init();
	conf_publish(conf);
	if (!engine_start(err, sizeof(err))) {
		fprintf(stderr, "mxward: %s\n", err);
		conf_publish(NULL);
		free(o.rcpts);
		return 1;
	}
	for (int i = first; i < argc; i++)
		if (!scan_file(argv[i], &o))
			status = 2;
	engine_stop();
	conf_publish(NULL);
	free(o.rcpts);
	return status;
}
