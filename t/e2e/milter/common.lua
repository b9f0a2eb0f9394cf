-- common.lua -- helpers for the miltertest scripts, loaded with
-- dofile(os.getenv("MILTER_LIB")).  t0200-miltertest.sh sets MILTER_SOCKET
-- (sendmail syntax, inet:PORT@127.0.0.1) to a running mxward whose policy
-- refuses 192.0.2.0/24, trusts nobody, rejects invalid HELO names and has
-- authserv_id mx.test.example.  A failed check raises an error: miltertest
-- prints it and exits non-zero, which the shell script reports as "not ok".

SOCKET = os.getenv("MILTER_SOCKET") or error("MILTER_SOCKET is not set")
CLIENT_IP = "198.51.100.7"

-- check(cond, what): fail the script unless cond holds.
function check(cond, what)
	if not cond then
		error("FAILED: " .. what, 2)
	end
end

-- ok(err, what): a mt.* call returned nil (success).
function ok(err, what)
	if err ~= nil then
		error("FAILED: " .. what .. ": " .. tostring(err), 2)
	end
end

-- reply(conn): the last reply as a one-letter string (c, a, y, t, r ...).
function reply(conn)
	return string.char(mt.getreply(conn))
end

-- expect(conn, letters, what): the last reply is one of letters.
function expect(conn, letters, what)
	local r = reply(conn)
	if not string.find(letters, r, 1, true) then
		error("FAILED: " .. what .. ": reply '" .. r .. "', expected one of '" ..
		    letters .. "'", 2)
	end
end

-- open(): connect with libmilter's default protocol offer (everything).
function open()
	local conn = mt.connect(SOCKET, 25, 0.2)
	check(conn ~= nil, "connect to " .. SOCKET)
	ok(mt.negotiate(conn, nil, nil, nil), "negotiate")
	return conn
end

-- session(conn, ip, helo): connect and HELO stages, each continued.
function session(conn, ip, helo)
	ok(mt.conninfo(conn, "client.test.example", ip or CLIENT_IP), "conninfo")
	expect(conn, "c", "connect from " .. (ip or CLIENT_IP))
	ok(mt.helo(conn, helo or "client.test.example"), "helo")
	expect(conn, "c", "helo")
end

-- envelope(conn, qid): MAIL and RCPT, each continued.
function envelope(conn, qid)
	ok(mt.macro(conn, SMFIC_MAIL, "i", qid), "macro i")
	ok(mt.mailfrom(conn, "<sender@example.net>"), "mailfrom")
	expect(conn, "c", "mail from")
	ok(mt.rcptto(conn, "<rcpt@example.org>"), "rcptto")
	expect(conn, "c", "rcpt to")
end

-- eoh(conn): end of header, unless mxward negotiated that step away (it
-- does when no check wants it: one round trip less per message).
function eoh(conn)
	if not mt.test_option(conn, SMFIP_NOEOH) then
		ok(mt.eoh(conn), "eoh")
	end
end

-- content(conn, subject, extra): header (extra: list of {name, value}),
-- end of header, a body line.
function content(conn, subject, extra)
	ok(mt.header(conn, "From", "Sender <sender@example.net>"), "header From")
	ok(mt.header(conn, "To", "<rcpt@example.org>"), "header To")
	ok(mt.header(conn, "Subject", subject), "header Subject")
	for _, h in ipairs(extra or {}) do
		ok(mt.header(conn, h[1], h[2]), "header " .. h[1])
	end
	eoh(conn)
	ok(mt.bodystring(conn, "Hello from miltertest.\r\n"), "body")
end

-- value(conn, v): a header value as mxward sends it: with its leading
-- space when SMFIP_HDR_LEADSPC was negotiated (mxward asks for it, so
-- that DKIM sees fields as they stand).
function value(conn, v)
	if mt.test_option(conn, SMFIP_HDR_LEADSPC) then
		return " " .. v
	end
	return v
end

-- finish(conn, what): end of message, accepted (continue or accept), with
-- our Authentication-Results inserted on top.
function finish(conn, what)
	ok(mt.eom(conn), "eom")
	expect(conn, "ca", what .. ": end of message")
	check(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results",
	    value(conn, "mx.test.example; none")),
	    what .. ": Authentication-Results inserted")
end
