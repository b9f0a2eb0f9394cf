/*
 * evaluate.c - DMARC policy discovery, identifier alignment, the result
 *
 * PUBLIC FUNCTIONS
 *	dmarc_evaluate(); see dmarc.h.
 *
 * POLICY DISCOVERY
 *	DMARC_ORG_PSL (RFC 7489 6.6.3): the record at _dmarc.<From domain>,
 *	else the record at _dmarc.<Organizational Domain>, the registrable
 *	domain by the Public Suffix List. A DNS failure on either query is
 *	temperror; a DMARC record that cannot be used is permerror; several
 *	DMARC records at one name count as none there.
 *
 *	DMARC_ORG_TREE_WALK (RFC 9989 4.10): one DNS Tree Walk from the From
 *	domain up to its last label, stopping at a record with psd=y or
 *	psd=n, at most DMARC_WALK_MAX queries (a name of eight labels or more
 *	is shortened to seven after the first query). The records found give
 *	the Organizational Domain (psd=n: that domain; psd=y above the start:
 *	the domain one label below it; else the found domain with the fewest
 *	labels; none found: the From domain), and the policy record is the
 *	From domain's, else the Organizational Domain's, else the Public
 *	Suffix Domain's (psd=y). A DNS failure during the walk is temperror.
 *
 * ALIGNMENT
 *	Each authenticated identifier that passed (the SPF domain, each DKIM
 *	d=) is aligned in strict mode (aspf=s, adkim=s) when it equals the
 *	From domain, in relaxed mode when both have the same Organizational
 *	Domain: by the PSL, or by a tree walk from the identifier, done only
 *	for identifiers at or below the From domain's Organizational Domain
 *	(no other can share it), at most DMARC_ALIGN_WALKS_MAX of them. A
 *	walk that fails leaves the result temperror unless another
 *	identifier aligned.
 *
 * POLICY
 *	p= when the record is the From domain's; for a subdomain sp=, or np=
 *	when the From domain does not exist (NXDOMAIN for its A record,
 *	RFC 8020, asked only when np= is published and the result is fail),
 *	falling back to p=. A failing message then gets that policy, one
 *	level lower (reject to quarantine, quarantine to none) when the
 *	record's pct= sampling leaves it out (RFC 7489 6.6.4, PSL mode) or
 *	the record says t=y (RFC 9989, tree walk mode).
 *
 * CONTRACT
 *	Thread safe; the only state is the caller's outcome. Domains are
 *	compared lowercased, without a trailing dot.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc.h"
#include "dns/name.h"
#include "dns/resolver.h"

#define IDENTIFIERS_MAX 17 /* the SPF domain and 16 DKIM domains */

enum fetch_status {
	FETCH_FOUND,
	FETCH_NONE,
	FETCH_TEMPERROR,
	FETCH_INVALID,
};

struct identifier {
	char domain[DMARC_DOMAIN_MAX];
	bool spf;                 /* else DKIM */
};

/* The Organizational Domain of one identifier, once computed. */
struct org_memo {
	const char *domain;
	char org[DMARC_DOMAIN_MAX];
	bool temperror;
};

struct eval {
	const struct dmarc_request *req;
	struct dmarc_outcome *out;
	char from[DMARC_DOMAIN_MAX];
	struct identifier ids[IDENTIFIERS_MAX];
	size_t n_ids;
	struct org_memo memo[DMARC_ALIGN_WALKS_MAX];
	size_t n_memo;
};

/* The records one DNS Tree Walk found, longest name first. */
struct walk {
	const char *start;
	enum fetch_status start_status;
	bool temperror;
	size_t n;
	struct {
		const char *domain;   /* a suffix of start */
		struct dmarc_record rec;
	} found[DMARC_WALK_MAX];
};

/* Copy a domain lowercased and without a trailing dot; false if it is
 * empty or too long. */
static bool
normalize(const char *in, char *out)
{
	size_t len = strlen(in);

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len >= DMARC_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[len] = '\0';
	return true;
}

static size_t
count_labels(const char *name)
{
	size_t n = 1;

	for (; *name != '\0'; name++)
		n += *name == '.';
	return n;
}

/* The suffix of name (of x labels) made of its last k labels. */
static const char *
last_labels(const char *name, size_t x, size_t k)
{
	for (size_t drop = x - k; drop > 0; drop--)
		name = strchr(name, '.') + 1;
	return name;
}

/* Is name equal to domain or below it? */
static bool
at_or_below(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	return strcmp(name, domain) == 0 || (n > d && name[n - d - 1] == '.' &&
	    strcmp(name + n - d, domain) == 0);
}

/* Add to the outcome's reason (the first words count most). */
static void note(struct eval *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
note(struct eval *ev, const char *fmt, ...)
{
	struct dmarc_outcome *out = ev->out;
	size_t used = strlen(out->reason);
	va_list ap;

	if (used > 0 && used + 2 < sizeof(out->reason)) {
		memcpy(out->reason + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(out->reason + used, sizeof(out->reason) - used, fmt, ap);
	va_end(ap);
}

/* Look up _dmarc.<domain> and parse its one DMARC record. */
static enum fetch_status
fetch(struct eval *ev, const char *domain, struct dmarc_record *rec)
{
	char name[DMARC_DOMAIN_MAX + 8], text[DMARC_RECORD_MAX];
	char err[160];
	enum dmarc_record_status parsed = DMARC_REC_NOT_DMARC;
	const struct dns_answer *a;
	size_t len, n_dmarc = 0;
	enum fetch_status st;

	if ((size_t)snprintf(name, sizeof(name), "_dmarc.%s", domain) >=
	    sizeof(name))
		return FETCH_NONE;
	ev->out->queries++;
	a = dns_lookup(ev->req->dns, name, DNS_T_TXT);
	switch (a->status) {
	case DNS_OK:
		break;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
	case DNS_BADNAME:
		dns_answer_free(&a);
		return FETCH_NONE;
	default:
		note(ev, "%s: %s", name, dns_status_name(a->status));
		dns_answer_free(&a);
		return FETCH_TEMPERROR;
	}
	/* Records that are not DMARC are ignored (RFC 7489 6.6.3 step 3),
	 * as are TXT records too long to be one. */
	for (size_t i = 0; i < a->count; i++) {
		if (!dns_rdata_txt(&a->rr[i], text, sizeof(text), &len) ||
		    !dmarc_record_is_dmarc(text, len))
			continue;
		if (n_dmarc++ == 0)
			parsed = dmarc_record_parse(text, len, ev->req->mode,
			    rec, err, sizeof(err));
	}
	dns_answer_free(&a);
	if (n_dmarc > 1) {
		note(ev, "%s: several DMARC records", name);
		st = FETCH_NONE;
	} else if (n_dmarc == 0) {
		st = FETCH_NONE;
	} else if (parsed == DMARC_REC_VALID) {
		st = FETCH_FOUND;
	} else {
		note(ev, "%s: %s", name, err);
		st = FETCH_INVALID;
	}
	return st;
}

/* The RFC 9989 DNS Tree Walk from start (see the file comment). */
static void
walk(struct eval *ev, const char *start, struct walk *w)
{
	size_t x = count_labels(start), k = x;

	memset(w, 0, sizeof(*w));
	w->start = start;
	while (k >= 1 && w->n < DMARC_WALK_MAX) {
		const char *target = last_labels(start, x, k);
		enum fetch_status st = fetch(ev, target, &w->found[w->n].rec);

		if (k == x)
			w->start_status = st;
		if (st == FETCH_TEMPERROR) {
			w->temperror = true;
			return;
		}
		if (st == FETCH_FOUND) {
			char psd = w->found[w->n].rec.psd;

			w->found[w->n++].domain = target;
			if (psd == 'y' || psd == 'n')
				return;
		}
		k = k == x && x >= DMARC_WALK_MAX ? DMARC_WALK_MAX - 1 : k - 1;
	}
}

/* The Organizational Domain the records of a walk give (RFC 9989
 * 4.10.2), a suffix of w->start. */
static const char *
walk_org(const struct walk *w)
{
	size_t x = count_labels(w->start);

	for (size_t i = 0; i < w->n; i++) {
		if (w->found[i].rec.psd == 'n')
			return w->found[i].domain;
		if (w->found[i].rec.psd == 'y' && w->found[i].domain != w->start)
			return last_labels(w->start, x,
			    count_labels(w->found[i].domain) + 1);
	}
	return w->n > 0 ? w->found[w->n - 1].domain : w->start;
}

/* The registrable domain by the PSL, or the name itself (a public
 * suffix is its own Organizational Domain). */
static void
psl_org(const struct eval *ev, const char *name, char *out)
{
	if (!dmarc_psl_registrable(ev->req->psl, name, out, DMARC_DOMAIN_MAX))
		memcpy(out, name, strlen(name) + 1);
}

/* Take rec, found at domain, as the policy record. */
static void
use_record(struct eval *ev, const char *domain,
    const struct dmarc_record *rec)
{
	ev->out->record_found = true;
	ev->out->record = *rec;
	memcpy(ev->out->policy_domain, domain, strlen(domain) + 1);
}

/* A fetch status that ends discovery: temperror, permerror. */
static bool
fetch_failed(struct eval *ev, enum fetch_status st)
{
	if (st == FETCH_TEMPERROR)
		ev->out->result = DMARC_RESULT_TEMPERROR;
	else if (st == FETCH_INVALID)
		ev->out->result = DMARC_RESULT_PERMERROR;
	else
		return false;
	return true;
}

/* RFC 7489 policy discovery; false when the result is already known. */
static bool
discover_psl(struct eval *ev)
{
	struct dmarc_outcome *out = ev->out;
	struct dmarc_record rec;
	enum fetch_status st;

	psl_org(ev, ev->from, out->org_domain);
	st = fetch(ev, ev->from, &rec);
	if (fetch_failed(ev, st))
		return false;
	if (st == FETCH_FOUND) {
		use_record(ev, ev->from, &rec);
		return true;
	}
	if (strcmp(out->org_domain, ev->from) != 0) {
		st = fetch(ev, out->org_domain, &rec);
		if (fetch_failed(ev, st))
			return false;
		if (st == FETCH_FOUND) {
			use_record(ev, out->org_domain, &rec);
			return true;
		}
	}
	return false;
}

/* RFC 9989 policy discovery; false when the result is already known. */
static bool
discover_tree_walk(struct eval *ev)
{
	struct dmarc_outcome *out = ev->out;
	struct walk w;
	const char *org;

	walk(ev, ev->from, &w);
	if (fetch_failed(ev, w.start_status))
		return false;
	if (w.temperror) {
		out->result = DMARC_RESULT_TEMPERROR;
		return false;
	}
	org = walk_org(&w);
	memcpy(out->org_domain, org, strlen(org) + 1);
	/* The From domain's record, else the Organizational Domain's, else
	 * the Public Suffix Domain's. */
	for (size_t i = 0; i < w.n; i++)
		if (w.found[i].domain == w.start) {
			use_record(ev, w.start, &w.found[i].rec);
			return true;
		}
	for (size_t i = 0; i < w.n; i++)
		if (w.found[i].domain == org) {
			use_record(ev, org, &w.found[i].rec);
			return true;
		}
	for (size_t i = 0; i < w.n; i++)
		if (w.found[i].rec.psd == 'y') {
			use_record(ev, w.found[i].domain, &w.found[i].rec);
			return true;
		}
	return false;
}

/* The Organizational Domain of an identifier by tree walk, memoized;
 * NULL when the walk failed or the memo is full. */
static const char *
identifier_org(struct eval *ev, const char *domain)
{
	struct org_memo *m;
	struct walk w;

	for (size_t i = 0; i < ev->n_memo; i++)
		if (strcmp(ev->memo[i].domain, domain) == 0)
			return ev->memo[i].temperror ? NULL : ev->memo[i].org;
	if (ev->n_memo == DMARC_ALIGN_WALKS_MAX) {
		note(ev, "alignment of %s not checked: too many identifiers",
		    domain);
		return NULL;
	}
	m = &ev->memo[ev->n_memo++];
	m->domain = domain;
	walk(ev, domain, &w);
	m->temperror = w.temperror;
	if (!w.temperror)
		memcpy(m->org, walk_org(&w), strlen(walk_org(&w)) + 1);
	return m->temperror ? NULL : m->org;
}

/* Is one identifier aligned with the From domain? *temperror_r is set
 * when that could not be told. */
static bool
aligned(struct eval *ev, const struct identifier *id, bool *temperror_r)
{
	const struct dmarc_record *rec = &ev->out->record;
	bool strict = id->spf ? rec->aspf_strict : rec->adkim_strict;
	char org[DMARC_DOMAIN_MAX];
	const char *walked;

	if (strcmp(id->domain, ev->from) == 0)
		return true;
	if (strict || !at_or_below(id->domain, ev->out->org_domain))
		return false;
	if (ev->req->mode == DMARC_ORG_PSL) {
		psl_org(ev, id->domain, org);
		return strcmp(org, ev->out->org_domain) == 0;
	}
	walked = identifier_org(ev, id->domain);
	if (walked == NULL) {
		*temperror_r = true;
		return false;
	}
	return strcmp(walked, ev->out->org_domain) == 0;
}

/* Does the From domain exist (RFC 8020: not NXDOMAIN)? false with
 * *temperror_r set when DNS could not tell. */
static bool
from_exists(struct eval *ev, bool *temperror_r)
{
	const struct dns_answer *a;
	bool exists;

	ev->out->queries++;
	a = dns_lookup(ev->req->dns, ev->from, DNS_T_A);
	exists = a->status != DNS_NXDOMAIN;
	if (a->status == DNS_SERVFAIL || a->status == DNS_TIMEOUT ||
	    a->status == DNS_ERROR) {
		note(ev, "%s: %s", ev->from, dns_status_name(a->status));
		*temperror_r = true;
	}
	dns_answer_free(&a);
	return exists;
}

/* p=, sp= or np= (see the file comment); false on temperror. */
static bool
choose_policy(struct eval *ev)
{
	struct dmarc_outcome *out = ev->out;
	const struct dmarc_record *rec = &out->record;
	bool temperror = false;

	out->policy_tag = "p";
	out->policy = rec->p;
	if (strcmp(out->policy_domain, ev->from) == 0)
		return true;
	if (out->result == DMARC_RESULT_FAIL && rec->np != DMARC_REQ_UNSET &&
	    !from_exists(ev, &temperror) && !temperror) {
		out->policy_tag = "np";
		out->policy = rec->np;
	} else if (rec->sp != DMARC_REQ_UNSET) {
		out->policy_tag = "sp";
		out->policy = rec->sp;
	}
	return !temperror;
}

/* The policy applied to a failing message: pct= or t= may lower it. */
static void
apply_policy(struct eval *ev)
{
	struct dmarc_outcome *out = ev->out;
	const struct dmarc_record *rec = &out->record;
	bool lower = false;

	out->applied = out->policy;
	if (out->policy == DMARC_REQ_NONE)
		return;
	if (ev->req->mode == DMARC_ORG_PSL && rec->pct < 100 &&
	    (int)arc4random_uniform(100) >= rec->pct) {
		lower = true;
		out->override = "sampled_out";
	} else if (ev->req->mode == DMARC_ORG_TREE_WALK && rec->testing) {
		lower = true;
		out->override = "policy_test_mode";
	}
	if (lower)
		out->applied = out->policy == DMARC_REQ_REJECT ?
		    DMARC_REQ_QUARANTINE : DMARC_REQ_NONE;
}

/* Take one identifier, normalized, if it is a valid name. */
static void
add_identifier(struct eval *ev, const char *domain, bool spf)
{
	struct identifier *id = &ev->ids[ev->n_ids];

	if (domain != NULL && normalize(domain, id->domain) &&
	    dns_name_valid_hostname_labels(id->domain, 1)) {
		id->spf = spf;
		ev->n_ids++;
	}
}

/* The passing identifiers; exact_pass noted. */
static void
collect_identifiers(struct eval *ev)
{
	const struct dmarc_request *req = ev->req;
	size_t n_dkim = req->n_dkim < IDENTIFIERS_MAX - 1 ? req->n_dkim :
	    IDENTIFIERS_MAX - 1;

	add_identifier(ev, req->spf_domain, true);
	for (size_t i = 0; i < n_dkim; i++)
		add_identifier(ev, req->dkim_domains[i], false);
	for (size_t i = 0; i < ev->n_ids; i++)
		if (strcmp(ev->ids[i].domain, ev->from) == 0)
			ev->out->exact_pass = true;
}

/* Alignment of every identifier, then the result. */
static void
judge(struct eval *ev)
{
	struct dmarc_outcome *out = ev->out;
	bool temperror = false;

	for (size_t i = 0; i < ev->n_ids; i++) {
		bool *flag = ev->ids[i].spf ? &out->spf_aligned :
		    &out->dkim_aligned;

		if (!*flag && aligned(ev, &ev->ids[i], &temperror))
			*flag = true;
	}
	if (out->spf_aligned || out->dkim_aligned)
		out->result = DMARC_RESULT_PASS;
	else if (temperror)
		out->result = DMARC_RESULT_TEMPERROR;
	else
		out->result = DMARC_RESULT_FAIL;
}

void
dmarc_evaluate(const struct dmarc_request *req, struct dmarc_outcome *out)
{
	struct eval *ev = calloc(1, sizeof(*ev));
	bool found;

	if (ev == NULL)
		abort(); /* out of memory, as xmalloc would */
	memset(out, 0, sizeof(*out));
	out->applied = DMARC_REQ_NONE;
	ev->req = req;
	ev->out = out;
	if (req->from_domain == NULL || !normalize(req->from_domain, ev->from) ||
	    !dns_name_valid_hostname_labels(ev->from, 1)) {
		out->result = DMARC_RESULT_PERMERROR;
		note(ev, "invalid From domain");
		free(ev);
		return;
	}
	collect_identifiers(ev);
	found = req->mode == DMARC_ORG_PSL ? discover_psl(ev) :
	    discover_tree_walk(ev);
	if (found) {
		judge(ev);
		if (out->result != DMARC_RESULT_TEMPERROR && !choose_policy(ev))
			out->result = DMARC_RESULT_TEMPERROR;
		if (out->result == DMARC_RESULT_FAIL)
			apply_policy(ev);
	} else if (out->result == DMARC_RESULT_NONE && out->reason[0] == '\0') {
		note(ev, "no DMARC record for %s", ev->from);
	}
	if (out->result == DMARC_RESULT_PASS)
		out->reason[0] = '\0';
	free(ev);
}
