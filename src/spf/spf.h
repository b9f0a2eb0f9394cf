/*
 * spf.h - Sender Policy Framework (RFC 7208) evaluation
 *
 * spf_check() evaluates check_host() for one identity: the client address,
 * the domain to check, the sender ("local@domain"; "postmaster@HELO" for
 * the HELO identity) and the HELO name, asking DNS through the shared
 * resolver. It returns one of the seven results with, for fail, the
 * expanded explanation (exp=), and for errors the reason. Two engines
 * compute it: mxward's own evaluator (SPF_ENGINE_MXWARD, the default;
 * eval.c, record.c, macro.c) and libspf2 (SPF_ENGINE_LIBSPF2; libspf2.c),
 * kept because postmasters know it; both use the same resolver.
 *
 * The evaluator applies RFC 7208's limits: at most 10 DNS-querying terms
 * (include, a, mx, ptr, exists, redirect) across includes and redirects,
 * at most 2 void lookups, more than 10 MX records for one mx a
 * permerror, only the first 10 PTR names looked at, 20 seconds in all,
 * and permerror for any syntax error anywhere in a record that is used.
 * libspf2 keeps its own ways, except that its missing results are mapped
 * (a record that does not compile: permerror; DNS: temperror) and an
 * IPv4-mapped client reaches it as IPv4.
 *
 * A fail without an explanation of the domain's own gets
 * default_explanation, expanded like one (from either engine).
 *
 * Thread safe: no state outside the call. Memory: bounded by the limits
 * above and SPF_RECORD_MAX per record.
 *
 * SECURITY: records, macro expansions and explanation strings come from
 * DNS data the sender controls. The record parser and the macro expander
 * take bytes with a length, do no I/O, bound every output buffer, and are
 * fuzzed (fuzz/fuzz_spf_record.c, fuzz/fuzz_spf_macro.c).
 */
#ifndef MXWARD_SPF_SPF_H
#define MXWARD_SPF_SPF_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "core/cidr.h"

struct dns_resolver;

#define SPF_RECORD_MAX 4096      /* bytes of one record's text */
#define SPF_EXPLANATION_MAX 512

/* Prefixed SPFR_ so as not to meet libspf2's SPF_RESULT_* names. */
enum spf_result {
	SPFR_NONE,
	SPFR_NEUTRAL,
	SPFR_PASS,
	SPFR_FAIL,
	SPFR_SOFTFAIL,
	SPFR_TEMPERROR,
	SPFR_PERMERROR,
};

enum spf_engine {
	SPF_ENGINE_MXWARD,
	SPF_ENGINE_LIBSPF2,
};

struct spf_request {
	struct ip_addr client_ip;  /* IPv4-mapped IPv6 is checked as IPv4 */
	const char *domain;        /* <domain> of check_host() */
	const char *sender;        /* <sender>: "local@domain" */
	const char *helo;          /* the HELO/EHLO name, for %{h}; may be NULL */
	const char *receiver;      /* our host name, for %{r} in explanations */
	/* The explanation of a fail whose domain gives none (no exp=, or
	 * exp= unusable): a macro string like exp= text, or NULL for "". */
	const char *default_explanation;
};

struct spf_outcome {
	enum spf_result result;
	char explanation[SPF_EXPLANATION_MAX]; /* fail only; "" if none */
	char reason[256];          /* temperror/permerror: why; else the
	                              matching mechanism, e.g. "ip4:192.0.2.0/24"
	                              or "default" */
	unsigned dns_terms;        /* DNS-querying terms used */
	unsigned void_lookups;
};

/* Evaluate check_host(); always fills *out. */
void spf_check(enum spf_engine engine, struct dns_resolver *dns,
    const struct spf_request *req, struct spf_outcome *out);

/* "pass", "fail", ... (RFC 8601 names), and back: false for a name
 * that is none of the seven. */
const char *spf_result_name(enum spf_result result);
bool spf_result_parse(const char *name, enum spf_result *result_r);

/* Is text a valid explanation string (RFC 7208 section 6.2), so that it
 * can serve as a default_explanation? */
bool spf_explanation_valid(const char *text);

/* The engines by name ("mxward", "libspf2") for option tables, and the
 * results by RFC 8601 name; both end with a NULL name. */
extern const struct conf_name_code spf_engine_names[];
extern const struct conf_name_code spf_result_names[];

#endif
