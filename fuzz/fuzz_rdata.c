/*
 * fuzz_rdata.c - libFuzzer harness for dns/wire: query names and the
 * rdata decoders
 *
 * LLVMFuzzerTestOneInput() hands the input, as one record's rdata, to
 * every decoder (A, AAAA, a name as PTR and as MX, TXT) with output
 * buffers of every size up to a bound, and, cut at its first NUL, as a
 * name to dns_query_name(). Besides the sanitizers it checks the
 * promises: an address only from exactly 4 or 16 bytes; a decoded name is
 * printable text within its buffer that dns_query_name() accepts; TXT
 * text is shorter than its buffer, NUL-terminated, and shorter than the
 * rdata; an accepted query name gives a lowercase key without trailing
 * dot and an escaped form libunbound reads byte for byte. Linked with
 * replay.c it replays fuzz/corpus/rdata in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/resolver.h"
#include "dns/wire.h"
#include "fuzz.h"

#define OUT_SIZES 300

/* A decoded name: printable text within out, and a name we would ask
 * about (unless it is the root, ""). */
static void
check_name(const char *out, size_t outlen)
{
	char key[DNS_QUERY_NAME_MAX], escaped[DNS_QUERY_NAME_MAX];
	size_t len = strlen(out);

	CHECK(len < outlen && len <= DNS_NAME_MAX);
	for (size_t i = 0; i < len; i++)
		CHECK(out[i] >= 0x20 && out[i] <= 0x7e);
	CHECK(len == 0 || dns_query_name(out, key, escaped));
}

static void
fuzz_decoders(const struct dns_rdata *rd)
{
	static char out[OUT_SIZES + 1];
	struct ip_addr ip;
	unsigned pref;
	size_t len;

	CHECK(dns_rdata_a(rd, &ip) == (rd->len == 4));
	CHECK(dns_rdata_aaaa(rd, &ip) == (rd->len == 16));
	for (size_t n = 0; n <= OUT_SIZES; n++) {
		if (dns_rdata_name(rd, DNS_T_PTR, NULL, out, n))
			check_name(out, n);
		if (dns_rdata_name(rd, DNS_T_MX, &pref, out, n)) {
			check_name(out, n);
			CHECK(pref ==
			    ((unsigned)rd->data[0] << 8 | rd->data[1]));
		}
		if (dns_rdata_txt(rd, out, n, &len))
			CHECK(len < n && len < rd->len && out[len] == '\0');
	}
}

/* The escaped name, read back the way libunbound reads it, and the key
 * must both be the name, apart from case and the trailing dot. */
static void
fuzz_query_name(const char *name)
{
	char key[DNS_QUERY_NAME_MAX], escaped[DNS_QUERY_NAME_MAX];
	size_t klen, i = 0;

	if (!dns_query_name(name, key, escaped))
		return;
	klen = strlen(key);
	CHECK(klen > 0 && klen <= DNS_NAME_MAX && key[klen - 1] != '.');
	CHECK(strlen(escaped) < DNS_QUERY_NAME_MAX);
	for (const char *e = escaped; *e != '\0'; i++) {
		unsigned char c = (unsigned char)*e;

		if (c == '\\') {
			c = (unsigned char)((e[1] - '0') * 100 +
			    (e[2] - '0') * 10 + (e[3] - '0'));
			e += 4;
		} else {
			e++;
		}
		CHECK(i < klen);
		CHECK((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) ==
		    (unsigned char)key[i]);
		CHECK((unsigned char)name[i] == c);
	}
	CHECK(i == klen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_rdata rd = { data, size };
	char *name = malloc(size + 1);

	fuzz_decoders(&rd);
	CHECK(name != NULL);
	memcpy(name, data, size);
	name[size] = '\0';
	fuzz_query_name(name);
	free(name);
	return 0;
}
