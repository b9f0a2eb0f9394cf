#!/bin/sh
# promtool.sh - the metrics exposition must satisfy `promtool check metrics`
#
# Runs test_metrics --exposition (every kind of family, with and without
# labels, escaped label values) and feeds it to Prometheus's own checker,
# which parses the text format and lints names, help and types. A broken
# exposition is fed too, to show the checker really rejects things.
# Prints TAP; skips when promtool (Debian package prometheus) is missing.

builddir=${top_builddir:-.}
test_metrics=$builddir/t/unit/test_metrics

if ! command -v promtool >/dev/null 2>&1; then
	echo "1..0 # SKIP promtool missing"
	exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..5"
if "$test_metrics" --exposition >"$tmp/metrics.prom"; then
	echo "ok 1 - test_metrics --exposition runs"
else
	echo "not ok 1 - test_metrics --exposition runs"
fi

if promtool check metrics <"$tmp/metrics.prom" >"$tmp/out" 2>&1; then
	echo "ok 2 - promtool check metrics accepts the exposition"
else
	echo "not ok 2 - promtool check metrics accepts the exposition"
	sed 's/^/# /' "$tmp/out"
fi

if grep -q '^# TYPE t_conc_size histogram$' "$tmp/metrics.prom" &&
    grep -q '^t_queue{door="a\\"b\\\\c\\nd"} 7$' "$tmp/metrics.prom"; then
	echo "ok 3 - exposition holds a histogram and an escaped label value"
else
	echo "not ok 3 - exposition holds a histogram and an escaped label value"
fi

# A sample line with an unterminated label value must be refused.
{ echo '# HELP broken_total Broken.'; echo '# TYPE broken_total counter'
  echo 'broken_total{a="x} 1'; } >"$tmp/broken.prom"
if promtool check metrics <"$tmp/broken.prom" >/dev/null 2>&1; then
	echo "not ok 4 - promtool rejects a broken exposition"
else
	echo "ok 4 - promtool rejects a broken exposition"
fi

# So is a lint problem: a counter not named *_total.
{ echo '# HELP lint Lint.'; echo '# TYPE lint counter'
  echo 'lint 1'; } >"$tmp/lint.prom"
if promtool check metrics <"$tmp/lint.prom" >/dev/null 2>&1; then
	echo "not ok 5 - promtool rejects a lint problem"
else
	echo "ok 5 - promtool rejects a lint problem"
fi
