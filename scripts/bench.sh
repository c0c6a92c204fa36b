#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: boot the emulated GICv4.1 host on initramfs/plans/bench.plan,
# read the benchmark's result lines back and render them.
#
#   scripts/bench.sh                 boot, then render
#   scripts/bench.sh --no-boot [DIR] render again from DIR's results.tap
#                                    (default build/out/bench)
#
# /tests/vlpi_mig_bench prints one TAP diagnostic a measurement, which
# /init nests (indented) in results.tap:
#
#   # bench op=OP vcpus=N sw=N fwd=N side=SIDE reps=N median_us=N
#           min_us=N max_us=N bits=N vpe_unmaps=N vpe_maps=N
#
# (one line), OP one of save_pending save_its restore unforward teardown
# (side module or upstream) or floor (side copy). Writes
#
#   DIR/bench.dat                            one row per configuration and op
#   Documentation/vlpi-mig/bench-table.rst   the table (reStructuredText)
#   Documentation/vlpi-mig/bench.png         the plot (gnuplot)
#
# and ends with two lines: the save's speedup and unforward's cost against
# upstream. Lines missing or malformed are named on stderr, the two files
# in Documentation/ are left as they were (the renderings stay in DIR) and
# the exit status is non-zero.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/out/bench
docs=$top/Documentation/vlpi-mig
boot=1

case ${1:-} in
--no-boot) boot=0; [ $# -lt 2 ] || out=$(cd "$2" && pwd) || exit 2 ;;
-h|--help) sed -n '3,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
"") ;;
*) if [ -d "$1" ]; then boot=0; out=$(cd "$1" && pwd); else
	echo "usage: scripts/bench.sh [--no-boot [DIR]]" >&2; exit 2; fi ;;
esac

# What produced the results, for the table's first line
if [ "$boot" = 1 ] && [ -n "${MAKELEVEL:-}" ]; then
	cmd="make bench"
else
	cmd="scripts/bench.sh${*:+ $*}"
fi

bad=0
problem() { echo "bench: $*" >&2; bad=1; }

if [ "$boot" = 1 ]; then
	echo "bench: booting the emulated GICv4.1 host (plan: bench)"
	# The plan gives the benchmark 5400 s; the bed's default would
	# stop QEMU before that
	VLPI_GIC=4.1 VLPI_BED=bench VLPI_BED_TIMEOUT=${VLPI_BED_TIMEOUT:-6000} \
		"$top/scripts/run-bed.sh" bench || problem "the bed failed (see above, and build/out/bench/console.log)"
fi

results=$out/results.tap
console=$out/console.log
[ -e "$results" ] || [ -e "$console" ] || { echo "bench: no $results" >&2; exit 1; }

# The bed's own results: every top-level one passed, the plan completed
if [ -e "$results" ]; then
	while IFS= read -r line; do
		problem "the bed reported: $line"
	done < <(grep -a '^not ok ' "$results")
	grep -aq '^# vlpi-mig: plan complete' "$results" ||
		problem "the plan did not complete (no '# vlpi-mig: plan complete' in $results)"
fi

# The measurements, wherever they are nested; from the kernel console if
# /init had no results channel
extract() { [ -e "$1" ] && sed -n 's/\r$//; s/^.*# bench \(op=\)/\1/p' "$1"; }
lines=$out/bench.lines
from=$results
extract "$results" >"$lines"
[ -s "$lines" ] || { from=$console; extract "$console" >"$lines"; }
if [ ! -s "$lines" ]; then
	echo "bench: no '# bench op=...' line in $results or $console" >&2
	exit 1
fi
echo "bench: $(wc -l <"$lines") measurements from ${from#"$top"/}"

# One row per configuration and op, both sides side by side, the floor
# beside save_pending; "-" where there is no measurement. Names what is
# missing or malformed on stderr and exits 1 then.
dat=$out/bench.dat
awk '
BEGIN {
	nops = split("save_pending save_its restore unforward teardown", OPS)
	nkeys = split("op vcpus sw fwd side reps median_us min_us max_us bits vpe_unmaps vpe_maps", KEYS)
	nvals = split("median_us min_us max_us reps bits vpe_unmaps vpe_maps", VALS)
	for (i = 1; i <= nops; i++) known[OPS[i]] = 1
}

function sorted_keys(set, arr,    n, k, i, j, t) {
	n = 0
	for (k in set) arr[++n] = k
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && arr[j - 1] + 0 > arr[j] + 0; j--) {
			t = arr[j]; arr[j] = arr[j - 1]; arr[j - 1] = t
		}
	return n
}

# What is wrong, on stderr: the first 20 things, then how many more
function complain(msg) {
	if (++ncomplaints <= 20)
		print "bench: " msg > "/dev/stderr"
	bad = 1
}

function missing(op, side, cfg,    c) {
	split(cfg, c, SUBSEP)
	complain(sprintf("missing op=%s side=%s vcpus=%s sw=%s fwd=%s",
			 op, side, c[1], c[2], c[3]))
}

# The seven values of one side, or seven "-"; floor has no bits nor vPEs
function side(op, s, cfg, n,    i, r, k) {
	k = op SUBSEP s SUBSEP cfg
	r = ""
	for (i = 1; i <= n; i++)
		r = r " " ((k in got) ? v[k, VALS[i]] : "-")
	return r
}

{
	delete f
	for (i = 1; i <= NF; i++)
		if (split($i, kv, "=") == 2)
			f[kv[1]] = kv[2]
	for (i = 1; i <= nkeys; i++) {
		if (!(KEYS[i] in f) ||
		    (i != 1 && i != 5 && f[KEYS[i]] !~ /^[0-9]+(\.[0-9]+)?$/)) {
			complain("malformed (" KEYS[i] "): " $0)
			next
		}
	}
	op = f["op"]; s = f["side"]
	if (!(op == "floor" && s == "copy") &&
	    !(op in known && (s == "module" || s == "upstream"))) {
		complain("unknown op/side: " $0)
		next
	}
	cfg = f["vcpus"] + 0 SUBSEP f["sw"] + 0 SUBSEP f["fwd"] + 0
	k = op SUBSEP s SUBSEP cfg
	if (k in got)
		printf("bench: measured twice, keeping the last: %s\n", $0) > "/dev/stderr"
	got[k] = 1
	for (i = 1; i <= nvals; i++)
		v[k, VALS[i]] = f[VALS[i]]
	rows[op, cfg] = 1
	cfgs[cfg] = 1
	if (op == "floor")
		rows["save_pending", cfg] = 1
	split(cfg, c, SUBSEP)
	vc[c[1]] = 1; sws[c[2]] = 1; fws[c[3]] = 1
}

END {
	print "# vlpi-mig bench: times in us; \"-\": not measured"
	print "# op vcpus sw fwd" \
	      " up_median up_min up_max up_reps up_bits up_vpe_unmaps up_vpe_maps" \
	      " mod_median mod_min mod_max mod_reps mod_bits mod_vpe_unmaps mod_vpe_maps" \
	      " floor_median floor_min floor_max floor_reps"
	nv = sorted_keys(vc, V); ns = sorted_keys(sws, S); nf = sorted_keys(fws, F)
	for (a = 1; a <= nv; a++)
	for (b = 1; b <= ns; b++)
	for (d = 1; d <= nf; d++) {
		cfg = V[a] SUBSEP S[b] SUBSEP F[d]
		for (i = 1; i <= nops; i++) {
			op = OPS[i]
			if (!((op, cfg) in rows))
				continue
			if (!((op, "upstream", cfg) in got)) missing(op, "upstream", cfg)
			if (!((op, "module", cfg) in got)) missing(op, "module", cfg)
			if (op == "save_pending" && !(("floor", "copy", cfg) in got))
				missing("floor", "copy", cfg)
			printf("%s %s %s %s%s%s%s\n", op, V[a], S[b], F[d],
			       side(op, "upstream", cfg, 7),
			       side(op, "module", cfg, 7),
			       op == "save_pending" ? side("floor", "copy", cfg, 4) : " - - - -")
		}
	}
	if (ncomplaints > 20)
		printf("bench: ... and %d more\n", ncomplaints - 20) > "/dev/stderr"
	exit bad
}' "$lines" >"$dat" || bad=1

# The two summary lines, from bench.dat; names what they lack
summary() {
	awk '
	function ratio(a, b) { return (a == "-" || b == "-" || b + 0 == 0) ? "" : sprintf("%.2f", a / b) }
	/^#/ { next }
	$1 == "save_pending" && $2 == 16 && $3 == 8192 && $4 == 1024 { save = ratio($5, $12) }
	$1 == "unforward" && $2 == 16 && $4 == 1024 { unf[$3] = ratio($12, $5) }
	END {
		u = (0 in unf && unf[0] != "") ? unf[0] : (8192 in unf) ? unf[8192] : ""
		if (save == "") {
			print "bench: no save speedup: needs op=save_pending vcpus=16 sw=8192 fwd=1024, sides module and upstream (upstream median not 0)" > "/dev/stderr"
			bad = 1
		}
		if (u == "") {
			print "bench: no unforward cost: needs op=unforward vcpus=16 fwd=1024 (sw=0, else sw=8192), sides module and upstream (upstream median not 0)" > "/dev/stderr"
			bad = 1
		}
		if (save != "")
			printf("save speedup vs upstream: %s (8192 LPIs + 1024 vLPIs, 16 vCPUs)\n", save)
		if (u != "")
			printf("unforward cost vs upstream: %s (1024 vLPIs, 16 vCPUs)\n", u)
		exit bad
	}' "$dat"
}

# The table. A list-table: one row per configuration and op
when=$(date -u '+%Y-%m-%d %H:%M UTC')
ran=$(date -u -r "$from" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo "$when")
tree=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
rst=$out/bench-table.rst
awk -v cmd="$cmd" -v when="$when" -v ran="$ran" -v tree="$tree" -v src="${from#"$top"/}" '
function cell(s) { print (s == "" ? "     -" : "     - " s) }
function first(s) { print "   * - " s }
function num(x) { return x == "-" ? "" : x }
function span(lo, hi) { return (lo == "-" || hi == "-") ? "" : lo "-" hi }
function ratio(a, b) { return (a == "-" || b == "-" || b + 0 == 0) ? "" : sprintf("%.2f", a / b) }
function vpes(m) { return m == "-" ? "" : m }
function lost(u, m) { return (u == "-" || m == "-") ? "" : m - u }

BEGIN {
	print ".. SPDX-License-Identifier: GPL-2.0"
	print ".. Generated by scripts/bench.sh from " src ": do not edit."
	print ""
	print "============================"
	print "vlpi-mig: benchmark results"
	print "============================"
	print ""
	printf("Produced by ``%s`` on %s (tree %s); the bed ran on %s.\n",
	       cmd, when, tree, ran)
	print ""
	print "The emulated GICv4.1 host under QEMU TCG, the model in ``qemu-gicv4.1/``"
	print "(``VLPI_GIC=4.1 VLPI_BED=bench scripts/run-bed.sh bench``, plan"
	print "``initramfs/plans/bench.plan``),"
	print "``/tests/vlpi_mig_bench``: each operation timed on a VM with the module"
	print "loaded (module) and unloaded (upstream: 6.12 plus the fixes the"
	print "series carries). Times are in microseconds: the median of the repetitions,"
	print "and their min-max. *module/upstream* is the ratio of the medians"
	print "(below 1: the module is faster). *floor* is ``op=floor side=copy``"
	print "at the same configuration, shown beside ``save_pending``."
	print ""
	print "*pending bits saved* is how many pending bits each side'"'"'s"
	print "``save_pending`` left set in guest RAM. On GICv4.1 upstream reads a"
	print "forwarded vLPI'"'"'s pending state from its VPT as the module does:"
	print "*dropped by upstream* (module minus upstream) must be 0; on GICv4.0"
	print "it counts the pending bits that only the module saved. *vPE"
	print "unmaps/maps* counts the vPE unmaps and maps the module'"'"'s operation"
	print "made (its STATS); upstream'"'"'s are not counted: its GICv4.1 save"
	print "unmaps and maps back every vPE of the VM, forwarded vLPIs or not."
	print ""
	print ".. image:: bench.png"
	print "   :alt: save_pending and unforward times against forwarded vLPIs"
	print ""
	print ".. list-table::"
	print "   :header-rows: 1"
	print ""
	first("vCPUs"); cell("software LPIs"); cell("forwarded vLPIs"); cell("op")
	cell("upstream median"); cell("upstream min-max")
	cell("module median"); cell("module min-max"); cell("module/upstream")
	cell("floor median (min-max)")
	cell("pending bits saved: upstream"); cell("pending bits saved: module")
	cell("dropped by upstream")
	cell("vPE unmaps: module"); cell("vPE maps: module")
}
/^#/ { next }
{
	first($2); cell($3); cell($4); cell("``" $1 "``")
	cell(num($5)); cell(span($6, $7))
	cell(num($12)); cell(span($13, $14)); cell(ratio($12, $5))
	floor = num($19)
	if (floor != "" && span($20, $21) != "")
		floor = floor " (" span($20, $21) ")"
	cell(floor)
	if ($1 == "save_pending") {
		cell(num($9)); cell(num($16)); cell(lost($9, $16))
	} else {
		cell(""); cell(""); cell("")
	}
	cell(vpes($17)); cell(vpes($18))
}' "$dat" >"$rst"

# The plot: save_pending against forwarded vLPIs at 16 vCPUs, without
# and with software LPIs (module, upstream, floor), and unforward; each
# point the median, its bar min to max
gp=$out/bench.gp
png=$out/bench.png
if ! command -v gnuplot >/dev/null; then
	problem "no gnuplot (scripts/deps.sh bench installs gnuplot-nox)"
else
	if gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo; then
		term="pngcairo size 1500,520 font 'sans,10'"
	else
		term="png size 1500,520"
	fi
	awk -v term="$term" -v png="$png" '
	# One data block: fwd, then median min max of each side asked
	function block(name, op, sw, cols,    i, j, n, c) {
		n = split(cols, c, " ")
		printf("$%s << EOD\n", name)
		for (i = 1; i <= nrow; i++)
			if (R[i, 1] == op && R[i, 2] == 16 && R[i, 3] == sw) {
				printf("%s", R[i, 4])
				for (j = 1; j <= n; j++)
					printf(" %s %s %s", R[i, c[j]], R[i, c[j] + 1], R[i, c[j] + 2])
				printf("\n")
				has[name] = 1
			}
		print "EOD"
	}
	/^#/ { next }
	{ nrow++; for (i = 1; i <= NF; i++) R[nrow, i] = $i; fw[$4] = 1 }
	END {
		block("save0", "save_pending", 0, "5 12 19")
		block("save8192", "save_pending", 8192, "5 12 19")
		block("unf0", "unforward", 0, "5 12")
		block("unf8192", "unforward", 8192, "5 12")
		n = has["save0"] + has["save8192"] + (has["unf0"] || has["unf8192"])
		if (!n) {
			print "print \"bench: nothing measured at 16 vCPUs to plot\"; exit status 1"
			exit
		}
		printf("set terminal %s\nset output \"%s\"\n", term, png)
		print "set termoption noenhanced"
		print "set datafile missing \"-\""
		print "set logscale xy"
		xt = ""
		for (x in fw) xt = xt (xt == "" ? "" : ", ") x
		printf("set xtics (%s)\n", xt)
		print "set xrange [*:*] noextend"
		print "set offsets graph 0.05, graph 0.05, 0, 0"
		print "set grid"
		print "set key top left"
		print "set xlabel \"forwarded vLPIs\""
		print "set ylabel \"time (us), median; bars: min to max\""
		printf("set multiplot layout 1,%d title \"vlpi-mig bench: 16 vCPUs, emulated GICv4.1 host (QEMU TCG)\"\n", n)
		for (b = 0; b <= 1; b++) {
			name = b ? "save8192" : "save0"
			if (!has[name]) continue
			printf("set title \"save_pending, %s software LPIs\"\n", b ? 8192 : 0)
			printf("plot $%s using 1:2:3:4 with yerrorlines title \"upstream\" lw 2 lc rgb \"#d62728\", ", name)
			printf("$%s using 1:5:6:7 with yerrorlines title \"module\" lw 2 lc rgb \"#1f77b4\", ", name)
			printf("$%s using 1:8:9:10 with yerrorlines title \"floor (copy)\" lw 2 dt 2 lc rgb \"#555555\"\n", name)
		}
		name = has["unf0"] ? "unf0" : "unf8192"
		if (has[name]) {
			printf("set title \"unforward, %s software LPIs\"\n", name == "unf0" ? 0 : 8192)
			printf("plot $%s using 1:2:3:4 with yerrorlines title \"upstream\" lw 2 lc rgb \"#d62728\", ", name)
			printf("$%s using 1:5:6:7 with yerrorlines title \"module\" lw 2 lc rgb \"#1f77b4\"\n", name)
		}
		print "unset multiplot"
	}' "$dat" >"$gp"
	gnuplot "$gp" >"$out/gnuplot.log" 2>&1 || {
		problem "gnuplot failed on $gp:"
		sed 's/^/  /' "$out/gnuplot.log" >&2
	}
fi

sum=$(summary) || bad=1

# Documentation/ gets only a complete run's renderings
if [ "$bad" = 0 ]; then
	cp "$rst" "$docs/bench-table.rst"
	cp "$png" "$docs/bench.png"
	echo "bench: wrote ${dat#"$top"/}, Documentation/vlpi-mig/bench-table.rst and bench.png"
else
	echo "bench: FAILED; Documentation/vlpi-mig left as it was; what was rendered is in ${out#"$top"/}" >&2
fi
[ -z "$sum" ] || echo "$sum"
[ "$bad" = 0 ]
