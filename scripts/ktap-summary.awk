#!/usr/bin/awk -f
# SPDX-License-Identifier: GPL-2.0-only
#
# Summarise a KTAP/TAP stream. Leaves are counted: a result preceded by a
# deeper result is the parent of those and adds nothing, unless it failed
# with no failing child (a crash after its last subtest, say). Every
# "1..N" plan must be matched by N results at its indentation. Prints
# "PASSED FAILED SKIPPED" and, on stderr, what went wrong.
#
#   awk -v need_marker="# vlpi-mig: plan complete" -f ktap-summary.awk FILE

function indent_of(s) { match(s, /^ */); return RLENGTH }

function close_plans(d,    k) {
	for (k = d + 1; k <= maxd; k++) {
		if (active[k] && seen[k] != expect[k]) {
			printf("ktap: %d of %d planned results at indent %d before line %d\n",
			       seen[k], expect[k], k, NR) > "/dev/stderr"
			failed++
		}
		active[k] = 0
	}
}

BEGIN { maxd = 64; prev = -1 }

{ sub(/\r$/, "") }

need_marker != "" && $0 == need_marker { marker = 1 }

/^ *1\.\.[0-9]+/ {
	d = indent_of($0)
	line = substr($0, d + 1)
	sub(/^1\.\./, "", line)
	expect[d] = line + 0; seen[d] = 0; active[d] = 1
	next
}

/^ *Bail out!/ { printf("ktap: %s\n", $0) > "/dev/stderr"; failed++; next }

/^ *(not )?ok [0-9]+/ {
	d = indent_of($0)
	close_plans(d)
	seen[d]++
	ok = $0 !~ /^ *not ok /
	skip = $0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/
	if (prev > d) {
		# A parent: its leaves were counted already
		if (!ok && failed == base[d]) {
			printf("ktap: failed with no failing subtest: %s\n", $0) > "/dev/stderr"
			failed++
		}
	} else if (!ok) {
		printf("ktap: %s\n", $0) > "/dev/stderr"
		failed++
	} else if (skip) {
		skipped++
	} else {
		passed++
	}
	for (k = d; k <= maxd; k++)
		base[k] = failed
	prev = d
}

END {
	close_plans(-1)
	if (need_marker != "" && !marker) {
		printf("ktap: \"%s\" never came: the run stopped early\n", need_marker) > "/dev/stderr"
		failed++
	}
	printf("%d %d %d\n", passed, failed, skipped)
}
