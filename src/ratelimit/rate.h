/*
 * rate.h - the policy's spelling of a rate: "500 per 1h"
 *
 * rl_rate_parse(text, limit, err, errlen) reads "COUNT per PERIOD" (or
 * "COUNT/PERIOD") into limit->count and limit->period_ns, leaving
 * limit->burst alone. COUNT is a positive decimal integer; PERIOD is an
 * optional positive integer (1 when absent) and a unit: s, sec, second,
 * m, min, minute, h, hour, d, day, w, week (plurals too), as in "2h",
 * "30 minutes", "day". Spaces around the parts are allowed; case matters
 * not. The result must pass rl_limit_valid() (bucket.h) with burst =
 * count; false with a reason in err otherwise.
 *
 * SECURITY: admin input; digits are bounded before they are multiplied.
 */
#ifndef MXWARD_RATELIMIT_RATE_H
#define MXWARD_RATELIMIT_RATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ratelimit/bucket.h"

bool rl_rate_parse(const char *text, struct rl_limit *limit, char *err,
    size_t errlen);

#endif
