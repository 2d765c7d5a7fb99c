#!/usr/bin/env python3
"""tests/e2e/lib/smtputf8.py PORT FROM RCPT[,RCPT...] - one SMTPUTF8 transaction.

Debian's swaks (20201014) has no SMTPUTF8 option, so this client speaks
SMTP itself on 127.0.0.1:PORT: EHLO, MAIL FROM:<FROM> SMTPUTF8 (UTF-8 on the
wire, RFC 6531), one RCPT TO per recipient, DATA with a UTF-8 From: header,
QUIT. It writes a transcript in swaks' notation, so tests/e2e/lib/e2e.sh
reads it as it reads swaks': " -> " what was sent, "<-  " a positive reply,
"<** " a negative one. DATA is sent only if a recipient was accepted. Every
read has a 30 s timeout (a deadline only to fail)."""
import socket
import sys


def main():
    port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = sock.makefile("rb")
    out = sys.stdout

    def reply():
        lines = []
        while True:
            line = f.readline()
            if not line:
                raise SystemExit("connection closed")
            lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
            if len(line) < 4 or line[3:4] != b"-":
                break
        mark = "<-  " if lines[-1][:1] in "23" else "<** "
        for l in lines:
            out.write(mark + l + "\n")
        return lines[-1]

    def send(cmd):
        out.write(" -> " + cmd + "\n")
        sock.sendall(cmd.encode("utf-8") + b"\r\n")
        return reply()

    reply()
    send("EHLO client.example")
    ok = send("MAIL FROM:<%s> SMTPUTF8" % sender)
    accepted = 0
    if ok[:1] == "2":
        for r in rcpts:
            accepted += send("RCPT TO:<%s>" % r)[:1] == "2"
    if accepted:
        if send("DATA")[:1] == "3":
            body = ("From: <%s>\r\nTo: <%s>\r\nSubject: SMTPUTF8 test\r\n\r\n"
                    "Gr\u00fc\u00dfe.\r\n.\r\n" % (sender, rcpts[0]))
            out.write(" -> (message)\n")
            sock.sendall(body.encode("utf-8"))
            reply()
    else:
        send("RSET")
    send("QUIT")


if __name__ == "__main__":
    main()
