# SPDX-License-Identifier: GPL-2.0-only
#
# vlpi-mig: the targets a user runs. The module itself is built by Kbuild,
# out of tree: make -C $(KDIR) M=$(CURDIR)
#
#   make demo       the main job, in the emulated GICv4.1 host
#   make demo-qemu  the same job with an unmodified QEMU as the VMM
#   make check      every test: lint, KUnit, selftests, upstream baseline
#   make bench      module against upstream, timed: a table, a plot, a row per save
#   make fuzz       the fuzzers, longer than make check has time for
#                   (SEED=S PART=K/N: the K-th of N slices of seed S's run)
#   make deb        the Debian source package: vlpi-mig-dkms, vlpi-mig-dev
#   make deb-testbed  the bed's kernel and headers as .debs, for DKMS's test
#   make install    the module into $(DESTDIR)/lib/modules/<release>/updates
#   make install-uapi  the VMM's header into $(DESTDIR)$(includedir)/vlpi-mig
#   make uninstall  both removed again
#   make dkms-build a DKMS build of the module against $(KDIR)
#   make vanilla    both refusals, on a 6.12 without the series
#   make docs       Documentation/vlpi-mig as HTML, with Sphinx
#   make lint       the static checks make check runs

KSRC	?= $(CURDIR)/build/linux-6.12
KDIR	?= $(CURDIR)/build/kernel
CROSS	:= aarch64-linux-gnu-
KMAKE	:= $(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=arm64 CROSS_COMPILE=$(CROSS)

prefix		?= /usr/local
includedir	?= $(prefix)/include
KRELEASE	= $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)

.PHONY: all deps headers kernel kernel-7.3 module module-7.3 selftests \
	edu-driver qemu-userspace \
	qemu-gicv4.1 check \
	demo demo-qemu bench bench-deps fuzz deb deb-testbed install install-uapi \
	uninstall \
	dkms-build vanilla docs lint clean distclean

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

# Debian's Linux 7.3 (trixie-backports) with patches/7.3/, and the module
# built for it, for the 7.3 bed (plan v73)
kernel-7.3: deps
	@VLPI_KERNEL=7.3 scripts/build-kernel.sh

module-7.3: kernel-7.3
	@scripts/build-module.sh build/kernel-7.3 build/module-7.3

# Against the bed's kernel, built first; or against KDIR=<a kernel tree
# with the series>, as is
ifeq ($(KDIR),$(CURDIR)/build/kernel)
module install dkms-build: kernel
endif

module:
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

# QEMU's arm64 userspace from Debian, as an initramfs segment for the bed:
# trixie's 10.0 and trixie-backports' 11.1
qemu-userspace: deps
	@scripts/qemu-userspace.sh
	@VLPI_QEMU_SERIES=11.1 scripts/qemu-userspace.sh

# The bed's outer QEMU with the GICv4.1 model (qemu-gicv4.1/), built from
# Debian's QEMU source and cached under build/qemu-gicv4.1
qemu-gicv4.1: deps
	@qemu-gicv4.1/build.sh >/dev/null

# The selftests and the GICv4.1 QEMU build, and QEMU's userspace is
# fetched, while the kernel compiles
check:
	@$(MAKE) -j3 --no-print-directory module module-7.3 selftests edu-driver qemu-userspace qemu-gicv4.1
	@scripts/check.sh

demo: module selftests qemu-gicv4.1
	@scripts/demo.sh

demo-qemu: module selftests edu-driver qemu-userspace qemu-gicv4.1
	@scripts/demo-qemu.sh

# gnuplot, which only make bench needs; after deps, so that two apt-get
# never run at once
bench-deps: deps
	@scripts/deps.sh bench

# Not part of check: Documentation/vlpi-mig/bench-table.rst and bench.png,
# and each save's row against upstream. On a kernel without the bed's
# checkers, with the module built for it (scripts/bench-kernel.sh)
bench: bench-deps kernel selftests qemu-gicv4.1
	@scripts/bench-kernel.sh
	@scripts/bench.sh

# Not part of check: the fuzzers for hours rather than minutes
fuzz: module selftests qemu-gicv4.1
	@scripts/fuzz.sh

# debian/ built as Debian builds it: vlpi-mig-dkms and vlpi-mig-dev, with
# lintian, then DKMS builds the packaged sources against the bed's kernel;
# not part of check
deb: kernel
	@scripts/deps.sh deb
	@scripts/deb.sh

# The bed's kernel and headers as packages (never for a host), and DKMS
# against the headers package alone; not part of check
deb-testbed: module
	@scripts/deps.sh deb
	@scripts/deb-testbed.sh

# Into $(DESTDIR)/lib/modules/$(KRELEASE)/updates, then depmod; built
# against $(KDIR), so for the kernel built there (the bed's, or KDIR=)
install: module
	+$(KMAKE) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates modules_install

# The header a VMM includes, as the kernel's headers_install.sh would
# install it (the guard's _UAPI_ prefix dropped; make lint checks that the
# two agree): nothing is built, no kernel tree needed
install-uapi:
	@mkdir -p $(DESTDIR)$(includedir)/vlpi-mig
	@sed 's/\b_UAPI_VLPI_MIG_H\b/_VLPI_MIG_H/' uapi/vlpi_mig.h \
		> $(DESTDIR)$(includedir)/vlpi-mig/vlpi_mig.h
	@echo "  INSTALL $(DESTDIR)$(includedir)/vlpi-mig/vlpi_mig.h"

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KRELEASE)/updates/vlpi_mig.ko \
		$(DESTDIR)/lib/modules/$(KRELEASE)/updates/vlpi_mig_kunit.ko
	rm -f $(DESTDIR)$(includedir)/vlpi-mig/vlpi_mig.h
	-rmdir $(DESTDIR)$(includedir)/vlpi-mig 2>/dev/null
	-[ ! -f $(KDIR)/System.map ] || /sbin/depmod -b $(or $(DESTDIR),/) $(KRELEASE)

# A DKMS build in a tree of its own under build/dkms (the host's
# /var/lib/dkms is left alone), against the kernel in $(KDIR)
dkms-build:
	@scripts/dkms.sh build $(KDIR)

# Not part of check: Linux 6.12 without the series (build/vanilla-src),
# where DKMS must refuse the module and the kernel must refuse to load it
vanilla: module selftests
	@scripts/vanilla.sh

docs:
	@scripts/docs.sh

# The static checks make check runs (scripts/lint.sh), on their own
lint: module qemu-gicv4.1
	@scripts/lint.sh

clean:
	-$(KMAKE) clean
	-$(MAKE) -C $(KDIR) M=$(EDU) ARCH=arm64 CROSS_COMPILE=$(CROSS) clean
	rm -rf build/selftests build/initramfs build/out

distclean: clean
	rm -rf build
