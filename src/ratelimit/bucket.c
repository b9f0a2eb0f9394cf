/*
 * bucket.c - GCRA arithmetic on one 64-bit TAT; see bucket.h for the
 * algorithm, its rounding and its bounds
 */
#include "config.h"

#include <stdio.h>

#include "ratelimit/bucket.h"

/* 128-bit intermediates: products of a time and a count need ~120 bits. */
__extension__ typedef unsigned __int128 u128;

/* a + b, saturated at UINT64_MAX. */
static uint64_t
add_sat(uint64_t a, u128 b)
{
	u128 sum = (u128)a + b;

	return sum > UINT64_MAX ? UINT64_MAX : (uint64_t)sum;
}

bool
rl_limit_valid(const struct rl_limit *limit, char *err, size_t errlen)
{
	const char *why = NULL;

	if (limit->period_ns == 0 || limit->period_ns > RL_PERIOD_MAX)
		why = "period must be from 1ns to 366 days";
	else if (limit->count == 0 || limit->count > limit->period_ns)
		why = "count must be from 1 to one per nanosecond";
	else if (limit->burst == 0 || limit->burst > RL_BURST_MAX)
		why = "burst must be from 1 to 2^40";
	else if ((u128)limit->burst * limit->period_ns >
	    (u128)RL_WINDOW_MAX * limit->count)
		why = "burst must take at most 16 periods of 366 days to drain";
	if (why != NULL && err != NULL)
		snprintf(err, errlen, "%s", why);
	return why == NULL;
}

/* The scaled debt of *tat at now (B*P is full), after the clamp that
 * pulls a TAT beyond a full bucket back to exactly full. */
static u128
bucket_debt(const struct rl_limit *limit, uint64_t *tat, uint64_t now)
{
	u128 full = (u128)limit->burst * limit->period_ns;
	u128 debt;

	if (*tat <= now)
		return 0;
	debt = (u128)(*tat - now) * limit->count;
	if (debt > full) {
		/* The clock went backwards: full now, not full until the
		 * clock catches up with where it was. */
		*tat = add_sat(now, full / limit->count);
		debt = full;
	}
	return debt;
}

bool
rl_bucket_take(const struct rl_limit *limit, uint64_t *tat, uint64_t now,
    uint64_t cost, uint64_t *retry_after_r)
{
	u128 full = (u128)limit->burst * limit->period_ns;
	u128 charge, debt, need, wait;
	uint64_t retry = 0;
	bool allowed;

	if (cost == 0) {
		allowed = true;
	} else if (cost > limit->burst) {
		allowed = false;
		retry = RL_NEVER;
	} else {
		debt = bucket_debt(limit, tat, now);
		charge = (u128)cost * limit->period_ns;
		need = debt + charge;
		allowed = need <= full;
		if (allowed) {
			*tat = add_sat(*tat > now ? *tat : now,
			    charge / limit->count);
		} else {
			wait = (need - full + limit->count - 1) / limit->count;
			retry = wait > UINT64_MAX ? UINT64_MAX : (uint64_t)wait;
		}
	}
	if (retry_after_r != NULL)
		*retry_after_r = retry;
	return allowed;
}

void
rl_bucket_refund(const struct rl_limit *limit, uint64_t *tat, uint64_t now,
    uint64_t cost)
{
	u128 back = (u128)cost * limit->period_ns / limit->count;

	if (bucket_debt(limit, tat, now) == 0)
		return;
	/* *tat > now here; never below now, i.e. empty. */
	*tat = back >= *tat - now ? now : *tat - (uint64_t)back;
}

uint64_t
rl_bucket_idle_until(uint64_t tat)
{
	return tat;
}
