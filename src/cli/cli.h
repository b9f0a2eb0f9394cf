/*
 * cli.h - the offline commands: policy check and message scan
 *
 * cli_check() validates a policy and prints FILE:LINE: reason lines on
 * stderr (exit 1) or a one-line confirmation (exit 0). cli_scan() runs
 * saved messages through the engine; see scan.c for its options and exit
 * statuses.
 */
#ifndef MXWARD_CLI_CLI_H
#define MXWARD_CLI_CLI_H

int cli_check(const char *policy_path);
int cli_scan(const char *policy_path, int argc, char **argv);

#endif
