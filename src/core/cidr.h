/*
 * cidr.h - IPv4/IPv6 addresses and networks
 *
 * ip_parse() reads a textual address (IPv4 dotted quad, IPv6, and the milter
 * forms "[1.2.3.4]" / "[IPv6:…]" / "IPv6:…"); IPv4-mapped IPv6 addresses
 * are stored as IPv4 so "::ffff:192.0.2.1" matches 192.0.2.0/24.
 * cidr_parse() reads "ADDR" or "ADDR/LEN" and rejects host bits set beyond
 * the prefix only when strict is asked. cidr_match() and cidr_list_match()
 * test membership. All functions are pure and thread safe.
 *
 * SECURITY: inputs come from the MTA and from admins; parsing is bounded
 * (CIDR_TEXT_MAX) and never reads past the terminating NUL.
 */
#ifndef MXWARD_CORE_CIDR_H
#define MXWARD_CORE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CIDR_TEXT_MAX 64

struct ip_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* network order; IPv4 in the first 4 */
};

struct cidr {
	struct ip_addr net;
	unsigned prefix; /* 0..32 or 0..128 */
};

struct cidr_list {
	struct cidr *v;
	size_t n;
};

bool ip_parse(const char *text, struct ip_addr *addr_r);
/* Format addr into out (at least CIDR_TEXT_MAX bytes). */
void ip_format(const struct ip_addr *addr, char *out, size_t outlen);
bool cidr_parse(const char *text, struct cidr *cidr_r, const char **error_r);
bool cidr_match(const struct cidr *cidr, const struct ip_addr *addr);
bool cidr_list_match(const struct cidr_list *list, const struct ip_addr *addr);

#endif
