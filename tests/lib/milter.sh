# shellcheck shell=bash
# tests/lib/milter.sh - run one private relaywarden for one test.
#
# Source it from bash (the runner and tests/cli/*.sh do). Everything lives in
# a private temp dir; the milter listens on a unix socket there, never on the
# network; it is stopped by its own PID, never by name.
#
#   rw_init                 RW_TMP=$(mktemp -d), RW_SOCK, RW_LOG, RW_CONF under it,
#                           and an EXIT trap that runs rw_cleanup.
#   rw_policy FIXTURE       copy FIXTURE to $RW_CONF with milter.socket replaced
#                           by unix:$RW_SOCK, and the directory files beside the
#                           fixture (directory*.conf) to $RW_TMP, since paths in
#                           a policy are relative to the policy's directory.
#   rw_start BINARY         BINARY -f -c $RW_CONF -p unix:$RW_SOCK in the
#                           background, stderr to $RW_LOG; waits until the milter
#                           logs "listening on unix:$RW_SOCK" (tests/lib/wait.sh:
#                           the socket file alone appears before listen(2), the
#                           privilege drop and the SIGUSR1 mask). Sets RW_PID.
#                           Prints the log and returns 1 if the milter dies or
#                           is not ready within RW_START_DEADLINE s (default 30).
#   rw_alive                true while the milter runs.
#   rw_stop                 SIGTERM, a short grace (RW_STOP_GRACE tenths of a
#                           second, default 3), then SIGKILL; reaps it. Sets
#                           RW_STATUS (exit status, 128+N for signal N).
#                           libmilter notices SIGTERM only at its next 5-second
#                           poll, so a clean stop is tested once (t-shutdown),
#                           not waited for after every test.
#   rw_cleanup              rw_stop and remove $RW_TMP (kept if RW_KEEP=1).
#   rw_show_log [FILE]      the milter log, each line prefixed with "#  ".
#   rw_log_problems         prints sanitizer reports / crashes found in the log;
#                           returns 0 if there were any.
# command-line tests (tests/cli/*.sh):
#   rw_run CMD...           runs CMD with stdout to $RW_TMP/out, stderr to
#                           $RW_TMP/err; sets RW_RC. Needs rw_init.
#   rw_check DESC COND...   runs COND (a command); prints "ok - DESC", or
#                           "not ok - DESC" with the last rw_run's output and
#                           counts the failure in RW_FAILS.
#   rw_done                 exit 1 if any rw_check failed, else 0.
#   rw_raw SOCK HOST IP AUTH FROM RCPT...
#                           a raw milter-protocol client (perl-base only, which
#                           every Debian system has) for what miltertest cannot
#                           do: it shows the exact reply text on the wire and
#                           sends arguments longer than miltertest's 1 KiB
#                           buffer. AUTH "" = not authenticated; IP "" = no
#                           address (family unknown). Sends {daemon_name}=smtp
#                           at connect and i=RAWQID at MAIL. Prints one line
#                           per step: "connect|mail|rcpt CODE TEXT" where CODE
#                           is the milter's reply command (c continue, y reply
#                           code, r reject, t tempfail, a accept; n: none, the
#                           milter negotiated no reply to CONNECT) and TEXT the
#                           reply text ("-" when none). Stops after MAIL if MAIL
#                           was not continued, and after a non-continue RCPT
#                           whose code starts with 421 (the MTA hangs up).

RW_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RW_TOP=$(cd "$RW_LIB_DIR/../.." && pwd)
# shellcheck source=wait.sh
. "$RW_LIB_DIR/wait.sh"
RW_PID=
RW_STATUS=
RW_STOP_GRACE=${RW_STOP_GRACE:-3}   # tenths of a second between SIGTERM and SIGKILL

rw_init() {
	local base=${TMPDIR:-/tmp}
	# sun_path holds 108 bytes: keep the socket path short.
	[ "${#base}" -le 60 ] || base=/tmp
	RW_TMP=$(mktemp -d "$base/rw-itest.XXXXXX")
	RW_SOCK=$RW_TMP/rw.sock
	RW_LOG=$RW_TMP/rw.log
	RW_CONF=$RW_TMP/rw.conf
	: >"$RW_LOG"
	trap rw_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

rw_policy() {
	local fixture=$1 dir f
	if [ ! -f "$fixture" ]; then
		echo "rw_policy: no such fixture $fixture" >&2
		return 1
	fi
	dir=$(dirname "$fixture")
	for f in "$dir"/directory*.conf; do
		[ -f "$f" ] && cp "$f" "$RW_TMP/"
	done
	sed -E 's#^([[:space:]]*socket[[:space:]]*=[[:space:]]*)"[^"]*"#\1"unix:'"$RW_SOCK"'"#' \
		"$fixture" >"$RW_CONF"
}

rw_alive() {
	[ -n "$RW_PID" ] && kill -0 "$RW_PID" 2>/dev/null
}

rw_start() {
	local binary=$1 mark
	rm -f "$RW_SOCK"
	mark=$(log_mark "$RW_LOG")
	"$binary" -f -c "$RW_CONF" -p "unix:$RW_SOCK" 2>>"$RW_LOG" &
	RW_PID=$!
	milter_wait_ready "$RW_LOG" "$mark" "$RW_PID" "unix:$RW_SOCK" "${RW_START_DEADLINE:-30}" &&
		return 0
	if ! kill -0 "$RW_PID" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$RW_PID/stat" 2>/dev/null)" = Z ]; then
		wait "$RW_PID" 2>/dev/null && RW_STATUS=0 || RW_STATUS=$?
		RW_PID=
		echo "# relaywarden exited with status $RW_STATUS before it was listening"
		rw_show_log
		return 1
	fi
	echo "# relaywarden did not log \"listening on unix:$RW_SOCK\" within ${RW_START_DEADLINE:-30} s"
	rw_show_log
	rw_stop
	return 1
}

rw_stop() {
	local i
	[ -n "$RW_PID" ] || return 0
	if kill -0 "$RW_PID" 2>/dev/null; then
		kill -TERM "$RW_PID" 2>/dev/null || true
		for ((i = 0; i < RW_STOP_GRACE * 2; i++)); do
			kill -0 "$RW_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$RW_PID" 2>/dev/null && kill -KILL "$RW_PID" 2>/dev/null
	fi
	wait "$RW_PID" 2>/dev/null && RW_STATUS=0 || RW_STATUS=$?
	RW_PID=
}

rw_cleanup() {
	rw_stop
	if [ -n "${RW_TMP:-}" ] && [ -d "$RW_TMP" ] && [ "${RW_KEEP:-0}" != 1 ]; then
		rm -rf "$RW_TMP"
	fi
}

rw_show_log() {
	local file=${1:-$RW_LOG}
	echo "#  ---- milter log $file ----"
	if [ -s "$file" ]; then
		sed 's/^/#  /' "$file"
	else
		echo "#  (empty)"
	fi
}

rw_log_problems() {
	grep -E 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|WARNING: ThreadSanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer|Segmentation fault|Aborted' \
		"$RW_LOG"
}

RW_FAILS=0

rw_run() {
	RW_RC=0
	"$@" >"$RW_TMP/out" 2>"$RW_TMP/err" || RW_RC=$?
}

rw_check() {
	local desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		echo "#  exit status ${RW_RC:-(no rw_run yet)}; stdout:"
		sed 's/^/#    /' "$RW_TMP/out" 2>/dev/null || true   # none before the first rw_run
		echo "#  stderr:"
		sed 's/^/#    /' "$RW_TMP/err" 2>/dev/null || true
		RW_FAILS=$((RW_FAILS + 1))
	fi
}

rw_done() {
	if [ "$RW_FAILS" -ne 0 ]; then
		echo "$RW_FAILS check(s) failed"
		exit 1
	fi
	exit 0
}

rw_raw() {
	perl -e '
use strict;
use warnings;
use Socket;

my ($path, $host, $ip, $auth, $from, @rcpts) = @ARGV;
socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
connect($s, pack_sockaddr_un($path)) or die "connect $path: $!\n";
binmode $s;

sub put { my ($cmd, $data) = @_; $data //= "";
	my $pkt = pack("N", length($data) + 1) . $cmd . $data;
	my $off = 0;
	while ($off < length $pkt) {
		my $n = syswrite($s, $pkt, length($pkt) - $off, $off);
		die "write: $!\n" unless defined $n;
		$off += $n;
	}
}
sub readn { my ($n) = @_; my $buf = "";
	while (length $buf < $n) {
		my $r = sysread($s, $buf, $n - length $buf, length $buf);
		die "read: $!\n" unless defined $r;
		die "read: the milter closed the connection\n" if $r == 0;
	}
	return $buf;
}
sub get { my $len = unpack("N", readn(4));
	my $body = readn($len);
	return (substr($body, 0, 1), substr($body, 1));
}
sub reply { my ($step) = @_;
	for (;;) {
		my ($cmd, $data) = get();
		next if $cmd eq "p";   # progress
		$data =~ s/\0+$//;
		print "$step $cmd ", ($data eq "" ? "-" : $data), "\n";
		return ($cmd, $data);
	}
}

# Option negotiation: protocol 6, all actions, all protocol steps offered.
put("O", pack("NNN", 6, 0x1FF, 0x1FFFFF));
my ($cmd, $data) = get();
die "negotiation answered $cmd\n" unless $cmd eq "O";
my (undef, undef, $popts) = unpack("NNN", $data);

put("D", "C" . "{daemon_name}\0smtp\0");
my $conn = $host . "\0" . ($ip eq "" ? "U" : ($ip =~ /:/ ? "6" : "4") . pack("n", 12345) . $ip . "\0");
put("C", $conn);
# no reply negotiated (SMFIP_NR_CONN): the MTA goes on as after a continue
if ($popts & 0x1000) { print "connect n -\n"; $cmd = "c"; } else { ($cmd) = reply("connect"); }
if ($cmd eq "c") {
	put("H", "client.example\0"), reply("helo") unless $popts & 0x2;
	put("D", "M" . "i\0RAWQID\0" . ($auth eq "" ? "" : "{auth_authen}\0$auth\0"));
	put("M", "$from\0");
	($cmd, $data) = reply("mail");
	if ($cmd eq "c") {
		for my $r (@rcpts) {
			put("R", "$r\0");
			($cmd, $data) = reply("rcpt");
			last if $cmd ne "c" && $data =~ /^421/;
		}
	}
}
put("Q");
close $s;
' "$@"
}
