/*
 * dkim.h - DKIM verification and signing (RFC 6376, 8301, 8463) on
 *          libopendkim, with keys from the shared resolver
 *
 * Verifying: dkim_verifier_new() makes a verifier for one set of policy
 * settings; dkim_verify_message() checks every DKIM-Signature field of a
 * message, up to max_signatures, and reports each one with its own result
 * (dkim_result_name(): pass, fail, neutral, policy, temperror, permerror)
 * and reason. Signatures mxward's own reader finds malformed are reported
 * as permerror, beyond max_signatures as policy; key records are fetched
 * through the resolver (never by libopendkim), checked, and handed to
 * libopendkim in a form it reads correctly (verify.c says which).
 *
 * Signing: dkim_signer_new() makes a signer for one set of settings
 * (canonicalization, header fields to sign and oversign, expiry);
 * dkim_signer_sign() returns the DKIM-Signature value for one message
 * and one key. Keys come from a key table (keys.c): dkim_keytable_add_key()
 * loads "NAME DOMAIN SELECTOR KEYFILE" (RSA or Ed25519, PEM or DER, or a
 * base64 Ed25519 seed), dkim_keytable_add_rule() adds "PATTERN NAME[,NAME]"
 * to the signing table, and dkim_keytable_select() finds the keys for a
 * sender address (first matching rule wins). dkim_key_check_dns() compares
 * a key with its published record, for `mxward check`.
 *
 * Ownership: verifiers, signers and key tables are immutable once built
 * and may be used from many threads at once; each holds its own
 * libopendkim library handle. Results are plain structs the caller owns.
 *
 * SECURITY: messages and DNS data come from the network. Field and record
 * text is read by the bounded readers of sigfield.h before libopendkim
 * sees it; a message is read only within its length; at most
 * DKIM_VERIFY_MAX signatures are kept and max_signatures verified, so a
 * message with thousands of signatures costs no more than a few. Key files
 * are admin input, read with a size limit.
 */
#ifndef MXWARD_DKIM_DKIM_H
#define MXWARD_DKIM_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dkim/sigfield.h"

struct dns_resolver;

#define DKIM_VERIFY_MAX 16    /* signatures reported per message */

/* RFC 8601 section 2.7.1 results. Prefixed DKIMR_ so as not to meet
 * libopendkim's names. */
enum dkim_result {
	DKIMR_PASS,
	DKIMR_FAIL,
	DKIMR_NEUTRAL,
	DKIMR_POLICY,
	DKIMR_TEMPERROR,
	DKIMR_PERMERROR,
};

/* What becomes of a signature RFC 8301 deprecates (rsa-sha1, small RSA
 * keys). */
enum dkim_deprecated {
	DKIM_DEPRECATED_PERMERROR,
	DKIM_DEPRECATED_POLICY,
	DKIM_DEPRECATED_ACCEPT,
};

struct dkim_verify_settings {
	unsigned max_signatures;       /* 1..DKIM_VERIFY_MAX */
	enum dkim_deprecated rsa_sha1;
	unsigned min_key_bits;         /* RSA keys below this are weak */
	enum dkim_deprecated weak_keys;
};

struct dkim_sig_result {
	enum dkim_result result;
	char domain[DKIM_DOMAIN_MAX + 1];   /* d=, "" when unreadable */
	char selector[DKIM_DOMAIN_MAX + 1]; /* s= */
	char algorithm[32];                 /* a= */
	char b[9];                          /* header.b (RFC 6008) */
	char identity[DKIM_IDENTITY_MAX + 1]; /* i=, "" when absent */
	char reason[DKIM_REASON_MAX];       /* "" for pass */
	unsigned key_bits;                  /* 0 when no key was read */
};

struct dkim_verification {
	size_t n_seen;                      /* DKIM-Signature fields */
	size_t n;                           /* reported in sig[] */
	struct dkim_sig_result sig[DKIM_VERIFY_MAX];
};

struct dkim_verifier;

struct dkim_verifier *dkim_verifier_new(
    const struct dkim_verify_settings *settings, char *err, size_t errlen);
void dkim_verifier_free(struct dkim_verifier **v_p);

/* Verify msg[0..len) (header fields, an empty line, the body; CRLF or LF
 * line ends) asking dns for keys; always fills *out. */
void dkim_verify_message(const struct dkim_verifier *v,
    struct dns_resolver *dns, const unsigned char *msg, size_t len,
    struct dkim_verification *out);

/* "pass", "fail", ... */
const char *dkim_result_name(enum dkim_result result);

/* ---- signing ---- */

enum dkim_canon {
	DKIMC_RELAXED,
	DKIMC_SIMPLE,
};

struct dkim_sign_settings {
	enum dkim_canon header_canon, body_canon;
	const char *const *signed_headers;     /* NULL-terminated */
	const char *const *oversigned_headers; /* NULL-terminated, or NULL */
	uint64_t expiry_s;                     /* x= after t=; 0: none */
};

struct dkim_key {
	char *name;
	char *domain;                /* d= */
	char *selector;              /* s= */
	char *path;                  /* the key file */
	enum dkim_keytype type;
	unsigned bits;               /* RSA modulus bits, 256 for Ed25519 */
	char *pem;                   /* the private key, PKCS#8 PEM */
	unsigned char *public_key;   /* what p= must decode to: DER
	                                SubjectPublicKeyInfo for RSA, the raw
	                                32 bytes for Ed25519 */
	size_t public_len;
};

struct dkim_signer;

struct dkim_signer *dkim_signer_new(const struct dkim_sign_settings *settings,
    char *err, size_t errlen);
void dkim_signer_free(struct dkim_signer **s_p);

/* The DKIM-Signature value (what follows "DKIM-Signature: ", unfolded)
 * for msg[0..len) signed with key, xmalloc()ed; NULL with err when the
 * message cannot be signed. */
char *dkim_signer_sign(const struct dkim_signer *s, const struct dkim_key *key,
    const unsigned char *msg, size_t len, char *err, size_t errlen);

/* ---- the key table and the signing table ---- */

#define DKIM_SELECT_MAX 4    /* keys one signing rule may name */

struct dkim_keytable;

struct dkim_keytable *dkim_keytable_new(void);
void dkim_keytable_free(struct dkim_keytable **kt_p);
/* "NAME DOMAIN SELECTOR KEYFILE": load the key file. */
bool dkim_keytable_add_key(struct dkim_keytable *kt, const char *spec,
    char *err, size_t errlen);
/* "PATTERN NAME[,NAME...]": PATTERN with "@" is matched against the whole
 * address, else against its domain; "*" matches any run of characters;
 * case is ignored. Every NAME must be in the key table already. */
bool dkim_keytable_add_rule(struct dkim_keytable *kt, const char *spec,
    char *err, size_t errlen);
/* The keys of the first rule matching address ("local@domain"), at most
 * DKIM_SELECT_MAX; 0 when none matches. */
size_t dkim_keytable_select(const struct dkim_keytable *kt,
    const char *address, const struct dkim_key **keys_r);
size_t dkim_keytable_count(const struct dkim_keytable *kt);
const struct dkim_key *dkim_keytable_key(const struct dkim_keytable *kt,
    size_t i);

enum dkim_keydns {
	DKIM_KEYDNS_MATCH,      /* the record holds this key */
	DKIM_KEYDNS_MISSING,    /* no record (NXDOMAIN, no TXT) */
	DKIM_KEYDNS_MISMATCH,   /* a record, with another key */
	DKIM_KEYDNS_BROKEN,     /* a record that is not a usable key */
	DKIM_KEYDNS_TEMPFAIL,   /* DNS did not answer */
};

/* Compare key with SELECTOR._domainkey.DOMAIN; why says what was found. */
enum dkim_keydns dkim_key_check_dns(const struct dkim_key *key,
    struct dns_resolver *dns, char *why, size_t whylen);

#endif
