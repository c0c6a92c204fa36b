#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the GICv4.1 QEMU (build.sh) and run the model's qtests.
#
#   qemu-gicv4.1/test.sh
#
# The qtests (tests/qtest/arm-gicv41-test.c, patch 0008) drive the
# GICv4.1 of -M virt,virtualization=on,gic-version=4.1 through MMIO and
# guest memory; their TAP goes to build/qemu-gicv4.1/qtest.tap. Exits
# non-zero if the build or any test fails.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
b=$here/../build/qemu-gicv4.1
b=$(cd "$b" 2>/dev/null && pwd || echo "$b")

set -o pipefail
mkdir -p "$b"
"$here/build.sh" | tee "$b/build.out"
binary=$(tail -n 1 "$b/build.out")
[ -x "$binary" ] || { echo "qemu-gicv4.1: no binary" >&2; exit 1; }
obj=$(dirname "$binary")
tap=$b/qtest.tap

start=$(date +%s)
rc=0
QTEST_QEMU_BINARY=$binary timeout 600 "$obj/tests/qtest/arm-gicv41-test" \
	--tap -k > "$tap" 2>&1 || rc=$?
grep -E '^(ok|not ok|1\.\.)' "$tap" | sed 's/^/qemu-gicv4.1: qtest: /'
pass=$(grep -c '^ok ' "$tap" || true)
fail=$(grep -c '^not ok ' "$tap" || true)
echo "qemu-gicv4.1: arm-gicv41-test: $pass passed, $fail failed ($(($(date +%s) - start)) s, exit $rc)"
[ "$rc" = 0 ] && [ "$fail" = 0 ] && [ "$pass" -gt 0 ]
