/*
 * check_dmarc.c - DMARC (RFC 7489; RFC 9989's DNS Tree Walk as an option)
 *
 * check_dmarc, section "dmarc". At end of message the RFC5322.From domain
 * is read from the message (dmarc_from_parse), the SPF and DKIM results
 * the spf and dkim checks left in txn->auth are aligned with it, and the
 * domain owner's policy is looked up through the shared resolver
 * (dmarc_evaluate). The result goes to report->auth->dmarc, to an
 * Authentication-Results method ("dmarc=fail (p=reject dis=reject)
 * header.from=example.org"), to the fact "dmarc" and to a symbol:
 *
 *   DMARC_PASS        pass_score
 *   DMARC_FAIL        failed, policy none (or lowered to none)
 *   DMARC_QUARANTINE  failed, policy quarantine: quarantine_policy says
 *                     honour (quarantine) or score (quarantine_score)
 *   DMARC_REJECT      failed, policy reject: reject_policy says honour
 *                     (reject with reject_reply), quarantine, or score
 *                     (reject_score)
 *   DMARC_NONE        no policy record (none_score)
 *   DMARC_PERMERROR   a broken record or From domain (permerror_score)
 *   DMARC_TEMPERROR   DNS could not tell: CHECK_ERROR, so on_error
 *                     applies (tempfail by default), unless an
 *                     authenticated identifier identical to the From
 *                     domain passed -- then no record could make it fail
 *                     and the message goes on with this 0-score symbol
 *   DMARC_NO_FROM     no From domain: missing_from (no_from_score or
 *                     reject)
 *   DMARC_MULTIPLE_FROM  From addresses in several domains:
 *                     multiple_from (reject, or the strictest outcome of
 *                     evaluating each)
 *
 * Aggregate-report data: with report_data, one JSON line (report.h) per
 * message whose policy record was found and evaluated (pass or fail),
 * appended to report_file or RPUSHed onto redis_key. A failure is logged
 * (at most once a minute) and counted, never held against the message.
 *
 * Metrics: mxward_dmarc_results_total{result},
 * mxward_dmarc_report_data_total{status} (written, failed).
 *
 * The Public Suffix List is loaded by the section's init, so each policy
 * snapshot has its own (a reload rereads the file) and `mxward check`
 * reports a missing one; the report sink lives in the snapshot too.
 * Neither changes after init; the Redis sink's connection pool is
 * internally locked (report.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks/auth.h"
#include "checks/check.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "dmarc/dmarc.h"
#include "dmarc/report.h"
#include "metrics/metrics.h"
#include "mime/header.h"

#define DOMAIN_TOKEN "{domain}"

enum local_policy { HONOUR, QUARANTINE, SCORE, REJECT, STRICTEST };
enum report_data { REPORT_OFF, REPORT_FILE, REPORT_REDIS };

struct dmarc_values {
	struct check_common common;
	const char *public_suffix_list;
	int org_domain;             /* enum dmarc_org_mode */
	int reject_policy;          /* HONOUR, QUARANTINE or SCORE */
	int quarantine_policy;      /* HONOUR or SCORE */
	struct conf_reply reject_reply;
	int multiple_from;          /* REJECT or STRICTEST */
	struct conf_reply multiple_from_reply;
	int missing_from;           /* SCORE or REJECT */
	struct conf_reply missing_from_reply;
	double score_pass;
	double score_fail;
	double score_quarantine;
	double score_reject;
	double score_none;
	double score_permerror;
	double score_no_from;
	int report_data;            /* enum report_data */
	const char *report_file;
	const char *redis_address;
	const char *redis_key;
	uint64_t redis_timeout;
	/* made by init */
	struct dmarc_psl *psl;
	struct dmarc_report_sink *sink;
};

static const struct conf_name_code org_domain_names[] = {
	{ "psl", DMARC_ORG_PSL },
	{ "tree_walk", DMARC_ORG_TREE_WALK },
	{ NULL, 0 },
};
static const struct conf_name_code reject_policy_names[] = {
	{ "honour", HONOUR },
	{ "quarantine", QUARANTINE },
	{ "score", SCORE },
	{ NULL, 0 },
};
static const struct conf_name_code quarantine_policy_names[] = {
	{ "honour", HONOUR },
	{ "score", SCORE },
	{ NULL, 0 },
};
static const struct conf_name_code multiple_from_names[] = {
	{ "reject", REJECT },
	{ "strictest", STRICTEST },
	{ NULL, 0 },
};
static const struct conf_name_code missing_from_names[] = {
	{ "score", SCORE },
	{ "reject", REJECT },
	{ NULL, 0 },
};
static const struct conf_name_code report_data_names[] = {
	{ "off", REPORT_OFF },
	{ "file", REPORT_FILE },
	{ "redis", REPORT_REDIS },
	{ NULL, 0 },
};

static struct metrics_family *metric_results;
static struct metrics_family *metric_report_data;
static const char *const result_series[] = { "none", "pass", "fail",
    "temperror", "permerror" };
static const char *const report_series[] = { "written", "failed" };
static _Atomic int64_t last_report_log;

/* Registered at start, before any thread checks a message. */
static void
metrics_create(void)
{
	metric_results = metrics_counter_new("mxward_dmarc_results_total",
	    "DMARC results of messages, by result.", "result", result_series,
	    sizeof(result_series) / sizeof(result_series[0]));
	metric_report_data = metrics_counter_new(
	    "mxward_dmarc_report_data_total",
	    "Aggregate-report data records, by whether they were stored.",
	    "status", report_series,
	    sizeof(report_series) / sizeof(report_series[0]));
}

/* Count, when the metrics exist (not in unit tests without start). */
static void
count(struct metrics_family *f, size_t index)
{
	if (f != NULL)
		metrics_add(f, index, 1);
}

/* Load the PSL and make the report sink the values ask for. */
static bool
dmarc_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct dmarc_values *v = values;
	char err[512];

	(void)arena;
	if (!v->common.enabled)
		return true;
	if (v->org_domain == DMARC_ORG_PSL) {
		v->psl = dmarc_psl_load(v->public_suffix_list, err, sizeof(err));
		if (v->psl == NULL) {
			conf_errors_here(errs, "%s", err);
			return false;
		}
	}
	if (v->report_data == REPORT_FILE) {
		if (v->report_file == NULL || v->report_file[0] == '\0') {
			conf_errors_here(errs, "report_data: file needs "
			    "report_file");
			return false;
		}
		v->sink = dmarc_report_file_new(v->report_file);
	} else if (v->report_data == REPORT_REDIS) {
		v->sink = dmarc_report_redis_new(v->redis_address, v->redis_key,
		    v->redis_timeout, err, sizeof(err));
		if (v->sink == NULL) {
			conf_errors_here(errs, "redis_address: %s", err);
			return false;
		}
	}
	return true;
}

static void
dmarc_fini(void *values)
{
	struct dmarc_values *v = values;

	dmarc_psl_free(&v->psl);
	dmarc_report_sink_free(&v->sink);
}

static bool
dmarc_start(const void *values, bool first, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)values, (void)first, (void)err, (void)errlen;
	pthread_once(&once, metrics_create);
	/* GMime's tables, before several threads read From fields. */
	dmarc_from_init();
	return true;
}

/* The reply text with every {domain} replaced. */
static const char *
reply_text(struct arena *arena, const char *text, const char *domain)
{
	struct buf *b = buf_new();
	const char *p, *result;

	while ((p = strstr(text, DOMAIN_TOKEN)) != NULL) {
		buf_append(b, text, (size_t)(p - text));
		buf_puts(b, domain);
		text = p + strlen(DOMAIN_TOKEN);
	}
	buf_puts(b, text);
	result = arena_strdup(arena, b->data);
	buf_free(&b);
	return result;
}

/* The result in report->auth->dmarc, the fact and the metric. */
static void
set_result(struct check_report *report, enum dmarc_result result,
    const char *domain, const struct dmarc_outcome *out,
    const char *disposition, const char *reason)
{
	struct auth_dmarc *a;

	check_fact(report, "dmarc", "%s", dmarc_result_name(result));
	count(metric_results, (size_t)result);
	if (report->auth == NULL)
		return;
	a = &report->auth->dmarc;
	a->result = dmarc_result_name(result);
	a->domain = domain ? arena_strdup(report->arena, domain) : NULL;
	a->policy = out != NULL ? dmarc_policy_name(out->policy) : NULL;
	a->disposition = disposition;
	a->org_domain = out != NULL && out->org_domain[0] != '\0' ?
	    arena_strdup(report->arena, out->org_domain) : NULL;
	a->reason = reason != NULL && reason[0] != '\0' ?
	    arena_strdup(report->arena, reason) : NULL;
}

/* No usable From domain: DMARC cannot apply; missing_from decides. */
static enum check_status
no_from(const struct dmarc_values *v, enum dmarc_from_status st,
    struct check_report *report)
{
	const char *why = st == DMARC_FROM_ABSENT ? "no From field" :
	    "no usable From domain";

	set_result(report, DMARC_RESULT_NONE, NULL, NULL, "none", why);
	check_authres(report, "dmarc=none (%s)", why);
	if (v->missing_from == REJECT)
		check_decide(report, "DMARC_NO_FROM", ACTION_REJECT,
		    &v->missing_from_reply, "%s", why);
	else
		check_symbol(report, "DMARC_NO_FROM", v->score_no_from, "%s",
		    why);
	return CHECK_DONE;
}

/* The request for one From domain from the SPF and DKIM results. */
static void
make_request(const struct dmarc_values *v, const struct check_txn *txn,
    const char *domain, struct dmarc_request *req,
    const char *dkim[AUTH_DKIM_MAX])
{
	const struct auth_results *auth = txn->auth;

	memset(req, 0, sizeof(*req));
	req->mode = (enum dmarc_org_mode)v->org_domain;
	req->psl = v->psl;
	req->dns = txn->dns;
	req->from_domain = domain;
	req->dkim_domains = dkim;
	if (auth == NULL)
		return;
	if (auth->spf.result != NULL && strcmp(auth->spf.result, "pass") == 0)
		req->spf_domain = auth->spf.domain;
	for (size_t i = 0; i < auth->n_dkim && i < AUTH_DKIM_MAX; i++)
		if (auth->dkim[i].result != NULL && auth->dkim[i].domain !=
		    NULL && strcmp(auth->dkim[i].result, "pass") == 0)
			dkim[req->n_dkim++] = auth->dkim[i].domain;
}

/* How much an outcome weighs when several From domains are evaluated:
 * could-not-decide, then the harshest policy applied. */
static int
severity(const struct dmarc_outcome *out)
{
	if (out->result == DMARC_RESULT_TEMPERROR && !out->exact_pass)
		return 4;
	if (out->result != DMARC_RESULT_FAIL)
		return 0;
	return out->applied == DMARC_REQ_REJECT ? 3 :
	    out->applied == DMARC_REQ_QUARANTINE ? 2 : 1;
}

/* The aggregate-report data of one message, to the sink. */
static void
record_report(const struct dmarc_values *v, const struct check_txn *txn,
    const char *domain, const struct dmarc_outcome *out,
    const char *disposition, const char *local_policy)
{
	struct dmarc_report_dkim dkim[AUTH_DKIM_MAX];
	struct dmarc_report_row row = {
		.time = time(NULL), .reporter = txn->hostname,
		.queue_id = txn->queue_id, .source_ip = txn->client_address,
		.header_from = domain, .outcome = out,
		.disposition = disposition, .local_policy = local_policy,
		.dkim = dkim,
	};
	const struct auth_results *auth = txn->auth;
	char err[256], *line;

	if (txn->sender != NULL && txn->sender[0] != '\0')
		row.envelope_from = mime_address_domain(txn->sender);
	if (auth != NULL && auth->spf.result != NULL) {
		row.spf_domain = auth->spf.domain;
		row.spf_scope = auth->spf.identity != NULL &&
		    strcmp(auth->spf.identity, "helo") == 0 ? "helo" : "mfrom";
		row.spf_result = auth->spf.result;
	}
	for (size_t i = 0; auth != NULL && i < auth->n_dkim &&
	    i < AUTH_DKIM_MAX; i++) {
		dkim[row.n_dkim].domain = auth->dkim[i].domain;
		dkim[row.n_dkim].selector = auth->dkim[i].selector;
		dkim[row.n_dkim++].result = auth->dkim[i].result;
	}
	line = dmarc_report_json(&row);
	if (dmarc_report_write(v->sink, line, err, sizeof(err))) {
		count(metric_report_data, 0);
	} else {
		count(metric_report_data, 1);
		if (log_due(&last_report_log))
			log_warning("dmarc: report data not recorded: %s", err);
	}
	free(line);
}

/* A failing message: its policy as the postmaster wants it applied.
 * Returns the disposition; *local_r says why it differs from applied. */
static const char *
enforce(const struct dmarc_values *v, const char *domain,
    const struct dmarc_outcome *out, struct check_report *report,
    const char **local_r)
{
	struct conf_reply reply = v->reject_reply;

	if (out->applied == DMARC_REQ_REJECT) {
		if (v->reject_policy == HONOUR) {
			reply.text = reply_text(report->arena, reply.text,
			    domain);
			check_decide(report, "DMARC_REJECT", ACTION_REJECT,
			    &reply, "%s: p=reject", domain);
			return "reject";
		}
		if (v->reject_policy == QUARANTINE) {
			*local_r = "reject_policy: quarantine";
			check_decide(report, "DMARC_REJECT", ACTION_QUARANTINE,
			    NULL, "%s: p=reject, quarantined", domain);
			return "quarantine";
		}
		*local_r = "reject_policy: score";
		check_symbol(report, "DMARC_REJECT", v->score_reject,
		    "%s: p=reject, scored", domain);
		return "none";
	}
	if (out->applied == DMARC_REQ_QUARANTINE) {
		if (v->quarantine_policy == HONOUR) {
			check_decide(report, "DMARC_QUARANTINE",
			    ACTION_QUARANTINE, NULL, "%s: p=quarantine",
			    domain);
			return "quarantine";
		}
		*local_r = "quarantine_policy: score";
		check_symbol(report, "DMARC_QUARANTINE", v->score_quarantine,
		    "%s: p=quarantine, scored", domain);
		return "none";
	}
	check_symbol(report, "DMARC_FAIL", v->score_fail, "%s: p=%s%s%s",
	    domain, dmarc_policy_name(out->policy),
	    out->override ? ", " : "", out->override ? out->override : "");
	return "none";
}

/* What the outcome of domain means for the message. */
static enum check_status
conclude(const struct dmarc_values *v, const struct check_txn *txn,
    const char *domain, const struct dmarc_outcome *out,
    struct check_report *report)
{
	const char *disposition = "none", *local = NULL;
	const char *result = dmarc_result_name(out->result);

	switch (out->result) {
	case DMARC_RESULT_PASS:
		check_symbol(report, "DMARC_PASS", v->score_pass, "%s", domain);
		break;
	case DMARC_RESULT_FAIL:
		/* Without the DKIM check a valid signature went unseen: the
		 * result stands, the policy is not applied on it. */
		if (txn->auth == NULL || !txn->auth->dkim_checked) {
			check_symbol(report, "DMARC_FAIL", v->score_fail,
			    "%s: DKIM not checked, policy not applied", domain);
			break;
		}
		disposition = enforce(v, domain, out, report, &local);
		break;
	case DMARC_RESULT_NONE:
		check_symbol(report, "DMARC_NONE", v->score_none, "%s", domain);
		break;
	case DMARC_RESULT_PERMERROR:
		check_symbol(report, "DMARC_PERMERROR", v->score_permerror,
		    "%s: %s", domain, out->reason);
		break;
	case DMARC_RESULT_TEMPERROR:
		if (!out->exact_pass)
			break;
		check_symbol(report, "DMARC_TEMPERROR", 0, "%s: %s", domain,
		    out->reason);
		break;
	}
	set_result(report, out->result, domain, out, disposition, out->reason);
	if (out->record_found && out->policy != DMARC_REQ_UNSET)
		check_authres(report, "dmarc=%s (p=%s dis=%s) header.from=%s",
		    result, dmarc_policy_name(out->policy), disposition,
		    domain);
	else
		check_authres(report, "dmarc=%s header.from=%s", result,
		    domain);
	if (v->sink != NULL && out->record_found &&
	    (out->result == DMARC_RESULT_PASS ||
	    out->result == DMARC_RESULT_FAIL))
		record_report(v, txn, domain, out, disposition, local);
	if (out->result == DMARC_RESULT_TEMPERROR && !out->exact_pass) {
		check_error(report, "DMARC of %s: %s", domain, out->reason);
		return CHECK_ERROR;
	}
	return CHECK_DONE;
}

/* Several From domains: refuse, or the strictest of their outcomes. */
static enum check_status
multiple_from(const struct dmarc_values *v, const struct check_txn *txn,
    const struct dmarc_from *from, struct check_report *report)
{
	struct dmarc_outcome *outs;
	const char *dkim[AUTH_DKIM_MAX];
	struct dmarc_request req;
	size_t worst = 0;
	enum check_status st;

	if (v->multiple_from == REJECT || from->n_domains > DMARC_FROM_MAX) {
		set_result(report, DMARC_RESULT_PERMERROR, from->domains[0],
		    NULL, "reject", "From addresses in several domains");
		check_authres(report, "dmarc=permerror (several From domains) "
		    "header.from=%s", from->domains[0]);
		check_decide(report, "DMARC_MULTIPLE_FROM", ACTION_REJECT,
		    &v->multiple_from_reply, "From domains %s, %s%s",
		    from->domains[0], from->domains[1],
		    from->n_domains > 2 ? ", ..." : "");
		return CHECK_DONE;
	}
	outs = arena_zalloc(report->arena, from->n_domains * sizeof(*outs));
	for (size_t i = 0; i < from->n_domains; i++) {
		make_request(v, txn, from->domains[i], &req, dkim);
		dmarc_evaluate(&req, &outs[i]);
		if (severity(&outs[i]) > severity(&outs[worst]))
			worst = i;
	}
	st = conclude(v, txn, from->domains[worst], &outs[worst], report);
	check_symbol(report, "DMARC_MULTIPLE_FROM", 0, "%zu From domains, "
	    "%s judged", from->n_domains, from->domains[worst]);
	return st;
}

static enum check_status
dmarc_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct dmarc_values *v = values;
	const char *dkim[AUTH_DKIM_MAX];
	struct dmarc_from from;
	struct dmarc_request req;
	struct dmarc_outcome out;
	enum dmarc_from_status st;

	(void)phase;
	if (txn->message == NULL) {
		check_error(report, "message not kept: %s", txn->message_error ?
		    txn->message_error : "unknown");
		return CHECK_ERROR;
	}
	st = dmarc_from_parse(txn->message, txn->message_len, &from);
	if (st == DMARC_FROM_ABSENT || st == DMARC_FROM_NO_DOMAIN)
		return no_from(v, st, report);
	if (st == DMARC_FROM_MULTIPLE)
		return multiple_from(v, txn, &from, report);
	make_request(v, txn, from.domains[0], &req, dkim);
	dmarc_evaluate(&req, &out);
	return conclude(v, txn, from.domains[0], &out, report);
}

static const struct conf_option dmarc_options[] = {
	CHECK_COMMON_OPTIONS("yes"),
	{ "public_suffix_list", CONF_STRING,
	  offsetof(struct dmarc_values, public_suffix_list),
	  MXWARD_PUBLIC_SUFFIX_LIST, 0, 0, NULL,
	  "The Public Suffix List (publicsuffix.org format) that gives "
	  "Organizational Domains with org_domain: psl, read with libpsl when "
	  "the policy loads and again on every reload; Debian's publicsuffix "
	  "package keeps it current. A list that cannot be read refuses the "
	  "policy." },
	{ "org_domain", CONF_ENUM, offsetof(struct dmarc_values, org_domain),
	  "psl", 0, 0, org_domain_names,
	  "How policy records and Organizational Domains are found. psl: "
	  "RFC 7489 -- the record of the From domain, else of its "
	  "registrable domain by the Public Suffix List; pct= is honoured by "
	  "sampling (a message left out gets the next lower policy). "
	  "tree_walk: RFC 9989 -- the DNS Tree Walk, at most eight queries "
	  "from the From domain up to its top-level domain, with psd= marking "
	  "public suffix and organizational domains, np= for non-existent "
	  "subdomains, t=y lowering the policy one level, pct= ignored, and "
	  "a record without p= read as p=none. Relaxed alignment then walks "
	  "from the SPF and DKIM domains too, so a message may cost more "
	  "queries (most are answered from the resolver's cache)." },
	{ "reject_policy", CONF_ENUM,
	  offsetof(struct dmarc_values, reject_policy), "honour", 0, 0,
	  reject_policy_names,
	  "What a failing message of a domain publishing p=reject gets: "
	  "honour (rejected with reject_reply), quarantine (held in the MTA's "
	  "quarantine instead), or score (symbol DMARC_REJECT with "
	  "reject_score, and the thresholds decide). Aggregate-report data "
	  "says local_policy when the domain's policy was not followed." },
	{ "quarantine_policy", CONF_ENUM,
	  offsetof(struct dmarc_values, quarantine_policy), "honour", 0, 0,
	  quarantine_policy_names,
	  "What a failing message of a domain publishing p=quarantine gets: "
	  "honour (held in the MTA's quarantine) or score (symbol "
	  "DMARC_QUARANTINE with quarantine_score)." },
	{ "reject_reply", CONF_REPLY,
	  offsetof(struct dmarc_values, reject_reply),
	  "\"550 5.7.1 Rejected by the DMARC policy of {domain}\"", 0, 0, NULL,
	  "Reply for messages rejected by DMARC; {domain} is replaced by the "
	  "From domain." },
	{ "multiple_from", CONF_ENUM,
	  offsetof(struct dmarc_values, multiple_from), "reject", 0, 0,
	  multiple_from_names,
	  "Messages whose From fields name addresses in several domains "
	  "(RFC 7489 6.6.1): reject (with multiple_from_reply; a reader could "
	  "be shown any of them), or strictest (each domain is evaluated and "
	  "the harshest outcome applies; more than four domains are rejected "
	  "all the same). Several From fields or addresses of one domain are "
	  "evaluated as that domain." },
	{ "multiple_from_reply", CONF_REPLY,
	  offsetof(struct dmarc_values, multiple_from_reply),
	  "\"550 5.7.1 From addresses in several domains, DMARC cannot apply\"",
	  0, 0, NULL, "Reply when multiple_from rejects." },
	{ "missing_from", CONF_ENUM,
	  offsetof(struct dmarc_values, missing_from), "score", 0, 0,
	  missing_from_names,
	  "Messages without a From field or without a usable domain in it "
	  "(\"From: undisclosed-recipients:;\", a local name, a domain "
	  "literal): DMARC cannot apply. score (the default: symbol "
	  "DMARC_NO_FROM with no_from_score; such mail is often automated "
	  "and legitimate, and it cannot impersonate a domain) or reject "
	  "(with missing_from_reply; RFC 5322 requires a From field)." },
	{ "missing_from_reply", CONF_REPLY,
	  offsetof(struct dmarc_values, missing_from_reply),
	  "\"550 5.7.1 Message has no usable From address\"", 0, 0, NULL,
	  "Reply when missing_from rejects." },
	{ "pass_score", CONF_SCORE, offsetof(struct dmarc_values, score_pass),
	  "-1", -100, 100, NULL, "Score of DMARC_PASS." },
	{ "fail_score", CONF_SCORE, offsetof(struct dmarc_values, score_fail),
	  "2", -100, 100, NULL,
	  "Score of DMARC_FAIL: failed where the policy is none, or was "
	  "lowered to none by pct= or t=y." },
	{ "quarantine_score", CONF_SCORE,
	  offsetof(struct dmarc_values, score_quarantine), "5", -100, 100, NULL,
	  "Score of DMARC_QUARANTINE when quarantine_policy is score." },
	{ "reject_score", CONF_SCORE,
	  offsetof(struct dmarc_values, score_reject), "10", -100, 100, NULL,
	  "Score of DMARC_REJECT when reject_policy is score." },
	{ "none_score", CONF_SCORE, offsetof(struct dmarc_values, score_none),
	  "0", -100, 100, NULL,
	  "Score of DMARC_NONE: the From domain publishes no policy." },
	{ "permerror_score", CONF_SCORE,
	  offsetof(struct dmarc_values, score_permerror), "0", -100, 100, NULL,
	  "Score of DMARC_PERMERROR: the domain's record cannot be used (RFC "
	  "7489 then applies no DMARC), or the From domain is not a valid "
	  "name." },
	{ "no_from_score", CONF_SCORE,
	  offsetof(struct dmarc_values, score_no_from), "3", -100, 100, NULL,
	  "Score of DMARC_NO_FROM when missing_from is score." },
	{ "report_data", CONF_ENUM, offsetof(struct dmarc_values, report_data),
	  "off", 0, 0, report_data_names,
	  "Record aggregate-report data, so that a report generator can send "
	  "domain owners the feedback reports their rua= asks for (RFC 7489 "
	  "7.2, RFC 9990): off, file (report_file) or redis (redis_address, "
	  "redis_key). One record is written for each message whose DMARC "
	  "record was found and evaluated (result pass or fail), whether or "
	  "not the record names rua=. A record that cannot be stored is "
	  "logged (at most once a minute) and counted in "
	  "mxward_dmarc_report_data_total{status=\"failed\"}; the message "
	  "is never held up by it.\n"
	  "Format, version 1: one JSON object per line (file: appended with "
	  "one write under O_APPEND, so concurrent writers never interleave; "
	  "redis: one list element per record, RPUSHed), with the members "
	  "version (1), time (Unix seconds), reporter (the authserv-id), "
	  "queue_id, source_ip, header_from (the RFC5322.From domain), "
	  "envelope_from (the MAIL FROM domain, null for the null sender), "
	  "org_domain, policy_published (domain -- where the record was "
	  "found -- p, sp, np, adkim, aspf, pct, fo, psd, t, rua and ruf as "
	  "lists of URIs; absent tags are null or their default), result "
	  "(pass or fail), policy (the policy asked for: none, quarantine, "
	  "reject), policy_tag (p, sp or np), disposition (what mxward did: "
	  "none, quarantine, reject), dkim_aligned and spf_aligned (pass or "
	  "fail: the policy_evaluated dkim and spf of a report), reasons (a "
	  "list of {type, comment}: sampled_out, policy_test_mode, or "
	  "local_policy with the option that overrode the domain's policy), "
	  "dkim (a list of {domain, selector, result}, one per signature) and "
	  "spf (a list of at most one {domain, scope: mfrom or helo, result})."
	  " Members may be added in a later version; readers should ignore "
	  "those they do not know and skip lines that do not parse (a full "
	  "disk can cut the last one)." },
	{ "report_file", CONF_STRING,
	  offsetof(struct dmarc_values, report_file), "\"\"", 0, 0, NULL,
	  "The file report_data: file appends to; created mode 0640 by the "
	  "user mxward runs as. It is opened for each record, so it may be "
	  "rotated (moved away) at any time without telling mxward." },
	{ "redis_address", CONF_STRING,
	  offsetof(struct dmarc_values, redis_address), "127.0.0.1:6379",
	  0, 0, NULL,
	  "The Redis server of report_data: redis, as HOST:PORT, "
	  "[IPV6]:PORT, HOST (port 6379), or a Unix socket as unix:PATH. "
	  "Connections are made when needed and kept for reuse; after a "
	  "failed connect no new one is tried for five seconds." },
	{ "redis_key", CONF_STRING, offsetof(struct dmarc_values, redis_key),
	  "mxward:dmarc:reports", 0, 0, NULL,
	  "The Redis list the records are RPUSHed onto; a report generator "
	  "pops them from the other end (LPOP, or LMOVE for safety)." },
	{ "redis_timeout", CONF_DURATION,
	  offsetof(struct dmarc_values, redis_timeout), "500ms", 10, 60000,
	  NULL,
	  "How long connecting to Redis, and one command, may take." },
	{ NULL },
};

const struct check check_dmarc = {
	.name = "dmarc",
	.phases = CHECK_EOM,
	.runs_for_trusted = false,
	.needs_message = true,
	.section = {
		"dmarc",
		"DMARC (RFC 7489; RFC 9989's DNS Tree Walk with org_domain: "
		"tree_walk): the SPF and DKIM results of the spf and dkim "
		"checks, which must be enabled for it to mean anything, are "
		"aligned with the RFC5322.From domain, and the domain owner's "
		"policy, looked up through the shared resolver, says what a "
		"message that fails should get; reject_policy and "
		"quarantine_policy say whether mxward follows it. The result "
		"goes into Authentication-Results (dmarc=pass, fail, none, "
		"temperror, permerror, with p= and dis=). A DNS failure is "
		"temperror and on_error applies, unless a passing SPF or DKIM "
		"domain is the From domain itself (then no policy could make "
		"the message fail). Trusted clients are not checked.",
		dmarc_options, sizeof(struct dmarc_values),
		dmarc_init, dmarc_fini,
	},
	.run = dmarc_run,
	.start = dmarc_start,
};
