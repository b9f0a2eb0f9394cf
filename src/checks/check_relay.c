/*
 * check_relay.c - no open relay: only local recipients for strangers
 *
 * check_relay, section "relay", off by default because it needs the
 * postmaster's list of local_domains. At RCPT TO, a recipient whose domain
 * is not local is refused with reply (RELAY_DENIED) unless the client is
 * trusted (access.trusted_networks) or authenticated, as Postfix's
 * reject_unauth_destination after permit_mynetworks and
 * permit_sasl_authenticated. Only that recipient is refused; the others of
 * the message stand. A recipient without a domain ("postmaster") is local.
 *
 * local_domains entries are matched without regard to case or a trailing
 * dot: "example.org" is that domain, ".example.org" any domain below it.
 * init() checks each entry and copies it lower-cased into the section's
 * arena; enabling the check with no entries is an error, since it would
 * refuse every recipient.
 *
 * The check keeps no state; its values are read-only after init.
 *
 * SECURITY: the recipient address comes from the SMTP client; its domain
 * is taken by mime_address_domain() and only compared, bounded by
 * dns_name_matches().
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "checks/check.h"
#include "core/arena.h"
#include "dns/name.h"
#include "mime/header.h"

struct relay_values {
	struct check_common common;
	struct conf_strlist local_domains;
	struct conf_reply reply;
	/* derived by init */
	const char **domains; /* lower case */
	size_t n_domains;
};

/* Is entry a domain or ".domain" pattern a postmaster could mean? */
static bool
relay_entry_valid(const char *entry)
{
	const char *name = entry[0] == '.' ? entry + 1 : entry;

	return dns_name_valid_hostname_labels(name, 1);
}

/* Validate local_domains and keep a lower-case copy of each entry. */
static bool
relay_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct relay_values *v = values;
	const char **domains;

	if (v->common.enabled && v->local_domains.n == 0) {
		conf_errors_here(errs, "relay.local_domains: list the domains "
		    "this host receives mail for, or every recipient is "
		    "refused");
		return false;
	}
	domains = arena_zalloc(arena, (v->local_domains.n + 1) *
	    sizeof(*domains));
	for (size_t i = 0; i < v->local_domains.n; i++) {
		char *copy = arena_strdup(arena, v->local_domains.v[i]);

		if (!relay_entry_valid(copy)) {
			conf_errors_here(errs, "relay.local_domains: '%s' is "
			    "not a domain or .domain", copy);
			return false;
		}
		for (char *p = copy; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		domains[i] = copy;
	}
	v->domains = domains;
	v->n_domains = v->local_domains.n;
	return true;
}

/* Is the recipient's domain one of ours? */
static bool
relay_local(const struct relay_values *v, const char *rcpt)
{
	const char *domain = mime_address_domain(rcpt);

	if (domain == NULL || domain[0] == '\0')
		return true;
	for (size_t i = 0; i < v->n_domains; i++)
		if (dns_name_matches(domain, v->domains[i]))
			return true;
	return false;
}

/* RCPT: refuse this recipient if relaying is not allowed. */
static enum check_status
relay_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct relay_values *v = values;

	if (phase != CHECK_RCPT || txn->rcpt == NULL || txn->trusted ||
	    (txn->auth_login != NULL && txn->auth_login[0] != '\0'))
		return CHECK_DONE;
	if (!relay_local(v, txn->rcpt))
		check_decide(report, "RELAY_DENIED", ACTION_REJECT, &v->reply,
		    NULL);
	return CHECK_DONE;
}

static const struct conf_option relay_options[] = {
	CHECK_COMMON_OPTIONS("no"),
	{ "local_domains", CONF_STRING_LIST,
	  offsetof(struct relay_values, local_domains), "[]", 0, 0, NULL,
	  "The domains this host receives mail for (Postfix: mydestination, "
	  "relay_domains and virtual domains together; Exim: local_domains "
	  "and relay_to_domains). An entry \"example.org\" is that domain "
	  "only; \".example.org\" is every domain below it, so list both for "
	  "both. Case does not matter. Required when the check is enabled." },
	{ "reply", CONF_REPLY, offsetof(struct relay_values, reply),
	  "554 5.7.1 Relay access denied", 0, 0, NULL,
	  "Reply to a recipient in a domain that is not local, from a client "
	  "that is neither trusted nor authenticated." },
	{ NULL },
};

const struct check check_relay = {
	.name = "relay",
	.phases = CHECK_RCPT,
	.runs_for_trusted = true, /* it tells trusted clients apart itself */
	.section = {
		"relay",
		"Refuses to relay: recipients outside local_domains are "
		"accepted only from trusted or authenticated clients. A second "
		"line of defence behind the MTA's own relay restrictions.",
		relay_options, sizeof(struct relay_values), relay_init, NULL,
	},
	.run = relay_run,
};
