/*
 * test_policyd_proto.c - unit tests for frontend/policyd_proto: the
 * SMTPD_POLICY_README request, CRLF, any cut of the input, pipelining,
 * every limit and every refusal, end of input, replies
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "frontend/policyd_proto.h"
#include "tap.h"

/* Every attribute SMTPD_POLICY_README shows, as Postfix 3.12 sends them. */
static const char readme_request[] =
    "request=smtpd_access_policy\n"
    "protocol_state=RCPT\n"
    "protocol_name=SMTP\n"
    "helo_name=some.domain.tld\n"
    "queue_id=8045F2AB23\n"
    "sender=foo@bar.tld\n"
    "recipient=bar@foo.tld\n"
    "recipient_count=0\n"
    "client_address=1.2.3.4\n"
    "client_name=another.domain.tld\n"
    "reverse_client_name=another.domain.tld\n"
    "instance=123.456.7\n"
    "sasl_method=plain\n"
    "sasl_username=you\n"
    "sasl_sender=\n"
    "size=12345\n"
    "ccert_subject=solaris9.porcupine.org\n"
    "ccert_issuer=Wietse+20Venema\n"
    "ccert_fingerprint=C2:9D:F4:87:71:73:73:D9:18:E7:C2:F3:C1:DA:6E:04\n"
    "encryption_protocol=TLSv1/SSLv3\n"
    "encryption_cipher=DHE-RSA-AES256-SHA\n"
    "encryption_keysize=256\n"
    "etrn_domain=\n"
    "stress=\n"
    "ccert_pubkey_fingerprint=68:B3:29:DA:98:93:E3:40:99:C7:D8:AD:5C:B9:"
    "C9:40\n"
    "client_port=1234\n"
    "policy_context=submission\n"
    "server_address=10.3.2.1\n"
    "server_port=54321\n"
    "compatibility_level=major.minor.patch\n"
    "mail_version=3.8.0\n"
    "tls_sni=mail.example.com\n"
    "\n";

#define RQ "request=smtpd_access_policy\n"

static struct policyd_parser *parser;
static const struct policyd_limits small = { 32, 4, 100 };

/* Feed len bytes of text to a new parser, chunk bytes at a time (0: all
 * at once); the first REQUEST or ERROR, else what eof says. */
static enum policyd_status
run_len(const char *text, size_t len, const struct policyd_limits *limits,
    size_t chunk)
{
	enum policyd_status st = POLICYD_NEED_MORE;
	size_t off = 0;

	policyd_parser_free(&parser);
	parser = policyd_parser_new(limits);
	if (chunk == 0)
		chunk = len;
	while (off < len && st == POLICYD_NEED_MORE) {
		size_t n = len - off < chunk ? len - off : chunk;

		st = policyd_parser_feed(parser, text + off, n);
		off += n;
	}
	return st == POLICYD_NEED_MORE ? policyd_parser_eof(parser) : st;
}

static enum policyd_status
run(const char *text, const struct policyd_limits *limits)
{
	return run_len(text, strlen(text), limits, 0);
}

/* The input is refused with this reason. */
static void
refused(const char *text, const struct policyd_limits *limits,
    const char *why, const char *name)
{
	enum policyd_status st = run(text, limits);

	if (!ok(st == POLICYD_ERROR &&
	    strcmp(policyd_parser_error(parser), why) == 0, "%s", name))
		printf("#   status %d, error '%s'\n", st,
		    policyd_parser_error(parser));
}

/* The input is one request; returns it (owned by the parser). */
static const struct policyd_request *
accepted(const char *text, const struct policyd_limits *limits,
    const char *name)
{
	enum policyd_status st = run(text, limits);

	if (!ok(st == POLICYD_REQUEST, "%s", name))
		printf("#   status %d, error '%s'\n", st,
		    policyd_parser_error(parser));
	return policyd_parser_request(parser);
}

/* The README request's fields, read back. */
static void
check_readme(const struct policyd_request *r, const char *how)
{
	bool same = r != NULL &&
	    strcmp(r->request, "smtpd_access_policy") == 0 &&
	    r->state == POLICYD_STATE_RCPT &&
	    strcmp(r->protocol_state, "RCPT") == 0 &&
	    strcmp(r->protocol_name, "SMTP") == 0 &&
	    strcmp(r->helo_name, "some.domain.tld") == 0 &&
	    strcmp(r->queue_id, "8045F2AB23") == 0 &&
	    strcmp(r->sender, "foo@bar.tld") == 0 &&
	    strcmp(r->recipient, "bar@foo.tld") == 0 &&
	    r->recipient_count == 0 &&
	    strcmp(r->client_address, "1.2.3.4") == 0 &&
	    strcmp(r->client_name, "another.domain.tld") == 0 &&
	    strcmp(r->reverse_client_name, "another.domain.tld") == 0 &&
	    strcmp(r->instance, "123.456.7") == 0 &&
	    strcmp(r->sasl_method, "plain") == 0 &&
	    strcmp(r->sasl_username, "you") == 0 &&
	    strcmp(r->sasl_sender, "") == 0 && r->size == 12345 &&
	    strcmp(r->ccert_issuer, "Wietse+20Venema") == 0 &&
	    strcmp(r->encryption_keysize, "256") == 0 &&
	    strcmp(r->etrn_domain, "") == 0 && !r->stress &&
	    strcmp(r->client_port, "1234") == 0 &&
	    strcmp(r->policy_context, "submission") == 0 &&
	    strcmp(r->server_address, "10.3.2.1") == 0 &&
	    strcmp(r->server_port, "54321") == 0 &&
	    strcmp(r->mail_version, "3.8.0") == 0 &&
	    strcmp(r->tls_sni, "mail.example.com") == 0 && r->attrs == 32;

	ok(same, "README request read back (%s)", how);
}

/* The README request with every LF made CRLF. */
static char *
crlf(const char *text)
{
	struct buf *b = buf_new();
	char *s;

	for (; *text != '\0'; text++) {
		if (*text == '\n')
			buf_putc(b, '\r');
		buf_putc(b, *text);
	}
	s = buf_steal(b);
	buf_free(&b);
	return s;
}

static void
test_readme(void)
{
	char *text = crlf(readme_request);
	size_t len = strlen(readme_request);

	check_readme(accepted(readme_request, NULL, "README request"),
	    "LF");
	is_int(policyd_parser_eof(parser), POLICYD_END, "then a clean end");
	check_readme(accepted(text, NULL, "README request, CRLF"), "CRLF");
	free(text);
	/* Byte by byte: nothing before the last byte, then the request. */
	policyd_parser_free(&parser);
	parser = policyd_parser_new(NULL);
	for (size_t i = 0; i + 1 < len; i++)
		if (policyd_parser_feed(parser, readme_request + i, 1) !=
		    POLICYD_NEED_MORE)
			break;
	is_int(policyd_parser_feed(parser, readme_request + len - 1, 1),
	    POLICYD_REQUEST, "byte by byte: request on the last byte");
	check_readme(policyd_parser_request(parser), "byte by byte");
	is_int(run_len(readme_request, len, NULL, 7), POLICYD_REQUEST,
	    "7-byte pieces");
	check_readme(policyd_parser_request(parser), "7-byte pieces");
}

static void
test_pipelining(void)
{
	const char two[] = RQ "recipient=a@x\n\n" RQ "recipient=b@x\r\n\r\n"
	    RQ "recip";
	struct policyd_request *first;

	policyd_parser_free(&parser);
	parser = policyd_parser_new(NULL);
	is_int(policyd_parser_feed(parser, two, strlen(two)), POLICYD_REQUEST,
	    "pipelined: first request");
	first = policyd_parser_take(parser);
	ok(policyd_parser_request(parser) == NULL, "taken: parser holds none");
	is_int(policyd_parser_feed(parser, NULL, 0), POLICYD_REQUEST,
	    "pipelined: second request from buffered bytes");
	is_str(first->recipient, "a@x", "taken request outlives the next");
	is_str(policyd_parser_request(parser)->recipient, "b@x",
	    "second recipient");
	policyd_request_free(&first);
	ok(first == NULL, "policyd_request_free clears the pointer");
	is_int(policyd_parser_feed(parser, NULL, 0), POLICYD_NEED_MORE,
	    "pipelined: third is partial");
	is_int(policyd_parser_feed(parser, "ient=c@x\n\n", 10),
	    POLICYD_REQUEST, "third completed by the next feed");
	is_str(policyd_parser_request(parser)->recipient, "c@x",
	    "third recipient");
	is_int(policyd_parser_eof(parser), POLICYD_END, "then a clean end");
	/* Complete requests still buffered at the end come out of eof. */
	policyd_parser_free(&parser);
	parser = policyd_parser_new(NULL);
	is_int(policyd_parser_feed(parser, two, 88), POLICYD_REQUEST,
	    "first of two");
	is_int(policyd_parser_eof(parser), POLICYD_REQUEST,
	    "eof: buffered request");
	is_int(policyd_parser_eof(parser), POLICYD_END, "eof again: end");
}

static void
test_end_of_input(void)
{
	is_int(run("", NULL), POLICYD_END, "no input: clean end");
	refused(RQ "sender=", NULL, "truncated request", "cut in a line");
	refused(RQ, NULL, "truncated request", "cut before the empty line");
	refused("\r", NULL, "truncated request", "a lone CR");
	is_int(policyd_parser_eof(parser), POLICYD_ERROR, "errors stick");
	is_int(policyd_parser_feed(parser, "\n", 1), POLICYD_ERROR,
	    "errors stick on feed");
}

static void
test_attributes(void)
{
	const struct policyd_request *r;

	r = accepted("x_new_in_2030=1\n" RQ "other=a=b\nsender=\n\n", NULL,
	    "unknown attributes ignored");
	ok(r != NULL && r->attrs == 4 && strcmp(r->sender, "") == 0 &&
	    r->recipient == NULL, "counted; absent is NULL, empty is \"\"");
	r = accepted(RQ "protocol_state=END-OF-MESSAGE\nstress=yes\n\n", NULL,
	    "state and stress");
	ok(r != NULL && r->state == POLICYD_STATE_END_OF_MESSAGE && r->stress,
	    "END-OF-MESSAGE, stress=yes");
	r = accepted(RQ "protocol_state=BDAT\n\n", NULL, "unlisted state");
	ok(r != NULL && r->state == POLICYD_STATE_UNKNOWN &&
	    strcmp(r->protocol_state, "BDAT") == 0, "unknown, kept as sent");
	r = accepted(RQ "\n", NULL, "no protocol_state");
	ok(r != NULL && r->state == POLICYD_STATE_UNKNOWN &&
	    r->protocol_state == NULL, "unknown, NULL");
	is_str(policyd_state_name(POLICYD_STATE_CONNECT), "CONNECT",
	    "state name");
	is_str(policyd_state_name(POLICYD_STATE_UNKNOWN), "unknown",
	    "unknown state name");
	accepted(RQ "foo=1\nfoo=2\n\n", NULL, "unknown attribute repeated");
	refused(RQ "sender=a\nsender=b\n\n", NULL, "attribute sender repeated",
	    "known attribute repeated");
	refused(RQ RQ "\n", NULL, "attribute request repeated",
	    "request repeated");
	refused(RQ "stress=no\n\n", NULL, "stress is neither yes nor empty",
	    "stress=no");
}

static void
test_request_type(void)
{
	refused("request=junk\n\n", NULL,
	    "request type is not smtpd_access_policy", "request=junk");
	refused("request=\n\n", NULL,
	    "request type is not smtpd_access_policy", "request= empty");
	refused("sender=a\n\n", NULL,
	    "request without request=smtpd_access_policy", "no request=");
	refused("\n", NULL, "request without request=smtpd_access_policy",
	    "an empty line alone");
}

static void
test_syntax(void)
{
	static const char nul[] = RQ "sender=a\0b\n\n";

	refused(RQ "sender\n\n", NULL, "line without '='", "missing '='");
	refused(RQ "=x\n\n", NULL, "empty attribute name", "empty name");
	refused(RQ "Sender=x\n\n", NULL, "attribute name not [a-z0-9_]",
	    "uppercase name");
	refused(RQ "send er=x\n\n", NULL, "attribute name not [a-z0-9_]",
	    "space in name");
	refused(RQ "sender=a\rb\n\n", NULL, "CR not followed by LF",
	    "CR inside a value");
	refused(RQ "sender=a\r\r\n\n", NULL, "CR not followed by LF",
	    "CR CR LF");
	is_int(run_len(nul, sizeof(nul) - 1, NULL, 0), POLICYD_ERROR,
	    "NUL in a value");
	is_str(policyd_parser_error(parser), "NUL byte in request",
	    "NUL reason");
	is_int(run_len(nul, sizeof(nul) - 1, NULL, 1), POLICYD_ERROR,
	    "NUL in a value, byte by byte");
}

static void
test_numbers(void)
{
	const struct policyd_request *r;

	r = accepted(RQ "recipient_count=\nsize=\n\n", NULL, "empty numbers");
	ok(r != NULL && r->recipient_count == 0 && r->size == 0, "are 0");
	r = accepted(RQ "recipient_count=1000000000\n"
	    "size=9223372036854775807\n\n", NULL, "numbers at their bounds");
	ok(r != NULL && r->recipient_count == 1000000000u &&
	    r->size == UINT64_C(9223372036854775807), "read back");
	r = accepted(RQ "recipient_count=007\n\n", NULL, "leading zeros");
	ok(r != NULL && r->recipient_count == 7, "007 is 7");
	refused(RQ "recipient_count=1000000001\n\n", NULL,
	    "recipient_count is not a number in range", "count over bound");
	refused(RQ "recipient_count=99999999999999999999999\n\n", NULL,
	    "recipient_count is not a number in range", "count overflow");
	refused(RQ "recipient_count=-1\n\n", NULL,
	    "recipient_count is not a number in range", "negative count");
	refused(RQ "recipient_count=1x\n\n", NULL,
	    "recipient_count is not a number in range", "count garbage");
	refused(RQ "recipient_count= 1\n\n", NULL,
	    "recipient_count is not a number in range", "count with space");
	refused(RQ "size=9223372036854775808\n\n", NULL,
	    "size is not a number in range", "size over bound");
}

static void
test_limits(void)
{
	/* small: 32-byte lines, 4 attributes, 100-byte requests. */
	const char line40[] = RQ "sender=1234567890123456789012345xxxxxxxx\n\n";

	accepted(RQ "sender=1234567890123456789012345\n\n", &small, "line of line_max bytes");
	accepted(RQ "sender=1234567890123456789012345\r\n\r\n", &small,
	    "line of line_max bytes and CRLF");
	refused(RQ "sender=1234567890123456789012345x\n\n", &small, "line longer than 32 bytes",
	    "line too long");
	refused(RQ "sender=1234567890123456789012345x\r\n\n", &small, "line longer than 32 bytes",
	    "line too long, CRLF");
	/* line_max + CR + LF bytes without an LF: no need to wait. */
	is_int(run_len(line40, 28 + 34, &small, 1), POLICYD_ERROR,
	    "line too long seen before its LF");
	accepted(RQ "a=1\nb=2\nc=3\n\n", &small, "attrs_max attributes");
	refused(RQ "a=1\nb=2\nc=3\nd=4\n\n", &small, "more than 4 attributes",
	    "one attribute too many (unknown ones count)");
	/* 28 + 3 * 22 + 1 = 95 bytes, then 28 + 3 * 23 + 1 = 98 + 3. */
	accepted(RQ "aaaaaaaaaaaaaaaaaaa=1\nbbbbbbbbbbbbbbbbbbb=2\n"
	    "ccccccccccccccccccc=3\n\n", &small, "request under request_max");
	refused(RQ "aaaaaaaaaaaaaaaaaaaaaa=1\nbbbbbbbbbbbbbbbbbbbbbb=2\n"
	    "cccccccccccccccccccccc=3\n\n", &small,
	    "request longer than 100 bytes", "request too long");
	{
		struct policyd_limits none = { 0, 0, 0 };
		char big[3000];

		memset(big, 'a', sizeof(big));
		memcpy(big, "x=", 2);
		is_int(run_len(big, sizeof(big), &none, 100), POLICYD_ERROR,
		    "0 limits are the defaults");
		is_str(policyd_parser_error(parser),
		    "line longer than 2048 bytes", "default line_max");
	}
}

static void
test_replies(void)
{
	struct buf *b = buf_new();
	char long_action[POLICYD_ACTION_MAX + 1];

	ok(policyd_reply_format(b, "DUNNO", 5), "DUNNO");
	is_str(b->data, "action=DUNNO\n\n", "action=DUNNO and empty line");
	buf_reset(b);
	ok(policyd_reply_format(b, "PREPEND X-Mxward: yes", 21), "PREPEND");
	is_str(b->data, "action=PREPEND X-Mxward: yes\n\n", "PREPEND text");
	buf_reset(b);
	ok(!policyd_reply_format(b, "REJECT a\nb", 10), "LF refused");
	ok(!policyd_reply_format(b, "REJECT a\rb", 10), "CR refused");
	ok(!policyd_reply_format(b, "REJECT a\0b", 10), "NUL refused");
	ok(!policyd_reply_format(b, "", 0), "empty refused");
	memset(long_action, 'a', sizeof(long_action));
	ok(!policyd_reply_format(b, long_action, sizeof(long_action)),
	    "longer than POLICYD_ACTION_MAX refused");
	is_int((long long)b->len, 0, "nothing appended when refused");
	ok(policyd_reply_format(b, long_action, POLICYD_ACTION_MAX),
	    "POLICYD_ACTION_MAX accepted");
	buf_reset(b);
	ok(policyd_reply_smtp(b, "550", "5.7.1", "go away"), "smtp reply");
	is_str(b->data, "550 5.7.1 go away", "550 5.7.1 text");
	buf_reset(b);
	ok(policyd_reply_smtp(b, "451", NULL, "later"), "without xcode");
	is_str(b->data, "451 later", "451 text");
	buf_reset(b);
	ok(!policyd_reply_smtp(b, "550", "4.7.1", "x"), "class mismatch");
	ok(!policyd_reply_smtp(b, "550", "5.7.1234", "x"), "xcode too long");
	ok(!policyd_reply_smtp(b, "550", "5.7", "x"), "xcode short");
	ok(!policyd_reply_smtp(b, "250", "2.0.0", "x"), "not 4xx/5xx");
	ok(!policyd_reply_smtp(b, "5500", NULL, "x"), "four digits");
	ok(!policyd_reply_smtp(b, "550", NULL, "a\r\nb"), "CRLF in text");
	is_int((long long)b->len, 0, "nothing appended when refused");
	buf_free(&b);
}

int
main(void)
{
	test_readme();
	test_pipelining();
	test_end_of_input();
	test_attributes();
	test_request_type();
	test_syntax();
	test_numbers();
	test_limits();
	test_replies();
	policyd_parser_free(&parser);
	plan(tap_run);
	return done();
}
