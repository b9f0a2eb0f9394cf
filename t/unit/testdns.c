/*
 * testdns.c - the real resolver, for unit tests run by a shell wrapper;
 * see testdns.h
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "metrics/metrics.h"
#include "testdns.h"

#define QUERIES "mxward_dns_queries_total{"

struct dns_resolver *
testdns_resolver(const char *port_variable, uint64_t timeout_ms)
{
	const char *port = getenv(port_variable);
	char server[64], err[256];
	const char *servers[1] = { server };
	struct dns_settings s = {
		.servers = servers, .n_servers = 1, .timeout_ms = timeout_ms,
		.cache_size = 1 << 20,
	};
	struct dns_resolver *r;

	if (port == NULL) {
		printf("Bail out! %s is not set\n", port_variable);
		exit(1);
	}
	snprintf(server, sizeof(server), "127.0.0.1@%s", port);
	if ((r = dns_resolver_new(&s, err, sizeof(err))) == NULL) {
		printf("Bail out! dns_resolver_new(%s): %s\n", server, err);
		exit(1);
	}
	return r;
}

long long
testdns_lookups(void)
{
	struct buf *b = buf_new();
	long long n = 0;

	dns_register_metrics();
	metrics_render(b);
	/* One line per type: 'mxward_dns_queries_total{type="TXT"} 3'. */
	for (const char *p = b->data; p != NULL && *p != '\0';) {
		if (strncmp(p, QUERIES, strlen(QUERIES)) == 0 &&
		    (p = strchr(p, ' ')) != NULL)
			n += strtoll(p + 1, NULL, 10);
		p = p != NULL ? strchr(p, '\n') : NULL;
		p = p != NULL ? p + 1 : NULL;
	}
	buf_free(&b);
	return n;
}
