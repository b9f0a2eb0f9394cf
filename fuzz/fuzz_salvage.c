/*
 * fuzz_salvage.c - libFuzzer harness for mime/salvage: encoded blocks
 * found in hostile raw bytes
 *
 * LLVMFuzzerTestOneInput() treats the input as raw message bytes and walks
 * them with mime_salvage_walk() under a small max_parts, then once more
 * with a callback that stops at the first block. Besides the sanitizers
 * it checks the promises and aborts when one is broken: no more calls
 * than max_parts and the count returned is the count made, a description
 * is "<kind> block at byte N" with N inside the input, no block is empty
 * or longer than the input. Linked with replay.c it replays the seed
 * corpus fuzz/corpus/salvage in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mime/parts.h"


#define FUZZ_PARTS 16


/* The offset in "<kind> block at byte N", checking the form. */
static size_t
block_offset(const char *what)
{
	static const char *const kinds[] = {
		"base64", "quoted-printable", "uuencode", "yenc",
	};
	const char *at = strstr(what, " block at byte ");
	char *end;
	size_t kind_len, n;
	bool known = false;

	CHECK(at != NULL);
	kind_len = (size_t)(at - what);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		known |= strlen(kinds[i]) == kind_len &&
		    strncmp(what, kinds[i], kind_len) == 0;
	CHECK(known);
	at += strlen(" block at byte ");
	CHECK(*at >= '0' && *at <= '9');
	n = strtoul(at, &end, 10);
	CHECK(*end == '\0');
	return n;
}

/* Check one call's arguments against the promises. */
static bool
check_block(const unsigned char *data, size_t len, const char *what,
    void *ctx)
{
	struct fuzz_seen *s = ctx;

	CHECK(what != NULL);
	CHECK(block_offset(what) < s->size);
	return fuzz_seen_piece(s, data, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_seen s = { .max_calls = FUZZ_PARTS, .size = size };
	size_t n;

	n = mime_salvage_walk(data, size, FUZZ_PARTS, check_block, &s);
	CHECK(n == s.calls && n <= FUZZ_PARTS);
	s = (struct fuzz_seen){ .max_calls = FUZZ_PARTS, .size = size,
	    .stop_after = 1 };
	n = mime_salvage_walk(data, size, FUZZ_PARTS, check_block, &s);
	CHECK(n == s.calls && n <= 1);
	return 0;
}
