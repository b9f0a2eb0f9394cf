#!/bin/bash
# t0130 -- incoming Authentication-Results that claim our authserv-id
# (mx.test.example, compared without regard to case, after a comment) are
# removed before delivery (RFC 8601 section 5); those of other authserv-ids
# are kept, in their order; ours is added once, on top.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

tap_plan 7
sink_start
mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start a

msg=$E2E_DIR/forged.eml
make_message "$msg" "forged authres" "$(printf '%s\r\n%s\r\n%s\r\n%s\r\n%s' \
    'Authentication-Results: mx.test.example; spf=pass smtp.mailfrom=forged.example' \
    'Authentication-Results: relay.other.example; dkim=pass header.d=example.net' \
    'Authentication-Results: (a comment) MX.Test.Example; dkim=pass header.d=forged.example' \
    'authentication-results: mx.test.example;' \
    '	dmarc=pass header.from=forged.example' \
)
Authentication-Results: second.other.example; spf=fail smtp.mailfrom=example.net"
out=$(send "$msg")
tap_like "$out" '^data 250 ' "accepted"
tap_ok "delivered" wait_sent 1 30
hdr=$(sink_headers "$(sink_files | head -n 1)")
tap_diag "delivered header:" "$hdr"
ar=$(printf '%s\n' "$hdr" | grep -i '^Authentication-Results:' || true)
tap_is "$(printf '%s\n' "$ar" | grep -ci 'mx\.test\.example')" 1 \
    "one A-R with our authserv-id is left"
tap_is "$(printf '%s\n' "$hdr" | head -n 1)" 'Authentication-Results: mx.test.example; none' \
    "... ours, on top"
tap_unlike "$hdr" 'forged\.example' "none of the three forged ones survived"
tap_is "$(printf '%s\n' "$ar" | sed -n 's/^Authentication-Results: \([^;]*\);.*/\1/p' | tr '\n' ' ')" \
    "mx.test.example relay.other.example second.other.example " \
    "foreign ones kept, in their order"
tap_like "$(sink_message "$(sink_files | head -n 1)")" '^Hello from the mxward e2e tests\.' "body intact"
tap_done
