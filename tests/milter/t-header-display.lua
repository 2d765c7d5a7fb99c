-- policy: header-spoof.conf
-- Issue 14, what the reader sees is what is judged: display names, group
-- names and comments are read decoded (RFC 2047, B and Q, any charset
-- iconv knows) and NFKC-folded; one that reads as an address other than
-- the mailbox's own makes the header malformed, and so does an encoded
-- word that cannot be decoded. Each with the exact reply and the reason.
local T = dofile(helpers)
local case = dofile(helpers:gsub("helpers%.lua$", "header_case.lua"))(T)

local MALFORMED = "550 5.7.1 Message rejected: malformed originator header"
local NAME = { 'detail="display name holds another address"' }
local COMMENT = { 'detail="comment holds another address"' }
local UNDECODABLE = { 'detail="encoded word in an unknown charset or invalid in it"' }
local FW_AT = "\239\188\160"      -- U+FF20 FULLWIDTH COMMERCIAL AT

T.run(function()
	case("B encoded word reads as another address",
		{ { "From", "=?UTF-8?B?YWxpY2Uuc21pdGhAYWNtZS5jb20=?= <john.doe@acme.com>" } },
		MALFORMED, NAME)
	case("Q encoded word reads as another address",
		{ { "From", "=?utf-8?q?alice.smith=40acme.com?= <john.doe@acme.com>" } }, MALFORMED, NAME)
	case("two adjacent encoded words join into an address",
		{ { "From", "=?utf-8?q?alice.smith?= =?iso-8859-1?q?=40acme.com?= <john.doe@acme.com>" } },
		MALFORMED, NAME)
	case("encoded word in a group name",
		{ { "From", "=?utf-8?q?alice.smith=40acme.com?= : john.doe@acme.com;" } }, MALFORMED,
		{ 'detail="group name holds an address"' })
	case("full-width at sign in a quoted name",
		{ { "From", '"alice.smith' .. FW_AT .. 'acme.com" <john.doe@acme.com>' } }, MALFORMED, NAME)
	case("full-width at sign in an atom",
		{ { "From", "alice.smith" .. FW_AT .. "acme.com <john.doe@acme.com>" } }, MALFORMED, NAME)
	case("name cut at '['",
		{ { "From", '"alice.smith@[10.0.0.1]" <john.doe@acme.com>' } }, MALFORMED, NAME)
	case("comment on an addr-spec as the display name",
		{ { "From", "john.doe@acme.com (alice.smith@acme.com)" } }, MALFORMED, COMMENT)
	case("encoded word in a comment",
		{ { "From", "john.doe@acme.com (=?utf-8?q?alice.smith=40acme.com?=)" } }, MALFORMED, COMMENT)
	case("comment in Sender:",
		{ { "From", "john.doe@acme.com" }, { "Sender", "jd@acme.com (alice.smith@acme.com)" } },
		MALFORMED, COMMENT)
	case("encoded word in an unknown charset",
		{ { "From", "=?x-no-such-charset?q?John?= <john.doe@acme.com>" } }, MALFORMED, UNDECODABLE)
	case("bad base64", { { "From", "=?utf-8?b?!!!!?= <john.doe@acme.com>" } }, MALFORMED,
		{ 'detail="bad base64 in encoded word"' })
	case("encoded word in a local part",
		{ { "From", "=?utf-8?q?alice.smith?=@acme.com" } }, MALFORMED,
		{ 'detail="malformed mailbox"' })
	case("Outlook: the own address as the display name",
		{ { "From", '"john.doe@acme.com" <john.doe@acme.com>' } }, nil)
	case("the own address, encoded, as the display name",
		{ { "From", "=?utf-8?q?john.doe=40acme.com?= <john.doe@acme.com>" } }, nil)
	case("a decoded plain name",
		{ { "From", "=?iso-8859-1?q?J=F6rg_Doe?= <john.doe@acme.com> (Sales)" } }, nil)
	case("a decoded plain name on someone else's mailbox",
		{ { "From", "=?utf-8?q?Alice?= <alice.smith@acme.com>" } }, T.NOT_OWNED)
end)
