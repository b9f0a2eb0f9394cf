/*
 * policyd_proto.h - Postfix SMTPD policy delegation protocol, bytes only
 *
 * The wire format of check_policy_service (Postfix SMTPD_POLICY_README),
 * also spoken by Exim's ${readsocket}: the client sends lines "name=value"
 * ended by an empty line; the server answers "action=TEXT" and an empty
 * line. This layer does no I/O; the front end reads and writes.
 *
 * policyd_parser_new(limits) / policyd_parser_free(&p) hold one
 * connection's state. policyd_parser_feed(p, data, len) takes the bytes as
 * they arrive, in pieces of any size, and returns
 *   POLICYD_NEED_MORE  no complete request yet; feed more;
 *   POLICYD_REQUEST    a request is complete: policyd_parser_request(p)
 *                      shows it (valid until the next feed or eof), or
 *                      policyd_parser_take(p) hands it over (free it with
 *                      policyd_request_free); bytes after its empty line
 *                      stay buffered (pipelining): call feed(p, NULL, 0)
 *                      until NEED_MORE before feeding more;
 *   POLICYD_ERROR      policyd_parser_error(p) says why; the parser is
 *                      stuck in this state (log, then close: the protocol
 *                      says to send no reply in case of trouble).
 * policyd_parser_eof(p) at end of input returns REQUEST for a complete
 * request still buffered, END when nothing is pending (Exim sends one
 * request and half-closes), ERROR "truncated request" otherwise.
 *
 * Strictness, all ERROR: a line without '=', an empty name, a name not
 * [a-z0-9_]+ (Postfix sends lowercase; uppercase is refused rather than
 * folded, so no two spellings reach the engine), a NUL byte, a CR not
 * directly before the LF (CRLF is accepted, the CR dropped), a known
 * attribute repeated (Postfix never repeats one; refusing makes sure no
 * two readers of the same request disagree on which copy counts), a
 * request= other than smtpd_access_policy or none at all, a number that is
 * not 0-9 digits or is out of range, stress= other than "yes" or empty.
 * Unknown attributes are ignored, as the protocol requires, but they count
 * against the limits like any other line.
 *
 * Limits (struct policyd_limits, fixed at creation; 0 picks the default):
 * line_max bytes per line without its line end, attrs_max attribute lines
 * per request, request_max bytes per request counting every line end and
 * the empty line. Exceeding one is an ERROR as soon as it is seen, so the
 * memory held is the request being built plus the unparsed bytes of the
 * feeds (with the drain rule above: at most one feed's length plus one
 * line).
 *
 * A request's string fields are NUL-terminated copies owned by the request
 * (NULL when the attribute was not sent, "" when sent empty); a value never
 * contains NUL, CR or LF. Not thread safe: one owner (the connection).
 *
 * policyd_reply_format(out, action, len) appends "action=TEXT\n\n" to out;
 * false, nothing appended, for an empty text, one longer than
 * POLICYD_ACTION_MAX or one holding CR, LF or NUL. The access(5) action
 * (DUNNO, OK, REJECT text, DEFER_IF_PERMIT text, "550 text", PREPEND
 * header: value, ...) is the caller's. policyd_reply_smtp(out, code,
 * xcode, text) appends an "NNN X.Y.Z text" action text for it.
 *
 * SECURITY: every byte comes from the MTA over a socket that may be
 * reachable by others; nothing here trusts a length, a count or a value.
 */
#ifndef MXWARD_FRONTEND_POLICYD_PROTO_H
#define MXWARD_FRONTEND_POLICYD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define POLICYD_LINE_MAX_DEFAULT     2048
#define POLICYD_ATTRS_MAX_DEFAULT    64
#define POLICYD_REQUEST_MAX_DEFAULT  (16 * 1024)
/* Bounds of the numeric attributes; beyond them is an ERROR. */
#define POLICYD_RECIPIENT_COUNT_MAX  1000000000u
#define POLICYD_SIZE_MAX             UINT64_C(0x7fffffffffffffff)
/* Longest action text: "action=" plus it stays well inside Postfix's
 * default line_length_limit (2048) for the reply line. */
#define POLICYD_ACTION_MAX           2000

enum policyd_status {
	POLICYD_NEED_MORE,
	POLICYD_REQUEST,
	POLICYD_ERROR,
	POLICYD_END,        /* only from policyd_parser_eof() */
};

/* protocol_state=; names as Postfix sends them (policyd_state_name). */
enum policyd_state {
	POLICYD_STATE_UNKNOWN,  /* absent, empty or a name not listed */
	POLICYD_STATE_CONNECT,
	POLICYD_STATE_EHLO,
	POLICYD_STATE_HELO,
	POLICYD_STATE_MAIL,
	POLICYD_STATE_RCPT,
	POLICYD_STATE_DATA,
	POLICYD_STATE_END_OF_MESSAGE,
	POLICYD_STATE_VRFY,
	POLICYD_STATE_ETRN,
};

struct policyd_limits {
	size_t line_max;
	size_t attrs_max;
	size_t request_max;
};

struct arena;

/* One request; names are the attributes' (Postfix 2.1 to 3.12). */
struct policyd_request {
	const char *request;           /* always "smtpd_access_policy" */
	enum policyd_state state;      /* protocol_state, decoded */
	const char *protocol_state;    /* as sent */
	const char *protocol_name;
	const char *helo_name;
	const char *queue_id;
	const char *sender;
	const char *recipient;
	unsigned recipient_count;      /* 0 when absent or empty */
	const char *client_address;
	const char *client_name;
	const char *reverse_client_name;
	const char *client_port;
	const char *instance;
	const char *sasl_method;
	const char *sasl_username;
	const char *sasl_sender;
	uint64_t size;                 /* 0 when absent or empty */
	const char *ccert_subject;
	const char *ccert_issuer;
	const char *ccert_fingerprint;
	const char *ccert_pubkey_fingerprint;
	const char *encryption_protocol;
	const char *encryption_cipher;
	const char *encryption_keysize;
	const char *etrn_domain;
	bool stress;                   /* stress=yes */
	const char *server_address;
	const char *server_port;
	const char *policy_context;
	const char *compatibility_level;
	const char *mail_version;
	const char *tls_sni;
	size_t attrs;                  /* attribute lines, unknown ones too */
	struct arena *arena;           /* owns every string above */
};

struct policyd_parser;

/* limits is copied; NULL or a 0 member picks the default. */
struct policyd_parser *policyd_parser_new(const struct policyd_limits *limits);
void policyd_parser_free(struct policyd_parser **p_p);
enum policyd_status policyd_parser_feed(struct policyd_parser *p,
    const void *data, size_t len);
enum policyd_status policyd_parser_eof(struct policyd_parser *p);
/* The request just completed, or NULL; valid until the next feed/eof. */
const struct policyd_request *policyd_parser_request(
    const struct policyd_parser *p);
/* The request just completed, now the caller's; NULL if none. */
struct policyd_request *policyd_parser_take(struct policyd_parser *p);
/* Why the parser stopped ("" unless the status was ERROR). */
const char *policyd_parser_error(const struct policyd_parser *p);
void policyd_request_free(struct policyd_request **req_p);

const char *policyd_state_name(enum policyd_state state);

bool policyd_reply_format(struct buf *out, const char *action, size_t len);
bool policyd_reply_smtp(struct buf *out, const char *code, const char *xcode,
    const char *text);

#endif
