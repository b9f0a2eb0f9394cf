/*
 * siphash.h - SipHash-2-4, a keyed hash for tables fed untrusted keys
 *
 * siphash24() hashes len bytes under a 128-bit key, the same value on any
 * host byte order. siphash_key_random() fills a key from getrandom(2), or
 * when that fails from the clock and the pid (weaker: then it returns
 * false so the caller can say so).
 *
 * SECURITY
 *	Tables keyed by attacker-chosen strings (message layers, sender
 *	addresses, client IPs) must use a secret per-process key: with an
 *	unkeyed hash an attacker can pick colliding keys, to make lookups
 *	linear or make two entries alias.
 *
 * THREAD SAFETY
 *	Pure functions; safe from any thread.
 */
#ifndef MXWARD_CORE_SIPHASH_H
#define MXWARD_CORE_SIPHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint64_t key[2], const void *data, size_t len);
bool siphash_key_random(uint64_t key[2]);

#endif
