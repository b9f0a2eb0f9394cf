/*
 * check_dkim.c - DKIM: every signature verified, outgoing mail signed
 *
 * check_dkim, section "dkim". At end of message:
 *
 *   verify   every DKIM-Signature field, up to max_signatures (the rest
 *            are reported as policy, not verified), keys through the
 *            shared resolver (dkim/dkim.h). Each signature gets its own
 *            result in report->auth->dkim and its own
 *            Authentication-Results method, e.g.
 *              dkim=pass header.d=example.org header.s=sel header.b=AbCdEfGh
 *              dkim=fail (body hash mismatch) header.d=...
 *            and each kind of result found adds one symbol, scored by the
 *            policy: DKIM_PASS, DKIM_FAIL, DKIM_NEUTRAL, DKIM_POLICY,
 *            DKIM_PERMERROR, DKIM_TEMPERROR; an unsigned message gets
 *            DKIM_NONE and dkim=none. RFC 8301: rsa-sha1 and RSA keys
 *            below min_key_bits are permerror unless the policy says
 *            otherwise.
 *   sign     mail from an authenticated client (sign_authenticated), a
 *            trusted one (sign_trusted) or sign_networks, when the
 *            signing table has a rule for the sender (the RFC5322.From
 *            address, or the envelope sender with sign_address:
 *            envelope): one DKIM-Signature per key of the rule, added at
 *            the top of the delivered message. A key that cannot sign is
 *            an error (on_error): mail meant to be signed never leaves
 *            unsigned without the policy saying so.
 *
 * The key table and the signing table are lists of strings, one entry
 * each ("NAME DOMAIN SELECTOR KEYFILE" and "PATTERN NAME[,NAME]"): the
 * policy loader reads lists of scalars, and these are OpenDKIM's KeyTable
 * and SigningTable lines. dkim_init() loads every key file and builds the
 * verifier and the signer (each with its own libopendkim library handle),
 * so a reload re-reads the keys, and a key that does not load fails the
 * policy with the entry that named it. dkim_inspect() compares every key
 * with its DNS record for `mxward check`.
 *
 * The check keeps no per-message state; its values are read-only after
 * init.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "checks/auth.h"
#include "checks/check.h"
#include "core/arena.h"
#include "dkim/dkim.h"
#include "metrics/metrics.h"
#include "mime/header.h"
#include "mime/parts.h"

_Static_assert(AUTH_DKIM_MAX == DKIM_VERIFY_MAX,
    "auth.h and dkim.h must keep as many signatures");

#define SIGNATURE_FIELD "DKIM-Signature"

enum sign_address {
	SIGN_ADDRESS_FROM,
	SIGN_ADDRESS_ENVELOPE,
};

struct dkim_values {
	struct check_common common;
	bool verify;
	long long max_signatures;
	int rsa_sha1;                /* enum dkim_deprecated */
	long long min_key_bits;
	int weak_keys;               /* enum dkim_deprecated */
	double score[DKIMR_PERMERROR + 1];
	double score_none;
	struct conf_strlist keys;
	struct conf_strlist signing;
	bool sign_authenticated;
	bool sign_trusted;
	struct cidr_list sign_networks;
	int sign_address;            /* enum sign_address */
	int canonicalization;        /* canon_names */
	struct conf_strlist signed_headers;
	struct conf_strlist oversigned_headers;
	uint64_t sign_expiry;
	/* made by dkim_init() */
	struct dkim_verifier *verifier;
	struct dkim_signer *signer;
	struct dkim_keytable *keytable;
};

static const char *const result_symbols[] = {
	[DKIMR_PASS] = "DKIM_PASS",
	[DKIMR_FAIL] = "DKIM_FAIL",
	[DKIMR_NEUTRAL] = "DKIM_NEUTRAL",
	[DKIMR_POLICY] = "DKIM_POLICY",
	[DKIMR_TEMPERROR] = "DKIM_TEMPERROR",
	[DKIMR_PERMERROR] = "DKIM_PERMERROR",
};

static const struct conf_name_code deprecated_names[] = {
	{ "permerror", DKIM_DEPRECATED_PERMERROR },
	{ "policy", DKIM_DEPRECATED_POLICY },
	{ "accept", DKIM_DEPRECATED_ACCEPT },
	{ NULL, 0 },
};

static const struct conf_name_code sign_address_names[] = {
	{ "from", SIGN_ADDRESS_FROM },
	{ "envelope", SIGN_ADDRESS_ENVELOPE },
	{ NULL, 0 },
};

/* c= as header/body: code = header * 2 + body (enum dkim_canon). */
#define CANON(h, b) (DKIMC_##h * 2 + DKIMC_##b)
static const struct conf_name_code canon_names[] = {
	{ "relaxed/relaxed", CANON(RELAXED, RELAXED) },
	{ "relaxed/simple", CANON(RELAXED, SIMPLE) },
	{ "simple/relaxed", CANON(SIMPLE, RELAXED) },
	{ "simple/simple", CANON(SIMPLE, SIMPLE) },
	{ "relaxed", CANON(RELAXED, SIMPLE) },
	{ "simple", CANON(SIMPLE, SIMPLE) },
	{ NULL, 0 },
};

/* ---- policy load ---- */

/* A NULL-terminated copy of a list, in the arena, checked to hold header
 * field names libopendkim can turn into its pattern (letters, digits,
 * '-'); NULL with an error otherwise. */
static const char **
header_names(const struct conf_strlist *list, const char *option,
    struct arena *arena, struct conf_errors *errs)
{
	const char **v = arena_zalloc(arena, (list->n + 1) * sizeof(*v));

	for (size_t i = 0; i < list->n; i++) {
		const char *p = list->v[i];

		for (; *p != '\0'; p++)
			if (!(*p >= 'A' && *p <= 'Z') && !(*p >= 'a' && *p <= 'z') &&
			    !(*p >= '0' && *p <= '9') && *p != '-')
				break;
		if (*p != '\0' || list->v[i][0] == '\0') {
			conf_errors_here(errs, "dkim.%s: \"%s\" is not a header "
			    "field name", option, list->v[i]);
			return NULL;
		}
		v[i] = list->v[i];
	}
	return v;
}

/* The key table and the signing table, each entry checked. */
static bool
tables_load(struct dkim_values *v, struct conf_errors *errs)
{
	char err[512];

	v->keytable = dkim_keytable_new();
	for (size_t i = 0; i < v->keys.n; i++)
		if (!dkim_keytable_add_key(v->keytable, v->keys.v[i], err,
		    sizeof(err))) {
			conf_errors_here(errs, "dkim.keys[%zu]: %s", i, err);
			return false;
		}
	for (size_t i = 0; i < v->signing.n; i++)
		if (!dkim_keytable_add_rule(v->keytable, v->signing.v[i], err,
		    sizeof(err))) {
			conf_errors_here(errs, "dkim.signing[%zu]: %s", i, err);
			return false;
		}
	return true;
}

static bool
dkim_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct dkim_values *v = values;
	struct dkim_verify_settings vs = {
		.max_signatures = (unsigned)v->max_signatures,
		.rsa_sha1 = (enum dkim_deprecated)v->rsa_sha1,
		.min_key_bits = (unsigned)v->min_key_bits,
		.weak_keys = (enum dkim_deprecated)v->weak_keys,
	};
	struct dkim_sign_settings ss = {
		.header_canon = (enum dkim_canon)(v->canonicalization / 2),
		.body_canon = (enum dkim_canon)(v->canonicalization % 2),
		.expiry_s = v->sign_expiry / 1000,
	};
	char err[256];

	if (!v->common.enabled)
		return true;
	ss.signed_headers = header_names(&v->signed_headers, "signed_headers",
	    arena, errs);
	ss.oversigned_headers = header_names(&v->oversigned_headers,
	    "oversigned_headers", arena, errs);
	if (ss.signed_headers == NULL || ss.oversigned_headers == NULL ||
	    !tables_load(v, errs))
		return false;
	v->verifier = dkim_verifier_new(&vs, err, sizeof(err));
	if (v->verifier != NULL)
		v->signer = dkim_signer_new(&ss, err, sizeof(err));
	if (v->signer == NULL) {
		conf_errors_here(errs, "dkim: %s", err);
		return false;
	}
	return true;
}

static void
dkim_fini(void *values)
{
	struct dkim_values *v = values;

	dkim_verifier_free(&v->verifier);
	dkim_signer_free(&v->signer);
	dkim_keytable_free(&v->keytable);
}

static struct metrics_family *metric_results, *metric_signed;

/* Registered once, before any message. */
static void
metrics_create(void)
{
	const char *series[DKIMR_PERMERROR + 2];

	for (int k = 0; k <= DKIMR_PERMERROR; k++)
		series[k] = dkim_result_name((enum dkim_result)k);
	series[DKIMR_PERMERROR + 1] = "none";
	metric_results = metrics_counter_new("mxward_dkim_results_total",
	    "DKIM signatures verified, by result; none counts messages "
	    "without a signature.", "result", series, DKIMR_PERMERROR + 2);
	metric_signed = metrics_counter_new("mxward_dkim_signatures_added_total",
	    "DKIM-Signature fields mxward added to outgoing mail.", NULL, NULL,
	    1);
}

static bool
dkim_start(const void *values, bool first, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)values;
	(void)first;
	(void)err;
	(void)errlen;
	/* GMime reads the From address of mail to sign. */
	mime_gmime_init();
	pthread_once(&once, metrics_create);
	return true;
}

/* ---- verifying ---- */

/* text if it is safe and useful in an A-R property (letters, digits and
 * the characters of domains and base64, and extra), else NULL. */
static const char *
token(const char *text, const char *extra)
{
	if (text[0] == '\0')
		return NULL;
	for (const char *p = text; *p != '\0'; p++)
		if (!(*p >= 'A' && *p <= 'Z') && !(*p >= 'a' && *p <= 'z') &&
		    !(*p >= '0' && *p <= '9') && strchr(".-_+/=", *p) == NULL &&
		    strchr(extra, *p) == NULL)
			return NULL;
	return text;
}

/* One signature into the auth results and Authentication-Results. */
static void
report_signature(const struct dkim_sig_result *r, struct auth_dkim *a,
    struct check_report *report)
{
	struct arena *arena = report->arena;
	const char *d = token(r->domain, ""), *s = token(r->selector, "");
	const char *b = token(r->b, ""), *i = token(r->identity, "@");

	a->result = dkim_result_name(r->result);
	a->domain = d ? arena_strdup(arena, d) : NULL;
	a->selector = s ? arena_strdup(arena, s) : NULL;
	a->algorithm = token(r->algorithm, "") ?
	    arena_strdup(arena, r->algorithm) : NULL;
	a->b = b ? arena_strdup(arena, b) : NULL;
	a->identity = i ? arena_strdup(arena, i) : NULL;
	a->reason = r->reason[0] ? arena_strdup(arena, r->reason) : NULL;
	check_authres(report, "dkim=%s%s%s%s%s%s%s%s%s%s",
	    a->result, a->reason ? " (" : "", a->reason ? a->reason : "",
	    a->reason ? ")" : "",
	    d ? " header.d=" : "", d ? d : "", s ? " header.s=" : "",
	    s ? s : "", b ? " header.b=" : "", b ? b : "");
}

/* Verify the message; results, A-R methods and symbols. */
static void
verify(const struct dkim_values *v, const struct check_txn *txn,
    struct check_report *report)
{
	struct dkim_verification *res = arena_alloc(report->arena,
	    sizeof(*res));
	struct auth_results *auth = report->auth;
	struct auth_dkim scratch;
	char detail[DKIMR_PERMERROR + 1][256] = { { 0 } };

	dkim_verify_message(v->verifier, txn->dns, txn->message,
	    txn->message_len, res);
	if (auth != NULL) {
		auth->n_dkim = res->n;
		auth->n_dkim_seen = res->n_seen;
		auth->dkim_checked = true;
	}
	if (res->n_seen == 0) {
		check_authres(report, "dkim=none");
		metrics_add(metric_results, DKIMR_PERMERROR + 1, 1);
		check_symbol(report, "DKIM_NONE", isnan(v->score_none) ? 0 :
		    v->score_none, "no signature");
		return;
	}
	for (size_t i = 0; i < res->n; i++) {
		const struct dkim_sig_result *r = &res->sig[i];
		char *dl = detail[r->result];
		size_t used = strlen(dl);

		report_signature(r, auth ? &auth->dkim[i] : &scratch, report);
		metrics_add(metric_results, (size_t)r->result, 1);
		snprintf(dl + used, sizeof(detail[0]) - used, "%s%s s=%s%s%s%s",
		    used ? ", " : "", r->domain[0] ? r->domain : "?",
		    r->selector[0] ? r->selector : "?", r->reason[0] ? " (" :
		    "", r->reason, r->reason[0] ? ")" : "");
	}
	for (int k = 0; k <= DKIMR_PERMERROR; k++)
		if (detail[k][0] != '\0')
			check_symbol(report, result_symbols[k],
			    isnan(v->score[k]) ? 0 : v->score[k], "%s",
			    detail[k]);
}

/* ---- signing ---- */

/* Is this client one whose mail we sign? */
static bool
sign_wanted(const struct dkim_values *v, const struct check_txn *txn)
{
	if (v->signing.n == 0)
		return false;
	return (v->sign_authenticated && txn->auth_login != NULL) ||
	    (v->sign_trusted && txn->trusted) ||
	    (txn->client_ip_valid &&
	    cidr_list_match(&v->sign_networks, &txn->client_ip));
}

/* The first mailbox of the message's From field, in the arena; NULL when
 * there is none. */
static const char *
from_address(const struct check_txn *txn, struct arena *arena)
{
	const char *msg = (const char *)txn->message;
	struct mime_header_field field;
	enum mime_header_status st;
	const char *addr = NULL;
	size_t pos = 0;

	do {
		st = mime_header_next(msg, txn->message_len, &pos, &field);
		if (st != MIME_HEADER_FIELD)
			continue;
		if (strcasecmp(field.name, "From") == 0) {
			InternetAddressList *list =
			    internet_address_list_parse(NULL, field.value);

			if (list != NULL &&
			    internet_address_list_length(list) > 0) {
				InternetAddress *ia =
				    internet_address_list_get_address(list, 0);

				if (INTERNET_ADDRESS_IS_MAILBOX(ia))
					addr = arena_strdup(arena,
					    internet_address_mailbox_get_addr(
					    INTERNET_ADDRESS_MAILBOX(ia)));
			}
			if (list != NULL)
				g_object_unref(list);
			st = MIME_HEADER_END;
		}
		free(field.value);
	} while (st != MIME_HEADER_END);
	return addr;
}

/* Sign with every key the signing table gives the sender. */
static enum check_status
sign(const struct dkim_values *v, const struct check_txn *txn,
    struct check_report *report)
{
	const struct dkim_key *keys[DKIM_SELECT_MAX];
	const char *address;
	char err[512], *value;
	size_t n;

	address = v->sign_address == SIGN_ADDRESS_ENVELOPE ? txn->sender :
	    from_address(txn, report->arena);
	if (address == NULL || address[0] == '\0')
		return CHECK_DONE;
	n = dkim_keytable_select(v->keytable, address, keys);
	for (size_t i = 0; i < n; i++) {
		value = dkim_signer_sign(v->signer, keys[i], txn->message,
		    txn->message_len, err, sizeof(err));
		if (value == NULL) {
			check_error(report, "DKIM signing failed: %s", err);
			return CHECK_ERROR;
		}
		check_header(report, SIGNATURE_FIELD, "%s", value);
		metrics_add(metric_signed, 0, 1);
		check_symbol(report, "DKIM_SIGNED", 0, "d=%s s=%s (%s)",
		    keys[i]->domain, keys[i]->selector, keys[i]->name);
		free(value);
	}
	return CHECK_DONE;
}

static enum check_status
dkim_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct dkim_values *v = values;

	(void)phase;
	if (txn->message == NULL) {
		check_error(report, "message not checked: %s",
		    txn->message_error ? txn->message_error : "not kept");
		return CHECK_ERROR;
	}
	if (v->verify)
		verify(v, txn, report);
	if (sign_wanted(v, txn))
		return sign(v, txn, report);
	return CHECK_DONE;
}

/* ---- mxward check ---- */

static bool
dkim_inspect(const void *values, struct dns_resolver *dns,
    void (*say)(const char *fmt, ...))
{
	const struct dkim_values *v = values;
	static const char *const verdicts[] = {
		[DKIM_KEYDNS_MATCH] = "published",
		[DKIM_KEYDNS_MISSING] = "NOT PUBLISHED",
		[DKIM_KEYDNS_MISMATCH] = "DOES NOT MATCH its DNS record",
		[DKIM_KEYDNS_BROKEN] = "has an UNUSABLE DNS record",
		[DKIM_KEYDNS_TEMPFAIL] = "could not be checked",
	};
	bool good = true;
	char why[256];

	if (!v->common.enabled || v->keytable == NULL)
		return true;
	for (size_t i = 0; i < dkim_keytable_count(v->keytable); i++) {
		const struct dkim_key *k = dkim_keytable_key(v->keytable, i);
		enum dkim_keydns st = dkim_key_check_dns(k, dns, why,
		    sizeof(why));

		say("dkim: key %s (%s, %u bits) at %s._domainkey.%s %s: %s",
		    k->name, k->type == DKIMK_RSA ? "rsa" : "ed25519", k->bits,
		    k->selector, k->domain, verdicts[st], why);
		if (st != DKIM_KEYDNS_MATCH && st != DKIM_KEYDNS_TEMPFAIL)
			good = false;
	}
	return good;
}

/* ---- options ---- */

#define SCORE_OPTION(key, field, def, what)                                  \
	{ key, CONF_SCORE, offsetof(struct dkim_values, field), def,          \
	  -100, 100, NULL,                                                     \
	  "Score of the symbol added when " what " (once per message, "       \
	  "however many signatures). off: log it without scoring it." }

static const struct conf_option dkim_options[] = {
	CHECK_COMMON_OPTIONS("yes"),
	{ "verify", CONF_BOOL, offsetof(struct dkim_values, verify), "yes",
	  0, 0, NULL,
	  "Verify the DKIM signatures of every message and report each in "
	  "Authentication-Results (dkim=pass header.d=... header.s=... "
	  "header.b=...), for DMARC and for the symbols below." },
	{ "max_signatures", CONF_INT,
	  offsetof(struct dkim_values, max_signatures), "8", 1,
	  DKIM_VERIFY_MAX, NULL,
	  "Most signatures verified per message, in header order; each "
	  "costs a DNS lookup and a signature check. Further ones are "
	  "reported as dkim=policy (not verified), up to 16 in all; RFC 6376 "
	  "lets a verifier limit the work a message can ask for." },
	{ "rsa_sha1", CONF_ENUM, offsetof(struct dkim_values, rsa_sha1),
	  "permerror", 0, 0, deprecated_names,
	  "What an rsa-sha1 signature gets: permerror (the default; RFC "
	  "8301 says verifiers must not count it as valid), policy, or "
	  "accept (verified like any other)." },
	{ "min_key_bits", CONF_INT, offsetof(struct dkim_values, min_key_bits),
	  "1024", 0, 16384, NULL,
	  "RSA keys shorter than this are weak (RFC 8301: under 1024 bits "
	  "they must not be counted as valid); see weak_keys." },
	{ "weak_keys", CONF_ENUM, offsetof(struct dkim_values, weak_keys),
	  "permerror", 0, 0, deprecated_names,
	  "What a signature made with a weak RSA key gets: permerror (the "
	  "default), policy, or accept." },
	SCORE_OPTION("pass_score", score[DKIMR_PASS], "0",
	    "a signature verifies (DKIM_PASS)"),
	SCORE_OPTION("fail_score", score[DKIMR_FAIL], "1",
	    "a signature does not verify: body hash mismatch or bad "
	    "signature (DKIM_FAIL)"),
	SCORE_OPTION("neutral_score", score[DKIMR_NEUTRAL], "0",
	    "a signature made with a testing key (t=y) fails (DKIM_NEUTRAL)"),
	SCORE_OPTION("policy_score", score[DKIMR_POLICY], "0",
	    "a signature is refused by policy: not verified past "
	    "max_signatures, or rsa_sha1/weak_keys set to policy "
	    "(DKIM_POLICY)"),
	SCORE_OPTION("temperror_score", score[DKIMR_TEMPERROR], "0",
	    "a key could not be fetched: DNS timeout or SERVFAIL "
	    "(DKIM_TEMPERROR)"),
	SCORE_OPTION("permerror_score", score[DKIMR_PERMERROR], "0.5",
	    "a signature cannot be verified for good: malformed, no key, "
	    "revoked or unusable key, expired, rsa-sha1 (DKIM_PERMERROR)"),
	SCORE_OPTION("none_score", score_none, "0",
	    "the message has no signature (DKIM_NONE)"),
	{ "keys", CONF_STRING_LIST, offsetof(struct dkim_values, keys), "[]",
	  0, 0, NULL,
	  "The key table (OpenDKIM's KeyTable): one entry per signing key, "
	  "\"NAME DOMAIN SELECTOR KEYFILE\", e.g. \"ex-rsa example.org "
	  "s2026r /etc/mxward/dkim/example.org.rsa.pem\". DOMAIN and "
	  "SELECTOR become d= and s=; the public key must be published at "
	  "SELECTOR._domainkey.DOMAIN (mxward check compares them). KEYFILE "
	  "holds an RSA key of 1024 bits or more or an Ed25519 key, in PEM "
	  "or DER, or an Ed25519 seed as one line of base64 (RFC 8463). Keys "
	  "are read when the policy is loaded, and again on every reload; a "
	  "key that does not load fails the policy." },
	{ "signing", CONF_STRING_LIST, offsetof(struct dkim_values, signing),
	  "[]", 0, 0, NULL,
	  "The signing table (OpenDKIM's SigningTable): \"PATTERN "
	  "NAME[,NAME...]\", e.g. \"*@example.org ex-rsa,ex-ed\" signs mail "
	  "from example.org with both keys (an RSA and an Ed25519 signature). "
	  "A PATTERN with \"@\" is matched against the whole sender "
	  "address, one without against its domain (\"*.example.org\"); "
	  "\"*\" matches any run of characters and case is ignored. The "
	  "first matching entry wins; no match, no signature. Empty: mxward "
	  "signs nothing." },
	{ "sign_authenticated", CONF_BOOL,
	  offsetof(struct dkim_values, sign_authenticated), "yes", 0, 0, NULL,
	  "Sign mail from clients that logged in with SMTP AUTH." },
	{ "sign_trusted", CONF_BOOL, offsetof(struct dkim_values, sign_trusted),
	  "yes", 0, 0, NULL,
	  "Sign mail from trusted clients (access.trusted_networks)." },
	{ "sign_networks", CONF_CIDR_LIST,
	  offsetof(struct dkim_values, sign_networks), "[]", 0, 0, NULL,
	  "Further client networks whose mail is signed." },
	{ "sign_address", CONF_ENUM, offsetof(struct dkim_values, sign_address),
	  "from", 0, 0, sign_address_names,
	  "Which sender the signing table is matched against: from (the "
	  "RFC5322.From address, what DMARC aligns with) or envelope (the "
	  "MAIL FROM address)." },
	{ "canonicalization", CONF_ENUM,
	  offsetof(struct dkim_values, canonicalization), "relaxed/relaxed",
	  0, 0, canon_names,
	  "c= of the signatures mxward makes: header/body, each relaxed or "
	  "simple; relaxed or simple alone means that for the header and "
	  "simple for the body, as in RFC 6376. relaxed survives the "
	  "whitespace changes forwarders make." },
	{ "signed_headers", CONF_STRING_LIST,
	  offsetof(struct dkim_values, signed_headers),
	  "[From, Sender, Reply-To, Subject, Date, Message-ID, To, Cc, "
	  "MIME-Version, Content-Type, Content-Transfer-Encoding, "
	  "Content-ID, Content-Description, In-Reply-To, References, "
	  "List-Id, List-Help, List-Unsubscribe, List-Subscribe, List-Post, "
	  "List-Owner, List-Archive]", 0, 0, NULL,
	  "Header fields signed when present (h=); From is always signed." },
	{ "oversigned_headers", CONF_STRING_LIST,
	  offsetof(struct dkim_values, oversigned_headers), "[From]", 0, 0,
	  NULL,
	  "Header fields signed once more than they occur, so that none can "
	  "be added after signing without breaking the signature." },
	{ "sign_expiry", CONF_DURATION,
	  offsetof(struct dkim_values, sign_expiry), "0s", 0,
	  3650.0 * 86400 * 1000, NULL,
	  "Lifetime of the signatures mxward makes (x= after t=); 0: no "
	  "x=, they never expire." },
	{ NULL },
};

const struct check check_dkim = {
	.name = "dkim",
	.phases = CHECK_EOM,
	.runs_for_trusted = true,
	.needs_message = true,
	.section = {
		"dkim",
		"DKIM (RFC 6376): every signature of incoming mail verified, "
		"with keys from the shared resolver, and outgoing mail signed "
		"with RSA and Ed25519 (RFC 8463) keys, on libopendkim.",
		dkim_options, sizeof(struct dkim_values),
		dkim_init, dkim_fini,
	},
	.run = dkim_run,
	.start = dkim_start,
	.inspect = dkim_inspect,
};
