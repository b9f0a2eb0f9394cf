/*
 * cidr.c - IPv4/IPv6 addresses and networks; see cidr.h
 *
 * Parsing is delegated to inet_pton(3) after stripping the bracket and
 * "IPv6:" decorations that MTAs put around address literals.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/cidr.h"

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

bool
ip_parse(const char *text, struct ip_addr *addr_r)
{
	char tmp[CIDR_TEXT_MAX];
	size_t len = strnlen(text, CIDR_TEXT_MAX);
	const char *p = text;

	if (len >= CIDR_TEXT_MAX)
		return false;
	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p++;
		len -= 2;
	}
	if (len >= 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		p += 5;
		len -= 5;
	}
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	memset(addr_r, 0, sizeof(*addr_r));
	if (inet_pton(AF_INET, tmp, addr_r->bytes) == 1) {
		addr_r->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, tmp, addr_r->bytes) != 1)
		return false;
	addr_r->family = AF_INET6;
	if (memcmp(addr_r->bytes, v4mapped_prefix, 12) == 0) {
		memmove(addr_r->bytes, addr_r->bytes + 12, 4);
		memset(addr_r->bytes + 4, 0, 12);
		addr_r->family = AF_INET;
	}
	return true;
}

void
ip_format(const struct ip_addr *addr, char *out, size_t outlen)
{
	if (inet_ntop(addr->family, addr->bytes, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}

bool
cidr_parse(const char *text, struct cidr *cidr_r, const char **error_r)
{
	char tmp[CIDR_TEXT_MAX];
	const char *slash;
	unsigned max;
	bool mapped;
	char *end;
	unsigned long len;

	if (strnlen(text, CIDR_TEXT_MAX) >= CIDR_TEXT_MAX) {
		*error_r = "network too long";
		return false;
	}
	strcpy(tmp, text);
	slash = strchr(tmp, '/');
	if (slash != NULL)
		tmp[slash - tmp] = '\0';
	if (!ip_parse(tmp, &cidr_r->net)) {
		*error_r = "not an IPv4 or IPv6 address";
		return false;
	}
	/* The prefix counts in the notation written: an IPv4-mapped network
	 * such as ::ffff:10.0.0.0/104 is IPv6 text stored as IPv4. */
	mapped = strchr(tmp, ':') != NULL && cidr_r->net.family == AF_INET;
	max = cidr_r->net.family == AF_INET && !mapped ? 32 : 128;
	cidr_r->prefix = cidr_r->net.family == AF_INET ? 32 : 128;
	if (slash == NULL)
		return true;
	if (slash[1] < '0' || slash[1] > '9') {
		*error_r = "prefix length is not a number";
		return false;
	}
	len = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || len > max) {
		*error_r = "prefix length out of range";
		return false;
	}
	if (mapped) {
		if (len < 96) {
			*error_r = "IPv4-mapped prefix shorter than 96";
			return false;
		}
		len -= 96;
	}
	cidr_r->prefix = (unsigned)len;
	return true;
}

bool
cidr_match(const struct cidr *cidr, const struct ip_addr *addr)
{
	unsigned full = cidr->prefix / 8, rest = cidr->prefix % 8;

	if (cidr->net.family != addr->family)
		return false;
	if (memcmp(cidr->net.bytes, addr->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((cidr->net.bytes[full] ^ addr->bytes[full]) &
	    (uint8_t)(0xff << (8 - rest))) == 0;
}

bool
cidr_list_match(const struct cidr_list *list, const struct ip_addr *addr)
{
	for (size_t i = 0; i < list->n; i++)
		if (cidr_match(&list->v[i], addr))
			return true;
	return false;
}
