/*
 * fuzz_policyd.c - libFuzzer harness for frontend/policyd_proto: requests
 * cut into pieces, replies
 *
 * LLVMFuzzerTestOneInput() takes the first byte as a seed: it picks small
 * limits (so every limit is reached) and the sizes of the pieces the rest
 * of the input is fed in. It parses the input twice, once in those pieces
 * and once whole, draining pipelined requests with feed(NULL, 0) and
 * ending with eof. Besides the sanitizers it checks the parser's promises
 * and aborts when one is broken: every request says smtpd_access_policy,
 * has 1..attrs_max attributes and values without NUL, CR or LF no longer
 * than a line; numbers are in range; an error has a reason and sticks; and
 * both cuts give the same requests and the same end. The input is also
 * handed to policyd_reply_format(). Linked with replay.c it replays the
 * seed corpus fuzz/corpus/policyd in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "frontend/policyd_proto.h"
#include "fuzz.h"

#define FUZZ_MAX_REQUESTS 4096

/* What one parse saw: a fingerprint per request, and the end. */
struct fuzz_run {
	size_t requests;
	unsigned sums[FUZZ_MAX_REQUESTS];
	enum policyd_status end;
	char error[128];
};

/* A value is absent, or a string without CR or LF within a line. */
static unsigned
fuzz_value(const char *v, size_t line_max)
{
	unsigned sum = 0;
	size_t len;

	if (v == NULL)
		return 1;
	len = strlen(v);
	CHECK(len <= line_max);
	CHECK(memchr(v, '\r', len) == NULL && memchr(v, '\n', len) == NULL);
	for (size_t i = 0; i < len; i++)
		sum = sum * 31 + (unsigned char)v[i];
	return sum;
}

/* Check one request's promises; a fingerprint of its contents. */
static unsigned
fuzz_request(const struct policyd_request *r, const struct policyd_limits *l)
{
	const char *strings[] = {
		r->protocol_state, r->protocol_name, r->helo_name, r->queue_id,
		r->sender, r->recipient, r->client_address, r->client_name,
		r->reverse_client_name, r->client_port, r->instance,
		r->sasl_method, r->sasl_username, r->sasl_sender,
		r->ccert_subject, r->ccert_issuer, r->ccert_fingerprint,
		r->ccert_pubkey_fingerprint, r->encryption_protocol,
		r->encryption_cipher, r->encryption_keysize, r->etrn_domain,
		r->server_address, r->server_port, r->policy_context,
		r->compatibility_level, r->mail_version, r->tls_sni,
	};
	unsigned sum = (unsigned)r->attrs;

	CHECK(r->request != NULL &&
	    strcmp(r->request, "smtpd_access_policy") == 0);
	CHECK(r->attrs >= 1 && r->attrs <= l->attrs_max);
	CHECK(r->recipient_count <= POLICYD_RECIPIENT_COUNT_MAX);
	CHECK(r->size <= POLICYD_SIZE_MAX);
	CHECK(r->state >= POLICYD_STATE_UNKNOWN &&
	    r->state <= POLICYD_STATE_ETRN);
	CHECK(policyd_state_name(r->state) != NULL);
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		sum = sum * 7 + fuzz_value(strings[i], l->line_max);
	return sum + r->recipient_count + (unsigned)r->size + r->stress +
	    (unsigned)r->state;
}

/* Record a request (after REQUEST) and return the next status. */
static enum policyd_status
fuzz_drain(struct policyd_parser *p, enum policyd_status st,
    const struct policyd_limits *l, struct fuzz_run *run, bool at_eof)
{
	while (st == POLICYD_REQUEST) {
		CHECK(run->requests < FUZZ_MAX_REQUESTS);
		run->sums[run->requests++] =
		    fuzz_request(policyd_parser_request(p), l);
		st = at_eof ? policyd_parser_eof(p) :
		    policyd_parser_feed(p, NULL, 0);
	}
	return st;
}

/* Parse text in pieces whose sizes come from seed (0: whole). */
static void
fuzz_parse(const char *text, size_t size, unsigned seed,
    const struct policyd_limits *l, struct fuzz_run *run)
{
	struct policyd_parser *p = policyd_parser_new(l);
	enum policyd_status st = POLICYD_NEED_MORE;
	size_t off = 0;

	while (off < size && st == POLICYD_NEED_MORE) {
		size_t n = size - off;

		if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % (n < 64 ? n : 64);
		}
		st = fuzz_drain(p, policyd_parser_feed(p, text + off, n), l,
		    run, false);
		off += n;
	}
	if (st == POLICYD_NEED_MORE)
		st = fuzz_drain(p, policyd_parser_eof(p), l, run, true);
	CHECK(st == POLICYD_END || st == POLICYD_ERROR);
	run->end = st;
	memcpy(run->error, policyd_parser_error(p), sizeof(run->error));
	run->error[sizeof(run->error) - 1] = '\0';
	CHECK((st == POLICYD_ERROR) == (run->error[0] != '\0'));
	if (st == POLICYD_ERROR) {
		CHECK(policyd_parser_feed(p, "\n", 1) == POLICYD_ERROR);
		CHECK(policyd_parser_eof(p) == POLICYD_ERROR);
	}
	policyd_parser_free(&p);
	CHECK(p == NULL);
}

/* A reply is the action, framed, or nothing when the action is unfit. */
static void
fuzz_reply(const char *text, size_t size)
{
	struct buf *b = buf_new();

	if (policyd_reply_format(b, text, size)) {
		CHECK(size >= 1 && size <= POLICYD_ACTION_MAX);
		CHECK(b->len == size + 9);
		CHECK(memcmp(b->data, "action=", 7) == 0);
		CHECK(memcmp(b->data + 7, text, size) == 0);
		CHECK(memchr(b->data, '\r', b->len) == NULL);
		CHECK(memchr(b->data, '\0', b->len) == NULL);
		CHECK(strcmp(b->data + 7 + size, "\n\n") == 0);
	} else {
		CHECK(b->len == 0);
	}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_run cut, whole;
	struct policyd_limits l;
	unsigned seed;

	if (size < 1)
		return 0;
	seed = data[0];
	/* Small limits, from the seed, so each one is reached. */
	l.line_max = 8 + (seed & 0x7) * 16;
	l.attrs_max = 1 + ((seed >> 3) & 0x3) * 4;
	l.request_max = 32 + ((seed >> 5) & 0x7) * 64;
	cut.requests = whole.requests = 0;
	fuzz_parse((const char *)data + 1, size - 1, seed | 1, &l, &cut);
	fuzz_parse((const char *)data + 1, size - 1, 0, &l, &whole);
	CHECK(cut.requests == whole.requests);
	CHECK(memcmp(cut.sums, whole.sums,
	    cut.requests * sizeof(cut.sums[0])) == 0);
	CHECK(cut.end == whole.end && strcmp(cut.error, whole.error) == 0);
	fuzz_reply((const char *)data + 1, size - 1);
	return 0;
}
