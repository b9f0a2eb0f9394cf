/*
 * lookup.c - DKIM key records from the shared resolver, normalised
 *
 * See lookup.h. Why the RSA key is re-encoded: RFC 6376 section 3.6.1
 * calls p= an RSAPublicKey, while every signer publishes the
 * SubjectPublicKeyInfo that wraps one; libopendkim reads only the latter,
 * dkimpy both. Converting here lets libopendkim verify either.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dkim/lookup.h"
#include "dns/resolver.h"

enum dkim_lookup
dkim_key_lookup(struct dns_resolver *dns, const char *selector,
    const char *domain, struct dkim_keyrecord *kr, char *why, size_t whylen)
{
	const struct dns_answer *answer;
	enum dkim_lookup result = DKIM_LOOKUP_BROKEN;
	struct dkim_keyrecord candidate;
	char name[DKIM_DOMAIN_MAX * 2 + 16];
	char record[DKIM_RECORD_MAX];
	bool have_first = false;
	size_t len;

	why[0] = '\0';
	memset(kr, 0, sizeof(*kr));
	snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	answer = dns_lookup(dns, name, DNS_T_TXT);
	switch (answer->status) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		snprintf(why, whylen, "no key for signature (%s)",
		    dns_status_name(answer->status));
		dns_answer_free(&answer);
		return DKIM_LOOKUP_NONE;
	case DNS_BADNAME:
		snprintf(why, whylen, "invalid key name %s", name);
		dns_answer_free(&answer);
		return DKIM_LOOKUP_NONE;
	case DNS_SERVFAIL:
	case DNS_TIMEOUT:
	case DNS_ERROR:
		snprintf(why, whylen, "key lookup failed (%s)",
		    dns_status_name(answer->status));
		dns_answer_free(&answer);
		return DKIM_LOOKUP_TEMPFAIL;
	}
	/* The first usable record wins; failing that, the first record
	 * says what is wrong. */
	for (size_t i = 0; i < answer->count; i++) {
		if (!dns_rdata_txt(&answer->rr[i], record, sizeof(record),
		    &len)) {
			if (!have_first)
				snprintf(why, whylen, "key record too long");
			have_first = true;
			continue;
		}
		dkim_keyrecord_read(record, len, &candidate);
		if (candidate.valid) {
			*kr = candidate;
			why[0] = '\0';
			result = DKIM_LOOKUP_FOUND;
			break;
		}
		if (!have_first) {
			*kr = candidate;
			snprintf(why, whylen, "%s", candidate.reason);
		}
		have_first = true;
	}
	if (result != DKIM_LOOKUP_FOUND && why[0] == '\0')
		snprintf(why, whylen, "no key record");
	dns_answer_free(&answer);
	return result;
}

/* An RSA key in either form, as an EVP_PKEY; NULL if neither decodes
 * whole. */
static EVP_PKEY *
rsa_decode(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey;

	pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (pkey != NULL && p == der + len &&
	    EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
		return pkey;
	EVP_PKEY_free(pkey);
	/* The bare RSAPublicKey of RFC 6376 section 3.6.1. */
	p = der;
	pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	if (pkey != NULL && p != der + len) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

bool
dkim_key_public(const struct dkim_keyrecord *kr, unsigned char *out,
    size_t outlen, size_t *len_r, unsigned *bits_r, char *why,
    size_t whylen)
{
	EVP_PKEY *pkey;
	unsigned char *p = out;
	int len;

	if (kr->type == DKIMK_ED25519) {
		if (kr->key_len != 32 || outlen < 32) {
			snprintf(why, whylen, "Ed25519 key is not 32 bytes");
			return false;
		}
		memcpy(out, kr->key, 32);
		*len_r = 32;
		*bits_r = 256;
		return true;
	}
	pkey = rsa_decode(kr->key, kr->key_len);
	if (pkey == NULL) {
		snprintf(why, whylen, "key p= is not an RSA key");
		return false;
	}
	len = i2d_PUBKEY(pkey, NULL);
	if (len <= 0 || (size_t)len > outlen) {
		EVP_PKEY_free(pkey);
		snprintf(why, whylen, "RSA key too large");
		return false;
	}
	i2d_PUBKEY(pkey, &p);
	*len_r = (size_t)len;
	*bits_r = (unsigned)EVP_PKEY_get_bits(pkey);
	EVP_PKEY_free(pkey);
	return true;
}
