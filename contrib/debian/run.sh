#!/bin/sh
# run.sh - install what mxward needs on Debian 12, build it, and run it in
# the foreground with the shipped policy, listening on loopback only
# (milter inet:127.0.0.1:8890, metrics http://127.0.0.1:9890/metrics).
# Run as root from the top of a clean clone: sh contrib/debian/run.sh
set -eu
cd "$(dirname "$0")/../.."

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
	ca-certificates build-essential autoconf automake libtool pkg-config \
	libmilter-dev libyaml-dev libjansson-dev libmicrohttpd-dev \
	libsystemd-dev passwd

# The shipped policy switches to the system user mxward after binding.
getent passwd mxward >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin mxward

[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"
./mxward -c policies/mxward.yaml check
exec ./mxward -f -c policies/mxward.yaml run
