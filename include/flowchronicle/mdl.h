/* Code lengths of the MDL score, in bits (FLOWCHRONICLE.md section 4).
 *
 * Everything here is a pure function of integers: the miner sums integer counts over ranks first
 * and takes logarithms only after the reduction, so a score never depends on how the data was
 * split. The functions are thread-safe (no global state; lgamma_r, not lgamma) and give the same
 * bits for the same arguments on every call. */
#ifndef FLOWCHRONICLE_MDL_H
#define FLOWCHRONICLE_MDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Rissanen's universal code for integers n >= 1: log2(2.865064) + log2 n + log2 log2 n + ...,
 * positive terms only. L_N(1) = log2(2.865064). Returns +INFINITY for n = 0 (not encodable). */
double fc_mdl_universal(uint64_t n);

/* log2 of the binomial coefficient C(n, k). A sum of log terms when min(k, n-k) <= 64, log-gamma
 * differences otherwise, arranged so that nothing large cancels (relative error ~1e-15 up to
 * n = 1e9 and beyond). C(n, 0) = C(n, n)
 * = 1 gives 0; k > n gives -INFINITY (the coefficient is 0). */
double fc_mdl_log2_binom(uint64_t n, uint64_t k);

/* sum_{i<n} log2(i + a) = log2(Gamma(n + a) / Gamma(a)), a > 0 (the log of a rising factorial).
 * A direct sum for n <= 8, log-gamma differences beyond (cancellation-free when a is large and n
 * small against it); 0 for n = 0. */
double fc_mdl_log2_rising(double a, uint64_t n);

/* Krichevsky-Trofimov code length of one parent configuration's counts over a variable of
 * cardinality r (r >= 1 and at least the number of non-zero counts; values never observed may
 * be left out of `counts`, they contribute nothing):
 *   sum_{i<n} log2(i + r/2) - sum_v sum_{j<n_v} log2(j + 1/2),  n = sum_v n_v.
 * Computed exactly as fc_mdl_log2_rising(r/2, n) - (sum over v in order of
 * fc_mdl_log2_rising(1/2, n_v)), so equal count vectors give bit-identical results. With r = 1
 * the two terms are the same computation and the result is exactly 0. */
double fc_mdl_kt_bits(const uint64_t *counts, size_t n_values, uint32_t r);

/* The same over counts[0], counts[stride], ..., counts[(n_values - 1) * stride], for counts kept
 * inside larger records (the BN count tables); bit-identical to fc_mdl_kt_bits on the same
 * values. */
double fc_mdl_kt_bits_strided(const uint64_t *counts, size_t n_values, size_t stride, uint32_t r);

/* Code length of one row pattern with C = n_cols flow columns (timestamp excluded) of which
 * F = n_fix are FIX, U = n_use are USE and S = n_set are SET cells; n_bound is the number of
 * variables bound by SET cells of earlier rows; fix_domain_bits is the sum over the FIX cells of
 * log2 |domain(column)|:
 *   log2 C + log2 C(C, F) + fix_domain_bits
 *   + [!first_row and n_bound > 0 and C-F-S > 0] (log2(C-F-S) + log2 C(C-F, U) + U log2 n_bound)
 *   + [C-F-U > 0] (log2(C-F-U) + log2 C(C-F-U, S)).
 * Returns NAN for inconsistent counts (negative, or F + U + S > C, or n_cols < 1). */
double fc_mdl_row_bits(int n_cols, int n_fix, int n_use, int n_set, int n_bound, bool first_row,
                       double fix_domain_bits);

/* Code length of a BN structure over m nodes where node v has n_parents[v] parents:
 *   sum_v (log2(max_indegree + 1) + log2 C(m - 1, n_parents[v])).
 * max_indegree is the configured maximum (3), not the largest in-degree present. With
 * artifact_compat the first term is log2(max_indegree), as the authors' artifact writes it
 * (their code choosing k in 0..max_indegree needs max_indegree + 1 symbols). m = 0 gives 0. */
double fc_mdl_bn_structure_bits(int m, const int *n_parents, int max_indegree,
                                bool artifact_compat);

/* L(p) = L_N(n_rows) + sum of row_bits[0..n_rows) (in order) + bn_structure_bits. */
double fc_mdl_pattern_bits(int n_rows, const double *row_bits, double bn_structure_bits);

/* L(M) = L_N(n_patterns + 1) + sum of pattern_bits (in order) + base_bn_bits, where
 * base_bn_bits is the structure code length of the base (empty-pattern) BN. */
double fc_mdl_model_bits(size_t n_patterns, const double *pattern_bits, double base_bn_bits);

/* log2 of a time span in ticks (t_max - t_min), the cost of placing one window start or one
 * uncovered flow; spans 0 and 1 cost 0 bits (nothing to choose). */
double fc_mdl_log2_span(uint64_t span_ticks);

#endif
