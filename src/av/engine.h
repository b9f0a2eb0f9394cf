/*
 * engine.h - the one shared libclamav engine: load, limits, hot reload
 *
 * av_engine_start() loads the ClamAV signature directory into one compiled
 * libclamav engine, synchronously, with the limits of struct av_settings,
 * and starts a watcher thread. Every scan takes a reference with
 * av_engine_acquire() and drops it with av_engine_release(); many threads
 * scan on one engine at once.
 *
 * The watcher checks the directory every check_interval_ms (ClamAV's
 * cl_statinidir/cl_statchkdir) and when av_engine_update() asks it to (a
 * policy reload, so also on SIGHUP). When the files changed, or the
 * settings did, it builds a new engine off the request path and swaps it
 * in; scans in flight finish on the old engine, freed by the last release.
 * A database that fails to load or compile (corrupt, truncated, no
 * signatures) is refused: the old engine keeps running, with a log line
 * and mxward_av_reloads_total{result="failed"}. With concurrent_reload
 * false the old engine is freed before the new one is built, so the host
 * never holds two: av_engine_acquire() then waits until the new one is
 * ready (clamd's ConcurrentDatabaseReload no). If that build fails there
 * is nothing to go back to: av_engine_acquire() returns NULL (scans fail
 * with "no signature database loaded") and the watcher tries again at
 * every check until a build succeeds. A failed reload with
 * concurrent_reload true is not retried until the directory or the
 * settings change again.
 *
 * Metrics: mxward_av_signatures, mxward_av_engine_build_seconds,
 * mxward_av_database_version (the daily database's version, 0 for plain
 * signature files), mxward_av_database_age_seconds (since the newest
 * database was built; refreshed on every directory check),
 * mxward_av_reloads_total{result} ("success", "failed"; the first load
 * is not a reload). The build time is in whole seconds (gauges hold
 * integers).
 *
 * Thread safety: all functions may be called from any thread; the engine
 * pointer is guarded by one mutex held only to swap or count references,
 * never across a load or a scan. A thread must not hold two references
 * at once: with concurrent_reload false the second acquire would wait for
 * a reload that waits for the first reference.
 */
#ifndef MXWARD_AV_ENGINE_H
#define MXWARD_AV_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct av_engine;
struct cl_engine;

/* How to load the engine: the database and ClamAV's engine limits.
 * Strings are copied by start and update. */
struct av_settings {
	const char *database;       /* signature directory */
	const char *temp_directory; /* libclamav's scratch files */
	uint64_t max_scan_size;     /* CL_ENGINE_MAX_SCANSIZE, bytes */
	uint64_t max_file_size;     /* CL_ENGINE_MAX_FILESIZE, bytes */
	unsigned max_recursion;     /* CL_ENGINE_MAX_RECURSION */
	unsigned max_files;         /* CL_ENGINE_MAX_FILES */
	uint64_t max_scan_time_ms;  /* CL_ENGINE_MAX_SCANTIME */
	bool phishing_signatures;   /* load with CL_DB_PHISHING */
	bool phishing_scan_urls;    /* load with CL_DB_PHISHING_URLS */
	bool concurrent_reload;     /* build the new engine beside the old */
	uint64_t check_interval_ms; /* how often the watcher looks; 0: only
	                               when av_engine_update() asks */
};

/* Is dir a readable directory holding at least one ClamAV database file
 * (.cvd .cld .cud .hdb .hsb .ndb .ldb .cdb .ign2 and the rest)? false with
 * a reason for the postmaster in err. Does not load anything. */
bool av_engine_check_database(const char *dir, char *err, size_t errlen);

/* Load the database now and start the watcher. false with err when the
 * database does not load or holds no signatures, or the engine is
 * already running. Call once; again only after av_engine_stop(). */
bool av_engine_start(const struct av_settings *settings, char *err,
    size_t errlen);
/* The policy was reloaded: rebuild in the background if settings differ
 * from the running engine's, else check the directory for changes now. */
void av_engine_update(const struct av_settings *settings);
/* Stop the watcher and drop the current engine (freed once the last scan
 * releases it). Safe to call when not started. */
void av_engine_stop(void);

/* The current engine with a reference held, or NULL when none is loaded.
 * With concurrent_reload false, waits while a reload is building. */
struct av_engine *av_engine_acquire(void);
void av_engine_release(struct av_engine **engine_p);
const struct cl_engine *av_engine_cl(const struct av_engine *engine);
/* The settings the engine was built with (for per-scan limits). */
const struct av_settings *av_engine_settings(const struct av_engine *engine);

#endif
