/* Distribution metrics on plain arrays: Jensen-Shannon distance of discrete columns, the two
 * EMD variants of continuous columns, the pairwise correlation difference (PCD) and the
 * contingency matrix difference (CMD). Everything is sort-and-merge in a fixed order, so the
 * floating-point sums are reproducible; the inputs are 10,000-row samples and need no threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_impl.h"
#include "flowchronicle/eval.h"

fc_status fc_eval_jsd(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, double *out) {
  *out = NAN;
  if (na == 0 || nb == 0) return FC_OK;
  uint32_t *sa = NULL, *sb = NULL;
  fc_status st = FC_OK;
  FC_CALL_GOTO(st, fci_malloc(na * sizeof *sa, &sa), done);
  FC_CALL_GOTO(st, fci_malloc(nb * sizeof *sb, &sb), done);
  memcpy(sa, a, na * sizeof *sa);
  memcpy(sb, b, nb * sizeof *sb);
  qsort(sa, na, sizeof *sa, fci_cmp_u32);
  qsort(sb, nb, sizeof *sb, fci_cmp_u32);
  /* scipy.spatial.distance.jensenshannon: p, q normalised, m = (p + q) / 2, sqrt of the mean of
   * the two relative entropies to m. Values present on one side only contribute p ln 2. */
  double js = 0;
  size_t i = 0, j = 0;
  while (i < na || j < nb) {
    uint32_t v = (j >= nb || (i < na && sa[i] <= sb[j])) ? sa[i] : sb[j];
    size_t ca = 0, cb = 0;
    while (i < na && sa[i] == v)
      ca++, i++;
    while (j < nb && sb[j] == v)
      cb++, j++;
    double p = (double)ca / (double)na, q = (double)cb / (double)nb, m = (p + q) / 2;
    if (p > 0) js += p * log(p / m);
    if (q > 0) js += q * log(q / m);
  }
  *out = sqrt(js > 0 ? js / 2 : 0);
done:
  free(sa);
  free(sb);
  return st;
}

/* numpy's linear percentile (method "linear", with its _lerp that interpolates from the nearer
 * end) of sorted x. */
static double percentile_sorted(const double *x, size_t n, double q) {
  double vi = q * (double)(n - 1);
  double lo = floor(vi);
  size_t i = (size_t)lo, i1 = i + 1 < n ? i + 1 : n - 1;
  double t = vi - lo, a = x[i], b = x[i1], d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/* Bin of v under linspace(first, last, nb + 1) with np.histogram's rule: [e_k, e_k+1), the
 * last bin closed. The caller ensures first <= v <= last. Edge k is k * step + first, exactly
 * as numpy's linspace computes it, so the boundary decisions match. */
static double fd_bin(double v, double first, double last, double step, double nb) {
  if (v >= last) return nb - 1;
  double k = floor((v - first) / step);
  if (k < 0) k = 0;
  if (k > nb - 1) k = nb - 1;
  while (k > 0 && v < k * step + first)
    k -= 1;
  while (k < nb - 1 && v >= (k + 1) * step + first)
    k += 1;
  return k;
}

static fc_status emd_artifact(const double *sr, size_t nr, const double *sg, size_t ng,
                              bool integer_valued, double *out) {
  double first = sr[0], last = sr[nr - 1];
  if (first == last) {
    first -= 0.5;
    last += 0.5;
  }
  double iqr = percentile_sorted(sr, nr, 0.75) - percentile_sorted(sr, nr, 0.25);
  double width = 2.0 * iqr * pow((double)nr, -1.0 / 3.0);
  double nb = 1;
  if (width > 0) {
    if (integer_valued && width < 1) width = 1;
    nb = ceil((last - first) / width);
  }
  if (!(nb >= 1) || nb > 9007199254740992.0)
    return FC_ERROR(FC_ERR_LIMIT, "Freedman-Diaconis rule gives %g bins", nb);
  double step = (last - first) / nb;
  /* Both ECDFs are step functions of the bin index that only change at occupied bins: sweep the
   * occupied bins in order instead of materialising every bin (there can be billions). */
  double sum = 0, prev = 0;
  size_t i = 0, j = 0, cr = 0, cg = 0;
  while (j < ng && sg[j] < first)
    j++; /* outside the real range: not counted by np.histogram */
  size_t gend = ng;
  while (gend > j && sg[gend - 1] > last)
    gend--;
  double bi = i < nr ? fd_bin(sr[i], first, last, step, nb) : nb;
  double bj = j < gend ? fd_bin(sg[j], first, last, step, nb) : nb;
  while (i < nr || j < gend) {
    double k = bi < bj ? bi : bj;
    sum += (k - prev) * fabs((double)cr / (double)nr - (double)cg / (double)ng);
    while (i < nr && bi == k) {
      cr++;
      i++;
      bi = i < nr ? fd_bin(sr[i], first, last, step, nb) : nb;
    }
    while (j < gend && bj == k) {
      cg++;
      j++;
      bj = j < gend ? fd_bin(sg[j], first, last, step, nb) : nb;
    }
    prev = k;
  }
  sum += (nb - prev) * fabs((double)cr / (double)nr - (double)cg / (double)ng);
  *out = sum / nb;
  return FC_OK;
}

/* W1 = integral of |F_r - F_g| over x, on the merged sorted values, then divided by the joint
 * range (min-max scaling multiplies every distance by 1 / range). */
static double wasserstein1(const double *sr, size_t nr, const double *sg, size_t ng) {
  double lo = sr[0] < sg[0] ? sr[0] : sg[0];
  double hi = sr[nr - 1] > sg[ng - 1] ? sr[nr - 1] : sg[ng - 1];
  if (!(hi > lo)) return 0;
  double sum = 0, prev = lo;
  size_t i = 0, j = 0;
  while (i < nr || j < ng) {
    double v = (j >= ng || (i < nr && sr[i] <= sg[j])) ? sr[i] : sg[j];
    sum += (v - prev) * fabs((double)i / (double)nr - (double)j / (double)ng);
    while (i < nr && sr[i] == v)
      i++;
    while (j < ng && sg[j] == v)
      j++;
    prev = v;
  }
  return sum / (hi - lo);
}

fc_status fc_eval_emd(const double *real, size_t nr, const double *gen, size_t ng,
                      bool integer_valued, double *artifact, double *w1) {
  if (artifact) *artifact = NAN;
  if (w1) *w1 = NAN;
  if (nr == 0 || ng == 0) return FC_OK;
  for (size_t i = 0; i < nr; i++)
    if (!isfinite(real[i])) return FC_ERROR(FC_ERR_ARG, "EMD: non-finite real value");
  for (size_t i = 0; i < ng; i++)
    if (!isfinite(gen[i])) return FC_ERROR(FC_ERR_ARG, "EMD: non-finite generated value");
  double *sr = NULL, *sg = NULL;
  fc_status st = FC_OK;
  FC_CALL_GOTO(st, fci_malloc(nr * sizeof *sr, &sr), done);
  FC_CALL_GOTO(st, fci_malloc(ng * sizeof *sg, &sg), done);
  memcpy(sr, real, nr * sizeof *sr);
  memcpy(sg, gen, ng * sizeof *sg);
  qsort(sr, nr, sizeof *sr, fci_cmp_double);
  qsort(sg, ng, sizeof *sg, fci_cmp_double);
  if (artifact) FC_CALL_GOTO(st, emd_artifact(sr, nr, sg, ng, integer_valued, artifact), done);
  if (w1) *w1 = wasserstein1(sr, nr, sg, ng);
done:
  free(sr);
  free(sg);
  return st;
}

/* Pearson correlation matrix (ncols x ncols) of min-max scaled columns, as np.corrcoef: the
 * covariance divided by both standard deviations, clipped to [-1, 1], NaN (constant column or
 * fewer than 2 rows) replaced by 0. */
static void corr_matrix(const double *const *cols, size_t n, int ncols, const double *lo,
                        const double *range, double *scaled, double *c) {
  for (int a = 0; a < ncols; a++) {
    double *s = scaled + (size_t)a * n, mean = 0;
    for (size_t i = 0; i < n; i++) {
      s[i] = range[a] > 0 ? (cols[a][i] - lo[a]) / range[a] : 0;
      mean += s[i];
    }
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
      s[i] -= mean;
  }
  for (int a = 0; a < ncols; a++)
    for (int b = a; b < ncols; b++) {
      const double *x = scaled + (size_t)a * n, *y = scaled + (size_t)b * n;
      double s = 0;
      for (size_t i = 0; i < n; i++)
        s += x[i] * y[i];
      c[a * ncols + b] = c[b * ncols + a] = s / (double)(n - 1);
    }
  double sd[64];
  for (int a = 0; a < ncols; a++)
    sd[a] = sqrt(c[a * ncols + a]);
  for (int a = 0; a < ncols; a++)
    for (int b = 0; b < ncols; b++) {
      double v = c[a * ncols + b] / sd[a] / sd[b];
      if (isnan(v) || n < 2) v = 0;
      c[a * ncols + b] = v > 1 ? 1 : v < -1 ? -1 : v;
    }
}

fc_status fc_eval_pcd(const double *const *real, size_t nr, const double *const *gen, size_t ng,
                      int ncols, double *out) {
  *out = NAN;
  if (ncols < 1 || ncols > 64) return FC_ERROR(FC_ERR_ARG, "PCD: %d columns (1..64)", ncols);
  if (nr == 0 || ng == 0) return FC_OK;
  double lo[64], range[64], cr[64 * 64], cg[64 * 64];
  for (int a = 0; a < ncols; a++) {
    double mn = real[a][0], mx = real[a][0];
    for (size_t i = 0; i < nr; i++) {
      if (!isfinite(real[a][i])) return FC_ERROR(FC_ERR_ARG, "PCD: non-finite value");
      mn = fmin(mn, real[a][i]);
      mx = fmax(mx, real[a][i]);
    }
    for (size_t i = 0; i < ng; i++) {
      if (!isfinite(gen[a][i])) return FC_ERROR(FC_ERR_ARG, "PCD: non-finite value");
      mn = fmin(mn, gen[a][i]);
      mx = fmax(mx, gen[a][i]);
    }
    lo[a] = mn;
    range[a] = mx - mn;
  }
  double *scaled;
  size_t nmax = nr > ng ? nr : ng;
  FC_CALL(fci_malloc((size_t)ncols * nmax * sizeof *scaled, &scaled));
  corr_matrix(real, nr, ncols, lo, range, scaled, cr);
  corr_matrix(gen, ng, ncols, lo, range, scaled, cg);
  free(scaled);
  double s = 0;
  for (int i = 0; i < ncols * ncols; i++)
    s += (cr[i] - cg[i]) * (cr[i] - cg[i]);
  *out = sqrt(s);
  return FC_OK;
}

fc_status fc_eval_cmd(const uint32_t *const *real, size_t nr, const uint32_t *const *gen, size_t ng,
                      int ncols, double *out) {
  *out = NAN;
  if (ncols < 2 || nr == 0 || ng == 0) return FC_OK;
  uint64_t *kr = NULL, *kg = NULL;
  fc_status st = FC_OK;
  FC_CALL_GOTO(st, fci_malloc(nr * sizeof *kr, &kr), done);
  FC_CALL_GOTO(st, fci_malloc(ng * sizeof *kg, &kg), done);
  double total = 0;
  int pairs = 0;
  for (int a = 0; a < ncols; a++)
    for (int b = a + 1; b < ncols; b++) {
      /* A contingency cell is the pair of codes; cells empty on both sides add nothing. */
      for (size_t i = 0; i < nr; i++)
        kr[i] = (uint64_t)real[a][i] << 32 | real[b][i];
      for (size_t i = 0; i < ng; i++)
        kg[i] = (uint64_t)gen[a][i] << 32 | gen[b][i];
      qsort(kr, nr, sizeof *kr, fci_cmp_u64);
      qsort(kg, ng, sizeof *kg, fci_cmp_u64);
      double s = 0;
      size_t i = 0, j = 0;
      while (i < nr || j < ng) {
        uint64_t v = (j >= ng || (i < nr && kr[i] <= kg[j])) ? kr[i] : kg[j];
        size_t ca = 0, cb = 0;
        while (i < nr && kr[i] == v)
          ca++, i++;
        while (j < ng && kg[j] == v)
          cb++, j++;
        double d = (double)ca / (double)nr - (double)cb / (double)ng;
        s += d * d;
      }
      total += sqrt(s);
      pairs++;
    }
  *out = total / pairs;
done:
  free(kr);
  free(kg);
  return st;
}
