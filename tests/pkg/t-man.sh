#!/usr/bin/env bash
# t-man.sh BINARY - the manual pages: relaywarden(8) and relaywarden.conf(5)
# render with man -l, without a warning from groff -ww or man --warnings;
# relaywarden.conf(5) describes exactly the keys of `BINARY keys` (path and
# kind of value, in both directions); relaywarden(8) names every command and
# option of `BINARY --help`; both carry the binary's version.
set -uo pipefail
BINARY=${1:?usage: $0 BINARY}
case $BINARY in /*) ;; *) BINARY=$PWD/$BINARY ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rw-man.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
check() { # DESC COMMAND...: "ok - DESC" or "not ok - DESC" and what it printed
	local desc=$1
	shift
	if "$@" >"$TMP/check.out" 2>&1; then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		cat "$TMP/check.out"
		fails=$((fails + 1))
	fi
}
empty() { # FILE: true if empty, else shows it
	[ ! -s "$1" ] && return 0
	sed 's/^/#   /' "$1"
	return 1
}

for cmd in man groff "$BINARY"; do
	command -v "$cmd" >/dev/null 2>&1 || { echo "not ok - $cmd is missing"; exit 1; }
done

for page in man/relaywarden.8 man/relaywarden.conf.5; do
	name=$(basename "$page")
	rc=0
	man -l "$page" >"$TMP/$name.txt" 2>"$TMP/$name.err" </dev/null || rc=$?
	check "$name: man -l renders it" test "$rc" -eq 0 -a -s "$TMP/$name.txt"
	check "$name: it has NAME, SYNOPSIS, DESCRIPTION and SEE ALSO" \
		sh -c "grep -q '^NAME' '$TMP/$name.txt' && grep -q '^SYNOPSIS' '$TMP/$name.txt' &&
			grep -q '^DESCRIPTION' '$TMP/$name.txt' && grep -q '^SEE ALSO' '$TMP/$name.txt'"
	groff -ww -man -z "$page" >"$TMP/groff.out" 2>&1
	check "$name: groff -ww -man -z: no warning" empty "$TMP/groff.out"
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" >/dev/null 2>"$TMP/warn.out" </dev/null
	check "$name: man --warnings (C.UTF-8, 80 columns): no warning" empty "$TMP/warn.out"
done

version=$("$BINARY" version | awk '{ print $2 }')
for page in man/relaywarden.8 man/relaywarden.conf.5; do
	check "$(basename "$page"): .TH says relaywarden $version" \
		grep -q "^\.TH .* \"relaywarden $version\"" "$page"
done

# The keys: `relaywarden keys` prints PATH<TAB>WORDS; the page tags each key
# with `.BI "PATH = " KIND` (see the comment at the top of the page).
"$BINARY" keys >"$TMP/keys.raw"
check "relaywarden keys lists keys" test -s "$TMP/keys.raw"
awk -F '\t' '{
	k = $2
	if (k == "a string in double quotes") t = "string"
	else if (k == "an integer") t = "integer"
	else if (k == "true or false") t = "boolean"
	else if (k ~ /^a list of strings/) t = "list of strings"
	else if (k ~ /^a list of groups/) t = "list of groups"
	else if (k ~ /^a group of lists/) t = "group of lists"
	else t = "UNKNOWN(" k ")"
	print $1 "\t" t
}' "$TMP/keys.raw" | sort >"$TMP/keys.code"
sed -n 's/^\.BI "\([A-Za-z0-9_.]*\) = " "\{0,1\}\([a-z ]*\)"\{0,1\}$/\1\t\2/p' \
	man/relaywarden.conf.5 | sort >"$TMP/keys.page"
cut -f1 "$TMP/keys.code" >"$TMP/paths.code"
cut -f1 "$TMP/keys.page" >"$TMP/paths.page"
comm -23 "$TMP/paths.code" "$TMP/paths.page" >"$TMP/missing"
comm -13 "$TMP/paths.code" "$TMP/paths.page" >"$TMP/extra"
check "relaywarden.conf.5 describes every key of relaywarden keys ($(wc -l <"$TMP/paths.code"))" \
	empty "$TMP/missing"
check "relaywarden.conf.5 describes no key relaywarden keys lacks" empty "$TMP/extra"
check "relaywarden.conf.5 describes each key once" \
	test "$(wc -l <"$TMP/paths.page")" -eq "$(sort -u "$TMP/paths.page" | wc -l)"
join -t "$(printf '\t')" "$TMP/keys.code" "$TMP/keys.page" |
	awk -F '\t' '$2 != $3 { print $1 ": the binary says " $2 ", the page " $3 }' >"$TMP/kinds"
check "relaywarden.conf.5 gives each key the binary's kind of value" empty "$TMP/kinds"

# relaywarden(8): every command word and option of the usage text.
"$BINARY" --help >"$TMP/help" 2>&1
check "relaywarden --help prints the usage" grep -q '^usage: relaywarden' "$TMP/help"
grep -o -- '--\{0,1\}-[a-z][a-z-]*' "$TMP/help" | sort -u >"$TMP/opts"
sed -n 's/^ *\(usage: \)\{0,1\}relaywarden \([a-z][a-z]*\).*/\2/p' "$TMP/help" | sort -u >"$TMP/cmds"
check "relaywarden --help names the commands" test -s "$TMP/cmds"
: >"$TMP/undocumented"
while read -r w; do
	grep -q -- "relaywarden $w" "$TMP/relaywarden.8.txt" || echo "command $w" >>"$TMP/undocumented"
done <"$TMP/cmds"
while read -r o; do
	grep -q -- "$o\b" "$TMP/relaywarden.8.txt" || echo "option $o" >>"$TMP/undocumented"
done <"$TMP/opts"
check "relaywarden.8 documents every command and option of --help" empty "$TMP/undocumented"
for section in COMMANDS SIGNALS FILES 'EXIT STATUS'; do
	check "relaywarden.8 has $section" grep -q "^$section" "$TMP/relaywarden.8.txt"
done
check "relaywarden.8: exit status 78 is a configuration error" \
	grep -qE '^ +78 +The +policy +has +errors' "$TMP/relaywarden.8.txt"
check "relaywarden.8: SIGUSR1 reloads, SIGHUP stops" \
	sh -c "grep -A2 '^ *SIGUSR1' '$TMP/relaywarden.8.txt' | grep -q Reload &&
		grep -A1 '^ *SIGHUP' '$TMP/relaywarden.8.txt' | grep -q stops"

echo "# $fails failure(s)"
[ "$fails" -eq 0 ]
