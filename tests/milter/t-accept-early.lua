-- policy: accept-early.conf
-- Issue 15: relaywarden accepts a message as soon as nothing later in it
-- can matter to the policy, so the MTA sends it no more of the message:
-- at DATA when no header is checked (an unauthenticated sender), at end of
-- headers when nothing is judged at the end (no size limit, no header to
-- add). A refusal still comes where it did, with its exact reply, and the
-- next message of the same connection is judged in full.
local T = dofile(helpers)

-- log_level warn writes no decision line: the reply itself is checked
local NOT_OWNED = { "550", "5.7.1", "Sender address rejected: not owned by authenticated user" }
local SIZE = { "552", "5.3.4", "Message size exceeds fixed maximum message size" }

local function must(err, what)
	if err ~= nil then T.fail(what .. " failed: " .. tostring(err)) end
end

-- MAIL and RCPT, both continued.
local function envelope(conn, desc, from, auth, rcpt)
	T.check(T.send_mail(conn, from, auth) == SMFIR_CONTINUE, desc .. ": MAIL continued")
	T.check(T.send_rcpt(conn, rcpt) == SMFIR_CONTINUE, desc .. ": RCPT continued")
end

-- DATA; the reply must be want, and (warn: accepts are not logged) no line.
local function data(conn, desc, want)
	T.log_mark()
	must(mt.data(conn), "mt.data")
	local got = mt.getreply(conn)
	T.ok(got == want and #T.decisions_since_mark() == 0,
		desc .. ": DATA -> " .. T.name_reply(want) .. " (got " .. T.name_reply(got) .. ")\n"
		.. T.log_new())
end

local function headers(conn, list)
	for _, h in ipairs(list) do
		must(mt.header(conn, h[1], h[2]), "mt.header")
		T.check(mt.getreply(conn) == SMFIR_CONTINUE, "header " .. h[1] .. " continued")
	end
end

-- End of headers accepted: SMFIR_ACCEPT, no decision line.
local function eoh_accepted(conn, desc)
	T.log_mark()
	must(mt.eoh(conn), "mt.eoh")
	local got = mt.getreply(conn)
	T.ok(got == SMFIR_ACCEPT and #T.decisions_since_mark() == 0,
		desc .. ": end of headers -> SMFIR_ACCEPT (got " .. T.name_reply(got) .. ")\n"
		.. T.log_new())
end

-- The step just sent was refused (miltertest reads a reply's text only at
-- end of message: there it must be want; tests/e2e/t-postfix-accept-early.sh
-- checks the text of each refusal as the client sees it).
local function refused(conn, desc, want, at_eom)
	local got = mt.getreply(conn)
	T.ok(got == SMFIR_REPLYCODE and
		(not at_eom or mt.eom_check(conn, MT_SMTPREPLY, want[1], want[2], want[3])),
		desc .. " -> " .. table.concat(want, " ") .. " (got " .. T.name_reply(got) .. ")")
end

T.run(function()
	-- one connection, three messages: the state of one never leaks into the next
	local conn = T.connect("mx.other.example", "192.0.2.7")
	envelope(conn, "unauthenticated, to a local user", "<someone@other.example>", nil,
		"<john.doe@acme.com>")
	data(conn, "unauthenticated: no header is checked, accepted at DATA", SMFIR_ACCEPT)
	must(mt.abort(conn), "mt.abort")     -- as Postfix does after an accepted message

	envelope(conn, "authenticated, own From:", "<john.doe@acme.com>", "jdoe", "<x@ibm.com>")
	data(conn, "authenticated: its From: is checked, so DATA continues", SMFIR_CONTINUE)
	headers(conn, { { "From", "John Doe <john.doe@acme.com>" }, { "Subject", "hi" } })
	eoh_accepted(conn, "authenticated, From: owned, nothing judged at the end")
	must(mt.abort(conn), "mt.abort")

	envelope(conn, "authenticated, spoofed From:", "<john.doe@acme.com>", "jdoe", "<x@ibm.com>")
	data(conn, "spoofed From: still checked", SMFIR_CONTINUE)
	headers(conn, { { "From", "Alice <alice.smith@acme.com>" } })
	must(mt.eoh(conn), "mt.eoh")
	refused(conn, "a spoofed From: is refused at end of headers", NOT_OWNED)
	T.close(conn)

	-- the "sized" profile counts the size: neither DATA nor end of headers accepts
	conn = T.connect("mx.other.example", "192.0.2.7", { "{daemon_name}", "sized" })
	envelope(conn, "sized, unauthenticated", "<someone@other.example>", nil, "<john.doe@acme.com>")
	data(conn, "a size limit needs the end: DATA continues", SMFIR_CONTINUE)
	headers(conn, { { "From", "<someone@other.example>" } })
	must(mt.eoh(conn), "mt.eoh")
	T.check(mt.getreply(conn) == SMFIR_CONTINUE, "sized: end of headers continued")
	must(mt.bodystring(conn, string.rep("x", 400) .. "\r\n"), "mt.bodystring")
	T.check(mt.getreply(conn) == SMFIR_CONTINUE, "sized: body continued")
	must(mt.eom(conn), "mt.eom")
	refused(conn, "over the profile's size limit: refused at end of message", SIZE, true)
	T.close(conn)
end)
