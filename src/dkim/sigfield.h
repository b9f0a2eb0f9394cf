/*
 * sigfield.h - DKIM tag=value lists: signature fields and key records
 *
 * dkim_taglist_split() splits an RFC 6376 section 3.2 tag-list into tags
 * (pointers into the input, tag values with surrounding FWS trimmed).
 * dkim_sigfield_read() reads one DKIM-Signature field value and checks it
 * against RFC 6376 sections 3.5 and 6.1.1; it fills what it could read
 * (d=, s=, a=, the start of b=, i=) even when the field is malformed, so
 * every signature can be reported with its own result. dkim_keyrecord_read()
 * reads one key record (section 3.6.1) and decodes its p= key from base64.
 * dkim_base64_read() is the decoder they share. dkim_field_next() walks
 * the header fields of a message for verify.c and sign.c, which hand
 * libopendkim messages made CRLF throughout by dkim_crlf().
 *
 * These functions are pure: no I/O, no allocation, no state; thread safe.
 * mxward reads signatures and key records itself, before libopendkim sees
 * them, because libopendkim drops malformed signatures silently and
 * misreads some records RFC 6376 allows (see verify.c).
 *
 * SECURITY: both kinds of input come from the network (the message, DNS).
 * Every function takes bytes with a length and never reads past it; a
 * tag-list holds at most DKIM_TAGS_MAX tags, each output field is bounded
 * by its buffer (longer values are refused, not truncated, where they
 * matter), and base64 output never exceeds the caller's buffer. Fuzzed by
 * fuzz/fuzz_dkim_sigfield.c.
 */
#ifndef MXWARD_DKIM_SIGFIELD_H
#define MXWARD_DKIM_SIGFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DKIM_TAGS_MAX 32          /* tags in one tag-list */
#define DKIM_DOMAIN_MAX 253       /* d=, s= as text */
#define DKIM_IDENTITY_MAX 320     /* i= as text */
#define DKIM_REASON_MAX 96
#define DKIM_KEY_DER_MAX 2600     /* decoded p=: an 8192-bit RSA key, DER */

struct dkim_tag {
	const char *name;
	size_t name_len;
	const char *value;        /* FWS around it removed, inner FWS kept */
	size_t value_len;
};

/* Split text[0..len) into at most max tags. False with *why_r on a syntax
 * error, a duplicate tag or too many tags; the tags before the error are
 * kept in tags[0..*n_r) either way. */
bool dkim_taglist_split(const char *text, size_t len, struct dkim_tag *tags,
    size_t max, size_t *n_r, const char **why_r);

/* Signing algorithms (a=). Prefixed DKIMA_ so as not to meet libopendkim's
 * DKIM_SIGN_* names. */
enum dkim_alg {
	DKIMA_UNKNOWN,
	DKIMA_RSA_SHA1,
	DKIMA_RSA_SHA256,
	DKIMA_ED25519_SHA256,
};

struct dkim_sigfield {
	bool valid;                          /* every check passed */
	char reason[DKIM_REASON_MAX];        /* why not, or "" */
	char domain[DKIM_DOMAIN_MAX + 1];    /* d=, "" when unreadable */
	char selector[DKIM_DOMAIN_MAX + 1];  /* s= */
	char algorithm[32];                  /* a= as written */
	enum dkim_alg alg;
	char b[9];                           /* first 8 characters of b=,
	                                        FWS removed (RFC 6008) */
	char identity[DKIM_IDENTITY_MAX + 1]; /* i=, "" when absent */
	bool has_timestamp, has_expiry;
	uint64_t timestamp;                  /* t= */
	uint64_t expiry;                     /* x= */
};

/* Read and check one DKIM-Signature value (the text after the colon).
 * Always fills *sf; sf->valid says whether it may be verified. */
void dkim_sigfield_read(const char *value, size_t len,
    struct dkim_sigfield *sf);

enum dkim_keytype {
	DKIMK_UNKNOWN,
	DKIMK_RSA,
	DKIMK_ED25519,
};

struct dkim_keyrecord {
	bool valid;                          /* usable for some signature */
	char reason[DKIM_REASON_MAX];        /* why not, or "" */
	bool revoked;                        /* p= empty */
	enum dkim_keytype type;              /* k=, rsa when absent */
	bool allows_sha1, allows_sha256;     /* h=, both when absent */
	bool testing;                        /* t=y */
	bool same_domain;                    /* t=s: i= domain must be d= */
	unsigned char key[DKIM_KEY_DER_MAX]; /* p= decoded */
	size_t key_len;
};

/* Read one key record (a TXT record's strings joined). Always fills *kr. */
void dkim_keyrecord_read(const char *text, size_t len,
    struct dkim_keyrecord *kr);

/* The next header field of msg[0..len) at *pos: [*start_r, +*len_r)
 * without its line end (CRLF or LF; folded lines are part of it), *pos
 * moved past it. False at the empty line that ends the header, or at the
 * end of msg. */
bool dkim_field_next(const unsigned char *msg, size_t len, size_t *pos,
    size_t *start_r, size_t *len_r);
/* Where the body starts when dkim_field_next() stopped at pos: after the
 * empty line, or len. */
size_t dkim_body_start(const unsigned char *msg, size_t len, size_t pos);

/* msg with every bare LF (and bare CR) made CRLF, xmalloc()ed, or NULL
 * when msg needs no change. */
unsigned char *dkim_crlf(const unsigned char *msg, size_t len, size_t *len_r);

/* Decode base64 in text[0..len), skipping FWS, into out (at most outlen
 * bytes). False on a character outside the alphabet, misplaced padding or
 * output that does not fit. */
bool dkim_base64_read(const char *text, size_t len, unsigned char *out,
    size_t outlen, size_t *len_r);

#endif
