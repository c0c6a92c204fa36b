#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deb: the Debian source package vlpi-mig, built as Debian builds
# one (dpkg-buildpackage, debhelper and dh-dkms, from debian/), and its
# two binary packages, in build/deb/:
#
#   vlpi-mig_<version>.orig.tar.xz      the checkout's files, as git lists
#                                       them (committed or not), without
#                                       debian/
#   vlpi-mig_<version>-<rev>.dsc, .debian.tar.xz, .changes, .buildinfo
#   vlpi-mig-dkms_<version>-<rev>_all.deb  the module's sources for DKMS
#   vlpi-mig-dev_<version>-<rev>_all.deb   the header a VMM includes
#
# Then lintian on the .changes (any error or warning fails), each
# package's contents, and a DKMS build of the module from the sources the
# DKMS package unpacks, against the bed's kernel (build/kernel, which
# carries the series). The host's own kernel is never packaged here: a
# host takes the series into its distribution's kernel
# (Documentation/vlpi-mig/admin-guide.rst); make deb-testbed packages
# the bed's.
#
#   scripts/deb.sh
set -eu
unset MAKEFLAGS MFLAGS MAKELEVEL W C

top=$(cd "$(dirname "$0")/.." && pwd)
deb=$top/build/deb
log=$deb/build.log
start=$(date +%s)
umask 022

fail() {
	echo "deb: FAILED: $*" >&2
	exit 1
}
failed_log() {
	echo "deb: FAILED: $1; the end of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
}

cd "$top"
src=$(dpkg-parsechangelog -S Source)
full=$(dpkg-parsechangelog -S Version)
upver=${full%-*}
tree=$deb/$src-$upver

rm -rf "$deb"
mkdir -p "$deb"
: >"$log"

# The upstream tarball: reproducible (names sorted, owner root, every
# file dated by the last commit)
echo "deb: $src $full: ${src}_$upver.orig.tar.xz from the checkout's files"
git ls-files -co --exclude-standard -z | grep -zv '^debian/' |
	tar --null -T - --transform "s|^|$src-$upver/|" --sort=name \
		--owner=0 --group=0 --numeric-owner \
		--mtime="@$(git log -1 --format=%ct)" -cf - |
	xz -9 >"$deb/${src}_$upver.orig.tar.xz"
tar -C "$deb" -xf "$deb/${src}_$upver.orig.tar.xz"
cp -a debian "$tree/"

echo "deb: dpkg-buildpackage -us -uc (log: build/deb/build.log)"
(cd "$tree" && dpkg-buildpackage -us -uc) >>"$log" 2>&1 ||
	failed_log "dpkg-buildpackage"
changes=$deb/${src}_${full}_$(dpkg --print-architecture).changes
[ -f "$changes" ] || failed_log "dpkg-buildpackage made no $(basename "$changes")"
grep -E '^dpkg-(source|genchanges|buildpackage): info:' "$log" | sed 's/^/  /'

# Lintian on the source and both binary packages: errors and warnings
# fail; informational tags are printed
echo "deb: lintian $(basename "$changes")"
lintian --display-info "$changes" >"$deb/lintian.log" 2>&1 || true
sed 's/^/  /' "$deb/lintian.log"
! grep -qE '^[EW]: ' "$deb/lintian.log" ||
	fail "lintian reports errors or warnings (above)"
echo "deb: lintian: $(grep -cE '^[EW]: ' "$deb/lintian.log") errors or warnings, $(grep -cE '^[IPX]: ' "$deb/lintian.log") other tags"

for p in "$deb"/*.deb; do
	echo "deb: $(basename "$p"):"
	dpkg-deb -f "$p" Package Version Architecture Depends | sed 's/^/  /'
	dpkg-deb -c "$p" | sed 's/^/  /'
done

# What a host's dpkg -i of vlpi-mig-dkms leaves in /usr/src, built by
# DKMS against the bed's kernel
dkms_deb=$(ls "$deb"/vlpi-mig-dkms_*_all.deb)
root=$deb/root
dpkg-deb -x "$dkms_deb" "$root"
usrsrc=$root/usr/src/vlpi-mig-$upver
[ -f "$usrsrc/dkms.conf" ] || fail "$(basename "$dkms_deb") has no /usr/src/vlpi-mig-$upver/dkms.conf"
[ -f "$top/build/kernel/include/config/kernel.release" ] ||
	fail "build/kernel is not built: make deb builds it first"
echo "deb: DKMS build of $(basename "$dkms_deb")'s sources against build/kernel"
"$top/scripts/dkms.sh" build "$top/build/kernel" "" "$usrsrc"

t=$(($(date +%s) - start))
echo "deb: done in $((t / 60))m$((t % 60))s: build/deb/$(cd "$deb" && echo *.deb)"
