/*
 * dmarc_fakedns.h - an in-memory stand-in for the shared resolver
 *
 * Linked into test_dmarc and fuzz_dmarc_record instead of
 * src/dns/resolver.c, it answers dns_lookup() from a table the test fills:
 * fakedns_txt() adds one TXT record at a name (call it twice for two
 * records), fakedns_name() says a name exists with no records of the type
 * asked, fakedns_fail() makes a name answer SERVFAIL or TIMEOUT. Any other
 * name is NXDOMAIN. fakedns_reset() empties the table and the log of
 * names asked (fakedns_asked(), one "NAME/TYPE" per line). Not thread
 * safe: one test thread.
 */
#ifndef MXWARD_T_DMARC_FAKEDNS_H
#define MXWARD_T_DMARC_FAKEDNS_H

#include "dns/resolver.h"

void fakedns_reset(void);
void fakedns_txt(const char *name, const char *text);
void fakedns_name(const char *name);
void fakedns_fail(const char *name, enum dns_status status);
/* Lookups since the last reset, and their names. */
unsigned fakedns_count(void);
const char *fakedns_asked(void);

#endif
