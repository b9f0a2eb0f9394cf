/*
 * options.h - internals shared by the policy loader's files (not public)
 *
 * conf_option_parse() checks and stores one option's YAML value into a
 * section's values struct; conf_option_default() does the same for the
 * option's default_value and aborts if the table itself is wrong.
 * conf_format_value() prints a SIZE, DURATION or SCORE bound in the units an
 * admin writes ("4G", "30s"). conf_type_names maps enum conf_type to the
 * words used in messages and in the man page. conf_errors_set_here() sets
 * the location conf_errors_here() reports; conf_excerpt() makes admin text
 * safe to quote in an error line.
 *
 * Contract: values live in the arena passed in; an option's storage is
 * (char *)values + option->offset and must have the C type conf.h gives
 * for its enum conf_type. Bounds: min == max == 0 means unbounded.
 * All functions are reentrant; no global mutable state.
 */
#ifndef MXWARD_CONF_OPTIONS_H
#define MXWARD_CONF_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

struct arena;
struct conf_ynode;

/* Longest piece of admin input quoted in one error message. */
#define CONF_EXCERPT_MAX 64

extern const struct conf_name_code conf_type_names[];

/*
 * Parse value for option (called path, e.g. "helo.invalid_score", in
 * messages) and store it into values. Returns false after adding errors.
 * Not for CONF_TABLE options, which the loader fills itself (aborts).
 */
bool conf_option_parse(const struct conf_option *option, const char *path,
    const struct conf_ynode *value, void *values, struct arena *arena,
    struct conf_errors *errs);

/* Store option's default (or the type's zero) into values. Aborts the
 * process when the default does not parse: that is a bug in a table. For
 * CONF_TABLE it only checks the declaration (see conf.h), aborting when
 * it is wrong: the table stays empty. */
void conf_option_default(const struct conf_option *option, const char *path,
    void *values, struct arena *arena);

/* Does the option carry bounds (not min == max == 0)? */
bool conf_option_bounded(const struct conf_option *option);

/* Print v as a type value ("4G", "250ms", "-1.5") into buf. */
void conf_format_value(enum conf_type type, double v, char *buf, size_t size);

/* Errors: where conf_errors_here() points; file is copied. NULL clears. */
void conf_errors_set_here(struct conf_errors *errs, const char *file,
    unsigned line);

/* Copy at most CONF_EXCERPT_MAX bytes of text into buf (size at least
 * CONF_EXCERPT_MAX + 4), control characters shown as '?', "..." when cut. */
const char *conf_excerpt(const char *text, char *buf, size_t size);

#endif
