/*
 * check_helo.c - the HELO/EHLO name
 *
 * check_helo, section "helo". The name a client gave in HELO/EHLO must be
 * a syntactically valid host name of at least two labels (one label too
 * with allow_single_label) or an address literal, "[192.0.2.1]" or
 * "[IPv6:2001:db8::1]" (RFC 5321 section 4.1.3). An invalid name is
 * refused with invalid_reply or scored invalid_score (invalid_action);
 * either way the symbol is HELO_INVALID with the name as its detail. A client that gave no HELO/EHLO
 * at all is refused with missing_reply (HELO_MISSING) when the name is
 * required, like Postfix's smtpd_helo_required. Connections without a
 * client address (local submission) never send HELO and are not asked
 * for one. Trusted clients are not checked.
 *
 * Both are judged at MAIL FROM, not at HELO, as Postfix does by default
 * (smtpd_delay_reject = yes): by then the client may have authenticated,
 * and access has marked it trusted, so a roaming user's laptop that says
 * "EHLO laptop" on the submission port is not refused.
 *
 * The check keeps no state; its values are read-only after init.
 *
 * SECURITY: the name comes from the SMTP client. Validation reads at most
 * DNS_NAME_MAX + 2 bytes; the copy kept as symbol detail is bounded to
 * HELO_DETAIL_MAX bytes with control characters replaced by '?'.
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "checks/check.h"
#include "dns/name.h"

#define HELO_DETAIL_MAX 128

enum helo_invalid_action {
	HELO_INVALID_REJECT,
	HELO_INVALID_SCORE,
};

struct helo_values {
	struct check_common common;
	bool required;
	bool allow_single_label;
	int invalid_action; /* enum helo_invalid_action */
	double invalid_score;
	struct conf_reply missing_reply;
	struct conf_reply invalid_reply;
};

static const struct conf_name_code helo_invalid_action_names[] = {
	{ "reject", HELO_INVALID_REJECT },
	{ "score", HELO_INVALID_SCORE },
	{ NULL, 0 },
};

/* Is name an RFC 5321 address literal that ip_parse accepts? */
static bool
helo_address_literal(const char *name)
{
	size_t len = strnlen(name, CIDR_TEXT_MAX + 2);
	char inner[CIDR_TEXT_MAX + 2];
	struct ip_addr ip;

	if (len < 3 || len > CIDR_TEXT_MAX || name[0] != '[' ||
	    name[len - 1] != ']')
		return false;
	memcpy(inner, name + 1, len - 2);
	inner[len - 2] = '\0';
	/* IPv6 needs its tag, and a tagged literal must be IPv6 text. */
	if (strncasecmp(inner, "IPv6:", 5) == 0)
		return strchr(inner + 5, ':') != NULL && ip_parse(inner + 5, &ip);
	return strchr(inner, ':') == NULL && ip_parse(inner, &ip) &&
	    ip.family == AF_INET;
}

/* Is name acceptable as a HELO/EHLO argument under these values? */
static bool
helo_name_valid(const char *name, const struct helo_values *v)
{
	if (name[0] == '[')
		return helo_address_literal(name);
	return dns_name_valid_hostname_labels(name, v->allow_single_label ? 1 : 2);
}

/* Copy name into out for logs: bounded, control characters as '?'. */
static void
helo_detail(const char *name, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < outlen; i++) {
		unsigned char c = (unsigned char)name[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[i] = '\0';
}

/* MAIL: judge the name given earlier, or its absence. */
static enum check_status
helo_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct helo_values *v = values;
	char detail[HELO_DETAIL_MAX + 1];

	if (phase != CHECK_MAIL)
		return CHECK_DONE;
	if (txn->helo == NULL) {
		if (v->required && txn->client_ip_valid)
			check_decide(report, "HELO_MISSING", ACTION_REJECT,
			    &v->missing_reply, NULL);
		return CHECK_DONE;
	}
	if (helo_name_valid(txn->helo, v))
		return CHECK_DONE;
	helo_detail(txn->helo, detail, sizeof(detail));
	if (v->invalid_action == HELO_INVALID_REJECT) {
		check_decide(report, "HELO_INVALID", ACTION_REJECT,
		    &v->invalid_reply, "%s", detail);
		return CHECK_DONE;
	}
	/* "off" (NAN) keeps the finding in the log without scoring it. */
	check_symbol(report, "HELO_INVALID",
	    isnan(v->invalid_score) ? 0 : v->invalid_score, "%s", detail);
	return CHECK_DONE;
}

static const struct conf_option helo_options[] = {
	CHECK_COMMON_OPTIONS("yes"),
	{ "required", CONF_BOOL, offsetof(struct helo_values, required),
	  "yes", 0, 0, NULL,
	  "Refuse MAIL FROM from clients that did not send HELO or EHLO "
	  "first, with missing_reply (Postfix: smtpd_helo_required)." },
	{ "allow_single_label", CONF_BOOL,
	  offsetof(struct helo_values, allow_single_label), "no", 0, 0, NULL,
	  "Accept a bare name of one label, such as \"localhost\" or "
	  "\"mailhost\", as a valid HELO name. Internet clients must give a "
	  "fully qualified name, so this is off by default." },
	{ "invalid_action", CONF_ENUM,
	  offsetof(struct helo_values, invalid_action), "reject", 0, 0,
	  helo_invalid_action_names,
	  "What an invalid HELO/EHLO name does: reject refuses MAIL FROM "
	  "with invalid_reply (Postfix: reject_invalid_helo_hostname); score "
	  "adds invalid_score to the message's score instead. A valid "
	  "name is a host name of letters, digits and hyphens in labels of "
	  "at most 63 characters, at least two labels, not ending in an "
	  "all-digit label, or an address literal such as [192.0.2.1] or "
	  "[IPv6:2001:db8::1]." },
	{ "invalid_score", CONF_SCORE,
	  offsetof(struct helo_values, invalid_score), "3", -100, 100, NULL,
	  "Score added for an invalid HELO/EHLO name when invalid_action is "
	  "score. off: log the symbol without scoring it." },
	{ "missing_reply", CONF_REPLY,
	  offsetof(struct helo_values, missing_reply),
	  "503 5.5.1 Send HELO/EHLO first", 0, 0, NULL,
	  "Reply to MAIL FROM without a prior HELO/EHLO." },
	{ "invalid_reply", CONF_REPLY,
	  offsetof(struct helo_values, invalid_reply),
	  "550 5.7.1 Invalid HELO/EHLO name", 0, 0, NULL,
	  "Reply to an invalid HELO/EHLO name when invalid_action is reject." },
	{ NULL },
};

const struct check check_helo = {
	.name = "helo",
	.phases = CHECK_MAIL,
	.runs_for_trusted = false,
	.section = {
		"helo",
		"The name a client gives in HELO/EHLO. Not applied to trusted "
		"clients (access.trusted_networks, authenticated senders).",
		helo_options, sizeof(struct helo_values), NULL, NULL,
	},
	.run = helo_run,
};
