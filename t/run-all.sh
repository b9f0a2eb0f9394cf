#!/bin/bash
# run-all.sh -- install what the tests need, build, run the whole suite.
#
# The one command CI runs (.ci/run calls exactly this) and the README's test
# command.  On a fresh Debian 12 machine, as root, from the top of a clean
# clone:
#
#     sh t/run-all.sh [--no-apt] [--no-asan] [--no-tsan]
#
#   1. apt-get update and install the build and test dependencies
#      (DEBIAN_FRONTEND=noninteractive, --no-install-recommends), with
#      services kept from starting (a policy-rc.d that says 101 while
#      installing), so no system Postfix listens on port 25;
#   2. autoreconf -fi && ./configure --enable-werror && make -j2 &&
#      make -j2 check  (unit tests, fuzz corpus replays, e2e tests);
#   3. the sanitizer passes: make distclean, then VPATH builds in
#      build-asan/ (--enable-asan --enable-ubsan) and build-tsan/
#      (--enable-tsan), each running make -j2 check again (the e2e tests
#      fail on any sanitizer report in mxward's log; t/tsan.supp holds the
#      one libmilter-internal shutdown race).  Kept on by default: measured
#      on 2 cores, step 2 takes about 1.5 min and each pass about 1.5 min
#      more, so with the apt step the run stays well under the 20-minute
#      budget.
#
# On a failure the logs of the failed tests are printed, so CI output shows
# why.  Exits non-zero on any failure; prints the time of each step.
#
# Options / environment:
#   --no-apt    (MXWARD_CI_APT=0)   skip step 1 (dependencies already there)
#   --no-asan   (MXWARD_CI_ASAN=0)  skip the ASan+UBSan pass
#   --no-tsan   (MXWARD_CI_TSAN=0)  skip the TSan pass
#   MAKEFLAGS_J (default -j2)       parallelism of make and make check
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

cd "$(dirname "$0")/.."
top=$(pwd)

apt=${MXWARD_CI_APT:-1}
asan=${MXWARD_CI_ASAN:-1}
tsan=${MXWARD_CI_TSAN:-1}
jobs=${MAKEFLAGS_J:--j2}
while [ $# -gt 0 ]; do
    case $1 in
    --no-apt) apt=0 ;;
    --no-asan) asan=0 ;;
    --no-tsan) tsan=0 ;;
    -h | --help) sed -n '2,/^\[ -n/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--no-apt] [--no-asan] [--no-tsan]" >&2; exit 2 ;;
    esac
    shift
done

t_start=$SECONDS
step() { printf '\n==== %s (at %ds)\n' "$*" $((SECONDS - t_start)); }

# Build dependencies: the libraries configure checks for.
build_pkgs="build-essential autoconf automake libtool pkg-config
    libmilter-dev libyaml-dev libjansson-dev libmicrohttpd-dev libsystemd-dev
    libclamav-dev libgmime-3.0-dev libunbound-dev libevent-dev
    libopendkim-dev libopendmarc-dev libspf2-dev libssl-dev libhiredis-dev
    libpsl-dev publicsuffix"
# Test tools: the MTA and clients the e2e tests start, promtool for the
# metrics format, miltertest for protocol cases, nsd and a python3-dnslib
# stub as the test DNS, python3-dkim (python3-nacl for ed25519) and
# opendkim-tools as independent DKIM implementations, redis-server.
# (Exim and Sendmail conflict with Postfix as Debian packages -- one
# mail-transport-agent at a time -- so they are not here; fetch_exim
# unpacks Exim instead, and libidn12 and libgnutls-dane0 are its libraries.)
test_pkgs="postfix miltertest prometheus python3 procps iproute2 curl
    ca-certificates clamav-testfiles nsd python3-dnslib python3-yaml
    python3-dkim python3-nacl opendkim-tools redis-server openssl
    libidn12 libgnutls-dane0"

install_deps() {
    [ "$(id -u)" -eq 0 ] || { echo "run-all: apt-get needs root (or use --no-apt)" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    # Keep maintainer scripts from starting services (Postfix on :25,
    # redis, nsd); remove our guard afterwards if we put it there.
    local guard=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        guard=/usr/sbin/policy-rc.d
    fi
    # Postfix: no questions, and a local-only system config we never start.
    echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
    echo "postfix postfix/mailname string localhost.localdomain" | debconf-set-selections
    apt-get update
    # Any further package a configure check names ("install the Debian
    # package X") is picked up from configure.ac.
    local extra
    extra=$(sed -n 's/.*MX_REQUIRE_PKG(\[[^]]*\], *\[[^]]*\], *\[\([a-z0-9.+-]*\)\]).*/\1/p' configure.ac | sort -u)
    local was_running=no
    if command -v postfix >/dev/null 2>&1 && postfix status >/dev/null 2>&1; then
        was_running=yes
    fi
    local rc=0
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $build_pkgs $test_pkgs $extra || rc=$?
    [ -n "$guard" ] && rm -f "$guard"
    [ "$rc" -eq 0 ] || return "$rc"
    # Belt and braces: a system Postfix that the install started goes
    # again (the tests run their own instances on other ports).
    if [ "$was_running" = no ] && postfix status >/dev/null 2>&1; then
        echo "run-all: stopping the system Postfix the install started"
        postfix stop || true
    fi
    return 0
}

# t0550 runs a real Exim: the binary of exim4-daemon-light unpacked from
# its .deb into a temporary directory (mode 0700, so its set-uid binary is
# for root only; removed at exit), never installed, so no maintainer
# script, daemon or system config; EXIM points the test at it.
exim_dir=
fetch_exim() {
    exim_dir=$(mktemp -d)
    trap 'rm -rf "$exim_dir"' EXIT
    (cd "$exim_dir" &&
        apt-get download -q -o APT::Sandbox::User=root exim4-daemon-light &&
        dpkg-deb -x exim4-daemon-light_*.deb root) || return 1
    export EXIM=$exim_dir/root/usr/sbin/exim4
    # Exim looks up its user before it reads any configuration; the
    # package would have made it, so make it as the package does.
    getent passwd Debian-exim >/dev/null ||
        useradd --system --user-group --no-create-home \
            --home-dir /var/spool/exim4 --shell /usr/sbin/nologin Debian-exim
}

# Print the logs of the tests that failed in build dir $1.
show_failures() {
    local dir=$1 trs log n=0
    echo "---- failed tests in $dir:"
    while IFS= read -r trs; do
        if grep -Eq '^:global-test-result: (FAIL|ERROR|XPASS)' "$trs"; then
            log=${trs%.trs}.log
            n=$((n + 1))
            printf '\n------------------------------ %s\n' "${log#"$dir"/}"
            cat "$log" 2>/dev/null || echo "(no log)"
        fi
    done < <(find "$dir" -name '*.trs' | sort)
    [ "$n" -gt 0 ] || { echo "(no failed test logs; the test-suite.log follows)"; cat "$dir/test-suite.log" 2>/dev/null || true; }
}

# build_and_check DIR CONFIGURE-ARGS...: configure (from DIR), make, check.
build_and_check() {
    local dir=$1 cfg; shift
    if [ "$dir" = . ]; then cfg=./configure; else cfg=$top/configure; fi
    mkdir -p "$dir"
    (
        cd "$dir" &&
        step "configure $*" && "$cfg" "$@" &&
        step "make $jobs" && make "$jobs" &&
        step "make $jobs check" && make "$jobs" check
    ) || {
        if [ "$dir" = . ]; then show_failures "$top"; else show_failures "$top/$dir"; fi
        return 1
    }
}

if [ "$apt" = 1 ]; then
    step "install dependencies"
    install_deps
    fetch_exim
fi

step "autoreconf -fi"
autoreconf -fi

build_and_check . --enable-werror
t_normal=$((SECONDS - t_start))

if [ "$asan" = 1 ] || [ "$tsan" = 1 ]; then
    # A VPATH build refuses a source tree configured in place.
    step "make distclean (for the VPATH sanitizer builds)"
    make distclean >/dev/null
fi
if [ "$asan" = 1 ]; then
    rm -rf build-asan
    build_and_check build-asan --enable-asan --enable-ubsan
fi
if [ "$tsan" = 1 ]; then
    rm -rf build-tsan
    build_and_check build-tsan --enable-tsan
fi

step "all passed (normal build+check ${t_normal}s, total $((SECONDS - t_start))s)"
