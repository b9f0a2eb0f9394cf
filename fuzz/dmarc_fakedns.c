/*
 * dmarc_fakedns.c - an in-memory stand-in for the shared resolver; see
 * dmarc_fakedns.h
 *
 * TXT data is kept as RFC 1035 wire format (character-strings of at most
 * 255 bytes), so the library decodes it with dns_rdata_txt() as it would
 * a real answer. Names are compared without regard to ASCII case.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "dmarc_fakedns.h"

#define FAKE_MAX 64

struct fake {
	char *name;
	enum dns_status status;   /* DNS_OK: TXT records below */
	unsigned char *wire;      /* one TXT record (DNS_OK only) */
	size_t len;
};

static struct fake fakes[FAKE_MAX];
static size_t n_fakes;
static unsigned n_lookups;

void
fakedns_reset(void)
{
	for (size_t i = 0; i < n_fakes; i++) {
		free(fakes[i].name);
		free(fakes[i].wire);
	}
	n_fakes = 0;
	n_lookups = 0;
}

/* A new entry for name. */
static struct fake *
add(const char *name, enum dns_status status)
{
	struct fake *f;

	if (n_fakes == FAKE_MAX) {
		printf("Bail out! fakedns: table full\n");
		exit(1);
	}
	f = &fakes[n_fakes++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->status = status;
	return f;
}

void
fakedns_txt(const char *name, const char *text)
{
	struct fake *f = add(name, DNS_OK);
	size_t len = strlen(text), o = 0;

	f->wire = xmalloc(len + len / 255 + 2);
	do {
		size_t n = len > 255 ? 255 : len;

		f->wire[o++] = (unsigned char)n;
		memcpy(f->wire + o, text, n);
		o += n;
		text += n;
		len -= n;
	} while (len > 0);
	f->len = o;
}

void
fakedns_fail(const char *name, enum dns_status status)
{
	add(name, status);
}

unsigned
fakedns_count(void)
{
	return n_lookups;
}

const struct dns_answer *
dns_lookup(struct dns_resolver *r, const char *name, enum dns_type type)
{
	struct dns_answer *a;
	size_t n = 0;
	enum dns_status status = DNS_NXDOMAIN;

	(void)r;
	n_lookups++;
	for (size_t i = 0; i < n_fakes; i++) {
		if (strcasecmp(fakes[i].name, name) != 0)
			continue;
		if (fakes[i].status != DNS_OK)
			status = fakes[i].status;
		else if (type == DNS_T_TXT)
			n++;
		else
			status = DNS_NODATA;
		if (status == DNS_NXDOMAIN)
			status = DNS_NODATA;
	}
	a = xcalloc(1, sizeof(*a) + n * sizeof(a->rr[0]));
	a->type = type;
	a->status = n > 0 ? DNS_OK : status;
	for (size_t i = 0; i < n_fakes && n > 0; i++)
		if (strcasecmp(fakes[i].name, name) == 0 &&
		    fakes[i].status == DNS_OK && type == DNS_T_TXT) {
			a->rr[a->count].data = fakes[i].wire;
			a->rr[a->count++].len = fakes[i].len;
		}
	return a;
}

void
dns_answer_free(const struct dns_answer **answer_p)
{
	free((void *)*answer_p);
	*answer_p = NULL;
}

const char *
dns_status_name(enum dns_status status)
{
	static const char *const names[] = { "ok", "nodata", "nxdomain",
	    "servfail", "timeout", "badname", "error" };

	return names[status];
}

bool
dns_rdata_txt(const struct dns_rdata *rd, char *out, size_t outlen,
    size_t *len_r)
{
	size_t i = 0, o = 0;

	while (i < rd->len) {
		size_t n = rd->data[i++];

		if (n > rd->len - i || o + n >= outlen)
			return false;
		memcpy(out + o, rd->data + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	*len_r = o;
	return true;
}
