-- abort.lua -- a transaction aborted mid-message (after the header, and
-- again in the body) leaves nothing behind: the next message on the same
-- connection is judged on its own -- the first one's forged
-- Authentication-Results is not deleted from it.
dofile(os.getenv("MILTER_LIB"))

local conn = open()
session(conn)

-- Aborted after the header (with a forged A-R, which would be deleted).
envelope(conn, "ABRT1")
ok(mt.header(conn, "From", "<sender@example.net>"), "header")
ok(mt.header(conn, "Authentication-Results", "mx.test.example; dkim=pass"), "header A-R")
eoh(conn)
ok(mt.abort(conn), "abort after the header")

-- Aborted in the middle of the body.
envelope(conn, "ABRT2")
ok(mt.header(conn, "From", "<sender@example.net>"), "header")
ok(mt.header(conn, "Authentication-Results", "mx.test.example; spf=pass"), "header A-R")
eoh(conn)
ok(mt.bodystring(conn, "half a body\r\n"), "body")
ok(mt.abort(conn), "abort in the body")

-- Aborted between RCPT and DATA.
envelope(conn, "ABRT3")
ok(mt.abort(conn), "abort after RCPT")

-- A clean message on the same connection.
envelope(conn, "ABRT4")
content(conn, "after aborts")
finish(conn, "message after aborts")
check(not mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results") and
    not mt.eom_check(conn, MT_HDRCHANGE, "Authentication-Results"),
    "no header deleted from the clean message (no state left from aborted ones)")
mt.disconnect(conn)
