-- policy: verify-onbehalf.conf
-- verify_sender.headers_rule = "from_and_sender" (issue 14 item 5): both
-- From: and Sender: must be owned, except that beside the user's own
-- Sender: a From: may name an owner who granted on-behalf rights.
local T = dofile(helpers)

local NOT_OWNED = "550 5.7.1 Sender address rejected: not owned by authenticated user"
local MALFORMED = "550 5.7.1 Message rejected: malformed originator header"

-- headers: list of { name, value }; want nil = continue (contains then
-- applies to no line), else the exact reply and substrings of its line.
local function case(desc, auth, env, headers, want, contains)
	local conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, desc .. ": MAIL", env, { auth = auth })
	T.rcpt(conn, desc .. ": RCPT", "<x@ibm.com>")
	for _, h in ipairs(headers) do
		T.ok(mt.header(conn, h[1], h[2]) == nil and mt.getreply(conn) == SMFIR_CONTINUE,
			desc .. ": header " .. h[1])
	end
	T.log_mark()
	T.ok(mt.eoh(conn) == nil, desc .. ": mt.eoh")
	local got = mt.getreply(conn)
	local lines = T.decisions_since_mark()
	local line = lines[1] or ""
	local ok
	if want == nil and contains then      -- an accept that is logged (on-behalf)
		ok = got == SMFIR_CONTINUE and #lines == 1 and T.has(line, " decision=accept stage=header ")
	elseif want == nil then
		ok = got == SMFIR_CONTINUE and #lines == 0
	else
		ok = got == SMFIR_REPLYCODE and #lines == 1 and T.has(line, " stage=header ") and
			T.has(line, ' reply="' .. want .. '"')
	end
	for _, sub in ipairs(contains or {}) do ok = ok and T.has(line, sub) end
	T.ok(ok, desc .. " -> " .. (want or "continue") .. " (got " .. T.name_reply(got) .. ")\n"
		.. table.concat(lines, "\n"))
	T.close(conn)
end

-- explain shows the same words in its trace.
local function explain(desc, args, wants)
	local cmd = T.shell_quote(binary) .. " explain -c " .. T.shell_quote(policy) ..
		" --client 10.10.1.8 --client-name abc.com --rcpt x@ibm.com " .. args .. " 2>&1"
	local p = io.popen(cmd)
	local out = p:read("a")
	p:close()
	local ok = true
	for _, w in ipairs(wants) do ok = ok and T.has(out, w) end
	T.ok(ok, desc .. "\n" .. out)
end

T.run(function()
	case("assistant: own Sender:, the boss in From: (granted)", "assistant", "<assistant@acme.com>",
		{ { "From", "Big Boss <ceo@acme.com>" }, { "Sender", "Ann <assistant@acme.com>" } }, nil,
		{ 'reason="From: on behalf of its owner, Sender: owned"',
			'detail="headers_rule=from_and_sender on_behalf=<ceo@acme.com>"' })
	case("assistant: on behalf needs the own Sender:", "assistant", "<assistant@acme.com>",
		{ { "From", "Big Boss <ceo@acme.com>" } }, NOT_OWNED,
		{ 'reason="header sender not owned by authenticated user (From:, headers_rule from_and_sender)"',
			"sending mail from ceo@acme.com failed to match directory address assistant@acme.com" })
	case("assistant: From: of an owner who granted nothing", "assistant", "<assistant@acme.com>",
		{ { "From", "<john.doe@acme.com>" }, { "Sender", "<assistant@acme.com>" } }, NOT_OWNED,
		{ "sending mail from john.doe@acme.com failed to match" })
	case("jdoe: the boss's grant is not his", "jdoe", "<john.doe@acme.com>",
		{ { "From", "<boss@acme.com>" }, { "Sender", "<john.doe@acme.com>" } }, NOT_OWNED)
	case("jdoe: Domino's hole closed: own Sender:, someone else's From:", "jdoe",
		"<john.doe@acme.com>", { { "From", "CEO <ceo@acme.com>" }, { "Sender", "<john.doe@acme.com>" } },
		NOT_OWNED)
	case("assistant: Sender: not owned", "assistant", "<assistant@acme.com>",
		{ { "From", "<assistant@acme.com>" }, { "Sender", "<boss@acme.com>" } }, NOT_OWNED,
		{ "(Sender:, headers_rule from_and_sender)" })
	case("assistant: own From: alone", "assistant", "<assistant@acme.com>",
		{ { "From", "Ann <assistant@acme.com>" } }, nil)
	case("boss: own From: and Sender:", "boss", "<boss@acme.com>",
		{ { "From", "<ceo@acme.com>" }, { "Sender", "<boss@acme.com>" } }, nil)
	case("several From: without Sender: is malformed", "assistant", "<assistant@acme.com>",
		{ { "From", "<assistant@acme.com>, <ceo@acme.com>" } }, MALFORMED)
	case("unparsable From: beside an owned Sender: is malformed", "assistant",
		"<assistant@acme.com>", { { "From", "<ceo@acme.com" }, { "Sender", "<assistant@acme.com>" } },
		MALFORMED)
	explain("explain names the rule and the on-behalf grant", "--auth assistant --from " ..
		"assistant@acme.com --header 'From: <ceo@acme.com>' --header 'Sender: <assistant@acme.com>'",
		{ "headers_rule from_and_sender", "sent on behalf of its owner (on_behalf)" })
end)
