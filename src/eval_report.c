/* The eval report page (include/flowchronicle/report.h): the metric table of an evaluation and
 * seventeen charts drawn with the SVG writer (src/svg.c).
 *
 * The chart data has two sources. The metrics and the ACF curves are the evaluation's own (the
 * curves are the first run's, exactly what fc_eval_acf_diff_curve summed); nothing here
 * recomputes a metric. The distributions and the flows per hour describe the whole input tables
 * and are counted here, in one pass per table and column: discrete values by value identity as
 * the metrics compare them (flags masked to the bits their text form shows), continuous values
 * as the metrics see them (duration in seconds) on an ECDF that is exact at 400 log-spaced grid
 * points, so the cost does not depend on sorting millions of values. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "eval_impl.h"
#include "flowchronicle/report.h"
#include "flowchronicle/textio.h"
#include "flowchronicle/version.h"

enum {
  TOP_K = 10,        /* discrete values shown per column, plus "other" */
  ECDF_POINTS = 400, /* grid of the continuous ECDFs */
  MAX_BUCKETS = 2000 /* points of a flows-per-hour line; longer spans use wider buckets */
};

/* Chart geometry in pixels: three small charts side by side fill the page width. */
#define SMALL_W 430.0
#define WIDE_W 1312.0

static const char *const series_cls[3] = {"s0", "s1", "s2"};

/* The inputs drawn on a chart: real, synthetic and, when given, holdout. */
typedef struct series {
  int n;
  const fc_flow_table *t[3];
  const char *name[3];
} series;

/* ---------------------------------------------------------------- formatting */

/* "mean ± sd" for the metric table, as the text output prints it; "n/a" when undefined. */
static void fmt_stat(const fc_eval_stat *s, char *buf, size_t cap) {
  if (s->n == 0 || isnan(s->mean)) {
    snprintf(buf, cap, "n/a");
    return;
  }
  double a = fabs(s->mean);
  if (a != 0 && (a < 1e-3 || a >= 1e5))
    snprintf(buf, cap, "%.3e \xc2\xb1 %.1e", s->mean, s->sd);
  else
    snprintf(buf, cap, "%.4f \xc2\xb1 %.4f", s->mean, s->sd);
}

/* Compact "mean ± sd" for chart subtitles. */
static void fmt_short(const fc_eval_stat *s, char *buf, size_t cap) {
  if (s->n == 0 || isnan(s->mean))
    snprintf(buf, cap, "n/a");
  else /* an sd that is rounding noise of equal values (4.9e-18) shows as 0 */
    snprintf(buf, cap, "%.3g \xc2\xb1 %.2g", s->mean, s->sd <= 1e-12 * fabs(s->mean) ? 0.0 : s->sd);
}

/* "NAME a ± b | reference c ± d" for one per-column statistic. */
static void subtitle(const char *what, const fc_eval_results *res, const fc_eval_stat *syn,
                     const fc_eval_stat *ref, char *buf, size_t cap) {
  char a[64], b[64];
  fmt_short(syn, a, sizeof a);
  if (res->has_reference) {
    fmt_short(ref, b, sizeof b);
    snprintf(buf, cap, "%s: synthetic %s | reference %s", what, a, b);
  } else {
    snprintf(buf, cap, "%s: synthetic %s", what, a);
  }
}

static void fmt_percent(double share, char *buf, size_t cap) {
  if (isnan(share))
    snprintf(buf, cap, "n/a");
  else if (share != 0 && share < 0.001)
    snprintf(buf, cap, "%.2g %%", 100 * share);
  else
    snprintf(buf, cap, "%.1f %%", 100 * share);
}

/* Title, subtitle (the metric), an optional note and the legend, one line each; returns the
 * y where the plot may start. */
static double chart_header(fc_strbuf *b, const char *title, const char *sub, const char *note,
                           const char *const *names, const char *const *cls, int n) {
  double y = 18;
  fc_svg_text(b, 10, y, "start", "title", title);
  if (sub) fc_svg_text(b, 10, y += 17, "start", "sub", sub);
  if (note) fc_svg_text(b, 10, y += 15, "start", "sub", note);
  if (n > 0) fc_svg_legend(b, 10, y += 19, names, cls, n);
  return y + 14;
}

/* "what: real A, synthetic B, holdout C" from per-series texts. */
static void series_note(const series *S, const char *what, char vals[3][32], char *buf,
                        size_t cap) {
  int k = snprintf(buf, cap, "%s:", what);
  for (int s = 0; s < S->n && k >= 0 && (size_t)k < cap; s++)
    k += snprintf(buf + k, cap - (size_t)k, "%s %s %s", s ? "," : "", S->name[s], vals[s]);
}

/* The header's height, to size a chart before drawing it. */
static double header_height(bool sub, bool note) {
  return 18 + (sub ? 17 : 0) + (note ? 15 : 0) + 19 + 14;
}

/* A label cut to max_chars with its full text as a tooltip, right-aligned at (x, y). */
static void category_label(fc_strbuf *b, double x, double y, const char *text, size_t max_chars) {
  char cut[160];
  fc_svg_truncate(text, max_chars, cut, sizeof cut);
  fc_strbuf_puts(b, "<g><title>");
  fc_strbuf_escape(b, text);
  fc_strbuf_puts(b, "</title>");
  fc_svg_text(b, x, y, "end", "cat", cut);
  fc_strbuf_puts(b, "</g>\n");
}

/* ---------------------------------------------------------------- discrete distributions */

typedef struct cat_dist {
  int k; /* values shown */
  char label[TOP_K][FC_IP_STRLEN];
  double share[3][TOP_K + 1]; /* the top values, then all others */
  size_t distinct[3];
} cat_dist;

static bool is_ip_col(int col) {
  return col == FC_EVAL_SRC_IP || col == FC_EVAL_DST_IP;
}

static const fc_ip *ip_of(const fc_flow_table *t, size_t i, int col) {
  return col == FC_EVAL_SRC_IP ? &t->src_ip[i] : &t->dst_ip[i];
}

static void ip_key(const fc_ip *ip, char key[17]) {
  key[0] = (char)ip->family;
  memcpy(key + 1, ip->addr, 16);
}

/* The code of a value of a discrete column that is not an address: the value itself. */
static uint32_t small_code(const fc_flow_table *t, size_t i, int col) {
  switch (col) {
  case FC_EVAL_PROTO:
    return t->proto[i];
  case FC_EVAL_DST_PORT:
    return t->dst_port[i];
  default:
    return t->flags[i] & FCI_FLAGS_TEXT;
  }
}

static void cat_label(int col, uint32_t code, const fc_strdict *ips, char *buf) {
  if (col == FC_EVAL_PROTO) {
    char tmp[8];
    snprintf(buf, FC_IP_STRLEN, "%s", fc_proto_name((uint8_t)code, tmp));
  } else if (col == FC_EVAL_DST_PORT) {
    snprintf(buf, FC_IP_STRLEN, "%u", (unsigned)code);
  } else if (col == FC_EVAL_FLAGS) {
    fc_flags_format((uint8_t)code, buf);
  } else {
    fc_ip ip;
    const char *key = fc_strdict_get(ips, code);
    ip.family = (uint8_t)key[0];
    memcpy(ip.addr, key + 1, 16);
    fc_ip_format(&ip, buf);
  }
}

static fc_status cat_compute(const series *S, int col, cat_dist *d) {
  memset(d, 0, sizeof *d);
  fc_strdict *ips = NULL;
  uint64_t *cnt[3] = {NULL, NULL, NULL};
  double *score = NULL;
  size_t domain = col == FC_EVAL_PROTO ? 256 : col == FC_EVAL_DST_PORT ? 65536 : 64;
  fc_status st = FC_OK;
  char key[17];
  uint32_t id;
  if (is_ip_col(col)) {
    FC_CALL_GOTO(st, fc_strdict_create(&ips), done);
    for (int s = 0; s < S->n; s++)
      for (size_t i = 0; i < S->t[s]->n; i++) {
        ip_key(ip_of(S->t[s], i, col), key);
        FC_CALL_GOTO(st, fc_strdict_intern(ips, key, sizeof key, &id), done);
      }
    domain = fc_strdict_size(ips);
  }
  for (int s = 0; s < S->n; s++) {
    const fc_flow_table *t = S->t[s];
    FC_CALL_GOTO(st, fci_calloc(domain, sizeof *cnt[s], &cnt[s]), done);
    for (size_t i = 0; i < t->n; i++) {
      if (is_ip_col(col)) {
        ip_key(ip_of(t, i, col), key);
        fc_strdict_find(ips, key, sizeof key, &id); /* interned above */
      } else {
        id = small_code(t, i, col);
      }
      cnt[s][id]++;
    }
  }
  /* Rank values by their mean share over the inputs, so a value frequent in only one of them
   * still shows; ties go to the smaller code. */
  FC_CALL_GOTO(st, fci_calloc(domain, sizeof *score, &score), done);
  for (int s = 0; s < S->n; s++) {
    double n = (double)S->t[s]->n;
    for (size_t c = 0; c < domain; c++) {
      d->distinct[s] += cnt[s][c] != 0;
      if (n > 0) score[c] += (double)cnt[s][c] / n;
    }
  }
  uint64_t shown[3] = {0, 0, 0};
  for (d->k = 0; d->k < TOP_K; d->k++) {
    size_t best = domain;
    for (size_t c = 0; c < domain; c++)
      if (score[c] > 0 && (best == domain || score[c] > score[best])) best = c;
    if (best == domain) break;
    score[best] = -1;
    cat_label(col, (uint32_t)best, ips, d->label[d->k]);
    for (int s = 0; s < S->n; s++) {
      double n = (double)S->t[s]->n;
      d->share[s][d->k] = n > 0 ? (double)cnt[s][best] / n : 0;
      shown[s] += cnt[s][best];
    }
  }
  /* "other" from the counts left, so it is exactly 0 when nothing is left. */
  for (int s = 0; s < S->n; s++)
    d->share[s][TOP_K] = S->t[s]->n > 0 ? (double)(S->t[s]->n - shown[s]) / (double)S->t[s]->n : 0;
done:
  for (int s = 0; s < 3; s++)
    free(cnt[s]);
  free(score);
  fc_strdict_destroy(&ips);
  return st;
}

static void cat_chart(fc_strbuf *b, const series *S, const fc_eval_results *res, int col,
                      const cat_dist *d) {
  int rows = d->k + 1;
  double bar = 7, gap = 9, band = S->n * (bar + 1) + gap;
  double left = 150, right = SMALL_W - 18, top = header_height(true, true);
  double height = top + rows * band + 42;
  char title[96], sub[192], tip[256], pct[32], note[192], vals[3][32];
  snprintf(title, sizeof title, "%s: shares of the top values", fc_eval_cat_name(col));
  subtitle("JSD", res, &res->synthetic.jsd_col[col], &res->reference.jsd_col[col], sub, sizeof sub);
  fc_svg_begin(b, SMALL_W, height, title);
  for (int s = 0; s < S->n; s++)
    snprintf(vals[s], sizeof vals[s], "%zu", d->distinct[s]);
  series_note(S, "distinct values", vals, note, sizeof note);
  top = chart_header(b, title, sub, note, S->name, series_cls, S->n);
  double hi = 0;
  for (int s = 0; s < S->n; s++)
    for (int j = 0; j <= TOP_K; j++)
      if (j < d->k || j == TOP_K) hi = fmax(hi, d->share[s][j]);
  double lo = 0;
  if (hi <= 0) hi = 1;
  fc_svg_nice_range(&lo, &hi, 6);
  fc_svg_axis x = {0, hi, false, left, right, NULL, 0};
  fc_svg_axis y = {0, 1, false, top + rows * band, top, NULL, 0};
  fc_svg_axes(b, &x, &y, "share of flows", NULL, 6, 0);
  for (int r = 0; r < rows; r++) {
    int j = r < d->k ? r : TOP_K;
    const char *label = r < d->k ? d->label[r] : "other";
    double y0 = top + r * band + gap / 2;
    category_label(b, left - 6, y0 + S->n * (bar + 1) / 2 + 3.5, label, 22);
    for (int s = 0; s < S->n; s++) {
      fmt_percent(d->share[s][j], pct, sizeof pct);
      snprintf(tip, sizeof tip, "%s: %s", S->name[s], pct);
      double w = fc_svg_map(&x, d->share[s][j]) - left;
      char cls[16];
      snprintf(cls, sizeof cls, "bar %s", series_cls[s]);
      fc_svg_rect(b, left, y0 + s * (bar + 1), w, bar, cls, tip);
    }
  }
  fc_svg_end(b);
}

/* ---------------------------------------------------------------- continuous distributions */

typedef struct num_dist {
  bool any_pos;
  double lo, hi; /* smallest and largest positive value over the inputs */
  double grid[ECDF_POINTS];
  double cdf[3][ECDF_POINTS]; /* share of values <= grid[k] */
  double nonpos[3];           /* share of values <= 0 */
} num_dist;

/* A continuous column as the metrics see it. */
static double num_value(const fc_flow_table *t, size_t i, int col) {
  switch (col) {
  case FC_EVAL_FWD_BYTES:
    return (double)t->fwd_bytes[i];
  case FC_EVAL_BWD_BYTES:
    return (double)t->bwd_bytes[i];
  case FC_EVAL_FWD_PKTS:
    return (double)t->fwd_pkts[i];
  case FC_EVAL_BWD_PKTS:
    return (double)t->bwd_pkts[i];
  default:
    return (double)t->duration_us[i] / 1e6;
  }
}

static fc_status num_compute(const series *S, int col, num_dist *d) {
  memset(d, 0, sizeof *d);
  double lo = INFINITY, hi = 0;
  for (int s = 0; s < S->n; s++)
    for (size_t i = 0; i < S->t[s]->n; i++) {
      double v = num_value(S->t[s], i, col);
      if (v > 0) lo = fmin(lo, v), hi = fmax(hi, v);
    }
  d->any_pos = hi > 0;
  if (!d->any_pos) lo = hi = 1;
  d->lo = lo;
  d->hi = hi;
  double a = log10(lo), z = log10(hi);
  for (int k = 0; k < ECDF_POINTS; k++)
    d->grid[k] = pow(10, a + (z - a) * k / (ECDF_POINTS - 1));
  d->grid[0] = lo;
  d->grid[ECDF_POINTS - 1] = hi; /* exact ends: every positive value falls on the grid */
  uint64_t *h;
  FC_CALL(fci_malloc(ECDF_POINTS * sizeof *h, &h));
  for (int s = 0; s < S->n; s++) {
    const fc_flow_table *t = S->t[s];
    uint64_t nonpos = 0;
    memset(h, 0, ECDF_POINTS * sizeof *h);
    for (size_t i = 0; i < t->n; i++) {
      double v = num_value(t, i, col);
      if (!(v > 0)) {
        nonpos++;
        continue;
      }
      size_t l = 0, r = ECDF_POINTS - 1; /* first grid point >= v */
      while (l < r) {
        size_t m = (l + r) / 2;
        if (d->grid[m] < v)
          l = m + 1;
        else
          r = m;
      }
      h[l]++;
    }
    double n = t->n ? (double)t->n : 1;
    uint64_t cum = nonpos;
    d->nonpos[s] = (double)nonpos / n;
    for (int k = 0; k < ECDF_POINTS; k++) {
      cum += h[k];
      d->cdf[s][k] = (double)cum / n;
    }
  }
  free(h);
  return FC_OK;
}

static const char *num_unit(int col) {
  switch (col) {
  case FC_EVAL_FWD_BYTES:
  case FC_EVAL_BWD_BYTES:
    return "bytes";
  case FC_EVAL_FWD_PKTS:
  case FC_EVAL_BWD_PKTS:
    return "packets";
  default:
    return "seconds";
  }
}

static void num_chart(fc_strbuf *b, const series *S, const fc_eval_results *res, int col,
                      const num_dist *d) {
  double height = 310, left = 58, right = SMALL_W - 18, bottom = height - 42;
  char title[96], sub[192], xlabel[64], note[192], vals[3][32];
  snprintf(title, sizeof title, "%s: ECDF", fc_eval_num_name(col));
  subtitle("EMD (W1)", res, &res->synthetic.emd_w1_col[col], &res->reference.emd_w1_col[col], sub,
           sizeof sub);
  snprintf(xlabel, sizeof xlabel, "%s (log scale)", num_unit(col));
  fc_svg_begin(b, SMALL_W, height, title);
  bool any_nonpos = false;
  for (int s = 0; s < S->n; s++)
    any_nonpos |= d->nonpos[s] > 0;
  for (int s = 0; s < S->n; s++)
    fmt_percent(d->nonpos[s], vals[s], sizeof vals[s]);
  series_note(S, "values \xe2\x89\xa4 0 (left edge)", vals, note, sizeof note);
  double top = chart_header(b, title, sub, any_nonpos ? note : NULL, S->name, series_cls, S->n);
  /* Whole decades, so the axis starts and ends on a labelled tick. */
  double xlo = pow(10, floor(log10(d->lo) + 1e-9)), xhi = pow(10, ceil(log10(d->hi) - 1e-9));
  if (xhi <= xlo) xlo /= 10, xhi *= 10;
  fc_svg_axis x = {xlo, xhi, true, left, right, NULL, 0};
  fc_svg_axis y = {0, 1, false, bottom, top, NULL, 0};
  fc_svg_axes(b, &x, &y, xlabel, "share of flows \xe2\x89\xa4 x", 10, 6);
  double xs[ECDF_POINTS + 2], ys[ECDF_POINTS + 2];
  for (int s = 0; s < S->n; s++) {
    /* From the left edge at the share of values <= 0, along the grid, to the right edge. */
    xs[0] = xlo;
    ys[0] = d->nonpos[s];
    for (int k = 0; k < ECDF_POINTS; k++)
      xs[k + 1] = d->grid[k], ys[k + 1] = d->cdf[s][k];
    xs[ECDF_POINTS + 1] = xhi;
    ys[ECDF_POINTS + 1] = d->cdf[s][ECDF_POINTS - 1];
    fc_svg_series(b, &x, &y, xs, ys, ECDF_POINTS + 2, true, series_cls[s]);
  }
  if (!d->any_pos)
    fc_svg_text(b, (left + right) / 2, (top + bottom) / 2, "middle", "msg",
                "no positive values in any input");
  fc_svg_end(b);
}

/* ---------------------------------------------------------------- flows per hour */

typedef struct hourly {
  int bucket; /* hours per point */
  size_t len[3];
  double *rate[3]; /* flows per hour in each bucket */
  int64_t start_hour[3];
} hourly;

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void hourly_free(hourly *h) {
  for (int s = 0; s < 3; s++)
    free(h->rate[s]);
  memset(h, 0, sizeof *h);
}

static fc_status hourly_compute(const series *S, hourly *h) {
  memset(h, 0, sizeof *h);
  int64_t lo[3], span[3], maxspan = 1;
  for (int s = 0; s < S->n; s++) {
    const fc_flow_table *t = S->t[s];
    int64_t a = INT64_MAX, z = INT64_MIN;
    for (size_t i = 0; i < t->n; i++) {
      int64_t hr = floor_div(t->ts_us[i], 3600000000LL);
      if (hr < a) a = hr;
      if (hr > z) z = hr;
    }
    lo[s] = t->n ? a : 0;
    span[s] = t->n ? z - a + 1 : 0;
    if (span[s] > maxspan) maxspan = span[s];
  }
  h->bucket = (int)((maxspan + MAX_BUCKETS - 1) / MAX_BUCKETS);
  if (h->bucket < 1) h->bucket = 1;
  for (int s = 0; s < S->n; s++) {
    const fc_flow_table *t = S->t[s];
    h->start_hour[s] = lo[s];
    h->len[s] = (size_t)((span[s] + h->bucket - 1) / h->bucket);
    FC_CALL(fci_calloc(h->len[s] ? h->len[s] : 1, sizeof *h->rate[s], &h->rate[s]));
    for (size_t i = 0; i < t->n; i++)
      h->rate[s][(floor_div(t->ts_us[i], 3600000000LL) - lo[s]) / h->bucket] += 1;
    for (size_t k = 0; k < h->len[s]; k++)
      h->rate[s][k] /= h->bucket;
  }
  return FC_OK;
}

static fc_status hourly_chart(fc_strbuf *b, const series *S, const hourly *h) {
  double height = 300, left = 64, right = WIDE_W - 24, bottom = height - 42;
  char title[96], names[3][96];
  const char *np[3];
  if (h->bucket == 1)
    snprintf(title, sizeof title, "Flows per hour over the span of each input");
  else
    snprintf(title, sizeof title,
             "Flows per hour (mean over %d-hour buckets) over the span of "
             "each input",
             h->bucket);
  fc_svg_begin(b, WIDE_W, height, title);
  double xmax = 1, ymax = 0;
  for (int s = 0; s < S->n; s++) {
    char when[FC_TIME_STRLEN];
    fc_time_format(h->start_hour[s] * 3600000000LL, when);
    when[16] = '\0'; /* to the minute */
    snprintf(names[s], sizeof names[s], "%s (from %s UTC)", S->name[s], when);
    np[s] = names[s];
    xmax = fmax(xmax, (double)h->len[s] * h->bucket);
    for (size_t k = 0; k < h->len[s]; k++)
      ymax = fmax(ymax, h->rate[s][k]);
  }
  double top =
      chart_header(b, title, "x: hours since the first hour of each input (each on its own span)",
                   NULL, np, series_cls, S->n);
  double ylo = 0;
  if (ymax <= 0) ymax = 1;
  fc_svg_nice_range(&ylo, &ymax, 6);
  static const double hour_steps[] = {1, 2, 3, 6, 12, 24, 48, 72, 168, 336};
  fc_svg_axis x = {0, xmax, false, left, right, hour_steps, 10};
  fc_svg_axis y = {0, ymax, false, bottom, top, NULL, 0};
  fc_svg_axes(b, &x, &y, "hours since the input's first hour", "flows per hour", 16, 6);
  size_t most = 0;
  for (int s = 0; s < S->n; s++)
    if (h->len[s] > most) most = h->len[s];
  double *xs, *ys;
  FC_CALL(fci_malloc((most + 1) * sizeof *xs, &xs));
  fc_status st = fci_malloc((most + 1) * sizeof *ys, &ys);
  if (st != FC_OK) {
    free(xs);
    return st;
  }
  for (int s = 0; s < S->n; s++) {
    size_t n = h->len[s];
    if (n == 0) continue;
    for (size_t k = 0; k < n; k++)
      xs[k] = (double)k * h->bucket, ys[k] = h->rate[s][k];
    xs[n] = (double)n * h->bucket; /* the last bucket's plateau to its end */
    ys[n] = ys[n - 1];
    fc_svg_series(b, &x, &y, xs, ys, n + 1, true, series_cls[s]);
  }
  free(xs);
  free(ys);
  fc_svg_end(b);
  return FC_OK;
}

/* ---------------------------------------------------------------- ACF */

static fc_status acf_chart(fc_strbuf *b, const series *S, const fc_eval_results *res, int col) {
  double height = 310, left = 58, right = SMALL_W - 18, bottom = height - 42;
  const fc_eval_acf_curve *cr = &res->synthetic.acf_curve[col];
  const fc_eval_acf_curve *curves[3] = {cr, cr,
                                        res->has_reference ? &res->reference.acf_curve[col] : NULL};
  char title[96], sub[192], note[192], vals[3][32];
  snprintf(title, sizeof title, "%s: ACF of per-second sums", fc_eval_num_name(col));
  subtitle("ACF diff", res, &res->synthetic.acf_col[col], &res->reference.acf_col[col], sub,
           sizeof sub);
  fc_svg_begin(b, SMALL_W, height, title);
  for (int s = 0; s < S->n; s++) {
    const fc_eval_acf_curve *c = curves[s];
    snprintf(vals[s], sizeof vals[s], "%zu s", !c ? 0 : s == 0 ? c->n_real : c->n_gen);
  }
  series_note(S, "window length", vals, note, sizeof note);
  double top = chart_header(b, title, sub, note, S->name, series_cls, S->n);
  /* The y axis is scaled to lags >= 1 and the band: lag 0 is always 1 and would squash what is
   * compared into a line at 0; its line runs off the top. */
  int nl = cr->real ? cr->nlags : 1;
  double ylo = 0, yhi = 0;
  for (int s = 0; s < S->n; s++) {
    const fc_eval_acf_curve *c = curves[s];
    if (!c || !c->real) continue;
    const double *v = s == 0 ? c->real : c->gen;
    for (int k = 1; k <= c->nlags; k++) {
      if (!isnan(v[k])) ylo = fmin(ylo, v[k]), yhi = fmax(yhi, v[k]);
      ylo = fmin(ylo, -c->band[k]);
      yhi = fmax(yhi, c->band[k]);
    }
  }
  if (yhi <= ylo) yhi = 1;
  fc_svg_nice_range(&ylo, &yhi, 8);
  fc_svg_axis x = {0, nl, false, left, right, NULL, 0};
  fc_svg_axis y = {ylo, yhi, false, bottom, top, NULL, 0};
  fc_svg_axes(b, &x, &y, "lag (seconds)", "autocorrelation", 6, 8);
  if (!cr->real) {
    fc_svg_text(b, (left + right) / 2, (top + bottom) / 2, "middle", "msg",
                "undefined: a series is shorter than 2 seconds");
    fc_svg_end(b);
    return FC_OK;
  }
  size_t n = (size_t)cr->nlags + 1;
  double *lag, *neg;
  FC_CALL(fci_malloc(n * sizeof *lag, &lag));
  fc_status st = fci_malloc(n * sizeof *neg, &neg);
  if (st != FC_OK) {
    free(lag);
    return st;
  }
  for (size_t k = 0; k < n; k++)
    lag[k] = (double)k, neg[k] = -cr->band[k];
  fc_svg_band(b, &x, &y, lag, neg, cr->band, n, NULL);
  for (int s = S->n - 1; s >= 0; s--) { /* the real curve on top */
    const fc_eval_acf_curve *c = curves[s];
    if (!c || !c->real) continue;
    fc_svg_series(b, &x, &y, lag, s == 0 ? c->real : c->gen, (size_t)c->nlags + 1, false,
                  series_cls[s]);
  }
  bool constant = true;
  for (size_t k = 0; k < n && constant; k++)
    constant = isnan(cr->real[k]);
  if (constant)
    fc_svg_text(b, (left + right) / 2, (top + bottom) / 2, "middle", "msg",
                "the real series is constant: no ACF");
  free(lag);
  free(neg);
  fc_svg_end(b);
  return FC_OK;
}

/* ---------------------------------------------------------------- DKC */

static void dkc_chart(fc_strbuf *b, const fc_eval_results *res) {
  const fc_eval_row *rows[2] = {&res->synthetic, &res->reference};
  const char *names[2] = {"synthetic", "reference (holdout)"};
  const char *cls[2] = {"s1", "s2"};
  int nr = res->has_reference ? 2 : 1;
  double bar = 8, gap = 8, band = nr * (bar + 1) + gap;
  double left = 360, right = WIDE_W - 90, top = header_height(true, false);
  double height = top + FC_DKC_RULES * band + 42;
  char sub[192], tip[256], a[64];
  const char *title = "Domain knowledge checks: share of flows breaking each rule";
  subtitle("DKC (mean over the 21 rules)", res, &res->synthetic.metric[FC_EVAL_DKC],
           &res->reference.metric[FC_EVAL_DKC], sub, sizeof sub);
  fc_svg_begin(b, WIDE_W, height, title);
  chart_header(b, title, sub, NULL, names, cls, nr);
  double lo = 0, hi = 0;
  for (int r = 0; r < nr; r++)
    for (int k = 0; k < FC_DKC_RULES; k++) {
      const fc_eval_stat *st = &rows[r]->dkc_rule[k];
      if (st->n > 0 && !isnan(st->mean)) hi = fmax(hi, st->mean + (isnan(st->sd) ? 0 : st->sd));
    }
  if (hi <= 0) hi = 0.01;
  fc_svg_nice_range(&lo, &hi, 8);
  fc_svg_axis x = {0, hi, false, left, right, NULL, 0};
  fc_svg_axis y = {0, 1, false, top + FC_DKC_RULES * band, top, NULL, 0};
  fc_svg_axes(b, &x, &y, "share of flows (mean \xc2\xb1 sd over the runs)", NULL, 8, 0);
  for (int k = 0; k < FC_DKC_RULES; k++) {
    char label[128];
    snprintf(label, sizeof label, "%d  %s", k + 1, fc_eval_dkc_rule_name(k));
    double y0 = top + k * band + gap / 2;
    category_label(b, left - 6, y0 + nr * (bar + 1) / 2 + 3.5, label, 60);
    for (int r = 0; r < nr; r++) {
      const fc_eval_stat *st = &rows[r]->dkc_rule[k];
      double yb = y0 + r * (bar + 1);
      if (st->n == 0 || isnan(st->mean)) continue;
      fmt_short(st, a, sizeof a);
      snprintf(tip, sizeof tip, "rule %d, %s: %s", k + 1, names[r], a);
      char c[16];
      snprintf(c, sizeof c, "bar %s", cls[r]);
      double xe = fc_svg_map(&x, st->mean);
      fc_svg_rect(b, left, yb, xe - left, bar, c, tip);
      double xw = xe;
      if (st->sd > 0) {
        xw = fc_svg_map(&x, st->mean + st->sd);
        fc_svg_line(b, fc_svg_map(&x, st->mean - st->sd), yb + bar / 2, xw, yb + bar / 2,
                    "whisker");
      }
      if (st->mean > 0) {
        snprintf(a, sizeof a, "%.3g", st->mean);
        fc_svg_text(b, xw + 4, yb + bar - 0.5, "start", "val", a);
      }
    }
  }
  fc_svg_end(b);
}

/* ---------------------------------------------------------------- the page */

static const char CSS[] =
    "body{font-family:\"DejaVu Sans\",Arial,sans-serif;font-size:14px;color:#222;"
    "margin:20px 24px;max-width:1360px;background:#fff}\n"
    "h1{font-size:22px;margin:0 0 6px}\n"
    "h2{font-size:17px;margin:28px 0 4px;border-bottom:1px solid #ccc;padding-bottom:3px}\n"
    "p{margin:4px 0 10px;max-width:1150px}\n"
    "p.note{color:#555}\n"
    "code{font-family:\"DejaVu Sans Mono\",monospace;font-size:12px;word-break:break-all}\n"
    "table{border-collapse:collapse;margin:6px 0}\n"
    "th,td{padding:3px 16px 3px 0;text-align:left;border-bottom:1px solid #e4e4e4;"
    "vertical-align:top}\n"
    "th{border-bottom:1px solid #999}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}\n"
    ".key{display:inline-block;width:11px;height:11px;margin:0 4px 0 10px;vertical-align:-1px}\n"
    ".k0{background:#0072b2}.k1{background:#e69f00}.k2{background:#009e73}\n"
    "svg{background:#fff;border:1px solid #ddd}\n"
    "svg text{font-family:\"DejaVu Sans\",Arial,sans-serif;font-size:11px;fill:#222}\n"
    "svg text.title{font-size:13px;font-weight:bold}\n"
    "svg text.sub{fill:#555}\n"
    "svg text.tick,svg text.cat{font-size:10px;fill:#444}\n"
    "svg text.val{font-size:9px;fill:#444}\n"
    "svg text.msg{fill:#b00000}\n"
    "line.grid{stroke:#ececec}\n"
    "line.axis{stroke:#444}\n"
    "line.whisker{stroke:#222}\n"
    ".s0{fill:#0072b2;stroke:#0072b2}\n"
    ".s1{fill:#e69f00;stroke:#e69f00}\n"
    ".s2{fill:#009e73;stroke:#009e73}\n"
    "rect.bar{stroke:none}\n"
    "path.ln{fill:none;stroke-width:1.6}\n"
    "path.ln.s2{stroke-dasharray:5 3}\n"
    "path.band{stroke:none;fill:#0072b2;opacity:.15}\n";

static const char *arrow(int dir) {
  return dir > 0   ? "\xe2\x86\x91 higher"
         : dir < 0 ? "\xe2\x86\x93 lower"
                   : "\xe2\x89\x88 reference";
}

static void td_text(fc_strbuf *b, const char *s) {
  fc_strbuf_puts(b, "<td>");
  fc_strbuf_escape(b, s);
  fc_strbuf_puts(b, "</td>");
}

/* The shortest of %.15g, %.16g, %.17g that reads back as v. */
static void fmt_exact(double v, char *buf, size_t cap) {
  for (int p = 15; p <= 17; p++) {
    snprintf(buf, cap, "%.*g", p, v);
    if (isnan(v) || strtod(buf, NULL) == v) return;
  }
}

/* A statistic cell: the rounded value, with full precision in the tooltip. */
static void td_stat(fc_strbuf *b, const fc_eval_stat *s) {
  char buf[96], m[32], d[32];
  fmt_stat(s, buf, sizeof buf);
  fmt_exact(s->mean, m, sizeof m);
  fmt_exact(s->sd, d, sizeof d);
  fc_strbuf_printf(b, "<td class=\"num\" title=\"mean %s, sd %s, %d runs\">", m, d, s->n);
  fc_strbuf_escape(b, buf);
  fc_strbuf_puts(b, "</td>");
}

static void head_section(fc_strbuf *b, const fc_eval_report_input *in, const series *S) {
  const fc_eval_results *r = in->res;
  const fc_eval_options *o = in->opt;
  fc_strbuf_puts(b, "<h1>FlowChronicle eval report</h1>\n<p class=\"note\">flowchronicle ");
  fc_strbuf_escape(b, FC_VERSION);
  fc_strbuf_puts(b, " (revision ");
  fc_strbuf_escape(b, FC_GIT_REVISION);
  fc_strbuf_printf(b,
                   "); %d runs, seed %llu, up to %zu flows per input and run; evaluation "
                   "took %.2f s.",
                   r->runs, (unsigned long long)o->seed, o->sample, r->seconds);
  fc_strbuf_puts(b, " Series:");
  for (int s = 0; s < S->n; s++) {
    fc_strbuf_printf(b, "<span class=\"key k%d\"></span>", s);
    fc_strbuf_escape(b, S->name[s]);
  }
  fc_strbuf_puts(b, "</p>\n");
  if (in->command_line) {
    fc_strbuf_puts(b, "<p><code>");
    fc_strbuf_escape(b, in->command_line);
    fc_strbuf_puts(b, "</code></p>\n");
  }
  fc_strbuf_puts(b, "<h2>Inputs</h2>\n<table><tr><th>input</th><th>path</th><th>format</th>"
                    "<th>flows</th><th>flows per run</th></tr>\n");
  const size_t flows[3] = {r->n_real, r->n_synthetic, r->n_holdout};
  const size_t drawn[3] = {r->sample_real, r->sample_synthetic, r->sample_holdout};
  for (int s = 0; s < S->n; s++) {
    fc_strbuf_puts(b, "<tr>");
    td_text(b, S->name[s]);
    fc_strbuf_puts(b, "<td><code>");
    fc_strbuf_escape(b, in->path[s] ? in->path[s] : "");
    fc_strbuf_puts(b, "</code></td>");
    td_text(b, in->format[s] ? in->format[s] : "");
    fc_strbuf_printf(b, "<td class=\"num\">%zu</td><td class=\"num\">%zu</td></tr>\n", flows[s],
                     drawn[s]);
  }
  fc_strbuf_puts(b, "</table>\n<p class=\"note\">Site derived from the real data for the domain "
                    "rules: ");
  fc_strbuf_printf(b, "%zu internal ranges (", r->site_ranges);
  fc_strbuf_escape(b, o->internal ? o->internal : FC_EVAL_DEFAULT_INTERNAL);
  fc_strbuf_printf(b, "), %zu DNS servers, %zu web/mail services, %zu mDNS groups.</p>\n",
                   r->site_dns, r->site_services, r->site_mdns);
}

static void metric_section(fc_strbuf *b, const fc_eval_results *r) {
  fc_strbuf_puts(b, "<h2>Metrics</h2>\n<table><tr><th>metric</th><th>key</th><th>better</th>"
                    "<th>synthetic (mean \xc2\xb1 sd)</th>");
  if (r->has_reference) fc_strbuf_puts(b, "<th>reference: holdout (mean \xc2\xb1 sd)</th>");
  fc_strbuf_puts(b, "</tr>\n");
  for (int m = 0; m < FC_EVAL_NMETRICS; m++) {
    fc_strbuf_puts(b, "<tr>");
    td_text(b, fc_eval_metric_label(m));
    fc_strbuf_puts(b, "<td><code>");
    fc_strbuf_escape(b, fc_eval_metric_key(m));
    fc_strbuf_puts(b, "</code></td>");
    td_text(b, arrow(fc_eval_metric_direction(m)));
    td_stat(b, &r->synthetic.metric[m]);
    if (r->has_reference) td_stat(b, &r->reference.metric[m]);
    fc_strbuf_puts(b, "</tr>\n");
  }
  fc_strbuf_printf(b,
                   "</table>\n<p class=\"note\">Mean and sample standard deviation over the "
                   "%d runs; the reference row scores held-out real flows in place of the "
                   "synthetic ones. n/a: undefined (MD and the prediction difference need a "
                   "holdout). Definitions: docs/eval.md.</p>\n",
                   r->runs);
}

fc_status fc_eval_report_html(const fc_eval_report_input *in, fc_strbuf *b) {
  if (!in || !in->res || !in->opt || !in->table[0] || !in->table[1])
    return FC_ERROR(FC_ERR_ARG, "eval report: results, options and the real and synthetic tables "
                                "are needed");
  const fc_eval_results *res = in->res;
  if (res->has_reference != (in->table[2] != NULL))
    return FC_ERROR(FC_ERR_ARG, "eval report: a holdout table goes with a reference row");
  series S = {2, {in->table[0], in->table[1], in->table[2]}, {"real", "synthetic", "holdout"}};
  if (in->table[2]) S.n = 3;
  fc_status st = FC_OK;
  hourly h;
  memset(&h, 0, sizeof h);
  fc_strbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<title>FlowChronicle eval report</title>\n<style>\n");
  fc_strbuf_puts(b, CSS);
  fc_strbuf_puts(b, "</style>\n</head>\n<body>\n");
  head_section(b, in, &S);
  metric_section(b, res);

  fc_strbuf_puts(b, "<h2>Distributions: discrete columns</h2>\n<p class=\"note\">Share of the "
                    "flows of each whole input taking each of the ten most frequent values "
                    "(ranked by the mean share over the inputs), and of all other values. "
                    "Subtitles: the column's JSD.</p>\n<div class=\"charts\">\n");
  for (int c = 0; c < FC_EVAL_NCAT; c++) {
    cat_dist d;
    FC_CALL_GOTO(st, cat_compute(&S, c, &d), done);
    cat_chart(b, &S, res, c, &d);
  }
  fc_strbuf_puts(b, "</div>\n<h2>Distributions: continuous columns</h2>\n<p class=\"note\">"
                    "Empirical CDF of each whole input on a log axis; values \xe2\x89\xa4 0 "
                    "(zero durations, no response) are the curve's height at the left edge. "
                    "Subtitles: the column's corrected EMD (W1 after min-max scaling).</p>\n"
                    "<div class=\"charts\">\n");
  for (int c = 0; c < FC_EVAL_NNUM; c++) {
    num_dist d;
    FC_CALL_GOTO(st, num_compute(&S, c, &d), done);
    num_chart(b, &S, res, c, &d);
  }
  fc_strbuf_puts(b, "</div>\n<h2>Flows over time</h2>\n<div class=\"charts\">\n");
  FC_CALL_GOTO(st, hourly_compute(&S, &h), done);
  FC_CALL_GOTO(st, hourly_chart(b, &S, &h), done);
  fc_strbuf_printf(b,
                   "</div>\n<h2>Autocorrelation</h2>\n<p class=\"note\">ACF of each column "
                   "summed per second over the first run's time windows (each series on its "
                   "own span, lags up to %d s), as the ACF difference computes it. Shaded: the "
                   "real ACF's Bartlett 95 %% band; the lags where the real ACF leaves it are "
                   "the ones summed. The y axis fits lags from 1 on: lag 0 (always 1) runs off "
                   "the top. Subtitles: the column's ACF difference over all runs."
                   "</p>\n<div class=\"charts\">\n",
                   in->opt->acf_max_lag);
  for (int c = 0; c < FC_EVAL_NNUM; c++)
    FC_CALL_GOTO(st, acf_chart(b, &S, res, c), done);
  fc_strbuf_puts(b, "</div>\n<h2>Domain knowledge checks</h2>\n<p class=\"note\">Share of the "
                    "sampled flows breaking each rule, mean over the runs with the standard "
                    "deviation as a whisker. Compare the synthetic shares with the reference's "
                    "rather than with 0: real data breaks some rules too.</p>\n"
                    "<div class=\"charts\">\n");
  dkc_chart(b, res);
  fc_strbuf_puts(b, "</div>\n</body>\n</html>\n");
  st = fc_strbuf_status(b);
done:
  hourly_free(&h);
  return st;
}

fc_status fc_eval_report_write(const char *dir, const fc_eval_report_input *in) {
  if (!dir || !*dir) return FC_ERROR(FC_ERR_ARG, "eval report: no directory given");
  fc_strbuf b;
  fc_strbuf_init(&b);
  fc_status st = FC_OK;
  char *path = NULL;
  fc_atomic_file *f = NULL;
  FC_CALL_GOTO(st, fc_eval_report_html(in, &b), done);
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    st = FC_ERROR(FC_ERR_IO, "cannot create the report directory %s: %s", dir, strerror(errno));
    goto done;
  }
  struct stat sb;
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    st = FC_ERROR(FC_ERR_IO, "the report path %s exists and is not a directory", dir);
    goto done;
  }
  size_t n = strlen(dir) + sizeof "/index.html";
  FC_CALL_GOTO(st, fci_malloc(n, &path), done);
  snprintf(path, n, "%s/index.html", dir);
  FC_CALL_GOTO(st, fc_atomic_open(path, &f), done);
  FC_CALL_GOTO(st, fc_atomic_write(f, b.data, b.len), done);
  FC_CALL_GOTO(st, fc_atomic_commit(&f), done);
done:
  fc_atomic_abort(&f);
  free(path);
  fc_strbuf_free(&b);
  return st;
}
