/*
 * key.c - build the key a transaction charges under a limit; see key.h
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ratelimit/key.h"

static const char *const part_names[] = {
	[RL_PART_CLIENT_ADDRESS] = "client_address",
	[RL_PART_CLIENT_NETWORK] = "client_network",
	[RL_PART_HELO] = "helo",
	[RL_PART_SENDER] = "sender",
	[RL_PART_SENDER_DOMAIN] = "sender_domain",
	[RL_PART_SASL_LOGIN] = "sasl_login",
	[RL_PART_RECIPIENT] = "recipient",
	[RL_PART_RECIPIENT_DOMAIN] = "recipient_domain",
};

#define PARTS (sizeof(part_names) / sizeof(part_names[0]))

const char *
rl_part_name(int part)
{
	return part >= 0 && (size_t)part < PARTS ? part_names[part] : "?";
}

bool
rl_part_parse(const char *name, int *part_r)
{
	for (size_t i = 0; i < PARTS; i++)
		if (strcmp(part_names[i], name) == 0) {
			*part_r = (int)i;
			return true;
		}
	return false;
}

/* Append text (lowercased with lower), control characters as '?',
 * within out. */
static void
put_text(char *out, size_t outlen, size_t *len, const char *text,
    bool lower)
{
	for (; *text != '\0' && *len + 1 < outlen; text++) {
		unsigned char c = (unsigned char)*text;

		out[(*len)++] = c < 0x20 || c == 0x7f ? '?' :
		    lower ? (char)tolower(c) : (char)c;
	}
	out[*len] = '\0';
}

/* The domain of an address: after its last '@', "" without one; "<>"
 * for the null sender. */
static const char *
address_domain(const char *address)
{
	const char *at;

	if (*address == '\0')
		return "<>";
	at = strrchr(address, '@');
	return at != NULL ? at + 1 : "";
}

/* The client address masked to its network, as "ADDR/LEN". */
static void
client_network(const struct rl_key_facts *f, char *out, size_t outlen)
{
	struct ip_addr net = *f->client_ip;
	unsigned prefix = net.family == AF_INET ? f->ipv4_prefix :
	    f->ipv6_prefix;
	unsigned bits = net.family == AF_INET ? 32 : 128;
	char text[CIDR_TEXT_MAX];

	if (prefix > bits)
		prefix = bits;
	for (unsigned i = prefix; i < bits; i++)
		net.bytes[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	ip_format(&net, text, sizeof(text));
	snprintf(out, outlen, "%s/%u", text, prefix);
}

/* The value of one part, or NULL when the transaction lacks it. */
static const char *
part_value(int part, const struct rl_key_facts *f, char *scratch,
    size_t scratchlen)
{
	switch (part) {
	case RL_PART_CLIENT_ADDRESS:
		if (f->client_ip == NULL)
			return NULL;
		ip_format(f->client_ip, scratch, scratchlen);
		return scratch;
	case RL_PART_CLIENT_NETWORK:
		if (f->client_ip == NULL)
			return NULL;
		client_network(f, scratch, scratchlen);
		return scratch;
	case RL_PART_HELO:
		return f->helo;
	case RL_PART_SENDER:
		return f->sender == NULL ? NULL :
		    *f->sender == '\0' ? "<>" : f->sender;
	case RL_PART_SENDER_DOMAIN:
		return f->sender ? address_domain(f->sender) : NULL;
	case RL_PART_SASL_LOGIN:
		return f->sasl_login;
	case RL_PART_RECIPIENT:
		return f->recipient;
	case RL_PART_RECIPIENT_DOMAIN:
		return f->recipient ? address_domain(f->recipient) : NULL;
	default:
		return NULL;
	}
}

bool
rl_key_build(const char *limit_name, const int *parts, size_t n_parts,
    const struct rl_key_facts *facts, char *out, size_t outlen)
{
	char scratch[CIDR_TEXT_MAX + 8];
	size_t len = 0;

	out[0] = '\0';
	put_text(out, outlen, &len, limit_name, false);
	for (size_t i = 0; i < n_parts; i++) {
		const char *value = part_value(parts[i], facts, scratch,
		    sizeof(scratch));

		if (value == NULL)
			return false;
		put_text(out, outlen, &len, ":", false);
		put_text(out, outlen, &len, rl_part_name(parts[i]), false);
		put_text(out, outlen, &len, "=", false);
		put_text(out, outlen, &len, value, true);
	}
	return true;
}
