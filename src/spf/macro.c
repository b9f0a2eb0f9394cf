/*
 * macro.c - SPF macro strings: syntax check and expansion (RFC 7208 s. 7)
 *
 * One walk serves both uses: with an environment it writes the expansion
 * through struct out, without one it only checks. A macro is
 *
 *     "%{" letter *DIGIT ["r"] *delimiter "}"  /  "%%"  /  "%_"  /  "%-"
 *
 * The value of a macro is split at its delimiters (default "."), reversed
 * with "r", cut to its right-hand DIGIT parts and joined with "."; an
 * upper-case letter URL-escapes the result.
 *
 * SECURITY: see macro.h. Part offsets live in one array sized by the
 * value's length; nothing is read past len; output never passes outlen.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/xalloc.h"
#include "dns/name.h"
#include "spf/macro.h"

#define DELIMITERS ".-+,/_="
#define DIGITS_MAX 1000 /* a larger count keeps every part anyway */

/* Where an expansion goes. */
struct out {
	char *buf;
	size_t len;
	size_t cap;   /* outlen - 1 */
	enum spf_macro_mode mode;
	bool slid;    /* SPF_MACRO_DOMAIN: the front was dropped */
};

/* Append one byte: explanations stop at cap, domains keep their tail. */
static void
out_putc(struct out *o, char c)
{
	const size_t keep = DNS_NAME_MAX + 2;

	if (o->len == o->cap) {
		if (o->mode != SPF_MACRO_DOMAIN)
			return;
		memmove(o->buf, o->buf + o->len - keep, keep);
		o->len = keep;
		o->slid = true;
	}
	o->buf[o->len++] = c;
}

static void
out_put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out_putc(o, s[i]);
}

/* RFC 3986 unreserved characters stay as they are under URL escaping. */
static bool
unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* One part of a transformed value, URL-escaped when asked. */
static void
out_part(struct out *o, const char *s, size_t n, bool escape)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!escape || unreserved(c)) {
			out_putc(o, (char)c);
			continue;
		}
		out_putc(o, '%');
		out_putc(o, hex[c >> 4]);
		out_putc(o, hex[c & 15]);
	}
}

void
spf_macro_ip_dotted(const struct ip_addr *ip, bool reverse, char *out,
    size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t pos = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (ip->family != AF_INET6) {
		const uint8_t *b = ip->bytes;

		if (reverse)
			snprintf(out, outlen, "%u.%u.%u.%u", b[3], b[2], b[1],
			    b[0]);
		else
			snprintf(out, outlen, "%u.%u.%u.%u", b[0], b[1], b[2],
			    b[3]);
		return;
	}
	for (int i = 0; i < 32 && pos + 2 < outlen; i++) {
		int n = reverse ? 31 - i : i;
		uint8_t byte = ip->bytes[n / 2];

		if (i > 0)
			out[pos++] = '.';
		out[pos++] = hex[n % 2 ? byte & 15 : byte >> 4];
	}
	out[pos] = '\0';
}

/* The value of a macro letter (lower case), in buf when computed. */
static const char *
letter_value(char letter, const struct spf_macro_env *env, char *buf,
    size_t buflen)
{
	switch (letter) {
	case 's': return env->sender;
	case 'l': return env->local;
	case 'o': return env->sender_domain;
	case 'd': return env->domain;
	case 'h': return env->helo ? env->helo : "unknown";
	case 'r': return env->receiver ? env->receiver : "unknown";
	case 'v': return env->ip->family == AF_INET6 ? "ip6" : "in-addr";
	case 'p':
		return env->validated_name ?
		    env->validated_name(env->ctx, env->domain) : "unknown";
	case 'i':
		spf_macro_ip_dotted(env->ip, false, buf, buflen);
		return buf;
	case 'c':
		ip_format(env->ip, buf, buflen);
		return buf;
	case 't':
		snprintf(buf, buflen, "%lld", env->now);
		return buf;
	}
	return "";
}

/* Write value split at delims, reversed if asked, its right-hand keep
 * parts (0: all) joined with ".". */
static void
out_transformed(struct out *o, const char *value, const char *delims,
    unsigned keep, bool reverse, bool escape)
{
	size_t len = strlen(value), n = 0, first;
	size_t *start = xmalloc((len + 2) * sizeof(*start));

	/* start[i] is where part i begins; part i ends one byte before
	 * start[i + 1] (the delimiter), so start[n] = len + 1. */
	start[n++] = 0;
	for (size_t i = 0; i < len; i++)
		if (strchr(delims, value[i]) != NULL)
			start[n++] = i + 1;
	start[n] = len + 1;
	first = keep != 0 && keep < n ? n - keep : 0;
	for (size_t k = first; k < n; k++) {
		/* The k-th part of the (possibly reversed) sequence. */
		size_t i = reverse ? n - 1 - k : k;

		if (k > first)
			out_putc(o, '.');
		out_part(o, value + start[i], start[i + 1] - start[i] - 1,
		    escape);
	}
	free(start);
}

/* Is this letter allowed in this mode? */
static bool
letter_allowed(char lower, enum spf_macro_mode mode)
{
	if (strchr("slodipvh", lower) != NULL)
		return true;
	return mode != SPF_MACRO_DOMAIN && strchr("crt", lower) != NULL;
}

/* Parse one "%{...}" at s[*pos] (just after "%{"); expand it when env is
 * set. False on a syntax error. */
static bool
macro_expand_one(const char *s, size_t len, size_t *pos,
    enum spf_macro_mode mode, const struct spf_macro_env *env,
    struct out *o)
{
	size_t i = *pos, ndelims = 0;
	char raw, letter, delims[sizeof(DELIMITERS)], buf[80];
	unsigned keep = 0;
	bool digits = false, reverse = false;

	if (i >= len)
		return false;
	raw = s[i++];
	letter = (char)tolower((unsigned char)raw);
	if (!letter_allowed(letter, mode))
		return false;
	for (; i < len && isdigit((unsigned char)s[i]); i++) {
		digits = true;
		keep = keep * 10 + (unsigned)(s[i] - '0');
		if (keep > DIGITS_MAX)
			keep = DIGITS_MAX;
	}
	if (digits && keep == 0)
		return false; /* "the value MUST be nonzero" */
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		reverse = true;
		i++;
	}
	for (; i < len && s[i] != '}'; i++) {
		if (s[i] == '\0' || strchr(DELIMITERS, s[i]) == NULL)
			return false;
		if (memchr(delims, s[i], ndelims) == NULL)
			delims[ndelims++] = s[i];
	}
	if (i >= len)
		return false;
	*pos = i + 1;
	if (env == NULL)
		return true;
	delims[ndelims] = '\0';
	out_transformed(o, letter_value(letter, env, buf, sizeof(buf)),
	    ndelims ? delims : ".", keep, reverse, isupper((unsigned char)raw));
	return true;
}

/* Is c allowed as a literal here? Visible ASCII but "%"; explanations
 * also take spaces. */
static bool
literal_allowed(unsigned char c, enum spf_macro_mode mode)
{
	if (c == ' ')
		return mode == SPF_MACRO_EXPLAIN;
	return c > 0x20 && c < 0x7f && c != '%';
}

/* A domain to look up: one trailing dot dropped, then whole labels from
 * the left until it is at most DNS_NAME_MAX long (RFC 7208 7.3). After a
 * slide the first label is partial, so it goes too. */
static void
out_domain_finish(struct out *o)
{
	size_t from = 0;

	if (o->len > 0 && o->buf[o->len - 1] == '.')
		o->len--;
	if (o->len > DNS_NAME_MAX || o->slid) {
		from = o->len;
		for (size_t i = o->len; i > 0; i--) {
			if (o->len - i > DNS_NAME_MAX)
				break;
			if (o->buf[i - 1] == '.')
				from = i;
		}
	}
	memmove(o->buf, o->buf + from, o->len - from);
	o->len -= from;
}

bool
spf_macro_expand(const char *s, size_t len, enum spf_macro_mode mode,
    const struct spf_macro_env *env, char *out, size_t outlen)
{
	struct out o = { out, 0, outlen ? outlen - 1 : 0, mode, false };
	size_t i = 0;

	if (env != NULL && (outlen == 0 ||
	    (mode == SPF_MACRO_DOMAIN && outlen < SPF_MACRO_DOMAIN_OUT)))
		return false;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c != '%') {
			if (!literal_allowed(c, mode))
				return false;
			if (env != NULL)
				out_putc(&o, (char)c);
			i++;
			continue;
		}
		if (i + 1 >= len)
			return false;
		i += 2;
		switch (s[i - 1]) {
		case '%':
			if (env != NULL)
				out_putc(&o, '%');
			break;
		case '_':
			if (env != NULL)
				out_putc(&o, ' ');
			break;
		case '-':
			if (env != NULL)
				out_put(&o, "%20", 3);
			break;
		case '{':
			if (!macro_expand_one(s, len, &i, mode, env, &o))
				return false;
			break;
		default:
			return false;
		}
	}
	if (env == NULL)
		return true;
	if (mode == SPF_MACRO_DOMAIN)
		out_domain_finish(&o);
	out[o.len] = '\0';
	return true;
}
