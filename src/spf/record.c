/*
 * record.c - parse an SPF record into terms (RFC 7208 sections 4.5-6, 12)
 *
 * spf_record_parse() checks the bytes (printable ASCII and spaces only),
 * the version, then each space-separated term: a modifier when it starts
 * with a name and "=", else a mechanism with an optional qualifier. The
 * terms' text is copied twice into one block: once as written (for
 * reasons in logs) and once with CIDR suffixes cut off the domain-specs.
 *
 * SECURITY: see record.h. Every index is checked against the term's
 * length; CIDR lengths are read from at most three digits; IP text is
 * bounded before inet_pton().
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/xalloc.h"
#include "spf/macro.h"
#include "spf/record.h"

#define SPF_VERSION "v=spf1"
#define SPF_VERSION_LEN 6

static const struct {
	const char *name;
	enum spf_mechanism mechanism;
} mechanisms[] = {
	{ "all", SPF_MECH_ALL },
	{ "include", SPF_MECH_INCLUDE },
	{ "a", SPF_MECH_A },
	{ "mx", SPF_MECH_MX },
	{ "ptr", SPF_MECH_PTR },
	{ "ip4", SPF_MECH_IP4 },
	{ "ip6", SPF_MECH_IP6 },
	{ "exists", SPF_MECH_EXISTS },
};

const char *
spf_mechanism_name(enum spf_mechanism mechanism)
{
	for (size_t i = 0; i < sizeof(mechanisms) / sizeof(mechanisms[0]); i++)
		if (mechanisms[i].mechanism == mechanism)
			return mechanisms[i].name;
	return "?";
}

bool
spf_record_is_spf(const char *text, size_t len)
{
	return len >= SPF_VERSION_LEN &&
	    strncasecmp(text, SPF_VERSION, SPF_VERSION_LEN) == 0 &&
	    (len == SPF_VERSION_LEN || text[SPF_VERSION_LEN] == ' ');
}

/* Fill err and return false: the parser's one way out on an error. */
static bool fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

/* Does the (syntactically valid) macro string end in a macro-expand? */
static bool
ends_in_macro(const char *s, size_t len)
{
	bool macro = false;

	for (size_t i = 0; i < len;) {
		if (s[i] != '%') {
			macro = false;
			i++;
			continue;
		}
		macro = true;
		if (s[i + 1] != '{') {
			i += 2;
			continue;
		}
		while (s[i] != '}')
			i++;
		i++;
	}
	return macro;
}

/* domain-spec = macro-string domain-end, where domain-end is
 * "." toplabel ["."] or a macro-expand (RFC 7208 section 7.1). */
static bool
domain_spec_valid(const char *s, size_t len)
{
	size_t end, start;
	bool alpha = false, dash = false;

	if (len == 0 || !spf_macro_expand(s, len, SPF_MACRO_DOMAIN, NULL,
	    NULL, 0))
		return false;
	if (ends_in_macro(s, len))
		return true;
	end = s[len - 1] == '.' ? len - 1 : len;
	for (start = end; start > 0; start--) {
		unsigned char c = (unsigned char)s[start - 1];

		if (!isalnum(c) && c != '-')
			break;
		alpha |= isalpha(c) != 0;
		dash |= c == '-';
	}
	/* toplabel: no dash at either end; letters, or a dash inside. */
	return start > 0 && s[start - 1] == '.' && start < end &&
	    isalnum((unsigned char)s[start]) &&
	    isalnum((unsigned char)s[end - 1]) && (alpha || dash);
}

/* A CIDR length of n digits: no leading zero, at most max. */
static bool
cidr_length(const char *digits, size_t n, unsigned max, unsigned *len_r)
{
	unsigned v = 0;

	if (n == 0 || n > 3 || (n > 1 && digits[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)digits[i]))
			return false;
		v = v * 10 + (unsigned)(digits[i] - '0');
	}
	if (v > max)
		return false;
	*len_r = v;
	return true;
}

/* Cut a dual-cidr-length ("/24", "//64", "/24//64") off the end of
 * s[0..*len) (RFC 7208 section 5.6). False when one is malformed. */
static bool
cut_dual_cidr(const char *s, size_t *len, unsigned *cidr4, unsigned *cidr6)
{
	size_t n = *len, d;

	for (d = 0; d < n && isdigit((unsigned char)s[n - d - 1]); d++)
		continue;
	if (d > 0 && n - d >= 2 && s[n - d - 1] == '/' && s[n - d - 2] == '/') {
		if (!cidr_length(s + n - d, d, 128, cidr6))
			return false;
		n -= d + 2;
		for (d = 0; d < n && isdigit((unsigned char)s[n - d - 1]); d++)
			continue;
	}
	if (d > 0 && n - d >= 1 && s[n - d - 1] == '/') {
		if (!cidr_length(s + n - d, d, 32, cidr4))
			return false;
		n -= d + 1;
	}
	*len = n;
	return true;
}

/* ip4-network: four decimal numbers 0-255 without leading zeros. */
static bool
ip4_network(const char *s, size_t len, struct ip_addr *ip)
{
	size_t i = 0;

	memset(ip, 0, sizeof(*ip));
	ip->family = AF_INET;
	for (int part = 0; part < 4; part++) {
		size_t d;
		unsigned v = 0;

		if (part > 0 && (i >= len || s[i++] != '.'))
			return false;
		for (d = 0; i + d < len && isdigit((unsigned char)s[i + d]) &&
		    d < 4; d++)
			v = v * 10 + (unsigned)(s[i + d] - '0');
		if (d == 0 || d > 3 || (d > 1 && s[i] == '0') || v > 255)
			return false;
		ip->bytes[part] = (uint8_t)v;
		i += d;
	}
	return i == len;
}

/* "ip4:" / "ip6:" arguments: a network and an optional "/len". */
static bool
ip_term(const char *arg, size_t len, bool v6, struct cidr *net)
{
	const char *slash = memchr(arg, '/', len);
	size_t addr_len = slash ? (size_t)(slash - arg) : len;
	char text[CIDR_TEXT_MAX];

	net->prefix = v6 ? 128 : 32;
	if (slash != NULL && !cidr_length(slash + 1, len - addr_len - 1,
	    net->prefix, &net->prefix))
		return false;
	if (!v6)
		return ip4_network(arg, addr_len, &net->net);
	if (addr_len == 0 || addr_len >= sizeof(text))
		return false;
	memcpy(text, arg, addr_len);
	text[addr_len] = '\0';
	memset(&net->net, 0, sizeof(net->net));
	net->net.family = AF_INET6;
	return inet_pton(AF_INET6, text, net->net.bytes) == 1;
}

/* ":domain-spec" ending at rest[len], kept in t; false with err when the
 * domain-spec is not valid. */
static bool
take_domain_spec(struct spf_term *t, char *rest, size_t len, char *err,
    size_t errlen)
{
	if (!domain_spec_valid(rest + 1, len - 1))
		return fail(err, errlen, "invalid domain-spec in '%.64s'",
		    t->text);
	rest[len] = '\0';
	t->domain_spec = rest + 1;
	return true;
}

/* The argument of a mechanism after its name: rest[0..len) in the
 * writable copy. */
static bool
mechanism_argument(struct spf_term *t, char *rest, size_t len, char *err,
    size_t errlen)
{
	bool colon = len > 0 && rest[0] == ':';

	t->cidr4 = 32;
	t->cidr6 = 128;
	switch (t->mechanism) {
	case SPF_MECH_ALL:
		if (len == 0)
			return true;
		break;
	case SPF_MECH_INCLUDE:
	case SPF_MECH_EXISTS:
	case SPF_MECH_PTR:
		if (len == 0 && t->mechanism == SPF_MECH_PTR)
			return true;
		if (!colon)
			break;
		return take_domain_spec(t, rest, len, err, errlen);
	case SPF_MECH_A:
	case SPF_MECH_MX:
		if (!cut_dual_cidr(rest, &len, &t->cidr4, &t->cidr6))
			return fail(err, errlen, "invalid CIDR length in "
			    "'%.64s'", t->text);
		if (len == 0)
			return true;
		if (!colon)
			break;
		return take_domain_spec(t, rest, len, err, errlen);
	case SPF_MECH_IP4:
	case SPF_MECH_IP6:
		if (colon && ip_term(rest + 1, len - 1,
		    t->mechanism == SPF_MECH_IP6, &t->network))
			return true;
		return fail(err, errlen, "invalid network in '%.64s'", t->text);
	}
	return fail(err, errlen, "invalid argument in '%.64s'", t->text);
}

/* A directive: [qualifier] mechanism [argument]. */
static bool
parse_mechanism(struct spf_term *t, char *s, size_t len, char *err,
    size_t errlen)
{
	static const char qualifiers[] = "+-~?";
	static const enum spf_result results[] = { SPFR_PASS, SPFR_FAIL,
	    SPFR_SOFTFAIL, SPFR_NEUTRAL };
	const char *q = len > 0 ? memchr(qualifiers, s[0], 4) : NULL;
	size_t name_len = 0;

	t->qualifier = SPFR_PASS;
	if (q != NULL) {
		t->qualifier = results[q - qualifiers];
		s++;
		len--;
	}
	while (name_len < len && isalnum((unsigned char)s[name_len]))
		name_len++;
	for (size_t i = 0; i < sizeof(mechanisms) / sizeof(mechanisms[0]); i++)
		if (strlen(mechanisms[i].name) == name_len &&
		    strncasecmp(s, mechanisms[i].name, name_len) == 0) {
			t->mechanism = mechanisms[i].mechanism;
			return mechanism_argument(t, s + name_len,
			    len - name_len, err, errlen);
		}
	return fail(err, errlen, "unknown mechanism '%.64s'", t->text);
}

/* The length of the modifier name at the start of s when "=" follows
 * it, else 0: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ). */
static size_t
modifier_name(const char *s, size_t len)
{
	size_t n = 0;

	if (len == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	while (n < len && (isalnum((unsigned char)s[n]) || s[n] == '-' ||
	    s[n] == '_' || s[n] == '.'))
		n++;
	return n < len && s[n] == '=' ? n : 0;
}

/* A modifier: redirect= and exp= at most once, with a domain-spec;
 * others need a valid macro string and are otherwise ignored. */
static bool
parse_modifier(struct spf_record *r, char *s, size_t len, size_t name_len,
    char *err, size_t errlen)
{
	const char **slot = NULL;
	char *value = s + name_len + 1;
	size_t value_len = len - name_len - 1;

	if (name_len == 8 && strncasecmp(s, "redirect", 8) == 0)
		slot = &r->redirect;
	else if (name_len == 3 && strncasecmp(s, "exp", 3) == 0)
		slot = &r->exp;
	if (slot == NULL) {
		if (spf_macro_expand(value, value_len, SPF_MACRO_MODIFIER, NULL,
		    NULL, 0))
			return true;
		return fail(err, errlen, "invalid macro in '%.64s'", s);
	}
	if (*slot != NULL)
		return fail(err, errlen, "%.*s= given twice", (int)name_len, s);
	if (!domain_spec_valid(value, value_len))
		return fail(err, errlen, "invalid domain-spec in '%.64s'", s);
	*slot = value;
	return true;
}

/* Every byte printable ASCII or a space, the version right. */
static bool
check_bytes(const char *text, size_t len, char *err, size_t errlen)
{
	if (len > SPF_RECORD_MAX)
		return fail(err, errlen, "record longer than %d bytes",
		    SPF_RECORD_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x20 || c > 0x7e)
			return fail(err, errlen, "byte 0x%02x at offset %zu "
			    "(only printable ASCII is allowed)", c, i);
	}
	if (!spf_record_is_spf(text, len))
		return fail(err, errlen, "not an SPF version 1 record");
	return true;
}

/* The number of space-separated terms after the version. */
static size_t
count_terms(const char *text, size_t len)
{
	size_t n = 0;

	for (size_t i = SPF_VERSION_LEN; i < len; i++)
		if (text[i] != ' ' && text[i - 1] == ' ')
			n++;
	return n;
}

struct spf_record *
spf_record_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct spf_record *r;
	char *copy;
	size_t i = SPF_VERSION_LEN;

	if (!check_bytes(text, len, err, errlen))
		return NULL;
	r = xcalloc(1, sizeof(*r));
	/* Two copies: storage[0..len] as written, copy for the cuts. */
	r->storage = xmalloc(2 * (len + 1));
	copy = r->storage + len + 1;
	memcpy(r->storage, text, len);
	memcpy(copy, text, len);
	r->storage[len] = copy[len] = '\0';
	r->terms = xcalloc(count_terms(text, len) + 1, sizeof(*r->terms));
	while (i < len) {
		size_t start, n, name_len;
		bool good;

		while (i < len && text[i] == ' ')
			i++;
		if (i == len)
			break;
		for (start = i; i < len && text[i] != ' '; i++)
			continue;
		n = i - start;
		r->storage[i] = copy[i] = '\0';
		name_len = modifier_name(text + start, n);
		if (name_len > 0) {
			good = parse_modifier(r, copy + start, n, name_len, err,
			    errlen);
		} else {
			struct spf_term *t = &r->terms[r->n_terms++];

			t->text = r->storage + start;
			good = parse_mechanism(t, copy + start, n, err, errlen);
			r->has_all |= good && t->mechanism == SPF_MECH_ALL;
		}
		if (!good) {
			spf_record_free(&r);
			return NULL;
		}
	}
	return r;
}

void
spf_record_free(struct spf_record **record_p)
{
	struct spf_record *r = *record_p;

	if (r == NULL)
		return;
	free(r->terms);
	free(r->storage);
	free(r);
	*record_p = NULL;
}
