/*
 * test_ratelimit_key.c - unit tests for rate spelling and limit keys
 *
 * rl_rate_parse(): the spellings rate.h lists, the exact period in
 * nanoseconds, and every refusal. rl_key_build(): each part, the order,
 * lowercasing, the null sender, networks, and parts a transaction lacks.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "core/cidr.h"
#include "ratelimit/key.h"
#include "ratelimit/rate.h"
#include "tap.h"

#define HOUR_NS (3600ULL * RL_NS_PER_SEC)

/* Parse text and compare count and period with what is expected. */
static void
rate_is(const char *text, uint64_t count, uint64_t period_ns)
{
	struct rl_limit l = { .burst = 7 };
	char err[200] = "";
	bool good = rl_rate_parse(text, &l, err, sizeof(err));

	ok(good && l.count == count && l.period_ns == period_ns &&
	    l.burst == 7, "rate '%s' is %llu per %llu ns%s%s", text,
	    (unsigned long long)count, (unsigned long long)period_ns,
	    good ? "" : ": ", err);
}

/* text must be refused with a reason. */
static void
rate_bad(const char *text)
{
	struct rl_limit l = { 0 };
	char err[200] = "";

	ok(!rl_rate_parse(text, &l, err, sizeof(err)) && err[0] != '\0',
	    "rate '%s' refused: %s", text, err);
}

static void
test_rates(void)
{
	rate_is("500 per 1h", 500, HOUR_NS);
	rate_is("500 per hour", 500, HOUR_NS);
	rate_is("20/m", 20, 60 * RL_NS_PER_SEC);
	rate_is("  3 /  10 Seconds ", 3, 10 * RL_NS_PER_SEC);
	rate_is("1000 per day", 1000, 24 * HOUR_NS);
	rate_is("1 per 2w", 1, 14 * 24 * HOUR_NS);
	rate_is("7 PER 30 MIN", 7, 30 * 60 * RL_NS_PER_SEC);
	rate_is("1000000 per 1s", 1000000, RL_NS_PER_SEC);
	rate_bad("");
	rate_bad("per 1h");
	rate_bad("0 per 1h");
	rate_bad("500 1h");
	rate_bad("500 per");
	rate_bad("500 per 0h");
	rate_bad("500 per 1 fortnight");
	rate_bad("500 per 1h extra");
	rate_bad("500 per 367d");
	rate_bad("-5 per 1h");
	rate_bad("9999999999999 per 1h");
	rate_bad("2000000000 per 1s");
}

/* The key of parts (names, comma separated) for facts, or "-" if none. */
static void
key_is(const char *name, const int *parts, size_t n,
    const struct rl_key_facts *f, const char *want, const char *what)
{
	char key[128];

	if (!rl_key_build(name, parts, n, f, key, sizeof(key)))
		strcpy(key, "-");
	is_str(key, want, what);
}

static void
test_keys(void)
{
	struct ip_addr v4, v6;
	struct rl_key_facts f = {
		.client_ip = &v4, .ipv4_prefix = 24, .ipv6_prefix = 64,
		.helo = "Mail.Example.NET", .sender = "Bob@Example.ORG",
		.sasl_login = "bob", .recipient = "Carol@Example.COM",
	};
	const int addr[] = { RL_PART_CLIENT_ADDRESS };
	const int net_dom[] = { RL_PART_CLIENT_NETWORK,
	    RL_PART_SENDER_DOMAIN };
	const int rcpt[] = { RL_PART_SASL_LOGIN, RL_PART_RECIPIENT,
	    RL_PART_RECIPIENT_DOMAIN };
	const int helo_sender[] = { RL_PART_HELO, RL_PART_SENDER };
	char key[32];

	ip_parse("192.0.2.77", &v4);
	ip_parse("2001:db8:1:2:3:4:5:6", &v6);
	key_is("per_ip", addr, 1, &f, "per_ip:client_address=192.0.2.77",
	    "client_address");
	key_is("Net", net_dom, 2, &f,
	    "Net:client_network=192.0.2.0/24:sender_domain=example.org",
	    "client_network /24 and sender_domain, name kept as written");
	f.client_ip = &v6;
	key_is("n", net_dom, 1, &f, "n:client_network=2001:db8:1:2::/64",
	    "an IPv6 client as its /64");
	f.ipv6_prefix = 200;
	key_is("n", net_dom, 1, &f,
	    "n:client_network=2001:db8:1:2:3:4:5:6/128",
	    "a prefix beyond the family's bits is the whole address");
	key_is("r", rcpt, 3, &f, "r:sasl_login=bob:recipient=carol@example.com"
	    ":recipient_domain=example.com", "login, recipient and its domain");
	key_is("hs", helo_sender, 2, &f,
	    "hs:helo=mail.example.net:sender=bob@example.org",
	    "helo and sender lowercased, in the order given");
	f.sender = "";
	key_is("s", net_dom + 1, 1, &f, "s:sender_domain=<>",
	    "the null sender's domain is <>");
	key_is("hs", helo_sender, 2, &f, "hs:helo=mail.example.net:sender=<>",
	    "the null sender is <>");
	f.sender = "postmaster";
	key_is("s", net_dom + 1, 1, &f, "s:sender_domain=",
	    "an address without @ has the domain \"\"");
	f.helo = "a\tb\x01";
	key_is("h", helo_sender, 1, &f, "h:helo=a?b?",
	    "control characters become ?");
	f.sasl_login = NULL;
	key_is("r", rcpt, 3, &f, "-", "no login: the limit does not apply");
	f.client_ip = NULL;
	key_is("a", addr, 1, &f, "-", "no client address: does not apply");
	f.recipient = NULL;
	key_is("r", rcpt + 1, 1, &f, "-", "no recipient: does not apply");
	f.helo = "a-very-long-helo-name.example";
	ok(rl_key_build("h", helo_sender, 1, &f, key, sizeof(key)) &&
	    strcmp(key, "h:helo=a-very-long-helo-name.ex") == 0,
	    "a key longer than the buffer is cut, NUL-terminated");
}

int
main(void)
{
	plan(34);
	test_rates();
	test_keys();
	return 0;
}
