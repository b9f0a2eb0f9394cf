#!/usr/bin/env python3
"""avmail.py -- test messages and a signature database for the antivirus check.

Usage:
    python3 t/e2e/avmail.py [--big] [--only PREFIX]... [--testfiles DIR] OUTDIR
    python3 t/e2e/avmail.py --db DBDIR [--shared DIR]
    python3 t/e2e/avmail.py --list

OUTDIR gets one .eml file per case, grouped by name prefix:

    eicar-*     the EICAR test string, plainly and in the usual wrappings
                (base64, quoted-printable, uuencode, zip, zip in zip, tar.gz,
                gzip, bzip2, xz, message/rfc822)
    broken-*    EICAR (zipped, unless the name says otherwise) behind
                deliberately broken MIME: boundary tricks, doubled, folded
                or junk Content-Transfer-Encoding, junk in base64, parts in
                message/rfc822, missing Content-Type, attachments in the
                preamble or epilogue...  Each case is named after its trick.
    clean-*     nothing to find: text, HTML, a text attachment, a small
                hand-written PDF, a zip of text files, many parts
    testfile-*  one per file of Debian's clamav-testfiles package (when its
                directory exists), attached as application/octet-stream
    testsig-*   ClamAV's harmless unit-test marker string
    limits-*    what scan limits are for: zip nested 30 deep, zip bombs
                (5 x 100 MB and 1 x 200 MB of zeros), a zip of 12,000
                one-byte files, 5000 MIME parts, MIME nested 60 deep,
                message/rfc822 nested 30 deep; with --big also 20 MB and
                30 MB attachments.  Each hides EICAR where a limit may stop
                the scan, except two zip bombs (only zeros).

It also writes OUTDIR/expected.tsv: FILE TAB EXPECT TAB WHAT, where EXPECT is
"eicar" (Eicar-Test-Signature must be found), "testfile" (ClamAV-Test-File,
only with the shared unit-test database), "testsig" (the unit-test marker,
likewise), "clean" (nothing found, no limit hit), "not-clean" (found, or a
limit reported; never a clean verdict), or "bounded" (any verdict, but the
scan must end within the scan limits).

--db DBDIR writes a signature database for tests into DBDIR:
mxward-test.ndb holding Eicar-Test-Signature (EICAR at offset 0, as a body
signature), and, when the shared test data exists (--shared, default
$top_srcdir/../shared/testdata/clamav), copies of its clamav.hdb (which makes
every clamav-testfiles file ClamAV-Test-File) and
Clamav-Unit-Test-Signature.ndb.  It prints "testfiles yes" or "testfiles no"
so a test can skip what needs them.  Nothing is copied into the project.

Everything is deterministic: fixed dates, Message-IDs and boundaries, zip
and tar timestamps fixed, gzip without a time stamp.  The EICAR string is
assembled at run time from pieces so that neither this file nor the project
holds it whole (host scanners would quarantine them); only OUTDIR and DBDIR
do.  Standard library only; no network.
"""
import argparse
import base64
import binascii
import bz2
import gzip
import io
import lzma
import os
import shutil
import sys
import tarfile
import zipfile

CRLF = "\r\n"
DATE = "Mon, 01 Jan 2024 00:00:00 +0000"
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
TAR_TIME = 1704067200  # 2024-01-01T00:00:00Z
TESTFILES_DIR = "/usr/share/clamav-testfiles"


def eicar():
    """The 68-byte EICAR test file, put together here and only here."""
    parts = ["X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-",
             "ANTIVIRUS-", "TEST-FILE!$H+H*"]
    return "".join(parts).encode("ascii")


def unit_marker():
    """ClamAV's unit-test marker (matched by Clamav-Unit-Test-Signature)."""
    return b"CLAMAV-TEST-STRING-" + b"NOT-EICAR"


# ------------------------------------------------------------ encodings ----

def b64(data, width=76):
    """Base64 in lines of width characters, CRLF-terminated."""
    s = base64.b64encode(data).decode("ascii")
    return "".join(s[i:i + width] + CRLF for i in range(0, len(s), width))


def qp_all(data):
    """Quoted-printable that encodes every byte that is not a letter or a
    digit (legal, and it really changes the bytes), 75-char soft lines."""
    out, line = [], ""
    for c in data:
        tok = chr(c) if chr(c).isalnum() and c < 128 else "=%02X" % c
        if len(line) + len(tok) > 75:
            out.append(line + "=")
            line = ""
        line += tok
    out.append(line)
    return CRLF.join(out) + CRLF


def uuencode(data, name, mode="644"):
    """A classic uuencode block: begin MODE NAME ... ` ... end."""
    lines = ["begin %s %s" % (mode, name)]
    for i in range(0, len(data), 45):
        lines.append(binascii.b2a_uu(data[i:i + 45], backtick=True)
                     .decode("ascii").rstrip("\n"))
    lines += ["`", "end"]
    return CRLF.join(lines) + CRLF


# ------------------------------------------------------------- archives ----

def _zipinfo(name, method):
    zi = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    zi.compress_type = method
    zi.create_system = 3
    zi.external_attr = 0o644 << 16
    return zi


def zip_of(entries, method=zipfile.ZIP_DEFLATED):
    """A zip of (name, bytes) entries with fixed timestamps."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries:
            z.writestr(_zipinfo(name, method), data, compresslevel=9)
    return buf.getvalue()


def zip_stream(entries):
    """A zip whose entries are (name, chunk, repeat): chunk written repeat
    times, deflated at level 9 (how a zip bomb is made without holding it)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compresslevel=9) as z:
        for name, chunk, repeat in entries:
            with z.open(_zipinfo(name, zipfile.ZIP_DEFLATED), "w") as f:
                for _ in range(repeat):
                    f.write(chunk)
    return buf.getvalue()


def tar_of(entries):
    """An uncompressed ustar archive with fixed owner and time."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), TAR_TIME, 0o644
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def eicar_zip():
    return zip_of([("eicar.com", eicar())])


def nested_zip(depth):
    """EICAR at the bottom of depth zips, each holding the one below."""
    data, name = eicar(), "eicar.com"
    for level in range(1, depth + 1):
        data = zip_of([(name, data)])
        name = "level%02d.zip" % level
    return data


def tiny_pdf():
    """A valid one-page PDF 1.4 written by hand, xref offsets computed."""
    text = b"BT /F1 18 Tf 72 720 Td (Quarterly report: nothing to see.) Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, xref)
    return bytes(out)


def lorem(n_bytes, seed=0):
    """Deterministic English-looking filler text, CRLF lines."""
    words = ("the quarterly figures attached show that our regional office "
             "met its targets and the meeting on thursday will review the "
             "budget for next year please confirm your attendance").split()
    out, line, i = [], [], seed
    size = 0
    while size < n_bytes:
        w = words[(i * 7 + i // 3) % len(words)]
        i += 1
        line.append(w)
        if sum(len(x) + 1 for x in line) > 70:
            s = " ".join(line)
            out.append(s)
            size += len(s) + 2
            line = []
    return CRLF.join(out) + CRLF


# ----------------------------------------------------------------- MIME ----

def message(name, body, headers=(), mime=True, subject=None):
    """A whole message: our fixed top header, the given extra header lines
    (already formatted, may be folded), a blank line, then body."""
    top = [
        "From: Sender <sender@example.net>",
        "To: <rcpt@example.org>",
        "Subject: %s" % (subject or "mxward av test: " + name),
        "Date: " + DATE,
        "Message-ID: <%s@avmail.test.example>" % name,
    ]
    if mime:
        top.append("MIME-Version: 1.0")
    return CRLF.join(top + list(headers)) + CRLF + CRLF + body


def part(headers, body):
    """One body part: header lines, blank line, body (CRLF-terminated)."""
    return CRLF.join(headers) + CRLF + CRLF + body


def multipart(boundary, parts, preamble="", epilogue="", close=True):
    """The body of a multipart with delimiter lines --boundary."""
    out = preamble
    for p in parts:
        out += "--" + boundary + CRLF + p
    if close:
        out += "--" + boundary + "--" + CRLF
    return out + epilogue


def text_part(text="See the attachment." + CRLF):
    return part(["Content-Type: text/plain; charset=us-ascii"], text)


def attachment(data, filename, ctype="application/octet-stream", cte="base64",
               extra=()):
    """A base64 attachment part with the usual headers."""
    hdr = ["Content-Type: %s; name=\"%s\"" % (ctype, filename),
           "Content-Disposition: attachment; filename=\"%s\"" % filename]
    hdr += list(extra)
    if cte:
        hdr.append("Content-Transfer-Encoding: " + cte)
    return part(hdr, b64(data))


def ct_mixed(boundary):
    """The Content-Type field of a multipart/mixed."""
    return "Content-Type: multipart/mixed; boundary=\"%s\"" % boundary


def zip_attachment(data, filename):
    return attachment(data, filename, "application/zip")


def mixed(name, parts, boundary=None, extra_top=(), **kw):
    """A multipart/mixed message of the given parts."""
    b = boundary or "=_mxward_%s" % name
    return message(name, multipart(b, parts, **kw),
                   [ct_mixed(b)] + list(extra_top))


def zip_part(**kw):
    """eicar.zip as a base64 attachment (attachment() keywords apply)."""
    return attachment(eicar_zip(), "eicar.zip", "application/zip", **kw)


def zip_body_part(body):
    """A part declared as base64 application/zip, with the body given."""
    return part(["Content-Type: application/zip; name=\"eicar.zip\"",
                 "Content-Transfer-Encoding: base64"], body)


def with_zip(name, **kw):
    """The most common case: a text part and eicar.zip as base64."""
    return mixed(name, [text_part(), zip_part()], **kw)


def rfc822_part(inner):
    return part(["Content-Type: message/rfc822",
                 "Content-Disposition: attachment; filename=\"fwd.eml\""],
                inner)


# ---------------------------------------------------------------- cases ----
# Each case: (file name without .eml, expectation, description, builder).
# Builders take the case name and return the message as str (ASCII).

CASES = []


def case(name, expect, what):
    def reg(fn):
        CASES.append((name, expect, what, fn))
        return fn
    return reg


# eicar-*: the ordinary wrappings.

@case("eicar-plain-body", "eicar", "non-MIME message whose body is EICAR")
def _(n):
    return message(n, eicar().decode() + CRLF, mime=False)


@case("eicar-text-part", "eicar", "text/plain 7bit part holding EICAR")
def _(n):
    return mixed(n, [text_part(), part(["Content-Type: text/plain"],
                                       eicar().decode() + CRLF)])


@case("eicar-base64-attachment", "eicar", "eicar.com, base64")
def _(n):
    return mixed(n, [text_part(), attachment(eicar(), "eicar.com")])


@case("eicar-base64-single-part", "eicar",
      "non-multipart message whose body is EICAR in base64")
def _(n):
    return message(n, b64(eicar()), [
        "Content-Type: application/octet-stream; name=\"eicar.com\"",
        "Content-Transfer-Encoding: base64"])


@case("eicar-qp-attachment", "eicar",
      "eicar.com, quoted-printable with every symbol =XX-encoded")
def _(n):
    return mixed(n, [text_part(), part([
        "Content-Type: application/octet-stream; name=\"eicar.com\"",
        "Content-Disposition: attachment; filename=\"eicar.com\"",
        "Content-Transfer-Encoding: quoted-printable"], qp_all(eicar()))])


@case("eicar-uuencode-body", "eicar",
      "non-MIME body with a classic 'begin 644 eicar.com' uuencode block")
def _(n):
    body = ("Here it is." + CRLF + CRLF + uuencode(eicar(), "eicar.com")
            + CRLF + "Bye." + CRLF)
    return message(n, body, mime=False)


@case("eicar-zip", "eicar", "eicar.zip (deflated), base64")
def _(n):
    return with_zip(n)


@case("eicar-zip-stored", "eicar", "eicar.zip (stored, no compression)")
def _(n):
    z = zip_of([("eicar.com", eicar())], zipfile.ZIP_STORED)
    return mixed(n, [text_part(), zip_attachment(z, "eicar.zip")])


@case("eicar-zip-in-zip", "eicar", "eicar.com in a zip in a zip")
def _(n):
    return mixed(n, [text_part(), zip_attachment(nested_zip(2), "outer.zip")])


@case("eicar-zip-among-files", "eicar",
      "zip of several text files with eicar.com in the middle")
def _(n):
    z = zip_of([("a.txt", lorem(3000).encode()), ("docs/eicar.com", eicar()),
                ("b.txt", lorem(2000, 5).encode())])
    return mixed(n, [text_part(), zip_attachment(z, "files.zip")])


@case("eicar-tar-gz", "eicar", "eicar.com in a tar.gz")
def _(n):
    t = gz(tar_of([("readme.txt", b"hello\n"), ("eicar.com", eicar())]))
    return mixed(n, [text_part(), attachment(t, "eicar.tar.gz",
                                             "application/gzip")])


@case("eicar-tar", "eicar", "eicar.com in a plain tar")
def _(n):
    t = tar_of([("eicar.com", eicar())])
    return mixed(n, [text_part(),
                     attachment(t, "eicar.tar", "application/x-tar")])


@case("eicar-gzip", "eicar", "eicar.com.gz")
def _(n):
    return mixed(n, [text_part(), attachment(gz(eicar()), "eicar.com.gz",
                                             "application/gzip")])


@case("eicar-bzip2", "eicar", "eicar.com.bz2")
def _(n):
    return mixed(n, [text_part(), attachment(bz2.compress(eicar()),
                                             "eicar.com.bz2",
                                             "application/x-bzip2")])


@case("eicar-xz", "eicar", "eicar.com.xz")
def _(n):
    x = lzma.compress(eicar())
    return mixed(n, [text_part(),
                     attachment(x, "eicar.com.xz", "application/x-xz")])


@case("eicar-rfc822", "eicar", "a forwarded message/rfc822 carrying eicar.zip")
def _(n):
    return mixed(n, [text_part(), rfc822_part(with_zip(n + "-inner"))])


@case("eicar-alternative-and-attachment", "eicar",
      "multipart/alternative text+HTML, then eicar.zip, in multipart/mixed")
def _(n):
    alt = multipart("=_alt_" + n, [
        text_part("Hello." + CRLF),
        part(["Content-Type: text/html; charset=us-ascii"],
             "<p>Hello.</p>" + CRLF)])
    inner = part(["Content-Type: multipart/alternative;"
                  " boundary=\"=_alt_%s\"" % n], alt)
    return mixed(n, [inner, zip_part()])


# broken-*: deliberately broken MIME; the attachment must still be found.

def bnd(n):
    return "=_mxward_" + n


@case("broken-boundary-single-quoted", "eicar",
      "boundary='B' in single quotes, delimiters --B (quotes are not MIME)")
def _(n):
    b = "b-" + n
    body = multipart(b, [text_part(), zip_part()])
    return message(n, body,
                   ["Content-Type: multipart/mixed; boundary='%s'" % b])


@case("broken-boundary-quotes-in-delimiter", "eicar",
      "boundary=\"B\" in the header, delimiter lines --\"B\"")
def _(n):
    b = "b-" + n
    body = multipart('"%s"' % b, [text_part(), zip_part()])
    return message(n, body, [ct_mixed(b)])


@case("broken-boundary-trailing-whitespace", "eicar",
      "delimiter lines followed by spaces and a tab (legal padding)")
def _(n):
    b = bnd(n)
    body = multipart(b + " \t ", [text_part(), zip_part()])
    return message(n, body, [ct_mixed(b)])


@case("broken-boundary-trailing-junk", "eicar",
      "delimiter lines followed by junk text (not a delimiter in MIME)")
def _(n):
    b = bnd(n)
    body = multipart(b + "junk", [text_part(), zip_part()], close=False)
    body += "--" + b + "--junk" + CRLF
    return message(n, body, [ct_mixed(b)])


@case("broken-boundary-missing-close", "eicar",
      "no closing --B-- delimiter: the attachment runs to the end")
def _(n):
    return with_zip(n, close=False)


@case("broken-boundary-two-params-first", "eicar",
      "two boundary parameters; the parts use the first")
def _(n):
    b = bnd(n)
    body = multipart(b, [text_part(), zip_part()])
    return message(n, body, ["Content-Type: multipart/mixed; boundary=\"%s\";"
                             " boundary=\"decoy-%s\"" % (b, n)])


@case("broken-boundary-two-params-second", "eicar",
      "two boundary parameters; the parts use the second")
def _(n):
    b = bnd(n)
    body = multipart(b, [text_part(), zip_part()])
    return message(n, body, ["Content-Type: multipart/mixed;"
                             " boundary=\"decoy-%s\";"
                             " boundary=\"%s\"" % (n, b)])


@case("broken-boundary-case-mismatch", "eicar",
      "boundary in the header upper case, delimiters lower case")
def _(n):
    b = "MIXEDCASE-" + n.upper()
    body = multipart(b.lower(), [text_part(), zip_part()])
    return message(n, body, [ct_mixed(b)])


@case("broken-boundary-missing-param", "eicar",
      "multipart/mixed without any boundary parameter")
def _(n):
    body = multipart(bnd(n), [text_part(), zip_part()])
    return message(n, body, ["Content-Type: multipart/mixed"])


@case("broken-boundary-no-semicolon", "eicar",
      "Content-Type: multipart/mixed boundary=\"B\" (no ';')")
def _(n):
    b = bnd(n)
    body = multipart(b, [text_part(), zip_part()])
    return message(n, body,
                   ["Content-Type: multipart/mixed boundary=\"%s\"" % b])


@case("broken-boundary-folded-value", "eicar",
      "boundary= at a line end, its value folded onto the next line")
def _(n):
    b = bnd(n)
    body = multipart(b, [text_part(), zip_part()])
    return message(n, body, ["Content-Type: multipart/mixed;",
                             "\tboundary=",
                             " \"%s\"" % b])


@case("broken-boundary-reused-inside", "eicar",
      "a nested multipart reusing its parent's boundary")
def _(n):
    b = bnd(n)
    inner = part([ct_mixed(b)],
                 multipart(b, [text_part("inner" + CRLF), zip_part()]))
    return message(n, multipart(b, [text_part(), inner]),
                   [ct_mixed(b)])


@case("broken-boundary-prefix-nested", "eicar",
      "outer boundary B, inner boundary B-inner: inner delimiters start"
      " with the outer one")
def _(n):
    b = bnd(n)
    bi = b + "-inner"
    inner = part([ct_mixed(bi)],
                 multipart(bi, [text_part("inner" + CRLF), zip_part()]))
    return message(n, multipart(b, [text_part(), inner]),
                   [ct_mixed(b)])


@case("broken-content-type-duplicate", "eicar",
      "two top-level Content-Type fields: text/plain, then the multipart")
def _(n):
    b = bnd(n)
    body = multipart(b, [text_part(), zip_part()])
    return message(n, body, ["Content-Type: text/plain; charset=us-ascii",
                             ct_mixed(b)])


@case("broken-header-cte-as-continuation", "eicar",
      "the part's Content-Transfer-Encoding line starts with a space, so it"
      " folds into Content-Type")
def _(n):
    p = part(["Content-Type: application/zip; name=\"eicar.zip\"",
              " Content-Transfer-Encoding: base64",
              "Content-Disposition: attachment; filename=\"eicar.zip\""],
             b64(eicar_zip()))
    return mixed(n, [text_part(), p])


@case("broken-header-part-no-blank-line", "eicar",
      "no blank line between the part's header and its base64 body")
def _(n):
    p = CRLF.join(["Content-Type: application/zip; name=\"eicar.zip\"",
                   "Content-Transfer-Encoding: base64"])
    p += CRLF + b64(eicar_zip())
    return mixed(n, [text_part(), p])


@case("broken-cte-duplicate-7bit-base64", "eicar",
      "two Content-Transfer-Encoding fields: 7bit, then base64")
def _(n):
    return mixed(n, [text_part(), zip_part(cte=None, extra=[
        "Content-Transfer-Encoding: 7bit",
        "Content-Transfer-Encoding: base64"])])


@case("broken-cte-duplicate-base64-qp", "eicar",
      "two Content-Transfer-Encoding fields: base64, then quoted-printable")
def _(n):
    return mixed(n, [text_part(), zip_part(cte=None, extra=[
        "Content-Transfer-Encoding: base64",
        "Content-Transfer-Encoding: quoted-printable"])])


@case("broken-cte-folded", "eicar",
      "Content-Transfer-Encoding: with base64 folded onto the next line")
def _(n):
    return mixed(n, [text_part(), zip_part(cte=None, extra=[
        "Content-Transfer-Encoding:", "\tbase64"])])


@case("broken-cte-split-token", "eicar",
      "Content-Transfer-Encoding: ba + folded se64 (the token cut in two)")
def _(n):
    return mixed(n, [text_part(), zip_part(cte=None, extra=[
        "Content-Transfer-Encoding: ba", " se64"])])


@case("broken-cte-junk-suffix", "eicar", "Content-Transfer-Encoding: base64x")
def _(n):
    return mixed(n, [text_part(), zip_part(cte="base64x")])


@case("broken-cte-quoted", "eicar", "Content-Transfer-Encoding: \"base64\"")
def _(n):
    return mixed(n, [text_part(), zip_part(cte='"base64"')])


@case("broken-cte-encoded-word", "eicar",
      "Content-Transfer-Encoding: =?us-ascii?Q?base64?=")
def _(n):
    return mixed(n, [text_part(), zip_part(cte="=?us-ascii?Q?base64?=")])


@case("broken-cte-missing", "eicar",
      "base64 body with no Content-Transfer-Encoding at all")
def _(n):
    return mixed(n, [text_part(), zip_part(cte=None)])


@case("broken-cte-says-7bit", "eicar",
      "base64 body labelled Content-Transfer-Encoding: 7bit")
def _(n):
    return mixed(n, [text_part(), zip_part(cte="7bit")])


@case("broken-cte-x-uuencode", "eicar",
      "part with Content-Transfer-Encoding: x-uuencode")
def _(n):
    p = part(["Content-Type: application/zip; name=\"eicar.zip\"",
              "Content-Disposition: attachment; filename=\"eicar.zip\"",
              "Content-Transfer-Encoding: x-uuencode"],
             uuencode(eicar_zip(), "eicar.zip"))
    return mixed(n, [text_part(), p])


@case("broken-uuencode-in-text-part", "eicar",
      "uuencoded eicar.zip inside a text/plain 7bit part between prose")
def _(n):
    t = "Hi," + CRLF + CRLF + uuencode(eicar_zip(), "eicar.zip") + CRLF + \
        "Regards." + CRLF
    return mixed(n, [part(["Content-Type: text/plain; charset=us-ascii"], t)])


@case("broken-base64-junk-chars", "eicar",
      "characters outside the base64 alphabet sprinkled through the lines")
def _(n):
    s = b64(eicar_zip(), width=60).split(CRLF)
    junk = "!*.,;~"
    s = [l[:10] + junk[i % len(junk)] + l[10:30] + "#" + l[30:] if l else l
         for i, l in enumerate(s)]
    return mixed(n, [text_part(), zip_body_part(CRLF.join(s))])


@case("broken-base64-junk-lines", "eicar",
      "blank lines and lines of non-alphabet junk between the base64 lines"
      " (a lenient decoder skips them, as mail clients do)")
def _(n):
    s = [l for l in b64(eicar_zip(), width=40).split(CRLF) if l]
    junk = ["", "~~~~ ~~~~ ~~~~", "-- !! -- ** --", "", "...."]
    out = []
    for i, l in enumerate(s):
        out.append(l)
        out.append(junk[i % len(junk)])
    return mixed(n, [text_part(), zip_body_part(CRLF.join(out) + CRLF)])


@case("broken-base64-no-padding", "eicar", "base64 with the = padding removed")
def _(n):
    z = eicar_zip()
    if len(z) % 3 == 0:  # make sure there is padding to remove
        z += b"\0"
    return mixed(n, [text_part(), zip_body_part(b64(z).replace("=", ""))])


@case("broken-base64-one-long-line", "eicar",
      "base64 on one line of several hundred characters")
def _(n):
    return mixed(n, [text_part(),
                     zip_body_part(b64(eicar_zip(), width=100000))])


@case("broken-base64-indented", "eicar",
      "every base64 line indented by spaces")
def _(n):
    s = "".join("   " + l + CRLF for l in b64(eicar_zip()).split(CRLF) if l)
    return mixed(n, [text_part(), zip_body_part(s)])


@case("broken-base64-early-padding", "eicar",
      "a stray '=' line in the middle of the base64 (decoders that stop at"
      " padding lose the rest)")
def _(n):
    s = [l for l in b64(eicar_zip(), width=64).split(CRLF) if l]
    s.insert(1, "====")
    return mixed(n, [text_part(), zip_body_part(CRLF.join(s) + CRLF)])


@case("broken-base64-concatenated", "eicar",
      "two base64 encodings back to back, the first ending in = padding"
      " (decoders that stop at padding lose the second)")
def _(n):
    z = eicar_zip()
    cut = 100 if 100 % 3 else 101
    return mixed(n, [text_part(), zip_body_part(b64(z[:cut]) + b64(z[cut:]))])


@case("broken-rfc822-nested-twice", "eicar",
      "eicar.zip in a message/rfc822 in a message/rfc822")
def _(n):
    return mixed(n, [text_part(), rfc822_part(mixed(
        n + "-1", [text_part(), rfc822_part(with_zip(n + "-2"))]))])


@case("broken-rfc822-base64-encoded", "eicar",
      "a message/rfc822 part that is itself base64-encoded (forbidden by"
      " RFC 2046)")
def _(n):
    p = part(["Content-Type: message/rfc822",
              "Content-Transfer-Encoding: base64"],
             b64(with_zip(n + "-inner").encode()))
    return mixed(n, [text_part(), p])


@case("broken-part-no-content-type", "eicar",
      "the attachment part has no Content-Type (so text/plain)")
def _(n):
    p = part(["Content-Disposition: attachment; filename=\"eicar.zip\"",
              "Content-Transfer-Encoding: base64"], b64(eicar_zip()))
    return mixed(n, [text_part(), p])


@case("broken-bogus-charset", "eicar",
      "the zip labelled text/plain; charset=x-no-such-charset, base64")
def _(n):
    p = part(["Content-Type: text/plain; charset=\"x-no-such-charset-9\"",
              "Content-Disposition: attachment; filename=\"eicar.zip\"",
              "Content-Transfer-Encoding: base64"], b64(eicar_zip()))
    return mixed(n, [text_part(), p])


@case("broken-no-mime-version", "eicar", "multipart without MIME-Version")
def _(n):
    b = bnd(n)
    body = multipart(b, [text_part(), zip_part()])
    return message(n, body, [ct_mixed(b)],
                   mime=False)


@case("broken-attachment-in-preamble", "eicar",
      "the base64 attachment sits in the preamble, before the first delimiter")
def _(n):
    pre = ("This is a multi-part message in MIME format." + CRLF + CRLF
           + b64(eicar_zip()) + CRLF)
    return mixed(n, [text_part()], preamble=pre)


@case("broken-attachment-in-epilogue", "eicar",
      "the base64 attachment sits after the closing delimiter")
def _(n):
    return mixed(n, [text_part()], epilogue=CRLF + b64(eicar_zip()))


@case("broken-multipart-is-leaf", "eicar",
      "Content-Type: application/zip at the top, but the body is a multipart")
def _(n):
    b = bnd(n)
    body = multipart(b, [text_part(), zip_part()])
    return message(n, body, ["Content-Type: application/zip",
                             "Content-Transfer-Encoding: base64"])


# clean-*: nothing to find, no limit reached.

@case("clean-plain-text", "clean", "a plain text message")
def _(n):
    return message(n, lorem(2000),
                   ["Content-Type: text/plain; charset=us-ascii"])


@case("clean-mentions-eicar", "clean",
      "text that names the EICAR file without containing it")
def _(n):
    return message(n, "Our scanner detects the EICAR-STANDARD-ANTIVIRUS-"
                   "TEST-FILE string; this mail is only about it." + CRLF,
                   ["Content-Type: text/plain; charset=us-ascii"])


@case("clean-html-alternative", "clean", "multipart/alternative text + HTML")
def _(n):
    b = bnd(n)
    html = "<html><body><p>" + lorem(1500).replace(CRLF, "</p><p>") + \
        "</p></body></html>" + CRLF
    return message(n, multipart(b, [
        text_part(lorem(1500)),
        part(["Content-Type: text/html; charset=us-ascii"], html)]),
        ["Content-Type: multipart/alternative; boundary=\"%s\"" % b])


@case("clean-text-attachment", "clean", "notes.txt attached in base64")
def _(n):
    return mixed(n, [text_part(), attachment(lorem(4000).encode(), "notes.txt",
                                             "text/plain")])


@case("clean-pdf", "clean", "a small valid hand-written PDF")
def _(n):
    return mixed(n, [text_part(), attachment(tiny_pdf(), "report.pdf",
                                             "application/pdf")])


@case("clean-zip-of-text", "clean", "zip of three text files")
def _(n):
    z = zip_of([("a.txt", lorem(3000).encode()),
                ("b/c.txt", lorem(500, 2).encode()),
                ("d.csv", b"a,b,c\r\n1,2,3\r\n")])
    return mixed(n, [text_part(), zip_attachment(z, "texts.zip")])


@case("clean-tar-gz-of-text", "clean", "tar.gz of two text files")
def _(n):
    t = gz(tar_of([("a.txt", lorem(3000).encode()), ("b.txt", b"hello\n")]))
    return mixed(n, [text_part(), attachment(t, "texts.tar.gz",
                                             "application/gzip")])


@case("clean-many-parts", "clean", "60 text parts and 20 small attachments")
def _(n):
    parts = [text_part("part %d%s" % (i, CRLF)) for i in range(60)]
    parts += [attachment(lorem(200, i).encode(), "file%02d.txt" % i,
                         "text/plain") for i in range(20)]
    return mixed(n, parts)


@case("clean-rfc822", "clean", "a forwarded clean message")
def _(n):
    inner = message(n + "-inner", lorem(800),
                    ["Content-Type: text/plain; charset=us-ascii"])
    return mixed(n, [text_part(), rfc822_part(inner)])


@case("testsig-unit-marker", "testsig",
      "ClamAV's unit-test marker string in a text attachment")
def _(n):
    return mixed(n, [text_part(), attachment(unit_marker() + b"\n",
                                             "marker.txt", "text/plain")])


# limits-*: where scan limits apply.

@case("limits-zip-nested-30", "not-clean",
      "EICAR at the bottom of 30 nested zips")
def _(n):
    return mixed(n, [text_part(),
                     zip_attachment(nested_zip(30), "nested.zip")])


@case("limits-zipbomb", "not-clean",
      "zip of five 100 MB files of zeros (no EICAR): 500 MB, over the 400 MB"
      " max-scansize default; the limit must be reported")
def _(n):
    z = zip_stream([("zeros%d.bin" % i, bytes(1 << 20), 100)
                    for i in range(5)])
    return mixed(n, [text_part(), zip_attachment(z, "bomb.zip")])


@case("limits-zipbomb-single-200m", "bounded",
      "zip of one 200 MB file of zeros (no EICAR): libclamav trims it to"
      " max-filesize and says nothing; the scan must end, any verdict")
def _(n):
    z = zip_stream([("zeros.bin", bytes(1 << 20), 200)])
    return mixed(n, [text_part(), zip_attachment(z, "bomb.zip")])


@case("limits-zipbomb-then-eicar", "not-clean",
      "a zip of 200 MB of zeros, then eicar.com as the second entry")
def _(n):
    z = zip_stream([("zeros.bin", bytes(1 << 20), 200),
                    ("eicar.com", eicar(), 1)])
    return mixed(n, [text_part(), zip_attachment(z, "bomb.zip")])


@case("limits-zip-12000-files", "not-clean",
      "a zip of 12,000 one-byte files, eicar.com last (over the max-files"
      " default of 10,000)")
def _(n):
    entries = [("%x" % i, b"x") for i in range(12000)]
    z = zip_of(entries + [("eicar.com", eicar())], zipfile.ZIP_STORED)
    return mixed(n, [text_part(), zip_attachment(z, "many.zip")])


@case("limits-parts-5000", "not-clean",
      "5000 tiny text parts, eicar.zip as part 5001")
def _(n):
    parts = [part(["Content-Type: text/plain"], "%d%s" % (i, CRLF))
             for i in range(5000)]
    parts.append(zip_part())
    return mixed(n, parts)


@case("limits-mime-nested-60", "not-clean",
      "eicar.zip at the bottom of multiparts nested 60 deep")
def _(n):
    inner = zip_part()
    for level in range(60, 0, -1):
        b = "=_lvl%02d_%s" % (level, n)
        text = text_part("level %d%s" % (level, CRLF))
        inner = part([ct_mixed(b)], multipart(b, [text, inner]))
    return mixed(n, [text_part(), inner])


@case("limits-rfc822-nested-30", "not-clean",
      "eicar.zip at the bottom of message/rfc822 nested 30 deep")
def _(n):
    m = with_zip(n + "-30")
    for level in range(29, 0, -1):
        m = mixed("%s-%02d" % (n, level), [text_part(), rfc822_part(m)])
    return mixed(n, [text_part(), rfc822_part(m)])


def big_attachment(n, mbytes):
    """EICAR, then mbytes MB of pseudo-random bytes (seeded, so fixed)."""
    import random
    rnd = random.Random(mbytes)
    data = eicar() + b"\n" + rnd.randbytes(mbytes << 20)
    return mixed(n, [text_part(), attachment(data, "big.bin")])


BIG_CASES = [
    ("limits-big-20m", "not-clean",
     "EICAR at the start of a 20 MB attachment (a 27 MB message)",
     lambda n: big_attachment(n, 20)),
    ("limits-big-30m", "not-clean",
     "EICAR at the start of a 30 MB attachment (a 41 MB message)",
     lambda n: big_attachment(n, 30)),
]


def testfile_cases(directory):
    """One case per file of clamav-testfiles, in name order."""
    out = []
    if not os.path.isdir(directory):
        return out
    for fn in sorted(os.listdir(directory)):
        path = os.path.join(directory, fn)
        if not os.path.isfile(path):
            continue

        def build(n, path=path, fn=fn):
            with open(path, "rb") as f:
                data = f.read()
            return mixed(n, [text_part(), attachment(data, fn)])
        out.append(("testfile-" + fn, "testfile",
                    "clamav-testfiles' %s attached" % fn, build))
    return out


# ------------------------------------------------------------- database ----

def write_db(dbdir, shared):
    """The test signature database; prints whether testfiles can be found."""
    os.makedirs(dbdir, exist_ok=True)
    with open(os.path.join(dbdir, "mxward-test.ndb"), "w") as f:
        f.write("Eicar-Test-Signature:0:0:%s\n" % eicar().hex())
    have = all(os.path.isfile(os.path.join(shared, x))
               for x in ("clamav.hdb", "Clamav-Unit-Test-Signature.ndb"))
    if have:
        for x in ("clamav.hdb", "Clamav-Unit-Test-Signature.ndb"):
            dst = os.path.join(dbdir, x)
            shutil.copyfile(os.path.join(shared, x), dst)
            os.chmod(dst, 0o644)
    print("testfiles %s" % ("yes" if have else "no"))


def default_shared():
    top = os.environ.get("top_srcdir") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")
    return os.path.normpath(os.path.join(top, "..", "shared", "testdata",
                                         "clamav"))


# ----------------------------------------------------------------- main ----

def all_cases(args):
    cases = list(CASES)
    if args.big:
        cases += BIG_CASES
    cases += testfile_cases(args.testfiles)
    if args.only:
        cases = [c for c in cases
                 if any(c[0].startswith(p) for p in args.only)]
    return cases


def main():
    ap = argparse.ArgumentParser(
        description="Write antivirus test messages (and a test database).")
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--big", action="store_true",
                    help="also the 20 MB and 30 MB attachments")
    ap.add_argument("--only", action="append", metavar="PREFIX",
                    help="only cases whose name starts with PREFIX")
    ap.add_argument("--testfiles", default=TESTFILES_DIR,
                    help="clamav-testfiles directory (default %(default)s)")
    ap.add_argument("--db", metavar="DBDIR", help="write the test database")
    ap.add_argument("--shared", default=default_shared(),
                    help="shared ClamAV unit-test data (default %(default)s)")
    ap.add_argument("--list", action="store_true",
                    help="print NAME EXPECT WHAT for every case and exit")
    args = ap.parse_args()

    if args.list:
        for name, expect, what, _ in all_cases(args):
            print("%s\t%s\t%s" % (name, expect, what))
        return 0
    if not args.db and not args.outdir:
        ap.error("OUTDIR or --db DBDIR is needed")
    if args.db:
        write_db(args.db, args.shared)
    if args.outdir:
        os.makedirs(args.outdir, exist_ok=True)
        rows = []
        for name, expect, what, build in all_cases(args):
            data = build(name).encode("ascii")
            with open(os.path.join(args.outdir, name + ".eml"), "wb") as f:
                f.write(data)
            rows.append("%s.eml\t%s\t%s\n" % (name, expect, what))
        with open(os.path.join(args.outdir, "expected.tsv"), "w") as f:
            f.writelines(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
