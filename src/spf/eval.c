/*
 * eval.c - mxward's own check_host() (RFC 7208 sections 4-6)
 *
 * spf_eval_mxward() runs check_host() for one request on the shared
 * resolver: initial processing of <domain> (section 4.3), the TXT lookup
 * and record selection (4.4, 4.5), the whole record parsed before use
 * (4.6), then mechanisms left to right and redirect= (5, 6.1), and for a
 * fail at the top level the explanation from exp= (6.2), else the
 * request's default text. include: recurses without explanations;
 * redirect= continues in the target's record, whose exp= then applies.
 *
 * Limits (4.6.4), kept across every include: and redirect=: at most
 * SPF_DNS_TERMS_MAX DNS-querying terms (permerror beyond), at most
 * SPF_VOID_MAX void lookups (permerror beyond), an mx with more than
 * SPF_NAMES_MAX MX records is a permerror, and ptr and %{p} look at the
 * first SPF_NAMES_MAX PTR names only. The whole evaluation gets
 * SPF_TIME_MAX seconds (section 4.6.4's "at least 20 seconds"); past that
 * the result is temperror. Lookups for the explanation count against
 * none of these but the time.
 *
 * Target names that are not valid DNS names (an empty label, a label over
 * 63 characters: RFC 7208 leaves these open) are treated as names that do
 * not exist, without asking DNS and without counting as void lookups.
 *
 * All state lives in one struct eval on the caller's stack: thread safe.
 *
 * SECURITY: everything evaluated comes from DNS; records are parsed by
 * record.c and macros expanded by macro.c into fixed buffers. Recursion
 * depth is bounded by the DNS-term limit, every include: and redirect=
 * being counted before it recurses.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/xalloc.h"
#include "dns/name.h"
#include "dns/resolver.h"
#include "spf/engine.h"
#include "spf/macro.h"
#include "spf/record.h"

#define SPF_DNS_TERMS_MAX 10
#define SPF_VOID_MAX 2
#define SPF_NAMES_MAX 10
#define SPF_TIME_MAX 20 /* seconds */

/* What one mechanism says. */
enum match {
	MATCH_NO,
	MATCH_YES,
	MATCH_TEMPERROR,
	MATCH_PERMERROR,
};

struct eval {
	struct dns_resolver *dns;
	const struct spf_request *req;
	struct spf_outcome *out;
	struct ip_addr ip;
	char *sender;              /* local@domain, postmaster if no local */
	char *local;
	const char *sender_domain;
	time_t deadline;           /* CLOCK_MONOTONIC seconds */
	unsigned dns_terms;
	unsigned void_lookups;
	/* %{p}, for the last domain asked */
	char p_domain[DNS_NAME_MAX + 1];
	char p_name[DNS_NAME_MAX + 1];
};

static enum spf_result check_host(struct eval *ev, const char *domain,
    bool top);

/* Set the outcome's reason. */
static void reason(struct eval *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
reason(struct eval *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev->out->reason, sizeof(ev->out->reason), fmt, ap);
	va_end(ap);
}

static time_t
now_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* One lookup within the time budget. A name that is not valid gets
 * DNS_BADNAME without a query; running out of time, DNS_TIMEOUT. */
static const struct dns_answer *
lookup(struct eval *ev, const char *name, enum dns_type type,
    enum dns_status *status_r)
{
	const struct dns_answer *a;

	if (!dns_name_askable(name)) {
		*status_r = DNS_BADNAME;
		return NULL;
	}
	if (now_monotonic() >= ev->deadline) {
		*status_r = DNS_TIMEOUT;
		return NULL;
	}
	a = dns_lookup(ev->dns, name, type);
	*status_r = a->status;
	return a;
}

/* Was this status a failure to get an answer (temperror)? */
static bool
dns_failed(enum dns_status status)
{
	return status == DNS_SERVFAIL || status == DNS_TIMEOUT ||
	    status == DNS_ERROR;
}

/* Count a void lookup (NODATA, NXDOMAIN); false past the limit. */
static bool
count_void(struct eval *ev, enum dns_status status)
{
	if (status != DNS_NODATA && status != DNS_NXDOMAIN)
		return true;
	if (++ev->void_lookups <= SPF_VOID_MAX)
		return true;
	reason(ev, "more than %d void DNS lookups", SPF_VOID_MAX);
	return false;
}

/* Count a DNS-querying term; false past the limit. */
static bool
count_term(struct eval *ev)
{
	if (++ev->dns_terms <= SPF_DNS_TERMS_MAX)
		return true;
	reason(ev, "more than %d DNS-querying terms", SPF_DNS_TERMS_MAX);
	return false;
}

/* The address family's lookup type. */
static enum dns_type
address_type(const struct ip_addr *ip)
{
	return ip->family == AF_INET6 ? DNS_T_AAAA : DNS_T_A;
}

/* Does name have an address record within prefix of the client's
 * address? *status_r says how the lookup went. */
static bool
address_match(struct eval *ev, const char *name, unsigned prefix,
    enum dns_status *status_r)
{
	const struct dns_answer *a = lookup(ev, name, address_type(&ev->ip),
	    status_r);
	struct cidr net = { .prefix = prefix };
	bool found = false;

	for (size_t i = 0; a != NULL && i < a->count && !found; i++) {
		bool good = ev->ip.family == AF_INET6 ?
		    dns_rdata_aaaa(&a->rr[i], &net.net) :
		    dns_rdata_a(&a->rr[i], &net.net);

		found = good && cidr_match(&net, &ev->ip);
	}
	if (a != NULL)
		dns_answer_free(&a);
	return found;
}

/* The reverse-lookup name of the client address. */
static void
reverse_name(const struct ip_addr *ip, char *out, size_t outlen)
{
	char dotted[80];

	spf_macro_ip_dotted(ip, true, dotted, sizeof(dotted));
	snprintf(out, outlen, "%s.%s", dotted,
	    ip->family == AF_INET6 ? "ip6.arpa" : "in-addr.arpa");
}

/* Is name the domain itself (exact) or below it (!exact)? */
static bool
name_within(const char *name, const char *domain, bool exact)
{
	char pattern[DNS_NAME_MAX + 3];
	size_t len = strlen(domain);

	if (exact)
		return dns_name_matches(name, domain);
	if (len + 2 > sizeof(pattern))
		return false;
	pattern[0] = '.';
	memcpy(pattern + 1, domain, len + 1);
	return dns_name_matches(name, pattern);
}

/* The client's PTR names (the first SPF_NAMES_MAX); 0 when the lookup
 * failed or found none. */
static size_t
ptr_names(struct eval *ev, char names[][DNS_NAME_MAX + 1],
    enum dns_status *status_r)
{
	char rev[128];
	const struct dns_answer *a;
	size_t n = 0;

	reverse_name(&ev->ip, rev, sizeof(rev));
	a = lookup(ev, rev, DNS_T_PTR, status_r);
	for (size_t i = 0; a != NULL && i < a->count && n < SPF_NAMES_MAX; i++)
		if (dns_rdata_name(&a->rr[i], DNS_T_PTR, NULL, names[n],
		    DNS_NAME_MAX + 1) && names[n][0] != '\0')
			n++;
	if (a != NULL)
		dns_answer_free(&a);
	return n;
}

/* %{p}: a validated name of the client, preferring <domain> itself,
 * then a name below it, then any (RFC 7208 section 7.3). */
static const char *
validated_name(void *ctx, const char *domain)
{
	struct eval *ev = ctx;
	char names[SPF_NAMES_MAX][DNS_NAME_MAX + 1];
	enum dns_status status;
	size_t n;

	size_t len = strlen(domain);

	if (len < sizeof(ev->p_domain) && strcmp(ev->p_domain, domain) == 0)
		return ev->p_name;
	ev->p_domain[0] = '\0';
	if (len < sizeof(ev->p_domain))
		memcpy(ev->p_domain, domain, len + 1);
	strcpy(ev->p_name, "unknown");
	n = ptr_names(ev, names, &status);
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < n; i++) {
			bool exact = name_within(names[i], domain, true);
			bool below = name_within(names[i], domain, false);

			if ((pass == 0 && !exact) || (pass == 1 && !below) ||
			    (pass == 2 && (exact || below)))
				continue;
			if (address_match(ev, names[i], ev->ip.family ==
			    AF_INET6 ? 128 : 32, &status)) {
				memcpy(ev->p_name, names[i], sizeof(ev->p_name));
				return ev->p_name;
			}
		}
	return ev->p_name;
}

/* The macro environment for the current domain. */
static void
macro_env(struct eval *ev, const char *domain, struct spf_macro_env *env)
{
	*env = (struct spf_macro_env){
		.sender = ev->sender,
		.local = ev->local,
		.sender_domain = ev->sender_domain,
		.domain = domain,
		.ip = &ev->ip,
		.helo = ev->req->helo,
		.receiver = ev->req->receiver,
		.now = (long long)time(NULL),
		.validated_name = validated_name,
		.ctx = ev,
	};
}

/* A term's target name: its domain-spec expanded, or the domain. */
static void
target_name(struct eval *ev, const char *spec, const char *domain,
    char *out, size_t outlen)
{
	struct spf_macro_env env;

	if (spec == NULL)
		spec = domain;
	macro_env(ev, domain, &env);
	/* The parser checked the syntax; a failure here cannot happen but
	 * leaves an empty name, which matches nothing. */
	if (!spf_macro_expand(spec, strlen(spec), SPF_MACRO_DOMAIN, &env, out,
	    outlen))
		out[0] = '\0';
}

/* a: and the address part of mx: (void lookups counted when asked). */
static enum match
match_address(struct eval *ev, const struct spf_term *t, const char *name,
    bool count)
{
	enum dns_status status;
	bool found = address_match(ev, name, ev->ip.family == AF_INET6 ?
	    t->cidr6 : t->cidr4, &status);

	if (found)
		return MATCH_YES;
	if (dns_failed(status)) {
		reason(ev, "DNS %s for %s of %s", dns_status_name(status),
		    ev->ip.family == AF_INET6 ? "AAAA" : "A", name);
		return MATCH_TEMPERROR;
	}
	if (count && !count_void(ev, status))
		return MATCH_PERMERROR;
	return MATCH_NO;
}

/* mx: every MX host's addresses; more than SPF_NAMES_MAX is an error. */
static enum match
match_mx(struct eval *ev, const struct spf_term *t, const char *name)
{
	enum dns_status status;
	const struct dns_answer *a = lookup(ev, name, DNS_T_MX, &status);
	enum match m = MATCH_NO;
	char host[DNS_NAME_MAX + 1];

	if (dns_failed(status)) {
		reason(ev, "DNS %s for MX of %s", dns_status_name(status), name);
		m = MATCH_TEMPERROR;
	} else if (!count_void(ev, status)) {
		m = MATCH_PERMERROR;
	} else if (a != NULL && a->count > SPF_NAMES_MAX) {
		reason(ev, "%s has more than %d MX records", name,
		    SPF_NAMES_MAX);
		m = MATCH_PERMERROR;
	}
	for (size_t i = 0; a != NULL && i < a->count && m == MATCH_NO; i++)
		/* A null MX (RFC 7505) names the root: nothing to match. */
		if (dns_rdata_name(&a->rr[i], DNS_T_MX, NULL, host,
		    sizeof(host)) && host[0] != '\0')
			m = match_address(ev, t, host, false);
	if (a != NULL)
		dns_answer_free(&a);
	return m;
}

/* ptr: a validated PTR name at or below the target. DNS errors make the
 * mechanism not match (RFC 7208 section 5.5), they are no temperror. */
static enum match
match_ptr(struct eval *ev, const char *target)
{
	char names[SPF_NAMES_MAX][DNS_NAME_MAX + 1];
	enum dns_status status;
	size_t n = ptr_names(ev, names, &status);

	if (!count_void(ev, status))
		return MATCH_PERMERROR;
	for (size_t i = 0; i < n; i++)
		if ((name_within(names[i], target, true) ||
		    name_within(names[i], target, false)) &&
		    address_match(ev, names[i], ev->ip.family == AF_INET6 ?
		    128 : 32, &status))
			return MATCH_YES;
	return MATCH_NO;
}

/* exists: any A record, whatever the client's address family. */
static enum match
match_exists(struct eval *ev, const char *name)
{
	enum dns_status status;
	const struct dns_answer *a = lookup(ev, name, DNS_T_A, &status);
	bool found = a != NULL && a->count > 0;

	if (a != NULL)
		dns_answer_free(&a);
	if (found)
		return MATCH_YES;
	if (dns_failed(status)) {
		reason(ev, "DNS %s for A of %s", dns_status_name(status), name);
		return MATCH_TEMPERROR;
	}
	return count_void(ev, status) ? MATCH_NO : MATCH_PERMERROR;
}

/* include: the target's pass matches; its errors are ours; none is a
 * permerror (RFC 7208 section 5.2). */
static enum match
match_include(struct eval *ev, const char *name)
{
	switch (check_host(ev, name, false)) {
	case SPFR_PASS:
		return MATCH_YES;
	case SPFR_FAIL:
	case SPFR_SOFTFAIL:
	case SPFR_NEUTRAL:
		return MATCH_NO;
	case SPFR_TEMPERROR:
		return MATCH_TEMPERROR;
	case SPFR_NONE:
		reason(ev, "include:%s has no SPF record", name);
		break;
	case SPFR_PERMERROR:
		break;
	}
	return MATCH_PERMERROR;
}

/* One mechanism against the client. */
static enum match
match_term(struct eval *ev, const struct spf_term *t, const char *domain)
{
	char name[SPF_MACRO_DOMAIN_OUT];

	switch (t->mechanism) {
	case SPF_MECH_ALL:
		return MATCH_YES;
	case SPF_MECH_IP4:
	case SPF_MECH_IP6:
		return cidr_match(&t->network, &ev->ip) ? MATCH_YES : MATCH_NO;
	default:
		break;
	}
	if (!count_term(ev))
		return MATCH_PERMERROR;
	target_name(ev, t->domain_spec, domain, name, sizeof(name));
	switch (t->mechanism) {
	case SPF_MECH_A:
		return match_address(ev, t, name, true);
	case SPF_MECH_MX:
		return match_mx(ev, t, name);
	case SPF_MECH_PTR:
		return match_ptr(ev, name);
	case SPF_MECH_EXISTS:
		return match_exists(ev, name);
	default:
		return match_include(ev, name);
	}
}

/* The explanation for a fail: exp= if it yields exactly one valid TXT
 * record, else the request's default text, else nothing. */
static void
explain(struct eval *ev, const struct spf_record *r, const char *domain)
{
	char *text = ev->out->explanation, name[SPF_MACRO_DOMAIN_OUT];
	size_t size = sizeof(ev->out->explanation), len;
	const struct dns_answer *a = NULL;
	struct spf_macro_env env;
	enum dns_status status;
	char *txt = NULL;
	bool done = false;

	macro_env(ev, domain, &env);
	if (r->exp != NULL) {
		target_name(ev, r->exp, domain, name, sizeof(name));
		a = lookup(ev, name, DNS_T_TXT, &status);
	}
	if (a != NULL && a->count == 1) {
		txt = xmalloc(a->rr[0].len + 1);
		done = dns_rdata_txt(&a->rr[0], txt, a->rr[0].len + 1, &len) &&
		    spf_macro_expand(txt, len, SPF_MACRO_EXPLAIN, &env, text,
		    size);
		free(txt);
	}
	if (a != NULL)
		dns_answer_free(&a);
	if (!done && (ev->req->default_explanation == NULL ||
	    !spf_macro_expand(ev->req->default_explanation,
	    strlen(ev->req->default_explanation), SPF_MACRO_EXPLAIN, &env, text,
	    size)))
		text[0] = '\0';
}

/* The mechanisms left to right, then redirect=. */
static enum spf_result
evaluate(struct eval *ev, const struct spf_record *r, const char *domain,
    bool top)
{
	char name[SPF_MACRO_DOMAIN_OUT];
	enum spf_result result;

	for (size_t i = 0; i < r->n_terms; i++) {
		const struct spf_term *t = &r->terms[i];

		switch (match_term(ev, t, domain)) {
		case MATCH_NO:
			continue;
		case MATCH_TEMPERROR:
			return SPFR_TEMPERROR;
		case MATCH_PERMERROR:
			return SPFR_PERMERROR;
		case MATCH_YES:
			break;
		}
		reason(ev, "%s", t->text);
		if (t->qualifier == SPFR_FAIL && top)
			explain(ev, r, domain);
		return t->qualifier;
	}
	if (r->redirect == NULL || r->has_all) {
		reason(ev, "default");
		return SPFR_NEUTRAL;
	}
	if (!count_term(ev))
		return SPFR_PERMERROR;
	target_name(ev, r->redirect, domain, name, sizeof(name));
	result = check_host(ev, name, top);
	if (result != SPFR_NONE)
		return result;
	reason(ev, "redirect=%s has no SPF record", name);
	return SPFR_PERMERROR;
}

/* The one SPF record of domain: NONE, TEMPERROR or PERMERROR when there
 * is no usable one (*record_r NULL), else PASS with *record_r set. */
static enum spf_result
fetch_record(struct eval *ev, const char *domain, struct spf_record **record_r)
{
	enum dns_status status;
	const struct dns_answer *a = lookup(ev, domain, DNS_T_TXT, &status);
	char *txt = NULL, *found = NULL, err[200];
	size_t len, found_len = 0, n = 0;

	*record_r = NULL;
	for (size_t i = 0; a != NULL && i < a->count; i++) {
		txt = xmalloc(a->rr[i].len + 1);
		if (dns_rdata_txt(&a->rr[i], txt, a->rr[i].len + 1, &len) &&
		    spf_record_is_spf(txt, len) && n++ == 0) {
			found = txt;
			found_len = len;
			continue;
		}
		free(txt);
	}
	if (a != NULL)
		dns_answer_free(&a);
	if (n == 1) {
		*record_r = spf_record_parse(found, found_len, err, sizeof(err));
		if (*record_r == NULL)
			reason(ev, "%s: %s", domain, err);
	} else if (n > 1) {
		reason(ev, "%s has %zu SPF records", domain, n);
	} else if (dns_failed(status)) {
		reason(ev, "DNS %s for TXT of %s", dns_status_name(status),
		    domain);
	} else {
		reason(ev, "%s has no SPF record", domain);
	}
	free(found);
	if (*record_r != NULL)
		return SPFR_PASS;
	if (n > 0)
		return SPFR_PERMERROR;
	return dns_failed(status) ? SPFR_TEMPERROR : SPFR_NONE;
}

/* check_host() for domain. */
static enum spf_result
check_host(struct eval *ev, const char *domain, bool top)
{
	struct spf_record *r;
	enum spf_result result = fetch_record(ev, domain, &r);

	if (r == NULL)
		return result;
	result = evaluate(ev, r, domain, top);
	spf_record_free(&r);
	return result;
}

/* Initial processing (RFC 7208 section 4.3): a domain that cannot be
 * checked, a single label or an address literal among them, gives none. */
static bool
initial_domain_ok(const char *domain)
{
	return domain != NULL && domain[0] != '[' && strchr(domain, '.') !=
	    NULL && strchr(domain, '.')[1] != '\0' && dns_name_askable(domain);
}

void
spf_eval_mxward(struct dns_resolver *dns, const struct spf_request *req,
    const struct ip_addr *ip, struct spf_outcome *out)
{
	struct eval ev = {
		.dns = dns,
		.req = req,
		.out = out,
		.ip = *ip,
		.deadline = now_monotonic() + SPF_TIME_MAX,
	};
	const char *at = strrchr(req->sender, '@');

	ev.local = at != NULL && at != req->sender ?
	    xstrndup(req->sender, (size_t)(at - req->sender)) :
	    xstrdup("postmaster");
	ev.sender_domain = at != NULL ? at + 1 : req->domain;
	ev.sender = xasprintf("%s@%s", ev.local, ev.sender_domain);
	if (!initial_domain_ok(req->domain)) {
		out->result = SPFR_NONE;
		reason(&ev, "not a domain that can be checked");
	} else {
		out->result = check_host(&ev, req->domain, true);
	}
	out->dns_terms = ev.dns_terms;
	out->void_lookups = ev.void_lookups;
	free(ev.sender);
	free(ev.local);
}
