/* Shared helpers for the cmocka tests: fixture and shared-data paths, temporary directories,
 * whole-file reads. Include this instead of cmocka.h (it pulls the headers cmocka needs). */
#ifndef FC_TESTUTIL_H
#define FC_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

/* Path of tests/fixtures/<name> in a static buffer (valid until the next call). */
const char *fct_fixture(const char *name);
/* Path of ../shared/data/<name>, or NULL when the shared data folder is absent. */
const char *fct_shared(const char *name);
/* Exits 77 (ctest "skipped") with a message when ../shared/data is absent. */
void fct_require_shared(void);
/* A fresh temporary directory (removed by fct_rmtree); returns a malloc'ed path. */
char *fct_tmpdir(void);
void fct_rmtree(const char *path);
/* path joined with name, malloc'ed. */
char *fct_join(const char *dir, const char *name);
/* Reads a whole file; returns malloc'ed NUL-terminated bytes and sets *len, NULL on failure. */
char *fct_slurp(const char *path, size_t *len);
/* Writes a string to a file; returns false on failure. */
bool fct_write(const char *path, const char *text);
bool fct_exists(const char *path);
/* Runs a shell command, returns its exit status (or -1). */
int fct_system(const char *cmd);

#endif
