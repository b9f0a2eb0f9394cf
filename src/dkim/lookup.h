/*
 * lookup.h - DKIM key records from the shared resolver, normalised
 *
 * dkim_key_lookup() asks for the TXT records of
 * SELECTOR._domainkey.DOMAIN and reads them as key records: the first one
 * that is a usable key wins; otherwise the first record's problem is the
 * answer (a revoked key, a record without p=, ...). dkim_key_public()
 * decodes a usable record's key with OpenSSL: RSA keys published in the
 * bare RSAPublicKey form RFC 6376 section 3.6.1 describes are accepted as
 * well as SubjectPublicKeyInfo, and both come back as DER
 * SubjectPublicKeyInfo; Ed25519 keys must be the raw 32 bytes of RFC 8463.
 *
 * Internal to src/dkim. Thread safe: no state outside the call.
 *
 * SECURITY: records come from DNS. Each is copied into a bounded buffer
 * (DKIM_RECORD_MAX; longer ones are refused) and read by sigfield.c.
 */
#ifndef MXWARD_DKIM_LOOKUP_H
#define MXWARD_DKIM_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>

#include "dkim/sigfield.h"

struct dns_resolver;

#define DKIM_RECORD_MAX 8192

enum dkim_lookup {
	DKIM_LOOKUP_FOUND,    /* *kr holds a usable key record */
	DKIM_LOOKUP_NONE,     /* no such name, or no TXT record there */
	DKIM_LOOKUP_BROKEN,   /* records, none usable; why says the first
	                         one's problem (*kr filled from it) */
	DKIM_LOOKUP_TEMPFAIL, /* DNS did not answer */
};

enum dkim_lookup dkim_key_lookup(struct dns_resolver *dns,
    const char *selector, const char *domain, struct dkim_keyrecord *kr,
    char *why, size_t whylen);

/* The key of a usable record as DER SubjectPublicKeyInfo (RSA) or raw
 * (Ed25519) into out, with its size in bits; false with why when it does
 * not decode. */
bool dkim_key_public(const struct dkim_keyrecord *kr, unsigned char *out,
    size_t outlen, size_t *len_r, unsigned *bits_r, char *why,
    size_t whylen);

#endif
