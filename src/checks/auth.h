/*
 * auth.h - the sender-authentication results of one message
 *
 * The SPF, DKIM and DMARC checks write their results here (through the
 * report's auth pointer) and later checks read them (through the
 * transaction's): DMARC reads SPF and DKIM. The engine keeps one struct
 * auth_results per message, zeroed at MAIL FROM, and the scan command
 * prints it as the "spf", "dkim" and "dmarc" members of its JSON.
 *
 * Results are RFC 8601 result names ("pass", "fail", "softfail",
 * "neutral", "none", "temperror", "permerror", "policy"); NULL means the
 * check did not run. All strings live in the transaction's arena.
 */
#ifndef MXWARD_CHECKS_AUTH_H
#define MXWARD_CHECKS_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_DKIM_MAX 16 /* signatures reported per message */

struct auth_spf {
	const char *result;      /* NULL: not checked */
	const char *identity;    /* "mailfrom" or "helo" */
	const char *domain;      /* the domain checked */
	const char *sender;      /* the identity as checked (postmaster@helo
	                            for HELO) */
	const char *explanation; /* for fail, or NULL */
	const char *reason;      /* why, for temperror/permerror, or NULL */
	const char *helo_result; /* when the HELO identity was also checked */
};

struct auth_dkim {
	const char *result;
	const char *domain;      /* d= (header.d), or NULL when unreadable */
	const char *selector;    /* s= (header.s) */
	const char *algorithm;   /* a= */
	const char *b;           /* the first 8 characters of b= (header.b) */
	const char *identity;    /* i= (header.i), or NULL */
	const char *reason;      /* why, for anything but pass, or NULL */
};

struct auth_dmarc {
	const char *result;      /* pass, fail, none, temperror, permerror */
	const char *domain;      /* RFC5322.From domain */
	const char *policy;      /* the policy applied: none, quarantine,
	                            reject (p= or sp=), or NULL */
	const char *disposition; /* what mxward did: none, quarantine, reject */
	const char *org_domain;  /* organizational domain */
	const char *reason;      /* why, for anything but pass, or NULL */
};

struct auth_results {
	struct auth_spf spf;
	struct auth_dkim dkim[AUTH_DKIM_MAX];
	size_t n_dkim;
	size_t n_dkim_seen;      /* signatures in the message, reported or not */
	bool dkim_checked;       /* the DKIM check verified this message (so
	                            no signature means none, not unchecked) */
	struct auth_dmarc dmarc;
};

#endif
