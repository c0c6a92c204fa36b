#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo-qemu: in the emulated GICv4.1 host, an unmodified QEMU (Debian's
# arm64 build) migrates a bare-metal guest whose passed-through edu has
# left its MSI pending as a forwarded vLPI: source QEMU, stop, migrate to a
# file, quit; destination QEMU takes the file in, continues, and the guest
# counts the interrupt. Once with vlpi_mig, once with upstream 6.12 (plus
# the fixes the series carries) alone. Ends with one line for each.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/out/demo-qemu
results=$out/results.tap
console=$out/console.log

echo "demo-qemu: booting the emulated arm64 host (QEMU TCG, virt, the GICv4.1 model, an SMMUv3, one edu PCI device)"
if ! VLPI_GIC=4.1 VLPI_BED=qemu "$top/scripts/run-bed.sh" demo-qemu >/dev/null; then
	echo "demo-qemu: the emulated host did not finish; see $console"
	exit 1
fi

show() { grep -E -m 1 "$1" "$console" | sed 's/^\[[ 0-9.]*\] //'; }
echo "demo-qemu: host:   $(show 'Linux version' | cut -d' ' -f1-3); $(show 'GICv4.1 support enabled'); $(show 'arm-smmu-v3.*ias')"
echo "demo-qemu: module: $(show 'vlpi_mig: loaded: ')"

story() {
	local name=$1 title=$2
	echo "demo-qemu:"
	echo "demo-qemu: === $title ==="
	sed -n "/^# run $name:/,/^\(not \)\?ok [0-9]* run $name/p" "$results" |
		grep -E '^    (not )?ok [0-9]+ |^    # (source|destination|trace): ' |
		sed -e 's/^    //' -e 's/^# //' -e 's/^/demo-qemu:   /'
}
story module "GICv4.1: QEMU migrates the guest, vlpi_mig loaded"
story upstream "GICv4.1: the same with upstream 6.12 (module unloaded)"

echo "demo-qemu:"
summary=$(grep -E '^    # qemu .*, (module|upstream): ' "$results" | sed 's/^    # //')
ok=1
grep -Eq "^not ok|^ok [0-9]+ run (module|upstream) # SKIP" "$results" && ok=0
[ "$(echo "$summary" | grep -c .)" = 2 ] || ok=0
if [ "$ok" = 1 ]; then
	echo "demo-qemu: QEMU was not changed. On GICv4.1 its ITS save succeeds and the pending vLPI arrives once on the destination with vlpi_mig, and with upstream 6.12 too, which reads a GICv4.1's VPTs at the save: what the module adds there is in make demo and the README. (On GICv4.0 upstream refuses the ITS save and the interrupt is lost; the module's policies decide there.)"
else
	echo "demo-qemu: FAILED: see $results and $console"
fi
echo "$summary"
[ "$ok" = 1 ]
