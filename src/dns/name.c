/*
 * name.c - domain and host names as text; see name.h
 *
 * The validator walks the name once, label by label, and needs no copy.
 * Comparison is ASCII case-insensitive only: internationalised names reach
 * mxward as A-labels ("xn--…"), which are ASCII.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "dns/name.h"

/* Letter, digit or hyphen: the characters of an RFC 1123 host label. */
static bool
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Length of name without one trailing dot, or (size_t)-1 when too long. */
static size_t
name_length(const char *name)
{
	size_t len = strnlen(name, DNS_NAME_MAX + 2);

	if (len > 0 && name[len - 1] == '.')
		len--;
	return len > DNS_NAME_MAX ? (size_t)-1 : len;
}

/* Check one label of len bytes; *digits_r tells whether it is all digits. */
static bool
label_valid(const char *label, size_t len, bool *digits_r)
{
	bool digits = true;

	if (len == 0 || len > DNS_LABEL_MAX)
		return false;
	if (label[0] == '-' || label[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_ldh((unsigned char)label[i]))
			return false;
		if (label[i] < '0' || label[i] > '9')
			digits = false;
	}
	*digits_r = digits;
	return true;
}

bool
dns_name_valid_hostname_labels(const char *name, unsigned min_labels)
{
	size_t len = name_length(name), start = 0;
	unsigned labels = 0;
	bool digits = false;

	if (len == (size_t)-1 || len == 0)
		return false;
	while (start <= len) {
		const char *dot = memchr(name + start, '.', len - start);
		size_t end = dot != NULL ? (size_t)(dot - name) : len;

		if (!label_valid(name + start, end - start, &digits))
			return false;
		labels++;
		start = end + 1;
	}
	/* digits now describes the last label: a numeric TLD is an address. */
	return !digits && labels >= min_labels;
}

bool
dns_name_valid_hostname(const char *name)
{
	return dns_name_valid_hostname_labels(name, 2);
}

bool
dns_name_matches(const char *name, const char *pattern)
{
	size_t nlen = name_length(name), plen = name_length(pattern);

	if (nlen == (size_t)-1 || plen == (size_t)-1 || nlen == 0 || plen == 0)
		return false;
	if (pattern[0] != '.')
		return nlen == plen && strncasecmp(name, pattern, nlen) == 0;
	/* ".example.org": a strictly longer name ending in the pattern; the
	 * pattern's own leading dot makes the match end on a label boundary. */
	if (plen == 1 || nlen <= plen)
		return false;
	return strncasecmp(name + nlen - plen, pattern, plen) == 0;
}
