-- policy: idn.conf
-- IDN everywhere (issue 14 item 4): a U-label and its A-label are one
-- domain in every list and in the directory; a domain that is not IDNA2008
-- is a malformed address, 553 5.1.7 at MAIL and 553 5.1.3 at RCPT.
local T = dofile(helpers)

local U = "b\xc3\xbccher.example"          -- bücher.example
local A = "xn--bcher-kva.example"
local PROTECT = "550 5.7.1 Sender address rejected: authentication required"
-- %s is the address as sent, escaped (the log escapes the backslashes again)
local DENIED = "554 5.7.1 Mail from <x@sp\\x5Cxc3\\x5Cxa4m.example> rejected for policy reasons."
local BAD_MAIL = "553 5.1.7 Sender address rejected: malformed address"
local BAD_RCPT = "553 5.1.3 Recipient address rejected: malformed address"
local RCPT_DENIED = "550 5.7.1 Recipient rejected for policy reasons."
local MALFORMED = "550 5.7.1 Message rejected: malformed originator header"

T.run(function()
	-- protect_local_senders: the local domain is configured as an A-label
	for _, f in ipairs({ "<ceo@" .. U .. ">", "<ceo@B\xc3\x9cCHER.example>", "<ceo@" .. A .. ">" }) do
		T.transaction("protected local sender " .. f, { host = "abc.com", ip = "192.0.2.7",
			from = f, mail = { reply = PROTECT, contains = { " rule=protect_local_senders ",
				" from_domain=" .. A .. " " } } })
	end
	-- the except entry was written as an upper-case U-label
	T.transaction("protect_local_senders_except in the other form", { host = "abc.com",
		ip = "192.0.2.7", from = "<INFO@" .. A .. ">", mail = {} })
	-- sender.deny was written as a U-label; the A-label is denied too
	T.transaction("sender.deny, U-label", { host = "abc.com", ip = "192.0.2.7",
		from = "<x@sp\xc3\xa4m.example>", mail = { reply = DENIED, contains = { " rule=sender_lists " } } })
	T.transaction("sender.deny, A-label", { host = "abc.com", ip = "192.0.2.7",
		from = "<x@xn--spm-rla.example>", mail = { reply =
			"554 5.7.1 Mail from <x@xn--spm-rla.example> rejected for policy reasons." } })
	-- malformed: not IDNA2008
	T.transaction("MAIL with a malformed A-label", { host = "abc.com", ip = "192.0.2.7",
		from = "<x@xn--zz.example>", mail = { reply = BAD_MAIL, contains = {
			" rule=malformed_address ", 'detail="not a valid IDNA2008 domain name (malformed A-label)"' } } })
	T.transaction("MAIL with a full-width dot", { host = "abc.com", ip = "192.0.2.7",
		from = "<ceo@b\xc3\xbccher\xef\xbc\x8e" .. "example>", mail = { reply = BAD_MAIL } })
	T.transaction("authenticated MAIL with an emoji domain", { auth = "jdoe",
		from = "<john.doe@\xf0\x9f\x92\xa9.example>", mail = { reply = BAD_MAIL } })

	-- RCPT from an external client: local in both forms, denied in both
	local conn = T.connect("abc.com", "192.0.2.7")
	T.mail(conn, "external MAIL", "<someone@example.org>")
	T.rcpt(conn, "local recipient in U-label form", "<j\xc3\xb6rg@" .. U .. ">",
		{ contains = { 'reason="local recipient"', " rcpt_domain=" .. A } })
	T.rcpt(conn, "local recipient in A-label form", "<j\xc3\xb6rg@" .. A .. ">")
	T.rcpt(conn, "recipients.deny, U-label", "<Blocked@" .. U .. ">", { reply = RCPT_DENIED })
	T.rcpt(conn, "recipients.deny, A-label", "<BLOCKED@" .. A .. ">", { reply = RCPT_DENIED })
	T.rcpt(conn, "RCPT with a malformed A-label", "<x@xn--zz." .. A .. ">", { reply = BAD_RCPT,
		contains = { " rule=malformed_address " } })
	T.rcpt(conn, "RCPT with an ideographic full stop", "<x@acme\xe3\x80\x82" .. "com>",
		{ reply = BAD_RCPT })
	T.rcpt(conn, "RCPT with a bidi violation", "<x@\xd7\x90\xd7\x91" .. "a.example>",
		{ reply = BAD_RCPT })
	T.rcpt(conn, "another U-label is another domain", "<x@m\xc3\xbcnchen.example>",
		{ reply = T.RELAY })
	T.close(conn)

	-- the directory wrote JÖRG@bücher.example; every form is owned
	for _, f in ipairs({ "<j\xc3\xb6rg@" .. A .. ">", "<J\xc3\x96RG@" .. U .. ">",
		"<jo\xcc\x88rg+x@B\xc3\x9cCHER.EXAMPLE>" }) do
		T.transaction("owned in another form " .. f, { auth = "jorg", from = f, mail = {},
			rcpt = "<x@ibm.com>", want = {} })
	end
	T.transaction("another user's U-label address", { auth = "jdoe",
		from = "<j\xc3\xb6rg@" .. U .. ">", mail = { reply = T.NOT_OWNED } })

	-- header addresses: the same normalisation
	local function eoh(desc, from_hdr, want)
		local c = T.connect("abc.com", "10.10.1.8")
		T.mail(c, desc .. ": MAIL", "<j\xc3\xb6rg@" .. A .. ">", { auth = "jorg" })
		T.rcpt(c, desc .. ": RCPT", "<x@ibm.com>")
		T.ok(mt.header(c, "From", from_hdr) == nil and mt.getreply(c) == SMFIR_CONTINUE,
			desc .. ": From: header sent")
		T.log_mark()
		T.ok(mt.eoh(c) == nil, desc .. ": mt.eoh")
		local got = mt.getreply(c)
		local lines = T.decisions_since_mark()
		if want == nil then
			T.ok(got == SMFIR_CONTINUE and #lines == 0, desc .. " -> continue\n" ..
				table.concat(lines, "\n"))
		else
			T.ok(got == SMFIR_REPLYCODE and #lines == 1 and T.has(lines[1], ' reply="' .. want .. '"'),
				desc .. " -> " .. want .. "\n" .. table.concat(lines, "\n"))
		end
		T.close(c)
	end
	eoh("From: in U-label form", "J\xc3\xb6rg <J\xc3\x96RG@" .. U .. ">", nil)
	eoh("From: with a full-width dot", "<j\xc3\xb6rg@b\xc3\xbccher\xef\xbc\x8e" .. "example>", MALFORMED)
	eoh("From: someone else in A-label form", "<ceo@" .. A .. ">", T.NOT_OWNED)

	-- explain shows both forms of an international domain
	local p = io.popen(T.shell_quote(binary) .. " explain -c " .. T.shell_quote(policy) ..
		" --client 192.0.2.7 --from " .. T.shell_quote("ceo@" .. U) .. " --rcpt x@acme.com 2>&1")
	local out = p:read("a")
	p:close()
	T.ok(T.has(out, "idn: sender domain " .. U .. " (" .. A .. "), compared in A-label form") and
		T.has(out, "=> " .. PROTECT), "explain shows U-label and A-label\n" .. out)
end)
