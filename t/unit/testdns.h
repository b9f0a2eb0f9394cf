/*
 * testdns.h - the real resolver, for unit tests run by a shell wrapper
 *
 * A wrapper such as t/unit/test_dmarc.sh starts nsd and the dnslib stub
 * on 127.0.0.1 (t/e2e/dns.sh) and passes their ports in environment
 * variables. testdns_resolver() builds a resolver (src/dns/resolver.c,
 * libunbound) that forwards to the port the variable names; an unset
 * variable or a resolver that cannot be built is a bail-out, so a test
 * checks its variables first and skips without them (it was run without
 * its wrapper).
 * testdns_lookups() is the number of dns_lookup() calls so far, cache
 * hits included, of every type (the mxward_dns_queries_total counter).
 * One test thread calls these; the resolvers may serve many.
 */
#ifndef MXWARD_T_TESTDNS_H
#define MXWARD_T_TESTDNS_H

#include <stdint.h>

#include "dns/resolver.h"

struct dns_resolver *testdns_resolver(const char *port_variable,
    uint64_t timeout_ms);
long long testdns_lookups(void);

#endif
