/*
 * policy-load.c - a policy-delegation load client, for
 * bench/policy-throughput.sh
 *
 *   policy-load [-c CONNECTIONS] [-n REQUESTS] [-t SECONDS] [-s SENDERS]
 *               [-p PREFIX] PORT
 *
 * Keeps CONNECTIONS (default 20) connections to 127.0.0.1:PORT open, as
 * that many Postfix smtpd processes would, each with one request in
 * flight at a time, sent again as soon as the answer came; stops issuing
 * after REQUESTS requests (default: no bound) or SECONDS seconds (default
 * 10), whichever comes first, and waits for the answers outstanding.
 * Request number k is a Postfix RCPT request (the attributes of Postfix
 * 3.7) from PREFIXj@example.net with j = k mod SENDERS (default 10000;
 * prefix "s"), so whatever the server's speed the requests come in the
 * same order; each is for a message of its own (its instance is unique
 * to the request and the run, or a server would take it for another
 * recipient of a message it still tracks). A connection the server
 * closes is opened again and its unanswered request sent again, as
 * smtpd does.
 *
 * Prints one line: seconds, requests answered, then the answers counted
 * as DUNNO, 4xx (action=4.. or DEFER...), 5xx (action=5.., REJECT...),
 * other, and the reconnections. Exit status 0, 1 when a connection
 * could not be made or a reply was not a policy reply, 2 on usage.
 *
 * One thread and poll(2): the client costs one core at most, less than
 * any of the servers it drives. Nothing leaves 127.0.0.1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNECTIONS_MAX 1000
#define REQUEST_MAX 1024
#define REPLY_MAX 4096

enum answer { ANSWER_DUNNO, ANSWER_4XX, ANSWER_5XX, ANSWER_OTHER,
	ANSWER_COUNT };

struct conn {
	int fd;
	bool busy;                  /* a request is in flight */
	char req[REQUEST_MAX];
	size_t req_len, sent;
	char reply[REPLY_MAX];
	size_t got;
};

static struct {
	unsigned short port;
	long senders;
	const char *prefix;
	long issued;                /* requests made so far */
	long answered;
	long answers[ANSWER_COUNT];
	long reconnects;
	long run;                   /* this run, in the instance attribute */
} load = { .senders = 10000, .prefix = "s" };

/* Seconds on the monotonic clock. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A connected socket to the server, non-blocking once connected (on
 * loopback the connect itself is immediate); -1 on failure. */
static int
dial(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(load.port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Fill c's request with request number k. */
static void
request_make(struct conn *c, long k)
{
	int n = snprintf(c->req, sizeof(c->req),
	    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "protocol_name=ESMTP\nhelo_name=client%ld.example.net\n"
	    "queue_id=\nsender=%s%ld@example.net\nrecipient=rcpt@example.org\n"
	    "recipient_count=0\nclient_address=192.0.2.%ld\n"
	    "client_name=unknown\nreverse_client_name=unknown\n"
	    "instance=%lx.%lx.0\nsasl_method=\nsasl_username=\n"
	    "sasl_sender=\nsize=0\nccert_subject=\nccert_issuer=\n"
	    "ccert_fingerprint=\nccert_pubkey_fingerprint=\n"
	    "encryption_protocol=\nencryption_cipher=\nencryption_keysize=0\n"
	    "etrn_domain=\nstress=\nserver_address=127.0.0.1\n"
	    "server_port=25\npolicy_context=\ncompatibility_level=3.6\n"
	    "mail_version=3.7.11\n\n",
	    k % 250, load.prefix, k % load.senders, k % 250 + 1, load.run, k);

	c->req_len = (size_t)n;
	c->sent = 0;
	c->got = 0;
	c->busy = true;
}

/* Count the reply in c (ending with an empty line); false if it is none. */
static bool
reply_count(struct conn *c)
{
	const char *a = c->reply + strlen("action=");
	enum answer kind;

	if (strncmp(c->reply, "action=", strlen("action=")) != 0)
		return false;
	if (strncmp(a, "DUNNO\n", 6) == 0 || strncmp(a, "dunno\n", 6) == 0)
		kind = ANSWER_DUNNO;
	else if (*a == '4' || strncmp(a, "DEFER", 5) == 0)
		kind = ANSWER_4XX;
	else if (*a == '5' || strncmp(a, "REJECT", 6) == 0)
		kind = ANSWER_5XX;
	else
		kind = ANSWER_OTHER;
	load.answers[kind]++;
	load.answered++;
	c->busy = false;
	return true;
}

/* The server closed c: open it again and send its request again. */
static bool
conn_redial(struct conn *c)
{
	close(c->fd);
	load.reconnects++;
	if ((c->fd = dial()) < 0)
		return false;
	c->sent = 0;
	c->got = 0;
	return true;
}

/* Progress on c as poll said; false on a fatal error. */
static bool
conn_io(struct conn *c, short revents)
{
	ssize_t n;

	if (c->sent < c->req_len) {
		n = send(c->fd, c->req + c->sent, c->req_len - c->sent,
		    MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n < 0)
			return conn_redial(c);
		c->sent += (size_t)n;
		return true;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return true;
	n = recv(c->fd, c->reply + c->got, sizeof(c->reply) - 1 - c->got, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0)
		return conn_redial(c);
	c->got += (size_t)n;
	c->reply[c->got] = '\0';
	if (c->got < 2 || memcmp(c->reply + c->got - 2, "\n\n", 2) != 0) {
		if (c->got == sizeof(c->reply) - 1) {
			fprintf(stderr, "policy-load: reply too long\n");
			return false;
		}
		return true;
	}
	if (!reply_count(c)) {
		fprintf(stderr, "policy-load: not a policy reply: %.80s\n",
		    c->reply);
		return false;
	}
	return true;
}

/* Drive every connection until the bounds are reached and all answered. */
static bool
run(struct conn *conns, int n_conns, long max_requests, double seconds)
{
	struct pollfd pfd[CONNECTIONS_MAX];
	double end = now() + seconds;
	bool issuing = true;
	int busy;

	for (;;) {
		if (issuing && (load.issued >= max_requests || now() >= end))
			issuing = false;
		busy = 0;
		for (int i = 0; i < n_conns; i++) {
			struct conn *c = &conns[i];

			if (!c->busy && issuing && load.issued < max_requests)
				request_make(c, load.issued++);
			pfd[i].fd = c->busy ? c->fd : -1;
			pfd[i].events = c->sent < c->req_len ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
			busy += c->busy;
		}
		if (busy == 0)
			return true;
		if (poll(pfd, (nfds_t)n_conns, 1000) < 0 && errno != EINTR) {
			perror("policy-load: poll");
			return false;
		}
		for (int i = 0; i < n_conns; i++)
			if (pfd[i].revents && !conn_io(&conns[i],
			    pfd[i].revents)) {
				fprintf(stderr, "policy-load: connection to "
				    "port %u failed\n", load.port);
				return false;
			}
	}
}

int
main(int argc, char **argv)
{
	static struct conn conns[CONNECTIONS_MAX];
	long max_requests = -1, n_conns = 20;
	double seconds = 10, t0, secs;
	bool ok;
	int opt;

	while ((opt = getopt(argc, argv, "c:n:t:s:p:")) != -1) {
		switch (opt) {
		case 'c': n_conns = strtol(optarg, NULL, 10); break;
		case 'n': max_requests = strtol(optarg, NULL, 10); break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 's': load.senders = strtol(optarg, NULL, 10); break;
		case 'p': load.prefix = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || n_conns < 1 || n_conns > CONNECTIONS_MAX ||
	    load.senders < 1 || seconds <= 0 || strlen(load.prefix) > 64 ||
	    (load.port = (unsigned short)atoi(argv[optind])) == 0)
		goto usage;
	if (max_requests < 0)
		max_requests = 1L << 62;
	load.run = (long)getpid() << 20 ^ (long)time(NULL);
	for (int i = 0; i < n_conns; i++)
		if ((conns[i].fd = dial()) < 0) {
			perror("policy-load: connect");
			return 1;
		}
	t0 = now();
	ok = run(conns, (int)n_conns, max_requests, seconds);
	secs = now() - t0;
	printf("%.3f %ld %ld %ld %ld %ld %ld\n", secs, load.answered,
	    load.answers[ANSWER_DUNNO], load.answers[ANSWER_4XX],
	    load.answers[ANSWER_5XX], load.answers[ANSWER_OTHER],
	    load.reconnects);
	return ok ? 0 : 1;
usage:
	fprintf(stderr, "usage: policy-load [-c CONNECTIONS] [-n REQUESTS] "
	    "[-t SECONDS] [-s SENDERS] [-p PREFIX] PORT\n");
	return 2;
}
