/*
 * buf.c - a growable byte buffer, always NUL-terminated; see buf.h
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"

struct buf *
buf_new(void)
{
	struct buf *b = xcalloc(1, sizeof(*b));

	b->cap = 64;
	b->data = xmalloc(b->cap);
	b->data[0] = '\0';
	return b;
}

void
buf_free(struct buf **b_p)
{
	if (*b_p == NULL)
		return;
	free((*b_p)->data);
	free(*b_p);
	*b_p = NULL;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

/* Make room for extra more bytes plus the terminator. */
static void
buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void
buf_append(struct buf *b, const void *data, size_t len)
{
	buf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	int len;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len > 0) {
		buf_reserve(b, (size_t)len);
		vsnprintf(b->data + b->len, (size_t)len + 1, fmt, ap2);
		b->len += (size_t)len;
	}
	va_end(ap2);
}

char *
buf_steal(struct buf *b)
{
	char *s = b->data;

	b->cap = 64;
	b->data = xmalloc(b->cap);
	buf_reset(b);
	return s;
}
