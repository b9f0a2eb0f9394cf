/*
 * test_resolver.c - unit tests for dns/resolver: lookups through libunbound
 * against nsd and the dnslib stub, the answer cache, failures, names,
 * threads, and the rdata decoders on malformed data
 *
 * Run by t/unit/resolver.sh, which starts the servers and passes their
 * ports in DNS_PORT (nsd: example.org, 2.0.192.in-addr.arpa) and
 * STUB_PORT (stub.example: SERVFAIL, silent and late names), and a DS for
 * example.org in DNS_TA_FILE. Without them the test skips.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "dns/resolver.h"
#include "metrics/metrics.h"
#include "tap.h"

#define STUB_TIMEOUT_MS 1000
#define TIMEOUT_SLACK_MS 500
#define THREADS 8
#define THREAD_LOOKUPS 300
#define RACE_LOOKUPS 20
/* Around the 40 ms the stub waits before it answers *.late.stub.example. */
static const uint64_t race_timeouts_ms[] = { 34, 38, 42, 46 };
#define RACE_RESOLVERS (sizeof(race_timeouts_ms) / sizeof(race_timeouts_ms[0]))

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* The value of one series in the metrics exposition (-1: absent). */
static long long
metric(const char *series)
{
	struct buf *b = buf_new();
	size_t len = strlen(series);
	long long v = -1;

	metrics_render(b);
	for (const char *p = b->data; p != NULL && *p != '\0';) {
		if (strncmp(p, series, len) == 0 && p[len] == ' ') {
			v = strtoll(p + len + 1, NULL, 10);
			break;
		}
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	buf_free(&b);
	return v;
}

static struct dns_resolver *
resolver(const char *port, uint64_t timeout_ms, const char *ta)
{
	char server[64], err[256];
	const char *servers[1] = { server };
	struct dns_settings s = {
		.servers = servers, .n_servers = 1, .timeout_ms = timeout_ms,
		.trust_anchor_file = ta, .cache_size = 1 << 20,
	};
	struct dns_resolver *r;

	snprintf(server, sizeof(server), "127.0.0.1@%s", port);
	if ((r = dns_resolver_new(&s, err, sizeof(err))) == NULL) {
		printf("Bail out! dns_resolver_new: %s\n", err);
		exit(1);
	}
	return r;
}

#define TEXT_MAX 1100
#define RECORDS_MAX 8

/* One record as text: an address, "PREF NAME", the TXT, or a name. */
static void
record_text(const struct dns_answer *a, size_t i, char *text)
{
	char name[256];
	struct ip_addr ip;
	unsigned pref = 0;
	size_t len;
	bool good;

	switch (a->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		good = a->type == DNS_T_A ? dns_rdata_a(&a->rr[i], &ip) :
		    dns_rdata_aaaa(&a->rr[i], &ip);
		if (good)
			ip_format(&ip, text, TEXT_MAX);
		break;
	case DNS_T_MX:
		good = dns_rdata_name(&a->rr[i], a->type, &pref, name,
		    sizeof(name));
		if (good)
			snprintf(text, TEXT_MAX, "%u %s", pref, name);
		break;
	case DNS_T_TXT:
	case DNS_T_SPF:
		good = dns_rdata_txt(&a->rr[i], text, TEXT_MAX, &len);
		break;
	default:
		good = dns_rdata_name(&a->rr[i], a->type, NULL, text,
		    TEXT_MAX);
	}
	if (!good)
		snprintf(text, TEXT_MAX, "(bad)");
}

static int
text_cmp(const void *x, const void *y)
{
	return strcmp(x, y);
}

/* The records of an answer as text, sorted (libunbound rotates RRsets),
 * joined by '|'. */
static void
answer_text(const struct dns_answer *a, char *out, size_t outlen)
{
	static char texts[RECORDS_MAX][TEXT_MAX];
	size_t n = a->count < RECORDS_MAX ? a->count : RECORDS_MAX, o = 0;

	for (size_t i = 0; i < n; i++)
		record_text(a, i, texts[i]);
	qsort(texts, n, TEXT_MAX, text_cmp);
	out[0] = '\0';
	for (size_t i = 0; i < n && o < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%s",
		    i > 0 ? "|" : "", texts[i]);
}

/* Look up name/type; check the status and, unless want is NULL, the
 * records as answer_text() shows them. */
static void
expect(struct dns_resolver *r, const char *name, enum dns_type type,
    enum dns_status status, const char *want)
{
	const struct dns_answer *a = dns_lookup(r, name, type);
	char got[4096], label[300];

	snprintf(label, sizeof(label), "%.200s type %d: %s", name, (int)type,
	    dns_status_name(status));
	if (!is_str(dns_status_name(a->status), dns_status_name(status),
	    label) || want == NULL) {
		dns_answer_free(&a);
		return;
	}
	answer_text(a, got, sizeof(got));
	snprintf(label, sizeof(label), "%.200s type %d: records", name,
	    (int)type);
	is_str(got, want, label);
	dns_answer_free(&a);
}

static void
test_records(struct dns_resolver *r)
{
	const struct dns_answer *a;
	char text[1100];
	size_t len;

	expect(r, "www.example.org", DNS_T_A, DNS_OK,
	    "192.0.2.10|192.0.2.11");
	expect(r, "www.example.org.", DNS_T_AAAA, DNS_OK, "2001:db8::10");
	expect(r, "example.org", DNS_T_MX, DNS_OK,
	    "10 mx1.example.org|20 mx2.example.org");
	expect(r, "example.org", DNS_T_TXT, DNS_OK,
	    "v=spf1 ip4:192.0.2.0/24 -all");
	expect(r, "example.org", DNS_T_SPF, DNS_OK, "v=spf1 -all");
	expect(r, "quotes.example.org", DNS_T_TXT, DNS_OK,
	    "say \"hi\"; a\\bwith space");
	expect(r, "_dmarc.example.org", DNS_T_TXT, DNS_OK,
	    "v=DMARC1; p=reject");
	expect(r, "empty.example.org", DNS_T_TXT, DNS_OK, "");
	expect(r, "10.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_OK,
	    "www.example.org");
	expect(r, "nope.example.org", DNS_T_A, DNS_NXDOMAIN, NULL);
	expect(r, "www.example.org", DNS_T_MX, DNS_NODATA, NULL);
	expect(r, "example.org", DNS_T_A, DNS_NODATA, NULL);

	/* 1000 bytes in four strings: more than a 512-byte UDP answer. */
	a = dns_lookup(r, "long.example.org", DNS_T_TXT);
	ok(a->status == DNS_OK && a->count == 1 &&
	    dns_rdata_txt(&a->rr[0], text, sizeof(text), &len) &&
	    len == 1000 && text[0] == 'a' && text[250] == 'b' &&
	    text[999] == 'd', "long TXT: four strings, 1000 bytes");
	ok(a->status == DNS_OK && !a->secure && a->ttl > 0 && a->ttl <= 300,
	    "not secure without a trust anchor; TTL from the zone");
	dns_answer_free(&a);

	a = dns_lookup(r, "c1.example.org", DNS_T_A);
	is_str(a->canonical, "www.example.org", "CNAME chain: canonical name");
	ok(a->status == DNS_OK && a->count == 2, "CNAME chain: the A records");
	dns_answer_free(&a);
	a = dns_lookup(r, "www.example.org", DNS_T_A);
	ok(a->canonical == NULL, "no canonical name without a CNAME");
	dns_answer_free(&a);
	expect(r, "c1.example.org", DNS_T_CNAME, DNS_OK, "c2.example.org");
}

static void
test_cache(struct dns_resolver *r)
{
	long long hits = metric("mxward_dns_cache_hits_total");
	long long mx = metric("mxward_dns_queries_total{type=\"mx\"}");
	const struct dns_answer *a, *b;

	a = dns_lookup(r, "mx1.example.org", DNS_T_A);
	b = dns_lookup(r, "MX1.Example.ORG.", DNS_T_A);
	ok(a->status == DNS_OK && a == b,
	    "second lookup (other case, trailing dot): the cached answer");
	is_int(metric("mxward_dns_cache_hits_total"), hits + 1,
	    "cache hit counted");
	dns_answer_free(&a);
	dns_answer_free(&b);
	ok(a == NULL && b == NULL, "dns_answer_free clears the pointer");

	for (int i = 0; i < 2; i++) {
		a = dns_lookup(r, "example.org", DNS_T_MX);
		dns_answer_free(&a);
	}
	is_int(metric("mxward_dns_queries_total{type=\"mx\"}"), mx + 2,
	    "queries counted by type, hits included");
	ok(metric("mxward_dns_cache_entries") > 0, "entries gauge");

	/* Negative answers are kept too (the zone's SOA minimum is 30 s). */
	hits = metric("mxward_dns_cache_hits_total");
	expect(r, "nothere.example.org", DNS_T_TXT, DNS_NXDOMAIN, NULL);
	expect(r, "nothere.example.org", DNS_T_TXT, DNS_NXDOMAIN, NULL);
	expect(r, "www.example.org", DNS_T_TXT, DNS_NODATA, NULL);
	expect(r, "www.example.org", DNS_T_TXT, DNS_NODATA, NULL);
	is_int(metric("mxward_dns_cache_hits_total"), hits + 2,
	    "NXDOMAIN and NODATA answered from the cache");

	/* short.example.org has a TTL of 1 s. */
	a = dns_lookup(r, "short.example.org", DNS_T_A);
	ok(a->status == DNS_OK && a->ttl <= 1, "short TTL record");
	dns_answer_free(&a);
	usleep(2100 * 1000);
	hits = metric("mxward_dns_cache_hits_total");
	expect(r, "short.example.org", DNS_T_A, DNS_OK, "192.0.2.99");
	is_int(metric("mxward_dns_cache_hits_total"), hits,
	    "expired answer asked again, not a cache hit");
}

static void
test_failures(struct dns_resolver *stub)
{
	long long hits, fails = metric("mxward_dns_servfails_total");
	long long timeouts = metric("mxward_dns_timeouts_total");
	const struct dns_answer *a;
	char text[64];
	size_t len;
	double t0, elapsed;

	expect(stub, "ok.stub.example", DNS_T_A, DNS_OK, "198.51.100.1");
	expect(stub, "fail.stub.example", DNS_T_A, DNS_SERVFAIL, NULL);
	hits = metric("mxward_dns_cache_hits_total");
	expect(stub, "fail.stub.example", DNS_T_A, DNS_SERVFAIL, NULL);
	is_int(metric("mxward_dns_cache_hits_total"), hits,
	    "SERVFAIL is not cached");
	is_int(metric("mxward_dns_servfails_total"), fails + 2,
	    "servfails counted");

	t0 = now_ms();
	expect(stub, "slow.stub.example", DNS_T_TXT, DNS_TIMEOUT, NULL);
	elapsed = now_ms() - t0;
	ok(elapsed >= STUB_TIMEOUT_MS - 5 &&
	    elapsed <= STUB_TIMEOUT_MS + TIMEOUT_SLACK_MS,
	    "timeout after %.0f ms (timeout %d ms)", elapsed, STUB_TIMEOUT_MS);
	t0 = now_ms();
	expect(stub, "slow.stub.example", DNS_T_TXT, DNS_TIMEOUT, NULL);
	elapsed = now_ms() - t0;
	ok(elapsed >= STUB_TIMEOUT_MS - 5 &&
	    elapsed <= STUB_TIMEOUT_MS + TIMEOUT_SLACK_MS,
	    "a timeout is not cached: asked again, %.0f ms", elapsed);
	is_int(metric("mxward_dns_timeouts_total"), timeouts + 2,
	    "timeouts counted");
	expect(stub, "_spf.stub.example", DNS_T_TXT, DNS_OK, "v=spf1 -all");

	a = dns_lookup(stub, "bytes.stub.example", DNS_T_TXT);
	ok(a->status == DNS_OK && a->count == 1 &&
	    dns_rdata_txt(&a->rr[0], text, sizeof(text), &len) && len == 7 &&
	    memcmp(text, "a\0b\"q\\ ", 8) == 0,
	    "TXT with a NUL byte, a quote, a backslash and a space");
	dns_answer_free(&a);
	expect(stub, "any.Thing.wild.stub.example", DNS_T_TXT, DNS_OK, "wild");
}

static void
test_names(struct dns_resolver *stub)
{
	char name[400], label[70];

	memset(label, 'x', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.wild.stub.example", label);
	expect(stub, name, DNS_T_TXT, DNS_OK, "wild");
	snprintf(name, sizeof(name), "x%s.wild.stub.example", label);
	expect(stub, name, DNS_T_TXT, DNS_BADNAME, NULL);
	/* 253 characters: four 58-byte labels, then "wild.stub.example". */
	snprintf(name, sizeof(name), "%.58s.%.58s.%.58s.%.58s.%s", label,
	    label, label, label, "wild.stub.example");
	is_int((long long)strlen(name), 253, "253-character name");
	expect(stub, name, DNS_T_TXT, DNS_OK, "wild");
	snprintf(name, sizeof(name), "%.58s.%.58s.%.58s.%.59s.%s", label,
	    label, label, label, "wild.stub.example");
	expect(stub, name, DNS_T_TXT, DNS_BADNAME, NULL);
	expect(stub, "", DNS_T_A, DNS_BADNAME, NULL);
	expect(stub, ".", DNS_T_A, DNS_BADNAME, NULL);
	expect(stub, "a..stub.example", DNS_T_A, DNS_BADNAME, NULL);
	expect(stub, ".stub.example", DNS_T_A, DNS_BADNAME, NULL);
	expect(stub, "stub.example..", DNS_T_A, DNS_BADNAME, NULL);
	expect(stub, "a\tb.stub.example", DNS_T_A, DNS_BADNAME, NULL);
	expect(stub, "caf\xc3\xa9.stub.example", DNS_T_A, DNS_BADNAME, NULL);
	/* Odd but valid: asked, and the stub has no such name. */
	expect(stub, "_x-y_.stub.example.", DNS_T_A, DNS_NXDOMAIN, NULL);
	expect(stub, "a\\046b\"c;(d) @e.stub.example", DNS_T_A,
	    DNS_NXDOMAIN, NULL);
	expect(stub, "sub.x.wild.stub.example", DNS_T_TXT, DNS_OK, "wild");
}

struct worker {
	struct dns_resolver *r;
	unsigned seed;
	int bad;
};

/* Many lookups, checking each answer; a mix of hits and misses. */
static void *
worker_main(void *arg)
{
	static const struct {
		const char *name;
		enum dns_type type;
		enum dns_status status;
		size_t count;
	} q[] = {
		{ "www.example.org", DNS_T_A, DNS_OK, 2 },
		{ "www.example.org", DNS_T_AAAA, DNS_OK, 1 },
		{ "example.org", DNS_T_MX, DNS_OK, 2 },
		{ "example.org", DNS_T_TXT, DNS_OK, 1 },
		{ "c1.example.org", DNS_T_A, DNS_OK, 2 },
		{ "missing.example.org", DNS_T_A, DNS_NXDOMAIN, 0 },
		{ "10.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_OK, 1 },
	};
	struct worker *w = arg;
	char name[64];

	for (int i = 0; i < THREAD_LOOKUPS; i++) {
		unsigned k = (unsigned)rand_r(&w->seed) % 8;
		const struct dns_answer *a;

		if (k == 7) {
			/* A name nobody asked before: a miss to nsd. */
			snprintf(name, sizeof(name), "n%u-%d.example.org",
			    w->seed % 1000, i);
			a = dns_lookup(w->r, name, DNS_T_A);
			w->bad += a->status != DNS_NXDOMAIN;
		} else {
			a = dns_lookup(w->r, q[k].name, q[k].type);
			w->bad += a->status != q[k].status ||
			    a->count != q[k].count;
		}
		dns_answer_free(&a);
	}
	return NULL;
}

static void
test_threads(struct dns_resolver *r)
{
	struct worker w[THREADS];
	pthread_t t[THREADS];
	int bad = 0;

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .r = r, .seed = 1000u + (unsigned)i };
		dns_resolver_ref(r);
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		bad += w[i].bad;
		dns_resolver_unref(&w[i].r);
	}
	is_int(bad, 0, "8 threads x 300 lookups: every answer right");
}

struct racer {
	struct dns_resolver *r;
	int id, answered, timed_out, bad;
};

/* Lookups whose answers come about when they time out. */
static void *
racer_main(void *arg)
{
	struct racer *w = arg;
	char name[64];

	for (int i = 0; i < RACE_LOOKUPS; i++) {
		const struct dns_answer *a;

		snprintf(name, sizeof(name), "t%d-%d.late.stub.example", w->id,
		    i);
		a = dns_lookup(w->r, name, DNS_T_A);
		if (a->status == DNS_OK && a->count == 1)
			w->answered++;
		else if (a->status == DNS_TIMEOUT)
			w->timed_out++;
		else
			w->bad++;
		dns_answer_free(&a);
	}
	return NULL;
}

/* Answers and timeouts crossing: the cancel/callback hand-over. */
static void
test_race(const char *stub_port)
{
	struct dns_resolver *r[RACE_RESOLVERS];
	struct racer w[THREADS];
	pthread_t t[THREADS];
	int answered = 0, timed_out = 0, bad = 0;

	for (size_t i = 0; i < RACE_RESOLVERS; i++)
		r[i] = resolver(stub_port, race_timeouts_ms[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct racer){ .r = r[(size_t)i % RACE_RESOLVERS],
		    .id = i };
		pthread_create(&t[i], NULL, racer_main, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		answered += w[i].answered;
		timed_out += w[i].timed_out;
		bad += w[i].bad;
	}
	ok(bad == 0, "answers racing timeouts: %d answered, %d timed out",
	    answered, timed_out);
	for (size_t i = 0; i < RACE_RESOLVERS; i++)
		dns_resolver_unref(&r[i]);
}

/* A resolver freed while answers are still held, and one that times
 * out right before it goes. */
static void
test_lifetime(const char *port, const char *stub_port)
{
	struct dns_resolver *r = resolver(port, 2000, NULL), *r2 = r;
	const struct dns_answer *a;

	dns_resolver_ref(r);
	dns_resolver_unref(&r2);
	ok(r2 == NULL, "unref clears the caller's pointer");
	a = dns_lookup(r, "www.example.org", DNS_T_A);
	dns_resolver_unref(&r);
	ok(r == NULL && a->status == DNS_OK && a->count == 2,
	    "an answer outlives its resolver");
	dns_answer_free(&a);

	r = resolver(stub_port, 200, NULL);
	a = dns_lookup(r, "x.slow.stub.example", DNS_T_A);
	is_str(dns_status_name(a->status), "timeout",
	    "resolver freed right after a timeout");
	dns_answer_free(&a);
	dns_resolver_unref(&r);
}

static void
test_settings(const char *ta)
{
	const char *bad[] = { "not an address" }, *none[] = { "127.0.0.1" };
	struct dns_settings s = {
		.servers = bad, .n_servers = 1, .timeout_ms = 1000,
		.cache_size = 1 << 20,
	};
	char err[256] = "";
	struct dns_resolver *r;

	ok(dns_resolver_new(&s, err, sizeof(err)) == NULL && err[0] != '\0',
	    "bad server address refused: %s", err);
	s.servers = none;
	s.trust_anchor_file = "/nonexistent/root.key";
	err[0] = '\0';
	ok(dns_resolver_new(&s, err, sizeof(err)) == NULL && err[0] != '\0',
	    "missing trust anchor file refused: %s", err);
	s.trust_anchor_file = ta;
	r = dns_resolver_new(&s, err, sizeof(err));
	ok(r != NULL, "trust anchor file accepted");
	dns_resolver_unref(&r);
}

/* With a DS for example.org, nsd's unsigned answers are bogus. */
static void
test_dnssec(const char *port, const char *ta)
{
	struct dns_resolver *r = resolver(port, 3000, ta);
	long long fails = metric("mxward_dns_servfails_total");

	expect(r, "www.example.org", DNS_T_A, DNS_SERVFAIL, NULL);
	is_int(metric("mxward_dns_servfails_total"), fails + 1,
	    "bogus counts as a servfail");
	dns_resolver_unref(&r);
}

static struct dns_rdata
rd(const char *bytes, size_t len)
{
	return (struct dns_rdata){ (const unsigned char *)bytes, len };
}

static void
test_decoders(void)
{
	struct dns_rdata d;
	struct ip_addr ip;
	char out[300], big[600], text[16];
	unsigned pref = 0;
	size_t len;

	ok(!dns_rdata_a(&(struct dns_rdata){ (const unsigned char *)"\1\2\3",
	    3 }, &ip), "A of 3 bytes refused");
	d = rd("\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\0\2\1", 16);
	ok(dns_rdata_aaaa(&d, &ip) && ip.family == AF_INET &&
	    memcmp(ip.bytes, "\xc0\0\2\1", 4) == 0,
	    "IPv4-mapped AAAA read as IPv4");
	ok(!dns_rdata_aaaa(&(struct dns_rdata){ d.data, 15 }, &ip),
	    "AAAA of 15 bytes refused");

	d = rd("\0\x0a\2mx\7example\0", 14);
	ok(dns_rdata_name(&d, DNS_T_MX, &pref, out, sizeof(out)) &&
	    pref == 10 && strcmp(out, "mx.example") == 0, "MX decoded");
	d = rd("\0\0\0", 3);
	ok(dns_rdata_name(&d, DNS_T_MX, &pref, out, sizeof(out)) &&
	    out[0] == '\0', "null MX (RFC 7505): the root, empty text");
	ok(!dns_rdata_name(&(struct dns_rdata){ d.data, 1 }, DNS_T_MX, &pref,
	    out, sizeof(out)), "MX of one byte refused");
	ok(!dns_rdata_name(&(struct dns_rdata){ d.data, 2 }, DNS_T_MX, &pref,
	    out, sizeof(out)), "MX without a name refused");
	d = rd("\2mx\xc0\x0c", 5);
	ok(!dns_rdata_name(&d, DNS_T_PTR, NULL, out, sizeof(out)),
	    "compression pointer refused");
	d = rd("\2mx\7exam", 8);
	ok(!dns_rdata_name(&d, DNS_T_PTR, NULL, out, sizeof(out)),
	    "label past the end refused");
	d = rd("\2mx", 3);
	ok(!dns_rdata_name(&d, DNS_T_PTR, NULL, out, sizeof(out)),
	    "name without its root label refused");
	d = rd("\4ev.l\7example\0", 14);
	ok(!dns_rdata_name(&d, DNS_T_PTR, NULL, out, sizeof(out)),
	    "dot inside a label refused");
	d = rd("\4evil\1\0\7example\0", 16);
	ok(!dns_rdata_name(&d, DNS_T_PTR, NULL, out, sizeof(out)),
	    "NUL inside a label refused");
	d = rd("\2mx\0junk", 8);
	ok(!dns_rdata_name(&d, DNS_T_PTR, NULL, out, sizeof(out)),
	    "bytes after the name refused");
	d = rd("\2mx\7example\0", 12);
	ok(!dns_rdata_name(&d, DNS_T_PTR, NULL, out, 10) &&
	    dns_rdata_name(&d, DNS_T_PTR, NULL, out, 11) &&
	    strcmp(out, "mx.example") == 0, "name exactly fits out, not less");
	ok(!dns_rdata_name(&d, DNS_T_PTR, NULL, out, 0), "outlen 0 refused");
	/* Five labels of 63: 321 wire bytes, over 255. */
	for (int i = 0; i < 5; i++) {
		big[i * 64] = 63;
		memset(big + i * 64 + 1, 'a', 63);
	}
	big[320] = '\0';
	ok(!dns_rdata_name(&(struct dns_rdata){ (unsigned char *)big, 321 },
	    DNS_T_PTR, NULL, out, sizeof(out)), "name over 255 bytes refused");
	big[0] = 64;
	ok(!dns_rdata_name(&(struct dns_rdata){ (unsigned char *)big, 321 },
	    DNS_T_PTR, NULL, out, sizeof(out)), "label of 64 refused");

	d = rd("\3abc\0\2de", 8);
	ok(dns_rdata_txt(&d, text, sizeof(text), &len) && len == 5 &&
	    memcmp(text, "abcde", 6) == 0, "TXT strings joined, empty kept");
	ok(!dns_rdata_txt(&d, text, 5, &len) &&
	    dns_rdata_txt(&d, text, 6, &len), "TXT needs room for the NUL");
	d = rd("\3abc\4de", 7);
	ok(!dns_rdata_txt(&d, text, sizeof(text), &len),
	    "TXT string past the end refused");
	ok(!dns_rdata_txt(&(struct dns_rdata){ d.data, 0 }, text,
	    sizeof(text), &len), "empty TXT rdata refused");
}

static void
test_status_names(void)
{
	static const char *const want[] = {
		"ok", "nodata", "nxdomain", "servfail", "timeout", "badname",
		"error",
	};
	const struct dns_answer *a;
	bool all = true;

	for (int i = DNS_OK; i <= DNS_ERROR; i++)
		all = all && strcmp(dns_status_name(i), want[i]) == 0;
	ok(all, "status names");
	a = dns_lookup(NULL, "example.org", DNS_T_A);
	ok(a->status == DNS_ERROR && a->count == 0, "no resolver: error");
	dns_answer_free(&a);
	a = dns_lookup(NULL, "bad..name", DNS_T_A);
	ok(a->status == DNS_BADNAME, "no resolver, bad name: badname");
	dns_answer_free(&a);
	is_str(dns_status_name((enum dns_status)99), "unknown",
	    "an unknown status");
}

int
main(void)
{
	const char *port = getenv("DNS_PORT"), *stub_port = getenv("STUB_PORT");
	const char *ta = getenv("DNS_TA_FILE");
	struct dns_resolver *r, *stub;

	if (port == NULL || stub_port == NULL || ta == NULL) {
		printf("1..0 # SKIP no DNS servers (run t/unit/resolver.sh)\n");
		return 0;
	}
	plan(111);
	dns_register_metrics();
	test_decoders();
	test_status_names();
	r = resolver(port, 3000, NULL);
	stub = resolver(stub_port, STUB_TIMEOUT_MS, NULL);
	test_records(r);
	test_cache(r);
	test_failures(stub);
	test_names(stub);
	test_threads(r);
	dns_resolver_unref(&r);
	dns_resolver_unref(&stub);
	test_race(stub_port);
	test_lifetime(port, stub_port);
	test_settings(ta);
	test_dnssec(port, ta);
	return done();
}
