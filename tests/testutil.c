/* Helpers shared by the cmocka tests. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *fct_fixture(const char *name) {
  static char buf[4096];
  snprintf(buf, sizeof buf, "%s/%s", FC_FIXTURES_DIR, name);
  return buf;
}

const char *fct_shared(const char *name) {
  static char buf[4096];
  struct stat st;
  if (stat(FC_SHARED_DATA_DIR, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
  snprintf(buf, sizeof buf, "%s/%s", FC_SHARED_DATA_DIR, name);
  return buf;
}

void fct_require_shared(void) {
  if (!fct_shared("")) {
    fprintf(stderr, "SKIP: shared data folder %s is absent; this test needs it\n",
            FC_SHARED_DATA_DIR);
    exit(77);
  }
}

char *fct_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/fctest.XXXXXX", base ? base : "/tmp");
  if (!mkdtemp(tmpl)) return NULL;
  return strdup(tmpl);
}

void fct_rmtree(const char *path) {
  if (!path || strncmp(path, "/tmp/", 5) != 0) return; /* never outside /tmp */
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  (void)fct_system(cmd);
}

char *fct_join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s", dir, name);
  return p;
}

char *fct_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (cap - n - 1 == 0) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf) return NULL;
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

bool fct_write(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  size_t n = strlen(text);
  bool ok = fwrite(text, 1, n, f) == n;
  return fclose(f) == 0 && ok;
}

bool fct_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

int fct_system(const char *cmd) {
  int r = system(cmd);
  if (r == -1 || !WIFEXITED(r)) return -1;
  return WEXITSTATUS(r);
}
