/*
 * scan.c - scan one message for viruses, raw and part by part; see scan.h
 *
 * PUBLIC FUNCTIONS
 *	av_scan_message() runs the three steps of scan.h on one engine
 *	reference; av_result_name() names a result for logs and metrics.
 *	For engine.c: av_scan_inspect(), libclamav's file-inspection callback,
 *	and av_scan_register_metrics().
 *
 * SCAN
 *	Every buffer goes to libclamav whole (cl_fmap_open_memory and
 *	cl_scanmap_callback) with the same options: all parsers, heuristic
 *	alerts on, Heuristics.Limits.Exceeded.* alerts on, but no heuristic
 *	precedence, so a real signature found later in the same scan still
 *	wins over a limits alert. The mail options stay 0: libclamav's
 *	CL_SCAN_MAIL_PARTIAL_MESSAGE keeps message/partial fragments in its
 *	temporary directory across scans to reassemble them, state an attacker
 *	controls; the part walk passes message/partial bodies instead.
 *
 *	While libclamav scans, av_scan_inspect() is called for every layer it
 *	is about to scan (the message itself, each decoded attachment, each
 *	file of an archive ...) and notes its size and hash. When the scan
 *	ends clean, those layers count as seen: a part or a salvaged block of
 *	the same size and hash is not scanned again; nor is a part whose
 *	CRLFs made LF give a text layer libclamav saw (it scans text and HTML
 *	that way; only text layers match so, never binaries). After a scan that did
 *	not end clean (a limit, the time, an error) its notes are dropped, so
 *	what libclamav saw but may not have finished is scanned again part by
 *	part. A buffer scanned in step 2 or 3 counts as seen whatever the
 *	result, so repeated identical parts are scanned once.
 *
 *	The first infection ends the scan. Otherwise the worst problem (error
 *	> timeout > limits) is the result; steps 2 and 3 stop once the scan
 *	has taken max_scan_time in all (libclamav bounds each buffer by it),
 *	so a message costs at most about twice that.
 *
 * CONTRACT
 *	The verdict is filled in full on every path; bytes_scanned counts the
 *	bytes handed to libclamav (libclamav's own count is in
 *	CL_COUNT_PRECISION units and not used).
 *
 * SECURITY
 *	The message is untrusted. Seen layers are keyed by SipHash-2-4 under
 *	a random per-process key: an unkeyed hash (FNV and the like) lets an
 *	attacker make a harmless layer collide with a malicious part so the
 *	part is skipped. At most SCAN_SEEN_MAX layers are remembered per
 *	message (more only means more scanning). The walks bound depth and
 *	part count with the engine's max_recursion and max_files.
 *
 * THREAD SAFETY
 *	Reentrant: each call keeps its state on its stack and in its own
 *	allocations, and holds its own engine reference. The key and the
 *	metrics are set up once (pthread_once).
 */
#include "config.h"

#include <clamav.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "av/engine.h"
#include "av/scan.h"
#include "core/log.h"
#include "core/siphash.h"
#include "core/xalloc.h"
#include "metrics/metrics.h"
#include "mime/parts.h"

#define SCAN_SEEN_MAX 4096
#define SCAN_MAGIC 0x61767363616e2131ULL  /* marks our libclamav context */
#define LIMITS_PREFIX "Heuristics.Limits.Exceeded."

static const char *const result_names[] = {
	[AV_CLEAN] = "clean",
	[AV_INFECTED] = "infected",
	[AV_LIMITS] = "limits",
	[AV_TIMEOUT] = "timeout",
	[AV_ERROR] = "error",
};
#define RESULT_COUNT (sizeof(result_names) / sizeof(result_names[0]))

static const double duration_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10, 30, 60,
};

static struct metrics_family *m_scans, *m_duration, *m_bytes;
static pthread_once_t scan_once = PTHREAD_ONCE_INIT;
static uint64_t scan_key[2];

/* Marks the hash of a text layer libclamav saw, which it scans with line
 * ends made LF: a part matches it only with its CRLFs made LF too. */
#define TEXT_TAG 0x7465787420636c61ULL

/* A layer libclamav inspected, or a buffer we scanned. */
struct seen_entry {
	uint64_t hash;
	uint64_t size;  /* 0: a free slot (empty buffers are never noted) */
};

struct scan_state {
	uint64_t magic;
	const struct cl_engine *cl;
	const struct av_settings *settings;
	struct cl_scan_options options;
	struct av_verdict *verdict;
	struct seen_entry *seen;     /* open addressing; seen_cap: 2^n */
	size_t seen_cap, seen_n;
	struct seen_entry *pending;  /* noted during the current scan */
	size_t pending_n, pending_cap;
	double deadline;             /* monotonic seconds; 0: none */
	bool infected;
};

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The metrics and the hash key; once per process. */
static void
scan_init(void)
{
	/* Weaker without getrandom, but the seen-set still works. */
	if (!siphash_key_random(scan_key))
		log_warning("antivirus: getrandom failed; hash key from the "
		    "clock");
	m_scans = metrics_counter_new("mxward_av_scans_total",
	    "Messages scanned for viruses, by result.", "result", result_names,
	    RESULT_COUNT);
	m_duration = metrics_histogram_new("mxward_av_scan_duration_seconds",
	    "Time to scan one message for viruses, all steps.", NULL, NULL, 1,
	    duration_bounds,
	    sizeof(duration_bounds) / sizeof(duration_bounds[0]));
	m_bytes = metrics_counter_new("mxward_av_scanned_bytes_total",
	    "Bytes handed to libclamav.", NULL, NULL, 1);
}

void
av_scan_register_metrics(void)
{
	pthread_once(&scan_once, scan_init);
}

const char *
av_result_name(enum av_result result)
{
	if ((size_t)result >= RESULT_COUNT)
		return "unknown";
	return result_names[result];
}

/* SipHash-2-4 of data[0..len) under scan_key. */
static uint64_t
seen_hash(const unsigned char *data, size_t len)
{
	return siphash24(scan_key, data, len);
}

/* The slot of (size, hash) in the table, or the free slot for it. */
static struct seen_entry *
seen_slot(struct seen_entry *table, size_t cap, uint64_t size, uint64_t hash)
{
	size_t i = (size_t)hash & (cap - 1);

	while (table[i].size != 0 &&
	    (table[i].size != size || table[i].hash != hash))
		i = (i + 1) & (cap - 1);
	return &table[i];
}

static bool
seen_has(const struct scan_state *st, uint64_t size, uint64_t hash)
{
	return st->seen_cap != 0 &&
	    seen_slot(st->seen, st->seen_cap, size, hash)->size != 0;
}

/* Note (size, hash) as seen; at most SCAN_SEEN_MAX entries, load <= 1/2. */
static void
seen_add(struct scan_state *st, uint64_t size, uint64_t hash)
{
	struct seen_entry *slot, *old = st->seen;
	size_t old_cap = st->seen_cap;

	if (size == 0 || st->seen_n >= SCAN_SEEN_MAX ||
	    seen_has(st, size, hash))
		return;
	if ((st->seen_n + 1) * 2 > st->seen_cap) {
		st->seen_cap = old_cap != 0 ? old_cap * 2 : 64;
		st->seen = xcalloc(st->seen_cap, sizeof(*st->seen));
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].size != 0)
				*seen_slot(st->seen, st->seen_cap, old[i].size,
				    old[i].hash) = old[i];
		free(old);
	}
	slot = seen_slot(st->seen, st->seen_cap, size, hash);
	slot->size = size;
	slot->hash = hash;
	st->seen_n++;
}

cl_error_t
av_scan_inspect(int fd, const char *type, const char **ancestors,
    size_t parent_file_size, const char *file_name, size_t file_size,
    const char *file_buffer, uint32_t recursion_level,
    uint32_t layer_attributes, void *context)
{
	struct scan_state *st = context;

	uint64_t hash;
	bool text;

	(void)fd;
	(void)ancestors;
	(void)parent_file_size;
	(void)file_name;
	(void)recursion_level;
	(void)layer_attributes;
	/* Someone else's scan, or a layer libclamav could not map whole. */
	if (st == NULL || st->magic != SCAN_MAGIC || file_buffer == NULL ||
	    file_size == 0 || st->pending_n + 2 > SCAN_SEEN_MAX)
		return CL_CLEAN;
	if (st->pending_n + 2 > st->pending_cap) {
		st->pending_cap = st->pending_cap != 0 ?
		    st->pending_cap * 2 : 16;
		st->pending = xrealloc(st->pending,
		    st->pending_cap * sizeof(*st->pending));
	}
	hash = seen_hash((const unsigned char *)file_buffer, file_size);
	text = type != NULL && (strncmp(type, "CL_TYPE_TEXT", 12) == 0 ||
	    strcmp(type, "CL_TYPE_HTML") == 0);
	st->pending[st->pending_n].size = file_size;
	st->pending[st->pending_n++].hash = hash;
	if (text) {
		st->pending[st->pending_n].size = file_size;
		st->pending[st->pending_n++].hash = hash ^ TEXT_TAG;
	}
	return CL_CLEAN;
}

/* How bad a result is when nothing was found. */
static int
severity(enum av_result r)
{
	switch (r) {
	case AV_ERROR:
		return 3;
	case AV_TIMEOUT:
		return 2;
	case AV_LIMITS:
		return 1;
	default:
		return 0;
	}
}

/* Note a problem; the worst one (the first of equals) is kept. */
static void
scan_problem(struct scan_state *st, enum av_result r, const char *reason)
{
	struct av_verdict *v = st->verdict;

	if (st->infected || severity(r) <= severity(v->result))
		return;
	v->result = r;
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
}

static void
scan_infected(struct scan_state *st, const char *virus, const char *where)
{
	struct av_verdict *v = st->verdict;

	st->infected = true;
	v->result = AV_INFECTED;
	v->reason[0] = '\0';
	snprintf(v->virus, sizeof(v->virus), "%s", virus);
	snprintf(v->where, sizeof(v->where), "%s", where);
}

/* Sort out a CL_VIRUS: an infection, or a limits or time alert. */
static void
scan_alert(struct scan_state *st, const char *virname, size_t len,
    const char *where)
{
	const char *limit;
	uint64_t max_file_size = st->settings->max_file_size;

	if (virname == NULL) {
		/* libclamav 1.4 leaves the name unset when the whole buffer is
		 * over MaxFileSize and no virus-found callback is installed. */
		if (max_file_size != 0 && len > max_file_size)
			scan_problem(st, AV_LIMITS, "MaxFileSize");
		else
			scan_infected(st, "(unnamed)", where);
		return;
	}
	if (strncmp(virname, LIMITS_PREFIX, strlen(LIMITS_PREFIX)) != 0) {
		scan_infected(st, virname, where);
		return;
	}
	limit = virname + strlen(LIMITS_PREFIX);
	scan_problem(st, strcmp(limit, "MaxScanTime") == 0 ? AV_TIMEOUT :
	    AV_LIMITS, limit);
}

/* Scan one buffer whole; false once something is found. */
static bool
scan_buffer(struct scan_state *st, const unsigned char *data, size_t len,
    const char *where)
{
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_fmap_t *map;
	cl_error_t r;

	if ((map = cl_fmap_open_memory(data, len)) == NULL) {
		scan_problem(st, AV_ERROR, "cl_fmap_open_memory failed");
		return true;
	}
	st->pending_n = 0;
	r = cl_scanmap_callback(map, NULL, &virname, &scanned, st->cl,
	    &st->options, st);
	cl_fmap_close(map);
	st->verdict->bytes_scanned += len;
	metrics_add(m_bytes, 0, (int64_t)len);
	/* What libclamav saw counts only if it scanned all of it. */
	if (r == CL_CLEAN)
		for (size_t i = 0; i < st->pending_n; i++)
			seen_add(st, st->pending[i].size, st->pending[i].hash);
	st->pending_n = 0;
	switch (r) {
	case CL_CLEAN:
		break;
	case CL_VIRUS:
		scan_alert(st, virname, len, where);
		break;
	case CL_ETIMEOUT:
		scan_problem(st, AV_TIMEOUT, "MaxScanTime");
		break;
	default:
		scan_problem(st, AV_ERROR, cl_strerror(r));
		break;
	}
	return !st->infected;
}

/* Has this scan used up its time? */
static bool
scan_overtime(const struct scan_state *st)
{
	return st->deadline != 0 && now_seconds() > st->deadline;
}

/* Did libclamav see data as a text layer, CRLFs made LF and ending in a
 * line end? */
static bool
seen_as_text(const struct scan_state *st, const unsigned char *data,
    size_t len)
{
	unsigned char *lf;
	size_t n = 0;
	bool seen;

	if (memchr(data, '\r', len) == NULL)
		return false;
	lf = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		if (data[i] != '\r' || i + 1 == len || data[i + 1] != '\n')
			lf[n++] = data[i];
	/* libclamav's text parts end with a line end; GMime's need not. */
	if (lf[n - 1] != '\n')
		lf[n++] = '\n';
	seen = seen_has(st, n, seen_hash(lf, n) ^ TEXT_TAG);
	free(lf);
	return seen;
}

/* mime_part_fn for steps 2 and 3: scan what was not seen yet. */
static bool
scan_part(const unsigned char *data, size_t len, const char *what, void *ctx)
{
	struct scan_state *st = ctx;
	uint64_t hash;
	bool more;

	if (len == 0)
		return true;
	if (scan_overtime(st)) {
		scan_problem(st, AV_TIMEOUT, "scan time limit reached");
		return false;
	}
	hash = seen_hash(data, len);
	if (seen_has(st, len, hash) || seen_as_text(st, data, len)) {
		st->verdict->parts_skipped++;
		return true;
	}
	st->verdict->parts_scanned++;
	more = scan_buffer(st, data, len, what);
	seen_add(st, len, hash);
	return more;
}

/* The options every buffer of this scan is scanned with. */
static void
scan_options(struct cl_scan_options *o, const struct av_scan_options *opt)
{
	memset(o, 0, sizeof(*o));
	o->general = CL_SCAN_GENERAL_HEURISTICS;
	o->parse = ~0u;
	o->heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX;
	if (opt->alert_encrypted)
		o->heuristic |= CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
		    CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
	if (opt->alert_broken_executables)
		o->heuristic |= CL_SCAN_HEURISTIC_BROKEN;
	if (opt->alert_macros)
		o->heuristic |= CL_SCAN_HEURISTIC_MACROS;
	if (opt->phishing_ssl_mismatch)
		o->heuristic |= CL_SCAN_HEURISTIC_PHISHING_SSL_MISMATCH;
	if (opt->phishing_cloak)
		o->heuristic |= CL_SCAN_HEURISTIC_PHISHING_CLOAK;
	o->mail = 0;
}

/* Steps 1 to 3 on an engine. */
static void
scan_steps(struct scan_state *st, const unsigned char *message, size_t len,
    const struct av_scan_options *options)
{
	const struct av_settings *s = st->settings;
	/* 0 is "no limit" to libclamav, and so to the walks. */
	size_t max_parts = s->max_files != 0 ? s->max_files : SIZE_MAX;

	if (len == 0)
		return;
	if (!scan_buffer(st, message, len, "message"))
		return;
	if (options->scan_parts) {
		if (scan_overtime(st))
			scan_problem(st, AV_TIMEOUT, "scan time limit reached");
		else
			mime_parts_walk(message, len, s->max_recursion,
			    max_parts, scan_part, st);
	}
	if (options->salvage && !st->infected) {
		if (scan_overtime(st))
			scan_problem(st, AV_TIMEOUT, "scan time limit reached");
		else
			mime_salvage_walk(message, len, max_parts, scan_part,
			    st);
	}
}

void
av_scan_message(const unsigned char *message, size_t len,
    const struct av_scan_options *options, struct av_verdict *verdict_r)
{
	struct scan_state st;
	struct av_engine *engine;
	double t0 = now_seconds();

	av_scan_register_metrics();
	memset(verdict_r, 0, sizeof(*verdict_r));
	verdict_r->result = AV_CLEAN;
	if ((engine = av_engine_acquire()) == NULL) {
		verdict_r->result = AV_ERROR;
		snprintf(verdict_r->reason, sizeof(verdict_r->reason),
		    "no signature database loaded");
	} else {
		memset(&st, 0, sizeof(st));
		st.magic = SCAN_MAGIC;
		st.cl = av_engine_cl(engine);
		st.settings = av_engine_settings(engine);
		st.verdict = verdict_r;
		scan_options(&st.options, options);
		if (st.settings->max_scan_time_ms != 0)
			st.deadline = t0 +
			    (double)st.settings->max_scan_time_ms / 1000.0;
		scan_steps(&st, message, len, options);
		free(st.seen);
		free(st.pending);
		av_engine_release(&engine);
	}
	metrics_add(m_scans, (size_t)verdict_r->result, 1);
	metrics_observe(m_duration, 0, now_seconds() - t0);
}
