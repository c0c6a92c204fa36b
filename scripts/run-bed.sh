#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot the emulated GICv4 host on a plan and read its results back.
#
#   scripts/run-bed.sh PLAN
#
# VLPI_V4=0 boots the host with GICv4 direct injection off
# (kvm-arm.vgic_v4_enable=0); it is on by default.
#
# Packs /init, the plans, the modules and the selftests into an
# initramfs, boots the built kernel under qemu-system-aarch64 (TCG, GICv4,
# the edu device), and leaves build/out/PLAN/console.log (the kernel
# console) and build/out/PLAN/results.tap (what /init reported, through a
# virtio console). Exits non-zero if QEMU did not finish in time.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
plan=${1:?usage: run-bed.sh PLAN}
out=$top/build/out/$plan
stage=$top/build/initramfs/$plan
image=$top/build/kernel/arch/arm64/boot/Image
timeout=${VLPI_BED_TIMEOUT:-1500}
v4=${VLPI_V4:-1}

[ -f "$top/initramfs/plans/$plan.plan" ] || { echo "run-bed: no plan initramfs/plans/$plan.plan" >&2; exit 2; }

rm -rf "$stage" "$out"
mkdir -p "$stage"/{plans,modules,tests} "$out"
aarch64-linux-gnu-gcc -static -O2 -Wall -o "$stage/init" "$top/initramfs/init.c"
cp "$top"/initramfs/plans/*.plan "$stage/plans/"
cp "$top"/vlpi_mig.ko "$top"/vlpi_mig_kunit.ko "$stage/modules/"
find "$top/build/selftests" -maxdepth 1 -type f -perm -u+x -exec cp {} "$stage/tests/" \;
cp "$top"/build/selftests/kvm/aarch64/{vgic_lpi_stress,vgic_irq} "$stage/tests/"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 > "$out/initrd.gz"

start=$(date +%s)
rc=0
timeout -k 10 "$timeout" qemu-system-aarch64 \
	-M virt,virtualization=on,gic-version=4 -cpu max -smp 2 -m 1024 \
	-nographic -no-reboot -nic none \
	-kernel "$image" -initrd "$out/initrd.gz" \
	-device edu,addr=0x2 -device edu,addr=0x3 \
	-device edu,addr=0x4 -device edu,addr=0x5 \
	-device virtio-serial-device \
	-chardev file,id=results,path="$out/results.tap" \
	-device virtconsole,chardev=results \
	-append "console=ttyAMA0 kvm-arm.vgic_v4_enable=$v4 vfio.enable_unsafe_noiommu_mode=1 panic=-1 VLPI_PLAN=$plan" \
	</dev/null >"$out/console.log" 2>&1 || rc=$?
echo "run-bed: $plan: QEMU ran $(($(date +%s) - start))s"

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "run-bed: $plan: QEMU timed out after ${timeout}s" >&2
	exit 1
fi
[ "$rc" = 0 ] || { echo "run-bed: $plan: QEMU exited with $rc" >&2; exit 1; }
exit 0
