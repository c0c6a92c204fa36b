# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced, not run: what the scripts that fetch Debian packages under an
# apt configuration of their own share (scripts/qemu-userspace.sh,
# qemu-gicv4.1/build.sh).

# The Debian archive of this machine's own apt sources: the URI of the
# first "deb" entry with a plain release suite (bookworm, not
# bookworm-security or bookworm-updates) and the main component, in the
# deb822 .sources files or in the one-line .list files
debian_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && enabled != "no" &&
			    suites ~ /(^| )[a-z]+( |$)/ && comps ~ /(^| )main( |$)/ &&
			    uris != "") {
				split(uris, u, " "); print u[1]; found = 1; exit
			}
			types = uris = suites = comps = enabled = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		/^[ \t]/ { next }	# continuation (an inline key)
		{
			k = tolower($1); sub(/:.*/, "", k)
			v = $0; sub(/^[^:]*:[ \t]*/, "", v); gsub(/[ \t]+/, " ", v)
			if (k == "types") types = v
			else if (k == "uris") uris = v
			else if (k == "suites") suites = v
			else if (k == "components") comps = v
			else if (k == "enabled") enabled = tolower(v)
		}
		END { if (!found) flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '
		$1 != "deb" { next }
		{
			i = 2
			if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
			uri = $(i); s = $(i + 1); main = 0
			for (j = i + 2; j <= NF; j++) if ($j == "main") main = 1
			if (s ~ /^[a-z]+$/ && main) { print uri; exit }
		}' "$f"
	done
}

# apt_config DIR: an apt configuration of its own under DIR, read through
# APT_CONFIG before anything else, so that nothing of this machine's own
# apt state is read or written; a proxy set in the machine's
# configuration is kept. Prints the configuration file's path, to which
# the caller adds its own settings; its sources go in DIR/etc.
apt_config() {
	local dir=$1 conf=$1/etc/apt.conf scheme

	mkdir -p "$dir"/etc/{apt.conf.d,sources.list.d,preferences.d,trusted.gpg.d} \
		"$dir"/var/lib/{dpkg,apt/lists/partial} \
		"$dir"/var/cache/apt/archives/partial "$dir"/var/log/apt
	: >"$dir/var/lib/dpkg/status"
	{
		cat <<EOF
Dir "$dir/";
Dir::Etc "etc/";
Dir::Etc::main "/dev/null";
Dir::Etc::parts "apt.conf.d/";
Dir::Etc::sourcelist "sources.list";
Dir::Etc::sourceparts "sources.list.d/";
Dir::Etc::preferences "preferences";
Dir::Etc::preferencesparts "preferences.d/";
Dir::Etc::trusted "trusted.gpg";
Dir::Etc::trustedparts "trusted.gpg.d/";
Dir::State "var/lib/apt/";
Dir::State::status "$dir/var/lib/dpkg/status";
Dir::Cache "var/cache/apt/";
Dir::Cache::srcpkgcache "";
Dir::Log "var/log/apt/";
Acquire::Languages "none";
EOF
		for scheme in http https; do
			apt-config dump "Acquire::$scheme::Proxy" 2>/dev/null |
				grep "^Acquire::$scheme::Proxy \"" || true
		done
	} >"$conf"
	echo "$conf"
}
