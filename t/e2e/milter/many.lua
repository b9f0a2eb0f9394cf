-- many.lua -- many messages over one MTA connection (as Postfix does with
-- one SMTP session and several transactions): every one is judged and gets
-- its own single Authentication-Results.
dofile(os.getenv("MILTER_LIB"))

local N = tonumber(os.getenv("MILTER_MANY") or "50")
local conn = open()
session(conn)
for i = 1, N do
	envelope(conn, string.format("MANY%05d", i))
	content(conn, "message " .. i)
	finish(conn, "message " .. i)
	check(mt.getheader(conn, "Authentication-Results", 1) == nil,
	    "message " .. i .. ": only one Authentication-Results inserted")
end
mt.disconnect(conn)
mt.echo(N .. " messages on one connection")
