#!/usr/bin/env python3
"""garbage.py HOST PORT KIND -- send one kind of bad input to a socket.

Kinds for the milter socket: random (random bytes), huge-length (a packet
header announcing 2 GiB), truncated (a length with half its packet), zero
(a zero-length packet), bad-command (an unknown milter command), after-
negotiate (a valid option negotiation, then junk), flood (64 connections
opened and dropped at once). For the metrics socket: http-junk (bytes that
are not HTTP), http-huge (an 1 MiB request line). Prints nothing; exits 0
whatever the server does (it may close on us), 2 on a usage error.
"""
import os
import socket
import struct
import sys


def conn(host, port):
    s = socket.create_connection((host, port), timeout=5)
    return s


def send_and_drain(s, data):
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
    except OSError:
        pass
    finally:
        s.close()


def negotiate():
    # SMFIC_OPTNEG: version 6, all actions, all protocol steps offered.
    body = b"O" + struct.pack(">III", 6, 0x1FF, 0x1FFFFF)
    return struct.pack(">I", len(body)) + body


def main():
    if len(sys.argv) != 4:
        sys.exit(2)
    host, port, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    payloads = {
        "random": os.urandom(4096),
        "huge-length": struct.pack(">I", 0x7FFFFFFF) + b"O" + os.urandom(64),
        "truncated": struct.pack(">I", 1000) + b"O" + b"x" * 400,
        "zero": struct.pack(">I", 0) * 8,
        "bad-command": struct.pack(">I", 5) + b"\x7fjunk",
        "after-negotiate": negotiate() + os.urandom(2048),
        "http-junk": b"\x00\x01\x02 GARBAGE \r\n\r\n" + os.urandom(1024),
        "http-huge": b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\n\r\n",
    }
    if kind == "flood":
        socks = [conn(host, port) for _ in range(64)]
        for s in socks:
            s.close()
        return
    if kind not in payloads:
        sys.exit(2)
    send_and_drain(conn(host, port), payloads[kind])


if __name__ == "__main__":
    main()
