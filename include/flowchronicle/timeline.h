/* The time model of generation (docs/generate.md): when pattern instances start, and how far
 * apart the rows of one instance are.
 *
 * Rates. A "series" is one pattern (its used windows) or the base BN (the flows it covers); each
 * has the start times of its training instances. Time is cut into 168 bins, hour of day x day
 * of week (Monday 00:00-01:00 is bin 0) in a fixed time zone (local time = UTC + tz offset).
 * The exposure of a bin is how many hours of the training span fell into it. The rate of series
 * p in bin b (instances per hour) is estimated at the finest level of pooling whose class
 * containing b has enough exposure:
 *   week      168 classes: (day of week, hour)
 *   weekpart   48 classes: (weekday or weekend, hour)
 *   hour       24 classes: hour of day
 *   flat        1 class
 * In a class c with exposure E_c (hours), counts c_p of series p and C of all series (N in
 * total over T hours), the global rate is g_c = C / E_c and the rate of p is shrunk toward its
 * share of the global profile:
 *   lambda_p,c = (c_p + a * g_c / gbar) / (E_c + a * T / n_p),   gbar = N / T,  a = A / 168,
 * the posterior mean of a Gamma prior with mean (n_p / N) g_c and a pseudo-exposure of
 * a T / n_p hours: over the 168 bins of a week the prior weighs as much as A instances of p
 * (A = prior_instances, default 24). Rates are then rescaled so that the expected number of
 * instances of p over the training span is exactly n_p. A pattern seen only in office hours
 * thus stays in office hours (its night counts are zero and its prior there is small, because
 * the global profile is low at night), always-on traffic with many instances stays flat (its
 * own counts dominate), and patterns with fewer instances than A lean on the global rhythm.
 *
 * Delays. An instance's rows are placed by drawing one observed delay vector of the pattern (all
 * its gaps together, which keeps their joint distribution) and smoothing each gap d (ticks) by a
 * triangular jitter of one tick: |d + U1 + U2 - 1| ticks. That is the exact distribution of a
 * delay whose endpoints were floored to ticks with a uniform phase (folded at 0 for d = 0), and
 * it is never negative.
 *
 * A timeline is read-only after creation and may be used from many threads. */
#ifndef FLOWCHRONICLE_TIMELINE_H
#define FLOWCHRONICLE_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"
#include "flowchronicle/modelfile.h"
#include "flowchronicle/rng.h"

#define FC_TL_BINS 168
#define FC_US_PER_HOUR INT64_C(3600000000)

typedef enum fc_tl_level {
  FC_TL_WEEK = 0, /* day of week x hour */
  FC_TL_WEEKPART, /* weekday/weekend x hour */
  FC_TL_HOUR,     /* hour of day */
  FC_TL_FLAT,     /* one rate */
  FC_TL_LEVELS
} fc_tl_level;

const char *fc_tl_level_name(fc_tl_level l);

typedef struct fc_timeline_series {
  uint64_t n;                 /* instances observed */
  const int64_t *start_ticks; /* n start ticks since t0 */
  int rows;                   /* flows per instance, >= 1 */
  const int64_t *delays;      /* n x (rows - 1) ticks between consecutive rows, instance-major */
} fc_timeline_series;

typedef struct fc_timeline_options {
  int64_t tz_offset_s;    /* local time = UTC + offset; |offset| <= 14 h; default 0 */
  double prior_instances; /* A above; default 24 */
  double min_exposure_h;  /* a class needs this much training time to be used; default 0.5 */
} fc_timeline_options;

void fc_timeline_options_default(fc_timeline_options *o);

typedef struct fc_timeline fc_timeline;

/* Training span [t0_us, t_end_us + tick_us) (the last start's tick is observed); series
 * borrowed only during the call. FC_ERR_ARG for a start tick outside the span, a negative
 * delay, rows < 1 or bad options. */
fc_status fc_timeline_create(int64_t t0_us, int64_t t_end_us, int64_t tick_us, size_t n_series,
                             const fc_timeline_series *series, const fc_timeline_options *o,
                             fc_timeline **out);
/* Series k < n_patterns is pattern k, series n_patterns the base BN's flows. */
fc_status fc_timeline_from_model(const fc_model_file *m, const fc_timeline_options *o,
                                 fc_timeline **out);
void fc_timeline_destroy(fc_timeline **t);

size_t fc_timeline_n_series(const fc_timeline *t);
/* The local hour-of-week bin of a time, and the UTC time the local hour containing it ends. */
int fc_timeline_bin(const fc_timeline *t, int64_t ts_us);
int64_t fc_timeline_hour_end(const fc_timeline *t, int64_t ts_us);
/* Instances per hour of a series in a bin, and of all series together. */
double fc_timeline_rate(const fc_timeline *t, size_t series, int bin);
double fc_timeline_total_rate(const fc_timeline *t, int bin);
/* Training hours that fell into a bin, and the level its rates come from. */
double fc_timeline_exposure(const fc_timeline *t, int bin);
fc_tl_level fc_timeline_level(const fc_timeline *t, int bin);
/* Hours of the training span. */
double fc_timeline_span_hours(const fc_timeline *t);
/* Expected instances of all series in [a_us, b_us) (scale 1). */
double fc_timeline_expected(const fc_timeline *t, int64_t a_us, int64_t b_us);

int fc_timeline_rows(const fc_timeline *t, size_t series);
/* Start offsets of the rows of one instance relative to its first row: offsets_us[0] = 0, then
 * non-decreasing (see Delays above). Draws from r. */
void fc_timeline_offsets(const fc_timeline *t, size_t series, fc_rng *r, int64_t *offsets_us);

#endif
