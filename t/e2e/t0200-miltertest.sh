#!/bin/bash
# t0200 -- protocol-level milter cases with miltertest(8) (Debian package
# miltertest): each t/e2e/milter/*.lua script but common.lua is one test,
# run against one mxward on TCP -- negotiation, verdicts at each stage,
# aborts mid-message, many messages on one connection.  No Postfix needed.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init nopostfix
command -v miltertest >/dev/null 2>&1 ||
    tap_skip_all "miltertest is not installed (apt-get install miltertest)"

scripts=()
for f in "$E2E_LIBDIR"/milter/*.lua; do
    [ "$(basename "$f")" = common.lua ] || scripts+=("$f")
done
tap_plan $((${#scripts[@]} + 1))

POL_REFUSED='[192.0.2.0/24]' mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
export MILTER_SOCKET="inet:${MX_LISTEN##*:}@127.0.0.1"
export MILTER_LIB=$E2E_LIBDIR/milter/common.lua

for f in "${scripts[@]}"; do
    name=$(basename "$f" .lua)
    if miltertest -s "$f" >"$E2E_DIR/$name.out" 2>&1; then
        tap_result 0 "miltertest $name"
    else
        tap_result 1 "miltertest $name"
        tap_diag "$(cat "$E2E_DIR/$name.out")"
    fi
done
tap_ok "mxward survived them all" pid_alive "$MX_PID"
tap_done
