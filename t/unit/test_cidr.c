/*
 * test_cidr.c - unit tests for core/cidr: address parsing and matching
 */
#include "config.h"

#include <sys/socket.h>

#include "core/cidr.h"
#include "tap.h"

/* Does text (a network) contain addr? */
static bool
contains(const char *net, const char *addr)
{
	struct cidr c;
	struct ip_addr a;
	const char *err;

	return cidr_parse(net, &c, &err) && ip_parse(addr, &a) &&
	    cidr_match(&c, &a);
}

int
main(void)
{
	struct ip_addr a;
	struct cidr c;
	const char *err = NULL;
	char text[CIDR_TEXT_MAX];

	plan(20);
	ok(ip_parse("192.0.2.1", &a) && a.family == AF_INET, "IPv4 parses");
	ok(ip_parse("2001:db8::1", &a) && a.family == AF_INET6, "IPv6 parses");
	ok(ip_parse("[192.0.2.1]", &a) && a.family == AF_INET, "bracketed IPv4");
	ok(ip_parse("[IPv6:2001:db8::1]", &a) && a.family == AF_INET6,
	    "milter IPv6 literal");
	ok(ip_parse("::ffff:192.0.2.7", &a) && a.family == AF_INET,
	    "IPv4-mapped becomes IPv4");
	ip_format(&a, text, sizeof(text));
	is_str(text, "192.0.2.7", "mapped address formats as IPv4");
	ok(!ip_parse("192.0.2.256", &a), "octet over 255 refused");
	ok(!ip_parse("", &a), "empty refused");
	ok(!ip_parse("example.org", &a), "name refused");
	ok(contains("192.0.2.0/24", "192.0.2.200"), "IPv4 inside /24");
	ok(!contains("192.0.2.0/24", "192.0.3.1"), "IPv4 outside /24");
	ok(contains("0.0.0.0/0", "203.0.113.9"), "/0 matches all IPv4");
	ok(!contains("0.0.0.0/0", "2001:db8::1"), "/0 IPv4 not IPv6");
	ok(contains("2001:db8::/32", "2001:db8:ffff::1"), "IPv6 inside /32");
	ok(!contains("2001:db8::/33", "2001:db8:8000::1"), "IPv6 outside /33");
	ok(contains("10.1.2.3", "10.1.2.3"), "bare address is a /32");
	ok(contains("::ffff:10.0.0.0/104", "10.9.9.9"), "mapped network /104");
	ok(!cidr_parse("10.0.0.0/33", &c, &err), "IPv4 prefix 33 refused");
	ok(!cidr_parse("10.0.0.0/", &c, &err), "empty prefix refused");
	ok(contains("192.0.2.0/25", "::ffff:192.0.2.5"),
	    "mapped client matches IPv4 network");
	return done();
}
