/*
 * fuzz_mime_parts.c - libFuzzer harness for mime/parts: GMime's parse of a
 * hostile message and the walk over its decoded parts
 *
 * LLVMFuzzerTestOneInput() treats the input as a whole message and walks
 * it with mime_parts_walk() under small bounds, then once more with a
 * callback that stops at the first part. Besides the sanitizers it checks
 * the walk's promises and aborts when one is broken: no more calls than
 * max_parts and the count returned is the count made, a description is a
 * non-empty string of printable ASCII starting "part ", no part is longer
 * than the message, and the bytes can be read to their end. Linked with
 * replay.c it replays the seed corpus fuzz/corpus/mime_parts in `make
 * check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mime/parts.h"


#define FUZZ_DEPTH 6
#define FUZZ_PARTS 16


/* Check one call's arguments against the promises. */
static bool
check_part(const unsigned char *data, size_t len, const char *what,
    void *ctx)
{
	struct fuzz_seen *s = ctx;

	CHECK(what != NULL && strncmp(what, "part ", 5) == 0);
	for (const char *p = what; *p != '\0'; p++)
		CHECK((unsigned char)*p >= 32 && (unsigned char)*p < 127);
	return fuzz_seen_piece(s, data, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_seen s = { .max_calls = FUZZ_PARTS, .size = size };
	size_t n;

	n = mime_parts_walk(data, size, FUZZ_DEPTH, FUZZ_PARTS, check_part, &s);
	CHECK(n == s.calls && n <= FUZZ_PARTS);
	s = (struct fuzz_seen){ .max_calls = FUZZ_PARTS, .size = size,
	    .stop_after = 1 };
	n = mime_parts_walk(data, size, FUZZ_DEPTH, FUZZ_PARTS, check_part, &s);
	CHECK(n == s.calls && n <= 1);
	return 0;
}
