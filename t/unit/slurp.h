/*
 * slurp.h - read a whole file for the golden-file unit tests
 *
 * slurp() returns the file's bytes NUL-terminated (free() them) and, when
 * len_r is not NULL, their count; NULL if the file cannot be opened.
 * Header-only, for test programs.
 */
#ifndef MXWARD_TEST_SLURP_H
#define MXWARD_TEST_SLURP_H

#include <stdio.h>

#include "core/buf.h"

static inline char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	struct buf *b;
	char chunk[4096], *text;
	size_t n;

	if (f == NULL)
		return NULL;
	b = buf_new();
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	fclose(f);
	if (len_r != NULL)
		*len_r = b->len;
	text = buf_steal(b);
	buf_free(&b);
	return text;
}

#endif
