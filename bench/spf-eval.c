/*
 * spf-eval.c - SPF evaluations per second, for bench/auth-throughput.sh
 *
 *   spf-eval ENGINE SERVER COUNT IP SENDER
 *
 * Builds the shared resolver against SERVER ("ADDR@PORT"), evaluates
 * check_host() for IP and SENDER once to fill the cache, then COUNT times
 * with ENGINE (mxward or libspf2), and prints "RESULT EVALUATIONS/S". What
 * is timed is spf_check() alone, as the SPF check calls it per message:
 * the engine's parsing and evaluation over cached DNS answers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cidr.h"
#include "dns/resolver.h"
#include "spf/spf.h"

int
main(int argc, char **argv)
{
	const char *servers[1];
	struct dns_settings settings = { .servers = servers, .n_servers = 1,
	    .timeout_ms = 5000, .cache_size = 8u << 20 };
	struct spf_request req = { .helo = "client.example.org",
	    .receiver = "mx.bench.example" };
	struct spf_outcome out;
	struct dns_resolver *dns;
	struct timespec t0, t1;
	enum spf_engine engine;
	char err[256];
	long count;
	double secs;

	if (argc != 6 || (count = strtol(argv[3], NULL, 10)) <= 0 ||
	    !ip_parse(argv[4], &req.client_ip) || strchr(argv[5], '@') == NULL) {
		fprintf(stderr, "usage: spf-eval mxward|libspf2 ADDR@PORT COUNT "
		    "IP SENDER\n");
		return 2;
	}
	engine = strcmp(argv[1], "libspf2") == 0 ? SPF_ENGINE_LIBSPF2 :
	    SPF_ENGINE_MXWARD;
	servers[0] = argv[2];
	req.sender = argv[5];
	req.domain = strchr(argv[5], '@') + 1;
	if ((dns = dns_resolver_new(&settings, err, sizeof(err))) == NULL) {
		fprintf(stderr, "spf-eval: %s\n", err);
		return 1;
	}
	spf_check(engine, dns, &req, &out);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < count; i++)
		spf_check(engine, dns, &req, &out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%s %.0f\n", spf_result_name(out.result), (double)count / secs);
	dns_resolver_unref(&dns);
	return 0;
}
