#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The tarball of a Debian linux-source package, for a kernel the host's
# apt does not carry: linux-source-7.3 from trixie-backports, fetched
# through an apt configuration of its own (scripts/debian-archive.sh) from
# this machine's Debian archive, and unpacked with dpkg-deb -x into
# build/linux-source-VERSION/. linux-source-6.12 comes from the host's own
# apt (scripts/deps.sh installs it). Prints the tarball's path.
#
#   scripts/linux-source.sh 7.3
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
ver=${1:?usage: linux-source.sh VERSION}
pkg=linux-source-$ver
suite=trixie-backports
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
apt_dir=$top/build/linux-apt
dest=$top/build/$pkg

die() { echo "linux-source: $*" >&2; exit 1; }

tarball=$(ls "$dest"/usr/src/"$pkg".tar.* 2>/dev/null | head -n1 || true)
if [ -n "$tarball" ]; then
	echo "$tarball"
	exit 0
fi

[ -f "$keyring" ] ||
	die "$keyring not found: install the Debian package debian-archive-keyring"
. "$top/scripts/debian-archive.sh"
uri=$(debian_uri | grep -E '^(https?|file|mirror\+[a-z]+):' | head -n1) || true
[ -n "$uri" ] ||
	die "no Debian archive (a deb line with a release suite and main) in /etc/apt/sources.list{,.d}"

conf=$(apt_config "$apt_dir")
cat >>"$conf" <<CONF
APT::Install-Recommends "false";
APT::Get::Assume-Yes "true";
Acquire::GzipIndexes "true";
CONF
cat >"$apt_dir/etc/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: $keyring
SRC
export APT_CONFIG=$conf
apt-get -q update >"$apt_dir/update.log" 2>&1 ||
	{ cat "$apt_dir/update.log" >&2; die "apt-get update ($suite) failed"; }
mkdir -p "$apt_dir/debs"
(cd "$apt_dir/debs" && apt-get -q download "$pkg" >"$apt_dir/download.log" 2>&1) ||
	{ cat "$apt_dir/download.log" >&2; die "$pkg is not in $suite"; }
deb=$(ls "$apt_dir"/debs/"$pkg"_*.deb | head -n1)
rm -rf "$dest"
dpkg-deb -x "$deb" "$dest"
tarball=$(ls "$dest"/usr/src/"$pkg".tar.* | head -n1) ||
	die "$deb holds no /usr/src/$pkg.tar.*"
echo "linux-source: $(basename "$deb")" >&2
echo "$tarball"
