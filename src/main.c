/*
 * main.c - the mxward command line
 *
 *   mxward [-c FILE] [-f] run       the daemon (also with no command)
 *   mxward [-c FILE] check          validate the policy
 *   mxward [-c FILE] scan [...]     run saved messages through the engine
 *   mxward version
 *
 * -c names the policy file (default: the compiled-in path); -f keeps the
 * log on stderr instead of syslog. The commands are dispatched through one
 * name table; each returns the exit status.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clamav.h>
#include <gmime/gmime.h>
#include <jansson.h>
#include <libmilter/mfapi.h>
#include <microhttpd.h>
#include <yaml.h>

#include "cli/cli.h"
#include "core/log.h"
#include "daemon.h"

struct options {
	const char *policy;
	bool foreground;
};

static int
cmd_run(const struct options *o, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "mxward: run takes no arguments\n");
		return 1;
	}
	return daemon_run(o->policy, o->foreground);
}

static int
cmd_check(const struct options *o, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "mxward: check takes no arguments\n");
		return 1;
	}
	return cli_check(o->policy);
}

static int
cmd_scan(const struct options *o, int argc, char **argv)
{
	return cli_scan(o->policy, argc, argv);
}

static int
cmd_version(const struct options *o, int argc, char **argv)
{
	unsigned major, minor, patch;

	smfi_version(&major, &minor, &patch);
	printf("mxward %s\n", PACKAGE_VERSION);
	printf("libmilter %u.%u.%u, libyaml %s, jansson %s, "
	    "libmicrohttpd %s\n", major, minor, patch,
	    yaml_get_version_string(), JANSSON_VERSION, MHD_get_version());
	printf("libclamav %s, GMime %u.%u.%u\n", cl_retver(),
	    gmime_major_version, gmime_minor_version, gmime_micro_version);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(const struct options *, int, char **);
} commands[] = {
	{ "run", cmd_run },
	{ "check", cmd_check },
	{ "scan", cmd_scan },
	{ "version", cmd_version },
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: mxward [-c FILE] [-f] run\n"
	    "       mxward [-c FILE] check\n"
	    "       mxward [-c FILE] scan [--json] [--ip ADDR] [--helo NAME] "
	    "[--from ADDR]\n"
	    "                         [--rcpt ADDR]... [--user SASLNAME] "
	    "MESSAGE.eml...\n"
	    "       mxward version\n"
	    "default policy: %s\n", MXWARD_DEFAULT_POLICY);
}

int
main(int argc, char **argv)
{
	static char *run_alone[] = { "run", NULL };
	struct options o = { MXWARD_DEFAULT_POLICY, false };
	int c;

	/* "+" stops at the command: its own options follow it. */
	while ((c = getopt(argc, argv, "+c:fh")) != -1) {
		switch (c) {
		case 'c':
			o.policy = optarg;
			break;
		case 'f':
			o.foreground = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		argv = run_alone;
		argc = 1;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (strcmp(commands[i].name, argv[0]) == 0)
			return commands[i].run(&o, argc, argv);
	fprintf(stderr, "mxward: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return 1;
}
