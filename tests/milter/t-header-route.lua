-- policy: header-spoof.conf
-- Issue 14, obs-route smuggling: a route is only an RFC 5322
-- obs-domain-list ("@domain" entries separated by commas, then ':');
-- anything else in it makes the originator header malformed, in From:
-- and in Sender:, with the exact reply and the parser's reason.
local T = dofile(helpers)
local case = dofile(helpers:gsub("helpers%.lua$", "header_case.lua"))(T)

local MALFORMED = "550 5.7.1 Message rejected: malformed originator header"
local ROUTE = { 'detail="malformed route"' }

T.run(function()
	case("address smuggled in a route",
		{ { "From", "<@x, alice.smith@acme.com:john.doe@acme.com>" } }, MALFORMED, ROUTE)
	case("second '<' in a route",
		{ { "From", "<@<alice.smith@acme.com>:john.doe@acme.com>" } }, MALFORMED,
		{ 'detail="unbalanced angle brackets"' })
	case("address between blanks in a route",
		{ { "From", "John <@ <evil@x.example> :john.doe@acme.com>" } }, MALFORMED,
		{ 'detail="unbalanced angle brackets"' })
	case("quoted string as a route hop",
		{ { "From", '<@"alice.smith@acme.com":john.doe@acme.com>' } }, MALFORMED, ROUTE)
	case("domain literal as a route hop",
		{ { "From", "<@[10.0.0.1]:john.doe@acme.com>" } }, MALFORMED, ROUTE)
	case("'@' without a domain", { { "From", "<@:john.doe@acme.com>" } }, MALFORMED, ROUTE)
	case("route entries without a comma",
		{ { "From", "<@relay.example @hop.example:john.doe@acme.com>" } }, MALFORMED, ROUTE)
	case("route smuggling in Sender:",
		{ { "From", "john.doe@acme.com" },
		  { "Sender", "<@x, alice.smith@acme.com:john.doe@acme.com>" } }, MALFORMED, ROUTE)
	case("a real obs-domain-list route",
		{ { "From", "John <@relay.example,@hop2.example:john.doe@acme.com>" } }, nil)
	case("a route with CFWS and empty entries",
		{ { "From", "< @ relay.example , , @ hop.example : john.doe@acme.com >" } }, nil)
	case("a real route to someone else's mailbox",
		{ { "From", "<@relay.example:alice.smith@acme.com>" } }, T.NOT_OWNED)
end)
