/*
 * header.h - RFC 5322 header fields and the pieces mxward reads from them
 *
 * mime_header_next() splits a raw header block (as in a saved .eml) into
 * fields one at a time: name and unfolded value, stopping at the empty line
 * that ends the header. mime_authres_authserv_id() extracts the authserv-id
 * of an Authentication-Results value (RFC 8601, CFWS allowed).
 * mime_address_domain() returns the domain part of an address.
 *
 * SECURITY: all input comes from the network. Functions take bytes with a
 * length, never read past it, do no I/O and enforce MIME_HEADER_MAX per
 * field. NUL bytes are treated as malformed.
 */
#ifndef MXWARD_MIME_HEADER_H
#define MXWARD_MIME_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#define MIME_HEADER_MAX (1024 * 1024)

enum mime_header_status {
	MIME_HEADER_FIELD,     /* *field_r filled */
	MIME_HEADER_END,       /* empty line: body follows at *pos_r */
	MIME_HEADER_MALFORMED, /* a line that is not a field; *pos_r after it
	                        * (a field holding NUL: name set, past it) */
	MIME_HEADER_TOO_LONG,  /* a field beyond MIME_HEADER_MAX; name set,
	                        * *pos_r after the field */
};

struct mime_header_field {
	char name[256];
	char *value; /* malloc()ed, unfolded (CRLF removed), caller frees;
	              * NULL unless MIME_HEADER_FIELD */
	const char *raw; /* the value as it stands after the colon (leading
	                  * white space and line breaks kept), in data */
	size_t raw_len;
};

enum mime_header_status mime_header_next(const char *data, size_t len,
    size_t *pos_r, struct mime_header_field *field_r);

/* The raw value v[0..n) unfolded into a new malloc()ed string: line
 * breaks (LF, CRLF) removed, white space at the start removed. */
char *mime_header_unfold(const char *v, size_t n);

/* Copy the authserv-id of an Authentication-Results value into out.
 * Returns false when the value has none. */
bool mime_authres_authserv_id(const char *value, size_t len, char *out,
    size_t outlen);

/* Domain part of "local@domain" (without <>); NULL if there is none. */
const char *mime_address_domain(const char *address);

#endif
