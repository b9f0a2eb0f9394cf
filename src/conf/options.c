/*
 * options.c - typed parsing of one policy option's YAML value
 *
 * conf_option_parse() dispatches on enum conf_type to one parser per type,
 * each of which checks the node's shape and text, applies the option's
 * bounds and stores the result at the option's offset in the section's
 * values struct. conf_option_default() runs an option's default_value
 * through the same YAML parser and type parser, so a default means exactly
 * what the same text would mean in a policy file; for a CONF_TABLE option
 * (filled by load.c, not here) it checks the declaration instead, since a
 * table's default is always empty. conf_name_code() and
 * conf_code_name() implement the name<->code tables of conf.h.
 *
 * Texts accepted (see conf.h for the C types):
 *   BOOL        yes no true false on off (any case)
 *   INT         [+-]digits
 *   SIZE        digits with optional k/K, M or G (powers of 1024)
 *   DURATION    digits with optional ms, s, m, h or d; bare means seconds
 *   SCORE       [+-]digits[.digits] or "off" (NAN)
 *   REPLY       "DDD X.Y.Z text", DDD 4xx/5xx, X its first digit
 *
 * Contract: strings and arrays are allocated in the arena passed in; error
 * lines name the value's file and line and the option's full key path.
 * Stateless and reentrant.
 *
 * SECURITY: values are admin input. Numbers are parsed digit by digit with
 * overflow checks (no strtod on arbitrary text, no "nan" or "inf"), reply
 * texts are bounded and free of control characters (they are sent on the
 * SMTP wire), and text quoted back in errors goes through conf_excerpt().
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/options.h"
#include "conf/yaml_tree.h"
#include "core/arena.h"
#include "core/cidr.h"

#define REPLY_TEXT_MAX 400

/* The storage of option in values, as a pointer to type. */
#define FIELD(values, option, type) \
	((type *)(void *)((char *)(values) + (option)->offset))

const struct conf_name_code conf_type_names[] = {
	{ "bool", CONF_BOOL },
	{ "integer", CONF_INT },
	{ "size", CONF_SIZE },
	{ "duration", CONF_DURATION },
	{ "score", CONF_SCORE },
	{ "string", CONF_STRING },
	{ "name", CONF_ENUM },
	{ "list of strings", CONF_STRING_LIST },
	{ "networks", CONF_CIDR_LIST },
	{ "reply", CONF_REPLY },
	{ "table", CONF_TABLE },
	{ NULL, 0 },
};

/* What an error says was expected, per type. */
static const struct conf_name_code type_expected[] = {
	{ "yes or no", CONF_BOOL },
	{ "an integer", CONF_INT },
	{ "a size (a number with optional k, M or G)", CONF_SIZE },
	{ "a duration (a number with optional ms, s, m, h or d)",
	  CONF_DURATION },
	{ "a number", CONF_SCORE },
	{ "a string", CONF_STRING },
	{ "a name", CONF_ENUM },
	{ "a list of strings", CONF_STRING_LIST },
	{ "a list of networks", CONF_CIDR_LIST },
	{ "an SMTP reply like '550 5.7.1 text'", CONF_REPLY },
	{ NULL, 0 },
};

static const struct conf_name_code bool_names[] = {
	{ "yes", 1 }, { "no", 0 },
	{ "true", 1 }, { "false", 0 },
	{ "on", 1 }, { "off", 0 },
	{ NULL, 0 },
};

/* Size suffixes: powers of 1024. */
static const struct conf_name_code size_units[] = {
	{ "", 1 },
	{ "k", 1 << 10 }, { "K", 1 << 10 },
	{ "M", 1 << 20 },
	{ "G", 1 << 30 },
	{ NULL, 0 },
};

/* Duration suffixes, in milliseconds; a bare number is seconds. */
static const struct conf_name_code duration_units[] = {
	{ "", 1000 },
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 60 * 60 * 1000 },
	{ "d", 24 * 60 * 60 * 1000 },
	{ NULL, 0 },
};

bool
conf_name_code(const struct conf_name_code *names, const char *name,
    int *code_r)
{
	for (; names->name != NULL; names++) {
		if (strcmp(names->name, name) == 0) {
			*code_r = names->code;
			return true;
		}
	}
	return false;
}

const char *
conf_code_name(const struct conf_name_code *names, int code)
{
	for (; names->name != NULL; names++)
		if (names->code == code)
			return names->name;
	return NULL;
}

bool
conf_option_bounded(const struct conf_option *option)
{
	return option->min != 0 || option->max != 0;
}

void
conf_format_value(enum conf_type type, double v, char *buf, size_t size)
{
	const struct conf_name_code *units = NULL, *best = NULL, *u;

	if (type == CONF_SIZE)
		units = size_units;
	else if (type == CONF_DURATION)
		units = duration_units;
	if (units == NULL || v <= 0 || isnan(v) || v != floor(v)) {
		snprintf(buf, size, type == CONF_SCORE ? "%g" : "%.0f", v);
		return;
	}
	/* The largest unit that divides v; "" (bare) is skipped so durations
	 * print as "30s" rather than "30". */
	for (u = units; u->name != NULL; u++)
		if (u->name[0] != '\0' && fmod(v, u->code) == 0 &&
		    (best == NULL || u->code > best->code))
			best = u;
	if (best == NULL)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.0f%s", v / best->code, best->name);
}

/* Report that node is not what option wants. */
static bool
bad_value(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, struct conf_errors *errs)
{
	char ex[CONF_EXCERPT_MAX + 4];
	const char *want = conf_code_name(type_expected, option->type);

	if (node->kind != CONF_YNODE_SCALAR)
		conf_errors_add(errs, node->file, node->line,
		    "%s: expected %s, got %s", path, want,
		    conf_ytree_kind_name(node));
	else
		conf_errors_add(errs, node->file, node->line,
		    "%s: expected %s, got '%s'", path, want,
		    conf_excerpt(node->text, ex, sizeof(ex)));
	return false;
}

/* Check v against option's bounds; the message quotes the text as written. */
static bool
check_bounds(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, double v, struct conf_errors *errs)
{
	char ex[CONF_EXCERPT_MAX + 4], bound[64];

	if (!conf_option_bounded(option))
		return true;
	if (v < option->min) {
		conf_format_value(option->type, option->min, bound,
		    sizeof(bound));
		conf_errors_add(errs, node->file, node->line,
		    "%s: %s is below the minimum %s", path,
		    conf_excerpt(node->text, ex, sizeof(ex)), bound);
		return false;
	}
	if (v > option->max) {
		conf_format_value(option->type, option->max, bound,
		    sizeof(bound));
		conf_errors_add(errs, node->file, node->line,
		    "%s: %s is above the maximum %s", path,
		    conf_excerpt(node->text, ex, sizeof(ex)), bound);
		return false;
	}
	return true;
}

/* Read decimal digits at *s into *v_r; false on none or on overflow. */
static bool
scan_digits(const char **s, uint64_t *v_r)
{
	const char *p = *s;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*v_r = v;
	return true;
}

/* yes/no and friends, in any case. */
static bool
parse_bool(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, void *values, struct arena *arena,
    struct conf_errors *errs)
{
	char lower[8];
	size_t i;
	int code;

	if (node->kind != CONF_YNODE_SCALAR || node->len >= sizeof(lower))
		return bad_value(option, path, node, errs);
	for (i = 0; i < node->len; i++)
		lower[i] = (char)(node->text[i] >= 'A' && node->text[i] <= 'Z' ?
		    node->text[i] - 'A' + 'a' : node->text[i]);
	lower[i] = '\0';
	if (!conf_name_code(bool_names, lower, &code))
		return bad_value(option, path, node, errs);
	*FIELD(values, option, bool) = code != 0;
	return true;
}

/* A signed decimal integer. */
static bool
parse_int(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, void *values, struct arena *arena,
    struct conf_errors *errs)
{
	const char *s;
	bool neg = false;
	uint64_t u;
	long long v;

	if (node->kind != CONF_YNODE_SCALAR)
		return bad_value(option, path, node, errs);
	s = node->text;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!scan_digits(&s, &u) || *s != '\0' ||
	    u > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
		return bad_value(option, path, node, errs);
	if (!neg)
		v = (long long)u;
	else if (u == (uint64_t)INT64_MAX + 1)
		v = INT64_MIN;
	else
		v = -(long long)u;
	if (!check_bounds(option, path, node, (double)v, errs))
		return false;
	*FIELD(values, option, long long) = v;
	return true;
}

/* digits followed by a unit from units; the product must fit 64 bits. */
static bool
scan_scaled(const char *text, const struct conf_name_code *units,
    uint64_t *v_r)
{
	const char *s = text;
	uint64_t v;
	int mult;

	if (!scan_digits(&s, &v) || !conf_name_code(units, s, &mult))
		return false;
	if (v > UINT64_MAX / (uint64_t)mult)
		return false;
	*v_r = v * (uint64_t)mult;
	return true;
}

/* A byte count with optional k/M/G, or a duration stored in milliseconds:
 * a number with a unit from the table of the option's type. */
static bool
parse_scaled(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, void *values, struct arena *arena,
    struct conf_errors *errs)
{
	const struct conf_name_code *units = option->type == CONF_SIZE ?
	    size_units : duration_units;
	uint64_t v;

	if (node->kind != CONF_YNODE_SCALAR ||
	    !scan_scaled(node->text, units, &v))
		return bad_value(option, path, node, errs);
	if (!check_bounds(option, path, node, (double)v, errs))
		return false;
	*FIELD(values, option, uint64_t) = v;
	return true;
}

/* A decimal score, or "off" for NAN. Only [+-]d[.d] reaches strtod, so
 * hex floats, "inf" and "nan" never do. */
static bool
parse_score(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, void *values, struct arena *arena,
    struct conf_errors *errs)
{
	const char *s;
	double v;
	size_t digits = 0;

	if (node->kind != CONF_YNODE_SCALAR)
		return bad_value(option, path, node, errs);
	if (strcmp(node->text, "off") == 0) {
		*FIELD(values, option, double) = NAN;
		return true;
	}
	s = node->text;
	if (*s == '-' || *s == '+')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (digits == 0 || *s != '\0' || node->len > 64)
		return bad_value(option, path, node, errs);
	v = strtod(node->text, NULL);
	if (!isfinite(v) || !check_bounds(option, path, node, v, errs))
		return false;
	*FIELD(values, option, double) = v;
	return true;
}

/* Any scalar; a YAML null leaves the string unset (NULL). */
static bool
parse_string(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, void *values, struct arena *arena,
    struct conf_errors *errs)
{
	if (node->kind != CONF_YNODE_SCALAR)
		return bad_value(option, path, node, errs);
	*FIELD(values, option, char *) = conf_ytree_is_null(node) ? NULL :
	    arena_strndup(arena, node->text, node->len);
	return true;
}

/* A name from option->names; the error lists them all. */
static bool
parse_enum(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, void *values, struct arena *arena,
    struct conf_errors *errs)
{
	char ex[CONF_EXCERPT_MAX + 4], list[512];
	size_t used = 0;
	int code;

	if (node->kind == CONF_YNODE_SCALAR &&
	    conf_name_code(option->names, node->text, &code)) {
		*FIELD(values, option, int) = code;
		return true;
	}
	list[0] = '\0';
	for (const struct conf_name_code *n = option->names; n->name != NULL;
	    n++) {
		int w = snprintf(list + used, sizeof(list) - used, "%s%s",
		    used ? ", " : "", n->name);

		if (w < 0 || (size_t)w >= sizeof(list) - used)
			break;
		used += (size_t)w;
	}
	conf_errors_add(errs, node->file, node->line,
	    "%s: expected one of %s; got %s%s%s", path, list,
	    node->kind == CONF_YNODE_SCALAR ? "'" : "",
	    node->kind == CONF_YNODE_SCALAR ?
	    conf_excerpt(node->text, ex, sizeof(ex)) :
	    conf_ytree_kind_name(node),
	    node->kind == CONF_YNODE_SCALAR ? "'" : "");
	return false;
}

/* The items of a list option: a sequence, one scalar, or null (empty).
 * Returns the count and sets *items_r; false when the shape is wrong. */
static bool
list_items(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, struct conf_ynode *const **items_r,
    size_t *n_r, struct conf_errors *errs)
{
	*items_r = NULL;
	if (node->kind == CONF_YNODE_SEQUENCE) {
		*items_r = node->items;
		*n_r = node->n;
	} else if (conf_ytree_is_null(node)) {
		*n_r = 0;
	} else if (node->kind == CONF_YNODE_SCALAR) {
		/* A single scalar is a one-element list: the node itself. */
		*n_r = 1;
	} else {
		return bad_value(option, path, node, errs);
	}
	return true;
}

/* A sequence of scalars. */
static bool
parse_string_list(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, void *values, struct arena *arena,
    struct conf_errors *errs)
{
	struct conf_ynode *const *items;
	struct conf_strlist list = { NULL, 0 };
	bool good = true;

	if (!list_items(option, path, node, &items, &list.n, errs))
		return false;
	if (list.n > 0)
		list.v = arena_alloc(arena, list.n * sizeof(*list.v));
	for (size_t i = 0; i < list.n; i++) {
		const struct conf_ynode *item = items ? items[i] : node;

		if (item->kind != CONF_YNODE_SCALAR) {
			good = bad_value(option, path, item, errs);
			continue;
		}
		list.v[i] = arena_strndup(arena, item->text, item->len);
	}
	if (good)
		*FIELD(values, option, struct conf_strlist) = list;
	return good;
}

/* A sequence of networks, each through cidr_parse(). */
static bool
parse_cidr_list(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, void *values, struct arena *arena,
    struct conf_errors *errs)
{
	struct conf_ynode *const *items;
	struct cidr_list list = { NULL, 0 };
	char ex[CONF_EXCERPT_MAX + 4];
	const char *why;
	bool good = true;

	if (!list_items(option, path, node, &items, &list.n, errs))
		return false;
	if (list.n > 0)
		list.v = arena_alloc(arena, list.n * sizeof(*list.v));
	for (size_t i = 0; i < list.n; i++) {
		const struct conf_ynode *item = items ? items[i] : node;

		if (item->kind != CONF_YNODE_SCALAR) {
			good = bad_value(option, path, item, errs);
		} else if (!cidr_parse(item->text, &list.v[i], &why)) {
			conf_errors_add(errs, item->file, item->line,
			    "%s: bad network '%s': %s", path,
			    conf_excerpt(item->text, ex, sizeof(ex)), why);
			good = false;
		}
	}
	if (good)
		*FIELD(values, option, struct cidr_list) = list;
	return good;
}

/* Length of a run of 1..max digits at s, 0 if there is none or too many. */
static size_t
digit_run(const char *s, size_t max)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n <= max ? n : 0;
}

/* Check "DDD X.Y.Z text"; on failure *why_r says what is wrong. */
static bool
reply_check(const char *text, size_t *xlen_r, const char **why_r)
{
	const char *s = text;
	size_t a, b, c;

	*why_r = NULL; /* NULL: the general "expected an SMTP reply" */
	if ((s[0] != '4' && s[0] != '5') || s[1] < '0' || s[1] > '5' ||
	    s[2] < '0' || s[2] > '9' || s[3] != ' ')
		return false;
	s += 4;
	/* RFC 3463: class "." 1*3digit "." 1*3digit */
	if ((a = digit_run(s, 1)) == 0 || s[a] != '.' ||
	    (b = digit_run(s + a + 1, 3)) == 0 || s[a + 1 + b] != '.' ||
	    (c = digit_run(s + a + b + 2, 3)) == 0 || s[a + b + 2 + c] != ' ')
		return false;
	*xlen_r = a + b + c + 2;
	if (s[0] != text[0]) {
		*why_r = "the enhanced code's class must match the reply code";
		return false;
	}
	s += *xlen_r + 1;
	if (*s == '\0')
		return false;
	if (strlen(s) > REPLY_TEXT_MAX) {
		*why_r = "the reply text is longer than 400 characters";
		return false;
	}
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		/* RFC 5321 textstring is HT and printable ASCII; UTF-8 is
		 * let through for SMTPUTF8. CR/LF would end the reply. */
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			*why_r = "the reply text contains a control character";
			return false;
		}
	}
	return true;
}

/* An SMTP reply with enhanced status code. */
static bool
parse_reply(const struct conf_option *option, const char *path,
    const struct conf_ynode *node, void *values, struct arena *arena,
    struct conf_errors *errs)
{
	struct conf_reply *reply = FIELD(values, option, struct conf_reply);
	const char *why;
	size_t xlen;

	if (node->kind != CONF_YNODE_SCALAR)
		return bad_value(option, path, node, errs);
	if (!reply_check(node->text, &xlen, &why)) {
		if (why == NULL)
			return bad_value(option, path, node, errs);
		conf_errors_add(errs, node->file, node->line, "%s: %s", path,
		    why);
		return false;
	}
	memcpy(reply->code, node->text, 3);
	reply->code[3] = '\0';
	memcpy(reply->xcode, node->text + 4, xlen); /* xlen <= 9 */
	reply->xcode[xlen] = '\0';
	reply->text = arena_strdup(arena, node->text + 4 + xlen + 1);
	return true;
}

/* Die on a bad option table entry: a bug in the program, not the policy. */
static _Noreturn void
option_table_bug(const char *path)
{
	fprintf(stderr, "mxward: option %s: bad option table entry\n", path);
	abort();
}

/* One parser per enum conf_type; none for CONF_TABLE (see load.c). */
static bool (*const parsers[])(const struct conf_option *, const char *,
    const struct conf_ynode *, void *, struct arena *,
    struct conf_errors *) = {
	[CONF_BOOL] = parse_bool,
	[CONF_INT] = parse_int,
	[CONF_SIZE] = parse_scaled,
	[CONF_DURATION] = parse_scaled,
	[CONF_SCORE] = parse_score,
	[CONF_STRING] = parse_string,
	[CONF_ENUM] = parse_enum,
	[CONF_STRING_LIST] = parse_string_list,
	[CONF_CIDR_LIST] = parse_cidr_list,
	[CONF_REPLY] = parse_reply,
};

bool
conf_option_parse(const struct conf_option *option, const char *path,
    const struct conf_ynode *value, void *values, struct arena *arena,
    struct conf_errors *errs)
{
	if ((size_t)option->type >= sizeof(parsers) / sizeof(parsers[0]) ||
	    parsers[option->type] == NULL ||
	    (option->type == CONF_ENUM && option->names == NULL))
		option_table_bug(path);
	return parsers[option->type](option, path, value, values, arena,
	    errs);
}

/* A CONF_TABLE declaration: an entry section with a name, room for the
 * head, no table inside, and no default (a table starts empty). */
static void
check_table(const struct conf_option *option, const char *path)
{
	const struct conf_section *entry = option->entry;

	if (entry == NULL || entry->name == NULL || entry->name[0] == '\0' ||
	    entry->size < sizeof(struct conf_entry_head) ||
	    option->default_value != NULL)
		option_table_bug(path);
	for (const struct conf_option *o = entry->options; o->key; o++)
		if (o->type == CONF_TABLE)
			option_table_bug(path);
}

void
conf_option_default(const struct conf_option *option, const char *path,
    void *values, struct arena *arena)
{
	struct arena *tmp;
	struct conf_errors *errs;
	struct conf_ynode *root, empty;
	char file[256];

	if (option->type == CONF_TABLE) {
		check_table(option, path);
		return;
	}
	/* values come zeroed: NULL strings, empty lists, zero numbers. */
	if (option->default_value == NULL)
		return;
	tmp = arena_new();
	errs = conf_errors_new();
	snprintf(file, sizeof(file), "default of %s", path);
	if (conf_ytree_parse(file, option->default_value,
	    strlen(option->default_value), tmp, errs, &root)) {
		if (root == NULL) {
			/* An empty default is a YAML null. */
			memset(&empty, 0, sizeof(empty));
			empty.kind = CONF_YNODE_SCALAR;
			empty.file = file;
			empty.text = "";
			empty.plain = true;
			root = &empty;
		}
		conf_option_parse(option, path, root, values, arena, errs);
	}
	if (conf_errors_count(errs) > 0) {
		/* A table bug: stop before anything runs with it. */
		for (size_t i = 0; i < conf_errors_count(errs); i++)
			fprintf(stderr, "mxward: bad option table: %s\n",
			    conf_errors_get(errs, i));
		abort();
	}
	conf_errors_free(&errs);
	arena_free(&tmp);
}
