/*
 * test_spf_macro.c - unit tests for spf/macro: RFC 7208 section 7.4's
 * examples, %{l1r+} and other transformers, %{i} of IPv6 as dotted
 * nibbles, %{p} through its callback, %{c} against %{i}, URL escaping of
 * upper-case letters, the escapes, the letters allowed where, domain
 * truncation, and explanation text
 */
#include "config.h"

#include <string.h>

#include "dns/name.h"
#include "spf/macro.h"
#include "tap.h"

static struct ip_addr ip4, ip6;

/* The %{p} callback: a fixed name, and a count of calls. */
static int p_calls;
static const char *
validated(void *ctx, const char *domain)
{
	(void)domain;
	p_calls++;
	return ctx;
}

static struct spf_macro_env env = {
	.sender = "strong-bad@email.example.com",
	.local = "strong-bad",
	.sender_domain = "email.example.com",
	.domain = "email.example.com",
	.ip = &ip4,
	.helo = "mx.example.org",
	.receiver = "mx.example.net",
	.now = 1234567890,
	.validated_name = validated,
	.ctx = "mail.example.com",
};

/* Expand s in mode and compare with want (NULL: a syntax error). */
static void
expands(const char *s, enum spf_macro_mode mode, const char *want)
{
	char out[SPF_MACRO_DOMAIN_OUT], name[300];
	bool good = spf_macro_expand(s, strlen(s), mode, &env, out,
	    sizeof(out));
	bool checked = spf_macro_expand(s, strlen(s), mode, NULL, NULL, 0);

	snprintf(name, sizeof(name), "%s%s", s,
	    mode == SPF_MACRO_EXPLAIN ? " (explanation)" : "");
	if (want == NULL) {
		ok(!good && !checked, "syntax error: %s", name);
		return;
	}
	if (!good || !checked) {
		ok(false, "expands: %s", name);
		return;
	}
	is_str(out, want, name);
}

/* RFC 7208 section 7.4, with 192.0.2.3 and strong-bad@email.example.com. */
static void
test_rfc_examples(void)
{
	static const char *const cases[][2] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		  "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net",
		  "example.com.trusted-domains.example.net" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expands(cases[i][0], SPF_MACRO_DOMAIN, cases[i][1]);
	env.ip = &ip6;
	expands("%{ir}.%{v}._spf.%{d2}", SPF_MACRO_DOMAIN,
	    "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2"
	    ".ip6._spf.example.com");
	env.ip = &ip4;
}

/* Transformers, delimiters, letters, escapes. */
static void
test_transformers(void)
{
	env.local = "jack+tag+more";
	expands("%{l1r+}", SPF_MACRO_DOMAIN, "jack");
	expands("%{l2r+}", SPF_MACRO_DOMAIN, "tag.jack");
	expands("%{l+}", SPF_MACRO_DOMAIN, "jack.tag.more");
	expands("%{l1+}", SPF_MACRO_DOMAIN, "more");
	env.local = "foo-bar+zip+quux";
	expands("%{l2r+-}.user.%{d2}", SPF_MACRO_DOMAIN,
	    "bar.foo.user.example.com");
	expands("%{l99r+-}", SPF_MACRO_DOMAIN, "quux.zip.bar.foo");
	expands("%{l123456789r+-}", SPF_MACRO_DOMAIN, "quux.zip.bar.foo");
	env.local = "philip-gladstone-test";
	expands("%{i}.%{l2r-}.user.%{d2}", SPF_MACRO_DOMAIN,
	    "192.0.2.3.gladstone.philip.user.example.com");
	env.local = "a.b";
	expands("%{l1R}", SPF_MACRO_DOMAIN, "a");
	expands("%{l=}", SPF_MACRO_DOMAIN, "a.b");
	env.local = "strong-bad";
	expands("%{h}", SPF_MACRO_DOMAIN, "mx.example.org");
	expands("%{d}.%{h}", SPF_MACRO_DOMAIN, "email.example.com.mx.example.org");
	p_calls = 0;
	expands("%{p}.%{p2}", SPF_MACRO_DOMAIN, "mail.example.com.example.com");
	is_int(p_calls, 2, "%{p} asks the callback each time it is used");
	expands("macro%%percent%_%_space%-url-space.example.com",
	    SPF_MACRO_DOMAIN, "macro%percent  space%20url-space.example.com");
	expands("x%%", SPF_MACRO_DOMAIN, "x%");
}

/* URL escaping, %{c} and %{i}, explanation-only letters. */
static void
test_explanations(void)
{
	env.local = "~jack&jill=up-a_b3.c";
	expands("http://example.com/why.html?l=%{L}", SPF_MACRO_EXPLAIN,
	    "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c");
	expands("%{S}", SPF_MACRO_EXPLAIN, "strong-bad%40email.example.com");
	env.local = "strong-bad";
	expands("%{c} is queried as %{ir}.%{v}.arpa", SPF_MACRO_EXPLAIN,
	    "192.0.2.3 is queried as 3.2.0.192.in-addr.arpa");
	env.ip = &ip6;
	expands("%{c} is queried as %{ir}.%{v}.arpa", SPF_MACRO_EXPLAIN,
	    "2001:db8::cb01 is queried as 1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
	    ".0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6.arpa");
	expands("%{i}", SPF_MACRO_DOMAIN,
	    "2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1");
	expands("%{C}", SPF_MACRO_EXPLAIN, "2001%3Adb8%3A%3Acb01");
	env.ip = &ip4;
	expands("%{r} %{t}", SPF_MACRO_EXPLAIN, "mx.example.net 1234567890");
	expands("This is a test.", SPF_MACRO_EXPLAIN, "This is a test.");
	expands("example.com.", SPF_MACRO_DOMAIN, "example.com");
	expands("connect from %{p}", SPF_MACRO_EXPLAIN,
	    "connect from mail.example.com");
	expands("", SPF_MACRO_EXPLAIN, "");
}

/* What is refused where. */
static void
test_syntax_errors(void)
{
	static const char *const bad[] = {
		"%", "x%", "%a", "%(ir)", "%{", "%{d", "%{d2", "%{}", "%{x}",
		"%{a}", "%{d0}", "%{d2x}", "%{d-x}", "%{dr1}", "%{c}", "%{r}",
		"%{t}", "a b", "a\tb", "\x80", "a\x7f",
	};
	char nul[] = "ab\0cd";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expands(bad[i], SPF_MACRO_DOMAIN, NULL);
	expands("The %{x}-files.", SPF_MACRO_EXPLAIN, NULL);
	expands("\xEF\xBB\xBF" "Explanation", SPF_MACRO_EXPLAIN, NULL);
	expands("%{t}", SPF_MACRO_EXPLAIN, "1234567890");
	ok(!spf_macro_expand(nul, 5, SPF_MACRO_EXPLAIN, NULL, NULL, 0),
	    "NUL byte refused");
	ok(spf_macro_expand("%{c}%{r}%{t}", 12, SPF_MACRO_MODIFIER, NULL,
	    NULL, 0), "every letter in unknown modifiers");
	ok(!spf_macro_expand("a b", 3, SPF_MACRO_MODIFIER, NULL, NULL, 0),
	    "no space in unknown modifiers");
}

/* Long names lose labels from the left (RFC 7208 section 7.3). */
static void
test_truncation(void)
{
	char spec[1200], out[SPF_MACRO_DOMAIN_OUT], tiny[8], full[3000];
	size_t len, cut;

	env.sender_domain = "somewhat.long.exp.example.com";
	expands("foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com",
	    SPF_MACRO_DOMAIN,
	    "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
	    "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
	    "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
	    "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
	    "example.com");
	env.sender_domain = "email.example.com";
	/* Far past the buffer: the window keeps the end. */
	len = 0;
	for (int i = 0; i < 100; i++) {
		memcpy(spec + len, "%{s}.", 5);
		len += 5;
	}
	memcpy(spec + len, "end.example", 12);
	ok(spf_macro_expand(spec, len + 11, SPF_MACRO_DOMAIN, &env, out,
	    sizeof(out)), "a 3 kB expansion");
	/* The same by brute force: the longest suffix of whole labels. */
	len = 0;
	for (int i = 0; i < 100; i++) {
		memcpy(full + len, "strong-bad@email.example.com.", 29);
		len += 29;
	}
	memcpy(full + len, "end.example", 12);
	len += 11;
	for (cut = 1; full[cut - 1] != '.' || len - cut > DNS_NAME_MAX; cut++)
		continue;
	is_str(out, full + cut, "cut to whole labels");
	ok(spf_macro_expand("%{s} %{s}", 9, SPF_MACRO_EXPLAIN, &env, tiny,
	    sizeof(tiny)) && strcmp(tiny, "strong-") == 0,
	    "explanation cut at the buffer: %s", tiny);
	ok(!spf_macro_expand("%{s}", 4, SPF_MACRO_DOMAIN, &env, tiny,
	    sizeof(tiny)), "domain mode needs SPF_MACRO_DOMAIN_OUT bytes");
}

int
main(void)
{
	char dotted[80];

	plan(20 + 17 + 11 + 27 + 4 + 5);
	ip_parse("192.0.2.3", &ip4);
	ip_parse("2001:db8::cb01", &ip6);
	test_rfc_examples();
	test_transformers();
	test_explanations();
	test_syntax_errors();
	test_truncation();
	spf_macro_ip_dotted(&ip4, true, dotted, sizeof(dotted));
	is_str(dotted, "3.2.0.192", "reverse dotted IPv4");
	spf_macro_ip_dotted(&ip4, false, dotted, sizeof(dotted));
	is_str(dotted, "192.0.2.3", "dotted IPv4");
	spf_macro_ip_dotted(&ip6, true, dotted, sizeof(dotted));
	ok(strlen(dotted) == 63 && strncmp(dotted, "1.0.B.C.", 8) == 0,
	    "reverse nibbles IPv6");
	spf_macro_ip_dotted(&ip6, true, dotted, 9);
	is_str(dotted, "1.0.B.C", "nibbles bounded by the buffer");
	spf_macro_ip_dotted(&ip6, false, dotted, 0);
	ok(true, "zero-length buffer left alone");
	return done();
}
