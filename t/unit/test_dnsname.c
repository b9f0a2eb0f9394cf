/*
 * test_dnsname.c - unit tests for dns/name: host name syntax and matching
 */
#include "config.h"

#include <string.h>

#include "dns/name.h"
#include "tap.h"

/* A name of n labels of len characters each, in buf. */
static const char *
labels(char *buf, size_t n, size_t len)
{
	char *p = buf;

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			*p++ = '.';
		memset(p, 'a', len);
		p += len;
	}
	*p = '\0';
	return buf;
}

/* Host name syntax, then domain pattern matching. */
int
main(void)
{
	char buf[600], name[600];

	plan(37);
	ok(dns_name_valid_hostname("mail.example.org"), "ordinary name");
	ok(dns_name_valid_hostname("MAIL.Example.ORG"), "upper case");
	ok(dns_name_valid_hostname("mail.example.org."), "trailing dot");
	ok(dns_name_valid_hostname("a-b.x1.example"), "inner hyphen");
	ok(dns_name_valid_hostname("xn--bcher-kva.example"), "A-label");
	ok(dns_name_valid_hostname("1.2.3.example"), "digit labels, alpha TLD");
	ok(dns_name_valid_hostname("a.b2"), "TLD with a digit");
	ok(!dns_name_valid_hostname("localhost"), "single label refused");
	ok(!dns_name_valid_hostname("localhost."), "single label with dot");
	ok(dns_name_valid_hostname_labels("localhost", 1),
	    "single label allowed when asked");
	ok(!dns_name_valid_hostname_labels("123", 1), "numeric single label");
	ok(!dns_name_valid_hostname("192.0.2.1"), "bare IPv4 is not a name");
	ok(!dns_name_valid_hostname("example.123"), "numeric TLD");
	ok(!dns_name_valid_hostname(""), "empty");
	ok(!dns_name_valid_hostname("."), "root only");
	ok(!dns_name_valid_hostname("a..example"), "empty label");
	ok(!dns_name_valid_hostname(".example.org"), "leading dot");
	ok(!dns_name_valid_hostname("example.org.."), "two trailing dots");
	ok(!dns_name_valid_hostname("-a.example"), "leading hyphen");
	ok(!dns_name_valid_hostname("a-.example"), "trailing hyphen");
	ok(!dns_name_valid_hostname("a_b.example"), "underscore");
	ok(!dns_name_valid_hostname("a b.example"), "space");
	ok(!dns_name_valid_hostname("[192.0.2.1]"), "literal is not a name");
	snprintf(name, sizeof(name), "%s.example", labels(buf, 1, 63));
	ok(dns_name_valid_hostname(name), "63-character label");
	snprintf(name, sizeof(name), "%s.example", labels(buf, 1, 64));
	ok(!dns_name_valid_hostname(name), "64-character label");
	/* 4 x 63 + 3 dots = 255 > 253; 3 x 63 + 61 + 3 dots = 253. */
	labels(name, 4, 63);
	ok(!dns_name_valid_hostname(name), "255 characters refused");
	labels(name, 3, 63);
	strcat(name, ".");
	strcat(name, labels(buf, 1, 61));
	ok(strlen(name) == 253 && dns_name_valid_hostname(name),
	    "253 characters accepted");
	strcat(name, ".");
	ok(dns_name_valid_hostname(name), "253 characters and trailing dot");
	strcat(name, "a");
	ok(!dns_name_valid_hostname(name), "254 characters refused");

	ok(dns_name_matches("example.org", "example.org"), "exact");
	ok(dns_name_matches("Example.ORG.", "example.org"),
	    "case and trailing dot");
	ok(!dns_name_matches("mail.example.org", "example.org"),
	    "plain entry is not a parent");
	ok(dns_name_matches("mail.EXAMPLE.org", ".example.org"),
	    ".domain matches a subdomain");
	ok(dns_name_matches("a.b.example.org", ".example.org"),
	    ".domain matches deeper");
	ok(!dns_name_matches("example.org", ".example.org"),
	    ".domain is not the domain itself");
	ok(!dns_name_matches("badexample.org", ".example.org") &&
	    !dns_name_matches("badexample.org", "example.org"),
	    "label boundary respected");
	ok(!dns_name_matches("", "example.org") && !dns_name_matches("x", "") &&
	    !dns_name_matches("a.b", "."), "empty and root patterns");
	return done();
}
