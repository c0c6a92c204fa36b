#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deb: the kernel with the enabling series, its headers, and the
# module as a DKMS package, as Debian packages an arm64 Debian host
# installs with dpkg -i. All three land in build/deb/:
#
#   linux-image-<release>_<version>_arm64.deb    the kernel's own bindeb-pkg,
#   linux-headers-<release>_<version>_arm64.deb  objects in build/deb/kernel
#   vlpi-mig-dkms_<dkms.conf version>_all.deb    dpkg-deb, from a staged tree
#
# The kernel is build/linux-6.12 as scripts/build-kernel.sh patched it,
# configured as the bed's kernel (build/kernel/.config) less its debug
# options (kernel/deb.config); its release is 6.12.<n>-vlpi-mig. Its
# object dir persists, so a second run recompiles only what changed.
# Then each package's contents, and a DKMS build of the module against
# the headers package, unpacked into build/deb/root.
#
#   scripts/deb.sh
#
# The kernel build's output goes to build/deb/build.log.
set -eu
# A make that called us must not pass its flags (W=1, C=2, ...) down
unset MAKEFLAGS MFLAGS MAKELEVEL W C

top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/build/linux-6.12
bed=$top/build/kernel
deb=$top/build/deb
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
	echo "deb: FAILED: $*" >&2
	exit 1
}
# The end of the log, on a failure of what writes to it
failed_log() {
	echo "deb: FAILED: $1; the end of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
}

# The tree must carry patches/ as they are now: build-kernel.sh applies
# them (make deb builds the bed's kernel first), this script only reads it
want=$(cat "$top"/patches/6.12/*.patch | sha1sum | cut -d' ' -f1)
[ "$want" = "$(cat "$src/.vlpi-mig-series" 2>/dev/null)" ] ||
	fail "$src does not carry patches/ as they are now: run make kernel (make deb does)"
[ -f "$bed/.config" ] || fail "$bed/.config missing: run make kernel (make deb does)"

mkdir -p "$obj"
: >"$log"

# Configuration: the bed's, with kernel/deb.config merged over it. Redone
# only when either changed, so that .config keeps its date otherwise
stamp=$(cat "$bed/.config" "$frag" | sha1sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$stamp" != "$(cat "$obj/.vlpi-mig-deb-config" 2>/dev/null)" ]; then
	echo "deb: configuring: build/kernel/.config with kernel/deb.config merged over it"
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
	echo "deb: kernel/deb.config has '$line', the configuration '$got'" >&2
	bad=1
done <"$frag"
[ $bad = 0 ] || fail "kernel/deb.config did not stick in build/deb/kernel/.config (above)"
echo "deb: configuration checked: every line of kernel/deb.config holds ($(grep -c '^# CONFIG_.* is not set$' "$frag") options off)"

# The packages' version: Debian's linux-source, then the series (released
# with the module, at its version); bindeb-pkg makes the part after the
# last '-' the kernel's build version (uname -v: #1~deb12u1+vlpimig0.1.0)
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
export KDEB_PKGVERSION="$srcver+vlpimig$version"
export KDEB_SOURCENAME=linux-vlpi-mig KDEB_CHANGELOG_DIST=bookworm
export DEBFULLNAME=${maint% <*} DEBEMAIL=${maint#*<}
DEBEMAIL=${DEBEMAIL%>}
# bindeb-pkg's Build-Depends name libssl-dev for arm64 (a multiarch
# package), for the headers package's sign-file; without module signing
# nothing needs it, so the check is skipped (-d): scripts/deps.sh deb
# installs the rest. terse: kbuild's short output, not the commands
export DPKG_FLAGS=-d DEB_BUILD_OPTIONS=terse

rm -f "$deb"/linux-*.deb "$deb"/linux-*.buildinfo "$deb"/linux-*.changes
echo "deb: building linux-image and linux-headers (bindeb-pkg, ccache, -j$jobs; log: build/deb/build.log)"
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
echo "deb: kernel release $release, package version $KDEB_PKGVERSION"

# The DKMS package: the sources DKMS builds from in /usr/src, and the
# maintainer scripts dh_dkms would write for them
dkms_deb=$deb/vlpi-mig-dkms_${version}_all.deb
stage=$deb/vlpi-mig-dkms
rm -rf "$stage"
"$top/scripts/dkms.sh" stage "$stage/usr/src/vlpi-mig-$version"
mkdir -p "$stage/DEBIAN" "$stage/usr/share/doc/vlpi-mig-dkms"
cat >"$stage/usr/share/doc/vlpi-mig-dkms/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: vlpi-mig

Files: *
Copyright: vlpi-mig contributors
License: GPL-2.0-only
 On Debian systems, the full text of the GNU General Public License
 version 2 can be found in /usr/share/common-licenses/GPL-2.
EOF
cat >"$stage/DEBIAN/control" <<EOF
Package: vlpi-mig-dkms
Version: $version
Architecture: all
Maintainer: $maint
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: dkms (>= 2.1.0.0)
Section: kernel
Priority: optional
Description: live migration of directly injected vLPIs for arm64 KVM (DKMS)
 The vlpi_mig module carries the pending state of the vLPIs that a GICv4
 host injects straight into a guest (the MSIs of a device passed through
 with VFIO) across a VM's migration; upstream arm64 KVM drops it.
 .
 It needs a kernel carrying the vlpi-mig enabling series for Linux 6.12,
 as the linux-image-*-vlpi-mig package built with it does, and that
 kernel's headers package. DKMS refuses to build it for any other kernel,
 and says what is missing.
EOF
# As dh_dkms's postinst: Debian's DKMS helper adds the module, then builds
# and installs it for the running kernel and the newest installed one
# (every kernel, the first time, from a chroot), where headers are present
cat >"$stage/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e

case "\$1" in
configure)
	if [ ! -f /usr/lib/dkms/common.postinst ]; then
		echo "vlpi-mig-dkms: /usr/lib/dkms/common.postinst missing: this DKMS is too old" >&2
		exit 1
	fi
	/usr/lib/dkms/common.postinst vlpi-mig $version /usr/share/vlpi-mig-dkms "" "\$2"
	;;
esac

exit 0
EOF
# As dh_dkms's prerm: the module out of DKMS, for every kernel
cat >"$stage/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e

case "\$1" in
remove|upgrade|deconfigure)
	if [ "\$(dkms status -m vlpi-mig -v $version)" ]; then
		dkms remove -m vlpi-mig -v $version --all
	fi
	;;
esac

exit 0
EOF
chmod 755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$dkms_deb" >>"$log" 2>&1 ||
	failed_log "dpkg-deb --build $stage"

# Their contents: the kernel image's first lines, /boot and the modules;
# the headers' size and what an external module's build reads; all of
# the DKMS package
n=$(dpkg-deb -c "$image" | grep -cE '\.ko(\.[gx]z|\.zst)?$' || true)
echo "deb: $(basename "$image"): $(dpkg-deb -c "$image" | wc -l) entries, $n modules (.ko), among them"
dpkg-deb -c "$image" | awk 'NR <= 2 || /\/boot\/|\.ko(\.[gx]z|\.zst)?$/' | sed 's/^/  /'
echo "deb: $(basename "$headers"): $(dpkg-deb -c "$headers" | wc -l) entries, among them"
dpkg-deb -c "$headers" |
	grep -E 'linux-headers-[^/]*/(Makefile|Module\.symvers)$|/include/config/(auto\.conf|kernel\.release)$|/scripts/(basic/fixdep|mod/modpost)$|/include/kvm/arm_vgic_mig\.h$|/build -> ' |
	sed 's/^/  /'
echo "deb: $(basename "$dkms_deb"):"
dpkg-deb -c "$dkms_deb" | sed 's/^/  /'

# A DKMS build of the module against the headers package, as an arm64
# host would run it after dpkg -i
echo "deb: unpacking $(basename "$headers") into build/deb/root"
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
	echo "deb: scripts/basic/fixdep as shipped: $(kind "$kdir/scripts/basic/fixdep")"
	! grep -qE '^CONFIG_(MODVERSIONS|MODULE_SIG)=y' "$kdir/include/config/auto.conf" ||
		fail "MODVERSIONS or MODULE_SIG is on: the test would need genksyms or sign-file for this host too"
	echo "deb: rebuilding fixdep and modpost in the unpacked copy with this host's gcc"
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
	echo "deb: scripts/basic/fixdep now: $(kind "$kdir/scripts/basic/fixdep")"
fi
echo "deb: DKMS build against $(basename "$headers")"
rc=0
"$top/scripts/dkms.sh" build "$kdir" "$release" || rc=$?

t=$(($(date +%s) - start))
echo "deb: in build/deb: $(basename "$image") $(basename "$headers") $(basename "$dkms_deb")"
if [ $rc != 0 ]; then
	echo "deb: FAILED: the DKMS build against the headers package (above); the packages are built (${t}s)" >&2
	exit $rc
fi
echo "deb: done in $((t / 60))m$((t % 60))s"
