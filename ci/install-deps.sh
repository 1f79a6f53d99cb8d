#!/bin/sh
# Install what sockconf needs from Debian's packages, only what is missing.
# Idempotent: a second run installs nothing and says so.
set -eu

packages="gcc make libc6-dev libcunit1-dev iproute2 smcroute nftables socat \
python3 python3-pytest python3-pytest-xdist python3-pexpect python3-jsonschema python3-hypothesis gnuplot-nox util-linux procps uidmap \
slurm-wlm munge yamllint python3-yaml shellcheck chromium chromium-driver python3-selenium tcpdump"

missing=""
for pkg in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        "install ok installed") ;;
        *) missing="$missing $pkg" ;;
    esac
done

if [ -z "$missing" ]; then
    echo "ci/install-deps.sh: all packages present, nothing to install"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ci/install-deps.sh: missing packages:$missing" >&2
    echo "ci/install-deps.sh: run as root (or: sudo apt-get install$missing)" >&2
    exit 1
fi

echo "ci/install-deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
