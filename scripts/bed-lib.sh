# SPDX-License-Identifier: GPL-2.0-only
#
# What the scripts that read a bed's output share; sourced, not run.

# A kernel console line that must never appear: oops, WARN, BUG, lock,
# KASAN, UBSAN and kmemleak reports; a task hung in D state (the kernel's
# detector, or /init finding a killed test still there), a soft lockup
# ("BUG: soft lockup"), an RCU stall, and console lines printk dropped
bed_bad_re='(Oops|BUG:|WARNING:|Kernel panic|Unable to handle|Internal error|Call trace:|KASAN|UBSAN|suspected memory leak|possible (circular|recursive) locking|suspicious RCU usage|INFO: task .* blocked|init: stuck in D state|detected stalls? on CPU|rcu: INFO:|printk messages dropped)'

# bed_console_reports FILE: print the first reports in FILE, with their
# context, indented; false if there are none
bed_console_reports() {
	grep -Eq "$bed_bad_re" "$1" || return 1
	grep -E -m 20 -A 12 "$bed_bad_re" "$1" | sed 's/^/    # /'
}
