# bench/strace-waits.awk - from `strace -f -tt -T` of an MTA's processes
# (bench/stall.sh STALL_STRACE=DIR): how long the MTA waited for its milter.
# A wait is a poll(2) for input whose next read(2) in the same process
# returns a milter packet (a 4-byte length, then a reply command byte:
# c continue, a accept, r reject, t tempfail, y reply code, h/m/... a
# modification, O negotiation). Prints per message (a "250 2.0.0 Ok" or
# Sendmail's "250 2.0.0 ... Message accepted" to the client): the replies
# waited for, the time waited, the longest wait, and the time per message
# from the first to the last queued reply.
function secs(s,  a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
function dur(line,  m) { return match(line, /<[0-9.]+>$/) ? substr(line, RSTART + 1, RLENGTH - 2) + 0 : 0 }
{
	pid = $1
	if ($0 ~ /<\.\.\. poll resumed>/ || ($0 ~ / poll\(\[\{fd=[0-9]+, events=POLLIN\}\]/ && $0 !~ /unfinished/)) {
		if ($0 ~ /poll resumed/ && !(pid in pending)) next
		if ($0 ~ /revents=POLLIN/) { last_poll[pid] = dur($0) }
		delete pending[pid]
		next
	}
	if ($0 ~ / poll\(\[\{fd=[0-9]+, events=POLLIN\}\].*unfinished/) { pending[pid] = 1; next }
	if ($0 ~ /read(\(| resumed>).*"\\0\\0\\0(\\[0-9]+|\\[a-z]|[^\\])[cartyhmO]/ && (pid in last_poll)) {
		n++; w = last_poll[pid]; total += w; if (w > maxw) maxw = w
		delete last_poll[pid]
		next
	}
	if ($0 ~ /write\([0-9]+, "250 2\.0\.0 /) {
		msgs++; t = secs($2); if (!first) first = t; lastq = t
	}
	if ($0 ~ /read(\(| resumed>)/ && $0 !~ /unfinished/) delete last_poll[pid]
}
END {
	if (msgs == 0) { print "strace: no message queued in the trace"; exit }
	printf "strace: %d messages queued; per message %.1f milter replies waited for, %.2f ms waiting for them (longest wait %.2f ms); %.1f ms per message from the first to the last queued\n",
	    msgs, n / msgs, total * 1000 / msgs, maxw * 1000, (msgs > 1 ? (lastq - first) * 1000 / (msgs - 1) : 0)
}
