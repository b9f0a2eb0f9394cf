/*
 * test_dkim.c - unit tests for dkim/: signing and verifying through
 * libopendkim, key records from the real resolver, the key table
 *
 * Run by t/unit/test_dkim.sh, which makes the keys (DKIM_KEY_DIR: rsa.pem,
 * ed.pem), publishes their key records in example.org on nsd (DNS_PORT)
 * and starts the dnslib stub (STUB_PORT); without them the test skips.
 * Each case that needs a record of its own -- revoked, malformed,
 * restricted, missing, silent, failing -- signs with a key whose selector
 * names it (key_specs[]), so one zone serves every case. Signatures
 * mxward makes are checked against an independent implementation (dkimpy)
 * in test_dkim_dkimpy.sh; here they serve as well-formed input for the
 * verifier's many cases.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/xalloc.h"
#include "dkim/dkim.h"
#include "tap.h"
#include "testdns.h"

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

/* ---- key files ---- */

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

/* The keys to sign with: key table name, selector (a record in
 * example.org as test_dkim.sh publishes it) and file in DKIM_KEY_DIR.
 * Each case that needs a key record of its own has a selector of its own;
 * "slow" and "fail" are asked of the stub. */
static const struct {
	const char *name, *selector, *file;
} key_specs[] = {
	{ "rsa", "r2048", "rsa.pem" },     /* the keys most cases sign with */
	{ "ed", "e1", "ed.pem" },
	{ "nx", "nx", "rsa.pem" },         /* no record */
	{ "revoked", "revoked", "rsa.pem" },
	{ "nop", "nop", "rsa.pem" },       /* a record without p= */
	{ "slow", "slow", "rsa.pem" },     /* the stub never answers */
	{ "fail", "fail", "rsa.pem" },     /* the stub says SERVFAIL */
	{ "bare", "bare", "rsa.pem" },     /* p= an RSAPublicKey */
	{ "two", "two", "rsa.pem" },       /* an SPF record beside the key */
	{ "sha1", "sha1", "rsa.pem" },     /* h=sha1 */
	{ "tlsrpt", "tlsrpt", "rsa.pem" }, /* s=tlsrpt */
	{ "testing", "testing", "rsa.pem" }, /* t=y */
	{ "edrsa", "edrsa", "ed.pem" },    /* an RSA key record */
	{ "other", "other", "rsa.pem" },   /* another key's record */
	{ "gone", "gone", "rsa.pem" },     /* "v=DKIM1; p=" */
};

/* ---- helpers ---- */

/* The stub's silence costs this much, once. */
#define STUB_TIMEOUT_MS 1000

static struct dkim_verifier *verifier;
static struct dkim_signer *signer;
static struct dkim_keytable *keys;
static struct dns_resolver *nsd;  /* example.org */
static struct dns_resolver *stub; /* silent and failing selectors */

#define MSG_HEADER \
	"From: Joe <joe@example.org>\r\n" \
	"To: Jane <jane@example.net>\r\n" \
	"Subject: Hello\r\n" \
	"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n" \
	"Message-ID: <1@example.org>\r\n"
#define MSG MSG_HEADER "\r\nHi Jane,\r\n\r\nsee you.\r\n"

/* The key of the key table with that name. */
static const struct dkim_key *
key_named(const char *keyname)
{
	for (size_t i = 0; i < dkim_keytable_count(keys); i++)
		if (strcmp(dkim_keytable_key(keys, i)->name, keyname) == 0)
			return dkim_keytable_key(keys, i);
	printf("Bail out! no key %s\n", keyname);
	exit(1);
}

/* msg signed with the named key: "DKIM-Signature: ...\r\n" + msg. */
static char *
signed_with(const char *keyname, const char *msg)
{
	const struct dkim_key *k = key_named(keyname);
	char err[256], *value, *out;

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

/* Verify msg with its key records from dns. */
static void
verify_on(struct dns_resolver *dns, const char *msg,
    struct dkim_verification *out)
{
	dkim_verify_message(verifier, dns, (const unsigned char *)msg,
	    strlen(msg), out);
}

/* Verify msg with its key records from nsd. */
static void
verify(const char *msg, struct dkim_verification *out)
{
	verify_on(nsd, msg, out);
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

/* One message signed with key, verified: the first signature's outcome
 * (verified on the stub when key is "slow" or "fail"). */
static const char *
outcome_with(const char *key, bool tampered)
{
	struct dkim_verification v;
	char *m = signed_with(key, MSG);
	bool on_stub = strcmp(key, "slow") == 0 || strcmp(key, "fail") == 0;

	if (tampered)
		tamper(m, "see you.", "see you!");
	verify_on(on_stub ? stub : nsd, m, &v);
	free(m);
	return outcome(&v, 0);
}

/* Key records, each at the selector of its own key (key_specs[]). */
static void
test_keys_in_dns(void)
{
	is_str(outcome_with("nx", false),
	    "permerror (no key for signature (nxdomain))", "missing key");
	is_str(outcome_with("revoked", false), "permerror (key revoked)",
	    "revoked key");
	is_str(outcome_with("nop", false),
	    "permerror (key record without p=)", "record without p=");
	is_str(outcome_with("slow", false),
	    "temperror (key lookup failed (timeout))", "DNS timeout");
	is_str(outcome_with("fail", false),
	    "temperror (key lookup failed (servfail))", "SERVFAIL");
	is_str(outcome_with("bare", false), "pass", "bare RSAPublicKey record");
	is_str(outcome_with("two", false), "pass",
	    "the usable one of two records");
	is_str(outcome_with("sha1", false),
	    "permerror (key h= does not allow the hash)", "key h=sha1");
	is_str(outcome_with("tlsrpt", false),
	    "permerror (key not for email (s=))", "key s=tlsrpt");
	/* A testing key: a failure counts for nothing (neutral). */
	is_str(outcome_with("testing", true),
	    "neutral (testing key (t=y): body hash mismatch)",
	    "testing key, tampered body");
	/* An Ed25519 signature, an RSA key record. */
	is_str(outcome_with("edrsa", false),
	    "permerror (key type does not match a=)", "key type mismatch");
}

/* Signatures that need no cryptography to be refused. */
static void
test_refused(void)
{
	struct dkim_verification v;
	char *m, *good;

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

	/* ts._domainkey.example.org has t=s. */
	m = xasprintf("DKIM-Signature: v=1; a=rsa-sha256; d=example.org; "
	    "s=ts; i=joe@sub.example.org; h=from; bh=AAAA; b=AAAA\r\n%s",
	    good);
	verify(m, &v);
	is_str(outcome(&v, 0), "permerror (i= domain is not d= (key t=s))",
	    "key t=s, i= in a subdomain");
	free(m);
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
	dkim_verify_message(one, nsd, (const unsigned char *)more,
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
test_keytable(const char *keydir)
{
	struct dkim_keytable *kt = dkim_keytable_new();
	const struct dkim_key *sel[DKIM_SELECT_MAX];
	char err[300], *spec, *path;
	EVP_PKEY *small;
	FILE *f;

	path = xasprintf("%s/rsa.pem", keydir);
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

/* The published record of each key against the key itself. */
static void
test_check_dns(void)
{
	char why[200];

	is_int(dkim_key_check_dns(key_named("rsa"), nsd, why, sizeof(why)),
	    DKIM_KEYDNS_MATCH, "published key matches");
	is_int(dkim_key_check_dns(key_named("other"), nsd, why, sizeof(why)),
	    DKIM_KEYDNS_MISMATCH, "another key published");
	is_int(dkim_key_check_dns(key_named("bare"), nsd, why, sizeof(why)),
	    DKIM_KEYDNS_MATCH, "bare form of the same key matches");
	is_int(dkim_key_check_dns(key_named("nx"), nsd, why, sizeof(why)),
	    DKIM_KEYDNS_MISSING, "no record");
	is_int(dkim_key_check_dns(key_named("gone"), nsd, why, sizeof(why)),
	    DKIM_KEYDNS_BROKEN, "revoked record");
}

/* Load key_specs[] from keydir into the key table; false if one fails. */
static bool
keys_load(const char *keydir)
{
	char err[300], *spec;
	bool good = true;

	keys = dkim_keytable_new();
	for (size_t i = 0; i < sizeof(key_specs) / sizeof(key_specs[0]);
	    i++) {
		spec = xasprintf("%s example.org %s %s/%s", key_specs[i].name,
		    key_specs[i].selector, keydir, key_specs[i].file);
		if (!dkim_keytable_add_key(keys, spec, err, sizeof(err))) {
			printf("# key %s: %s\n", key_specs[i].name, err);
			good = false;
		}
		free(spec);
	}
	return good;
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
	const char *keydir = getenv("DKIM_KEY_DIR");
	char err[300], *cmd;
	bool loaded;

	if (keydir == NULL || getenv("DNS_PORT") == NULL ||
	    getenv("STUB_PORT") == NULL) {
		printf("1..0 # SKIP no keys or DNS servers (run "
		    "t/unit/test_dkim.sh)\n");
		return 0;
	}
	nsd = testdns_resolver("DNS_PORT", 3000);
	stub = testdns_resolver("STUB_PORT", STUB_TIMEOUT_MS);
	plan(67);
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	loaded = keys_load(keydir);
	ok(loaded, "%zu keys loaded from DKIM_KEY_DIR",
	    dkim_keytable_count(keys));
	ok(key_named("ed")->type == DKIMK_ED25519, "ed key is Ed25519");
	verifier = dkim_verifier_new(&vs, err, sizeof(err));
	signer = dkim_signer_new(&ss, err, sizeof(err));
	ok(verifier != NULL && signer != NULL, "verifier and signer");

	test_pass();
	test_simple();
	test_tampered();
	test_keys_in_dns();
	test_refused();
	test_limits();
	test_threads();
	test_keytable(keydir);
	test_check_dns();

	dkim_verifier_free(&verifier);
	dkim_signer_free(&signer);
	dkim_keytable_free(&keys);
	dns_resolver_unref(&nsd);
	dns_resolver_unref(&stub);
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
	return done();
}
