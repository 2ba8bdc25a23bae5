/* Per-thread error message buffer, status strings and checked allocation. */
#include "flowchronicle/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_CAP 4096

static _Thread_local char msg[MSG_CAP];
static _Thread_local size_t msg_len;

static const char *const names[FC_STATUS_COUNT] = {
    [FC_OK] = "success",
    [FC_ERR_NOMEM] = "out of memory",
    [FC_ERR_IO] = "input/output error",
    [FC_ERR_PARSE] = "malformed input",
    [FC_ERR_FORMAT] = "wrong or unsupported format",
    [FC_ERR_ARG] = "invalid argument",
    [FC_ERR_HDF5] = "HDF5 error",
    [FC_ERR_MPI] = "MPI error",
    [FC_ERR_VERSION] = "incompatible file version",
    [FC_ERR_STATE] = "invalid state",
    [FC_ERR_PCAP] = "pcap error",
    [FC_ERR_LIMIT] = "limit reached",
    [FC_ERR_INTERRUPTED] = "interrupted",
};

const char *fc_strerror(fc_status st) {
  if ((int)st < 0 || st >= FC_STATUS_COUNT) return "unknown status";
  return names[st];
}

const char *fc_error_message(void) { return msg; }

void fc_error_clear(void) {
  msg[0] = '\0';
  msg_len = 0;
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

fc_status fci_error(fc_status st, const char *file, int line, const char *func, const char *fmt,
                    ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, MSG_CAP, fmt, ap);
  va_end(ap);
  msg_len = n < 0 ? 0 : ((size_t)n >= MSG_CAP ? MSG_CAP - 1 : (size_t)n);
  fci_error_trace(file, line, func);
  return st;
}

void fci_error_trace(const char *file, int line, const char *func) {
  if (msg_len >= MSG_CAP - 1) return;
  int n = snprintf(msg + msg_len, MSG_CAP - msg_len, "\n  at %s (%s:%d)", func, base_name(file),
                   line);
  if (n > 0) msg_len = (size_t)n >= MSG_CAP - msg_len ? MSG_CAP - 1 : msg_len + (size_t)n;
}

fc_status fci_malloc(size_t size, void *out_ptr) {
  void *p = malloc(size ? size : 1);
  if (!p) return FC_ERROR(FC_ERR_NOMEM, "cannot allocate %zu bytes", size);
  *(void **)out_ptr = p;
  return FC_OK;
}

fc_status fci_calloc(size_t n, size_t size, void *out_ptr) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) return FC_ERROR(FC_ERR_NOMEM, "cannot allocate %zu x %zu bytes", n, size);
  *(void **)out_ptr = p;
  return FC_OK;
}

fc_status fci_realloc(size_t size, void *inout_ptr) {
  void *p = realloc(*(void **)inout_ptr, size ? size : 1);
  if (!p) return FC_ERROR(FC_ERR_NOMEM, "cannot grow a buffer to %zu bytes", size);
  *(void **)inout_ptr = p;
  return FC_OK;
}
