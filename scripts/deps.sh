#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Check the Debian packages vlpi-mig needs; install the missing ones when
# run as root, otherwise print the command to run and fail.
#
#   scripts/deps.sh          what make check, make demo and the build need
#   scripts/deps.sh bench    those, and gnuplot for make bench's plot
#   scripts/deps.sh deb      those, and what make deb needs to package
#                            (debhelper, dh-dkms, lintian for the source
#                            package; kmod and file for its checks)
set -eu

PKGS="linux-source-6.12 gcc-aarch64-linux-gnu libc6-dev-arm64-cross
qemu-system-arm make gcc bc flex bison libssl-dev libelf-dev cpio gzip
ccache sparse perl python3 python3-ply python3-git git
pkg-config ninja-build python3-venv libglib2.0-dev libpixman-1-dev
libfdt-dev zlib1g-dev gpgv debian-archive-keyring"
# Installed without their recommends: dkms recommends the host's own
# kernel headers (linux-headers-amd64), which nothing here builds against;
# dpkg-dev (dpkg-source) unpacks QEMU's source for the GICv4.1 model
PKGS_NR="dkms python3-sphinx dpkg-dev"

for extra in "$@"; do
	case $extra in
	bench) PKGS="$PKGS gnuplot-nox" ;;
	deb) PKGS_NR="$PKGS_NR debhelper dh-dkms lintian rsync kmod file" ;;
	*) echo "deps: unknown argument '$extra' (known: bench, deb)" >&2; exit 2 ;;
	esac
done

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
missing= missing_nr=
for p in $PKGS; do
	installed "$p" || missing="$missing $p"
done
for p in $PKGS_NR; do
	installed "$p" || missing_nr="$missing_nr $p"
done
[ -z "$missing$missing_nr" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "vlpi-mig needs these Debian packages:$missing$missing_nr" >&2
	echo "Install them with:" >&2
	echo "  sudo apt-get update" >&2
	[ -z "$missing" ] || echo "  sudo apt-get install -y$missing" >&2
	[ -z "$missing_nr" ] || echo "  sudo apt-get install -y --no-install-recommends$missing_nr" >&2
	exit 1
fi

echo "deps: installing$missing$missing_nr"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
[ -z "$missing" ] || apt-get install -y -q $missing >/dev/null
# shellcheck disable=SC2086
[ -z "$missing_nr" ] || apt-get install -y -q --no-install-recommends $missing_nr >/dev/null
