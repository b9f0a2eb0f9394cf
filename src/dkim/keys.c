/*
 * keys.c - the key table and the signing table (in OpenDKIM's terms)
 *
 * See dkim.h. A key table entry names a key: "NAME DOMAIN SELECTOR
 * KEYFILE". The file holds an RSA (1024 bits or more, RFC 8301) or Ed25519
 * private key in PEM (PKCS#8 or traditional) or DER, or an Ed25519 seed as
 * one line of base64 (the form of RFC 8463 appendix A and of dkimpy). It
 * is read once, when the policy is loaded, and kept as PKCS#8 PEM, the
 * form libopendkim's dkim_sign() reads for both key types; so a reload
 * re-reads every key. A signing table rule maps senders to keys: "PATTERN
 * NAME[,NAME...]"; the first rule whose pattern matches wins, and all its
 * keys sign (an RSA and an Ed25519 signature at once, say).
 *
 * Thread safety: a table is built by one thread, then read-only.
 *
 * SECURITY: key files are admin input: read with a size limit
 * (KEYFILE_MAX), never logged. Sender addresses come from messages:
 * pattern matching is iterative, without recursion, and linear in the
 * address length for each "*".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/xalloc.h"
#include "dkim/dkim.h"
#include "dkim/lookup.h"

#define KEYFILE_MAX (64 * 1024)
#define RSA_MIN_BITS 1024

struct keytable_rule {
	char *pattern;
	size_t keys[DKIM_SELECT_MAX];  /* indexes into keys[] */
	size_t n_keys;
};

struct dkim_keytable {
	struct dkim_key *keys;
	size_t n_keys;
	struct keytable_rule *rules;
	size_t n_rules;
};

struct dkim_keytable *
dkim_keytable_new(void)
{
	return xcalloc(1, sizeof(struct dkim_keytable));
}

static void
key_clear(struct dkim_key *k)
{
	free(k->name);
	free(k->domain);
	free(k->selector);
	free(k->path);
	if (k->pem != NULL) {
		/* Private key material: wiped before it goes. */
		memset(k->pem, 0, strlen(k->pem));
		free(k->pem);
	}
	free(k->public_key);
}

void
dkim_keytable_free(struct dkim_keytable **kt_p)
{
	struct dkim_keytable *kt = *kt_p;

	if (kt == NULL)
		return;
	for (size_t i = 0; i < kt->n_keys; i++)
		key_clear(&kt->keys[i]);
	for (size_t i = 0; i < kt->n_rules; i++)
		free(kt->rules[i].pattern);
	free(kt->keys);
	free(kt->rules);
	free(kt);
	*kt_p = NULL;
}

/* Split spec into at most max words at spaces and tabs, in place. */
static size_t
words(char *spec, char **w, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *t = strtok_r(spec, " \t", &save); t != NULL;
	    t = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = t;
	}
	return n;
}

/* Read path whole into buf (NUL-terminated); false with err. */
static bool
file_read(const char *path, char *buf, size_t bufsize, size_t *len_r,
    char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t len;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	len = fread(buf, 1, bufsize - 1, f);
	if (ferror(f) || !feof(f)) {
		snprintf(err, errlen, "%s: %s", path, ferror(f) ?
		    "read error" : "too large for a key file");
		fclose(f);
		return false;
	}
	fclose(f);
	buf[len] = '\0';
	*len_r = len;
	return true;
}

/* An Ed25519 key from one line of base64 holding the 32-byte seed. */
static EVP_PKEY *
seed_decode(const char *text, size_t len)
{
	unsigned char seed[32];
	size_t n;
	EVP_PKEY *pkey;

	if (!dkim_base64_read(text, len, seed, sizeof(seed), &n) || n != 32)
		return NULL;
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, n);
	memset(seed, 0, sizeof(seed));
	return pkey;
}

/* The private key in buf, in any of the forms the header lists. */
static EVP_PKEY *
key_decode(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	EVP_PKEY *pkey = NULL;
	BIO *bio;

	if (strstr(buf, "-----BEGIN") != NULL) {
		bio = BIO_new_mem_buf(buf, (int)len);
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
		return pkey;
	}
	pkey = d2i_AutoPrivateKey(NULL, &p, (long)len);
	if (pkey != NULL)
		return pkey;
	return seed_decode(buf, len);
}

/* Fill k's key fields from pkey; false with err for an unusable key. */
static bool
key_fill(struct dkim_key *k, EVP_PKEY *pkey, char *err, size_t errlen)
{
	BIO *bio;
	unsigned char *der;
	char *data;
	long n;
	int len;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		k->type = DKIMK_RSA;
		k->bits = (unsigned)EVP_PKEY_get_bits(pkey);
		if (k->bits < RSA_MIN_BITS) {
			snprintf(err, errlen, "%s: RSA key of %u bits; RFC 8301 "
			    "asks for %u or more", k->path, k->bits,
			    RSA_MIN_BITS);
			return false;
		}
		len = i2d_PUBKEY(pkey, NULL);
		k->public_key = xmalloc((size_t)len);
		der = k->public_key;
		i2d_PUBKEY(pkey, &der);
		k->public_len = (size_t)len;
		break;
	case EVP_PKEY_ED25519:
		k->type = DKIMK_ED25519;
		k->bits = 256;
		k->public_len = 32;
		k->public_key = xmalloc(32);
		EVP_PKEY_get_raw_public_key(pkey, k->public_key,
		    &k->public_len);
		break;
	default:
		snprintf(err, errlen, "%s: neither an RSA nor an Ed25519 key",
		    k->path);
		return false;
	}
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &data);
	k->pem = xstrndup(data, (size_t)n);
	BIO_free(bio);
	return true;
}

/* Load the key file of k. */
static bool
key_load(struct dkim_key *k, char *err, size_t errlen)
{
	char *buf = xmalloc(KEYFILE_MAX + 1);
	EVP_PKEY *pkey = NULL;
	size_t len;
	bool good = false;

	if (file_read(k->path, buf, KEYFILE_MAX + 1, &len, err, errlen)) {
		pkey = key_decode(buf, len);
		if (pkey == NULL)
			snprintf(err, errlen, "%s: not a private key (PEM, DER "
			    "or a base64 Ed25519 seed)", k->path);
		else
			good = key_fill(k, pkey, err, errlen);
	}
	EVP_PKEY_free(pkey);
	memset(buf, 0, KEYFILE_MAX + 1);
	free(buf);
	return good;
}

/* The key called name, or -1. */
static long
key_find(const struct dkim_keytable *kt, const char *name)
{
	for (size_t i = 0; i < kt->n_keys; i++)
		if (strcmp(kt->keys[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* A selector or domain: letters, digits, '-', '_' and dots. */
static bool
name_ok(const char *s)
{
	if (*s == '\0' || *s == '.' || strlen(s) > DKIM_DOMAIN_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return false;
	return s[-1] != '.';
}

bool
dkim_keytable_add_key(struct dkim_keytable *kt, const char *spec, char *err,
    size_t errlen)
{
	char *copy = xstrdup(spec), *w[4];
	struct dkim_key k = { 0 };
	bool good = false;

	if (words(copy, w, 4) != 4)
		snprintf(err, errlen, "\"%s\": want NAME DOMAIN SELECTOR "
		    "KEYFILE", spec);
	else if (key_find(kt, w[0]) >= 0)
		snprintf(err, errlen, "key %s: named twice", w[0]);
	else if (!name_ok(w[1]) || !name_ok(w[2]))
		snprintf(err, errlen, "key %s: bad domain or selector", w[0]);
	else {
		k.name = xstrdup(w[0]);
		k.domain = xstrdup(w[1]);
		k.selector = xstrdup(w[2]);
		k.path = xstrdup(w[3]);
		good = key_load(&k, err, errlen);
	}
	free(copy);
	if (!good) {
		key_clear(&k);
		return false;
	}
	kt->keys = xrealloc(kt->keys, (kt->n_keys + 1) * sizeof(*kt->keys));
	kt->keys[kt->n_keys++] = k;
	return true;
}

bool
dkim_keytable_add_rule(struct dkim_keytable *kt, const char *spec, char *err,
    size_t errlen)
{
	char *copy = xstrdup(spec), *w[2], *save = NULL;
	struct keytable_rule r = { 0 };
	long i;

	if (words(copy, w, 2) != 2) {
		snprintf(err, errlen, "\"%s\": want PATTERN KEYNAME[,KEYNAME]",
		    spec);
		free(copy);
		return false;
	}
	for (char *name = strtok_r(w[1], ",", &save); name != NULL;
	    name = strtok_r(NULL, ",", &save)) {
		if ((i = key_find(kt, name)) < 0) {
			snprintf(err, errlen, "rule %s: no key named %s", w[0],
			    name);
			free(copy);
			return false;
		}
		if (r.n_keys == DKIM_SELECT_MAX) {
			snprintf(err, errlen, "rule %s: more than %d keys",
			    w[0], DKIM_SELECT_MAX);
			free(copy);
			return false;
		}
		r.keys[r.n_keys++] = (size_t)i;
	}
	r.pattern = xstrdup(w[0]);
	free(copy);
	kt->rules = xrealloc(kt->rules, (kt->n_rules + 1) *
	    sizeof(*kt->rules));
	kt->rules[kt->n_rules++] = r;
	return true;
}

/* Does text match pattern, "*" matching any run, case ignored? The usual
 * iterative walk: on a mismatch, back up to just after the last "*". */
static bool
glob_match(const char *pattern, const char *text)
{
	const char *star = NULL, *resume = NULL;

	while (*text != '\0') {
		if (*pattern == '*') {
			star = pattern++;
			resume = text;
		} else if (tolower((unsigned char)*pattern) ==
		    tolower((unsigned char)*text)) {
			pattern++;
			text++;
		} else if (star != NULL) {
			pattern = star + 1;
			text = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

size_t
dkim_keytable_select(const struct dkim_keytable *kt, const char *address,
    const struct dkim_key **keys_r)
{
	const char *at = strrchr(address, '@');
	const char *domain = at ? at + 1 : address;

	for (size_t i = 0; i < kt->n_rules; i++) {
		const struct keytable_rule *r = &kt->rules[i];

		if (!glob_match(r->pattern, strchr(r->pattern, '@') ?
		    address : domain))
			continue;
		for (size_t j = 0; j < r->n_keys; j++)
			keys_r[j] = &kt->keys[r->keys[j]];
		return r->n_keys;
	}
	return 0;
}

size_t
dkim_keytable_count(const struct dkim_keytable *kt)
{
	return kt->n_keys;
}

const struct dkim_key *
dkim_keytable_key(const struct dkim_keytable *kt, size_t i)
{
	return &kt->keys[i];
}

enum dkim_keydns
dkim_key_check_dns(const struct dkim_key *key, struct dns_resolver *dns,
    char *why, size_t whylen)
{
	struct dkim_keyrecord kr;
	unsigned char der[DKIM_KEY_DER_MAX];
	size_t len;
	unsigned bits;

	switch (dkim_key_lookup(dns, key->selector, key->domain, &kr, why,
	    whylen)) {
	case DKIM_LOOKUP_NONE:
		return DKIM_KEYDNS_MISSING;
	case DKIM_LOOKUP_TEMPFAIL:
		return DKIM_KEYDNS_TEMPFAIL;
	case DKIM_LOOKUP_BROKEN:
		return DKIM_KEYDNS_BROKEN;
	case DKIM_LOOKUP_FOUND:
		break;
	}
	if (kr.type != key->type) {
		snprintf(why, whylen, "the record is for another key type");
		return DKIM_KEYDNS_MISMATCH;
	}
	if (!dkim_key_public(&kr, der, sizeof(der), &len, &bits, why, whylen))
		return DKIM_KEYDNS_BROKEN;
	if (len != key->public_len || memcmp(der, key->public_key, len) != 0) {
		snprintf(why, whylen, "the record holds another key");
		return DKIM_KEYDNS_MISMATCH;
	}
	snprintf(why, whylen, "the record matches");
	return DKIM_KEYDNS_MATCH;
}
