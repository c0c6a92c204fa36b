#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the test bed's arm64 kernel: Debian's linux-source-6.12 (or, with
# VLPI_KERNEL=7.3, trixie-backports' linux-source-7.3, fetched by
# scripts/linux-source.sh), the series in patches/<version>/, and
# allnoconfig with kernel/vlpi-mig.config as its KCONFIG_ALLCONFIG.
#
# The tree is unpacked once into build/linux-<version> as a git repository
# whose "pristine" tag is the tarball; when the series changes, the tree is
# reset to that tag and the series applied again, which touches only the
# files the series touches, so the rebuild stays incremental. The objects
# go to build/kernel (6.12) or build/kernel-<version>.
#
#   [VLPI_KERNEL=7.3] scripts/build-kernel.sh [--headers]
#
# --headers stops once the tree is configured and its UAPI headers are in
# <objects>/usr/include: all the selftests need, so that they can build
# while the kernel compiles.
set -eu
# A make that called us must not pass its flags (W=1, C=2, ...) down
unset MAKEFLAGS MFLAGS MAKELEVEL W C

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${VLPI_KERNEL:-6.12}
src=$top/build/linux-$kver
case $kver in
6.12)	obj=$top/build/kernel
	tarball=/usr/src/linux-source-6.12.tar.xz ;;
7.3)	obj=$top/build/kernel-$kver
	tarball=$("$top/scripts/linux-source.sh" "$kver") ;;
*)	echo "build-kernel: VLPI_KERNEL=$kver: 6.12 or 7.3" >&2; exit 1 ;;
esac
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
export GIT_AUTHOR_NAME=vlpi-mig GIT_AUTHOR_EMAIL=vlpi-mig@localhost
export GIT_COMMITTER_NAME=vlpi-mig GIT_COMMITTER_EMAIL=vlpi-mig@localhost
jobs=$(($(nproc) + 1))
# Hash paths relative to the checkout, so that a fresh clone elsewhere
# (as CI makes) still hits the compiler cache
export CCACHE_BASEDIR=$top

[ -f "$tarball" ] || { echo "build-kernel: $tarball missing (apt-get install linux-source-$kver)" >&2; exit 1; }

if ! git -C "$src" rev-parse -q --verify pristine >/dev/null 2>&1; then
	echo "build-kernel: unpacking $tarball"
	rm -rf "$src" "$top/build/linux-source-$kver.tmp"
	mkdir -p "$top/build/linux-source-$kver.tmp"
	tar -C "$top/build/linux-source-$kver.tmp" -xf "$tarball"
	mv "$top/build/linux-source-$kver.tmp/linux-source-$kver" "$src"
	rmdir "$top/build/linux-source-$kver.tmp"
	git -C "$src" init -q
	# No background gc: packing 80,000 objects would take both cores
	# from the compiler for two minutes
	git -C "$src" config gc.auto 0
	git -C "$src" add -A -f
	git -C "$src" commit -q -m pristine
	git -C "$src" tag pristine
fi

version=$(make -s -C "$src" kernelversion)
pkgver=$(dpkg-query -W -f='${Version}' "linux-source-$kver" 2>/dev/null ||
	 ls "$top"/build/linux-apt/debs/linux-source-"$kver"_*.deb 2>/dev/null |
	 sed 's/.*_\(.*\)_all\.deb/\1/')
echo "build-kernel: linux-source-$kver is Linux $version ($pkgver)"

# Apply the series if it differs from what the tree has
want=$(cat "$top"/patches/"$kver"/*.patch | sha1sum | cut -d' ' -f1)
have=$(cat "$src/.vlpi-mig-series" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
	git -C "$src" reset -q --hard pristine
	git -C "$src" clean -q -fdx -e .vlpi-mig-series
	for p in "$top"/patches/"$kver"/*.patch; do
		# The cover letter (0000) says what the series is; it changes nothing
		case ${p##*/} in 0000-*) continue ;; esac
		if ! git -C "$src" am -q --keep-cr "$p" >/dev/null 2>&1; then
			git -C "$src" am --abort >/dev/null 2>&1 || true
			echo "build-kernel: FAILED: patches/$kver/$(basename "$p") does not apply to Linux $version" >&2
			exit 1
		fi
		echo "build-kernel: applied patches/$kver/$(basename "$p")"
	done
	echo "$want" > "$src/.vlpi-mig-series"
fi

mkdir -p "$obj"
# The bed's configuration, and what one version's bed adds to it
# (kernel/vlpi-mig-<version>.config: what 7.3 names otherwise, what only
# the 6.12 bed needs): an option this kernel does not define at all is
# not asked of it
cfg=$obj/vlpi-mig.config
cat "$top/kernel/vlpi-mig.config" >"$cfg.new"
[ ! -f "$top/kernel/vlpi-mig-$kver.config" ] ||
	cat "$top/kernel/vlpi-mig-$kver.config" >>"$cfg.new"
cmp -s "$cfg.new" "$cfg" || mv "$cfg.new" "$cfg"
rm -f "$cfg.new"
if [ ! -f "$obj/.config" ] || [ "$cfg" -nt "$obj/.config" ]; then
	KCONFIG_ALLCONFIG=$cfg make -s -C "$src" O="$obj" allnoconfig
	for o in $(grep -o '^CONFIG_[A-Z0-9_]*=[ym]' "$cfg"); do
		sym=${o%%=*}
		grep -rqxE --include='Kconfig*' "(menu)?config ${sym#CONFIG_}" "$src" ||
			{ echo "build-kernel: $sym is not an option of Linux $version: left out"; continue; }
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
