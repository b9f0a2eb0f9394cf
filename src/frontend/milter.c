/*
 * milter.c - the milter front end: libmilter callbacks to engine calls
 *
 * milter_open() turns the policy's listen.milter into libmilter's socket
 * spec, registers the filter, opens the socket (before privileges are
 * dropped), sets TCP_NODELAY on it and applies the unix socket mode and
 * owner. milter_run() runs libmilter's accept loop (one thread per MTA
 * connection) until milter_stop(). milter_connections_open() tells how
 * many MTA connections are open, for a graceful stop.
 *
 * This file only translates: each callback hands its arguments to the
 * engine and turns the engine's answer into SMFIS_* codes, replies and
 * header changes. Two libmilter stalls are avoided (see the README's
 * benchmark notes): xxfi_data is registered so Postfix gets a reply to
 * its DATA macros, and TCP_NODELAY stops Nagle from holding the final
 * reply behind the header changes. Over a unix socket (no Nagle) the MTA
 * is told not to wait for replies to DATA, headers, end of headers and
 * body chunks (SMFIP_NR_*): a refusal found there is given at end of
 * message instead, which saves a round trip per header. Over TCP that
 * would stall on the MTA's Nagle and our delayed ACK, so TCP keeps them.
 *
 * SECURITY: everything arriving here comes from the MTA (which relays the
 * client's words); the engine and checks bound and validate it. Reply
 * texts given to smfi_setreply() have '%' doubled.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libmilter/mfapi.h>

#include "core/cidr.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "engine/engine.h"
#include "frontend/listener.h"
#include "frontend/milter.h"
#include "metrics/metrics.h"
#include "mime/header.h"

/* Steps whose reply only matters at end of message: over a unix socket
 * the MTA is told not to wait for one (no Nagle there to stall on). */
#define QUIET_STEPS (SMFIP_NR_DATA | SMFIP_NR_HDR | SMFIP_NR_EOH | \
	SMFIP_NR_BODY)

/* One MTA connection: the engine session and what negotiation settled. */
struct milter_conn {
	struct engine_session *session;
	bool quiet; /* no replies to DATA, header, EOH, body */
	bool leadspc; /* header values come and go with their leading space */
};

static atomic_int connections_open;
static struct metrics_family *metric_open, *metric_total;
static bool listening_on_unix;

/* Macros asked of the MTA per stage (Postfix honours SMFIF_SETSYMLIST). */
static const struct {
	int stage;
	const char *macros;
} wanted_macros[] = {
	{ SMFIM_CONNECT, "j _ {daemon_name} {client_addr}" },
	{ SMFIM_HELO, "{tls_version} {cipher}" },
	{ SMFIM_ENVFROM, "i {auth_authen} {auth_type} {mail_addr}" },
	{ SMFIM_ENVRCPT, "i {rcpt_addr}" },
	{ SMFIM_EOM, "i" },
};

static struct milter_conn *
conn_of(SMFICTX *ctx)
{
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL) {
		conn = xcalloc(1, sizeof(*conn));
		smfi_setpriv(ctx, conn);
	}
	return conn;
}

static struct engine_session *
session_of(SMFICTX *ctx)
{
	return conn_of(ctx)->session;
}

/* Set the SMTP reply for a refusal; libmilter treats '%' as a format. */
static void
set_reply(SMFICTX *ctx, const struct engine_reply *reply)
{
	char text[512];
	size_t o = 0;

	for (const char *p = reply->text; *p && o < sizeof(text) - 2; p++) {
		if (*p == '%')
			text[o++] = '%';
		text[o++] = *p;
	}
	text[o] = '\0';
	if (smfi_setreply(ctx, (char *)reply->code, (char *)reply->xcode,
	    text) != MI_SUCCESS)
		log_warning("milter: MTA refused reply %s %s", reply->code,
		    reply->xcode);
}

/* Map an engine answer to libmilter's status, setting the reply. */
static sfsistat
status_of(SMFICTX *ctx, enum check_action action,
    const struct engine_reply *reply)
{
	switch (action) {
	case ACTION_REJECT:
		set_reply(ctx, reply);
		return SMFIS_REJECT;
	case ACTION_TEMPFAIL:
		set_reply(ctx, reply);
		return SMFIS_TEMPFAIL;
	case ACTION_DISCARD:
		return SMFIS_DISCARD;
	default:
		return SMFIS_CONTINUE;
	}
}

/* The answer for a step negotiated without reply: a refusal found there
 * stays in the message's findings and is given at end of message. */
static sfsistat
quiet_status(SMFICTX *ctx, enum check_action action,
    const struct engine_reply *reply)
{
	if (conn_of(ctx)->quiet)
		return SMFIS_NOREPLY;
	return status_of(ctx, action, reply);
}

/* Copy the macros that describe the client into the session. */
static void
read_macros(SMFICTX *ctx, struct engine_session *s)
{
	const char *v;

	if ((v = smfi_getsymval(ctx, "{auth_authen}")) != NULL)
		engine_set_auth(s, v);
	if ((v = smfi_getsymval(ctx, "{tls_version}")) != NULL)
		engine_set_tls(s, v);
	if ((v = smfi_getsymval(ctx, "i")) != NULL)
		engine_set_queue_id(s, v);
}

/* Negotiate: ask for the actions we use and skip what no check wants. */
static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS |
	    SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
	unsigned long steps = SMFIP_NOUNKNOWN;
	unsigned phases = engine_wanted_phases();

	if ((f0 & actions) != actions) {
		log_error("milter: the MTA does not offer header changes, "
		    "quarantine and macro lists (milter protocol 6 needed)");
		return SMFIS_REJECT;
	}
	/* Skipped steps cost no round trip and, unlike no-reply steps, cannot
	 * stall on Nagle. */
	if (!(phases & CHECK_BODY))
		steps |= SMFIP_NOBODY;
	if (!(phases & CHECK_EOH))
		steps |= SMFIP_NOEOH;
	/* Header fields as they stand (leading space, folds), so that
	 * DKIM's simple canonicalisation sees what was signed. */
	if (f1 & SMFIP_HDR_LEADSPC) {
		steps |= SMFIP_HDR_LEADSPC;
		conn_of(ctx)->leadspc = true;
	}
	if (listening_on_unix && (f1 & QUIET_STEPS) == QUIET_STEPS) {
		steps |= QUIET_STEPS;
		conn_of(ctx)->quiet = true;
	}
	*pf0 = actions;
	*pf1 = steps & f1;
	*pf2 = *pf3 = 0;
	for (size_t i = 0; i < sizeof(wanted_macros) / sizeof(*wanted_macros);
	    i++)
		smfi_setsymlist(ctx, wanted_macros[i].stage,
		    (char *)wanted_macros[i].macros);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_connect(SMFICTX *ctx, char *hostname, struct sockaddr *addr)
{
	char text[CIDR_TEXT_MAX] = "";
	struct engine_session *s;
	struct engine_reply reply;
	const void *raw = NULL;

	if (addr != NULL && addr->sa_family == AF_INET)
		raw = &((struct sockaddr_in *)(void *)addr)->sin_addr;
	else if (addr != NULL && addr->sa_family == AF_INET6)
		raw = &((struct sockaddr_in6 *)(void *)addr)->sin6_addr;
	if (raw == NULL || inet_ntop(addr->sa_family, raw, text,
	    sizeof(text)) == NULL)
		text[0] = '\0';
	s = conn_of(ctx)->session = engine_session_new(hostname, text);
	atomic_fetch_add(&connections_open, 1);
	metrics_add(metric_open, 0, 1);
	metrics_add(metric_total, 0, 1);
	return status_of(ctx, engine_connect(s, &reply), &reply);
}

static sfsistat
cb_helo(SMFICTX *ctx, char *helo)
{
	struct engine_session *s = session_of(ctx);
	struct engine_reply reply;

	read_macros(ctx, s);
	return status_of(ctx, engine_helo(s, helo, &reply), &reply);
}

/* SIZE=n among the ESMTP MAIL FROM parameters, or 0. */
static uint64_t
declared_size(char **argv)
{
	for (size_t i = 1; argv[i] != NULL; i++)
		if (strncasecmp(argv[i], "SIZE=", 5) == 0)
			return strtoull(argv[i] + 5, NULL, 10);
	return 0;
}

/* An envelope address without its angle brackets, in buf. */
static const char *
strip_brackets(const char *addr, char *buf, size_t len)
{
	size_t n = strlen(addr);

	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>') {
		addr++;
		n -= 2;
	}
	if (n >= len)
		n = len - 1;
	memcpy(buf, addr, n);
	buf[n] = '\0';
	return buf;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct engine_session *s = session_of(ctx);
	struct engine_reply reply;
	char sender[1024];

	read_macros(ctx, s);
	return status_of(ctx, engine_mail(s, strip_brackets(argv[0], sender,
	    sizeof(sender)), declared_size(argv), &reply), &reply);
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct engine_session *s = session_of(ctx);
	struct engine_reply reply;
	char rcpt[1024];

	return status_of(ctx, engine_rcpt(s, strip_brackets(argv[0], rcpt,
	    sizeof(rcpt)), &reply), &reply);
}

static sfsistat
cb_data(SMFICTX *ctx)
{
	struct engine_reply reply;

	return quiet_status(ctx, engine_data(session_of(ctx), &reply), &reply);
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct engine_reply reply;
	enum check_action action;
	char *unfolded;

	if (!conn_of(ctx)->leadspc)
		return quiet_status(ctx, engine_header(session_of(ctx), name,
		    value, NULL, 0, &reply), &reply);
	unfolded = mime_header_unfold(value, strlen(value));
	action = engine_header(session_of(ctx), name, unfolded, value,
	    strlen(value), &reply);
	free(unfolded);
	return quiet_status(ctx, action, &reply);
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct engine_reply reply;

	return quiet_status(ctx, engine_eoh(session_of(ctx), &reply), &reply);
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct engine_reply reply;

	return quiet_status(ctx, engine_body(session_of(ctx), chunk, len,
	    &reply), &reply);
}

/* Apply a verdict's header changes: deletions, then additions on top.
 * Postfix renumbers the remaining same-name headers after a deletion, so
 * deletions go from the highest index down (the verdict lists them in
 * ascending order); additions come last so they do not shift the count. */
static void
apply_headers(SMFICTX *ctx, const struct engine_verdict *v, bool leadspc)
{
	for (size_t i = v->n_del; i-- > 0;)
		if (smfi_chgheader(ctx, (char *)v->del[i].name,
		    (int)v->del[i].index, NULL) != MI_SUCCESS)
			log_warning("milter: could not delete %s #%u",
			    v->del[i].name, v->del[i].index);
	/* Inserting each at the top in reverse keeps the verdict's order.
	 * With leading spaces negotiated, the MTA adds none of its own. */
	for (size_t i = v->n_add; i-- > 0;) {
		char *value = leadspc ? xasprintf(" %s", v->add[i].value) :
		    (char *)v->add[i].value;

		if (smfi_insheader(ctx, 0, (char *)v->add[i].name, value) !=
		    MI_SUCCESS)
			log_warning("milter: could not add %s", v->add[i].name);
		if (leadspc)
			free(value);
	}
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct engine_session *s = session_of(ctx);
	const struct engine_verdict *v;

	read_macros(ctx, s);
	v = engine_eom(s);
	if (v == NULL)
		return SMFIS_CONTINUE;
	if (v->action <= ACTION_QUARANTINE)
		apply_headers(ctx, v, conn_of(ctx)->leadspc);
	if (v->action == ACTION_QUARANTINE &&
	    smfi_quarantine(ctx, (char *)v->quarantine_reason) != MI_SUCCESS)
		log_warning("milter: the MTA refused to quarantine");
	return status_of(ctx, v->action, &v->reply);
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct engine_session *s = session_of(ctx);

	if (s != NULL)
		engine_abort(s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return SMFIS_CONTINUE;
	if (conn->session != NULL) {
		engine_session_free(&conn->session);
		atomic_fetch_sub(&connections_open, 1);
		metrics_add(metric_open, 0, -1);
	}
	free(conn);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc filter = {
	.xxfi_name = "mxward",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE |
	    SMFIF_SETSYMLIST,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eoh = cb_eoh,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_data = cb_data,
	.xxfi_negotiate = cb_negotiate,
};

/* Turn "inet:ADDR:PORT" / "inet:[V6]:PORT" into libmilter's PORT@ADDR. */
static char *
libmilter_spec(const char *listen)
{
	const char *rest, *colon;

	if (strncmp(listen, "inet:", 5) != 0 || strchr(listen, '@') != NULL)
		return xstrdup(listen);
	rest = listen + 5;
	colon = strrchr(rest, ':');
	if (colon == NULL)
		return xstrdup(listen);
	if (rest[0] == '[' && colon > rest && colon[-1] == ']')
		return xasprintf("inet6:%s@%.*s", colon + 1,
		    (int)(colon - rest - 2), rest + 1);
	return xasprintf("inet:%s@%.*s", colon + 1, (int)(colon - rest), rest);
}

/* Set TCP_NODELAY on the listening socket libmilter just opened. Accepted
 * sockets inherit it on Linux. libmilter keeps the descriptor private, so
 * find it: it is the only listening TCP socket at this point. */
static void
set_nodelay(void)
{
	int one = 1;

	for (int fd = 3; fd < 1024; fd++) {
		int listening = 0;
		socklen_t len = sizeof(listening);
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
		    &len) != 0 || !listening)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one)) != 0)
			log_warning("milter: TCP_NODELAY: %s", strerror(errno));
	}
}

bool
milter_open(const char *listen, mode_t mode, const char *owner,
    char **error_r)
{
	char *spec = libmilter_spec(listen);
	const char *path = NULL;
	bool ok;

	metric_open = metrics_gauge_new("mxward_milter_connections",
	    "MTA connections open on the milter socket.", NULL, NULL, 1);
	metric_total = metrics_counter_new("mxward_milter_connections_total",
	    "MTA connections accepted on the milter socket.", NULL, NULL, 1);
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		path = strchr(spec, ':') + 1;
	if (smfi_setconn(spec) != MI_SUCCESS || smfi_register(filter) !=
	    MI_SUCCESS || smfi_opensocket(true) != MI_SUCCESS) {
		*error_r = xasprintf("cannot listen on %s", listen);
		free(spec);
		return false;
	}
	listening_on_unix = path != NULL;
	if (path == NULL)
		set_nodelay();
	ok = path == NULL || listener_unix_access(path, mode, owner, error_r);
	free(spec);
	return ok;
}

int
milter_run(void)
{
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}

void
milter_stop(void)
{
	smfi_stop();
}

int
milter_connections_open(void)
{
	return atomic_load(&connections_open);
}
