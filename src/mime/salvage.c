/*
 * salvage.c - encoded attachments found in raw message bytes, whatever the
 * MIME structure says
 *
 * PUBLIC FUNCTIONS
 *	mime_salvage_walk() looks through a message line by line for blocks
 *	that look like an encoded attachment and calls fn with each, decoded
 *	by GMime's decoders; see parts.h.
 *
 * LINES
 *	A line ends at LF; a CR before the LF and white space at the end are
 *	not part of it. A lone CR is data (a message with CR line ends is one
 *	long line and gives nothing), so is NUL.
 *
 * BASE64
 *	A base64 line starts with a character of the alphabet (so not with
 *	white space, as folded DKIM-Signature b= tags do, nor with "--", as
 *	boundaries do), holds at least B64_LINE_MIN of them and may end in
 *	one or two '='. It is clean when it holds nothing else, dirty when it
 *	holds a little junk: at every point at most 1 + 1/16 of the alphabet
 *	characters before it, which refuses prose and header fields within
 *	their first words. An '=' inside refuses it (GMime stops at padding).
 *	A run is base64 lines with at most B64_GAP_MAX other lines between
 *	two of them (a stray junk line, an empty line), never across a
 *	boundary the message declares ("--" and a boundary= value, in any
 *	case; other "--" lines are junk like any other). A padded line, or
 *	a line shorter than B64_LINE_MIN (which may only follow a base64 line
 *	directly), closes it unless base64 goes on on the very next line:
 *	encodings glued together decode as one, each from its own start. A
 *	run is decoded when it has B64_MIN_CHARS alphabet characters, at
 *	least half its lines clean (long URLs and folded signatures are
 *	dirty), upper case, lower case, digits and a non-hex letter (no
 *	"/////" rules, no hex digests). Only its base64 lines are decoded; the
 *	decoder skips junk bytes. A well-formed base64 part is one run of
 *	exactly its lines: the same bytes as mime_parts_walk() gives.
 *
 * QUOTED-PRINTABLE
 *	Features of a line: escapes "=XX" (hex, either case, as GMime takes
 *	them) and a soft break ('=' last). A run is lines with features,
 *	bridging QP_GAP_MAX lines without (paragraph ends), never a
 *	declared boundary. It is decoded whole when it has QP_MIN_FEATURES features,
 *	QP_MIN_SOFT soft breaks and a feature per QP_BYTES_PER_FEATURE bytes:
 *	encoded binary has one every two or three bytes, while prose with an
 *	odd "width=12" has no soft breaks and text merely wrapped with soft
 *	breaks has one per 76 bytes, too few.
 *
 * UUENCODE
 *	"begin MODE NAME" (1 to 4 octal digits) and the lines after it made
 *	of 0x20..0x60 only (no lower case), up to "end" or the first other
 *	line; the walk goes on after them. Without a begin line, a run of
 *	UU_RUN_MIN lines starting with 'M' (45 bytes each) of 54 to 61 bytes
 *	(trailing spaces get stripped), plus one shorter line. Each line is
 *	decoded at the length its first byte promises, cut or padded.
 *
 * YENC
 *	"=ybegin ... name=...", an optional "=ypart" line, data up to a line
 *	starting "=yend". Without one the data runs to the next "=ybegin"
 *	line or the end, and the walk goes on right after the "=ybegin" line
 *	so an unterminated block hides nothing.
 *
 * CONTRACT
 *	Blocks are described "<kind> block at byte N", N the offset of their
 *	first line; base64 and quoted-printable runs may overlap, so offsets
 *	need not rise. Empty decodings are not passed. At most max_parts
 *	calls; the walk stops early when fn returns false. No decoded block
 *	is longer than the bytes it came from (uudecoding stops short rather
 *	than pad "M" lines into more).
 *
 * SECURITY
 *	The message is untrusted. One pass over the lines; a run is read a
 *	second time only to decode it, and block searches stop at the next
 *	block's start, so the work is linear in len. Memory: one output buffer
 *	of at most a block's size, at a time. No state between calls;
 *	reentrant (GMime's decoders are functions of state kept here).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "core/xalloc.h"
#include "mime/parts.h"

/* Output room beyond the input: a decoder's saved bytes, one more LF. */
#define DECODE_SLACK 16
#define B64_LINE_MIN 16
#define B64_MIN_CHARS 64
#define B64_GAP_MAX 2
#define QP_GAP_MAX 2
#define QP_MIN_FEATURES 8
#define QP_MIN_SOFT 2
#define QP_BYTES_PER_FEATURE 32
#define UU_RUN_MIN 3
#define UU_FULL_LINE 61
/* More than 1 + 4 * 21, the longest line a length byte can promise. */
#define UU_LINE_MAX 96

/* Character classes of the base64 alphabet, OR-ed over a run. */
enum {
	B64_UPPER = 1,
	B64_LOWER = 2,
	B64_DIGIT = 4,
	B64_OTHER = 8,  /* '+' '/' */
	B64_NONHEX = 16 /* not a hex digit (b64_class[] spells these out) */
};

#define BOUNDARIES_MAX 32
#define BOUNDARY_LEN_MAX 200

struct line {
	size_t start; /* first byte */
	size_t end;   /* past the last byte, without CR and trailing space */
	size_t lf;    /* the LF ending it, or the length */
	size_t next;  /* first byte of the next line */
};

/* A boundary the message declares (boundary=...), within msg. */
struct boundary {
	size_t start, len;
};

struct salvage {
	const unsigned char *msg;
	size_t len;
	struct boundary boundaries[BOUNDARIES_MAX];
	size_t n_boundaries;
	size_t max_parts;
	mime_part_fn fn;
	void *ctx;
	size_t calls;
	bool stop;
};

enum b64_kind { B64_NONE, B64_DIRTY, B64_CLEAN };

struct b64_line {
	enum b64_kind kind;
	size_t alpha;   /* characters of the alphabet */
	unsigned mask;  /* B64_* classes seen */
	bool padded;    /* ends in '=' */
};

struct b64_run {
	bool active;
	size_t start, end; /* first byte of its first line, end of its last */
	size_t lines, clean, alpha;
	unsigned mask;
	unsigned gap;      /* other lines since its last base64 line */
	bool closing;      /* its last line was padded or short: one more
	                      base64 line right after continues it */
};

struct qp_run {
	bool active;
	size_t start, end;
	size_t features, soft; /* escapes and soft breaks; soft breaks */
	unsigned gap;
};

struct uu_run {
	size_t start, end;
	size_t lines;
};

/* The line starting at pos (< len). */
static struct line
line_at(const unsigned char *msg, size_t len, size_t pos)
{
	const unsigned char *lf = memchr(msg + pos, '\n', len - pos);
	struct line l = { .start = pos };

	l.lf = lf != NULL ? (size_t)(lf - msg) : len;
	l.next = lf != NULL ? l.lf + 1 : len;
	l.end = l.lf;
	while (l.end > l.start && (msg[l.end - 1] == '\r' ||
	    msg[l.end - 1] == ' ' || msg[l.end - 1] == '\t'))
		l.end--;
	return l;
}

/* Does the line start with the string s? */
static bool
line_starts(const unsigned char *msg, const struct line *l, const char *s)
{
	size_t n = strlen(s);

	return l->end - l->start >= n && memcmp(msg + l->start, s, n) == 0;
}

/* Note every boundary=VALUE (quoted or not) the message declares, up to
 * BOUNDARIES_MAX: one pass over the '=' signs. */
static void
find_boundaries(struct salvage *s)
{
	const unsigned char *p = s->msg, *end = s->msg + s->len;

	while (s->n_boundaries < BOUNDARIES_MAX &&
	    (p = memchr(p, '=', (size_t)(end - p))) != NULL) {
		size_t at = (size_t)(p - s->msg), start, stop;

		p++;
		if (at < 8 || g_ascii_strncasecmp((const char *)s->msg + at - 8,
		    "boundary", 8) != 0)
			continue;
		start = at + 1;
		if (start < s->len && s->msg[start] == '"')
			start++;
		for (stop = start; stop < s->len && stop - start <
		    BOUNDARY_LEN_MAX && s->msg[stop] != '"' &&
		    s->msg[stop] != ';' && s->msg[stop] != '\r' &&
		    s->msg[stop] != '\n'; stop++)
			;
		if (stop > start) {
			s->boundaries[s->n_boundaries].start = start;
			s->boundaries[s->n_boundaries++].len = stop - start;
		}
	}
}

/* Is the line "--" and a declared boundary (in any case, as some mail
 * readers take them)? Other lines starting "--" are junk, which a run
 * may bridge. */
static bool
boundary_line(const struct salvage *s, const struct line *l)
{
	if (!line_starts(s->msg, l, "--"))
		return false;
	for (size_t i = 0; i < s->n_boundaries; i++) {
		const struct boundary *b = &s->boundaries[i];

		if (l->end - l->start >= b->len + 2 &&
		    g_ascii_strncasecmp((const char *)s->msg + l->start + 2,
		    (const char *)s->msg + b->start, b->len) == 0)
			return true;
	}
	return false;
}

/* B64_* classes of each byte, 0 outside the alphabet. */
static const unsigned char b64_class[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, 24,  0,  0,  0, 24,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  0,  0,  0,  0,  0,  0,
	 0,  1,  1,  1,  1,  1,  1, 17, 17, 17, 17, 17, 17, 17, 17, 17,
	17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17,  0,  0,  0,  0,  0,
	 0,  2,  2,  2,  2,  2,  2, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,  0,  0,  0,  0,  0,
	/* 0x80..0xff: 0 */
};

/* Classify a line as base64; gives up as soon as junk is too dense. */
static struct b64_line
b64_classify(const unsigned char *msg, const struct line *l)
{
	struct b64_line c = { .kind = B64_NONE };
	size_t junk = 0, p = l->start, end = l->end;
	unsigned mask = 0, bits;

	if (p == end || b64_class[msg[p]] == 0)
		return c;
	/* One or two '=' of padding at the end. */
	for (int i = 0; i < 2 && end > p && msg[end - 1] == '='; i++) {
		end--;
		c.padded = true;
	}
	for (; p < end; p++) {
		bits = b64_class[msg[p]];
		mask |= bits;
		if (bits != 0)
			continue;
		/* Junk: at most 1 + 1/16 of the alphabet characters so far. */
		if (msg[p] == '=' || junk + 1 > 1 + (p - l->start - junk) / 16)
			return c;
		junk++;
	}
	c.kind = junk == 0 ? B64_CLEAN : B64_DIRTY;
	c.alpha = end - l->start - junk;
	c.mask = mask;
	return c;
}

/* Is a classified line one that may stand inside a run (not the last)? */
static bool
b64_long(const struct b64_line *c)
{
	return c->kind != B64_NONE && c->alpha >= B64_LINE_MIN;
}

/* Hand one decoded block to fn, cut to the bytes it came from. */
static void
emit(struct salvage *s, const unsigned char *data, size_t n, size_t from,
    size_t to, const char *kind)
{
	char what[64];

	if (n == 0 || s->stop)
		return;
	if (n > to - from)
		n = to - from;
	snprintf(what, sizeof(what), "%s block at byte %zu", kind, from);
	s->calls++;
	if (!s->fn(data, n, what, s->ctx) || s->calls >= s->max_parts)
		s->stop = true;
}

/* Is a line inside [.., to) one of the base64 run's lines? The same
 * decision as when the run was built: long base64 lines, and the short
 * one that may end it. */
static bool
b64_in_run(const unsigned char *msg, const struct line *l, size_t to)
{
	struct b64_line c = b64_classify(msg, l);

	return b64_long(&c) || (c.kind == B64_CLEAN && l->next >= to);
}

/* Decode the lines in [from, to) with a GMime decoder and emit them. Each
 * goes without CR and trailing white space (which RFC 2045 6.7 drops and
 * GMime's quoted-printable decoder would keep) and then an LF; base64
 * runs skip the junk lines between their base64 lines. */
static void
decode_lines(struct salvage *s, size_t from, size_t to,
    GMimeContentEncoding encoding, const char *kind)
{
	unsigned char *out = xmalloc(to - from + DECODE_SLACK);
	GMimeEncoding enc;
	size_t n = 0, pos = from;

	g_mime_encoding_init_decode(&enc, encoding);
	while (pos < to) {
		struct line l = line_at(s->msg, s->len, pos);

		if (encoding != GMIME_CONTENT_ENCODING_BASE64 ||
		    b64_in_run(s->msg, &l, to)) {
			n += g_mime_encoding_step(&enc,
			    (const char *)s->msg + l.start, l.end - l.start,
			    (char *)out + n);
			n += g_mime_encoding_step(&enc, "\n", 1, (char *)out + n);
			/* Padding ends one encoding; the next starts afresh. */
			if (encoding == GMIME_CONTENT_ENCODING_BASE64 &&
			    l.end > l.start && s->msg[l.end - 1] == '=') {
				n += g_mime_encoding_flush(&enc, "", 0,
				    (char *)out + n);
				g_mime_encoding_reset(&enc);
			}
		}
		pos = l.next;
	}
	n += g_mime_encoding_flush(&enc, "", 0, (char *)out + n);
	emit(s, out, n, from, to, kind);
	free(out);
}

/* End a base64 run, decoding it if it looks like an encoding. */
static void
b64_flush(struct salvage *s, struct b64_run *r)
{
	unsigned need = B64_UPPER | B64_LOWER | B64_DIGIT | B64_NONHEX;

	if (r->active && r->alpha >= B64_MIN_CHARS &&
	    2 * r->clean >= r->lines && (r->mask & need) == need)
		decode_lines(s, r->start, r->end, GMIME_CONTENT_ENCODING_BASE64,
		    "base64");
	memset(r, 0, sizeof(*r));
}

/* Take one line into the base64 run. */
static void
b64_feed(struct salvage *s, struct b64_run *r, const struct line *l)
{
	struct b64_line c = b64_classify(s->msg, l);
	bool last = c.kind == B64_CLEAN && !b64_long(&c);

	/* After a closing line only base64 goes on: another encoding glued
	 * to the first, which lenient readers decode as one. */
	if (r->closing && !b64_long(&c) && !last)
		b64_flush(s, r);
	/* A short line only ends a run, and only right after it. */
	if (!b64_long(&c) && !(last && r->active && r->gap == 0)) {
		if (r->active && (boundary_line(s, l) ||
		    ++r->gap > B64_GAP_MAX))
			b64_flush(s, r);
		return;
	}
	if (!r->active) {
		r->active = true;
		r->start = l->start;
	}
	r->lines++;
	r->clean += c.kind == B64_CLEAN;
	r->alpha += c.alpha;
	r->mask |= c.mask;
	r->end = l->next;
	r->gap = 0;
	r->closing = c.padded || last;
}

/* Escapes and soft break of a line; *soft_r set when it has the latter. */
static size_t
qp_features(const unsigned char *msg, const struct line *l, bool *soft_r)
{
	const unsigned char *p = msg + l->start, *end = msg + l->end;
	size_t n = 0;

	*soft_r = false;
	while ((p = memchr(p, '=', (size_t)(end - p))) != NULL) {
		if (p + 1 == end) {
			*soft_r = true;
			n++;
			break;
		}
		if (end - p >= 3 && g_ascii_isxdigit(p[1]) &&
		    g_ascii_isxdigit(p[2])) {
			n++;
			p += 3;
		} else {
			p++;
		}
	}
	return n;
}

/* End a quoted-printable run, decoding it if its features are dense. */
static void
qp_flush(struct salvage *s, struct qp_run *r)
{
	if (r->active && r->features >= QP_MIN_FEATURES &&
	    r->soft >= QP_MIN_SOFT &&
	    r->features * QP_BYTES_PER_FEATURE >= r->end - r->start)
		decode_lines(s, r->start, r->end,
		    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE, "quoted-printable");
	memset(r, 0, sizeof(*r));
}

/* Take one line into the quoted-printable run. */
static void
qp_feed(struct salvage *s, struct qp_run *r, const struct line *l)
{
	bool soft;
	size_t n = qp_features(s->msg, l, &soft);

	if (n == 0) {
		if (r->active && (boundary_line(s, l) ||
		    ++r->gap > QP_GAP_MAX))
			qp_flush(s, r);
		return;
	}
	if (!r->active) {
		r->active = true;
		r->start = l->start;
	}
	r->features += n;
	r->soft += soft;
	r->end = l->next;
	r->gap = 0;
}

/* Is the line "begin MODE NAME"? */
static bool
uu_begin_line(const unsigned char *msg, const struct line *l)
{
	size_t p = l->start + 6, digits = 0;

	if (!line_starts(msg, l, "begin "))
		return false;
	while (p < l->end && msg[p] >= '0' && msg[p] <= '7' && digits <= 4) {
		p++;
		digits++;
	}
	if (digits == 0 || digits > 4 || p >= l->end || msg[p] != ' ')
		return false;
	while (p < l->end && msg[p] == ' ')
		p++;
	return p < l->end;
}

/* Are all bytes of a non-empty line uuencode characters? */
static bool
uu_data_line(const unsigned char *msg, const struct line *l)
{
	if (l->end == l->start)
		return false;
	for (size_t p = l->start; p < l->end; p++)
		if (msg[p] < 0x20 || msg[p] > 0x60)
			return false;
	return true;
}

/* Decode the uuencoded lines in [from, to) and emit them. GMime's decoder
 * keeps a partial group across lines and reads a byte past the promised
 * length as the next line's length, so each line is fed at exactly the
 * length its first byte promises: cut, or padded with the spaces that
 * transports strip from line ends. Padding could make more bytes than
 * came in ("M" alone is 45 zero bytes), so decoding stops before the
 * output outgrows the input. */
static void
uu_decode(struct salvage *s, size_t from, size_t to, size_t at)
{
	char spaces[UU_LINE_MAX];
	size_t n = 0, pos = from;
	unsigned char *out = xmalloc(to - from + DECODE_SLACK);
	GMimeEncoding enc;

	memset(spaces, ' ', sizeof(spaces));
	g_mime_encoding_init_decode(&enc, GMIME_CONTENT_ENCODING_UUENCODE);
	while (pos < to) {
		struct line l = line_at(s->msg, s->len, pos);
		size_t have = l.end - l.start;
		size_t groups = ((((s->msg[l.start] - 0x20) & 0x3f) + 2) / 3);
		size_t want = 1 + 4 * groups;

		/* Three bytes out per group at most. */
		if (n + 3 * groups > to - from)
			break;
		if (have > want)
			have = want;
		n += g_mime_encoding_step(&enc, (const char *)s->msg + l.start,
		    have, (char *)out + n);
		n += g_mime_encoding_step(&enc, spaces, want - have,
		    (char *)out + n);
		n += g_mime_encoding_step(&enc, "\n", 1, (char *)out + n);
		pos = l.next;
	}
	emit(s, out, n, at, to, "uuencode");
	free(out);
}

/* A "begin" line and the uuencoded lines after it; returns where the
 * walk goes on (past an "end" line, else past the last data line). */
static size_t
uu_block(struct salvage *s, const struct line *begin)
{
	size_t pos = begin->next, data = begin->next;

	while (pos < s->len) {
		struct line l = line_at(s->msg, s->len, pos);

		if (l.end - l.start == 3 &&
		    memcmp(s->msg + l.start, "end", 3) == 0) {
			uu_decode(s, data, pos, begin->start);
			return l.next;
		}
		if (!uu_data_line(s->msg, &l))
			break;
		pos = l.next;
	}
	uu_decode(s, data, pos, begin->start);
	return pos;
}

/* Is the line a full uuencoded line of 45 bytes (its trailing spaces maybe
 * stripped)? */
static bool
uu_full_line(const unsigned char *msg, const struct line *l)
{
	size_t n = l->end - l->start;

	return n <= UU_FULL_LINE && n > UU_FULL_LINE - 8 &&
	    msg[l->start] == 'M' && uu_data_line(msg, l);
}

/* Take one line into a run of uuencoded lines without a begin line. */
static void
uu_feed(struct salvage *s, struct uu_run *r, const struct line *l)
{
	if (uu_full_line(s->msg, l)) {
		if (r->lines++ == 0)
			r->start = l->start;
		r->end = l->next;
		return;
	}
	if (r->lines >= UU_RUN_MIN) {
		/* The last, shorter line of the encoding. */
		if (uu_data_line(s->msg, l) && s->msg[l->start] < 'M')
			r->end = l->next;
		uu_decode(s, r->start, r->end, r->start);
	}
	r->lines = 0;
}

/* Is the line "=ybegin ... name=..." (the name is mandatory)? */
static bool
yenc_begin_line(const unsigned char *msg, const struct line *l)
{
	static const char name[] = " name=";

	if (!line_starts(msg, l, "=ybegin "))
		return false;
	for (size_t p = l->start + 7; p + sizeof(name) - 1 <= l->end; p++)
		if (memcmp(msg + p, name, sizeof(name) - 1) == 0)
			return true;
	return false;
}

/* Decode yEnc data lines in [from, to), CR dropped, and emit them. */
static void
yenc_decode(struct salvage *s, size_t from, size_t to, size_t at)
{
	unsigned char *out = xmalloc(to - from + DECODE_SLACK);
	guint32 pcrc = GMIME_YENCODE_CRC_INIT, crc = GMIME_YENCODE_CRC_INIT;
	int state = GMIME_YDECODE_STATE_INIT;
	size_t n = 0, pos = from;

	while (pos < to) {
		struct line l = line_at(s->msg, s->len, pos);
		size_t end = l.lf;

		if (end > l.start && s->msg[end - 1] == '\r')
			end--;
		n += g_mime_ydecode_step(s->msg + l.start, end - l.start,
		    out + n, &state, &pcrc, &crc);
		n += g_mime_ydecode_step((const unsigned char *)"\n", 1,
		    out + n, &state, &pcrc, &crc);
		pos = l.next;
	}
	emit(s, out, n, at, to, "yenc");
	free(out);
}

/* A "=ybegin" line, an optional "=ypart" line and the data up to
 * "=yend"; returns where the walk goes on: past "=yend", or right after
 * the "=ybegin" line when there is none, so nothing can hide behind it. */
static size_t
yenc_block(struct salvage *s, const struct line *begin)
{
	size_t pos = begin->next, data;

	if (pos < s->len) {
		struct line l = line_at(s->msg, s->len, pos);

		if (line_starts(s->msg, &l, "=ypart"))
			pos = l.next;
	}
	data = pos;
	/* Stops at the next "=ybegin": the searches never overlap. */
	while (pos < s->len) {
		struct line l = line_at(s->msg, s->len, pos);

		if (line_starts(s->msg, &l, "=yend")) {
			yenc_decode(s, data, pos, begin->start);
			return l.next;
		}
		if (yenc_begin_line(s->msg, &l))
			break;
		pos = l.next;
	}
	yenc_decode(s, data, pos, begin->start);
	return begin->next;
}

size_t
mime_salvage_walk(const unsigned char *message, size_t len,
    size_t max_parts, mime_part_fn fn, void *ctx)
{
	struct salvage s = {
		.msg = message, .len = len, .max_parts = max_parts, .fn = fn,
		.ctx = ctx,
	};
	struct b64_run b64 = { .active = false };
	struct qp_run qp = { .active = false };
	struct uu_run uu = { .lines = 0 };
	size_t pos = 0;

	if (max_parts == 0)
		return 0;
	find_boundaries(&s);
	while (pos < len && !s.stop) {
		struct line l = line_at(message, len, pos);
		bool uu_begin = message[pos] == 'b' &&
		    uu_begin_line(message, &l);
		bool yenc_begin = message[pos] == '=' &&
		    yenc_begin_line(message, &l);

		if (uu_begin || yenc_begin) {
			/* Runs end before the block starts. */
			b64_flush(&s, &b64);
			qp_flush(&s, &qp);
			uu_feed(&s, &uu, &l);
			pos = uu_begin ? uu_block(&s, &l) : yenc_block(&s, &l);
			continue;
		}
		b64_feed(&s, &b64, &l);
		qp_feed(&s, &qp, &l);
		uu_feed(&s, &uu, &l);
		pos = l.next;
	}
	if (!s.stop) {
		struct line none = { .start = len, .end = len, .lf = len,
		    .next = len };

		b64_flush(&s, &b64);
		qp_flush(&s, &qp);
		uu_feed(&s, &uu, &none);
	}
	return s.calls;
}
