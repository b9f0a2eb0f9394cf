/*
 * policyd_server.c - the policy socket: accept loop and connections
 *
 * See policyd.h. The accept thread polls the listening socket and a stop
 * pipe, with a one-second timeout that also drives the expiry of idle
 * messages (policyd_messages_expire). Each connection gets a detached
 * thread that polls its socket and the stop pipe, feeds the parser, and
 * writes the replies of each read's complete requests in one go. To know
 * whether a request is under way (for request_timeout and for a stop,
 * which closes an idle connection at once but lets a started request
 * finish), the thread follows the empty lines that end requests in the
 * bytes it reads; the parser alone judges what they mean.
 *
 * Connections are listed under server.lock so that policyd_close() can
 * cut the ones a stop did not end (shutdown(2) wakes their poll), and
 * counted in server.open for the drain. A connection thread unlists
 * itself before it closes its socket, so a shutdown never reaches a
 * descriptor reused by someone else, and its last act is to count itself
 * out, so that once the count is zero no thread touches our memory.
 *
 * SECURITY: a peer may send anything or nothing: bytes go to the bounded
 * parser, an idle or slow peer is cut by the timeouts, a peer that does
 * not read its replies by request_timeout on the write, and the number of
 * connections (threads) is capped by max_connections.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "engine/policy.h"
#include "frontend/listener.h"
#include "frontend/policyd.h"
#include "frontend/policyd_proto.h"
#include "metrics/metrics.h"

#define EXPIRE_INTERVAL_MS 1000
#define CLOSE_WAIT_SECONDS 10
#define READ_SIZE 4096
#define PEER_MAX 64

/* One open connection. */
struct conn {
	struct conn *next, *prev;
	int fd;
	char peer[PEER_MAX];
};

/* What a connection thread works with. */
struct conn_state {
	struct conn *conn;
	struct policyd_parser *parser;
	struct policyd_client *client;
	struct buf *out;
	bool mid;             /* a request has begun and not ended */
	size_t line;          /* bytes of the current line but CR */
	uint64_t started;     /* when the request under way began, ms */
	uint64_t idle_ms, request_ms;
};

static struct {
	int listen_fd;
	char *unix_path;
	int stop_pipe[2];
	pthread_t accept_tid;
	bool started;
	atomic_bool stopping;
	atomic_int open;
	pthread_mutex_t lock;
	pthread_cond_t gone;  /* a connection ended */
	struct conn *conns;
	int n_conns;
} server = {
	.listen_fd = -1,
	.stop_pipe = { -1, -1 },
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.gone = PTHREAD_COND_INITIALIZER,
};

static struct metrics_family *metric_connections, *metric_errors,
    *metric_refused;
/* When the last over-the-cap refusal was logged (one line a minute). */
static _Atomic int64_t last_refusal_log;

static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Read the timeouts of the current policy. */
static void
read_timeouts(struct conn_state *cs)
{
	struct conf *conf = conf_acquire();

	cs->idle_ms = policy_service(conf)->idle_timeout;
	cs->request_ms = policy_service(conf)->request_timeout;
	conf_release(&conf);
}

/* Follow the empty lines that end requests in bytes just read. */
static void
track_requests(struct conn_state *cs, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			if (cs->line == 0)
				cs->mid = false;
			cs->line = 0;
		} else if (data[i] != '\r') {
			if (!cs->mid) {
				cs->mid = true;
				cs->started = now_ms();
			}
			cs->line++;
		}
	}
}

/* Write all of out within request_timeout. */
static bool
conn_write(struct conn_state *cs)
{
	const struct buf *out = cs->out;
	uint64_t deadline = now_ms() + cs->request_ms;
	size_t off = 0;

	while (off < out->len) {
		ssize_t n = send(cs->conn->fd, out->data + off, out->len - off,
		    MSG_NOSIGNAL);
		struct pollfd pfd = { cs->conn->fd, POLLOUT, 0 };
		uint64_t now;

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			log_debug("policyd: %s: write: %s", cs->conn->peer,
			    strerror(errno));
			return false;
		}
		now = now_ms();
		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) ==
		    0) {
			log_info("policyd: %s: reply not taken in time, closing",
			    cs->conn->peer);
			return false;
		}
	}
	return true;
}

/* Answer the complete requests (st and what follows it), write the
 * replies; false when the connection must close. */
static bool
conn_answer(struct conn_state *cs, enum policyd_status st, bool eof)
{
	bool written;

	while (st == POLICYD_REQUEST) {
		policyd_answer(cs->client, policyd_parser_request(cs->parser),
		    cs->out);
		st = eof ? policyd_parser_eof(cs->parser) :
		    policyd_parser_feed(cs->parser, NULL, 0);
	}
	written = cs->out->len == 0 || conn_write(cs);
	buf_reset(cs->out);
	if (st == POLICYD_ERROR) {
		/* The protocol: no reply in case of trouble. */
		log_info("policyd: %s: %s; closing without a reply",
		    cs->conn->peer, policyd_parser_error(cs->parser));
		metrics_add(metric_errors, 0, 1);
		return false;
	}
	return written && !eof;
}

/* How long to wait for the peer now, in ms; -1: close at once. */
static int
conn_wait(struct conn_state *cs)
{
	uint64_t now, until;

	if (!cs->mid)
		return atomic_load(&server.stopping) ? -1 :
		    (int)cs->idle_ms;
	now = now_ms();
	until = cs->started + cs->request_ms;
	return now >= until ? 0 : (int)(until - now);
}

/* Read and answer until the peer leaves, a timeout, an error or a stop. */
static void
conn_serve(struct conn_state *cs)
{
	char in[READ_SIZE];

	for (;;) {
		struct pollfd pfd[2] = {
			{ cs->conn->fd, POLLIN, 0 },
			{ server.stop_pipe[0], POLLIN, 0 },
		};
		bool stopping = atomic_load(&server.stopping);
		int timeout, n;
		ssize_t got;

		read_timeouts(cs);
		if ((timeout = conn_wait(cs)) < 0)
			return;
		/* Once stopping, the pipe stays readable: watch it no more. */
		n = poll(pfd, stopping ? 1 : 2, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warning("policyd: %s: poll: %s", cs->conn->peer,
			    strerror(errno));
			return;
		}
		if (n == 0) {
			if (cs->mid)
				log_info("policyd: %s: request not complete "
				    "in time, closing", cs->conn->peer);
			else
				log_debug("policyd: %s: idle, closing",
				    cs->conn->peer);
			return;
		}
		if (pfd[0].revents == 0)
			continue;
		got = read(cs->conn->fd, in, sizeof(in));
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0) {
			/* The peer half-closed (or reset): answer what is
			 * complete, then close. */
			conn_answer(cs, policyd_parser_eof(cs->parser), true);
			return;
		}
		track_requests(cs, in, (size_t)got);
		if (!conn_answer(cs, policyd_parser_feed(cs->parser, in,
		    (size_t)got), false))
			return;
	}
}

/* Take a connection off the list, close it, and count it out last. */
static void
conn_end(struct conn *c)
{
	pthread_mutex_lock(&server.lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		server.conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&server.lock);
	close(c->fd);
	free(c);
	metrics_add(metric_connections, 0, -1);
	pthread_mutex_lock(&server.lock);
	server.n_conns--;
	atomic_fetch_sub(&server.open, 1);
	pthread_cond_broadcast(&server.gone);
	pthread_mutex_unlock(&server.lock);
}

/* A connection's thread. */
static void *
conn_main(void *arg)
{
	struct conn_state cs = { .conn = arg };

	cs.parser = policyd_parser_new(NULL);
	cs.client = policyd_client_new(cs.conn->peer);
	cs.out = buf_new();
	conn_serve(&cs);
	buf_free(&cs.out);
	policyd_client_free(&cs.client);
	policyd_parser_free(&cs.parser);
	conn_end(cs.conn);
	return NULL;
}

/* "ADDR:PORT", "[ADDR]:PORT" or "unix" for the log. */
static void
peer_text(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
		snprintf(out, len, "%s:%u", addr, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
		snprintf(out, len, "[%s]:%u", addr, ntohs(in6->sin6_port));
	} else {
		snprintf(out, len, "unix");
	}
}

/* Start a thread for a new connection, or refuse it over the cap. */
static void
conn_start(int fd, const struct sockaddr_storage *ss)
{
	struct conf *conf = conf_acquire();
	int max = (int)policy_service(conf)->max_connections;
	struct conn *c = xcalloc(1, sizeof(*c));
	pthread_attr_t attr;
	pthread_t tid;
	int one = 1;

	conf_release(&conf);
	c->fd = fd;
	peer_text(ss, c->peer, sizeof(c->peer));
	pthread_mutex_lock(&server.lock);
	if (server.n_conns >= max) {
		pthread_mutex_unlock(&server.lock);
		metrics_add(metric_refused, 0, 1);
		if (log_due(&last_refusal_log))
			log_warning("policyd: %s: %d connections open "
			    "(policy_service.max_connections), closing this "
			    "one (logged once a minute, all counted)",
			    c->peer, max);
		close(fd);
		free(c);
		return;
	}
	c->next = server.conns;
	if (c->next != NULL)
		c->next->prev = c;
	server.conns = c;
	server.n_conns++;
	atomic_fetch_add(&server.open, 1);
	pthread_mutex_unlock(&server.lock);
	metrics_add(metric_connections, 0, 1);
	if (ss->ss_family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	/* This thread blocks the daemon's signals: the new one inherits it. */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, conn_main, c) != 0) {
		log_error("policyd: %s: cannot start a thread, closing",
		    c->peer);
		conn_end(c);
	}
	pthread_attr_destroy(&attr);
}

/* Accept one pending connection. */
static void
accept_one(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = accept4(server.listen_fd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct timespec pause = { 0, 100 * 1000 * 1000 };

	if (fd >= 0) {
		conn_start(fd, &ss);
		return;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
	    errno == ECONNABORTED)
		return;
	/* Out of descriptors or memory: do not spin on it. */
	log_warning("policyd: accept: %s", strerror(errno));
	nanosleep(&pause, NULL);
}

/* The accept thread, until policyd_stop(). */
static void *
accept_main(void *arg)
{
	uint64_t expired = now_ms();

	(void)arg;
	while (!atomic_load(&server.stopping)) {
		struct pollfd pfd[2] = {
			{ server.listen_fd, POLLIN, 0 },
			{ server.stop_pipe[0], POLLIN, 0 },
		};
		int n = poll(pfd, 2, EXPIRE_INTERVAL_MS);

		if (now_ms() - expired >= EXPIRE_INTERVAL_MS) {
			policyd_messages_expire();
			expired = now_ms();
		}
		if (n > 0 && (pfd[0].revents & POLLIN) &&
		    !atomic_load(&server.stopping))
			accept_one();
	}
	return NULL;
}

bool
policyd_open(const char *listen, mode_t mode, const char *owner,
    char **error_r)
{
	server.listen_fd = listener_open(listen, mode, owner,
	    &server.unix_path, error_r);
	if (server.listen_fd < 0)
		return false;
	if (pipe2(server.stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		*error_r = xasprintf("pipe: %s", strerror(errno));
		close(server.listen_fd);
		server.listen_fd = -1;
		return false;
	}
	policyd_requests_init();
	metric_connections = metrics_gauge_new("mxward_policy_connections",
	    "MTA connections open on the policy socket.", NULL, NULL, 1);
	metric_errors = metrics_counter_new("mxward_policy_errors_total",
	    "Malformed policy requests; their connection was closed without "
	    "a reply.", NULL, NULL, 1);
	metric_refused = metrics_counter_new(
	    "mxward_policy_connections_refused_total",
	    "Connections closed at once because policy_service."
	    "max_connections were open.", NULL, NULL, 1);
	return true;
}

void
policyd_start(void)
{
	if (server.listen_fd < 0)
		return;
	if (pthread_create(&server.accept_tid, NULL, accept_main, NULL) != 0)
		log_die("cannot start the policy front end's thread");
	server.started = true;
}

void
policyd_stop(void)
{
	if (server.listen_fd < 0 || atomic_exchange(&server.stopping, true))
		return;
	if (write(server.stop_pipe[1], "", 1) < 0) {
		/* non-blocking and never read: it is readable already */
	}
}

int
policyd_connections_open(void)
{
	return atomic_load(&server.open);
}

/* Cut the connections still open and wait for their threads to end. */
static bool
close_connections(void)
{
	struct timespec until;
	bool all;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CLOSE_WAIT_SECONDS;
	pthread_mutex_lock(&server.lock);
	for (struct conn *c = server.conns; c != NULL; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	while (server.n_conns > 0 && pthread_cond_timedwait(&server.gone,
	    &server.lock, &until) == 0)
		;
	all = server.n_conns == 0;
	if (!all)
		log_warning("policyd: %d connections did not end",
		    server.n_conns);
	pthread_mutex_unlock(&server.lock);
	return all;
}

void
policyd_close(void)
{
	if (server.listen_fd < 0)
		return;
	policyd_stop();
	if (server.started)
		pthread_join(server.accept_tid, NULL);
	close(server.listen_fd);
	server.listen_fd = -1;
	if (server.unix_path != NULL)
		(void)unlink(server.unix_path);
	free(server.unix_path);
	server.unix_path = NULL;
	/* Threads still running would use the pipe and the messages. */
	if (!close_connections())
		return;
	if (!policyd_messages_free())
		log_warning("policyd: messages still in use at stop");
	close(server.stop_pipe[0]);
	close(server.stop_pipe[1]);
}
