/* Membership disclosure (MD, the paper's novelty score): how well "some generated flow is close"
 * tells training flows (members) from held-out ones. Rows arrive already discretised (codes per
 * column, continuous columns binned by fc_eval_quantile_edges); the Hamming share is the number
 * of differing columns over the column count. Only each real row's smallest distance to the
 * generated rows matters for every radius, so it is computed once (OpenMP over real rows, an
 * integer per row) and the radii are a cheap sweep. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_impl.h"
#include "flowchronicle/eval.h"

/* numpy's linear quantile with its _lerp (interpolates from the nearer end), on sorted x. */
static double quantile_sorted(const double *x, size_t n, double q) {
  double vi = q * (double)(n - 1), lo = floor(vi);
  size_t i = (size_t)lo, i1 = i + 1 < n ? i + 1 : n - 1;
  double t = vi - lo, a = x[i], b = x[i1], d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

fc_status fc_eval_quantile_edges(const double *x, size_t n, int bins, double *edges, int *n_edges,
                                 bool *binned) {
  *binned = false;
  *n_edges = 0;
  if (bins < 1) return FC_ERROR(FC_ERR_ARG, "MD: %d quantile bins", bins);
  if (n == 0) return FC_OK;
  double *s;
  FC_CALL(fci_malloc(n * sizeof *s, &s));
  memcpy(s, x, n * sizeof *s);
  qsort(s, n, sizeof *s, fci_cmp_double);
  size_t distinct = 1;
  for (size_t i = 1; i < n; i++)
    distinct += s[i] != s[i - 1];
  if (distinct > (size_t)bins) {
    /* pandas.qcut(x, bins, duplicates="drop"): quantiles at linspace(0, 1, bins + 1). */
    int ne = 0;
    double step = 1.0 / bins;
    for (int q = 0; q <= bins; q++) {
      double e = quantile_sorted(s, n, q == bins ? 1.0 : q * step);
      if (ne == 0 || e != edges[ne - 1]) edges[ne++] = e;
    }
    *n_edges = ne;
    *binned = true;
  }
  free(s);
  return FC_OK;
}

uint64_t fc_eval_quantile_code(const double *edges, int n_edges, double v) {
  /* Intervals (e0, e1], (e1, e2], ...; v == e0 belongs to the first (include_lowest). */
  int lo = 0, hi = n_edges; /* first edge >= v */
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (edges[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo == 0 ? 0 : (uint64_t)(lo - 1);
}

fc_status fc_eval_md(const uint64_t *const *members, size_t n_mem,
                     const uint64_t *const *nonmembers, size_t n_non, const uint64_t *const *gen,
                     size_t n_gen, int ncols, int nradii, double *out) {
  *out = NAN;
  if (ncols < 1 || nradii < 1)
    return FC_ERROR(FC_ERR_ARG, "MD: %d columns, %d radii", ncols, nradii);
  if (n_mem == 0 || n_gen == 0) return FC_OK;
  size_t nreal = n_non + n_mem;
  int *dmin;
  FC_CALL(fci_malloc(nreal * sizeof *dmin, &dmin));
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < nreal; i++) {
    const uint64_t *const *rows = i < n_non ? nonmembers : members;
    size_t r = i < n_non ? i : i - n_non;
    int best = ncols;
    for (size_t j = 0; j < n_gen && best > 0; j++) {
      int d = 0;
      for (int c = 0; c < ncols; c++)
        d += rows[c][r] != gen[c][j];
      if (d < best) best = d;
    }
    dmin[i] = best;
  }
  /* Radii and Hamming shares as numpy forms them (linspace: k * step; mean of booleans), so the
   * "<=" at the radii that equal a share exactly decides the same way. */
  double step = nradii > 1 ? 1.0 / (nradii - 1) : 0, score = 0;
  for (int k = 0; k < nradii; k++) {
    double r = (nradii > 1 && k == nradii - 1) ? 1.0 : k * step;
    size_t predicted = 0, tp = 0;
    for (size_t i = 0; i < nreal; i++) {
      if ((double)dmin[i] / ncols <= r) {
        predicted++;
        tp += i >= n_non;
      }
    }
    if (predicted == 0) continue;
    double recall = (double)tp / (double)n_mem, precision = (double)tp / (double)predicted;
    /* The artifact's 0/0 gives NaN and poisons the sum; a radius with no right guess scores 0. */
    if (tp > 0) score += 2 * recall * precision / (recall + precision);
  }
  free(dmin);
  *out = score;
  return FC_OK;
}
