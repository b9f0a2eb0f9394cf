/*
 * test_verdict.c - unit tests for engine/verdict: thresholds and headers
 */
#include "config.h"

#include <math.h>

#include "checks/check.h"
#include "core/arena.h"
#include "engine/verdict.h"
#include "tap.h"

int
main(void)
{
	struct policy_actions t = { .add_header = 6, .quarantine = NAN,
	    .tempfail = 10, .reject = 15 };
	struct arena *arena = arena_new();
	struct check_report a, b;

	plan(19);
	is_int(verdict_action(&t, ACTION_ACCEPT, 0), ACTION_ACCEPT,
	    "score 0 accepted");
	is_int(verdict_action(&t, ACTION_ACCEPT, 5.99), ACTION_ACCEPT,
	    "just under add_header accepted");
	is_int(verdict_action(&t, ACTION_ACCEPT, 6), ACTION_ADD_HEADER,
	    "add_header threshold is inclusive");
	is_int(verdict_action(&t, ACTION_ACCEPT, 12), ACTION_TEMPFAIL,
	    "tempfail band (quarantine off)");
	is_int(verdict_action(&t, ACTION_ACCEPT, 15), ACTION_REJECT,
	    "reject threshold");
	is_int(verdict_action(&t, ACTION_ACCEPT, -50), ACTION_ACCEPT,
	    "negative score accepted");
	is_int(verdict_action(&t, ACTION_REJECT, -50), ACTION_REJECT,
	    "hard reject beats a low score");
	is_int(verdict_action(&t, ACTION_QUARANTINE, 20), ACTION_REJECT,
	    "score reject beats hard quarantine");
	is_int(verdict_action(&t, ACTION_TEMPFAIL, 7), ACTION_TEMPFAIL,
	    "hard tempfail beats add_header");
	t.reject = NAN;
	is_int(verdict_action(&t, ACTION_ACCEPT, 1000), ACTION_TEMPFAIL,
	    "reject off: tempfail is the top");
	t.tempfail = NAN;
	t.add_header = NAN;
	is_int(verdict_action(&t, ACTION_ACCEPT, 1000), ACTION_ACCEPT,
	    "all thresholds off: accept");

	check_report_init(&a, arena);
	check_report_init(&b, arena);
	check_symbol(&a, "HELO_INVALID", 3, "helo %s", "x");
	check_symbol(&b, "ACCESS_TRUSTED", 0, NULL);
	check_symbol(&b, "SOME_RULE", 1.5, NULL);
	ok(fabs(verdict_score(a.symbols) + verdict_score(b.symbols) - 4.5) <
	    1e-9, "scores add up");
	t.add_header = 6;
	is_str(verdict_spam_status(arena, &t, ACTION_ACCEPT, 4.5, a.symbols,
	    b.symbols), "No, score=4.5 required=6.0 tests=HELO_INVALID,SOME_RULE",
	    "X-Spam-Status lists scored symbols");
	is_str(verdict_spam_status(arena, &t, ACTION_ADD_HEADER, 7, NULL, NULL),
	    "Yes, score=7.0 required=6.0 tests=none", "X-Spam-Status Yes");
	is_str(verdict_authres(arena, "mx.example.org", &a, &b),
	    "mx.example.org; none", "A-R with no method says none");
	check_authres(&b, "auth=pass smtp.auth=%s", "alice");
	is_str(verdict_authres(arena, "mx.example.org", &a, &b),
	    "mx.example.org;\n\tauth=pass smtp.auth=alice", "A-R with auth");

	check_decide(&a, "FIRST", ACTION_TEMPFAIL, NULL, NULL);
	check_decide(&a, "SECOND", ACTION_REJECT, NULL, NULL);
	check_decide(&a, "THIRD", ACTION_TEMPFAIL, NULL, NULL);
	is_int(a.action, ACTION_REJECT, "strongest decision wins");
	is_str(a.action_by, "SECOND", "and names its symbol");
	check_decide(&a, "FOURTH", ACTION_REJECT, NULL, NULL);
	is_str(a.action_by, "SECOND", "an equal decision keeps the first");
	arena_free(&arena);
	return done();
}
