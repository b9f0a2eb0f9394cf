/*
 * header.c - RFC 5322 header fields and the pieces mxward reads from them
 *
 * PUBLIC FUNCTIONS
 *	mime_header_next() returns the next field of a raw header block;
 *	mime_header_unfold() unfolds a raw value;
 *	mime_authres_authserv_id() finds the authserv-id of an
 *	Authentication-Results value; mime_address_domain() finds the domain
 *	of an address. See header.h.
 *
 * FIELDS
 *	A field is a line "name: value" plus the continuation lines after it
 *	(lines that start with a space or a tab). Lines end in LF or CRLF; a
 *	lone CR is data. The name is 1..255 characters of printable ASCII
 *	other than ':' (RFC 5322 ftext); white space between the name and the
 *	colon (the obsolete syntax, RFC 5322 4.5) is allowed and trimmed. The
 *	value is unfolded: each line break is removed, the white space that
 *	starts a continuation line is kept, white space at the very start of
 *	the value is removed, and a CR before a line break or at the end of
 *	the data is removed. The raw value (what follows the colon, line
 *	breaks and all, up to the field's final line break) is given too,
 *	for signatures that cover the field as it stands.
 *
 *	A line that cannot start a field (no colon after the name, an empty
 *	or over-long name, white space at its start) is MIME_HEADER_MALFORMED
 *	and *pos_r moves past that one line, so a broken message is walked
 *	line by line. A field containing a NUL byte is MIME_HEADER_MALFORMED
 *	and a field of more than MIME_HEADER_MAX bytes (name, colon, value and
 *	inner line breaks, not the final line break) is MIME_HEADER_TOO_LONG; for both *pos_r moves past
 *	the whole field and name is filled so the caller can log it, value is
 *	NULL. The empty line gives MIME_HEADER_END with *pos_r at the first
 *	body byte; the end of the data gives MIME_HEADER_END with *pos_r at
 *	len. Every other status leaves value NULL, so the caller may free it
 *	unconditionally.
 *
 * AUTHSERV-ID
 *	RFC 8601 2.2: the value starts with [CFWS] authserv-id, and an
 *	authserv-id is an RFC 2045 value: a token, or a quoted-string whose
 *	quoted-pairs are undone. Comments nest (at most AUTHRES_COMMENT_DEPTH
 *	deep) and may hold quoted-pairs. The id must be followed by the end
 *	of the value, white space, a comment or ';'. Bytes of 0x80 and above
 *	are accepted in a token (UTF-8 ids, RFC 8616). Only the id is read;
 *	the rest of the value is not validated.
 *
 * SECURITY
 *	Everything here parses bytes from the network. Each function takes
 *	a length and never reads past it (mime_address_domain takes a C
 *	string from mime_header_next, which has no NUL inside). Work is linear
 *	in the input: no backtracking, no recursion. Values are bounded by
 *	MIME_HEADER_MAX, names by 255, ids by the caller's outlen. The
 *	functions keep no state and are thread safe.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "mime/header.h"

#define HEADER_NAME_MAX 255
#define AUTHRES_COMMENT_DEPTH 32

/* Space or horizontal tab: the white space that folds a field. */
static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Index of the LF that ends the line starting at p, or len if none. */
static size_t
line_end(const char *data, size_t len, size_t p)
{
	const char *lf = memchr(data + p, '\n', len - p);

	return lf != NULL ? (size_t)(lf - data) : len;
}

/* Index of the LF (or len) ending the last continuation line of a field
 * whose first line ends at eol. */
static size_t
field_end(const char *data, size_t len, size_t eol)
{
	while (eol + 1 < len && is_wsp(data[eol + 1]))
		eol = line_end(data, len, eol + 1);
	return eol;
}

/* Read "name *WSP :" from the line [p, eol); fill name, return the
 * colon's index in *colon_r, or false when the line is no field. */
static bool
parse_name(const char *data, size_t p, size_t eol, char *name,
    size_t *colon_r)
{
	size_t q = p, n;

	/* Stop one past the limit: that is enough to know it is too long. */
	while (q < eol && q - p <= HEADER_NAME_MAX &&
	    (unsigned char)data[q] >= 33 && (unsigned char)data[q] <= 126 &&
	    data[q] != ':')
		q++;
	n = q - p;
	if (n == 0 || n > HEADER_NAME_MAX)
		return false;
	while (q < eol && is_wsp(data[q]))
		q++;
	if (q >= eol || data[q] != ':')
		return false;
	memcpy(name, data + p, n);
	name[n] = '\0';
	*colon_r = q;
	return true;
}

/* Copy the raw value v[0..n) unfolded into a new string. */
char *
mime_header_unfold(const char *v, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0, start = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\n')
			continue;
		/* The CR of a CRLF, or one left at the very end of the data. */
		if (v[i] == '\r' && (i + 1 == n || v[i + 1] == '\n'))
			continue;
		out[o++] = v[i];
	}
	/* White space after the colon, also when the value starts on a
	 * continuation line ("Subject:" CRLF " text"). */
	while (start < o && is_wsp(out[start]))
		start++;
	memmove(out, out + start, o - start);
	out[o - start] = '\0';
	return out;
}

enum mime_header_status
mime_header_next(const char *data, size_t len, size_t *pos_r,
    struct mime_header_field *field_r)
{
	size_t p = *pos_r, eol, end, colon, size;

	field_r->name[0] = '\0';
	field_r->value = NULL;
	if (p >= len) {
		*pos_r = len;
		return MIME_HEADER_END;
	}
	/* The empty line; a lone CR at the end of the data counts too. */
	if (data[p] == '\n' || (data[p] == '\r' && p + 1 == len)) {
		*pos_r = p + 1;
		return MIME_HEADER_END;
	}
	if (data[p] == '\r' && data[p + 1] == '\n') {
		*pos_r = p + 2;
		return MIME_HEADER_END;
	}
	eol = line_end(data, len, p);
	if (!parse_name(data, p, eol, field_r->name, &colon)) {
		field_r->name[0] = '\0';
		*pos_r = eol < len ? eol + 1 : len;
		return MIME_HEADER_MALFORMED;
	}
	end = field_end(data, len, eol);
	*pos_r = end < len ? end + 1 : len;
	/* The field's size leaves out its final CR, as the value does. */
	size = end - p;
	if (data[end - 1] == '\r')
		size--;
	if (size > MIME_HEADER_MAX)
		return MIME_HEADER_TOO_LONG;
	if (memchr(data + p, '\0', end - p) != NULL)
		return MIME_HEADER_MALFORMED;
	field_r->raw = data + colon + 1;
	field_r->raw_len = end - colon - 1;
	if (field_r->raw_len > 0 && field_r->raw[field_r->raw_len - 1] == '\r')
		field_r->raw_len--;
	field_r->value = mime_header_unfold(field_r->raw, field_r->raw_len);
	return MIME_HEADER_FIELD;
}

/* Skip CFWS (white space, line breaks, nested comments) from *i_r.
 * False when a comment is unterminated, too deep or holds a NUL. */
static bool
skip_cfws(const char *v, size_t len, size_t *i_r)
{
	size_t i = *i_r;
	unsigned depth = 0;

	while (i < len) {
		char c = v[i];

		if (depth == 0 && (is_wsp(c) || c == '\r' || c == '\n')) {
			i++;
			continue;
		}
		if (depth == 0 && c != '(')
			break;
		if (c == '\0')
			return false;
		if (c == '\\') {
			/* quoted-pair: the next byte is literal, whatever it is. */
			if (i + 1 >= len || v[i + 1] == '\0')
				return false;
			i += 2;
			continue;
		}
		if (c == '(' && ++depth > AUTHRES_COMMENT_DEPTH)
			return false;
		if (c == ')')
			depth--;
		i++;
	}
	*i_r = i;
	return depth == 0;
}

/* May c appear in an RFC 2045 token (or a UTF-8 id)? */
static bool
is_token_char(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if (c <= 32 || c == 127)
		return false;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Read the quoted-string at v[*i_r] (the opening quote) into out,
 * undoing quoted-pairs; *n_r is the length written. */
static bool
read_quoted(const char *v, size_t len, size_t *i_r, char *out, size_t outlen,
    size_t *n_r)
{
	size_t i = *i_r + 1, n = 0;

	for (;;) {
		unsigned char c;

		if (i >= len)
			return false; /* no closing quote */
		c = (unsigned char)v[i];
		if (c == '"')
			break;
		if (c == '\\') {
			if (++i >= len)
				return false;
			c = (unsigned char)v[i];
		}
		/* Controls other than tab are not qtext, quoted or not. */
		if ((c < 32 && c != '\t') || c == 127)
			return false;
		if (n + 1 >= outlen)
			return false;
		out[n++] = (char)c;
		i++;
	}
	*i_r = i + 1;
	*n_r = n;
	return true;
}

bool
mime_authres_authserv_id(const char *value, size_t len, char *out,
    size_t outlen)
{
	size_t i = 0, n = 0;
	char c;

	if (outlen == 0)
		return false;
	out[0] = '\0';
	if (value == NULL || !skip_cfws(value, len, &i) || i >= len)
		return false;
	if (value[i] == '"') {
		if (!read_quoted(value, len, &i, out, outlen, &n))
			goto fail;
	} else {
		while (i < len && is_token_char((unsigned char)value[i])) {
			/* An id that does not fit cannot be the one we want. */
			if (n + 1 >= outlen)
				goto fail;
			out[n++] = value[i++];
		}
	}
	if (n == 0)
		goto fail;
	/* The id ends at the end, at CFWS or at the ';' before the results. */
	c = i < len ? value[i] : ';';
	if (!is_wsp(c) && c != '\r' && c != '\n' && c != '(' && c != ';')
		goto fail;
	out[n] = '\0';
	return true;
fail:
	out[0] = '\0';
	return false;
}

const char *
mime_address_domain(const char *address)
{
	const char *at;

	if (address == NULL)
		return NULL;
	/* The last '@': a quoted local part may hold one of its own. */
	at = strrchr(address, '@');
	if (at == NULL || at[1] == '\0')
		return NULL;
	return at + 1;
}
