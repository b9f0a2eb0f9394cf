/*
 * test_header.c - unit tests for mime/header: splitting and unfolding
 * fields, authserv-id of Authentication-Results, address domains
 *
 * Every header block is copied into a buffer of exactly its length first,
 * so a sanitizer build catches any read past len. The golden cases in
 * t/unit/header/NAME.in are walked and compared with NAME.ref; run
 * `test_header --dump FILE` to see what a file walks to.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "mime/header.h"
#include "slurp.h"
#include "tap.h"

/* Append s with non-printable bytes shown as \r, \t, \xNN. */
static void
dump_bytes(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\r')
			buf_puts(out, "\\r");
		else if (*p == '\t')
			buf_puts(out, "\\t");
		else if (*p == '\\')
			buf_puts(out, "\\\\");
		else if (*p < 32 || *p >= 127)
			buf_appendf(out, "\\x%02x", *p);
		else
			buf_putc(out, (char)*p);
	}
}

/* Walk a header block to MIME_HEADER_END, one line per step:
 * "FIELD name [value] @pos", "MALFORMED [name] @pos", "TOO_LONG name @pos",
 * "END @pos"; Authentication-Results fields add their authserv-id. */
static char *
walk_from(const char *data, size_t len, size_t pos)
{
	static const char *const status_name[] = {
		[MIME_HEADER_FIELD] = "FIELD",
		[MIME_HEADER_END] = "END",
		[MIME_HEADER_MALFORMED] = "MALFORMED",
		[MIME_HEADER_TOO_LONG] = "TOO_LONG",
	};
	/* Exactly len bytes, so reading past the end is caught. */
	char *copy = xmalloc(len), *text;
	struct buf *out = buf_new();
	struct mime_header_field f;
	enum mime_header_status st;
	char id[256];
	int steps = 0;

	memcpy(copy, data, len);
	do {
		st = mime_header_next(copy, len, &pos, &f);
		buf_puts(out, status_name[st]);
		if (f.name[0] != '\0')
			buf_appendf(out, " %s", f.name);
		if (f.value != NULL) {
			buf_puts(out, " [");
			dump_bytes(out, f.value);
			buf_putc(out, ']');
		}
		buf_appendf(out, " @%zu\n", pos);
		if (f.value != NULL &&
		    strcasecmp(f.name, "Authentication-Results") == 0) {
			if (mime_authres_authserv_id(f.value, strlen(f.value), id,
			    sizeof(id))) {
				buf_puts(out, "  authserv-id [");
				dump_bytes(out, id);
				buf_puts(out, "]\n");
			} else {
				buf_puts(out, "  authserv-id none\n");
			}
		}
		free(f.value);
	} while (st != MIME_HEADER_END && ++steps < 10000);
	free(copy);
	text = buf_steal(out);
	buf_free(&out);
	return text;
}

static char *
walk(const char *data, size_t len)
{
	return walk_from(data, len, 0);
}

/* Compare the walk of a C string literal with the expected steps. */
#define WALK(lit, want, name) walk_is(lit, sizeof(lit) - 1, want, name)

static void
walk_is(const char *data, size_t len, const char *want, const char *name)
{
	char *got = walk(data, len);

	is_str(got, want, name);
	free(got);
}

/* Splitting and unfolding, line endings, the end of the header. */
static void
test_fields(void)
{
	WALK("Subject: hi\r\nFrom: a@b\r\n\r\nbody",
	    "FIELD Subject [hi] @13\nFIELD From [a@b] @24\nEND @26\n",
	    "CRLF fields, END at the first body byte");
	WALK("Subject: hi\nFrom: a@b\n\nbody",
	    "FIELD Subject [hi] @12\nFIELD From [a@b] @22\nEND @23\n",
	    "LF fields");
	WALK("A: 1\r\nB: 2\n\nbody",
	    "FIELD A [1] @6\nFIELD B [2] @11\nEND @12\n", "mixed CRLF and LF");
	WALK("Subject: a\r\n b\r\n\tc\r\n\r\n",
	    "FIELD Subject [a b\\tc] @20\nEND @22\n",
	    "CRLF folding keeps the continuation's white space");
	WALK("Subject: a\n  b\n\tc\n\n",
	    "FIELD Subject [a  b\\tc] @18\nEND @19\n", "LF folding");
	WALK("Subject:\r\n  folded\r\n\r\n",
	    "FIELD Subject [folded] @20\nEND @22\n",
	    "value starting on a continuation line");
	WALK("Subject: x", "FIELD Subject [x] @10\nEND @10\n",
	    "no final newline");
	WALK("Subject: x\r", "FIELD Subject [x] @11\nEND @11\n",
	    "trailing CR at the end of the data removed");
	WALK("A: 1\nB: 2\n", "FIELD A [1] @5\nFIELD B [2] @10\nEND @10\n",
	    "no empty line: END at len");
	WALK("", "END @0\n", "empty input");
	WALK("\r\nbody", "END @2\n", "header empty, CRLF");
	WALK("\nbody", "END @1\n", "header empty, LF");
	WALK("A: 1\n\r", "FIELD A [1] @5\nEND @6\n", "lone CR at the end");
	WALK("X-Empty:\r\n\r\n", "FIELD X-Empty [] @10\nEND @12\n",
	    "empty value");
	WALK("X-Empty:   \n\n", "FIELD X-Empty [] @12\nEND @13\n",
	    "white-space value");
	WALK("A:   x  \n", "FIELD A [x  ] @9\nEND @9\n",
	    "leading white space removed, trailing kept");
	WALK("A: b:c\n", "FIELD A [b:c] @7\nEND @7\n", "colon in the value");
	WALK("Subject  \t: x\n", "FIELD Subject [x] @14\nEND @14\n",
	    "obsolete white space before the colon");
	WALK("A: x\ry\n", "FIELD A [x\\ry] @7\nEND @7\n",
	    "a lone CR inside a line is data");
	WALK("A: 1\n \nB: 2\n",
	    "FIELD A [1 ] @7\nFIELD B [2] @12\nEND @12\n",
	    "white-space continuation line");
	WALK("A: 1\r\n \r\n\r\n", "FIELD A [1 ] @9\nEND @11\n",
	    "white-space continuation line, CRLF");
	WALK("A: 1\n\tx\n", "FIELD A [1\\tx] @8\nEND @8\n",
	    "continuation at the end of the data");
	WALK("A: 1\n ", "FIELD A [1 ] @6\nEND @6\n",
	    "continuation without newline at the end");
	WALK("A:\xc3\xa9t\xc3\xa9\n", "FIELD A [\\xc3\\xa9t\\xc3\\xa9] @8\n"
	    "END @8\n", "8-bit value passed through");
}

/* Lines that are no field, NUL bytes. */
static void
test_malformed(void)
{
	WALK("garbage line\nA: 1\n\n",
	    "MALFORMED @13\nFIELD A [1] @18\nEND @19\n",
	    "line without colon skipped");
	WALK("Bad Name: x\n", "MALFORMED @12\nEND @12\n", "space in a name");
	WALK(" x: y\nA: 1\n", "MALFORMED @6\nFIELD A [1] @11\nEND @11\n",
	    "continuation with no field before it");
	WALK(":x\n", "MALFORMED @3\nEND @3\n", "empty name");
	WALK("From user@example.org Mon Jan  1 00:00:00 2024\nA: 1\n",
	    "MALFORMED @47\nFIELD A [1] @52\nEND @52\n", "mbox From_ line");
	WALK("garbage\n continued\nA: 1\n",
	    "MALFORMED @8\nMALFORMED @19\nFIELD A [1] @24\nEND @24\n",
	    "a malformed line advances one line at a time");
	WALK("nocolon", "MALFORMED @7\nEND @7\n",
	    "no colon and no newline");
	WALK("\rA: 1\n", "MALFORMED @6\nEND @6\n", "CR at the start of a line");
	WALK("A: x\0y\nB: 2\n", "MALFORMED A @7\nFIELD B [2] @12\nEND @12\n",
	    "NUL in a value: malformed, past the field");
	WALK("A: x\n \0y\n\tz\nB: 2\n",
	    "MALFORMED A @12\nFIELD B [2] @17\nEND @17\n",
	    "NUL in a continuation line: past the whole field");
	WALK("A\0: x\nB: 2\n", "MALFORMED @6\nFIELD B [2] @11\nEND @11\n",
	    "NUL in a name");
	WALK("A: x\0", "MALFORMED A @5\nEND @5\n", "NUL as the last byte");
}

/* Name and field length limits. */
static void
test_limits(void)
{
	struct buf *b = buf_new();
	char *got, want[600];

	for (int i = 0; i < 255; i++)
		buf_putc(b, 'n');
	buf_puts(b, ": v\n");
	got = walk(b->data, b->len);
	ok(strncmp(got, "FIELD nnn", 9) == 0 && strstr(got, " [v] @259\n"),
	    "a 255-character name is a field");
	free(got);
	buf_reset(b);
	for (int i = 0; i < 256; i++)
		buf_putc(b, 'n');
	buf_puts(b, ": v\nA: 1\n");
	got = walk(b->data, b->len);
	is_str(got, "MALFORMED @260\nFIELD A [1] @265\nEND @265\n",
	    "a 256-character name is malformed");
	free(got);

	/* "A: " plus filler: exactly MIME_HEADER_MAX raw bytes still fits. */
	buf_reset(b);
	buf_puts(b, "A: ");
	for (int i = 3; i < MIME_HEADER_MAX; i++)
		buf_putc(b, 'x');
	buf_puts(b, "\r\nB: 2\r\n\r\n");
	got = walk(b->data, b->len);
	snprintf(want, sizeof(want), " @%d\nFIELD B [2] @%d\nEND @%d\n",
	    MIME_HEADER_MAX + 2, MIME_HEADER_MAX + 8, MIME_HEADER_MAX + 10);
	ok(strncmp(got, "FIELD A [xxx", 12) == 0 &&
	    strlen(got) == strlen("FIELD A []") + MIME_HEADER_MAX - 3 +
	    strlen(want) && strstr(got, want) != NULL,
	    "a field of exactly MIME_HEADER_MAX bytes is a field");
	free(got);

	buf_reset(b);
	buf_puts(b, "A: ");
	for (int i = 3; i <= MIME_HEADER_MAX; i++)
		buf_putc(b, 'x');
	buf_puts(b, "\r\n");
	got = walk(b->data, b->len);
	snprintf(want, sizeof(want), "TOO_LONG A @%d\nEND @%d\n",
	    MIME_HEADER_MAX + 3, MIME_HEADER_MAX + 3);
	is_str(got, want, "one byte more is too long");
	free(got);

	/* Over the limit, the tail folded over many lines. */
	buf_reset(b);
	buf_puts(b, "Received: x");
	while (b->len <= MIME_HEADER_MAX)
		buf_puts(b, "\r\n\tfrom relay.example.org by mx.example.org");
	buf_puts(b, "\r\nB: 2\r\n\r\nbody");
	got = walk(b->data, b->len);
	snprintf(want, sizeof(want), "TOO_LONG Received @%zu\n"
	    "FIELD B [2] @%zu\nEND @%zu\n", b->len - 12, b->len - 6,
	    b->len - 4);
	is_str(got, want, "an over-long folded field is skipped whole");
	free(got);

	/* Over-long and without any newline. */
	buf_reset(b);
	buf_puts(b, "A: ");
	for (int i = 0; i < 2 * MIME_HEADER_MAX; i++)
		buf_putc(b, 'y');
	got = walk(b->data, b->len);
	snprintf(want, sizeof(want), "TOO_LONG A @%zu\nEND @%zu\n", b->len,
	    b->len);
	is_str(got, want, "over-long to the end of the data");
	free(got);
	buf_free(&b);
}

/* Starting positions and the length bound. */
static void
test_positions(void)
{
	static const char block[] = "A: 1\nB: 2\n\nbody";
	struct mime_header_field f;
	size_t pos = 99;
	char *got;

	got = walk_from(block, sizeof(block) - 1, 5);
	is_str(got, "FIELD B [2] @10\nEND @11\n", "walk from a given position");
	free(got);
	ok(mime_header_next(block, 4, &pos, &f) == MIME_HEADER_END &&
	    pos == 4 && f.value == NULL, "position past len: END at len");
	WALK("A: 123456", "FIELD A [123456] @9\nEND @9\n", "whole value");
	walk_is("A: 123456", 5, "FIELD A [12] @5\nEND @5\n",
	    "len cuts the value: nothing read beyond it");
	walk_is("A: 1\r\n\r\n", 6, "FIELD A [1] @6\nEND @6\n",
	    "len ends right after a CRLF");
}

/* Check one authserv-id extraction. */
static void
authres_is(const char *value, const char *want, const char *name)
{
	char out[64];
	bool found = mime_authres_authserv_id(value, strlen(value), out,
	    sizeof(out));

	if (want == NULL)
		ok(!found && out[0] == '\0', "%s: none", name);
	else
		is_str(found ? out : "(none)", want, name);
}

/* Write depth nested empty comments and then " id;" into out. */
static void
nested(char *out, int depth)
{
	memset(out, '(', (size_t)depth);
	memset(out + depth, ')', (size_t)depth);
	strcpy(out + 2 * depth, " id;");
}

/* RFC 8601 authserv-id: token or quoted-string after optional CFWS. */
static void
test_authres(void)
{
	char out[64], deep[200];

	authres_is("mx.example.org; spf=pass", "mx.example.org", "plain id");
	authres_is("(comment) mx.example.org 1; none", "mx.example.org",
	    "comment before, version after");
	authres_is("\"quoted.id\"; none", "quoted.id", "quoted-string id");
	authres_is("mx.example.org", "mx.example.org", "id alone");
	authres_is(";x", NULL, "no id before ';'");
	authres_is("  ", NULL, "white space only");
	authres_is("", NULL, "empty value");
	authres_is("MX.Example.ORG;none", "MX.Example.ORG", "case preserved");
	authres_is("\t\r\n mx.example.org ; none", "mx.example.org",
	    "folding white space before");
	authres_is("mx.example.org(c); none", "mx.example.org",
	    "comment right after the id");
	authres_is("(a (nested \\) (deeper)) c) mx.example.org; none",
	    "mx.example.org", "nested comments with a quoted-pair");
	authres_is("(unterminated mx.example.org; none", NULL,
	    "unterminated comment");
	authres_is("(a \\", NULL, "quoted-pair at the end of a comment");
	authres_is(") mx.example.org; none", NULL, "stray ')'");
	authres_is("\"q\\\"x\"; none", "q\"x", "quoted-pair in quoted id");
	authres_is("\"a b\"; none", "a b", "space in a quoted id");
	authres_is("\"unterminated; none", NULL, "unterminated quoted id");
	authres_is("\"\"; none", NULL, "empty quoted id");
	authres_is("\"a\"b; none", NULL, "text glued to a quoted id");
	authres_is("\"a\x01\"; none", NULL, "control in a quoted id");
	authres_is("mx@example.org; none", NULL, "tspecial '@' in the token");
	authres_is("mx.example.org\x01; none", NULL, "control after the id");
	authres_is("mx.ex\xc3\xa4mple.org; none", "mx.ex\xc3\xa4mple.org",
	    "UTF-8 id");
	authres_is("mx.example.org 1; dkim=pass header.d=example.org",
	    "mx.example.org", "version and a result");

	ok(mime_authres_authserv_id("mx.example.org; x", 2, out, sizeof(out)) &&
	    strcmp(out, "mx") == 0, "len bounds the value");
	ok(!mime_authres_authserv_id("mx.example.org", 14, out, 14) &&
	    out[0] == '\0', "id one byte too long for out refused");
	ok(mime_authres_authserv_id("mx.example.org", 14, out, 15) &&
	    strcmp(out, "mx.example.org") == 0, "id that just fits");
	ok(!mime_authres_authserv_id("\"mx.example.org\"", 16, out, 14),
	    "quoted id too long for out refused");
	ok(!mime_authres_authserv_id("x", 1, out, 0), "outlen 0 refused");
	ok(!mime_authres_authserv_id("mx\0.org", 7, out, sizeof(out)),
	    "NUL after the id refused");

	/* Comments nest 32 deep, no deeper. */
	nested(deep, 32);
	authres_is(deep, "id", "comments 32 deep");
	nested(deep, 33);
	authres_is(deep, NULL, "comments 33 deep refused");
}

/* The domain after the last '@'. */
static void
test_domain(void)
{
	is_str(mime_address_domain("user@example.org"), "example.org",
	    "local@domain");
	is_str(mime_address_domain("\"a@b\"@example.org"), "example.org",
	    "the last '@' counts");
	is_str(mime_address_domain("@example.org"), "example.org",
	    "empty local part");
	ok(mime_address_domain("user") == NULL, "no '@'");
	ok(mime_address_domain("user@") == NULL, "empty domain");
	ok(mime_address_domain("") == NULL, "empty address");
	ok(mime_address_domain(NULL) == NULL, "NULL address");
}

/* Has name the given suffix? */
static int
is_input(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 3 && strcmp(d->d_name + n - 3, ".in") == 0;
}

/* Golden files: walk each t/unit/header/NAME.in, compare with NAME.ref. */
static void
test_golden(void)
{
	const char *top = getenv("top_srcdir");
	struct dirent **names;
	char dir[2048], path[2048 + 300];
	int n;

	snprintf(dir, sizeof(dir), "%s/t/unit/header", top ? top : ".");
	n = scandir(dir, &names, is_input, alphasort);
	ok(n >= 3, "golden cases found in %s", dir);
	for (int i = 0; i < n; i++) {
		size_t len, reflen;
		char *in, *ref, *got;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		in = slurp(path, &len);
		strcpy(path + strlen(path) - 3, ".ref");
		ref = slurp(path, &reflen);
		got = in != NULL ? walk(in, len) : NULL;
		is_str(got, ref, names[i]->d_name);
		free(in);
		free(ref);
		free(got);
		free(names[i]);
	}
	if (n > 0)
		free(names);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
		size_t len;
		char *in = slurp(argv[2], &len), *got;

		if (in == NULL) {
			perror(argv[2]);
			return 1;
		}
		got = walk(in, len);
		fputs(got, stdout);
		free(got);
		free(in);
		return 0;
	}
	test_fields();
	test_malformed();
	test_limits();
	test_positions();
	test_authres();
	test_domain();
	test_golden();
	/* The plan comes last: the golden cases are counted as found. */
	plan(tap_run);
	return done();
}
