-- verdicts.lua -- the decisions at protocol level: a refused network gets
-- 554 5.7.1 at connect, an invalid HELO 550 5.7.1 at MAIL, a clean message
-- gets Authentication-Results (index 0, on top) and the X-Spam headers, and
-- a forged Authentication-Results claiming mx.test.example is deleted.
dofile(os.getenv("MILTER_LIB"))

-- Refused network (192.0.2.0/24): reply code at connect.
local conn = open()
ok(mt.conninfo(conn, "client.test.example", "192.0.2.9"), "conninfo refused")
expect(conn, "y", "refused network: a reply code at connect")
mt.disconnect(conn, false)

-- Invalid HELO: continued at HELO, refused at MAIL.
conn = open()
ok(mt.conninfo(conn, "client.test.example", CLIENT_IP), "conninfo")
expect(conn, "c", "connect")
ok(mt.helo(conn, "notqualified"), "helo")
expect(conn, "c", "helo is judged at MAIL, not here")
ok(mt.mailfrom(conn, "<sender@example.net>"), "mailfrom")
expect(conn, "y", "invalid HELO: a reply code at MAIL")
mt.disconnect(conn, false)

-- Clean message with a forged and a foreign Authentication-Results.
conn = open()
session(conn)
envelope(conn, "VERD1")
content(conn, "verdicts", {
	{ "Authentication-Results", "mx.test.example; spf=pass smtp.mailfrom=forged.example" },
	{ "Authentication-Results", "other.example; dkim=pass header.d=example.net" },
})
ok(mt.eom(conn), "eom")
expect(conn, "ca", "clean message: end of message")
check(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results",
    value(conn, "mx.test.example; none"), 0),
    "Authentication-Results inserted at index 0")
check(mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Score") or
    mt.eom_check(conn, MT_HDRADD, "X-Spam-Score"), "X-Spam-Score added")
check(mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Status") or
    mt.eom_check(conn, MT_HDRADD, "X-Spam-Status"), "X-Spam-Status added")
check(mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results") or
    mt.eom_check(conn, MT_HDRCHANGE, "Authentication-Results"),
    "forged Authentication-Results deleted")
mt.disconnect(conn)
