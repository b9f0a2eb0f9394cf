#!/bin/sh
# dmarc-psl.sh - the Public Suffix List's own test cases (tests.txt from
# ../shared/testdata/dmarc-psl, see its SOURCE.md) against our
# Organizational Domain lookup, with the list Debian's publicsuffix
# package installs (the testdata holds only the tests). TAP; skipped when
# the testdata is not there (a fresh clone has no ../shared).
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
tests="$top_srcdir/../shared/testdata/dmarc-psl/tests.txt"
if [ ! -r "$tests" ]; then
	echo "1..0 # SKIP no $tests"
	exit 0
fi
exec "$top_builddir/t/unit/test_dmarc_psl" "$tests"
