/*
 * check.h - the one interface every check implements
 *
 * A check is a static struct check: its name, the SMTP phases it wants, its
 * policy section (option table, init, fini) and run(). The engine calls
 * run() once per wanted phase with a read-only view of the transaction
 * (struct check_txn) and the check's own section values, and the check
 * answers through the report: scored symbols (check_symbol), a hard decision
 * (check_decide), trust for the rest of the session (check_trust), or an
 * Authentication-Results method (check_authres). run() returns CHECK_ERROR
 * when it could not decide; the check's on_error policy then applies.
 *
 * Checks know nothing of libmilter or the policy protocol, and never call
 * the engine. All report memory comes from the transaction's arena.
 * run() is called from many threads at once: it must keep no mutable state
 * outside the report and the per-transaction slot (state).
 */
#ifndef MXWARD_CHECKS_CHECK_H
#define MXWARD_CHECKS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "core/cidr.h"

struct arena;
struct auth_results;
struct dns_resolver;

enum check_phase {
	CHECK_CONNECT = 1u << 0,
	CHECK_HELO = 1u << 1,
	CHECK_MAIL = 1u << 2,
	CHECK_RCPT = 1u << 3,
	CHECK_DATA = 1u << 4,
	CHECK_HEADER = 1u << 5,
	CHECK_EOH = 1u << 6,
	CHECK_BODY = 1u << 7,
	CHECK_EOM = 1u << 8,
};

/* What a message (or, at RCPT, one recipient) gets. Ordered by severity. */
enum check_action {
	ACTION_ACCEPT,
	ACTION_ADD_HEADER,
	ACTION_QUARANTINE,
	ACTION_DISCARD,
	ACTION_TEMPFAIL,
	ACTION_REJECT,
	ACTION_COUNT
};

extern const struct conf_name_code check_action_names[];
/* The subset allowed for on_error: tempfail, accept, reject. */
extern const struct conf_name_code check_on_error_names[];

enum check_status {
	CHECK_DONE,   /* decided (which may mean: nothing to say) */
	CHECK_ERROR,  /* could not decide: on_error applies */
};

/* Options every check has, first in its values struct. */
struct check_common {
	bool enabled;
	int on_error; /* enum check_action: TEMPFAIL, ACCEPT or REJECT */
};

#define CHECK_COMMON_OPTIONS(enabled_default)                                  \
	{ "enabled", CONF_BOOL, offsetof(struct check_common, enabled),        \
	  enabled_default, 0, 0, NULL,                                         \
	  "Whether this check runs at all." },                                 \
	{ "on_error", CONF_ENUM, offsetof(struct check_common, on_error),      \
	  "tempfail", 0, 0, check_on_error_names,                              \
	  "What happens when the check cannot decide: tempfail (the default; " \
	  "the client retries later), accept, or reject." }

/* The transaction as checks see it: filled by the engine, read-only here. */
struct check_txn {
	/* session */
	const char *client_name;     /* the MTA's name for the client, or "unknown" */
	const char *client_address;  /* as text */
	struct ip_addr client_ip;
	bool client_ip_valid;        /* false for local/unknown connections */
	const char *helo;            /* NULL before HELO/EHLO */
	const char *auth_login;      /* SASL login, NULL if not authenticated */
	const char *tls_version;     /* NULL on a plaintext connection */
	bool trusted;                /* a check called check_trust() */
	bool envelope_only;          /* the MTA shows no content (the policy
	                                front end): checks that read the
	                                message whole do not run */
	bool stress;                 /* the MTA says it is under load */
	/* message */
	const char *queue_id;        /* may be NULL until the MTA assigns one */
	const char *sender;          /* envelope sender without <>, "" = null */
	uint64_t declared_size;      /* SIZE= from MAIL FROM, 0 if none */
	const char *rcpt;            /* at CHECK_RCPT: this recipient */
	size_t rcpt_count;           /* accepted so far */
	size_t rcpts_checked;        /* RCPT phases run, this one included
	                                (the policy front end may show none,
	                                only rcpt_count at DATA) */
	const char *header_name;     /* at CHECK_HEADER */
	const char *header_value;
	size_t header_count;         /* headers so far, this one included */
	size_t header_bytes;         /* bytes of header so far */
	uint64_t size;               /* message bytes so far */
	const unsigned char *body;   /* at CHECK_BODY: this chunk */
	size_t body_len;
	/* At CHECK_EOM, for checks with needs_message: the whole message as
	 * received (header fields "Name: value" CRLF, an empty line, the
	 * body), or NULL with message_error saying why it was not kept. */
	const unsigned char *message;
	size_t message_len;
	const char *message_error;
	/* services */
	struct dns_resolver *dns;    /* the shared resolver; NULL only where
	                                none was started (unit tests) */
	const char *hostname;        /* ours: authserv-id, %{r} of SPF */
	/* SPF, DKIM and DMARC results so far (checks/auth.h); NULL before
	 * MAIL FROM */
	const struct auth_results *auth;
};

struct check_symbol {
	struct check_symbol *next;
	const char *name;
	double score;
	const char *detail;  /* NULL or text for logs and JSON */
};

/* Where a check's findings go; owned by the engine, one per phase call
 * chain. Checks use only the functions below. */
struct check_report {
	struct arena *arena;
	struct check_symbol *symbols;   /* newest first */
	struct check_symbol **tail;
	enum check_action action;       /* strongest hard decision so far */
	struct conf_reply reply;        /* its SMTP reply */
	const char *action_by;          /* the symbol that decided */
	bool trust;
	const char *authres[24];        /* "method=result prop=value" */
	size_t n_authres;
	const char *header_names[4];    /* fields to add to a delivered message */
	const char *header_values[4];
	size_t n_headers;
	const char *error;              /* why the check could not decide */
	const char *fact_names[8];      /* findings for the log line and JSON */
	const char *fact_values[8];
	size_t n_facts;
	struct auth_results *auth;      /* the message's, for the SPF, DKIM
	                                   and DMARC checks; NULL before MAIL */
	struct check_charge *charges;   /* what to give back if refused */
};

/* Something a check took from a shared budget (a rate-limit charge) for
 * this recipient or message: the engine hands it back to the check's
 * refund hook if the recipient or the message is refused in the end, by
 * this check or any other. data lives in the report's arena. */
struct check_charge {
	struct check_charge *next;
	const struct check *by;
	void *data;
};

struct check {
	const char *name;
	unsigned phases;          /* enum check_phase bits */
	bool runs_for_trusted;    /* run even after a check called check_trust */
	bool needs_message;       /* keep the whole message for CHECK_EOM */
	/* Header fields this check writes (NULL-terminated, or NULL): while
	 * it is enabled, incoming fields of these names are removed, so a
	 * sender cannot forge them. */
	const char *const *owned_headers;
	struct conf_section section; /* name == check name; values start with
	                                 struct check_common */
	enum check_status (*run)(enum check_phase phase,
	    const struct check_txn *txn, const void *values,
	    struct check_report *report);
	/* Bring up what the check needs beyond its values (the antivirus
	 * engine, say), or NULL. Called before the first message with first
	 * true, where false (with err) refuses to start; then after every
	 * policy reload that keeps the check enabled, where false is logged
	 * and what runs is kept. */
	bool (*start)(const void *values, bool first, char *err, size_t errlen);
	/* Release what start brought up, or NULL. */
	void (*stop)(void);
	/* For `mxward check`: look beyond the option values (key files
	 * against their DNS records, say), one line per finding through say;
	 * false when something is wrong that would break mail. NULL when
	 * there is nothing more to look at. */
	bool (*inspect)(const void *values, struct dns_resolver *dns,
	    void (*say)(const char *fmt, ...));
	/* Give back one charge this check recorded with check_charge(), or
	 * NULL for checks that charge nothing. Called from any thread, at
	 * most once per charge, possibly after a reload. */
	void (*refund)(void *data);
};

/* Every check compiled in, in the order they run. */
extern const struct check *const checks_all[];
extern const size_t checks_count;

void check_report_init(struct check_report *report, struct arena *arena);
/* Add a scored symbol; detail may be NULL. */
void check_symbol(struct check_report *report, const char *name, double score,
    const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));
/* Record a hard decision with its reply; the strongest one wins. The
 * symbol's detail is detail_fmt's text, or the reply text when NULL. */
void check_decide(struct check_report *report, const char *symbol,
    enum check_action action, const struct conf_reply *reply,
    const char *detail_fmt, ...) __attribute__((format(printf, 5, 6)));
/* Mark the session trusted: later checks that do not run for trusted
 * clients are skipped. */
void check_trust(struct check_report *report);
/* Add an Authentication-Results method result, e.g. "auth=pass smtp.auth=x". */
void check_authres(struct check_report *report, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Add a header field to the message if it is delivered; name must be one
 * of the check's owned_headers. At most four per report. */
void check_header(struct check_report *report, const char *name,
    const char *value_fmt, ...) __attribute__((format(printf, 3, 4)));
/* Record a finding by name ("virus") for the message's log line and the
 * scan command's JSON; name must be a string constant. At most eight. */
void check_fact(struct check_report *report, const char *name,
    const char *value_fmt, ...) __attribute__((format(printf, 3, 4)));
/* Record a charge to refund (through by->refund) if the recipient (at
 * CHECK_RCPT) or else the message is refused in the end. */
void check_charge(struct check_report *report, const struct check *by,
    void *data);
/* Say why the check could not decide, before returning CHECK_ERROR. */
void check_error(struct check_report *report, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
