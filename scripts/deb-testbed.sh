#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deb-testbed: the test bed's kernel with the enabling series and
# its headers as Debian packages, to show that a kernel packaged with the
# series builds the module with DKMS from its headers package alone. They
# land in build/deb-testbed/:
#
#   linux-image-<release>_<version>_arm64.deb    the kernel's own bindeb-pkg,
#   linux-headers-<release>_<version>_arm64.deb  objects in .../kernel
#
# The kernel is build/linux-6.12 as scripts/build-kernel.sh patched it,
# configured as the bed's kernel (build/kernel/.config) less its debug
# options (kernel/deb.config); its release is 6.12.<n>-vlpi-mig-testbed.
# That configuration boots QEMU's virt machine with an initramfs and has
# no block layer, EFI or ACPI: never install it on a host, whose kernel
# is its distribution's with the series applied
# (Documentation/vlpi-mig/admin-guide.rst). Its object dir persists, so a
# second run recompiles only what changed. Then the packages' contents,
# and a DKMS build of the module against the headers package, unpacked
# into build/deb-testbed/root.
#
#   scripts/deb-testbed.sh
#
# The kernel build's output goes to build/deb-testbed/build.log.
set -eu
# A make that called us must not pass its flags (W=1, C=2, ...) down
unset MAKEFLAGS MFLAGS MAKELEVEL W C

top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/build/linux-6.12
bed=$top/build/kernel
deb=$top/build/deb-testbed
# bindeb-pkg writes its packages to the parent of its object dir: deb
obj=$deb/kernel
log=$deb/build.log
frag=$top/kernel/deb.config
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
maint="Seed f08f34e5 maintainers <maintainers@users.noreply.h-seed-f08f34e5.example>"
jobs=$(($(nproc) + 1))
start=$(date +%s)
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
# Hash paths relative to the checkout, as build-kernel.sh does
export CCACHE_BASEDIR=$top
umask 022

# What kind of binary a file is, if file(1) is there to say
kind() {
	if command -v file >/dev/null; then
		file -b "$1" | cut -d, -f1-2
	else
		echo "(no file(1) to say)"
	fi
}
fail() {
	echo "deb-testbed: FAILED: $*" >&2
	exit 1
}
# The end of the log, on a failure of what writes to it
failed_log() {
	echo "deb-testbed: FAILED: $1; the end of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
}

# The tree must carry patches/ as they are now: build-kernel.sh applies
# them (make deb-testbed builds the bed's kernel first), this script only
# reads it
want=$(cat "$top"/patches/6.12/*.patch | sha1sum | cut -d' ' -f1)
[ "$want" = "$(cat "$src/.vlpi-mig-series" 2>/dev/null)" ] ||
	fail "$src does not carry patches/ as they are now: run make kernel (make deb-testbed does)"
[ -f "$bed/.config" ] || fail "$bed/.config missing: run make kernel (make deb-testbed does)"

mkdir -p "$obj"
: >"$log"

# Configuration: the bed's, with kernel/deb.config merged over it. Redone
# only when either changed, so that .config keeps its date otherwise
stamp=$(cat "$bed/.config" "$frag" | sha1sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$stamp" != "$(cat "$obj/.vlpi-mig-deb-config" 2>/dev/null)" ]; then
	echo "deb-testbed: configuring: build/kernel/.config with kernel/deb.config merged over it"
	# In the object dir: merge_config.sh makes its temporary files in .
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m "$bed/.config" "$frag") >>"$log" 2>&1 ||
		failed_log "merge_config.sh"
	make -s -C "$src" O="$obj" olddefconfig >>"$log" 2>&1 || failed_log "olddefconfig"
	echo "$stamp" >"$obj/.vlpi-mig-deb-config"
fi
# Each line of the fragment must have stuck: an option that another one
# selects would otherwise stay on without a word
bad=0
while read -r line; do
	case $line in
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		# Off, or absent (its dependencies unmet): either will do
		got=$(grep "^$sym=" "$obj/.config") || continue
		;;
	CONFIG_*=*)
		sym=${line%%=*}
		got=$(grep -E "^(# )?${sym}[ =]" "$obj/.config") || got="no $sym at all"
		[ "$got" != "$line" ] || continue
		;;
	*) continue ;;
	esac
	echo "deb-testbed: kernel/deb.config has '$line', the configuration '$got'" >&2
	bad=1
done <"$frag"
[ $bad = 0 ] || fail "kernel/deb.config did not stick in build/deb-testbed/kernel/.config (above)"
echo "deb-testbed: configuration checked: every line of kernel/deb.config holds ($(grep -c '^# CONFIG_.* is not set$' "$frag") options off)"

# The packages' version: Debian's linux-source, then the series (released
# with the module, at its version); bindeb-pkg makes the part after the
# last '-' the kernel's build version (uname -v: #1~deb12u1+vlpimig0.1.0)
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
export KDEB_PKGVERSION="$srcver+vlpimig$version"
export KDEB_SOURCENAME=linux-vlpi-mig-testbed KDEB_CHANGELOG_DIST=bookworm
export DEBFULLNAME=${maint% <*} DEBEMAIL=${maint#*<}
DEBEMAIL=${DEBEMAIL%>}
# bindeb-pkg's Build-Depends name libssl-dev for arm64 (a multiarch
# package), for the headers package's sign-file; without module signing
# nothing needs it, so the check is skipped (-d): scripts/deps.sh deb
# installs the rest. terse: kbuild's short output, not the commands
export DPKG_FLAGS=-d DEB_BUILD_OPTIONS=terse

rm -f "$deb"/linux-*.deb "$deb"/linux-*.buildinfo "$deb"/linux-*.changes
echo "deb-testbed: building linux-image and linux-headers (bindeb-pkg, ccache, -j$jobs; log: build/deb-testbed/build.log)"
# LOCALVERSION set (empty) keeps setlocalversion from appending "+" for
# the tree's git repository: the release is CONFIG_LOCALVERSION's alone
make -C "$src" O="$obj" CC="ccache ${CROSS_COMPILE}gcc" LOCALVERSION= \
	-j"$jobs" bindeb-pkg >>"$log" 2>&1 || failed_log "bindeb-pkg"

release=$(cat "$obj/include/config/kernel.release")
image=$deb/linux-image-${release}_${KDEB_PKGVERSION}_arm64.deb
headers=$deb/linux-headers-${release}_${KDEB_PKGVERSION}_arm64.deb
for f in "$image" "$headers"; do
	[ -f "$f" ] || failed_log "bindeb-pkg made no $(basename "$f")"
done
# Not wanted on a host: linux-libc-dev would replace the distribution's
# own userspace headers; the .changes and .buildinfo list it
rm -f "$deb"/linux-libc-dev_*.deb "$deb"/linux-*.buildinfo "$deb"/linux-*.changes
echo "deb-testbed: kernel release $release, package version $KDEB_PKGVERSION"

# Their contents: the kernel image's first lines, /boot and the modules;
# the headers' size and what an external module's build reads
n=$(dpkg-deb -c "$image" | grep -cE '\.ko(\.[gx]z|\.zst)?$' || true)
echo "deb-testbed: $(basename "$image"): $(dpkg-deb -c "$image" | wc -l) entries, $n modules (.ko), among them"
dpkg-deb -c "$image" | awk 'NR <= 2 || /\/boot\/|\.ko(\.[gx]z|\.zst)?$/' | sed 's/^/  /'
echo "deb-testbed: $(basename "$headers"): $(dpkg-deb -c "$headers" | wc -l) entries, among them"
dpkg-deb -c "$headers" |
	grep -E 'linux-headers-[^/]*/(Makefile|Module\.symvers)$|/include/config/(auto\.conf|kernel\.release)$|/scripts/(basic/fixdep|mod/modpost)$|/include/kvm/arm_vgic_mig\.h$|/build -> ' |
	sed 's/^/  /'

# A DKMS build of the module against the headers package, as an arm64
# host would run it after dpkg -i
echo "deb-testbed: unpacking $(basename "$headers") into build/deb-testbed/root"
root=$deb/root
rm -rf "$root"
dpkg-deb -x "$headers" "$root"
kdir=$root/usr/src/linux-headers-$release
if [ "$(uname -m)" != aarch64 ]; then
	# The headers package is built for the host that installs it: in
	# 6.12, scripts/package/install-extmod-build rebuilds its host
	# programs with the cross compiler, so they are arm64 binaries
	# and this host cannot run them. An external module's build runs
	# two of them, fixdep and modpost (genksyms and sign-file only with
	# MODVERSIONS or module signing, both off). Rebuild those two with
	# this host's compiler, from the package's own sources, as
	# install-extmod-build's second pass does, in this unpacked copy
	# only: an external build of the tree's scripts/ dir, which a
	# Kbuild file there narrows to basic/ (fixdep, built first, then
	# run after each compile) and mod/modpost. An arm64 host uses the
	# tree as shipped.
	echo "deb-testbed: scripts/basic/fixdep as shipped: $(kind "$kdir/scripts/basic/fixdep")"
	! grep -qE '^CONFIG_(MODVERSIONS|MODULE_SIG)=y' "$kdir/include/config/auto.conf" ||
		fail "MODVERSIONS or MODULE_SIG is on: the test would need genksyms or sign-file for this host too"
	echo "deb-testbed: rebuilding fixdep and modpost in the unpacked copy with this host's gcc"
	printf 'subdir-y := scripts\n' >"$kdir/Kbuild"
	cat >"$kdir/scripts/Kbuild" <<-'EOF'
	subdir-y := basic
	hostprogs-always-y := mod/modpost
	mod/modpost-objs := $(addprefix mod/, modpost.o file2alias.o sumversion.o symsearch.o)
	EOF
	make -C "$kdir" HOSTCC=gcc KBUILD_EXTMOD="$kdir" scripts/ >>"$log" 2>&1 ||
		failed_log "rebuilding fixdep and modpost"
	rm -f "$kdir/Kbuild" "$kdir/scripts/Kbuild"
	find "$kdir" \( -name '.*.cmd' -o -name '*.o' \) -delete
	echo "deb-testbed: scripts/basic/fixdep now: $(kind "$kdir/scripts/basic/fixdep")"
fi
echo "deb-testbed: DKMS build against $(basename "$headers")"
rc=0
"$top/scripts/dkms.sh" build "$kdir" "$release" || rc=$?

t=$(($(date +%s) - start))
echo "deb-testbed: in build/deb-testbed: $(basename "$image") $(basename "$headers")"
if [ $rc != 0 ]; then
	echo "deb-testbed: FAILED: the DKMS build against the headers package (above); the packages are built (${t}s)" >&2
	exit $rc
fi
echo "deb-testbed: done in $((t / 60))m$((t % 60))s"
