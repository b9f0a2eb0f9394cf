/*
 * scan.h - scan one message for viruses, raw and part by part
 *
 * av_scan_message() scans a whole message as received (header and body):
 *   1. raw, with libclamav, so its own MIME, archive and encoding handling
 *      applies;
 *   2. each MIME part as GMime decodes it (mime_parts_walk), recursing into
 *      multiparts and message/rfc822;
 *   3. each block the salvage pass finds (mime_salvage_walk): base64,
 *      quoted-printable, uuencode and yEnc runs wherever MIME is broken.
 * Content libclamav already inspected whole in step 1 (recorded through its
 * file-inspection callback by size and hash), or already scanned in step 2
 * or 3, is not scanned again. Any hit in any step counts.
 *
 * The result is never AV_CLEAN unless every scan ran to the end: no engine
 * loaded, a libclamav error, a scan timeout or a limit exceeded (libclamav's
 * Heuristics.Limits.Exceeded.* alerts, reported only when nothing was
 * found) give AV_ERROR, AV_TIMEOUT or AV_LIMITS with a reason (the limit's
 * name, "MaxFileSize", "MaxScanSize", "MaxRecursion" ...). Steps 2 and 3
 * stop, with AV_TIMEOUT, once the whole call has taken max_scan_time.
 *
 * Metrics: mxward_av_scans_total{result}, mxward_av_scan_duration_seconds,
 * mxward_av_scanned_bytes_total.
 *
 * Thread safety: reentrant; each call holds its own engine reference.
 */
#ifndef MXWARD_AV_SCAN_H
#define MXWARD_AV_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum av_result {
	AV_CLEAN,
	AV_INFECTED,
	AV_LIMITS,   /* a scan limit was exceeded: part of it went unscanned */
	AV_TIMEOUT,  /* max_scan_time ran out */
	AV_ERROR,    /* no engine, or libclamav failed */
};

/* Per-scan switches (libclamav's cl_scan_options and our extra passes). */
struct av_scan_options {
	bool alert_encrypted;          /* encrypted archives and documents */
	bool alert_broken_executables;
	bool alert_macros;             /* OLE2 documents with VBA macros */
	bool phishing_ssl_mismatch;    /* heuristic phishing: SSL mismatch */
	bool phishing_cloak;           /* heuristic phishing: cloaked URLs */
	bool scan_parts;               /* step 2 */
	bool salvage;                  /* step 3 */
};

struct av_verdict {
	enum av_result result;
	char virus[128];       /* AV_INFECTED: the signature name */
	char where[96];        /* AV_INFECTED: "message", or the walk's
	                          description: "part 2 application/zip",
	                          "base64 block at byte 1234" */
	char reason[128];      /* LIMITS, TIMEOUT, ERROR: why */
	uint64_t bytes_scanned;   /* bytes handed to libclamav in all steps */
	unsigned parts_scanned;   /* steps 2 and 3 */
	unsigned parts_skipped;   /* ... not scanned again (already seen) */
};

/* Scan message[0..len) and fill *verdict_r. */
void av_scan_message(const unsigned char *message, size_t len,
    const struct av_scan_options *options, struct av_verdict *verdict_r);

const char *av_result_name(enum av_result result);

/* For engine.c only. Register the scan metrics (once; av_engine_start()
 * does it at start-up, av_scan_message() on first use otherwise). */
void av_scan_register_metrics(void);
#ifdef __CLAMAV_H
/* For engine.c only: libclamav's file-inspection callback, installed on
 * every engine before it is compiled. context is the scan's state, or NULL
 * when someone else scans with the engine. Returns CL_CLEAN. */
cl_error_t av_scan_inspect(int fd, const char *type, const char **ancestors,
    size_t parent_file_size, const char *file_name, size_t file_size,
    const char *file_buffer, uint32_t recursion_level,
    uint32_t layer_attributes, void *context);
#endif

#endif
