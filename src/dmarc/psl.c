/*
 * psl.c - Organizational Domains from the Public Suffix List, by libpsl
 *
 * PUBLIC FUNCTIONS
 *	dmarc_psl_load(), dmarc_psl_free(), dmarc_psl_registrable(); see
 *	dmarc.h.
 *
 * WHY LIBPSL
 *	RFC 7489 3.2: the Organizational Domain is the longest public suffix
 *	of a name plus one label. libpsl implements the list's rules
 *	(wildcards, exceptions, IDN labels in both forms) and passes the
 *	list's own test cases; libopendmarc's table does not (see dmarc.h).
 *	The list is read from the file the policy names (Debian's
 *	publicsuffix package by default), never from libpsl's built-in copy,
 *	so a package update and a reload are all it takes to follow changes.
 *
 * CONTRACT
 *	A loaded list is immutable; libpsl's lookups keep no state, so one
 *	list serves all threads. Names are lowercased to UTF-8 first (libpsl
 *	wants that), which also takes A-labels as they are.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "core/xalloc.h"
#include "dmarc/dmarc.h"

struct dmarc_psl {
	psl_ctx_t *ctx;
};

struct dmarc_psl *
dmarc_psl_load(const char *path, char *err, size_t errlen)
{
	struct dmarc_psl *psl;
	psl_ctx_t *ctx;
	FILE *f;

	/* libpsl says nothing about why a load failed: ask fopen first. */
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "public suffix list %s: %m", path);
		return NULL;
	}
	fclose(f);
	ctx = psl_load_file(path);
	if (ctx == NULL || psl_suffix_count(ctx) <= 0) {
		psl_free(ctx);
		snprintf(err, errlen, "public suffix list %s: no rules in it",
		    path);
		return NULL;
	}
	psl = xmalloc(sizeof(*psl));
	psl->ctx = ctx;
	return psl;
}

void
dmarc_psl_free(struct dmarc_psl **psl_p)
{
	if (*psl_p == NULL)
		return;
	psl_free((*psl_p)->ctx);
	free(*psl_p);
	*psl_p = NULL;
}

bool
dmarc_psl_registrable(const struct dmarc_psl *psl, const char *name,
    char *out, size_t outlen)
{
	char *lower = NULL;
	const char *reg;
	bool ok = false;

	if (name == NULL || *name == '\0')
		return false;
	if (psl_str_to_utf8lower(name, "utf-8", NULL, &lower) != PSL_SUCCESS)
		return false;
	reg = psl_registrable_domain(psl->ctx, lower);
	if (reg != NULL && strlen(reg) < outlen) {
		memcpy(out, reg, strlen(reg) + 1);
		ok = true;
	}
	psl_free_string(lower);
	return ok;
}
