#!/bin/bash
# spf-suite.sh -- the openspf RFC 7208 test suite against mxward (TAP).
#
# Reads $top_srcdir/../shared/testdata/spf/rfc7208-tests.yml (skipped when
# that folder is missing: the suite is not part of mxward). For each of
# its scenarios, spfsuite.py writes the zone data, a DNS server on
# 127.0.0.1 serves it (nsd through t/e2e/dns.sh; the scripted stub
# dnsstub.py where a name must time out), and every test runs through
# `mxward scan --json` with a policy whose resolver asks that server and
# whose spf section only records results (no reject stops the scan). One
# TAP line per test; the pass count ends the output as a diagnostic.
#
#     t/conformance/spf-suite.sh [--engine mxward|libspf2]
#
# --engine libspf2 (or SPF_SUITE_ENGINE=libspf2) measures the libspf2
# engine instead: its failures are known and reported as TODO, so only
# the count matters. make check runs the mxward engine.
#
# Requires nsd, python3 with PyYAML and dnslib, and the built mxward.

. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/dns.sh"

ENGINE=${SPF_SUITE_ENGINE:-mxward}
[ "${1:-}" = --engine ] && ENGINE=${2:?--engine needs mxward or libspf2}
case $ENGINE in
mxward | libspf2) ;;
*) echo "usage: $0 [--engine mxward|libspf2]" >&2; exit 2 ;;
esac

SUITE=$top_srcdir/../shared/testdata/spf/rfc7208-tests.yml
[ -r "$SUITE" ] || tap_skip_all "no RFC 7208 suite at ../shared/testdata/spf"
dns_need
SUITE_PYTHON=
for p in "$DNS_PYTHON" "$PYTHON" python3; do
    if "$p" -c 'import yaml' >/dev/null 2>&1; then
        SUITE_PYTHON=$p
        break
    fi
done
[ -n "$SUITE_PYTHON" ] || tap_skip_all "python3-yaml is not installed"

# Timeouts cost a second each: 203 scans and 16 servers need a while.
E2E_TIMEOUT=${E2E_TIMEOUT:-900}
e2e_init nopostfix
e2e_need_mxward

"$SUITE_PYTHON" "$(dirname "$0")/spfsuite.py" prepare "$SUITE" \
    "$E2E_DIR/suite" >"$E2E_DIR/scenarios" ||
    tap_bail "spfsuite.py could not read $SUITE"
tap_plan "$(awk '{ n += $3 } END { print n }' "$E2E_DIR/scenarios")"

first=1
passed=0
while read -r nn kind count description; do
    dir=$E2E_DIR/suite/$nn
    if [ "$kind" = nsd ]; then
        dns_start "$dir/zones"
        port=$DNS_PORT pid=$DNS_PID
    else
        dnsstub_start "$dir/stub.json"
        port=$STUB_PORT pid=$STUB_PID
    fi
    tap_diag "$description: $count tests, zone data served by $kind"
    POL_HELO_REQUIRED=false POL_HELO_ACTION=score \
    POL_DNS_SERVERS="\"127.0.0.1@$port\"" POL_DNS_TIMEOUT=1s \
    POL_SPF="{ engine: $ENGINE, fail_action: score, temperror_action: score, received_spf_header: true }" \
        mx_write_policy "$dir/policy.yaml"
    "$SUITE_PYTHON" "$(dirname "$0")/spfsuite.py" run "$dir" \
        --policy "$dir/policy.yaml" --first "$first" --engine "$ENGINE"
    stop_pid "$pid" 5
    TAP_N=$((TAP_N + count))
    first=$((first + count))
    passed=$((passed + $(cat "$dir/passed" 2>/dev/null || echo 0)))
done <"$E2E_DIR/scenarios"

tap_diag "engine $ENGINE: $passed of $((first - 1)) RFC 7208 suite tests pass"
if [ "$ENGINE" = mxward ] && [ "$passed" -ne $((first - 1)) ]; then
    TAP_FAILED=$((TAP_FAILED + 1))
fi
tap_done
