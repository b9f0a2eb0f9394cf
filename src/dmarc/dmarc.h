/*
 * dmarc.h - DMARC evaluation (RFC 7489, optionally RFC 9989) on the shared
 * resolver
 *
 * The pieces, in the order a message meets them:
 *
 *   dmarc_from_parse()     the RFC5322.From domains of a message (GMime's
 *                          address parser; IDNs as A-labels, lowercase)
 *   dmarc_psl_load()       the Public Suffix List, for Organizational
 *   dmarc_psl_registrable() Domains (libpsl)
 *   dmarc_record_parse()   one DMARC policy record (libopendmarc parses the
 *                          RFC 7489 tags; the RFC 9989 tags np, psd and t,
 *                          which libopendmarc 1.4.2 ignores, are read here)
 *   dmarc_evaluate()       policy discovery (RFC 7489 with the PSL, or the
 *                          RFC 9989 DNS Tree Walk), identifier alignment of
 *                          the SPF and DKIM results that passed, the result
 *                          and the policy the domain owner asks for
 *
 * Alignment and Organizational Domains are computed here rather than by
 * libopendmarc: its 1.4.2 alignment check calls From: example.com with
 * d=mail.example.com aligned in strict mode, and its suffix table gets 41
 * of the Public Suffix List's 78 official test cases wrong (wildcards,
 * exceptions, IDNs); libpsl gets all 78 right. libopendmarc never asks DNS
 * here: records are looked up through dns_lookup() and handed to it.
 *
 * What the postmaster does with the result (reject, quarantine, score) is
 * the check's business (checks/check_dmarc.c), not this module's.
 *
 * Thread safety: a loaded PSL is immutable and may be shared by all
 * threads; every other function keeps no state outside its arguments.
 *
 * SECURITY: From fields come from the sender, DMARC records from DNS data
 * a third party controls. The From parser reads at most
 * DMARC_FROM_FIELDS_MAX fields through mime_header_next() (bounded by
 * MIME_HEADER_MAX) and keeps at most DMARC_FROM_MAX domains; records are
 * at most DMARC_RECORD_MAX bytes, with a NUL byte making a record invalid;
 * a DNS Tree Walk makes at most DMARC_WALK_MAX queries (RFC 9989 4.10),
 * and one evaluation walks for at most DMARC_ALIGN_WALKS_MAX authenticated
 * identifiers. Both parsers have fuzz harnesses (fuzz/fuzz_dmarc_from.c,
 * fuzz/fuzz_dmarc_record.c).
 */
#ifndef MXWARD_DMARC_DMARC_H
#define MXWARD_DMARC_DMARC_H

#include <stdbool.h>
#include <stddef.h>

struct dns_resolver;

#define DMARC_DOMAIN_MAX 254      /* a domain name and its NUL */
#define DMARC_RECORD_MAX 4096     /* bytes of one record's text */
#define DMARC_URIS_MAX 512        /* bytes of rua/ruf kept, comma-separated */
#define DMARC_FROM_MAX 4          /* distinct From domains kept */
#define DMARC_FROM_FIELDS_MAX 16  /* From fields looked at */
#define DMARC_WALK_MAX 8          /* queries in one DNS Tree Walk */
#define DMARC_ALIGN_WALKS_MAX 8   /* identifiers walked for alignment */

enum dmarc_result {
	DMARC_RESULT_NONE,      /* no policy record: DMARC does not apply */
	DMARC_RESULT_PASS,
	DMARC_RESULT_FAIL,
	DMARC_RESULT_TEMPERROR, /* DNS could not tell */
	DMARC_RESULT_PERMERROR, /* the record (or the From domain) is broken */
};

/* A p=, sp= or np= value ("dmarc-request"; libopendmarc's dmarc.h owns
 * the DMARC_POLICY_ prefix). */
enum dmarc_policy {
	DMARC_REQ_UNSET,        /* tag absent */
	DMARC_REQ_NONE,
	DMARC_REQ_QUARANTINE,
	DMARC_REQ_REJECT,
};

/* How Organizational Domains and policy records are found. */
enum dmarc_org_mode {
	DMARC_ORG_PSL,          /* RFC 7489: the Public Suffix List */
	DMARC_ORG_TREE_WALK,    /* RFC 9989: the DNS Tree Walk, psd=, t= */
};

/* RFC 8601 result name: "none", "pass", "fail", "temperror", "permerror". */
const char *dmarc_result_name(enum dmarc_result result);
/* "none", "quarantine", "reject"; NULL for DMARC_REQ_UNSET. */
const char *dmarc_policy_name(enum dmarc_policy policy);

/* ---- Public Suffix List (libpsl) ---- */

struct dmarc_psl;

/* Load a list in the publicsuffix.org format; NULL with err filled when
 * the file cannot be read or holds no rule. */
struct dmarc_psl *dmarc_psl_load(const char *path, char *err, size_t errlen);
void dmarc_psl_free(struct dmarc_psl **psl_p);
/* The registrable domain of name (public suffix plus one label), lowercase,
 * into out; false when name is itself a public suffix, is not a valid name,
 * or the result does not fit. name may be UTF-8 or A-labels. */
bool dmarc_psl_registrable(const struct dmarc_psl *psl, const char *name,
    char *out, size_t outlen);

/* ---- the RFC5322.From domains of a message ---- */

enum dmarc_from_status {
	DMARC_FROM_OK,          /* exactly one domain: domains[0] */
	DMARC_FROM_ABSENT,      /* no From field */
	DMARC_FROM_NO_DOMAIN,   /* From fields, none with a usable domain */
	DMARC_FROM_MULTIPLE,    /* addresses in several domains */
};

struct dmarc_from {
	size_t n_fields;        /* From fields seen (counting stops at
	                           DMARC_FROM_FIELDS_MAX) */
	size_t n_addresses;     /* mailboxes in them */
	size_t n_unusable;      /* mailboxes without a usable domain */
	size_t n_domains;       /* distinct domains kept, <= DMARC_FROM_MAX */
	char domains[DMARC_FROM_MAX][DMARC_DOMAIN_MAX];
};

/* Read the From fields of message (header fields, an empty line, the
 * body; only the header is read). A mailbox's domain is usable when it is
 * a valid host name once converted to A-labels; a domain literal, a
 * mailbox without a domain or a group without members is not. Mailboxes
 * that are unusable do not count as another domain when a usable one is
 * there. Always fills *from. */
enum dmarc_from_status dmarc_from_parse(const unsigned char *message,
    size_t len, struct dmarc_from *from);
/* GMime's one-time initialisation; call before threads use
 * dmarc_from_parse() (it is also done on first use). */
void dmarc_from_init(void);

/* ---- one DMARC policy record ---- */

struct dmarc_record {
	enum dmarc_policy p, sp, np;  /* p is never UNSET in a valid record */
	bool adkim_strict, aspf_strict;
	int pct;                      /* 0..100; 100 when absent */
	char psd;                     /* 'y', 'n' or 'u' (RFC 9989) */
	bool testing;                 /* t=y (RFC 9989) */
	char fo[16];                  /* as published, "" when absent */
	char rua[DMARC_URIS_MAX];     /* comma-separated URIs, "" if none */
	char ruf[DMARC_URIS_MAX];
};

enum dmarc_record_status {
	DMARC_REC_VALID,
	DMARC_REC_NOT_DMARC,  /* does not start with v=DMARC1: ignored */
	DMARC_REC_INVALID,    /* a DMARC record that cannot be used */
};

/* Does the text start with the version tag "v=DMARC1" (RFC 7489 6.4)? */
bool dmarc_record_is_dmarc(const char *text, size_t len);
/* Parse one record. A record whose p= is missing or whose tags
 * libopendmarc refuses is read as p=none when it names a rua= address
 * (RFC 7489 6.6.3; in DMARC_ORG_TREE_WALK mode a missing p= is always
 * p=none, RFC 9989 4.7), else it is INVALID with the reason in err. */
enum dmarc_record_status dmarc_record_parse(const char *text, size_t len,
    enum dmarc_org_mode mode, struct dmarc_record *rec, char *err,
    size_t errlen);

/* ---- evaluation ---- */

struct dmarc_request {
	enum dmarc_org_mode mode;
	const struct dmarc_psl *psl;   /* needed for DMARC_ORG_PSL */
	struct dns_resolver *dns;
	const char *from_domain;       /* the RFC5322.From domain */
	const char *spf_domain;        /* the SPF-authenticated identifier
	                                  (SPF pass), or NULL */
	const char *const *dkim_domains; /* d= of each signature that passed */
	size_t n_dkim;
};

struct dmarc_outcome {
	enum dmarc_result result;
	bool record_found;             /* record holds the applied record */
	struct dmarc_record record;
	char policy_domain[DMARC_DOMAIN_MAX]; /* where record was found */
	char org_domain[DMARC_DOMAIN_MAX];    /* of the From domain, or "" */
	enum dmarc_policy policy;      /* asked for: p, sp or np */
	const char *policy_tag;        /* "p", "sp" or "np"; NULL if none */
	enum dmarc_policy applied;     /* after pct sampling or t=y (fail
	                                  only; else DMARC_REQ_NONE) */
	const char *override;          /* why applied differs from policy:
	                                  "sampled_out", "policy_test_mode",
	                                  or NULL */
	bool spf_aligned, dkim_aligned;
	bool exact_pass;               /* an identifier identical to the From
	                                  domain passed: whatever the record
	                                  says, the result cannot be fail */
	unsigned queries;              /* DNS lookups made */
	char reason[200];              /* for anything but pass, or "" */
};

/* Evaluate DMARC for one message; always fills *out. */
void dmarc_evaluate(const struct dmarc_request *req,
    struct dmarc_outcome *out);

#endif
