/*
 * fuzz_policyd_answer.c - libFuzzer harness for frontend/policyd.c:
 * requests through the engine and the real checks, replies
 *
 * LLVMFuzzerTestOneInput() parses the input as pipelined requests of one
 * connection and answers each with policyd_answer(), under a fixed policy
 * that enables every check that runs without DNS and without the message
 * (access with trusted and refused networks, limits, recipients_max,
 * helo, submission, relay) and a message table of 8. Besides the
 * sanitizers it checks each reply: exactly "action=TEXT\n\n" with TEXT
 * DUNNO, HOLD..., DISCARD..., DEFER..., REJECT... or a 4xx/5xx code
 * followed by an enhanced code of its class. After each input every
 * message is freed, so inputs do not depend on each other. Linked with
 * replay.c it replays the seed corpus fuzz/corpus/policyd_answer in
 * `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/buf.h"
#include "core/log.h"
#include "engine/engine.h"
#include "engine/stats.h"
#include "frontend/policyd.h"
#include "frontend/policyd_proto.h"
#include "fuzz.h"

#define FUZZ_MAX_REQUESTS 256

static const char fuzz_policy[] =
    "authserv_id: mx.test\n"
    "access: { trusted_networks: [192.0.2.0/25], "
    "refused_networks: [198.51.100.0/24] }\n"
    "recipients_max: { limit: 3, authenticated_limit: 5 }\n"
    "relay: { enabled: yes, local_domains: [example.org] }\n"
    "submission: { require_tls_for_auth: yes }\n"
    "actions: { quarantine: 2, add_header: off }\n"
    "helo: { invalid_action: score, invalid_score: 3 }\n"
    "policy_service: { max_messages_tracked: 8, vrfy: reject, "
    "etrn: reject }\n"
    "spf: { enabled: no }\ndkim: { enabled: no }\n"
    "dmarc: { enabled: no }\nantivirus: { enabled: no }\n";

/* Once: a quiet log, the metrics, the policy. */
static void
fuzz_setup(void)
{
	const struct conf_section *const *sections;
	size_t n = engine_sections(&sections);
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf;

	log_open("fuzz_policyd_answer", true, LOG_LEVEL_ERROR);
	engine_stats_init();
	policyd_requests_init();
	conf = conf_load_buffer("fuzz.yaml", fuzz_policy,
	    sizeof(fuzz_policy) - 1, sections, n, errs);
	CHECK(conf != NULL);
	conf_errors_free(&errs);
	conf_publish(conf);
}

/* Is text "NNN C.X.Y..." with a 4xx/5xx code and an enhanced code of its
 * class? */
static bool
fuzz_smtp_reply(const char *text)
{
	return (text[0] == '4' || text[0] == '5') &&
	    text[1] >= '0' && text[1] <= '5' && text[2] >= '0' &&
	    text[2] <= '9' && text[3] == ' ' && text[4] == text[0] &&
	    text[5] == '.';
}

/* One reply: "action=TEXT\n\n", TEXT one line of a known kind. */
static void
fuzz_reply(const struct buf *out)
{
	static const char *const verbs[] = { "DUNNO", "HOLD", "DISCARD",
	    "DEFER", "REJECT" };
	const char *text;
	size_t len;
	bool known = false;

	CHECK(out->len > 9 && memcmp(out->data, "action=", 7) == 0);
	CHECK(memcmp(out->data + out->len - 2, "\n\n", 2) == 0);
	text = out->data + 7;
	len = out->len - 9;
	CHECK(memchr(text, '\n', len) == NULL && memchr(text, '\r', len) ==
	    NULL && strlen(out->data) == out->len);
	CHECK(len <= POLICYD_ACTION_MAX);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		size_t vl = strlen(verbs[i]);

		if (strncmp(text, verbs[i], vl) == 0 &&
		    (len == vl || text[vl] == ' '))
			known = true;
	}
	CHECK(known || fuzz_smtp_reply(text));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct policyd_parser *p;
	struct policyd_client *c;
	struct buf *out = buf_new();
	enum policyd_status st;
	size_t n = 0;

	if (!ready) {
		fuzz_setup();
		ready = true;
	}
	p = policyd_parser_new(NULL);
	c = policyd_client_new("fuzz");
	st = policyd_parser_feed(p, data, size);
	for (;;) {
		if (st == POLICYD_NEED_MORE)
			st = policyd_parser_eof(p);
		if (st != POLICYD_REQUEST || ++n > FUZZ_MAX_REQUESTS)
			break;
		buf_reset(out);
		policyd_answer(c, policyd_parser_request(p), out);
		fuzz_reply(out);
		st = policyd_parser_feed(p, NULL, 0);
	}
	policyd_client_free(&c);
	policyd_parser_free(&p);
	buf_free(&out);
	CHECK(policyd_messages_free());
	return 0;
}
