/*
 * engine.c - the one shared libclamav engine: load, limits, hot reload;
 *            see engine.h
 *
 * PUBLIC FUNCTIONS
 *	av_engine_check_database() looks at a signature directory without
 *	loading it. av_engine_start() builds the first engine and starts the
 *	watcher thread; av_engine_update() hands it new settings (or just a
 *	nudge); av_engine_stop() joins it and drops the engine.
 *	av_engine_acquire() and av_engine_release() count the references of
 *	the scans; av_engine_cl() and av_engine_settings() read an engine.
 *
 * CONTRACT
 *	An engine is built off the request path (cl_engine_new, the limits,
 *	cl_load, cl_engine_compile) and published with one reference, the
 *	publisher's; every scan holds one more. The last release frees it
 *	(cl_engine_free), in whichever thread that happens. An engine's
 *	settings are its own copies and never change once built.
 *
 *	The watcher wakes every check_interval_ms (0: only when nudged), on
 *	av_engine_update() and on av_engine_stop(). It rebuilds when the
 *	settings differ from the last attempt's, or the directory changed
 *	since the last attempt (cl_statchkdir: a new or replaced file, a
 *	newer mtime; and the number of database files, which cl_statchkdir
 *	alone misses when a file is deleted). A failed attempt is not
 *	repeated until one of those changes again, so a broken file costs one
 *	log line, not one per tick. A file rewritten in place within the
 *	second of the last look is not noticed (cl_stat keeps whole-second
 *	mtimes); freshclam replaces files by rename, which is.
 *
 *	With concurrent_reload false the old engine is taken away first:
 *	acquire blocks, the watcher waits for the scans in flight to release
 *	it, frees it and builds the new one. If that build fails there is no
 *	engine at all (acquire returns NULL, scans report "no signature
 *	database loaded") and the watcher retries at every tick until a build
 *	succeeds. Because of that wait a thread must never hold two references
 *	at once.
 *
 * THREAD SAFETY
 *	One mutex guards the published pointer, the reference counts and the
 *	watcher's mailbox; it is held for a few instructions, never across a
 *	load, a compile, a free or a scan. libclamav's messages go to our log
 *	(cl_set_clcb_msg, set once with cl_init before any engine exists).
 *
 * SECURITY
 *	The signature directory is trusted admin input (it runs with
 *	CL_DB_BYTECODE, signed bytecode only, as clamd does); it is read by
 *	libclamav. Settings come from the validated policy.
 */
#include "config.h"

#include <clamav.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "av/engine.h"
#include "av/scan.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "metrics/metrics.h"

struct av_engine {
	struct cl_engine *cl;
	struct av_settings settings; /* own copies of the strings */
	unsigned refs;               /* guarded by av_lock */
	unsigned signatures;
	unsigned db_version;         /* daily.cvd's, or the highest; 0: none */
	time_t db_built;             /* newest database at load time; 0: none */
};

/* File names libclamav loads from a database directory (by suffix). */
static const char *const db_suffixes[] = {
	"cvd", "cld", "cud", "hdb", "hsb", "hdu", "hsu", "mdb", "msb", "mdu",
	"msu", "ndb", "ndu", "ldb", "ldu", "sdb", "zmd", "rmd", "idb", "fp",
	"sfp", "gdb", "pdb", "wdb", "cbc", "ftm", "cfg", "cdb", "cat", "crb",
	"ign", "ign2", "imp", "yar", "yara", "pwdb", "info",
};
#define DB_SUFFIXES (sizeof(db_suffixes) / sizeof(db_suffixes[0]))

enum { RELOAD_SUCCESS, RELOAD_FAILED };
static const char *const reload_results[] = { "success", "failed" };

static struct metrics_family *m_signatures, *m_build_seconds, *m_version,
    *m_age, *m_reloads;

static pthread_once_t av_once = PTHREAD_ONCE_INIT;
static cl_error_t av_init_status;

static pthread_mutex_t av_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t av_ready = PTHREAD_COND_INITIALIZER;   /* blocking
                                                                 reload done */
static pthread_cond_t av_drained = PTHREAD_COND_INITIALIZER; /* a release */
static pthread_cond_t av_wake;       /* CLOCK_MONOTONIC; set up by av_init */
/* Guarded by av_lock: */
static struct av_engine *av_current;
static bool av_blocking;             /* a non-concurrent reload is under way */
static bool av_running, av_stopping, av_nudged;
static struct av_settings *av_pending; /* from av_engine_update(), owned */
static pthread_t av_watcher;

/* The watcher's own state: written by av_engine_start() before the thread
 * exists, then only by the thread, then by av_engine_stop() after the
 * join. */
static struct {
	struct av_settings want;  /* build with these */
	struct av_settings tried; /* the settings of the last attempt */
	struct cl_stat stat;      /* tried.database just before that attempt */
	bool have_stat;
	time_t db_built;          /* the running engine's newest database */
} watch;

/* While this thread builds an engine: libclamav's most telling error. */
static _Thread_local char *build_note;
static _Thread_local size_t build_note_size;

/* libclamav's info, warnings and errors, into our log. */
static void
engine_clmsg(enum cl_msg severity, const char *fullmsg, const char *msg,
    void *context)
{
	int n = (int)strcspn(msg, "\r\n");

	(void)fullmsg;
	(void)context;
	if (severity == CL_MSG_INFO_VERBOSE) {
		log_debug("libclamav: %.*s", n, msg);
		return;
	}
	log_warning("libclamav: %.*s", n, msg);
	/* Keep the first error, unless a later one names the file. */
	if (severity == CL_MSG_ERROR && build_note != NULL &&
	    (build_note[0] == '\0' || strncmp(msg, "Can't load ", 11) == 0))
		snprintf(build_note, build_note_size, "%.*s", n, msg);
}

/* Once per process: libclamav, the watcher's clock, the metrics. */
static void
av_init(void)
{
	pthread_condattr_t attr;

	cl_set_clcb_msg(engine_clmsg);
	av_init_status = cl_init(CL_INIT_DEFAULT);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&av_wake, &attr);
	pthread_condattr_destroy(&attr);

	m_signatures = metrics_gauge_new("mxward_av_signatures",
	    "Signatures in the running antivirus engine.", NULL, NULL, 1);
	m_build_seconds = metrics_gauge_new("mxward_av_engine_build_seconds",
	    "Time the last successful engine build took, rounded to seconds.",
	    NULL, NULL, 1);
	m_version = metrics_gauge_new("mxward_av_database_version",
	    "Version of the running daily ClamAV database (0: none).", NULL,
	    NULL, 1);
	m_age = metrics_gauge_new("mxward_av_database_age_seconds",
	    "Seconds since the newest database of the running engine was "
	    "built.", NULL, NULL, 1);
	m_reloads = metrics_counter_new("mxward_av_reloads_total",
	    "Antivirus engine reloads by result.", "result", reload_results,
	    sizeof(reload_results) / sizeof(reload_results[0]));
	av_scan_register_metrics();
}

/* Copy src into dst, duplicating the strings. */
static void
settings_copy(struct av_settings *dst, const struct av_settings *src)
{
	*dst = *src;
	dst->database = src->database ? xstrdup(src->database) : NULL;
	dst->temp_directory = src->temp_directory ?
	    xstrdup(src->temp_directory) : NULL;
}

/* Free what settings_copy() duplicated. */
static void
settings_clear(struct av_settings *s)
{
	free((char *)s->database);
	free((char *)s->temp_directory);
	memset(s, 0, sizeof(*s));
}

static bool
str_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Are a and b the same settings, strings compared by content? */
static bool
settings_same(const struct av_settings *a, const struct av_settings *b)
{
	return str_same(a->database, b->database) &&
	    str_same(a->temp_directory, b->temp_directory) &&
	    a->max_scan_size == b->max_scan_size &&
	    a->max_file_size == b->max_file_size &&
	    a->max_recursion == b->max_recursion &&
	    a->max_files == b->max_files &&
	    a->max_scan_time_ms == b->max_scan_time_ms &&
	    a->phishing_signatures == b->phishing_signatures &&
	    a->phishing_scan_urls == b->phishing_scan_urls &&
	    a->concurrent_reload == b->concurrent_reload &&
	    a->check_interval_ms == b->check_interval_ms;
}

/* Does name end in ".SUFFIX" with a suffix of db_suffixes (any case)? */
static bool
db_file_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL || dot == name)
		return false;
	for (size_t i = 0; i < DB_SUFFIXES; i++)
		if (strcasecmp(dot + 1, db_suffixes[i]) == 0)
			return true;
	return false;
}

bool
av_engine_check_database(const char *dir, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	bool found = false;

	if (dir == NULL || dir[0] == '\0') {
		snprintf(err, errlen, "antivirus.database is not set");
		return false;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "antivirus.database %s: %s", dir,
		    strerror(errno));
		return false;
	}
	while (!found && (de = readdir(d)) != NULL)
		found = db_file_name(de->d_name);
	closedir(d);
	if (!found)
		snprintf(err, errlen, "antivirus.database %s holds no ClamAV "
		    "signature files (run freshclam)", dir);
	return found;
}

/* The database's version (daily's, else the highest of any .cvd/.cld) and
 * when its newest part was built (CVD header time, else the newest mtime
 * of the plain signature files). */
static void
database_info(const char *dir, unsigned *version_r, time_t *built_r)
{
	unsigned daily = 0, highest = 0;
	time_t newest_cvd = 0, newest_file = 0;
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		const char *dot = strrchr(de->d_name, '.');
		bool signed_db;
		char *path;
		struct cl_cvd *cvd;
		struct stat st;

		if (!db_file_name(de->d_name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		signed_db = strcasecmp(dot, ".cvd") == 0 ||
		    strcasecmp(dot, ".cld") == 0;
		if (signed_db) {
			if ((cvd = cl_cvdhead(path)) != NULL) {
				if (strncmp(de->d_name, "daily.", 6) == 0)
					daily = cvd->version;
				if (cvd->version > highest)
					highest = cvd->version;
				if ((time_t)cvd->stime > newest_cvd)
					newest_cvd = (time_t)cvd->stime;
				cl_cvdfree(cvd);
			}
		} else if (stat(path, &st) == 0 && st.st_mtime > newest_file)
			newest_file = st.st_mtime;
		free(path);
	}
	if (d != NULL)
		closedir(d);
	*version_r = daily != 0 ? daily : highest;
	*built_r = newest_cvd != 0 ? newest_cvd : newest_file;
}

/* Clamp v into a long long no larger than max. */
static long long
clamp_ll(uint64_t v, long long max)
{
	return v > (uint64_t)max ? max : (long long)v;
}

/* Apply the limits and the scratch directory to a new cl engine. */
static bool
engine_set_limits(struct cl_engine *cl, const struct av_settings *s,
    char *err, size_t errlen)
{
	const struct {
		enum cl_engine_field field;
		long long value;
		const char *name;
	} nums[] = {
		{ CL_ENGINE_MAX_SCANSIZE, clamp_ll(s->max_scan_size, LLONG_MAX),
		  "max scan size" },
		{ CL_ENGINE_MAX_FILESIZE, clamp_ll(s->max_file_size, LLONG_MAX),
		  "max file size" },
		{ CL_ENGINE_MAX_RECURSION, clamp_ll(s->max_recursion,
		  UINT32_MAX), "max recursion" },
		{ CL_ENGINE_MAX_FILES, clamp_ll(s->max_files, UINT32_MAX),
		  "max files" },
		{ CL_ENGINE_MAX_SCANTIME, clamp_ll(s->max_scan_time_ms,
		  UINT32_MAX), "max scan time" },
	};
	cl_error_t r;

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		r = cl_engine_set_num(cl, nums[i].field, nums[i].value);
		if (r != CL_SUCCESS) {
			snprintf(err, errlen, "setting the %s of %lld: %s",
			    nums[i].name, nums[i].value, cl_strerror(r));
			return false;
		}
	}
	if (s->temp_directory != NULL && s->temp_directory[0] != '\0' &&
	    (r = cl_engine_set_str(cl, CL_ENGINE_TMPDIR,
	    s->temp_directory)) != CL_SUCCESS) {
		snprintf(err, errlen, "setting the temporary directory %s: %s",
		    s->temp_directory, cl_strerror(r));
		return false;
	}
	return true;
}

/* Load and compile settings->database into a cl engine; NULL with err. */
static struct cl_engine *
engine_load(const struct av_settings *s, unsigned *sigs_r, char *err,
    size_t errlen)
{
	struct cl_engine *cl;
	unsigned dboptions = CL_DB_STDOPT;
	char note[256] = "";
	const char *open = "", *close = "";
	cl_error_t r;

	if ((cl = cl_engine_new()) == NULL) {
		snprintf(err, errlen, "cl_engine_new failed");
		return NULL;
	}
	if (!engine_set_limits(cl, s, err, errlen))
		goto fail;
	if (!s->phishing_signatures)
		dboptions &= ~(unsigned)CL_DB_PHISHING;
	if (!s->phishing_scan_urls)
		dboptions &= ~(unsigned)CL_DB_PHISHING_URLS;
	build_note = note;
	build_note_size = sizeof(note);
	*sigs_r = 0;
	r = cl_load(s->database, cl, sigs_r, dboptions);
	if (note[0] != '\0') {
		open = " (";
		close = ")";
	}
	if (r != CL_SUCCESS) {
		snprintf(err, errlen, "loading %s: %s%s%s%s", s->database,
		    cl_strerror(r), open, note, close);
		goto fail;
	}
	if (*sigs_r == 0) {
		snprintf(err, errlen, "no signatures in %s", s->database);
		goto fail;
	}
	/* Before compiling: callbacks may not change on an engine in use. */
	cl_engine_set_clcb_file_inspection(cl, av_scan_inspect);
	if ((r = cl_engine_compile(cl)) != CL_SUCCESS) {
		if (note[0] != '\0') {
			open = " (";
			close = ")";
		}
		snprintf(err, errlen, "compiling %s: %s%s%s%s", s->database,
		    cl_strerror(r), open, note, close);
		goto fail;
	}
	build_note = NULL;
	return cl;
fail:
	build_note = NULL;
	cl_engine_free(cl);
	return NULL;
}

/* Build a complete engine with one reference; NULL with err. */
static struct av_engine *
engine_build(const struct av_settings *s, char *err, size_t errlen)
{
	struct av_engine *e;
	struct cl_engine *cl;
	unsigned sigs;

	if (av_init_status != CL_SUCCESS) {
		snprintf(err, errlen, "cl_init: %s",
		    cl_strerror(av_init_status));
		return NULL;
	}
	if (!av_engine_check_database(s->database, err, errlen))
		return NULL;
	if ((cl = engine_load(s, &sigs, err, errlen)) == NULL)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->cl = cl;
	e->refs = 1;
	e->signatures = sigs;
	settings_copy(&e->settings, s);
	database_info(s->database, &e->db_version, &e->db_built);
	return e;
}

static void
engine_free(struct av_engine *e)
{
	cl_engine_free(e->cl);
	settings_clear(&e->settings);
	free(e);
}

struct av_engine *
av_engine_acquire(void)
{
	struct av_engine *e;

	pthread_mutex_lock(&av_lock);
	while (av_blocking)
		pthread_cond_wait(&av_ready, &av_lock);
	if ((e = av_current) != NULL)
		e->refs++;
	pthread_mutex_unlock(&av_lock);
	return e;
}

void
av_engine_release(struct av_engine **engine_p)
{
	struct av_engine *e = *engine_p;
	bool last;

	if (e == NULL)
		return;
	*engine_p = NULL;
	pthread_mutex_lock(&av_lock);
	last = --e->refs == 0;
	/* A blocking reload may be waiting for this engine to drain. */
	if (av_blocking)
		pthread_cond_broadcast(&av_drained);
	pthread_mutex_unlock(&av_lock);
	if (last)
		engine_free(e);
}

const struct cl_engine *
av_engine_cl(const struct av_engine *engine)
{
	return engine->cl;
}

const struct av_settings *
av_engine_settings(const struct av_engine *engine)
{
	return &engine->settings;
}

/* Make e current (taking over its reference) and end a blocking reload;
 * the previous engine loses the publisher's reference. */
static void
engine_publish(struct av_engine *e)
{
	struct av_engine *old;

	pthread_mutex_lock(&av_lock);
	old = av_current;
	av_current = e;
	av_blocking = false;
	pthread_cond_broadcast(&av_ready);
	pthread_mutex_unlock(&av_lock);
	av_engine_release(&old);
}

/* The gauges that describe the running engine. */
static void
engine_gauges(const struct av_engine *e, double build_seconds)
{
	metrics_set(m_signatures, 0, e != NULL ? e->signatures : 0);
	if (e == NULL)
		return;
	metrics_set(m_build_seconds, 0, (int64_t)(build_seconds + 0.5));
	metrics_set(m_version, 0, e->db_version);
	watch.db_built = e->db_built;
	metrics_set(m_age, 0, e->db_built != 0 ?
	    (int64_t)(time(NULL) - e->db_built) : 0);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Remember the directory as it is before an attempt with s. */
static void
watch_snapshot(const struct av_settings *s)
{
	if (watch.have_stat)
		cl_statfree(&watch.stat);
	memset(&watch.stat, 0, sizeof(watch.stat));
	watch.have_stat = s->database != NULL &&
	    cl_statinidir(s->database, &watch.stat) == CL_SUCCESS;
	settings_clear(&watch.tried);
	settings_copy(&watch.tried, s);
}

/* Has the directory changed since the last attempt? */
static bool
watch_dir_changed(void)
{
	struct cl_stat now;
	bool changed;

	memset(&now, 0, sizeof(now));
	if (!watch.have_stat) {
		/* It was unreadable: it changed once it can be read. Looked
		 * at with opendir first, as libclamav logs every failure. */
		DIR *d = watch.tried.database != NULL ?
		    opendir(watch.tried.database) : NULL;

		if (d == NULL)
			return false;
		closedir(d);
		changed = cl_statinidir(watch.tried.database, &now) ==
		    CL_SUCCESS;
		if (changed)
			cl_statfree(&now);
		return changed;
	}
	/* 1: a new file or a new mtime; an error: the directory is gone. */
	if (cl_statchkdir(&watch.stat) != 0)
		return true;
	/* cl_statchkdir does not notice a deleted file; the count does. */
	if (cl_statinidir(watch.tried.database, &now) != CL_SUCCESS)
		return true;
	changed = now.entries != watch.stat.entries;
	cl_statfree(&now);
	return changed;
}

/* Non-concurrent reload: withdraw the current engine, wait for the scans
 * in flight to release it, and free it before the new one is built. */
static void
engine_withdraw(void)
{
	struct av_engine *old;

	pthread_mutex_lock(&av_lock);
	av_blocking = true;
	old = av_current;
	av_current = NULL;
	while (old != NULL && old->refs > 1)
		pthread_cond_wait(&av_drained, &av_lock);
	pthread_mutex_unlock(&av_lock);
	av_engine_release(&old);
	metrics_set(m_signatures, 0, 0);
}

/* Build an engine with watch.want and swap it in, or keep what runs. */
static void
engine_reload(void)
{
	const struct av_settings *s = &watch.want;
	char err[512];
	struct av_engine *e;
	double t0, seconds;

	watch_snapshot(s);
	if (!s->concurrent_reload)
		engine_withdraw();
	t0 = now_seconds();
	e = engine_build(s, err, sizeof(err));
	seconds = now_seconds() - t0;
	if (e == NULL) {
		if (!s->concurrent_reload) {
			/* Nothing to go back to: acquire now returns NULL. */
			pthread_mutex_lock(&av_lock);
			av_blocking = false;
			pthread_cond_broadcast(&av_ready);
			pthread_mutex_unlock(&av_lock);
		}
		log_error("antivirus: reload refused: %s; %s", err,
		    s->concurrent_reload ? "keeping the running engine" :
		    "no engine loaded until a reload succeeds");
		metrics_add(m_reloads, RELOAD_FAILED, 1);
		return;
	}
	log_info("antivirus: reloaded %s: %u signatures, built in %.2f s",
	    s->database, e->signatures, seconds);
	metrics_add(m_reloads, RELOAD_SUCCESS, 1);
	engine_gauges(e, seconds);
	engine_publish(e);
}

/* One wake-up of the watcher: refresh the age, reload if due. */
static void
watch_tick(void)
{
	bool no_engine;

	if (watch.db_built != 0)
		metrics_set(m_age, 0, (int64_t)(time(NULL) - watch.db_built));
	pthread_mutex_lock(&av_lock);
	no_engine = av_current == NULL;
	pthread_mutex_unlock(&av_lock);
	if (!settings_same(&watch.want, &watch.tried) || watch_dir_changed() ||
	    no_engine)
		engine_reload();
}

/* The watcher thread: sleep until the interval ends, a nudge or a stop. */
static void *
watch_main(void *arg)
{
	struct av_settings *pending;
	struct timespec deadline;
	uint64_t interval;

	(void)arg;
	pthread_mutex_lock(&av_lock);
	while (!av_stopping) {
		interval = watch.want.check_interval_ms;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += (time_t)(interval / 1000);
		deadline.tv_nsec += (long)(interval % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		while (!av_stopping && !av_nudged) {
			if (interval == 0)
				pthread_cond_wait(&av_wake, &av_lock);
			else if (pthread_cond_timedwait(&av_wake, &av_lock,
			    &deadline) == ETIMEDOUT)
				break;
		}
		if (av_stopping)
			break;
		av_nudged = false;
		pending = av_pending;
		av_pending = NULL;
		pthread_mutex_unlock(&av_lock);
		if (pending != NULL) {
			settings_clear(&watch.want);
			watch.want = *pending;  /* takes over its strings */
			free(pending);
		}
		watch_tick();
		pthread_mutex_lock(&av_lock);
	}
	pthread_mutex_unlock(&av_lock);
	return NULL;
}

/* Free the watcher's state (no thread running). */
static void
watch_clear(void)
{
	settings_clear(&watch.want);
	settings_clear(&watch.tried);
	if (watch.have_stat)
		cl_statfree(&watch.stat);
	watch.have_stat = false;
	watch.db_built = 0;
}

bool
av_engine_start(const struct av_settings *settings, char *err,
    size_t errlen)
{
	struct av_engine *e;
	double t0, seconds;
	bool running;
	int r;

	pthread_once(&av_once, av_init);
	pthread_mutex_lock(&av_lock);
	running = av_running;
	pthread_mutex_unlock(&av_lock);
	if (running) {
		snprintf(err, errlen,
		    "the antivirus engine is already running");
		return false;
	}
	settings_copy(&watch.want, settings);
	watch_snapshot(settings);
	t0 = now_seconds();
	if ((e = engine_build(settings, err, errlen)) == NULL) {
		watch_clear();
		return false;
	}
	seconds = now_seconds() - t0;
	engine_gauges(e, seconds);
	engine_publish(e);
	pthread_mutex_lock(&av_lock);
	av_stopping = false;
	av_nudged = false;
	av_running = true;
	pthread_mutex_unlock(&av_lock);
	if ((r = pthread_create(&av_watcher, NULL, watch_main, NULL)) != 0) {
		snprintf(err, errlen, "starting the database watcher: %s",
		    strerror(r));
		pthread_mutex_lock(&av_lock);
		av_running = false;
		pthread_mutex_unlock(&av_lock);
		engine_publish(NULL);
		watch_clear();
		return false;
	}
	log_info("antivirus: loaded %s: %u signatures, built in %.2f s",
	    settings->database, e->signatures, seconds);
	return true;
}

void
av_engine_update(const struct av_settings *settings)
{
	struct av_settings *copy = xmalloc(sizeof(*copy)), *old = NULL;

	settings_copy(copy, settings);
	pthread_mutex_lock(&av_lock);
	if (av_running) {
		old = av_pending;
		av_pending = copy;
		copy = NULL;
		av_nudged = true;
		pthread_cond_signal(&av_wake);
	}
	pthread_mutex_unlock(&av_lock);
	/* Not running, or an earlier update not yet taken: drop it. */
	if (copy != NULL)
		old = copy;
	if (old != NULL) {
		settings_clear(old);
		free(old);
	}
}

void
av_engine_stop(void)
{
	struct av_settings *pending;
	bool running;

	pthread_mutex_lock(&av_lock);
	running = av_running;
	if (running) {
		av_stopping = true;
		pthread_cond_signal(&av_wake);
	}
	pthread_mutex_unlock(&av_lock);
	if (!running)
		return;
	pthread_join(av_watcher, NULL);
	pthread_mutex_lock(&av_lock);
	av_running = false;
	av_stopping = false;
	pending = av_pending;
	av_pending = NULL;
	pthread_mutex_unlock(&av_lock);
	if (pending != NULL) {
		settings_clear(pending);
		free(pending);
	}
	/* Scans still holding it free it with their last release. */
	engine_publish(NULL);
	metrics_set(m_signatures, 0, 0);
	watch_clear();
}
