/*
 * policy.h - the engine's own policy sections and the full section list
 *
 * The policy is made of the engine's sections (top-level keys, daemon,
 * listen, metrics, actions, headers, spool, dns, policy_service) followed
 * by one section per check in checks_all[] order. policy_*() return the
 * typed values of one snapshot; the pointers live as long as the
 * snapshot. engine_sections() and engine_load_policy() (declared in
 * engine.h) build on this list.
 */
#ifndef MXWARD_ENGINE_POLICY_H
#define MXWARD_ENGINE_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/conf.h"

struct policy_top {
	const char *authserv_id; /* host name when not set */
};

struct policy_daemon {
	const char *user;   /* "" or NULL: keep the starting user */
	int log_level;      /* enum log_level */
};

struct policy_listen {
	const char *milter;
	const char *policy;        /* "" or NULL: no policy-delegation socket */
	const char *socket_mode_text;
	const char *socket_owner;  /* "user[:group]" for unix sockets, or NULL */
	mode_t socket_mode;        /* derived from socket_mode_text */
};

struct policy_metrics {
	const char *listen; /* "" or NULL disables the endpoint */
};

struct policy_actions {
	double add_header, quarantine, tempfail, reject; /* NAN = off */
	struct conf_reply reject_reply;
	struct conf_reply tempfail_reply;
	struct conf_reply error_reply;  /* a check could not decide */
	struct conf_reply error_reject_reply; /* ... and on_error is reject */
	const char *quarantine_reason;
};

struct policy_headers {
	bool spam_status;
};

struct policy_spool {
	uint64_t memory_limit;
	const char *directory; /* NULL: $TMPDIR, else /var/tmp */
};

struct policy_dns {
	struct conf_strlist servers; /* "ADDR" or "ADDR@PORT"; none: resolv.conf */
	uint64_t timeout;            /* milliseconds per lookup */
	const char *trust_anchor;    /* NULL: no DNSSEC validation */
	uint64_t cache_size;
};

enum policy_service_verb {
	POLICY_SERVICE_ACCEPT,
	POLICY_SERVICE_REJECT,
};

/* The policy-delegation front end (check_policy_service). */
struct policy_service {
	int vrfy;                      /* enum policy_service_verb */
	struct conf_reply vrfy_reply;
	int etrn;                      /* enum policy_service_verb */
	struct conf_reply etrn_reply;
	long long max_connections;
	uint64_t idle_timeout;         /* milliseconds */
	uint64_t request_timeout;      /* milliseconds */
	long long max_messages_tracked;
};

/* Index of the first check's section; check i is at POLICY_CHECKS + i. */
enum policy_section {
	POLICY_TOP,
	POLICY_DAEMON,
	POLICY_LISTEN,
	POLICY_METRICS,
	POLICY_ACTIONS,
	POLICY_HEADERS,
	POLICY_SPOOL,
	POLICY_DNS,
	POLICY_SERVICE,
	POLICY_CHECKS,
};

static inline const void *
policy_values(const struct conf *conf, enum policy_section s)
{
	return conf_section_values(conf, (size_t)s);
}

#define policy_top(c)     ((const struct policy_top *)policy_values(c, POLICY_TOP))
#define policy_daemon(c)  ((const struct policy_daemon *)policy_values(c, POLICY_DAEMON))
#define policy_listen(c)  ((const struct policy_listen *)policy_values(c, POLICY_LISTEN))
#define policy_metrics(c) ((const struct policy_metrics *)policy_values(c, POLICY_METRICS))
#define policy_actions(c) ((const struct policy_actions *)policy_values(c, POLICY_ACTIONS))
#define policy_headers(c) ((const struct policy_headers *)policy_values(c, POLICY_HEADERS))
#define policy_spool(c)   ((const struct policy_spool *)policy_values(c, POLICY_SPOOL))
#define policy_dns(c)     ((const struct policy_dns *)policy_values(c, POLICY_DNS))
#define policy_service(c) ((const struct policy_service *)policy_values(c, POLICY_SERVICE))

#endif
