/*
 * arena.h - a region allocator for per-message and per-snapshot data
 *
 * arena_new() makes an empty arena; arena_alloc() and the string helpers hand
 * out memory that lives until arena_free(), which releases everything at once
 * and clears the caller's pointer. Memory is aligned for any object type.
 * An arena is not thread safe: one owner at a time.
 */
#ifndef MXWARD_CORE_ARENA_H
#define MXWARD_CORE_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena **arena_p);
void *arena_alloc(struct arena *arena, size_t size);
void *arena_zalloc(struct arena *arena, size_t size);
char *arena_strdup(struct arena *arena, const char *s);
char *arena_strndup(struct arena *arena, const char *s, size_t n);
char *arena_sprintf(struct arena *arena, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Bytes handed out so far (for limits and metrics). */
size_t arena_used(const struct arena *arena);

#endif
