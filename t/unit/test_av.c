/*
 * test_av.c - unit tests for the antivirus engine and message scanning
 *
 * Builds a signature directory at run time in a private temporary
 * directory (the EICAR test string as an .ndb body signature, and more
 * signatures added while the engine runs), then checks: the database
 * check, refused starts (empty, corrupt, no signatures), raw and part
 * scans, what libclamav already saw not being scanned again, the salvage
 * pass, limits, hot reloads (a new file, a truncated one, new settings,
 * with and without concurrent_reload) under concurrent scans, and stop.
 * Everything it creates is removed at the end, and libclamav's scratch
 * directory must be empty by then.
 */
#include "config.h"

#include <clamav.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "av/engine.h"
#include "av/scan.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "metrics/metrics.h"
#include "tap.h"

#define EICAR "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" \
	"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#define MARKER "MXWARD-RELOAD-MARKER-7f3a9c1e-not-a-virus"
#define MARKER2 "MXWARD-SECOND-MARKER-0b5d2e48-not-a-virus"
#define WAIT_SECONDS 10

static char top[64];
static char db_dir[128], empty_dir[128], bad_dir[128], nosig_dir[128];
static char tmp_dir[128], block_dir[128];

/* ---- files ---- */

static void
write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void
remove_file(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) != 0)
		perror(path);
}

/* An .ndb line "NAME:0:*:HEX(text)\n". */
static char *
ndb_line(const char *name, const char *text)
{
	struct buf *b = buf_new();
	char *line;

	buf_appendf(b, "%s:0:*:", name);
	for (const char *p = text; *p != '\0'; p++)
		buf_appendf(b, "%02x", (unsigned char)*p);
	buf_putc(b, '\n');
	line = buf_steal(b);
	buf_free(&b);
	return line;
}

static void
write_ndb(const char *dir, const char *file, const char *name,
    const char *text)
{
	char *line = ndb_line(name, text);

	write_file(dir, file, line, strlen(line));
	free(line);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static size_t
dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	if (d != NULL)
		closedir(d);
	return n;
}

/* ---- messages ---- */

static void
base64_append(struct buf *b, const unsigned char *data, size_t len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;
		char out[4];

		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		out[0] = alphabet[(v >> 18) & 63];
		out[1] = alphabet[(v >> 12) & 63];
		out[2] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[3] = i + 2 < len ? alphabet[v & 63] : '=';
		buf_append(b, out, 4);
		if ((col += 4) == 76) {
			buf_puts(b, "\r\n");
			col = 0;
		}
	}
	if (col != 0)
		buf_puts(b, "\r\n");
}

/* Deterministic noise for clean attachments. */
static void
noise(unsigned char *out, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		out[i] = (unsigned char)(seed >> 16);
	}
}

static const char head[] =
    "From: <sender@example.org>\r\nTo: <rcpt@example.net>\r\n"
    "Subject: test\r\nMIME-Version: 1.0\r\n";

/* A plain-text message whose body holds text. */
static struct buf *
msg_plain(const char *text)
{
	struct buf *b = buf_new();

	buf_appendf(b, "%sContent-Type: text/plain\r\n\r\nHello,\r\n%s\r\n"
	    "bye\r\n", head, text);
	return b;
}

/* A multipart/mixed message with a text part and data as a base64
 * attachment declared with cte. */
static struct buf *
msg_attached(const unsigned char *data, size_t len, const char *cte)
{
	struct buf *b = buf_new();

	buf_appendf(b, "%sContent-Type: multipart/mixed; boundary=\"=b=\"\r\n"
	    "\r\n--=b=\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
	    "--=b=\r\n"
	    "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
	    "Content-Transfer-Encoding: %s\r\n"
	    "Content-Disposition: attachment; filename=\"a.bin\"\r\n\r\n",
	    head, cte);
	base64_append(b, data, len);
	buf_puts(b, "--=b=--\r\n");
	return b;
}

/* Two binary attachments and nothing else. */
static struct buf *
msg_clean_binary(void)
{
	unsigned char one[3000], two[1500];
	struct buf *b = buf_new();

	noise(one, sizeof(one), 1);
	noise(two, sizeof(two), 2);
	buf_appendf(b, "%sContent-Type: multipart/mixed; boundary=\"=b=\"\r\n"
	    "\r\n--=b=\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", head);
	base64_append(b, one, sizeof(one));
	buf_puts(b, "--=b=\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	base64_append(b, two, sizeof(two));
	buf_puts(b, "--=b=--\r\n");
	return b;
}

/* 3000 bytes of noise, then EICAR, both base64 attachments. */
static struct buf *
msg_noise_then_eicar(void)
{
	unsigned char one[3000];
	struct buf *b = buf_new();

	noise(one, sizeof(one), 3);
	buf_appendf(b, "%sContent-Type: multipart/mixed; boundary=\"=b=\"\r\n"
	    "\r\n--=b=\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", head);
	base64_append(b, one, sizeof(one));
	buf_puts(b, "--=b=\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	base64_append(b, (const unsigned char *)EICAR, strlen(EICAR));
	buf_puts(b, "--=b=--\r\n");
	return b;
}

/* Many distinct attachments: work enough for a 1 ms time limit. */
static struct buf *
msg_many_parts(size_t n)
{
	unsigned char part[2000];
	struct buf *b = buf_new();

	buf_appendf(b, "%sContent-Type: multipart/mixed; boundary=\"=b=\"\r\n"
	    "\r\n", head);
	for (size_t i = 0; i < n; i++) {
		noise(part, sizeof(part), (uint32_t)i + 10);
		buf_puts(b, "--=b=\r\n"
		    "Content-Type: application/octet-stream\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n");
		base64_append(b, part, sizeof(part));
	}
	buf_puts(b, "--=b=--\r\n");
	return b;
}

/* A text/plain body holding base64 of EICAR with no transfer encoding
 * declared: libclamav reads it as text and does not decode it. */
static struct buf *
msg_undeclared_base64(void)
{
	struct buf *b = buf_new();

	buf_appendf(b, "%sContent-Type: text/plain\r\n\r\n", head);
	base64_append(b, (const unsigned char *)EICAR, strlen(EICAR));
	return b;
}

/* The attachment declared quoted-printable but holding base64. */
static struct buf *
msg_qp_holding_base64(void)
{
	return msg_attached((const unsigned char *)EICAR, strlen(EICAR),
	    "quoted-printable");
}

/* Base64 of EICAR in the preamble of a multipart, before any boundary. */
static struct buf *
msg_preamble_base64(void)
{
	struct buf *b = buf_new();

	buf_appendf(b, "%sContent-Type: multipart/mixed; boundary=\"=b=\"\r\n"
	    "\r\n", head);
	base64_append(b, (const unsigned char *)EICAR, strlen(EICAR));
	buf_puts(b, "--=b=\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
	    "--=b=--\r\n");
	return b;
}

/* ---- scanning helpers ---- */

static const struct av_scan_options all_steps = {
	.scan_parts = true, .salvage = true,
};
static const struct av_scan_options raw_only = { 0 };
static const struct av_scan_options parts_only = { .scan_parts = true };

static struct av_settings
base_settings(const char *dir)
{
	struct av_settings s = {
		.database = dir,
		.temp_directory = tmp_dir,
		.max_scan_size = 10 * 1024 * 1024,
		.max_file_size = 5 * 1024 * 1024,
		.max_recursion = 16,
		.max_files = 1000,
		.max_scan_time_ms = 20000,
		.phishing_signatures = true,
		.phishing_scan_urls = true,
		.concurrent_reload = true,
		.check_interval_ms = 100,
	};
	return s;
}

static void
scan(const struct buf *b, const struct av_scan_options *o,
    struct av_verdict *v)
{
	av_scan_message((const unsigned char *)b->data, b->len, o, v);
}

static bool
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A series' value in the rendered metrics, -1 when absent. */
static long long
metric(const char *series)
{
	struct buf *b = buf_new();
	char *want = xasprintf("\n%s ", series);
	const char *p;
	long long v = -1;

	metrics_render(b);
	if ((p = strstr(b->data, want)) != NULL)
		v = strtoll(p + strlen(want), NULL, 10);
	free(want);
	buf_free(&b);
	return v;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Scan b until its result is want (or the deadline passes). */
static bool
wait_result(const struct buf *b, enum av_result want)
{
	double end = now() + WAIT_SECONDS;
	struct av_verdict v;

	do {
		scan(b, &raw_only, &v);
		if (v.result == want)
			return true;
		usleep(20000);
	} while (now() < end);
	return false;
}

static bool
wait_metric(const char *series, long long want)
{
	double end = now() + WAIT_SECONDS;

	do {
		if (metric(series) >= want)
			return true;
		usleep(20000);
	} while (now() < end);
	return false;
}

/* Scan with an engine directly (as another user of it would, context
 * NULL); the raw libclamav result. */
static cl_error_t
scan_with(const struct av_engine *e, const struct buf *b, const char **name_r)
{
	struct cl_scan_options o = { .general = CL_SCAN_GENERAL_HEURISTICS,
	    .parse = ~0u };
	cl_fmap_t *map = cl_fmap_open_memory(b->data, b->len);
	unsigned long scanned = 0;
	cl_error_t r;

	*name_r = NULL;
	r = cl_scanmap_callback(map, NULL, name_r, &scanned, av_engine_cl(e),
	    &o, NULL);
	cl_fmap_close(map);
	return r;
}

/* ---- scanners running beside reloads ---- */

struct hammer {
	const struct buf *msg;
	atomic_bool stop;
	atomic_int scans, wrong;
};

static void *
hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct av_verdict v;

	while (!atomic_load(&h->stop)) {
		scan(h->msg, &all_steps, &v);
		atomic_fetch_add(&h->scans, 1);
		if (v.result != AV_INFECTED)
			atomic_fetch_add(&h->wrong, 1);
	}
	return NULL;
}

static void
hammer_start(struct hammer *h, pthread_t *t, size_t n, const struct buf *m)
{
	h->msg = m;
	atomic_store(&h->stop, false);
	atomic_store(&h->scans, 0);
	atomic_store(&h->wrong, 0);
	for (size_t i = 0; i < n; i++)
		pthread_create(&t[i], NULL, hammer_main, h);
}

static void
hammer_stop(struct hammer *h, pthread_t *t, size_t n)
{
	atomic_store(&h->stop, true);
	for (size_t i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* ---- the tests ---- */

static void
test_check_database(void)
{
	char err[512], missing[160];

	snprintf(missing, sizeof(missing), "%s/missing", top);
	ok(!av_engine_check_database(missing, err, sizeof(err)) &&
	    strstr(err, "antivirus.database") != NULL &&
	    strstr(err, "No such file or directory") != NULL,
	    "check_database: missing directory (%s)", err);
	ok(!av_engine_check_database(empty_dir, err, sizeof(err)) &&
	    strstr(err, "holds no ClamAV signature files") != NULL,
	    "check_database: empty directory (%s)", err);
	ok(av_engine_check_database(db_dir, err, sizeof(err)),
	    "check_database: good directory");
}

static void
test_refused_starts(void)
{
	struct av_settings s;
	struct av_verdict v;
	struct buf *m = msg_plain(EICAR);
	char err[512];

	scan(m, &all_steps, &v);
	is_int(v.result, AV_ERROR, "scan before start: error");
	is_str(v.reason, "no signature database loaded", "... no engine");
	ok(av_engine_acquire() == NULL, "acquire before start: NULL");
	av_engine_stop();
	s = base_settings(db_dir);
	av_engine_update(&s);
	ok(av_engine_acquire() == NULL, "stop and update before start are "
	    "harmless");

	s = base_settings(empty_dir);
	ok(!av_engine_start(&s, err, sizeof(err)) &&
	    strstr(err, "holds no ClamAV signature files") != NULL,
	    "start refused: empty directory (%s)", err);
	s = base_settings(bad_dir);
	ok(!av_engine_start(&s, err, sizeof(err)) &&
	    strstr(err, "Malformed database") != NULL,
	    "start refused: truncated signature file (%s)", err);
	s = base_settings(nosig_dir);
	ok(!av_engine_start(&s, err, sizeof(err)) &&
	    starts_with(err, "no signatures in "),
	    "start refused: no signatures (%s)", err);
	ok(av_engine_acquire() == NULL, "no engine after refused starts");
	buf_free(&m);
}

static void
test_scans(void)
{
	struct av_settings s = base_settings(db_dir);
	struct av_verdict v;
	struct buf *m;
	char err[512] = "";
	bool started = av_engine_start(&s, err, sizeof(err));

	ok(started, "start: %s", started ? "ok" : err);
	ok(!av_engine_start(&s, err, sizeof(err)) &&
	    strstr(err, "already running") != NULL, "second start refused");
	is_int(metric("mxward_av_signatures"), 1, "signatures gauge");
	is_int(metric("mxward_av_database_version"), 0,
	    "no cvd: database version 0");
	ok(metric("mxward_av_database_age_seconds") >= 0,
	    "database age gauge is set");

	m = msg_plain(EICAR);
	scan(m, &all_steps, &v);
	is_int(v.result, AV_INFECTED, "plain EICAR: infected");
	ok(starts_with(v.virus, "Eicar-Test-Signature"), "... virus %s",
	    v.virus);
	is_str(v.where, "message", "... found in the raw message");
	is_int((long long)v.bytes_scanned, (long long)m->len,
	    "... one raw scan, no parts");
	buf_free(&m);

	m = msg_attached((const unsigned char *)EICAR, strlen(EICAR),
	    "base64");
	scan(m, &all_steps, &v);
	is_int(v.result, AV_INFECTED, "base64 attachment: infected");
	is_str(v.where, "message", "... by libclamav itself");
	buf_free(&m);

	m = msg_clean_binary();
	scan(m, &all_steps, &v);
	is_int(v.result, AV_CLEAN, "clean attachments: clean");
	ok(v.parts_skipped >= 2 && v.parts_scanned == 0,
	    "... parts libclamav saw are not scanned again (skipped %u, "
	    "scanned %u)", v.parts_skipped, v.parts_scanned);
	is_int((long long)v.bytes_scanned, (long long)m->len,
	    "... bytes scanned: the message once");
	scan(m, &raw_only, &v);
	ok(v.result == AV_CLEAN && v.parts_scanned == 0 &&
	    v.parts_skipped == 0, "raw only: no part steps");
	buf_free(&m);

	/* libclamav scans text parts with LF line ends and a final one. */
	m = buf_new();
	buf_puts(m, "Subject: text\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\n"
	    "Plain words on a line,\r\nand more words on another.\r\n"
	    "--b\r\nContent-Type: text/html\r\n\r\n"
	    "<html><body><p>Plain words</p>\r\n<p>and more</p></body></html>"
	    "\r\n--b--\r\n");
	scan(m, &all_steps, &v);
	ok(v.result == AV_CLEAN && v.parts_scanned == 0 &&
	    v.parts_skipped == 2, "text parts libclamav saw with LF line ends "
	    "are not scanned again (skipped %u, scanned %u)", v.parts_skipped,
	    v.parts_scanned);
	buf_free(&m);

	m = msg_undeclared_base64();
	scan(m, &raw_only, &v);
	is_int(v.result, AV_CLEAN, "undeclared base64: libclamav misses it");
	scan(m, &all_steps, &v);
	is_int(v.result, AV_INFECTED, "... salvage finds it");
	ok(strstr(v.where, "base64") != NULL, "... where: %s", v.where);
	scan(m, &parts_only, &v);
	is_int(v.result, AV_CLEAN, "... the part walk alone does not");
	buf_free(&m);

	m = msg_qp_holding_base64();
	scan(m, &raw_only, &v);
	is_int(v.result, AV_CLEAN, "base64 declared quoted-printable: "
	    "libclamav misses it");
	scan(m, &all_steps, &v);
	ok(v.result == AV_INFECTED && strstr(v.where, "base64") != NULL,
	    "... salvage finds it (%s)", v.where);
	buf_free(&m);

	m = msg_preamble_base64();
	scan(m, &raw_only, &v);
	is_int(v.result, AV_CLEAN, "base64 in the preamble: libclamav misses "
	    "it");
	scan(m, &all_steps, &v);
	ok(v.result == AV_INFECTED && strstr(v.where, "base64") != NULL,
	    "... salvage finds it (%s)", v.where);
	buf_free(&m);

	ok(metric("mxward_av_scans_total{result=\"infected\"}") >= 4 &&
	    metric("mxward_av_scans_total{result=\"clean\"}") >= 2 &&
	    metric("mxward_av_scans_total{result=\"error\"}") >= 1,
	    "scans counted by result");
	ok(metric("mxward_av_scanned_bytes_total") > 0 &&
	    metric("mxward_av_scan_duration_seconds_count") >= 8,
	    "scanned bytes and durations");
	is_str(av_result_name(AV_LIMITS), "limits", "av_result_name");
	is_str(av_result_name(AV_TIMEOUT), "timeout", "av_result_name");
	av_engine_stop();
	av_engine_stop();
	ok(av_engine_acquire() == NULL, "stop twice; no engine after stop");
}

/* Restart with s; false on failure. */
static bool
restart(const struct av_settings *s)
{
	char err[512];

	av_engine_stop();
	if (!av_engine_start(s, err, sizeof(err))) {
		printf("# start: %s\n", err);
		return false;
	}
	return true;
}

static void
test_limits(void)
{
	struct av_settings s = base_settings(db_dir);
	struct av_verdict v;
	struct buf *clean = msg_clean_binary(), *att, *late;
	struct buf *many = msg_many_parts(300);

	att = msg_attached((const unsigned char *)EICAR, strlen(EICAR),
	    "base64");
	late = msg_noise_then_eicar();
	s.max_scan_size = 1000;
	ok(restart(&s), "restart with max_scan_size 1000");
	scan(clean, &raw_only, &v);
	is_int(v.result, AV_LIMITS, "over max_scan_size: limits");
	is_str(v.reason, "MaxScanSize", "... reason");

	/* Room for the message and EICAR, not for the noise before it. */
	s.max_scan_size = late->len + 100;
	ok(restart(&s), "restart with max_scan_size message + 100");
	scan(late, &raw_only, &v);
	ok(v.result == AV_INFECTED && strcmp(v.where, "message") == 0,
	    "a signature found after a limits alert wins");
	/* Room for the message and the noise: EICAR is over the limit. */
	s.max_scan_size = late->len + 3030;
	ok(restart(&s), "restart with max_scan_size message + 3030");
	scan(late, &raw_only, &v);
	ok(v.result == AV_LIMITS && strcmp(v.reason, "MaxScanSize") == 0,
	    "EICAR past max_scan_size: limits (%s)", v.reason);
	scan(late, &all_steps, &v);
	ok(v.result == AV_INFECTED && starts_with(v.where, "part 2"),
	    "... the part walk finds it in %s", v.where);

	s = base_settings(db_dir);
	s.max_file_size = 100;
	ok(restart(&s), "restart with max_file_size 100");
	scan(clean, &all_steps, &v);
	is_int(v.result, AV_LIMITS, "over max_file_size: limits");
	is_str(v.reason, "MaxFileSize", "... reason");

	s = base_settings(db_dir);
	s.max_recursion = 1;
	ok(restart(&s), "restart with max_recursion 1");
	scan(att, &raw_only, &v);
	is_int(v.result, AV_LIMITS, "attachment too deep for libclamav");
	is_str(v.reason, "MaxRecursion", "... reason");
	scan(att, &all_steps, &v);
	is_int(v.result, AV_INFECTED, "... the part walk finds it");
	ok(starts_with(v.where, "part "), "... where: %s", v.where);
	ok(v.parts_scanned >= 1, "... parts scanned: %u", v.parts_scanned);
	s = base_settings(db_dir);
	s.max_scan_time_ms = 1;
	ok(restart(&s), "restart with max_scan_time 1 ms");
	scan(many, &all_steps, &v);
	ok(v.result == AV_TIMEOUT, "over max_scan_time: timeout (%s: %s)",
	    av_result_name(v.result), v.reason);
	buf_free(&many);
	buf_free(&clean);
	buf_free(&att);
	buf_free(&late);
}

static void
test_reload(void)
{
	struct av_settings s = base_settings(db_dir);
	struct buf *marker = msg_plain(MARKER), *eicar = msg_plain(EICAR);
	struct buf *marker2 = msg_plain(MARKER2);
	struct av_engine *old, *e;
	struct hammer h;
	pthread_t t[3];
	const char *name;
	long long ok0, failed0;
	char line[64], moved[160];

	ok(restart(&s), "restart for reloads");
	hammer_start(&h, t, 3, eicar);
	old = av_engine_acquire();
	ok(old != NULL, "acquire an engine before the reload");
	write_ndb(db_dir, "marker.ndb", "Mxward-Marker", MARKER);
	av_engine_update(&s);
	ok(wait_result(marker, AV_INFECTED),
	    "new signature file: detected after the reload");
	is_int(metric("mxward_av_signatures"), 2, "... signatures gauge");
	ok(scan_with(old, eicar, &name) == CL_VIRUS,
	    "old engine still scans while held");
	ok(scan_with(old, marker, &name) == CL_CLEAN,
	    "... with its old signatures");
	is_str(av_engine_settings(old)->database, db_dir,
	    "... and its own settings");
	av_engine_release(&old);
	ok(old == NULL, "release clears the pointer");

	/* A half-written file: the reload is refused, the engine runs on. */
	failed0 = metric("mxward_av_reloads_total{result=\"failed\"}");
	ok0 = metric("mxward_av_reloads_total{result=\"success\"}");
	snprintf(line, sizeof(line), "Half:0:*:414243444");
	write_file(db_dir, "half.ndb", line, strlen(line));
	av_engine_update(&s);
	ok(wait_metric("mxward_av_reloads_total{result=\"failed\"}",
	    failed0 + 1), "truncated file: reload refused");
	usleep(300000);  /* ticks go by: the failure is not retried */
	is_int(metric("mxward_av_reloads_total{result=\"failed\"}"),
	    failed0 + 1, "... and not retried while nothing changes");
	ok(wait_result(marker, AV_INFECTED), "... the old engine detects");
	remove_file(db_dir, "half.ndb");
	ok(wait_metric("mxward_av_reloads_total{result=\"success\"}", ok0 + 1),
	    "file removed: reloaded");

	/* New settings: a new engine with them. */
	s.max_file_size = 4 * 1024 * 1024;
	av_engine_update(&s);
	e = NULL;
	for (double end = now() + WAIT_SECONDS; now() < end; usleep(20000)) {
		e = av_engine_acquire();
		if (e != NULL && av_engine_settings(e)->max_file_size ==
		    s.max_file_size)
			break;
		av_engine_release(&e);
	}
	ok(e != NULL, "new settings: new engine");
	av_engine_release(&e);

	/* No update: the watcher's own tick finds the new file. */
	write_ndb(db_dir, "marker3.ndb", "Mxward-Marker3", MARKER2);
	ok(wait_result(marker2, AV_INFECTED), "periodic check: new file found");
	remove_file(db_dir, "marker3.ndb");

	/* The directory goes away and comes back. */
	failed0 = metric("mxward_av_reloads_total{result=\"failed\"}");
	ok0 = metric("mxward_av_reloads_total{result=\"success\"}");
	snprintf(moved, sizeof(moved), "%s/moved", top);
	ok(rename(db_dir, moved) == 0, "database directory moved away");
	av_engine_update(&s);
	ok(wait_metric("mxward_av_reloads_total{result=\"failed\"}",
	    failed0 + 1), "... reload refused");
	usleep(300000);
	is_int(metric("mxward_av_reloads_total{result=\"failed\"}"),
	    failed0 + 1, "... once, not at every tick");
	ok(rename(moved, db_dir) == 0 &&
	    wait_metric("mxward_av_reloads_total{result=\"success\"}",
	    ok0 + 1), "... back: reloaded");
	hammer_stop(&h, t, 3);
	ok(atomic_load(&h.scans) > 0 && atomic_load(&h.wrong) == 0,
	    "scans during reloads: %d, all infected (%d not)",
	    atomic_load(&h.scans), atomic_load(&h.wrong));
	buf_free(&marker);
	buf_free(&marker2);
	buf_free(&eicar);
}

static void
test_blocking_reload(void)
{
	struct av_settings s = base_settings(block_dir);
	struct buf *marker = msg_plain(MARKER2), *eicar = msg_plain(EICAR);
	struct av_verdict v;
	struct hammer h;
	pthread_t t[3];
	long long failed0;

	s.concurrent_reload = false;
	ok(restart(&s), "restart with concurrent_reload false");
	hammer_start(&h, t, 3, eicar);
	write_ndb(block_dir, "marker2.ndb", "Mxward-Marker2", MARKER2);
	av_engine_update(&s);
	ok(wait_result(marker, AV_INFECTED), "blocking reload: new signature");
	hammer_stop(&h, t, 3);
	ok(atomic_load(&h.scans) > 0 && atomic_load(&h.wrong) == 0,
	    "scans wait for the blocking reload: %d, all infected (%d not)",
	    atomic_load(&h.scans), atomic_load(&h.wrong));

	failed0 = metric("mxward_av_reloads_total{result=\"failed\"}");
	write_file(block_dir, "half.ndb", "Half:0:*:4", 10);
	av_engine_update(&s);
	ok(wait_metric("mxward_av_reloads_total{result=\"failed\"}",
	    failed0 + 1), "blocking reload of a truncated file fails");
	scan(eicar, &all_steps, &v);
	is_int(v.result, AV_ERROR, "... then no engine: error");
	is_str(v.reason, "no signature database loaded", "... reason");
	remove_file(block_dir, "half.ndb");
	ok(wait_result(eicar, AV_INFECTED), "file removed: engine back");
	av_engine_stop();
	av_engine_stop();
	ok(true, "stop twice after blocking reloads");
	buf_free(&marker);
	buf_free(&eicar);
}

static void
setup(void)
{
	const char *base = getenv("TMPDIR");
	char *eicar;

	snprintf(top, sizeof(top), "%s/test_av.XXXXXX",
	    base != NULL && strlen(base) < 40 ? base : "/tmp");
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(db_dir, sizeof(db_dir), "%s/db", top);
	snprintf(empty_dir, sizeof(empty_dir), "%s/empty", top);
	snprintf(bad_dir, sizeof(bad_dir), "%s/bad", top);
	snprintf(nosig_dir, sizeof(nosig_dir), "%s/nosig", top);
	snprintf(tmp_dir, sizeof(tmp_dir), "%s/tmp", top);
	snprintf(block_dir, sizeof(block_dir), "%s/block", top);
	mkdir(db_dir, 0700);
	mkdir(empty_dir, 0700);
	mkdir(bad_dir, 0700);
	mkdir(nosig_dir, 0700);
	mkdir(tmp_dir, 0700);
	mkdir(block_dir, 0700);
	write_ndb(db_dir, "test.ndb", "Eicar-Test-Signature", EICAR);
	write_ndb(block_dir, "test.ndb", "Eicar-Test-Signature", EICAR);
	/* Cut inside the hex (an odd number of digits), as a file being
	 * written is. */
	eicar = ndb_line("Eicar-Test-Signature", EICAR);
	write_file(bad_dir, "test.ndb", eicar, 46);
	free(eicar);
	/* Loads, but holds no signature. */
	write_file(nosig_dir, "local.ign2", "Foo.Bar\n", 8);
}

int
main(void)
{
	log_open("test_av", true, LOG_LEVEL_WARNING);
	setup();
	plan(88);
	test_check_database();
	test_refused_starts();
	test_scans();
	test_limits();
	test_reload();
	test_blocking_reload();
	ok(dir_entries(tmp_dir) == 0, "libclamav's temporary directory is "
	    "empty");
	ok(nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 &&
	    access(top, F_OK) != 0, "temporary directory removed");
	return done();
}
