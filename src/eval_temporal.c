/* Temporal metrics: the autocorrelation difference of per-second sums of continuous columns, and
 * the next-value prediction difference of discrete columns (an order-1 most-frequent-successor
 * model, deterministic, in place of the artifact's LSTM).
 *
 * A per-second series of a sparse sample can span a week (604,800 seconds) with a few thousand
 * non-zero seconds, so the ACF works on the non-zero entries: sum_t x_t x_{t+k} only needs pairs
 * of non-zero seconds at most max_lag apart, and the mean corrections come from prefix sums. A
 * series that is mostly non-zero is expanded and computed on deviations from the mean, which
 * is better conditioned. Sums run in a fixed order; OpenMP splits lags, each lag's sum is done
 * by one thread, so results do not depend on the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_impl.h"
#include "flowchronicle/eval.h"

/* scipy.stats.norm.ppf(0.975), the 95 % two-sided quantile statsmodels uses. */
#define Z95 1.959963984540054

fc_status fci_eval_acf_sparse(const int64_t *pos, const double *val, size_t nnz, size_t ns,
                              int nlags, int mode, double *acf) {
  if (nlags < 0 || (size_t)nlags >= ns)
    return FC_ERROR(FC_ERR_ARG, "ACF: %d lags on a series of %zu", nlags, ns);
  bool constant = nnz == 0 || (nnz == ns && ns > 0);
  if (nnz == ns)
    for (size_t i = 1; i < nnz && constant; i++)
      constant = val[i] == val[0];
  if (constant) {
    for (int k = 0; k <= nlags; k++)
      acf[k] = NAN;
    return FC_OK;
  }
  double *avf;
  FC_CALL(fci_malloc(((size_t)nlags + 1) * sizeof *avf, &avf));
  double sum = 0;
  for (size_t i = 0; i < nnz; i++)
    sum += val[i];
  double mean = sum / (double)ns;
  if (mode == 1 || (mode == 0 && nnz * 2 >= ns)) {
    double *d;
    fc_status st = fci_malloc(ns * sizeof *d, &d);
    if (st != FC_OK) {
      free(avf);
      return st;
    }
    for (size_t t = 0; t < ns; t++)
      d[t] = -mean;
    for (size_t i = 0; i < nnz; i++)
      d[pos[i]] = val[i] - mean;
#pragma omp parallel for schedule(dynamic, 8)
    for (int k = 0; k <= nlags; k++) {
      double s = 0;
      for (size_t t = 0; t + (size_t)k < ns; t++)
        s += d[t] * d[t + (size_t)k];
      avf[k] = s / (double)ns;
    }
    free(d);
  } else {
    /* avf_k * ns = P_k - mean * (H_k + T_k) + (ns - k) mean^2 with P_k = sum x_t x_{t+k},
     * H_k = sum of x_t for t <= ns-1-k, T_k = sum of x_t for t >= k. */
    for (int k = 0; k <= nlags; k++)
      avf[k] = 0;
    for (size_t a = 0; a < nnz; a++)
      for (size_t b = a; b < nnz && pos[b] - pos[a] <= nlags; b++)
        avf[pos[b] - pos[a]] += val[a] * val[b];
    double head_out = 0, tail_out = 0; /* sums of the entries left out of H_k and T_k */
    size_t hi = nnz, ti = 0;
    for (int k = 0; k <= nlags; k++) {
      while (hi > 0 && pos[hi - 1] > (int64_t)ns - 1 - k)
        head_out += val[--hi];
      while (ti < nnz && pos[ti] < k)
        tail_out += val[ti++];
      double h = sum - head_out, t = sum - tail_out;
      avf[k] = (avf[k] - mean * (h + t) + (double)(ns - (size_t)k) * mean * mean) / (double)ns;
    }
  }
  for (int k = 0; k <= nlags; k++)
    acf[k] = avf[k] / avf[0];
  free(avf);
  return FC_OK;
}

void fc_eval_acf_curve_free(fc_eval_acf_curve *c) {
  if (!c) return;
  free(c->real);
  free(c->gen);
  free(c->band);
  memset(c, 0, sizeof *c);
}

/* The ACF difference; with curve != NULL also the curves it was computed from (the plots of
 * the report show exactly what the metric summed). */
static fc_status acf_diff_core(const int64_t *pos_r, const double *val_r, size_t nnz_r, size_t ns_r,
                               const int64_t *pos_g, const double *val_g, size_t nnz_g, size_t ns_g,
                               int max_lag, double *out, fc_eval_acf_curve *curve) {
  *out = NAN;
  if (curve) memset(curve, 0, sizeof *curve);
  if (max_lag < 0) return FC_ERROR(FC_ERR_ARG, "ACF: max lag %d", max_lag);
  if (ns_r < 2 || ns_g < 2) return FC_OK;
  int lr = ns_r - 1 < (size_t)max_lag ? (int)(ns_r - 1) : max_lag;
  int lg = ns_g - 1 < (size_t)lr ? (int)(ns_g - 1) : lr;
  size_t nl = (size_t)lr + 1;
  double *ar = NULL, *ag = NULL, *band = NULL, *raw_g = NULL;
  fc_status st = FC_OK;
  FC_CALL_GOTO(st, fci_malloc(nl * sizeof *ar, &ar), done);
  FC_CALL_GOTO(st, fci_malloc(nl * sizeof *ag, &ag), done);
  if (curve) {
    FC_CALL_GOTO(st, fci_malloc(nl * sizeof *band, &band), done);
    FC_CALL_GOTO(st, fci_malloc(nl * sizeof *raw_g, &raw_g), done);
  }
  FC_CALL_GOTO(st, fci_eval_acf_sparse(pos_r, val_r, nnz_r, ns_r, lr, 0, ar), done);
  FC_CALL_GOTO(st, fci_eval_acf_sparse(pos_g, val_g, nnz_g, ns_g, lg, 0, ag), done);
  for (int k = 0; k <= lr; k++) { /* statsmodels' NaN (constant series) and padding become 0 */
    if (raw_g) raw_g[k] = k > lg ? NAN : ag[k];
    if (k > lg || isnan(ag[k])) ag[k] = 0;
  }
  /* Bartlett: var_0 = 0, var_1 = 1/n, var_k = (1 + 2 sum_{j=1}^{k-1} acf_j^2) / n; a lag is
   * significant when 0 is outside or on the edge of acf_k +- z sqrt(var_k), tested as the
   * artifact does: (acf - w)(acf + w) >= 0, which is false for NaN. */
  double cum = 0, s = 0;
  for (int k = 0; k <= lr; k++) {
    double var = k == 0 ? 0 : (1 + (k >= 2 ? 2 * cum : 0)) / (double)ns_r;
    double w = Z95 * sqrt(var);
    if (band) band[k] = w;
    if ((ar[k] - w) * (ar[k] + w) >= 0) s += fabs(ar[k] - ag[k]);
    if (k >= 1) cum += ar[k] * ar[k];
  }
  *out = s / (double)ns_r;
  if (curve) {
    curve->nlags = lr;
    curve->n_real = ns_r;
    curve->n_gen = ns_g;
    curve->real = ar;
    curve->gen = raw_g;
    curve->band = band;
    ar = raw_g = band = NULL;
  }
done:
  free(ar);
  free(ag);
  free(band);
  free(raw_g);
  return st;
}

fc_status fci_eval_acf_diff_sparse(const int64_t *pos_r, const double *val_r, size_t nnz_r,
                                   size_t ns_r, const int64_t *pos_g, const double *val_g,
                                   size_t nnz_g, size_t ns_g, int max_lag, double *out) {
  return acf_diff_core(pos_r, val_r, nnz_r, ns_r, pos_g, val_g, nnz_g, ns_g, max_lag, out, NULL);
}

/* Non-zero entries of a dense series. */
static fc_status dense_to_sparse(const double *x, size_t n, int64_t **pos, double **val,
                                 size_t *nnz) {
  *pos = NULL;
  *val = NULL;
  FC_CALL(fci_malloc((n ? n : 1) * sizeof **pos, pos));
  fc_status st = fci_malloc((n ? n : 1) * sizeof **val, val);
  if (st != FC_OK) {
    free(*pos);
    *pos = NULL;
    return st;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (x[i] != 0) {
      (*pos)[k] = (int64_t)i;
      (*val)[k++] = x[i];
    }
  *nnz = k;
  return FC_OK;
}

fc_status fc_eval_acf(const double *x, size_t n, int nlags, double *acf) {
  int64_t *pos;
  double *val;
  size_t nnz;
  FC_CALL(dense_to_sparse(x, n, &pos, &val, &nnz));
  fc_status st = fci_eval_acf_sparse(pos, val, nnz, n, nlags, 0, acf);
  free(pos);
  free(val);
  return st;
}

fc_status fc_eval_acf_series_diff(const double *real, size_t nr, const double *gen, size_t ng,
                                  int max_lag, double *out) {
  int64_t *pr = NULL, *pg = NULL;
  double *vr = NULL, *vg = NULL;
  size_t zr, zg;
  fc_status st = FC_OK;
  FC_CALL_GOTO(st, dense_to_sparse(real, nr, &pr, &vr, &zr), done);
  FC_CALL_GOTO(st, dense_to_sparse(gen, ng, &pg, &vg, &zg), done);
  FC_CALL_GOTO(st, fci_eval_acf_diff_sparse(pr, vr, zr, nr, pg, vg, zg, ng, max_lag, out), done);
done:
  free(pr);
  free(vr);
  free(pg);
  free(vg);
  return st;
}

typedef struct sec_val {
  int64_t sec;
  double v;
} sec_val;

static int cmp_sec(const void *a, const void *b) {
  const sec_val *x = a, *y = b;
  if (x->sec != y->sec) return (x->sec > y->sec) - (x->sec < y->sec);
  return (x->v > y->v) - (x->v < y->v);
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Per-second sums of one sample as a sparse series, positions counted from its first second.
 * Sorting by (second, value) fixes the order of the additions inside a second whatever the
 * input order, so the bits of each sum depend only on the multiset of flows. */
static fc_status per_second(const int64_t *ts, const double *v, size_t n, int64_t **pos,
                            double **val, size_t *nnz, size_t *ns) {
  *pos = NULL;
  *val = NULL;
  *nnz = *ns = 0;
  if (n == 0) return FC_OK;
  sec_val *sv;
  FC_CALL(fci_malloc(n * sizeof *sv, &sv));
  for (size_t i = 0; i < n; i++) {
    sv[i].sec = floor_div(ts[i], 1000000);
    sv[i].v = v[i];
  }
  qsort(sv, n, sizeof *sv, cmp_sec);
  fc_status st = FC_OK;
  FC_CALL_GOTO(st, fci_malloc(n * sizeof **pos, pos), fail);
  FC_CALL_GOTO(st, fci_malloc(n * sizeof **val, val), fail);
  int64_t s0 = sv[0].sec;
  size_t k = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    double s = 0;
    while (j < n && sv[j].sec == sv[i].sec)
      s += sv[j++].v;
    if (s != 0) {
      (*pos)[k] = sv[i].sec - s0;
      (*val)[k++] = s;
    }
    i = j;
  }
  *nnz = k;
  *ns = (size_t)(sv[n - 1].sec - s0) + 1;
  free(sv);
  return FC_OK;
fail:
  free(sv);
  free(*pos);
  free(*val);
  *pos = NULL;
  *val = NULL;
  return st;
}

fc_status fc_eval_acf_diff_curve(const int64_t *ts_real, const double *real, size_t nr,
                                 const int64_t *ts_gen, const double *gen, size_t ng, int max_lag,
                                 double *out, fc_eval_acf_curve *curve) {
  *out = NAN;
  if (curve) memset(curve, 0, sizeof *curve);
  int64_t *pr = NULL, *pg = NULL;
  double *vr = NULL, *vg = NULL;
  size_t zr, zg, sr, sg;
  fc_status st = FC_OK;
  FC_CALL_GOTO(st, per_second(ts_real, real, nr, &pr, &vr, &zr, &sr), done);
  FC_CALL_GOTO(st, per_second(ts_gen, gen, ng, &pg, &vg, &zg, &sg), done);
  FC_CALL_GOTO(st, acf_diff_core(pr, vr, zr, sr, pg, vg, zg, sg, max_lag, out, curve), done);
done:
  free(pr);
  free(vr);
  free(pg);
  free(vg);
  return st;
}

fc_status fc_eval_acf_diff(const int64_t *ts_real, const double *real, size_t nr,
                           const int64_t *ts_gen, const double *gen, size_t ng, int max_lag,
                           double *out) {
  return fc_eval_acf_diff_curve(ts_real, real, nr, ts_gen, gen, ng, max_lag, out, NULL);
}

/* ---------------------------------------------------------------- next-value prediction */

/* Index of v in the sorted unique array u (n entries), or n when absent. */
static size_t find_u32(const uint32_t *u, size_t n, uint32_t v) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (u[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && u[lo] == v ? lo : n;
}

fc_status fc_eval_predict_accuracy(const uint32_t *train, size_t ntrain, const uint32_t *test,
                                   size_t ntest, double *acc) {
  *acc = NAN;
  if (ntrain < 2 || ntest < 2) return FC_OK;
  uint32_t *uniq = NULL, *prev = NULL, *best = NULL;
  uint64_t *freq = NULL, *trans = NULL;
  fc_status st = FC_OK;
  /* Overall frequency of each value: the fallback and the tie-break. */
  FC_CALL_GOTO(st, fci_malloc(ntrain * sizeof *uniq, &uniq), done);
  FC_CALL_GOTO(st, fci_malloc(ntrain * sizeof *freq, &freq), done);
  memcpy(uniq, train, ntrain * sizeof *uniq);
  qsort(uniq, ntrain, sizeof *uniq, fci_cmp_u32);
  size_t nu = 0;
  for (size_t i = 0; i < ntrain;) {
    size_t j = i;
    while (j < ntrain && uniq[j] == uniq[i])
      j++;
    uniq[nu] = uniq[i];
    freq[nu++] = j - i;
    i = j;
  }
  uint32_t fallback = uniq[0];
  uint64_t fbest = freq[0];
  for (size_t u = 1; u < nu; u++)
    if (freq[u] > fbest) fbest = freq[u], fallback = uniq[u];
  /* Transitions (previous, next) sorted; per previous value, the most frequent next. */
  size_t nt = ntrain - 1;
  FC_CALL_GOTO(st, fci_malloc(nt * sizeof *trans, &trans), done);
  FC_CALL_GOTO(st, fci_malloc(nt * sizeof *prev, &prev), done);
  FC_CALL_GOTO(st, fci_malloc(nt * sizeof *best, &best), done);
  for (size_t t = 1; t < ntrain; t++)
    trans[t - 1] = (uint64_t)train[t - 1] << 32 | train[t];
  qsort(trans, nt, sizeof *trans, fci_cmp_u64);
  size_t np = 0;
  for (size_t i = 0; i < nt;) {
    uint32_t a = (uint32_t)(trans[i] >> 32);
    uint32_t bb = 0;
    uint64_t bc = 0, bf = 0;
    while (i < nt && (uint32_t)(trans[i] >> 32) == a) {
      size_t j = i;
      while (j < nt && trans[j] == trans[i])
        j++;
      uint32_t b = (uint32_t)trans[i];
      uint64_t c = j - i, f = freq[find_u32(uniq, nu, b)];
      /* Successors come in increasing code order, so ">" keeps the smaller code on a full tie. */
      if (c > bc || (c == bc && f > bf)) bb = b, bc = c, bf = f;
      i = j;
    }
    prev[np] = a;
    best[np++] = bb;
  }
  size_t correct = 0;
  for (size_t t = 1; t < ntest; t++) {
    size_t p = find_u32(prev, np, test[t - 1]);
    correct += (p < np ? best[p] : fallback) == test[t];
  }
  *acc = (double)correct / (double)(ntest - 1);
done:
  free(uniq);
  free(freq);
  free(trans);
  free(prev);
  free(best);
  return st;
}
