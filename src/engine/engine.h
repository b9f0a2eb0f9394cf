/*
 * engine.h - sessions, messages, the check pipeline and the verdict
 *
 * Front ends (milter, later policy/spamd/clamd, and the offline scan) drive
 * one struct engine_session per MTA connection through the SMTP phases:
 *
 *   engine_session_new → engine_connect → engine_helo →
 *     { engine_mail → engine_rcpt… → engine_data → engine_header… →
 *       engine_eoh → engine_body… → engine_eom | engine_abort }… →
 *   engine_session_free
 *
 * Each phase call runs the checks that want that phase and returns what the
 * front end must do now: ACTION_ACCEPT (go on), ACTION_TEMPFAIL or
 * ACTION_REJECT (with *reply_r filled), or ACTION_DISCARD. At RCPT a reject
 * or tempfail refuses that recipient only. engine_eom() returns the verdict:
 * action, reply, headers to add and to delete, score and symbols.
 *
 * A message holds a reference to the policy snapshot that was current at
 * MAIL FROM, and everything it allocates lives in one arena that
 * engine_eom/engine_abort (and engine_session_free) release in one place.
 * A session is used by one thread at a time; different sessions may run on
 * different threads at once.
 */
#ifndef MXWARD_ENGINE_ENGINE_H
#define MXWARD_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks/check.h"

struct engine_session;

/* Strings stay valid until the next engine call on the same session. */
struct engine_reply {
	const char *code;   /* "550" */
	const char *xcode;  /* "5.7.1" */
	const char *text;
};

struct engine_header {
	const char *name;
	const char *value;
};

/* Delete the index-th (1-based) header of that name, counted in the
 * message as received; listed in ascending index order. */
struct engine_header_delete {
	const char *name;
	unsigned index;
};

struct engine_verdict {
	enum check_action action;
	struct engine_reply reply;      /* for tempfail and reject */
	double score;
	const struct check_symbol *symbols[2]; /* session's, message's */
	const struct engine_header *add;    /* to insert at the top, in order */
	size_t n_add;
	const struct engine_header_delete *del;
	size_t n_del;
	const char *quarantine_reason;
};

/* Sections the policy has: the engine's own and one per check. */
size_t engine_sections(const struct conf_section *const **sections_r);
/* Load and validate a policy with all sections. */
struct conf *engine_load_policy(const char *path, struct conf_errors *errs);

/* Phases (enum check_phase bits) that some enabled check of the current
 * policy wants, so a front end can ask its MTA to skip the others. */
unsigned engine_wanted_phases(void);

/* Start the resolver and the resources checks hold outside the policy
 * (the antivirus engine) under the current policy; false with err refuses to start.
 * engine_update() follows a reload (failures are logged, what runs is
 * kept); engine_stop() releases them. Main thread only. */
bool engine_start(char *err, size_t errlen);
void engine_update(void);
void engine_stop(void);
/* For `mxward check`: what the checks find beyond the option values (DKIM
 * key files against DNS, say), one line per finding through say, using a
 * private resolver built from conf; false if something would break mail. */
bool engine_inspect(const struct conf *conf,
    void (*say)(const char *fmt, ...));

struct engine_session *engine_session_new(const char *client_name,
    const char *client_address);
void engine_session_free(struct engine_session **session_p);

/* What the MTA tells about the session and message (from milter macros). */
void engine_set_auth(struct engine_session *s, const char *login);
void engine_set_tls(struct engine_session *s, const char *tls_version);
void engine_set_queue_id(struct engine_session *s, const char *queue_id);
/* For the policy front end, which sees the envelope and never the
 * content: checks that read the message whole are skipped, and a message
 * that ends without engine_eom() keeps its rate-limit charges (the MTA
 * took the recipients it was allowed). Call before engine_connect. */
void engine_set_envelope_only(struct engine_session *s);
/* The MTA says it is (or no longer is) under load (Postfix stress=yes). */
void engine_set_stress(struct engine_session *s, bool stress);
/* What the MTA counted for the current message, where it knows better
 * than the engine: the recipients it accepted (Postfix recipient_count
 * at DATA and END-OF-MESSAGE) and the message size at its end; 0 leaves
 * the engine's own count. No effect outside a message. */
void engine_set_message_counts(struct engine_session *s, size_t rcpt_count,
    uint64_t size);

enum check_action engine_connect(struct engine_session *s,
    struct engine_reply *reply_r);
enum check_action engine_helo(struct engine_session *s, const char *helo,
    struct engine_reply *reply_r);
enum check_action engine_mail(struct engine_session *s, const char *sender,
    uint64_t declared_size, struct engine_reply *reply_r);
enum check_action engine_rcpt(struct engine_session *s, const char *rcpt,
    struct engine_reply *reply_r);
enum check_action engine_data(struct engine_session *s,
    struct engine_reply *reply_r);
/* One header field: value unfolded, without leading white space (what
 * checks read), and raw the value as it stands after the colon, leading
 * white space and folds (LF or CRLF) kept (what signatures cover), or
 * NULL when the front end has only the value. */
enum check_action engine_header(struct engine_session *s, const char *name,
    const char *value, const char *raw, size_t raw_len,
    struct engine_reply *reply_r);
enum check_action engine_eoh(struct engine_session *s,
    struct engine_reply *reply_r);
enum check_action engine_body(struct engine_session *s, const void *chunk,
    size_t len, struct engine_reply *reply_r);
/* The findings so far, session's and current message's: for front ends
 * that report a refusal made before end of message. */
void engine_findings(const struct engine_session *s,
    const struct check_symbol *lists_r[2]);
/* A check's finding by name (check_fact), e.g. "virus", or NULL; valid
 * until the message ends. */
const char *engine_fact(const struct engine_session *s, const char *name);
/* The current message's SPF, DKIM and DMARC results (checks/auth.h), or
 * NULL outside a message; valid until the message ends. */
const struct auth_results *engine_auth(const struct engine_session *s);
/* The verdict stays valid until the next engine call on the session. */
const struct engine_verdict *engine_eom(struct engine_session *s);
void engine_abort(struct engine_session *s);

#endif
