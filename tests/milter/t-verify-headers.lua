-- policy: verify-headers.conf
-- DESIGN §4, header half: Domino checks the Sender: header if present,
-- else From:; every mailbox must be owned by the authenticated user.
-- Judged at end of headers; the reply never names directory addresses.
local T = dofile(helpers)

local NOT_OWNED = "550 5.7.1 Sender address rejected: not owned by authenticated user"
local MALFORMED = "550 5.7.1 Message rejected: malformed originator header"

-- One authenticated transaction up to end of headers; headers is a list
-- of { name, value }. want: nil for continue, or the exact reply.
local function headers_case(desc, headers, want, contains)
	local conn = T.connect("abc.com", "10.10.1.8")
	if T.send_mail(conn, "<john.doe@acme.com>", "jdoe") ~= SMFIR_CONTINUE then
		T.fail(desc .. ": MAIL was not accepted")
	end
	if T.send_rcpt(conn, "<x@ibm.com>") ~= SMFIR_CONTINUE then
		T.fail(desc .. ": RCPT was not accepted")
	end
	for _, h in ipairs(headers) do
		if mt.header(conn, h[1], h[2]) ~= nil then T.fail(desc .. ": mt.header failed") end
		if mt.getreply(conn) ~= SMFIR_CONTINUE then T.fail(desc .. ": header not continued") end
	end
	T.log_mark()
	if mt.eoh(conn) ~= nil then T.fail(desc .. ": mt.eoh failed") end
	local got = mt.getreply(conn)
	local lines = T.decisions_since_mark()
	if want == nil then
		T.ok(got == SMFIR_CONTINUE and #lines == 0, desc .. " -> continue (got "
			.. T.name_reply(got) .. ")\n" .. table.concat(lines, "\n"))
	else
		local line = lines[1] or ""
		local ok = got == SMFIR_REPLYCODE and #lines == 1 and T.has(line, " stage=header ")
			and T.has(line, ' reply="' .. want .. '"')
		for _, sub in ipairs(contains or {}) do ok = ok and T.has(line, sub) end
		T.ok(ok, desc .. " -> " .. want .. " (got " .. T.name_reply(got) .. ")\n" .. line)
	end
	T.close(conn)
end

T.run(function()
	headers_case("owned From:", { { "From", "John Doe <john.doe@acme.com>" } }, nil)
	headers_case("owned alias in From:", { { "From", "jd@acme.com (John)" } }, nil)
	headers_case("send_as address in From:", { { "From", "Sales <sales@acme.com>" } }, nil)
	headers_case("spoofed From: with a correct envelope",
		{ { "From", "Alice <alice.smith@acme.com>" } }, NOT_OWNED,
		{ "sending mail from alice.smith@acme.com failed to match directory address" })
	headers_case("quoted display name posing as an address",
		{ { "From", "\"john.doe@acme.com\" <evil@evil.example>" } }, MALFORMED,
		{ 'detail="display name holds another address"' })
	headers_case("own address as quoted display name (Outlook)",
		{ { "From", "\"John.Doe@acme.com\" <john.doe@acme.com>" } }, nil)
	headers_case("two From: headers",
		{ { "From", "john.doe@acme.com" }, { "From", "john.doe@acme.com" } }, MALFORMED,
		{ 'detail="more than one From: header"' })
	headers_case("From: with two mailboxes and no Sender:",
		{ { "From", "john.doe@acme.com, alice.smith@acme.com" } }, MALFORMED)
	headers_case("unparsable From:", { { "From", "John <john.doe@acme.com" } }, MALFORMED)
	headers_case("owned Sender: with a foreign From: (Domino's rule)",
		{ { "From", "Alice <alice.smith@acme.com>" }, { "Sender", "john.doe@acme.com" } }, nil)
	headers_case("foreign Sender: with an owned From:",
		{ { "From", "john.doe@acme.com" }, { "Sender", "alice.smith@acme.com" } }, NOT_OWNED)
end)
