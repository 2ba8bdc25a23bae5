/* Density and Coverage (Naeem et al. 2020) with an exact k-nearest-neighbour search.
 *
 * The points are one-hot columns and scaled numeric columns. A one-hot column never needs its
 * dense vector: two rows with different codes differ in exactly two dimensions by 1, so it adds 2
 * to the squared distance, and equal codes add 0. Squared distances are computed a block of
 * candidates at a time, column by column (contiguous loads the compiler vectorises), always in
 * the same order of columns, so a pair's distance is the same bits whoever computes it. OpenMP
 * splits the query points; each query's result (a k-th smallest value, a count) does not depend
 * on the order candidates are seen, and the counts are integers, so the result is identical for
 * any thread count. Comparisons are on squared distances: sqrt is monotone, so the strict "<"
 * of prdc is kept. */
#include <math.h>
#include <stdlib.h>

#include "eval_impl.h"
#include "flowchronicle/eval.h"

enum { BLOCK = 256, MAX_K = 64 };

/* d[t] = squared distance between point i of a and point j0 + t of b, t < len. The one-hot
 * part is an exact small integer (2 per differing column), then the numeric squares are added
 * in column order. */
static void dist_block(const fc_eval_points *a, size_t i, const fc_eval_points *b, size_t j0,
                       size_t len, double *d) {
  int32_t mis[BLOCK];
#pragma omp simd
  for (size_t t = 0; t < len; t++)
    mis[t] = 0;
  for (int c = 0; c < a->n_cat; c++) {
    const uint32_t ci = a->cat[c][i], *bc = b->cat[c] + j0;
#pragma omp simd
    for (size_t t = 0; t < len; t++)
      mis[t] += bc[t] != ci;
  }
#pragma omp simd
  for (size_t t = 0; t < len; t++)
    d[t] = 2.0 * mis[t];
  for (int c = 0; c < a->n_num; c++) {
    const double xi = a->num[c][i], *bx = b->num[c] + j0;
#pragma omp simd
    for (size_t t = 0; t < len; t++) {
      double u = bx[t] - xi;
      d[t] += u * u;
    }
  }
}

fc_status fc_eval_density_coverage(const fc_eval_points *real, const fc_eval_points *gen, int k,
                                   double *density, double *coverage) {
  *density = *coverage = NAN;
  if (k < 1 || k > MAX_K)
    return FC_ERROR(FC_ERR_ARG, "k = %d nearest neighbours (1..%d)", k, MAX_K);
  if (real->n_cat != gen->n_cat || real->n_num != gen->n_num)
    return FC_ERROR(FC_ERR_ARG, "real and generated points have different columns");
  if (real->n <= (size_t)k)
    return FC_ERROR(FC_ERR_ARG, "Density/Coverage need more than k = %d real points, got %zu", k,
                    real->n);
  if (gen->n == 0) return FC_OK;
  size_t n = real->n, m = gen->n;
  double *radius2;
  FC_CALL(fci_malloc(n * sizeof *radius2, &radius2));

  /* Radius of each real point: its k-th smallest squared distance to the other real points
   * (prdc takes the (k+1)-th including the point itself at distance 0: the same value). */
#pragma omp parallel for schedule(dynamic, 16)
  for (size_t i = 0; i < n; i++) {
    double d[BLOCK], top[MAX_K];
    for (int q = 0; q < k; q++)
      top[q] = INFINITY;
    for (size_t j0 = 0; j0 < n; j0 += BLOCK) {
      size_t len = n - j0 < BLOCK ? n - j0 : BLOCK;
      dist_block(real, i, real, j0, len, d);
      if (i >= j0 && i < j0 + len) d[i - j0] = INFINITY;
      for (size_t t = 0; t < len; t++) {
        double v = d[t];
        if (v >= top[k - 1]) continue;
        int p = k - 1;
        while (p > 0 && top[p - 1] > v) {
          top[p] = top[p - 1];
          p--;
        }
        top[p] = v;
      }
    }
    radius2[i] = top[k - 1];
  }

  /* For each real ball, how many generated points fall strictly inside. Density sums these
   * counts; Coverage counts the balls with at least one. */
  unsigned long long inside = 0, covered = 0;
#pragma omp parallel for schedule(dynamic, 16) reduction(+ : inside, covered)
  for (size_t i = 0; i < n; i++) {
    double d[BLOCK];
    const double r2 = radius2[i];
    unsigned long long c = 0;
    for (size_t j0 = 0; j0 < m; j0 += BLOCK) {
      size_t len = m - j0 < BLOCK ? m - j0 : BLOCK;
      dist_block(real, i, gen, j0, len, d);
      for (size_t t = 0; t < len; t++)
        c += d[t] < r2;
    }
    inside += c;
    covered += c > 0;
  }
  free(radius2);
  *density = (double)inside / ((double)k * (double)m);
  *coverage = (double)covered / (double)n;
  return FC_OK;
}
