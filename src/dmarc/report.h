/*
 * report.h - DMARC aggregate-report data: one JSON object per message
 *
 * dmarc_report_json() turns what one message's evaluation found into one
 * line of JSON (jansson), the data a report generator aggregates into
 * RFC 7489 appendix C / RFC 9990 feedback reports: source address,
 * identifiers, the policy published, the policy evaluated, the
 * disposition and why it differs, and the SPF and DKIM results. The
 * format, version 1, is documented with the dmarc section's report_data
 * option (mxward.yaml(5)).
 *
 * A sink stores the lines:
 *   dmarc_report_file_new()   appends to a file, one write(2) per line
 *                             under O_APPEND, so lines from many threads
 *                             and processes never interleave; the file
 *                             is opened per line, so log rotation needs
 *                             no signal
 *   dmarc_report_redis_new()  RPUSHes onto a Redis list through the
 *                             shared pool (core/redis.h), with a connect
 *                             and command timeout; a broken connection is
 *                             replaced once per line, and after a failed
 *                             connect or a timeout Redis is not tried for
 *                             DMARC_REDIS_BACKOFF_MS
 * dmarc_report_write() stores one line; false with the reason in err.
 * A failure never concerns the message: the caller logs and counts it.
 *
 * Thread safety: a sink may be shared by all threads. The Redis pool's
 * mutex guards only taking and returning a connection, never I/O.
 * dmarc_report_sink_free() must not race with writes.
 */
#ifndef MXWARD_DMARC_REPORT_H
#define MXWARD_DMARC_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dmarc/dmarc.h"

#define DMARC_REPORT_VERSION 1
#define DMARC_REDIS_BACKOFF_MS 5000

struct dmarc_report_dkim {
	const char *domain;
	const char *selector;   /* or NULL */
	const char *result;
};

struct dmarc_report_row {
	time_t time;
	const char *reporter;        /* our authserv-id */
	const char *queue_id;        /* or NULL */
	const char *source_ip;       /* or NULL */
	const char *header_from;
	const char *envelope_from;   /* MAIL FROM domain, or NULL */
	const struct dmarc_outcome *outcome;
	const char *disposition;     /* what was done: none, quarantine,
	                                reject */
	const char *local_policy;    /* why disposition is not the applied
	                                policy, or NULL */
	const char *spf_domain;      /* NULL: SPF not checked */
	const char *spf_scope;       /* "mfrom" or "helo" */
	const char *spf_result;
	const struct dmarc_report_dkim *dkim;
	size_t n_dkim;
};

/* The row as one line of compact JSON without the newline; free() it. */
char *dmarc_report_json(const struct dmarc_report_row *row);

struct dmarc_report_sink;

struct dmarc_report_sink *dmarc_report_file_new(const char *path);
/* address: "HOST:PORT", "[IPV6]:PORT", "HOST" (port 6379), or a Unix
 * socket as "unix:PATH" or "/PATH". NULL with err filled when it cannot
 * be read; nothing is connected yet. */
struct dmarc_report_sink *dmarc_report_redis_new(const char *address,
    const char *key, uint64_t timeout_ms, char *err, size_t errlen);
void dmarc_report_sink_free(struct dmarc_report_sink **sink_p);

bool dmarc_report_write(struct dmarc_report_sink *sink, const char *line,
    char *err, size_t errlen);

#endif
