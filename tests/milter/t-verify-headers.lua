-- policy: verify-headers.conf
-- DESIGN §4, header half: Domino checks the Sender: header if present,
-- else From:; every mailbox must be owned by the authenticated user.
-- Judged at end of headers; the reply never names directory addresses.
local T = dofile(helpers)

local NOT_OWNED = "550 5.7.1 Sender address rejected: not owned by authenticated user"
local MALFORMED = "550 5.7.1 Message rejected: malformed originator header"

-- One authenticated transaction up to end of headers (header_case.lua).
local headers_case = dofile(helpers:gsub("helpers%.lua$", "header_case.lua"))(T)

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
