/*
 * checks.c - the registry: every check compiled in, in the order they run
 *
 * checks_all[] and checks_count are declared in check.h. The order matters:
 * access runs first because it decides who is trusted, and later checks
 * that do not run for trusted clients are then skipped; limits and
 * recipients_max come next because they apply to everyone and are cheap;
 * rate_limits follows relay, so mail refused for relaying is never charged
 * (a charge would be refunded anyway, at the price of a store call); SPF
 * and DKIM come before DMARC, which reads their results; antivirus,
 * the costliest, runs last, when nothing cheaper has refused the message.
 * Checks that depend on an optional library are listed inside
 * #ifdef HAVE_... here and nowhere else.
 */
#include "config.h"

#include <stddef.h>

#include "checks/check.h"

extern const struct check check_access;
extern const struct check check_limits;
extern const struct check check_recipients_max;
extern const struct check check_helo;
extern const struct check check_submission;
extern const struct check check_relay;
extern const struct check check_ratelimit;
extern const struct check check_spf;
extern const struct check check_dkim;
extern const struct check check_dmarc;
extern const struct check check_antivirus;

const struct check *const checks_all[] = {
	&check_access,
	&check_limits,
	&check_recipients_max,
	&check_helo,
	&check_submission,
	&check_relay,
	&check_ratelimit,
	&check_spf,
	&check_dkim,
	&check_dmarc,
	&check_antivirus,
};

const size_t checks_count = sizeof(checks_all) / sizeof(checks_all[0]);
