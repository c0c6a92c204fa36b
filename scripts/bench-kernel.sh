#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build make bench's host kernel and the module against it: the bed's
# tree and series (build/linux-6.12, which make kernel prepares), the
# bed's configuration with kernel/deb.config and kernel/bench.config
# merged over it, so that what is timed runs without the bed's checkers.
#
#   build/bench/kernel/arch/arm64/boot/Image   the host kernel
#   build/bench/module/vlpi_mig.ko             the module, built for it
#
# The module is built from a copy of its sources (Kbuild, dkms.conf,
# vgic/, irqchip/, uapi/), so that the bed's build in the checkout is
# left alone.
set -eu
# A make that called us must not pass its flags (W=1, C=2, ...) down
unset MAKEFLAGS MFLAGS MAKELEVEL W C

top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/build/linux-6.12
bed=$top/build/kernel
obj=$top/build/bench/kernel
mod=$top/build/bench/module
log=$top/build/bench/build.log
jobs=$(($(nproc) + 1))
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
export CCACHE_BASEDIR=$top

fail() {
	echo "bench-kernel: FAILED: $*; the end of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
}

want=$(cat "$top"/patches/6.12/*.patch | sha1sum | cut -d' ' -f1)
[ "$want" = "$(cat "$src/.vlpi-mig-series" 2>/dev/null)" ] &&
	[ -f "$bed/.config" ] || {
	echo "bench-kernel: $src must carry patches/ as they are now: run make kernel" >&2
	exit 1
}

mkdir -p "$obj"
: >"$log"
stamp=$(cat "$bed/.config" "$top/kernel/deb.config" "$top/kernel/bench.config" | sha1sum | cut -d' ' -f1)
if [ "$stamp" != "$(cat "$obj/.vlpi-mig-bench-config" 2>/dev/null)" ]; then
	echo "bench-kernel: configuring: the bed's, kernel/deb.config and kernel/bench.config"
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m "$bed/.config" \
		"$top/kernel/deb.config" "$top/kernel/bench.config") >>"$log" 2>&1 ||
		fail "merge_config.sh"
	make -s -C "$src" O="$obj" olddefconfig >>"$log" 2>&1 || fail "olddefconfig"
	for o in KASAN PROVE_LOCKING DEBUG_KMEMLEAK UBSAN; do
		! grep -q "^CONFIG_$o=y" "$obj/.config" || fail "CONFIG_$o is still on"
	done
	for o in GENERIC_IRQ_DEBUGFS KPROBE_EVENTS VFIO_PCI KVM; do
		grep -q "^CONFIG_$o=y" "$obj/.config" || fail "CONFIG_$o is off"
	done
	echo "$stamp" >"$obj/.vlpi-mig-bench-config"
fi

echo "bench-kernel: building Image (ccache, -j$jobs; log: build/bench/build.log)"
make -C "$src" O="$obj" CC="ccache ${CROSS_COMPILE}gcc" LOCALVERSION= \
	-j"$jobs" Image modules >>"$log" 2>&1 || fail "the kernel build"

# The module from a copy of its sources only (the checkout's objects are
# the bed's), copied when newer so that only what changed is rebuilt
mkdir -p "$mod"
for d in vgic irqchip uapi; do
	mkdir -p "$mod/$d"
	cp -pu "$top/$d"/*.[ch] "$mod/$d/"
done
cp -pu "$top/Kbuild" "$top/dkms.conf" "$mod/"
make -C "$obj" M="$mod" CC="ccache ${CROSS_COMPILE}gcc" modules >>"$log" 2>&1 ||
	fail "the module's build"
echo "bench-kernel: $obj/arch/arm64/boot/Image, $mod/vlpi_mig.ko"
