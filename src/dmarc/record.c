/*
 * record.c - one DMARC policy record: libopendmarc's parser, plus the tags
 * it does not know
 *
 * PUBLIC FUNCTIONS
 *	dmarc_record_is_dmarc(), dmarc_record_parse(), dmarc_result_name(),
 *	dmarc_policy_name(); see dmarc.h.
 *
 * PARSING
 *	A record is a DMARC record when it starts with the version tag:
 *	"v" *WSP "=" *WSP "DMARC1" followed by the end, white space or ";"
 *	(RFC 7489 6.4; "DMARC1" is case-sensitive, the tag name is not).
 *	The tags of RFC 7489 (p, sp, adkim, aspf, pct, rua, ruf, ...) are
 *	parsed by libopendmarc (opendmarc_policy_store_dmarc) on a private
 *	policy context; the tags RFC 9091 and RFC 9989 added (np, psd, t)
 *	and fo are read by tag_value() below, which splits "tag=value" pairs
 *	at ";" and trims white space. An np, psd or t value outside its
 *	grammar is ignored, as RFC 9989 4.8 asks.
 *
 *	When libopendmarc refuses a record (an unknown p= value, a missing
 *	p=), RFC 7489 6.6.3 says to act as if p=none was published when the
 *	record names a rua= address, and to apply no DMARC otherwise;
 *	RFC 9989 4.7 makes a missing p= always mean p=none.
 *
 * CONTRACT
 *	No I/O: libopendmarc's context never asks DNS here (only its report
 *	address check would, and rua is read without it). Thread safe: the
 *	context is made and freed per call.
 *
 * SECURITY
 *	The record comes from DNS. It is bounded by DMARC_RECORD_MAX and
 *	copied NUL-terminated for libopendmarc, which copies it again into a
 *	buffer of BUFSIZ; a NUL byte inside makes it invalid. tag_value()
 *	reads within len and copies at most outlen - 1 bytes. Fuzzed by
 *	fuzz/fuzz_dmarc_record.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendmarc/dmarc.h>

#include "dmarc/dmarc.h"

/* Indexed by enum dmarc_result and enum dmarc_policy. */
static const char *const result_names[] = { "none", "pass", "fail",
    "temperror", "permerror" };
static const char *const policy_names[] = { NULL, "none", "quarantine",
    "reject" };

const char *
dmarc_result_name(enum dmarc_result result)
{
	return result_names[result];
}

const char *
dmarc_policy_name(enum dmarc_policy policy)
{
	return policy_names[policy];
}

/* A policy value (any case) as its code; UNSET when it is none of them. */
static enum dmarc_policy
policy_code(const char *value)
{
	for (int i = DMARC_REQ_NONE; i <= DMARC_REQ_REJECT; i++)
		if (strcasecmp(value, policy_names[i]) == 0)
			return (enum dmarc_policy)i;
	return DMARC_REQ_UNSET;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

bool
dmarc_record_is_dmarc(const char *text, size_t len)
{
	size_t i = 0;

	if (len == 0 || (text[0] != 'v' && text[0] != 'V'))
		return false;
	for (i = 1; i < len && is_wsp(text[i]); i++)
		;
	if (i == len || text[i] != '=')
		return false;
	for (i++; i < len && is_wsp(text[i]); i++)
		;
	if (len - i < 6 || memcmp(text + i, "DMARC1", 6) != 0)
		return false;
	i += 6;
	return i == len || is_wsp(text[i]) || text[i] == ';';
}

/* The value of the first tag called name (any case), white space trimmed,
 * into out; false when there is no such tag or its value is empty. */
static bool
tag_value(const char *text, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t namelen = strlen(name), i = 0;

	while (i < len) {
		size_t end = i, a, b;

		while (end < len && text[end] != ';')
			end++;
		for (a = i; a < end && is_wsp(text[a]); a++)
			;
		if (end - a > namelen && strncasecmp(text + a, name,
		    namelen) == 0) {
			for (a += namelen; a < end && is_wsp(text[a]); a++)
				;
			if (a < end && text[a] == '=') {
				for (a++; a < end && is_wsp(text[a]); a++)
					;
				for (b = end; b > a && is_wsp(text[b - 1]); b--)
					;
				if (b == a)
					return false;
				if (b - a >= outlen)
					b = a + outlen - 1;
				memcpy(out, text + a, b - a);
				out[b - a] = '\0';
				return true;
			}
		}
		i = end + 1;
	}
	return false;
}

/* The tags libopendmarc does not read: np, psd, t and fo. */
static void
read_extra_tags(const char *text, size_t len, struct dmarc_record *rec)
{
	char value[32];

	rec->np = DMARC_REQ_UNSET;
	if (tag_value(text, len, "np", value, sizeof(value)))
		rec->np = policy_code(value);
	rec->psd = 'u';
	if (tag_value(text, len, "psd", value, sizeof(value)) &&
	    strlen(value) == 1 && strchr("ynuYNU", value[0]) != NULL)
		rec->psd = (char)(value[0] | 0x20);
	rec->testing = tag_value(text, len, "t", value, sizeof(value)) &&
	    strcasecmp(value, "y") == 0;
	if (!tag_value(text, len, "fo", rec->fo, sizeof(rec->fo)))
		rec->fo[0] = '\0';
}

/* libopendmarc's p= or sp= letter as ours. */
static enum dmarc_policy
policy_from(int letter)
{
	switch (letter) {
	case DMARC_RECORD_P_NONE:
		return DMARC_REQ_NONE;
	case DMARC_RECORD_P_QUARANTINE:
		return DMARC_REQ_QUARANTINE;
	case DMARC_RECORD_P_REJECT:
		return DMARC_REQ_REJECT;
	default:
		return DMARC_REQ_UNSET;
	}
}

/* A NULL-terminated URI list, comma-separated, into out (cut to fit). */
static void
join_uris(u_char **list, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
		int n = snprintf(out + used, outlen - used, "%s%s",
		    i > 0 ? "," : "", (const char *)list[i]);

		if (n < 0 || (size_t)n >= outlen - used) {
			out[used] = '\0';
			return;
		}
		used += (size_t)n;
	}
}

/* What libopendmarc made of a record it accepted (p may be missing). */
static void
read_context(DMARC_POLICY_T *pctx, struct dmarc_record *rec)
{
	int p = 0, sp = 0, adkim = 0, aspf = 0, pct = 100;

	opendmarc_policy_fetch_p(pctx, &p);
	opendmarc_policy_fetch_sp(pctx, &sp);
	opendmarc_policy_fetch_adkim(pctx, &adkim);
	opendmarc_policy_fetch_aspf(pctx, &aspf);
	opendmarc_policy_fetch_pct(pctx, &pct);
	rec->p = policy_from(p);
	rec->sp = policy_from(sp);
	/* Compared with the letter: libopendmarc 1.4.2 ORs a report-format
	 * bit into aspf for rf=iodef. */
	rec->adkim_strict = adkim == DMARC_RECORD_A_STRICT;
	rec->aspf_strict = aspf == DMARC_RECORD_A_STRICT;
	rec->pct = pct >= 0 && pct <= 100 ? pct : 100;
	/* With no buffer, the lists come back without libopendmarc's DNS
	 * check of foreign report addresses. */
	join_uris(opendmarc_policy_fetch_rua(pctx, NULL, 0, 1), rec->rua,
	    sizeof(rec->rua));
	join_uris(opendmarc_policy_fetch_ruf(pctx, NULL, 0, 1), rec->ruf,
	    sizeof(rec->ruf));
}

/* A record libopendmarc refused but that names rua=: p=none, defaults. */
static void
fallback_none(const char *text, size_t len, struct dmarc_record *rec)
{
	rec->p = DMARC_REQ_NONE;
	rec->sp = DMARC_REQ_UNSET;
	rec->adkim_strict = rec->aspf_strict = false;
	rec->pct = 100;
	tag_value(text, len, "rua", rec->rua, sizeof(rec->rua));
	if (!tag_value(text, len, "ruf", rec->ruf, sizeof(rec->ruf)))
		rec->ruf[0] = '\0';
}

enum dmarc_record_status
dmarc_record_parse(const char *text, size_t len, enum dmarc_org_mode mode,
    struct dmarc_record *rec, char *err, size_t errlen)
{
	char copy[DMARC_RECORD_MAX];
	DMARC_POLICY_T *pctx;
	OPENDMARC_STATUS_T status;

	memset(rec, 0, sizeof(*rec));
	err[0] = '\0';
	if (!dmarc_record_is_dmarc(text, len))
		return DMARC_REC_NOT_DMARC;
	if (len >= sizeof(copy) || memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "record %s", len >= sizeof(copy) ?
		    "too long" : "holds a NUL byte");
		return DMARC_REC_INVALID;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	pctx = opendmarc_policy_connect_init((u_char *)"0.0.0.0", 0);
	if (pctx == NULL)
		abort(); /* out of memory, as xmalloc would */
	status = opendmarc_policy_store_dmarc(pctx, (u_char *)copy,
	    (u_char *)"dmarc.invalid", NULL);
	if (status == DMARC_PARSE_OKAY ||
	    status == DMARC_PARSE_ERROR_NO_REQUIRED_P)
		read_context(pctx, rec);
	opendmarc_policy_connect_shutdown(pctx);
	read_extra_tags(text, len, rec);
	if (status == DMARC_PARSE_OKAY)
		return DMARC_REC_VALID;
	if (status == DMARC_PARSE_ERROR_NO_REQUIRED_P &&
	    (mode == DMARC_ORG_TREE_WALK || rec->rua[0] != '\0')) {
		rec->p = DMARC_REQ_NONE;
		return DMARC_REC_VALID;
	}
	if (status != DMARC_PARSE_ERROR_NO_REQUIRED_P &&
	    tag_value(text, len, "rua", rec->rua, sizeof(rec->rua))) {
		fallback_none(text, len, rec);
		return DMARC_REC_VALID;
	}
	snprintf(err, errlen, "invalid record: %s",
	    opendmarc_policy_status_to_str(status));
	return DMARC_REC_INVALID;
}
