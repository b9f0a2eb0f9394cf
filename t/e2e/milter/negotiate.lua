-- negotiate.lua -- option negotiation: mxward asks only for what it uses
-- (add/insert and change/delete headers, quarantine; never the body or
-- recipients), skips unknown commands, and refuses an MTA that offers
-- less than milter protocol 6 features it needs.
dofile(os.getenv("MILTER_LIB"))

local conn = open()
check(mt.test_action(conn, SMFIF_ADDHDRS), "requests SMFIF_ADDHDRS")
check(mt.test_action(conn, SMFIF_CHGHDRS), "requests SMFIF_CHGHDRS")
check(mt.test_action(conn, SMFIF_QUARANTINE), "requests SMFIF_QUARANTINE")
check(not mt.test_action(conn, SMFIF_CHGBODY), "does not request SMFIF_CHGBODY")
check(not mt.test_action(conn, SMFIF_ADDRCPT), "does not request SMFIF_ADDRCPT")
check(not mt.test_action(conn, SMFIF_DELRCPT), "does not request SMFIF_DELRCPT")
check(mt.test_option(conn, SMFIP_NOUNKNOWN), "sets SMFIP_NOUNKNOWN")
check(mt.test_option(conn, SMFIP_NOEOH), "skips end of header: no check wants it")
check(not mt.test_option(conn, SMFIP_NOBODY), "keeps the body: the size limit wants it")
-- Negotiated, it serves.
session(conn)
envelope(conn, "NEG1")
content(conn, "negotiated")
finish(conn, "after negotiation")
mt.disconnect(conn)

-- Protocol 6 offering only "add header" (no header changes, quarantine or
-- macro lists): mxward refuses the negotiation (closes the connection).
local conn2 = mt.connect(SOCKET, 25, 0.2)
check(conn2 ~= nil, "second connect")
local err = mt.negotiate(conn2, 6, SMFIF_ADDHDRS, 0)
check(err ~= nil, "an MTA offering only SMFIF_ADDHDRS is refused")
