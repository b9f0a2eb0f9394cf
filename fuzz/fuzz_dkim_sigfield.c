/*
 * fuzz_dkim_sigfield.c - libFuzzer harness for dkim/sigfield: tag-lists,
 * DKIM-Signature fields, key records, base64, header fields, CRLF
 *
 * LLVMFuzzerTestOneInput() hands the input, as it is, to every reader of
 * sigfield.h: as a signature field value, a key record, a tag-list, base64
 * (into a small buffer, so the output bound is exercised), and as a whole
 * message for dkim_field_next() and dkim_crlf(). Besides the sanitizers it
 * checks their promises and aborts when one is broken: every output string
 * is terminated within its buffer, header.b has at most 8 characters, a
 * valid signature has d=, s= and a known algorithm, tags lie inside the
 * input and never exceed DKIM_TAGS_MAX, base64 output fits, the field walk
 * always advances within the input, and the CRLF copy holds no bare LF.
 * Linked with replay.c it replays fuzz/corpus/dkim_sigfield in
 * `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/sigfield.h"
#include "fuzz.h"

/* Terminated within its buffer. */
#define TERMINATED(a) CHECK(memchr((a), '\0', sizeof(a)) != NULL)

static void
fuzz_signature(const char *text, size_t size)
{
	struct dkim_sigfield sf;

	dkim_sigfield_read(text, size, &sf);
	TERMINATED(sf.reason);
	TERMINATED(sf.domain);
	TERMINATED(sf.selector);
	TERMINATED(sf.algorithm);
	TERMINATED(sf.identity);
	TERMINATED(sf.b);
	CHECK(strlen(sf.b) <= 8);
	if (sf.valid)
		CHECK(sf.domain[0] != '\0' && sf.selector[0] != '\0' &&
		    sf.alg != DKIMA_UNKNOWN && sf.reason[0] == '\0');
	else
		CHECK(sf.reason[0] != '\0');
}

static void
fuzz_key(const char *text, size_t size)
{
	struct dkim_keyrecord kr;

	dkim_keyrecord_read(text, size, &kr);
	TERMINATED(kr.reason);
	CHECK(kr.key_len <= sizeof(kr.key));
	CHECK(kr.valid == (kr.reason[0] == '\0'));
	if (kr.revoked)
		CHECK(!kr.valid);
}

static void
fuzz_pieces(const char *text, size_t size)
{
	struct dkim_tag tags[DKIM_TAGS_MAX];
	unsigned char out[16];
	const char *why;
	size_t n, len;

	if (!dkim_taglist_split(text, size, tags, DKIM_TAGS_MAX, &n, &why))
		CHECK(why != NULL);
	CHECK(n <= DKIM_TAGS_MAX);
	for (size_t i = 0; i < n; i++) {
		CHECK(tags[i].name >= text && tags[i].name_len > 0 &&
		    tags[i].name + tags[i].name_len <= text + size);
		CHECK(tags[i].value >= text &&
		    tags[i].value + tags[i].value_len <= text + size);
	}
	if (dkim_base64_read(text, size, out, sizeof(out), &len))
		CHECK(len <= sizeof(out));
	else
		CHECK(len == 0);
}

static void
fuzz_message(const unsigned char *data, size_t size)
{
	size_t pos = 0, before, start, len, fixed_len;
	unsigned char *fixed;

	for (;;) {
		before = pos;
		if (!dkim_field_next(data, size, &pos, &start, &len))
			break;
		CHECK(pos > before && pos <= size);
		CHECK(start == before && start + len <= size);
	}
	CHECK(dkim_body_start(data, size, pos) <= size);
	fixed = dkim_crlf(data, size, &fixed_len);
	if (fixed == NULL)
		return;
	CHECK(fixed_len > size && fixed_len <= 2 * size);
	for (size_t i = 0; i < fixed_len; i++)
		CHECK((fixed[i] != '\n' || (i > 0 && fixed[i - 1] == '\r')) &&
		    (fixed[i] != '\r' || (i + 1 < fixed_len &&
		    fixed[i + 1] == '\n')));
	free(fixed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	fuzz_signature(text, size);
	fuzz_key(text, size);
	fuzz_pieces(text, size);
	fuzz_message(data, size);
	return 0;
}
