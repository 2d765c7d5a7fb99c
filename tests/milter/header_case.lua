-- tests/milter/header_case.lua - one authenticated transaction up to end
-- of headers, for t-header-*.lua and t-verify-headers.lua (not a test
-- itself: the runner runs t-*.lua only). Load with:
--   local case = dofile(helpers:gsub("helpers%.lua$", "header_case.lua"))(T)
-- case(desc, headers, want, contains): headers is a list of { name, value };
-- want is nil for continue, or the exact reply, which must be on the one
-- stage=header decision line, with every string of contains.
return function(T)
	return function(desc, headers, want, contains)
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
		T.eoh_expect(conn, desc, want, want and contains)
		T.close(conn)
	end
end
