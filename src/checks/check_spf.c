/*
 * check_spf.c - Sender Policy Framework (RFC 7208) for the envelope sender
 *
 * check_spf, section "spf". At MAIL FROM the sender's domain is checked
 * (spf/spf.h) against the client address: the MAIL FROM identity, or for
 * the null sender the HELO identity (postmaster@HELO). With check_helo the
 * HELO identity is checked on its own as well, for the record
 * (auth->spf.helo_result, an "spf=... smtp.helo=" method, fact spf_helo).
 * Connections without a client address are not checked; neither, unless
 * check_trusted or check_authenticated say so, are trusted clients and
 * authenticated senders.
 *
 * The result goes into the message's auth results (auth->spf), the
 * Authentication-Results methods ("spf=pass smtp.mailfrom=DOMAIN", RFC
 * 8601), fact spf=RESULT, the metric mxward_spf_results_total{result},
 * and with received_spf_header a Received-SPF field (RFC 7208 section
 * 9.1; incoming ones are always removed while the check is on). Then the
 * policy for that result (RESULT_action): score adds symbol SPF_RESULT
 * with RESULT_score; reject, tempfail and quarantine decide, with
 * RESULT_reply, at reject_at (MAIL FROM by default; a later phase reads
 * the result back from the transaction). A DNS failure is the result
 * temperror, not a check error: temperror_action applies.
 *
 * Reply templates take {sender}, {domain}, {ip}, {result}, {reason} and
 * {explanation} (for fail: the domain's exp= text or default_explanation).
 *
 * The check keeps no per-message state; its values are read-only after
 * init.
 *
 * SECURITY: the sender, HELO name, explanation and reason come from the
 * SMTP client or from DNS. Everything copied into replies, header fields
 * and results is cut to VALUE_MAX bytes with control and non-ASCII bytes
 * replaced by '?'; header parameters are quoted.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "checks/auth.h"
#include "checks/check.h"
#include "core/arena.h"
#include "core/buf.h"
#include "metrics/metrics.h"
#include "spf/spf.h"

#define RECEIVED_SPF "Received-SPF"
#define VALUE_MAX 256
#define N_RESULTS (SPFR_PERMERROR + 1)

/* What a result leads to; ACTION_ACCEPT stands for "score". */
static const struct conf_name_code spf_action_names[] = {
	{ "score", ACTION_ACCEPT },
	{ "reject", ACTION_REJECT },
	{ "tempfail", ACTION_TEMPFAIL },
	{ "quarantine", ACTION_QUARANTINE },
	{ NULL, 0 },
};

static const struct conf_name_code reject_at_names[] = {
	{ "mail", CHECK_MAIL },
	{ "rcpt", CHECK_RCPT },
	{ "data", CHECK_DATA },
	{ "end_of_message", CHECK_EOM },
	{ NULL, 0 },
};

/* Symbols by result, in enum spf_result order. */
static const char *const symbols[N_RESULTS] = {
	[SPFR_NONE] = "SPF_NONE",
	[SPFR_NEUTRAL] = "SPF_NEUTRAL",
	[SPFR_PASS] = "SPF_PASS",
	[SPFR_FAIL] = "SPF_FAIL",
	[SPFR_SOFTFAIL] = "SPF_SOFTFAIL",
	[SPFR_TEMPERROR] = "SPF_TEMPERROR",
	[SPFR_PERMERROR] = "SPF_PERMERROR",
};

struct spf_values {
	struct check_common common;
	int engine;                      /* enum spf_engine */
	bool check_helo;
	bool check_authenticated;
	bool check_trusted;
	double score[N_RESULTS];         /* by enum spf_result */
	int action[N_RESULTS];           /* enum check_action; ACCEPT: score */
	struct conf_reply reply[N_RESULTS];
	int reject_at;                   /* enum check_phase */
	bool received_spf_header;
	const char *default_explanation;
};

static struct metrics_family *metric_results;

/* Registered at start, before any message. */
static void
metrics_create(void)
{
	const char *series[N_RESULTS];

	for (int i = 0; i < N_RESULTS; i++)
		series[i] = spf_result_name((enum spf_result)i);
	metric_results = metrics_counter_new("mxward_spf_results_total",
	    "SPF results of the checked identity (MAIL FROM, or HELO for "
	    "the null sender).", "result", series, N_RESULTS);
}

static bool
spf_start(const void *values, bool first, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)values;
	(void)first;
	(void)err;
	(void)errlen;
	pthread_once(&once, metrics_create);
	return true;
}

/* The actions need replies of their kind; the explanation must parse. */
static bool
spf_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	const struct spf_values *v = values;
	bool good = true;

	(void)arena;
	for (int r = 0; r < N_RESULTS; r++) {
		char want = v->action[r] == ACTION_REJECT ? '5' :
		    v->action[r] == ACTION_TEMPFAIL ? '4' : 0;

		if (want != 0 && v->reply[r].code[0] != want) {
			conf_errors_here(errs, "%s_action %s needs a %cxx %s_reply",
			    spf_result_name((enum spf_result)r),
			    want == '5' ? "reject" : "tempfail", want,
			    spf_result_name((enum spf_result)r));
			good = false;
		}
	}
	if (!spf_explanation_valid(v->default_explanation)) {
		conf_errors_here(errs, "default_explanation is not a valid SPF "
		    "explanation string (RFC 7208 section 6.2)");
		good = false;
	}
	return good;
}

/* A copy for results, replies and fields: bounded, printable ASCII. */
static const char *
clean(struct arena *arena, const char *s)
{
	size_t n = s ? strnlen(s, VALUE_MAX) : 0;
	char *out = arena_strndup(arena, s ? s : "", n);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = '?';
	return out;
}

/* s as a header parameter value: as it is when it is a token, else a
 * quoted string (RFC 5322). */
static void
put_value(struct buf *b, const char *s)
{
	bool token = s[0] != '\0' && strpbrk(s, " \t\"\\()<>@,;:[]=") == NULL;

	if (token) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

/* s as a parameter value, quoted when need be, in the arena. */
static const char *
param(struct arena *arena, const char *s)
{
	struct buf *b = buf_new();
	const char *result;

	put_value(b, s);
	buf_putc(b, '\0');
	result = arena_strdup(arena, b->data);
	buf_free(&b);
	return result;
}

/* The reply with every {name} of the template replaced. */
static const char *
reply_text(struct arena *arena, const char *text, const struct auth_spf *spf,
    const char *ip)
{
	const struct {
		const char *token;
		const char *value;
	} vars[] = {
		{ "{sender}", spf->sender },
		{ "{domain}", spf->domain },
		{ "{ip}", ip },
		{ "{result}", spf->result },
		{ "{reason}", spf->reason },
		{ "{explanation}", spf->explanation },
	};
	struct buf *b = buf_new();
	const char *result;

	while (*text) {
		size_t i, n = sizeof(vars) / sizeof(vars[0]);

		for (i = 0; i < n; i++)
			if (strncmp(text, vars[i].token, strlen(vars[i].token)) == 0)
				break;
		if (i == n) {
			buf_putc(b, *text++);
			continue;
		}
		buf_puts(b, vars[i].value ? vars[i].value : "");
		text += strlen(vars[i].token);
	}
	buf_putc(b, '\0');
	result = arena_strdup(arena, b->data);
	buf_free(&b);
	return result;
}

/* The policy for a result: a scored symbol, or a decision. */
static void
apply(const struct spf_values *v, const struct check_txn *txn,
    const struct auth_spf *spf, struct check_report *report)
{
	enum spf_result r;
	struct conf_reply reply;

	if (!spf_result_parse(spf->result, &r))
		return;
	if (v->action[r] == ACTION_ACCEPT) {
		/* "off" (NAN) keeps the symbol for the log, scoring nothing. */
		check_symbol(report, symbols[r], isnan(v->score[r]) ? 0 :
		    v->score[r], "%s", spf->domain);
		return;
	}
	reply = v->reply[r];
	reply.text = reply_text(report->arena, reply.text, spf,
	    txn->client_address);
	check_decide(report, symbols[r], (enum check_action)v->action[r],
	    v->action[r] == ACTION_QUARANTINE ? NULL : &reply, "%s: %s",
	    spf->domain, spf->reason ? spf->reason : spf->result);
}

/* s without what would end or escape a header comment. */
static const char *
comment_safe(struct arena *arena, const char *s)
{
	char *out = arena_strdup(arena, s);

	for (char *p = out; *p; p++)
		if (*p == '(' || *p == ')' || *p == '\\')
			*p = '?';
	return out;
}

/* Received-SPF (RFC 7208 section 9.1) for the checked identity. */
static void
received_spf(const struct check_txn *txn, const struct auth_spf *spf,
    struct check_report *report)
{
	/* The comment, by enum spf_result, in the words of section 9.1. */
	static const char *const comments[N_RESULTS] = {
		[SPFR_NONE] = "{domain} does not publish SPF for {ip}",
		[SPFR_NEUTRAL] = "{ip} is neither permitted nor denied by "
		    "domain of {sender}",
		[SPFR_PASS] = "domain of {sender} designates {ip} as permitted "
		    "sender",
		[SPFR_FAIL] = "domain of {sender} does not designate {ip} as "
		    "permitted sender",
		[SPFR_SOFTFAIL] = "domain of transitioning {sender} does not "
		    "designate {ip} as permitted sender",
		[SPFR_TEMPERROR] = "error in processing during lookup of "
		    "{sender}",
		[SPFR_PERMERROR] = "permanent error in processing domain of "
		    "{sender}",
	};
	enum spf_result r = SPFR_NONE;
	struct buf *b = buf_new();

	spf_result_parse(spf->result, &r);
	buf_appendf(b, "%s (%s: %s) client-ip=", spf->result,
	    txn->hostname ? txn->hostname : "mxward",
	    comment_safe(report->arena, reply_text(report->arena, comments[r],
	    spf, txn->client_address)));
	put_value(b, txn->client_address);
	buf_puts(b, "; envelope-from=");
	put_value(b, clean(report->arena, txn->sender));
	if (txn->helo != NULL) {
		buf_puts(b, "; helo=");
		put_value(b, clean(report->arena, txn->helo));
	}
	if (txn->hostname != NULL) {
		buf_puts(b, "; receiver=");
		put_value(b, txn->hostname);
	}
	buf_appendf(b, "; identity=%s", spf->identity);
	if (spf->reason != NULL) {
		buf_puts(b, r == SPFR_TEMPERROR || r == SPFR_PERMERROR ?
		    "; problem=" : "; mechanism=");
		put_value(b, spf->reason);
	}
	buf_putc(b, '\0');
	check_header(report, RECEIVED_SPF, "%s", b->data);
	buf_free(&b);
}

/* Check one identity; the outcome's strings go to the arena. */
static void
evaluate(const struct spf_values *v, const struct check_txn *txn,
    const char *domain, const char *sender, struct check_report *report,
    struct auth_spf *spf)
{
	struct spf_request req = {
		.client_ip = txn->client_ip,
		.domain = domain,
		.sender = sender,
		.helo = txn->helo,
		.receiver = txn->hostname,
		.default_explanation = v->default_explanation,
	};
	struct spf_outcome out;

	spf_check((enum spf_engine)v->engine, txn->dns, &req, &out);
	spf->result = spf_result_name(out.result);
	spf->domain = clean(report->arena, domain);
	spf->sender = clean(report->arena, sender);
	spf->explanation = out.result == SPFR_FAIL ?
	    clean(report->arena, out.explanation) : NULL;
	spf->reason = out.reason[0] ? clean(report->arena, out.reason) : NULL;
}

/* MAIL FROM: check, record, and decide now or later. */
static void
check_mail(const struct spf_values *v, const struct check_txn *txn,
    struct check_report *report)
{
	struct auth_spf *spf = &report->auth->spf;
	const char *at = strrchr(txn->sender, '@');
	const char *helo = txn->helo ? txn->helo : "";
	char *postmaster = arena_sprintf(report->arena, "postmaster@%s", helo);
	enum spf_result r = SPFR_NONE;

	if (txn->sender[0] != '\0') {
		spf->identity = "mailfrom";
		evaluate(v, txn, at ? at + 1 : "", txn->sender, report, spf);
		check_authres(report, "spf=%s smtp.mailfrom=%s", spf->result,
		    param(report->arena, spf->domain));
	} else {
		spf->identity = "helo";
		evaluate(v, txn, helo, postmaster, report, spf);
		check_authres(report, "spf=%s smtp.helo=%s", spf->result,
		    param(report->arena, spf->domain));
	}
	check_fact(report, "spf", "%s", spf->result);
	spf_result_parse(spf->result, &r);
	metrics_add(metric_results, (size_t)r, 1);
	if (v->check_helo && txn->sender[0] != '\0' && txn->helo != NULL) {
		struct auth_spf h = { .identity = "helo" };

		evaluate(v, txn, helo, postmaster, report, &h);
		spf->helo_result = h.result;
		check_authres(report, "spf=%s smtp.helo=%s", h.result,
		    param(report->arena, h.domain));
		check_fact(report, "spf_helo", "%s", h.result);
	}
	if (v->received_spf_header)
		received_spf(txn, spf, report);
	if (v->reject_at == CHECK_MAIL)
		apply(v, txn, spf, report);
}

static enum check_status
spf_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct spf_values *v = values;

	if (phase != CHECK_MAIL) {
		if (phase == (enum check_phase)v->reject_at &&
		    txn->auth != NULL && txn->auth->spf.result != NULL)
			apply(v, txn, &txn->auth->spf, report);
		return CHECK_DONE;
	}
	if (!txn->client_ip_valid || report->auth == NULL ||
	    (txn->trusted && !v->check_trusted) ||
	    (txn->auth_login != NULL && !v->check_authenticated))
		return CHECK_DONE;
	if (txn->dns == NULL) {
		check_error(report, "no resolver");
		return CHECK_ERROR;
	}
	check_mail(v, txn, report);
	return CHECK_DONE;
}

#define SCORE(r) offsetof(struct spf_values, score[r])
#define ACTION(r) offsetof(struct spf_values, action[r])
#define REPLY(r) offsetof(struct spf_values, reply[r])
static const struct conf_option spf_options[] = {
	CHECK_COMMON_OPTIONS("yes"),
	{ "engine", CONF_ENUM, offsetof(struct spf_values, engine), "mxward",
	  0, 0, spf_engine_names,
	  "Who evaluates SPF records: mxward (the default: mxward's own "
	  "RFC 7208 evaluator, which passes the whole openspf test suite) or "
	  "libspf2 (for postmasters who want its answers; it departs from "
	  "RFC 7208 in known ways). Both ask DNS through mxward's resolver "
	  "(section dns)." },
	{ "check_helo", CONF_BOOL, offsetof(struct spf_values, check_helo),
	  "no", 0, 0, NULL,
	  "Also check the HELO identity when the sender is not null, for "
	  "the record only: its result goes into Authentication-Results "
	  "(smtp.helo) and the log, not into the verdict. For the null "
	  "sender the HELO identity is always the one checked." },
	{ "check_authenticated", CONF_BOOL,
	  offsetof(struct spf_values, check_authenticated), "no", 0, 0, NULL,
	  "Check SPF for clients that authenticated (SMTP AUTH) too; by "
	  "default their mail is not checked." },
	{ "check_trusted", CONF_BOOL, offsetof(struct spf_values, check_trusted),
	  "no", 0, 0, NULL,
	  "Check SPF for trusted clients (access.trusted_networks) too; by "
	  "default their mail is not checked." },
	{ "pass_score", CONF_SCORE, SCORE(SPFR_PASS), "-0.5", -100, 100, NULL,
	  "Score of SPF_PASS: the client may send for the domain." },
	{ "fail_score", CONF_SCORE, SCORE(SPFR_FAIL), "5", -100, 100, NULL,
	  "Score of SPF_FAIL when fail_action is score." },
	{ "softfail_score", CONF_SCORE, SCORE(SPFR_SOFTFAIL), "2", -100, 100,
	  NULL, "Score of SPF_SOFTFAIL when softfail_action is score." },
	{ "neutral_score", CONF_SCORE, SCORE(SPFR_NEUTRAL), "0", -100, 100,
	  NULL, "Score of SPF_NEUTRAL: the domain says nothing about the "
	  "client." },
	{ "none_score", CONF_SCORE, SCORE(SPFR_NONE), "0", -100, 100, NULL,
	  "Score of SPF_NONE: the domain publishes no SPF record (or is no "
	  "domain that can be checked)." },
	{ "temperror_score", CONF_SCORE, SCORE(SPFR_TEMPERROR), "0", -100, 100,
	  NULL, "Score of SPF_TEMPERROR when temperror_action is score." },
	{ "permerror_score", CONF_SCORE, SCORE(SPFR_PERMERROR), "1", -100, 100,
	  NULL, "Score of SPF_PERMERROR when permerror_action is score." },
	{ "fail_action", CONF_ENUM, ACTION(SPFR_FAIL), "reject", 0, 0,
	  spf_action_names,
	  "What a fail (the domain forbids the client) leads to: reject "
	  "(with fail_reply), tempfail, quarantine, or score (fail_score "
	  "counts towards the verdict)." },
	{ "softfail_action", CONF_ENUM, ACTION(SPFR_SOFTFAIL), "score", 0, 0,
	  spf_action_names,
	  "What a softfail (the domain says the client is probably not "
	  "allowed) leads to: score, reject, tempfail or quarantine." },
	{ "temperror_action", CONF_ENUM, ACTION(SPFR_TEMPERROR), "tempfail", 0,
	  0, spf_action_names,
	  "What a temperror (DNS did not answer in time, or failed) leads "
	  "to: tempfail (the default; the client retries later), reject, "
	  "quarantine, or score." },
	{ "permerror_action", CONF_ENUM, ACTION(SPFR_PERMERROR), "score", 0, 0,
	  spf_action_names,
	  "What a permerror (the domain's SPF record is broken) leads to: "
	  "score, reject, tempfail or quarantine." },
	{ "fail_reply", CONF_REPLY, REPLY(SPFR_FAIL),
	  "\"550 5.7.23 SPF: {sender} is not allowed to send from {ip}: "
	  "{explanation}\"", 0, 0, NULL,
	  "Reply when fail_action is reject or tempfail (a 5xx or 4xx reply "
	  "to match). {sender}, {domain}, {ip}, {result}, {reason} and "
	  "{explanation} are replaced." },
	{ "softfail_reply", CONF_REPLY, REPLY(SPFR_SOFTFAIL),
	  "\"550 5.7.23 SPF: {sender} is not allowed to send from {ip} "
	  "(softfail)\"", 0, 0, NULL,
	  "Reply when softfail_action is reject or tempfail." },
	{ "temperror_reply", CONF_REPLY, REPLY(SPFR_TEMPERROR),
	  "\"451 4.4.3 SPF: temporary error checking {domain}, try again "
	  "later\"", 0, 0, NULL,
	  "Reply when temperror_action is tempfail or reject." },
	{ "permerror_reply", CONF_REPLY, REPLY(SPFR_PERMERROR),
	  "\"550 5.7.24 SPF: the SPF record of {domain} is broken: "
	  "{reason}\"", 0, 0, NULL,
	  "Reply when permerror_action is reject or tempfail." },
	{ "reject_at", CONF_ENUM, offsetof(struct spf_values, reject_at),
	  "mail", 0, 0, reject_at_names,
	  "When a reject, tempfail or quarantine decided by a result is "
	  "applied: mail (at MAIL FROM, the default), rcpt (at each RCPT TO, "
	  "so the client sees the recipients first, as with Postfix's "
	  "smtpd_delay_reject), data, or end_of_message. The sender is "
	  "always checked at MAIL FROM." },
	{ "received_spf_header", CONF_BOOL,
	  offsetof(struct spf_values, received_spf_header), "no", 0, 0, NULL,
	  "Add a Received-SPF field (RFC 7208 section 9.1) to delivered "
	  "messages. Authentication-Results always carries the result; "
	  "incoming Received-SPF fields are removed either way." },
	{ "default_explanation", CONF_STRING,
	  offsetof(struct spf_values, default_explanation),
	  "\"%{d} does not designate %{c} as a permitted sender\"", 0, 0, NULL,
	  "The explanation of a fail when the domain gives none (no usable "
	  "exp=): an SPF explanation string, whose macros (%{d} the domain, "
	  "%{s} the sender, %{c} the client address, ...) are expanded as "
	  "RFC 7208 section 7 says. {explanation} in fail_reply." },
	{ NULL },
};

static const char *const spf_owned[] = { RECEIVED_SPF, NULL };

const struct check check_spf = {
	.name = "spf",
	.phases = CHECK_MAIL | CHECK_RCPT | CHECK_DATA | CHECK_EOM,
	.runs_for_trusted = true,
	.owned_headers = spf_owned,
	.section = {
		"spf",
		"Sender Policy Framework (RFC 7208): may the client send mail "
		"for the envelope sender's domain (for the null sender: the "
		"HELO name)? Checked at MAIL FROM through mxward's resolver.",
		spf_options, sizeof(struct spf_values), spf_init, NULL,
	},
	.run = spf_run,
	.start = spf_start,
};
