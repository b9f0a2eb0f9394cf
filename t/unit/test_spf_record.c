/*
 * test_spf_record.c - unit tests for spf/record: record selection, every
 * mechanism and modifier, CIDR forms (/0 included), domain-spec syntax,
 * macros in domain-specs, and the syntax errors that make a permerror
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "spf/record.h"
#include "tap.h"

/* Records that must parse. */
static const char *const valid[] = {
	"v=spf1",
	"v=spf1 ",
	"V=SpF1 ~ALL",
	"v=spf1 a  -all ",
	"v=spf1 a mx ptr ?all",
	"v=spf1 +a -mx ~ptr ?exists:%{i}.example.com",
	"v=spf1 a/0 a//0 a/24//64 mx/32 mx//128 a:example.com/24",
	"v=spf1 a:foo:bar/baz.example.com mx:foo:bar/baz.example.com",
	"v=spf1 a:foo.example.xn--zckzah a:foo.example.123-456",
	"v=spf1 a:example.com. ptr:example.Com include:o.spf.example.com.",
	"v=spf1 ip4:192.0.2.0/24 ip4:0.0.0.0/0 ip4:1.2.3.4 ip4:1.2.3.4/32",
	"v=spf1 ip6:2001:db8::/32 ip6:::/0 ip6:::1.1.1.1/0 ip6:::FFFF:1.2.3.4",
	"v=spf1 ip6:Cafe:Babe:8000::/33 ip6:2001:db8::1/128",
	"v=spf1 include:_spf.example.com exists:%{ir}.%{l1r+-}._spf.%{d}",
	"v=spf1 exists:%{l1r+}.example.com exists:%{L}.%{d2}",
	"v=spf1 a:macro%%percent%_%_space%-url-space.example.com",
	"v=spf1 a:%{H} a:%{H}.bar a:%{d}%-",
	"v=spf1 redirect=_spf.example.com",
	"v=spf1 redirect=%{d}.d.spf.example.com.",
	"v=spf1 -all exp=explain._spf.%{d}",
	"v=spf1 -all exp=msg8.%{D2}",
	"v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
	"v=spf1 default=pass default=+ x=%{c}%{r}%{t} y=",
	"v=spf1 all -all",
	"v=spf1 a:%{d10r+-.,/_=}.example.com",
};

/* Records that must not parse (a permerror when used). */
static const char *const invalid[] = {
	"v=spf10",
	"v=spf1mx",
	"spf1 -all",
	"v=spf1 -all moo",
	"v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all",
	"v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all",
	"v=spf1 ip4:1.2.3.4 redirect:t2.example.com",
	"v=spf1 a:foo-bar -all",
	"v=spf1 -all.",
	"v=spf1 -all:foobar",
	"v=spf1 -all/8",
	"v=spf1 +-all",
	"v=spf1 ptr/0 -all",
	"v=spf1 ptr:",
	"v=spf1 ptr:example.com/24",
	"v=spf1 a/33 -all",
	"v=spf1 a//129 -all",
	"v=spf1 a/24/64 -all",
	"v=spf1 a/032",
	"v=spf1 a//0128",
	"v=spf1 a/",
	"v=spf1 a:example.com:8080",
	"v=spf1 a:111.222.33.44",
	"v=spf1 a:abc.123",
	"v=spf1 a:museum",
	"v=spf1 a:museum.",
	"v=spf1 a:example.-com",
	"v=spf1 a:example.com-",
	"v=spf1 a:",
	"v=spf1 a:example.com/",
	"v=spf1 mx: -all",
	"v=spf1 mx:abc.123",
	"v=spf1 include",
	"v=spf1 include: -all",
	"v=spf1 include:ip5.example.com/24 -all",
	"v=spf1 exists",
	"v=spf1 exists:",
	"v=spf1 exists:mail.example.com/24",
	"v=spf1 ip4",
	"v=spf1 ip4:1.2.3.4/33",
	"v=spf1 ip4:1.2.3.4/032",
	"v=spf1 ip4:1.2.3.4//32",
	"v=spf1 ip4:1.2.3.4:8080",
	"v=spf1 ip4:1.2.3",
	"v=spf1 ip4:01.2.3.4",
	"v=spf1 ip4:1.2.3.256",
	"v=spf1 ip4:1.2.3.4/",
	"v=spf1 -all ip6",
	"v=spf1 ip6:::1.1.1.1/129",
	"v=spf1 ip6:::1.1.1.1//33",
	"v=spf1 ip6::CAFE::BABE",
	"v=spf1 ip6:1.2.3.4",
	"v=spf1 1up=foo",
	"v=spf1 =all",
	"v=spf1 -all foo=%abc",
	"v=spf1 exp= -all",
	"v=spf1 exp=-all",
	"v=spf1 redirect=-all ?all",
	"v=spf1 ?all redirect=",
	"v=spf1 exp=a.example.com -all exp=b.example.com",
	"v=spf1 redirect=a.example.com -all REDIRECT=a.example.com",
	"v=spf1 -exists:%(ir).sbl.example.com ?all",
	"v=spf1 exists:foo%(ir).sbl.example.com ?all",
	"v=spf1 exists:foo%.sbl.example.com ?all",
	"v=spf1 exists:foo.sbl.example.com%",
	"v=spf1 a:%{a}.example.com -all",
	"v=spf1 -all exp=%{r}.example.com",
	"v=spf1 a:%{c}.example.com",
	"v=spf1 a:%{t}.example.com",
	"v=spf1 a:%{d0}.example.com",
	"v=spf1 a:%{d2x}.example.com",
	"v=spf1 a:%{d.example.com",
	"v=spf1 a:%{}.example.com",
	"v=spf1 a:%{l.}com",
	"v=spf1 a:ctrl.example.com\rptr -all",
	"v=spf1 ip4:192.0.2.5\n include:x.example.com ~all",
	"v=spf1 \x80" "a:example.net -all",
	"v=spf1 a:example.net \x96" "all",
	"v=spf1 a:\xEF\xBB\xBF" "garbage.example.net -all",
	"v=spf1\ta",
};

/* Parse len bytes; the record or NULL. */
static struct spf_record *
parse_len(const char *text, size_t len)
{
	char err[200];

	return spf_record_parse(text, len, err, sizeof(err));
}

/* Parse a C string. */
static struct spf_record *
parse(const char *text)
{
	return parse_len(text, strlen(text));
}

/* The fields of the terms of one record in detail. */
static void
test_terms(void)
{
	char err[200];
	struct spf_record *r = parse("v=spf1 ~a:Example.com/24//64 mx//0 "
	    "-ip4:192.0.2.0/24 ?ip6:2001:db8::/32 ptr include:x.example.org "
	    "exists:%{i}.example.net all redirect=r.example exp=e.example "
	    "unknown=%{s}");

	if (!ok(r != NULL, "detailed record parses")) {
		for (int i = 0; i < 29; i++)
			ok(false, "skipped");
		return;
	}
	is_int((long long)r->n_terms, 8, "eight mechanisms");
	is_int(r->terms[0].mechanism, SPF_MECH_A, "a");
	is_int(r->terms[0].qualifier, SPFR_SOFTFAIL, "~ is softfail");
	is_str(r->terms[0].domain_spec, "Example.com", "a's domain without "
	    "CIDR");
	is_int(r->terms[0].cidr4, 24, "a's IPv4 length");
	is_int(r->terms[0].cidr6, 64, "a's IPv6 length");
	is_str(r->terms[0].text, "~a:Example.com/24//64", "term text kept");
	is_int(r->terms[1].mechanism, SPF_MECH_MX, "mx");
	ok(r->terms[1].domain_spec == NULL, "mx without domain");
	is_int(r->terms[1].cidr4, 32, "mx's IPv4 length by default");
	is_int(r->terms[1].cidr6, 0, "mx//0");
	is_int(r->terms[2].mechanism, SPF_MECH_IP4, "ip4");
	is_int(r->terms[2].qualifier, SPFR_FAIL, "- is fail");
	is_int(r->terms[2].network.prefix, 24, "ip4 prefix");
	is_int(r->terms[2].network.net.bytes[2], 2, "ip4 network");
	is_int(r->terms[3].mechanism, SPF_MECH_IP6, "ip6");
	is_int(r->terms[3].qualifier, SPFR_NEUTRAL, "? is neutral");
	is_int(r->terms[3].network.net.family, AF_INET6, "ip6 family");
	is_int(r->terms[3].network.prefix, 32, "ip6 prefix");
	is_int(r->terms[4].qualifier, SPFR_PASS, "no qualifier is pass");
	is_int(r->terms[4].mechanism, SPF_MECH_PTR, "ptr");
	is_str(r->terms[5].domain_spec, "x.example.org", "include's domain");
	is_str(r->terms[6].domain_spec, "%{i}.example.net", "exists's "
	    "domain-spec, unexpanded");
	ok(r->has_all, "has_all");
	is_str(r->redirect, "r.example", "redirect=");
	is_str(r->exp, "e.example", "exp=");
	spf_record_free(&r);
	ok(r == NULL, "free clears the pointer");
	/* A NUL byte is a syntax error, not the end of the record. */
	ok(spf_record_parse("v=spf1 a:foo.example.com\0", 25, err,
	    sizeof(err)) == NULL, "NUL byte inside the record refused");
	ok(strstr(err, "0x00") != NULL, "error names the byte: %s", err);
}

/* Limits: SPF_RECORD_MAX bytes, the most terms that fit. */
static void
test_limits(void)
{
	char text[SPF_RECORD_MAX + 2];
	struct spf_record *r;
	size_t len = 6;

	memcpy(text, "v=spf1", 6);
	while (len + 2 <= SPF_RECORD_MAX) {
		memcpy(text + len, " a", 2);
		len += 2;
	}
	r = parse_len(text, len);
	ok(r != NULL && r->n_terms == (SPF_RECORD_MAX - 6) / 2,
	    "a record of %zu bytes with %zu terms parses", len,
	    r ? r->n_terms : 0);
	spf_record_free(&r);
	text[len++] = 'x';
	text[len++] = 'x';
	ok(parse_len(text, len) == NULL, "a longer record is refused");
}

int
main(void)
{
	size_t n_valid = sizeof(valid) / sizeof(valid[0]);
	size_t n_invalid = sizeof(invalid) / sizeof(invalid[0]);

	plan((int)(n_valid + n_invalid) + 30 + 2 + 9);
	for (size_t i = 0; i < n_valid; i++) {
		struct spf_record *r = parse(valid[i]);
		char err[200] = "";

		if (r == NULL)
			spf_record_parse(valid[i], strlen(valid[i]), err,
			    sizeof(err));
		ok(r != NULL, "valid: %s %s", valid[i], err);
		spf_record_free(&r);
	}
	for (size_t i = 0; i < n_invalid; i++) {
		char err[200] = "";
		struct spf_record *r = spf_record_parse(invalid[i],
		    strlen(invalid[i]), err, sizeof(err));

		ok(r == NULL && err[0] != '\0', "invalid (%s)", err);
		spf_record_free(&r);
	}
	test_terms();
	test_limits();
	ok(spf_record_is_spf("v=spf1", 6), "is_spf: bare version");
	ok(spf_record_is_spf("V=SPF1 -all", 11), "is_spf: any case");
	ok(!spf_record_is_spf("v=spf10", 7), "is_spf: v=spf10");
	ok(!spf_record_is_spf("v=spf1mx", 8), "is_spf: joined strings");
	ok(!spf_record_is_spf("v=spf", 5), "is_spf: short");
	ok(!spf_record_is_spf("", 0), "is_spf: empty");
	ok(!spf_record_is_spf(" v=spf1", 7), "is_spf: leading space");
	is_str(spf_mechanism_name(SPF_MECH_EXISTS), "exists", "mechanism name");
	is_str(spf_mechanism_name(SPF_MECH_IP6), "ip6", "mechanism name ip6");
	return done();
}
