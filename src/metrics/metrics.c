/*
 * metrics.c - Prometheus counters, gauges and histograms; see metrics.h
 *
 * PUBLIC FUNCTIONS
 *	metrics_counter_new(), metrics_gauge_new(), metrics_histogram_new()
 *	register a family; metrics_add(), metrics_set(), metrics_observe()
 *	update one series of it; metrics_render() appends the text exposition
 *	format 0.0.4 of every family to a buffer.
 *
 * CONTRACT
 *	A family has at most one label; its values are given at registration
 *	and a series is addressed by the index of its value (0 when the family
 *	has no label). A counter family made by metrics_counter_named() gets
 *	its values later instead, from names in the policy (rate-limit names),
 *	at most max_values of them: metrics_label() finds a value's index or
 *	adds it; a value once added stays for the life of the process. Names, help texts and label values are copied, so the
 *	caller's arrays need not outlive the call. Families live until the
 *	process exits.
 *
 *	Registration is start-up work: one thread registers, before the
 *	threads that update exist. Registering a bad family (invalid metric or
 *	label name, a counter not named *_total, another type named *_total,
 *	a duplicate name, histogram bounds not finite and strictly ascending,
 *	"le" as a histogram label, duplicate label values) is a programming
 *	error and aborts with a message, as does updating with the wrong type
 *	of call, an index out of range or a negative delta on a counter.
 *	metrics_observe() ignores NaN.
 *
 * THREAD SAFETY
 *	Updates and rendering are lock-free and may run concurrently from any
 *	number of threads. Counters and gauges are atomic 64-bit integers.
 *	A histogram keeps one atomic count per bucket (not cumulative, so an
 *	observation touches one bucket) and its sum as the bits of a double
 *	updated with a compare-and-swap loop. _count is derived from the
 *	buckets while rendering, so within one scrape it always equals the
 *	+Inf bucket. A named family's series are preallocated and counted
 *	with a release store after the new one is complete; metrics_label()
 *	adds under a mutex and looks up lock-free. The family list is
 *	published with release stores, so a
 *	renderer that runs while the single registering thread appends sees
 *	either the old or the new list, never a half-built family.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "metrics/metrics.h"

/* The update path must never fall back to a hidden lock. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

enum metrics_kind {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
};

static const char *const kind_name[] = {
	[METRICS_COUNTER] = "counter",
	[METRICS_GAUGE] = "gauge",
	[METRICS_HISTOGRAM] = "histogram",
};

/* One label value of a family: its time series. */
struct metrics_series {
	char *labels;           /* escaped 'name="value"', or NULL */
	atomic_llong value;     /* counter, gauge */
	atomic_ullong *buckets; /* histogram: n_bounds + 1, the last is +Inf */
	atomic_ullong sum_bits; /* histogram: sum of observations, double bits */
};

struct metrics_family {
	enum metrics_kind kind;
	char *name;
	char *help;
	_Atomic size_t n_series;
	size_t max_series;      /* named families: room for this many */
	char *label;            /* named families: the label's name */
	char **values;          /* named families: the values so far */
	struct metrics_series *series;
	double *bounds;
	char **bound_text; /* bounds formatted once for le="..." */
	size_t n_bounds;
	_Atomic(struct metrics_family *) next;
};

/* Registration order is rendering order; tail is used by the registrar only. */
static _Atomic(struct metrics_family *) family_head;
static struct metrics_family *family_tail;
/* Serialises metrics_label() additions. */
static pthread_mutex_t label_lock = PTHREAD_MUTEX_INITIALIZER;

/* Stop on a programming error in the use of this module. */
static void __attribute__((noreturn, format(printf, 1, 2)))
metrics_bug(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mxward: metrics: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* Is name a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)? */
static bool
valid_metric_name(const char *name)
{
	if (name == NULL || name[0] == '\0' ||
	    (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == ':'))
			return false;
	return true;
}

/* Is name a valid label name, not one of the reserved __ names? */
static bool
valid_label_name(const char *name)
{
	return valid_metric_name(name) && strchr(name, ':') == NULL &&
	    strncmp(name, "__", 2) != 0;
}

/* Does s end in suffix? */
static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Append s escaped for a HELP line (backslash and newline) or, with
 * in_quotes, for a label value (the double quote too). */
static void
escape_text(struct buf *out, const char *s, bool in_quotes)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' && in_quotes)
			buf_puts(out, "\\\"");
		else if (*s == '\\')
			buf_puts(out, "\\\\");
		else if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *s);
	}
}

/* Format v as the shortest text that reads back as the same double, in
 * plain notation unless the exponent is large (as Prometheus itself
 * writes numbers), with the format's spellings of the special values. */
static void
format_double(double v, char *out, size_t outlen)
{
	int prec, exp;

	if (isnan(v)) {
		snprintf(out, outlen, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, outlen, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* 17 significant digits always round-trip; find the fewest that do. */
	for (prec = 1; prec < 17; prec++) {
		snprintf(out, outlen, "%.*e", prec - 1, v);
		if (strtod(out, NULL) == v)
			break;
	}
	snprintf(out, outlen, "%.*e", prec - 1, v);
	exp = atoi(strchr(out, 'e') + 1);
	if (exp >= -4 && exp < 21)
		snprintf(out, outlen, "%.*f",
		    prec - 1 - exp > 0 ? prec - 1 - exp : 0, v);
}

/* Check the arguments common to all types; abort on a bad one. */
static void
check_family_args(enum metrics_kind kind, const char *name, const char *help,
    const char *label, const char *const *values, size_t n_values)
{
	if (!valid_metric_name(name))
		metrics_bug("invalid metric name \"%s\"", name ? name : "(null)");
	if (kind == METRICS_COUNTER && !ends_with(name, "_total"))
		metrics_bug("counter %s must be named *_total", name);
	if (kind != METRICS_COUNTER && ends_with(name, "_total"))
		metrics_bug("%s %s must not be named *_total", kind_name[kind],
		    name);
	if (help == NULL)
		metrics_bug("%s has no help text", name);
	for (struct metrics_family *f = atomic_load(&family_head); f != NULL;
	    f = atomic_load(&f->next))
		if (strcmp(f->name, name) == 0)
			metrics_bug("%s registered twice", name);
	if (label == NULL) {
		if (n_values != 1 || values != NULL)
			metrics_bug("%s: no label needs n_values 1, values NULL",
			    name);
		return;
	}
	if (!valid_label_name(label) ||
	    (kind == METRICS_HISTOGRAM && strcmp(label, "le") == 0))
		metrics_bug("%s: invalid label name \"%s\"", name, label);
	if (n_values == 0 || values == NULL)
		metrics_bug("%s: label %s has no values", name, label);
	for (size_t i = 0; i < n_values; i++) {
		if (values[i] == NULL)
			metrics_bug("%s: label value %zu is NULL", name, i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(values[i], values[j]) == 0)
				metrics_bug("%s: label value \"%s\" twice", name,
				    values[i]);
	}
}

/* Zero a series and give it its label text (none when label is NULL). */
static void
series_init(struct metrics_series *s, const char *label, const char *value)
{
	atomic_init(&s->value, 0);
	atomic_init(&s->sum_bits, 0); /* the bits of +0.0 */
	if (label != NULL) {
		struct buf *b = buf_new();

		buf_appendf(b, "%s=\"", label);
		escape_text(b, value, true);
		buf_putc(b, '"');
		s->labels = buf_steal(b);
		buf_free(&b);
	}
}

/* Build a family, its series and their label text, and append it. */
static struct metrics_family *
family_new(enum metrics_kind kind, const char *name, const char *help,
    const char *label, const char *const *values, size_t n_values)
{
	struct metrics_family *f;

	check_family_args(kind, name, help, label, values, n_values);
	f = xcalloc(1, sizeof(*f));
	f->kind = kind;
	f->name = xstrdup(name);
	f->help = xstrdup(help);
	atomic_init(&f->n_series, n_values);
	f->max_series = n_values;
	f->series = xcalloc(n_values, sizeof(*f->series));
	for (size_t i = 0; i < n_values; i++)
		series_init(&f->series[i], label, label ? values[i] : NULL);
	return f;
}

/* Make f visible to renderers; it must be complete by now. */
static void
family_publish(struct metrics_family *f)
{
	atomic_init(&f->next, NULL);
	if (family_tail == NULL)
		atomic_store_explicit(&family_head, f, memory_order_release);
	else
		atomic_store_explicit(&family_tail->next, f,
		    memory_order_release);
	family_tail = f;
}

struct metrics_family *
metrics_counter_new(const char *name, const char *help, const char *label,
    const char *const *values, size_t n_values)
{
	struct metrics_family *f = family_new(METRICS_COUNTER, name, help,
	    label, values, n_values);

	family_publish(f);
	return f;
}

struct metrics_family *
metrics_counter_named(const char *name, const char *help, const char *label,
    size_t max_values)
{
	const char *placeholder[1] = { "" };
	struct metrics_family *f;

	if (max_values == 0)
		metrics_bug("%s: max_values 0", name ? name : "(null)");
	check_family_args(METRICS_COUNTER, name, help, label, placeholder, 1);
	f = xcalloc(1, sizeof(*f));
	f->kind = METRICS_COUNTER;
	f->name = xstrdup(name);
	f->help = xstrdup(help);
	f->label = xstrdup(label);
	atomic_init(&f->n_series, 0);
	f->max_series = max_values;
	f->series = xcalloc(max_values, sizeof(*f->series));
	f->values = xcalloc(max_values, sizeof(*f->values));
	family_publish(f);
	return f;
}

/* The index of value among the first n values of a named family, or n. */
static size_t
label_find(const struct metrics_family *f, size_t n, const char *value)
{
	size_t i;

	for (i = 0; i < n && strcmp(f->values[i], value) != 0; i++)
		;
	return i;
}

size_t
metrics_label(struct metrics_family *f, const char *value)
{
	size_t n, i;

	if (f == NULL || f->values == NULL || value == NULL)
		metrics_bug("metrics_label on a family not made by "
		    "metrics_counter_named");
	n = atomic_load_explicit(&f->n_series, memory_order_acquire);
	if ((i = label_find(f, n, value)) < n)
		return i;
	pthread_mutex_lock(&label_lock);
	n = atomic_load_explicit(&f->n_series, memory_order_relaxed);
	i = label_find(f, n, value);
	if (i == n && n < f->max_series) {
		f->values[n] = xstrdup(value);
		series_init(&f->series[n], f->label, value);
		atomic_store_explicit(&f->n_series, n + 1,
		    memory_order_release);
	}
	pthread_mutex_unlock(&label_lock);
	return i < f->max_series ? i : SIZE_MAX;
}

struct metrics_family *
metrics_gauge_new(const char *name, const char *help, const char *label,
    const char *const *values, size_t n_values)
{
	struct metrics_family *f = family_new(METRICS_GAUGE, name, help,
	    label, values, n_values);

	family_publish(f);
	return f;
}

struct metrics_family *
metrics_histogram_new(const char *name, const char *help, const char *label,
    const char *const *values, size_t n_values, const double *bounds,
    size_t n_bounds)
{
	struct metrics_family *f;
	char text[48];

	if (n_bounds > 0 && bounds == NULL)
		metrics_bug("%s: bounds NULL", name);
	for (size_t i = 0; i < n_bounds; i++)
		if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
			metrics_bug("%s: bounds must be finite and ascending",
			    name ? name : "(null)");
	f = family_new(METRICS_HISTOGRAM, name, help, label, values, n_values);
	f->n_bounds = n_bounds;
	f->bounds = xcalloc(n_bounds, sizeof(double));
	f->bound_text = xcalloc(n_bounds + 1, sizeof(char *));
	for (size_t i = 0; i < n_bounds; i++) {
		f->bounds[i] = bounds[i];
		format_double(bounds[i], text, sizeof(text));
		f->bound_text[i] = xstrdup(text);
	}
	f->bound_text[n_bounds] = xstrdup("+Inf");
	for (size_t i = 0; i < n_values; i++) {
		f->series[i].buckets = xcalloc(n_bounds + 1,
		    sizeof(atomic_ullong));
		for (size_t j = 0; j <= n_bounds; j++)
			atomic_init(&f->series[i].buckets[j], 0);
	}
	family_publish(f);
	return f;
}

/* The series index names in f, after checking the call suits f's type. */
static struct metrics_series *
series_for(struct metrics_family *f, size_t index, bool histogram,
    const char *what)
{
	if (f == NULL)
		metrics_bug("%s on a NULL family", what);
	if ((f->kind == METRICS_HISTOGRAM) != histogram)
		metrics_bug("%s on %s %s", what, kind_name[f->kind], f->name);
	if (index >= atomic_load_explicit(&f->n_series, memory_order_acquire))
		metrics_bug("%s: index %zu out of range for %s", what, index,
		    f->name);
	return &f->series[index];
}

void
metrics_add(struct metrics_family *f, size_t index, int64_t delta)
{
	struct metrics_series *s = series_for(f, index, false, "metrics_add");

	/* A counter that went down would read as a restart to Prometheus. */
	if (f->kind == METRICS_COUNTER && delta < 0)
		metrics_bug("metrics_add: negative delta on counter %s", f->name);
	atomic_fetch_add_explicit(&s->value, delta, memory_order_relaxed);
}

void
metrics_set(struct metrics_family *f, size_t index, int64_t value)
{
	struct metrics_series *s = series_for(f, index, false, "metrics_set");

	atomic_store_explicit(&s->value, value, memory_order_relaxed);
}

void
metrics_observe(struct metrics_family *f, size_t index, double value)
{
	struct metrics_series *s = series_for(f, index, true,
	    "metrics_observe");
	unsigned long long old, new;
	size_t b = 0;
	double sum;

	/* A NaN would poison the sum for the life of the process. */
	if (isnan(value))
		return;
	/* le is inclusive: value goes in the first bucket with bound >= it. */
	while (b < f->n_bounds && value > f->bounds[b])
		b++;
	atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
	old = atomic_load_explicit(&s->sum_bits, memory_order_relaxed);
	do {
		memcpy(&sum, &old, sizeof(sum));
		sum += value;
		memcpy(&new, &sum, sizeof(new));
	} while (!atomic_compare_exchange_weak_explicit(&s->sum_bits, &old, new,
	    memory_order_relaxed, memory_order_relaxed));
}

/* Append "{labels}" (with an extra le pair when given), or nothing. */
static void
render_labels(struct buf *out, const struct metrics_series *s,
    const char *le)
{
	if (s->labels == NULL && le == NULL)
		return;
	buf_putc(out, '{');
	if (s->labels != NULL)
		buf_puts(out, s->labels);
	if (s->labels != NULL && le != NULL)
		buf_putc(out, ',');
	if (le != NULL)
		buf_appendf(out, "le=\"%s\"", le);
	buf_putc(out, '}');
}

/* Append the _bucket, _sum and _count samples of one histogram series. */
static void
render_histogram_series(struct buf *out, const struct metrics_family *f,
    struct metrics_series *s)
{
	unsigned long long cumulative = 0, bits;
	char text[48];
	double sum;

	for (size_t b = 0; b <= f->n_bounds; b++) {
		cumulative += atomic_load_explicit(&s->buckets[b],
		    memory_order_relaxed);
		buf_appendf(out, "%s_bucket", f->name);
		render_labels(out, s, f->bound_text[b]);
		buf_appendf(out, " %llu\n", cumulative);
	}
	bits = atomic_load_explicit(&s->sum_bits, memory_order_relaxed);
	memcpy(&sum, &bits, sizeof(sum));
	format_double(sum, text, sizeof(text));
	buf_appendf(out, "%s_sum", f->name);
	render_labels(out, s, NULL);
	buf_appendf(out, " %s\n", text);
	/* Derived from the buckets so it equals the +Inf bucket above. */
	buf_appendf(out, "%s_count", f->name);
	render_labels(out, s, NULL);
	buf_appendf(out, " %llu\n", cumulative);
}

/* Append one family: HELP, TYPE and its samples. */
static void
render_family(struct buf *out, struct metrics_family *f)
{
	buf_appendf(out, "# HELP %s ", f->name);
	escape_text(out, f->help, false);
	buf_appendf(out, "\n# TYPE %s %s\n", f->name, kind_name[f->kind]);
	size_t n = atomic_load_explicit(&f->n_series, memory_order_acquire);

	for (size_t i = 0; i < n; i++) {
		struct metrics_series *s = &f->series[i];

		if (f->kind == METRICS_HISTOGRAM) {
			render_histogram_series(out, f, s);
			continue;
		}
		buf_puts(out, f->name);
		render_labels(out, s, NULL);
		buf_appendf(out, " %lld\n", (long long)atomic_load_explicit(
		    &s->value, memory_order_relaxed));
	}
}

void
metrics_render(struct buf *out)
{
	struct metrics_family *f;

	f = atomic_load_explicit(&family_head, memory_order_acquire);
	for (; f != NULL;
	    f = atomic_load_explicit(&f->next, memory_order_acquire))
		render_family(out, f);
}
