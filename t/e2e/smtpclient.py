#!/usr/bin/env python3
# smtpclient.py -- tiny SMTP client for the mxward end-to-end tests.
#
# Sends the message in FILE (or a generated one) to HOST:PORT and prints the
# server's reply to every stage on its own line, so a shell test can assert
# on it:
#
#     connect 220 mx.test.example ESMTP
#     helo 250 mx.test.example
#     mail 250 2.1.0 Ok
#     rcpt 250 2.1.5 Ok
#     data 250 2.0.0 Ok: queued as 4Xb2...
#
# Multi-line replies are joined with a space.  The session stops at the first
# reply that is not 2xx/3xx (after printing it); a connection that breaks is
# printed as "STAGE 000 connection lost: ...".  With --count N the message
# is sent N times, each in a new session (or in one session with --reuse);
# every session prints its lines and a final "result N CODE" line, where
# CODE is the DATA reply code or the failing stage's code.
#
# Exit status is 0 when every reply was printed (whatever its code), 2 on
# usage errors.  No network access beyond HOST:PORT; nothing is retried.
import argparse
import smtplib
import socket
import sys


def oneline(msg):
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    return " ".join(str(msg).split())


LAST = [0]


def say(stage, code, msg):
    LAST[0] = code
    print("%s %03d %s" % (stage, code, oneline(msg)), flush=True)


def load_message(args, n):
    if args.file:
        with open(args.file, "rb") as f:
            data = f.read()
    else:
        data = (
            "From: <%s>\r\nTo: <%s>\r\nSubject: e2e test %d\r\n"
            "Message-ID: <e2e-%d@test.example>\r\n\r\nHello %d.\r\n"
            % (args.mail_from, args.rcpt[0], n, n, n)
        ).encode()
    return data


def transaction(s, args, n):
    """One MAIL/RCPT/DATA transaction; returns the final code."""
    opts = []
    if args.mail_size:
        opts.append("SIZE=%d" % len(load_message(args, n)))
    code, msg = s.mail(args.mail_from, opts)
    say("mail", code, msg)
    if code >= 400:
        return code
    accepted = 0
    last = code
    for r in args.rcpt:
        code, msg = s.rcpt(r)
        say("rcpt", code, msg)
        last = code
        if code < 400:
            accepted += 1
    if accepted == 0:
        s.rset()
        return last
    try:
        code, msg = s.data(load_message(args, n))
    except smtplib.SMTPDataError as e:
        code, msg = e.smtp_code, e.smtp_error
    say("data", code, msg)
    return code


def session(args, first, count):
    """One SMTP session sending `count` messages; prints a result per message."""
    results = []
    s = smtplib.SMTP(timeout=args.timeout)
    stage = "connect"
    LAST[0] = 0
    try:
        src = (args.source, 0) if args.source else None
        s.source_address = src
        code, msg = s.connect(args.host, args.port, source_address=src)
        say("connect", code, msg)
        if code >= 400:
            return [code] * count
        stage = "helo"
        if args.ehlo:
            code, msg = s.ehlo(args.helo)
        else:
            code, msg = s.helo(args.helo)
        say("helo", code, msg)
        if code >= 400:
            return [code] * count
        for i in range(count):
            stage = "mail"
            results.append(transaction(s, args, first + i))
        stage = "quit"
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass
    except smtplib.SMTPServerDisconnected as e:
        say(stage, 0, "connection lost: %s" % e)
    except (OSError, smtplib.SMTPException) as e:
        say(stage, 0, "connection lost: %s" % e)
    finally:
        try:
            s.close()
        except OSError:
            pass
    # A session that broke mid-transaction: report the last reply if it
    # was a refusal (421 and the like), else 0 for "no final reply".
    while len(results) < count:
        results.append(LAST[0] if LAST[0] >= 400 else 0)
        LAST[0] = 0
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--source", default=None, help="bind to this local address")
    p.add_argument("--helo", default="client.test.example")
    p.add_argument("--ehlo", action="store_true", default=True)
    p.add_argument("--no-ehlo", dest="ehlo", action="store_false")
    p.add_argument("--from", dest="mail_from", default="sender@example.net")
    p.add_argument("--rcpt", action="append", default=[])
    p.add_argument("--mail-size", action="store_true",
                   help="announce the message size (MAIL FROM ... SIZE=)")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--reuse", action="store_true",
                   help="send all --count messages in one session")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("file", nargs="?", help="message file (RFC 5322)")
    args = p.parse_args()
    if not args.rcpt:
        args.rcpt = ["rcpt@example.org"]
    if args.reuse:
        results = session(args, 1, args.count)
    else:
        results = []
        for n in range(1, args.count + 1):
            results += session(args, n, 1)
    for n, code in enumerate(results, 1):
        print("result %d %03d" % (n, code), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
