#!/usr/bin/python3
"""dkim_dkimpy.py -- dkimpy (python3-dkim), the independent DKIM
implementation the mxward DKIM tests compare with.

Usage:
  dkim_dkimpy.py edkey SEEDFILE
      make an Ed25519 key (python3-nacl): the base64 seed into SEEDFILE,
      the base64 public key (a p= value) on stdout
  dkim_dkimpy.py sign KEYFILE DOMAIN SELECTOR ALG CANON IN OUT [IDENTITY]
      sign IN with dkimpy and write the signed message to OUT; ALG is
      rsa-sha256, rsa-sha1 or ed25519-sha256 (KEYFILE a base64 seed then),
      CANON like relaxed/simple; the signature goes on top of IN as is
  dkim_dkimpy.py verify RECORDS.json IN
      verify every signature of IN with dkimpy, keys from RECORDS.json
      ({"sel._domainkey.example.org": "v=DKIM1; ..."}); prints one line per
      signature: "pass" or "fail", then d= and s=

Messages are read and written as bytes, CRLF kept.
"""
import base64
import json
import sys

import dkim


def edkey(seedfile):
    import nacl.signing
    key = nacl.signing.SigningKey.generate()
    with open(seedfile, "wb") as f:
        f.write(base64.b64encode(bytes(key)) + b"\n")
    print(base64.b64encode(bytes(key.verify_key)).decode())


def sign(keyfile, domain, selector, alg, canon, src, dst, identity=None):
    with open(keyfile, "rb") as f:
        key = f.read().strip()
    with open(src, "rb") as f:
        msg = f.read()
    hc, _, bc = canon.partition("/")
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                    identity=identity.encode() if identity else None,
                    canonicalize=(hc.encode(), (bc or "simple").encode()),
                    signature_algorithm=alg.encode(),
                    include_headers=[b"from", b"to", b"subject", b"date",
                                     b"message-id"])
    # dkimpy ends the field with its own line end; keep the message's.
    if b"\r\n" in msg and not sig.endswith(b"\r\n"):
        sig = sig.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with open(dst, "wb") as f:
        f.write(sig + msg)


def verify(records_file, src):
    with open(records_file) as f:
        records = {k.lower().rstrip("."): v for k, v in json.load(f).items()}
    with open(src, "rb") as f:
        msg = f.read()

    def dnsfunc(name, timeout=5):
        rec = records.get(name.decode().lower().rstrip("."))
        return rec.encode() if rec is not None else None

    d = dkim.DKIM(msg)
    n = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
    for i in range(n):
        v = dkim.DKIM(msg)
        try:
            good = v.verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            good = False
            sys.stderr.write("dkimpy: %s\n" % e)
        sig = v.signature_fields or {}
        print("%s d=%s s=%s" % ("pass" if good else "fail",
                                sig.get(b"d", b"?").decode(),
                                sig.get(b"s", b"?").decode()))


def main(argv):
    if len(argv) >= 2 and argv[1] == "edkey" and len(argv) == 3:
        edkey(argv[2])
    elif len(argv) >= 2 and argv[1] == "sign" and len(argv) in (9, 10):
        sign(*argv[2:])
    elif len(argv) >= 2 and argv[1] == "verify" and len(argv) == 4:
        verify(argv[2], argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
