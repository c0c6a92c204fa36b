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
# /tests/vlpi_mig_bench prints TAP diagnostics, which /init nests
# (indented) in results.tap, one line each:
#
#   # bench host gic=4.1 mbps=N
#   # bench op=OP vcpus=N sw=N fwd=N side=SIDE reps=N median_us=N
#           q1_us=N q3_us=N min_us=N max_us=N
#   # bench op=floor vcpus=N sw=N fwd=N side=bound median_us=N bytes=N
#           mbps=N vpes=N vmapp_us=N
#   # bench op=watch vcpus=N sw=N fwd=N side=SIDE bits=N vmapp_unmaps=N
#           vmapp_maps=N
#
# OP one of save_pending save_its restore unforward teardown, SIDE module
# or upstream. Writes
#
#   DIR/bench.dat                            one row per configuration and op
#   Documentation/vlpi-mig/bench-table.rst   the table (reStructuredText)
#   Documentation/vlpi-mig/bench.png         the plot (gnuplot)
#
# and prints each save's row: both medians and interquartile ranges, the
# speedup, the floor, and which target the row misses. The two files in
# Documentation/ are written only from a complete run of a committed tree
# (the table names it: tree <sha>); otherwise what is missing, malformed
# or uncommitted is named on stderr, the renderings stay in DIR and the
# exit status is non-zero.
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

bad=0
problem() { echo "bench: $*" >&2; bad=1; }

# The tree the module and the tests were built from: make bench builds
# both before it calls this script
tree=$(git -C "$top" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	tree="$tree-dirty"
fi

# What produced the results, for the table's first line
if [ "$boot" = 1 ] && [ -n "${MAKELEVEL:-}" ]; then
	cmd="make bench"
else
	cmd="scripts/bench.sh${*:+ $*}"
fi

if [ "$boot" = 1 ]; then
	echo "bench: booting the emulated GICv4.1 host (plan: bench) on build/bench/kernel"
	# The plan gives the benchmark 5400 s; the bed's default would
	# stop QEMU before that
	VLPI_GIC=4.1 VLPI_BED=bench VLPI_BED_TIMEOUT=${VLPI_BED_TIMEOUT:-6000} \
		VLPI_BED_IMAGE=$top/build/bench/kernel/arch/arm64/boot/Image \
		VLPI_BED_MODULES=$top/build/bench/module \
		"$top/scripts/run-bed.sh" bench || problem "the bed failed (see above, and build/out/bench/console.log)"
	mkdir -p "$out" && echo "$tree" >"$out/tree"
elif [ -s "$out/tree" ]; then
	tree=$(cat "$out/tree")
else
	tree="unknown (no $out/tree)"
fi
case $tree in
*-dirty|unknown*) problem "tree $tree: the table comes only from a committed tree; commit, then make bench" ;;
esac

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
extract() { [ -e "$1" ] && sed -n 's/\r$//; s/^.*# bench \(op=\|host \)/\1/p' "$1"; }
lines=$out/bench.lines
from=$results
extract "$results" >"$lines"
[ -s "$lines" ] || { from=$console; extract "$console" >"$lines"; }
if [ ! -s "$lines" ]; then
	echo "bench: no '# bench op=...' line in $results or $console" >&2
	exit 1
fi
echo "bench: $(wc -l <"$lines") measurements from ${from#"$top"/}"


# One row per configuration and op: both sides, then (save_pending only)
# the floor and what the watched saves left and sent; "-" where there is
# no measurement. Names what is missing or malformed on stderr.
dat=$out/bench.dat
awk '
BEGIN {
	nops = split("save_pending save_its restore unforward teardown", OPS)
	for (i = 1; i <= nops; i++) known[OPS[i]] = 1
	ntime = split("median_us q1_us q3_us min_us max_us reps", TIME)
	nfloor = split("median_us bytes vpes vmapp_us", FLOOR)
	nwatch = split("bits vmapp_unmaps vmapp_maps", WATCH)
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

function complain(msg) {
	if (++ncomplaints <= 20)
		print "bench: " msg > "/dev/stderr"
	bad = 1
}

# The values of @keys in this line, or a complaint
function take(k, keys, n,    i) {
	for (i = 1; i <= n; i++) {
		if (!(keys[i] in f) || f[keys[i]] !~ /^[0-9]+(\.[0-9]+)?$/) {
			complain("malformed (" keys[i] "): " $0)
			return 0
		}
	}
	for (i = 1; i <= n; i++)
		v[k, keys[i]] = f[keys[i]]
	if (k in got)
		printf("bench: measured twice, keeping the last: %s\n", $0) > "/dev/stderr"
	got[k] = 1
	return 1
}

function cols(k, keys, n,    i, r) {
	r = ""
	for (i = 1; i <= n; i++)
		r = r " " ((k in got) ? v[k, keys[i]] : "-")
	return r
}

function need(k, what) {
	if (!(k in got))
		complain("missing " what)
}

{
	delete f
	for (i = 1; i <= NF; i++)
		if (split($i, kv, "=") == 2)
			f[kv[1]] = kv[2]
}
$1 == "host" {
	host = f["gic"]; mbps = f["mbps"]
	next
}
{
	op = f["op"]; s = f["side"]
	if (!("vcpus" in f) || !("sw" in f) || !("fwd" in f)) {
		complain("malformed: " $0)
		next
	}
	cfg = f["vcpus"] + 0 SUBSEP f["sw"] + 0 SUBSEP f["fwd"] + 0
	k = op SUBSEP s SUBSEP cfg
	if (op in known && (s == "module" || s == "upstream"))
		ok = take(k, TIME, ntime)
	else if (op == "floor" && s == "bound")
		ok = take(k, FLOOR, nfloor)
	else if (op == "watch" && (s == "module" || s == "upstream"))
		ok = take(k, WATCH, nwatch)
	else {
		complain("unknown op/side: " $0)
		next
	}
	if (!ok)
		next
	if (op in known)
		rows[op, cfg] = 1
	cfgs[cfg] = 1
	split(cfg, c, SUBSEP)
	vc[c[1]] = 1; sws[c[2]] = 1; fws[c[3]] = 1
}

END {
	if (host == "")
		complain("no \"# bench host gic=... mbps=...\" line")
	print "# vlpi-mig bench: times in us; \"-\": not measured"
	printf("# host gic=%s mbps=%s\n", host, mbps)
	print "# op vcpus sw fwd" \
	      " up_median up_q1 up_q3 up_min up_max up_reps" \
	      " mod_median mod_q1 mod_q3 mod_min mod_max mod_reps" \
	      " floor floor_bytes floor_vpes vmapp_us" \
	      " up_bits up_unmaps up_maps mod_bits mod_unmaps mod_maps"
	nv = sorted_keys(vc, V); ns = sorted_keys(sws, S); nf = sorted_keys(fws, F)
	for (a = 1; a <= nv; a++)
	for (b = 1; b <= ns; b++)
	for (d = 1; d <= nf; d++) {
		cfg = V[a] SUBSEP S[b] SUBSEP F[d]
		if (!(cfg in cfgs))
			continue
		where = sprintf("vcpus=%s sw=%s fwd=%s", V[a], S[b], F[d])
		need("save_pending" SUBSEP "upstream" SUBSEP cfg, "save_pending upstream " where)
		need("save_pending" SUBSEP "module" SUBSEP cfg, "save_pending module " where)
		need("floor" SUBSEP "bound" SUBSEP cfg, "floor " where)
		need("watch" SUBSEP "upstream" SUBSEP cfg, "watch upstream " where)
		need("watch" SUBSEP "module" SUBSEP cfg, "watch module " where)
		for (i = 1; i <= nops; i++) {
			op = OPS[i]
			if (!((op, cfg) in rows))
				continue
			need(op SUBSEP "upstream" SUBSEP cfg, op " upstream " where)
			need(op SUBSEP "module" SUBSEP cfg, op " module " where)
			sp = op == "save_pending"
			printf("%s %s %s %s%s%s%s%s%s\n", op, V[a], S[b], F[d],
			       cols(op SUBSEP "upstream" SUBSEP cfg, TIME, ntime),
			       cols(op SUBSEP "module" SUBSEP cfg, TIME, ntime),
			       sp ? cols("floor" SUBSEP "bound" SUBSEP cfg, FLOOR, nfloor) : " - - - -",
			       sp ? cols("watch" SUBSEP "upstream" SUBSEP cfg, WATCH, nwatch) : " - - -",
			       sp ? cols("watch" SUBSEP "module" SUBSEP cfg, WATCH, nwatch) : " - - -")
		}
	}
	if (ncomplaints > 20)
		printf("bench: ... and %d more\n", ncomplaints - 20) > "/dev/stderr"
	exit bad
}' "$lines" >"$dat" || bad=1

# What every row is judged by, shared by the summary and the table. The
# targets: the module no slower than upstream in any row; at 16 vCPUs,
# 8192 software LPIs and 1024 vLPIs, 3x faster and within 10x of the floor.
# A ratio is claimed only where the interquartile ranges do not overlap.
judge='
function ratio(a, b) { return (a == "-" || b == "-" || b + 0 == 0) ? "" : sprintf("%.2f", a / b) }
# faster, slower (IQRs apart) or overlap
function apart(uq1, uq3, mq1, mq3) {
	if (uq1 == "-" || mq1 == "-") return ""
	if (mq3 + 0 < uq1 + 0) return "faster"
	if (mq1 + 0 > uq3 + 0) return "slower"
	return "overlap"
}
function target_row(v, s, f) { return v == 16 && s == 8192 && f == 1024 }
# What the save row misses; "" when it meets every target that applies
function misses(v, s, f, upm, uq1, uq3, mm, mq1, mq3, fl,    a, r, sp, m) {
	a = apart(uq1, uq3, mq1, mq3)
	sp = ratio(upm, mm)
	if (a == "") return "not measured"
	m = ""
	if (a == "slower")
		m = "slower than upstream"
	if (target_row(v, s, f)) {
		if (a != "faster" || sp + 0 < 3)
			m = m (m == "" ? "" : "; ") "speedup " sp (a == "overlap" ? " (IQRs overlap)" : "") ", target 3"
		r = ratio(mm, fl)
		if (r == "" || r + 0 > 10)
			m = m (m == "" ? "" : "; ") (r == "" ? "no floor" : r "x the floor, target 10")
	}
	return m
}
'

summary() {
	awk "$judge"'
	/^#/ { next }
	$1 != "save_pending" { next }
	{
		m = misses($2, $3, $4, $5, $6, $7, $11, $12, $13, $17)
		printf("%2d vCPUs %4d sw %4d vLPIs: upstream %.0f us [%.0f-%.0f], module %.0f us [%.0f-%.0f], speedup %s (%s), floor %s us, module/floor %s%s\n",
		       $2, $3, $4, $5, $6, $7, $11, $12, $13, ratio($5, $11),
		       apart($6, $7, $12, $13) == "overlap" ? "IQRs overlap" : "IQRs apart",
		       $17, ratio($11, $17), m == "" ? "" : ": misses: " m)
	}' "$dat"
}

# The table: the saves, one row per configuration; then the other ops
when=$(date -u '+%Y-%m-%d %H:%M UTC')
ran=$(date -u -r "$from" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo "$when")
host=$(sed -n 's/^# host gic=\([^ ]*\) mbps=\(.*\)$/GICv\1, memory bandwidth \2 MB\/s/p' "$dat")
rst=$out/bench-table.rst
awk -v cmd="$cmd" -v when="$when" -v ran="$ran" -v tree="$tree" \
    -v host="$host" -v src="${from#"$top"/}" "$judge"'
function cell(s) { print (s == "" ? "     -" : "     - " s) }
function first(s) { print "   * - " s }
function iqr(m, q1, q3) { return m == "-" ? "" : m " (" q1 "-" q3 ")" }
function pair(a, b) { return (a == "-" || b == "-") ? "" : a "/" b }

BEGIN {
	print ".. SPDX-License-Identifier: GPL-2.0"
	print ".. Generated by scripts/bench.sh from " src ": do not edit."
	print ""
	print "============================"
	print "vlpi-mig: benchmark results"
	print "============================"
	print ""
	printf("``%s`` of tree %s, rendered %s; the bed ran on %s, on an\n",
	       cmd, tree, when, ran)
	printf("emulated host: %s (QEMU TCG, the model in ``qemu-gicv4.1/``; plan\n", host)
	print "``initramfs/plans/bench.plan``), on the bench'"'"'s kernel (the bed'"'"'s"
	print "without its checkers: ``scripts/bench-kernel.sh``)."
	print ""
	print "Each side builds, saves, restores and forwards its own VMs: *upstream*"
	print "with the module unloaded (6.12 plus the fixes the series carries),"
	print "*module* with it loaded. Times are microseconds: the median of the"
	print "repetitions and, in parentheses, the interquartile range. *speedup* is"
	print "upstream'"'"'s median over the module'"'"'s, claimed only where the two"
	print "ranges do not overlap. The *floor* is a lower bound on any save of the"
	print "configuration on this host: the pending-table and VPT bytes it must"
	print "write and read at the bandwidth measured in the same boot, plus one"
	print "VMAPP unmap and one map of each vPE that owns a forwarded vLPI, each"
	print "at the shortest VMAPP time of the watched saves (:doc:`testing`). *VMAPPs* are"
	print "the unmaps/maps the ITS driver built during one watched save of each"
	print "side, and *bits* the pending bits that save left in guest RAM."
	print ""
	print "Targets: the module no slower than upstream in any row; at 16 vCPUs,"
	print "8192 software LPIs and 1024 vLPIs, a speedup of 3 and at most 10 times"
	print "the floor. *misses* says which target a row misses; why, is in"
	print ":doc:`testing`."
	print ""
	print ".. image:: bench.png"
	print "   :alt: save_pending times against forwarded vLPIs, both sides and the floor"
	print ""
	print "``KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES``"
	print "========================================"
	print ""
	print ".. list-table::"
	print "   :header-rows: 1"
	print ""
	first("vCPUs"); cell("software LPIs"); cell("vLPIs")
	cell("upstream"); cell("module"); cell("speedup")
	cell("floor (bytes, vPEs)"); cell("module/floor")
	cell("bits upstream/module"); cell("VMAPPs upstream"); cell("VMAPPs module")
	cell("misses")
}
/^#/ { next }
$1 == "save_pending" {
	first($2); cell($3); cell($4)
	cell(iqr($5, $6, $7)); cell(iqr($11, $12, $13))
	a = apart($6, $7, $12, $13)
	cell(ratio($5, $11) (a == "overlap" ? " (IQRs overlap)" : ""))
	cell($17 == "-" ? "" : $17 " (" $18 ", " $19 ")")
	cell(ratio($11, $17))
	cell(pair($21, $24)); cell(pair($22, $23)); cell(pair($25, $26))
	cell(misses($2, $3, $4, $5, $6, $7, $11, $12, $13, $17))
	next
}
{ other[++nother] = $0 }
END {
	print ""
	print "The other operations"
	print "===================="
	print ""
	print "``save_its``: ``KVM_DEV_ARM_ITS_SAVE_TABLES`` on the source;"
	print "``restore``: ``KVM_DEV_ARM_ITS_RESTORE_TABLES`` on a new destination and an"
	print "irqfd per vector, which forwards it; ``unforward``: VFIO MSI-X disable of"
	print "every vector; ``teardown``: closing the destination VM. Destinations are"
	print "timed at 16 vCPUs with software LPIs only."
	print ""
	print ".. list-table::"
	print "   :header-rows: 1"
	print ""
	first("vCPUs"); cell("software LPIs"); cell("vLPIs"); cell("op")
	cell("upstream"); cell("module"); cell("module/upstream")
	for (i = 1; i <= nother; i++) {
		split(other[i], r, " ")
		first(r[2]); cell(r[3]); cell(r[4]); cell("``" r[1] "``")
		cell(iqr(r[5], r[6], r[7])); cell(iqr(r[11], r[12], r[13]))
		a = apart(r[6], r[7], r[12], r[13])
		cell(ratio(r[11], r[5]) (a == "overlap" ? " (IQRs overlap)" : ""))
	}
}' "$dat" >"$rst"

# The plot: save_pending against forwarded vLPIs at 16 vCPUs, without
# and with software LPIs: both sides and the floor, each point the median,
# its bar the interquartile range
gp=$out/bench.gp
png=$out/bench.png
if ! command -v gnuplot >/dev/null; then
	problem "no gnuplot (scripts/deps.sh bench installs gnuplot-nox)"
else
	if gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo; then
		term="pngcairo size 1200,520 font 'sans,10'"
	else
		term="png size 1200,520"
	fi
	awk -v term="$term" -v png="$png" -v tree="$tree" '
	function block(name, sw,    i) {
		printf("$%s << EOD\n", name)
		for (i = 1; i <= nrow; i++)
			if (R[i, 1] == "save_pending" && R[i, 2] == 16 && R[i, 3] == sw) {
				printf("%s %s %s %s %s %s %s %s\n", R[i, 4],
				       R[i, 5], R[i, 6], R[i, 7],
				       R[i, 11], R[i, 12], R[i, 13], R[i, 17])
				has[name] = 1
			}
		print "EOD"
	}
	/^#/ { next }
	{ nrow++; for (i = 1; i <= NF; i++) R[nrow, i] = $i; fw[$4] = 1 }
	END {
		block("save0", 0)
		block("save8192", 8192)
		n = has["save0"] + has["save8192"]
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
		print "set ylabel \"time (us): median, bars the interquartile range\""
		printf("set multiplot layout 1,%d title \"vlpi-mig bench, tree %s: SAVE_PENDING_TABLES at 16 vCPUs, emulated GICv4.1 host (QEMU TCG)\"\n", n, tree)
		for (b = 0; b <= 1; b++) {
			name = b ? "save8192" : "save0"
			if (!has[name]) continue
			printf("set title \"%s software LPIs\"\n", b ? 8192 : 0)
			printf("plot $%s using 1:2:3:4 with yerrorlines title \"upstream\" lw 2 lc rgb \"#d62728\", ", name)
			printf("$%s using 1:5:6:7 with yerrorlines title \"module\" lw 2 lc rgb \"#1f77b4\", ", name)
			printf("$%s using 1:8 with linespoints title \"floor\" lw 2 dt 2 lc rgb \"#555555\"\n", name)
		}
		print "unset multiplot"
	}' "$dat" >"$gp"
	gnuplot "$gp" >"$out/gnuplot.log" 2>&1 || {
		problem "gnuplot failed on $gp:"
		sed 's/^/  /' "$out/gnuplot.log" >&2
	}
fi

echo "bench: tree $tree, $host"
summary

# Documentation/ gets only a complete run's renderings, of a committed tree
if [ "$bad" = 0 ]; then
	cp "$rst" "$docs/bench-table.rst"
	cp "$png" "$docs/bench.png"
	echo "bench: wrote ${dat#"$top"/}, Documentation/vlpi-mig/bench-table.rst and bench.png"
else
	echo "bench: FAILED; Documentation/vlpi-mig left as it was; what was rendered is in ${out#"$top"/}" >&2
fi
[ "$bad" = 0 ]
