#!/usr/bin/env python3
"""tests/hostile/generate.py - writes tests/hostile/corpus.txt.

The corpus is the table (committed); this script is how its families were
written, kept so a family can be extended. Each line:

    STAGE|AUTH|INPUT|EXPECT|RULE|WHY

STAGE  rcpt    unauthenticated external client, MAIL FROM:<sender@example.org>,
               then RCPT TO:INPUT
       mail    MAIL FROM:INPUT, authenticated as AUTH ("-" = not authenticated)
       header  AUTH jdoe, MAIL FROM:<john.doe@acme.com>, RCPT TO:<x@ibm.com>, then
               the headers of INPUT ("Name: value" separated by \\n), end of headers
INPUT  C escapes: \\xHH, \\r, \\n, \\t, \\\\, \\| (a NUL ends the string, as it
       does for libmilter)
EXPECT accept | reject | tempfail;  RULE the decision's rule ("-" = none)
"""
import itertools
import re

rows = []


def add(stage, auth, text, expect, rule, why):
    rows.append((stage, auth, text, expect, rule, why))


def esc(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "|":
            out.append("\\|")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or o == 0x7f:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out)


RELAY = ("reject", "relay")
LOCAL = ("accept", "-")

# ---- RCPT: the closed relay must refuse every external or hidden destination
externals = ["ibm.com", "acme.com.evil.example", "notacme.com", "acme.co", "evilacme.com",
             "acme.com.ibm.com", "xn--acme-9ra.com", "ACME.COM.EVIL.EXAMPLE", "[192.0.2.1]",
             "[127.0.0.1]", "[IPv6:2001:db8::1]", "[IPv6:::1]", "sub.ibm.com", "ibm.com.",
             "a.b.c.d.e.f.example"]
locals_ = ["jd", "JD", "john.doe", "John.Doe", "jd+tag", "\"jd\"", "\"john doe\"", "x",
           "sales", "nobody"]
for lp, dom in itertools.product(locals_, externals):
    add("rcpt", "-", "<%s@%s>" % (lp, dom), *RELAY, "external destination")
for lp, dom in itertools.product(["a.b", "\"a b\"", "postmaster"], externals):
    add("rcpt", "-", "<%s@%s>" % (lp, dom), *RELAY, "external destination")
for lp, dom in itertools.product(locals_, ["acme.com", "ACME.COM", "Acme.Com", "acme.com."]):
    add("rcpt", "-", "<%s@%s>" % (lp, dom), *LOCAL, "local recipient, any case, trailing dot")
hidden = ["jd%ibm.com@acme.com", "jd%ibm.com%acme.com@acme.com", "jd%acme.com@acme.com",
          "ibm.com!jd@acme.com", "acme.com!ibm.com!jd@acme.com", "\"jd@ibm.com\"@acme.com",
          "\"jd%ibm.com\"@acme.com", "\"ibm.com!jd\"@acme.com", "@acme.com:jd@ibm.com",
          "@ibm.com:jd@acme.com", "@acme.com,@ibm.com:jd@acme.com", "jd%[192.0.2.1]@acme.com",
          "jd%ibm.com.@acme.com", "JD%IBM.COM@ACME.COM", "jd%@acme.com", "!jd@acme.com",
          "jd!@acme.com", "\"jd@\"@acme.com", "jd%ibm.com@ACME.com.", "a%b%c%d%ibm.com@acme.com"]
for h in hidden:
    add("rcpt", "-", "<%s>" % h, *RELAY, "destination hidden behind a local domain")
    add("rcpt", "-", h, *RELAY, "the same without angle brackets")
broken = ["<>", "", "<", ">", "<jd@acme.com", "jd@acme.com>", "<<jd@acme.com>>", "<@>",
          "<@acme.com>", "<jd@>", "<@:jd@ibm.com>", "<jd@acme.com>\r\nRCPT TO:<x@ibm.com>",
          "<jd@acme.com\r\n>", "<jd\r\n@acme.com>", "<jd@acme.com> <x@ibm.com>",
          "<jd@acme.com,x@ibm.com>", "<jd@acme.com;x@ibm.com>", "<j d@acme.com>",
          "<jd@ac me.com>", "<jd@acme..com>", "<jd@.acme.com>", "<jd@-acme.com>",
          "<\x01jd@acme.com>", "<jd\x7f@acme.com>", "<jd@acme.com\x01>", "<\"jd@acme.com>",
          "<jd\\@acme.com>", "<jd@acme.com\\>", "<" + "a" * 300 + "@acme.com>",
          "<jd@" + "a" * 64 + ".com>", "<jd@" + ".".join(["abcdefghij"] * 30) + ">",
          "<" + "x" * 2000 + ">", "<jd@@acme.com>", "<jd@acme.com@ibm.com>",
          "<jd@[1.2.3.4>", "<jd@[999.1.1.1]>", "<jd@[IPv6:zz::1]>"]
for b in broken:
    add("rcpt", "-", b, *RELAY, "unparsable or smuggled: refused, never judged local")
for lp in ["jörg", "jd\u00e9", "\u0436", "j\u200bd"]:
    add("rcpt", "-", "<%s@ibm.com>" % lp, *RELAY, "UTF-8 local part, external domain")
for dom in ["bücher.example", "acme.com\u3002evil.example", "\u0430cme.com"]:
    add("rcpt", "-", "<jd@%s>" % dom, *RELAY, "UTF-8 domain: never local")
add("rcpt", "-", "<jd@acme.com\x00@ibm.com>", *RELAY,
    "cut at the NUL (as libmilter hands it): <jd@acme.com without its bracket")
add("rcpt", "-", "<jd@acme.com>\x00<x@ibm.com>", *LOCAL,
    "cut at the NUL: the MTA's recipient is <jd@acme.com>")

# ---- MAIL: an authenticated user may send only as what the directory lists
NOT_OWNED = ("reject", "verify_sender")
OWNED = ("accept", "-")
owned = ["john.doe@acme.com", "JOHN.DOE@ACME.COM", "jd@acme.com", "Jd@Acme.Com",
         "john.doe+tag@acme.com", "jd+x+y@acme.com", "\"john.doe\"@acme.com", "\"jd\"@acme.com",
         "sales@acme.com", "SALES@acme.com", "sales+desk@acme.com", "john.doe@acme.com.",
         "jd@ACME.COM."]
for a in owned:
    add("mail", "jdoe", "<%s>" % a, *OWNED, "an address the directory lists for jdoe")
    add("mail", "JDOE", "<%s>" % a, *OWNED, "logins compare case-insensitively")
    add("mail", "John Doe", "<%s>" % a, *OWNED, "a full name logs in too (Domino)")
    add("mail", "jdoe@acme.com", "<%s>" % a, *OWNED, "{auth_authen} with a local realm")
spoofs = ["alice.smith@acme.com", "ALICE.SMITH@ACME.COM", "\"alice.smith\"@acme.com",
          "alice.smith@acme.com.", "alice.smith+jd@acme.com", "john.doe@acme.com.evil.example",
          "john.doe@evil.example", "john.doe@acme.co", "john.doe@notacme.com",
          "john.doe%evil.example@acme.com", "evil.example!john.doe@acme.com",
          "\"john.doe@evil.example\"@acme.com", "johndoe@acme.com", "john.doe.@acme.com",
          "john..doe@acme.com", "jd@[192.0.2.1]", "sales@acme.com.evil.example",
          "+john.doe@acme.com", "postmaster@acme.com", "root@acme.com", "jd@xn--acme-9ra.com",
          "j\u00f6hn.doe@acme.com", "john.doe@ac\u00e9me.com", "john.doe\u200b@acme.com"]
for a in spoofs:
    add("mail", "jdoe", "<%s>" % a, *NOT_OWNED, "not an address of jdoe's")
    other = re.sub("alice.smith", "john.doe", a, flags=re.I)
    add("mail", "asmith", "<%s>" % other, *NOT_OWNED, "not an address of asmith's")
for a in ["<>", "", "<", "<john.doe@acme.com", "<john.doe@acme.com>\r\nRCPT TO:<x@ibm.com>",
          "<john doe@acme.com>", "<\x01john.doe@acme.com>", "<" + "j" * 300 + "@acme.com>",
          "<john.doe@@acme.com>", "<john.doe@acme.com@evil.example>"]:
    add("mail", "jdoe", a, *NOT_OWNED, "null, unparsable or smuggled sender from an authenticated user")
logins = ["*", "jdoe)(uid=*", "*)(|(uid=*", "jd\\2a", "jdoe\\", "(jdoe)", "jdoe\x01",
          "jdoe@evil.example", "jdoe@acme.com.evil.example", "nobody", "JDOE ", " jdoe",
          "jdoe\r\nx", "a" * 300, "John Doe/Acme/evil", "\u0436doe", "jdo", "jdoee",
          "alice smith", "Sales"]
for login in logins:
    add("mail", login, "<john.doe@acme.com>", *NOT_OWNED,
        "a login the directory does not know (filter metacharacters are literal)")
for a in ["alice.smith@acme.com", "anyone@evil.example", "<>", "john.doe@acme.com"]:
    add("mail", "-", "<%s>" % a if a != "<>" else a, "accept", "-",
        "unauthenticated MAIL: not judged by verify_sender")

# ---- headers (verify_sender.headers): Sender: if present, else From:
MALFORMED = ("reject", "verify_sender")
good_from = ["john.doe@acme.com", "<john.doe@acme.com>", "John Doe <john.doe@acme.com>",
             "\"Doe, John\" <john.doe@acme.com>", "John Doe\r\n\t<john.doe@acme.com>",
             "=?utf-8?q?J=C3=B6rg?= <jd@acme.com>", "(comment) john.doe@acme.com",
             "john.doe@acme.com (John Doe)", "JOHN.DOE@ACME.COM", "<sales@acme.com>",
             "\"John\" <john.doe+list@acme.com>",
             "John Doe <john.doe@acme.com.>"]     # the root dot: the same domain
for v in good_from:
    add("header", "jdoe", "From: " + v, "accept", "-", "an owned originator")
bad_from = ["alice.smith@acme.com", "Alice <alice.smith@acme.com>",
            "\"john.doe@acme.com\" <evil@evil.example>",
            "john.doe@acme.com <evil@evil.example>", "(john.doe@acme.com) evil@evil.example",
            "=?utf-8?q?john.doe=40acme.com?= <evil@evil.example>",
            "John <john.doe@acme.com.evil.example>", "<evil@evil.example>",
            "John Doe <john.doe@acme.com>, Alice <alice.smith@acme.com>",
            "john.doe@acme.com, alice.smith@acme.com", "undisclosed-recipients:;", "",
            " ", "<>", "John Doe", "John Doe <john.doe@acme.com", "\"unbalanced <john.doe@acme.com>",
            "(unbalanced john.doe@acme.com", "john.doe@", "@acme.com", "<@evil:john.doe@acme.com>x",
            "Team: john.doe@acme.com, alice.smith@acme.com;", "john.doe@acme.com\x01",
            "j\u00f6hn.doe@acme.com", "<john.doe@acme.com>>", "John <<john.doe@acme.com>>"]
for v in bad_from:
    add("header", "jdoe", "From: " + v, *MALFORMED, "not owned, or malformed")
multi = ["From: john.doe@acme.com\nFrom: alice.smith@acme.com",
         "From: john.doe@acme.com\nFrom: john.doe@acme.com",
         "Sender: john.doe@acme.com\nSender: alice.smith@acme.com\nFrom: john.doe@acme.com",
         "Sender: alice.smith@acme.com\nFrom: john.doe@acme.com",
         "Sender: \nFrom: john.doe@acme.com"]
for v in multi:
    add("header", "jdoe", v, *MALFORMED, "several originator headers, or a bad Sender:")
for v in ["Sender: john.doe@acme.com\nFrom: alice.smith@acme.com",
          "Sender: jd@acme.com\nFrom: Alice <alice.smith@acme.com>, Bob <bob@evil.example>",
          "from: john.doe@acme.com", "FROM: john.doe@acme.com",
          "Subject: From: alice.smith@acme.com\nFrom: john.doe@acme.com",
          "X-From: alice.smith@acme.com\nFrom: john.doe@acme.com",
          "Reply-To: alice.smith@acme.com\nFrom: john.doe@acme.com",
          "Subject: no originator at all",
          "Sender: john.doe@acme.com, jd@acme.com\nFrom: alice.smith@acme.com"]:
    add("header", "jdoe", v, "accept", "-",
        "Sender: decides when present; other headers are not originators")

with open("corpus.txt", "w", encoding="utf-8") as f:
    f.write("# tests/hostile/corpus.txt - written by generate.py (see there for the format).\n")
    for r in rows:
        f.write("|".join([r[0], esc(r[1]), esc(r[2]), r[3], r[4], r[5]]) + "\n")
print(len(rows), "cases")
