#!/bin/sh
# Install what a sockconf target needs from Debian's packages, only what is missing.
# Idempotent: a second run installs nothing and says so.
#
#   sh ci/install-deps.sh run     make conformance and make explore: build the programs, run the suite
#   sh ci/install-deps.sh grade   make grade: run's and Jinja2 (the pages)
#   sh ci/install-deps.sh bench   make bench: run's and gnuplot
#   sh ci/install-deps.sh check   make check: everything (CUnit, a Slurm cluster, Chromium, linters, ...)
#   sh ci/install-deps.sh         the same as check
set -eu

run_packages="gcc make libc6-dev libmnl-dev iproute2 smcroute nftables socat tcpdump util-linux procps uidmap \
python3 python3-pytest python3-pytest-xdist python3-jsonschema python3-hypothesis"
grade_packages="python3-jinja2"
bench_packages="gnuplot-nox"
check_packages="libcunit1-dev strace python3-pexpect slurm-wlm munge yamllint python3-yaml shellcheck \
chromium chromium-driver python3-selenium"

set_name="${1:-check}"
case "$set_name" in
    run) packages="$run_packages" ;;
    grade) packages="$run_packages $grade_packages" ;;
    bench) packages="$run_packages $bench_packages" ;;
    check|all) packages="$run_packages $grade_packages $bench_packages $check_packages" ;;
    *)
        echo "ci/install-deps.sh: unknown set '$set_name' (run, grade, bench or check)" >&2
        exit 2
        ;;
esac

missing=""
for pkg in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        "install ok installed") ;;
        *) missing="$missing $pkg" ;;
    esac
done

if [ -z "$missing" ]; then
    echo "ci/install-deps.sh: all packages of '$set_name' present, nothing to install"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ci/install-deps.sh: missing packages:$missing" >&2
    echo "ci/install-deps.sh: run as root (or: sudo apt-get install$missing)" >&2
    exit 1
fi

echo "ci/install-deps.sh: installing for '$set_name':$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
