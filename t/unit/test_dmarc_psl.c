/*
 * test_dmarc_psl.c - Organizational Domains from the Public Suffix List
 *
 * With no argument: a few cases against the system's list
 * (MXWARD_PUBLIC_SUFFIX_LIST), skipped when it is not installed. With
 * "TESTS-FILE [PSL-FILE]": every line "input expected" of the Public
 * Suffix List's tests.txt ("null" for no registrable domain; lines
 * starting "//" are comments), as t/conformance/dmarc-psl.sh runs it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc.h"
#include "tap.h"

static struct dmarc_psl *psl;

/* One case: want is NULL for "no registrable domain". */
static void
check(const char *in, const char *want)
{
	char got[DMARC_DOMAIN_MAX];
	bool found = in != NULL &&
	    dmarc_psl_registrable(psl, in, got, sizeof(got));

	if (!is_str(found ? got : NULL, want, in != NULL ? in : "(null)"))
		printf("#   input: %s\n", in != NULL ? in : "(null)");
}

static int
run_file(const char *path)
{
	char line[1024], in[512], want[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (f == NULL) {
		printf("1..0 # SKIP %s: cannot open\n", path);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "//", 2) != 0 &&
		    sscanf(line, "%511s %511s", in, want) == 2)
			n++;
	rewind(f);
	plan(n);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "//", 2) == 0 ||
		    sscanf(line, "%511s %511s", in, want) != 2)
			continue;
		check(strcmp(in, "null") == 0 ? NULL : in,
		    strcmp(want, "null") == 0 ? NULL : want);
	}
	fclose(f);
	return done();
}

int
main(int argc, char **argv)
{
	const char *list = argc > 2 ? argv[2] : MXWARD_PUBLIC_SUFFIX_LIST;
	char err[512];
	int status;

	psl = dmarc_psl_load(list, err, sizeof(err));
	if (psl == NULL) {
		printf("1..0 # SKIP %s\n", err);
		return 0;
	}
	if (argc > 1) {
		status = run_file(argv[1]);
		dmarc_psl_free(&psl);
		return status;
	}
	plan(9);
	check("mail.example.com", "example.com");
	check("a.b.example.co.uk", "example.co.uk");
	check("co.uk", NULL);
	check("com", NULL);
	check("WWW.Example.COM", "example.com");
	check("xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn");
	check("b.c.kobe.jp", "b.c.kobe.jp");
	check("www.ck", "www.ck");
	ok(dmarc_psl_load("/nonexistent/psl.dat", err, sizeof(err)) == NULL &&
	    strstr(err, "/nonexistent/psl.dat") != NULL,
	    "a missing file is refused with its name");
	dmarc_psl_free(&psl);
	return done();
}
