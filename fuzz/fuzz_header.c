/*
 * fuzz_header.c - libFuzzer harness for mime/header: fields, authserv-id,
 * address domains
 *
 * LLVMFuzzerTestOneInput() treats the input as a raw header block and
 * walks it with mime_header_next() until MIME_HEADER_END, handing every
 * field value to mime_authres_authserv_id() and mime_address_domain().
 * Besides the sanitizers it checks the parser's promises and aborts when
 * one is broken: *pos_r always advances and never passes the length, names
 * fit, values are unfolded (no LF, no NUL) and bounded, an id is a string
 * shorter than its buffer. Linked with replay.c it replays the seed corpus
 * fuzz/corpus/header in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mime/header.h"


/* Feed one value to the functions that read pieces of field values. */
static void
fuzz_value(const char *value)
{
	size_t len = strlen(value);
	char id[64];
	char tiny[2];
	const char *domain;

	if (mime_authres_authserv_id(value, len, id, sizeof(id)))
		CHECK(id[0] != '\0' && strlen(id) < sizeof(id));
	else
		CHECK(id[0] == '\0');
	/* A one-byte id fits a two-byte buffer, nothing longer does. */
	if (mime_authres_authserv_id(value, len, tiny, sizeof(tiny)))
		CHECK(strlen(tiny) == 1);
	domain = mime_address_domain(value);
	if (domain != NULL)
		CHECK(domain > value && domain[-1] == '@' && *domain != '\0' &&
		    strchr(domain, '@') == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct mime_header_field field;
	enum mime_header_status st;
	size_t pos = 0, before;
	char id[256];

	do {
		before = pos;
		st = mime_header_next(text, size, &pos, &field);
		CHECK(pos <= size);
		CHECK(pos > before || (st == MIME_HEADER_END && pos == size));
		if (st != MIME_HEADER_FIELD) {
			CHECK(field.value == NULL);
			continue;
		}
		CHECK(field.name[0] != '\0' && strlen(field.name) <= 255);
		CHECK(strlen(field.value) <= MIME_HEADER_MAX);
		CHECK(strchr(field.value, '\n') == NULL);
		fuzz_value(field.value);
		free(field.value);
	} while (st != MIME_HEADER_END);
	/* Raw bytes too: NULs, line breaks and all, bounded by size alone. */
	if (mime_authres_authserv_id(text, size, id, sizeof(id)))
		CHECK(id[0] != '\0' && strlen(id) < sizeof(id));
	return 0;
}
