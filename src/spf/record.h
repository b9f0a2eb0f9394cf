/*
 * record.h - one SPF record parsed into its terms (RFC 7208 sections 4-6)
 *
 * spf_record_is_spf() tells whether a TXT record's text is an SPF version 1
 * record ("v=spf1", any case, then a space or the end). spf_record_parse()
 * reads the whole record, every term, before anything is evaluated, so a
 * syntax error anywhere makes the record unusable (permerror), as section
 * 4.6 requires: mechanisms with their qualifier, target domain-spec and
 * CIDR lengths; redirect= and exp= (each at most once); unknown modifiers,
 * whose values must still be valid macro strings. Domain-specs are checked
 * as macro strings ending in a macro or a valid top label, but not
 * expanded: that needs the evaluation's context.
 *
 * The record owns its memory: spf_record_free() releases it and clears the
 * caller's pointer. Pure; thread safe.
 *
 * SECURITY: records come from DNS, chosen by whoever controls the sender's
 * domain. The parser takes bytes with a length (a NUL byte is a syntax
 * error, not an end), refuses anything but printable ASCII and spaces
 * and records longer than SPF_RECORD_MAX (which bounds the number of
 * terms), and bounds every number it reads.
 */
#ifndef MXWARD_SPF_RECORD_H
#define MXWARD_SPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cidr.h"
#include "spf/spf.h"

enum spf_mechanism {
	SPF_MECH_ALL,
	SPF_MECH_INCLUDE,
	SPF_MECH_A,
	SPF_MECH_MX,
	SPF_MECH_PTR,
	SPF_MECH_IP4,
	SPF_MECH_IP6,
	SPF_MECH_EXISTS,
};

struct spf_term {
	enum spf_mechanism mechanism;
	enum spf_result qualifier; /* PASS, FAIL, SOFTFAIL or NEUTRAL */
	const char *text;          /* the term as written, for reasons */
	const char *domain_spec;   /* target, unexpanded; NULL: <domain> */
	struct cidr network;       /* ip4, ip6 */
	unsigned cidr4, cidr6;     /* a, mx: prefix lengths (32, 128) */
};

struct spf_record {
	struct spf_term *terms;
	size_t n_terms;
	const char *redirect;      /* domain-spec, or NULL */
	const char *exp;           /* domain-spec, or NULL */
	bool has_all;              /* an "all" anywhere: redirect is ignored */
	char *storage;             /* the terms' text, NUL-separated */
};

/* Does this TXT text select itself as an SPF record? */
bool spf_record_is_spf(const char *text, size_t len);

/* Parse a record (with its "v=spf1"); NULL with err filled when it is not
 * valid. */
struct spf_record *spf_record_parse(const char *text, size_t len, char *err,
    size_t errlen);
void spf_record_free(struct spf_record **record_p);

/* Mechanism names ("all", "include", ...) for logs and tests. */
const char *spf_mechanism_name(enum spf_mechanism mechanism);

#endif
