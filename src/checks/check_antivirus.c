/*
 * check_antivirus.c - every message scanned by libclamav, in process
 *
 * check_antivirus, section "antivirus". At end of message the whole
 * message as received is scanned (av_scan_message: raw, each MIME part as
 * GMime decodes it, and blocks the salvage pass finds where MIME is
 * broken). The engine itself is shared and reloaded in the background
 * (av/engine.h); antivirus_start() loads it before the first message and
 * hands it new settings after each policy reload.
 *
 *   infected     the policy's action: reject with reply (default
 *                "554 5.7.1 Virus found: {virus}"), quarantine, discard,
 *                or add_header (deliver, tagged). Symbol ANTIVIRUS_INFECTED,
 *                fact virus=NAME, mxward_av_infected_total{action}.
 *   limits       a limit stopped part of the scan: on_limits says tempfail
 *                (the default), reject, or accept (delivered with
 *                X-Virus-Status: Unscanned). Symbol ANTIVIRUS_LIMITS.
 *   error        no engine, a libclamav error, a timeout, or a message
 *                that could not be kept: CHECK_ERROR, so on_error applies
 *                (tempfail by default). Never a silent accept.
 *
 * With status_header, delivered messages get X-Virus-Status (Clean,
 * Infected (NAME), Unscanned (why)); incoming fields of that name are
 * always removed while the check is enabled.
 *
 * The check keeps no per-message state; its values are read-only after
 * init.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "av/engine.h"
#include "av/scan.h"
#include "checks/check.h"
#include "core/arena.h"
#include "core/buf.h"
#include "metrics/metrics.h"

#define STATUS_HEADER "X-Virus-Status"
#define VIRUS_TOKEN "{virus}"

struct antivirus_values {
	struct check_common common;
	const char *database;
	int action;                 /* infected: enum check_action */
	struct conf_reply reply;
	int on_limits;              /* tempfail, accept or reject */
	struct conf_reply limits_tempfail_reply;
	struct conf_reply limits_reject_reply;
	bool status_header;
	uint64_t max_scan_size;
	uint64_t max_file_size;
	long long max_recursion;
	long long max_files;
	uint64_t max_scan_time;
	bool alert_encrypted;
	bool alert_broken_executables;
	bool alert_macros;
	bool alert_phishing_ssl;
	bool alert_phishing_cloak;
	bool phishing_signatures;
	bool phishing_scan_urls;
	bool scan_parts;
	bool salvage;
	bool concurrent_reload;
	uint64_t database_check_interval;
	const char *temp_directory;
};

static const struct conf_name_code infected_action_names[] = {
	{ "reject", ACTION_REJECT },
	{ "quarantine", ACTION_QUARANTINE },
	{ "discard", ACTION_DISCARD },
	{ "add_header", ACTION_ADD_HEADER },
	{ NULL, 0 },
};

static struct metrics_family *metric_infected;
static const char *const infected_series[] = { "reject", "quarantine",
    "discard", "add_header" };

/* Registered at start, before any scanning thread exists. */
static void
metrics_create(void)
{
	metric_infected = metrics_counter_new("mxward_av_infected_total",
	    "Messages found infected, by the action taken.", "action",
	    infected_series, sizeof(infected_series) /
	    sizeof(infected_series[0]));
}

/* The series of metric_infected for an action: infected_series[] lists
 * the actions in infected_action_names[] order. */
static size_t
infected_index(int action)
{
	size_t i;

	for (i = 0; infected_action_names[i + 1].name != NULL; i++)
		if (infected_action_names[i].code == action)
			break;
	return i;
}

/* The database must be there when the check is on. */
static bool
antivirus_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	const struct antivirus_values *v = values;
	char err[512];

	if (!v->common.enabled)
		return true;
	if (!av_engine_check_database(v->database, err, sizeof(err))) {
		conf_errors_here(errs, "%s", err);
		return false;
	}
	return true;
}

/* The engine settings these values ask for. */
static void
settings_from(const struct antivirus_values *v, struct av_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->database = v->database;
	s->temp_directory = v->temp_directory && v->temp_directory[0] ?
	    v->temp_directory : NULL;
	s->max_scan_size = v->max_scan_size;
	s->max_file_size = v->max_file_size;
	s->max_recursion = (unsigned)v->max_recursion;
	s->max_files = (unsigned)v->max_files;
	s->max_scan_time_ms = v->max_scan_time;
	s->phishing_signatures = v->phishing_signatures;
	s->phishing_scan_urls = v->phishing_scan_urls;
	s->concurrent_reload = v->concurrent_reload;
	s->check_interval_ms = v->database_check_interval;
}

static bool
antivirus_start(const void *values, bool first, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct av_settings settings;

	pthread_once(&once, metrics_create);
	settings_from(values, &settings);
	if (first)
		return av_engine_start(&settings, err, errlen);
	av_engine_update(&settings);
	return true;
}

static void
antivirus_stop(void)
{
	av_engine_stop();
}

/* The reply text with every {virus} replaced by the name. */
static const char *
reply_text(struct arena *arena, const char *text, const char *virus)
{
	struct buf *b = buf_new();
	const char *p, *result;

	while ((p = strstr(text, VIRUS_TOKEN)) != NULL) {
		buf_append(b, text, (size_t)(p - text));
		buf_puts(b, virus);
		text = p + strlen(VIRUS_TOKEN);
	}
	buf_puts(b, text);
	result = arena_strdup(arena, b->data);
	buf_free(&b);
	return result;
}

/* A virus was found: the policy's action. */
static void
infected(const struct antivirus_values *v, const struct av_verdict *av,
    struct check_report *report)
{
	struct conf_reply reply = v->reply;

	reply.text = reply_text(report->arena, v->reply.text, av->virus);
	check_fact(report, "virus", "%s", av->virus);
	check_decide(report, "ANTIVIRUS_INFECTED", (enum check_action)v->action,
	    &reply, "%s in %s", av->virus, av->where);
	if (v->action == ACTION_ADD_HEADER)
		check_header(report, STATUS_HEADER, "Infected (%s)", av->virus);
	metrics_add(metric_infected, infected_index(v->action), 1);
}

/* Part of the message went unscanned: on_limits. */
static void
limits(const struct antivirus_values *v, const struct av_verdict *av,
    struct check_report *report)
{
	if (v->on_limits == ACTION_ACCEPT) {
		check_symbol(report, "ANTIVIRUS_LIMITS", 0, "%s", av->reason);
		check_header(report, STATUS_HEADER, "Unscanned (%s)",
		    av->reason);
		return;
	}
	check_decide(report, "ANTIVIRUS_LIMITS",
	    (enum check_action)v->on_limits, v->on_limits == ACTION_REJECT ?
	    &v->limits_reject_reply : &v->limits_tempfail_reply, "%s",
	    av->reason);
}

static enum check_status
antivirus_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct antivirus_values *v = values;
	struct av_scan_options options = {
		.alert_encrypted = v->alert_encrypted,
		.alert_broken_executables = v->alert_broken_executables,
		.alert_macros = v->alert_macros,
		.phishing_ssl_mismatch = v->alert_phishing_ssl,
		.phishing_cloak = v->alert_phishing_cloak,
		.scan_parts = v->scan_parts,
		.salvage = v->salvage,
	};
	struct av_verdict av;

	if (txn->message == NULL) {
		check_error(report, "message not scanned: %s",
		    txn->message_error ? txn->message_error : "not kept");
		return CHECK_ERROR;
	}
	av_scan_message(txn->message, txn->message_len, &options, &av);
	switch (av.result) {
	case AV_CLEAN:
		if (v->status_header)
			check_header(report, STATUS_HEADER, "Clean");
		return CHECK_DONE;
	case AV_INFECTED:
		infected(v, &av, report);
		return CHECK_DONE;
	case AV_LIMITS:
		limits(v, &av, report);
		return CHECK_DONE;
	case AV_TIMEOUT:
	case AV_ERROR:
		break;
	}
	check_error(report, "message not scanned: %s", av.reason);
	return CHECK_ERROR;
}

#define SIZE_MAX_BOUND (4.0 * 1024 * 1024 * 1024)
static const struct conf_option antivirus_options[] = {
	CHECK_COMMON_OPTIONS("yes"),
	{ "database", CONF_STRING, offsetof(struct antivirus_values, database),
	  "/var/lib/clamav", 0, 0, NULL,
	  "The ClamAV signature directory that freshclam keeps current. It "
	  "is checked for changes every database_check_interval and on "
	  "SIGHUP; a changed database is loaded into a new engine in the "
	  "background and swapped in, and a database that fails to load is "
	  "refused while the old engine keeps scanning. mxward run refuses "
	  "to start when it holds no signatures." },
	{ "action", CONF_ENUM, offsetof(struct antivirus_values, action),
	  "reject", 0, 0, infected_action_names,
	  "What happens to an infected message: reject (with reply), "
	  "quarantine (the MTA's hold queue), discard (accepted and "
	  "dropped), or add_header (delivered with X-Virus-Status: Infected "
	  "and X-Spam-Flag)." },
	{ "reply", CONF_REPLY, offsetof(struct antivirus_values, reply),
	  "\"554 5.7.1 Virus found: {virus}\"", 0, 0, NULL,
	  "Reply for rejected infected messages; {virus} is replaced by the "
	  "signature name." },
	{ "on_limits", CONF_ENUM, offsetof(struct antivirus_values, on_limits),
	  "tempfail", 0, 0, check_on_error_names,
	  "What happens when a scan limit (max_scan_size, max_file_size, "
	  "max_recursion, max_files) kept part of a message from being "
	  "scanned and nothing was found in the rest: tempfail (the default: "
	  "nothing unscanned gets in, and the sender's MTA retries and "
	  "finally bounces, so no mail is silently lost), reject, or accept "
	  "(delivered with X-Virus-Status: Unscanned)." },
	{ "limits_tempfail_reply", CONF_REPLY,
	  offsetof(struct antivirus_values, limits_tempfail_reply),
	  "451 4.7.1 Message could not be scanned completely, try again later",
	  0, 0, NULL, "Reply when on_limits is tempfail." },
	{ "limits_reject_reply", CONF_REPLY,
	  offsetof(struct antivirus_values, limits_reject_reply),
	  "554 5.7.1 Message too complex to scan", 0, 0, NULL,
	  "Reply when on_limits is reject." },
	{ "status_header", CONF_BOOL,
	  offsetof(struct antivirus_values, status_header), "yes", 0, 0, NULL,
	  "Add X-Virus-Status (Clean, Infected, Unscanned) to delivered "
	  "messages. Incoming X-Virus-Status fields are removed either way." },
	{ "max_scan_size", CONF_SIZE,
	  offsetof(struct antivirus_values, max_scan_size), "400M",
	  1024, SIZE_MAX_BOUND, NULL,
	  "Most data scanned in one message, archives and decoded parts "
	  "included (ClamAV's MaxScanSize)." },
	{ "max_file_size", CONF_SIZE,
	  offsetof(struct antivirus_values, max_file_size), "100M",
	  1024, SIZE_MAX_BOUND, NULL,
	  "Largest single file (attachment, archive member) scanned "
	  "(ClamAV's MaxFileSize)." },
	{ "max_recursion", CONF_INT,
	  offsetof(struct antivirus_values, max_recursion), "25", 1, 100, NULL,
	  "Deepest nesting of containers scanned (ClamAV's MaxRecursion, "
	  "whose default is 17). A mail adds levels of its own (the message, "
	  "its MIME parts, their encoding) before the first archive, so a "
	  "nested archive that ClamAV finds at 17 as a file needs more once "
	  "mailed: mxward's default is 25." },
	{ "max_files", CONF_INT, offsetof(struct antivirus_values, max_files),
	  "10000", 1, 1000000, NULL,
	  "Most files scanned in one message, MIME parts and archive members "
	  "included (ClamAV's MaxFiles)." },
	{ "max_scan_time", CONF_DURATION,
	  offsetof(struct antivirus_values, max_scan_time), "2m",
	  1000, 3600000, NULL,
	  "Longest time one scan may take (ClamAV's MaxScanTime); a scan "
	  "that runs out is an error (on_error). Keep it below the MTA's "
	  "milter timeout (Postfix: milter_content_timeout, 300s)." },
	{ "alert_encrypted", CONF_BOOL,
	  offsetof(struct antivirus_values, alert_encrypted), "no", 0, 0, NULL,
	  "Treat encrypted archives and documents as infected "
	  "(Heuristics.Encrypted.*), since they cannot be scanned." },
	{ "alert_broken_executables", CONF_BOOL,
	  offsetof(struct antivirus_values, alert_broken_executables), "no",
	  0, 0, NULL,
	  "Treat broken executables as infected (Heuristics.Broken.*)." },
	{ "alert_macros", CONF_BOOL,
	  offsetof(struct antivirus_values, alert_macros), "no", 0, 0, NULL,
	  "Treat Office documents with VBA macros as infected "
	  "(Heuristics.OLE2.ContainsMacros)." },
	{ "alert_phishing_ssl", CONF_BOOL,
	  offsetof(struct antivirus_values, alert_phishing_ssl), "no", 0, 0,
	  NULL,
	  "Heuristic phishing: links whose text names another host over "
	  "SSL (ClamAV's AlertPhishingSSLMismatch)." },
	{ "alert_phishing_cloak", CONF_BOOL,
	  offsetof(struct antivirus_values, alert_phishing_cloak), "no", 0, 0,
	  NULL,
	  "Heuristic phishing: cloaked URLs (ClamAV's AlertPhishingCloak)." },
	{ "phishing_signatures", CONF_BOOL,
	  offsetof(struct antivirus_values, phishing_signatures), "yes", 0, 0,
	  NULL,
	  "Load the databases' phishing signatures (ClamAV's "
	  "PhishingSignatures). A change rebuilds the engine." },
	{ "phishing_scan_urls", CONF_BOOL,
	  offsetof(struct antivirus_values, phishing_scan_urls), "yes", 0, 0,
	  NULL,
	  "Check URLs in messages against the phishing URL lists (ClamAV's "
	  "PhishingScanURLs). A change rebuilds the engine." },
	{ "scan_parts", CONF_BOOL,
	  offsetof(struct antivirus_values, scan_parts), "yes", 0, 0, NULL,
	  "Besides the raw message, scan each MIME part as GMime decodes it "
	  "(parts libclamav already saw whole are not scanned twice)." },
	{ "salvage", CONF_BOOL, offsetof(struct antivirus_values, salvage),
	  "yes", 0, 0, NULL,
	  "Also scan blocks that look like base64, quoted-printable, "
	  "uuencode or yEnc wherever the MIME structure is broken: how "
	  "malware hides from scanners that trust the structure." },
	{ "concurrent_reload", CONF_BOOL,
	  offsetof(struct antivirus_values, concurrent_reload), "yes", 0, 0,
	  NULL,
	  "Build a new engine beside the running one when signatures change "
	  "(scanning never pauses, memory briefly doubles). no: free the old "
	  "engine first and hold messages until the new one is ready, for "
	  "memory-tight hosts (ClamAV's ConcurrentDatabaseReload)." },
	{ "database_check_interval", CONF_DURATION,
	  offsetof(struct antivirus_values, database_check_interval), "1m",
	  1000, 86400000, NULL,
	  "How often the database directory is checked for new signatures." },
	{ "temp_directory", CONF_STRING,
	  offsetof(struct antivirus_values, temp_directory), "\"\"", 0, 0, NULL,
	  "Where libclamav unpacks archives while scanning. Empty: $TMPDIR, "
	  "else /tmp." },
	{ NULL },
};

static const char *const antivirus_owned[] = { STATUS_HEADER, NULL };

const struct check check_antivirus = {
	.name = "antivirus",
	.phases = CHECK_EOM,
	.runs_for_trusted = true,
	.needs_message = true,
	.owned_headers = antivirus_owned,
	.section = {
		"antivirus",
		"Virus scanning with libclamav, in process, on a shared engine "
		"reloaded in the background when the signatures change.",
		antivirus_options, sizeof(struct antivirus_values),
		antivirus_init, NULL,
	},
	.run = antivirus_run,
	.start = antivirus_start,
	.stop = antivirus_stop,
};
