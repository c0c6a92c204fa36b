#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Does the kernel tree (sources or a headers package) in $1 carry the
# vlpi-mig enabling series, at the version this module needs? DKMS runs
# this before it builds (dkms.conf); vgic/vlpi_mig.h makes the same check
# at compile time, and the module once more when it loads.
#
#   scripts/seam-check.sh KERNEL_TREE
#
# Exits 0 and says nothing when the series is there; otherwise prints
# what is missing and exits 1.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?usage: seam-check.sh KERNEL_TREE}
# A tree built with O= has its sources behind "source"
hdr=$kdir/include/kvm/arm_vgic_mig.h
[ -f "$hdr" ] || [ ! -d "$kdir/source/include" ] || hdr=$kdir/source/include/kvm/arm_vgic_mig.h

want=$(sed -n 's/^#define VLPI_MIG_VGIC_VERSION[[:space:]]*\([0-9]*\).*/\1/p' "$top/vgic/vlpi_mig.h")
series="the vlpi-mig enabling series (vlpi-mig's patches/, interface version $want)"
how="Apply the series to the kernel, rebuild and boot it: see Documentation/vlpi-mig/admin-guide.rst, \"Installing\"."

if [ ! -f "$hdr" ]; then
	echo "vlpi-mig: the kernel in $kdir lacks $series: include/kvm/arm_vgic_mig.h not found." >&2
	echo "vlpi-mig: $how" >&2
	exit 1
fi
have=$(sed -n 's/^#define VGIC_MIG_VERSION[[:space:]]*\([0-9]*\).*/\1/p' "$hdr")
if [ "$have" != "$want" ]; then
	echo "vlpi-mig: the kernel in $kdir carries interface version ${have:-none} of the vlpi-mig enabling series; this module needs $series." >&2
	echo "vlpi-mig: $how" >&2
	exit 1
fi
