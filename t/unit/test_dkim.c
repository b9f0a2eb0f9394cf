/*
 * test_dkim.c - unit tests for dkim/: signing and verifying through
 * libopendkim, key records from an in-memory resolver, the key table
 *
 * The resolver (dns_lookup() and friends) is replaced by a table here, so
 * each case can publish, revoke, break or time out a key record. Keys are
 * generated at run time with OpenSSL and written to a temporary directory
 * for the key table to load. Signatures mxward makes are checked against
 * an independent implementation (dkimpy) in test_dkim_dkimpy.sh; here
 * they serve as well-formed input for the verifier's many cases.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/xalloc.h"
#include "dkim/dkim.h"
#include "dns/resolver.h"
#include "tap.h"

/* LeakSanitizer: libopendkim 2.11.0~beta2 leaks the key state of every
 * Ed25519 signing handle (see src/dkim/sign.c); nothing else is excused. */
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:dkim_privkey_load\n";
}

/* Full stacks, so the suppression finds libopendkim's frame under
 * libcrypto's (which has no frame pointers). */
const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

/* ---- an in-memory resolver ---- */

struct zone_entry {
	char name[300];
	enum dns_status status;
	char *txt[2];    /* records, NULL-terminated */
};

static struct zone_entry zone[32];
static size_t zone_n;

static void
zone_set(const char *name, enum dns_status status, const char *txt,
    const char *txt2)
{
	struct zone_entry *e = NULL;

	for (size_t i = 0; i < zone_n; i++)
		if (strcasecmp(zone[i].name, name) == 0)
			e = &zone[i];
	if (e == NULL)
		e = &zone[zone_n++];
	free(e->txt[0]);
	free(e->txt[1]);
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->status = status;
	e->txt[0] = txt ? xstrdup(txt) : NULL;
	e->txt[1] = txt2 ? xstrdup(txt2) : NULL;
}

const struct dns_answer *
dns_lookup(struct dns_resolver *r, const char *name, enum dns_type type)
{
	struct dns_answer *a;
	const struct zone_entry *e = NULL;
	size_t count = 0, bytes = 0;
	unsigned char *data;

	(void)r;
	for (size_t i = 0; i < zone_n; i++)
		if (strcasecmp(zone[i].name, name) == 0)
			e = &zone[i];
	for (size_t i = 0; e != NULL && i < 2 && e->txt[i] != NULL; i++) {
		count++;
		bytes += strlen(e->txt[i]) + strlen(e->txt[i]) / 255 + 1;
	}
	a = xcalloc(1, sizeof(*a) + count * sizeof(a->rr[0]) + bytes);
	a->type = type;
	a->status = e == NULL ? DNS_NXDOMAIN : e->status;
	if (a->status != DNS_OK)
		return a;
	a->count = count;
	data = (unsigned char *)&a->rr[count];
	/* Wire format: character-strings of at most 255 bytes. */
	for (size_t i = 0; i < count; i++) {
		const char *t = e->txt[i];
		size_t left = strlen(t);

		a->rr[i].data = data;
		do {
			size_t n = left > 255 ? 255 : left;

			*data++ = (unsigned char)n;
			memcpy(data, t, n);
			data += n;
			t += n;
			left -= n;
		} while (left > 0);
		a->rr[i].len = (size_t)(data - a->rr[i].data);
	}
	return a;
}

void
dns_answer_free(const struct dns_answer **answer_p)
{
	free((void *)*answer_p);
	*answer_p = NULL;
}

const char *
dns_status_name(enum dns_status status)
{
	static const char *const names[] = { "ok", "nodata", "nxdomain",
	    "servfail", "timeout", "badname", "error" };

	return names[status];
}

bool
dns_rdata_txt(const struct dns_rdata *rd, char *out, size_t outlen,
    size_t *len_r)
{
	size_t o = 0;

	for (size_t i = 0; i < rd->len; i += 1 + rd->data[i]) {
		size_t n = rd->data[i];

		if (o + n + 1 > outlen)
			return false;
		memcpy(out + o, rd->data + i + 1, n);
		o += n;
	}
	out[o] = '\0';
	*len_r = o;
	return true;
}

/* ---- keys ---- */

static char tmpdir[] = "/tmp/test_dkim.XXXXXX";

/* Write a private key as PEM to tmpdir/name; the path. */
static char *
key_write(EVP_PKEY *pkey, const char *name)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");

	PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	return path;
}

/* The key record for a public key: "v=DKIM1; k=...; p=..." with the DER
 * SubjectPublicKeyInfo (rsa) or raw key (ed25519); bare: RSAPublicKey. */
static char *
key_record(EVP_PKEY *pkey, const char *extra, bool bare)
{
	unsigned char der[2048], *p = der;
	char b64[3000];
	size_t len = sizeof(der);
	bool ed = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519;

	if (ed)
		EVP_PKEY_get_raw_public_key(pkey, der, &len);
	else if (bare)
		len = (size_t)i2d_PublicKey(pkey, &p);
	else
		len = (size_t)i2d_PUBKEY(pkey, &p);
	EVP_EncodeBlock((unsigned char *)b64, der, (int)len);
	return xasprintf("v=DKIM1; k=%s; %sp=%s", ed ? "ed25519" : "rsa",
	    extra, b64);
}

/* ---- helpers ---- */

static struct dkim_verifier *verifier;
static char *ed_record;     /* e1._domainkey.example.org as published */
static struct dkim_signer *signer;
static struct dkim_keytable *keys;

#define MSG_HEADER \
	"From: Joe <joe@example.org>\r\n" \
	"To: Jane <jane@example.net>\r\n" \
	"Subject: Hello\r\n" \
	"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n" \
	"Message-ID: <1@example.org>\r\n"
#define MSG MSG_HEADER "\r\nHi Jane,\r\n\r\nsee you.\r\n"

/* msg signed with the named key: "DKIM-Signature: ...\r\n" + msg. */
static char *
signed_with(const char *keyname, const char *msg)
{
	const struct dkim_key *k = NULL;
	char err[256], *value, *out;

	for (size_t i = 0; i < dkim_keytable_count(keys); i++)
		if (strcmp(dkim_keytable_key(keys, i)->name, keyname) == 0)
			k = dkim_keytable_key(keys, i);
	value = dkim_signer_sign(signer, k, (const unsigned char *)msg,
	    strlen(msg), err, sizeof(err));
	if (value == NULL) {
		printf("# sign: %s\n", err);
		return xstrdup(msg);
	}
	out = xasprintf("DKIM-Signature: %s\r\n%s", value, msg);
	free(value);
	return out;
}

/* Use another signer for signed_with() (swap again to restore). */
static void
signer_swap(struct dkim_signer **other)
{
	struct dkim_signer *t = signer;

	signer = *other;
	*other = t;
}

static void
verify(const char *msg, struct dkim_verification *out)
{
	dkim_verify_message(verifier, NULL, (const unsigned char *)msg,
	    strlen(msg), out);
}

/* Replace the first "from" in s with "to" (same length or shorter). */
static void
tamper(char *s, const char *from, const char *to)
{
	char *p = strstr(s, from);

	if (p == NULL)
		return;
	memmove(p + strlen(to), p + strlen(from), strlen(p + strlen(from)) + 1);
	memcpy(p, to, strlen(to));
}

/* One signature's result and reason, as "result (reason)". */
static const char *
outcome(const struct dkim_verification *v, size_t i)
{
	static char buf[200];

	if (i >= v->n)
		return "(none)";
	snprintf(buf, sizeof(buf), "%s%s%s%s",
	    dkim_result_name(v->sig[i].result), v->sig[i].reason[0] ? " (" :
	    "", v->sig[i].reason, v->sig[i].reason[0] ? ")" : "");
	return buf;
}

/* ---- the cases ---- */

static void
test_pass(void)
{
	struct dkim_verification v;
	char *m, *m2;

	m = signed_with("rsa", MSG);
	verify(m, &v);
	is_int((long long)v.n, 1, "rsa: one signature");
	is_str(outcome(&v, 0), "pass", "rsa-sha256 passes");
	is_str(v.sig[0].domain, "example.org", "header.d");
	is_str(v.sig[0].selector, "r2048", "header.s");
	is_str(v.sig[0].algorithm, "rsa-sha256", "a=");
	ok(strlen(v.sig[0].b) == 8 && strstr(m, v.sig[0].b) != NULL,
	    "header.b is the start of b=");
	is_int(v.sig[0].key_bits, 2048, "key bits");
	free(m);

	m = signed_with("ed", MSG);
	verify(m, &v);
	is_str(outcome(&v, 0), "pass", "ed25519-sha256 passes");
	is_str(v.sig[0].algorithm, "ed25519-sha256", "a=ed25519-sha256");

	m2 = signed_with("rsa", m);
	verify(m2, &v);
	ok(v.n == 2 && v.n_seen == 2, "two signatures");
	is_str(outcome(&v, 0), "pass", "first of two passes");
	is_str(outcome(&v, 1), "pass", "second of two passes");
	free(m2);
	free(m);

	m = signed_with("rsa", "From: joe@example.org\nSubject: lf\n\nbody\n");
	verify(m, &v);
	is_str(outcome(&v, 0), "pass", "LF line ends");
	free(m);

	/* RFC 5322 obs-optional: WSP before the colon, kept by simple and
	 * dropped by relaxed canonicalization. */
	m = signed_with("rsa", "From: joe@example.org\r\nDate   : today\r\n"
	    "Subject : spaced\r\n\r\nbody\r\n");
	verify(m, &v);
	is_str(outcome(&v, 0), "pass", "\"Date   :\" signed and verified");
	free(m);
}

/* simple/simple: the header as it stands, folding and spacing included. */
static void
test_simple(void)
{
	static const char *const hdrs[] = { "from", "subject", "date", NULL };
	struct dkim_sign_settings ss = { DKIMC_SIMPLE, DKIMC_SIMPLE, hdrs,
	    NULL, 0 };
	struct dkim_signer *simple;
	struct dkim_verification v;
	char err[200], *m;

	simple = dkim_signer_new(&ss, err, sizeof(err));
	signer_swap(&simple);
	m = signed_with("rsa", "From: joe@example.org\r\nDate   :  today\r\n"
	    "Subject: folded\r\n  over\tthree\r\n lines\r\n\r\nbody  \r\n\r\n");
	signer_swap(&simple);
	verify(m, &v);
	ok(strstr(m, "c=simple/simple") != NULL, "signed simple/simple");
	is_str(outcome(&v, 0), "pass", "simple/simple with folding passes");
	tamper(m, "Subject: folded\r\n  over", "Subject: folded\r\n over ");
	verify(m, &v);
	is_str(outcome(&v, 0), "fail (signature did not verify)",
	    "simple/simple: refolded header fails");
	free(m);
	dkim_signer_free(&simple);
}

static void
test_tampered(void)
{
	struct dkim_verification v;
	char *m;

	m = signed_with("rsa", MSG);
	tamper(m, "see you.", "see you!");
	verify(m, &v);
	is_str(outcome(&v, 0), "fail (body hash mismatch)", "tampered body");
	free(m);
	m = signed_with("ed", MSG);
	tamper(m, "Subject: Hello", "Subject: Hallo");
	verify(m, &v);
	is_str(outcome(&v, 0), "fail (signature did not verify)",
	    "tampered header");
	free(m);
}

static void
test_keys_in_dns(EVP_PKEY *rsa)
{
	struct dkim_verification v;
	char *m = signed_with("rsa", MSG), *rec;
	const char *name = "r2048._domainkey.example.org";
	char *good = key_record(rsa, "", false);

	zone_set(name, DNS_NXDOMAIN, NULL, NULL);
	verify(m, &v);
	is_str(outcome(&v, 0), "permerror (no key for signature (nxdomain))",
	    "missing key");
	zone_set(name, DNS_OK, "v=DKIM1; k=rsa; p=", NULL);
	verify(m, &v);
	is_str(outcome(&v, 0), "permerror (key revoked)", "revoked key");
	zone_set(name, DNS_OK, "v=DKIM1; k=rsa", NULL);
	verify(m, &v);
	is_str(outcome(&v, 0), "permerror (key record without p=)",
	    "record without p=");
	zone_set(name, DNS_TIMEOUT, NULL, NULL);
	verify(m, &v);
	is_str(outcome(&v, 0), "temperror (key lookup failed (timeout))",
	    "DNS timeout");
	zone_set(name, DNS_SERVFAIL, NULL, NULL);
	verify(m, &v);
	is_str(outcome(&v, 0), "temperror (key lookup failed (servfail))",
	    "SERVFAIL");
	rec = key_record(rsa, "", true);
	zone_set(name, DNS_OK, rec, NULL);
	verify(m, &v);
	is_str(outcome(&v, 0), "pass", "bare RSAPublicKey record");
	free(rec);
	rec = key_record(rsa, "", false);
	zone_set(name, DNS_OK, "v=spf1 -all", rec);
	verify(m, &v);
	is_str(outcome(&v, 0), "pass", "the usable one of two records");
	free(rec);
	rec = key_record(rsa, "h=sha1; ", false);
	zone_set(name, DNS_OK, rec, NULL);
	verify(m, &v);
	is_str(outcome(&v, 0), "permerror (key h= does not allow the hash)",
	    "key h=sha1");
	free(rec);
	rec = key_record(rsa, "s=tlsrpt; ", false);
	zone_set(name, DNS_OK, rec, NULL);
	verify(m, &v);
	is_str(outcome(&v, 0), "permerror (key not for email (s=))",
	    "key s=tlsrpt");
	free(rec);
	/* A testing key: a failure counts for nothing (neutral). */
	rec = key_record(rsa, "t=y; ", false);
	zone_set(name, DNS_OK, rec, NULL);
	tamper(m, "see you.", "see you!");
	verify(m, &v);
	is_str(outcome(&v, 0),
	    "neutral (testing key (t=y): body hash mismatch)",
	    "testing key, tampered body");
	free(rec);
	zone_set(name, DNS_OK, good, NULL);
	free(good);
	free(m);
	/* An Ed25519 signature, an RSA key record. */
	m = signed_with("ed", MSG);
	rec = key_record(rsa, "", false);
	zone_set("e1._domainkey.example.org", DNS_OK, rec, NULL);
	verify(m, &v);
	is_str(outcome(&v, 0), "permerror (key type does not match a=)",
	    "key type mismatch");
	free(rec);
	free(m);
	zone_set("e1._domainkey.example.org", DNS_OK, ed_record, NULL);
}

/* Signatures that need no cryptography to be refused. */
static void
test_refused(EVP_PKEY *rsa)
{
	struct dkim_verification v;
	char *rec, *m, *good;

	good = signed_with("rsa", MSG);
	m = xasprintf("DKIM-Signature: v=1; a=rsa-sha256; d=example.org\r\n"
	    "%s", good);
	verify(m, &v);
	ok(v.n == 2 && v.n_seen == 2, "malformed signature counted");
	is_str(outcome(&v, 0), "permerror (b= missing)",
	    "malformed signature: permerror");
	is_str(v.sig[0].domain, "example.org", "its d= reported");
	is_str(outcome(&v, 1), "pass", "the good one beside it passes");
	free(m);

	m = xasprintf("DKIM-Signature: v=1; a=rsa-sha1; d=example.org; "
	    "s=r2048; h=from; bh=AAAA; b=AAAA\r\n%s", good);
	verify(m, &v);
	is_str(outcome(&v, 0), "permerror (rsa-sha1 not accepted (RFC 8301))",
	    "rsa-sha1 refused");
	free(m);

	rec = key_record(rsa, "t=s; ", false);
	zone_set("ts._domainkey.example.org", DNS_OK, rec, NULL);
	m = xasprintf("DKIM-Signature: v=1; a=rsa-sha256; d=example.org; "
	    "s=ts; i=joe@sub.example.org; h=from; bh=AAAA; b=AAAA\r\n%s",
	    good);
	verify(m, &v);
	is_str(outcome(&v, 0), "permerror (i= domain is not d= (key t=s))",
	    "key t=s, i= in a subdomain");
	free(m);
	free(rec);
	free(good);
}

static void
test_limits(void)
{
	struct dkim_verifier *one;
	struct dkim_verify_settings s = { 1, DKIM_DEPRECATED_PERMERROR, 1024,
	    DKIM_DEPRECATED_PERMERROR };
	struct dkim_verification v;
	char err[200], *m, *more;

	one = dkim_verifier_new(&s, err, sizeof(err));
	m = signed_with("ed", MSG);
	more = signed_with("rsa", m);
	dkim_verify_message(one, NULL, (const unsigned char *)more,
	    strlen(more), &v);
	is_str(outcome(&v, 0), "pass", "max_signatures 1: first verified");
	is_str(outcome(&v, 1),
	    "policy (not verified: over max_signatures (1))",
	    "max_signatures 1: second not");
	free(more);
	free(m);
	dkim_verifier_free(&one);
	ok(one == NULL, "verifier freed");

	/* Thousands of signatures: DKIM_VERIFY_MAX kept, all counted. */
	m = xstrdup(MSG);
	for (int i = 0; i < 40; i++) {
		more = xasprintf("DKIM-Signature: v=1; a=rsa-sha256; "
		    "d=example.org; s=x%d; h=from; bh=AAAA; b=AAAA\r\n%s", i, m);
		free(m);
		m = more;
	}
	verify(m, &v);
	ok(v.n == DKIM_VERIFY_MAX && v.n_seen == 40, "40 signatures: %zu "
	    "kept, %zu seen", v.n, v.n_seen);
	free(m);
	verify("no header at all", &v);
	ok(v.n == 0 && v.n_seen == 0, "no signature, no header");
}

/* One thread's share of test_threads(): sign and verify, again and again,
 * on the shared verifier and signer. */
static void *
thread_main(void *arg)
{
	int *good = arg;

	for (int i = 0; i < 20; i++) {
		struct dkim_verification v;
		char *m = signed_with(i % 2 ? "rsa" : "ed", MSG);

		verify(m, &v);
		*good += v.n == 1 && v.sig[0].result == DKIMR_PASS;
		free(m);
	}
	return NULL;
}

/* One verifier and one signer serve many threads at once (run this under
 * --enable-tsan). */
static void
test_threads(void)
{
	pthread_t t[4];
	int good[4] = { 0 };

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, thread_main, &good[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ok(good[0] + good[1] + good[2] + good[3] == 80,
	    "4 threads: %d of 80 messages signed and verified",
	    good[0] + good[1] + good[2] + good[3]);
}

static void
test_keytable(EVP_PKEY *rsa)
{
	struct dkim_keytable *kt = dkim_keytable_new();
	const struct dkim_key *sel[DKIM_SELECT_MAX];
	char err[300], *spec, *path;
	EVP_PKEY *small;
	FILE *f;

	path = key_write(rsa, "t-rsa.pem");
	spec = xasprintf("a example.org s1 %s", path);
	ok(dkim_keytable_add_key(kt, spec, err, sizeof(err)), "add key");
	ok(!dkim_keytable_add_key(kt, spec, err, sizeof(err)) &&
	    strstr(err, "named twice"), "same name twice: %s", err);
	free(spec);
	free(path);
	ok(!dkim_keytable_add_key(kt, "b example.org s1", err, sizeof(err)),
	    "three words: %s", err);
	ok(!dkim_keytable_add_key(kt, "b example.org s1 /nonexistent/key",
	    err, sizeof(err)) && strstr(err, "No such file"),
	    "missing file: %s", err);
	path = xasprintf("%s/garbage", tmpdir);
	f = fopen(path, "w");
	fputs("not a key\n", f);
	fclose(f);
	spec = xasprintf("b example.org s1 %s", path);
	ok(!dkim_keytable_add_key(kt, spec, err, sizeof(err)) &&
	    strstr(err, "not a private key"), "garbage file: %s", err);
	free(spec);
	free(path);
	small = EVP_RSA_gen(512);
	path = key_write(small, "t-small.pem");
	spec = xasprintf("c example.org s1 %s", path);
	ok(!dkim_keytable_add_key(kt, spec, err, sizeof(err)) &&
	    strstr(err, "512 bits"), "512-bit key refused: %s", err);
	free(spec);
	free(path);
	EVP_PKEY_free(small);
	/* RFC 8463's Ed25519 seed, as one line of base64. */
	path = xasprintf("%s/seed", tmpdir);
	f = fopen(path, "w");
	fputs("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n", f);
	fclose(f);
	spec = xasprintf("e example.com brisbane %s", path);
	err[0] = '\0';
	ok(dkim_keytable_add_key(kt, spec, err, sizeof(err)),
	    "base64 Ed25519 seed: %s", err);
	ok(dkim_keytable_key(kt, 1)->type == DKIMK_ED25519 &&
	    dkim_keytable_key(kt, 1)->public_len == 32, "seed is Ed25519");
	free(spec);
	free(path);

	ok(dkim_keytable_add_rule(kt, "*@Example.ORG a,e", err, sizeof(err)),
	    "rule with two keys");
	ok(dkim_keytable_add_rule(kt, "*.example.net e", err, sizeof(err)),
	    "domain rule");
	ok(!dkim_keytable_add_rule(kt, "* nokey", err, sizeof(err)) &&
	    strstr(err, "no key named nokey"), "unknown key: %s", err);
	is_int((long long)dkim_keytable_select(kt, "joe@example.org", sel), 2,
	    "address rule, case ignored");
	ok(sel[0] == dkim_keytable_key(kt, 0) &&
	    sel[1] == dkim_keytable_key(kt, 1), "keys in rule order");
	is_int((long long)dkim_keytable_select(kt, "x@mail.example.net", sel),
	    1, "wildcard domain rule");
	is_int((long long)dkim_keytable_select(kt, "x@example.net", sel), 0,
	    "*.example.net does not match example.net");
	is_int((long long)dkim_keytable_select(kt, "x@example.org.evil", sel),
	    0, "no suffix match");
	dkim_keytable_free(&kt);
	ok(kt == NULL, "key table freed");
}

static void
test_check_dns(EVP_PKEY *rsa, EVP_PKEY *other)
{
	const struct dkim_key *k = dkim_keytable_key(keys, 0);
	char why[200], *rec;

	is_int(dkim_key_check_dns(k, NULL, why, sizeof(why)),
	    DKIM_KEYDNS_MATCH, "published key matches");
	rec = key_record(other, "", false);
	zone_set("r2048._domainkey.example.org", DNS_OK, rec, NULL);
	is_int(dkim_key_check_dns(k, NULL, why, sizeof(why)),
	    DKIM_KEYDNS_MISMATCH, "another key published");
	free(rec);
	rec = key_record(rsa, "", true);
	zone_set("r2048._domainkey.example.org", DNS_OK, rec, NULL);
	is_int(dkim_key_check_dns(k, NULL, why, sizeof(why)),
	    DKIM_KEYDNS_MATCH, "bare form of the same key matches");
	free(rec);
	zone_set("r2048._domainkey.example.org", DNS_NXDOMAIN, NULL, NULL);
	is_int(dkim_key_check_dns(k, NULL, why, sizeof(why)),
	    DKIM_KEYDNS_MISSING, "no record");
	zone_set("r2048._domainkey.example.org", DNS_OK, "v=DKIM1; p=", NULL);
	is_int(dkim_key_check_dns(k, NULL, why, sizeof(why)),
	    DKIM_KEYDNS_BROKEN, "revoked record");
}

int
main(void)
{
	static const char *const signed_headers[] = { "from", "to", "subject",
	    "date", "message-id", NULL };
	static const char *const oversigned[] = { "from", NULL };
	struct dkim_verify_settings vs = { 8, DKIM_DEPRECATED_PERMERROR, 1024,
	    DKIM_DEPRECATED_PERMERROR };
	struct dkim_sign_settings ss = { DKIMC_RELAXED, DKIMC_RELAXED,
	    signed_headers, oversigned, 0 };
	EVP_PKEY *rsa, *ed, *other;
	char err[300], *spec, *path, *rec;

	plan(67);
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	rsa = EVP_RSA_gen(2048);
	other = EVP_RSA_gen(1024);
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	keys = dkim_keytable_new();
	path = key_write(rsa, "rsa.pem");
	spec = xasprintf("rsa example.org r2048 %s", path);
	ok(dkim_keytable_add_key(keys, spec, err, sizeof(err)), "rsa key: %s",
	    err);
	free(spec);
	free(path);
	path = key_write(ed, "ed.pem");
	spec = xasprintf("ed example.org e1 %s", path);
	ok(dkim_keytable_add_key(keys, spec, err, sizeof(err)), "ed key: %s",
	    err);
	free(spec);
	free(path);
	rec = key_record(rsa, "", false);
	zone_set("r2048._domainkey.example.org", DNS_OK, rec, NULL);
	free(rec);
	ed_record = key_record(ed, "", false);
	zone_set("e1._domainkey.example.org", DNS_OK, ed_record, NULL);
	verifier = dkim_verifier_new(&vs, err, sizeof(err));
	signer = dkim_signer_new(&ss, err, sizeof(err));
	ok(verifier != NULL && signer != NULL, "verifier and signer");

	test_pass();
	test_simple();
	test_tampered();
	test_keys_in_dns(rsa);
	test_refused(rsa);
	test_limits();
	test_threads();
	test_keytable(rsa);
	test_check_dns(rsa, other);

	dkim_verifier_free(&verifier);
	dkim_signer_free(&signer);
	dkim_keytable_free(&keys);
	for (size_t i = 0; i < zone_n; i++) {
		free(zone[i].txt[0]);
		free(zone[i].txt[1]);
	}
	free(ed_record);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(other);
	path = xasprintf("rm -rf '%s'", tmpdir);
	if (system(path) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(path);
	return done();
}
