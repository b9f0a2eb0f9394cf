/*
 * sign.c - DKIM-Signature fields for outgoing mail, through libopendkim
 *
 * See dkim.h. A signer owns one libopendkim library handle configured
 * once with the header fields to sign (h= lists each one present, From
 * always) and to oversign (listed once more than present, so none can be
 * added later), and with the signature lifetime (x=). The handle is
 * read-only afterwards; each message gets its own DKIM handle, so one
 * signer serves every thread. The value comes back unfolded (margin 0):
 * the engine inserts it as one field, well under RFC 5322's 998 bytes
 * for any key size libopendkim signs with.
 *
 * libopendkim never asks DNS while signing; its query hook is made to
 * fail all the same.
 *
 * Known leak: libopendkim 2.11.0~beta2 (Debian 12) frees the private-key
 * state of a signing handle in dkim_free() only for RSA, so every Ed25519
 * signature leaks its key's EVP_PKEY, BIO and output buffer (about 670
 * bytes). Fixed upstream in OpenDKIM pull request 321 ("dkim_free() wasn't
 * freeing the ed25519 crypto structure"); nothing outside the library can
 * reach that state to free it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>

#include "core/xalloc.h"
#include "dkim/dkim.h"

#define FIELD_PREFIX "DKIM-Signature: "

struct dkim_signer {
	DKIM_LIB *lib;
	dkim_canon_t header_canon, body_canon;
};

/* libopendkim's DNS: never used. */
static int
no_dns(void *service, int type, unsigned char *query, unsigned char *buf,
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

static dkim_canon_t
canon_code(enum dkim_canon c)
{
	return c == DKIMC_SIMPLE ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED;
}

struct dkim_signer *
dkim_signer_new(const struct dkim_sign_settings *settings, char *err,
    size_t errlen)
{
	struct dkim_signer *s = xcalloc(1, sizeof(*s));
	unsigned flags = DKIM_LIBFLAGS_NONE;
	uint64_t ttl = settings->expiry_s;
	const char *why = NULL;

	s->header_canon = canon_code(settings->header_canon);
	s->body_canon = canon_code(settings->body_canon);
	s->lib = dkim_init(NULL, NULL);
	if (s->lib == NULL)
		why = "libopendkim could not be set up";
	else if (dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags)) != DKIM_STAT_OK ||
	    dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &ttl,
	    sizeof(ttl)) != DKIM_STAT_OK)
		why = "libopendkim refused the signing options";
	else if (dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
	    (void *)settings->signed_headers, sizeof(char **)) != DKIM_STAT_OK)
		why = "libopendkim refused signed_headers (too many or too long?)";
	else if (settings->oversigned_headers != NULL &&
	    settings->oversigned_headers[0] != NULL &&
	    dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
	    (void *)settings->oversigned_headers, sizeof(char **)) !=
	    DKIM_STAT_OK)
		why = "libopendkim refused oversigned_headers";
	if (why != NULL) {
		snprintf(err, errlen, "%s", why);
		dkim_signer_free(&s);
		return NULL;
	}
	dkim_dns_set_query_start(s->lib, no_dns);
	return s;
}

void
dkim_signer_free(struct dkim_signer **s_p)
{
	struct dkim_signer *s = *s_p;

	if (s == NULL)
		return;
	if (s->lib != NULL)
		dkim_close(s->lib);
	free(s);
	*s_p = NULL;
}

/* Hash the message into a signing handle; the failing step, or NULL. */
static const char *
sign_feed(DKIM *dkim, const unsigned char *msg, size_t len)
{
	size_t pos = 0, start, flen;

	/* The API takes unsigned char * but only reads. */
	while (dkim_field_next(msg, len, &pos, &start, &flen))
		if (flen > 0 && dkim_header(dkim, (unsigned char *)msg + start,
		    flen) != DKIM_STAT_OK)
			return "a header field libopendkim refuses";
	if (dkim_eoh(dkim) != DKIM_STAT_OK)
		return "the header (no From field?)";
	pos = dkim_body_start(msg, len, pos);
	if (pos < len && dkim_body(dkim, (unsigned char *)msg + pos,
	    len - pos) != DKIM_STAT_OK)
		return "the body";
	if (dkim_eom(dkim, NULL) != DKIM_STAT_OK)
		return "the signature";
	return NULL;
}

char *
dkim_signer_sign(const struct dkim_signer *s, const struct dkim_key *key,
    const unsigned char *msg, size_t len, char *err, size_t errlen)
{
	DKIM *dkim;
	DKIM_STAT st;
	unsigned char *value, *fixed;
	size_t vlen;
	const char *why;
	char *result;

	dkim = dkim_sign(s->lib, (const unsigned char *)"mxward", NULL,
	    (dkim_sigkey_t)key->pem, (const unsigned char *)key->selector,
	    (const unsigned char *)key->domain, s->header_canon,
	    s->body_canon, key->type == DKIMK_ED25519 ?
	    DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256, -1, &st);
	if (dkim == NULL) {
		snprintf(err, errlen, "key %s: %s", key->name,
		    dkim_getresultstr(st));
		return NULL;
	}
	dkim_set_margin(dkim, 0);
	fixed = dkim_crlf(msg, len, &len);
	why = sign_feed(dkim, fixed ? fixed : msg, len);
	free(fixed);
	if (why == NULL && dkim_getsighdr_d(dkim, strlen(FIELD_PREFIX), &value,
	    &vlen) != DKIM_STAT_OK)
		why = "the field";
	if (why != NULL) {
		snprintf(err, errlen, "key %s: signing failed at %s: %s",
		    key->name, why, dkim_geterror(dkim) ? dkim_geterror(dkim) :
		    "no detail");
		dkim_free(dkim);
		return NULL;
	}
	result = xstrndup((const char *)value, vlen);
	dkim_free(dkim);
	return result;
}
