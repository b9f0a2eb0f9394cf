/*
 * test_dmarc_report.c - DMARC aggregate-report data: the JSON line, the
 * file sink (also from several processes at once), the Redis sink
 *
 * The Redis part needs a server: test_dmarc_report.sh starts a
 * redis-server on 127.0.0.1 and passes its address in DMARC_TEST_REDIS;
 * without it those tests are skipped. Each line is checked by parsing it
 * back with jansson.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis.h>
#include <jansson.h>

#include "dmarc/report.h"
#include "tap.h"

#define WRITERS 4
#define LINES_EACH 250
#define REDIS_TESTS 9
#define THREADS 4
#define PUSHES_EACH 50

static struct dmarc_outcome out;
static const struct dmarc_report_dkim dkim[] = {
	{ "example.org", "s1", "pass" },
	{ "mailer.example", NULL, "fail" },
};

/* A failing message of example.org, quarantined instead of rejected. */
static void
sample_row(struct dmarc_report_row *row)
{
	memset(&out, 0, sizeof(out));
	out.result = DMARC_RESULT_FAIL;
	out.record_found = true;
	out.record.p = DMARC_REQ_REJECT;
	out.record.np = DMARC_REQ_QUARANTINE;
	out.record.adkim_strict = true;
	out.record.pct = 100;
	out.record.psd = 'u';
	strcpy(out.record.rua, "mailto:agg@example.org,mailto:x\xff@bad");
	strcpy(out.policy_domain, "example.org");
	strcpy(out.org_domain, "example.org");
	out.policy = out.applied = DMARC_REQ_REJECT;
	out.policy_tag = "p";
	memset(row, 0, sizeof(*row));
	row->time = 1700000000;
	row->reporter = "mx.example.net";
	row->queue_id = "4ABCD";
	row->source_ip = "192.0.2.7";
	row->header_from = "example.org";
	row->envelope_from = "bounce.example";
	row->outcome = &out;
	row->disposition = "quarantine";
	row->local_policy = "reject_policy: quarantine";
	row->spf_domain = "bounce.example";
	row->spf_scope = "mfrom";
	row->spf_result = "pass";
	row->dkim = dkim;
	row->n_dkim = 2;
}

/* The string member at path "a.b" of o, or NULL. */
static const char *
member(json_t *o, const char *key, const char *sub)
{
	json_t *v = json_object_get(o, key);

	if (sub != NULL)
		v = json_object_get(v, sub);
	return json_string_value(v);
}

static void
test_json(void)
{
	struct dmarc_report_row row;
	json_error_t jerr;
	json_t *o, *rua;
	char *line;

	sample_row(&row);
	line = dmarc_report_json(&row);
	ok(strchr(line, '\n') == NULL, "one line");
	o = json_loads(line, 0, &jerr);
	ok(o != NULL, "valid JSON (%s)", o ? "ok" : jerr.text);
	is_int(json_integer_value(json_object_get(o, "version")), 1,
	    "version 1");
	is_int(json_integer_value(json_object_get(o, "time")), 1700000000,
	    "time");
	is_str(member(o, "header_from", NULL), "example.org", "header_from");
	is_str(member(o, "policy_published", "p"), "reject", "published p");
	ok(json_is_null(json_object_get(json_object_get(o,
	    "policy_published"), "sp")), "absent sp is null");
	is_str(member(o, "policy_published", "np"), "quarantine",
	    "published np");
	is_str(member(o, "policy_published", "adkim"), "s", "adkim");
	rua = json_object_get(json_object_get(o, "policy_published"), "rua");
	ok(json_array_size(rua) == 2 && strcmp(json_string_value(
	    json_array_get(rua, 0)), "mailto:agg@example.org") == 0,
	    "rua as a list");
	is_str(json_string_value(json_array_get(rua, 1)), "mailto:x?@bad",
	    "a byte that is not UTF-8 becomes '?'");
	is_str(member(o, "disposition", NULL), "quarantine", "disposition");
	is_str(member(json_array_get(json_object_get(o, "reasons"), 0),
	    "type", NULL), "local_policy", "reason local_policy");
	ok(json_array_size(json_object_get(o, "dkim")) == 2 &&
	    json_is_null(json_object_get(json_array_get(json_object_get(o,
	    "dkim"), 1), "selector")), "two DKIM results, no selector: null");
	is_str(member(json_array_get(json_object_get(o, "spf"), 0), "scope",
	    NULL), "mfrom", "SPF scope");
	json_decref(o);
	free(line);
}

/* Every line of path parses; their count. */
static size_t
count_json_lines(const char *path, bool *all_valid_r)
{
	FILE *f = fopen(path, "r");
	char buf[8192];
	size_t n = 0;

	*all_valid_r = f != NULL;
	while (f != NULL && fgets(buf, sizeof(buf), f) != NULL) {
		json_t *o = json_loads(buf, 0, NULL);

		n++;
		if (o == NULL)
			*all_valid_r = false;
		json_decref(o);
	}
	if (f != NULL)
		fclose(f);
	return n;
}

static void
test_file(void)
{
	char dir[256], path[300], err[256];
	struct dmarc_report_row row;
	struct dmarc_report_sink *sink;
	bool valid;
	char *line;
	int status, failed = 0;

	snprintf(dir, sizeof(dir), "%s/test_dmarc_report.XXXXXX", P_tmpdir);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/dmarc.jsonl", dir);
	sample_row(&row);
	line = dmarc_report_json(&row);
	sink = dmarc_report_file_new(path);
	ok(dmarc_report_write(sink, line, err, sizeof(err)) &&
	    dmarc_report_write(sink, line, err, sizeof(err)), "two lines "
	    "written");
	is_int((long long)count_json_lines(path, &valid), 2, "two lines read");
	/* Several processes append at once: no line may be torn. */
	for (int w = 0; w < WRITERS; w++) {
		if (fork() != 0)
			continue;
		for (int i = 0; i < LINES_EACH; i++)
			if (!dmarc_report_write(sink, line, err, sizeof(err)))
				_exit(1);
		_exit(0);
	}
	for (int w = 0; w < WRITERS; w++)
		if (wait(&status) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	is_int(failed, 0, "concurrent writers succeeded");
	is_int((long long)count_json_lines(path, &valid),
	    2 + WRITERS * LINES_EACH, "every line there");
	ok(valid, "every line whole");
	dmarc_report_sink_free(&sink);
	ok(sink == NULL, "sink freed");
	unlink(path);
	snprintf(path, sizeof(path), "%s/missing/dmarc.jsonl", dir);
	sink = dmarc_report_file_new(path);
	ok(!dmarc_report_write(sink, line, err, sizeof(err)) &&
	    strstr(err, "missing") != NULL, "unwritable file: error (%s)", err);
	dmarc_report_sink_free(&sink);
	rmdir(dir);
	free(line);
}

static void
test_addresses(void)
{
	static const char *const bad[] = { "[::1", "[::1]x", "host:0",
	    "host:99999", "a:b:c", "unix:relative", ":6379" };
	char err[256];
	struct dmarc_report_sink *sink;
	size_t refused = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sink = dmarc_report_redis_new(bad[i], "k", 100, err,
		    sizeof(err));
		if (sink == NULL)
			refused++;
		else
			printf("# accepted %s\n", bad[i]);
		dmarc_report_sink_free(&sink);
	}
	is_int((long long)refused, sizeof(bad) / sizeof(bad[0]),
	    "bad Redis addresses refused");
	sink = dmarc_report_redis_new("[::1]:6380", "k", 100, err, sizeof(err));
	ok(sink != NULL, "[::1]:6380 read");
	dmarc_report_sink_free(&sink);
	sink = dmarc_report_redis_new("/run/redis.sock", "k", 100, err,
	    sizeof(err));
	ok(sink != NULL, "a socket path read");
	dmarc_report_sink_free(&sink);
}

static long long list_length(redisContext *c, const char *key);

struct pusher {
	struct dmarc_report_sink *sink;
	const char *line;
	int failed;
};

/* One of several threads pushing through the same sink. */
static void *
push_many(void *arg)
{
	struct pusher *p = arg;
	char err[256];

	for (int i = 0; i < PUSHES_EACH; i++)
		if (!dmarc_report_write(p->sink, p->line, err, sizeof(err)))
			p->failed++;
	return NULL;
}

/* THREADS threads share the pool: every push lands. */
static void
test_redis_threads(struct dmarc_report_sink *sink, const char *line,
    redisContext *c, const char *key)
{
	pthread_t t[THREADS];
	struct pusher p = { sink, line, 0 }, each[THREADS];
	int failed = 0;

	freeReplyObject(redisCommand(c, "DEL %s", key));
	for (int i = 0; i < THREADS; i++) {
		each[i] = p;
		pthread_create(&t[i], NULL, push_many, &each[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		failed += each[i].failed;
	}
	ok(failed == 0 && list_length(c, key) == THREADS * PUSHES_EACH,
	    "%d threads on one pool: every push landed", THREADS);
}

/* LLEN of key, through a connection of our own; -1 on error. */
static long long
list_length(redisContext *c, const char *key)
{
	redisReply *r = redisCommand(c, "LLEN %s", key);
	long long n = r != NULL && r->type == REDIS_REPLY_INTEGER ?
	    r->integer : -1;

	freeReplyObject(r);
	return n;
}

static void
test_redis(const char *address)
{
	char err[256], key[64], host[64];
	struct dmarc_report_row row;
	struct dmarc_report_sink *sink, *down;
	struct timespec t0, t1;
	redisContext *c;
	redisReply *r;
	char *line;
	int port;

	if (address == NULL || sscanf(address, "%63[^:]:%d", host, &port) != 2) {
		for (int i = 0; i < REDIS_TESTS; i++)
			ok(true, "# SKIP no redis-server (DMARC_TEST_REDIS)");
		return;
	}
	c = redisConnect(host, port);
	snprintf(key, sizeof(key), "mxward:test:%ld", (long)getpid());
	sample_row(&row);
	line = dmarc_report_json(&row);
	sink = dmarc_report_redis_new(address, key, 1000, err, sizeof(err));
	ok(sink != NULL && dmarc_report_write(sink, line, err, sizeof(err)),
	    "RPUSH to redis (%s)", sink ? err : "");
	ok(dmarc_report_write(sink, line, err, sizeof(err)), "again, pooled");
	is_int(list_length(c, key), 2, "two entries in the list");
	r = redisCommand(c, "LINDEX %s 0", key);
	ok(r != NULL && r->type == REDIS_REPLY_STRING &&
	    strcmp(r->str, line) == 0, "the entry is the JSON line");
	freeReplyObject(r);
	/* The server drops our pooled connection: one retry on a new one. */
	freeReplyObject(redisCommand(c, "CLIENT KILL TYPE normal SKIPME yes"));
	ok(dmarc_report_write(sink, line, err, sizeof(err)),
	    "a dropped connection is replaced (%s)", err);
	is_int(list_length(c, key), 3, "three entries");
	test_redis_threads(sink, line, c, key);
	freeReplyObject(redisCommand(c, "DEL %s", key));
	dmarc_report_sink_free(&sink);
	/* Nothing listens on port 1: fail, then fail without trying. */
	down = dmarc_report_redis_new("127.0.0.1:1", key, 500, err,
	    sizeof(err));
	ok(!dmarc_report_write(down, line, err, sizeof(err)),
	    "no server: error (%s)", err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(!dmarc_report_write(down, line, err, sizeof(err)) &&
	    strstr(err, "not tried") != NULL, "then not tried for a while");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# second failure took %ld us\n", (long)((t1.tv_sec -
	    t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
	dmarc_report_sink_free(&down);
	redisFree(c);
	free(line);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	plan(15 + 7 + 3 + REDIS_TESTS);
	test_json();
	test_file();
	test_addresses();
	test_redis(getenv("DMARC_TEST_REDIS"));
	return done();
}
