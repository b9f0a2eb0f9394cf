/*
 * test_metrics.c - unit tests for metrics: registration, concurrent
 * updates, the text exposition format and the HTTP endpoint
 *
 * Without arguments it prints TAP and also writes what it rendered to
 * t/unit/test_metrics.prom under $top_builddir (or the current directory).
 * With --exposition it prints only a rendered exposition, for promtool.sh
 * to feed to `promtool check metrics`.
 */
#include "config.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "metrics/metrics.h"
#include "tap.h"

#define THREADS 4
#define ROUNDS 100000

static const char *const doors[] = { "milter", "a\"b\\c\nd" };
static const char *const kinds[] = { "a", "b", "c" };
static const double small_bounds[] = { 0.1, 0.5, 1 };
static const double conc_bounds[] = { 0.25, 0.5 };

static struct metrics_family *small_counter, *small_gauge, *small_histogram;
static struct metrics_family *conc_counter, *conc_gauge, *conc_histogram;
static atomic_int stop_rendering;

/* The small families whose rendering is compared byte for byte. */
static void
register_small(void)
{
	small_counter = metrics_counter_new("t_requests_total",
	    "Requests seen.\nA \\ second line.", NULL, NULL, 1);
	small_gauge = metrics_gauge_new("t_queue", "Queued messages.", "door",
	    doors, 2);
	small_histogram = metrics_histogram_new("t_seconds", "Scan time.",
	    NULL, NULL, 1, small_bounds, 3);
}

static const char small_expected[] =
    "# HELP t_requests_total Requests seen.\\nA \\\\ second line.\n"
    "# TYPE t_requests_total counter\n"
    "t_requests_total 3\n"
    "# HELP t_queue Queued messages.\n"
    "# TYPE t_queue gauge\n"
    "t_queue{door=\"milter\"} -2\n"
    "t_queue{door=\"a\\\"b\\\\c\\nd\"} 7\n"
    "# HELP t_seconds Scan time.\n"
    "# TYPE t_seconds histogram\n"
    "t_seconds_bucket{le=\"0.1\"} 0\n"
    "t_seconds_bucket{le=\"0.5\"} 2\n"
    "t_seconds_bucket{le=\"1\"} 3\n"
    "t_seconds_bucket{le=\"+Inf\"} 4\n"
    "t_seconds_sum 4.5\n"
    "t_seconds_count 4\n";

/* Put known values into the small families. */
static void
update_small(void)
{
	metrics_add(small_counter, 0, 1);
	metrics_add(small_counter, 0, 2);
	metrics_set(small_gauge, 0, 3);
	metrics_add(small_gauge, 0, -5);
	metrics_set(small_gauge, 1, 7);
	metrics_observe(small_histogram, 0, 0.25);
	metrics_observe(small_histogram, 0, 0.5); /* le is inclusive */
	metrics_observe(small_histogram, 0, 0.75);
	metrics_observe(small_histogram, 0, 3);
	metrics_observe(small_histogram, 0, NAN); /* ignored, not counted */
}

/* Does text contain line as a whole line? */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = strstr(text, line); p != NULL;
	    p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* Bucket bounds print as short as they read back exactly. */
static void
test_bounds(void)
{
	static const double bounds[] = {
		1e-05, 0.0001, 0.1, 1234.5678, 50000, 1e+21,
	};
	static const char *const want[] = {
		"1e-05", "0.0001", "0.1", "1234.5678", "50000", "1e+21", "+Inf",
	};
	struct buf *b = buf_new();
	char line[80];

	metrics_histogram_new("t_bounds", "Bound formatting.", NULL, NULL, 1,
	    bounds, 6);
	metrics_render(b);
	for (size_t i = 0; i < 7; i++) {
		snprintf(line, sizeof(line), "t_bounds_bucket{le=\"%s\"} 0",
		    want[i]);
		ok(has_line(b->data, line), "%s", line);
	}
	buf_free(&b);
}

/* The families the threads update. */
static void
register_concurrent(void)
{
	conc_counter = metrics_counter_new("t_conc_total", "Concurrent adds.",
	    "kind", kinds, 3);
	conc_gauge = metrics_gauge_new("t_conc_inflight", "Up and down.", NULL,
	    NULL, 1);
	conc_histogram = metrics_histogram_new("t_conc_size",
	    "Observed sizes.", "kind", kinds, 3, conc_bounds, 2);
}

/* One updating thread: every value below is exact in binary, so the
 * sums do not depend on the order the threads interleave. */
static void *
updater(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		metrics_add(conc_counter, (size_t)i % 3, 1);
		metrics_add(conc_gauge, 0, 2);
		metrics_add(conc_gauge, 0, -1);
		metrics_observe(conc_histogram, (size_t)i % 3, (i % 4) * 0.25);
	}
	return arg;
}

/* Render over and over while the updaters run (for ThreadSanitizer). */
static void *
renderer(void *arg)
{
	struct buf *b = buf_new();
	long *renders = arg;

	while (!atomic_load(&stop_rendering) || *renders == 0) {
		buf_reset(b);
		metrics_render(b);
		(*renders)++;
	}
	buf_free(&b);
	return NULL;
}

/* Expected totals of the concurrent run for label index k. */
static void
check_concurrent(const char *text)
{
	char line[160];

	for (int k = 0; k < 3; k++) {
		long n = 0, le025 = 0, le05 = 0;
		double sum = 0;
		const char *p;

		for (int i = k; i < ROUNDS; i += 3) {
			n++;
			le025 += (i % 4) <= 1;
			le05 += (i % 4) <= 2;
			sum += (i % 4) * 0.25;
		}
		snprintf(line, sizeof(line), "t_conc_total{kind=\"%s\"} %ld",
		    kinds[k], n * THREADS);
		ok(has_line(text, line), "%s", line);
		snprintf(line, sizeof(line),
		    "t_conc_size_bucket{kind=\"%s\",le=\"0.25\"} %ld", kinds[k],
		    le025 * THREADS);
		ok(has_line(text, line), "%s", line);
		snprintf(line, sizeof(line),
		    "t_conc_size_bucket{kind=\"%s\",le=\"0.5\"} %ld", kinds[k],
		    le05 * THREADS);
		ok(has_line(text, line), "%s", line);
		snprintf(line, sizeof(line),
		    "t_conc_size_bucket{kind=\"%s\",le=\"+Inf\"} %ld", kinds[k],
		    n * THREADS);
		ok(has_line(text, line), "%s", line);
		snprintf(line, sizeof(line), "\nt_conc_size_sum{kind=\"%s\"} ",
		    kinds[k]);
		p = strstr(text, line);
		ok(p != NULL && strtod(p + strlen(line), NULL) == sum * THREADS,
		    "t_conc_size_sum{kind=\"%s\"} is %g", kinds[k],
		    sum * THREADS);
		snprintf(line, sizeof(line), "t_conc_size_count{kind=\"%s\"} %ld",
		    kinds[k], n * THREADS);
		ok(has_line(text, line), "%s", line);
	}
	snprintf(line, sizeof(line), "t_conc_inflight %d", THREADS * ROUNDS);
	ok(has_line(text, line), "%s", line);
}

/* Update from THREADS threads while another renders; check the totals. */
static void
test_concurrent(void)
{
	pthread_t t[THREADS], r;
	long renders = 0;
	struct buf *b = buf_new();

	pthread_create(&r, NULL, renderer, &renders);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, updater, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop_rendering, 1);
	pthread_join(r, NULL);
	ok(renders > 0, "rendered %ld times during the updates", renders);
	metrics_render(b);
	check_concurrent(b->data);
	buf_free(&b);
}

/* Does calling fn in a child process abort it? */
static bool
aborts(void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* The abort message is expected; keep the TAP log clean. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(2);
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void bad_counter_name(void)
{
	metrics_counter_new("t_requests", "no _total", NULL, NULL, 1);
}

static void bad_gauge_total(void)
{
	metrics_gauge_new("t_gauge_total", "gauge named _total", NULL, NULL, 1);
}

static void bad_duplicate(void)
{
	metrics_gauge_new("t_queue", "again", NULL, NULL, 1);
}

static void bad_metric_chars(void)
{
	metrics_gauge_new("t-dash", "dash", NULL, NULL, 1);
}

static void bad_bounds(void)
{
	static const double b[] = { 1, 0.5 };

	metrics_histogram_new("t_desc", "descending", NULL, NULL, 1, b, 2);
}

static void bad_le_label(void)
{
	metrics_histogram_new("t_le", "le label", "le", kinds, 3, NULL, 0);
}

static void bad_label_values(void)
{
	static const char *const twice[] = { "x", "x" };

	metrics_gauge_new("t_twice", "twice", "v", twice, 2);
}

static void bad_index(void)
{
	metrics_add(small_counter, 1, 1);
}

static void bad_type(void)
{
	metrics_observe(small_counter, 0, 1.0);
}

static void bad_negative(void)
{
	metrics_add(small_counter, 0, -1);
}

static void bad_label_plain(void)
{
	metrics_label(small_counter, "x");
}

/* A named family: values come as they are first used, up to its bound. */
static void
test_named(void)
{
	struct metrics_family *f = metrics_counter_named("t_hits_total",
	    "Hits per limit.", "limit", 2);
	struct buf *b = buf_new();
	size_t a, c;

	metrics_render(b);
	ok(strstr(b->data, "# TYPE t_hits_total counter\n") != NULL &&
	    strstr(b->data, "t_hits_total{") == NULL,
	    "a named family without values renders no series");
	a = metrics_label(f, "per_sender");
	c = metrics_label(f, "per \"client\"");
	ok(a == 0 && c == 1, "values get indexes in order of first use");
	ok(metrics_label(f, "per_sender") == a, "a known value keeps its index");
	ok(metrics_label(f, "third") == SIZE_MAX, "past the bound: SIZE_MAX");
	metrics_add(f, a, 2);
	metrics_add(f, c, 5);
	buf_reset(b);
	metrics_render(b);
	ok(has_line(b->data, "t_hits_total{limit=\"per_sender\"} 2") &&
	    has_line(b->data, "t_hits_total{limit=\"per \\\"client\\\"\"} 5"),
	    "named series render with escaped values");
	ok(aborts(bad_label_plain), "metrics_label on a fixed family aborts");
	buf_free(&b);
}

/* Registration and use errors are programming errors: they abort. */
static void
test_misuse(void)
{
	ok(aborts(bad_counter_name), "counter not named *_total aborts");
	ok(aborts(bad_gauge_total), "gauge named *_total aborts");
	ok(aborts(bad_duplicate), "duplicate family name aborts");
	ok(aborts(bad_metric_chars), "invalid metric name aborts");
	ok(aborts(bad_bounds), "descending histogram bounds abort");
	ok(aborts(bad_le_label), "histogram label le aborts");
	ok(aborts(bad_label_values), "duplicate label values abort");
	ok(aborts(bad_index), "index out of range aborts");
	ok(aborts(bad_type), "observe on a counter aborts");
	ok(aborts(bad_negative), "negative delta on a counter aborts");
}

/* Send request to the endpoint and return everything it answers. */
static char *
http_fetch(int family, uint16_t port, const char *request)
{
	struct sockaddr_storage ss;
	struct timeval tv = { .tv_sec = 5 };
	struct buf *b = buf_new();
	socklen_t sslen;
	char chunk[4096], *text;
	ssize_t n;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
		sslen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sslen = sizeof(*sin);
	}
	fd = socket(family, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sslen) != 0 ||
	    write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
		if (fd >= 0)
			close(fd);
		buf_free(&b);
		return xstrdup("");
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(b, chunk, (size_t)n);
	close(fd);
	text = buf_steal(b);
	buf_free(&b);
	return text;
}

/* The body of an HTTP response, or "" when it has none. */
static const char *
http_body(const char *response)
{
	const char *p = strstr(response, "\r\n\r\n");

	return p != NULL ? p + 4 : "";
}

/* Is the status line of response "HTTP/1.x status ..."? */
static bool
http_status_is(const char *response, int status)
{
	char want[8];

	snprintf(want, sizeof(want), " %d ", status);
	return strncmp(response, "HTTP/1.", 7) == 0 &&
	    strncmp(response + 8, want, 5) == 0;
}

/* Does the response head carry this header line (case as sent)? */
static bool
http_has_header(const char *response, const char *line)
{
	const char *end = strstr(response, "\r\n\r\n");
	const char *p = strcasestr(response, line);

	return p != NULL && end != NULL && p < end && p[-1] == '\n' &&
	    p[strlen(line)] == '\r';
}

#define GET_METRICS "GET /metrics HTTP/1.1\r\nHost: localhost\r\n" \
	"Connection: close\r\n\r\n"

/* listen strings that must be refused without starting anything. */
static void
test_http_bad_listen(void)
{
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:8x",
		"::1:9100", "[::1]9100", "[::1", "[127.0.0.1]:9100",
		"localhost:9100", ":9100", "127.0.0.1:123456",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = NULL;
		bool started = metrics_http_start(bad[i], &err);

		ok(!started && err != NULL, "listen \"%s\" refused: %s", bad[i],
		    err ? err : "(no error)");
		free(err);
		if (started)
			metrics_http_stop();
	}
}

/* Serve on 127.0.0.1 with a kernel-chosen port and scrape it. */
static void
test_http(void)
{
	struct buf *want = buf_new();
	char *err = NULL, *resp;
	uint16_t port;

	test_http_bad_listen();
	ok(metrics_http_start("127.0.0.1:0", &err), "endpoint starts: %s",
	    err ? err : "ok");
	free(err);
	err = NULL;
	port = metrics_http_port();
	ok(port != 0, "bound port %u", port);
	ok(!metrics_http_start("127.0.0.1:0", &err) && err != NULL,
	    "second start refused");
	free(err);

	metrics_render(want);
	resp = http_fetch(AF_INET, port, GET_METRICS);
	ok(http_status_is(resp, 200), "GET /metrics is 200");
	ok(http_has_header(resp, "Content-Type: text/plain; version=0.0.4; "
	    "charset=utf-8"), "exposition content type");
	is_str(http_body(resp), want->data, "body is the rendering");
	free(resp);

	resp = http_fetch(AF_INET, port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
	ok(http_status_is(resp, 200), "HTTP/1.0 with a query is 200");
	free(resp);
	resp = http_fetch(AF_INET, port, "HEAD /metrics HTTP/1.1\r\n"
	    "Host: localhost\r\nConnection: close\r\n\r\n");
	ok(http_status_is(resp, 200) && *http_body(resp) == '\0',
	    "HEAD /metrics is 200 without a body");
	free(resp);
	resp = http_fetch(AF_INET, port, "GET / HTTP/1.1\r\n"
	    "Host: localhost\r\nConnection: close\r\n\r\n");
	ok(http_status_is(resp, 404), "GET / is 404");
	free(resp);
	resp = http_fetch(AF_INET, port, "POST /metrics HTTP/1.1\r\n"
	    "Host: localhost\r\nContent-Length: 3\r\nConnection: close\r\n"
	    "\r\nabc");
	ok(http_status_is(resp, 405) && http_has_header(resp,
	    "Allow: GET, HEAD"), "POST /metrics is 405 with Allow");
	free(resp);
	resp = http_fetch(AF_INET, port, "garbage\r\n\r\n");
	ok(!http_status_is(resp, 200), "garbage request not served");
	free(resp);

	metrics_http_stop();
	ok(metrics_http_port() == 0, "stopped: no port");
	resp = http_fetch(AF_INET, port, GET_METRICS);
	is_str(resp, "", "stopped: nothing answers");
	free(resp);
	metrics_http_stop(); /* harmless twice */

	/* IPv6 loopback may be missing in a container: skip, do not fail. */
	if (!metrics_http_start("[::1]:0", &err)) {
		ok(true, "# SKIP no IPv6 loopback: %s", err);
		ok(true, "# SKIP no IPv6 loopback");
		free(err);
	} else {
		ok(metrics_http_port() != 0, "[::1]:0 bound");
		resp = http_fetch(AF_INET6, metrics_http_port(), GET_METRICS);
		is_str(http_body(resp), want->data, "scrape over IPv6");
		free(resp);
		metrics_http_stop();
	}
	buf_free(&want);
}

/* Write the rendering where promtool.sh and humans can look at it. */
static void
write_rendering(const char *text)
{
	const char *top = getenv("top_builddir");
	char path[4096];
	FILE *f;
	bool written;

	snprintf(path, sizeof(path), "%s/t/unit/test_metrics.prom",
	    top ? top : ".");
	f = fopen(path, "w");
	if (f == NULL) {
		snprintf(path, sizeof(path), "test_metrics.prom");
		f = fopen(path, "w");
	}
	written = f != NULL && fputs(text, f) >= 0;
	if (f != NULL && fclose(f) != 0)
		written = false;
	ok(written, "rendering written to %s", path);
}

/* --exposition: every family with some values, nothing else on stdout. */
static int
print_exposition(void)
{
	struct buf *b = buf_new();

	register_small();
	update_small();
	register_concurrent();
	(void)updater(NULL);
	metrics_render(b);
	fputs(b->data, stdout);
	buf_free(&b);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct buf *b;

	if (argc > 1 && strcmp(argv[1], "--exposition") == 0)
		return print_exposition();
	plan(74);
	b = buf_new();

	metrics_render(b);
	is_str(b->data, "", "nothing registered renders nothing");
	register_small();
	buf_reset(b);
	metrics_render(b);
	ok(strstr(b->data, "t_requests_total 0\n") != NULL &&
	    strstr(b->data, "t_seconds_sum 0\n") != NULL,
	    "fresh families render zeros");
	update_small();
	buf_reset(b);
	metrics_render(b);
	is_str(b->data, small_expected, "small case renders exactly");
	test_bounds();
	test_misuse();
	test_named();

	register_concurrent();
	test_concurrent();
	buf_reset(b);
	metrics_render(b);
	ok(strncmp(b->data, small_expected, strlen(small_expected)) == 0,
	    "families render in registration order");
	write_rendering(b->data);
	buf_free(&b);

	test_http();
	return done();
}
