#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The module on a kernel without the enabling series: both refusals, shown
# against Debian's linux-source-6.12 as it is (the "pristine" tag of
# build/linux-6.12), configured like the bed. Not part of make check.
#
#   1. build/vanilla-src, a git worktree of that tag (reused), built with
#      O=build/vanilla: allnoconfig with kernel/vlpi-mig.config, then
#      modules_prepare
#   2. a DKMS build against it (scripts/dkms.sh), which must be refused:
#      dkms.conf runs scripts/seam-check.sh, which says the series is
#      missing, and DKMS skips the kernel (exit 77); then the same sources
#      built without DKMS, which vgic/vlpi_mig.h's #error stops
#   3. the vanilla kernel's Image, booted in the bed (run-bed.sh with
#      VLPI_BED_IMAGE) on the plan initramfs/plans/vanilla.plan:
#      vlpi_mig.ko as make module built it, against the
#      series, must fail to load, the loader naming the series' symbol it
#      lacks, with no oops; vlpi_mig_smoke -n must pass
#
# Needs make module and make selftests done. The compiles go through
# ccache (CCACHE_BASEDIR is the checkout, CCACHE_DIR whatever the
# environment says); this run's hits are counted in
# build/vanilla-ccache.stats. The bed's build gives none: the series
# touches linux/mutex.h, which nearly every object includes, and the
# sources' paths differ. A cold run compiles the whole kernel (about 800
# objects); later ones build only what changed.
# Logs: build/vanilla-*.log. Prints a line a stage and ends with PASS or
# FAIL; exits non-zero unless PASS.
set -eu
# A make that called us must not pass its flags (W=1, C=2, ...) down
unset MAKEFLAGS MFLAGS MAKELEVEL W C

top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/build/vanilla-src
obj=$top/build/vanilla
log=$top/build/vanilla
plan=vanilla
cfg=$top/kernel/vlpi-mig.config
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
export CCACHE_BASEDIR=$top CCACHE_STATSLOG=$log-ccache.stats
kmake=(make -C "$src" O="$obj" CC="ccache ${CROSS_COMPILE}gcc")
t0=$(date +%s)
ts=$t0

# took: "(Ns)", the time since the last stage
lap() {
	local now
	now=$(date +%s)
	took="($((now - ts))s)"
	ts=$now
}

fail() {
	echo "vanilla: FAIL: $*"
	exit 1
}

for f in vlpi_mig.ko vlpi_mig_kunit.ko build/selftests/vlpi_mig_smoke; do
	[ -f "$top/$f" ] || { echo "vanilla: $f missing: make module selftests first" >&2; exit 2; }
done
mkdir -p "$obj"
: > "$CCACHE_STATSLOG"

# 1. The tree and its objects
if [ ! -e "$src" ]; then
	git -C "$top/build/linux-6.12" worktree add -q --detach "$src" pristine \
		>"$log-worktree.log" 2>&1 || fail "git worktree add: see $log-worktree.log"
	how="checked out"
else
	how=reused
fi
[ "$(git -C "$src" rev-parse HEAD)" = "$(git -C "$src" rev-parse 'pristine^{commit}')" ] ||
	fail "$src is not at the tag pristine"
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
	fail "$src has changes: git -C $src status"
[ ! -e "$src/include/kvm/arm_vgic_mig.h" ] || fail "$src has include/kvm/arm_vgic_mig.h: not a vanilla tree"
lap
echo "vanilla: build/vanilla-src $how, Linux $(make -s -C "$src" kernelversion) without the series $took"

if [ ! -f "$obj/.config" ] || [ "$cfg" -nt "$obj/.config" ]; then
	KCONFIG_ALLCONFIG=$cfg make -C "$src" O="$obj" allnoconfig \
		>"$log-config.log" 2>&1 || fail "allnoconfig: see $log-config.log"
fi
missing=
for o in $(grep -o '^CONFIG_[A-Z0-9_]*=[ym]' "$cfg"); do
	grep -qx "$o" "$obj/.config" || missing="$missing ${o%=*}"
done
lap
echo "vanilla: build/vanilla configured like the bed; options of kernel/vlpi-mig.config not set:${missing:- none} $took"

"${kmake[@]}" -j3 modules_prepare >"$log-prepare.log" 2>&1 ||
	fail "make modules_prepare: see $log-prepare.log"
release=$(cat "$obj/include/config/kernel.release")
lap
echo "vanilla: modules_prepare done, kernel release $release $took"

# 2. DKMS must refuse, and skip the kernel (exit 77, as for a module its
# BUILD_EXCLUSIVE directives exclude), with seam-check.sh's message
rc=0
"$top/scripts/dkms.sh" build "$obj" >"$log-dkms.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "DKMS built the module against a kernel without the series (see $log-dkms.log)"
pre=$(grep -e '^vlpi-mig: ' -e '^Error! ' -e '^This indicates' "$log-dkms.log" || true)
lap
echo "vanilla: DKMS refused to build, and skips the kernel (exit $rc) $took"
printf '%s\n' "${pre:-(nothing)}" | sed "s|$top/||g; s/^/    /"
[ "$rc" = 77 ] || fail "DKMS failed with $rc, not 77 (skipped) (see $log-dkms.log)"
case $pre in *"lacks the vlpi-mig enabling series"*) ;; *)
	fail "DKMS did not say that the kernel lacks the series (see $log-dkms.log)" ;;
esac

# 2b. A build without DKMS stops on vgic/vlpi_mig.h's #error
copy=$top/build/vanilla-mod
rm -rf "$copy"
"$top/scripts/dkms.sh" stage "$copy"
rc=0
"${kmake[@]}" M="$copy" modules >"$log-mod.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the module built against a kernel without the series (see $log-mod.log)"
err=$(grep -m 1 'error: #error' "$log-mod.log" | sed "s|$top/||g" || true)
lap
echo "vanilla: make M= failed as it must $took"
echo "    ${err:-(no #error)}"
case $err in *'#error "the kernel lacks the vlpi-mig enabling series'*) ;; *)
	fail "the build failed, but not on vgic/vlpi_mig.h's #error (see $log-mod.log)" ;;
esac

# 3. The kernel, booted with the module built against the series
"${kmake[@]}" -j3 Image >"$log-image.log" 2>&1 || fail "make Image: see $log-image.log"
# The compiler's probes (of /dev/null) apart from the kernel's sources
hits=$(awk '/^# /{f = $2} /^(direct|preprocessed)_cache_hit$/{h[f != "/dev/null"]++}
	/^cache_miss$/{m[f != "/dev/null"]++}
	END{printf "%d of %d compiles of sources, %d of %d probes", h[1], h[1] + m[1], h[0], h[0] + m[0]}' "$CCACHE_STATSLOG")
lap
echo "vanilla: build/vanilla/arch/arm64/boot/Image built; ccache hits, this run: $hits $took"

vermagic=$(modinfo -F vermagic "$top/vlpi_mig.ko")
[ "${vermagic%% *}" = "$release" ] ||
	fail "vlpi_mig.ko is for $vermagic, the vanilla kernel is $release: the loader would refuse it first"
VLPI_BED_IMAGE=$obj/arch/arm64/boot/Image "$top/scripts/run-bed.sh" "$plan" \
	>"$log-bed.log" 2>&1 || fail "run-bed.sh $plan: see $log-bed.log"
out=$top/build/out/$plan
lap
echo "vanilla: booted the bed on build/vanilla's Image, plan $plan: $(sed -n 's/.*QEMU ran //p' "$log-bed.log") $took"

console=$out/console.log
results=$out/results.tap
touch "$console" "$results"
lines=$(grep -a 'vlpi_mig' "$console" || true)
echo "  console, vlpi_mig:"
printf '%s\n' "${lines:-(nothing)}" | sed 's/^/    /'
lines=$(grep -a -E '^(not )?ok ' "$results" || true)
echo "  results.tap:"
printf '%s\n' "${lines:-(nothing)}" | sed 's/^/    /'

bad='(Oops|BUG:|WARNING:|Kernel panic|Unable to handle|Internal error|Call trace:|KASAN|UBSAN|suspected memory leak|possible (circular|recursive) locking|suspicious RCU usage|INFO: task .* blocked)'
n=0
nok=0
# check WHAT COMMAND...: a result line, "ok" if COMMAND succeeds
check() {
	local what=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "  ok $n $what"
	else
		echo "  not ok $n $what"
		nok=$((nok + 1))
	fi
}
has() { grep -aqE "$1" "$2"; }
lacks() { ! grep -aqE "$1" "$2"; }
check "insmod vlpi_mig.ko failed" has '^not ok [0-9]+ insmod /modules/vlpi_mig\.ko' "$results"
check "with ENOENT" has 'init: insmod /modules/vlpi_mig\.ko: No such file or directory' "$console"
check "the loader named the series' symbol" has 'vlpi_mig: Unknown symbol vgic_mig_register' "$console"
check "and no symbol of another version" lacks 'disagrees about version' "$console"
check "console is free of oops, WARN, BUG and lock reports" lacks "$bad" "$console"
check "vlpi_mig_smoke -n passed" has '^ok [0-9]+ run vlpi_mig_smoke/baseline' "$results"
check "the plan ran to its end" has '^# vlpi-mig: plan complete' "$results"
grep -aE -m 20 -A 12 "$bad" "$console" | sed 's/^/    # /' || true

lap
echo "vanilla: disk: $(du -sh "$src" | cut -f1) build/vanilla-src, $(du -sh "$obj" | cut -f1) build/vanilla $took"
if [ "$nok" = 0 ]; then
	echo "vanilla: PASS: both refusals, on Linux $release without the series ($(($(date +%s) - t0))s)"
else
	echo "vanilla: FAIL: $nok of $n checks ($(($(date +%s) - t0))s)"
	exit 1
fi
