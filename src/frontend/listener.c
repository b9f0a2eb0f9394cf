/*
 * listener.c - listening sockets for front ends with their own accept loop
 *
 * See listener.h. inet specs go through getaddrinfo() with the family the
 * spec implies (inet: IPv4 unless the address is bracketed, inet6: IPv6)
 * and the first address it gives; the port must be a number. unix specs
 * bind after removing a stale socket left by an earlier run.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "frontend/listener.h"

#define LISTENER_BACKLOG 256

/* Split "ADDR:PORT", "[ADDR]:PORT" or "PORT@ADDR" into host and port. */
static bool
split_inet(const char *rest, char **host_r, char **port_r, bool *v6_r)
{
	const char *at = strchr(rest, '@'), *colon;
	size_t hlen;

	*v6_r = false;
	if (at != NULL) {
		*port_r = xstrndup(rest, (size_t)(at - rest));
		*host_r = xstrdup(at + 1);
	} else {
		colon = strrchr(rest, ':');
		if (colon == NULL)
			return false;
		hlen = (size_t)(colon - rest);
		if (hlen >= 2 && rest[0] == '[' && rest[hlen - 1] == ']') {
			*v6_r = true;
			*host_r = xstrndup(rest + 1, hlen - 2);
		} else {
			*host_r = xstrndup(rest, hlen);
		}
		*port_r = xstrdup(colon + 1);
	}
	if (strchr(*host_r, '[') != NULL || strchr(*host_r, ']') != NULL) {
		free(*host_r);
		free(*port_r);
		return false;
	}
	return true;
}

/* Is port a decimal number from 1 to 65535? */
static bool
port_valid(const char *port)
{
	char *end;
	long n;

	if (*port < '0' || *port > '9')
		return false;
	n = strtol(port, &end, 10);
	return *end == '\0' && n >= 1 && n <= 65535;
}

/* A listening socket of the given family on addr, or -1 with error_r. */
static int
listen_on(const struct sockaddr *addr, socklen_t len, const char *spec,
    char **error_r)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	int one = 1;

	if (fd < 0) {
		*error_r = xasprintf("%s: socket: %s", spec, strerror(errno));
		return -1;
	}
	if (addr->sa_family != AF_UNIX) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
	if (addr->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, addr, len) != 0 || listen(fd, LISTENER_BACKLOG) != 0) {
		*error_r = xasprintf("cannot listen on %s: %s", spec,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* inet:... and inet6:...; rest follows the colon of the kind. */
static int
open_inet(const char *spec, const char *rest, bool inet6, char **error_r)
{
	struct addrinfo hints, *ai = NULL;
	char *host, *port;
	bool bracketed;
	int fd, rc;

	if (!split_inet(rest, &host, &port, &bracketed)) {
		*error_r = xasprintf("'%s' is not inet:ADDR:PORT, "
		    "inet:[ADDR]:PORT or inet:PORT@ADDR", spec);
		return -1;
	}
	if (!port_valid(port)) {
		*error_r = xasprintf("'%s': '%s' is not a port number", spec,
		    port);
		free(host);
		free(port);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = inet6 || bracketed ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	free(host);
	free(port);
	if (rc != 0) {
		*error_r = xasprintf("%s: %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = listen_on(ai->ai_addr, ai->ai_addrlen, spec, error_r);
	freeaddrinfo(ai);
	return fd;
}

/* unix:PATH, replacing a stale socket but nothing else. */
static int
open_unix(const char *spec, const char *path, mode_t mode, const char *owner,
    char **error_r)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		*error_r = xasprintf("%s: the path must be absolute and "
		    "shorter than %zu bytes", spec, sizeof(sun.sun_path));
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*error_r = xasprintf("%s: %s exists and is not a "
			    "socket", spec, path);
			return -1;
		}
		(void)unlink(path);
	}
	fd = listen_on((const struct sockaddr *)&sun, sizeof(sun), spec,
	    error_r);
	if (fd >= 0 && !listener_unix_access(path, mode, owner, error_r)) {
		close(fd);
		(void)unlink(path);
		return -1;
	}
	return fd;
}

int
listener_open(const char *spec, mode_t mode, const char *owner,
    char **path_r, char **error_r)
{
	const char *colon = strchr(spec, ':');
	size_t kind = colon ? (size_t)(colon - spec) : 0;
	int fd;

	*path_r = NULL;
	if (kind == 4 && strncmp(spec, "inet", 4) == 0)
		return open_inet(spec, colon + 1, false, error_r);
	if (kind == 5 && strncmp(spec, "inet6", 5) == 0)
		return open_inet(spec, colon + 1, true, error_r);
	if ((kind == 4 && strncmp(spec, "unix", 4) == 0) ||
	    (kind == 5 && strncmp(spec, "local", 5) == 0)) {
		fd = open_unix(spec, colon + 1, mode, owner, error_r);
		if (fd >= 0)
			*path_r = xstrdup(colon + 1);
		return fd;
	}
	*error_r = xasprintf("'%s' is not inet:ADDR:PORT, inet6:[ADDR]:PORT "
	    "or unix:PATH", spec);
	return -1;
}

bool
listener_unix_access(const char *path, mode_t mode, const char *owner,
    char **error_r)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	char *user, *group;
	struct passwd *pw;
	struct group *gr;

	if (chmod(path, mode) != 0) {
		*error_r = xasprintf("chmod %s: %s", path, strerror(errno));
		return false;
	}
	if (owner == NULL || *owner == '\0')
		return true;
	user = xstrdup(owner);
	group = strchr(user, ':');
	if (group != NULL)
		*group++ = '\0';
	pw = *user ? getpwnam(user) : NULL;
	gr = group != NULL ? getgrnam(group) : NULL;
	if ((*user && pw == NULL) || (group != NULL && gr == NULL)) {
		*error_r = xasprintf("listen.socket_owner: unknown user or "
		    "group in '%s'", owner);
		free(user);
		return false;
	}
	if (pw != NULL)
		uid = pw->pw_uid;
	if (gr != NULL)
		gid = gr->gr_gid;
	free(user);
	if (chown(path, uid, gid) != 0) {
		*error_r = xasprintf("chown %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}
