/*
 * test_dmarc.c - unit tests for src/dmarc: From domains, records,
 * evaluation with the PSL and with the RFC 9989 DNS Tree Walk
 *
 * DNS is the real resolver: t/unit/test_dmarc.sh serves each case's
 * records from nsd (DNS_PORT) and the cases that need a SERVFAIL, no
 * answer, or the names asked from the dnslib stub (STUB_PORT, its query
 * log in STUB_LOG); without them the test skips. Every case has names of
 * its own, as the resolver caches what it was told. The Public Suffix
 * List is the system's (MXWARD_PUBLIC_SUFFIX_LIST, Debian's publicsuffix
 * package).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc.h"
#include "tap.h"
#include "testdns.h"

/* The stub's silence costs this much, each time. */
#define STUB_TIMEOUT_MS 1000

static struct dmarc_psl *psl;
static struct dns_resolver *nsd;  /* records */
static struct dns_resolver *stub; /* failures, and a query log */

/* ---- From ---- */

/* The status and first domain of a header block. */
static enum dmarc_from_status
from_of(const char *header, const char **domain_r)
{
	static struct dmarc_from from;
	enum dmarc_from_status st;

	st = dmarc_from_parse((const unsigned char *)header, strlen(header),
	    &from);
	*domain_r = from.n_domains > 0 ? from.domains[0] : NULL;
	return st;
}

static void
test_from(void)
{
	const char *d;

	is_int(from_of("From: a@Example.COM\r\nTo: b@x.test\r\n\r\nFrom: "
	    "c@y.test\r\n", &d), DMARC_FROM_OK, "one From, body ignored");
	is_str(d, "example.com", "domain lowercased");
	from_of("From: \"Bank\" <victim@bank.example.>\r\n\r\n", &d);
	is_str(d, "bank.example", "display name, trailing dot dropped");
	from_of("From: \"x@evil.example\" <y@bank.example>\r\n\r\n", &d);
	is_str(d, "bank.example", "an address in the display name is a name");
	from_of("From: a@example.org,\r\n b@EXAMPLE.org\r\n\r\n", &d);
	ok(d != NULL && strcmp(d, "example.org") == 0,
	    "folded field, two mailboxes of one domain");
	is_int(from_of("From: a@example.org, b@example.net\r\n\r\n", &d),
	    DMARC_FROM_MULTIPLE, "one field, two domains: multiple");
	is_int(from_of("From: a@example.org\r\nFrom: b@example.net\r\n\r\n",
	    &d), DMARC_FROM_MULTIPLE, "two fields, two domains: multiple");
	is_int(from_of("From: a@example.org\r\nfrom: b@example.org\r\n\r\n",
	    &d), DMARC_FROM_OK, "two fields, one domain: that domain");
	is_int(from_of("To: a@example.org\r\n\r\n", &d), DMARC_FROM_ABSENT,
	    "no From field");
	is_int(from_of("From: undisclosed-recipients:;\r\n\r\n", &d),
	    DMARC_FROM_NO_DOMAIN, "empty group: no domain");
	is_int(from_of("From: root\r\n\r\n", &d), DMARC_FROM_NO_DOMAIN,
	    "no domain part");
	is_int(from_of("From: a@[192.0.2.1]\r\n\r\n", &d),
	    DMARC_FROM_NO_DOMAIN, "domain literal: no domain");
	is_int(from_of("From: a@example.org, root\r\n\r\n", &d),
	    DMARC_FROM_OK, "an unusable mailbox beside a domain");
	from_of("From: =?utf-8?q?M=C3=BCller?= <m@b\xc3\xbc" "cher.example>"
	    "\r\n\r\n", &d);
	is_str(d, "xn--bcher-kva.example", "U-labels become A-labels");
	is_int(from_of("From: Team: a@example.org, b@example.net;\r\n\r\n",
	    &d), DMARC_FROM_MULTIPLE, "group members count");
	is_int(from_of("From a@example.org  Mon Jan 1\r\nSubject: x\r\n\r\n",
	    &d), DMARC_FROM_ABSENT, "an mbox From line is no field");
}

/* ---- records ---- */

static enum dmarc_record_status
parse(const char *text, enum dmarc_org_mode mode, struct dmarc_record *rec)
{
	char err[160];

	return dmarc_record_parse(text, strlen(text), mode, rec, err,
	    sizeof(err));
}

static void
test_records(void)
{
	struct dmarc_record rec;

	ok(dmarc_record_is_dmarc("v=DMARC1", 8), "v=DMARC1 alone");
	ok(dmarc_record_is_dmarc("V = DMARC1 ;p=none", 18), "spaces, V");
	ok(!dmarc_record_is_dmarc("v=dmarc1; p=none", 16),
	    "DMARC1 is case-sensitive");
	ok(!dmarc_record_is_dmarc("v=DMARC10; p=none", 17), "v=DMARC10");
	ok(!dmarc_record_is_dmarc(" v=DMARC1; p=none", 17), "leading space");
	ok(!dmarc_record_is_dmarc("v=spf1 -all", 11), "SPF record");

	is_int(parse("v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=50; "
	    "rua=mailto:a@example.org,mailto:b@example.net; fo=1", DMARC_ORG_PSL,
	    &rec), DMARC_REC_VALID, "full record");
	ok(rec.p == DMARC_REQ_REJECT && rec.sp == DMARC_REQ_QUARANTINE &&
	    rec.np == DMARC_REQ_UNSET, "p, sp, no np");
	ok(rec.adkim_strict && !rec.aspf_strict && rec.pct == 50,
	    "adkim=s, aspf relaxed, pct");
	is_str(rec.rua, "mailto:a@example.org,mailto:b@example.net", "rua");
	is_str(rec.fo, "1", "fo");
	ok(rec.psd == 'u' && !rec.testing, "psd=u and t=n by default");
	parse("v=DMARC1; p=none; np=Reject; psd=N; t=y", DMARC_ORG_PSL, &rec);
	ok(rec.np == DMARC_REQ_REJECT && rec.psd == 'n' && rec.testing,
	    "np, psd, t (RFC 9989 tags)");
	parse("v=DMARC1; p=none; np=drop; psd=maybe", DMARC_ORG_PSL, &rec);
	ok(rec.np == DMARC_REQ_UNSET && rec.psd == 'u',
	    "bad np and psd values are ignored");
	parse("v=DMARC1; p=reject; rf=iodef", DMARC_ORG_PSL, &rec);
	ok(!rec.aspf_strict, "rf=iodef does not make aspf strict");
	is_int(parse("v=DMARC1; rua=mailto:r@example.org", DMARC_ORG_PSL,
	    &rec), DMARC_REC_VALID, "no p=, rua=: valid");
	ok(rec.p == DMARC_REQ_NONE, "... as p=none");
	is_int(parse("v=DMARC1; adkim=s", DMARC_ORG_PSL, &rec),
	    DMARC_REC_INVALID, "no p=, no rua= (RFC 7489): invalid");
	is_int(parse("v=DMARC1; adkim=s", DMARC_ORG_TREE_WALK, &rec),
	    DMARC_REC_VALID, "no p= (RFC 9989): valid");
	ok(rec.p == DMARC_REQ_NONE && rec.adkim_strict,
	    "... as p=none, other tags kept");
	is_int(parse("v=DMARC1; p=block; rua=mailto:r@example.org",
	    DMARC_ORG_PSL, &rec), DMARC_REC_VALID, "bad p=, rua=: valid");
	ok(rec.p == DMARC_REQ_NONE && strcmp(rec.rua,
	    "mailto:r@example.org") == 0, "... as p=none with its rua");
	is_int(parse("v=DMARC1; p=block", DMARC_ORG_PSL, &rec),
	    DMARC_REC_INVALID, "bad p=, no rua=: invalid");
	is_int(parse("v=DMARC2; p=reject", DMARC_ORG_PSL, &rec),
	    DMARC_REC_NOT_DMARC, "another version: not DMARC");
	is_int(dmarc_record_parse("v=DMARC1; p=none\0x", 18, DMARC_ORG_PSL,
	    &rec, (char[80]){ 0 }, 80), DMARC_REC_INVALID, "NUL byte");
}

/* ---- evaluation ---- */

static struct dmarc_outcome out;

/* Evaluate with the given passing identifiers (dkim: NULL-terminated),
 * asking dns. */
static void
eval(struct dns_resolver *dns, enum dmarc_org_mode mode, const char *from,
    const char *spf, const char *const *dkim)
{
	struct dmarc_request req = {
		.mode = mode, .psl = psl, .dns = dns, .from_domain = from,
		.spf_domain = spf, .dkim_domains = dkim,
	};

	while (dkim != NULL && dkim[req.n_dkim] != NULL)
		req.n_dkim++;
	dmarc_evaluate(&req, &out);
}

#define DKIM(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
test_psl_mode(void)
{
	long long before;

	/* example.com: p=reject, rua=, and a TXT that is not DMARC. */
	eval(nsd, DMARC_ORG_PSL, "example.com", "bounce.example.com", NULL);
	is_str(dmarc_result_name(out.result), "pass", "pass via SPF only "
	    "(relaxed)");
	ok(out.spf_aligned && !out.dkim_aligned && !out.exact_pass,
	    "... SPF aligned, not exact");
	eval(nsd, DMARC_ORG_PSL, "example.com", "example.net",
	    DKIM("mail.example.com"));
	ok(out.result == DMARC_RESULT_PASS && out.dkim_aligned &&
	    !out.spf_aligned, "pass via DKIM only");
	eval(nsd, DMARC_ORG_PSL, "example.com", "example.net",
	    DKIM("example.org"));
	is_str(dmarc_result_name(out.result), "fail", "unaligned: fail");
	ok(out.policy == DMARC_REQ_REJECT && out.applied ==
	    DMARC_REQ_REJECT && strcmp(out.policy_tag, "p") == 0,
	    "... p=reject applied");
	is_str(out.policy_domain, "example.com", "... record of example.com");
	eval(nsd, DMARC_ORG_PSL, "example.com", NULL, NULL);
	is_str(dmarc_result_name(out.result), "fail", "no identifiers: fail");

	/* strict.example: adkim=s, aspf=s. */
	eval(nsd, DMARC_ORG_PSL, "strict.example", "mail.strict.example",
	    DKIM("mail.strict.example"));
	ok(out.result == DMARC_RESULT_FAIL, "strict: a subdomain does not "
	    "align (libopendmarc 1.4.2 says it does)");
	eval(nsd, DMARC_ORG_PSL, "strict.example", NULL,
	    DKIM("STRICT.example."));
	ok(out.result == DMARC_RESULT_PASS && out.exact_pass,
	    "strict: the same domain aligns (case, trailing dot)");

	/* Subdomain: the Organizational Domain's record, sp= and np=. */
	eval(nsd, DMARC_ORG_PSL, "news.example.co.uk", "x.example.co.uk",
	    NULL);
	ok(out.result == DMARC_RESULT_PASS, "relaxed alignment under co.uk");
	is_str(out.org_domain, "example.co.uk", "... org by the PSL");
	eval(nsd, DMARC_ORG_PSL, "news.example.co.uk", "other.co.uk", NULL);
	ok(out.result == DMARC_RESULT_FAIL && out.policy ==
	    DMARC_REQ_QUARANTINE && strcmp(out.policy_tag, "sp") == 0,
	    "another registrant under co.uk does not align; sp= applies");
	eval(nsd, DMARC_ORG_PSL, "nx.example.co.uk", NULL, NULL);
	ok(out.result == DMARC_RESULT_FAIL && out.policy ==
	    DMARC_REQ_REJECT && strcmp(out.policy_tag, "np") == 0,
	    "a non-existent subdomain gets np=");
	/* The stub never answers for nx.example.co.uk. */
	eval(stub, DMARC_ORG_PSL, "nx.example.co.uk", NULL, NULL);
	ok(out.result == DMARC_RESULT_TEMPERROR, "np=: existence unknown, "
	    "temperror");

	before = testdns_lookups();
	eval(nsd, DMARC_ORG_PSL, "mail.nothing.example", "mail.nothing.example",
	    NULL);
	ok(out.result == DMARC_RESULT_NONE && !out.record_found,
	    "no record: none");
	is_int(testdns_lookups() - before, 2,
	    "... two queries: the domain, its org");

	eval(nsd, DMARC_ORG_PSL, "a.example.org", NULL, NULL);
	ok(out.result == DMARC_RESULT_FAIL && out.policy ==
	    DMARC_REQ_QUARANTINE, "two records at a name: both ignored, "
	    "the org record applies");

	/* The stub fails _dmarc.example.org, never answers
	 * _dmarc.slow.example. */
	eval(stub, DMARC_ORG_PSL, "example.org", NULL, DKIM("example.org"));
	ok(out.result == DMARC_RESULT_TEMPERROR && out.exact_pass,
	    "SERVFAIL: temperror (an exact pass noted)");
	ok(strstr(out.reason, "servfail") != NULL, "... reason says why");
	eval(stub, DMARC_ORG_PSL, "www.slow.example", NULL, NULL);
	ok(out.result == DMARC_RESULT_TEMPERROR, "timeout at the org: "
	    "temperror");

	eval(nsd, DMARC_ORG_PSL, "bogus.example", NULL, NULL);
	ok(out.result == DMARC_RESULT_PERMERROR, "invalid record: permerror");

	eval(nsd, DMARC_ORG_PSL, "sampled.example", NULL, NULL);
	ok(out.policy == DMARC_REQ_REJECT && out.applied ==
	    DMARC_REQ_QUARANTINE && strcmp(out.override, "sampled_out") == 0,
	    "pct=0: reject sampled out to quarantine");
	eval(nsd, DMARC_ORG_PSL, "testmode.example", NULL, NULL);
	ok(out.applied == DMARC_REQ_REJECT, "t=y is RFC 9989 only");
	eval(nsd, DMARC_ORG_PSL, "-bad-.example.org", NULL, NULL);
	ok(out.result == DMARC_RESULT_PERMERROR, "invalid From domain");
}

/* The names ending in suffix the stub was asked since its log had mark
 * bytes, one "NAME TYPE" per line; the new mark in *mark. (libunbound
 * still retries earlier queries that timed out: the suffix leaves them
 * out.) */
static const char *
stub_asked(long *mark, const char *suffix)
{
	static char asked[2048];
	char line[512], name[300], type[16];
	size_t used = 0, len;
	FILE *f = fopen(getenv("STUB_LOG"), "r");

	asked[0] = '\0';
	if (f == NULL)
		return "(no STUB_LOG)";
	fseek(f, *mark, SEEK_SET);
	/* "1700000000.123 udp NAME TYPE -> RCODE ..." */
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*s %*s %299s %15s", name, type) == 2 &&
		    (len = strlen(name)) >= strlen(suffix) &&
		    strcmp(name + len - strlen(suffix), suffix) == 0 &&
		    used < sizeof(asked))
			used += (size_t)snprintf(asked + used,
			    sizeof(asked) - used, "%s %s\n", name, type);
	*mark = ftell(f);
	fclose(f);
	return asked;
}

static void
test_tree_walk(void)
{
	long mark = 0;
	long long before;

	/* On the stub, which has nothing under com. */
	stub_asked(&mark, ".com");
	eval(stub, DMARC_ORG_TREE_WALK, "a.b.c.d.e.f.g.h.i.j.mail.example.com",
	    NULL, NULL);
	is_str(stub_asked(&mark, ".com"),
	    "_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com TXT\n"
	    "_dmarc.g.h.i.j.mail.example.com TXT\n"
	    "_dmarc.h.i.j.mail.example.com TXT\n"
	    "_dmarc.i.j.mail.example.com TXT\n"
	    "_dmarc.j.mail.example.com TXT\n"
	    "_dmarc.mail.example.com TXT\n"
	    "_dmarc.example.com TXT\n"
	    "_dmarc.com TXT\n", "the RFC 9989 example walk: eight queries");
	ok(out.result == DMARC_RESULT_NONE, "... no record: none");

	/* _dmarc.net: psd=y. */
	eval(nsd, DMARC_ORG_TREE_WALK, "a.mail.example.net", NULL, NULL);
	is_str(out.org_domain, "example.net", "psd=y: org one label below");
	ok(out.result == DMARC_RESULT_FAIL && strcmp(out.policy_domain,
	    "net") == 0, "... the PSD's record applies");

	/* mail.psdn.example: psd=n, p=reject; psdn.example: p=none. */
	before = testdns_lookups();
	eval(nsd, DMARC_ORG_TREE_WALK, "a.mail.psdn.example", NULL,
	    DKIM("psdn.example"));
	is_str(out.org_domain, "mail.psdn.example", "psd=n: that domain is "
	    "the org");
	ok(out.result == DMARC_RESULT_FAIL && out.policy ==
	    DMARC_REQ_REJECT, "... d=psdn.example is outside it: fail");
	is_int(testdns_lookups() - before, 2, "... the walk stopped at psd=n");

	/* mail.fewest.example: p=quarantine; fewest.example: p=reject,
	 * sp=none. */
	eval(nsd, DMARC_ORG_TREE_WALK, "a.mail.fewest.example",
	    "b.fewest.example", NULL);
	is_str(out.org_domain, "fewest.example", "no psd: fewest labels");
	ok(out.result == DMARC_RESULT_PASS, "... b.fewest.example aligns");
	eval(nsd, DMARC_ORG_TREE_WALK, "a.mail.fewest.example", NULL, NULL);
	ok(out.result == DMARC_RESULT_FAIL && strcmp(out.policy_tag, "sp") ==
	    0 && out.policy == DMARC_REQ_NONE, "... the org's sp= applies");

	/* testwalk.example: p=reject, t=y. */
	eval(nsd, DMARC_ORG_TREE_WALK, "testwalk.example", NULL,
	    DKIM("s.mail.testwalk.example"));
	ok(out.result == DMARC_RESULT_PASS && out.dkim_aligned,
	    "relaxed: the identifier's walk finds the same org");
	eval(nsd, DMARC_ORG_TREE_WALK, "testwalk.example", NULL, NULL);
	ok(out.applied == DMARC_REQ_QUARANTINE && strcmp(out.override,
	    "policy_test_mode") == 0, "t=y: one level down");

	/* The stub: example.net p=reject, SERVFAIL for _dmarc.net; walk.example
	 * p=reject, no answer for _dmarc.x.walk.example. */
	eval(stub, DMARC_ORG_TREE_WALK, "mail.example.net", NULL, NULL);
	ok(out.result == DMARC_RESULT_TEMPERROR, "SERVFAIL during the walk: "
	    "temperror");
	eval(stub, DMARC_ORG_TREE_WALK, "walk.example", NULL,
	    DKIM("x.walk.example", "walk.example"));
	ok(out.result == DMARC_RESULT_PASS, "an identifier's walk fails, "
	    "another aligns: pass");
	eval(stub, DMARC_ORG_TREE_WALK, "walk.example", NULL,
	    DKIM("x.walk.example"));
	ok(out.result == DMARC_RESULT_TEMPERROR, "... alone: temperror");
}

int
main(void)
{
	char err[256];

	if (getenv("DNS_PORT") == NULL || getenv("STUB_PORT") == NULL ||
	    getenv("STUB_LOG") == NULL) {
		printf("1..0 # SKIP no DNS servers (run "
		    "t/unit/test_dmarc.sh)\n");
		return 0;
	}
	psl = dmarc_psl_load(MXWARD_PUBLIC_SUFFIX_LIST, err, sizeof(err));
	if (psl == NULL) {
		printf("1..0 # SKIP %s\n", err);
		return 0;
	}
	nsd = testdns_resolver("DNS_PORT", 3000);
	stub = testdns_resolver("STUB_PORT", STUB_TIMEOUT_MS);
	plan(80);
	test_from();
	test_records();
	test_psl_mode();
	test_tree_walk();
	dmarc_psl_free(&psl);
	dns_resolver_unref(&nsd);
	dns_resolver_unref(&stub);
	return done();
}
