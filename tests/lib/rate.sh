# shellcheck shell=bash
# tests/lib/rate.sh - bursts of authenticated transactions for the rate
# limit tests (issue 19): one miltertest process sends N messages, one RCPT
# each, so that hundreds of them take a moment. Needs LDT_DIR (slapd.sh).
#
#   rate_burst DESC SOCK LOGIN FROM N WANT IP...
#                       N messages from LOGIN (MAIL FROM:<FROM>, continued,
#                       else the burst fails) to someone@remote.example,
#                       the client address cycling over IP...; fails the
#                       test unless it prints exactly WANT,
#                       "continue=C refused=R first_refused=K" (K: the first
#                       message whose RCPT got a reply code, 0 if none).
#   many_ips PREFIX N   PREFIX.1 .. PREFIX.N (N <= 254): distinct clients.

_rate_lua() {
	cat >"$LDT_DIR/burst.lua" <<'LUA'
local sock, login, n = os.getenv("SOCK"), os.getenv("LOGIN"), tonumber(os.getenv("N"))
local ips = {}
for ip in string.gmatch(os.getenv("IPS"), "%S+") do ips[#ips + 1] = ip end
local ok, refused, first = 0, 0, 0
for i = 1, n do
  local conn = mt.connect("unix:" .. sock, 40, 0.05)
  if conn == nil then error("cannot connect to " .. sock) end
  mt.conninfo(conn, "unknown", ips[(i - 1) % #ips + 1])
  mt.macro(conn, SMFIC_MAIL, "{auth_authen}", login, "i", "B" .. i)
  mt.mailfrom(conn, "<" .. os.getenv("FROM") .. ">")
  if mt.getreply(conn) ~= SMFIR_CONTINUE then error("MAIL " .. i .. " refused") end
  mt.rcptto(conn, "<someone@remote.example>")
  local r = mt.getreply(conn)
  if r == SMFIR_CONTINUE then ok = ok + 1
  elseif r == SMFIR_REPLYCODE then
    refused = refused + 1
    if first == 0 then first = i end
  else error("RCPT " .. i .. ": unexpected reply " .. tostring(r)) end
  mt.disconnect(conn)
end
print("continue=" .. ok .. " refused=" .. refused .. " first_refused=" .. first)
LUA
}

rate_burst() {
	local desc=$1 sock=$2 login=$3 from=$4 n=$5 want=$6 out
	shift 6
	[ -f "$LDT_DIR/burst.lua" ] || _rate_lua
	out=$(SOCK=$sock LOGIN=$login FROM=$from N=$n IPS="$*" \
		miltertest -s "$LDT_DIR/burst.lua" 2>&1 | tail -n 1)
	[ "$out" = "$want" ] || ldt_fail "$desc: got \"$out\", expected \"$want\""
}

many_ips() {
	local i
	for ((i = 1; i <= $2; i++)); do printf '%s.%d ' "$1" "$i"; done
}
