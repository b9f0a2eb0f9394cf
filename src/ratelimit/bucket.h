/*
 * bucket.h - a generic cell-rate (GCRA) bucket in exact integer arithmetic
 *
 * A limit is "count units per period, at most burst units at once". A
 * bucket's whole state is one 64-bit theoretical arrival time (TAT) in
 * nanoseconds on the caller's clock; 0 is a fresh (empty) bucket. All
 * functions are pure: the caller passes now (CLOCK_MONOTONIC nanoseconds),
 * so tests control time. They are reentrant; a state shared by threads
 * needs the caller's lock (the store's shard mutex).
 *
 * rl_limit_valid() checks a limit; rl_bucket_take() charges cost units or
 * refuses; rl_bucket_refund() gives units back; rl_bucket_idle_until()
 * says when a state becomes the same as a fresh one.
 *
 * ALGORITHM
 *	Write P for period (ns), N for count, B for burst, c for a cost. The
 *	emission interval is T = P/N ns per unit and the burst window is
 *	B*T. Comparisons are made on a scale N times finer (every time
 *	multiplied by N), so T becomes the integer P and nothing is rounded;
 *	128-bit intermediates keep the products exact.
 *
 *	debt   = 0 when TAT <= now, else (TAT - now) * N     (scaled ns)
 *	         (how full the bucket is: B*P is full)
 *	clamp  if debt > B*P (only possible when the clock went backwards or
 *	         callers' clocks disagree): TAT := now + floor(B*P/N) and
 *	         debt := B*P, i.e. treat the bucket as exactly full now.
 *	take   c == 0: allowed, nothing changes.
 *	       c > B: refused for ever (retry_after RL_NEVER).
 *	       debt + c*P <= B*P: allowed;
 *	           TAT := max(TAT, now) + floor(c*P / N).
 *	       else refused, TAT unchanged (but for the clamp);
 *	           retry_after = ceil((debt + c*P - B*P) / N) ns, the earliest
 *	           wait after which the same take is allowed.
 *	refund TAT := max(now, TAT - floor(c*P / N)) when TAT > now, else
 *	       unchanged: a refund never makes a bucket emptier than empty.
 *	idle   rl_bucket_idle_until() = TAT: from then on the state answers
 *	       exactly as a fresh one, so a store may drop it.
 *
 *	Rounding: only the stored TAT is rounded, down to the nanosecond,
 *	once per take (and identically per refund, so a refund undoes its
 *	take exactly). When c*P is a multiple of N (500 per hour: T = 7.2 s)
 *	everything is exact; otherwise a take may be charged up to 1 ns less
 *	than c*T, i.e. a relative leniency below 1/(c*T in ns): 3e-9 for 3
 *	per second, noticeable only for rates near 1e9 per second.
 *
 *	Clock steps: a forward jump empties the bucket, which then grants at
 *	most B units at once as usual; a backward step can never make the
 *	bucket more than full (the clamp), so the lockout after it is at most
 *	c*T, never until the clock catches up.
 *
 * BOUNDS
 *	1 <= count <= period (at most one unit per ns, 1e9 per second);
 *	1 ns <= period <= RL_PERIOD_MAX (366 days); 1 <= burst <= RL_BURST_MAX
 *	(2^40) with a burst window burst*T <= RL_WINDOW_MAX (16 * 366 days);
 *	any cost (above RL_BURST_MAX it is simply refused). Under these no
 *	128-bit intermediate exceeds 2^120, and a TAT is at most now + 2^59
 *	ns; it saturates at UINT64_MAX rather than wrap.
 */
#ifndef MXWARD_RATELIMIT_BUCKET_H
#define MXWARD_RATELIMIT_BUCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RL_NS_PER_SEC 1000000000ULL
#define RL_PERIOD_MAX (366ULL * 86400 * RL_NS_PER_SEC)
#define RL_BURST_MAX (1ULL << 40)
#define RL_WINDOW_MAX (16 * RL_PERIOD_MAX)
#define RL_NEVER UINT64_MAX  /* retry_after of a cost above the burst */

struct rl_limit {
	uint64_t count;      /* units ... */
	uint64_t period_ns;  /* ... per this many ns */
	uint64_t burst;      /* units allowed at once from empty */
};

/* Is limit within BOUNDS? false with a reason in err otherwise. */
bool rl_limit_valid(const struct rl_limit *limit, char *err, size_t errlen);

/* Charge cost units to *tat at now: true if allowed. *retry_after_r
 * (may be NULL) gets 0 when allowed, else the ns to wait, or RL_NEVER. */
bool rl_bucket_take(const struct rl_limit *limit, uint64_t *tat,
    uint64_t now, uint64_t cost, uint64_t *retry_after_r);
/* Give back cost units charged earlier; never below empty. */
void rl_bucket_refund(const struct rl_limit *limit, uint64_t *tat,
    uint64_t now, uint64_t cost);
/* From this time on the state equals a fresh bucket, under any limit. */
uint64_t rl_bucket_idle_until(uint64_t tat);

#endif
