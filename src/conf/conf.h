/*
 * conf.h - policy files: option tables, loading, published snapshots
 *
 * Every policy option is declared once, in a table of struct conf_option
 * grouped by struct conf_section. The loader is generic: the daemon hands it
 * the sections it knows (its own and one per check) and gets back a
 * struct conf whose section values are filled from YAML with type checks,
 * bounds and defaults, or a list of "FILE:LINE: reason" errors. The same
 * tables generate the mxward.yaml(5) option reference.
 *
 * Tables: an option of type CONF_TABLE holds named entries, a YAML mapping
 * NAME: { options }, each filled like a small section from the option's
 * entry section (its options, defaults per entry, size, init, fini).
 * Entry names are 1 to CONF_TABLE_NAME_MAX bytes of [A-Za-z0-9_-], at most
 * CONF_TABLE_MAX entries per table, so a table's names are a bounded set
 * (metrics use them as label values). A table's default is empty; so are
 * a YAML null and {}. struct conf_table lists the entries sorted by name
 * (strcmp order) whatever order the files gave them in, so it can be
 * searched with bsearch(3). Every entry's values struct begins with a
 * struct conf_entry_head, filled by the loader before the entry's options.
 * Within a section the entries' init hooks run first (tables in option
 * order, entries in name order), then the section's own; at release the
 * section's fini runs before its entries'. A table is written as a mapping
 * under its own key: dotted keys do not reach into its entries. An entry
 * section may not hold a table itself.
 *
 * Snapshots: conf_publish() makes a loaded conf the current one;
 * conf_acquire() returns the current one with a reference held and
 * conf_release() drops it. A snapshot is immutable once published and freed
 * (fini hooks, then its arena) when its last reference goes. These
 * three are thread safe; a short mutex guards the pointer, never across I/O.
 *
 * SECURITY: policy files are admin input. YAML nesting, file size, scalar
 * length and include count are bounded; every error names file and line.
 */
#ifndef MXWARD_CONF_CONF_H
#define MXWARD_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/cidr.h"

struct arena;

enum conf_type {
	CONF_BOOL,        /* bool; yes/no/true/false */
	CONF_INT,         /* long long within [min, max] */
	CONF_SIZE,        /* uint64_t bytes; "10M", "512k", "2G" or a number */
	CONF_DURATION,    /* uint64_t milliseconds; "30s", "5m", "250ms", "1h" */
	CONF_SCORE,       /* double within [min, max]; "off" stores NAN */
	CONF_STRING,      /* char * (NULL when unset and no default) */
	CONF_ENUM,        /* int, through the option's name<->code table */
	CONF_STRING_LIST, /* struct conf_strlist; a YAML sequence of scalars */
	CONF_CIDR_LIST,   /* struct cidr_list; a sequence of ADDR[/LEN] */
	CONF_REPLY,       /* struct conf_reply; "550 5.7.1 text" */
	CONF_TABLE,       /* struct conf_table; a mapping NAME: { options } */
};

#define CONF_TABLE_MAX 256      /* entries in one table */
#define CONF_TABLE_NAME_MAX 64  /* bytes in an entry's name */

/* Enumerations go through name<->code tables; the last entry has name NULL. */
struct conf_name_code {
	const char *name;
	int code;
};

struct conf_strlist {
	char **v;
	size_t n;
};

/* An SMTP reply: basic code, RFC 3463 enhanced code, text. */
struct conf_reply {
	char code[4];   /* "550" */
	char xcode[16]; /* "5.7.1" */
	const char *text;
};

struct conf_section;

/* The start of every table entry's values struct, filled by the loader
 * before the entry's options and init; all strings are in the conf's
 * arena. file and line locate the entry's key, for later messages. */
struct conf_entry_head {
	const char *name;  /* the entry's key, e.g. "per_sender" */
	const char *file;
	unsigned line;
};

/* A CONF_TABLE value: entries sorted by name. values[i] points at the
 * entry's struct (of its entry section's size), which begins with a struct
 * conf_entry_head whose name is names[i]. */
struct conf_table {
	size_t n;
	const char **names;
	void **values;
};

struct conf_option {
	const char *key;           /* within the section, e.g. "trusted_networks" */
	enum conf_type type;
	size_t offset;             /* offsetof() into the section's struct */
	const char *default_value; /* as it would be written in YAML; NULL: none */
	double min, max;           /* bounds for INT, SIZE, DURATION, SCORE, in
	                              stored units (bytes, milliseconds);
	                              min == max == 0: unbounded */
	const struct conf_name_code *names; /* for CONF_ENUM */
	const char *doc;           /* one paragraph for the man page */
	/* For CONF_TABLE: the section that describes one entry. Its name
	 * ("limit") names an entry in messages and the man page; its size
	 * must be at least sizeof(struct conf_entry_head); init and fini run
	 * once per entry, init with conf_errors_here() at the entry's key.
	 * The option's default_value must be NULL. */
	const struct conf_section *entry;
};

struct conf_errors;

struct conf_section {
	const char *name;  /* "" for top-level keys, else the YAML mapping key */
	const char *doc;   /* paragraph for the man page */
	const struct conf_option *options; /* terminated by key NULL */
	size_t size;       /* sizeof the values struct */
	/* Called after the section is filled (and after the init of its
	 * tables' entries): validate across options and derive compiled
	 * state into the same struct. May be NULL. */
	bool (*init)(void *values, struct arena *arena, struct conf_errors *errs);
	/* Releases what init made outside the arena. May be NULL. Called
	 * also when this or a later init fails, so it must cope with a
	 * partly initialised struct. */
	void (*fini)(void *values);
};

struct conf {
	char *path;                 /* the main policy file */
	struct arena *arena;        /* everything the snapshot owns */
	const struct conf_section *const *sections;
	void **values;              /* one per section, same order */
	size_t n_sections;
	unsigned long generation;   /* 1 for the first load, then +1 per reload */
	/* reference count: managed by conf_acquire/conf_release */
	_Atomic unsigned refs;
};

/* Errors, each "FILE:LINE: reason", in the order found. */
struct conf_errors *conf_errors_new(void);
void conf_errors_free(struct conf_errors **errs_p);
void conf_errors_add(struct conf_errors *errs, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Add an error at the location where the current section or table entry
 * was declared (for init hooks). */
void conf_errors_here(struct conf_errors *errs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
size_t conf_errors_count(const struct conf_errors *errs);
const char *conf_errors_get(const struct conf_errors *errs, size_t i);

/* Load path (and its includes). Returns NULL and fills errs on any error. */
struct conf *conf_load(const char *path,
    const struct conf_section *const *sections, size_t n_sections,
    struct conf_errors *errs);
/* Load from a memory buffer (for tests and fuzzing; includes are refused). */
struct conf *conf_load_buffer(const char *name, const char *data, size_t len,
    const struct conf_section *const *sections, size_t n_sections,
    struct conf_errors *errs);
void conf_free(struct conf **conf_p);

/* The values struct of section i. */
static inline const void *
conf_section_values(const struct conf *conf, size_t i)
{
	return conf->values[i];
}

/* Snapshots. */
void conf_publish(struct conf *conf); /* takes ownership */
struct conf *conf_acquire(void);      /* NULL before the first publish */
void conf_release(struct conf **conf_p);

/* Name<->code helpers. */
const char *conf_code_name(const struct conf_name_code *names, int code);
bool conf_name_code(const struct conf_name_code *names, const char *name,
    int *code_r);

#endif
