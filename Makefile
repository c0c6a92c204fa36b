# SPDX-License-Identifier: GPL-2.0-only
#
# vlpi-mig: the targets a user runs. The module itself is built by Kbuild,
# out of tree: make -C $(KDIR) M=$(CURDIR)
#
#   make demo       the main job, in the emulated GICv4 host
#   make demo-qemu  the same job with an unmodified QEMU as the VMM
#   make check      every test: lint, KUnit, selftests, upstream baseline
#   make bench      module against upstream, timed: a table, a plot, two lines

KSRC	?= $(CURDIR)/build/linux-6.12
KDIR	?= $(CURDIR)/build/kernel
CROSS	:= aarch64-linux-gnu-
KMAKE	:= $(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=arm64 CROSS_COMPILE=$(CROSS)

.PHONY: all deps headers kernel module selftests edu-driver qemu-userspace check \
	demo demo-qemu bench bench-deps clean distclean

EDU	:= $(CURDIR)/tools/testing/selftests/vlpi_mig/edu_vfio_pci

all: module

deps:
	@scripts/deps.sh

# The tree, its configuration and its UAPI headers: what the selftests
# need, so that they build while the kernel compiles
headers: deps
	@scripts/build-kernel.sh --headers

kernel: headers
	@scripts/build-kernel.sh

module: kernel
	+$(KMAKE) CC="ccache $(CROSS)gcc" W=1 modules

selftests: headers
	@$(MAKE) -s -C tools/testing/selftests/vlpi_mig KSRC=$(KSRC) \
		KHDR=$(KDIR)/usr/include OUTPUT=$(CURDIR)/build/selftests
	@$(MAKE) -s -C tools/testing/selftests/vlpi_mig/guest \
		OUTPUT=$(CURDIR)/build/selftests

# The test-only VFIO migration driver for the edu, which QEMU needs
edu-driver: kernel
	+$(MAKE) -C $(KDIR) M=$(EDU) ARCH=arm64 CROSS_COMPILE=$(CROSS) \
		CC="ccache $(CROSS)gcc" W=1 modules

# QEMU's arm64 userspace from Debian, as an initramfs segment for the bed
qemu-userspace: deps
	@scripts/qemu-userspace.sh

# The selftests build and QEMU's userspace is fetched while the kernel
# compiles
check:
	@$(MAKE) -j3 --no-print-directory module selftests edu-driver qemu-userspace
	@scripts/check.sh

demo: module selftests
	@scripts/demo.sh

demo-qemu: module selftests edu-driver qemu-userspace
	@scripts/demo-qemu.sh

# gnuplot, which only make bench needs; after deps, so that two apt-get
# never run at once
bench-deps: deps
	@scripts/deps.sh bench

# Not part of check: Documentation/vlpi-mig/bench-table.rst and bench.png,
# then the save's speedup and unforward's cost against upstream
bench: bench-deps module selftests
	@scripts/bench.sh

clean:
	-$(KMAKE) clean
	-$(MAKE) -C $(KDIR) M=$(EDU) ARCH=arm64 CROSS_COMPILE=$(CROSS) clean
	rm -rf build/selftests build/initramfs build/out

distclean: clean
	rm -rf build
