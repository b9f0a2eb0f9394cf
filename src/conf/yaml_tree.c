/*
 * yaml_tree.c - libyaml events to a bounded in-memory tree; see yaml_tree.h
 *
 * conf_ytree_parse() pulls libyaml's event stream and builds the tree by
 * recursive descent (recursion depth is capped at CONF_YAML_MAX_DEPTH, so
 * the C stack is bounded too). Children are gathered in a temporary vector
 * and copied into the arena once their count is known.
 *
 * Errors: a syntax error, a limit exceeded or a second document stops the
 * parse (the tree is dropped); a duplicate key, a non-scalar key, an anchor
 * or an alias is reported and parsing goes on, so one run shows them all.
 *
 * SECURITY: see yaml_tree.h. libyaml itself is iterative; every scalar it
 * hands over is bounded by the input size, which is checked before libyaml
 * sees a byte.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf/conf.h"
#include "conf/options.h"
#include "conf/yaml_tree.h"
#include "core/arena.h"
#include "core/xalloc.h"

struct ytree_parse {
	yaml_parser_t parser;
	const char *file;
	const char *data;
	size_t len;
	struct arena *arena;
	struct conf_errors *errs;
	size_t nodes;
	bool fatal;       /* stop: the tree is not usable */
	bool errors;      /* any error at all */
};

/* A growable array of pointers, freed once its contents are in the arena. */
struct ytree_vec {
	void **v;
	size_t n;
	size_t cap;
};

static struct conf_ynode *ytree_node(struct ytree_parse *p,
    yaml_event_t *event, unsigned depth);

/* Append x to vec. */
static void
vec_push(struct ytree_vec *vec, void *x)
{
	if (vec->n == vec->cap) {
		vec->cap = vec->cap ? vec->cap * 2 : 8;
		vec->v = xrealloc(vec->v, vec->cap * sizeof(*vec->v));
	}
	vec->v[vec->n++] = x;
}

/* 1-based line of a mark. */
static unsigned
mark_line(const yaml_mark_t *mark)
{
	return mark->line >= UINT32_MAX ? UINT32_MAX : (unsigned)mark->line + 1;
}

/* Report libyaml's error, with the line it gives (reader errors only give
 * a byte offset, so count the newlines before it). */
static void
ytree_syntax_error(struct ytree_parse *p)
{
	yaml_parser_t *yp = &p->parser;
	unsigned line = mark_line(&yp->problem_mark);
	const char *problem = yp->problem ? yp->problem : "unknown error";

	if (yp->error == YAML_READER_ERROR) {
		size_t end = yp->problem_offset < p->len ? yp->problem_offset :
		    p->len;

		line = 1;
		for (size_t i = 0; i < end; i++)
			line += p->data[i] == '\n';
	}
	if (yp->context != NULL)
		conf_errors_add(p->errs, p->file, line,
		    "YAML syntax error: %s (%s)", problem, yp->context);
	else
		conf_errors_add(p->errs, p->file, line, "YAML syntax error: %s",
		    problem);
	p->fatal = p->errors = true;
}

/* Fetch the next event; false (and fatal) on a syntax error. */
static bool
ytree_next(struct ytree_parse *p, yaml_event_t *event)
{
	if (!yaml_parser_parse(&p->parser, event)) {
		ytree_syntax_error(p);
		return false;
	}
	return true;
}

/* Count a node against the limit and allocate it. */
static struct conf_ynode *
ytree_alloc(struct ytree_parse *p, enum conf_ynode_kind kind, unsigned line)
{
	struct conf_ynode *node;

	if (++p->nodes > CONF_YAML_MAX_NODES) {
		conf_errors_add(p->errs, p->file, line,
		    "more than %d YAML nodes", CONF_YAML_MAX_NODES);
		p->fatal = p->errors = true;
		return NULL;
	}
	node = arena_zalloc(p->arena, sizeof(*node));
	node->kind = kind;
	node->file = p->file;
	node->line = line;
	return node;
}

/* Refuse an anchor: with aliases refused it could only mislead. */
static void
ytree_anchor(struct ytree_parse *p, const yaml_char_t *anchor, unsigned line)
{
	if (anchor == NULL)
		return;
	conf_errors_add(p->errs, p->file, line,
	    "YAML anchors (&name) are not supported");
	p->errors = true;
}

/* A scalar event becomes a scalar node. */
static struct conf_ynode *
ytree_scalar(struct ytree_parse *p, yaml_event_t *event, unsigned line)
{
	struct conf_ynode *node;
	size_t len = event->data.scalar.length;
	const char *value = (const char *)event->data.scalar.value;

	ytree_anchor(p, event->data.scalar.anchor, line);
	if (len > CONF_YAML_MAX_SCALAR) {
		conf_errors_add(p->errs, p->file, line,
		    "scalar longer than %d bytes", CONF_YAML_MAX_SCALAR);
		p->fatal = p->errors = true;
		return NULL;
	}
	if ((node = ytree_alloc(p, CONF_YNODE_SCALAR, line)) == NULL)
		return NULL;
	if (memchr(value, '\0', len) != NULL) {
		/* A "\0" escape would silently cut every C string after it. */
		conf_errors_add(p->errs, p->file, line,
		    "scalar contains a NUL character");
		p->errors = true;
		len = strlen(value);
	}
	node->text = arena_strndup(p->arena, value, len);
	node->len = len;
	node->plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    event->data.scalar.tag == NULL;
	return node;
}

/* Parse the items of a sequence up to its end event. */
static bool
ytree_sequence(struct ytree_parse *p, struct conf_ynode *node, unsigned depth)
{
	struct ytree_vec items = { NULL, 0, 0 };
	yaml_event_t event;
	struct conf_ynode *item;

	while (ytree_next(p, &event)) {
		if (event.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&event);
			break;
		}
		if ((item = ytree_node(p, &event, depth + 1)) == NULL)
			break;
		vec_push(&items, item);
	}
	if (!p->fatal && items.n > 0) {
		node->items = arena_alloc(p->arena, items.n * sizeof(*node->items));
		memcpy(node->items, items.v, items.n * sizeof(*node->items));
		node->n = items.n;
	}
	free(items.v);
	return !p->fatal;
}

/* qsort order for duplicate detection: by key, then by position. */
static int
pair_cmp(const void *a, const void *b)
{
	const struct conf_ypair *x = *(const struct conf_ypair *const *)a;
	const struct conf_ypair *y = *(const struct conf_ypair *const *)b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : (x < y ? -1 : x > y);
}

/* Order of pair pointers by position, to report duplicates in file order. */
static int
ptr_cmp(const void *a, const void *b)
{
	const struct conf_ypair *x = *(const struct conf_ypair *const *)a;
	const struct conf_ypair *y = *(const struct conf_ypair *const *)b;

	return x < y ? -1 : x > y;
}

/* Report and drop later duplicates of a key; sorting keeps it O(n log n). */
static void
ytree_dedupe(struct ytree_parse *p, struct conf_ynode *map)
{
	struct conf_ypair **sorted, **dups;
	size_t n_dups = 0, out = 0;
	char ex[CONF_EXCERPT_MAX + 4];

	if (map->n < 2)
		return;
	sorted = xmalloc(map->n * sizeof(*sorted));
	dups = xmalloc(map->n * sizeof(*dups));
	for (size_t i = 0; i < map->n; i++)
		sorted[i] = &map->pairs[i];
	qsort(sorted, map->n, sizeof(*sorted), pair_cmp);
	for (size_t i = 1; i < map->n; i++)
		if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0)
			dups[n_dups++] = sorted[i];
	if (n_dups > 0) {
		qsort(dups, n_dups, sizeof(*dups), ptr_cmp);
		for (size_t i = 0; i < n_dups; i++) {
			conf_errors_add(p->errs, p->file, dups[i]->key_line,
			    "duplicate key '%s'",
			    conf_excerpt(dups[i]->key, ex, sizeof(ex)));
			dups[i]->key = NULL; /* mark for removal */
		}
		p->errors = true;
		for (size_t i = 0; i < map->n; i++)
			if (map->pairs[i].key != NULL)
				map->pairs[out++] = map->pairs[i];
		map->n = out;
	}
	free(dups);
	free(sorted);
}

/* Parse key/value pairs of a mapping up to its end event. */
static bool
ytree_mapping(struct ytree_parse *p, struct conf_ynode *node, unsigned depth)
{
	struct ytree_vec keys = { NULL, 0, 0 }, values = { NULL, 0, 0 };
	yaml_event_t event;
	struct conf_ynode *key, *value;

	while (ytree_next(p, &event)) {
		if (event.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&event);
			break;
		}
		if ((key = ytree_node(p, &event, depth + 1)) == NULL ||
		    !ytree_next(p, &event) ||
		    (value = ytree_node(p, &event, depth + 1)) == NULL)
			break;
		if (key->kind != CONF_YNODE_SCALAR) {
			conf_errors_add(p->errs, p->file, key->line,
			    "mapping keys must be scalars, not %s",
			    conf_ytree_kind_name(key));
			p->errors = true;
			continue;
		}
		vec_push(&keys, key);
		vec_push(&values, value);
	}
	if (!p->fatal && keys.n > 0) {
		node->pairs = arena_alloc(p->arena, keys.n * sizeof(*node->pairs));
		for (size_t i = 0; i < keys.n; i++) {
			key = keys.v[i];
			node->pairs[i].key = key->text;
			node->pairs[i].key_line = key->line;
			node->pairs[i].value = values.v[i];
		}
		node->n = keys.n;
		ytree_dedupe(p, node);
	}
	free(keys.v);
	free(values.v);
	return !p->fatal;
}

/* Build the node that starts with event (consumed here); NULL when the
 * parse must stop. */
static struct conf_ynode *
ytree_node(struct ytree_parse *p, yaml_event_t *event, unsigned depth)
{
	unsigned line = mark_line(&event->start_mark);
	struct conf_ynode *node = NULL;
	enum conf_ynode_kind kind;

	switch (event->type) {
	case YAML_SCALAR_EVENT:
		node = ytree_scalar(p, event, line);
		yaml_event_delete(event);
		return node;
	case YAML_ALIAS_EVENT:
		/* Refused, not expanded: no billion laughs. Parsing goes on
		 * with a null in its place. */
		conf_errors_add(p->errs, p->file, line,
		    "YAML aliases (*name) are not supported");
		p->errors = true;
		yaml_event_delete(event);
		if ((node = ytree_alloc(p, CONF_YNODE_SCALAR, line)) != NULL) {
			node->text = "";
			node->plain = true;
		}
		return node;
	case YAML_SEQUENCE_START_EVENT:
		ytree_anchor(p, event->data.sequence_start.anchor, line);
		kind = CONF_YNODE_SEQUENCE;
		break;
	case YAML_MAPPING_START_EVENT:
		ytree_anchor(p, event->data.mapping_start.anchor, line);
		kind = CONF_YNODE_MAPPING;
		break;
	default:
		/* libyaml only sends the above inside a document. */
		conf_errors_add(p->errs, p->file, line, "unexpected YAML event");
		p->fatal = p->errors = true;
		yaml_event_delete(event);
		return NULL;
	}
	yaml_event_delete(event);
	if (depth > CONF_YAML_MAX_DEPTH) {
		conf_errors_add(p->errs, p->file, line,
		    "YAML nested deeper than %d levels", CONF_YAML_MAX_DEPTH);
		p->fatal = p->errors = true;
		return NULL;
	}
	if ((node = ytree_alloc(p, kind, line)) == NULL)
		return NULL;
	if (kind == CONF_YNODE_SEQUENCE ? !ytree_sequence(p, node, depth) :
	    !ytree_mapping(p, node, depth))
		return NULL;
	return node;
}

/* Walk stream start, at most one document, stream end. */
static struct conf_ynode *
ytree_stream(struct ytree_parse *p)
{
	yaml_event_t event;
	struct conf_ynode *root = NULL;

	if (!ytree_next(p, &event))
		return NULL;
	yaml_event_delete(&event); /* STREAM-START */
	if (!ytree_next(p, &event))
		return NULL;
	if (event.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&event);
		return NULL;
	}
	yaml_event_delete(&event); /* DOCUMENT-START */
	if (!ytree_next(p, &event) || (root = ytree_node(p, &event, 1)) == NULL)
		return NULL;
	if (!ytree_next(p, &event))
		return NULL;
	yaml_event_delete(&event); /* DOCUMENT-END */
	if (!ytree_next(p, &event))
		return NULL;
	if (event.type != YAML_STREAM_END_EVENT) {
		conf_errors_add(p->errs, p->file, mark_line(&event.start_mark),
		    "only one YAML document is allowed");
		p->fatal = p->errors = true;
	}
	yaml_event_delete(&event);
	return p->fatal ? NULL : root;
}

bool
conf_ytree_parse(const char *file, const char *data, size_t len,
    struct arena *arena, struct conf_errors *errs, struct conf_ynode **root_r)
{
	struct ytree_parse p;
	struct conf_ynode *root;

	*root_r = NULL;
	memset(&p, 0, sizeof(p));
	p.file = arena_strdup(arena, file);
	p.data = data;
	p.len = len;
	p.arena = arena;
	p.errs = errs;
	if (len > CONF_YAML_MAX_BYTES) {
		conf_errors_add(errs, p.file, 0, "file larger than %d bytes",
		    CONF_YAML_MAX_BYTES);
		return false;
	}
	if (!yaml_parser_initialize(&p.parser)) {
		/* Its only failure is memory, which nobody can repair. */
		fprintf(stderr, "mxward: out of memory starting libyaml\n");
		abort();
	}
	yaml_parser_set_input_string(&p.parser, (const unsigned char *)data,
	    len);
	root = ytree_stream(&p);
	yaml_parser_delete(&p.parser);
	/* After errors that did not stop the parse the tree is still handed
	 * back, so the caller can report further problems in one run. */
	*root_r = p.fatal ? NULL : root;
	return !p.errors;
}

struct conf_ynode *
conf_ytree_find(const struct conf_ynode *map, const char *key)
{
	if (map == NULL || map->kind != CONF_YNODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

/* bsearch order: a key against a pair pointer. */
static int
key_pair_cmp(const void *key, const void *pair)
{
	return strcmp(key, (*(const struct conf_ypair *const *)pair)->key);
}

void
conf_ytree_merge(struct conf_ynode *dst, struct conf_ynode *src,
    struct arena *arena)
{
	struct conf_ypair **sorted, **found, *pairs;
	struct conf_ypair **add;
	size_t n_add = 0;

	if (src->n == 0)
		return;
	/* Keys are unique in both (ytree_dedupe), so a sorted index of dst
	 * answers each src key in O(log n). */
	sorted = xmalloc((dst->n + 1) * sizeof(*sorted));
	add = xmalloc(src->n * sizeof(*add));
	for (size_t i = 0; i < dst->n; i++)
		sorted[i] = &dst->pairs[i];
	qsort(sorted, dst->n, sizeof(*sorted), pair_cmp);
	for (size_t i = 0; i < src->n; i++) {
		struct conf_ypair *s = &src->pairs[i];

		found = dst->n ? bsearch(s->key, sorted, dst->n,
		    sizeof(*sorted), key_pair_cmp) : NULL;
		if (found == NULL) {
			add[n_add++] = s;
		} else if ((*found)->value->kind == CONF_YNODE_MAPPING &&
		    s->value->kind == CONF_YNODE_MAPPING) {
			conf_ytree_merge((*found)->value, s->value, arena);
		} else if ((*found)->value->kind == CONF_YNODE_MAPPING &&
		    conf_ytree_is_null(s->value)) {
			/* An empty "section:" adds nothing to a mapping. */
		} else {
			/* The key line goes with the value: both name the
			 * later file. */
			(*found)->value = s->value;
			(*found)->key_line = s->key_line;
		}
	}
	if (n_add > 0) {
		pairs = arena_alloc(arena, (dst->n + n_add) * sizeof(*pairs));
		if (dst->n > 0)
			memcpy(pairs, dst->pairs, dst->n * sizeof(*pairs));
		for (size_t i = 0; i < n_add; i++)
			pairs[dst->n + i] = *add[i];
		dst->pairs = pairs;
		dst->n += n_add;
	}
	free(add);
	free(sorted);
}

bool
conf_ytree_is_null(const struct conf_ynode *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (node == NULL)
		return true;
	if (node->kind != CONF_YNODE_SCALAR || !node->plain)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(node->text, nulls[i]) == 0)
			return true;
	return false;
}

const char *
conf_ytree_kind_name(const struct conf_ynode *node)
{
	static const char *const names[] = {
		[CONF_YNODE_SCALAR] = "a scalar",
		[CONF_YNODE_SEQUENCE] = "a sequence",
		[CONF_YNODE_MAPPING] = "a mapping",
	};

	return node == NULL ? "nothing" : names[node->kind];
}
