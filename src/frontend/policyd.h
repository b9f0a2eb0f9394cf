/*
 * policyd.h - the policy-delegation front end (Postfix check_policy_service)
 *
 * The server (policyd_server.c):
 *   policyd_open(listen, mode, owner, error_r) binds listen.policy
 *     (listener.h spells it) and registers the front end's metrics; call
 *     it at start-up while still privileged, before any thread runs.
 *   policyd_start() starts the accept thread, after the privilege drop,
 *     with SIGHUP, SIGTERM and SIGINT blocked (every thread inherits it).
 *   policyd_stop() stops accepting and ends the connections: an idle one
 *     at once, one in the middle of a request once it is answered (or
 *     request_timeout ran out). It does not wait; any thread may call it.
 *   policyd_connections_open() counts the connections still open, for
 *     the drain in daemon.c.
 *   policyd_close() after the drain: joins the accept thread, cuts the
 *     connections still open and waits for them, then frees the messages
 *     still tracked (their engine sessions), so call it before
 *     engine_stop().
 *
 * One thread per connection (an smtpd process keeps one connection; Exim
 * opens one per request), at most policy_service.max_connections: beyond
 * it a new connection is closed at once with a log line. A connection
 * reads with poll(): idle_timeout between requests, request_timeout from
 * a request's first byte to its empty line. Every complete request, also
 * pipelined ones, is answered in order and the reply written whole (within
 * request_timeout). A malformed request (policyd_proto.h) is logged with
 * the peer and why, and the connection closed without a reply, as the
 * protocol asks. At the client's half-close (Exim's ${readsocket}) a
 * complete request still buffered is answered, then the connection is
 * closed at once.
 *
 * The requests (policyd.c): policyd_answer(client, request, out) appends
 * the reply ("action=...\n\n") to out; policyd_client_new(peer) /
 * policyd_client_free() hold what one connection remembers.
 *
 *   Messages. Postfix's instance attribute names one message; its
 *   requests share one engine session, kept in a table shared by all
 *   connections (Exim opens a new connection per request), under
 *   policy_service.max_messages_tracked (the least recently used is
 *   dropped) and idle_timeout (an entry not asked about for that long is
 *   dropped). A request takes its entry out of the table while it works
 *   (the table's mutex is never held across an engine call; a second
 *   request for the same instance waits for it) and puts it back. An
 *   entry ends at END-OF-MESSAGE, when the connection that used it asks
 *   about another instance (Postfix: the previous delivery was completed
 *   or aborted), or when dropped; a message that ends without
 *   END-OF-MESSAGE keeps its rate-limit charges (engine.h). A request
 *   without instance, or with an empty one, gets a session of its own,
 *   freed when answered (one-shot).
 *
 *   A new session: engine_session_new(client_name, client_address),
 *   engine_set_envelope_only (checks that read the message whole do not
 *   run), engine_set_auth(sasl_username), engine_set_tls(
 *   encryption_protocol, none when empty), engine_connect, engine_helo(
 *   helo_name) when sent non-empty, and for the message states
 *   engine_mail(sender, size): sender "" is the null sender, <> stripped
 *   when sent. engine_set_stress(stress) on every request, and
 *   engine_set_queue_id(queue_id) on every one of a started message. A
 *   refusal at connect, HELO or MAIL is kept with the entry and repeated
 *   to every later request of the message.
 *
 *   protocol_state:
 *     CONNECT, EHLO, HELO  one-shot: connect (and HELO) answers
 *     MAIL                 engine_mail's answer
 *     RCPT                 engine_rcpt(recipient), once per request:
 *                          list check_policy_service once per stage
 *     DATA                 engine_set_message_counts(recipient_count, 0),
 *                          engine_data
 *     END-OF-MESSAGE       engine_set_message_counts(recipient_count,
 *                          size), engine_eom; the entry ends
 *     VRFY, ETRN           one-shot: connect answers (the access lists),
 *                          then policy_service.vrfy / etrn
 *     anything else        DUNNO (logged at debug level)
 *
 *   Replies (access(5)): accept and add_header are DUNNO (never OK, which
 *   would skip the restrictions after check_policy_service); tempfail and
 *   reject the engine's reply as "CODE X.Y.Z text"; quarantine "HOLD
 *   reason"; discard "DISCARD text". A reply that cannot be written as it
 *   is (a bad code, a control character, too long) becomes the bare
 *   DEFER, REJECT, HOLD or DISCARD.
 *
 *   Log: one line per refusal, except where the engine logs it itself: a
 *   refusal at connect, and one of a message that ends with the request
 *   (END-OF-MESSAGE, one-shot), which the engine's summary line covers.
 *
 * Metrics: mxward_policy_requests_total{state}, mxward_policy_replies_total
 * {action} (dunno, defer, reject, hold, discard), mxward_policy_errors_total
 * (malformed requests), mxward_policy_connections (open now).
 *
 * Thread safety: policyd_answer() may run on many threads at once, each
 * with its own client; the table is shared under one mutex.
 *
 * SECURITY: requests come from the MTA over a socket others may reach;
 * the parser bounds and validates them (policyd_proto.h), the engine and
 * checks judge the values. The table is keyed by instance through SipHash
 * with a per-process key and bounded in size; connections are bounded in
 * number and time.
 */
#ifndef MXWARD_FRONTEND_POLICYD_H
#define MXWARD_FRONTEND_POLICYD_H

#include <stdbool.h>
#include <sys/types.h>

struct buf;
struct policyd_request;
struct policyd_client;

bool policyd_open(const char *listen, mode_t mode, const char *owner,
    char **error_r);
void policyd_start(void);
void policyd_stop(void);
int policyd_connections_open(void);
void policyd_close(void);

/* Register the request metrics and key the table (policyd_open does). */
void policyd_requests_init(void);
struct policyd_client *policyd_client_new(const char *peer);
void policyd_client_free(struct policyd_client **client_p);
void policyd_answer(struct policyd_client *client,
    const struct policyd_request *req, struct buf *out);
/* Drop the messages not asked about for idle_timeout. */
void policyd_messages_expire(void);
/* Free every message tracked; those in use are left (false). */
bool policyd_messages_free(void);

#endif
