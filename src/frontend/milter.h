/*
 * milter.h - the milter front end (libmilter), for Postfix and Sendmail
 *
 * milter_open() binds the socket named by listen.milter ("inet:ADDR:PORT",
 * "inet:[V6ADDR]:PORT" or "unix:PATH"; libmilter's own "inet:PORT@ADDR"
 * is accepted too) and must run before privileges are dropped.
 * milter_run() blocks in libmilter's accept loop until milter_stop() (safe
 * from another thread). milter_connections_open() counts the MTA
 * connections in progress.
 */
#ifndef MXWARD_FRONTEND_MILTER_H
#define MXWARD_FRONTEND_MILTER_H

#include <stdbool.h>
#include <sys/types.h>

bool milter_open(const char *listen, mode_t mode, const char *owner,
    char **error_r);
int milter_run(void);
void milter_stop(void);
int milter_connections_open(void);

#endif
