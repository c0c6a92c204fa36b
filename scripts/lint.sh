#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Static checks, as TAP on stdout: checkpatch --strict on the series,
# QEMU's checkpatch on the GICv4.1 model's series (qemu-gicv4.1/), and
# on every source file; kernel-doc -Wall on every source file with a
# kernel-doc comment, and on the kernel files the series touches; W=1 +
# sparse builds of the module and of the test-only edu_vfio_pci driver;
# and Documentation/vlpi-mig built with Sphinx. None may print a warning.
# Then: the interface exports at most four symbols, in the namespace the
# module imports, and DKMS builds the module against both kernels.
#
# checkpatch's FILE_PATH_CHANGES ("does MAINTAINERS need updating?") is
# ignored on the series: every file it adds is already covered by the
# KVM/arm64 entry (F: arch/arm64/kvm/ and F: include/kvm/arm_*). So is
# UNKNOWN_COMMIT_ID: the backports name upstream commits, which the tree
# unpacked from linux-source-6.12 (no upstream history) cannot look up;
# Documentation/vlpi-mig/upstream-fixes.rst lists them.
#
# kernel-doc also reads every kernel file the series changes (in
# build/linux-6.12), and counts there only the warnings the series adds:
# 6.12 has its own in some of them (vgic-its.c, vgic-init.c, kvm_main.c),
# which the same file at the tree's "pristine" tag shows too.
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
echo "1..12"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$ksrc" && $cp --ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID $(ls "$top"/patches/{6.12,7.3}/*.patch | grep -v '/0000-')) >"$tmp/series" 2>&1
check "checkpatch --strict patches/" "$tmp/series"

# The GICv4.1 model's series, by QEMU's own checkpatch, from the tree
# qemu-gicv4.1/build.sh applied it to
qtree=$top/build/qemu-gicv4.1/tree
if [ -x "$qtree/scripts/checkpatch.pl" ]; then
	(cd "$qtree" && ./scripts/checkpatch.pl "$top"/qemu-gicv4.1/patches/*.patch |
		grep -E '^(ERROR|WARNING)' -A3) >"$tmp/qemu" 2>&1
else
	echo "no $qtree: run make qemu-gicv4.1 first" >"$tmp/qemu"
fi
check "QEMU's checkpatch on qemu-gicv4.1/patches/" "$tmp/qemu"

mapfile -t srcs < <(cd "$top" && git ls-files -co --exclude-standard \
	'*.c' '*.h' | grep -v '^build/' | grep -v '\.mod\.c$')
(cd "$ksrc" && for f in "${srcs[@]}"; do
	$cp --no-tree -f "$top/$f"
done) >"$tmp/files" 2>&1
check "checkpatch --strict on ${#srcs[@]} source files" "$tmp/files"

# kernel-doc -none parses the comments and prints only its warnings. The
# series' files are checked in the tree, and as unpacked (pristine/): a
# warning counts if it has more occurrences in the first, line numbers
# aside.
kd="$ksrc/scripts/kernel-doc -none -Wall"
mapfile -t docd < <(cd "$top" && grep -lsF '/**' "${srcs[@]}")
mapfile -t kfiles < <(sed -n 's|^+++ b/||p' "$top"/patches/6.12/*.patch |
	grep -E '\.[ch]$' | sort -u)
(cd "$top" && for f in "${docd[@]}"; do
	$kd "$f"
done
cd "$ksrc" && for f in "${kfiles[@]}"; do
	if [ ! -f "$f" ]; then
		echo "error: the series changes $f, which the tree lacks"
		continue
	fi
	$kd "$f" >"$tmp/kd.new" 2>&1
	mkdir -p "$tmp/pristine/$(dirname "$f")"
	git show "pristine:$f" >"$tmp/pristine/$f" 2>/dev/null ||
		: >"$tmp/pristine/$f"
	(cd "$tmp/pristine" && $kd "$f") >"$tmp/kd.old" 2>&1
	awk 'function key(l) { sub(/:[0-9]+: /, ": ", l); return l }
	     FILENAME == ARGV[1] { old[key($0)]++; next }
	     old[key($0)]-- <= 0' "$tmp/kd.old" "$tmp/kd.new"
done) >"$tmp/kdoc" 2>&1
check "kernel-doc -Wall on ${#docd[@]} source files and the series' ${#kfiles[@]} kernel files" "$tmp/kdoc"

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

build_copy "$top/build/lint/mod" "" Kbuild dkms.conf vgic irqchip kunit uapi >"$tmp/sparse"
check "module builds with W=1 and sparse (C=2) without a warning" "$tmp/sparse"

edu=tools/testing/selftests/vlpi_mig/edu_vfio_pci
build_copy "$top/build/lint/edu" "$edu" "$edu" >"$tmp/edu"
check "edu_vfio_pci builds with W=1 and sparse (C=2) without a warning" "$tmp/edu"

# Into build/lint/docs, not make docs' build/docs; the warnings on stderr
"$top/scripts/docs.sh" "$top/build/lint/docs" >/dev/null 2>"$tmp/docs" ||
	[ -s "$tmp/docs" ] || echo "error: scripts/docs.sh failed" >"$tmp/docs"
sed -i "s|$top/||" "$tmp/docs"
check "Documentation builds with Sphinx without a warning" "$tmp/docs"

# The interface exports at most four symbols, in the KVM_VGIC_MIG
# namespace (a string from 6.13 on), which the module imports: the loader
# refuses it on a kernel without the series. The backports' own exports
# are upstream's.
series_syms=
for kver in 6.12 7.3; do
	syms=$(sed -n 's/^+EXPORT_SYMBOL_NS_GPL(\([a-z_0-9]*\), "\{0,1\}KVM_VGIC_MIG"\{0,1\});$/\1/p' \
		"$top"/patches/$kver/*.patch | sort -u)
	series_syms="$series_syms $kver: $(echo $syms)"
	nsyms=$(echo "$syms" | wc -w)
	[ "$nsyms" -le 4 ] || echo "patches/$kver exports $nsyms symbols in KVM_VGIC_MIG, more than 4"
done >"$tmp/linked"
{
	if [ -f "$top/build/lint/mod/vlpi_mig.ko" ]; then
		modinfo -F import_ns "$top/build/lint/mod/vlpi_mig.ko" | grep -qx KVM_VGIC_MIG ||
			echo "vlpi_mig.ko does not import KVM_VGIC_MIG"
	else
		echo "error: build/lint/mod/vlpi_mig.ko missing"
	fi
} >>"$tmp/linked"
check "the interface exports, in KVM_VGIC_MIG, which vlpi_mig.ko imports:$series_syms" "$tmp/linked"

# make install-uapi copies the header with a sed of its own, building
# nothing: it must be what the kernel's headers_install.sh makes of it
{
	mkdir -p "$tmp/uapi"
	make -s -C "$top" install-uapi DESTDIR="$tmp/uapi" includedir=/inc >/dev/null &&
		(cd "$top/build/kernel" &&
		 sh "$ksrc/scripts/headers_install.sh" "$top/uapi/vlpi_mig.h" "$tmp/uapi.h") &&
		diff -u "$tmp/uapi.h" "$tmp/uapi/inc/vlpi-mig/vlpi_mig.h"
} >"$tmp/uapi.diff" 2>&1
check "make install-uapi installs what headers_install.sh makes of uapi/vlpi_mig.h" "$tmp/uapi.diff"

# One version: dkms.conf's, which Kbuild gives the module as its
# MODULE_VERSION, and debian/changelog's upstream part (debian/rules
# refuses to package a mismatch; this finds it before make deb does)
{
	dkver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
	debver=$(cd "$top" && dpkg-parsechangelog -S Version)
	modver=$(PATH=$PATH:/usr/sbin:/sbin modinfo -F version "$top/vlpi_mig.ko" 2>&1)
	[ -n "$dkver" ] && [ "$dkver" = "${debver%-*}" ] && [ "$dkver" = "$modver" ] ||
		echo "error: dkms.conf $dkver, debian/changelog $debver, vlpi_mig.ko's version $modver"
} >"$tmp/version" 2>&1
check "one version: dkms.conf, debian/changelog and MODULE_VERSION say $dkver" "$tmp/version"

# DKMS, in a tree of its own under build/dkms, for each kernel
for kobj in kernel kernel-7.3; do
	rm -f "$tmp/dkms"
	"$top/scripts/dkms.sh" build "$top/build/$kobj" >"$tmp/dkms.out" 2>&1 ||
		{ echo "error: dkms build failed:"; tail -n 20 "$tmp/dkms.out"; } >"$tmp/dkms"
	touch "$tmp/dkms"
	check "dkms build against build/$kobj" "$tmp/dkms"
	grep '^dkms: built' "$tmp/dkms.out" | sed "s|$top/||; s/^/# /"
done
