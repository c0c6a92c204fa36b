# SPDX-License-Identifier: GPL-2.0-only
#
# vlpi-mig: the targets a user runs. The module itself is built by Kbuild,
# out of tree: make -C $(KDIR) M=$(CURDIR)
#
#   make demo    the main job, in the emulated GICv4 host
#   make check   every test: lint, KUnit, selftests, upstream baseline

KSRC	?= $(CURDIR)/build/linux-6.12
KDIR	?= $(CURDIR)/build/kernel
CROSS	:= aarch64-linux-gnu-
KMAKE	:= $(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=arm64 CROSS_COMPILE=$(CROSS)

.PHONY: all deps kernel module selftests check demo clean distclean

all: module

deps:
	@scripts/deps.sh

kernel: deps
	@scripts/build-kernel.sh

module: kernel
	$(KMAKE) CC="ccache $(CROSS)gcc" W=1 modules

selftests: kernel
	@$(MAKE) -s -C tools/testing/selftests/vlpi_mig KSRC=$(KSRC) \
		KHDR=$(KDIR)/usr/include OUTPUT=$(CURDIR)/build/selftests

check: module selftests
	@scripts/check.sh

demo: module selftests
	@scripts/demo.sh

clean:
	-$(KMAKE) clean
	rm -rf build/selftests build/initramfs build/out

distclean: clean
	rm -rf build
