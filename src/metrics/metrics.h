/*
 * metrics.h - Prometheus counters, gauges and histograms, and their endpoint
 *
 * Families are registered at start-up, before any thread that updates them
 * exists (metrics_*_new); each has at most one label whose values are fixed
 * at registration, so the label set is bounded. Updates are lock-free
 * atomics and may come from any thread. metrics_render() writes the
 * Prometheus text exposition format (version 0.0.4). metrics_http_start()
 * serves it at /metrics through libmicrohttpd on "ADDR:PORT" or
 * "[IPv6]:PORT" (port 0: the kernel picks one, see metrics_http_port()).
 */
#ifndef MXWARD_METRICS_METRICS_H
#define MXWARD_METRICS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct metrics_family;

/* label may be NULL (then n_values must be 1 and values NULL). */
struct metrics_family *metrics_counter_new(const char *name, const char *help,
    const char *label, const char *const *values, size_t n_values);
struct metrics_family *metrics_gauge_new(const char *name, const char *help,
    const char *label, const char *const *values, size_t n_values);
/* bounds: upper bounds of the buckets, ascending; +Inf is implied. */
struct metrics_family *metrics_histogram_new(const char *name,
    const char *help, const char *label, const char *const *values,
    size_t n_values, const double *bounds, size_t n_bounds);

/* A counter family whose label values are added later by metrics_label(),
 * at most max_values of them (names from the policy, which bounds them). */
struct metrics_family *metrics_counter_named(const char *name,
    const char *help, const char *label, size_t max_values);
/* The series index of value in a metrics_counter_named() family, added
 * if new; SIZE_MAX when the family is full. Thread safe. */
size_t metrics_label(struct metrics_family *f, const char *value);

void metrics_add(struct metrics_family *f, size_t index, int64_t delta);
void metrics_set(struct metrics_family *f, size_t index, int64_t value);
void metrics_observe(struct metrics_family *f, size_t index, double value);

/* Append the exposition of every family to out. */
void metrics_render(struct buf *out);
/* One endpoint per process; *error_r is xasprintf()ed, caller frees. */
bool metrics_http_start(const char *listen, char **error_r);
/* The port the endpoint listens on; 0 when it is not running. */
uint16_t metrics_http_port(void);
void metrics_http_stop(void);

#endif
