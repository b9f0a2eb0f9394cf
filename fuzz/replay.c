/*
 * replay.c - run a fuzz harness over saved inputs without libFuzzer
 *
 * Linked with one harness's LLVMFuzzerTestOneInput() it gives a plain
 * program that feeds every file named on the command line (directories are
 * walked one level) to the harness once. `make check` uses it to replay the
 * seed corpora under the ordinary (and sanitizer) builds, printing TAP.
 * Without arguments, a program named fuzz_NAME replays
 * $top_srcdir/fuzz/corpus/NAME (top_srcdir from the environment, else ".").
 * With clang's -fsanitize=fuzzer the harness is linked to libFuzzer instead.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replayed;

/* Read one file whole and hand it to the harness. */
static void
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		printf("not ok %d - %s: cannot open\n", ++replayed, path);
		return;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			data = realloc(data, cap);
			if (data == NULL)
				abort();
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	printf("ok %d - %s\n", ++replayed, path);
}

/* Replay a file, or every regular file directly inside a directory. */
static void
replay_path(const char *path)
{
	struct stat st;
	struct dirent **names;
	int n;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		replay_file(path);
		return;
	}
	n = scandir(path, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char full[4096];

		if (names[i]->d_name[0] != '.') {
			snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name);
			replay_file(full);
		}
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	const char *top = getenv("top_srcdir");
	char corpus[4096];

	base = base ? base + 1 : argv[0];
	if (argc == 1 && strncmp(base, "fuzz_", 5) == 0) {
		snprintf(corpus, sizeof(corpus), "%s/fuzz/corpus/%s",
		    top ? top : ".", base + 5);
		replay_path(corpus);
	}
	for (int i = 1; i < argc; i++)
		replay_path(argv[i]);
	printf("1..%d\n", replayed);
	return 0;
}
