#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot the emulated GICv4 host on a plan and read its results back.
#
#   scripts/run-bed.sh PLAN
#
# VLPI_GIC=4.1 boots the host on the GICv4.1 model (qemu-gicv4.1/, built
# into build/qemu-gicv4.1 by its build.sh, -M ...,gic-version=4.1);
# VLPI_GIC=4.0, the default, on the installed QEMU's GICv4.0. The host's
# GIC goes on the kernel command line (vlpi_host_gic=), for the tests
# whose expectations depend on it.
#
# SEED=N gives the fuzzers their seed (vlpi_seed= on the command line),
# to replay a run; without it each run takes a new one, and prints it.
# PART=K/N runs only the K-th of N slices of each fuzzer's sequences
# (vlpi_fuzz_part=), so that N boots of one SEED make one long run.
#
# VLPI_V4=0 boots the host with GICv4 direct injection off
# (kvm-arm.vgic_v4_enable=0); it is on by default.
#
# VLPI_BED_IMAGE=PATH boots that kernel Image instead of the bed's,
# build/kernel/arch/arm64/boot/Image (scripts/vanilla.sh boots one
# without the enabling series).
#
# VLPI_BED_MODULES=DIR takes vlpi_mig.ko (and vlpi_mig_kunit.ko, if DIR
# has one) from DIR instead of the checkout: the module built for
# VLPI_BED_IMAGE's kernel (scripts/bench-kernel.sh builds both).
#
# VLPI_BED=qemu boots the host that runs QEMU as its VMM: an emulated
# SMMUv3 in front of one edu (a real IOMMU group, which QEMU's vfio-pci
# needs), 2 GiB of RAM, and QEMU's arm64 userspace in /qemu: the
# uncompressed cpio scripts/qemu-userspace.sh makes, appended to the
# initramfs. VLPI_QEMU_SERIES=11.1 puts trixie-backports' QEMU 11.1
# there instead of trixie's 10.0.
#
# VLPI_BED=bench boots the minimal host (the four edu at 00:02.0-00:05.0,
# vfio no-IOMMU) with three of QEMU's nvme beside them, for many MSI-X
# vectors through VFIO: 00:06.0 to 00:08.0, 1b36:0010, 2048 vectors each
# (msix_qsize's most) and as many I/O queue pairs, so that a user could
# give every vector a completion queue. The bed kernel has no block layer:
# nothing but vfio-pci (bind-vfio 1b36 0010 ...) takes them.
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
image=${VLPI_BED_IMAGE:-$top/build/kernel/arch/arm64/boot/Image}
timeout=${VLPI_BED_TIMEOUT:-1500}
v4=${VLPI_V4:-1}
bed=${VLPI_BED:-minimal}
gic=${VLPI_GIC:-4.0}
case $gic in
4.0)
	qemu=qemu-system-aarch64
	gicv=4
	;;
4.1)
	qemu=$top/build/qemu-gicv4.1/obj/qemu-system-aarch64
	[ -x "$qemu" ] || { echo "run-bed: no $qemu (qemu-gicv4.1/build.sh)" >&2; exit 2; }
	gicv=4.1
	;;
*)
	echo "run-bed: unknown VLPI_GIC=$gic (4.0 or 4.1)" >&2
	exit 2
	;;
esac

[ -f "$top/initramfs/plans/$plan.plan" ] || { echo "run-bed: no plan initramfs/plans/$plan.plan" >&2; exit 2; }

rm -rf "$stage" "$out"
mkdir -p "$stage"/{plans,modules,tests} "$out"
aarch64-linux-gnu-gcc -static -O2 -Wall -o "$stage/init" "$top/initramfs/init.c"
cp "$top"/initramfs/plans/*.plan "$stage/plans/"
mods=${VLPI_BED_MODULES:-$top}
cp "$mods/vlpi_mig.ko" "$stage/modules/"
[ ! -f "$mods/vlpi_mig_kunit.ko" ] || cp "$mods/vlpi_mig_kunit.ko" "$stage/modules/"
edu_ko=$top/tools/testing/selftests/vlpi_mig/edu_vfio_pci/edu_vfio_pci.ko
[ ! -f "$edu_ko" ] || cp "$edu_ko" "$stage/modules/"
# Only the tests the plan runs: the initramfs is unpacked on a KASAN
# kernel under TCG, at about a second per megabyte
for t in $(grep -o '/tests/[A-Za-z0-9_.-]*' "$top/initramfs/plans/$plan.plan" | sort -u); do
	t=${t#/tests/}
	for f in "$top/build/selftests/$t" "$top/build/selftests/kvm/aarch64/$t"; do
		[ -f "$f" ] && { cp "$f" "$stage/tests/"; continue 2; }
	done
	echo "run-bed: $plan runs /tests/$t, which is not built" >&2
	exit 2
done
# vlpi_mig_qemu hands QEMU the bare-metal guest
[ ! -f "$stage/tests/vlpi_mig_qemu" ] || cp "$top/build/selftests/vlpi_guest.elf" "$stage/tests/"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 > "$out/initrd"

case $bed in
minimal)
	machine=virt,virtualization=on,gic-version=$gicv
	mem=1024
	devices=(-device edu,addr=0x2 -device edu,addr=0x3
		 -device edu,addr=0x4 -device edu,addr=0x5)
	noiommu=vfio.enable_unsafe_noiommu_mode=1
	;;
bench)
	machine=virt,virtualization=on,gic-version=$gicv
	mem=1024
	devices=(-device edu,addr=0x2 -device edu,addr=0x3
		 -device edu,addr=0x4 -device edu,addr=0x5
		 -device nvme,serial=vbench0,addr=0x6,max_ioqpairs=2047,msix_qsize=2048
		 -device nvme,serial=vbench1,addr=0x7,max_ioqpairs=2047,msix_qsize=2048
		 -device nvme,serial=vbench2,addr=0x8,max_ioqpairs=2047,msix_qsize=2048)
	noiommu=vfio.enable_unsafe_noiommu_mode=1
	;;
qemu)
	# The kernel unpacks concatenated archives, compressed or not; an
	# uncompressed one must start 4-byte aligned (zeros are skipped)
	# Without it every QEMU test of the plan could only skip: refuse
	case ${VLPI_QEMU_SERIES:-10.0} in
	10.0) userspace=$top/build/qemu-bed/qemu.cpio ;;
	*) userspace=$top/build/qemu-bed-$VLPI_QEMU_SERIES/qemu.cpio ;;
	esac
	if [ ! -f "$userspace" ]; then
		echo "run-bed: $plan: no $userspace (make qemu-userspace)" >&2
		exit 2
	fi
	head -c $(((4 - $(stat -c %s "$out/initrd") % 4) % 4)) /dev/zero >> "$out/initrd"
	cat "$userspace" >> "$out/initrd"
	machine=virt,virtualization=on,gic-version=$gicv,iommu=smmuv3
	mem=2048
	# A second edu behind a root port, 0000:01:00.0: its secondary bus
	# reset is a reset QEMU's vfio-pci can use, so a cpr-transfer's new
	# QEMU has no reason to reset it (and clear its memory decode, which
	# the guest set); 00:02.0, on the root bus, has none
	devices=(-device edu,addr=0x2
		 -device pcie-root-port,id=rp1,chassis=1,addr=0x3
		 -device edu,bus=rp1)
	noiommu=
	;;
*)
	echo "run-bed: unknown VLPI_BED=$bed" >&2
	exit 2
	;;
esac

# The bed's CPUs are emulated, with KASAN and lockdep: a kernel loop takes
# about a hundred times what it takes on hardware. 6.12's doorbell
# allocation for a 64-vCPU VM (its_alloc_vcpu_irqs()) ran 22 s without
# scheduling and tripped the 20 s soft-lockup threshold. The detectors
# stay on, with room for that: a soft lockup after 120 s, an RCU stall
# after 60 s.
stall="watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=60"

start=$(date +%s)
rc=0
timeout -k 10 "$timeout" "$qemu" \
	-M "$machine" -cpu max -smp 2 -m "$mem" \
	-nographic -no-reboot -nic none \
	-kernel "$image" -initrd "$out/initrd" \
	"${devices[@]}" \
	-device virtio-serial-device \
	-chardev file,id=results,path="$out/results.tap" \
	-device virtconsole,chardev=results \
	-append "console=ttyAMA0 kvm-arm.vgic_v4_enable=$v4 $noiommu panic=-1 $stall VLPI_PLAN=$plan vlpi_host_gic=$gic${SEED:+ vlpi_seed=$SEED}${PART:+ vlpi_fuzz_part=$PART}" \
	</dev/null >"$out/console.log" 2>&1 || rc=$?
echo "run-bed: $plan: QEMU ran $(($(date +%s) - start))s (GICv$gic)"

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "run-bed: $plan: QEMU timed out after ${timeout}s" >&2
	exit 1
fi
[ "$rc" = 0 ] || { echo "run-bed: $plan: QEMU exited with $rc" >&2; exit 1; }
exit 0
