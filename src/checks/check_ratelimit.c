/*
 * check_ratelimit.c - named rate limits on clients, senders and logins
 *
 * check_ratelimit, section "rate_limits". Each entry of limits is a named
 * limit: a key made of transaction parts (ratelimit/key.h), what it
 * counts, a rate with a burst (ratelimit/bucket.h has the arithmetic),
 * and what happens past it. Every limit whose key the transaction has,
 * and that no exemption covers, is charged when its unit is known:
 *
 *   messages    1 at the first recipient accepted so far (RCPT): a key
 *               may not contain recipient parts;
 *   recipients  1 per RCPT;
 *   bytes       the message size at end of message: a key may not
 *               contain recipient parts.
 *
 * When the MTA shows no RCPT at all (the policy front end asked only at
 * DATA), DATA charges 1 message and rcpt_count recipients instead, for
 * keys without recipient parts.
 *
 * All limits charged in one phase go to the backend (ratelimit/backend.h)
 * as one batch: one Redis round trip. A limit past its rate refuses the
 * recipient (RCPT) or the message with its tempfail_reply (451 4.7.1) or
 * reject_reply, or adds its score; with dry_run it only logs and counts.
 * Symbol RATELIMIT names the limit, the key and the wait.
 *
 * Refunds: every take that was allowed is recorded with check_charge(),
 * so the engine hands it back (ratelimit_refund) when the recipient or
 * the message is refused in the end, by this check or any other: only
 * mail that went through is counted.
 *
 * When the backend cannot answer (Redis down or slow), limits with
 * fail_open let the mail through (symbol RATELIMIT_UNCHECKED); any other
 * makes the check return CHECK_ERROR, so on_error applies (tempfail by
 * default). Never a silent pass of a limit that says otherwise.
 *
 * Metrics: mxward_ratelimit_checks_total{limit},
 * mxward_ratelimit_hits_total{limit} (over the limit, dry runs included),
 * mxward_ratelimit_store_errors_total, mxward_ratelimit_keys (embedded).
 *
 * The check keeps no per-message state; its values are read-only after
 * init, and the backend is shared and thread safe.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "checks/check.h"
#include "core/arena.h"
#include "core/log.h"
#include "metrics/metrics.h"
#include "ratelimit/backend.h"
#include "ratelimit/key.h"
#include "ratelimit/rate.h"
#include "ratelimit/store.h"

#define KEY_PARTS_MAX 8
#define LIMITS_MAX CONF_TABLE_MAX
/* The embedded store's key count is refreshed every this many checks. */
#define KEYS_GAUGE_EVERY 64

enum ratelimit_unit {
	UNIT_UNSET,
	UNIT_MESSAGES,
	UNIT_RECIPIENTS,
	UNIT_BYTES,
};

static const struct conf_name_code unit_names[] = {
	{ "", UNIT_UNSET },
	{ "messages", UNIT_MESSAGES },
	{ "recipients", UNIT_RECIPIENTS },
	{ "bytes", UNIT_BYTES },
	{ NULL, 0 },
};

enum ratelimit_action {
	OVER_TEMPFAIL,
	OVER_REJECT,
	OVER_SCORE,
};

static const struct conf_name_code over_names[] = {
	{ "tempfail", OVER_TEMPFAIL },
	{ "reject", OVER_REJECT },
	{ "score", OVER_SCORE },
	{ NULL, 0 },
};

enum ratelimit_store {
	STORE_EMBEDDED,
	STORE_REDIS,
};

static const struct conf_name_code store_names[] = {
	{ "embedded", STORE_EMBEDDED },
	{ "redis", STORE_REDIS },
	{ NULL, 0 },
};

/* One named limit. */
struct ratelimit_limit {
	struct conf_entry_head head;
	struct conf_strlist key;
	int counts;                 /* enum ratelimit_unit */
	const char *rate;
	long long burst;            /* 0: the rate's count */
	int action;                 /* enum ratelimit_action */
	struct conf_reply tempfail_reply;
	struct conf_reply reject_reply;
	double score;
	bool dry_run;
	bool fail_open;
	bool only_under_stress;
	long long ipv4_prefix, ipv6_prefix;
	struct cidr_list exempt_networks;
	struct conf_strlist exempt_logins;
	/* derived by limit_init */
	int parts[KEY_PARTS_MAX];
	size_t n_parts;
	bool per_recipient;         /* the key has a recipient part */
	struct rl_limit bucket;
};

struct ratelimit_values {
	struct check_common common;
	struct conf_table limits;
	int store;                  /* enum ratelimit_store */
	long long max_keys;
	const char *redis_address;
	const char *redis_prefix;
	uint64_t redis_timeout;     /* ms */
};

extern const struct check check_ratelimit;

static struct metrics_family *metric_checks, *metric_hits;
static struct metrics_family *metric_store_errors, *metric_keys;
static atomic_uint keys_gauge_tick;

static void
metrics_create(void)
{
	metric_checks = metrics_counter_named("mxward_ratelimit_checks_total",
	    "Rate-limit charges asked for, per limit.", "limit", LIMITS_MAX);
	metric_hits = metrics_counter_named("mxward_ratelimit_hits_total",
	    "Charges refused as over the limit (dry runs included), per "
	    "limit.", "limit", LIMITS_MAX);
	metric_store_errors = metrics_counter_new(
	    "mxward_ratelimit_store_errors_total",
	    "Batches the rate-limit store could not answer.", NULL, NULL, 1);
	metric_keys = metrics_gauge_new("mxward_ratelimit_keys",
	    "Keys held by the embedded rate-limit store.", NULL, NULL, 1);
}

/* Count one event of a limit in a named family. */
static void
count_limit(struct metrics_family *f, const struct ratelimit_limit *l)
{
	size_t i = metrics_label(f, l->head.name);

	if (i != SIZE_MAX)
		metrics_add(f, i, 1);
}

/* Does an exemption of l cover this transaction? */
static bool
exempt(const struct ratelimit_limit *l, const struct check_txn *txn)
{
	if (txn->client_ip_valid &&
	    cidr_list_match(&l->exempt_networks, &txn->client_ip))
		return true;
	for (size_t i = 0; txn->auth_login && i < l->exempt_logins.n; i++)
		if (strcmp(l->exempt_logins.v[i], txn->auth_login) == 0)
			return true;
	return false;
}

/* The units l charges in this phase; 0 for none. */
static uint64_t
phase_cost(const struct ratelimit_limit *l, enum check_phase phase,
    const struct check_txn *txn)
{
	bool told_at_data = phase == CHECK_DATA && txn->rcpts_checked == 0 &&
	    !l->per_recipient;

	switch (l->counts) {
	case UNIT_MESSAGES:
		if (phase == CHECK_RCPT)
			return txn->rcpt_count == 0;
		return told_at_data && txn->rcpt_count > 0;
	case UNIT_RECIPIENTS:
		if (phase == CHECK_RCPT)
			return 1;
		return told_at_data ? txn->rcpt_count : 0;
	case UNIT_BYTES:
		return phase == CHECK_EOM ? txn->size : 0;
	default:
		return 0;
	}
}

/* Fill op (its key in arena) for l if it charges this transaction now;
 * false if not. */
static bool
limit_take(const struct ratelimit_limit *l, enum check_phase phase,
    const struct check_txn *txn, struct arena *arena, struct rl_op *op)
{
	struct rl_key_facts facts = {
		.client_ip = txn->client_ip_valid ? &txn->client_ip : NULL,
		.ipv4_prefix = (unsigned)l->ipv4_prefix,
		.ipv6_prefix = (unsigned)l->ipv6_prefix,
		.helo = txn->helo,
		.sender = txn->sender,
		.sasl_login = txn->auth_login,
		.recipient = phase == CHECK_RCPT ? txn->rcpt : NULL,
	};
	char key[RL_KEY_MAX];
	uint64_t cost;

	if (l->only_under_stress && !txn->stress)
		return false;
	if ((cost = phase_cost(l, phase, txn)) == 0 || exempt(l, txn))
		return false;
	if (!rl_key_build(l->head.name, l->parts, l->n_parts, &facts, key,
	    sizeof(key)))
		return false;
	*op = (struct rl_op){
		.key = arena_strdup(arena, key), .limit = l->bucket,
		.cost = cost,
	};
	return true;
}

/* The store could not answer: fail open where every limit says so,
 * else let on_error decide. */
static enum check_status
store_failed(const struct ratelimit_limit *const *limits, size_t n,
    const char *why, struct check_report *report)
{
	metrics_add(metric_store_errors, 0, 1);
	for (size_t i = 0; i < n; i++)
		if (!limits[i]->fail_open) {
			check_error(report, "rate-limit store: %s", why);
			return CHECK_ERROR;
		}
	log_warning("rate limits: store: %s; fail_open, not checked", why);
	for (size_t i = 0; i < n; i++)
		check_symbol(report, "RATELIMIT_UNCHECKED", 0,
		    "%s: store: %s", limits[i]->head.name, why);
	return CHECK_DONE;
}

/* A take refused as over its limit: act as the limit says. */
static void
over_limit(const struct ratelimit_limit *l, const struct rl_op *op,
    struct check_report *report)
{
	double wait = op->retry_after_ns == RL_NEVER ? -1 :
	    (double)op->retry_after_ns / 1e9;

	count_limit(metric_hits, l);
	log_info("rate limit %s: %s over %s%s", l->head.name, op->key,
	    l->rate, l->dry_run ? " (dry run)" : "");
	if (l->dry_run)
		check_symbol(report, "RATELIMIT_DRY_RUN", 0,
		    "%s: %s, wait %.1fs", l->head.name, op->key, wait);
	else if (l->action == OVER_SCORE)
		check_symbol(report, "RATELIMIT", l->score, "%s: %s, wait "
		    "%.1fs", l->head.name, op->key, wait);
	else
		check_decide(report, "RATELIMIT", l->action == OVER_REJECT ?
		    ACTION_REJECT : ACTION_TEMPFAIL,
		    l->action == OVER_REJECT ? &l->reject_reply :
		    &l->tempfail_reply, "%s: %s, wait %.1fs", l->head.name,
		    op->key, wait);
}

/* Keep the key gauge roughly current without counting on every check. */
static void
keys_gauge_update(void)
{
	if (atomic_fetch_add(&keys_gauge_tick, 1) % KEYS_GAUGE_EVERY == 0)
		metrics_set(metric_keys, 0, (int64_t)rl_backend_keys());
}

static enum check_status
ratelimit_run(enum check_phase phase, const struct check_txn *txn,
    const void *values, struct check_report *report)
{
	const struct ratelimit_values *v = values;
	const struct ratelimit_limit **limits;
	struct rl_op *ops;
	char err[256];
	size_t n = 0;

	if (v->limits.n == 0)
		return CHECK_DONE;
	ops = arena_alloc(report->arena, v->limits.n * sizeof(*ops));
	limits = arena_alloc(report->arena, v->limits.n * sizeof(*limits));
	for (size_t i = 0; i < v->limits.n; i++)
		if (limit_take(v->limits.values[i], phase, txn, report->arena,
		    &ops[n]))
			limits[n++] = v->limits.values[i];
	if (n == 0)
		return CHECK_DONE;
	if (!rl_backend_apply(ops, n, err, sizeof(err)))
		return store_failed(limits, n, err, report);
	keys_gauge_update();
	for (size_t i = 0; i < n; i++) {
		count_limit(metric_checks, limits[i]);
		/* An allowed take is its own charge: refunded as it is. */
		if (ops[i].allowed)
			check_charge(report, &check_ratelimit, &ops[i]);
		else
			over_limit(limits[i], &ops[i], report);
	}
	return CHECK_DONE;
}

/* Give one charge back; a store that cannot answer loses the refund,
 * which only errs on the strict side. */
static void
ratelimit_refund(void *data)
{
	struct rl_op *op = data;
	char err[256];

	op->refund = true;
	if (!rl_backend_apply(op, 1, err, sizeof(err))) {
		metrics_add(metric_store_errors, 0, 1);
		log_warning("rate limit: refund of %s lost: %s", op->key, err);
	}
}

/* Parse the key parts, the rate and the replies of one limit. */
static bool
limit_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct ratelimit_limit *l = values;
	const char *name = l->head.name;
	char err[200];
	bool good = true;

	(void)arena;
	if (l->key.n == 0 || l->key.n > KEY_PARTS_MAX) {
		conf_errors_here(errs, "limit %s: key needs 1 to %d parts",
		    name, KEY_PARTS_MAX);
		good = false;
	}
	for (size_t i = 0; i < l->key.n && i < KEY_PARTS_MAX; i++) {
		if (!rl_part_parse(l->key.v[i], &l->parts[i])) {
			conf_errors_here(errs, "limit %s: unknown key part "
			    "'%s'", name, l->key.v[i]);
			good = false;
		}
		if (l->parts[i] == RL_PART_RECIPIENT ||
		    l->parts[i] == RL_PART_RECIPIENT_DOMAIN)
			l->per_recipient = true;
	}
	l->n_parts = l->key.n < KEY_PARTS_MAX ? l->key.n : KEY_PARTS_MAX;
	if (l->counts == UNIT_UNSET) {
		conf_errors_here(errs, "limit %s: counts is required "
		    "(messages, recipients or bytes)", name);
		good = false;
	} else if (l->per_recipient && l->counts != UNIT_RECIPIENTS) {
		conf_errors_here(errs, "limit %s: a key with a recipient part "
		    "counts recipients", name);
		good = false;
	}
	if (l->rate == NULL) {
		conf_errors_here(errs, "limit %s: rate is required (like "
		    "'500 per 1h')", name);
		good = false;
	} else if (!rl_rate_parse(l->rate, &l->bucket, err, sizeof(err))) {
		conf_errors_here(errs, "limit %s: rate %s", name, err);
		good = false;
	} else {
		l->bucket.burst = l->burst > 0 ? (uint64_t)l->burst :
		    l->bucket.count;
		if (!rl_limit_valid(&l->bucket, err, sizeof(err))) {
			conf_errors_here(errs, "limit %s: %s", name, err);
			good = false;
		}
	}
	if (l->tempfail_reply.code[0] != '4' ||
	    l->reject_reply.code[0] != '5') {
		conf_errors_here(errs, "limit %s: tempfail_reply needs a 4xx "
		    "code and reject_reply a 5xx code", name);
		good = false;
	}
	return good;
}

static const struct conf_option limit_options[] = {
	{ "key", CONF_STRING_LIST, offsetof(struct ratelimit_limit, key),
	  NULL, 0, 0, NULL,
	  "What the limit is counted per: one or more of client_address, "
	  "client_network (the address as a /ipv4_prefix or /ipv6_prefix "
	  "network), helo, sender, sender_domain, sasl_login, recipient, "
	  "recipient_domain. Values are compared lowercased; the null sender "
	  "is <>. A transaction without one of the parts (no SASL login, "
	  "say) is not counted by this limit." },
	{ "counts", CONF_ENUM, offsetof(struct ratelimit_limit, counts), "",
	  0, 0, unit_names,
	  "What is counted, required: messages (one per message, at its "
	  "first recipient), recipients (one per RCPT) or bytes (the message "
	  "size, at end of data). A key with a recipient part counts "
	  "recipients." },
	{ "rate", CONF_STRING, offsetof(struct ratelimit_limit, rate), NULL,
	  0, 0, NULL,
	  "How many per period, required: '500 per 1h', '20/m', '1000 per "
	  "day'. Units s, m, h, d, w (or their names)." },
	{ "burst", CONF_INT, offsetof(struct ratelimit_limit, burst), "0", 0,
	  1099511627776.0, NULL,
	  "How many may come at once after a quiet spell; 0: the rate's "
	  "count (500 per hour allows 500 at once, then one every 7.2 s)." },
	{ "action", CONF_ENUM, offsetof(struct ratelimit_limit, action),
	  "tempfail", 0, 0, over_names,
	  "Past the limit: tempfail (the recipient, or the message for bytes, "
	  "is deferred with tempfail_reply), reject (refused with "
	  "reject_reply) or score (score added)." },
	{ "tempfail_reply", CONF_REPLY,
	  offsetof(struct ratelimit_limit, tempfail_reply),
	  "451 4.7.1 Rate limit exceeded, try again later", 0, 0, NULL,
	  "Reply for action tempfail; a 4xx code." },
	{ "reject_reply", CONF_REPLY,
	  offsetof(struct ratelimit_limit, reject_reply),
	  "550 5.7.1 Rate limit exceeded", 0, 0, NULL,
	  "Reply for action reject; a 5xx code." },
	{ "score", CONF_SCORE, offsetof(struct ratelimit_limit, score), "5",
	  -1000, 1000, NULL, "Score for action score." },
	{ "dry_run", CONF_BOOL, offsetof(struct ratelimit_limit, dry_run),
	  "no", 0, 0, NULL,
	  "Only log and count (mxward_ratelimit_hits_total, symbol "
	  "RATELIMIT_DRY_RUN) what would be refused; mail goes through." },
	{ "fail_open", CONF_BOOL, offsetof(struct ratelimit_limit, fail_open),
	  "no", 0, 0, NULL,
	  "When the store cannot answer (Redis down), let mail through "
	  "unchecked by this limit; otherwise the check's on_error applies "
	  "(tempfail by default)." },
	{ "only_under_stress", CONF_BOOL,
	  offsetof(struct ratelimit_limit, only_under_stress), "no", 0, 0,
	  NULL,
	  "Apply the limit only while the MTA says it is under load "
	  "(Postfix's stress=yes through the policy front end), e.g. to "
	  "defer bulk senders first." },
	{ "ipv4_prefix", CONF_INT, offsetof(struct ratelimit_limit,
	  ipv4_prefix), "24", 0, 32, NULL,
	  "Network size of client_network for IPv4 clients." },
	{ "ipv6_prefix", CONF_INT, offsetof(struct ratelimit_limit,
	  ipv6_prefix), "64", 0, 128, NULL,
	  "Network size of client_network for IPv6 clients." },
	{ "exempt_networks", CONF_CIDR_LIST,
	  offsetof(struct ratelimit_limit, exempt_networks), NULL, 0, 0, NULL,
	  "Clients this limit does not count." },
	{ "exempt_logins", CONF_STRING_LIST,
	  offsetof(struct ratelimit_limit, exempt_logins), NULL, 0, 0, NULL,
	  "SASL logins this limit does not count." },
	{ NULL },
};

static const struct conf_section limit_section = {
	.name = "limit",
	.doc = "One named rate limit.",
	.options = limit_options,
	.size = sizeof(struct ratelimit_limit),
	.init = limit_init,
};

/* The store options must name a usable store. */
static bool
ratelimit_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	const struct ratelimit_values *v = values;
	char err[200];
	bool good = true;

	(void)arena;
	if (v->store == STORE_REDIS && (v->redis_address == NULL ||
	    *v->redis_address == '\0')) {
		conf_errors_here(errs, "rate_limits: store redis needs "
		    "redis_address");
		good = false;
	}
	for (size_t i = 0; v->store == STORE_REDIS && i < v->limits.n; i++) {
		const struct ratelimit_limit *l = v->limits.values[i];

		if (!rl_redis_limit_valid(&l->bucket, err, sizeof(err))) {
			conf_errors_here(errs, "limit %s on redis: %s",
			    l->head.name, err);
			good = false;
		}
	}
	return good;
}

/* Bring the backend in line with the policy. */
static bool
ratelimit_start(const void *values, bool first, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const struct ratelimit_values *v = values;
	struct rl_backend_config config = {
		.redis_address = v->store == STORE_REDIS ? v->redis_address :
		    NULL,
		.redis_prefix = v->redis_prefix,
		.redis_timeout_ms = v->redis_timeout,
		.max_keys = (size_t)v->max_keys,
	};

	(void)first;
	pthread_once(&once, metrics_create);
	return rl_backend_configure(&config, err, errlen);
}

static const struct conf_option ratelimit_options[] = {
	CHECK_COMMON_OPTIONS("yes"),
	{ "limits", CONF_TABLE, offsetof(struct ratelimit_values, limits),
	  NULL, 0, 0, NULL,
	  "The named limits. Each applies on its own; its name labels the "
	  "metrics and starts its keys.",
	  &limit_section },
	{ "store", CONF_ENUM, offsetof(struct ratelimit_values, store),
	  "embedded", 0, 0, store_names,
	  "Where the counts live: embedded (in this process, kept across "
	  "reloads, lost at restart) or redis (shared by every mxward using "
	  "the same Redis and prefix: several MX hosts enforce one limit "
	  "together). Changing it starts the counts afresh." },
	{ "max_keys", CONF_INT, offsetof(struct ratelimit_values, max_keys),
	  "1000000", 1, 1e9, NULL,
	  "The most keys the embedded store holds (about 100 bytes each). "
	  "Idle keys go first; when all are busy the least recently used "
	  "starts afresh." },
	{ "redis_address", CONF_STRING,
	  offsetof(struct ratelimit_values, redis_address), "", 0, 0, NULL,
	  "The Redis server for store redis: HOST:PORT or unix:PATH." },
	{ "redis_prefix", CONF_STRING,
	  offsetof(struct ratelimit_values, redis_prefix), "\"mxward:rl:\"", 0, 0,
	  NULL,
	  "Prefix of every key mxward writes; each key expires when its "
	  "bucket is empty again." },
	{ "redis_timeout", CONF_DURATION,
	  offsetof(struct ratelimit_values, redis_timeout), "200ms", 1, 60000,
	  NULL,
	  "How long one Redis call may take, connecting included; past it "
	  "the store counts as down." },
	{ NULL },
};

const struct check check_ratelimit = {
	.name = "rate_limits",
	.phases = CHECK_RCPT | CHECK_DATA | CHECK_EOM,
	.runs_for_trusted = true,
	.section = {
		.name = "rate_limits",
		.doc = "Named rate limits per client, network, HELO, sender, "
		    "login or recipient, kept in process or in Redis.",
		.options = ratelimit_options,
		.size = sizeof(struct ratelimit_values),
		.init = ratelimit_init,
	},
	.run = ratelimit_run,
	.start = ratelimit_start,
	.stop = rl_backend_stop,
	.refund = ratelimit_refund,
};
