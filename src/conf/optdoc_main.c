/*
 * optdoc_main.c - print the option reference of mxward.yaml(5)
 *
 * A build-time helper: writes, as roff, every policy section and option
 * that the daemon's loader knows, from the very tables it loads with, so
 * the man page cannot drift from the code.
 */
#include "config.h"

#include <stdio.h>

#include "conf/optdoc.h"
#include "engine/engine.h"

int
main(void)
{
	const struct conf_section *const *sections;
	size_t n = engine_sections(&sections);

	conf_write_man(stdout, sections, n);
	return fflush(stdout) == 0 ? 0 : 1;
}
