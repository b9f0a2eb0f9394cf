/*
 * optdoc.c - write the option reference as roff; see optdoc.h
 *
 * Everything taken from the tables is escaped for roff (backslashes,
 * hyphens, and a '.' or '\'' at the start of a line, which would otherwise
 * be read as a request), so a doc string can say anything.
 *
 * A table option (CONF_TABLE) is followed by its entry section's options,
 * indented, each as SECTION.TABLE.\fIentry\fR.OPTION with the entry
 * section's name in italics standing for an entry's name.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/optdoc.h"
#include "conf/options.h"

static const char include_doc[] =
    "A glob(7) pattern, or a list of them, naming further policy files to "
    "read after this one; relative patterns are taken from this file's "
    "directory. Matching files are read in sorted order; a pattern that "
    "matches nothing is not an error, so an empty include directory is "
    "fine. Mappings in later files are merged key by key into earlier ones, "
    "while a later scalar or list replaces the earlier value. Included "
    "files may not include further; at most 256 files are read. Only "
    "allowed at the top level of the main policy file.";

/* Write s escaped for roff; at_line_start says whether s begins a line. */
static void
roff_puts(FILE *out, const char *s, int at_line_start)
{
	for (; *s != '\0'; s++) {
		if (at_line_start && (*s == '.' || *s == '\''))
			fputs("\\&", out);
		at_line_start = 0;
		switch (*s) {
		case '\\':
			fputs("\\e", out);
			break;
		case '-':
			fputs("\\-", out);
			break;
		case '\n':
			fputc('\n', out);
			at_line_start = 1;
			break;
		default:
			fputc(*s, out);
			break;
		}
	}
}

/* The default as an admin would read it, when the table has none. */
static const char *
default_text(const struct conf_option *option)
{
	const char *name;

	if (option->default_value != NULL)
		return option->default_value;
	switch (option->type) {
	case CONF_BOOL:
		return "no";
	case CONF_ENUM:
		name = conf_code_name(option->names, 0);
		return name ? name : "none";
	case CONF_STRING_LIST:
	case CONF_CIDR_LIST:
	case CONF_TABLE:
		return "empty";
	case CONF_STRING:
	case CONF_REPLY:
		return "none";
	default:
		return "0";
	}
}

/* The "type; default; bounds" line and the enumeration values. */
static void
write_option_facts(FILE *out, const struct conf_option *option)
{
	char lo[64], hi[64];

	fputs("\\fI", out);
	roff_puts(out, conf_code_name(conf_type_names, option->type), 0);
	fputs("\\fR; default \\fB", out);
	roff_puts(out, default_text(option), 0);
	fputs("\\fR", out);
	if (conf_option_bounded(option) && option->type != CONF_BOOL &&
	    option->type != CONF_ENUM) {
		conf_format_value(option->type, option->min, lo, sizeof(lo));
		conf_format_value(option->type, option->max, hi, sizeof(hi));
		fputs("; from ", out);
		roff_puts(out, lo, 0);
		fputs(" to ", out);
		roff_puts(out, hi, 0);
	}
	fputs(".\n", out);
	if (option->type == CONF_ENUM && option->names != NULL) {
		fputs(".br\nOne of:", out);
		for (const struct conf_name_code *n = option->names;
		    n->name != NULL; n++) {
			fputs(n == option->names ? " \\fB" : ", \\fB", out);
			roff_puts(out, n->name, 0);
			fputs("\\fR", out);
		}
		fputs(".\n", out);
	}
}

/* What every table's entry names and values are, and the entry's doc. */
static void
write_table_rules(FILE *out, const struct conf_section *entry)
{
	fputs(".br\nEach key of this mapping names one \\fI", out);
	roff_puts(out, entry->name, 0);
	fprintf(out, "\\fR: 1 to %d letters, digits, \\(aq_\\(aq or "
	    "\\(aq\\-\\(aq; at most %d of them. Its value is a mapping of "
	    "the options below; options it leaves out take their defaults.\n",
	    CONF_TABLE_NAME_MAX, CONF_TABLE_MAX);
	if (entry->doc != NULL && entry->doc[0] != '\0') {
		fputs(".br\n", out);
		roff_puts(out, entry->doc, 1);
		fputc('\n', out);
	}
}

/* One .TP entry; prefix is the key path before option's key, and entry
 * (not NULL inside a table) the name set in italics after it. */
static void
write_option(FILE *out, const char *prefix, const char *entry,
    const struct conf_option *option)
{
	char path[512];

	fputs(entry != NULL ? ".TP\n.BI " : ".TP\n.B ", out);
	if (prefix[0] != '\0') {
		roff_puts(out, prefix, 0);
		fputc('.', out);
	}
	if (entry != NULL) {
		fputc(' ', out);
		roff_puts(out, entry, 0);
		fputs(" .", out);
	}
	roff_puts(out, option->key, 0);
	fputc('\n', out);
	write_option_facts(out, option);
	if (option->doc != NULL && option->doc[0] != '\0') {
		fputs(".br\n", out);
		roff_puts(out, option->doc, 1);
		fputc('\n', out);
	}
	if (option->type != CONF_TABLE)
		return;
	/* The entry's options, indented under the table. conf.h allows no
	 * table inside an entry, so this goes one level deep. */
	write_table_rules(out, option->entry);
	snprintf(path, sizeof(path), "%s%s%s", prefix,
	    prefix[0] != '\0' ? "." : "", option->key);
	fputs(".RS\n", out);
	for (const struct conf_option *o = option->entry->options;
	    o->key != NULL; o++)
		write_option(out, path, option->entry->name, o);
	fputs(".RE\n", out);
}

/* One .SS subsection; the top-level one also documents include. */
static void
write_section(FILE *out, const struct conf_section *section)
{
	bool top = section->name[0] == '\0';

	if (top) {
		fputs(".SS \"Top-level options\"\n", out);
	} else {
		fputs(".SS \"", out);
		roff_puts(out, section->name, 0);
		fputs("\"\n", out);
	}
	if (section->doc != NULL && section->doc[0] != '\0') {
		roff_puts(out, section->doc, 1);
		fputc('\n', out);
	} else if (!top) {
		fputs("Options under the top\\-level key \\fB", out);
		roff_puts(out, section->name, 0);
		fputs("\\fR.\n", out);
	}
	if (top) {
		fputs(".TP\n.B include\n\\fIglob or list of globs\\fR; "
		    "default \\fBnone\\fR.\n.br\n", out);
		roff_puts(out, include_doc, 1);
		fputc('\n', out);
	}
	for (const struct conf_option *o = section->options; o->key != NULL;
	    o++)
		write_option(out, section->name, NULL, o);
}

void
conf_write_man(FILE *out, const struct conf_section *const *sections,
    size_t n)
{
	static const struct conf_option no_options[] = { { .key = NULL } };
	static const struct conf_section top_only = { .name = "",
	    .options = no_options };
	size_t i;

	/* The page's .SH OPTIONS heading and type glossary are in the
	 * page template (doc/mxward.yaml.5.in); this is what follows. */
	fputs("Keys are written as YAML paths: \\fBhelo.enabled\\fR is the "
	    "key \\fBenabled\\fR inside the mapping \\fBhelo\\fR.\n", out);
	/* Top-level options first, whether or not such a section exists,
	 * since include is always there. */
	for (i = 0; i < n && sections[i]->name[0] != '\0'; i++)
		;
	write_section(out, i < n ? sections[i] : &top_only);
	for (i = 0; i < n; i++)
		if (sections[i]->name[0] != '\0')
			write_section(out, sections[i]);
}
