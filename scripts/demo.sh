#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: boot the emulated GICv4 host on initramfs/plans/demo.plan and
# tell what happened in plain lines.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/out/demo

echo "demo: booting the emulated arm64 host (QEMU TCG, virt, GICv4, edu device)"
"$top/scripts/run-bed.sh" demo >/dev/null || { echo "demo: the bed did not finish; see $out/console.log"; exit 1; }

console=$out/console.log
results=$out/results.tap
show() { grep -E -m 1 "$1" "$console" | sed 's/^\[[ 0-9.]*\] //'; }

echo "demo: host kernel:    $(show 'Linux version' | cut -d' ' -f1-3)"
echo "demo: host GIC:       $(show 'ITS: Enabling GICv4')"
echo "demo: host KVM:       $(show 'GICv4 support enabled')"
echo "demo: module:         $(show 'vlpi_mig: loaded: ')"
sed -n 's/^# \(.*\)/demo: \1/p' "$results" | grep -v 'plan complete\|^demo: run '
sed -n 's/^    ok [0-9]* \(.*\)/demo:   VMM sees: \1/p' "$results"

read -r passed failed _ < <(awk -v need_marker="# vlpi-mig: plan complete" \
	-f "$top/scripts/ktap-summary.awk" "$results" 2>/dev/null)
if [ "${failed:-1}" = 0 ] && [ "${passed:-0}" -gt 0 ]; then
	echo "demo: VERDICT: the emulated GICv4 host runs and vlpi_mig is loaded and answering VMMs ($passed checks passed)"
else
	echo "demo: VERDICT: FAILED ($failed failed); see $results and $console"
	exit 1
fi
