/*
 * yaml_tree.h - a bounded YAML document as an in-memory tree
 *
 * conf_ytree_parse() turns one YAML document (bytes, no I/O) into a tree of
 * struct conf_ynode: scalars, sequences and mappings, each remembering the
 * file name and 1-based line it came from, so the loader can report
 * "FILE:LINE: reason". conf_ytree_find() looks a key up in a mapping;
 * conf_ytree_merge() merges a later file's tree into an earlier one
 * (mappings recursively, anything else replaced); conf_ytree_is_null()
 * tells a YAML null (empty, ~, null) from a string.
 *
 * Contract: every node, string and array is allocated from the arena the
 * caller passes and lives as long as it; nothing is freed individually.
 * Mapping keys are always scalars and unique (duplicates are reported and
 * the later one dropped). Scalar text is NUL-terminated and contains no
 * NUL. The functions keep no state between calls and are thread safe as
 * long as each tree (and its arena) is used by one thread.
 *
 * SECURITY: policy files are admin input and the fuzzer feeds arbitrary
 * bytes. Input is limited to CONF_YAML_MAX_BYTES, nesting to
 * CONF_YAML_MAX_DEPTH, scalars to CONF_YAML_MAX_SCALAR bytes and the
 * document to CONF_YAML_MAX_NODES nodes. Anchors and aliases are refused,
 * so there is no way to expand a small file into a large tree ("billion
 * laughs"). Duplicate detection and merging sort, so no input makes them
 * quadratic.
 */
#ifndef MXWARD_CONF_YAML_TREE_H
#define MXWARD_CONF_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct conf_errors;

#define CONF_YAML_MAX_BYTES (1024 * 1024)
#define CONF_YAML_MAX_DEPTH 16
#define CONF_YAML_MAX_SCALAR (64 * 1024)
#define CONF_YAML_MAX_NODES 100000

enum conf_ynode_kind {
	CONF_YNODE_SCALAR,
	CONF_YNODE_SEQUENCE,
	CONF_YNODE_MAPPING,
};

struct conf_ynode;

/* One mapping entry; the key's own line is kept for key errors. */
struct conf_ypair {
	const char *key;
	unsigned key_line;
	struct conf_ynode *value;
};

struct conf_ynode {
	enum conf_ynode_kind kind;
	const char *file;          /* shared by all nodes of one file */
	unsigned line;             /* 1-based */
	/* CONF_YNODE_SCALAR */
	const char *text;          /* NUL-terminated, no NUL inside */
	size_t len;
	bool plain;                /* unquoted and untagged: may be a null */
	/* CONF_YNODE_SEQUENCE: items[0..n); CONF_YNODE_MAPPING: pairs[0..n) */
	struct conf_ynode **items;
	struct conf_ypair *pairs;
	size_t n;
};

/*
 * Parse data[0..len) as one YAML document. file names the input in errors
 * (it is copied). On success *root_r is the document's root, or NULL for
 * an empty stream. Returns false when errors were added to errs; *root_r
 * is then NULL if the error stopped the parse (syntax, limits), else the
 * tree without the offending parts (duplicate keys, aliases...).
 */
bool conf_ytree_parse(const char *file, const char *data, size_t len,
    struct arena *arena, struct conf_errors *errs, struct conf_ynode **root_r);

/* The value of key in mapping map, or NULL (also when map is no mapping). */
struct conf_ynode *conf_ytree_find(const struct conf_ynode *map,
    const char *key);

/* Merge src into dst (both mappings): see the file comment. Nodes of src
 * are shared, not copied; both must live in arena. */
void conf_ytree_merge(struct conf_ynode *dst, struct conf_ynode *src,
    struct arena *arena);

/* Is node a YAML null (plain "", "~", "null", "Null", "NULL")? */
bool conf_ytree_is_null(const struct conf_ynode *node);

/* "a scalar", "a sequence" or "a mapping", for error messages. */
const char *conf_ytree_kind_name(const struct conf_ynode *node);

#endif
