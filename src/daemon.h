/*
 * daemon.h - `mxward run`: the daemon's life from start-up to stop
 *
 * daemon_run() returns the process exit status. foreground sends the log
 * to stderr instead of syslog (facility mail).
 */
#ifndef MXWARD_DAEMON_H
#define MXWARD_DAEMON_H

#include <stdbool.h>

int daemon_run(const char *policy_path, bool foreground);

#endif
