#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build qemu-system-aarch64 with the GICv4.1 model: Debian trixie's QEMU
# 10.0 source package, Debian's own patches, then qemu-gicv4.1/patches/.
#
#   qemu-gicv4.1/build.sh        # prints the path of the binary last
#
# Everything it makes is under build/qemu-gicv4.1/:
#   apt/        a separate apt configuration (its own lists, cache and
#               state; deb and deb-src of trixie main from this machine's
#               own Debian archive; signatures checked against
#               /usr/share/keyrings/debian-archive-keyring.gpg)
#   dl/         the source package and trixie's meson .deb
#   src/qemu-V/ the source package unpacked with dpkg-source -x (Debian's
#               patches applied), never touched after
#   tree/       a git copy of src/ at the commit "base", with our series
#               applied by git am on top
#   meson/      trixie's meson (pure Python), unpacked with dpkg-deb -x
#   obj/        the build (out of tree), qemu-system-aarch64 and the
#               model's qtests
#   stamp       source version, hashes of the patches, of this script and
#               of the device list: while it matches, a run only prints
#               the binary's path
#
# Bookworm's meson (1.0) is too old for QEMU 10.0 (>= 1.5): trixie's
# 1.7 is put on PATH and PYTHONPATH. The bookworm packages the build
# needs are installed with apt-get when missing (as root; otherwise the
# command to run is printed).
#
# The build is the aarch64 system emulator only, with no default
# features and, to cut the cold build, no default devices: the device
# list is qemu-gicv4.1/vlpi-bed.mak (the virt machine and what the bed
# adds to it), copied into the tree as
# configs/devices/aarch64-softmmu/vlpi-bed.mak for --with-devices-aarch64.
#
# Environment:
#   QEMU_GICV41_REFRESH=1  ask the archive again for a newer 10.0 source
#   QEMU_GICV41_JOBS=N     ninja's -j (default: the number of CPUs)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
b=$top/build/qemu-gicv4.1
apt_dir=$b/apt
dl=$b/dl
tree=$b/tree
obj=$b/obj
stamp=$b/stamp
series=10.0
suite=trixie
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
devices=vlpi-bed
refresh=${QEMU_GICV41_REFRESH:-0}
jobs=${QEMU_GICV41_JOBS:-$(nproc)}
qtests="arm-gicv41-test"

say() { echo "qemu-gicv4.1: $*"; }
die() { echo "qemu-gicv4.1: $*" >&2; exit 1; }

t0=$(date +%s)
lap=$t0
timing() {
	local now
	now=$(date +%s)
	say "$1: $((now - lap)) s"
	lap=$now
}

mkdir -p "$b"
exec 9> "$b/build.lock"
flock 9

# What the result depends on, besides the source version
want_stamp() {
	local p
	printf 'source %s\n' "$1"
	for p in "$here"/patches/*.patch; do
		[ -f "$p" ] || continue
		printf 'patch %s %s\n' "$(basename "$p")" "$(sha256sum < "$p" | cut -d' ' -f1)"
	done
	printf 'script %s\n' "$(sha256sum < "$0" | cut -d' ' -f1)"
	printf 'devices %s\n' "$(sha256sum < "$here/$devices.mak" | cut -d' ' -f1)"
}
binary=$obj/qemu-system-aarch64

if [ "$refresh" != 1 ] && [ -f "$b/VERSION" ] && [ -x "$binary" ] &&
	[ "$(cat "$stamp" 2>/dev/null)" = "$(want_stamp "$(cat "$b/VERSION")")" ]; then
	say "QEMU $(cat "$b/VERSION") with $(ls "$here"/patches/*.patch | wc -l) patches, cached"
	echo "$binary"
	exit 0
fi

need() {
	command -v "$1" >/dev/null 2>&1 ||
		die "$1 not found: install the Debian package $2 (apt-get install $2)"
}
need apt-get apt
need dpkg-source dpkg-dev
need dpkg-deb dpkg
need gpgv gpgv
need git git
[ -f "$keyring" ] ||
	die "$keyring not found: install the Debian package debian-archive-keyring"

# The bookworm packages the build needs
build_deps="gcc make pkg-config ccache ninja-build python3 python3-venv
	libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev flex bison"
missing=
for p in $build_deps; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		say "installing$missing"
		apt-get -o DPkg::Lock::Timeout=900 -q install -y --no-install-recommends \
			$missing > "$b/deps.log" 2>&1 || {
			cat "$b/deps.log" >&2
			die "apt-get install$missing failed"
		}
	else
		die "missing packages: run as root: apt-get install$missing"
	fi
fi
timing "build dependencies"

# The Debian archive of this machine's own apt sources (debian_uri)
. "$here/../scripts/debian-archive.sh"

uri=$(debian_uri | grep -E '^(https?|file|mirror\+[a-z]+):' | head -n1) || true
[ -n "$uri" ] ||
	die "no Debian archive (a deb line with a release suite and main) in /etc/apt/sources.list{,.d}"

# The separate apt configuration (apt_config), in build/qemu-gicv4.1/apt
conf=$(apt_config "$apt_dir")
mkdir -p "$dl"
cat >>"$conf" <<EOF
APT::Install-Recommends "false";
APT::Sandbox::User "root";
EOF
cat > "$apt_dir/etc/sources.list.d/trixie.sources" <<EOF
Types: deb deb-src
URIs: $uri
Suites: $suite
Components: main
Signed-By: $keyring
EOF
export APT_CONFIG=$conf

update() {
	say "apt-get update ($suite deb and deb-src, from this machine's Debian archive)"
	apt-get -q update > "$apt_dir/update.log" 2>&1 || {
		cat "$apt_dir/update.log" >&2
		die "apt-get update failed (see above; is $keyring recent enough for $suite?)"
	}
	cp "$apt_dir/etc/sources.list.d/trixie.sources" "$apt_dir/updated.sources"
}
if [ "$refresh" = 1 ] ||
	! cmp -s "$apt_dir/etc/sources.list.d/trixie.sources" "$apt_dir/updated.sources"; then
	update
fi

# The newest qemu source of the 10.0 series in trixie
newest_source() {
	apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' |
		while read -r v; do
			case $v in 1:"$series".*) echo "$v" ;; esac
		done | sort -u | {
		best=
		while read -r v; do
			if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
				best=$v
			fi
		done
		echo "$best"
	}
}
version=$(newest_source)
[ -n "$version" ] || die "no qemu source of the $series series in $suite (see $apt_dir/update.log)"
say "QEMU source: qemu $version ($suite)"

# The lists may name files the archive no longer has: ask it once more
dsc=$dl/qemu_${version#*:}.dsc
source_download() {
	(cd "$dl" && apt-get -q source --download-only "qemu=$version") \
		> "$apt_dir/source.log" 2>&1
}
if [ ! -f "$dsc" ] && ! source_download; then
	update
	version=$(newest_source)
	dsc=$dl/qemu_${version#*:}.dsc
	[ -n "$version" ] && source_download || {
		cat "$apt_dir/source.log" >&2
		die "apt-get source qemu=$version failed"
	}
fi
meson_deb=$(ls "$dl"/meson_*_all.deb 2>/dev/null | tail -n1) || true
if [ -z "$meson_deb" ]; then
	(cd "$dl" && apt-get -q download meson) > "$apt_dir/meson.log" 2>&1 || {
		cat "$apt_dir/meson.log" >&2
		die "apt-get download meson ($suite) failed"
	}
	meson_deb=$(ls "$dl"/meson_*_all.deb | tail -n1)
fi
timing "download"

# Debian's source, with Debian's patches (dpkg-source -x applies them)
src=$b/src/qemu-${version#*:}
if [ ! -f "$src/.unpacked" ]; then
	rm -rf "$src"
	mkdir -p "$b/src"
	dpkg-source -x "$dsc" "$src" > "$b/src/unpack.log" 2>&1 || {
		cat "$b/src/unpack.log" >&2
		die "dpkg-source -x $dsc failed"
	}
	touch "$src/.unpacked"
fi

# trixie's meson
mesondir=$b/meson
if [ ! -f "$mesondir/.$(basename "$meson_deb")" ]; then
	rm -rf "$mesondir"
	dpkg-deb -x "$meson_deb" "$mesondir"
	touch "$mesondir/.$(basename "$meson_deb")"
fi
export PATH=$mesondir/usr/bin:$PATH
export PYTHONPATH=$mesondir/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
timing "unpack"

# The tree: a git repository whose commit "base" is Debian's source; the
# series goes on top with git am. A new source version starts a new tree.
# Files the series does not touch keep their times, so that a changed
# series rebuilds only what it changes.
tgit() {
	git -C "$tree" -c user.name="qemu-gicv4.1 build" \
		-c user.email="vlpi-mig@localhost" -c commit.gpgsign=false "$@"
}
if [ "$(cat "$tree/.git/vlpi-source" 2>/dev/null)" != "$version" ]; then
	say "new tree from Debian's source $version"
	rm -rf "$tree" "$obj"
	cp -a "$src" "$tree"
	rm -f "$tree/.unpacked"
	tgit init -q
	tgit add -A -f
	tgit commit -q -m "base: Debian qemu $version (dpkg-source -x)"
	tgit tag base
	echo "$version" > "$tree/.git/vlpi-source"
fi
tgit am --abort > /dev/null 2>&1 || true
tgit checkout -q -f --detach base
tgit clean -q -fdx
for p in "$here"/patches/*.patch; do
	[ -f "$p" ] || continue
	if ! tgit am -q --keep-cr "$p" > "$b/am.log" 2>&1; then
		grep -E '^(error|fatal|warning):' "$b/am.log" >&2 || cat "$b/am.log" >&2
		tgit am --abort > /dev/null 2>&1 || true
		die "patch $(basename "$p") does not apply to Debian's qemu $version"
	fi
done
say "applied $(tgit rev-list --count base..HEAD) patches on qemu $version"
cp "$here/$devices.mak" "$tree/configs/devices/aarch64-softmmu/$devices.mak"
timing "patch"

# Configure when the arguments change (or on a new tree)
config_args=(--target-list=aarch64-softmmu --without-default-features
	--without-default-devices --with-devices-aarch64="$devices"
	--disable-install-blobs --disable-docs --disable-tools --disable-user
	--disable-debug-info --enable-fdt=system --python=/usr/bin/python3
	--cc="ccache gcc")
if [ "$(cat "$obj/.vlpi-configure" 2>/dev/null)" != "${config_args[*]}" ] ||
	[ ! -f "$obj/build.ninja" ]; then
	rm -rf "$obj"
	mkdir -p "$obj"
	say "configure ${config_args[*]}"
	(cd "$obj" && nice -n 10 "$tree/configure" "${config_args[@]}") \
		> "$b/configure.log" 2>&1 || {
		tail -n 40 "$b/configure.log" >&2
		die "configure failed (build/qemu-gicv4.1/configure.log)"
	}
	echo "${config_args[*]}" > "$obj/.vlpi-configure"
	timing "configure"
fi

# ccache: the same objects for any checkout of the repository
export CCACHE_BASEDIR=$b CCACHE_NOHASHDIR=true
targets=(qemu-system-aarch64)
for t in $qtests; do
	[ ! -f "$tree/tests/qtest/$t.c" ] || targets+=("tests/qtest/$t")
done
say "building ${targets[*]} (ninja -j$jobs, log: build/qemu-gicv4.1/build.log)"
if ! nice -n 10 ninja -C "$obj" -j"$jobs" "${targets[@]}" > "$b/build.log" 2>&1; then
	grep -E -B2 -A12 'error|FAILED' "$b/build.log" | head -n 80 >&2
	die "build failed (build/qemu-gicv4.1/build.log)"
fi
timing "build"

echo "$version" > "$b/VERSION"
want_stamp "$version" > "$stamp"
say "QEMU $version with $(tgit rev-list --count base..HEAD) patches built in $(($(date +%s) - t0)) s"
echo "$binary"
