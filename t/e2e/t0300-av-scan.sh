#!/bin/bash
# t0300 -- `mxward scan` with the antivirus check on a signature database
# made at test time: EICAR plain and in every usual wrapping (base64,
# quoted-printable, uuencode, zip, zip in zip, tar.gz, ...) is rejected
# 554 5.7.1 with its name; so is EICAR behind each kind of deliberately
# broken MIME (boundary tricks, doubled/folded/junk
# Content-Transfer-Encoding, junk in base64, message/rfc822 nesting);
# every file of Debian's clamav-testfiles, attached, is found as
# ClamAV-Test-File (with ../shared's unit-test signatures; skipped
# without); clean messages (text, HTML, PDF, zip of text) are accepted
# with X-Virus-Status: Clean; limit cases never pass as clean.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init nopostfix
e2e_need_mxward

av_setup
POL_SIZE=25M mx_write_policy "$E2E_DIR/policy.yaml"
"$MXWARD" -c "$E2E_DIR/policy.yaml" scan --json "$AV_MAIL"/*.eml \
    >"$E2E_DIR/scan.jsonl" 2>"$E2E_DIR/scan.err" && rc=0 || rc=$?
"$PYTHON" "$E2E_LIBDIR/avverdicts.py" "$AV_MAIL/expected.tsv" \
    "$E2E_DIR/scan.jsonl" "$AV_TESTFILES" >"$E2E_DIR/verdicts"

tap_plan $(($(wc -l <"$E2E_DIR/verdicts") + 2))
tap_is "$rc" 0 "scan exits 0"
tap_is "$(wc -l <"$E2E_DIR/scan.jsonl")" "$(ls "$AV_MAIL"/*.eml | wc -l)" \
    "one JSON record per message"
while IFS=$'\t' read -r status desc why; do
    case $status in
    ok) tap_result 0 "$desc" ;;
    skip) tap_skip "$why" "$desc" ;;
    *) tap_result 1 "$desc"; tap_diag "$why" ;;
    esac
done <"$E2E_DIR/verdicts"
[ -s "$E2E_DIR/scan.err" ] && tap_diag "stderr:" "$(tail -n 20 "$E2E_DIR/scan.err")"
tap_done
