/*
 * fuzz_dmarc_record.c - libFuzzer harness for DMARC records and their
 * evaluation
 *
 * The input is a DMARC record as DNS would hand it over. It is parsed in
 * both modes (dmarc_record_parse, through libopendmarc and the tag reader)
 * and the result checked: a valid record has a p=, pct within 0..100, a
 * psd of y, n or u, and NUL-terminated URI lists. Then, with the record
 * served by the in-memory resolver (fuzz/dmarc_fakedns.c) at a level
 * the first byte picks of a deep From domain, the message is evaluated in
 * both modes with identifiers below it: the result is one of the five,
 * a pass has an aligned identifier, a fail has a policy, and no
 * evaluation asks more than the tree walk bounds allow. Linked with
 * replay.c it replays fuzz/corpus/dmarc_record in `make check`.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc.h"
#include "fuzz.h"
#include "dmarc_fakedns.h"

#define FROM "a.b.c.d.e.f.g.h.i.mail.example.co.uk"

static struct dmarc_psl *psl;

/* The promises of a parsed record. */
static void
check_record(const char *text, size_t len, enum dmarc_org_mode mode)
{
	struct dmarc_record rec;
	char err[160];
	enum dmarc_record_status st;

	st = dmarc_record_parse(text, len, mode, &rec, err, sizeof(err));
	CHECK(st == DMARC_REC_VALID || st == DMARC_REC_INVALID ||
	    st == DMARC_REC_NOT_DMARC);
	CHECK(strlen(err) < sizeof(err));
	if (st != DMARC_REC_VALID)
		return;
	CHECK(dmarc_record_is_dmarc(text, len));
	CHECK(rec.p >= DMARC_REQ_NONE && rec.p <= DMARC_REQ_REJECT);
	CHECK(rec.sp <= DMARC_REQ_REJECT && rec.np <= DMARC_REQ_REJECT);
	CHECK(rec.pct >= 0 && rec.pct <= 100);
	CHECK(rec.psd == 'y' || rec.psd == 'n' || rec.psd == 'u');
	CHECK(strlen(rec.rua) < sizeof(rec.rua));
	CHECK(strlen(rec.ruf) < sizeof(rec.ruf));
	CHECK(strlen(rec.fo) < sizeof(rec.fo));
}

/* Evaluate FROM with the record served at one of its levels. */
static void
check_evaluation(const char *record, unsigned level,
    enum dmarc_org_mode mode)
{
	static const char *const dkim[] = { "x.mail.example.co.uk",
	    "example.co.uk", "other.co.uk" };
	struct dmarc_request req = {
		.mode = mode, .psl = psl, .from_domain = FROM,
		.spf_domain = "b.c.d.e.f.g.h.i.mail.example.co.uk",
		.dkim_domains = dkim, .n_dkim = 3,
	};
	struct dmarc_outcome out;
	const char *name = FROM;
	char dname[DMARC_DOMAIN_MAX + 8];

	for (unsigned i = 0; i < level % 13 && strchr(name, '.'); i++)
		name = strchr(name, '.') + 1;
	snprintf(dname, sizeof(dname), "_dmarc.%s", name);
	fakedns_reset();
	fakedns_txt(dname, record);
	if (level & 0x80)
		fakedns_txt("_dmarc.example.co.uk", record);
	if (level & 0x40)
		fakedns_fail("_dmarc.mail.example.co.uk", DNS_SERVFAIL);
	dmarc_evaluate(&req, &out);
	CHECK(out.result <= DMARC_RESULT_PERMERROR);
	CHECK(strlen(out.reason) < sizeof(out.reason));
	/* One walk for the From domain, one per distinct identifier, the
	 * np= existence query. */
	CHECK(out.queries <= DMARC_WALK_MAX * (1 + 4) + 1);
	CHECK(out.queries == fakedns_count());
	if (out.result == DMARC_RESULT_PASS)
		CHECK(out.spf_aligned || out.dkim_aligned);
	if (out.result == DMARC_RESULT_FAIL)
		CHECK(out.record_found && out.policy != DMARC_REQ_UNSET &&
		    out.applied <= out.policy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool loaded;
	char err[256], *record;

	/* Without the system's list, only the tree walk is evaluated. */
	if (!loaded) {
		psl = dmarc_psl_load(MXWARD_PUBLIC_SUFFIX_LIST, err,
		    sizeof(err));
		loaded = true;
	}
	check_record((const char *)data, size, DMARC_ORG_PSL);
	check_record((const char *)data, size, DMARC_ORG_TREE_WALK);
	if (size == 0 || size > DMARC_RECORD_MAX)
		return 0;
	record = malloc(size);
	CHECK(record != NULL);
	memcpy(record, data + 1, size - 1);
	record[size - 1] = '\0';
	if (psl != NULL)
		check_evaluation(record, data[0], DMARC_ORG_PSL);
	check_evaluation(record, data[0], DMARC_ORG_TREE_WALK);
	free(record);
	fakedns_reset();
	return 0;
}
