/*
 * fuzz_spf_macro.c - libFuzzer harness for spf/macro: macro strings of
 * domain-specs, explanations and unknown modifiers
 *
 * LLVMFuzzerTestOneInput() reads its input as MODE VALUE NUL MACRO: the
 * first byte picks the mode, the bytes up to the first NUL are the value
 * of every macro letter (a sender's local part can be anything), the rest
 * is the macro string. Both client and IPv6 address forms are used. It
 * checks that the syntax check and the expansion agree, that a domain
 * comes out at most DNS_NAME_MAX characters long (and refuses a buffer
 * too small for its window), and that an explanation fits its buffer, a
 * small one included.
 * Linked with replay.c it replays fuzz/corpus/spf_macro in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/name.h"
#include "fuzz.h"
#include "spf/macro.h"

static const char *
validated(void *ctx, const char *domain)
{
	(void)domain;
	return ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum spf_macro_mode modes[] = { SPF_MACRO_DOMAIN,
	    SPF_MACRO_EXPLAIN, SPF_MACRO_MODIFIER };
	char value[1024], out[SPF_MACRO_DOMAIN_OUT], tiny[5];
	const uint8_t *nul;
	const char *macro;
	size_t vlen, mlen;
	enum spf_macro_mode mode;
	struct ip_addr ip = { .family = AF_INET };
	struct spf_macro_env env = {
		.sender = value, .local = value, .sender_domain = value,
		.domain = value, .ip = &ip, .helo = value, .receiver = value,
		.now = 1, .validated_name = validated, .ctx = value,
	};
	bool valid;

	if (size < 1)
		return 0;
	mode = modes[data[0] % 3];
	if (data[0] & 4)
		ip.family = AF_INET6;
	data++;
	size--;
	nul = memchr(data, '\0', size);
	vlen = nul ? (size_t)(nul - data) : 0;
	if (vlen >= sizeof(value))
		vlen = sizeof(value) - 1;
	memcpy(value, data, vlen);
	value[vlen] = '\0';
	memcpy(ip.bytes, value, vlen < 16 ? vlen : 16);
	macro = (const char *)data + (nul ? (size_t)(nul - data) + 1 : 0);
	mlen = size - (size_t)(macro - (const char *)data);
	valid = spf_macro_expand(macro, mlen, mode, NULL, NULL, 0);
	CHECK(spf_macro_expand(macro, mlen, mode, &env, out, sizeof(out)) ==
	    valid);
	if (!valid)
		return 0;
	if (mode == SPF_MACRO_DOMAIN) {
		CHECK(strlen(out) <= DNS_NAME_MAX);
		CHECK(!spf_macro_expand(macro, mlen, mode, &env, tiny,
		    sizeof(tiny)));
	} else {
		CHECK(strlen(out) < sizeof(out));
		CHECK(spf_macro_expand(macro, mlen, mode, &env, tiny,
		    sizeof(tiny)) && strlen(tiny) < sizeof(tiny));
	}
	return 0;
}
