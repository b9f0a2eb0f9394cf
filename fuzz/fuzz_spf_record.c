/*
 * fuzz_spf_record.c - libFuzzer harness for spf/record: SPF records and
 * the domain-specs in them
 *
 * LLVMFuzzerTestOneInput() hands the input, as a TXT record's text, to
 * spf_record_parse() and checks its promises: a record parses only if it
 * selects itself as SPF, is within SPF_RECORD_MAX and holds printable
 * ASCII only; every term has text, a known qualifier, CIDR lengths in
 * range, and a domain-spec that is a valid macro string. Each domain-spec
 * (and redirect=, exp=) is then expanded as a name to look up, with
 * values taken from the input, which must give a name of at most
 * DNS_NAME_MAX characters. Linked with
 * replay.c it replays fuzz/corpus/spf_record in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/name.h"
#include "fuzz.h"
#include "spf/macro.h"
#include "spf/record.h"

/* %{p}: a fixed name, as the evaluator's callback would give. */
static const char *
validated(void *ctx, const char *domain)
{
	(void)ctx;
	return domain;
}

/* Expand one domain-spec and check the name it gives. */
static void
expand(const char *spec, const struct spf_macro_env *env)
{
	char out[SPF_MACRO_DOMAIN_OUT];

	CHECK(spf_macro_expand(spec, strlen(spec), SPF_MACRO_DOMAIN, NULL,
	    NULL, 0));
	CHECK(spf_macro_expand(spec, strlen(spec), SPF_MACRO_DOMAIN, env, out,
	    sizeof(out)));
	CHECK(strlen(out) <= DNS_NAME_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char err[200], value[64];
	struct spf_record *r = spf_record_parse(text, size, err, sizeof(err));
	struct ip_addr ip = { .family = size % 2 ? AF_INET6 : AF_INET };
	struct spf_macro_env env = {
		.sender = value, .local = value, .sender_domain = value,
		.domain = value, .ip = &ip, .helo = value,
		.validated_name = validated,
	};
	size_t n = size < sizeof(value) - 1 ? size : sizeof(value) - 1;

	if (r == NULL) {
		CHECK(err[0] != '\0');
		return 0;
	}
	CHECK(size <= SPF_RECORD_MAX && spf_record_is_spf(text, size));
	for (size_t i = 0; i < size; i++)
		CHECK(data[i] >= 0x20 && data[i] < 0x7f);
	/* The record's own bytes serve as every macro's value. */
	memcpy(value, data, n);
	value[n] = '\0';
	memcpy(ip.bytes, value, n < 16 ? n : 16);
	for (size_t i = 0; i < r->n_terms; i++) {
		const struct spf_term *t = &r->terms[i];

		CHECK(t->text != NULL && t->text[0] != '\0');
		CHECK(t->qualifier == SPFR_PASS || t->qualifier == SPFR_FAIL ||
		    t->qualifier == SPFR_SOFTFAIL || t->qualifier == SPFR_NEUTRAL);
		CHECK(t->cidr4 <= 32 && t->cidr6 <= 128);
		CHECK(t->network.prefix <= 128);
		CHECK(strcmp(spf_mechanism_name(t->mechanism), "?") != 0);
		if (t->domain_spec != NULL)
			expand(t->domain_spec, &env);
	}
	if (r->redirect != NULL)
		expand(r->redirect, &env);
	if (r->exp != NULL)
		expand(r->exp, &env);
	spf_record_free(&r);
	CHECK(r == NULL);
	return 0;
}
