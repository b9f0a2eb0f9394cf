/*
 * null-milter.c - a do-nothing libmilter filter: the benchmark's ceiling
 *
 * Accepts every message without looking at it, with the two fixes every
 * libmilter filter needs to avoid Nagle stalls over TCP (an xxfi_data
 * callback, and TCP_NODELAY on the listening socket). Whatever Postfix
 * loses with this filter attached is the cost of the milter hop and of
 * libmilter itself; bench/milter-throughput.sh measures mxward against it
 * in the same run. Not installed.
 *
 *   null-milter SOCKET      e.g. inet:PORT@127.0.0.1 or unix:/path
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libmilter/mfapi.h>

static sfsistat
null_continue(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

/* TCP_NODELAY on the one listening socket libmilter opened. */
static void
set_nodelay(void)
{
	int one = 1;

	for (int fd = 3; fd < 256; fd++) {
		int listening = 0;
		socklen_t len = sizeof(listening);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
		    &len) == 0 && listening)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
	}
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc = {
		.xxfi_name = "null-milter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_data = null_continue,
	};

	if (argc != 2) {
		fprintf(stderr, "usage: null-milter SOCKET\n");
		return 1;
	}
	/* A unix socket the MTA's user can connect to. */
	umask(0111);
	if (smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "null-milter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	set_nodelay();
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
