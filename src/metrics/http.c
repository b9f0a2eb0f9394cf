/*
 * http.c - the Prometheus scrape endpoint, GET /metrics over libmicrohttpd
 *
 * PUBLIC FUNCTIONS
 *	metrics_http_start() parses "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6),
 *	binds and starts serving; metrics_http_port() tells the bound port
 *	(useful with port 0); metrics_http_stop() stops the server and joins
 *	its thread.
 *
 * CONTRACT
 *	One endpoint per process. Start and stop are called from the main
 *	thread (start-up, shutdown); libmicrohttpd runs its own polling thread
 *	which renders the metrics on each scrape, concurrently with updates.
 *	GET and HEAD of /metrics answer 200 with the text format 0.0.4; other
 *	paths 404; other methods 405 with an Allow header. ADDR must be an
 *	address literal: no host names, so start-up never waits for DNS.
 *
 * SECURITY
 *	The endpoint faces the network. It reads no request body and keeps no
 *	per-request state; libmicrohttpd bounds the request size (its per
 *	connection memory pool), and we bound concurrent connections in all
 *	and per client address, and close idle connections after a timeout so
 *	slow clients cannot pin the server. The listen text comes from the
 *	admin's policy and is parsed with fixed bounds.
 */
#include "config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "metrics/metrics.h"

#define HTTP_LISTEN_MAX 128      /* longest "[IPv6]:PORT" we accept */
#define HTTP_CONNECTIONS_MAX 32  /* scrapers are few; keep the fd use bounded */
#define HTTP_PER_CLIENT_MAX 8
#define HTTP_TIMEOUT_SECONDS 10

#define HTTP_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static struct MHD_Daemon *http_daemon;
static uint16_t http_port;

/* Read a decimal port 0..65535 that makes up all of text. */
static bool
parse_port(const char *text, uint16_t *port_r)
{
	unsigned long port = 0;

	if (*text == '\0' || strlen(text) > 5)
		return false;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535)
		return false;
	*port_r = (uint16_t)port;
	return true;
}

/* Parse "ADDR:PORT" or "[ADDR]:PORT" into a socket address. */
static bool
parse_listen(const char *listen, struct sockaddr_storage *ss_r,
    char **error_r)
{
	char addr[HTTP_LISTEN_MAX];
	const char *colon, *port;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss_r;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss_r;
	uint16_t portnum;
	bool v6 = listen[0] == '[';

	if (strnlen(listen, HTTP_LISTEN_MAX) >= HTTP_LISTEN_MAX) {
		*error_r = xasprintf("listen address too long");
		return false;
	}
	if (v6) {
		const char *close = strchr(listen, ']');

		if (close == NULL || close[1] != ':') {
			*error_r = xasprintf("\"%s\": expected [ADDR]:PORT",
			    listen);
			return false;
		}
		colon = close + 1;
		memcpy(addr, listen + 1, (size_t)(close - listen - 1));
		addr[close - listen - 1] = '\0';
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL || memchr(listen, ':',
		    (size_t)(colon - listen)) != NULL) {
			*error_r = xasprintf("\"%s\": expected ADDR:PORT "
			    "(write IPv6 as [ADDR]:PORT)", listen);
			return false;
		}
		memcpy(addr, listen, (size_t)(colon - listen));
		addr[colon - listen] = '\0';
	}
	port = colon + 1;
	if (!parse_port(port, &portnum)) {
		*error_r = xasprintf("\"%s\": bad port \"%s\"", listen, port);
		return false;
	}
	memset(ss_r, 0, sizeof(*ss_r));
	if (v6 ? inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1 :
	    inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
		*error_r = xasprintf("\"%s\": \"%s\" is not an IPv%c address",
		    listen, addr, v6 ? '6' : '4');
		return false;
	}
	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(portnum);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(portnum);
	}
	return true;
}

/* Route libmicrohttpd's own error messages to our log. */
static void __attribute__((format(printf, 2, 0)))
http_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_warning("metrics endpoint: %s", line);
}

/* Queue a short fixed plain-text answer with the given status. */
static enum MHD_Result
http_reply_fixed(struct MHD_Connection *conn, unsigned status,
    const char *text)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Render the metrics into a response the library frees after sending. */
static enum MHD_Result
http_reply_metrics(struct MHD_Connection *conn)
{
	struct buf *b = buf_new();
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len;
	char *text;

	metrics_render(b);
	len = b->len;
	text = buf_steal(b);
	buf_free(&b);
	resp = MHD_create_response_from_buffer(len, text,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    HTTP_CONTENT_TYPE);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Answer one request as soon as its header is in; bodies are ignored. */
static enum MHD_Result
http_answer(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return http_reply_fixed(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n");
	/* The library has already cut off any ?query. */
	if (strcmp(url, "/metrics") != 0)
		return http_reply_fixed(conn, MHD_HTTP_NOT_FOUND,
		    "not found; metrics are at /metrics\n");
	return http_reply_metrics(conn);
}

bool
metrics_http_start(const char *listen, char **error_r)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	uint16_t port;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
	    MHD_USE_AUTO;

	*error_r = NULL;
	if (http_daemon != NULL) {
		*error_r = xasprintf("metrics endpoint already running");
		return false;
	}
	if (!parse_listen(listen, &ss, error_r))
		return false;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	http_daemon = MHD_start_daemon(flags, port, NULL, NULL, http_answer, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_CLIENT_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_SECONDS,
	    MHD_OPTION_END);
	if (http_daemon == NULL) {
		*error_r = xasprintf("cannot serve metrics on %s "
		    "(address in use or not local?)", listen);
		return false;
	}
	info = MHD_get_daemon_info(http_daemon, MHD_DAEMON_INFO_BIND_PORT);
	http_port = info != NULL ? info->port : 0;
	return true;
}

uint16_t
metrics_http_port(void)
{
	return http_port;
}

void
metrics_http_stop(void)
{
	if (http_daemon == NULL)
		return;
	/* Closes the listener and connections and joins the polling thread. */
	MHD_stop_daemon(http_daemon);
	http_daemon = NULL;
	http_port = 0;
}
