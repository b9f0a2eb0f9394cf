/*
 * report.c - DMARC aggregate-report data as JSON lines, to a file or Redis
 *
 * PUBLIC FUNCTIONS
 *	dmarc_report_json(), dmarc_report_file_new(), dmarc_report_redis_new(),
 *	dmarc_report_write(), dmarc_report_sink_free(); see report.h.
 *
 * JSON
 *	Built with jansson and dumped compact. Strings that are not valid
 *	UTF-8 (a rua= URI from DNS can be anything) have every byte outside
 *	printable ASCII replaced by '?', so the line is always valid JSON.
 *
 * FILE
 *	open(O_WRONLY|O_APPEND|O_CREAT, 0640), one write(2) of the line and
 *	its newline, close. A short write (disk full) is a failure; readers
 *	skip a line that does not parse.
 *
 * REDIS
 *	RPUSH key line through the shared pool (core/redis.h), which keeps
 *	the connections, retries and backs off.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/redis.h"
#include "core/xalloc.h"
#include "dmarc/report.h"

struct dmarc_report_sink {
	char *path;                /* a file sink, or NULL */
	struct redis_pool *redis;  /* a Redis sink, or NULL */
	char *key;                 /* its list */
};

/* A JSON string, null for NULL, printable ASCII when not valid UTF-8. */
static json_t *
jstr(const char *s)
{
	json_t *j;
	char *copy;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	copy = xstrdup(s);
	for (char *p = copy; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/* A comma-separated URI list as a JSON array. */
static json_t *
uri_list(const char *list)
{
	json_t *a = json_array();
	char *copy = xstrdup(list), *p = copy, *item;

	while ((item = strsep(&p, ",")) != NULL)
		if (*item != '\0')
			json_array_append_new(a, jstr(item));
	free(copy);
	return a;
}

/* "r" or "s". */
static const char *
mode_name(bool strict)
{
	return strict ? "s" : "r";
}

/* The record as published: policy_published of the feedback report. */
static json_t *
published(const struct dmarc_outcome *out)
{
	const struct dmarc_record *rec = &out->record;
	char psd[2] = { rec->psd, '\0' };

	return json_pack("{s:o, s:o, s:o, s:o, s:s, s:s, s:i, s:o, s:s, s:s, "
	    "s:o, s:o}",
	    "domain", jstr(out->policy_domain),
	    "p", jstr(dmarc_policy_name(rec->p)),
	    "sp", jstr(dmarc_policy_name(rec->sp)),
	    "np", jstr(dmarc_policy_name(rec->np)),
	    "adkim", mode_name(rec->adkim_strict),
	    "aspf", mode_name(rec->aspf_strict),
	    "pct", rec->pct,
	    "fo", jstr(rec->fo[0] != '\0' ? rec->fo : NULL),
	    "psd", psd,
	    "t", rec->testing ? "y" : "n",
	    "rua", uri_list(rec->rua),
	    "ruf", uri_list(rec->ruf));
}

/* Why the disposition is not the policy: the feedback report's reasons. */
static json_t *
reasons(const struct dmarc_report_row *row)
{
	json_t *a = json_array();
	const struct dmarc_outcome *out = row->outcome;

	if (out->override != NULL)
		json_array_append_new(a, json_pack("{s:s}", "type",
		    out->override));
	if (row->local_policy != NULL)
		json_array_append_new(a, json_pack("{s:s, s:o}", "type",
		    "local_policy", "comment", jstr(row->local_policy)));
	return a;
}

/* The authentication results the evaluation used. */
static void
add_auth(json_t *o, const struct dmarc_report_row *row)
{
	json_t *dkim = json_array(), *spf = json_array();

	for (size_t i = 0; i < row->n_dkim; i++)
		json_array_append_new(dkim, json_pack("{s:o, s:o, s:o}",
		    "domain", jstr(row->dkim[i].domain),
		    "selector", jstr(row->dkim[i].selector),
		    "result", jstr(row->dkim[i].result)));
	if (row->spf_domain != NULL)
		json_array_append_new(spf, json_pack("{s:o, s:o, s:o}",
		    "domain", jstr(row->spf_domain),
		    "scope", jstr(row->spf_scope),
		    "result", jstr(row->spf_result)));
	json_object_set_new(o, "dkim", dkim);
	json_object_set_new(o, "spf", spf);
}

char *
dmarc_report_json(const struct dmarc_report_row *row)
{
	const struct dmarc_outcome *out = row->outcome;
	json_t *o;
	char *line;

	o = json_pack("{s:i, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:s, s:s, s:o}",
	    "version", DMARC_REPORT_VERSION,
	    "time", (json_int_t)row->time,
	    "reporter", jstr(row->reporter),
	    "queue_id", jstr(row->queue_id),
	    "source_ip", jstr(row->source_ip),
	    "header_from", jstr(row->header_from),
	    "envelope_from", jstr(row->envelope_from),
	    "org_domain", jstr(out->org_domain[0] ? out->org_domain : NULL),
	    "policy_published", published(out),
	    "result", jstr(dmarc_result_name(out->result)),
	    "policy", jstr(dmarc_policy_name(out->policy)),
	    "policy_tag", jstr(out->policy_tag),
	    "disposition", jstr(row->disposition),
	    "dkim_aligned", out->dkim_aligned ? "pass" : "fail",
	    "spf_aligned", out->spf_aligned ? "pass" : "fail",
	    "reasons", reasons(row));
	if (o == NULL)
		abort(); /* only on bad format or out of memory */
	add_auth(o, row);
	line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (line == NULL)
		abort();
	return line;
}

struct dmarc_report_sink *
dmarc_report_file_new(const char *path)
{
	struct dmarc_report_sink *sink = xcalloc(1, sizeof(*sink));

	sink->path = xstrdup(path);
	return sink;
}

struct dmarc_report_sink *
dmarc_report_redis_new(const char *address, const char *key,
    uint64_t timeout_ms, char *err, size_t errlen)
{
	struct redis_pool *redis;
	struct dmarc_report_sink *sink;

	redis = redis_pool_new(address, timeout_ms, DMARC_REDIS_BACKOFF_MS,
	    err, errlen);
	if (redis == NULL)
		return NULL;
	sink = xcalloc(1, sizeof(*sink));
	sink->redis = redis;
	sink->key = xstrdup(key);
	return sink;
}

void
dmarc_report_sink_free(struct dmarc_report_sink **sink_p)
{
	struct dmarc_report_sink *sink = *sink_p;

	if (sink == NULL)
		return;
	free(sink->path);
	redis_pool_free(&sink->redis);
	free(sink->key);
	free(sink);
	*sink_p = NULL;
}

/* Append line and a newline to the file in one write. */
static bool
file_append(const char *path, const char *line, char *err, size_t errlen)
{
	size_t len = strlen(line);
	char *data = xmalloc(len + 1);
	ssize_t n;
	int fd;

	memcpy(data, line, len);
	data[len] = '\n';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0640);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(data);
		return false;
	}
	n = write(fd, data, len + 1);
	if (n < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else if ((size_t)n != len + 1)
		snprintf(err, errlen, "%s: short write", path);
	if (close(fd) < 0 && n == (ssize_t)(len + 1)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		n = -1;
	}
	free(data);
	return n == (ssize_t)(len + 1);
}

/* RPUSH line onto the sink's list. */
static bool
list_push(struct dmarc_report_sink *sink, const char *line, char *err,
    size_t errlen)
{
	const char *argv[] = { "RPUSH", sink->key, line };
	size_t argvlen[] = { 5, strlen(sink->key), strlen(line) };

	return redis_pool_command(sink->redis, 3, argv, argvlen, NULL, err,
	    errlen);
}

bool
dmarc_report_write(struct dmarc_report_sink *sink, const char *line,
    char *err, size_t errlen)
{
	if (sink->redis != NULL)
		return list_push(sink, line, err, errlen);
	return file_append(sink->path, line, err, errlen);
}
