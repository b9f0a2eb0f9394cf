#!/usr/bin/env python3
"""dnsstub.py -- a tiny authoritative DNS server for the mxward tests.

Usage: dnsstub.py [--port N] [--port-file FILE] [--log FILE] SPEC.json

Serves the records of SPEC on 127.0.0.1, UDP and TCP on the same port
(--port 0 or none: a free one). Once both sockets listen, the port is
printed on stdout as "port N" and written to --port-file (renamed into
place, so a reader never sees half of it). SIGTERM or SIGINT: exit 0.
With --log, one line per query ("UNIXTIME udp NAME TYPE -> RCODE ANSWERS").

SPEC (JSON):
  {"records": [{"name": "x.example", "type": "TXT", "data": "v=spf1 -all",
                "ttl": 300}, ...],
   "timeout": ["name", ...],       never answered, at all
   "servfail": ["name", ...],      answered SERVFAIL
   "delay": {"name": ms, ...},     answered, but only after ms milliseconds
   "zones": ["example", ...],      optional; see NXDOMAIN below
   "negative_ttl": 60}             optional; the SOA minimum (default 60)

Names are case-insensitive, with or without a trailing dot. "timeout",
"servfail" and "delay" entries are names, or "*.domain" for every name
below domain.
Every answer is authoritative (AA). Types and their "data":
  A "192.0.2.1"   AAAA "2001:db8::1"   NS/PTR/CNAME "target.example"
  MX "10 mx.example"   TXT, SPF (type 99): a string, or a list of strings
  that make one record of several character-strings. A string is sent as
  its UTF-8 bytes; {"hex": "00ff20"} gives raw bytes instead. A single
  string longer than 255 bytes is split into 255-byte pieces (as one
  record); a list element longer than 255 bytes is an error.
Several records of one name and type make one RRset, in spec order.

Wildcards: a record named "*.example" answers for any name below example
that does not exist itself, the closest existing ancestor being example
(RFC 4592, simplified): the answer carries the query name as owner.

CNAME: a name with a CNAME answers every other type with the CNAME, and
the chain is followed through the spec's own data (at most 8 steps).

Unknown names and missing types: a name that owns records, or lies above
one (an empty non-terminal), exists: a type it lacks gets NOERROR with no
answer (NODATA). Any other name gets NXDOMAIN. Both carry an SOA in the
authority section for the zone of the query name: the longest of "zones"
the name lies in, else the name's highest ancestor that exists in the
spec (records "a.example.org" put "x.example.org" in zone "org"; give
"zones" for anything finer), else its last label. The SOA is "ZONE. 300 SOA ns.ZONE. hostmaster.ZONE.
1 3600 600 86400 NEGATIVE_TTL".

EDNS: a query with an OPT record gets one back (payload 1232); a UDP
answer larger than the client's payload (512 without EDNS) is sent empty
with TC set, so the client retries over TCP.
"""

import argparse
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

from dnslib import (AAAA, CNAME, DNSHeader, DNSRecord, EDNS0, MX, NS, PTR, QTYPE,
                    RCODE, RR, SOA, TXT, A)

MAX_CHAIN = 8
EDNS_PAYLOAD = 1232
SPF = 99


def norm(name):
    """Lowercase, without the trailing dot."""
    return str(name).rstrip(".").lower()


def txt_strings(data):
    """The character-strings (bytes) of a TXT/SPF record's data."""
    def one(item):
        if isinstance(item, dict) and "hex" in item:
            return bytes.fromhex(item["hex"])
        if isinstance(item, str):
            return item.encode("utf-8")
        raise ValueError("TXT data must be strings or {\"hex\": ...}: %r" % (item,))
    if isinstance(data, list):
        out = [one(x) for x in data]
        for s in out:
            if len(s) > 255:
                raise ValueError("TXT string over 255 bytes: %r" % s[:40])
        return out
    b = one(data)
    return [b[i:i + 255] for i in range(0, len(b), 255)] or [b""]


def rdata(rtype, data):
    """A dnslib rdata object for one record of the spec."""
    if rtype == "A":
        return QTYPE.A, A(data)
    if rtype == "AAAA":
        return QTYPE.AAAA, AAAA(data)
    if rtype == "MX":
        pref, exch = data.split(None, 1)
        return QTYPE.MX, MX(exch.strip(), int(pref))
    if rtype in ("TXT", "SPF"):
        return (QTYPE.TXT if rtype == "TXT" else SPF), TXT(txt_strings(data))
    if rtype == "PTR":
        return QTYPE.PTR, PTR(data)
    if rtype == "CNAME":
        return QTYPE.CNAME, CNAME(data)
    if rtype == "NS":
        return QTYPE.NS, NS(data)
    raise ValueError("unsupported record type %r" % rtype)


class Zone:
    """The spec, indexed by name."""

    def __init__(self, spec):
        self.rrs = {}        # name -> qtype -> [(ttl, rdata)]
        self.exists = set()  # names that own records, and their ancestors
        for rec in spec.get("records", []):
            name = norm(rec["name"])
            qtype, rd = rdata(rec["type"].upper(), rec["data"])
            ttl = int(rec.get("ttl", 300))
            self.rrs.setdefault(name, {}).setdefault(qtype, []).append((ttl, rd))
            labels = name.split(".")
            for i in range(len(labels)):
                self.exists.add(".".join(labels[i:]))
        self.zones = sorted((norm(z) for z in spec.get("zones", [])
                             + ([spec["zone"]] if "zone" in spec else [])),
                            key=len, reverse=True)
        self.negative_ttl = int(spec.get("negative_ttl", 60))
        self.timeout = [norm(n) for n in spec.get("timeout", [])]
        self.servfail = [norm(n) for n in spec.get("servfail", [])]
        self.delay = {norm(n): int(ms) for n, ms in spec.get("delay", {}).items()}

    @staticmethod
    def match(name, pattern):
        return pattern == name or (pattern.startswith("*.") and
                                   name.endswith(pattern[1:]))

    @staticmethod
    def listed(name, patterns):
        return any(Zone.match(name, p) for p in patterns)

    def delay_ms(self, name):
        for p, ms in self.delay.items():
            if Zone.match(name, p):
                return ms
        return 0

    def zone_of(self, name):
        for z in self.zones:
            if name == z or name.endswith("." + z):
                return z
        labels = name.split(".")
        for i in range(len(labels) - 1, -1, -1):
            if ".".join(labels[i:]) in self.exists:
                return ".".join(labels[i:])
        return labels[-1]

    def soa(self, name):
        z = self.zone_of(name)
        return RR(z + ".", QTYPE.SOA, ttl=300,
                  rdata=SOA("ns." + z + ".", "hostmaster." + z + ".",
                            (1, 3600, 600, 86400, self.negative_ttl)))

    def find(self, name):
        """The records owned by name (directly or by a wildcard), or None
        if the name does not exist."""
        if name in self.rrs:
            return self.rrs[name]
        if name in self.exists:
            return {}
        labels = name.split(".")
        for i in range(1, len(labels)):
            encloser = ".".join(labels[i:])
            if encloser in self.exists:
                return self.rrs.get("*." + encloser)
        return None

    def answer(self, qname, qtype, reply):
        """Fill reply; the rcode."""
        name = norm(qname)
        owner = str(qname)
        for _ in range(MAX_CHAIN):
            rrsets = self.find(name)
            if rrsets is None:
                if not reply.rr:
                    reply.add_auth(self.soa(name))
                    return RCODE.NXDOMAIN
                return RCODE.NOERROR
            if qtype in rrsets or (qtype == QTYPE.ANY and rrsets):
                types = [qtype] if qtype in rrsets else list(rrsets)
                for t in types:
                    for ttl, rd in rrsets[t]:
                        reply.add_answer(RR(owner, t, ttl=ttl, rdata=rd))
                return RCODE.NOERROR
            if QTYPE.CNAME in rrsets:
                ttl, rd = rrsets[QTYPE.CNAME][0]
                reply.add_answer(RR(owner, QTYPE.CNAME, ttl=ttl, rdata=rd))
                owner = str(rd.label)
                name = norm(owner)
                continue
            if not reply.rr:
                reply.add_auth(self.soa(name))
            return RCODE.NOERROR
        return RCODE.NOERROR


class Stub:
    def __init__(self, zone, log):
        self.zone = zone
        self.log = log
        self.log_lock = threading.Lock()

    def note(self, line):
        if self.log is not None:
            with self.log_lock:
                self.log.write("%.3f %s\n" % (time.time(), line))
                self.log.flush()

    def respond(self, data, proto):
        """The reply bytes for one query, or None for no answer."""
        try:
            req = DNSRecord.parse(data)
        except Exception as e:  # a garbled query gets no answer
            self.note("%s unparsable query: %s" % (proto, e))
            return None
        if not req.questions:
            return None
        q = req.q
        name = norm(q.qname)
        qtype_name = QTYPE.get(q.qtype, str(q.qtype))
        edns = [r for r in req.ar if r.rtype == QTYPE.OPT]
        reply = DNSRecord(DNSHeader(id=req.header.id, qr=1, aa=1, ra=0,
                                    rd=req.header.rd), q=q)
        if Zone.listed(name, self.zone.timeout):
            self.note("%s %s %s -> (no answer)" % (proto, name, qtype_name))
            return None
        if self.zone.delay_ms(name):
            time.sleep(self.zone.delay_ms(name) / 1000.0)
        if Zone.listed(name, self.zone.servfail):
            rcode = RCODE.SERVFAIL
        else:
            rcode = self.zone.answer(q.qname, q.qtype, reply)
        reply.header.rcode = rcode
        if edns:
            reply.add_ar(EDNS0(udp_len=EDNS_PAYLOAD))
        out = reply.pack()
        limit = max(512, edns[0].edns_len) if edns else 512
        if proto == "udp" and len(out) > limit:
            short = DNSRecord(DNSHeader(id=req.header.id, qr=1, aa=1, ra=0,
                                        rd=req.header.rd, tc=1), q=q)
            short.header.rcode = rcode
            out = short.pack()
        self.note("%s %s %s -> %s %d%s" % (
            proto, name, qtype_name, RCODE.get(rcode), len(reply.rr),
            " TC" if proto == "udp" and len(out) < len(reply.pack()) else ""))
        return out


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        out = self.server.stub.respond(data, "udp")
        if out is not None:
            sock.sendto(out, self.client_address)


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        f = self.request
        f.settimeout(10)
        try:
            while True:
                head = recv_exact(f, 2)
                if head is None:
                    return
                data = recv_exact(f, struct.unpack("!H", head)[0])
                if data is None:
                    return
                out = self.server.stub.respond(data, "tcp")
                if out is None:
                    continue  # keep the connection, never answer
                f.sendall(struct.pack("!H", len(out)) + out)
        except OSError:
            return


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True
    allow_reuse_address = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def bind_both(port):
    """UDP and TCP servers on 127.0.0.1:port (0: the same free port)."""
    for _ in range(50):
        udp = UDPServer(("127.0.0.1", port), UDPHandler)
        p = udp.server_address[1]
        try:
            tcp = TCPServer(("127.0.0.1", p), TCPHandler)
            return udp, tcp, p
        except OSError:
            udp.server_close()
            if port != 0:
                raise
    raise OSError("no port free for both UDP and TCP")


def main():
    ap = argparse.ArgumentParser(description="authoritative DNS stub")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("spec")
    args = ap.parse_args()

    with open(args.spec, encoding="utf-8") as f:
        zone = Zone(json.load(f))
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    stub = Stub(zone, log)
    udp, tcp, port = bind_both(args.port)
    for srv in (udp, tcp):
        srv.stub = stub
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True).start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    print("port %d" % port, flush=True)
    while not stop.wait(0.2):
        pass
    udp.shutdown()
    tcp.shutdown()
    udp.server_close()
    tcp.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
