/* MDL code lengths against values worked out by hand (arithmetic in the comments), and the
 * lgamma shortcuts against direct sums and high-precision references. */
#include <math.h>
#include <stdio.h>

#include "flowchronicle/mdl.h"
#include "testutil.h"

/* log2(2.865064) = ln(2.865064) / ln 2 = 1.05258... / 0.693147... = 1.5185673663648... */
#define LOG2_C0 1.5185673663648482

static void assert_close(double got, double want, double rel) {
  double tol = rel * fmax(1.0, fabs(want));
  if (!(fabs(got - want) <= tol)) {
    fprintf(stderr, "got %.17g want %.17g (tolerance %.3g)\n", got, want, tol);
    fail();
  }
}

static void universal_code(void **state) {
  (void)state;
  /* n = 1: log2 1 = 0 stops the series at once: L_N(1) = log2(2.865064). */
  assert_close(fc_mdl_universal(1), LOG2_C0, 1e-15);
  /* n = 2: log2 2 = 1, log2 1 = 0 stops: 1.51857 + 1 = 2.51857. */
  assert_close(fc_mdl_universal(2), LOG2_C0 + 1.0, 1e-15);
  /* n = 16: log2 16 = 4, log2 4 = 2, log2 2 = 1, log2 1 = 0 stops: 1.51857 + 7 = 8.51857. */
  assert_close(fc_mdl_universal(16), LOG2_C0 + 7.0, 1e-15);
  /* n = 65536: 16 + 4 + 2 + 1 = 23. */
  assert_close(fc_mdl_universal(65536), LOG2_C0 + 23.0, 1e-15);
  /* n = 3: log2 3 = 1.5849625, log2 1.5849625 = 0.6644487, log2 0.6644811 < 0 stops. */
  assert_close(fc_mdl_universal(3), LOG2_C0 + 1.5849625007211562 + 0.6644487074538893, 1e-14);
  assert_true(isinf(fc_mdl_universal(0)));
  /* Longer integers cost more. */
  for (uint64_t n = 1; n < 5000; n++)
    assert_true(fc_mdl_universal(n + 1) >= fc_mdl_universal(n));
}

static void binomials(void **state) {
  (void)state;
  assert_close(fc_mdl_log2_binom(7, 0), 0.0, 0);
  assert_close(fc_mdl_log2_binom(7, 7), 0.0, 0);
  assert_close(fc_mdl_log2_binom(0, 0), 0.0, 0);
  assert_true(isinf(fc_mdl_log2_binom(3, 4)) && fc_mdl_log2_binom(3, 4) < 0);
  /* C(4, 2) = 6: log2 6 = 1 + log2 3 = 2.584962500721156. */
  assert_close(fc_mdl_log2_binom(4, 2), 2.584962500721156, 1e-15);
  /* C(10, 3) = 10*9*8 / 6 = 120: log2 120 = 3 + log2 15 = 6.906890595608519. */
  assert_close(fc_mdl_log2_binom(10, 3), 6.906890595608519, 1e-15);
  assert_close(fc_mdl_log2_binom(10, 7), 6.906890595608519, 1e-15);
  /* C(52, 5) = 52*51*50*49*48 / 120 = 2598960: log2 = 21.309502999115157. */
  assert_close(fc_mdl_log2_binom(52, 5), 21.309502999115157, 1e-15);
  /* C(1e9, 3) = 1e9 * (1e9 - 1) * (1e9 - 2) / 6 ~ 1.6667e26: log2 = 87.107096... (the
   * exact integer's log2, Python math.log2(math.comb(10**9, 3))). */
  assert_close(fc_mdl_log2_binom(1000000000, 3), 87.10709605690954, 1e-14);
  /* Past the direct-sum range: lgamma. C(2000, 1000) from the exact integer. */
  assert_close(fc_mdl_log2_binom(2000, 1000), 1994.1911794560601, 1e-13);
  /* C(2n, n) ~ 4^n / sqrt(pi n) (1 - 1/(8n)): n = 5e8 gives 1e9 - 0.5 log2(pi 5e8) - 4e-10
   * = 999999984.7255755; 40-digit mpmath gives 999999984.72557550791. */
  assert_close(fc_mdl_log2_binom(1000000000, 500000000), 999999984.7255755079, 1e-13);
  assert_close(fc_mdl_log2_binom(1000000000, 12345), 219095.87363872495, 1e-13);
  assert_close(fc_mdl_log2_binom(987654321, 123456789), 536853753.24062517, 1e-13);
  /* Pascal's rule holds through the direct/lgamma switch: C(n,k) = C(n-1,k-1) + C(n-1,k). */
  for (uint64_t n = 60; n < 140; n += 7)
    for (uint64_t k = 1; k < n; k += 5) {
      double a = exp2(fc_mdl_log2_binom(n - 1, k - 1)), b = exp2(fc_mdl_log2_binom(n - 1, k));
      assert_close(fc_mdl_log2_binom(n, k), log2(a + b), 1e-12);
    }
}

static void rising_factorial(void **state) {
  (void)state;
  const double as[] = {0.5, 1.0, 1.5, 2.5, 7.0, 2500.0};
  for (size_t ai = 0; ai < sizeof as / sizeof as[0]; ai++) {
    double direct = 0.0;
    for (uint64_t n = 0; n <= 3000; n++) {
      /* direct = sum_{i<n} log2(i + a) */
      assert_close(fc_mdl_log2_rising(as[ai], n), direct, 1e-9);
      direct += log2((double)n + as[ai]);
    }
  }
  /* Large arguments against 40-digit mpmath (loggamma(n + a) - loggamma(a)) / ln 2. */
  assert_close(fc_mdl_log2_rising(2500.0, 1000000000), 28454707934.635724, 1e-13);
  assert_close(fc_mdl_log2_rising(0.5, 123456789), 3140337736.3638536, 1e-13);
}

static void kt_code(void **state) {
  (void)state;
  /* {1}, r = 2: log2(0 + 1) - log2(0 + 1/2) = 0 + 1 = 1 bit. */
  uint64_t c1[] = {1};
  assert_close(fc_mdl_kt_bits(c1, 1, 2), 1.0, 1e-15);
  /* {1, 1}, r = 2: log2(1) + log2(2) - 2 log2(1/2) = 0 + 1 + 2 = 3 bits. */
  uint64_t c2[] = {1, 1};
  assert_close(fc_mdl_kt_bits(c2, 2, 2), 3.0, 1e-15);
  /* {2}, r = 2: log2(1) + log2(2) - (log2(1/2) + log2(3/2)) = 1 - (-1 + 0.5849625)
   * = log2(2 / (1/2 * 3/2)) = log2(8/3) = 1.415037499278844. */
  uint64_t c3[] = {2};
  assert_close(fc_mdl_kt_bits(c3, 1, 2), 1.415037499278844, 1e-15);
  /* {2, 1}, r = 3: log2(1.5 * 2.5 * 3.5) - log2(0.5 * 1.5) - log2(0.5)
   * = log2(13.125 / 0.375) = log2 35 = 5.129283016944966. */
  uint64_t c4[] = {2, 1};
  assert_close(fc_mdl_kt_bits(c4, 2, 3), 5.129283016944966, 1e-15);
  /* Unlisted values (zero counts, or a larger r) cost nothing by themselves: {2, 0, 1}, r = 3
   * is the same as {2, 1}; {1} with r = 4: log2(2) - log2(1/2) = 2 bits. */
  uint64_t c5[] = {2, 0, 1};
  assert_close(fc_mdl_kt_bits(c5, 3, 3), 5.129283016944966, 1e-15);
  assert_close(fc_mdl_kt_bits(c1, 1, 4), 2.0, 1e-15);
  /* A constant variable (r = 1) costs exactly 0 bits at any count, lgamma range included. */
  uint64_t c6[] = {123456};
  assert_true(fc_mdl_kt_bits(c6, 1, 1) == 0.0);
  assert_true(fc_mdl_kt_bits(c1, 1, 1) == 0.0);
  assert_true(fc_mdl_kt_bits(NULL, 0, 7) == 0.0);
  /* Large counts: the lgamma form against the direct sequential sum. */
  uint64_t c7[] = {700, 0, 1300, 5};
  double direct = 0.0;
  for (uint64_t i = 0; i < 2005; i++)
    direct += log2((double)i + 2.5);
  for (size_t v = 0; v < 4; v++)
    for (uint64_t j = 0; j < c7[v]; j++)
      direct -= log2((double)j + 0.5);
  assert_close(fc_mdl_kt_bits(c7, 4, 5), direct, 1e-9);
}

static void row_cost(void **state) {
  (void)state;
  /* C = 10 columns, a second row with F = 2 FIX cells (domains 5 and 40), U = 1 USE,
   * S = 1 SET, 2 variables bound by earlier rows:
   *   log2 10 + log2 C(10,2) + log2 5 + log2 40       = log2(10 * 45 * 200)  = log2 90000
   *   + log2(10-2-1) + log2 C(8,1) + 1 * log2 2       = log2 7 + 3 + 1
   *   + log2(10-2-1) + log2 C(7,1)                    = log2 7 + log2 7
   *   = log2(90000 * 343) + 4 = log2 30870000 + 4 = 24.879702147... + 4 = 28.879702147164576 */
  double fix = log2(5.0) + log2(40.0);
  assert_close(fc_mdl_row_bits(10, 2, 1, 1, 2, false, fix), 28.879702147164576, 1e-14);
  /* The same cells in a first row: the USE block is skipped:
   *   log2 90000 + log2 7 + log2 7 = log2 4410000 = 22.07231...  */
  assert_close(fc_mdl_row_bits(10, 2, 1, 1, 2, true, fix), log2(4410000.0), 1e-14);
  /* First row, 2 FIX cells of domain 4 each, nothing else, C = 3:
   *   log2 3 + log2 C(3,2) + 2 + 2 + [C-F-U = 1 > 0] (log2 1 + log2 C(1,0)) = 2 log2 3 + 4. */
  assert_close(fc_mdl_row_bits(3, 2, 0, 0, 0, true, 4.0), 2.0 * log2(3.0) + 4.0, 1e-14);
  /* A row of only FIX cells: C-F-U = 0 drops the last block: log2 2 + log2 C(2,2) + 3 = 4. */
  assert_close(fc_mdl_row_bits(2, 2, 0, 0, 0, true, 3.0), 4.0, 1e-15);
  assert_true(isnan(fc_mdl_row_bits(3, 2, 1, 1, 0, true, 0.0)));
}

static void structure_and_pattern(void **state) {
  (void)state;
  /* m = 4 nodes with 0, 1, 3, 2 parents, max in-degree 3:
   *   4 log2 4 + log2 C(3,0) + log2 C(3,1) + log2 C(3,3) + log2 C(3,2) = 8 + 2 log2 3. */
  int k[] = {0, 1, 3, 2};
  assert_close(fc_mdl_bn_structure_bits(4, k, 3, false), 8.0 + 2.0 * log2(3.0), 1e-15);
  /* The artifact's variant: 4 log2 3 + 2 log2 3 = 6 log2 3. */
  assert_close(fc_mdl_bn_structure_bits(4, k, 3, true), 6.0 * log2(3.0), 1e-15);
  assert_close(fc_mdl_bn_structure_bits(0, NULL, 3, false), 0.0, 0);
  /* A single node: log2 4 + log2 C(0,0) = 2. */
  int k1[] = {0};
  assert_close(fc_mdl_bn_structure_bits(1, k1, 3, false), 2.0, 1e-15);
  /* Pattern with 2 rows of 5 and 7 bits and a 2-bit BN: L_N(2) + 14 = 2.51857 + 14. */
  double rows[] = {5.0, 7.0};
  assert_close(fc_mdl_pattern_bits(2, rows, 2.0), LOG2_C0 + 1.0 + 14.0, 1e-15);
  /* Model with 3 patterns: L_N(4) = c + 2 + 1, plus 1 + 2 + 3, plus base 10. */
  double pats[] = {1.0, 2.0, 3.0};
  assert_close(fc_mdl_model_bits(3, pats, 10.0), LOG2_C0 + 3.0 + 6.0 + 10.0, 1e-15);
  assert_close(fc_mdl_model_bits(0, NULL, 10.0), LOG2_C0 + 10.0, 1e-15);
  assert_close(fc_mdl_log2_span(1024), 10.0, 0);
  assert_close(fc_mdl_log2_span(1), 0.0, 0);
  assert_close(fc_mdl_log2_span(0), 0.0, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(universal_code),   cmocka_unit_test(binomials),
      cmocka_unit_test(rising_factorial), cmocka_unit_test(kt_code),
      cmocka_unit_test(row_cost),         cmocka_unit_test(structure_and_pattern),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
