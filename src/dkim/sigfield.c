/*
 * sigfield.c - DKIM tag=value lists: signature fields and key records
 *
 * See sigfield.h. The tag-list grammar is RFC 6376 section 3.2: tag names
 * are ALPHA *(ALPHA / DIGIT / "_"), values are VALCHARs (%x21-3A,
 * %x3C-7E) with FWS between them, tags are separated by ";" with an
 * optional trailing one, and a name given twice makes the whole list
 * invalid. CR and LF count as FWS, so folded fields need no unfolding.
 * The checks of a signature follow section 6.1.1 in its order, so the
 * reason given is the first thing a verifier would have stumbled on.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "dkim/sigfield.h"

#define B_DECODED_MAX 1100  /* b=: an 8192-bit RSA signature, with room */
#define BH_DECODED_MAX 64   /* bh=: SHA-256 is 32 bytes */

static bool
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* VALCHAR: printable ASCII but ";". */
static bool
is_valchar(char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

bool
dkim_taglist_split(const char *text, size_t len, struct dkim_tag *tags,
    size_t max, size_t *n_r, const char **why_r)
{
	size_t pos = 0, n = 0;

	*n_r = 0;
	*why_r = NULL;
	for (;;) {
		struct dkim_tag t;

		while (pos < len && is_fws(text[pos]))
			pos++;
		if (pos == len)
			return true;
		if (!is_alpha(text[pos])) {
			*why_r = "tag name expected";
			return false;
		}
		t.name = text + pos;
		while (pos < len && (is_alpha(text[pos]) ||
		    is_digit(text[pos]) || text[pos] == '_'))
			pos++;
		t.name_len = (size_t)(text + pos - t.name);
		while (pos < len && is_fws(text[pos]))
			pos++;
		if (pos == len || text[pos] != '=') {
			*why_r = "\"=\" expected after a tag name";
			return false;
		}
		pos++;
		while (pos < len && is_fws(text[pos]))
			pos++;
		t.value = text + pos;
		while (pos < len && text[pos] != ';') {
			if (!is_valchar(text[pos]) && !is_fws(text[pos])) {
				*why_r = "invalid character in a tag value";
				return false;
			}
			pos++;
		}
		t.value_len = (size_t)(text + pos - t.value);
		while (t.value_len > 0 && is_fws(t.value[t.value_len - 1]))
			t.value_len--;
		for (size_t i = 0; i < n; i++)
			if (tags[i].name_len == t.name_len &&
			    memcmp(tags[i].name, t.name, t.name_len) == 0) {
				*why_r = "duplicate tag";
				return false;
			}
		if (n == max) {
			*why_r = "too many tags";
			return false;
		}
		tags[n++] = t;
		*n_r = n;
		if (pos < len)
			pos++; /* the ";" */
	}
}

/* The tag called name, or NULL. */
static const struct dkim_tag *
tag_find(const struct dkim_tag *tags, size_t n, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (tags[i].name_len == len &&
		    memcmp(tags[i].name, name, len) == 0)
			return &tags[i];
	return NULL;
}

/* Does the tag's value equal word, ignoring ASCII case? */
static bool
value_is(const struct dkim_tag *t, const char *word)
{
	return t->value_len == strlen(word) &&
	    strncasecmp(t->value, word, t->value_len) == 0;
}

/* Copy the value without FWS into out; false if it does not fit. */
static bool
value_copy(const struct dkim_tag *t, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < t->value_len; i++) {
		if (is_fws(t->value[i]))
			continue;
		if (o + 1 >= outlen) {
			out[0] = '\0';
			return false;
		}
		out[o++] = t->value[i];
	}
	out[o] = '\0';
	return true;
}

/* A domain name (or selector): dot-separated labels of letters, digits,
 * '-' and '_', each 1..63, at most DKIM_DOMAIN_MAX in all. */
static bool
domain_ok(const char *name)
{
	size_t label = 0, total = 0;

	for (const char *p = name; *p != '\0'; p++, total++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!is_alpha(*p) && !is_digit(*p) && *p != '-' && *p != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && total <= DKIM_DOMAIN_MAX;
}

/* Is sub the domain d or below it? */
static bool
domain_within(const char *sub, const char *d)
{
	size_t ls = strlen(sub), ld = strlen(d);

	if (ls < ld || strcasecmp(sub + ls - ld, d) != 0)
		return false;
	return ls == ld || sub[ls - ld - 1] == '.';
}

/* A decimal number of 1 to 19 digits into *v_r (t=, x=, l=). */
static bool
number_read(const struct dkim_tag *t, uint64_t *v_r)
{
	uint64_t v = 0;

	if (t->value_len == 0 || t->value_len > 19)
		return false;
	for (size_t i = 0; i < t->value_len; i++) {
		if (!is_digit(t->value[i]))
			return false;
		v = v * 10 + (uint64_t)(t->value[i] - '0');
	}
	*v_r = v;
	return true;
}

/* Call fn for each colon-separated element of a value, FWS trimmed;
 * stops and returns true when fn does. */
static bool
list_any(const struct dkim_tag *t, bool (*fn)(const char *, size_t,
    const void *), const void *arg)
{
	size_t i = 0;

	while (i <= t->value_len) {
		size_t start = i, end;

		while (i < t->value_len && t->value[i] != ':')
			i++;
		end = i;
		while (start < end && is_fws(t->value[start]))
			start++;
		while (end > start && is_fws(t->value[end - 1]))
			end--;
		if (fn(t->value + start, end - start, arg))
			return true;
		i++;
	}
	return false;
}

/* list_any() helpers: an element equal to the word, ignoring case, or
 * one that is empty. */
static bool
elem_is(const char *e, size_t len, const void *word)
{
	return len == strlen(word) && strncasecmp(e, word, len) == 0;
}

static bool
elem_empty(const char *e, size_t len, const void *unused)
{
	(void)e;
	(void)unused;
	return len == 0;
}

/* c=: header[/body], each simple or relaxed. */
static bool
canon_ok(const struct dkim_tag *t)
{
	const char *slash = memchr(t->value, '/', t->value_len);
	size_t hlen = slash ? (size_t)(slash - t->value) : t->value_len;
	struct dkim_tag part = { NULL, 0, t->value, hlen };

	if (!value_is(&part, "simple") && !value_is(&part, "relaxed"))
		return false;
	if (slash == NULL)
		return true;
	part.value = slash + 1;
	part.value_len = t->value_len - hlen - 1;
	return value_is(&part, "simple") || value_is(&part, "relaxed");
}

static const struct {
	const char *name;
	enum dkim_alg alg;
} alg_names[] = {
	{ "rsa-sha256", DKIMA_RSA_SHA256 },
	{ "ed25519-sha256", DKIMA_ED25519_SHA256 },
	{ "rsa-sha1", DKIMA_RSA_SHA1 },
};

/* Fill the parts of sf that are there to read, valid or not. */
static void
sigfield_fill(const struct dkim_tag *tags, size_t n, struct dkim_sigfield *sf)
{
	const struct dkim_tag *t;
	char b[sizeof(sf->b)];

	if ((t = tag_find(tags, n, "d")) != NULL)
		value_copy(t, sf->domain, sizeof(sf->domain));
	if ((t = tag_find(tags, n, "s")) != NULL)
		value_copy(t, sf->selector, sizeof(sf->selector));
	if ((t = tag_find(tags, n, "i")) != NULL)
		value_copy(t, sf->identity, sizeof(sf->identity));
	if ((t = tag_find(tags, n, "a")) != NULL) {
		value_copy(t, sf->algorithm, sizeof(sf->algorithm));
		for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]);
		    i++)
			if (value_is(t, alg_names[i].name))
				sf->alg = alg_names[i].alg;
	}
	if ((t = tag_find(tags, n, "b")) != NULL) {
		size_t o = 0;

		for (size_t i = 0; i < t->value_len && o + 1 < sizeof(b); i++)
			if (!is_fws(t->value[i]))
				b[o++] = t->value[i];
		b[o] = '\0';
		memcpy(sf->b, b, sizeof(b));
	}
	if ((t = tag_find(tags, n, "t")) != NULL)
		sf->has_timestamp = number_read(t, &sf->timestamp);
	if ((t = tag_find(tags, n, "x")) != NULL)
		sf->has_expiry = number_read(t, &sf->expiry);
}

/* The first thing wrong with the signature, or NULL (section 6.1.1). */
static const char *
sigfield_problem(const struct dkim_tag *tags, size_t n,
    const struct dkim_sigfield *sf)
{
	static const char *const required[] = { "a", "b", "bh", "d", "h",
	    "s" };
	unsigned char scratch[B_DECODED_MAX];
	const struct dkim_tag *t;
	const char *at;
	uint64_t num;
	size_t len;

	if ((t = tag_find(tags, n, "v")) == NULL)
		return "v= missing";
	if (!value_is(t, "1"))
		return "unsupported version";
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (tag_find(tags, n, required[i]) == NULL) {
			static const char *const why[] = { "a= missing",
			    "b= missing", "bh= missing", "d= missing",
			    "h= missing", "s= missing" };
			return why[i];
		}
	if (sf->alg == DKIMA_UNKNOWN)
		return "unknown algorithm";
	t = tag_find(tags, n, "b");
	if (t->value_len == 0 || !dkim_base64_read(t->value, t->value_len,
	    scratch, sizeof(scratch), &len) || len == 0)
		return "b= is not base64";
	t = tag_find(tags, n, "bh");
	if (t->value_len == 0 || !dkim_base64_read(t->value, t->value_len,
	    scratch, BH_DECODED_MAX, &len) || len == 0)
		return "bh= is not base64";
	if (!domain_ok(sf->domain))
		return "d= is not a domain name";
	if (!domain_ok(sf->selector))
		return "s= is not a selector";
	t = tag_find(tags, n, "h");
	if (list_any(t, elem_empty, NULL))
		return "h= holds an empty name";
	if (!list_any(t, elem_is, "from"))
		return "h= does not include From";
	if ((t = tag_find(tags, n, "i")) != NULL) {
		at = strrchr(sf->identity, '@');
		if (at == NULL || !domain_within(at + 1, sf->domain))
			return "i= is not within d=";
	}
	if ((t = tag_find(tags, n, "c")) != NULL && !canon_ok(t))
		return "unknown canonicalization";
	if ((t = tag_find(tags, n, "q")) != NULL &&
	    !list_any(t, elem_is, "dns/txt"))
		return "unknown query method";
	if ((t = tag_find(tags, n, "l")) != NULL && !number_read(t, &num))
		return "l= is not a number";
	if (tag_find(tags, n, "t") != NULL && !sf->has_timestamp)
		return "t= is not a number";
	if (tag_find(tags, n, "x") != NULL && !sf->has_expiry)
		return "x= is not a number";
	if (sf->has_timestamp && sf->has_expiry && sf->expiry < sf->timestamp)
		return "x= is before t=";
	return NULL;
}

void
dkim_sigfield_read(const char *value, size_t len, struct dkim_sigfield *sf)
{
	struct dkim_tag tags[DKIM_TAGS_MAX];
	const char *why;
	size_t n;
	bool split;

	memset(sf, 0, sizeof(*sf));
	split = dkim_taglist_split(value, len, tags, DKIM_TAGS_MAX, &n, &why);
	sigfield_fill(tags, n, sf);
	if (!split) {
		snprintf(sf->reason, sizeof(sf->reason),
		    "malformed signature: %s", why);
		return;
	}
	why = sigfield_problem(tags, n, sf);
	if (why != NULL) {
		snprintf(sf->reason, sizeof(sf->reason), "%s", why);
		return;
	}
	sf->valid = true;
}

/* Fill the flags of a key record from its h=, k=, s= and t= tags;
 * the reason when one of them rules the key out, else NULL. */
static const char *
keyrecord_tags(const struct dkim_tag *tags, size_t n, struct dkim_keyrecord *kr)
{
	const struct dkim_tag *t;

	kr->type = DKIMK_RSA;
	kr->allows_sha1 = kr->allows_sha256 = true;
	if ((t = tag_find(tags, n, "h")) != NULL) {
		kr->allows_sha1 = list_any(t, elem_is, "sha1");
		kr->allows_sha256 = list_any(t, elem_is, "sha256");
	}
	if ((t = tag_find(tags, n, "k")) != NULL) {
		if (value_is(t, "rsa"))
			kr->type = DKIMK_RSA;
		else if (value_is(t, "ed25519"))
			kr->type = DKIMK_ED25519;
		else
			kr->type = DKIMK_UNKNOWN;
	}
	if ((t = tag_find(tags, n, "t")) != NULL) {
		kr->testing = list_any(t, elem_is, "y");
		kr->same_domain = list_any(t, elem_is, "s");
	}
	if ((t = tag_find(tags, n, "s")) != NULL &&
	    !list_any(t, elem_is, "*") && !list_any(t, elem_is, "email"))
		return "key not for email (s=)";
	if (kr->type == DKIMK_UNKNOWN)
		return "unknown key type (k=)";
	return NULL;
}

void
dkim_keyrecord_read(const char *text, size_t len, struct dkim_keyrecord *kr)
{
	struct dkim_tag tags[DKIM_TAGS_MAX];
	const struct dkim_tag *t;
	const char *why;
	size_t n;

	memset(kr, 0, sizeof(*kr));
	if (!dkim_taglist_split(text, len, tags, DKIM_TAGS_MAX, &n, &why)) {
		snprintf(kr->reason, sizeof(kr->reason),
		    "malformed key record: %s", why);
		return;
	}
	/* v=, when there, must come first and say DKIM1. */
	t = tag_find(tags, n, "v");
	if (t != NULL && (t != &tags[0] || !value_is(t, "DKIM1"))) {
		snprintf(kr->reason, sizeof(kr->reason),
		    "unsupported key version");
		return;
	}
	why = keyrecord_tags(tags, n, kr);
	if (why == NULL && (t = tag_find(tags, n, "p")) == NULL)
		why = "key record without p=";
	if (why == NULL && t->value_len == 0) {
		kr->revoked = true;
		why = "key revoked";
	}
	if (why == NULL && !dkim_base64_read(t->value, t->value_len,
	    kr->key, sizeof(kr->key), &kr->key_len))
		why = "key p= is not base64";
	if (why != NULL) {
		snprintf(kr->reason, sizeof(kr->reason), "%s", why);
		return;
	}
	kr->valid = true;
}

/* The 6-bit value of a base64 character, or -1. */
static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool
dkim_base64_read(const char *text, size_t len, unsigned char *out,
    size_t outlen, size_t *len_r)
{
	unsigned long acc = 0;
	size_t o = 0, chars = 0, pads = 0;

	*len_r = 0;
	for (size_t i = 0; i < len; i++) {
		int v;

		if (is_fws(text[i]))
			continue;
		if (text[i] == '=') {
			if (++pads > 2)
				return false;
			continue;
		}
		if (pads > 0 || (v = b64_value(text[i])) < 0)
			return false;
		acc = (acc << 6) | (unsigned long)v;
		if (++chars % 4 == 0) {
			if (o + 3 > outlen)
				return false;
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	/* Padded to a multiple of four: 2 or 3 characters left take 2 or
	 * 1 "=", so 1 left can never be. */
	if ((chars + pads) % 4 != 0)
		return false;
	switch (chars % 4) {
	case 2:
		if (o + 1 > outlen)
			return false;
		out[o++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		if (o + 2 > outlen)
			return false;
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
		break;
	}
	*len_r = o;
	return true;
}

bool
dkim_field_next(const unsigned char *msg, size_t len, size_t *pos,
    size_t *start_r, size_t *len_r)
{
	size_t p = *pos, end;

	if (p >= len || msg[p] == '\n' ||
	    (msg[p] == '\r' && p + 1 < len && msg[p + 1] == '\n'))
		return false;
	*start_r = p;
	for (;;) {
		const unsigned char *nl = memchr(msg + p, '\n', len - p);

		if (nl == NULL) {
			end = p = len;
			break;
		}
		end = (size_t)(nl - msg);
		p = end + 1;
		if (p >= len || (msg[p] != ' ' && msg[p] != '\t'))
			break;
	}
	if (end > *start_r && msg[end - 1] == '\r')
		end--;
	*len_r = end - *start_r;
	*pos = p;
	return true;
}

size_t
dkim_body_start(const unsigned char *msg, size_t len, size_t pos)
{
	if (pos < len && msg[pos] == '\r')
		pos++;
	return pos < len ? pos + 1 : len;
}

unsigned char *
dkim_crlf(const unsigned char *msg, size_t len, size_t *len_r)
{
	size_t extra = 0, o = 0;
	unsigned char *out;

	for (size_t i = 0; i < len; i++)
		if ((msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r')) ||
		    (msg[i] == '\r' && (i + 1 == len || msg[i + 1] != '\n')))
			extra++;
	if (extra == 0)
		return NULL;
	out = xmalloc(len + extra);
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = msg[i];
		if (msg[i] == '\r' && (i + 1 == len || msg[i + 1] != '\n'))
			out[o++] = '\n';
	}
	*len_r = o;
	return out;
}
