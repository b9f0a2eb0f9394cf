#!/bin/bash
# t0340 -- no scanning without signatures. `mxward check` names a missing
# or empty database directory; `mxward run` refuses to start on an empty
# directory or a corrupt database, saying why; with antivirus disabled
# the same policy runs without any database; with a good database it
# starts and its metrics report the signatures and the database.
set -eu
. "$(dirname "$0")/lib.sh"
e2e_init nopostfix
e2e_need_mxward

tap_plan 11
pol=$E2E_DIR/policy.yaml

POL_ANTIVIRUS="{ database: \"$E2E_DIR/nowhere\" }" mx_write_policy "$pol"
out=$("$MXWARD" -c "$pol" check 2>&1) && rc=0 || rc=$?
tap_is "$rc" 1 "check: a missing database directory is an error"
tap_like "$out" "antivirus.*$E2E_DIR/nowhere.*No such file or directory" \
    "and the message names the directory and the reason"

mkdir "$E2E_DIR/empty"
POL_ANTIVIRUS="{ database: \"$E2E_DIR/empty\" }" mx_write_policy "$pol"
out=$("$MXWARD" -c "$pol" check 2>&1) && rc=0 || rc=$?
tap_is "$rc" 1 "check: an empty database directory is an error"
tap_like "$out" "$E2E_DIR/empty.*(no ClamAV|freshclam)" "and says it holds no signatures"
"$MXWARD" -c "$pol" -f run >"$E2E_DIR/run.log" 2>&1 && rc=0 || rc=$?
tap_ok "run: refuses to start without signatures (exit $rc)" [ "$rc" -ne 0 ]

mkdir "$E2E_DIR/corrupt"
printf 'Cut-Short:0:*:41424\nnot a signature at all\n' >"$E2E_DIR/corrupt/bad.ndb"
POL_ANTIVIRUS="{ database: \"$E2E_DIR/corrupt\" }" mx_write_policy "$pol"
"$MXWARD" -c "$pol" -f run >"$E2E_DIR/run.log" 2>&1 && rc=0 || rc=$?
tap_ok "run: refuses to start on a corrupt database (exit $rc)" [ "$rc" -ne 0 ]
tap_like "$(cat "$E2E_DIR/run.log")" "bad\.ndb|[Mm]alformed" "and the log says what is wrong"

POL_ANTIVIRUS="{ enabled: false, database: \"$E2E_DIR/nowhere\" }" mx_write_policy "$pol"
tap_ok "with antivirus disabled no database is needed" mx_try_start "$pol"
mx_stop

av_setup --only clean
POL_METRICS=127.0.0.1:$(free_port) mx_write_policy "$pol"
mx_start "$pol"
metrics=$(http_get "http://$MX_METRICS/metrics")
sigs=$(printf '%s\n' "$metrics" | awk '$1 == "mxward_av_signatures" { print $2 }')
tap_ok "the signatures are counted ($sigs)" [ "${sigs:-0}" -ge 1 ]
tap_like "$metrics" '^mxward_av_database_age_seconds [0-9]' "the database age is exported"
tap_like "$metrics" '^mxward_av_engine_build_seconds [0-9]' "the engine build time is exported"
tap_done
