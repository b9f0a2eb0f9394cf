/*
 * verify.c - every DKIM signature of a message, each with its own result
 *
 * See dkim.h. dkim_verify_message() works in three steps:
 *
 *   1. Read every DKIM-Signature field with mxward's own reader
 *      (sigfield.c). Malformed ones are settled as permerror here, so
 *      they are reported even though libopendkim drops them.
 *   2. For each well-formed one, up to max_signatures, apply RFC 8301
 *      (rsa-sha1), fetch the key record through the shared resolver
 *      (lookup.c) and check it against the signature: p= missing or empty,
 *      key type and h= against a=, t=s against i=, key size. What fails
 *      is settled (temperror for DNS trouble, permerror otherwise); what
 *      passes gets a normalised record ("k=rsa; p=...") for libopendkim.
 *   3. Run libopendkim once over the whole message, with a prescreen
 *      callback that makes it ignore every signature already settled and
 *      a key-lookup callback that hands it the normalised records, so it
 *      never asks DNS itself (its query hook is also made to fail). Its
 *      per-signature flags and errors give the rest: pass, fail (body hash
 *      mismatch, signature did not verify), permerror (expired, l= past
 *      the body...).
 *
 * libopendkim numbers signatures in header order, counting every field
 * whose name is DKIM-Signature once spaces before the colon are dropped
 * and that holds no control character before the colon; is_signature()
 * applies the same rule, and the prescreen callback checks d= and s= of
 * each pair before trusting the numbering.
 *
 * Thread safety: the verifier (its DKIM_LIB) is read-only after
 * dkim_verifier_new(); each message gets its own DKIM handle and state.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <opendkim/dkim.h>

#include "core/xalloc.h"
#include "dkim/dkim.h"
#include "dkim/lookup.h"

#define SIGNATURE_NAME "DKIM-Signature"
#define HANDOFF_MAX 1024   /* libopendkim's key buffer (BUFRSZ) */

struct dkim_verifier {
	DKIM_LIB *lib;
	struct dkim_verify_settings settings;
};

/* One signature on its way through the three steps. */
struct verify_sig {
	struct dkim_sigfield sf;
	bool settled;                /* result known before libopendkim */
	bool testing;                /* the key says t=y */
	enum dkim_result result;
	char reason[DKIM_REASON_MAX];
	unsigned key_bits;
	char record[HANDOFF_MAX + 1]; /* for the key-lookup callback */
};

/* One message: the user context of its DKIM handle. */
struct verify_run {
	const struct dkim_verifier *v;
	struct verify_sig sigs[DKIM_VERIFY_MAX];
	size_t n;                    /* kept in sigs[] */
	size_t n_seen;
	bool mismatch;               /* libopendkim numbered them otherwise */
};

static const char *const result_names[] = {
	[DKIMR_PASS] = "pass",
	[DKIMR_FAIL] = "fail",
	[DKIMR_NEUTRAL] = "neutral",
	[DKIMR_POLICY] = "policy",
	[DKIMR_TEMPERROR] = "temperror",
	[DKIMR_PERMERROR] = "permerror",
};

const char *
dkim_result_name(enum dkim_result result)
{
	return result_names[result];
}

/* Settle a signature's result now. */
static void
settle(struct verify_sig *s, enum dkim_result result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
settle(struct verify_sig *s, enum dkim_result result, const char *fmt, ...)
{
	va_list ap;

	s->settled = true;
	s->result = result;
	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
}

/* Is this field a DKIM-Signature, by libopendkim's rule? Then *value_r
 * is what follows the colon. */
static bool
is_signature(const unsigned char *f, size_t len, size_t *value_r)
{
	size_t colon, name_end;

	for (colon = 0; colon < len && f[colon] != ':'; colon++)
		if (f[colon] < 32 || f[colon] > 126)
			return false;
	if (colon == len)
		return false;
	for (name_end = colon; name_end > 0 && f[name_end - 1] == ' ';)
		name_end--;
	if (name_end != strlen(SIGNATURE_NAME) ||
	    strncasecmp((const char *)f, SIGNATURE_NAME, name_end) != 0)
		return false;
	*value_r = colon + 1;
	return true;
}

/* Step 1: read every signature field. */
static void
read_signatures(struct verify_run *run, const unsigned char *msg, size_t len)
{
	size_t pos = 0, start, flen, value;

	while (dkim_field_next(msg, len, &pos, &start, &flen)) {
		if (!is_signature(msg + start, flen, &value))
			continue;
		run->n_seen++;
		if (run->n == DKIM_VERIFY_MAX)
			continue;
		dkim_sigfield_read((const char *)msg + start + value,
		    flen - value, &run->sigs[run->n].sf);
		run->n++;
	}
}

/* ---- step 2: policy and the key, before any cryptography ---- */

static enum dkim_result
deprecated_result(enum dkim_deprecated d)
{
	return d == DKIM_DEPRECATED_POLICY ? DKIMR_POLICY : DKIMR_PERMERROR;
}

/* Does the key record fit the signature (RFC 6376 section 6.1.2)? */
static bool
key_fits(struct verify_sig *s, const struct dkim_keyrecord *kr)
{
	const struct dkim_sigfield *sf = &s->sf;
	const char *at;

	if ((kr->type == DKIMK_ED25519) != (sf->alg == DKIMA_ED25519_SHA256)) {
		settle(s, DKIMR_PERMERROR, "key type does not match a=");
		return false;
	}
	if (sf->alg == DKIMA_RSA_SHA1 ? !kr->allows_sha1 :
	    !kr->allows_sha256) {
		settle(s, DKIMR_PERMERROR, "key h= does not allow the hash");
		return false;
	}
	/* t=s: the i= domain must be d= itself, not a subdomain. */
	at = strrchr(sf->identity, '@');
	if (kr->same_domain && at != NULL &&
	    strcasecmp(at + 1, sf->domain) != 0) {
		settle(s, DKIMR_PERMERROR, "i= domain is not d= (key t=s)");
		return false;
	}
	return true;
}

/* Fetch and check the key; fill the record for libopendkim. */
static void
prepare_key(const struct dkim_verifier *v, struct dns_resolver *dns,
    struct verify_sig *s)
{
	struct dkim_keyrecord kr;
	unsigned char der[DKIM_KEY_DER_MAX];
	char why[DKIM_REASON_MAX];
	const char *type;
	size_t der_len, prefix;

	switch (dkim_key_lookup(dns, s->sf.selector, s->sf.domain, &kr, why,
	    sizeof(why))) {
	case DKIM_LOOKUP_FOUND:
		break;
	case DKIM_LOOKUP_TEMPFAIL:
		settle(s, DKIMR_TEMPERROR, "%s", why);
		return;
	case DKIM_LOOKUP_NONE:
	case DKIM_LOOKUP_BROKEN:
		settle(s, DKIMR_PERMERROR, "%s", why);
		return;
	}
	if (!key_fits(s, &kr))
		return;
	if (!dkim_key_public(&kr, der, sizeof(der), &der_len, &s->key_bits,
	    why, sizeof(why))) {
		settle(s, DKIMR_PERMERROR, "%s", why);
		return;
	}
	if (kr.type == DKIMK_RSA && s->key_bits < v->settings.min_key_bits &&
	    v->settings.weak_keys != DKIM_DEPRECATED_ACCEPT) {
		settle(s, deprecated_result(v->settings.weak_keys),
		    "key too small (%u bits)", s->key_bits);
		return;
	}
	type = kr.type == DKIMK_RSA ? "rsa" : "ed25519";
	prefix = (size_t)snprintf(s->record, sizeof(s->record), "k=%s; p=",
	    type);
	if ((der_len + 2) / 3 * 4 + 1 > sizeof(s->record) - prefix) {
		settle(s, DKIMR_PERMERROR, "key too large (%u bits)",
		    s->key_bits);
		return;
	}
	EVP_EncodeBlock((unsigned char *)s->record + prefix, der,
	    (int)der_len);
	s->testing = kr.testing;
}

/* Step 2 for every signature kept. */
static void
prepare_signatures(struct verify_run *run, struct dns_resolver *dns)
{
	const struct dkim_verify_settings *set = &run->v->settings;

	for (size_t i = 0; i < run->n; i++) {
		struct verify_sig *s = &run->sigs[i];

		if (!s->sf.valid)
			settle(s, DKIMR_PERMERROR, "%s", s->sf.reason);
		else if (i >= set->max_signatures)
			settle(s, DKIMR_POLICY,
			    "not verified: over max_signatures (%u)",
			    set->max_signatures);
		else if (s->sf.alg == DKIMA_RSA_SHA1 &&
		    set->rsa_sha1 != DKIM_DEPRECATED_ACCEPT)
			settle(s, deprecated_result(set->rsa_sha1),
			    "rsa-sha1 not accepted (RFC 8301)");
		else
			prepare_key(run->v, dns, s);
	}
}

/* ---- step 3: libopendkim ---- */

/* The index of sig in the handle's list, or -1. */
static int
sig_index(DKIM *dkim, DKIM_SIGINFO *sig)
{
	DKIM_SIGINFO **list;
	int n;

	if (dkim_getsiglist(dkim, &list, &n) != DKIM_STAT_OK)
		return -1;
	for (int i = 0; i < n; i++)
		if (list[i] == sig)
			return i;
	return -1;
}

/* Prescreen: ignore what is settled, and everything if libopendkim's
 * numbering is not ours. */
static DKIM_CBSTAT
cb_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct verify_run *run = dkim_get_user_context(dkim);
	size_t i;

	if ((size_t)nsigs != run->n_seen)
		run->mismatch = true;
	for (i = 0; i < run->n && i < (size_t)nsigs && !run->mismatch; i++) {
		const unsigned char *d = dkim_sig_getdomain(sigs[i]);
		const unsigned char *s = dkim_sig_getselector(sigs[i]);

		if (!run->sigs[i].settled && (d == NULL || s == NULL ||
		    strcasecmp((const char *)d, run->sigs[i].sf.domain) != 0 ||
		    strcasecmp((const char *)s, run->sigs[i].sf.selector) != 0))
			run->mismatch = true;
	}
	for (i = 0; i < (size_t)nsigs; i++)
		if (run->mismatch || i >= run->n || run->sigs[i].settled)
			dkim_sig_ignore(sigs[i]);
	return DKIM_CBSTAT_CONTINUE;
}

/* Key lookup: the record prepared in step 2. */
static DKIM_CBSTAT
cb_key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, unsigned char *buf,
    size_t buflen)
{
	struct verify_run *run = dkim_get_user_context(dkim);
	int i = sig_index(dkim, sig);
	size_t len;

	if (i < 0 || (size_t)i >= run->n || run->sigs[i].settled)
		return DKIM_CBSTAT_ERROR;
	len = strlen(run->sigs[i].record);
	if (len >= buflen)
		return DKIM_CBSTAT_ERROR;
	memcpy(buf, run->sigs[i].record, len + 1);
	return DKIM_CBSTAT_CONTINUE;
}

/* libopendkim's own DNS: never used. */
static int
cb_no_dns(void *service, int type, unsigned char *query, unsigned char *buf,
    size_t buflen, void **qh)
{
	(void)service;
	(void)type;
	(void)query;
	(void)buf;
	(void)buflen;
	(void)qh;
	return DKIM_DNS_ERROR;
}

/* libopendkim's verdict on one signature it processed. */
static void
read_outcome(DKIM_SIGINFO *sig, struct verify_sig *s)
{
	unsigned flags = dkim_sig_getflags(sig);
	int bh = dkim_sig_getbh(sig);
	int error = dkim_sig_geterror(sig);
	const char *text;

	if ((flags & DKIM_SIGFLAG_PROCESSED) == 0) {
		settle(s, DKIMR_TEMPERROR, "not verified (internal error)");
		return;
	}
	if (bh == DKIM_SIGBH_MISMATCH) {
		settle(s, DKIMR_FAIL, "body hash mismatch");
	} else if ((flags & DKIM_SIGFLAG_PASSED) != 0 &&
	    bh == DKIM_SIGBH_MATCH && (error == DKIM_SIGERROR_OK ||
	    error == DKIM_SIGERROR_UNKNOWN)) {
		settle(s, DKIMR_PASS, "%s", "");
	} else if (error == DKIM_SIGERROR_BADSIG ||
	    (flags & DKIM_SIGFLAG_PASSED) == 0) {
		settle(s, DKIMR_FAIL, "signature did not verify");
	} else {
		text = dkim_sig_geterrorstr(error);
		settle(s, DKIMR_PERMERROR, "%s", text ? text : "error");
	}
	/* RFC 6376 3.6.1: a testing key's failure counts for nothing. */
	if (s->testing && s->result == DKIMR_FAIL) {
		char why[DKIM_REASON_MAX];

		memcpy(why, s->reason, sizeof(why));
		settle(s, DKIMR_NEUTRAL, "testing key (t=y): %s", why);
	}
}

/* Feed the message; true when libopendkim got to the end of it. */
static bool
run_message(DKIM *dkim, const unsigned char *msg, size_t len)
{
	size_t pos = 0, start, flen, body;
	DKIM_STAT st;

	/* The API takes unsigned char * but only reads: the fields and
	 * the body are copied or hashed, never written. */
	while (dkim_field_next(msg, len, &pos, &start, &flen))
		if (flen > 0)
			dkim_header(dkim, (unsigned char *)msg + start, flen);
	st = dkim_eoh(dkim);
	if (st == DKIM_STAT_NOSIG)
		return true;
	if (st != DKIM_STAT_OK)
		return false;
	body = dkim_body_start(msg, len, pos);
	if (body < len && dkim_body(dkim, (unsigned char *)msg + body,
	    len - body) != DKIM_STAT_OK)
		return false;
	st = dkim_eom(dkim, NULL);
	return st != DKIM_STAT_INTERNAL && st != DKIM_STAT_NORESOURCE &&
	    st != DKIM_STAT_INVALID;
}

/* Step 3: everything not settled yet goes through libopendkim. */
static void
verify_signatures(struct verify_run *run, const unsigned char *msg,
    size_t len)
{
	DKIM_SIGINFO **list;
	DKIM_STAT st;
	DKIM *dkim;
	int n = 0;
	bool ran;
	size_t i;

	for (i = 0; i < run->n && run->sigs[i].settled; i++)
		;
	if (i == run->n)
		return;
	dkim = dkim_verify(run->v->lib, (const unsigned char *)"mxward", NULL,
	    &st);
	if (dkim == NULL) {
		ran = false;
	} else {
		dkim_set_user_context(dkim, run);
		ran = run_message(dkim, msg, len) &&
		    dkim_getsiglist(dkim, &list, &n) == DKIM_STAT_OK;
	}
	for (i = 0; i < run->n; i++) {
		struct verify_sig *s = &run->sigs[i];

		if (s->settled)
			continue;
		if (!ran || run->mismatch || i >= (size_t)n)
			settle(s, DKIMR_TEMPERROR, "not verified (%s)",
			    dkim && dkim_geterror(dkim) ? dkim_geterror(dkim) :
			    "libopendkim failed");
		else
			read_outcome(list[i], s);
	}
	if (dkim != NULL)
		dkim_free(dkim);
}

/* ---- the public part ---- */

struct dkim_verifier *
dkim_verifier_new(const struct dkim_verify_settings *settings, char *err,
    size_t errlen)
{
	struct dkim_verifier *v;
	unsigned flags = DKIM_LIBFLAGS_BADSIGHANDLES |
	    DKIM_LIBFLAGS_DELAYSIGPROC;
	unsigned min_bits = 0; /* mxward applies min_key_bits itself */

	v = xcalloc(1, sizeof(*v));
	v->settings = *settings;
	if (v->settings.max_signatures > DKIM_VERIFY_MAX)
		v->settings.max_signatures = DKIM_VERIFY_MAX;
	v->lib = dkim_init(NULL, NULL);
	if (v->lib == NULL ||
	    dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags)) != DKIM_STAT_OK ||
	    dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS,
	    &min_bits, sizeof(min_bits)) != DKIM_STAT_OK ||
	    dkim_set_prescreen(v->lib, cb_prescreen) != DKIM_STAT_OK ||
	    dkim_set_key_lookup(v->lib, cb_key_lookup) != DKIM_STAT_OK) {
		snprintf(err, errlen, "libopendkim could not be set up");
		dkim_verifier_free(&v);
		return NULL;
	}
	dkim_dns_set_query_start(v->lib, cb_no_dns);
	return v;
}

void
dkim_verifier_free(struct dkim_verifier **v_p)
{
	struct dkim_verifier *v = *v_p;

	if (v == NULL)
		return;
	if (v->lib != NULL)
		dkim_close(v->lib);
	free(v);
	*v_p = NULL;
}

void
dkim_verify_message(const struct dkim_verifier *v, struct dns_resolver *dns,
    const unsigned char *msg, size_t len, struct dkim_verification *out)
{
	struct verify_run *run = xcalloc(1, sizeof(*run));
	unsigned char *fixed = dkim_crlf(msg, len, &len);

	if (fixed != NULL)
		msg = fixed;
	run->v = v;
	read_signatures(run, msg, len);
	prepare_signatures(run, dns);
	verify_signatures(run, msg, len);
	free(fixed);
	memset(out, 0, sizeof(*out));
	out->n_seen = run->n_seen;
	out->n = run->n;
	for (size_t i = 0; i < run->n; i++) {
		const struct verify_sig *s = &run->sigs[i];
		struct dkim_sig_result *r = &out->sig[i];

		r->result = s->result;
		memcpy(r->domain, s->sf.domain, sizeof(r->domain));
		memcpy(r->selector, s->sf.selector, sizeof(r->selector));
		memcpy(r->algorithm, s->sf.algorithm, sizeof(r->algorithm));
		memcpy(r->b, s->sf.b, sizeof(r->b));
		memcpy(r->identity, s->sf.identity, sizeof(r->identity));
		memcpy(r->reason, s->reason, sizeof(r->reason));
		r->key_bits = s->key_bits;
	}
	free(run);
}
