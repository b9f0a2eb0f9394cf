/*
 * policyd_proto.c - Postfix SMTPD policy delegation protocol, bytes only
 *
 * See policyd_proto.h. The parser keeps the unparsed bytes in one buffer
 * and takes a line only when its LF has arrived. The search for that LF
 * never looks further than a line may be long (line_max plus CR LF), and
 * remembers how far it got, so bytes fed one at a time are scanned once
 * and every error is found at the same byte however the input was cut.
 * Known attributes are described by one table (name, kind, field).
 *
 * SECURITY: lengths are checked before anything is copied; values are
 * copied with their length (never relying on a terminator in the input),
 * and error texts never echo the peer's bytes.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/arena.h"
#include "core/xalloc.h"
#include "frontend/policyd_proto.h"

#define POLICYD_REQUEST_TYPE "smtpd_access_policy"

struct policyd_parser {
	struct policyd_limits limits;
	char *in;                     /* fed bytes; in[pos..len) unparsed */
	size_t pos, len, cap;
	size_t scanned;               /* of in[pos..], searched for LF */
	struct policyd_request *cur;  /* being read, NULL between requests */
	struct policyd_request *done; /* just completed, until next call */
	uint64_t seen;                /* known attributes in cur, by index */
	size_t request_bytes;         /* of cur, line ends included */
	bool failed;
	char error[128];
};

enum policyd_attr_kind {
	ATTR_STRING,
	ATTR_REQUEST,   /* must be smtpd_access_policy */
	ATTR_STATE,     /* kept as sent, and decoded */
	ATTR_COUNT,     /* recipient_count */
	ATTR_SIZE,      /* size */
	ATTR_STRESS,    /* "yes" or empty */
};

struct policyd_attr {
	const char *name;
	enum policyd_attr_kind kind;
	size_t offset;  /* of the const char * field; string kinds only */
};

#define STR(f) { #f, ATTR_STRING, offsetof(struct policyd_request, f) }

/* Every attribute of SMTPD_POLICY_README, Postfix 2.1 to 3.12. */
static const struct policyd_attr policyd_attrs[] = {
	{ "request", ATTR_REQUEST, offsetof(struct policyd_request, request) },
	{ "protocol_state", ATTR_STATE,
	    offsetof(struct policyd_request, protocol_state) },
	STR(protocol_name), STR(helo_name), STR(queue_id), STR(sender),
	STR(recipient),
	{ "recipient_count", ATTR_COUNT, 0 },
	STR(client_address), STR(client_name), STR(reverse_client_name),
	STR(client_port), STR(instance), STR(sasl_method), STR(sasl_username),
	STR(sasl_sender),
	{ "size", ATTR_SIZE, 0 },
	STR(ccert_subject), STR(ccert_issuer), STR(ccert_fingerprint),
	STR(ccert_pubkey_fingerprint), STR(encryption_protocol),
	STR(encryption_cipher), STR(encryption_keysize), STR(etrn_domain),
	{ "stress", ATTR_STRESS, 0 },
	STR(server_address), STR(server_port), STR(policy_context),
	STR(compatibility_level), STR(mail_version), STR(tls_sni),
};

#undef STR

#define POLICYD_NATTRS (sizeof(policyd_attrs) / sizeof(policyd_attrs[0]))
_Static_assert(POLICYD_NATTRS <= 64, "one bit per attribute in seen");

/* protocol_state= names, as Postfix spells them. */
static const struct conf_name_code policyd_state_names[] = {
	{ "CONNECT", POLICYD_STATE_CONNECT },
	{ "EHLO", POLICYD_STATE_EHLO },
	{ "HELO", POLICYD_STATE_HELO },
	{ "MAIL", POLICYD_STATE_MAIL },
	{ "RCPT", POLICYD_STATE_RCPT },
	{ "DATA", POLICYD_STATE_DATA },
	{ "END-OF-MESSAGE", POLICYD_STATE_END_OF_MESSAGE },
	{ "VRFY", POLICYD_STATE_VRFY },
	{ "ETRN", POLICYD_STATE_ETRN },
	{ "unknown", POLICYD_STATE_UNKNOWN },
	{ NULL, 0 },
};

const char *
policyd_state_name(enum policyd_state state)
{
	const char *name = conf_code_name(policyd_state_names, (int)state);

	return name ? name : "unknown";
}

struct policyd_parser *
policyd_parser_new(const struct policyd_limits *limits)
{
	struct policyd_parser *p = xcalloc(1, sizeof(*p));

	if (limits != NULL)
		p->limits = *limits;
	if (p->limits.line_max == 0)
		p->limits.line_max = POLICYD_LINE_MAX_DEFAULT;
	if (p->limits.attrs_max == 0)
		p->limits.attrs_max = POLICYD_ATTRS_MAX_DEFAULT;
	if (p->limits.request_max == 0)
		p->limits.request_max = POLICYD_REQUEST_MAX_DEFAULT;
	return p;
}

void
policyd_request_free(struct policyd_request **req_p)
{
	struct policyd_request *req = *req_p;

	if (req == NULL)
		return;
	arena_free(&req->arena);
	free(req);
	*req_p = NULL;
}

void
policyd_parser_free(struct policyd_parser **p_p)
{
	struct policyd_parser *p = *p_p;

	if (p == NULL)
		return;
	policyd_request_free(&p->cur);
	policyd_request_free(&p->done);
	free(p->in);
	free(p);
	*p_p = NULL;
}

const struct policyd_request *
policyd_parser_request(const struct policyd_parser *p)
{
	return p->done;
}

struct policyd_request *
policyd_parser_take(struct policyd_parser *p)
{
	struct policyd_request *req = p->done;

	p->done = NULL;
	return req;
}

const char *
policyd_parser_error(const struct policyd_parser *p)
{
	return p->error;
}

/* Stop for good with a reason; the front end logs it and closes. */
static enum policyd_status
policyd_fail(struct policyd_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum policyd_status
policyd_fail(struct policyd_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	p->failed = true;
	policyd_request_free(&p->cur);
	return POLICYD_ERROR;
}

/* A number of 0-9 digits up to max; empty means 0 (not available). */
static bool
policyd_number(const char *value, size_t len, uint64_t max, uint64_t *v_r)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)value[i] - '0';

		if (d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*v_r = v;
	return true;
}

/* The table entry for a name, or NULL for one we do not know. */
static const struct policyd_attr *
policyd_attr_find(const char *name, size_t len, size_t *index_r)
{
	for (size_t i = 0; i < POLICYD_NATTRS; i++) {
		if (strlen(policyd_attrs[i].name) == len &&
		    memcmp(policyd_attrs[i].name, name, len) == 0) {
			*index_r = i;
			return &policyd_attrs[i];
		}
	}
	return NULL;
}

/* Store one known attribute's value (vlen bytes, no NUL/CR/LF). */
static enum policyd_status
policyd_store(struct policyd_parser *p, const struct policyd_attr *attr,
    const char *value, size_t vlen)
{
	struct policyd_request *req = p->cur;
	const char *copy = NULL;
	uint64_t n;
	int code;

	if (attr->kind == ATTR_STRING || attr->kind == ATTR_REQUEST ||
	    attr->kind == ATTR_STATE)
		copy = arena_strndup(req->arena, value, vlen);
	switch (attr->kind) {
	case ATTR_REQUEST:
		if (strcmp(copy, POLICYD_REQUEST_TYPE) != 0)
			return policyd_fail(p, "request type is not "
			    POLICYD_REQUEST_TYPE);
		break;
	case ATTR_STATE:
		if (conf_name_code(policyd_state_names, copy, &code))
			req->state = (enum policyd_state)code;
		break;
	case ATTR_COUNT:
	case ATTR_SIZE:
		if (!policyd_number(value, vlen, attr->kind == ATTR_COUNT ?
		    POLICYD_RECIPIENT_COUNT_MAX : POLICYD_SIZE_MAX, &n))
			return policyd_fail(p, "%s is not a number in range",
			    attr->name);
		if (attr->kind == ATTR_COUNT)
			req->recipient_count = (unsigned)n;
		else
			req->size = n;
		return POLICYD_NEED_MORE;
	case ATTR_STRESS:
		if (vlen != 0 && (vlen != 3 || memcmp(value, "yes", 3) != 0))
			return policyd_fail(p, "stress is neither yes nor empty");
		req->stress = vlen != 0;
		return POLICYD_NEED_MORE;
	case ATTR_STRING:
		break;
	}
	*(const char **)(void *)((char *)req + attr->offset) = copy;
	return POLICYD_NEED_MORE;
}

/* One "name=value" line of len bytes, line end removed. */
static enum policyd_status
policyd_attribute(struct policyd_parser *p, const char *line, size_t len)
{
	const char *eq = memchr(line, '=', len);
	const struct policyd_attr *attr;
	size_t nlen, index;

	if (p->cur == NULL) {
		p->cur = xcalloc(1, sizeof(*p->cur));
		p->cur->arena = arena_new();
	}
	if (++p->cur->attrs > p->limits.attrs_max)
		return policyd_fail(p, "more than %zu attributes",
		    p->limits.attrs_max);
	if (eq == NULL)
		return policyd_fail(p, "line without '='");
	nlen = (size_t)(eq - line);
	if (nlen == 0)
		return policyd_fail(p, "empty attribute name");
	for (size_t i = 0; i < nlen; i++) {
		char c = line[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_'))
			return policyd_fail(p, "attribute name not [a-z0-9_]");
	}
	/* A CR anywhere but before the LF (stripped already). */
	if (memchr(eq + 1, '\r', len - nlen - 1) != NULL)
		return policyd_fail(p, "CR not followed by LF");
	attr = policyd_attr_find(line, nlen, &index);
	if (attr == NULL)
		return POLICYD_NEED_MORE; /* the protocol says: ignore */
	if (p->seen & (UINT64_C(1) << index))
		return policyd_fail(p, "attribute %s repeated", attr->name);
	p->seen |= UINT64_C(1) << index;
	return policyd_store(p, attr, eq + 1, len - nlen - 1);
}

/* The empty line: hand the request over if it is one. */
static enum policyd_status
policyd_end_of_request(struct policyd_parser *p)
{
	if (p->cur == NULL || p->cur->request == NULL)
		return policyd_fail(p, "request without request="
		    POLICYD_REQUEST_TYPE);
	p->done = p->cur;
	p->cur = NULL;
	p->seen = 0;
	p->request_bytes = 0;
	return POLICYD_REQUEST;
}

/* Take the buffered lines until a request is complete or input runs out. */
static enum policyd_status
policyd_parse(struct policyd_parser *p)
{
	const size_t window = p->limits.line_max + 2; /* line, CR, LF */
	enum policyd_status st = POLICYD_NEED_MORE;

	while (st == POLICYD_NEED_MORE && p->pos < p->len) {
		const char *line = p->in + p->pos;
		size_t avail = p->len - p->pos, end, len;
		const char *lf = NULL;

		end = avail < window ? avail : window;
		for (size_t i = p->scanned; i < end && lf == NULL; i++) {
			if (line[i] == '\0')
				return policyd_fail(p, "NUL byte in request");
			if (line[i] == '\n')
				lf = line + i;
		}
		if (lf == NULL) {
			p->scanned = end;
			if (end == window)
				return policyd_fail(p, "line longer than %zu "
				    "bytes", p->limits.line_max);
			return POLICYD_NEED_MORE;
		}
		len = (size_t)(lf - line);
		p->pos += len + 1;
		p->scanned = 0;
		p->request_bytes += len + 1;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len > p->limits.line_max)
			return policyd_fail(p, "line longer than %zu bytes",
			    p->limits.line_max);
		if (p->request_bytes > p->limits.request_max)
			return policyd_fail(p, "request longer than %zu bytes",
			    p->limits.request_max);
		st = len == 0 ? policyd_end_of_request(p) :
		    policyd_attribute(p, line, len);
	}
	return st;
}

enum policyd_status
policyd_parser_feed(struct policyd_parser *p, const void *data, size_t len)
{
	policyd_request_free(&p->done);
	if (p->failed)
		return POLICYD_ERROR;
	if (len > 0) {
		/* Drop what was parsed, then append. */
		if (p->pos > 0) {
			memmove(p->in, p->in + p->pos, p->len - p->pos);
			p->len -= p->pos;
			p->pos = 0;
		}
		if (len > p->cap - p->len) {
			p->cap = p->len + len > 2 * p->cap ? p->len + len :
			    2 * p->cap;
			p->in = xrealloc(p->in, p->cap);
		}
		memcpy(p->in + p->len, data, len);
		p->len += len;
	}
	return policyd_parse(p);
}

enum policyd_status
policyd_parser_eof(struct policyd_parser *p)
{
	enum policyd_status st = policyd_parser_feed(p, NULL, 0);

	if (st != POLICYD_NEED_MORE)
		return st;
	if (p->cur != NULL || p->pos < p->len)
		return policyd_fail(p, "truncated request");
	return POLICYD_END;
}

bool
policyd_reply_format(struct buf *out, const char *action, size_t len)
{
	if (len == 0 || len > POLICYD_ACTION_MAX ||
	    memchr(action, '\r', len) != NULL ||
	    memchr(action, '\n', len) != NULL ||
	    memchr(action, '\0', len) != NULL)
		return false;
	buf_puts(out, "action=");
	buf_append(out, action, len);
	buf_puts(out, "\n\n");
	return true;
}

/* RFC 3463 "C.SSS.DDD" of the given class: 1-3 digits after each dot. */
static bool
policyd_xcode_ok(const char *x, char class)
{
	size_t n;

	if (x[0] != class || x[1] != '.')
		return false;
	x += 2;
	for (int part = 0; part < 2; part++) {
		for (n = 0; x[n] >= '0' && x[n] <= '9'; n++)
			;
		if (n == 0 || n > 3 || x[n] != (part == 0 ? '.' : '\0'))
			return false;
		x += n + 1;
	}
	return true;
}

bool
policyd_reply_smtp(struct buf *out, const char *code, const char *xcode,
    const char *text)
{
	if (strlen(code) != 3 || (code[0] != '4' && code[0] != '5') ||
	    code[1] < '0' || code[1] > '5' || code[2] < '0' || code[2] > '9')
		return false;
	if (xcode != NULL && *xcode != '\0' && !policyd_xcode_ok(xcode, code[0]))
		return false;
	if (text != NULL && strpbrk(text, "\r\n") != NULL)
		return false;
	buf_puts(out, code);
	if (xcode != NULL && *xcode != '\0') {
		buf_putc(out, ' ');
		buf_puts(out, xcode);
	}
	if (text != NULL && *text != '\0') {
		buf_putc(out, ' ');
		buf_puts(out, text);
	}
	return true;
}
