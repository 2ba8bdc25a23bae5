/* Logging to stderr with rank tags, wall clock and peak memory. */
#define _POSIX_C_SOURCE 200809L
#include "flowchronicle/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

static int log_rank = 0;
static int log_size = 1;
static fc_log_level log_level = FC_LOG_INFO;

void fc_log_set_rank(int rank, int size) {
  log_rank = rank;
  log_size = size;
}

void fc_log_set_level(fc_log_level level) { log_level = level; }
fc_log_level fc_log_get_level(void) { return log_level; }

static void emit(const char *tag, const char *fmt, va_list ap) {
  char line[2048];
  int off;
  if (log_size > 1)
    off = snprintf(line, sizeof line, "[%s rank %d] ", tag, log_rank);
  else
    off = snprintf(line, sizeof line, "[%s] ", tag);
  if (off < 0) off = 0;
  vsnprintf(line + off, sizeof line - (size_t)off, fmt, ap);
  /* One fputs per line keeps lines of different ranks from interleaving mid-line. */
  fprintf(stderr, "%s\n", line);
}

void fc_log_info(const char *fmt, ...) {
  if (log_rank != 0 || log_level < FC_LOG_INFO) return;
  va_list ap;
  va_start(ap, fmt);
  emit("info", fmt, ap);
  va_end(ap);
}

void fc_log_debug(const char *fmt, ...) {
  if (log_level < FC_LOG_DEBUG) return;
  va_list ap;
  va_start(ap, fmt);
  emit("debug", fmt, ap);
  va_end(ap);
}

void fc_log_warn(const char *fmt, ...) {
  if (log_level < FC_LOG_WARN) return;
  va_list ap;
  va_start(ap, fmt);
  emit("warning", fmt, ap);
  va_end(ap);
}

void fc_log_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("error", fmt, ap);
  va_end(ap);
}

double fc_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int64_t fc_peak_rss_bytes(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (int64_t)ru.ru_maxrss * 1024; /* Linux reports kilobytes */
}

void fc_progress_start(fc_progress *p, double interval_s) {
  p->start = p->last = fc_now();
  p->interval = interval_s;
}

int fc_progress_due(fc_progress *p) {
  double t = fc_now();
  if (t - p->last < p->interval) return 0;
  p->last = t;
  return 1;
}

double fc_progress_elapsed(const fc_progress *p) { return fc_now() - p->start; }
