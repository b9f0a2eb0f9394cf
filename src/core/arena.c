/*
 * arena.c - a region allocator for per-message and per-snapshot data
 *
 * Blocks are chained; a request larger than a quarter block gets a block of
 * its own so small allocations do not waste the tail. See arena.h.
 */
#include "config.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/xalloc.h"

#define ARENA_BLOCK 8192
#define ARENA_ALIGN alignof(max_align_t)

struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct arena_block *head;
	size_t used;
};

struct arena *
arena_new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void
arena_free(struct arena **arena_p)
{
	struct arena *arena = *arena_p;
	struct arena_block *b, *next;

	if (arena == NULL)
		return;
	for (b = arena->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(arena);
	*arena_p = NULL;
}

/* Chain a new block able to hold at least size bytes. */
static struct arena_block *
arena_grow(struct arena *arena, size_t size, int behind_head)
{
	struct arena_block *b = xmalloc(sizeof(*b) + size);

	b->size = size;
	b->used = 0;
	if (behind_head && arena->head != NULL) {
		/* A large one-off block goes second so the head keeps serving. */
		b->next = arena->head->next;
		arena->head->next = b;
	} else {
		b->next = arena->head;
		arena->head = b;
	}
	return b;
}

void *
arena_alloc(struct arena *arena, size_t size)
{
	struct arena_block *b = arena->head;
	size_t need;

	if (size > SIZE_MAX - ARENA_ALIGN)
		size = SIZE_MAX - ARENA_ALIGN; /* xmalloc will fail loudly */
	need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	arena->used += need;
	if (need > ARENA_BLOCK / 4) {
		b = arena_grow(arena, need, 1);
		b->used = need;
		return b->data;
	}
	if (b == NULL || b->size - b->used < need)
		b = arena_grow(arena, ARENA_BLOCK, 0);
	b->used += need;
	return b->data + b->used - need;
}

void *
arena_zalloc(struct arena *arena, size_t size)
{
	return memset(arena_alloc(arena, size), 0, size);
}

char *
arena_strndup(struct arena *arena, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = arena_alloc(arena, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
arena_strdup(struct arena *arena, const char *s)
{
	return arena_strndup(arena, s, strlen(s));
}

char *
arena_sprintf(struct arena *arena, const char *fmt, ...)
{
	va_list ap, ap2;
	int len;
	char *p;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	p = arena_alloc(arena, (size_t)len + 1);
	vsnprintf(p, (size_t)len + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

size_t
arena_used(const struct arena *arena)
{
	return arena->used;
}
