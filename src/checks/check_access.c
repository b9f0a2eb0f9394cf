/*
 * check_access.c - client access lists and authenticated senders
 *
 * check_access, section "access". At CONNECT a client in refused_networks
 * is refused (ACCESS_REFUSED, refused_reply); otherwise a client in
 * trusted_networks is trusted for the session (ACCESS_TRUSTED, score 0):
 * the checks that do not run for trusted clients are skipped, as Postfix's
 * permit_mynetworks does. Refused wins over trusted. Connections without a
 * client address (local submission, unknown) are neither.
 *
 * At MAIL, a sender that authenticated with SASL gets an
 * Authentication-Results method "auth=pass smtp.auth=LOGIN" (RFC 8601
 * section 2.7.4) and the symbol ACCESS_AUTHENTICATED (score 0); with
 * authenticated: trusted (the default) the session is trusted too, like
 * permit_sasl_authenticated.
 *
 * The check keeps no state; its values are read-only after init.
 *
 * SECURITY: the SASL login comes from the MTA, which took it from the
 * client. It is written into a header field only as an RFC 8601 value:
 * kept as is when it is a token or a plain local-part@domain, otherwise
 * quoted, with control characters replaced by '?' and its length bounded
 * by ACCESS_LOGIN_MAX, so it can never end the field or the header.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "checks/check.h"

#define ACCESS_LOGIN_MAX 200 /* quoted, it stays under check_authres's 512 */

enum access_authenticated {
	ACCESS_AUTH_TRUSTED,
	ACCESS_AUTH_CHECKED,
};

struct access_values {
	struct check_common common;
	struct cidr_list trusted_networks;
	struct cidr_list refused_networks;
	struct conf_reply refused_reply;
	int authenticated; /* enum access_authenticated */
};

static const struct conf_name_code access_authenticated_names[] = {
	{ "trusted", ACCESS_AUTH_TRUSTED },
	{ "checked", ACCESS_AUTH_CHECKED },
	{ NULL, 0 },
};

/* RFC 2045 token character: printable ASCII but space and tspecials. */
static bool
is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* RFC 5322 atext or '.', for an unquoted dot-atom local-part. */
static bool
is_dot_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* May login stand unquoted as an RFC 8601 pvalue? */
static bool
login_plain(const char *login, size_t len)
{
	const char *at = memchr(login, '@', len);
	size_t i;

	if (len == 0)
		return false;
	if (at == NULL) {
		for (i = 0; i < len; i++)
			if (!is_token_char((unsigned char)login[i]))
				return false;
		return true;
	}
	/* [local-part] "@" domain-name, with a dot-atom local-part. */
	for (i = 0; login + i < at; i++)
		if (!is_dot_atext((unsigned char)login[i]))
			return false;
	if (at + 1 == login + len)
		return false;
	for (i = (size_t)(at - login) + 1; i < len; i++) {
		unsigned char c = (unsigned char)login[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* Write login into out (outlen >= 2 * ACCESS_LOGIN_MAX + 3) as a pvalue. */
static void
access_login_value(const char *login, char *out, size_t outlen)
{
	size_t len = strnlen(login, ACCESS_LOGIN_MAX), o = 0;

	if (login_plain(login, len)) {
		memcpy(out, login, len);
		out[len] = '\0';
		return;
	}
	out[o++] = '"';
	for (size_t i = 0; i < len && o + 4 < outlen; i++) {
		unsigned char c = (unsigned char)login[i];

		if (c < 0x20 || c == 0x7f)
			c = '?'; /* CR, LF, TAB and friends never reach the header */
		if (c == '"' || c == '\\')
			out[o++] = '\\';
		out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* CONNECT: refused, trusted, or neither. */
static void
access_connect(const struct check_txn *txn, const struct access_values *v,
    struct check_report *report)
{
	if (!txn->client_ip_valid)
		return;
	if (cidr_list_match(&v->refused_networks, &txn->client_ip)) {
		check_decide(report, "ACCESS_REFUSED", ACTION_REJECT,
		    &v->refused_reply, "%s", txn->client_address);
		return;
	}
	if (cidr_list_match(&v->trusted_networks, &txn->client_ip)) {
		check_symbol(report, "ACCESS_TRUSTED", 0, "%s",
		    txn->client_address != NULL ? txn->client_address : "");
		check_trust(report);
	}
}

/* MAIL: record SASL authentication, and trust it if so configured. */
static void
access_mail(const struct check_txn *txn, const struct access_values *v,
    struct check_report *report)
{
	char value[2 * ACCESS_LOGIN_MAX + 3];

	if (txn->auth_login == NULL || txn->auth_login[0] == '\0')
		return;
	access_login_value(txn->auth_login, value, sizeof(value));
	check_authres(report, "auth=pass smtp.auth=%s", value);
	check_symbol(report, "ACCESS_AUTHENTICATED", 0, "%s", value);
	if (v->authenticated == ACCESS_AUTH_TRUSTED)
		check_trust(report);
}

/* Run one phase. */
static enum check_status
access_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct access_values *v = values;

	if (phase == CHECK_CONNECT)
		access_connect(txn, v, report);
	else if (phase == CHECK_MAIL)
		access_mail(txn, v, report);
	return CHECK_DONE;
}

static const struct conf_option access_options[] = {
	CHECK_COMMON_OPTIONS("yes"),
	{ "trusted_networks", CONF_CIDR_LIST,
	  offsetof(struct access_values, trusted_networks),
	  "[127.0.0.0/8, '::1']", 0, 0, NULL,
	  "Client networks whose mail is trusted, like Postfix's mynetworks: "
	  "checks that do not run for trusted clients (HELO, spam rules, "
	  "DNSBLs) are skipped for the whole session; size limits still "
	  "apply. A list of ADDR or ADDR/LEN, IPv4 or IPv6; IPv4-mapped IPv6 "
	  "clients match their IPv4 networks." },
	{ "refused_networks", CONF_CIDR_LIST,
	  offsetof(struct access_values, refused_networks), "[]", 0, 0, NULL,
	  "Client networks refused at connect time with refused_reply, "
	  "whatever else is configured; a network both trusted and refused "
	  "is refused. A list of ADDR or ADDR/LEN." },
	{ "refused_reply", CONF_REPLY,
	  offsetof(struct access_values, refused_reply),
	  "554 5.7.1 Access denied", 0, 0, NULL,
	  "Reply to clients in refused_networks." },
	{ "authenticated", CONF_ENUM,
	  offsetof(struct access_values, authenticated), "trusted", 0, 0,
	  access_authenticated_names,
	  "How senders that authenticated with SASL (SMTP AUTH) are treated: "
	  "trusted (the default) skips the checks that do not run for "
	  "trusted clients, as for trusted_networks; checked runs every check "
	  "on their mail. Either way an Authentication-Results auth=pass "
	  "result names the login." },
	{ NULL },
};

const struct check check_access = {
	.name = "access",
	.phases = CHECK_CONNECT | CHECK_MAIL,
	.runs_for_trusted = true,
	.section = {
		"access",
		"Which clients are refused outright and which are trusted: by "
		"network, and by SMTP authentication.",
		access_options, sizeof(struct access_values), NULL, NULL,
	},
	.run = access_run,
};
