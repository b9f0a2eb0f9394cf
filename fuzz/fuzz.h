/*
 * fuzz.h - what the libFuzzer harnesses in fuzz/ share
 *
 * The entry point's declaration; CHECK(), which aborts on a broken
 * promise so the fuzzer saves the input; and, for harnesses of walks that
 * call back once per piece found (mime_parts_walk, mime_salvage_walk),
 * struct fuzz_seen and fuzz_seen_piece(), which check the promises every
 * such call shares and read every byte handed over, so ASan sees it all.
 */
#ifndef MXWARD_FUZZ_FUZZ_H
#define MXWARD_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise aborts, so the fuzzer saves the input. */
#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

struct fuzz_seen {
	size_t calls;
	size_t max_calls;  /* the walk's max_parts */
	size_t size;       /* of the input */
	size_t stop_after; /* 0: never */
	unsigned sum;      /* every byte read */
};

/* One callback: within the call bound, a piece neither empty nor longer
 * than the input; returns whether the walk should go on. */
static inline bool
fuzz_seen_piece(struct fuzz_seen *s, const unsigned char *data, size_t len)
{
	s->calls++;
	CHECK(s->calls <= s->max_calls);
	CHECK(len > 0 && len <= s->size && data != NULL);
	for (size_t i = 0; i < len; i++)
		s->sum += data[i];
	return s->stop_after == 0 || s->calls < s->stop_after;
}

#endif
