#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check: every test in the emulated GICv4 host
# (initramfs/plans/check.plan) and, beside it, the static checks on the
# host, a shorter run with direct injection off
# (initramfs/plans/nodirect.plan) and one with an SMMUv3 and an unmodified
# QEMU as the VMM (initramfs/plans/qemu.plan); then the kernel consoles
# read for anything that must never happen.
# Ends with "N passed, N failed[, N skipped]" and exits non-zero on any
# failure or missing result.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/out
mkdir -p "$out"
start=$(date +%s)

# The static checks run beside the boots: under a minute of one core,
# while the boots are starting up
"$top/scripts/lint.sh" >"$out/lint.tap" 2>"$out/lint.log" &
lint=$!

# The main boot's tests are mostly one vCPU busy at a time until its fuzz
# at the end, so the two short boots run beside it, one after the other,
# on the other core: a cold make check fits in its budget that way
echo "check: booting the emulated GICv4 host (plan: check); beside it, with direct injection off (plan: nodirect), then with an SMMUv3 and QEMU as the VMM (plan: qemu)"
bed_ok=1
rm -f "$out/side.failed"
(
	VLPI_V4=0 "$top/scripts/run-bed.sh" nodirect || touch "$out/side.failed"
	VLPI_BED=qemu "$top/scripts/run-bed.sh" qemu || touch "$out/side.failed"
) >"$out/side.log" 2>&1 &
side=$!
# The main boot's ceiling: a hung test, not the budget (about 20 minutes)
VLPI_BED_TIMEOUT=${VLPI_BED_TIMEOUT:-2400} "$top/scripts/run-bed.sh" check || bed_ok=0
wait "$side"
sed 's/^/  /' "$out/side.log"
[ ! -e "$out/side.failed" ] || bed_ok=0
wait "$lint"
echo "check: static checks"
sed 's/^/  /' "$out/lint.log"
grep -E '^(not )?ok ' "$out/lint.tap" | sed 's/^/  /'

results=$out/check/results.tap
console=$out/check/console.log
results2=$out/nodirect/results.tap
console2=$out/nodirect/console.log
results3=$out/qemu/results.tap
console3=$out/qemu/console.log
touch "$results" "$console" "$results2" "$console2" "$results3" "$console3"
for plan in check nodirect qemu; do
	echo "check: plan $plan"
	grep -E '^(not )?ok ' "$out/$plan/results.tap" | sed 's/^/  /'
done

# The console: no oops, WARN, BUG, lockdep or KASAN report; the lines the
# bed must show
. "$top/scripts/bed-lib.sh"
n=0
clean() {
	local reports

	n=$((n + 1))
	if reports=$(bed_console_reports "$1"); then
		echo "not ok $n $2 console is free of oops, WARN, BUG and lock reports"
		echo "$reports"
	else
		echo "ok $n $2 console is free of oops, WARN, BUG and lock reports"
	fi
}
shows() {
	local line
	n=$((n + 1))
	line=$(grep -E -m 1 "$2" "$1")
	if [ -n "$line" ]; then
		echo "ok $n console shows: ${line#*] }"
	else
		echo "not ok $n console lacks /$2/"
	fi
}
{
	echo "TAP version 13"
	echo "1..9"
	clean "$console" check
	shows "$console" "kvm \[[0-9]+\]: GICv4 support enabled"
	shows "$console" "ITS: Enabling GICv4 support"
	shows "$console" "vlpi_mig: loaded: "
	clean "$console2" nodirect
	shows "$console2" "kvm \[[0-9]+\]: GICv4 support disabled"
	shows "$console2" "vlpi_mig: loaded: .*direct injection off"
	clean "$console3" qemu
	shows "$console3" "arm-smmu-v3 .*: ias [0-9]+-bit"
} >"$out/console.tap"
grep -E '^(not )?ok ' "$out/console.tap" | sed 's/^/  /'

sum() { awk -v need_marker="$2" -f "$top/scripts/ktap-summary.awk" "$1"; }
read -r p1 f1 s1 < <(sum "$out/lint.tap" "")
read -r p2 f2 s2 < <(sum "$results" "# vlpi-mig: plan complete")
read -r p3 f3 s3 < <(sum "$out/console.tap" "")
read -r p4 f4 s4 < <(sum "$results2" "# vlpi-mig: plan complete")
read -r p5 f5 s5 < <(sum "$results3" "# vlpi-mig: plan complete")
passed=$((p1 + p2 + p3 + p4 + p5))
failed=$((f1 + f2 + f3 + f4 + f5 + (1 - bed_ok)))
skipped=$((s1 + s2 + s3 + s4 + s5))

if [ "$failed" != 0 ]; then
	echo "check: FAILED; details in build/out/{lint.tap,{check,nodirect,qemu}/{results.tap,console.log}}"
	grep -h -E -B2 -A30 '^ *not ok ' "$out/lint.tap" "$results" \
		"$results2" "$results3" "$out/console.tap" | head -100
	tail -n 15 "$console" | sed 's/^/  console: /'
fi
echo "check: $(($(date +%s) - start))s on the bed and checks"
line="$passed passed, $failed failed"
[ "$skipped" != 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" = 0 ]
