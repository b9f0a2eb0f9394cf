/*
 * test_mime_parts.c - unit tests for mime/parts and mime/salvage: decoded
 * MIME parts, and encoded blocks found whatever the MIME structure says
 *
 * Each message in t/unit/mime/ hides the same harmless payload (a fake
 * zip header, the marker MXWARD-TEST-PAYLOAD-7f3a, every byte value, the
 * marker again) with one technique seen in malware mail. A walk finds it
 * when some callback gets the payload decoded, byte for byte; the table
 * says which walk must find it with GMime 3.2 -- mime_parts_walk(),
 * mime_salvage_walk() or both -- so a change in either shows up here.
 * yEnc, NUL bytes and very long lines are built in code: the files stay
 * text. Every message is copied into a buffer of exactly its length, so a
 * sanitizer build catches a read past len. Run `test_mime_parts --dump
 * FILE` to see what both walks make of a file.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "mime/parts.h"
#include "slurp.h"
#include "tap.h"

#define MARKER "MXWARD-TEST-PAYLOAD-7f3a"
#define DEPTH 16
#define PARTS 64

enum { BY_PARTS = 1, BY_SALVAGE = 2, BY_BOTH = 3 };

/* What the callbacks of one walk saw. */
struct seen {
	size_t calls;
	size_t found;        /* calls holding the payload */
	char what[160];      /* description of the first of them */
	unsigned char *bytes; /* and a copy of its bytes */
	size_t len;
	size_t longest;      /* longest bytes passed */
	bool bad_what;       /* a NULL, empty or unprintable description */
	size_t stop_after;   /* return false after this many calls; 0: never */
	bool dump;
};

static unsigned char payload[8 + 24 + 1 + 256 + 24];

/* The payload every message hides; its encodings are in the files. */
static void
payload_init(void)
{
	size_t n = 0;

	memcpy(payload, "PK\x03\x04\x14\x00\x00\x00", 8);
	n = 8;
	memcpy(payload + n, MARKER, 24);
	n += 24;
	payload[n++] = 0;
	for (int i = 0; i < 256; i++)
		payload[n++] = (unsigned char)i;
	memcpy(payload + n, MARKER, 24);
}

/* Does data hold the whole payload? */
static bool
holds_payload(const unsigned char *data, size_t len)
{
	for (size_t i = 0; i + sizeof(payload) <= len; i++)
		if (data[i] == payload[0] &&
		    memcmp(data + i, payload, sizeof(payload)) == 0)
			return true;
	return false;
}

/* The mime_part_fn of every test: note what came. */
static bool
record(const unsigned char *data, size_t len, const char *what, void *ctx)
{
	struct seen *s = ctx;

	s->calls++;
	if (what == NULL || what[0] == '\0')
		s->bad_what = true;
	for (const char *p = what; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p >= 127)
			s->bad_what = true;
	if (len > s->longest)
		s->longest = len;
	if (holds_payload(data, len) && s->found++ == 0) {
		snprintf(s->what, sizeof(s->what), "%s", what);
		s->bytes = xmalloc(len + 1);
		memcpy(s->bytes, data, len);
		s->len = len;
	}
	if (s->dump)
		printf("  %s: %zu bytes%s\n", what, len,
		    holds_payload(data, len) ? ", payload" : "");
	return s->stop_after == 0 || s->calls < s->stop_after;
}

static void
seen_free(struct seen *s)
{
	free(s->bytes);
	memset(s, 0, sizeof(*s));
}

/* t/unit/mime/NAME in a buffer of exactly its length; NULL if missing. */
static unsigned char *
load(const char *name, size_t *len_r)
{
	const char *top = getenv("top_srcdir");
	char path[4096], *text;
	unsigned char *exact;

	snprintf(path, sizeof(path), "%s/t/unit/mime/%s", top ? top : ".",
	    name);
	text = slurp(path, len_r);
	if (text == NULL)
		return NULL;
	exact = xmalloc(*len_r > 0 ? *len_r : 1);
	memcpy(exact, text, *len_r);
	free(text);
	return exact;
}

static size_t
walk_parts(const unsigned char *m, size_t len, unsigned depth, size_t max,
    struct seen *s)
{
	return mime_parts_walk(m, len, depth, max, record, s);
}

static size_t
walk_salvage(const unsigned char *m, size_t len, size_t max, struct seen *s)
{
	return mime_salvage_walk(m, len, max, record, s);
}

/* One hiding technique: which walk finds the payload, and as what. */
static const struct mime_case {
	const char *file;
	unsigned found_by;
	const char *part;   /* parts walk description, when it finds it */
	const char *block;  /* salvage description's first word */
} cases[] = {
	{ "01-base64-wellformed.eml", BY_BOTH, "part 2 application/zip",
	    "base64" },
	{ "02-boundary-param-case.eml", BY_BOTH, "part 2 application/zip",
	    "base64" },
	{ "02-boundary-unquoted-case.eml", BY_SALVAGE, NULL, "base64" },
	{ "02-boundary-trailing-junk.eml", BY_SALVAGE, NULL, "base64" },
	{ "02-boundary-no-final.eml", BY_BOTH, "part 2 application/zip",
	    "base64" },
	{ "02-boundary-twice.eml", BY_BOTH, "part 2 application/zip",
	    "base64" },
	{ "02-boundary-twice-last.eml", BY_SALVAGE, NULL, "base64" },
	{ "02-preamble.eml", BY_SALVAGE, NULL, "base64" },
	{ "03-cte-7bit-then-base64.eml", BY_BOTH, "part 2 application/zip",
	    "base64" },
	{ "03-cte-base64-then-7bit.eml", BY_SALVAGE, NULL, "base64" },
	{ "03-cte-folded.eml", BY_BOTH, "part 2 application/zip", "base64" },
	{ "03-cte-base64x.eml", BY_SALVAGE, NULL, "base64" },
	{ "03-cte-base-64.eml", BY_SALVAGE, NULL, "base64" },
	{ "04-base64-invalid-chars.eml", BY_BOTH, "part 2 application/zip",
	    "base64" },
	{ "04-base64-spaces.eml", BY_BOTH, "part 2 application/zip",
	    "base64" },
	{ "04-base64-stray-line.eml", BY_SALVAGE, NULL, "base64" },
	{ "05-rfc822.eml", BY_BOTH, "part 2.2 application/zip", "base64" },
	{ "05-rfc822-nested.eml", BY_BOTH, "part 2.2.2 application/zip",
	    "base64" },
	{ "05-rfc822-base64.eml", BY_PARTS, "part 2.2 application/zip", NULL },
	{ "05-partial.eml", BY_BOTH, "part 1.2 application/zip", "base64" },
	{ "06-qp-attachment.eml", BY_BOTH, "part 2 application/zip",
	    "quoted-printable" },
	{ "06-qp-in-text.eml", BY_SALVAGE, NULL, "quoted-printable" },
	{ "06-uuencode-cte.eml", BY_BOTH, "part 2 application/zip",
	    "uuencode" },
	{ "06-uuencode-in-text.eml", BY_SALVAGE, NULL, "uuencode" },
	{ "06-uuencode-headerless.eml", BY_SALVAGE, NULL, "uuencode" },
};

/* Both walks over one case file. */
static void
test_case(const struct mime_case *c)
{
	struct seen p = { 0 }, s = { 0 };
	unsigned char *m;
	size_t len;

	m = load(c->file, &len);
	if (!ok(m != NULL, "%s: readable", c->file))
		return;
	walk_parts(m, len, DEPTH, PARTS, &p);
	walk_salvage(m, len, PARTS, &s);
	ok((p.found > 0) == ((c->found_by & BY_PARTS) != 0),
	    "%s: parts walk %s the payload", c->file,
	    c->found_by & BY_PARTS ? "finds" : "misses");
	ok((s.found > 0) == ((c->found_by & BY_SALVAGE) != 0),
	    "%s: salvage %s the payload", c->file,
	    c->found_by & BY_SALVAGE ? "finds" : "misses");
	if (c->part != NULL)
		is_str(p.what, c->part, "  ... as the part it is");
	if (s.found > 0)
		ok(strncmp(s.what, c->block, strlen(c->block)) == 0 &&
		    strstr(s.what, " block at byte ") != NULL,
		    "  ... in a %s block (%s)", c->block, s.what);
	ok(!p.bad_what && !s.bad_what, "  ... described in printable ASCII");
	ok(p.longest <= len && s.longest <= len, "  ... nothing longer than "
	    "the message");
	seen_free(&p);
	seen_free(&s);
	free(m);
}

/* A well-formed attachment: both walks give the very same bytes. */
static void
test_identical(void)
{
	struct seen p = { 0 }, s = { 0 };
	size_t len;
	unsigned char *m = load("01-base64-wellformed.eml", &len);

	if (m == NULL)
		return;
	walk_parts(m, len, DEPTH, PARTS, &p);
	walk_salvage(m, len, PARTS, &s);
	ok(p.found == 1 && s.found == 1 && p.len == s.len &&
	    memcmp(p.bytes, s.bytes, p.len) == 0,
	    "well-formed base64: parts walk and salvage decode the same bytes");
	is_int((long long)s.calls, 1, "well-formed: one salvage block, no "
	    "more");
	is_int((long long)p.len, (long long)sizeof(payload) + 2,
	    "well-formed: payload and its CRLF");
	seen_free(&p);
	seen_free(&s);
	free(m);
}

/* Embedded messages count against max_depth. */
static void
test_depth(void)
{
	struct seen s = { 0 };
	size_t len;
	unsigned char *m = load("05-rfc822-nested.eml", &len);

	if (m == NULL)
		return;
	/* multipart 0, message 1, multipart 2, message 3, multipart 4,
	 * the zip at 5. */
	walk_parts(m, len, 5, PARTS, &s);
	ok(s.found == 1, "nested rfc822: found at max_depth 5");
	seen_free(&s);
	walk_parts(m, len, 4, PARTS, &s);
	ok(s.found == 0 && s.calls == 2, "nested rfc822: not beyond max_depth "
	    "4 (%zu calls)", s.calls);
	seen_free(&s);
	walk_parts(m, len, 0, PARTS, &s);
	ok(s.calls == 0, "max_depth 0: only a single-part body would do");
	seen_free(&s);
	free(m);
}

/* yEnc in a text/plain body (8-bit, so built here rather than stored). */
static void
test_yenc(void)
{
	static const char head[] = "From: a@example.org\r\nSubject: yenc\r\n"
	    "Content-Type: text/plain\r\n\r\nSee attached.\r\n"
	    "=ybegin line=128 size=313 name=report.zip\r\n";
	struct seen s = { 0 };
	unsigned char *m = xmalloc(sizeof(head) + 4 * sizeof(payload) + 64);
	size_t n = sizeof(head) - 1, col = 0;

	memcpy(m, head, n);
	for (size_t i = 0; i < sizeof(payload); i++) {
		unsigned char c = (unsigned char)(payload[i] + 42);

		/* Critical bytes are escaped: NUL, LF, CR, '='. */
		if (c == 0 || c == '\n' || c == '\r' || c == '=') {
			m[n++] = '=';
			c = (unsigned char)(c + 64);
		}
		m[n++] = c;
		if (++col == 128) {
			memcpy(m + n, "\r\n", 2);
			n += 2;
			col = 0;
		}
	}
	memcpy(m + n, "\r\n=yend size=313\r\nBye.\r\n", 24);
	n += 24;
	walk_salvage(m, n, PARTS, &s);
	ok(s.found == 1 && strncmp(s.what, "yenc block at byte ", 19) == 0 &&
	    s.len == sizeof(payload), "yEnc: salvage finds it (%s)", s.what);
	seen_free(&s);
	walk_parts(m, n, DEPTH, PARTS, &s);
	ok(s.found == 0, "yEnc: the parts walk does not decode it");
	seen_free(&s);
	free(m);
}

/* Clean text: the parts walk gives the text, salvage nothing at all. */
static void
test_clean(void)
{
	struct seen p = { 0 }, s = { 0 };
	size_t len;
	unsigned char *m = load("07-clean-text.eml", &len);

	if (m == NULL)
		return;
	walk_parts(m, len, DEPTH, PARTS, &p);
	walk_salvage(m, len, PARTS, &s);
	is_int((long long)p.calls, 1, "clean text: one part");
	is_int((long long)s.calls, 0, "clean text (DKIM, digests, URLs, "
	    "a=12): no salvage block");
	seen_free(&p);
	seen_free(&s);
	free(m);
}

/* NUL bytes anywhere, and one line of 1 MiB: bounded, no crash. */
static void
test_hostile(void)
{
	struct seen p = { 0 }, s = { 0 };
	size_t len, n, big = 1024 * 1024;
	unsigned char *m = load("01-base64-wellformed.eml", &len), *line;

	if (m == NULL)
		return;
	for (size_t i = 7; i < len; i += 97)
		m[i] = '\0';
	ok(walk_parts(m, len, DEPTH, PARTS, &p) <= PARTS &&
	    p.longest <= len, "NUL bytes: parts walk bounded");
	ok(walk_salvage(m, len, PARTS, &s) <= PARTS && s.longest <= len,
	    "NUL bytes: salvage bounded");
	seen_free(&p);
	seen_free(&s);
	free(m);

	line = xmalloc(big);
	for (size_t i = 0; i < big; i++)
		line[i] = (unsigned char)"Lorem ipsum dolor sit amet "[i % 27];
	ok(walk_salvage(line, big, PARTS, &s) == 0, "1 MiB line of prose: "
	    "nothing salvaged");
	seen_free(&s);
	ok(walk_parts(line, big, DEPTH, PARTS, &p) <= 1 && p.longest <= big,
	    "1 MiB line of prose: parts walk bounded");
	seen_free(&p);
	for (size_t i = 0; i < big; i++)
		line[i] = (unsigned char)"Zm9vYmFy+/09"[i % 12];
	n = walk_salvage(line, big, PARTS, &s);
	ok(n == 1 && s.longest == big / 4 * 3,
	    "1 MiB line of base64: one block, %zu bytes", s.longest);
	seen_free(&s);
	ok(walk_parts(line, big, DEPTH, PARTS, &p) <= 1 && p.longest <= big,
	    "1 MiB line of base64: parts walk bounded");
	seen_free(&p);
	free(line);

	is_int((long long)walk_parts((const unsigned char *)"", 0, DEPTH,
	    PARTS, &p), 0, "empty message: no part");
	is_int((long long)walk_salvage((const unsigned char *)"", 0, PARTS,
	    &s), 0, "empty message: no block");
}

/* max_parts, and a callback that says stop. */
static void
test_bounds(void)
{
	struct seen s = { 0 };
	size_t len;
	unsigned char *m = load("08-many-parts.eml", &len);

	if (m == NULL)
		return;
	is_int((long long)walk_parts(m, len, DEPTH, PARTS, &s), 10,
	    "ten parts");
	seen_free(&s);
	is_int((long long)walk_salvage(m, len, PARTS, &s), 9,
	    "nine base64 blocks");
	seen_free(&s);
	is_int((long long)walk_parts(m, len, DEPTH, 3, &s), 3,
	    "parts walk stops at max_parts 3");
	ok(s.calls == 3, "  ... after three calls");
	seen_free(&s);
	is_int((long long)walk_salvage(m, len, 3, &s), 3,
	    "salvage stops at max_parts 3");
	ok(s.calls == 3, "  ... after three calls");
	seen_free(&s);
	is_int((long long)walk_parts(m, len, DEPTH, 0, &s), 0,
	    "max_parts 0: no call");
	is_int((long long)walk_salvage(m, len, 0, &s), 0,
	    "max_parts 0: no block");
	s.stop_after = 2;
	ok(walk_parts(m, len, DEPTH, PARTS, &s) == 2 && s.calls == 2,
	    "parts walk stops when fn returns false");
	seen_free(&s);
	s.stop_after = 1;
	ok(walk_salvage(m, len, PARTS, &s) == 1 && s.calls == 1,
	    "salvage stops when fn returns false");
	seen_free(&s);
	free(m);
}

/* --dump FILE: what both walks make of it. */
static int
dump(const char *path)
{
	struct seen s = { .dump = true };
	size_t len;
	char *text = slurp(path, &len);

	if (text == NULL) {
		fprintf(stderr, "%s: cannot read\n", path);
		return 1;
	}
	printf("parts walk:\n");
	walk_parts((unsigned char *)text, len, DEPTH, PARTS, &s);
	seen_free(&s);
	s.dump = true;
	printf("salvage:\n");
	walk_salvage((unsigned char *)text, len, PARTS, &s);
	seen_free(&s);
	free(text);
	return 0;
}

int
main(int argc, char **argv)
{
	payload_init();
	if (argc == 3 && strcmp(argv[1], "--dump") == 0)
		return dump(argv[2]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_case(&cases[i]);
	test_identical();
	test_depth();
	test_yenc();
	test_clean();
	test_hostile();
	test_bounds();
	/* The plan comes last: the cases are counted as run. */
	plan(tap_run);
	return done();
}
