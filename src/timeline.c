/* The time model of generation: hour-of-week rate profiles per pattern with exposure, pooled to
 * coarser levels where the training data is too short, shrunk toward the global profile; and
 * the smoothed empirical delays between the rows of an instance. The estimator is described in
 * include/flowchronicle/timeline.h and docs/generate.md. */
#include "flowchronicle/timeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_DAY INT64_C(86400000000)

struct fc_timeline {
  int64_t tz_us;
  int64_t t0_us, t_end_us; /* observed span [t0, t_end) */
  int64_t tick_us;
  double span_h;
  size_t n_series;
  double exposure[FC_TL_BINS];
  fc_tl_level level[FC_TL_BINS];
  double *rate;             /* n_series x FC_TL_BINS, instances per hour */
  double total[FC_TL_BINS]; /* sum over series */
  int *rows;                /* per series */
  uint64_t *n_delays;       /* per series: observed delay vectors */
  int64_t **delays;         /* per series: n_delays x (rows - 1) */
};

const char *fc_tl_level_name(fc_tl_level l) {
  switch (l) {
  case FC_TL_WEEK:
    return "day of week x hour";
  case FC_TL_WEEKPART:
    return "weekday/weekend x hour";
  case FC_TL_HOUR:
    return "hour of day";
  case FC_TL_FLAT:
    return "flat";
  default:
    return "?";
  }
}

void fc_timeline_options_default(fc_timeline_options *o) {
  o->tz_offset_s = 0;
  o->prior_instances = 24.0;
  o->min_exposure_h = 0.5;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int bin_of(int64_t tz_us, int64_t ts_us) {
  int64_t local = ts_us + tz_us;
  int64_t day = floor_div(local, US_PER_DAY);
  int64_t in_day = local - day * US_PER_DAY;
  int dow = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday; Monday is 0 */
  return dow * 24 + (int)(in_day / FC_US_PER_HOUR);
}

static int64_t hour_end(int64_t tz_us, int64_t ts_us) {
  int64_t local = ts_us + tz_us;
  return (floor_div(local, FC_US_PER_HOUR) + 1) * FC_US_PER_HOUR - tz_us;
}

static int class_of(fc_tl_level l, int bin) {
  int dow = bin / 24, hour = bin % 24;
  switch (l) {
  case FC_TL_WEEK:
    return bin;
  case FC_TL_WEEKPART:
    return (dow >= 5 ? 24 : 0) + hour;
  case FC_TL_HOUR:
    return hour;
  default:
    return 0;
  }
}

void fc_timeline_destroy(fc_timeline **tp) {
  if (!tp || !*tp) return;
  fc_timeline *t = *tp;
  if (t->delays)
    for (size_t s = 0; s < t->n_series; s++)
      free(t->delays[s]);
  free(t->delays);
  free(t->n_delays);
  free(t->rows);
  free(t->rate);
  free(t);
  *tp = NULL;
}

static fc_status check_args(int64_t t0_us, int64_t t_end_us, int64_t tick_us, size_t n_series,
                            const fc_timeline_series *series, const fc_timeline_options *o) {
  if (tick_us <= 0) return FC_ERROR(FC_ERR_ARG, "timeline: tick of %lld us", (long long)tick_us);
  if (t_end_us < t0_us)
    return FC_ERROR(FC_ERR_ARG, "timeline: the training span ends before it starts");
  if (o->tz_offset_s < -14 * 3600 || o->tz_offset_s > 14 * 3600)
    return FC_ERROR(FC_ERR_ARG, "timeline: time zone offset %lld s is outside +-14 h",
                    (long long)o->tz_offset_s);
  if (!(o->prior_instances >= 0) || !(o->min_exposure_h >= 0))
    return FC_ERROR(FC_ERR_ARG, "timeline: negative prior or exposure option");
  int64_t span_ticks = (t_end_us - t0_us) / tick_us;
  for (size_t s = 0; s < n_series; s++) {
    const fc_timeline_series *p = &series[s];
    if (p->rows < 1) return FC_ERROR(FC_ERR_ARG, "timeline: series %zu has %d rows", s, p->rows);
    if (p->n && !p->start_ticks)
      return FC_ERROR(FC_ERR_ARG, "timeline: series %zu has no start ticks", s);
    if (p->n && p->rows > 1 && !p->delays)
      return FC_ERROR(FC_ERR_ARG, "timeline: series %zu has no delays", s);
    for (uint64_t i = 0; i < p->n; i++)
      if (p->start_ticks[i] < 0 || p->start_ticks[i] > span_ticks)
        return FC_ERROR(FC_ERR_ARG, "timeline: series %zu start tick %lld is outside [0, %lld]", s,
                        (long long)p->start_ticks[i], (long long)span_ticks);
    for (uint64_t i = 0; p->rows > 1 && i < p->n * (uint64_t)(p->rows - 1); i++)
      if (p->delays[i] < 0)
        return FC_ERROR(FC_ERR_ARG, "timeline: series %zu has a negative delay", s);
  }
  return FC_OK;
}

/* Hours of [a, b) in each local hour-of-week bin. */
static void add_exposure(int64_t tz_us, int64_t a, int64_t b, double *exposure) {
  while (a < b) {
    int64_t e = hour_end(tz_us, a);
    if (e > b) e = b;
    exposure[bin_of(tz_us, a)] += (double)(e - a) / (double)FC_US_PER_HOUR;
    a = e;
  }
}

fc_status fc_timeline_create(int64_t t0_us, int64_t t_end_us, int64_t tick_us, size_t n_series,
                             const fc_timeline_series *series, const fc_timeline_options *o,
                             fc_timeline **out) {
  fc_timeline_options def;
  if (!o) {
    fc_timeline_options_default(&def);
    o = &def;
  }
  FC_CALL(check_args(t0_us, t_end_us, tick_us, n_series, series, o));
  fc_status st = FC_OK;
  fc_timeline *t = NULL;
  double *counts = NULL; /* n_series x FC_TL_BINS */
  FC_CALL(fci_calloc(1, sizeof *t, &t));
  t->tz_us = o->tz_offset_s * INT64_C(1000000);
  t->t0_us = t0_us;
  t->t_end_us = t_end_us + tick_us;
  t->tick_us = tick_us;
  t->n_series = n_series;
  size_t ns = n_series ? n_series : 1;
  FC_CALL_GOTO(st, fci_calloc(ns * FC_TL_BINS, sizeof *t->rate, &t->rate), fail);
  FC_CALL_GOTO(st, fci_calloc(ns * FC_TL_BINS, sizeof *counts, &counts), fail);
  FC_CALL_GOTO(st, fci_calloc(ns, sizeof *t->rows, &t->rows), fail);
  FC_CALL_GOTO(st, fci_calloc(ns, sizeof *t->n_delays, &t->n_delays), fail);
  FC_CALL_GOTO(st, fci_calloc(ns, sizeof *t->delays, &t->delays), fail);

  add_exposure(t->tz_us, t->t0_us, t->t_end_us, t->exposure);
  t->span_h = (double)(t->t_end_us - t->t0_us) / (double)FC_US_PER_HOUR;
  double n_total = 0;
  for (size_t s = 0; s < n_series; s++) {
    const fc_timeline_series *p = &series[s];
    t->rows[s] = p->rows;
    for (uint64_t i = 0; i < p->n; i++)
      counts[s * FC_TL_BINS + bin_of(t->tz_us, t0_us + p->start_ticks[i] * tick_us)] += 1;
    n_total += (double)p->n;
    if (p->rows > 1 && p->n) {
      size_t len = (size_t)p->n * (size_t)(p->rows - 1);
      FC_CALL_GOTO(st, fci_malloc(len * sizeof **t->delays, &t->delays[s]), fail);
      memcpy(t->delays[s], p->delays, len * sizeof **t->delays);
      t->n_delays[s] = p->n;
    }
  }

  /* Exposure and global counts per class of every level; the level of each bin. */
  double exp_l[FC_TL_LEVELS][FC_TL_BINS], glob_l[FC_TL_LEVELS][FC_TL_BINS];
  memset(exp_l, 0, sizeof exp_l);
  memset(glob_l, 0, sizeof glob_l);
  for (int l = 0; l < FC_TL_LEVELS; l++)
    for (int b = 0; b < FC_TL_BINS; b++) {
      int c = class_of((fc_tl_level)l, b);
      exp_l[l][c] += t->exposure[b];
      for (size_t s = 0; s < n_series; s++)
        glob_l[l][c] += counts[s * FC_TL_BINS + b];
    }
  for (int b = 0; b < FC_TL_BINS; b++) {
    int l = 0;
    while (l < FC_TL_FLAT && exp_l[l][class_of((fc_tl_level)l, b)] < o->min_exposure_h)
      l++;
    t->level[b] = (fc_tl_level)l;
  }

  /* Shrunk rates per series, rescaled to the series' observed total. */
  /* The prior is worth prior_instances instances of the series in all, a / FC_TL_BINS per bin. */
  double T = t->span_h, gbar = n_total / T, a = o->prior_instances / FC_TL_BINS;
  for (size_t s = 0; s < n_series && n_total > 0; s++) {
    double n_p = (double)series[s].n;
    if (n_p == 0) continue;
    double own[FC_TL_LEVELS][FC_TL_BINS];
    memset(own, 0, sizeof own);
    for (int b = 0; b < FC_TL_BINS; b++)
      for (int l = 0; l < FC_TL_LEVELS; l++)
        own[l][class_of((fc_tl_level)l, b)] += counts[s * FC_TL_BINS + b];
    double kp = a * T / n_p, norm = 0;
    double *lam = &t->rate[s * FC_TL_BINS];
    for (int b = 0; b < FC_TL_BINS; b++) {
      int l = (int)t->level[b], c = class_of(t->level[b], b);
      double g = glob_l[l][c] / exp_l[l][c];
      lam[b] = (own[l][c] + a * g / gbar) / (exp_l[l][c] + kp);
      norm += t->exposure[b] * lam[b];
    }
    if (norm > 0)
      for (int b = 0; b < FC_TL_BINS; b++)
        lam[b] *= n_p / norm;
  }
  for (int b = 0; b < FC_TL_BINS; b++)
    for (size_t s = 0; s < n_series; s++)
      t->total[b] += t->rate[s * FC_TL_BINS + b];
  free(counts);
  *out = t;
  return FC_OK;
fail:
  free(counts);
  fc_timeline_destroy(&t);
  return st;
}

fc_status fc_timeline_from_model(const fc_model_file *m, const fc_timeline_options *o,
                                 fc_timeline **out) {
  fc_timeline_series *s = NULL;
  FC_CALL(fci_calloc(m->n_patterns + 1, sizeof *s, &s));
  for (size_t k = 0; k < m->n_patterns; k++) {
    const fc_mined_pattern *p = &m->patterns[k];
    s[k].n = p->usage;
    s[k].start_ticks = p->start_ticks;
    s[k].rows = p->p.n_rows;
    s[k].delays = p->delays;
  }
  s[m->n_patterns].n = m->n_uncovered;
  s[m->n_patterns].start_ticks = m->base_start_ticks;
  s[m->n_patterns].rows = 1;
  fc_status st =
      fc_timeline_create(m->cols.t0_us, m->t_end_us, m->cols.tick_us, m->n_patterns + 1, s, o, out);
  free(s);
  FC_CALL(st);
  return FC_OK;
}

size_t fc_timeline_n_series(const fc_timeline *t) {
  return t->n_series;
}
int fc_timeline_bin(const fc_timeline *t, int64_t ts_us) {
  return bin_of(t->tz_us, ts_us);
}
int64_t fc_timeline_hour_end(const fc_timeline *t, int64_t ts_us) {
  return hour_end(t->tz_us, ts_us);
}
double fc_timeline_rate(const fc_timeline *t, size_t series, int bin) {
  return t->rate[series * FC_TL_BINS + (size_t)bin];
}
double fc_timeline_total_rate(const fc_timeline *t, int bin) {
  return t->total[bin];
}
double fc_timeline_exposure(const fc_timeline *t, int bin) {
  return t->exposure[bin];
}
fc_tl_level fc_timeline_level(const fc_timeline *t, int bin) {
  return t->level[bin];
}
double fc_timeline_span_hours(const fc_timeline *t) {
  return t->span_h;
}
int fc_timeline_rows(const fc_timeline *t, size_t series) {
  return t->rows[series];
}

double fc_timeline_expected(const fc_timeline *t, int64_t a_us, int64_t b_us) {
  double sum = 0;
  /* Whole weeks at once, then the rest hour by hour. */
  const int64_t week = 7 * US_PER_DAY;
  if (b_us - a_us > week) {
    double w = 0;
    for (int b = 0; b < FC_TL_BINS; b++)
      w += t->total[b];
    int64_t n = (b_us - a_us) / week;
    sum += (double)n * w;
    a_us += n * week;
  }
  while (a_us < b_us) {
    int64_t e = hour_end(t->tz_us, a_us);
    if (e > b_us) e = b_us;
    sum += t->total[bin_of(t->tz_us, a_us)] * (double)(e - a_us) / (double)FC_US_PER_HOUR;
    a_us = e;
  }
  return sum;
}

void fc_timeline_offsets(const fc_timeline *t, size_t series, fc_rng *r, int64_t *offsets_us) {
  int rows = t->rows[series];
  offsets_us[0] = 0;
  if (rows < 2) return;
  uint64_t n = t->n_delays[series];
  const int64_t *d = n ? &t->delays[series][fc_rng_below(r, n) * (uint64_t)(rows - 1)] : NULL;
  double tick = (double)t->tick_us;
  for (int i = 1; i < rows; i++) {
    double ticks = d ? (double)d[i - 1] : 0.0;
    double u1 = fc_rng_uniform(r), u2 = fc_rng_uniform(r);
    double gap = fabs((ticks + u1 + u2 - 1.0) * tick);
    offsets_us[i] = offsets_us[i - 1] + (int64_t)llround(gap);
  }
}
