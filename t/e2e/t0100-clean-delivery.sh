#!/bin/bash
# t0100 -- a clean message through Postfix + mxward is delivered, carrying
# our Authentication-Results (authserv-id mx.test.example, "none": nothing
# authenticated) on top of the original header, and X-Spam-Score /
# X-Spam-Status, each exactly once.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 7
sink_start
mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start a

msg=$E2E_DIR/clean.eml
make_message "$msg" "clean message"
out=$(send --helo client.test.example --from sender@example.net --rcpt rcpt@example.org "$msg")
tap_like "$out" '^data 250 ' "accepted at end of DATA"
tap_ok "delivered to the sink" wait_sent 1 30

f=$(sink_files | head -n 1)
hdr=$(sink_headers "$f")
tap_diag "delivered header:" "$hdr"
# RFC 8601 section 5: our A-R goes on top, above Postfix's Received.
tap_is "$(printf '%s\n' "$hdr" | head -n 1)" 'Authentication-Results: mx.test.example; none' \
    "first header field is Authentication-Results: mx.test.example; none"
tap_is "$(printf '%s\n' "$hdr" | grep -c '^Authentication-Results:')" 1 \
    "exactly one Authentication-Results"
tap_like "$hdr" '^X-Spam-Score: -?[0-9]+(\.[0-9]+)?$' "X-Spam-Score present"
tap_like "$hdr" '^X-Spam-Status: No\b' "X-Spam-Status: No"
tap_like "$(sink_message "$f")" '^Hello from the mxward e2e tests\.' "body intact"
tap_done
