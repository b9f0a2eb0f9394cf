/*
 * key.h - the key of a rate limit: which bucket a transaction charges
 *
 * A limit names the parts its key is made of (enum rl_part, spelled in
 * the policy as rl_part_name() says); rl_key_build() writes the key of
 * one transaction: the limit's name, then "PART=value" for each part in
 * the order given, joined by ':', e.g.
 *	per_net:client_network=192.0.2.0/24:sender_domain=example.org
 * Values are lowercased (so "Bob@Example.ORG" cannot start a bucket of
 * its own) and control characters become '?'. The null sender is "<>"
 * for sender and sender_domain; an address without '@' has the domain
 * "". client_network is the client address masked to ipv4_prefix or
 * ipv6_prefix bits. A part the transaction lacks (no client address, no
 * HELO yet, no SASL login, no recipient outside RCPT) makes
 * rl_key_build() return false: the limit does not apply to it.
 *
 * A key longer than outlen - 1 is cut (the store counts RL_KEY_MAX bytes
 * anyway): only keys longer than any real address share a bucket.
 *
 * SECURITY: values come from the SMTP client; they are copied bounded
 * and never interpreted.
 */
#ifndef MXWARD_RATELIMIT_KEY_H
#define MXWARD_RATELIMIT_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cidr.h"

enum rl_part {
	RL_PART_CLIENT_ADDRESS,
	RL_PART_CLIENT_NETWORK,
	RL_PART_HELO,
	RL_PART_SENDER,
	RL_PART_SENDER_DOMAIN,
	RL_PART_SASL_LOGIN,
	RL_PART_RECIPIENT,
	RL_PART_RECIPIENT_DOMAIN,
};

/* The policy's name of a part, and back; false for an unknown name. */
const char *rl_part_name(int part);
bool rl_part_parse(const char *name, int *part_r);

/* What the transaction knows; NULL for what it does not (yet). */
struct rl_key_facts {
	const struct ip_addr *client_ip;
	unsigned ipv4_prefix, ipv6_prefix;  /* for RL_PART_CLIENT_NETWORK */
	const char *helo;
	const char *sender;                 /* "" is the null sender */
	const char *sasl_login;
	const char *recipient;
};

bool rl_key_build(const char *limit_name, const int *parts, size_t n_parts,
    const struct rl_key_facts *facts, char *out, size_t outlen);

#endif
