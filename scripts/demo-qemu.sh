#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo-qemu: in the emulated GICv4.1 host, an unmodified QEMU (Debian's
# arm64 build) migrates a bare-metal guest whose passed-through edu has
# left its MSI pending as a forwarded vLPI: source QEMU, stop, migrate to a
# file, quit; destination QEMU takes the file in, continues, and the guest
# counts the interrupt. Once with vlpi_mig, once with upstream 6.12 (plus
# the fixes the series carries) alone; with trixie's QEMU 10.0, then in a
# second boot with trixie-backports' 11.1, which also hands the running VM
# and its device to a new QEMU with cpr-transfer. Ends with one line for
# each.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)

show() { grep -E -m 1 "$1" "$console" | sed 's/^\[[ 0-9.]*\] //'; }

story() {
	local name=$1 title=$2
	echo "demo-qemu:"
	echo "demo-qemu: === $title ==="
	sed -n "/^# run $name:/,/^\(not \)\?ok [0-9]* run $name/p" "$results" |
		grep -E '^    (not )?ok [0-9]+ |^    # (source|destination|trace): ' |
		sed -e 's/^    //' -e 's/^# //' -e 's/^/demo-qemu:   /'
}

# boot PLAN SERIES: the emulated host, QEMU SERIES as its VMM
boot() {
	out=$top/build/out/$1
	results=$out/results.tap
	console=$out/console.log
	echo "demo-qemu: booting the emulated arm64 host (QEMU TCG, virt, the GICv4.1 model, an SMMUv3, two edu PCI devices, one behind a root port), Debian's QEMU $2 inside"
	if ! VLPI_GIC=4.1 VLPI_BED=qemu VLPI_QEMU_SERIES=$2 \
		"$top/scripts/run-bed.sh" "$1" >/dev/null; then
		echo "demo-qemu: the emulated host did not finish; see $console"
		exit 1
	fi
	echo "demo-qemu: host:   $(show 'Linux version' | cut -d' ' -f1-3); $(show 'GICv4.1 support enabled'); $(show 'arm-smmu-v3.*ias')"
	echo "demo-qemu: module: $(show 'vlpi_mig: loaded: ')"
}

ok=1
summary=
# check RUNS: every run passed, each printed its summary line
check() {
	grep -Eq "^not ok|^ok [0-9]+ run [a-z-]+ # SKIP" "$results" && ok=0
	local s
	s=$(grep -E '^    # qemu .*, [a-z-]+: ' "$results" | sed 's/^    # //')
	[ "$(echo "$s" | grep -c .)" = "$1" ] || ok=0
	summary+="$s"$'\n'
}

boot demo-qemu 10.0
story module "GICv4.1, QEMU 10.0: QEMU migrates the guest, vlpi_mig loaded"
story upstream "GICv4.1, QEMU 10.0: the same with upstream 6.12 (module unloaded)"
check 2

boot demo-qemu111 11.1
story module "GICv4.1, QEMU 11.1: QEMU migrates the guest, vlpi_mig loaded"
story upstream "GICv4.1, QEMU 11.1: the same with upstream 6.12 (module unloaded)"
story cpr-module "GICv4.1, QEMU 11.1: cpr-transfer to a new QEMU, vlpi_mig loaded"
story cpr-upstream "GICv4.1, QEMU 11.1: cpr-transfer with upstream 6.12 (module unloaded)"
check 4

echo "demo-qemu:"
if [ "$ok" = 1 ]; then
	echo "demo-qemu: QEMU was not changed. On GICv4.1 its ITS save succeeds and the pending vLPI arrives once on the destination with vlpi_mig, and with upstream 6.12 too, which reads a GICv4.1's VPTs at the save, with QEMU 10.0 and 11.1 alike. 11.1's cpr-transfer tears forwarding down after the stop's save and saves the pending tables again: the vLPI arrives once in the new VM with vlpi_mig, which kept the state the save read, and is lost with upstream, which dropped it. (On GICv4.0 upstream refuses the ITS save and the interrupt is lost; the module's policies decide there.)"
else
	echo "demo-qemu: FAILED: see build/out/demo-qemu{,111}/{results.tap,console.log}"
fi
printf '%s' "$summary"
[ "$ok" = 1 ]
