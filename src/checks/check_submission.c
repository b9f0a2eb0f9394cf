/*
 * check_submission.c - authenticated submission only over TLS
 *
 * check_submission, section "submission". With require_tls_for_auth, a
 * client that authenticated (SMTP AUTH) on a connection without TLS is
 * refused at MAIL FROM with reply (AUTH_WITHOUT_TLS): its password went
 * over the network in clear, and its mail should not be relayed on the
 * strength of it (RFC 8314 section 3). Best set in the MTA as well
 * (Postfix: smtpd_tls_auth_only = yes); this check enforces it for
 * every front end alike. Runs for trusted clients too, since an
 * authenticated client is trusted by default.
 *
 * The check keeps no state; its values are read-only after init.
 */
#include "config.h"

#include <stddef.h>

#include "checks/check.h"

struct submission_values {
	struct check_common common;
	bool require_tls_for_auth;
	struct conf_reply reply;
};

/* MAIL: refuse an authenticated session on a plaintext connection. */
static enum check_status
submission_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct submission_values *v = values;

	if (phase == CHECK_MAIL && v->require_tls_for_auth &&
	    txn->auth_login != NULL && txn->auth_login[0] != '\0' &&
	    txn->tls_version == NULL)
		check_decide(report, "AUTH_WITHOUT_TLS", ACTION_REJECT,
		    &v->reply, NULL);
	return CHECK_DONE;
}

static const struct conf_option submission_options[] = {
	CHECK_COMMON_OPTIONS("yes"),
	{ "require_tls_for_auth", CONF_BOOL,
	  offsetof(struct submission_values, require_tls_for_auth), "no",
	  0, 0, NULL,
	  "Refuse mail from clients that authenticated (SMTP AUTH) without "
	  "first starting TLS, as Postfix's smtpd_tls_auth_only. Needs the "
	  "MTA to tell mxward about TLS (Postfix milter macro {tls_version})." },
	{ "reply", CONF_REPLY, offsetof(struct submission_values, reply),
	  "530 5.7.0 Must issue a STARTTLS command first", 0, 0, NULL,
	  "Reply to an authenticated client without TLS." },
	{ NULL },
};

const struct check check_submission = {
	.name = "submission",
	.phases = CHECK_MAIL,
	.runs_for_trusted = true,
	.section = {
		"submission",
		"Rules for mail submitted by authenticated users.",
		submission_options, sizeof(struct submission_values), NULL,
		NULL,
	},
	.run = submission_run,
};
