/*
 * parts.c - a message's MIME parts, decoded, by way of GMime
 *
 * PUBLIC FUNCTIONS
 *	mime_parts_walk() parses a message with GMime and calls fn once per
 *	non-empty leaf part with its content decoded; see parts.h.
 *
 * WALK
 *	The message is parsed from the caller's bytes without copying them
 *	(the stream wraps the buffer and does not own it) with the most
 *	lenient parser options GMime offers. A message GMime cannot make
 *	anything of gives no calls. Parts are numbered as IMAP numbers them
 *	(RFC 3501 6.4.5): the children of a multipart are N.1, N.2, ...; the
 *	body of a message/rfc822 (or message/news, message/global) part N is
 *	N.1 when it is a single part, and its parts are N.1, N.2, ... when it
 *	is a multipart; the body of a single-part message is "1".
 *
 *	A leaf part's content is decoded from its Content-Transfer-Encoding
 *	(base64, quoted-printable, x-uuencode) with GMime's own decoders; an
 *	encoding GMime does not know ("base64x", "base 64") leaves the content
 *	as it stands, for mime_salvage_walk() to find. When the header is
 *	doubled, GMime takes the last one. A message part GMime leaves as
 *	a leaf -- message/partial (an attacker's "partial" is often the whole
 *	message), message/rfc822 with a base64 or quoted-printable encoding
 *	-- is passed as a leaf, then parsed from its decoded bytes as a
 *	message of its own and walked one level deeper.
 *
 *	Depth: the body of the top-level message is at depth 0; the children
 *	of a multipart and the body of an embedded message are one level
 *	deeper than their container. Nothing deeper than max_depth is
 *	visited. GMime's parser stops nesting on its own at a fixed level
 *	(MAX_LEVEL in gmime-parser.c), whichever comes first.
 *
 *	The description is "part NUMBER TYPE/SUBTYPE", at most
 *	PARTS_WHAT_MAX bytes (a very long number is cut), with bytes outside
 *	printable ASCII replaced by '?', so it is safe to log.
 *
 * CONTRACT
 *	At most max_parts calls; the walk stops early when fn returns false.
 *	Decoded bytes are valid only during the call. No decoded part is
 *	longer than the message (GMime's decoders never expand, and the
 *	length passed is clamped to len besides). Every GObject is released
 *	on every path; the stream wrapping the caller's bytes is gone before
 *	the function returns.
 *
 * SECURITY
 *	The message is untrusted. Recursion is bounded by max_depth (and by
 *	GMime's own nesting limit); the number of calls by max_parts. Memory:
 *	GMime's tree plus one decoded part at a time, except that each
 *	message parsed from a leaf keeps its decoded bytes while it is
 *	walked, so the worst case is about (max_depth + 2) * len. The
 *	parser options are made per call, nothing is shared between calls
 *	except GMime's one-time initialisation (pthread_once), so the walk is
 *	reentrant. g_mime_shutdown() is never called.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mime/parts.h"

#define PARTS_WHAT_MAX 160
#define PARTS_NUMBER_MAX 96

struct parts_walk {
	mime_part_fn fn;
	void *ctx;
	size_t len;        /* of the whole message: no part is longer */
	unsigned max_depth;
	size_t max_parts;
	size_t calls;
	bool stop;
	GMimeParserOptions *options;
};

static void walk_object(struct parts_walk *w, GMimeObject *object,
    const char *number, unsigned depth);

/* GMime's global tables. */
static void
gmime_init_once(void)
{
	g_mime_init();
}

void
mime_gmime_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, gmime_init_once);
}

/* Parser options as lenient as GMime allows. */
static GMimeParserOptions *
lenient_options(void)
{
	GMimeParserOptions *options = g_mime_parser_options_new();

	g_mime_parser_options_set_address_compliance_mode(options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(options, TRUE);
	g_mime_parser_options_set_parameter_compliance_mode(options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode(options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	return options;
}

/* "NUMBER.I" (or "I" at the top) into out, cut to its size. */
static void
child_number(char *out, size_t size, const char *number, int i)
{
	if (number[0] == '\0')
		snprintf(out, size, "%d", i);
	else
		snprintf(out, size, "%s.%d", number, i);
}

/* "part NUMBER TYPE/SUBTYPE", printable ASCII only, into out. */
static void
describe(char *out, size_t size, GMimeObject *object, const char *number)
{
	GMimeContentType *type = g_mime_object_get_content_type(object);
	const char *media = NULL, *sub = NULL;

	if (type != NULL) {
		media = g_mime_content_type_get_media_type(type);
		sub = g_mime_content_type_get_media_subtype(type);
	}
	snprintf(out, size, "part %s %s/%s", number,
	    media != NULL ? media : "?", sub != NULL ? sub : "?");
	for (char *p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p >= 127)
			*p = '?';
}

/* Call fn for one decoded leaf; count it, note a stop. */
static void
emit(struct parts_walk *w, const unsigned char *data, size_t len,
    const char *what)
{
	if (len > w->len)
		len = w->len;
	w->calls++;
	if (!w->fn(data, len, what, w->ctx) || w->calls >= w->max_parts)
		w->stop = true;
}

/* The content of a leaf part decoded from its transfer encoding, in a new
 * memory stream (the caller unrefs it); NULL when it has none. */
static GMimeStream *
decode_content(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *out;

	if (content == NULL)
		return NULL;
	out = g_mime_stream_mem_new();
	/* On a read error the bytes decoded so far are still worth a scan. */
	(void)g_mime_data_wrapper_write_to_stream(content, out);
	return out;
}

/* Parse bytes (not copied: they must outlive the message) as a message;
 * NULL when GMime finds none. The stream is released before returning,
 * the message holds its own references to it. */
static GMimeMessage *
parse_message(const unsigned char *data, size_t len,
    GMimeParserOptions *options, GByteArray **array_r)
{
	GByteArray *array;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *message;

	/* GMime only reads the array: the cast drops const, not a promise.
	 * The stream does not own it, so finalizing it leaves the bytes. */
	array = g_byte_array_new_take((guint8 *)(uintptr_t)data, len);
	stream = g_mime_stream_mem_new_with_byte_array(array);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	message = g_mime_parser_construct_message(parser, options);
	g_object_unref(parser);
	g_object_unref(stream);
	*array_r = array;
	return message;
}

/* Release what parse_message() made, the caller's bytes excepted. */
static void
release_message(GMimeMessage *message, GByteArray *array)
{
	if (message != NULL)
		g_object_unref(message);
	/* Frees the GByteArray itself, never the data it wraps. */
	(void)g_byte_array_free(array, FALSE);
}

/* The parts of a message whose body is at depth. */
static void
walk_message(struct parts_walk *w, GMimeMessage *message,
    const char *number, unsigned depth)
{
	GMimeObject *body = g_mime_message_get_mime_part(message);
	char child[PARTS_NUMBER_MAX];

	if (body == NULL)
		return;
	if (GMIME_IS_MULTIPART(body)) {
		walk_object(w, body, number, depth);
		return;
	}
	child_number(child, sizeof(child), number, 1);
	walk_object(w, body, child, depth);
}

/* A leaf part: decode it and hand it to fn. A message GMime left as a
 * leaf (message/partial, or message/rfc822 with a transfer encoding) is
 * then parsed from the decoded bytes and walked one level deeper. */
static void
walk_leaf(struct parts_walk *w, GMimePart *part, const char *number,
    unsigned depth)
{
	GMimeContentType *type = g_mime_object_get_content_type(
	    GMIME_OBJECT(part));
	GMimeStream *out = decode_content(part);
	GByteArray *bytes, *array;
	GMimeMessage *inner;
	char what[PARTS_WHAT_MAX];

	if (out == NULL)
		return;
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	/* An empty part cannot carry anything: no call. */
	if (bytes->len > 0) {
		describe(what, sizeof(what), GMIME_OBJECT(part), number);
		emit(w, bytes->data, bytes->len, what);
	}
	if (bytes->len > 0 && !w->stop && depth < w->max_depth &&
	    type != NULL && g_mime_content_type_is_type(type, "message", "*")) {
		inner = parse_message(bytes->data, bytes->len, w->options,
		    &array);
		if (inner != NULL)
			walk_message(w, inner, number, depth + 1);
		release_message(inner, array);
	}
	g_object_unref(out);
}

/* Any MIME entity at depth, numbered number. */
static void
walk_object(struct parts_walk *w, GMimeObject *object, const char *number,
    unsigned depth)
{
	char child[PARTS_NUMBER_MAX];

	if (w->stop || depth > w->max_depth)
		return;
	if (GMIME_IS_MULTIPART(object)) {
		GMimeMultipart *multipart = GMIME_MULTIPART(object);
		int count = g_mime_multipart_get_count(multipart);

		for (int i = 0; i < count && !w->stop; i++) {
			child_number(child, sizeof(child), number, i + 1);
			walk_object(w, g_mime_multipart_get_part(multipart, i),
			    child, depth + 1);
		}
	} else if (GMIME_IS_MESSAGE_PART(object)) {
		GMimeMessage *inner = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(object));

		if (inner != NULL)
			walk_message(w, inner, number, depth + 1);
	} else if (GMIME_IS_PART(object)) {
		walk_leaf(w, GMIME_PART(object), number, depth);
	}
}

size_t
mime_parts_walk(const unsigned char *message, size_t len,
    unsigned max_depth, size_t max_parts, mime_part_fn fn, void *ctx)
{
	struct parts_walk w = {
		.fn = fn, .ctx = ctx, .len = len, .max_depth = max_depth,
		.max_parts = max_parts,
	};
	GMimeMessage *parsed;
	GByteArray *array;

	/* GByteArray counts in guint: a message of 4 GiB or more is refused
	 * (the caller's size limits are far below that). */
	if (len == 0 || len > G_MAXUINT || max_parts == 0)
		return 0;
	mime_gmime_init();
	w.options = lenient_options();
	parsed = parse_message(message, len, w.options, &array);
	if (parsed != NULL)
		walk_message(&w, parsed, "", 0);
	release_message(parsed, array);
	g_mime_parser_options_free(w.options);
	return w.calls;
}
