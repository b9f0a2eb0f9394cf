/*
 * load.c - load a policy: files and includes to a filled struct conf
 *
 * conf_load() reads the main file and the files its top-level `include`
 * glob(s) match, merges them into one YAML tree, fills every section's
 * values struct (defaults first, then the tree), and runs the sections'
 * init hooks; conf_load_buffer() does the same for one in-memory document
 * that may not include; conf_free() runs the fini hooks and frees.
 *
 * Mapping of YAML to options: a top-level key naming a section must hold a
 * mapping of that section's options; any other top-level key is an option
 * of the section named "". Nested mappings inside a section join their keys
 * with '.', so `tls: {required: yes}` sets the option "tls.required" (so
 * does the literal key `tls.required: yes`; setting both is an error). A
 * top-level `helo.enabled: yes` is the option enabled of section helo.
 *
 * Tables (CONF_TABLE, see conf.h): the option's value must be a mapping of
 * entry names; each entry's mapping is filled exactly like a section's,
 * from the entry section's options and defaults, into a values struct of
 * its own in the conf's arena, with the entry's key path
 * ("rate_limits.limits.per_sender.burst") in messages. Entries are filled
 * in file order (after includes are merged), then sorted by name.
 *
 * Includes: patterns are relative to the main file's directory; each
 * pattern's matches are read in sorted order after the main file, skipping
 * directories; an empty match is fine. Mappings merge recursively, anything
 * else from a later file replaces the earlier value. An included file may
 * not include; at most CONF_INCLUDE_MAX files are read.
 *
 * Contract: on success the caller owns the returned conf (one reference,
 * see snapshot.c); on failure NULL is returned, errs holds at least one
 * line, and everything allocated (including init hooks' work, through
 * fini, for sections and table entries alike) is released. Every value lives in the conf's arena. The only
 * shared state is the atomic generation counter, so loads may run on any
 * thread while other threads use published snapshots. glob(3) is called,
 * so loads should not run on two threads at once.
 *
 * SECURITY: policy files are admin input: each file is bounded by
 * CONF_YAML_MAX_BYTES (checked while reading, not trusted from stat),
 * include count by CONF_INCLUDE_MAX, entries of a table by CONF_TABLE_MAX,
 * entry names to CONF_TABLE_NAME_MAX bytes of [A-Za-z0-9_-]; see
 * yaml_tree.h for the YAML limits.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/options.h"
#include "conf/yaml_tree.h"
#include "core/arena.h"
#include "core/xalloc.h"

#define CONF_INCLUDE_MAX 256
#define CONF_INCLUDE_KEY "include"
#define CONF_TABLE_NAME_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

/* The table stored at a CONF_TABLE option's offset in values. */
#define TABLE_OF(values, option) \
	((struct conf_table *)(void *)((char *)(values) + (option)->offset))

/* Loads completed so far, for struct conf's generation. */
static atomic_ulong conf_generation;

/* A mapping being filled: a section's values or one table entry's. */
struct load_target {
	const struct conf_section *section;
	void *values;
	bool *set;         /* per option: set already */
	const char *path;  /* the mapping's key path; "" at the top level */
};

/* Where a section was declared, and its values being filled. */
struct load_section {
	const char *file;
	unsigned line;
	struct load_target target;
};

struct load {
	const char *main_file;
	struct arena *tmp;           /* trees and paths, freed after the load */
	struct conf_errors *errs;
	size_t errors_before;        /* errs may hold lines from before */
	struct conf *conf;
	struct load_section *state;
	size_t n_included;
};

/* Errors this load has added. */
static bool
load_failed(const struct load *ld)
{
	return conf_errors_count(ld->errs) > ld->errors_before;
}

/* strerror() is not thread safe; this is. */
static const char *
errno_text(int err, char *buf, size_t size)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(err, buf, size);
#else
	if (strerror_r(err, buf, size) != 0)
		snprintf(buf, size, "error %d", err);
	return buf;
#endif
}

/* Read a whole regular file of at most CONF_YAML_MAX_BYTES into *data_r
 * (free() it). The bound is enforced on the bytes read. */
static bool
load_read(struct load *ld, const char *path, char **data_r, size_t *len_r)
{
	char ebuf[128], *data;
	struct stat st;
	size_t cap, len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 ||
	    fstat(fd, &st) != 0) {
		conf_errors_add(ld->errs, path, 0, "cannot read: %s",
		    errno_text(errno, ebuf, sizeof(ebuf)));
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_errors_add(ld->errs, path, 0, "cannot read: not a file");
		close(fd);
		return false;
	}
	cap = st.st_size > CONF_YAML_MAX_BYTES ? CONF_YAML_MAX_BYTES + 1 :
	    (size_t)st.st_size + 1;
	data = xmalloc(cap);
	while (len < cap && (n = read(fd, data + len, cap - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			conf_errors_add(ld->errs, path, 0, "cannot read: %s",
			    errno_text(errno, ebuf, sizeof(ebuf)));
			close(fd);
			free(data);
			return false;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > CONF_YAML_MAX_BYTES) {
		conf_errors_add(ld->errs, path, 0, "file larger than %d bytes",
		    CONF_YAML_MAX_BYTES);
		free(data);
		return false;
	}
	*data_r = data;
	*len_r = len;
	return true;
}

/* Read and parse one file; NULL if it is unusable (errors added). An
 * empty file gives an empty mapping. */
static struct conf_ynode *
load_file(struct load *ld, const char *path)
{
	struct conf_ynode *root;
	char *data;
	size_t len;

	if (!load_read(ld, path, &data, &len))
		return NULL;
	conf_ytree_parse(path, data, len, ld->tmp, ld->errs, &root);
	free(data);
	return root;
}

/* The root must be a mapping; an empty document counts as an empty one. */
static struct conf_ynode *
load_root(struct load *ld, const char *file, struct conf_ynode *root)
{
	if (root == NULL || conf_ytree_is_null(root)) {
		root = arena_zalloc(ld->tmp, sizeof(*root));
		root->kind = CONF_YNODE_MAPPING;
		root->file = arena_strdup(ld->tmp, file);
		return root;
	}
	if (root->kind != CONF_YNODE_MAPPING) {
		conf_errors_add(ld->errs, root->file, root->line,
		    "expected a mapping of options, got %s",
		    conf_ytree_kind_name(root));
		return NULL;
	}
	return root;
}

/* The include entry of a mapping, or NULL. */
static const struct conf_ypair *
load_include_pair(const struct conf_ynode *root)
{
	for (size_t i = 0; i < root->n; i++)
		if (strcmp(root->pairs[i].key, CONF_INCLUDE_KEY) == 0)
			return &root->pairs[i];
	return NULL;
}

/* Read one included file and merge it into root. */
static void
load_include_file(struct load *ld, const char *path, struct conf_ynode *root)
{
	struct conf_ynode *tree = load_file(ld, path);
	const struct conf_ypair *inc;

	if (tree == NULL || (tree = load_root(ld, path, tree)) == NULL)
		return;
	if ((inc = load_include_pair(tree)) != NULL) {
		conf_errors_add(ld->errs, path, inc->key_line,
		    "include is not allowed in an included file");
		return;
	}
	conf_ytree_merge(root, tree, ld->tmp);
}

/* Expand one include pattern and merge what it matches. */
static void
load_include_glob(struct load *ld, const struct conf_ynode *pattern,
    struct conf_ynode *root)
{
	const char *slash = strrchr(ld->main_file, '/');
	const char *full = pattern->text;
	char ex[CONF_EXCERPT_MAX + 4];
	glob_t g;
	int rc;

	/* Relative to the main file's directory, which stays as the admin
	 * wrote it so error lines name files the way the admin would. */
	if (pattern->text[0] != '/' && slash != NULL)
		full = arena_sprintf(ld->tmp, "%.*s/%s",
		    (int)(slash - ld->main_file), ld->main_file, pattern->text);
	rc = glob(full, GLOB_MARK, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return;
	if (rc != 0) {
		conf_errors_add(ld->errs, pattern->file, pattern->line,
		    "include: cannot expand '%s'",
		    conf_excerpt(pattern->text, ex, sizeof(ex)));
		globfree(&g);
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];

		if (path[0] != '\0' && path[strlen(path) - 1] == '/')
			continue; /* GLOB_MARK: a directory */
		if (++ld->n_included > CONF_INCLUDE_MAX) {
			conf_errors_add(ld->errs, pattern->file, pattern->line,
			    "include: more than %d files", CONF_INCLUDE_MAX);
			break;
		}
		load_include_file(ld, path, root);
	}
	globfree(&g);
}

/* Handle the main file's include entry: a glob or a list of globs. */
static void
load_includes(struct load *ld, struct conf_ynode *root)
{
	const struct conf_ypair *inc = load_include_pair(root);
	struct conf_ynode *value;

	if (inc == NULL || conf_ytree_is_null(inc->value))
		return;
	value = inc->value;
	if (value->kind == CONF_YNODE_SCALAR) {
		load_include_glob(ld, value, root);
		return;
	}
	for (size_t i = 0; value->kind == CONF_YNODE_SEQUENCE && i < value->n;
	    i++) {
		if (value->items[i]->kind != CONF_YNODE_SCALAR) {
			conf_errors_add(ld->errs, value->items[i]->file,
			    value->items[i]->line,
			    "include: expected a glob, got %s",
			    conf_ytree_kind_name(value->items[i]));
			continue;
		}
		if (ld->n_included > CONF_INCLUDE_MAX)
			break;
		load_include_glob(ld, value->items[i], root);
	}
	if (value->kind == CONF_YNODE_MAPPING)
		conf_errors_add(ld->errs, value->file, value->line,
		    "include: expected a glob or a list of globs, got %s",
		    conf_ytree_kind_name(value));
}

/* Index of the section named name[0..len), or n_sections. */
static size_t
load_section_index(const struct conf *conf, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < conf->n_sections; i++)
		if (strncmp(conf->sections[i]->name, name, len) == 0 &&
		    conf->sections[i]->name[len] == '\0')
			break;
	return i;
}

/* The full key path of key under prefix, for messages. */
static const char *
load_path(struct arena *arena, const char *prefix, const char *key)
{
	return prefix[0] == '\0' ? key :
	    arena_sprintf(arena, "%s.%s", prefix, key);
}

/* Does any option of section lie under prefix + "."? */
static bool
load_has_prefix(const struct conf_section *section, const char *prefix)
{
	size_t len = strlen(prefix);

	for (const struct conf_option *o = section->options; o->key; o++)
		if (strncmp(o->key, prefix, len) == 0 && o->key[len] == '.')
			return true;
	return false;
}

/* key's path under t for a message: t's path as is (bounded: a section's
 * name or a checked entry name), the key, admin text, excerpted. */
static const char *
load_quote(struct load *ld, const struct load_target *t, const char *key)
{
	char ex[CONF_EXCERPT_MAX + 4];

	return arena_sprintf(ld->tmp, "%s%s%s", t->path,
	    t->path[0] != '\0' ? "." : "", conf_excerpt(key, ex, sizeof(ex)));
}

static void load_table(struct load *ld, const struct conf_option *option,
    const char *path, const struct conf_ynode *value,
    struct conf_table *table);

/* One key/value of target's mapping; nested mappings recurse with their
 * keys joined by '.'. */
static void
load_pair(struct load *ld, const struct load_target *t, const char *prefix,
    const struct conf_ypair *pair)
{
	const struct conf_option *options = t->section->options;
	const char *key = prefix == NULL ? pair->key :
	    arena_sprintf(ld->tmp, "%s.%s", prefix, pair->key);
	const char *path = load_path(ld->tmp, t->path, key);
	const struct conf_ynode *value = pair->value;
	size_t oi;

	for (oi = 0; options[oi].key != NULL; oi++)
		if (strcmp(options[oi].key, key) == 0)
			break;
	if (options[oi].key != NULL) {
		if (t->set[oi])
			conf_errors_add(ld->errs, value->file, pair->key_line,
			    "option '%s' is set twice", path);
		t->set[oi] = true;
		if (options[oi].type == CONF_TABLE)
			load_table(ld, &options[oi], path, value,
			    TABLE_OF(t->values, &options[oi]));
		else
			conf_option_parse(&options[oi], path, value,
			    t->values, ld->conf->arena, ld->errs);
	} else if (value->kind == CONF_YNODE_MAPPING &&
	    load_has_prefix(t->section, key)) {
		for (size_t i = 0; i < value->n; i++)
			load_pair(ld, t, key, &value->pairs[i]);
	} else {
		conf_errors_add(ld->errs, value->file, pair->key_line,
		    "unknown option '%s'", load_quote(ld, t, key));
	}
}

/* Values with every option of section at its default; *set_r (in tmp)
 * has room for one flag per option. */
static void *
load_new_values(struct load *ld, const struct conf_section *section,
    const char *path, bool **set_r)
{
	struct arena *arena = ld->conf->arena;
	void *values = arena_zalloc(arena, section->size ? section->size : 1);
	size_t n = 0;

	for (; section->options[n].key != NULL; n++)
		conf_option_default(&section->options[n],
		    load_path(ld->tmp, path, section->options[n].key), values,
		    arena);
	*set_r = arena_zalloc(ld->tmp, n + 1);
	return values;
}

/* Is name a usable entry name: 1 to CONF_TABLE_NAME_MAX bytes of
 * CONF_TABLE_NAME_CHARS? */
static bool
load_entry_name_ok(const char *name)
{
	size_t len = strnlen(name, CONF_TABLE_NAME_MAX + 1);

	return len > 0 && len <= CONF_TABLE_NAME_MAX &&
	    strspn(name, CONF_TABLE_NAME_CHARS) == len;
}

/* qsort order of entries: by name (unique within a mapping). */
static int
load_entry_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct conf_entry_head *const *)a)->name,
	    (*(const struct conf_entry_head *const *)b)->name);
}

/* One table entry from its key/value: the head, defaults, then the
 * entry's own mapping (a null means all defaults). */
static struct conf_entry_head *
load_entry(struct load *ld, const struct conf_section *entry,
    const char *table_path, const struct conf_ypair *pair)
{
	struct load_target t = { entry, NULL, NULL,
	    arena_sprintf(ld->tmp, "%s.%s", table_path, pair->key) };
	const struct conf_ynode *value = pair->value;
	struct conf_entry_head *head;

	t.values = head = load_new_values(ld, entry, t.path, &t.set);
	head->name = arena_strdup(ld->conf->arena, pair->key);
	head->file = arena_strdup(ld->conf->arena, value->file);
	head->line = pair->key_line;
	if (value->kind == CONF_YNODE_MAPPING)
		for (size_t i = 0; i < value->n; i++)
			load_pair(ld, &t, NULL, &value->pairs[i]);
	else if (!conf_ytree_is_null(value))
		conf_errors_add(ld->errs, value->file, value->line,
		    "%s: expected a mapping", t.path);
	return head;
}

/* A CONF_TABLE option's value: a mapping of entry names, each to a
 * mapping of the entry section's options; null is an empty table. */
static void
load_table(struct load *ld, const struct conf_option *option,
    const char *path, const struct conf_ynode *value,
    struct conf_table *table)
{
	struct arena *arena = ld->conf->arena;
	char ex[CONF_EXCERPT_MAX + 4];

	memset(table, 0, sizeof(*table));
	if (conf_ytree_is_null(value))
		return;
	if (value->kind != CONF_YNODE_MAPPING) {
		conf_errors_add(ld->errs, value->file, value->line,
		    "%s: expected a mapping of %s names, got %s", path,
		    option->entry->name, conf_ytree_kind_name(value));
		return;
	}
	if (value->n > CONF_TABLE_MAX) {
		/* At the first key too many, which may be in an include. */
		conf_errors_add(ld->errs,
		    value->pairs[CONF_TABLE_MAX].value->file,
		    value->pairs[CONF_TABLE_MAX].key_line,
		    "%s: more than %d entries", path, CONF_TABLE_MAX);
		return;
	}
	if (value->n == 0)
		return;
	/* Filled in file order, so errors come in file order too; then
	 * sorted by name. */
	table->values = arena_alloc(arena, value->n * sizeof(*table->values));
	for (size_t i = 0; i < value->n; i++) {
		const struct conf_ypair *pair = &value->pairs[i];

		if (!load_entry_name_ok(pair->key)) {
			conf_errors_add(ld->errs, pair->value->file,
			    pair->key_line, "%s: bad %s name '%s': use 1 to %d "
			    "letters, digits, '_' or '-'", path,
			    option->entry->name,
			    conf_excerpt(pair->key, ex, sizeof(ex)),
			    CONF_TABLE_NAME_MAX);
			continue;
		}
		table->values[table->n++] = load_entry(ld, option->entry,
		    path, pair);
	}
	qsort(table->values, table->n, sizeof(*table->values),
	    load_entry_cmp);
	table->names = arena_alloc(arena, value->n * sizeof(*table->names));
	for (size_t i = 0; i < table->n; i++)
		table->names[i] =
		    ((const struct conf_entry_head *)table->values[i])->name;
}

/* A top-level "section.option" key: the option of that section. */
static bool
load_dotted(struct load *ld, const struct conf_ypair *pair)
{
	const char *dot = strchr(pair->key, '.');
	struct conf_ypair sub = *pair;
	size_t si;

	if (dot == NULL || dot == pair->key || (si = load_section_index(
	    ld->conf, pair->key, (size_t)(dot - pair->key))) ==
	    ld->conf->n_sections)
		return false;
	if (ld->state[si].file == NULL) {
		ld->state[si].file = pair->value->file;
		ld->state[si].line = pair->key_line;
	}
	sub.key = dot + 1;
	load_pair(ld, &ld->state[si].target, NULL, &sub);
	return true;
}

/* Distribute the merged tree's top-level keys to sections. */
static void
load_walk(struct load *ld, const struct conf_ynode *root)
{
	size_t top = load_section_index(ld->conf, "", 0);
	char ex[CONF_EXCERPT_MAX + 4];

	for (size_t i = 0; i < root->n; i++) {
		const struct conf_ypair *pair = &root->pairs[i];
		const struct conf_ynode *value = pair->value;
		size_t si = pair->key[0] == '\0' ? ld->conf->n_sections :
		    load_section_index(ld->conf, pair->key, strlen(pair->key));

		if (strcmp(pair->key, CONF_INCLUDE_KEY) == 0)
			continue; /* the loader's own, handled already */
		if (si < ld->conf->n_sections) {
			ld->state[si].file = value->file;
			ld->state[si].line = pair->key_line;
			if (value->kind == CONF_YNODE_MAPPING) {
				for (size_t j = 0; j < value->n; j++)
					load_pair(ld, &ld->state[si].target,
					    NULL, &value->pairs[j]);
			} else if (!conf_ytree_is_null(value)) {
				conf_errors_add(ld->errs, value->file,
				    value->line, "%s: expected a mapping",
				    conf_excerpt(pair->key, ex, sizeof(ex)));
			}
		} else if (load_dotted(ld, pair)) {
			continue;
		} else if (top < ld->conf->n_sections) {
			load_pair(ld, &ld->state[top].target, NULL, pair);
		} else {
			conf_errors_add(ld->errs, value->file, pair->key_line,
			    "unknown option '%s'",
			    conf_excerpt(pair->key, ex, sizeof(ex)));
		}
	}
}

/* Make the conf with every section's defaults in place. */
static void
load_defaults(struct load *ld, const struct conf_section *const *sections,
    size_t n_sections)
{
	struct conf *conf = xcalloc(1, sizeof(*conf));
	struct arena *arena = arena_new();

	conf->arena = arena;
	conf->path = arena_strdup(arena, ld->main_file);
	conf->n_sections = n_sections;
	conf->sections = arena_alloc(arena, (n_sections + 1) *
	    sizeof(*conf->sections));
	memcpy((void *)conf->sections, sections,
	    n_sections * sizeof(*sections));
	conf->values = arena_alloc(arena, (n_sections + 1) *
	    sizeof(*conf->values));
	atomic_init(&conf->refs, 1);
	ld->conf = conf;
	ld->state = arena_zalloc(ld->tmp, (n_sections + 1) *
	    sizeof(*ld->state));
	for (size_t i = 0; i < n_sections; i++) {
		struct load_target *t = &ld->state[i].target;

		t->section = sections[i];
		t->path = sections[i]->name;
		t->values = conf->values[i] = load_new_values(ld, sections[i],
		    t->path, &t->set);
	}
}

/* Call the fini hooks of section si whose init step ran: its table
 * entries' (the first steps of them, in init order) and its own (when
 * steps exceeds the entries). SIZE_MAX: all of them. */
static void
load_fini_section(struct conf *conf, size_t si, size_t steps)
{
	const struct conf_section *s = conf->sections[si];
	const struct conf_option *o;
	size_t entries = 0;

	for (o = s->options; o->key != NULL; o++)
		if (o->type == CONF_TABLE)
			entries += TABLE_OF(conf->values[si], o)->n;
	if (steps > entries && s->fini != NULL)
		s->fini(conf->values[si]);
	for (o = s->options; o->key != NULL; o++) {
		const struct conf_table *t;

		if (o->type != CONF_TABLE)
			continue;
		t = TABLE_OF(conf->values[si], o);
		for (size_t j = 0; j < t->n; j++, steps--) {
			if (steps == 0)
				return;
			if (o->entry->fini != NULL)
				o->entry->fini(t->values[j]);
		}
	}
}

/* Call the fini hooks of sections [0, n) and of section n's first steps
 * init steps (see load_fini_section), then free the conf. */
static void
load_release(struct conf *conf, size_t n, size_t steps)
{
	for (size_t i = 0; i < n; i++)
		load_fini_section(conf, i, SIZE_MAX);
	if (n < conf->n_sections && steps > 0)
		load_fini_section(conf, n, steps);
	arena_free(&conf->arena);
	free(conf);
}

/* Call one init hook with conf_errors_here() at file:line; a failure
 * that added no error line gets one naming what (kind and name). */
static bool
load_hook(struct load *ld, const struct conf_section *s, void *values,
    const char *file, unsigned line, const char *kind, const char *name)
{
	bool good;

	if (s->init == NULL)
		return true;
	conf_errors_set_here(ld->errs, file, line);
	good = s->init(values, ld->conf->arena, ld->errs);
	if (!good && !load_failed(ld))
		conf_errors_here(ld->errs, "%s%s%s: invalid settings", kind,
		    name[0] ? " " : "", name);
	return good && !load_failed(ld);
}

/* Section si's init steps: each table entry's init, then its own. Counts
 * the steps begun in *steps_r, the failed one included. */
static bool
load_init_section(struct load *ld, size_t si, size_t *steps_r)
{
	const struct conf_section *s = ld->conf->sections[si];
	void *values = ld->conf->values[si];

	*steps_r = 0;
	for (const struct conf_option *o = s->options; o->key != NULL; o++) {
		const struct conf_table *t;

		if (o->type != CONF_TABLE)
			continue;
		t = TABLE_OF(values, o);
		for (size_t j = 0; j < t->n; j++) {
			const struct conf_entry_head *head = t->values[j];

			++*steps_r;
			if (!load_hook(ld, o->entry, t->values[j], head->file,
			    head->line, o->entry->name, head->name))
				return false;
		}
	}
	++*steps_r;
	return load_hook(ld, s, values, ld->state[si].file ?
	    ld->state[si].file : ld->main_file, ld->state[si].line,
	    s->name[0] ? "section" : "top-level options", s->name);
}

/* Run init hooks in order, each with its location for
 * conf_errors_here(); on failure undo the ones that ran. */
static bool
load_init(struct load *ld)
{
	struct conf *conf = ld->conf;
	size_t i, steps = 0;

	for (i = 0; i < conf->n_sections; i++)
		if (!load_init_section(ld, i, &steps))
			break;
	conf_errors_set_here(ld->errs, NULL, 0);
	if (i == conf->n_sections)
		return true;
	/* fini for every hook that ran, the failed one included: it may
	 * have made something before it failed. */
	load_release(conf, i, steps);
	ld->conf = NULL;
	return false;
}

/* Fill, check and initialise the conf from root; NULL on any error. */
static struct conf *
load_finish(struct load *ld, const struct conf_ynode *root,
    const struct conf_section *const *sections, size_t n_sections)
{
	struct conf *conf;

	load_defaults(ld, sections, n_sections);
	load_walk(ld, root);
	if (load_failed(ld)) {
		load_release(ld->conf, 0, 0);
		return NULL;
	}
	if (!load_init(ld))
		return NULL;
	conf = ld->conf;
	conf->generation = atomic_fetch_add(&conf_generation, 1) + 1;
	return conf;
}

/* Set up a load; the caller must load_done() it. */
static void
load_start(struct load *ld, const char *main_file, struct conf_errors *errs)
{
	memset(ld, 0, sizeof(*ld));
	ld->main_file = main_file;
	ld->tmp = arena_new();
	ld->errs = errs;
	ld->errors_before = conf_errors_count(errs);
}

struct conf *
conf_load(const char *path, const struct conf_section *const *sections,
    size_t n_sections, struct conf_errors *errs)
{
	struct load ld;
	struct conf_ynode *root;
	struct conf *conf = NULL;

	load_start(&ld, path, errs);
	root = load_file(&ld, path);
	if (root != NULL || !load_failed(&ld))
		root = load_root(&ld, path, root);
	if (root != NULL) {
		load_includes(&ld, root);
		conf = load_finish(&ld, root, sections, n_sections);
	}
	arena_free(&ld.tmp);
	return conf;
}

struct conf *
conf_load_buffer(const char *name, const char *data, size_t len,
    const struct conf_section *const *sections, size_t n_sections,
    struct conf_errors *errs)
{
	struct load ld;
	struct conf_ynode *root;
	const struct conf_ypair *inc;
	struct conf *conf = NULL;

	load_start(&ld, name, errs);
	conf_ytree_parse(name, data, len, ld.tmp, errs, &root);
	if (root != NULL || !load_failed(&ld))
		root = load_root(&ld, name, root);
	if (root != NULL) {
		if ((inc = load_include_pair(root)) != NULL)
			conf_errors_add(errs, inc->value->file, inc->key_line,
			    "include is not allowed here");
		conf = load_finish(&ld, root, sections, n_sections);
	}
	arena_free(&ld.tmp);
	return conf;
}

void
conf_free(struct conf **conf_p)
{
	struct conf *conf = *conf_p;

	if (conf == NULL)
		return;
	load_release(conf, conf->n_sections, 0);
	*conf_p = NULL;
}
