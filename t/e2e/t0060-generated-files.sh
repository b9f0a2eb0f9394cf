#!/bin/bash
# t0060 -- the files the build makes from templates: both man pages and
# the systemd unit carry mxward's version and the configured paths (the
# default policy, the sbin directory), and no @NAME@ placeholder is left.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init nopostfix

tap_plan 9
e2e_need_mxward
version=$("$MXWARD" version | sed -n '1s/^mxward //p')
policy=$("$MXWARD" -h 2>&1 | sed -n 's/^default policy: //p')
tap_like "$version" '^[0-9]+\.[0-9]+' "mxward version: $version"
tap_like "$policy" '^/' "default policy: $policy"

for f in doc/mxward.8 doc/mxward.yaml.5 contrib/systemd/mxward.service; do
    path=$top_builddir/$f
    left=$(grep -Eo '@[A-Za-z_]+@' "$path" | sort -u | tr '\n' ' ' || true)
    tap_is "$left" "" "$f: no placeholder left"
done
tap_like "$(grep '^\.TH' "$top_builddir/doc/mxward.8")" "\"mxward $version\"" \
    "mxward(8) names version $version"
tap_like "$(cat "$top_builddir/doc/mxward.8")" "^\\.IR? $policy" \
    "mxward(8) names the default policy"
tap_like "$(grep '^\.TH' "$top_builddir/doc/mxward.yaml.5")" "\"mxward $version\"" \
    "mxward.yaml(5) names version $version"
tap_like "$(grep '^ExecStart=' "$top_builddir/contrib/systemd/mxward.service")" \
    "^ExecStart=/.*/mxward -c $policy run\$" \
    "the unit starts mxward on the default policy"
tap_done
