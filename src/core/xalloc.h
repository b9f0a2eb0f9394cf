/*
 * xalloc.h - allocation that never returns NULL
 *
 * xmalloc(), xcalloc(), xrealloc(), xstrdup(), xstrndup() and xasprintf()
 * either succeed or log the failure and abort the process: out of memory is
 * not a condition any caller can repair, so callers carry no NULL checks.
 * Thread safe (they only call the C library).
 */
#ifndef MXWARD_CORE_XALLOC_H
#define MXWARD_CORE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
