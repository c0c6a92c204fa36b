#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the test bed's arm64 kernel: Debian's linux-source-6.12, the series
# in patches/, and allnoconfig with kernel/vlpi-mig.config as its
# KCONFIG_ALLCONFIG.
#
# The tree is unpacked once into build/linux-6.12 as a git repository whose
# "pristine" tag is the tarball; when patches/ changes, the tree is reset
# to that tag and the series applied again, which touches only the files
# the series touches, so the rebuild stays incremental.
#
#   scripts/build-kernel.sh [--headers]
#
# --headers stops once the tree is configured and its UAPI headers are in
# build/kernel/usr/include: all the selftests need, so that they can build
# while the kernel compiles.
set -eu
# A make that called us must not pass its flags (W=1, C=2, ...) down
unset MAKEFLAGS MFLAGS MAKELEVEL W C

top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/build/linux-6.12
obj=$top/build/kernel
tarball=/usr/src/linux-source-6.12.tar.xz
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
export GIT_AUTHOR_NAME=vlpi-mig GIT_AUTHOR_EMAIL=vlpi-mig@localhost
export GIT_COMMITTER_NAME=vlpi-mig GIT_COMMITTER_EMAIL=vlpi-mig@localhost
jobs=$(($(nproc) + 1))
# Hash paths relative to the checkout, so that a fresh clone elsewhere
# (as CI makes) still hits the compiler cache
export CCACHE_BASEDIR=$top

[ -f "$tarball" ] || { echo "build-kernel: $tarball missing (apt-get install linux-source-6.12)" >&2; exit 1; }

if ! git -C "$src" rev-parse -q --verify pristine >/dev/null 2>&1; then
	echo "build-kernel: unpacking $tarball"
	rm -rf "$src" "$top/build/linux-source-6.12"
	mkdir -p "$top/build"
	tar -C "$top/build" -xf "$tarball"
	mv "$top/build/linux-source-6.12" "$src"
	git -C "$src" init -q
	# No background gc: packing 80,000 objects would take both cores
	# from the compiler for two minutes
	git -C "$src" config gc.auto 0
	git -C "$src" add -A -f
	git -C "$src" commit -q -m pristine
	git -C "$src" tag pristine
fi

version=$(make -s -C "$src" kernelversion)
echo "build-kernel: linux-source-6.12 is Linux $version ($(dpkg-query -W -f='${Version}' linux-source-6.12))"

# Apply the series if it differs from what the tree has
want=$(cat "$top"/patches/*.patch | sha1sum | cut -d' ' -f1)
have=$(cat "$src/.vlpi-mig-series" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
	git -C "$src" reset -q --hard pristine
	git -C "$src" clean -q -fdx -e .vlpi-mig-series
	for p in "$top"/patches/*.patch; do
		if ! git -C "$src" am -q --keep-cr "$p" >/dev/null 2>&1; then
			git -C "$src" am --abort >/dev/null 2>&1 || true
			echo "build-kernel: FAILED: patches/$(basename "$p") does not apply to Linux $version" >&2
			exit 1
		fi
		echo "build-kernel: applied patches/$(basename "$p")"
	done
	echo "$want" > "$src/.vlpi-mig-series"
fi

mkdir -p "$obj"
cfg="$top/kernel/vlpi-mig.config"
if [ ! -f "$obj/.config" ] || [ "$cfg" -nt "$obj/.config" ]; then
	KCONFIG_ALLCONFIG=$cfg make -s -C "$src" O="$obj" allnoconfig
	for o in $(grep -o '^CONFIG_[A-Z0-9_]*=[ym]' "$cfg"); do
		grep -qx "$o" "$obj/.config" || { echo "build-kernel: $o did not stick in .config" >&2; exit 1; }
	done
fi

make -s -C "$src" O="$obj" headers_install INSTALL_HDR_PATH="$obj/usr" >/dev/null
if [ "${1:-}" = --headers ]; then
	echo "build-kernel: $obj/usr/include"
	exit 0
fi

echo "build-kernel: building Image and modules (ccache, -j$jobs)"
make -s -C "$src" O="$obj" CC="ccache ${CROSS_COMPILE}gcc" -j"$jobs" Image modules
echo "build-kernel: $obj/arch/arm64/boot/Image"
