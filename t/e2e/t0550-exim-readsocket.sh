#!/bin/bash
# t0550 -- mxward's policy socket from a real Exim, through the ACL of
# contrib/exim/mxward-policy.conf (${readsocket}). Exim runs fake SMTP
# sessions in host-checking mode (exim -bh: the ACLs run, readsocket
# included, nothing is delivered). A plain RCPT is accepted and the
# message taken at DATA and END-OF-MESSAGE; with recipients_max 2 the
# third RCPT gets 452 4.5.3 (the requests of one message, each on its own
# connection, are tied by the instance the ACL makes); an authenticated
# session (sasl_username sent) gets authenticated_limit 3 instead; a rate
# limit of one message per sender an hour defers the second message of a
# session with 451 4.7.1 (a new instance per message); a refused network
# gets its 554 at RCPT; VRFY gets 502 5.5.1. No request was malformed, and
# DATA and END-OF-MESSAGE were asked once per message, the latter with
# Exim's message id as queue_id. Every session ends in under 4 s although
# readsocket may wait 5: mxward answers as soon as Exim half-closes. A
# stand-in server takes the ACL through every answer it maps (HOLD freezes,
# DISCARD discards, bare DEFER and REJECT, garbage and silence defer) and
# shows the requests: one instance per message, queue_id at END-OF-MESSAGE
# only, a newline in a value escaped.
# mxward stopped with SIGSTOP (readsocket times out, 1 s here), continued,
# and then gone (connection refused): RCPT deferred 451 4.3.0, never
# accepted. Nothing is looked up in the DNS (-oMs names the client).
#
# Exim: $EXIM, else /usr/sbin/exim4 (Debian exim4-daemon-light). Exim and
# Postfix cannot be installed together in Debian (both are the
# mail-transport-agent), so t/run-all.sh unpacks the exim4-daemon-light
# .deb without installing it and sets EXIM. Debian's Exim looks up its
# compiled-in user Debian-exim at start; without that user (not
# installed) each exim command runs in a private mount namespace
# (unshare -m) that shows it copies of /etc/passwd and /etc/group with the
# user added -- the host's files are not touched.
set -eu
. "$(dirname "$0")/lib.sh"

: "${EXIM:=/usr/sbin/exim4}"
[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root (exim -C with a test configuration)"
[ -x "$EXIM" ] || tap_skip_all "no Exim at $EXIM (set EXIM, or see t/run-all.sh: exim4-daemon-light conflicts with postfix)"
if ldd "$EXIM" 2>/dev/null | grep -q 'not found'; then
    tap_skip_all "$EXIM lacks libraries: $(ldd "$EXIM" | awk '/not found/ { printf "%s ", $1 }')"
fi
exim_ns=
if ! getent passwd Debian-exim >/dev/null; then
    unshare -m true 2>/dev/null ||
        tap_skip_all "no user Debian-exim, and unshare -m (to fake one) is not allowed here"
    exim_ns=yes
fi
e2e_init nopostfix

tap_plan 38
pol=$E2E_DIR/policy.yaml
pport=$(free_port)
POL_POLICY_LISTEN=inet:127.0.0.1:$pport POL_REFUSED='[127.0.0.2/32]' \
    POL_METRICS=127.0.0.1:$(free_port) POL_EXTRA='
recipients_max: { limit: 2, authenticated_limit: 3 }
rate_limits: { limits: { s: { key: [sender], counts: messages, rate: "1 per 1h" } } }' \
    mx_write_policy "$pol"
mx_start "$pol"
wait_for 10 tcp_open "$pport" || tap_bail "the policy socket does not answer"

# Exim's spool (it writes a received message there even under -bh) must
# belong to its user.
spool=$E2E_DIR/exim-spool
mkdir -p "$spool"
if [ -n "$exim_ns" ]; then
    id_exim="$(id -u nobody):$(getent group nogroup | cut -d: -f3)"
    cp /etc/passwd "$E2E_DIR/passwd"
    cp /etc/group "$E2E_DIR/group"
    echo "Debian-exim:x:${id_exim}::$spool:/usr/sbin/nologin" >>"$E2E_DIR/passwd"
    echo "Debian-exim:x:${id_exim#*:}:" >>"$E2E_DIR/group"
    chown "$id_exim" "$spool"
else
    chown Debian-exim: "$spool" 2>/dev/null || chown Debian-exim "$spool"
fi

# The configuration: the ACL as shipped, included from the source tree.
conf=$E2E_DIR/exim.conf
cat >"$conf" <<EOF
# Exim configuration of t0550 (generated)
primary_hostname = mx.test.example
spool_directory = $spool
log_file_path = $E2E_DIR/exim-%s.log
keep_environment =
MXWARD_SOCKET = inet:127.0.0.1:$pport
acl_smtp_rcpt = rcpt
acl_smtp_predata = accept acl = mxward DATA
acl_smtp_data = accept acl = mxward END-OF-MESSAGE
acl_smtp_vrfy = accept acl = mxward VRFY

begin acl
rcpt:
  accept  acl = mxward RCPT
.include $top_srcdir/contrib/exim/mxward-policy.conf
EOF
chmod 644 "$conf"

# exim_bh NAME [exim options]: one -bh session from 127.0.0.1 with the SMTP
# commands on stdin; the replies' last lines go to $E2E_DIR/NAME.out (one
# per command, the banner first), Exim's commentary to NAME.log; the time
# it took, in ms, is appended to $times as "NAME=MS".
times=$E2E_DIR/times
exim_bh() {
    local name=$1 start ms; shift
    start=$(date +%s%N)
    if [ -n "$exim_ns" ]; then
        # shellcheck disable=SC2016 # $1, $2: the inner shell's arguments
        unshare -m sh -c 'mount --bind "$1" /etc/passwd &&
            mount --bind "$2" /etc/group && shift 2 && exec "$@"' sh \
            "$E2E_DIR/passwd" "$E2E_DIR/group" "$EXIM" -C "$conf" "$@"
    else
        "$EXIM" -C "$conf" "$@"
    fi >"$E2E_DIR/$name.raw" 2>"$E2E_DIR/$name.log" || true
    ms=$((($(date +%s%N) - start) / 1000000))
    echo "$name=$ms" >>"$times"
    tr -d '\r' <"$E2E_DIR/$name.raw" | grep -E '^[0-9]{3}( |$)' >"$E2E_DIR/$name.out" || true
}
# reply NAME N: the N-th reply of session NAME (1 is the banner).
reply() { sed -n "$2p" "$E2E_DIR/$1.out"; }
# took NAME: how long session NAME took, in ms.
took() { sed -n "s/^$1=//p" "$times"; }
# smtp LINE...: the lines with CRLF, for stdin.
smtp() { printf '%s\r\n' "$@"; }
msg=("Subject: t0550" "" "Hello." ".")

# 1. A plain message: RCPT, DATA, END-OF-MESSAGE all DUNNO.
smtp "EHLO client.example" "MAIL FROM:<one@example.net>" \
    "RCPT TO:<a@example.org>" DATA "${msg[@]}" QUIT |
    exim_bh plain -bh 127.0.0.1 -oMs localhost
tap_like "$(reply plain 4)" '^250 ' "a plain RCPT: accepted"
tap_like "$(reply plain 6)" '^250 ' "and the message, after DATA and END-OF-MESSAGE requests"
id=$(sed -n 's/^LOG: \([0-9A-Za-z-]*\) <= one@example\.net .*/\1/p' "$E2E_DIR/plain.log")
tap_ok "mxward's line for the message names Exim's id (${id:-none})" \
    wait_log "$MX_LOG" "^mxward\[[0-9]+\]: info: ${id:-none}: client=.* from=<one@example\.net>"

# 2. recipients_max 2, across three connections to mxward.
smtp "EHLO client.example" "MAIL FROM:<two@example.net>" \
    "RCPT TO:<a@example.org>" "RCPT TO:<b@example.org>" \
    "RCPT TO:<c@example.org>" DATA "${msg[@]}" QUIT |
    exim_bh rmax -bh 127.0.0.1 -oMs localhost
tap_is "$(reply rmax 4)|$(reply rmax 5)" "250 Accepted|250 Accepted" \
    "recipients_max 2: the first two RCPTs accepted"
tap_is "$(reply rmax 6)" "452 4.5.3 Too many recipients" \
    "the third: 452 4.5.3, mxward's reply as it is"
tap_like "$(reply rmax 8)" '^250 ' "the message goes on with two"
tap_ok "mxward logs the refusal with Exim's instance" wait_log "$MX_LOG" \
    'policyd: RCPT from localhost\[127\.0\.0\.1\]: 452 4\.5\.3 .*to=<c@example\.org> instance=mx\.test\.example\.[0-9]+\.[0-9]+$'
tap_like "$(cat "$E2E_DIR/rmax.log")" 'temporarily rejected RCPT <c@example\.org>: 452 4\.5\.3 Too many recipients' \
    "and so does Exim"

# 3. Authenticated (-oMaa/-oMai as if AUTH had run): sasl_username goes
# along, so authenticated_limit 3 applies.
smtp "EHLO client.example" "MAIL FROM:<auth@example.net>" \
    "RCPT TO:<a@example.org>" "RCPT TO:<b@example.org>" \
    "RCPT TO:<c@example.org>" "RCPT TO:<d@example.org>" QUIT |
    exim_bh auth -bh 127.0.0.1 -oMs localhost -oMaa plain -oMai alice
tap_is "$(reply auth 6)" "250 Accepted" \
    "authenticated: the third RCPT accepted (authenticated_limit 3)"
tap_is "$(reply auth 7)" "452 4.5.3 Too many recipients" "the fourth: 452 4.5.3"

# 4. One message per sender an hour: two messages in one session.
smtp "EHLO client.example" "MAIL FROM:<rl@example.net>" \
    "RCPT TO:<a@example.org>" DATA "${msg[@]}" \
    "MAIL FROM:<rl@example.net>" "RCPT TO:<a@example.org>" QUIT |
    exim_bh rate -bh 127.0.0.1 -oMs localhost
tap_like "$(reply rate 4)|$(reply rate 6)" '^250 .*\|250 ' \
    "rate limit: the first message accepted"
tap_like "$(reply rate 8)" '^451 4\.7\.1 ' \
    "the second message of the sender (a new instance): 451 4.7.1"
tap_unlike "$(reply rate 8)" '^451 4\.3\.0' "mxward's reply, not the ACL's fallback"

# 5. A refused network: the connect refusal, given at RCPT.
smtp "EHLO client.example" "MAIL FROM:<three@example.net>" \
    "RCPT TO:<a@example.org>" QUIT |
    exim_bh refused -bh 127.0.0.2 -oMs localhost
tap_is "$(reply refused 4)" "554 5.7.1 Access denied" \
    "a refused network: 554 5.7.1 at RCPT (deny keeps mxward's code)"

# 6. VRFY.
smtp "EHLO client.example" "VRFY postmaster" QUIT |
    exim_bh vrfy -bh 127.0.0.1 -oMs localhost
tap_is "$(reply vrfy 3)" "502 5.5.1 VRFY command is disabled" "VRFY: 502 5.5.1"

metric() { http_get "http://$MX_METRICS/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
tap_is "$(metric mxward_policy_errors_total)" 0 "no request was malformed"
tap_is "$(metric 'mxward_policy_requests_total{state="RCPT"}')" 11 \
    "11 RCPT requests, one per RCPT"
tap_is "$(metric 'mxward_policy_requests_total{state="DATA"}')|$(metric 'mxward_policy_requests_total{state="END-OF-MESSAGE"}')" \
    "3|3" "DATA and END-OF-MESSAGE: one request each per message"
tap_is "$(metric 'mxward_policy_requests_total{state="VRFY"}')" 1 "1 VRFY request"

tap_is "$(awk -F= '$2 >= 4000' "$times")" "" \
    "every session took under 4 s, readsocket's timeout being 5 s ($(tr '\n' ' ' <"$times")ms)"

# 7. Every branch of the ACL's map, against a stand-in server that answers
# by the recipient's local part (and records the requests): DUNNO, HOLD,
# DISCARD, bare DEFER, REJECT with a text, garbage, and no answer. The
# session is authenticated as a login with a newline in it.
sport=$(free_port)
cat >"$E2E_DIR/standin.py" <<'EOF'
import socket, sys
ANSWERS = {b"hold": b"action=HOLD held by the test\n\n",
           b"discard": b"action=DISCARD dropped by the test\n\n",
           b"defer": b"action=DEFER\n\n",
           b"reject": b"action=reject not here\n\n",
           b"garbage": b"hello\n\n",
           b"silent": b""}
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
while True:
    c, _ = s.accept()
    data = b""
    while b"\n\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    with open(sys.argv[2], "ab") as log:
        log.write(data)
    local = b""
    for line in data.split(b"\n"):
        if line.startswith(b"recipient="):
            local = line[10:].split(b"@")[0]
    c.sendall(ANSWERS.get(local, b"action=DUNNO\n\n"))
    c.close()
EOF
"$PYTHON" "$E2E_DIR/standin.py" "$sport" "$E2E_DIR/standin.req" 2>"$E2E_DIR/standin.log" &
standin_pid=$!
e2e_at_exit "stop_pid $standin_pid 2"
wait_for 10 tcp_open "$sport" || tap_bail "the stand-in server did not start"
smtp "EHLO client.example" "MAIL FROM:<map@example.net>" \
    "RCPT TO:<dunno@example.org>" "RCPT TO:<hold@example.org>" \
    "RCPT TO:<discard@example.org>" "RCPT TO:<defer@example.org>" \
    "RCPT TO:<reject@example.org>" "RCPT TO:<garbage@example.org>" \
    "RCPT TO:<silent@example.org>" DATA "${msg[@]}" QUIT |
    exim_bh map -bh 127.0.0.1 -oMs localhost -DMXWARD_SOCKET="inet:127.0.0.1:$sport" \
        -oMaa plain -oMai "$(printf 'al\nice')"
stop_pid "$standin_pid" 2
tap_is "$(sed -n 4,6p "$E2E_DIR/map.out" | tr '\n' '|')" "250 Accepted|250 Accepted|250 Accepted|" \
    "DUNNO, HOLD, DISCARD: 250"
maplog=$(cat "$E2E_DIR/map.log")
tap_like "$maplog" '^LOG: mxward: HOLD held by the test' "HOLD: logged"
tap_like "$maplog" '^LOG: [0-9A-Za-z-]+ frozen by ACL' "and the message frozen (Exim's hold)"
tap_like "$maplog" 'RCPT <discard@example\.org>: discarded by RCPT ACL: mxward: DISCARD dropped by the test' \
    "DISCARD: the recipient discarded"
tap_is "$(reply map 7)|$(reply map 8)" "451 4.7.1 Try again later|550 5.7.1 not here" \
    "bare DEFER: 451 4.7.1; REJECT with a text: 550 5.7.1 and the text"
tap_is "$(reply map 9)|$(reply map 10)" \
    "451 4.3.0 Policy service unavailable, try again later|451 4.3.0 Policy service unavailable, try again later" \
    "an answer not understood, and none: 451 4.3.0"
tap_like "$maplog" 'rejected RCPT <garbage@example\.org>: mxward: answer not understood: hello' \
    "logged as not understood"
tap_like "$(reply map 12)" '^250 ' "the message is taken (DATA, END-OF-MESSAGE: DUNNO)"
req=$(cat "$E2E_DIR/standin.req")
tap_is "$(printf '%s\n' "$req" | grep -c '^request=')|$(printf '%s\n' "$req" | grep '^instance=' | sort -u | wc -l)" \
    "9|1" "9 requests, one instance"
tap_is "$(printf '%s\n' "$req" | grep -c '^sasl_username=al\\nice$')|$(printf '%s\n' "$req" | grep -c '^ice')" \
    "9|0" "a newline in the login is escaped, not a new attribute"
tap_is "$(awk -v RS= '/(^|\n)queue_id=[^\n]/' "$E2E_DIR/standin.req" |
    sed -n 's/^protocol_state=//p')" END-OF-MESSAGE "queue_id only at END-OF-MESSAGE"

# 8. mxward stopped (SIGSTOP): the kernel still accepts the connection,
# nobody answers, readsocket gives up after MXWARD_TIMEOUT (1 s here).
kill -STOP "$MX_PID"
smtp "EHLO client.example" "MAIL FROM:<stall@example.net>" \
    "RCPT TO:<a@example.org>" QUIT |
    exim_bh stall -bh 127.0.0.1 -oMs localhost -DMXWARD_TIMEOUT=1s
kill -CONT "$MX_PID"
tap_is "$(reply stall 4)" "451 4.3.0 Policy service unavailable, try again later" \
    "mxward not answering: RCPT deferred 451 4.3.0"
tap_like "$(cat "$E2E_DIR/stall.log")" "temporarily rejected RCPT <a@example\.org>: mxward: no answer from inet:127\.0\.0\.1:$pport" \
    "Exim logs why"
ms=$(took stall)
tap_ok "after readsocket's timeout ($ms ms)" test "$ms" -ge 900 -a "$ms" -lt 4000
smtp "EHLO client.example" "MAIL FROM:<cont@example.net>" \
    "RCPT TO:<a@example.org>" QUIT |
    exim_bh cont -bh 127.0.0.1 -oMs localhost
tap_like "$(reply cont 4)" '^250 ' "continued, mxward answers again"

# 9. mxward gone: connection refused.
mx_stop
smtp "EHLO client.example" "MAIL FROM:<down@example.net>" \
    "RCPT TO:<a@example.org>" QUIT |
    exim_bh down -bh 127.0.0.1 -oMs localhost
tap_is "$(reply down 4)" "451 4.3.0 Policy service unavailable, try again later" \
    "mxward stopped: RCPT deferred 451 4.3.0, not accepted"
tap_like "$(cat "$E2E_DIR/down.log")" 'mxward: no answer from inet:' "Exim logs why"
ms=$(took down)
tap_ok "at once ($ms ms)" test "$ms" -lt 4000
tap_done
