/*
 * test_spool.c - unit tests for core/spool: memory, spill to a nameless
 * file, the view, sticky failures, nothing left behind
 */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/spool.h"
#include "tap.h"

/* Entries in dir other than . and .. */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

int
main(void)
{
	char dir[] = "/tmp/test_spool.XXXXXX";
	char err[200];
	const unsigned char *data;
	size_t len;
	struct spool *s;
	unsigned char chunk[1000];

	plan(17);
	if (mkdtemp(dir) == NULL)
		return 1;

	s = spool_new(4096, dir);
	spool_write(s, "Subject: x\r\n\r\n", 14);
	spool_write(s, "body\r\n", 6);
	ok(spool_view(s, &data, &len, err, sizeof(err)), "memory view");
	is_int((long long)len, 20, "memory size");
	ok(memcmp(data, "Subject: x\r\n\r\nbody\r\n", 20) == 0,
	    "memory content");
	ok(!spool_on_disk(s), "small message stays in memory");
	/* Past memory_max it moves to a file; the content stays whole. */
	for (int i = 0; i < 10; i++) {
		memset(chunk, 'a' + i, sizeof(chunk));
		spool_write(s, chunk, sizeof(chunk));
	}
	ok(spool_on_disk(s), "large message spilled to a file");
	is_int(entries(dir), 0, "the spool file has no name in the directory");
	ok(spool_view(s, &data, &len, err, sizeof(err)), "file view");
	is_int((long long)len, 10020, "file size");
	ok(memcmp(data, "Subject: x\r\n\r\nbody\r\n", 20) == 0 &&
	    data[20] == 'a' && data[10019] == 'j', "file content");
	/* Writing after a view re-maps on the next view. */
	spool_write(s, "end", 3);
	ok(spool_view(s, &data, &len, err, sizeof(err)) && len == 10023 &&
	    memcmp(data + 10020, "end", 3) == 0, "view after more writes");
	spool_free(&s);
	ok(s == NULL, "free clears the pointer");
	is_int(entries(dir), 0, "nothing left behind");

	/* An empty spool views as zero bytes. */
	s = spool_new(10, dir);
	ok(spool_view(s, &data, &len, err, sizeof(err)) && len == 0,
	    "empty spool");
	spool_free(&s);

	/* A spool that cannot spill fails for good, with a reason. */
	s = spool_new(10, "/nonexistent/spool");
	spool_write(s, "0123456789abcdef", 16);
	ok(!spool_view(s, &data, &len, err, sizeof(err)),
	    "a failed spill refuses the view");
	ok(strstr(err, "/nonexistent/spool") != NULL, "reason names the "
	    "directory: %s", err);
	spool_write(s, "more", 4);
	ok(!spool_view(s, &data, &len, err, sizeof(err)), "failure is sticky");
	spool_free(&s);
	spool_free(&s);
	ok(rmdir(dir) == 0, "temp dir removed");
	return done();
}
