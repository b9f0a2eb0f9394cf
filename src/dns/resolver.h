/*
 * resolver.h - the one caching DNS resolver every check shares (libunbound)
 *
 * dns_resolver_new() builds a resolver from struct dns_settings: the servers
 * to forward to ("ADDR" or "ADDR@PORT"; none means /etc/resolv.conf), the
 * time a lookup may take, DNSSEC validation against a trust anchor file,
 * and the cache size. dns_lookup() answers one question synchronously,
 * waiting at most the configured timeout, and may be called from many
 * threads at once. Answers are immutable and reference counted: a lookup
 * that finds a live answer in the resolver's own cache returns it without
 * asking libunbound (a cache hit); dns_answer_free() drops the caller's
 * reference.
 *
 * dns_resolver_ref()/dns_resolver_unref() let a reload publish a new
 * resolver while lookups in flight finish on the old one; the last unref
 * frees it (no lookup may be waiting then).
 *
 * Metrics (registered once by dns_register_metrics()):
 *   mxward_dns_queries_total{type}      lookups asked, cache hits included
 *   mxward_dns_cache_hits_total         answered from the cache
 *   mxward_dns_timeouts_total           no answer within the timeout
 *   mxward_dns_servfails_total          SERVFAIL, or DNSSEC bogus
 *   mxward_dns_cache_entries            answers held now
 *
 * SECURITY: names to look up come from SMTP clients and from DNS data
 * (SPF include:, MX targets). dns_lookup() refuses names that are not
 * valid presentation-format domain names (over DNS_NAME_MAX, an empty or
 * over-long label, bytes outside printable ASCII) with DNS_BADNAME without
 * sending a query. Answer data is kept as received (RFC 1035 wire format
 * rdata); the decoders below check every length against the record.
 */
#ifndef MXWARD_DNS_RESOLVER_H
#define MXWARD_DNS_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cidr.h"

struct dns_resolver;

/* Query types mxward asks for (the IANA numbers). */
enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SPF = 99,
};

enum dns_status {
	DNS_OK,        /* one or more records of the type asked */
	DNS_NODATA,    /* the name exists, no records of that type */
	DNS_NXDOMAIN,  /* the name does not exist */
	DNS_SERVFAIL,  /* the server failed, refused, or DNSSEC said bogus */
	DNS_TIMEOUT,   /* no answer within the timeout */
	DNS_BADNAME,   /* not a valid name to ask about; nothing was sent */
	DNS_ERROR,     /* any other failure (resolver not usable) */
};

struct dns_settings {
	const char *const *servers; /* "ADDR" or "ADDR@PORT"; n_servers == 0:
	                                resolv.conf */
	size_t n_servers;
	uint64_t timeout_ms;        /* per lookup */
	const char *trust_anchor_file; /* NULL or "": no DNSSEC validation */
	uint64_t cache_size;        /* bytes, for libunbound's caches and ours */
};

struct dns_rdata {
	const unsigned char *data; /* wire format, as in the answer section */
	size_t len;
};

struct dns_answer {
	enum dns_status status;
	enum dns_type type;
	bool secure;           /* DNSSEC validated */
	uint32_t ttl;
	const char *canonical; /* the name after CNAMEs, or NULL */
	size_t count;          /* records in rr[] (0 unless DNS_OK) */
	struct dns_rdata rr[]; /* the records, in the order received */
};

/* Build a resolver; NULL with err filled (a bad server address, an
 * unreadable trust anchor file). Thread safe once built. */
struct dns_resolver *dns_resolver_new(const struct dns_settings *settings,
    char *err, size_t errlen);
void dns_resolver_ref(struct dns_resolver *r);
/* Drop a reference; the last one frees the resolver and clears *r_p. */
void dns_resolver_unref(struct dns_resolver **r_p);

/* Look up name/type. Never returns NULL: a failure is an answer with its
 * status. The caller frees it with dns_answer_free(). r may be NULL (no
 * resolver): then every valid name gets DNS_ERROR. */
const struct dns_answer *dns_lookup(struct dns_resolver *r, const char *name,
    enum dns_type type);
void dns_answer_free(const struct dns_answer **answer_p);

/* Would dns_lookup() ask about name, rather than answer DNS_BADNAME? */
bool dns_name_askable(const char *name);

/* The status's name for logs: "ok", "nodata", "nxdomain", "servfail",
 * "timeout", "badname", "error". */
const char *dns_status_name(enum dns_status status);

/* Decoders for one record; false when the rdata is malformed. */
bool dns_rdata_a(const struct dns_rdata *rd, struct ip_addr *addr_r);
bool dns_rdata_aaaa(const struct dns_rdata *rd, struct ip_addr *addr_r);
/* A domain name (PTR, CNAME, NS, and the exchange of MX, whose preference
 * goes to *pref_r when pref_r is not NULL) as dotted text without the
 * trailing dot (the root, as in a null MX, is ""); false if it does not
 * fit in out, or a label holds a dot or a byte outside printable ASCII
 * (0x20-0x7e), which the text could not show faithfully. */
bool dns_rdata_name(const struct dns_rdata *rd, enum dns_type type,
    unsigned *pref_r, char *out, size_t outlen);
/* A TXT or SPF record's strings concatenated, without separators (as
 * RFC 7208 and RFC 6376 read them), NUL-terminated; *len_r gets the byte
 * count (the text may hold NUL bytes). False when it does not fit. */
bool dns_rdata_txt(const struct dns_rdata *rd, char *out, size_t outlen,
    size_t *len_r);

void dns_register_metrics(void);

#endif
