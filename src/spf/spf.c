/*
 * spf.c - spf_check(): the request made whole, then the chosen engine
 *
 * spf_check() clears the outcome, checks the IPv4-mapped IPv6 client
 * address as IPv4 (RFC 7208 section 5: "MUST still be considered an IPv4
 * address"), fills a missing sender with postmaster@domain, and hands the
 * request to mxward's evaluator or to libspf2. The name tables and
 * spf_explanation_valid() live here too. Thread safe.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/xalloc.h"
#include "spf/engine.h"
#include "spf/macro.h"
#include "spf/spf.h"

const struct conf_name_code spf_engine_names[] = {
	{ "mxward", SPF_ENGINE_MXWARD },
	{ "libspf2", SPF_ENGINE_LIBSPF2 },
	{ NULL, 0 },
};

const struct conf_name_code spf_result_names[] = {
	{ "none", SPFR_NONE },
	{ "neutral", SPFR_NEUTRAL },
	{ "pass", SPFR_PASS },
	{ "fail", SPFR_FAIL },
	{ "softfail", SPFR_SOFTFAIL },
	{ "temperror", SPFR_TEMPERROR },
	{ "permerror", SPFR_PERMERROR },
	{ NULL, 0 },
};

const char *
spf_result_name(enum spf_result result)
{
	for (size_t i = 0; spf_result_names[i].name != NULL; i++)
		if (spf_result_names[i].code == (int)result)
			return spf_result_names[i].name;
	return "permerror";
}

bool
spf_result_parse(const char *name, enum spf_result *result_r)
{
	for (size_t i = 0; name != NULL && spf_result_names[i].name != NULL;
	    i++)
		if (strcmp(spf_result_names[i].name, name) == 0) {
			*result_r = (enum spf_result)spf_result_names[i].code;
			return true;
		}
	return false;
}

bool
spf_explanation_valid(const char *text)
{
	return spf_macro_expand(text, strlen(text), SPF_MACRO_EXPLAIN, NULL,
	    NULL, 0);
}

/* ::ffff:a.b.c.d as a.b.c.d. */
static void
unmap(const struct ip_addr *in, struct ip_addr *out)
{
	static const unsigned char prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	*out = *in;
	if (in->family != AF_INET6 || memcmp(in->bytes, prefix, 12) != 0)
		return;
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	memcpy(out->bytes, in->bytes + 12, 4);
}

void
spf_check(enum spf_engine engine, struct dns_resolver *dns,
    const struct spf_request *req, struct spf_outcome *out)
{
	struct spf_request r = *req;
	struct ip_addr ip;
	char *sender = NULL;

	memset(out, 0, sizeof(*out));
	if (r.domain == NULL || r.domain[0] == '\0') {
		out->result = SPFR_NONE;
		snprintf(out->reason, sizeof(out->reason), "no domain");
		return;
	}
	if (r.sender == NULL || r.sender[0] == '\0')
		r.sender = sender = xasprintf("postmaster@%s", r.domain);
	unmap(&req->client_ip, &ip);
	if (engine == SPF_ENGINE_LIBSPF2)
		spf_eval_libspf2(dns, &r, &ip, out);
	else
		spf_eval_mxward(dns, &r, &ip, out);
	free(sender);
}
