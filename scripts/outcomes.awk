#!/usr/bin/awk -f
# SPDX-License-Identifier: GPL-2.0-only
#
# The outcome table of Documentation/vlpi-mig/admin-guide.rst against what
# the beds measured: every row must be what vlpi_mig_policy printed for
# that host and policy, and every host and policy it printed must have a
# row. TAP on stdout.
#
#   awk -f outcomes.awk admin-guide.rst check/results.tap v40/results.tap \
#       nodirect/results.tap
#
# The table is the first rst simple table after a line holding
# "outcome-table"; its columns: host, policy, CAPS, SAVE_ACTION (a number
# first), ITS save, saved bits, destination, outcome. The outcome is worked
# out here from the measured columns, never taken from the table.

function trim(s) { gsub(/^ +| +$/, "", s); return s }

# The table's host names, as vlpi_mig_policy names the bed's mode
function mode_of(host) {
	if (host == "GICv4.1")
		return "GICv4.1"
	if (host == "GICv4.0")
		return "unreadable"
	if (host == "direct injection off")
		return "no direct injection"
	return "?" host
}

function outcome(its, bits, dest,    b, d) {
	split(bits, b, " ")
	split(dest, d, " ")
	if (its != "ok" || dest == "-")
		return b[1] == "1" ? "saved, not migrated" : "lost"
	if (d[1] == "1" && d[2] == "0")
		return "taken once"
	if (d[1] == "1" && d[2] == "1")
		return "taken once, one spurious"
	return "lost"
}

{ sub(/\r$/, "") }

FNR == 1 { file++ }

# The rst: column starts from the table's first rule line
file == 1 && /outcome-table/ { want_table = 1; next }
file == 1 && want_table && /^=[= ]*$/ {
	rules++
	if (rules == 1) {
		ncol = 0
		for (i = 1; i <= length($0); i++)
			if (substr($0, i, 1) == "=" && (i == 1 || substr($0, i - 1, 1) == " "))
				start[++ncol] = i
	}
	if (rules == 3)
		want_table = 0
	next
}
file == 1 && want_table && rules == 2 && $0 != "" {
	for (c = 1; c <= ncol; c++) {
		len = c < ncol ? start[c + 1] - start[c] : length($0)
		cell[c] = trim(substr($0, start[c], len))
		# rst's escape of a cell that is only a dash
		if (cell[c] == "\\-")
			cell[c] = "-"
	}
	key = mode_of(cell[1]) ", " cell[2]
	rows[++nrows] = key
	shown[key] = cell[1] ", " cell[2]
	doc[key] = sprintf("CAPS %s, SAVE_ACTION %s, ITS save %s, saved %s, taken %s: %s",
			   cell[3], cell[4] + 0, cell[5], cell[6], cell[7], cell[8])
	next
}
file == 1 { next }

# The beds: "MODE, POLICY: ITS save ..., saved bits A B, ... CAPS X ..."
/^ *(not )?ok [0-9]+ .*, (strict|conservative|legacy): ITS save / {
	s = $0
	sub(/^ *(not )?ok [0-9]+ /, "", s)
	sub(/^[^ ]*vlpi_mig_policy[^ ]* /, "", s)
	key = s
	sub(/: ITS save .*/, "", key)
	its = s
	sub(/.*: ITS save /, "", its)
	sub(/,.*/, "", its)
	if (its == "Permission denied")
		its = "EACCES"
	match(s, /saved bits [01] [01]/)
	bits = substr(s, RSTART + 11, 3)
	match(s, /CAPS 0x[0-9a-f]+|CAPS 0 /)
	caps = trim(substr(s, RSTART + 5, RLENGTH - 5))
	match(s, /SAVE_ACTION [0-9]+/)
	action = substr(s, RSTART + 12, RLENGTH - 12)
	m_its[key] = its
	m_bits[key] = bits
	m_caps[key] = caps
	m_action[key] = action
	if (!(key in seen)) {
		seen[key] = 1
		measured[++nmeasured] = key
	}
	next
}
/^ *(not )?ok [0-9]+ .*, (strict|conservative|legacy): migrated / {
	s = $0
	sub(/^ *(not )?ok [0-9]+ /, "", s)
	sub(/^[^ ]*vlpi_mig_policy[^ ]* /, "", s)
	key = s
	sub(/: migrated .*/, "", key)
	match(s, /8192 taken [0-9]+, 8193 [0-9]+/)
	t = substr(s, RSTART, RLENGTH)
	split(t, w, /[ ,]+/)
	m_dest[key] = w[3] " " w[5]
	next
}

END {
	n = 0
	print "TAP version 13"
	print "1.." (nrows + 1)
	for (r = 1; r <= nrows; r++) {
		key = rows[r]
		if (!(key in seen)) {
			printf("not ok %d outcome table: %s: no bed measured it\n", ++n, shown[key])
			continue
		}
		dest = key in m_dest ? m_dest[key] : "-"
		got = sprintf("CAPS %s, SAVE_ACTION %s, ITS save %s, saved %s, taken %s: %s",
			      m_caps[key], m_action[key], m_its[key], m_bits[key],
			      dest, outcome(m_its[key], m_bits[key], dest))
		if (got == doc[key])
			printf("ok %d outcome table: %s: %s\n", ++n, shown[key], got)
		else
			printf("not ok %d outcome table: %s: the table has \"%s\", the bed \"%s\"\n",
			       ++n, shown[key], doc[key], got)
	}
	missing = ""
	for (i = 1; i <= nmeasured; i++)
		if (!((measured[i]) in doc))
			missing = missing " [" measured[i] "]"
	if (nrows == 0)
		printf("not ok %d outcome table: no table after \"outcome-table\"\n", ++n)
	else if (missing != "")
		printf("not ok %d outcome table: measured but not in the table:%s\n", ++n, missing)
	else
		printf("ok %d outcome table: every host and policy measured has its row (%d)\n",
		       ++n, nmeasured)
}
