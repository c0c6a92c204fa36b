#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make fuzz: the fuzzers for longer than make check has time for
# (initramfs/plans/fuzz.plan), in the emulated GICv4.1 host. Each prints
# its seed; rerun a failing iteration or sequence with the -s it names.
# Fails on any failed result, a missing one, or a kernel report in the
# console.
#
# The whole run takes hours longer than one sitting may: PART=K/N with the
# SEED= of the run boots only the K-th of N slices of each fuzzer's
# sequences, and the N parts of one SEED run the same sequences as the
# whole run. Each part's results are kept as
# build/out/fuzz-parts/SEED-K-of-N.tap.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/out/fuzz
. "$top/scripts/bed-lib.sh"

if [ -n "${PART:-}" ]; then
	if ! [[ $PART =~ ^[0-9]+/[0-9]+$ ]]; then
		echo "fuzz: PART=$PART: want K/N, the K-th of N slices" >&2
		exit 2
	fi
	if [ -z "${SEED:-}" ]; then
		echo "fuzz: PART=K/N needs the SEED=S of the run it is part of" >&2
		exit 2
	fi
	export PART SEED
fi

start=$(date +%s)
ok=1
VLPI_GIC=4.1 VLPI_BED_TIMEOUT=${VLPI_BED_TIMEOUT:-43200} "$top/scripts/run-bed.sh" fuzz || ok=0
touch "$out/results.tap" "$out/console.log"
grep -E '^ *(not )?ok |restore fuzz:|sequences in|seed |# part |# worker ' "$out/results.tap" | sed 's/^ *//; s/^/  /'
if [ -n "${PART:-}" ]; then
	mkdir -p "$top/build/out/fuzz-parts"
	cp "$out/results.tap" "$top/build/out/fuzz-parts/$SEED-${PART%/*}-of-${PART#*/}.tap"
fi
read -r passed failed skipped < <(awk -v need_marker="# vlpi-mig: plan complete" \
	-f "$top/scripts/ktap-summary.awk" "$out/results.tap")
if reports=$(bed_console_reports "$out/console.log"); then
	echo "fuzz: the console has kernel reports:"
	echo "$reports"
	ok=0
fi
[ "${failed:-1}" = 0 ] || ok=0
echo "fuzz: $(($(date +%s) - start))s, ${passed:-0} passed, ${failed:-?} failed"
[ "$ok" = 1 ]
