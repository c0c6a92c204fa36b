#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Make QEMU's arm64 userspace for the bed that runs QEMU as its VMM
# (VLPI_BED=qemu in scripts/run-bed.sh): Debian's qemu-system-arm and its
# whole dependency closure, as an initramfs segment. Two series: 10.0,
# trixie's, and 11.1, trixie-backports', the QEMU a new host runs.
#
#   scripts/qemu-userspace.sh                        10.0: build/qemu-bed/
#   VLPI_QEMU_SERIES=11.1 scripts/qemu-userspace.sh  11.1: build/qemu-bed-11.1/
#
# The packages come from Debian through this machine's own apt sources:
# the Debian archive named there is used with Suites: trixie (and
# trixie-backports for 11.1), under a separate apt configuration per
# series (build/qemu-apt/ or build/qemu-apt-11.1/: its own lists, an
# empty dpkg status, APT::Architecture arm64, a pin on QEMU 1:SERIES*,
# signatures checked against
# /usr/share/keyrings/debian-archive-keyring.gpg). The .debs stay there so
# that a rebuild does not fetch again.
#
# Every .deb is unpacked with dpkg-deb -x into build/qemu-bed/root/qemu/ (nothing
# runs on this machine: no maintainer scripts, no chroot, no binfmt);
# docs, man pages, locales, glibc's iconv modules and the 32-bit Arm
# emulator (qemu-system-arm itself) are dropped, the usr-merge links
# (bin, sbin, lib -> usr/...) and the empty mount points dev, proc, sys,
# tmp and run are added, and the tree is packed, uncompressed, as
# build/qemu-bed/qemu.cpio: run-bed.sh appends it to the qemu bed's
# initramfs, which the kernel unpacks to /qemu (a compressed one took a
# minute to inflate on the KASAN kernel under TCG; a disk needed ext4 in
# the kernel, two minutes of a cold build). vlpi_mig_qemu binds /dev,
# /proc and /sys into it, puts a tmpfs on its /tmp and chroots into it; the
# loader finds the libraries in /usr/lib/aarch64-linux-gnu without an
# ld.so.cache (a check here reads every library that qemu-system-aarch64
# needs with readelf, without running it).
#
# The exact Debian version is in build/qemu-bed/VERSION and in the
# tree's /VLPI_QEMU_VERSION. build/qemu-bed/stamp records the pinned
# series, that version and a hash of this script: while it matches, a run
# only prints the version. VLPI_QEMU_REFRESH=1 asks the archive again (a
# new 10.0 point release rebuilds the archive). Needs no root: apt,
# dpkg-deb and cpio all run as any user (cpio -R 0:0 makes every file
# root's in the archive).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
series=${VLPI_QEMU_SERIES:-10.0}
case $series in
10.0)	suite=trixie; apt_dir=$top/build/qemu-apt; bed=$top/build/qemu-bed ;;
11.1)	suite="trixie trixie-backports"
	apt_dir=$top/build/qemu-apt-$series; bed=$top/build/qemu-bed-$series ;;
*)	echo "qemu-userspace: VLPI_QEMU_SERIES=$series: 10.0 or 11.1" >&2; exit 2 ;;
esac
pkg=qemu-system-arm
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
root=$bed/root/qemu
img=$bed/qemu.cpio
stamp=$bed/stamp
refresh=${VLPI_QEMU_REFRESH:-0}

say() { echo "qemu-userspace: $*"; }
die() { echo "qemu-userspace: $*" >&2; exit 1; }

# The upstream version out of a Debian one: 1:10.0.13+ds-0+deb13u1 -> 10.0.13
upstream() { local v=${1#*:}; echo "${v%%[+~-]*}"; }

script_hash=$(sha256sum < "$0" | cut -d' ' -f1)
stamp_want() { printf 'series %s\nversion %s\nscript %s\n' "$series" "$1" "$script_hash"; }

cached() {
	local v
	[ -f "$img" ] && [ -f "$stamp" ] && [ -f "$bed/VERSION" ] || return 1
	v=$(cat "$bed/VERSION")
	[ "$(cat "$stamp")" = "$(stamp_want "$v")" ] || return 1
	echo "$v"
}

# One run at a time (a second one waits, then finds the archive made)
mkdir -p "$top/build"
exec 9> "$top/build/qemu-userspace-$series.lock"
flock 9

if [ "$refresh" != 1 ] && v=$(cached); then
	say "QEMU $(upstream "$v") (Debian $v, $suite, arm64), cached"
	exit 0
fi

start=$(date +%s)

need() {
	command -v "$1" >/dev/null 2>&1 ||
		die "$1 not found: install the Debian package $2 (apt-get install $2)"
}
need apt-get apt
need dpkg-deb dpkg
need cpio cpio
need gpgv gpgv
[ -f "$keyring" ] ||
	die "$keyring not found: install the Debian package debian-archive-keyring"
readelf=$(command -v aarch64-linux-gnu-readelf || command -v readelf) ||
	die "readelf not found: install the Debian package binutils"

# The Debian archive of this machine's own apt sources (debian_uri)
. "$(dirname "$0")/debian-archive.sh"

uri=$(debian_uri | grep -E '^(https?|file|mirror\+[a-z]+):' | head -n1) ||
	true
[ -n "$uri" ] ||
	die "no Debian archive (a deb line with a release suite and main) in /etc/apt/sources.list{,.d}"

# The separate apt configuration (apt_config), in build/qemu-apt/
conf=$(apt_config "$apt_dir")
cat >>"$conf" <<EOF
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Get::Assume-Yes "true";
Acquire::GzipIndexes "true";
EOF
cat > "$apt_dir/etc/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $uri
Suites: $suite
Components: main
Architectures: arm64
Signed-By: $keyring
EOF
# Every binary of the qemu source at 1:$series*, nothing else of it
cat > "$apt_dir/etc/preferences" <<EOF
Package: src:qemu
Pin: version 1:$series*
Pin-Priority: 1001

Package: src:qemu
Pin: version *
Pin-Priority: -1
EOF
export APT_CONFIG=$conf

# The lists are fetched again only when asked to (VLPI_QEMU_REFRESH=1),
# when there are none, when the source has changed since, or when the
# archive no longer has a .deb that they name
lists_fresh=0
update() {
	say "apt-get update ($suite, arm64, from this machine's Debian source)"
	rm -f "$apt_dir/updated.sources"
	apt-get -q update > "$apt_dir/update.log" 2>&1 || {
		cat "$apt_dir/update.log" >&2
		die "apt-get update failed (see above; is $keyring recent enough for $suite?)"
	}
	cp "$apt_dir/etc/sources.list.d/debian.sources" "$apt_dir/updated.sources"
	lists_fresh=1
}
if [ "$refresh" = 1 ] ||
	! cmp -s "$apt_dir/etc/sources.list.d/debian.sources" "$apt_dir/updated.sources"; then
	update
fi

# The closure apt would install on an empty system, as NAME VERSION ARCH
# (from its "Inst NAME (VERSION ORIGIN [ARCH])" lines), and the version
# of QEMU in it
closure() {
	apt-get -q -s install "$pkg" > "$apt_dir/closure.log" 2>&1 || {
		cat "$apt_dir/closure.log" >&2
		die "apt cannot install $pkg $series* for arm64 from $suite (see above)"
	}
	sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) [^[]*\[\([a-z0-9]*\)\]).*/\1 \2 \3/p' \
		"$apt_dir/closure.log" > "$apt_dir/closure"
	version=$(awk -v p="$pkg" '$1 == p { print $2 }' "$apt_dir/closure")
	[ -n "$version" ] || die "$pkg is not in the closure (see $apt_dir/closure.log)"
	case $version in
	1:"$series".*) ;;
	*) die "$pkg $version is not of the $series series" ;;
	esac
}
closure

if [ "$refresh" = 1 ] && [ "$(cat "$bed/VERSION" 2>/dev/null)" = "$version" ] &&
	[ -f "$img" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$(stamp_want "$version")" ]; then
	say "QEMU $(upstream "$version") (Debian $version, $suite, arm64), cached, the newest of $series"
	exit 0
fi

# Download what is not in the cache yet (apt checks the hashes of what is)
download() {
	apt-get -q install --download-only "$pkg" > "$apt_dir/download.log" 2>&1
}
if ! download; then
	[ "$lists_fresh" = 0 ] || { cat "$apt_dir/download.log" >&2; die "download failed"; }
	update
	closure
	download || { cat "$apt_dir/download.log" >&2; die "download failed"; }
fi
fetched=$(sed -n 's/^Fetched \(.*\) in .*/\1/p' "$apt_dir/download.log")

# The .deb of each package of the closure (apt names it NAME_VERSION_ARCH,
# the epoch's colon as %3a); any other .deb in the cache is an old one
debs=()
declare -A keep=()
while read -r name ver arch; do
	f=$apt_dir/var/cache/apt/archives/${name}_${ver//:/%3a}_${arch}.deb
	[ -f "$f" ] || die "$f missing after the download"
	debs+=("$f")
	keep[$f]=1
done < "$apt_dir/closure"
for f in "$apt_dir"/var/cache/apt/archives/*.deb; do
	[ -n "${keep[$f]:-}" ] || rm -f "$f"
done
deb_kb=$(du -ck "${debs[@]}" | tail -n1 | cut -f1)
say "QEMU $(upstream "$version") (Debian $version): ${#debs[@]} packages, $((deb_kb / 1024)) MiB of .debs${fetched:+ ($fetched fetched now)}"

# Unpack: dpkg-deb -x only (no maintainer script, nothing executed)
rm -rf "$root"
mkdir -p "$root"
for f in "${debs[@]}"; do
	dpkg-deb -x "$f" "$root"
done

# Not needed to run QEMU in the bed: documentation, locales, glibc's
# iconv modules (UTF-8, ASCII and Latin-1 are built into glibc), and the
# 32-bit Arm emulator (qemu-system-arm, -armel, -armhf; the bed runs
# qemu-system-aarch64 only)
rm -rf "$root"/usr/share/{doc,doc-base,man,info,locale,lintian,bug,menu,gtk-doc} \
	"$root"/usr/share/{bash-completion,zsh,fish,applications,icons,pixmaps,metainfo} \
	"$root"/usr/include "$root"/usr/lib/*/pkgconfig "$root"/usr/share/pkgconfig \
	"$root"/usr/lib/*/gconv "$root"/usr/bin/qemu-system-arm{,el,hf}
find "$root" -name '*.a' -type f -delete

# usr-merge: a package that still ships /bin, /sbin or /lib gets its
# files moved into /usr first
for d in bin sbin lib lib64; do
	if [ -d "$root/$d" ] && [ ! -L "$root/$d" ]; then
		mkdir -p "$root/usr/$d"
		cp -a "$root/$d/." "$root/usr/$d/"
		rm -rf "${root:?}/$d"
	fi
	if [ -d "$root/usr/$d" ]; then
		ln -sfn "usr/$d" "$root/$d"
	fi
done
[ -e "$root/bin" ] || ln -s usr/bin "$root/bin"
[ -e "$root/sbin" ] || ln -s usr/sbin "$root/sbin"
mkdir -p "$root"/{dev,proc,sys,run,tmp}
chmod 1777 "$root/tmp"
echo "$version" > "$root/VLPI_QEMU_VERSION"

# Check, without running anything: the loader is where the binary asks
# for it, and every library the binary needs, transitively, is in one of
# the loader's default directories (no ld.so.cache in the tree)
# (in_root PATH: the file that PATH of the tree ends at, following its
# symlinks inside the tree, an absolute target taken as in the tree)
in_root() {
	local p=$1 t n=0
	while [ -L "$p" ] && [ "$n" -lt 40 ]; do
		t=$(readlink "$p")
		case $t in
		/*) p=$root$t ;;
		*) p=$(dirname "$p")/$t ;;
		esac
		n=$((n + 1))
	done
	[ -f "$p" ] && echo "$p"
}
qemu_bin=$root/usr/bin/qemu-system-aarch64
[ -f "$qemu_bin" ] || die "no usr/bin/qemu-system-aarch64 in $pkg $version"
interp=$("$readelf" -lW "$qemu_bin" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
ldso=$(in_root "$root$interp") || die "the loader $interp does not resolve in $root"
for d in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu; do
	grep -qaF "$d/" "$ldso" || die "$interp does not search $d by default"
done
declare -A seen=()
queue=("$qemu_bin")
while [ "${#queue[@]}" -gt 0 ]; do
	f=${queue[0]}
	queue=("${queue[@]:1}")
	for lib in $("$readelf" -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -z "${seen[$lib]:-}" ] || continue
		seen[$lib]=1
		p=
		for d in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /lib /usr/lib; do
			p=$(in_root "$root$d/$lib") && break
		done
		[ -n "$p" ] || die "$lib, needed by ${f#"$root"}, is not in the loader's default path"
		queue+=("$p")
	done
done
say "$interp and the ${#seen[@]} libraries qemu-system-aarch64 needs resolve in the tree"

# The archive: every file root's, paths under qemu/
root_kb=$(du -sk --apparent-size "$root" | cut -f1)
rm -f "$img" "$img.tmp" "$stamp"
(cd "$bed/root" && find qemu | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$img.tmp"
mv "$img.tmp" "$img"
echo "$version" > "$bed/VERSION"
stamp_want "$version" > "$stamp"

img_kb=$(du -k --apparent-size "$img" | cut -f1)
say "QEMU $(upstream "$version") (Debian $version, $suite, arm64): ${#debs[@]} packages, $((deb_kb / 1024)) MiB of .debs, $((root_kb / 1024)) MiB unpacked, archive $((img_kb / 1024)) MiB (${img#"$top"/})"
say "built in $(($(date +%s) - start))s"
