#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Check the Debian packages vlpi-mig needs; install the missing ones when
# run as root, otherwise print the command to run and fail.
#
#   scripts/deps.sh          what make check, make demo and the build need
#   scripts/deps.sh bench    those, and gnuplot for make bench's plot
set -eu

PKGS="linux-source-6.12 gcc-aarch64-linux-gnu libc6-dev-arm64-cross
qemu-system-arm make gcc bc flex bison libssl-dev libelf-dev cpio gzip
ccache sparse perl python3 python3-ply python3-git git"

for extra in "$@"; do
	case $extra in
	bench) PKGS="$PKGS gnuplot-nox" ;;
	*) echo "deps: unknown argument '$extra' (known: bench)" >&2; exit 2 ;;
	esac
done

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "vlpi-mig needs these Debian packages:$missing" >&2
	echo "Install them with:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q $missing >/dev/null
