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
 * Includes: patterns are relative to the main file's directory; each
 * pattern's matches are read in sorted order after the main file, skipping
 * directories; an empty match is fine. Mappings merge recursively, anything
 * else from a later file replaces the earlier value. An included file may
 * not include; at most CONF_INCLUDE_MAX files are read.
 *
 * Contract: on success the caller owns the returned conf (one reference,
 * see snapshot.c); on failure NULL is returned, errs holds at least one
 * line, and everything allocated (including init hooks' work, through
 * fini) is released. Every value lives in the conf's arena. The only
 * shared state is the atomic generation counter, so loads may run on any
 * thread while other threads use published snapshots. glob(3) is called,
 * so loads should not run on two threads at once.
 *
 * SECURITY: policy files are admin input: each file is bounded by
 * CONF_YAML_MAX_BYTES (checked while reading, not trusted from stat),
 * include count by CONF_INCLUDE_MAX; see yaml_tree.h for the YAML limits.
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

/* Loads completed so far, for struct conf's generation. */
static atomic_ulong conf_generation;

/* Where a section was declared, and which of its options were set. */
struct load_section {
	const char *file;
	unsigned line;
	bool *set;
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

/* The full key path of a section's option, for messages. */
static const char *
load_path(struct arena *arena, const struct conf_section *section,
    const char *key)
{
	return section->name[0] == '\0' ? key :
	    arena_sprintf(arena, "%s.%s", section->name, key);
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

/* One key/value of section si's mapping; nested mappings recurse with
 * their keys joined by '.'. */
static void
load_pair(struct load *ld, size_t si, const char *prefix,
    const struct conf_ypair *pair)
{
	const struct conf_section *section = ld->conf->sections[si];
	const char *key = prefix == NULL ? pair->key :
	    arena_sprintf(ld->tmp, "%s.%s", prefix, pair->key);
	const char *path = load_path(ld->tmp, section, key);
	const struct conf_ynode *value = pair->value;
	char ex[CONF_EXCERPT_MAX + 4];
	size_t oi;

	for (oi = 0; section->options[oi].key != NULL; oi++)
		if (strcmp(section->options[oi].key, key) == 0)
			break;
	if (section->options[oi].key != NULL) {
		if (ld->state[si].set[oi])
			conf_errors_add(ld->errs, value->file, pair->key_line,
			    "option '%s' is set twice",
			    conf_excerpt(path, ex, sizeof(ex)));
		ld->state[si].set[oi] = true;
		conf_option_parse(&section->options[oi], path, value,
		    ld->conf->values[si], ld->conf->arena, ld->errs);
	} else if (value->kind == CONF_YNODE_MAPPING &&
	    load_has_prefix(section, key)) {
		for (size_t i = 0; i < value->n; i++)
			load_pair(ld, si, key, &value->pairs[i]);
	} else {
		conf_errors_add(ld->errs, value->file, pair->key_line,
		    "unknown option '%s'", conf_excerpt(path, ex, sizeof(ex)));
	}
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
	load_pair(ld, si, NULL, &sub);
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
					load_pair(ld, si, NULL,
					    &value->pairs[j]);
			} else if (!conf_ytree_is_null(value)) {
				conf_errors_add(ld->errs, value->file,
				    value->line, "%s: expected a mapping",
				    conf_excerpt(pair->key, ex, sizeof(ex)));
			}
		} else if (load_dotted(ld, pair)) {
			continue;
		} else if (top < ld->conf->n_sections) {
			load_pair(ld, top, NULL, pair);
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
		const struct conf_section *s = sections[i];
		size_t n = 0;

		conf->values[i] = arena_zalloc(arena, s->size ? s->size : 1);
		for (; s->options[n].key != NULL; n++)
			conf_option_default(&s->options[n],
			    load_path(ld->tmp, s, s->options[n].key),
			    conf->values[i], arena);
		ld->state[i].set = arena_zalloc(ld->tmp, n + 1);
	}
}

/* Call section fini hooks [0, n) and free the conf. */
static void
load_release(struct conf *conf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (conf->sections[i]->fini != NULL)
			conf->sections[i]->fini(conf->values[i]);
	arena_free(&conf->arena);
	free(conf);
}

/* Run init hooks in order, each with its section's location for
 * conf_errors_here(); on failure undo the ones that ran. */
static bool
load_init(struct load *ld)
{
	struct conf *conf = ld->conf;
	size_t i;

	for (i = 0; i < conf->n_sections; i++) {
		const struct conf_section *s = conf->sections[i];
		bool good;

		if (s->init == NULL)
			continue;
		conf_errors_set_here(ld->errs, ld->state[i].file ?
		    ld->state[i].file : ld->main_file, ld->state[i].line);
		good = s->init(conf->values[i], conf->arena, ld->errs);
		if (!good && !load_failed(ld))
			conf_errors_here(ld->errs, "%s%s: invalid settings",
			    s->name[0] ? "section " : "top-level options",
			    s->name);
		if (!good || load_failed(ld))
			break;
	}
	conf_errors_set_here(ld->errs, NULL, 0);
	if (i == conf->n_sections)
		return true;
	/* fini for every section whose init ran, the failed one included:
	 * it may have made something before it failed. */
	load_release(conf, i + 1);
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
		load_release(ld->conf, 0);
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
	load_release(conf, conf->n_sections);
	*conf_p = NULL;
}
