/*
 * buf.h - a growable byte buffer, always NUL-terminated
 *
 * buf_new() / buf_free(&b); buf_append(), buf_appendf(), buf_putc() grow as
 * needed (allocation failure never returns). buf_data() stays valid until the
 * next append. Not thread safe: one owner at a time.
 */
#ifndef MXWARD_CORE_BUF_H
#define MXWARD_CORE_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

struct buf *buf_new(void);
void buf_free(struct buf **b_p);
void buf_reset(struct buf *b);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_appendf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hand the contents to the caller (free() it) and leave b empty. */
char *buf_steal(struct buf *b);

#endif
