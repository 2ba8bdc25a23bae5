/* Messages to stderr: INFO from rank 0 only, warnings and errors from any rank tagged with it,
 * and rate-limited progress lines for long stages (one line every few seconds, from rank 0). */
#ifndef FLOWCHRONICLE_LOG_H
#define FLOWCHRONICLE_LOG_H

#include <stdint.h>

typedef enum fc_log_level { FC_LOG_QUIET = 0, FC_LOG_WARN = 1, FC_LOG_INFO = 2, FC_LOG_DEBUG = 3 } fc_log_level;

/* Set once after MPI_Init (rank 0 and size 1 without MPI). */
void fc_log_set_rank(int rank, int size);
void fc_log_set_level(fc_log_level level);
fc_log_level fc_log_get_level(void);

#if defined(__GNUC__)
#define FCI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FCI_PRINTF(a, b)
#endif

/* Rank 0 only. */
void fc_log_info(const char *fmt, ...) FCI_PRINTF(1, 2);
void fc_log_debug(const char *fmt, ...) FCI_PRINTF(1, 2);
/* Any rank; tagged with the rank when running under more than one. */
void fc_log_warn(const char *fmt, ...) FCI_PRINTF(1, 2);
void fc_log_error(const char *fmt, ...) FCI_PRINTF(1, 2);

/* Monotonic wall clock in seconds. */
double fc_now(void);

/* Peak resident set size of this process in bytes (0 when unknown). */
int64_t fc_peak_rss_bytes(void);

/* Progress of a long stage: fc_progress_due() says whether `interval` seconds have passed since
 * the last line; callers then print with fc_log_info. */
typedef struct fc_progress {
  double start, last, interval;
} fc_progress;

void fc_progress_start(fc_progress *p, double interval_s);
int fc_progress_due(fc_progress *p);
double fc_progress_elapsed(const fc_progress *p);

#endif
