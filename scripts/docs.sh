#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make docs: Documentation/vlpi-mig as HTML, with Debian's Sphinx
# (python3-sphinx, which scripts/deps.sh installs), then the path of its
# index.html on stdout.
#
#   scripts/docs.sh [DIR]   into DIR/html, doctrees in DIR/doctrees
#                           (default build/docs)
#
# The configuration is Documentation/vlpi-mig/conf.py; Sphinx writes
# nothing under Documentation/ and fetches nothing. Any warning fails the
# build (-W), once all of them are printed on stderr (--keep-going), and
# nitpicky (-n): a reference to nothing is one. Every page is read again
# each time (-E): an incremental build would not repeat the warnings of a
# page it did not read again.
set -u
# Debian's python3 and its Sphinx, not a python3 earlier in PATH
export PATH=/usr/bin:/bin:$PATH
unset PYTHONHOME PYTHONPATH

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/docs}

if ! command -v sphinx-build >/dev/null; then
	echo "docs: no sphinx-build; install Debian's python3-sphinx (scripts/deps.sh does)" >&2
	exit 1
fi
mkdir -p "$out" || exit 1
sphinx-build -b html -q -E -n -W --keep-going -d "$out/doctrees" \
	"$top/Documentation/vlpi-mig" "$out/html" || exit 1
echo "$out/html/index.html"
