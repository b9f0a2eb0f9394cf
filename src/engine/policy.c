/*
 * policy.c - the engine's own policy sections and the full section list
 *
 * Declares the option tables of the top-level keys and of the daemon,
 * listen, metrics, actions, headers, spool, dns and policy_service
 * sections, and assembles them with the sections of every compiled-in
 * check (engine_sections). The tables are the single source of the option
 * reference in mxward.yaml(5).
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "engine/engine.h"
#include "engine/policy.h"

/* Fill authserv_id from the host name when the policy does not set it. */
static bool
top_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct policy_top *top = values;
	char host[256];

	if (top->authserv_id != NULL) {
		if (top->authserv_id[0] == '\0' ||
		    strpbrk(top->authserv_id, " \t;()\"\\") != NULL) {
			conf_errors_here(errs, "authserv_id: '%s' is not a "
			    "valid RFC 8601 authserv-id", top->authserv_id);
			return false;
		}
		return true;
	}
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	top->authserv_id = arena_strdup(arena, host);
	return true;
}

static const struct conf_option top_options[] = {
	{ "authserv_id", CONF_STRING, offsetof(struct policy_top, authserv_id),
	  NULL, 0, 0, NULL,
	  "The authserv-id written into Authentication-Results headers "
	  "(RFC 8601), normally this host's name. Incoming "
	  "Authentication-Results headers that claim it are removed. "
	  "Default: the host name." },
	{ NULL },
};

static const struct conf_section top_section = {
	"", "Top-level keys.", top_options, sizeof(struct policy_top),
	top_init, NULL,
};

static const struct conf_name_code log_level_names[] = {
	{ "error", LOG_LEVEL_ERROR },
	{ "warning", LOG_LEVEL_WARNING },
	{ "info", LOG_LEVEL_INFO },
	{ "debug", LOG_LEVEL_DEBUG },
	{ NULL, 0 },
};

static const struct conf_option daemon_options[] = {
	{ "user", CONF_STRING, offsetof(struct policy_daemon, user), NULL,
	  0, 0, NULL,
	  "The unprivileged user mxward switches to after binding its "
	  "sockets, when started as root. Empty: keep the starting user. "
	  "Read at start-up only." },
	{ "log_level", CONF_ENUM, offsetof(struct policy_daemon, log_level),
	  "info", 0, 0, log_level_names,
	  "The least severe level logged: error, warning, info (one line per "
	  "message) or debug." },
	{ NULL },
};

static const struct conf_section daemon_section = {
	"daemon", "The process: its user and its log.", daemon_options,
	sizeof(struct policy_daemon), NULL, NULL,
};

/* Is a listen.KEY value a socket the front ends can open ("" may be)? */
static bool
listen_socket_valid(struct conf_errors *errs, const char *key,
    const char *spec, bool may_be_empty)
{
	static const char *const kinds[] = { "inet:", "inet6:", "unix:",
	    "local:" };

	if (spec == NULL || *spec == '\0') {
		if (may_be_empty)
			return true;
	} else {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strncmp(spec, kinds[i], strlen(kinds[i])) == 0 &&
			    spec[strlen(kinds[i])] != '\0')
				return true;
	}
	conf_errors_here(errs, "listen.%s: '%s' is not inet:ADDR:PORT, "
	    "inet6:[ADDR]:PORT or unix:PATH", key, spec ? spec : "");
	return false;
}

/* Turn socket_mode into a mode_t; check the sockets' form. */
static bool
listen_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	struct policy_listen *l = values;
	char *end;
	unsigned long mode = strtoul(l->socket_mode_text, &end, 8);

	if (*l->socket_mode_text == '\0' || *end != '\0' || mode > 0777) {
		conf_errors_here(errs, "listen.socket_mode: '%s' is not an "
		    "octal file mode", l->socket_mode_text);
		return false;
	}
	l->socket_mode = (mode_t)mode;
	return listen_socket_valid(errs, "milter", l->milter, false) &&
	    listen_socket_valid(errs, "policy", l->policy, true);
}

static const struct conf_option listen_options[] = {
	{ "milter", CONF_STRING, offsetof(struct policy_listen, milter),
	  "inet:127.0.0.1:8890", 0, 0, NULL,
	  "Where the milter front end listens: inet:ADDR:PORT or unix:PATH. "
	  "Postfix's smtpd_milters names the same socket. Read at start-up "
	  "only." },
	{ "policy", CONF_STRING, offsetof(struct policy_listen, policy),
	  "", 0, 0, NULL,
	  "Where the policy-delegation front end listens: inet:ADDR:PORT, "
	  "inet6:[ADDR]:PORT or unix:PATH. Postfix names it in "
	  "check_policy_service (smtpd_recipient_restrictions = ..., "
	  "check_policy_service inet:127.0.0.1:8891); Exim reaches it with "
	  "${readsocket}. Empty (the default): no policy socket. Read at "
	  "start-up only." },
	{ "socket_mode", CONF_STRING,
	  offsetof(struct policy_listen, socket_mode_text), "0660", 0, 0, NULL,
	  "File mode (octal) of unix sockets." },
	{ "socket_owner", CONF_STRING,
	  offsetof(struct policy_listen, socket_owner), NULL, 0, 0, NULL,
	  "Owner of unix sockets as user or user:group, so that the MTA "
	  "(user postfix) can connect. Empty: the daemon's user." },
	{ NULL },
};

static const struct conf_section listen_section = {
	"listen", "The sockets the front ends listen on.", listen_options,
	sizeof(struct policy_listen), listen_init, NULL,
};

static const struct conf_option metrics_options[] = {
	{ "listen", CONF_STRING, offsetof(struct policy_metrics, listen),
	  "127.0.0.1:9890", 0, 0, NULL,
	  "ADDR:PORT of the Prometheus endpoint (/metrics). Empty disables "
	  "it. Read at start-up only." },
	{ NULL },
};

static const struct conf_section metrics_section = {
	"metrics", "The Prometheus endpoint.", metrics_options,
	sizeof(struct policy_metrics), NULL, NULL,
};

/* Thresholds must rise with severity, or a lower one would never apply. */
static bool
actions_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	const struct policy_actions *a = values;
	const double levels[] = { a->add_header, a->quarantine, a->tempfail,
	    a->reject };
	const char *names[] = { "add_header", "quarantine", "tempfail",
	    "reject" };
	size_t last = 4;

	for (size_t i = 0; i < 4; i++) {
		if (isnan(levels[i]))
			continue;
		if (last < 4 && levels[i] < levels[last]) {
			conf_errors_here(errs, "actions.%s (%g) is below "
			    "actions.%s (%g)", names[i], levels[i],
			    names[last], levels[last]);
			return false;
		}
		last = i;
	}
	return true;
}

#define SCORE_BOUNDS -1000, 1000, NULL
static const struct conf_option actions_options[] = {
	{ "add_header", CONF_SCORE, offsetof(struct policy_actions, add_header),
	  "6", SCORE_BOUNDS,
	  "Score from which a message is marked as spam in its headers "
	  "(X-Spam-Status: Yes, X-Spam-Flag: YES) and delivered. off: never." },
	{ "quarantine", CONF_SCORE, offsetof(struct policy_actions, quarantine),
	  "off", SCORE_BOUNDS,
	  "Score from which a message is put in the MTA's hold queue "
	  "(Postfix: postsuper -r releases it). off: never." },
	{ "tempfail", CONF_SCORE, offsetof(struct policy_actions, tempfail),
	  "off", SCORE_BOUNDS,
	  "Score from which a message is deferred (greylisting-like). off: "
	  "never." },
	{ "reject", CONF_SCORE, offsetof(struct policy_actions, reject),
	  "15", SCORE_BOUNDS,
	  "Score from which a message is refused. off: never." },
	{ "reject_reply", CONF_REPLY,
	  offsetof(struct policy_actions, reject_reply),
	  "554 5.7.1 Message refused as spam", 0, 0, NULL,
	  "Reply for messages refused by score." },
	{ "tempfail_reply", CONF_REPLY,
	  offsetof(struct policy_actions, tempfail_reply),
	  "451 4.7.1 Message deferred, try again later", 0, 0, NULL,
	  "Reply for messages deferred by score." },
	{ "error_reply", CONF_REPLY, offsetof(struct policy_actions, error_reply),
	  "451 4.7.1 Message could not be checked, try again later", 0, 0, NULL,
	  "Reply when a check could not decide and its on_error is tempfail "
	  "(a 4xx reply)." },
	{ "error_reject_reply", CONF_REPLY,
	  offsetof(struct policy_actions, error_reject_reply),
	  "550 5.7.1 Message could not be checked", 0, 0, NULL,
	  "Reply when a check could not decide and its on_error is reject "
	  "(a 5xx reply)." },
	{ "quarantine_reason", CONF_STRING,
	  offsetof(struct policy_actions, quarantine_reason),
	  "held by mxward", 0, 0, NULL,
	  "Reason recorded with quarantined messages." },
	{ NULL },
};

static const struct conf_section actions_section = {
	"actions",
	"Score thresholds that map a message's total score to an action. "
	"Hard decisions of checks (a refused network, an oversize message) "
	"apply whatever the score.",
	actions_options, sizeof(struct policy_actions), actions_init, NULL,
};

static const struct conf_option headers_options[] = {
	{ "spam_status", CONF_BOOL, offsetof(struct policy_headers, spam_status),
	  "yes", 0, 0, NULL,
	  "Add X-Spam-Score and X-Spam-Status headers (and X-Spam-Flag: YES "
	  "from the add_header score) to delivered messages." },
	{ NULL },
};

static const struct conf_section headers_section = {
	"headers", "Headers added to delivered messages.", headers_options,
	sizeof(struct policy_headers), NULL, NULL,
};

static const struct conf_option spool_options[] = {
	{ "memory_limit", CONF_SIZE, offsetof(struct policy_spool, memory_limit),
	  "1M", 0, 1024.0 * 1024 * 1024, NULL,
	  "How much of a message is kept in memory for the checks that read "
	  "it whole (antivirus); a larger message moves to a private file in "
	  "directory. Memory use is about this times the messages in flight." },
	{ "directory", CONF_STRING, offsetof(struct policy_spool, directory),
	  NULL, 0, 0, NULL,
	  "Where larger messages are kept while they are checked. The files "
	  "have no name (O_TMPFILE, or unlinked at once), so nothing is left "
	  "behind. Default: $TMPDIR, else /var/tmp." },
	{ NULL },
};

static const struct conf_section spool_section = {
	"spool", "Messages kept whole for the checks that read them whole.",
	spool_options, sizeof(struct policy_spool), NULL, NULL,
};

/* Is server "ADDR" or "ADDR@PORT" with a numeric address? */
static bool
dns_server_valid(const char *server)
{
	const char *at = strchr(server, '@');
	size_t addr_len = at ? (size_t)(at - server) : strlen(server);
	char addr[64];
	struct ip_addr ip;
	char *end;
	long port;

	if (addr_len == 0 || addr_len >= sizeof(addr))
		return false;
	memcpy(addr, server, addr_len);
	addr[addr_len] = '\0';
	if (!ip_parse(addr, &ip))
		return false;
	if (at == NULL)
		return true;
	port = strtol(at + 1, &end, 10);
	return at[1] != '\0' && *end == '\0' && port >= 1 && port <= 65535;
}

/* Refuse server addresses libunbound would only reject at start-up. */
static bool
dns_init(void *values, struct arena *arena, struct conf_errors *errs)
{
	const struct policy_dns *dns = values;

	for (size_t i = 0; i < dns->servers.n; i++) {
		if (!dns_server_valid(dns->servers.v[i])) {
			conf_errors_here(errs, "dns.servers: '%s' is not ADDR "
			    "or ADDR@PORT", dns->servers.v[i]);
			return false;
		}
	}
	return true;
}

static const struct conf_option dns_options[] = {
	{ "servers", CONF_STRING_LIST, offsetof(struct policy_dns, servers),
	  NULL, 0, 0, NULL,
	  "Name servers to send every query to, as ADDR or ADDR@PORT (IPv4 "
	  "or IPv6), tried by libunbound in turn. Empty (the default): the "
	  "servers of /etc/resolv.conf." },
	{ "timeout", CONF_DURATION, offsetof(struct policy_dns, timeout),
	  "5s", 100, 60000, NULL,
	  "How long one lookup may take. A lookup that gets no answer in "
	  "time is a temporary error for the check that asked (SPF "
	  "temperror, DKIM temperror, ...)." },
	{ "trust_anchor", CONF_STRING, offsetof(struct policy_dns, trust_anchor),
	  NULL, 0, 0, NULL,
	  "A DNSSEC trust anchor file (for example /usr/share/dns/root.key, "
	  "from the dns-root-data package). When set, answers are validated: "
	  "a bogus answer counts as a server failure and validated answers "
	  "are marked secure. Not set (the default): no validation." },
	{ "cache_size", CONF_SIZE, offsetof(struct policy_dns, cache_size),
	  "8M", 64 * 1024, 1024.0 * 1024 * 1024, NULL,
	  "Memory for cached answers, shared by all checks and kept for each "
	  "answer's time to live. Resolver settings take effect on reload; "
	  "a reload that changes them starts with an empty cache." },
	{ NULL },
};

static const struct conf_section dns_section = {
	"dns", "The one caching resolver every check asks (libunbound).",
	dns_options, sizeof(struct policy_dns), dns_init, NULL,
};

static const struct conf_name_code service_verb_names[] = {
	{ "accept", POLICY_SERVICE_ACCEPT },
	{ "reject", POLICY_SERVICE_REJECT },
	{ NULL, 0 },
};

static const struct conf_option service_options[] = {
	{ "vrfy", CONF_ENUM, offsetof(struct policy_service, vrfy), "reject",
	  0, 0, service_verb_names,
	  "What a VRFY request gets once the client passed the connect "
	  "checks (the access lists): reject (vrfy_reply; VRFY lets anyone "
	  "harvest valid addresses) or accept. Postfix asks through its "
	  "recipient restrictions, unless disable_vrfy_command is yes." },
	{ "vrfy_reply", CONF_REPLY, offsetof(struct policy_service, vrfy_reply),
	  "502 5.5.1 VRFY command is disabled", 0, 0, NULL,
	  "Reply to a refused VRFY." },
	{ "etrn", CONF_ENUM, offsetof(struct policy_service, etrn), "accept",
	  0, 0, service_verb_names,
	  "What an ETRN request gets once the client passed the connect "
	  "checks: accept (Postfix's smtpd_etrn_restrictions decide) or "
	  "reject with etrn_reply." },
	{ "etrn_reply", CONF_REPLY, offsetof(struct policy_service, etrn_reply),
	  "550 5.7.1 ETRN refused", 0, 0, NULL,
	  "Reply to a refused ETRN." },
	{ "max_connections", CONF_INT,
	  offsetof(struct policy_service, max_connections), "500", 1, 100000,
	  NULL,
	  "Most MTA connections open at once on the policy socket (Postfix "
	  "keeps one per smtpd process). A connection beyond it is closed "
	  "at once and logged; Postfix then answers with its "
	  "smtpd_policy_service_default_action." },
	{ "idle_timeout", CONF_DURATION,
	  offsetof(struct policy_service, idle_timeout), "10m", 1000,
	  86400000, NULL,
	  "How long a connection may wait between requests before it is "
	  "closed; longer than Postfix's smtpd_policy_service_max_idle "
	  "(300s), so Postfix is the one that closes. Messages not heard of "
	  "for this long are forgotten too." },
	{ "request_timeout", CONF_DURATION,
	  offsetof(struct policy_service, request_timeout), "30s", 100,
	  600000, NULL,
	  "How long a request may take to arrive whole once its first byte "
	  "came, and a reply to be taken by the client; past it the "
	  "connection is closed." },
	{ "max_messages_tracked", CONF_INT,
	  offsetof(struct policy_service, max_messages_tracked), "10000", 1,
	  10000000, NULL,
	  "Most messages (request attribute instance) followed at once from "
	  "one request to the next: the recipient count of a message and "
	  "its findings at connect, HELO and MAIL live there. Beyond it the "
	  "least recently used is forgotten, and its next request starts "
	  "afresh." },
	{ NULL },
};

static const struct conf_section service_section = {
	"policy_service",
	"The policy-delegation front end (Postfix check_policy_service, "
	"Exim ${readsocket}), listening on listen.policy. Each request is "
	"run through the same checks as a milter session, envelope only: "
	"checks that read the message whole do not run.",
	service_options, sizeof(struct policy_service), NULL, NULL,
};

static const struct conf_section *const *all_sections;
static size_t n_all_sections;

/* Build the list once: engine sections, then one per check. */
static void
sections_build(void)
{
	const struct conf_section **v;
	const struct conf_section *const engine[] = {
		[POLICY_TOP] = &top_section,
		[POLICY_DAEMON] = &daemon_section,
		[POLICY_LISTEN] = &listen_section,
		[POLICY_METRICS] = &metrics_section,
		[POLICY_ACTIONS] = &actions_section,
		[POLICY_HEADERS] = &headers_section,
		[POLICY_SPOOL] = &spool_section,
		[POLICY_DNS] = &dns_section,
		[POLICY_SERVICE] = &service_section,
	};

	v = xcalloc(POLICY_CHECKS + checks_count, sizeof(*v));
	for (size_t i = 0; i < POLICY_CHECKS; i++)
		v[i] = engine[i];
	for (size_t i = 0; i < checks_count; i++)
		v[POLICY_CHECKS + i] = &checks_all[i]->section;
	all_sections = v;
	n_all_sections = POLICY_CHECKS + checks_count;
}

size_t
engine_sections(const struct conf_section *const **sections_r)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, sections_build);
	*sections_r = all_sections;
	return n_all_sections;
}

struct conf *
engine_load_policy(const char *path, struct conf_errors *errs)
{
	const struct conf_section *const *sections;
	size_t n = engine_sections(&sections);

	return conf_load(path, sections, n, errs);
}

unsigned
engine_wanted_phases(void)
{
	struct conf *conf = conf_acquire();
	unsigned phases = 0;

	for (size_t i = 0; conf != NULL && i < checks_count; i++) {
		const struct check_common *common =
		    conf_section_values(conf, POLICY_CHECKS + i);

		if (!common->enabled)
			continue;
		phases |= checks_all[i]->phases;
		/* The message is spooled from its header fields and body. */
		if (checks_all[i]->needs_message)
			phases |= CHECK_HEADER | CHECK_EOH | CHECK_BODY |
			    CHECK_EOM;
	}
	conf_release(&conf);
	return phases;
}
