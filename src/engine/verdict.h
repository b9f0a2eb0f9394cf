/*
 * verdict.h - from findings to one action
 *
 * verdict_action() maps a message's hard decision (the strongest
 * check_decide() of its checks) and its total score to the action taken:
 * the more severe of the hard decision and the highest threshold the score
 * reaches (reject, tempfail, quarantine, add_header; NAN thresholds are
 * off). Pure and thread safe.
 *
 * verdict_spam_status() formats the X-Spam-Status value; verdict_authres()
 * the Authentication-Results value. Both allocate from the given arena.
 */
#ifndef MXWARD_ENGINE_VERDICT_H
#define MXWARD_ENGINE_VERDICT_H

#include "checks/check.h"
#include "engine/policy.h"

struct arena;

enum check_action verdict_action(const struct policy_actions *thresholds,
    enum check_action hard, double score);
/* Sum of the scores of a symbol list. */
double verdict_score(const struct check_symbol *symbols);
const char *verdict_spam_status(struct arena *arena,
    const struct policy_actions *thresholds, enum check_action action,
    double score, const struct check_symbol *first,
    const struct check_symbol *second);
const char *verdict_authres(struct arena *arena, const char *authserv_id,
    const struct check_report *first, const struct check_report *second);

#endif
