/*
 * spool.h - one message as received, in memory or in a private temp file
 *
 * spool_new() starts an empty spool; spool_write() appends bytes, kept in
 * memory up to memory_max and then moved to a temporary file in directory,
 * which is unlinked at once (O_TMPFILE where the file system has it), so
 * no path is ever left behind, not even when the process is killed.
 * spool_view() maps the whole content read-only for scanners; the view
 * stays valid until the next spool_write() or spool_free().
 *
 * A failure (directory missing, disk full) is sticky: later writes are
 * ignored and spool_view() returns false with the first reason, so a
 * message that could not be kept is never scanned as if it were whole.
 * Not thread safe: one owner at a time (the message's session).
 */
#ifndef MXWARD_CORE_SPOOL_H
#define MXWARD_CORE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

struct spool;

/* directory is copied; NULL or "" means $TMPDIR, else /var/tmp. */
struct spool *spool_new(size_t memory_max, const char *directory);
void spool_free(struct spool **spool_p);

void spool_write(struct spool *spool, const void *data, size_t len);
/* The whole content; false with a reason in err when it was not kept. */
bool spool_view(struct spool *spool, const unsigned char **data_r,
    size_t *len_r, char *err, size_t errlen);
size_t spool_size(const struct spool *spool);
/* Has it moved to a file? (For tests and logs.) */
bool spool_on_disk(const struct spool *spool);

#endif
