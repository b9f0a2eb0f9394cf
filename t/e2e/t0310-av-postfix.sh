#!/bin/bash
# t0310 -- antivirus through real Postfix: every EICAR wrapping, every
# broken-MIME case and (with ../shared's unit-test signatures) every
# clamav-testfiles attachment is rejected at end of DATA with 554 5.7.1 and
# the signature name, and nothing of them is delivered or queued; clean
# messages are delivered with our X-Virus-Status: Clean, a forged
# X-Virus-Status is removed, and infected mail cannot pass by forging one.
# The spool is set small so larger messages go through a file: the spool
# and libclamav's temp directory are empty afterwards.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init

av_setup --only eicar --only broken --only clean --only testfile
sink_start
mkdir "$E2E_DIR/spool" "$E2E_DIR/avtmp"
POL_SIZE=10M POL_EXTRA="spool: { memory_limit: 8k, directory: \"$E2E_DIR/spool\" }" \
POL_ANTIVIRUS="{ database: \"$AV_DB\", temp_directory: \"$E2E_DIR/avtmp\" }" \
    mx_write_policy "$E2E_DIR/policy.yaml"
mx_start "$E2E_DIR/policy.yaml"
PF_MILTER=$MX_LISTEN postfix_start a

infected=$( (av_expected eicar
    [ "$AV_TESTFILES" = yes ] && av_expected testfile) | sort)
clean=$(av_expected clean)
n_infected=$(printf '%s\n' "$infected" | grep -c .)
n_clean=$(printf '%s\n' "$clean" | grep -c .)
tap_plan $((n_infected + n_clean + 7))

for f in $infected; do
    out=$(send "$AV_MAIL/$f")
    case $f in
    testfile-*) want='^data 554 5\.7\.1 Virus found: ClamAV-Test-File' ;;
    *) want='^data 554 5\.7\.1 Virus found: Eicar-Test-Signature' ;;
    esac
    tap_like "$out" "$want" "$f: rejected with the virus name"
done
for f in $clean; do
    tap_like "$(send "$AV_MAIL/$f")" '^data 250 ' "$f: accepted"
done
[ "$AV_TESTFILES" = yes ] ||
    tap_diag "no ../shared/testdata/clamav: clamav-testfiles not checked"

# A forged status does not help infected mail, and is removed from clean.
eicar_file=$(av_expected eicar | head -n 1)
{ printf 'X-Virus-Status: Clean\r\n'; cat "$AV_MAIL/$eicar_file"; } >"$E2E_DIR/forged-infected.eml"
tap_like "$(send "$E2E_DIR/forged-infected.eml")" '^data 554 5\.7\.1 Virus found' \
    "infected mail with a forged X-Virus-Status: Clean is rejected"
make_message "$E2E_DIR/forged-clean.eml" "forged status" "X-Virus-Status: Infected (forged)"
tap_like "$(send "$E2E_DIR/forged-clean.eml")" '^data 250 ' "clean mail with a forged status is accepted"

wait_sent $((n_clean + 1)) 60 || true
tap_is "$(sink_count)" $((n_clean + 1)) "only the clean messages were delivered"
tap_is "$(postfix_queue_count)" 0 "nothing left in the queue"
statuses=$(for m in $(sink_files); do sink_headers "$m" | grep -i '^X-Virus-Status:'; done | sort | uniq -c)
tap_like "$statuses" "^ *$((n_clean + 1)) X-Virus-Status: Clean\$" \
    "every delivered message carries X-Virus-Status: Clean, and only that"
tap_is "$(ls -A "$E2E_DIR/spool")" "" "nothing left in the spool directory"
tap_is "$(ls -A "$E2E_DIR/avtmp")" "" "nothing left in libclamav's temp directory"
tap_done
