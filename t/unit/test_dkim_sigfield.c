/*
 * test_dkim_sigfield.c - unit tests for dkim/sigfield: tag-lists,
 * DKIM-Signature fields, key records, base64, header field walking
 */
#include "config.h"

#include <string.h>

#include "dkim/sigfield.h"
#include "tap.h"

#define GOOD_SIG "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;\r\n" \
	"\ts=sel; t=1700000000; h=from:to:subject;\r\n" \
	"\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n" \
	"\tb=AbCdEfGhIjKl\r\n\t MnOp"

static void
sig(const char *text, struct dkim_sigfield *sf)
{
	dkim_sigfield_read(text, strlen(text), sf);
}

static void
test_taglist(void)
{
	struct dkim_tag tags[4];
	const char *why;
	size_t n;

	ok(dkim_taglist_split(" a = 1 ; b=two words ;c=", 24, tags, 4, &n,
	    &why) && n == 3, "tag-list with FWS and an empty value");
	ok(tags[1].value_len == 9 && memcmp(tags[1].value, "two words", 9) == 0,
	    "inner FWS kept, outer trimmed");
	ok(tags[2].value_len == 0, "empty value");
	ok(dkim_taglist_split("a=1;", 4, tags, 4, &n, &why) && n == 1,
	    "trailing semicolon");
	ok(dkim_taglist_split("", 0, tags, 4, &n, &why) && n == 0,
	    "empty list");
	ok(!dkim_taglist_split("a=1;a=2", 7, tags, 4, &n, &why) &&
	    strcmp(why, "duplicate tag") == 0, "duplicate tag refused");
	ok(!dkim_taglist_split("a=1;;b=2", 8, tags, 4, &n, &why) && n == 1,
	    "empty tag-spec refused, the tag before kept");
	ok(!dkim_taglist_split("a 1", 3, tags, 4, &n, &why), "no =");
	ok(!dkim_taglist_split("1a=x", 4, tags, 4, &n, &why),
	    "tag name must start with a letter");
	ok(!dkim_taglist_split("a=\x80", 3, tags, 4, &n, &why),
	    "8-bit value refused");
	ok(!dkim_taglist_split("a=1;b=2;c=3;d=4;e=5", 19, tags, 4, &n, &why) &&
	    n == 4 && strcmp(why, "too many tags") == 0, "tag limit");
	ok(!dkim_taglist_split("a=x\0y", 5, tags, 4, &n, &why),
	    "NUL inside refused");
}

static void
test_signature(void)
{
	struct dkim_sigfield sf;

	sig(GOOD_SIG, &sf);
	ok(sf.valid, "good signature: %s", sf.reason);
	is_str(sf.domain, "example.org", "d=");
	is_str(sf.selector, "sel", "s=");
	is_str(sf.b, "AbCdEfGh", "header.b: first 8, FWS removed");
	ok(sf.alg == DKIMA_RSA_SHA256 && sf.has_timestamp &&
	    sf.timestamp == 1700000000, "a= and t=");

	sig("v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; "
	    "b=", &sf);
	ok(!sf.valid && strcmp(sf.reason, "b= is not base64") == 0,
	    "empty b=: %s", sf.reason);
	sig("v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA", &sf);
	is_str(sf.reason, "b= missing", "b= missing");
	is_str(sf.domain, "example.org", "d= read from a malformed field");
	sig("v=2; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; "
	    "b=AAAA", &sf);
	is_str(sf.reason, "unsupported version", "v=2");
	sig("v=1; a=rsa-md5; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA",
	    &sf);
	is_str(sf.reason, "unknown algorithm", "a=rsa-md5");
	sig("v=1; a=ed25519-sha256; d=example.org; s=sel; h=to:subject; "
	    "bh=AAAA; b=AAAA", &sf);
	is_str(sf.reason, "h= does not include From", "h= without From");
	sig("v=1; a=rsa-sha256; d=example.org; s=sel; h=From; bh=AAAA; "
	    "b=AAAA; i=joe@example.com", &sf);
	is_str(sf.reason, "i= is not within d=", "i= elsewhere");
	sig("v=1; a=rsa-sha256; d=example.org; s=sel; h=From; bh=AAAA; "
	    "b=AAAA; i=@mail.example.org", &sf);
	ok(sf.valid, "i= in a subdomain of d=");
	sig("v=1; a=rsa-sha256; d=example.org; s=sel; h=From; bh=AAAA; "
	    "b=AAAA; c=relaxed/fancy", &sf);
	is_str(sf.reason, "unknown canonicalization", "c=relaxed/fancy");
	sig("v=1; a=rsa-sha256; d=example.org; s=sel; h=From; bh=AAAA; "
	    "b=AAAA; t=20; x=10", &sf);
	is_str(sf.reason, "x= is before t=", "x < t");
	sig("v=1; a=rsa-sha256; d=example..org; s=sel; h=From; bh=AAAA; "
	    "b=AAAA", &sf);
	is_str(sf.reason, "d= is not a domain name", "d= with an empty label");
	sig("v=1; a=rsa-sha256; d=example.org; s=sel; h=From; bh=AAAA; "
	    "b=AAAA; q=http", &sf);
	is_str(sf.reason, "unknown query method", "q=http");
	sig("v=1; a=rsa-sha256; d=example.org; s=sel; h=From; bh=AAAA; "
	    "b=AAAA; l=12x", &sf);
	is_str(sf.reason, "l= is not a number", "l=12x");
	sig("v=1; v=1; a=rsa-sha256", &sf);
	ok(!sf.valid && strncmp(sf.reason, "malformed signature", 19) == 0,
	    "duplicate v=: %s", sf.reason);
	sig("garbage", &sf);
	ok(!sf.valid && sf.domain[0] == '\0', "garbage: %s", sf.reason);
}

static void
key(const char *text, struct dkim_keyrecord *kr)
{
	dkim_keyrecord_read(text, strlen(text), kr);
}

static void
test_keyrecord(void)
{
	struct dkim_keyrecord kr;

	key("v=DKIM1; k=rsa; p=AAEC", &kr);
	ok(kr.valid && kr.type == DKIMK_RSA && kr.key_len == 3,
	    "rsa key record");
	key("p=AAEC", &kr);
	ok(kr.valid && kr.type == DKIMK_RSA && kr.allows_sha256 &&
	    kr.allows_sha1, "bare record: k=rsa, every hash");
	key("k=ed25519; p=AA EC", &kr);
	ok(kr.valid && kr.type == DKIMK_ED25519 && kr.key_len == 3,
	    "ed25519, FWS inside p=");
	key("v=DKIM1; k=rsa", &kr);
	is_str(kr.reason, "key record without p=", "no p=");
	key("v=DKIM1; p=", &kr);
	ok(!kr.valid && kr.revoked, "empty p= is revoked");
	key("k=rsa; v=DKIM1; p=AAEC", &kr);
	is_str(kr.reason, "unsupported key version", "v= not first");
	key("v=DKIM1: g=*; k=rsa; p=AAEC", &kr);
	is_str(kr.reason, "unsupported key version", "dkimpy badversion");
	key("v=DKIM1; k=ed25519-sha256; p=AAEC", &kr);
	is_str(kr.reason, "unknown key type (k=)", "dkimpy badk");
	key("v=DKIM1; s=tlsrpt; p=AAEC", &kr);
	is_str(kr.reason, "key not for email (s=)", "s=tlsrpt");
	key("v=DKIM1; s=email:tlsrpt; h=sha1; t=y:s; p=AAEC", &kr);
	ok(kr.valid && kr.testing && kr.same_domain && kr.allows_sha1 &&
	    !kr.allows_sha256, "t=y:s, h=sha1, s=email:tlsrpt");
	key("v=DKIM1; p=AA!C", &kr);
	is_str(kr.reason, "key p= is not base64", "p= not base64");
}

static void
test_base64(void)
{
	unsigned char out[8];
	size_t len;

	ok(dkim_base64_read("TWFu", 4, out, sizeof(out), &len) && len == 3 &&
	    memcmp(out, "Man", 3) == 0, "base64 Man");
	ok(dkim_base64_read("TW E=", 5, out, sizeof(out), &len) && len == 2 &&
	    memcmp(out, "Ma", 2) == 0, "FWS and one pad");
	ok(dkim_base64_read("TQ==", 4, out, sizeof(out), &len) && len == 1,
	    "two pads");
	ok(!dkim_base64_read("TQ", 2, out, sizeof(out), &len),
	    "missing padding refused");
	ok(!dkim_base64_read("T===", 4, out, sizeof(out), &len),
	    "three pads refused");
	ok(!dkim_base64_read("TQ==TQ==", 8, out, sizeof(out), &len),
	    "data after padding refused");
	ok(!dkim_base64_read("TWFuTWFuTWFu", 12, out, sizeof(out), &len),
	    "output bound kept");
}

static void
test_fields(void)
{
	const char *msg = "A: 1\r\nB: 2\r\n\tmore\r\nDKIM-Signature : x\n"
	    "\r\nbody";
	size_t pos = 0, start, len, n = 0;
	char names[4] = { 0 };

	while (dkim_field_next((const unsigned char *)msg, strlen(msg), &pos,
	    &start, &len))
		names[n++] = msg[start];
	ok(n == 3 && strcmp(names, "ABD") == 0, "three fields");
	is_int((long long)dkim_body_start((const unsigned char *)msg,
	    strlen(msg), pos), (long long)strlen(msg) - 4, "body start");
	pos = 0;
	ok(dkim_field_next((const unsigned char *)"A: 1", 4, &pos, &start,
	    &len) && len == 4 && pos == 4, "field without a line end");
	ok(!dkim_field_next((const unsigned char *)"A: 1", 4, &pos, &start,
	    &len), "then the end");
}

int
main(void)
{
	plan(54);
	test_taglist();
	test_signature();
	test_keyrecord();
	test_base64();
	test_fields();
	return done();
}
