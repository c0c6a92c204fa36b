#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Static checks, as TAP on stdout: checkpatch --strict on the series and
# on every source file, and W=1 + sparse builds of the module and of the
# test-only edu_vfio_pci driver that must print no warning.
#
# checkpatch's FILE_PATH_CHANGES ("does MAINTAINERS need updating?") is
# ignored on the series: every file it adds is already covered by the
# KVM/arm64 entry (F: arch/arm64/kvm/ and F: include/kvm/arm_*). So is
# UNKNOWN_COMMIT_ID: the backports name upstream commits, which the tree
# unpacked from linux-source-6.12 (no upstream history) cannot look up;
# Documentation/vlpi-mig/upstream-fixes.rst lists them.
set -u
# Debian's python3 (with python3-ply and python3-git, for spdxcheck), not one earlier in PATH
export PATH=/usr/bin:/bin:$PATH

top=$(cd "$(dirname "$0")/.." && pwd)
ksrc=$top/build/linux-6.12
cp="$ksrc/scripts/checkpatch.pl --strict --quiet --no-summary --show-types"
n=0

check() {
	local name=$1 log=$2
	n=$((n + 1))
	if [ -s "$log" ]; then
		echo "not ok $n $name"
		sed 's/^/    # /' "$log"
	else
		echo "ok $n $name"
	fi
}

echo "TAP version 13"
echo "1..4"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$ksrc" && $cp --ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$top"/patches/*.patch) >"$tmp/series" 2>&1
check "checkpatch --strict patches/" "$tmp/series"

mapfile -t srcs < <(cd "$top" && git ls-files -co --exclude-standard \
	'*.c' '*.h' | grep -v '^build/' | grep -v '\.mod\.c$')
(cd "$ksrc" && for f in "${srcs[@]}"; do
	$cp --no-tree -f "$top/$f"
done) >"$tmp/files" 2>&1
check "checkpatch --strict on ${#srcs[@]} source files" "$tmp/files"

# Compile (W=1) and check (sparse, C=2) every module source: in a copy of
# the sources (build/lint), so that the modules make check boots with are
# never rewritten while a boot packs them (lint runs beside the boots).
# ccache replays a cached compile's warnings, so a warm lint still sees
# them.
build_copy() {
	local copy=$1 m=$1${2:+/$2}
	shift 2
	rm -rf "$copy"
	mkdir -p "$copy"
	(cd "$top" && git ls-files -co --exclude-standard "$@" |
		xargs cp --parents -t "$copy")
	CCACHE_BASEDIR=$top make -s -C "$top/build/kernel" M="$m" ARCH=arm64 \
		CROSS_COMPILE=aarch64-linux-gnu- \
		CC="ccache aarch64-linux-gnu-gcc" W=1 C=2 modules >"$copy.log" 2>&1 ||
		echo "error: make in a copy of $* failed"
	grep -E 'warning:|error:' "$copy.log"
}

build_copy "$top/build/lint/mod" "" Kbuild vgic irqchip kunit uapi >"$tmp/sparse"
check "module builds with W=1 and sparse (C=2) without a warning" "$tmp/sparse"

edu=tools/testing/selftests/vlpi_mig/edu_vfio_pci
build_copy "$top/build/lint/edu" "$edu" "$edu" >"$tmp/edu"
check "edu_vfio_pci builds with W=1 and sparse (C=2) without a warning" "$tmp/edu"
