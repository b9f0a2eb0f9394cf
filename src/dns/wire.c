/*
 * wire.c - names as asked, records as received; see wire.h and resolver.h
 *
 * PUBLIC FUNCTIONS
 *	dns_query_name() checks a name and makes its cache key and its text
 *	for libunbound; dns_name_askable() only checks it. dns_rdata_a(), dns_rdata_aaaa(), dns_rdata_name()
 *	and dns_rdata_txt() decode one record's rdata.
 *
 * SECURITY
 *	Both directions handle untrusted bytes: names from SMTP clients and
 *	DNS data, rdata from any DNS server. Every length is checked against
 *	the bytes that remain before it is used; names in rdata must be
 *	uncompressed, as libunbound hands them over (a compression pointer
 *	or a reserved label type is malformed), and a decoded name must read
 *	back as the same name, so a label holding a dot, a NUL or any byte
 *	outside printable ASCII is refused; outputs are bounded by the
 *	caller's sizes. fuzz/fuzz_rdata.c exercises all of it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/resolver.h"
#include "dns/wire.h"

/* A byte libunbound takes as itself in a name: no escape needed. */
static bool
is_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool
dns_query_name(const char *name, char *key, char *escaped)
{
	size_t len = strnlen(name, DNS_NAME_MAX + 2), label = 0;
	char *e = escaped;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c > 0x7e)
			return false;
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			*e++ = '.';
		} else {
			if (++label > DNS_LABEL_MAX)
				return false;
			if (is_plain(c))
				*e++ = (char)c;
			else
				e += sprintf(e, "\\%03u", c);
		}
		key[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	if (label == 0)
		return false;
	key[len] = '\0';
	*e = '\0';
	return true;
}

bool
dns_name_askable(const char *name)
{
	char key[DNS_NAME_MAX + 2], escaped[DNS_QUERY_NAME_MAX];

	return dns_query_name(name, key, escaped);
}

bool
dns_rdata_a(const struct dns_rdata *rd, struct ip_addr *addr_r)
{
	if (rd->len != 4)
		return false;
	memset(addr_r, 0, sizeof(*addr_r));
	addr_r->family = AF_INET;
	memcpy(addr_r->bytes, rd->data, 4);
	return true;
}

bool
dns_rdata_aaaa(const struct dns_rdata *rd, struct ip_addr *addr_r)
{
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (rd->len != 16)
		return false;
	memset(addr_r, 0, sizeof(*addr_r));
	/* Stored as IPv4 like ip_parse() does, so CIDR matching agrees. */
	if (memcmp(rd->data, v4mapped, sizeof(v4mapped)) == 0) {
		addr_r->family = AF_INET;
		memcpy(addr_r->bytes, rd->data + 12, 4);
		return true;
	}
	addr_r->family = AF_INET6;
	memcpy(addr_r->bytes, rd->data, 16);
	return true;
}

bool
dns_rdata_name(const struct dns_rdata *rd, enum dns_type type,
    unsigned *pref_r, char *out, size_t outlen)
{
	const unsigned char *p = rd->data, *end = rd->data + rd->len;
	size_t o = 0, wire = 1;

	if (type == DNS_T_MX) {
		if (rd->len < 2)
			return false;
		if (pref_r != NULL)
			*pref_r = (unsigned)p[0] << 8 | p[1];
		p += 2;
	}
	if (outlen == 0)
		return false;
	for (;;) {
		size_t len;

		if (p >= end)
			return false;
		len = *p++;
		if (len == 0)
			break;
		/* 0xc0: a compression pointer; 0x40, 0x80: reserved. */
		if (len > DNS_LABEL_MAX || len > (size_t)(end - p))
			return false;
		wire += len + 1;
		/* The name within 255 wire bytes; the text, a dot and the
		 * terminating NUL within outlen. */
		if (wire > DNS_NAME_MAX + 2 ||
		    o + (o > 0) + len + 1 > outlen)
			return false;
		if (o > 0)
			out[o++] = '.';
		/* As text, a dot or a NUL inside a label would change the
		 * name ("evil.example\0.good" reads as evil.example). */
		for (size_t i = 0; i < len; i++, p++) {
			if (*p < 0x20 || *p > 0x7e || *p == '.')
				return false;
			out[o++] = (char)*p;
		}
	}
	/* Nothing may follow the name, and "." alone is the root. */
	if (p != end)
		return false;
	out[o] = '\0';
	return true;
}

bool
dns_rdata_txt(const struct dns_rdata *rd, char *out, size_t outlen,
    size_t *len_r)
{
	const unsigned char *p = rd->data, *end = rd->data + rd->len;
	size_t o = 0;

	/* RFC 1035 3.3.14: one or more <character-string>s. */
	if (rd->len == 0 || outlen == 0)
		return false;
	while (p < end) {
		size_t len = *p++;

		if (len > (size_t)(end - p) || o + len >= outlen)
			return false;
		memcpy(out + o, p, len);
		o += len;
		p += len;
	}
	out[o] = '\0';
	*len_r = o;
	return true;
}
