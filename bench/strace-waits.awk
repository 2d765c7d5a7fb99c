# bench/strace-waits.awk - from `strace -f -tt -T` of an MTA's processes
# (bench/stall.sh STALL_STRACE=DIR): how long the MTA waited for its milter.
# A wait is a poll(2) for input on one descriptor (Postfix) or a select(2)
# on one read descriptor (Sendmail) whose next read(2) in the same process
# returns a milter packet (a 4-byte length, then a reply command byte: c
# continue, a accept, r reject, t tempfail, y reply code, h/m/... a
# modification, O negotiation). Prints per message (a "250 2.0.0" reply to
# the SMTP client): the replies waited for, the time waited, the longest
# wait, and the time per message from the first to the last queued reply.
function secs(s,  a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
function dur(line) { return match(line, /<[0-9.]+>$/) ? substr(line, RSTART + 1, RLENGTH - 2) + 0 : 0 }
function is_wait(line) {
	return line ~ / poll\(\[\{fd=[0-9]+, events=POLLIN\}\], 1,/ ||
	    line ~ / (pselect6|select)\([0-9]+, \[[0-9]+\], NULL,/
}
{
	pid = $1
	if (is_wait($0)) {
		if ($0 ~ /unfinished/) { pending[pid] = 1; next }
		if ($0 ~ /\) = 1 /) last_wait[pid] = dur($0)
		next
	}
	if ($0 ~ /<\.\.\. (poll|pselect6|select) resumed>/) {
		if ((pid in pending) && $0 ~ /\) = 1 /) last_wait[pid] = dur($0)
		delete pending[pid]
		next
	}
	if ($0 ~ /read(\(| resumed>).*"\\0\\0\\0(\\[0-9]+|\\[a-z]|[^\\])[cartyhmO]/ && (pid in last_wait)) {
		n++; w = last_wait[pid]; total += w; if (w > maxw) maxw = w
		delete last_wait[pid]
		next
	}
	if ($0 ~ /write\([0-9]+, "250 2\.0\.0 /) {
		msgs++; t = secs($2); if (!first) first = t; lastq = t
	}
	if ($0 ~ /read(\(| resumed>)/ && $0 !~ /unfinished/) delete last_wait[pid]
}
END {
	if (msgs == 0) { print "strace: no message queued in the trace"; exit }
	printf "strace: %d messages queued; per message %.1f milter replies waited for, %.2f ms waiting for them (longest wait %.2f ms); %.1f ms per message from the first to the last queued\n",
	    msgs, n / msgs, total * 1000 / msgs, maxw * 1000, (msgs > 1 ? (lastq - first) * 1000 / (msgs - 1) : 0)
}
