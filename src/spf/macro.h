/*
 * macro.h - SPF macro strings (RFC 7208 section 7)
 *
 * spf_macro_expand() checks the syntax of a macro string and, given an
 * environment, expands it: %{s} %{l} %{o} %{d} %{i} %{p} %{v} %{h}, and in
 * explanation text also %{c} %{r} %{t}; transformers (a count of
 * right-hand parts, "r" for reversal), delimiters, the escapes %% %_ %-,
 * and URL escaping for upper-case letters. With env NULL it only checks
 * the syntax (the record parser's use). In SPF_MACRO_DOMAIN mode the
 * result is a name to look up: one trailing dot is dropped and a name over
 * DNS_NAME_MAX characters loses labels from the left until it fits
 * (section 7.3).
 *
 * %{p} needs DNS: the environment supplies it through a callback, called
 * at most once per expansion that uses it.
 *
 * Pure apart from that callback; thread safe.
 *
 * SECURITY: macro strings come from DNS (SPF records, explanation TXT
 * records) and the values from the SMTP client. Input is read by length
 * and output is bounded by outlen: explanation text is cut at outlen - 1
 * bytes; a domain keeps its last DNS_NAME_MAX + 2 bytes while it grows
 * (all that the label truncation can keep), so neither ever fails for
 * length.
 */
#ifndef MXWARD_SPF_MACRO_H
#define MXWARD_SPF_MACRO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cidr.h"

/* Smallest outlen for SPF_MACRO_DOMAIN (room for the sliding window). */
#define SPF_MACRO_DOMAIN_OUT 512

enum spf_macro_mode {
	SPF_MACRO_DOMAIN,  /* domain-spec: letters s l o d i p v h */
	SPF_MACRO_EXPLAIN, /* explanation text: also c r t, and spaces */
	SPF_MACRO_MODIFIER,/* unknown modifier value: every letter, no space */
};

struct spf_macro_env {
	const char *sender;        /* s: local@domain */
	const char *local;         /* l */
	const char *sender_domain; /* o */
	const char *domain;        /* d: the current domain */
	const struct ip_addr *ip;  /* i, c, v */
	const char *helo;          /* h */
	const char *receiver;      /* r */
	long long now;             /* t */
	/* p: the validated name of ip for domain, or "unknown" */
	const char *(*validated_name)(void *ctx, const char *domain);
	void *ctx;
};

/* Check and, when env is not NULL, expand s[0..len) into out (NUL
 * terminated; at least SPF_MACRO_DOMAIN_OUT bytes in SPF_MACRO_DOMAIN
 * mode). False on a syntax error only. */
bool spf_macro_expand(const char *s, size_t len, enum spf_macro_mode mode,
    const struct spf_macro_env *env, char *out, size_t outlen);

/* The dotted reverse-lookup form of ip without the "in-addr.arpa" or
 * "ip6.arpa" suffix: "4.3.2.1" or 32 upper-case nibbles reversed (that
 * is %{ir}); out needs at least 64 bytes. */
void spf_macro_ip_dotted(const struct ip_addr *ip, bool reverse, char *out,
    size_t outlen);

#endif
