#!/bin/sh
# run.sh - install what mxward needs on Debian 12, build it, and run it in
# the foreground with the shipped policy, listening on loopback only
# (milter inet:127.0.0.1:8890, metrics http://127.0.0.1:9890/metrics).
# Run as root from the top of a clean clone: sh contrib/debian/run.sh
#
# The antivirus check needs ClamAV signatures in /var/lib/clamav: when
# there are none, this runs freshclam once to fetch them (the one step
# that needs the internet). If that fails too, mxward runs with the
# shipped policy plus one override that turns antivirus off, and says so.
set -eu
cd "$(dirname "$0")/../.."

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
	ca-certificates build-essential autoconf automake libtool pkg-config \
	libmilter-dev libyaml-dev libjansson-dev libmicrohttpd-dev \
	libsystemd-dev libclamav-dev libgmime-3.0-dev libunbound-dev \
	libevent-dev libopendkim-dev libopendmarc-dev libspf2-dev libssl-dev \
	libhiredis-dev libpsl-dev publicsuffix clamav-freshclam passwd

# The shipped policy switches to the system user mxward after binding.
getent passwd mxward >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin mxward

[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"

policy=policies/mxward.yaml
has_signatures() {
	ls /var/lib/clamav/*.cvd /var/lib/clamav/*.cld >/dev/null 2>&1
}
has_signatures || freshclam --stdout || true
if ! has_signatures; then
	echo "run.sh: no ClamAV signatures in /var/lib/clamav and freshclam" \
		"could not fetch them: running with antivirus disabled." >&2
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir "$tmp/conf.d"
	cp "$policy" "$tmp/mxward.yaml"
	echo "antivirus: { enabled: no }" >"$tmp/conf.d/00-no-signatures.yaml"
	policy=$tmp/mxward.yaml
fi
./mxward -c "$policy" check
if [ -n "${tmp:-}" ]; then
	./mxward -f -c "$policy" run
else
	exec ./mxward -f -c "$policy" run
fi
