/*
 * listener.h - listening sockets for front ends with their own accept loop
 *
 * listener_open(spec, mode, owner, path_r, error_r) binds and listens on
 * the socket a listen.* policy value names, spelled as for listen.milter:
 *   inet:ADDR:PORT      IPv4 address or host name; ADDR empty: any
 *   inet:[ADDR]:PORT    IPv6 (also inet6:[ADDR]:PORT, inet6:ADDR:PORT)
 *   inet:PORT@ADDR      libmilter's spelling (also inet6:PORT@ADDR)
 *   unix:PATH           (or local:PATH) a unix socket: a stale socket at
 *                       PATH is replaced, any other file is an error; the
 *                       socket gets mode and owner ("user[:group]", NULL
 *                       or "" for the daemon's own)
 * It returns a non-blocking, close-on-exec descriptor, TCP_NODELAY set on
 * TCP sockets so that accepted ones inherit it (Linux), and for a unix
 * socket its path in *path_r (xstrdup()ed, else NULL); or -1 with
 * *error_r (xasprintf()ed; the caller frees). Call it while still
 * privileged: binding a low port and chown need root.
 *
 * listener_unix_access(path, mode, owner, error_r) gives a unix socket
 * its mode and owner (listen.socket_mode and listen.socket_owner).
 *
 * SECURITY: spec and owner come from the admin's policy. The listening
 * socket decides who may talk to the front end: keep inet sockets on
 * loopback or a trusted network, and unix sockets to the MTA's group.
 */
#ifndef MXWARD_FRONTEND_LISTENER_H
#define MXWARD_FRONTEND_LISTENER_H

#include <stdbool.h>
#include <sys/types.h>

int listener_open(const char *spec, mode_t mode, const char *owner,
    char **path_r, char **error_r);
bool listener_unix_access(const char *path, mode_t mode, const char *owner,
    char **error_r);

#endif
