/*
 * optdoc.h - the policy option reference, generated from the option tables
 *
 * conf_write_man() writes the roff body of the mxward.yaml(5) option
 * reference, to follow the page's ".SH OPTIONS" line: one .SS subsection
 * per policy section (top-level options first, including the loader's own
 * `include`), one .TP entry per option giving its YAML key path, type (the
 * words of the page's Types glossary), default, bounds, enumeration values
 * and documentation; a table's entry options follow it, indented, as
 * SECTION.TABLE.\fIentry\fR.OPTION.
 *
 * Contract: writes to out only (errors are the stream's: check ferror());
 * reads the tables, keeps nothing. Thread safe.
 */
#ifndef MXWARD_CONF_OPTDOC_H
#define MXWARD_CONF_OPTDOC_H

#include <stddef.h>
#include <stdio.h>

#include "conf/conf.h"

void conf_write_man(FILE *out, const struct conf_section *const *sections,
    size_t n);

#endif
