/*
 * fuzz_dmarc_from.c - libFuzzer harness for dmarc_from_parse(): the
 * RFC5322.From domains of a message
 *
 * LLVMFuzzerTestOneInput() hands the input to dmarc_from_parse() as a
 * message and checks its promises: the status agrees with the counts,
 * at most DMARC_FROM_MAX domains are kept (one more is only counted),
 * every kept domain is a distinct, lowercase, valid host name that fits
 * its buffer. Linked with replay.c it replays fuzz/corpus/dmarc_from in
 * `make check`.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "dmarc/dmarc.h"
#include "dns/name.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_from from;
	enum dmarc_from_status st = dmarc_from_parse(data, size, &from);
	size_t kept = from.n_domains < DMARC_FROM_MAX ? from.n_domains :
	    DMARC_FROM_MAX;

	CHECK(from.n_fields <= DMARC_FROM_FIELDS_MAX);
	CHECK(from.n_domains <= DMARC_FROM_MAX + 1);
	CHECK(st == DMARC_FROM_ABSENT ? from.n_fields == 0 :
	    st == DMARC_FROM_NO_DOMAIN ? from.n_fields > 0 &&
	    from.n_domains == 0 : st == DMARC_FROM_OK ? from.n_domains == 1 :
	    from.n_domains > 1);
	for (size_t i = 0; i < kept; i++) {
		const char *d = from.domains[i];

		CHECK(strlen(d) < DMARC_DOMAIN_MAX);
		CHECK(dns_name_valid_hostname_labels(d, 1));
		for (const char *p = d; *p != '\0'; p++)
			CHECK(!isupper((unsigned char)*p));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(d, from.domains[j]) != 0);
	}
	return 0;
}
