#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the module, and its KUnit suite, for a kernel other than the
# bed's 6.12 (build/kernel, where make module builds in the checkout):
# the sources are copied into a directory of their own, so that the two
# builds never share objects.
#
#   scripts/build-module.sh KERNEL_OBJECTS DEST
#   e.g. scripts/build-module.sh build/kernel-7.3 build/module-7.3
set -eu
unset MAKEFLAGS MFLAGS MAKELEVEL W C

top=$(cd "$(dirname "$0")/.." && pwd)
obj=$(realpath -m "${1:?usage: build-module.sh KERNEL_OBJECTS DEST}")
mod=$(realpath -m "${2:?usage: build-module.sh KERNEL_OBJECTS DEST}")
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
export CCACHE_BASEDIR=$top

mkdir -p "$mod"
for d in vgic irqchip uapi kunit; do
	mkdir -p "$mod/$d"
	cp -pu "$top/$d"/*.[ch] "$mod/$d/"
done
cp -pu "$top/Kbuild" "$top/dkms.conf" "$mod/"
make -s -C "$obj" M="$mod" CC="ccache ${CROSS_COMPILE}gcc" W=1 modules
echo "build-module: $mod/vlpi_mig.ko"
