#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vlpi-mig and DKMS.
#
#   scripts/dkms.sh stage DIR   copy what DKMS builds from into DIR (as
#                               /usr/src/vlpi-mig-<version> holds it)
#   scripts/dkms.sh build KDIR [RELEASE [SRC]]
#                               dkms add and dkms build against the kernel
#                               tree KDIR (sources or a headers package),
#                               in a DKMS tree of its own under
#                               build/dkms/<KDIR's name>: the host's
#                               /var/lib/dkms is left alone. The sources
#                               are SRC, as a package unpacked them into
#                               /usr/src/vlpi-mig-<version>, or staged
#                               from this checkout
#
# On a host that is not arm64, the build cross-compiles: DKMS hands make
# the environment, and kbuild takes ARCH and CROSS_COMPILE from it.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")

stage() {
	local dir=$1
	mkdir -p "$dir"
	# No git: debian/rules stages from an unpacked source package too
	(cd "$top" && cp --parents -t "$dir" dkms.conf Kbuild \
		scripts/seam-check.sh vgic/*.[ch] irqchip/*.[ch] uapi/*.h)
}

case ${1:-} in
stage)
	stage "${2:?usage: dkms.sh stage DIR}"
	;;
build)
	kdir=$(cd "${2:?usage: dkms.sh build KDIR [RELEASE [SRC]]}" && pwd)
	release=${3:-$(cat "$kdir/include/config/kernel.release")}
	base=$top/build/dkms/$(basename "$kdir")${4:+-package}
	rm -rf "$base"
	mkdir -p "$base/tree" "$base/install"
	if [ -n "${4:-}" ]; then
		mkdir -p "$base/src"
		cp -a "$4" "$base/src/vlpi-mig-$version"
	else
		stage "$base/src/vlpi-mig-$version"
	fi
	if [ "$(uname -m)" != aarch64 ]; then
		export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
	fi
	dk=(--dkmstree "$base/tree" --sourcetree "$base/src"
	    --installtree "$base/install")
	dkms add -m vlpi-mig -v "$version" "${dk[@]}" >/dev/null
	dkms build -m vlpi-mig -v "$version" -k "$release" -a aarch64 \
		--kernelsourcedir "$kdir" "${dk[@]}" || {
		rc=$?
		log=$base/tree/vlpi-mig/$version/build/make.log
		[ ! -f "$log" ] || {
			echo "dkms: from $log:"
			grep -m 3 -E 'error' "$log" || tail -n 5 "$log"
		}
		exit $rc
	}
	ko=$(find "$base/tree/vlpi-mig/$version/$release" -name 'vlpi_mig.ko*' | head -n 1)
	echo "dkms: built $ko"
	modinfo -F vermagic "$ko" | sed 's/^/dkms: vermagic: /'
	;;
*)
	echo "usage: dkms.sh stage DIR | build KDIR [RELEASE [SRC]]" >&2
	exit 2
	;;
esac
