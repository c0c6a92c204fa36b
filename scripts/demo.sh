#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: in the emulated GICv4 host, migrate a VM whose passed-through
# devices deliver vLPIs directly, source VM to destination VM, first with
# vlpi_mig and then with upstream 6.12 (plus the forwarding fixes the series
# carries) alone, and tell what happened.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/out/demo
results=$out/results.tap
console=$out/console.log

echo "demo: booting the emulated arm64 host (QEMU TCG, virt, GICv4.0, four edu PCI devices)"
if ! "$top/scripts/run-bed.sh" demo >/dev/null; then
	echo "demo: the emulated host did not finish; see $console"
	exit 1
fi

show() { grep -E -m 1 "$1" "$console" | sed 's/^\[[ 0-9.]*\] //'; }
echo "demo: host:   $(show 'Linux version' | cut -d' ' -f1-3); $(show 'GICv4 support enabled')"
echo "demo: module: $(show 'vlpi_mig: loaded: ')"

# One run's story: its "# " lines, and whether it passed
story() {
	local name=$1 title=$2
	echo "demo:"
	echo "demo: === $title ==="
	sed -n "/^# run $name:/,/^\(not \)\?ok [0-9]* run $name/p" "$results" |
		sed -n 's/^    # \(source\|destination\|baseline\|debugfs\|trace\)/\1/p' |
		sed 's/^/demo:   /'
	grep -E "^(not )?ok [0-9]+ run $name" "$results" | grep -q '^ok'
}

with_ok=0; base_ok=0
story with-vlpi_mig "migration with vlpi_mig" && with_ok=1
story upstream-6.12 "the same migration on upstream 6.12 plus its forwarding fixes (module unloaded)" && base_ok=1

lost=$(sed -n '/^# run upstream-6.12:/,$ s/.*lost:\([ 0-9()x]*\);.*/\1/p' "$results" | head -1)
lost=${lost//(x0)/}
echo "demo:"
if [ "$with_ok" = 1 ] && [ "$base_ok" = 1 ]; then
	echo "demo: VERDICT: with vlpi_mig every vLPI pending at the source arrived exactly once on the destination and forwarding stayed live; upstream 6.12 lost${lost:- them} and the fresh MSI as well."
	exit 0
fi
echo "demo: VERDICT: FAILED (with vlpi_mig: $([ $with_ok = 1 ] && echo ok || echo failed); upstream baseline as expected: $([ $base_ok = 1 ] && echo yes || echo no)); see $results"
exit 1
