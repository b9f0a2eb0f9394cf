/*
 * dmarc_fakedns.h - an in-memory stand-in for the shared resolver, for
 * the DMARC fuzz harness only
 *
 * A fuzzer runs millions of inputs in one process and cannot wait for a
 * DNS server, so fuzz_dmarc_record (and its libFuzzer build) links this
 * instead of src/dns/resolver.c; the unit tests use the real resolver
 * against real servers (t/unit/test_dmarc.sh). It answers dns_lookup()
 * from a table the harness fills: fakedns_txt() adds one TXT record at a
 * name (call it twice for two records; other types there are NODATA),
 * fakedns_fail() makes a name answer SERVFAIL or TIMEOUT. Any other name
 * is NXDOMAIN. fakedns_count() is the number of lookups since
 * fakedns_reset(), which also empties the table. Not thread safe: one
 * fuzzing thread.
 */
#ifndef MXWARD_FUZZ_DMARC_FAKEDNS_H
#define MXWARD_FUZZ_DMARC_FAKEDNS_H

#include "dns/resolver.h"

void fakedns_reset(void);
void fakedns_txt(const char *name, const char *text);
void fakedns_fail(const char *name, enum dns_status status);
/* Lookups since the last reset. */
unsigned fakedns_count(void);

#endif
