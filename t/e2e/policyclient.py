#!/usr/bin/env python3
"""policyclient.py PORT|PATH COMMAND [ARGS] -- a policy-delegation client.

Speaks the Postfix SMTPD policy protocol to 127.0.0.1:PORT (or the unix
socket PATH, when it starts with "/") for the mxward
end-to-end tests and prints what the server did, one line per event, so
a shell test can assert on it. A request is a Postfix RCPT request from
127.0.0.1 (see BASE) with NAME=VALUE arguments replacing or adding
attributes ("NAME=" sends an empty value, "-NAME" leaves NAME out).

Commands:
  ask [ATTR...]            one request on a new connection: prints the
                           action ("DUNNO", "452 4.5.3 ...")
  repeat N [ATTR...]       N requests, one after the other on one
                           connection, recipient rI@example.org for the
                           I-th: prints N actions
  pipeline N [ATTR...]     the same N requests in one write: prints the N
                           actions in the order they came
  halfclose [ATTR...]      one request, then shutdown(SHUT_WR) as Exim's
                           ${readsocket} does: prints the action, then
                           "eof" if the server closed within 5 s
  bad KIND                 a bad request (random, nul, long-line,
                           many-attrs, oversized, truncated, no-request):
                           prints "closed" and, if bytes came back first,
                           "reply: ..."; "open" if still open after 5 s
  hold N                   opens N connections, each answered once, and
                           keeps them; then one more: prints "served N"
                           and "extra closed" or "extra served"; then one
                           of the first N asks again: "first still served"
  stall SECONDS            half a request, then silence: prints "closed
                           after T" (T in seconds, one decimal) or "open"
                           when nothing happened within SECONDS
Exit status: 0 when the command ran (whatever the server answered), 1 on
a connection error, 2 on a usage error. Nothing leaves 127.0.0.1.
"""
import os
import socket
import sys
import time

BASE = [
    ("request", "smtpd_access_policy"),
    ("protocol_state", "RCPT"),
    ("protocol_name", "ESMTP"),
    ("client_address", "127.0.0.1"),
    ("client_name", "localhost"),
    ("reverse_client_name", "localhost"),
    ("helo_name", "client.example.net"),
    ("sender", "sender@example.net"),
    ("recipient", "rcpt@example.org"),
    ("recipient_count", "0"),
    ("queue_id", ""),
    ("instance", ""),
    ("size", "0"),
]

PEER = None


def request(changes, recipient=None):
    attrs = dict(BASE)
    order = [k for k, _ in BASE]
    for c in changes:
        if c.startswith("-"):
            attrs.pop(c[1:], None)
            continue
        k, _, v = c.partition("=")
        if k not in attrs:
            order.append(k)
        attrs[k] = v
    if recipient is not None:
        attrs["recipient"] = recipient
    lines = [f"{k}={attrs[k]}\n" for k in order if k in attrs]
    return ("".join(lines) + "\n").encode()


def connect():
    if isinstance(PEER, str):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(PEER)
        return s
    return socket.create_connection(("127.0.0.1", PEER), timeout=5)


class Reader:
    """Replies ("action=...\\n\\n") from a socket, one at a time."""

    def __init__(self, sock):
        self.sock = sock
        self.data = b""

    def reply(self):
        """The next action, or None at EOF."""
        while b"\n\n" not in self.data:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.data += chunk
        block, _, self.data = self.data.partition(b"\n\n")
        for line in block.decode(errors="replace").split("\n"):
            if line.startswith("action="):
                return line[len("action="):]
        return "(no action) " + block.decode(errors="replace")


def wait_close(sock, seconds):
    """Bytes received before EOF within seconds, or None if still open."""
    sock.settimeout(seconds)
    got = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return got
            got += chunk
    except socket.timeout:
        return None
    except ConnectionResetError:
        return got


def cmd_ask(args):
    with connect() as s:
        s.sendall(request(args))
        print(Reader(s).reply())


def numbered(n, args):
    return [request(args, f"r{i}@example.org") for i in range(1, n + 1)]


def cmd_repeat(args):
    n = int(args[0])
    with connect() as s:
        r = Reader(s)
        for req in numbered(n, args[1:]):
            s.sendall(req)
            print(r.reply())


def cmd_pipeline(args):
    n = int(args[0])
    with connect() as s:
        s.sendall(b"".join(numbered(n, args[1:])))
        r = Reader(s)
        for _ in range(n):
            print(r.reply())


def cmd_halfclose(args):
    with connect() as s:
        s.sendall(request(args))
        s.shutdown(socket.SHUT_WR)
        r = Reader(s)
        print(r.reply())
        rest = wait_close(s, 5)
        print("eof" if rest == b"" else "no eof")


def bad_payload(kind):
    good = request([])
    return {
        "random": os.urandom(4096),
        "nul": good[:20] + b"\0" + good[20:],
        "long-line": b"request=smtpd_access_policy\nsender=" +
        b"a" * 100000 + b"\n\n",
        "many-attrs": b"request=smtpd_access_policy\n" +
        b"".join(b"x%d=y\n" % i for i in range(1000)) + b"\n",
        "oversized": b"request=smtpd_access_policy\n" +
        b"".join(b"x%d=%s\n" % (i, b"y" * 1000) for i in range(60)) + b"\n",
        "truncated": good[:-10],
        "no-request": b"protocol_state=RCPT\nrecipient=a@example.org\n\n",
    }.get(kind)


def cmd_bad(args):
    payload = bad_payload(args[0])
    if payload is None:
        sys.exit(2)
    with connect() as s:
        try:
            s.sendall(payload)
            if args[0] == "truncated":
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        got = wait_close(s, 5)
        if got is None:
            print("open")
            return
        print("closed")
        if got:
            print("reply: " + got.decode(errors="replace").strip())


def cmd_hold(args):
    n = int(args[0])
    first = []
    for _ in range(n):
        s = connect()
        s.sendall(request([]))
        if Reader(s).reply() is not None:
            first.append(s)
    print(f"served {len(first)}")
    with connect() as extra:
        try:
            extra.sendall(request([]))
            answer = Reader(extra).reply()
        except OSError:
            answer = None
        print("extra closed" if answer is None else "extra served")
    if first:
        first[0].sendall(request([]))
        print("first still served" if Reader(first[0]).reply() else
              "first lost")
    for s in first:
        s.close()


def cmd_stall(args):
    seconds = float(args[0])
    with connect() as s:
        s.sendall(request([])[:30])
        start = time.monotonic()
        got = wait_close(s, seconds)
        if got is None:
            print("open")
        else:
            print(f"closed after {time.monotonic() - start:.1f}")


COMMANDS = {
    "ask": cmd_ask, "repeat": cmd_repeat, "pipeline": cmd_pipeline,
    "halfclose": cmd_halfclose, "bad": cmd_bad, "hold": cmd_hold,
    "stall": cmd_stall,
}


def main():
    global PEER
    if len(sys.argv) < 3 or sys.argv[2] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    PEER = sys.argv[1] if sys.argv[1].startswith("/") else int(sys.argv[1])
    try:
        COMMANDS[sys.argv[2]](sys.argv[3:])
    except OSError as e:
        print(f"connection error: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
