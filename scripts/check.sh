#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check: every test in the emulated GICv4.1 host
# (initramfs/plans/check.plan, on the model in qemu-gicv4.1/) and, beside
# it, the static checks and the model's qtests on the host; a shorter run
# on the GICv4.1 host with direct injection off
# (initramfs/plans/nodirect.plan), two with an SMMUv3 and an unmodified
# QEMU as the VMM, Debian's 10.0 and 11.1 (initramfs/plans/qemu.plan,
# qemu111.plan), then the GICv4.0 host:
# QEMU's own GICv4.0 configured as real GICv4.0 silicon is
# (initramfs/plans/v40.plan, and initramfs/plans/qemu40.plan with QEMU as
# the VMM); and the GICv4.1 host on Debian's Linux 7.3 with patches/7.3/
# (initramfs/plans/v73.plan). The kernel consoles are read for anything that must never
# happen. Ends with "N passed, N failed, N skipped" and exits non-zero
# on any failure, missing result, or skip its plan does not expect.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/out
mkdir -p "$out"
start=$(date +%s)

# The static checks and the model's qtests run beside the boots: about a
# minute of one core, while the boots are starting up
rm -f "$top/build/qemu-gicv4.1/qtest.tap"
(
	"$top/scripts/lint.sh" >"$out/lint.tap" 2>"$out/lint.log"
	"$top/qemu-gicv4.1/test.sh" >"$out/qtest.log" 2>&1
) &
lint=$!

# The main boot's tests are mostly one vCPU busy at a time until its fuzz
# at the end, so the short boots run beside it, one after the other, on
# the other core: a cold make check fits in its budget that way
echo "check: booting the emulated GICv4.1 host (plan: check); beside it, with direct injection off (plan: nodirect), with an SMMUv3 and QEMU 10.0 and 11.1 as the VMM (plans: qemu, qemu111), the GICv4.0 host (plans: v40, qemu40), then the GICv4.1 host on Linux 7.3 (plan: v73)"
bed_ok=1
rm -f "$out/side.failed"
(
	VLPI_GIC=4.1 VLPI_V4=0 "$top/scripts/run-bed.sh" nodirect || touch "$out/side.failed"
	VLPI_GIC=4.1 VLPI_BED=qemu "$top/scripts/run-bed.sh" qemu || touch "$out/side.failed"
	VLPI_GIC=4.1 VLPI_BED=qemu VLPI_QEMU_SERIES=11.1 "$top/scripts/run-bed.sh" qemu111 ||
		touch "$out/side.failed"
	VLPI_GIC=4.0 "$top/scripts/run-bed.sh" v40 || touch "$out/side.failed"
	VLPI_GIC=4.0 VLPI_BED=qemu "$top/scripts/run-bed.sh" qemu40 || touch "$out/side.failed"
	VLPI_GIC=4.1 VLPI_BED_IMAGE="$top/build/kernel-7.3/arch/arm64/boot/Image" \
		VLPI_BED_MODULES="$top/build/module-7.3" \
		"$top/scripts/run-bed.sh" v73 || touch "$out/side.failed"
) >"$out/side.log" 2>&1 &
side=$!
# The main boot's ceiling: a hung test, not the budget (about 20 minutes)
VLPI_GIC=4.1 VLPI_BED_TIMEOUT=${VLPI_BED_TIMEOUT:-2400} "$top/scripts/run-bed.sh" check || bed_ok=0
wait "$side"
sed 's/^/  /' "$out/side.log"
[ ! -e "$out/side.failed" ] || bed_ok=0
wait "$lint"
echo "check: static checks"
sed 's/^/  /' "$out/lint.log"
grep -E '^(not )?ok ' "$out/lint.tap" | sed 's/^/  /'
echo "check: the GICv4.1 model's qtests"
qtap=$top/build/qemu-gicv4.1/qtest.tap
grep -E '^qemu-gicv4.1: arm-gicv41-test' "$out/qtest.log" | sed 's/^/  /'
[ -s "$qtap" ] || echo "not ok 1 qemu-gicv4.1/test.sh gave no results" >"$qtap"

plans="check nodirect qemu qemu111 v40 qemu40 v73"
for plan in $plans; do
	mkdir -p "$out/$plan"
	touch "$out/$plan/results.tap" "$out/$plan/console.log"
	echo "check: plan $plan"
	grep -E '^(not )?ok ' "$out/$plan/results.tap" | sed 's/^/  /'
done

# The console: no oops, WARN, BUG, lockdep or KASAN report; the lines the
# bed must show
. "$top/scripts/bed-lib.sh"
n=0
clean() {
	local reports console=$1 known

	n=$((n + 1))
	# Upstream 7.3's own report (scripts/console-known.awk says which)
	if [ "$2" = v73 ]; then
		console=$out/v73/console.scanned
		known=$(awk -f "$top/scripts/console-known.awk" "$1" 2>&1 >"$console")
		[ "$known" = 0 ] ||
			echo "# v73: $known known report of upstream 7.3 left out: BUG: Invalid wait context, its_vlpi_map()'s GFP_ATOMIC allocation under the IRQ descriptor's raw lock"
	fi
	if reports=$(bed_console_reports "$console"); then
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
# Per plan: its console is clean, and shows each line listed for it
console_lines() {
	cat <<'EOF'
check	GICv3: GICv4 features: DirectLPI RVPEID
check	ITS@0x[0-9a-f]+: Using GICv4.1 mode
check	kvm \[[0-9]+\]: GICv4.1 support enabled
check	vlpi_mig: loaded: GIC v4.1, direct injection on
nodirect	ITS@0x[0-9a-f]+: Using GICv4.1 mode
nodirect	kvm \[[0-9]+\]: GICv4 support disabled
nodirect	vlpi_mig: loaded: GIC v3 or v4 unused, direct injection off
qemu	kvm \[[0-9]+\]: GICv4.1 support enabled
qemu	arm-smmu-v3 .*: ias [0-9]+-bit
qemu111	kvm \[[0-9]+\]: GICv4.1 support enabled
qemu111	arm-smmu-v3 .*: ias [0-9]+-bit
v40	ITS: Enabling GICv4 support
v40	kvm \[[0-9]+\]: GICv4 support enabled
v40	vlpi_mig: loaded: GIC v4.0, direct injection on
qemu40	kvm \[[0-9]+\]: GICv4 support enabled
v73	Linux version 7\.3\.
v73	ITS@0x[0-9a-f]+: Using GICv4.1 mode
v73	kvm \[[0-9]+\]: GICv4.1 support enabled
v73	vlpi_mig: loaded: GIC v4.1, direct injection on
EOF
}
{
	echo "TAP version 13"
	echo "1..$(($(console_lines | wc -l) +
		$(console_lines | cut -f1 | sort -u | wc -l)))"
	last=
	while IFS=$'\t' read -r plan re; do
		c=$out/$plan/console.log
		[ "$plan" = "$last" ] || clean "$c" "$plan"
		last=$plan
		shows "$c" "$re"
	done < <(console_lines)
} >"$out/console.tap"
grep -E '^(not )?ok ' "$out/console.tap" | sed 's/^/  /'

# The admin guide's outcome table, row by row, against what the beds
# measured (vlpi_mig_policy on each host)
echo "check: the outcome table (Documentation/vlpi-mig/admin-guide.rst)"
awk -f "$top/scripts/outcomes.awk" "$top/Documentation/vlpi-mig/admin-guide.rst" \
	"$out/check/results.tap" "$out/v40/results.tap" \
	"$out/nodirect/results.tap" >"$out/outcomes.tap"
grep -E '^(not )?ok ' "$out/outcomes.tap" | sed 's/^/  /'

# One line per source of results: passed, failed, skipped
sum() { awk -v need_marker="$2" -f "$top/scripts/ktap-summary.awk" "$1"; }
passed=0 failed=$((1 - bed_ok)) skipped=0
tally() {
	local p f s

	read -r p f s < <(sum "$2" "$3")
	printf '  %-28s %4d passed, %d failed, %d skipped\n' "$1" "$p" "$f" "$s"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}
# The fuzzers' seeds, for make check SEED=N to replay this run
echo "check: fuzz seeds"
grep -hE '^ *# seed [0-9]+, [0-9]+ (sequences|iterations)' "$out"/*/results.tap 2>/dev/null |
	tr -d '\r' | sed 's/^ *# /  /'

echo "check: results"
tally "static checks" "$out/lint.tap" ""
tally "GICv4.1 model qtests" "$qtap" ""
tally "consoles" "$out/console.tap" ""
tally "outcome table" "$out/outcomes.tap" ""
tally "GICv4.1 host: check" "$out/check/results.tap" "# vlpi-mig: plan complete"
tally "GICv4.1 host: nodirect" "$out/nodirect/results.tap" "# vlpi-mig: plan complete"
tally "GICv4.1 host: qemu" "$out/qemu/results.tap" "# vlpi-mig: plan complete"
tally "GICv4.1 host: qemu111" "$out/qemu111/results.tap" "# vlpi-mig: plan complete"
tally "GICv4.0 host: v40" "$out/v40/results.tap" "# vlpi-mig: plan complete"
tally "GICv4.0 host: qemu40" "$out/qemu40/results.tap" "# vlpi-mig: plan complete"
tally "GICv4.1 host, 7.3: v73" "$out/v73/results.tap" "# vlpi-mig: plan complete"

# A skip fails the check unless the plan that ran it expects it: a plan
# comment "# skip-ok: ERE -- why" names the results (matched against the
# whole result line) that may skip there, and why. A source with no plan
# (the static checks, the qtests, the consoles) expects none.
gate_skips() {
	local name=$1 tap=$2 plan=$3 line re why hit

	while IFS= read -r line; do
		hit=
		if [ -n "$plan" ]; then
			while IFS= read -r re; do
				why=${re#* -- }
				re=${re%% -- *}
				if grep -Eq -- "$re" <<<"$line"; then
					hit=$why
					break
				fi
			done < <(sed -n 's/^# skip-ok: //p' "$plan")
		fi
		line=$(sed 's/^ *//; s/\r$//' <<<"$line")
		if [ -n "$hit" ]; then
			echo "  expected skip, $name: $line ($hit)"
		else
			echo "  UNEXPECTED skip, $name: $line"
			failed=$((failed + 1))
		fi
	done < <(grep -E '^ *ok [0-9]+ .*#[[:space:]]*[Ss][Kk][Ii][Pp]' "$tap")
}
echo "check: skips"
gate_skips "static checks" "$out/lint.tap" ""
gate_skips "GICv4.1 model qtests" "$qtap" ""
gate_skips "consoles" "$out/console.tap" ""
gate_skips "outcome table" "$out/outcomes.tap" ""
for plan in $plans; do
	gate_skips "plan $plan" "$out/$plan/results.tap" \
		"$top/initramfs/plans/$plan.plan"
done

if [ "$failed" != 0 ]; then
	echo "check: FAILED; details in build/out/{lint.tap,PLAN/{results.tap,console.log}} and build/qemu-gicv4.1/qtest.tap"
	(cd "$out" && grep -H -E -B2 -A30 '^ *not ok ' lint.tap "$qtap" \
		console.tap outcomes.tap */results.tap) | head -100
	tail -n 15 "$out/check/console.log" | sed 's/^/  console: /'
	# A failed run's own output comes before its "not ok": print each
	# one's last lines, last, so that a log that keeps only its end
	# shows why
	for plan in $plans; do
		awk -v plan="$plan" '
			/^# run / { n = 0 }
			{ buf[n++ % 60] = $0 }
			/^not ok [0-9]+ run / {
				print "check: " plan ": the end of what it printed:"
				for (i = (n > 60 ? n - 60 : 0); i < n; i++)
					print "  " buf[i % 60]
			}' "$out/$plan/results.tap"
	done | head -240
fi
echo "check: $(($(date +%s) - start))s on the bed and checks"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
