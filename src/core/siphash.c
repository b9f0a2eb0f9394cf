/*
 * siphash.c - SipHash-2-4 (Aumasson and Bernstein); see siphash.h
 *
 * Two compression rounds per 8-byte little-endian word, the length in the
 * top byte of the last word, four finalization rounds.
 */
#include "config.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/siphash.h"

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

/* One SipHash round over the state v. */
static inline void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13) ^ v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17) ^ v[2];
	v[2] = ROTL(v[2], 32);
}

/* SipHash-2-4 of data[0..len) under key. */
uint64_t
siphash24(const uint64_t key[2], const void *data_v, size_t len)
{
	const unsigned char *data = data_v;
	uint64_t v[4] = {
		key[0] ^ 0x736f6d6570736575ULL,
		key[1] ^ 0x646f72616e646f6dULL,
		key[0] ^ 0x6c7967656e657261ULL,
		key[1] ^ 0x7465646279746573ULL,
	};
	uint64_t m;
	size_t i, tail = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (int b = 7; b >= 0; b--)  /* little-endian on any host */
			m = (m << 8) | data[i + (size_t)b];
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	m = (uint64_t)len << 56;
	for (size_t b = 0; b < tail; b++)
		m |= (uint64_t)data[i + b] << (8 * b);
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* A secret key from the kernel; false when only the clock could be had. */
bool
siphash_key_random(uint64_t key[2])
{
	struct timespec ts;

	if (getrandom(key, 2 * sizeof(key[0]), 0) == 2 * sizeof(key[0]))
		return true;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	key[0] = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	key[1] = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return false;
}
