/*
 * parts.h - a message's MIME parts, decoded, and salvaged encoded blocks
 *
 * mime_parts_walk() parses a message with GMime and calls fn once per
 * non-empty leaf part with its content decoded from its
 * Content-Transfer-Encoding, recursing into multiparts and into
 * message/rfc822 (and message/news, message/global, message/partial)
 * bodies -- also those GMime leaves as leaves because they carry a
 * transfer encoding -- up to max_depth levels (the top-level body is at
 * depth 0, each multipart or embedded message adds one). Parts GMime
 * cannot decode are passed as they stand.
 *
 * mime_salvage_walk() ignores the MIME structure: it looks through the raw
 * bytes for runs that look like an encoded attachment -- base64 lines,
 * quoted-printable with soft line breaks, uuencode "begin" ... "end",
 * yEnc "=ybegin" ... "=yend" -- wherever they stand (inside a part with the
 * wrong or a doubled Content-Transfer-Encoding, after a broken boundary,
 * in the preamble, with junk lines in between) and calls fn with each
 * block decoded by GMime's decoders. It is lenient on purpose: characters
 * outside the alphabet are skipped, as a mail client would. Plain text
 * gives no block; the heuristics are in salvage.c.
 *
 * The callback gets the bytes (valid only during the call) and a short
 * description for logs, printable ASCII ("part 1.2 application/zip",
 * "uuencode block at byte 812"); it returns false to stop the walk. Both
 * walks return the number of calls made. Neither does I/O.
 *
 * SECURITY: the message is untrusted. Nesting is bounded by max_depth, the
 * number of callbacks by max_parts, and no decoded block is larger than
 * its input. Salvage is one linear pass and holds one block at a time;
 * the parts walk holds GMime's tree and one decoded part per level of
 * messages parsed from leaves, at worst about (max_depth + 2) * len.
 * GMime's own parser nests up to 1024 levels before max_depth applies,
 * which takes some 300 KB of stack. Both have fuzz harnesses
 * (fuzz/fuzz_mime_parts.c, fuzz/fuzz_salvage.c).
 * Thread safety: reentrant (GMime is initialised once, on first use).
 */
#ifndef MXWARD_MIME_PARTS_H
#define MXWARD_MIME_PARTS_H

#include <stdbool.h>
#include <stddef.h>

typedef bool (*mime_part_fn)(const unsigned char *data, size_t len,
    const char *what, void *ctx);

/* Initialise GMime once per process (thread safe); every user of GMime
 * calls it first. mime_parts_walk() does. */
void mime_gmime_init(void);

size_t mime_parts_walk(const unsigned char *message, size_t len,
    unsigned max_depth, size_t max_parts, mime_part_fn fn, void *ctx);

size_t mime_salvage_walk(const unsigned char *message, size_t len,
    size_t max_parts, mime_part_fn fn, void *ctx);

#endif
