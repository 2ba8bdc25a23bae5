/* MDL code lengths: the universal integer code, binomials, rising factorials and the KT code,
 * and the row, pattern, model and BN-structure costs of FLOWCHRONICLE.md section 4. */

/* lgamma_r is a BSD/glibc extension: plain lgamma writes the global signgam, a data race when
 * the miner scores candidates from several OpenMP threads. */
#define _DEFAULT_SOURCE
#include "flowchronicle/mdl.h"

#include <math.h>

/* Below this many terms a direct sum of logarithms is both faster than two lgamma_r calls and
 * accurate to a few ulp; above it lgamma_r keeps the cost O(1). */
#define RISING_DIRECT_MAX 8
#define BINOM_DIRECT_MAX 64

static const double LN2 = 0.69314718055994530941723212145817656807550013436026;

double fc_mdl_universal(uint64_t n) {
  if (n == 0) return INFINITY;
  double bits = log2(2.865064);
  double x = log2((double)n);
  while (x > 0.0) {
    bits += x;
    x = log2(x);
  }
  return bits;
}

static double log_gamma(double x) {
  int sign;
  return lgamma_r(x, &sign);
}

/* Stirling's series without its leading terms: ln Gamma(x) - ((x - 1/2) ln x - x + ln(2 pi)/2).
 * Truncated after x^-7; the next term is below 1e-16 for x >= 32. */
static double stirling_tail(double x) {
  const double z = 1.0 / x, z2 = z * z;
  return z * (1.0 / 12.0 - z2 * (1.0 / 360.0 - z2 * (1.0 / 1260.0 - z2 / 1680.0)));
}

/* ln Gamma(y + d) - ln Gamma(y) for y > 0, d >= 0. The plain difference of two lgamma values
 * loses everything above the ulp of ln Gamma(y + d) (~1e-6 at 1e9), which is most of the result
 * when d << y; for large y the Stirling form is rearranged so no large terms cancel:
 * (x - 1/2) ln x - (y - 1/2) ln y = d ln y + (x - 1/2) log1p(d / y), x = y + d. */
static double log_gamma_diff(double y, double d) {
  if (d == 0.0) return 0.0;
  if (y < 32.0) return log_gamma(y + d) - log_gamma(y);
  const double x = y + d;
  return d * log(y) + (x - 0.5) * log1p(d / y) - d + (stirling_tail(x) - stirling_tail(y));
}

double fc_mdl_log2_binom(uint64_t n, uint64_t k) {
  if (k > n) return -INFINITY;
  if (n - k < k) k = n - k;
  if (k == 0) return 0.0;
  if (k <= BINOM_DIRECT_MAX) {
    /* C(n, k) = prod_{i=1..k} (n - k + i) / i */
    double bits = 0.0;
    for (uint64_t i = 1; i <= k; i++)
      bits += log2((double)(n - k + i) / (double)i);
    return bits;
  }
  /* k <= n/2 here, so n - k + 1 is the large argument: C(n, k) = Gamma(n+1) / Gamma(n-k+1) / k! */
  const double kk = (double)k;
  return (log_gamma_diff((double)(n - k) + 1.0, kk) - log_gamma(kk + 1.0)) / LN2;
}

double fc_mdl_log2_rising(double a, uint64_t n) {
  if (n == 0) return 0.0;
  if (n <= RISING_DIRECT_MAX) {
    double bits = 0.0;
    for (uint64_t i = 0; i < n; i++)
      bits += log2((double)i + a);
    return bits;
  }
  return log_gamma_diff(a, (double)n) / LN2;
}

double fc_mdl_kt_bits(const uint64_t *counts, size_t n_values, uint32_t r) {
  return fc_mdl_kt_bits_strided(counts, n_values, 1, r);
}

double fc_mdl_kt_bits_strided(const uint64_t *counts, size_t n_values, size_t stride, uint32_t r) {
  uint64_t n = 0;
  double values_bits = 0.0;
  for (size_t v = 0; v < n_values; v++) {
    n += counts[v * stride];
    values_bits += fc_mdl_log2_rising(0.5, counts[v * stride]);
  }
  if (n == 0) return 0.0;
  return fc_mdl_log2_rising(0.5 * (double)r, n) - values_bits;
}

double fc_mdl_row_bits(int n_cols, int n_fix, int n_use, int n_set, int n_bound, bool first_row,
                       double fix_domain_bits) {
  const int c = n_cols, f = n_fix, u = n_use, s = n_set;
  if (c < 1 || f < 0 || u < 0 || s < 0 || n_bound < 0 || f + u + s > c) return NAN;
  double bits = log2((double)c) + fc_mdl_log2_binom((uint64_t)c, (uint64_t)f) + fix_domain_bits;
  if (!first_row && n_bound > 0 && c - f - s > 0)
    bits += log2((double)(c - f - s)) + fc_mdl_log2_binom((uint64_t)(c - f), (uint64_t)u) +
            (double)u * log2((double)n_bound);
  if (c - f - u > 0)
    bits += log2((double)(c - f - u)) + fc_mdl_log2_binom((uint64_t)(c - f - u), (uint64_t)s);
  return bits;
}

double fc_mdl_bn_structure_bits(int m, const int *n_parents, int max_indegree,
                                bool artifact_compat) {
  if (m <= 0) return 0.0;
  const double degree_bits =
      artifact_compat ? log2((double)max_indegree) : log2((double)max_indegree + 1.0);
  double bits = 0.0;
  for (int v = 0; v < m; v++)
    bits += degree_bits + fc_mdl_log2_binom((uint64_t)(m - 1), (uint64_t)n_parents[v]);
  return bits;
}

double fc_mdl_pattern_bits(int n_rows, const double *row_bits, double bn_structure_bits) {
  double bits = fc_mdl_universal((uint64_t)(n_rows > 0 ? n_rows : 0));
  for (int i = 0; i < n_rows; i++)
    bits += row_bits[i];
  return bits + bn_structure_bits;
}

double fc_mdl_model_bits(size_t n_patterns, const double *pattern_bits, double base_bn_bits) {
  double bits = fc_mdl_universal((uint64_t)n_patterns + 1);
  for (size_t i = 0; i < n_patterns; i++)
    bits += pattern_bits[i];
  return bits + base_bn_bits;
}

double fc_mdl_log2_span(uint64_t span_ticks) {
  return span_ticks <= 1 ? 0.0 : log2((double)span_ticks);
}
