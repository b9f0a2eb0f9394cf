/*
 * check_limits.c - message and header size limits
 *
 * check_limits, section "limits". Refuses, with size_reply, a message
 * whose SIZE= declared at MAIL FROM (RFC 1870) or whose actual size (at
 * each body chunk and at end of message) exceeds message_size_limit
 * (SIZE_LIMIT); and refuses, with header_reply, a header of more than
 * header_count_limit fields (HEADER_COUNT_LIMIT), a field longer than
 * header_size_limit or a header larger than header_total_limit in all
 * (HEADER_SIZE_LIMIT). A limit of 0 is no limit. The limits apply to every
 * client, trusted or not. Each phase call over a limit decides again; the
 * engine calls no more checks for a message once it is refused, so in
 * practice a limit is reported once.
 *
 * The check keeps no state; its values are read-only after init.
 *
 * SECURITY: the sizes are counted by the MTA and the engine; this check
 * only compares them, and so bounds what later checks are given to parse.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "checks/check.h"

struct limits_values {
	struct check_common common;
	uint64_t message_size_limit;
	long long header_count_limit;
	uint64_t header_size_limit;
	uint64_t header_total_limit;
	struct conf_reply size_reply;
	struct conf_reply header_reply;
};

/* Is value over limit, with 0 meaning no limit? */
static bool
over(uint64_t value, uint64_t limit)
{
	return limit != 0 && value > limit;
}

/* Size of the field just seen as it was written: name, colon, value. */
static uint64_t
field_size(const struct check_txn *txn)
{
	uint64_t size = 0;

	if (txn->header_name != NULL)
		size += strlen(txn->header_name) + 1;
	if (txn->header_value != NULL)
		size += strlen(txn->header_value);
	return size;
}

/* HEADER: the field just seen, and the header so far. */
static void
limits_header(const struct check_txn *txn, const struct limits_values *v,
    struct check_report *report)
{
	if (over(txn->header_count, (uint64_t)v->header_count_limit))
		check_decide(report, "HEADER_COUNT_LIMIT", ACTION_REJECT,
		    &v->header_reply, "%zu header fields", txn->header_count);
	else if (over(field_size(txn), v->header_size_limit))
		check_decide(report, "HEADER_SIZE_LIMIT", ACTION_REJECT,
		    &v->header_reply, "field of %llu bytes",
		    (unsigned long long)field_size(txn));
	else if (over(txn->header_bytes, v->header_total_limit))
		check_decide(report, "HEADER_SIZE_LIMIT", ACTION_REJECT,
		    &v->header_reply, "header of %zu bytes", txn->header_bytes);
}

/* MAIL, BODY, EOM: the declared or actual message size. */
static void
limits_size(uint64_t size, const struct limits_values *v,
    struct check_report *report)
{
	if (over(size, v->message_size_limit))
		check_decide(report, "SIZE_LIMIT", ACTION_REJECT,
		    &v->size_reply, "%llu bytes", (unsigned long long)size);
}

/* Run one phase. */
static enum check_status
limits_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct limits_values *v = values;

	switch (phase) {
	case CHECK_MAIL:
		limits_size(txn->declared_size, v, report);
		break;
	case CHECK_HEADER:
		limits_header(txn, v, report);
		break;
	case CHECK_BODY:
	case CHECK_EOM:
		limits_size(txn->size, v, report);
		break;
	default:
		break;
	}
	return CHECK_DONE;
}

static const struct conf_option limits_options[] = {
	CHECK_COMMON_OPTIONS("yes"),
	{ "message_size_limit", CONF_SIZE,
	  offsetof(struct limits_values, message_size_limit), "25M",
	  0, 4294967296.0, NULL,
	  "The largest message accepted, in bytes (k, M, G suffixes), as "
	  "Postfix's message_size_limit and Exim's message_size_limit. A "
	  "client that announces a larger SIZE= is refused at MAIL FROM; a "
	  "message that turns out larger is refused while it arrives. 0: no "
	  "limit. At most 4G." },
	{ "header_count_limit", CONF_INT,
	  offsetof(struct limits_values, header_count_limit), "1000",
	  0, 100000, NULL,
	  "The most header fields a message may have; more are refused with "
	  "header_reply. 0: no limit." },
	{ "header_size_limit", CONF_SIZE,
	  offsetof(struct limits_values, header_size_limit), "100k",
	  0, 16777216.0, NULL,
	  "The longest single header field, name and value together, in "
	  "bytes; a longer one is refused with header_reply. 0: no limit." },
	{ "header_total_limit", CONF_SIZE,
	  offsetof(struct limits_values, header_total_limit), "1M",
	  0, 67108864.0, NULL,
	  "The largest message header in all, every field together, in bytes "
	  "(Postfix: header_size_limit); a larger one is refused with "
	  "header_reply. 0: no limit." },
	{ "size_reply", CONF_REPLY, offsetof(struct limits_values, size_reply),
	  "552 5.3.4 Message size exceeds fixed limit", 0, 0, NULL,
	  "Reply to a message over message_size_limit (RFC 1870, RFC 3463 "
	  "5.3.4)." },
	{ "header_reply", CONF_REPLY,
	  offsetof(struct limits_values, header_reply),
	  "552 5.3.4 Message header exceeds limits", 0, 0, NULL,
	  "Reply to a message over header_count_limit, header_size_limit or "
	  "header_total_limit." },
	{ NULL },
};

const struct check check_limits = {
	.name = "limits",
	.phases = CHECK_MAIL | CHECK_HEADER | CHECK_BODY | CHECK_EOM,
	.runs_for_trusted = true,
	.section = {
		"limits",
		"Size limits on messages and their headers, for every client.",
		limits_options, sizeof(struct limits_values), NULL, NULL,
	},
	.run = limits_run,
};
