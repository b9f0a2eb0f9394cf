/*
 * check_recipients_max.c - a per-message recipient cap
 *
 * check_recipients_max, section "recipients_max". A message may have at
 * most limit recipients; authenticated senders (a SASL login) get
 * authenticated_limit and other trusted clients trusted_limit instead,
 * where -1 means "the same as limit" and 0 means no limit. Past the cap,
 * each further RCPT is refused with tempfail_reply (RECIPIENTS_MAX): the
 * client keeps the recipients accepted so far, delivers the message to
 * them, and sends it again later to the rest, so nothing is lost. With
 * reject (Exim's recipients_max_reject) every RCPT is accepted and the
 * whole message is refused at end of data with reject_reply instead.
 *
 * The decision is taken at RCPT from the engine's count of recipients
 * accepted before this one (txn->rcpt_count), so recipients refused for
 * another reason do not count. Through the policy front end the MTA may
 * ask only at DATA or END-OF-MESSAGE, with its own count: a message over
 * the cap there is refused with reject_reply at once (deferring it would
 * only bring it back with as many recipients). The limits apply to every client, trusted
 * or not, each with its own cap.
 *
 * The check keeps no state; its values are read-only after init.
 *
 * SECURITY: the count is kept by the engine; this check only compares it,
 * and bounds how many recipients later checks and the MTA have to handle.
 */
#include "config.h"

#include <stddef.h>

#include "checks/check.h"

struct recipients_max_values {
	struct check_common common;
	long long limit;
	long long authenticated_limit; /* -1: same as limit */
	long long trusted_limit;       /* -1: same as limit */
	bool reject;
	struct conf_reply tempfail_reply;
	struct conf_reply reject_reply;
};

/* The cap for this transaction's sender class; 0 is no cap. */
static size_t
recipients_max_cap(const struct check_txn *txn,
    const struct recipients_max_values *v)
{
	long long cap = v->limit;

	if (txn->auth_login != NULL)
		cap = v->authenticated_limit;
	else if (txn->trusted)
		cap = v->trusted_limit;
	return (size_t)(cap < 0 ? v->limit : cap);
}

/* RCPT: refuse this recipient past the cap; DATA (envelope only) and EOM:
 * refuse the message. */
static enum check_status
recipients_max_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct recipients_max_values *v = values;
	size_t cap = recipients_max_cap(txn, v);

	if (cap == 0)
		return CHECK_DONE;
	/* At RCPT, rcpt_count excludes this recipient: it is number
	 * rcpt_count + 1. At EOM it is the number accepted. */
	if (phase == CHECK_RCPT && !v->reject && txn->rcpt_count >= cap)
		check_decide(report, "RECIPIENTS_MAX", ACTION_TEMPFAIL,
		    &v->tempfail_reply, "recipient %zu over the limit of %zu",
		    txn->rcpt_count + 1, cap);
	else if (((phase == CHECK_EOM && v->reject) ||
	    (phase == CHECK_DATA && txn->envelope_only)) &&
	    txn->rcpt_count > cap)
		check_decide(report, "RECIPIENTS_MAX", ACTION_REJECT,
		    &v->reject_reply, "%zu recipients over the limit of %zu",
		    txn->rcpt_count, cap);
	return CHECK_DONE;
}

/* Each reply must be of the class its action sends. */
static bool
recipients_max_init(void *values, struct arena *arena,
    struct conf_errors *errs)
{
	const struct recipients_max_values *v = values;
	bool good = true;

	(void)arena;
	if (v->tempfail_reply.code[0] != '4') {
		conf_errors_here(errs, "recipients_max.tempfail_reply needs a "
		    "4xx code, not %s", v->tempfail_reply.code);
		good = false;
	}
	if (v->reject_reply.code[0] != '5') {
		conf_errors_here(errs, "recipients_max.reject_reply needs a "
		    "5xx code, not %s", v->reject_reply.code);
		good = false;
	}
	return good;
}

static const struct conf_option recipients_max_options[] = {
	CHECK_COMMON_OPTIONS("yes"),
	{ "limit", CONF_INT, offsetof(struct recipients_max_values, limit),
	  "50", 0, 100000, NULL,
	  "The most recipients a message may have (Postfix: "
	  "smtpd_recipient_limit, Exim: recipients_max). Further RCPT "
	  "commands get tempfail_reply, so the client sends the message "
	  "again later to the rest. 0: no limit." },
	{ "authenticated_limit", CONF_INT,
	  offsetof(struct recipients_max_values, authenticated_limit), "-1",
	  -1, 100000, NULL,
	  "The limit for authenticated senders (a SASL login) instead. -1: "
	  "the same as limit; 0: no limit." },
	{ "trusted_limit", CONF_INT,
	  offsetof(struct recipients_max_values, trusted_limit), "-1",
	  -1, 100000, NULL,
	  "The limit for other trusted clients (access.trusted_networks) "
	  "instead. -1: the same as limit; 0: no limit." },
	{ "reject", CONF_BOOL, offsetof(struct recipients_max_values, reject),
	  "no", 0, 0, NULL,
	  "Accept every recipient and refuse the whole message at end of "
	  "data with reject_reply when it has more than its limit, as Exim's "
	  "recipients_max_reject, rather than deferring the recipients "
	  "past the limit." },
	{ "tempfail_reply", CONF_REPLY,
	  offsetof(struct recipients_max_values, tempfail_reply),
	  "452 4.5.3 Too many recipients", 0, 0, NULL,
	  "Reply to each RCPT past the limit; a 4xx code (RFC 5321 section "
	  "4.5.3.1.10)." },
	{ "reject_reply", CONF_REPLY,
	  offsetof(struct recipients_max_values, reject_reply),
	  "550 5.5.3 Too many recipients", 0, 0, NULL,
	  "Reply at end of data to a message over its limit when reject is "
	  "set; a 5xx code." },
	{ NULL },
};

const struct check check_recipients_max = {
	.name = "recipients_max",
	.phases = CHECK_RCPT | CHECK_DATA | CHECK_EOM,
	.runs_for_trusted = true,
	.section = {
		"recipients_max",
		"A cap on the recipients of one message, for every client, "
		"with its own value for authenticated senders and trusted "
		"networks.",
		recipients_max_options, sizeof(struct recipients_max_values),
		recipients_max_init, NULL,
	},
	.run = recipients_max_run,
};
