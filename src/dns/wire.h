/*
 * wire.h - names as asked, records as received (inside src/dns)
 *
 * dns_query_name() checks a name a caller wants to look up and gives the
 * cache key (ASCII lowercase, without the trailing dot) and the text to
 * hand libunbound (every byte but [A-Za-z0-9_-] and the dots between
 * labels as a \DDD escape, so libunbound's escape syntax never applies
 * to our data). A name is accepted when it has 1 to DNS_NAME_MAX
 * characters besides one trailing dot, labels of 1 to DNS_LABEL_MAX
 * bytes, and only printable ASCII (0x20 to 0x7e) apart from the dots.
 * The rdata decoders are declared in resolver.h. Pure and thread safe.
 *
 * SECURITY: names come from SMTP clients and DNS data; the function
 * reads at most DNS_NAME_MAX + 2 bytes of name and writes within the
 * DNS_QUERY_NAME_MAX bytes of each buffer.
 */
#ifndef MXWARD_DNS_WIRE_H
#define MXWARD_DNS_WIRE_H

#include <stdbool.h>

#include "dns/name.h"

/* Room for a name in \DDD escapes: 4 bytes a character, the NUL. */
#define DNS_QUERY_NAME_MAX (DNS_NAME_MAX * 4 + 1)

bool dns_query_name(const char *name, char *key, char *escaped);

#endif
