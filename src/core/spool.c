/*
 * spool.c - one message as received, in memory or in a private temp file
 *
 * See spool.h. The file is opened with O_TMPFILE (never has a name) and,
 * where the file system refuses that, created with mkstemp() and unlinked
 * before the first byte is written; mode 0600 either way. The view of a
 * file is a read-only shared mapping of its current length.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/spool.h"
#include "core/xalloc.h"

struct spool {
	size_t memory_max;
	char *directory;
	unsigned char *mem;     /* content while in memory */
	size_t len, cap;
	int fd;                 /* -1 while in memory */
	void *map;              /* current view of the file, or NULL */
	size_t map_len;
	char error[160];        /* first failure, "" if none */
};

struct spool *
spool_new(size_t memory_max, const char *directory)
{
	struct spool *spool = xcalloc(1, sizeof(*spool));
	const char *dir = directory;

	if (dir == NULL || *dir == '\0')
		dir = getenv("TMPDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/var/tmp";
	spool->memory_max = memory_max;
	spool->directory = xstrdup(dir);
	spool->fd = -1;
	return spool;
}

/* Drop the current mapping, if any. */
static void
spool_unmap(struct spool *spool)
{
	if (spool->map != NULL)
		munmap(spool->map, spool->map_len);
	spool->map = NULL;
	spool->map_len = 0;
}

void
spool_free(struct spool **spool_p)
{
	struct spool *spool = *spool_p;

	if (spool == NULL)
		return;
	spool_unmap(spool);
	if (spool->fd >= 0)
		close(spool->fd);
	free(spool->mem);
	free(spool->directory);
	free(spool);
	*spool_p = NULL;
}

/* Remember the first failure; everything after it is ignored. */
static void
spool_fail(struct spool *spool, const char *what)
{
	if (spool->error[0] == '\0')
		snprintf(spool->error, sizeof(spool->error), "%s %s: %s",
		    what, spool->directory, strerror(errno));
}

/* A nameless file in the spool directory, or -1. */
static int
spool_open_file(struct spool *spool)
{
	char *path;
	int fd;

#ifdef O_TMPFILE
	fd = open(spool->directory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL))
		return fd;
#endif
	path = xasprintf("%s/mxward-spool.XXXXXX", spool->directory);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

/* Write all of data to the file. */
static bool
spool_write_file(struct spool *spool, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = write(spool->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			spool_fail(spool, "cannot write spool file in");
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Move the content from memory to a new file. */
static bool
spool_to_file(struct spool *spool)
{
	spool->fd = spool_open_file(spool);
	if (spool->fd < 0) {
		spool_fail(spool, "cannot create spool file in");
		return false;
	}
	if (!spool_write_file(spool, spool->mem, spool->len))
		return false;
	free(spool->mem);
	spool->mem = NULL;
	spool->cap = 0;
	return true;
}

void
spool_write(struct spool *spool, const void *data, size_t len)
{
	if (spool->error[0] != '\0' || len == 0)
		return;
	spool_unmap(spool);
	if (spool->fd < 0 && spool->len + len > spool->memory_max &&
	    !spool_to_file(spool))
		return;
	if (spool->fd >= 0) {
		if (spool_write_file(spool, data, len))
			spool->len += len;
		return;
	}
	if (spool->len + len > spool->cap) {
		size_t cap = spool->cap ? spool->cap : 16384;

		while (cap < spool->len + len)
			cap *= 2;
		spool->mem = xrealloc(spool->mem, cap);
		spool->cap = cap;
	}
	memcpy(spool->mem + spool->len, data, len);
	spool->len += len;
}

bool
spool_view(struct spool *spool, const unsigned char **data_r,
    size_t *len_r, char *err, size_t errlen)
{
	if (spool->error[0] != '\0') {
		snprintf(err, errlen, "%s", spool->error);
		return false;
	}
	*len_r = spool->len;
	if (spool->fd < 0 || spool->len == 0) {
		*data_r = spool->mem ? spool->mem : (const unsigned char *)"";
		return true;
	}
	if (spool->map == NULL) {
		void *map = mmap(NULL, spool->len, PROT_READ, MAP_SHARED,
		    spool->fd, 0);

		if (map == MAP_FAILED) {
			snprintf(err, errlen, "cannot map spool file: %s",
			    strerror(errno));
			return false;
		}
		spool->map = map;
		spool->map_len = spool->len;
	}
	*data_r = spool->map;
	return true;
}

size_t
spool_size(const struct spool *spool)
{
	return spool->len;
}

bool
spool_on_disk(const struct spool *spool)
{
	return spool->fd >= 0;
}
