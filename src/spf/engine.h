/*
 * engine.h - the two SPF engines behind spf_check() (internal to src/spf)
 *
 * spf_eval_mxward() (eval.c) and spf_eval_libspf2() (libspf2.c) compute
 * check_host() for a request whose client address spf_check() has already
 * normalised (IPv4-mapped IPv6 as IPv4, passed as ip) and whose domain
 * and sender are set. Each fills every field of *out it knows; spf_check()
 * has zeroed it first. Thread safe.
 */
#ifndef MXWARD_SPF_ENGINE_H
#define MXWARD_SPF_ENGINE_H

#include "spf/spf.h"

void spf_eval_mxward(struct dns_resolver *dns, const struct spf_request *req,
    const struct ip_addr *ip, struct spf_outcome *out);
void spf_eval_libspf2(struct dns_resolver *dns, const struct spf_request *req,
    const struct ip_addr *ip, struct spf_outcome *out);

#endif
