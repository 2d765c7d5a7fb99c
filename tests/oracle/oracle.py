#!/usr/bin/env python3
"""Differential oracle for relaywarden's originator-header parser (issue 14).

Python's standard email package is the reader: for every header it gives
the mailbox addresses (email.utils.getaddresses and email.headerregistry)
and the addresses that its decoded display names, group names and
comments read as (RFC 2047 decoded with email.header, Unicode NFKC, split
into words). relaywarden's judgement comes from build/oracle_header, the
milter's own parser: refused as malformed, or the set of addresses judged.

The rule: whenever Python's view holds an address relaywarden did not
judge (case-insensitive), relaywarden must have refused the header;
otherwise it is a disagreement - the reader would show an address nobody
verified - and the oracle fails, printing the seed and the header.

Headers come from a seeded grammar-based generator (reproducible: the same
--seed gives the same headers) and from the hostile corpus's From:/Sender:
rows. Debian's python3 standard library only.

Usage: oracle.py --harness build/oracle_header [--seed N] [--count N]
                 [--corpus tests/hostile/corpus.txt]
"""
import argparse
import base64
import random
import re
import subprocess
import sys
import unicodedata
import warnings
from email.header import decode_header, make_header
from email.policy import default as default_policy
from email.utils import getaddresses

warnings.simplefilter("ignore")

# ---- Python's view ------------------------------------------------------

WORD_SEPS = re.compile(r"[\s<>(),;:'\"]+")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def norm(addr):
    """An address as relaywarden keys it: local part unquoted, domain without
    its trailing dot, ASCII lower-case."""
    at = addr.rfind("@")
    if at <= 0:
        return None
    local, domain = addr[:at], addr[at + 1:]
    if len(local) >= 2 and local[0] == '"' and local[-1] == '"':
        local = re.sub(r"\\(.)", r"\1", local[1:-1])
    domain = domain.rstrip(".")
    if not local or not domain:
        return None
    # idn.c: a UTF-8 local part is case-folded (NFC), an international
    # domain compared as its A-label
    if not local.isascii():
        local = unicodedata.normalize("NFC", local.casefold())
    if not domain.isascii():
        try:
            domain = domain.lower().encode("idna").decode("ascii")
        except UnicodeError:
            pass
    return (local + "@" + domain).translate(ASCII_LOWER)


def decoded(text):
    """text as email.header decodes it (undecodable: as it stands)."""
    try:
        return str(make_header(decode_header(text)))
    except Exception:
        return text


def reads_as(text, view):
    """Adds every word of text that reads as an address, after NFKC."""
    text = unicodedata.normalize("NFKC", text)
    for word in WORD_SEPS.split(text):
        at = word.find("@")
        if 0 < at < len(word) - 1:
            key = norm(word)
            if key:
                view.add(key)


def comments(tree, out):
    if getattr(tree, "token_type", None) == "comment":
        out.append(re.sub(r"\\(.)", r"\1", str(tree)[1:-1]))
    if isinstance(tree, list):
        for t in tree:
            comments(t, out)


def python_view(value):
    view, texts = set(), []
    try:
        for name, addr in getaddresses([value]):
            if addr and norm(addr):
                view.add(norm(addr))
            if name:
                texts.append(name)
                texts.append(decoded(name))
    except Exception:
        pass
    try:
        h = default_policy.header_factory("From", value)
        for g in h.groups:
            if g.display_name:
                texts.append(g.display_name)
            for a in g.addresses:
                if a.username and a.domain:
                    view.add(norm(a.username + "@" + a.domain) or "")
                if a.display_name:
                    texts.append(a.display_name)
        found = []
        comments(getattr(h, "_parse_tree", None), found)
        for c in found:
            texts.append(c)
            texts.append(decoded(c))
    except Exception:
        pass
    for t in texts:
        reads_as(t, view)
    view.discard("")
    return view


# ---- the generator ------------------------------------------------------

OWN = ["john.doe", "jd", "sales", "John.Doe", "JD"]
OTHER = ["alice.smith", "boss", "ceo", "evil", "a", "x.y"]
DOMAINS = ["acme.com", "ACME.COM", "acme.com.", "evil.example", "x.example", "b.c"]
CHARSETS = ["utf-8", "UTF-8", "iso-8859-1", "windows-1252", "utf-16be", "koi8-r",
            "iso-2022-jp", "utf-8*en", "us-ascii", "utf-7", "shift_jis", "gb2312", "big5",
            "utf-32le", "iso-8859-15"]
FULLWIDTH_AT = ["\uff20", "\ufe6b", "@"]
NAMES = ["John", "Doe", "John Doe", "J\u00f6rg", "Sales", "Team", "\u00c5lice", "Doe, John",
         "the boss", "\u5f20\u4f1f", "O'Brien"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    def cfws(self):
        c = self.r.random()
        if c < 0.6:
            return ""
        if c < 0.75:
            return " "
        if c < 0.82:
            return "\r\n "
        if c < 0.88:
            return "\t"
        return " (" + self.comment_text() + ") "

    def comment_text(self):
        c = self.r.random()
        if c < 0.3:
            return self.pick(NAMES)
        if c < 0.5:
            return self.addr_text(other=True)
        if c < 0.6:
            return self.addr_text(other=False)
        if c < 0.7:
            return self.encoded(self.addr_text(other=True))
        if c < 0.8:
            return "(" + self.comment_text() + ")"
        if c < 0.9:
            return self.pick(OTHER) + self.pick(FULLWIDTH_AT) + self.pick(DOMAINS)
        return self.pick(NAMES) + " \\(" + self.addr_text(other=True) + "\\)"

    def local(self, other):
        base = self.pick(OTHER if other else OWN)
        c = self.r.random()
        if c < 0.1:
            return '"' + base + '"'
        if c < 0.15:
            return '"' + base.replace(".", " ") + '"'
        if c < 0.2:
            return self.cfws().join(base.split(".")) if "." in base else base
        if c < 0.23:
            return base + "+tag"
        return base

    def addr_text(self, other=None):
        if other is None:
            other = self.chance(0.3)
        return self.local(other) + "@" + self.pick(DOMAINS if other else DOMAINS[:3])

    def addr_spec(self, other=None):
        c = self.r.random()
        if c < 0.05:
            return self.local(other) + "@[10.0.0.1]"
        if c < 0.1:
            return self.local(other) + self.cfws() + "@" + self.cfws() + self.pick(DOMAINS)
        if c < 0.13:
            return self.encoded(self.pick(OTHER)) + "@acme.com"
        return self.addr_text(other)

    def encoded(self, text):
        cs = self.pick(CHARSETS)
        enc = cs.split("*")[0]
        try:
            raw = text.encode(enc)
        except (UnicodeEncodeError, LookupError):
            cs, raw = "utf-8", text.encode("utf-8")
        if self.chance(0.5):
            payload = base64.b64encode(raw).decode()
            if self.chance(0.1):
                payload = payload.rstrip("=")
            if self.chance(0.05):
                payload = payload[:-1] + "!"
            word = "=?%s?%s?%s?=" % (cs, self.pick("bB"), payload)
        else:
            out = []
            for b in raw:
                ch = chr(b)
                if b == 0x20:
                    out.append("_")
                elif ch.isalnum() and b < 0x80 and self.chance(0.8):
                    out.append(ch)
                else:
                    out.append("=%02X" % b if self.chance(0.7) else "=%02x" % b)
            payload = "".join(out)
            if self.chance(0.03):
                payload += "=Z"
            word = "=?%s?%s?%s?=" % (cs, self.pick("qQ"), payload)
        if self.chance(0.03):
            word = word.replace(cs, self.pick(["x-unknown", "", "utf-7"]), 1)
        return word

    def split_encoded(self, text):
        if len(text) < 2:
            return self.encoded(text)
        cut = self.r.randrange(1, len(text))
        return self.encoded(text[:cut]) + self.pick([" ", "  ", "\r\n ", ""]) + \
            self.encoded(text[cut:])

    def phrase_text(self, own_addr):
        c = self.r.random()
        if c < 0.35:
            return self.pick(NAMES)
        if c < 0.5:
            return self.addr_text(other=True)
        if c < 0.55:
            return own_addr
        if c < 0.65:
            return self.pick(OTHER) + self.pick(FULLWIDTH_AT) + self.pick(DOMAINS)
        if c < 0.7:
            return self.pick(OTHER) + "@[10.0.0.1]"
        if c < 0.75:
            return self.pick(NAMES) + " <" + self.addr_text(other=True) + ">"
        if c < 0.8:
            return "\uff41lice.smith\uff20\uff41cme.com"
        if c < 0.85:
            return self.pick(NAMES) + " @ home"
        return self.pick(NAMES) + " (" + self.addr_text(other=True) + ")"

    def phrase(self, own_addr):
        text = self.phrase_text(own_addr)
        c = self.r.random()
        if c < 0.25:
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if c < 0.3:   # quoted-pairs and folding inside the quoted string
            return '"' + "".join("\\" + ch if self.chance(0.3) else ch for ch in text) \
                .replace(" ", self.pick([" ", "\r\n ", "\t"])) + '"'
        if c < 0.5:
            return self.encoded(text)
        if c < 0.6:
            return self.split_encoded(text)
        if c < 0.65:
            return '"' + self.encoded(text) + '"'
        return text

    def route(self):
        hops = ["@relay.example", "@hop2.example", "@a", "@ x.example "]
        bad = ["@x, " + self.addr_text(other=True), "@<" + self.addr_text(True) + ">",
               '@"' + self.addr_text(True) + '"', "@[10.0.0.1]", "@", "@x,@",
               "@x " + self.addr_text(True), "@x," + self.pick(OTHER),
               "@ <evil@x.example> ", "@x(" + self.addr_text(True) + ")"]
        if self.chance(0.6):
            n = self.r.randint(1, 3)
            return ",".join(self.pick(hops) + self.pick(["", ","]) for _ in range(n)) + ":"
        return self.pick(bad) + ":"

    def mailbox(self):
        spec = self.addr_spec()
        c = self.r.random()
        if c < 0.25:
            return spec + (" (" + self.comment_text() + ")" if self.chance(0.5) else "")
        angle = "<" + self.cfws() + (self.route() if self.chance(0.25) else "") + spec + \
            self.cfws() + ">"
        if c < 0.35:
            return angle
        return self.phrase(spec) + self.cfws() + angle + self.cfws()

    def group(self):
        members = ", ".join(self.mailbox() for _ in range(self.r.randint(0, 2)))
        return self.phrase("x@y") + ":" + self.cfws() + members + ";"

    def header(self):
        n = 1 if self.chance(0.8) else self.r.randint(2, 3)
        parts = [self.group() if self.chance(0.1) else self.mailbox() for _ in range(n)]
        value = self.pick([", ", ",", " ,, "]).join(parts)
        if self.chance(0.08):
            value = self.mutate(value)
        return value

    def mutate(self, value):
        ops = "<>@,;:.\"()[]\\ =?"
        for _ in range(self.r.randint(1, 3)):
            i = self.r.randrange(len(value) + 1)
            if self.chance(0.6):
                value = value[:i] + self.pick(ops) + value[i:]
            else:
                value = value[:i] + value[i + 1:]
        return value or "x"


# ---- the hostile corpus -------------------------------------------------

def corpus_values(path):
    """The From:/Sender: values of the corpus's eoh rows, escapes decoded."""
    def unescape(s):
        out, i = bytearray(), 0
        while i < len(s):
            if s[i] == "\\":
                n = s[i + 1]
                if n == "x":
                    out.append(int(s[i + 2:i + 4], 16))
                    i += 4
                    continue
                out += {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}[n]
                i += 2
                continue
            out += s[i].encode()
            i += 1
        return bytes(out)

    values = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#KNOWN "):
                line = line[len("#KNOWN "):]
            if not line.startswith("eoh|"):
                continue
            fields = line.split("|")
            if fields[3] == "-":
                continue
            for h in unescape(fields[3]).split(b"^"):
                name, colon, value = h.partition(b":")
                if colon and name.rstrip(b" \t").lower() in (b"from", b"sender"):
                    if value.startswith(b" "):
                        value = value[1:]
                    values.append(value.split(b"\0")[0])
    return values


# ---- judging ------------------------------------------------------------

def relaywarden(harness, values):
    data = "".join(v.hex() + "\n" for v in values).encode()
    out = subprocess.run([harness], input=data, stdout=subprocess.PIPE, check=True).stdout
    lines = out.decode("utf-8", "surrogateescape").split("\n")[:-1]
    if len(lines) != len(values):
        sys.exit("oracle: %d judgements for %d headers" % (len(lines), len(values)))
    result = []
    for line in lines:
        f = line.split("\t")
        result.append(None if f[0] == "R" else set(f[1:]))
    return result


def reader_value(raw):
    """What a reader parses: the value unfolded (CR and LF dropped, as
    relaywarden's parser does), bytes as UTF-8 where they are."""
    return raw.replace(b"\r", b"").replace(b"\n", b"").decode("utf-8", "surrogateescape")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--harness", required=True)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--corpus", default="tests/hostile/corpus.txt")
    ap.add_argument("--show", type=int, default=20)
    args = ap.parse_args()

    gen = Gen(args.seed)
    generated = [gen.header().encode("utf-8", "surrogateescape") for _ in range(args.count)]
    hostile = corpus_values(args.corpus) if args.corpus else []
    values = generated + hostile
    judged = relaywarden(args.harness, values)

    refused = disagreements = 0
    for i, (raw, mine) in enumerate(zip(values, judged)):
        if mine is None:
            refused += 1
            continue
        extra = python_view(reader_value(raw)) - mine
        if extra:
            disagreements += 1
            if disagreements <= args.show:
                src = "generated #%d" % i if i < len(generated) else "hostile corpus"
                print("DISAGREEMENT seed=%d %s: %r: relaywarden judged %s, Python also sees %s"
                      % (args.seed, src, raw, sorted(mine), sorted(extra)))
    print("oracle: seed=%d generated=%d hostile=%d refused=%d accepted=%d disagreements=%d"
          % (args.seed, len(generated), len(hostile), refused, len(values) - refused,
             disagreements))
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
