/* Quality metrics: every kernel on inputs small enough to compute by hand (the derivations are in
 * the comments), the self-comparison identities, sensitivity to a broken pairing, each of the 21
 * domain rules, exactness of the k-NN against a brute-force reference, determinism over thread
 * counts, and the time of Density/Coverage on 10,000 x 10,000 rows. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/eval_impl.h"
#include "flowchronicle/eval.h"
#include "flowchronicle/log.h"
#include "testutil.h"

#define TOL 1e-12

/* A small deterministic generator for test data (not the library's stream). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static double rnd01(void) {
  return (double)(rnd() >> 11) / 9007199254740992.0;
}

static fc_flow mkflow(uint8_t proto, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                      uint8_t flags, uint64_t fp, uint64_t fb, uint64_t bp, uint64_t bb,
                      int64_t dur_us) {
  fc_flow f;
  memset(&f, 0, sizeof f);
  assert_true(fc_ip_parse(src, strlen(src), &f.src_ip));
  assert_true(fc_ip_parse(dst, strlen(dst), &f.dst_ip));
  f.proto = proto;
  f.src_port = sp;
  f.dst_port = dp;
  f.flags = flags;
  f.fwd_pkts = fp;
  f.fwd_bytes = fb;
  f.bwd_pkts = bp;
  f.bwd_bytes = bb;
  f.duration_us = dur_us;
  return f;
}

/* ---------------------------------------------------------------- JSD */

static void jsd_by_hand(void **state) {
  (void)state;
  /* a: value 0 three times, 1 once -> p = (3/4, 1/4); b: q = (1/4, 3/4); m = (1/2, 1/2).
   * KL(p||m) = 3/4 ln(3/2) + 1/4 ln(1/2) = 0.304099 - 0.173287 = 0.130812 = KL(q||m) by symmetry;
   * JS = (0.130812 + 0.130812) / 2 = 0.130812; distance = sqrt(0.130812) = 0.361680. */
  uint32_t a[] = {0, 0, 0, 1}, b[] = {1, 0, 1, 1};
  double d;
  assert_int_equal(fc_eval_jsd(a, 4, b, 4, &d), FC_OK);
  assert_true(fabs(d - sqrt(0.75 * log(1.5) + 0.25 * log(0.5))) < TOL);
  assert_true(fabs(d - 0.361680) < 1e-6);
  /* Disjoint supports: p = (1, 0), q = (0, 1), m = (1/2, 1/2): KL = ln 2 each, JS = ln 2,
   * distance sqrt(ln 2) = 0.832555, the maximum. Different sample sizes are normalised. */
  uint32_t c[] = {7}, e[] = {9, 9};
  assert_int_equal(fc_eval_jsd(c, 1, e, 2, &d), FC_OK);
  assert_true(fabs(d - sqrt(log(2.0))) < TOL);
  /* Same distribution, different order and size: 0. */
  uint32_t f[] = {1, 2, 1, 2}, g[] = {2, 1};
  assert_int_equal(fc_eval_jsd(f, 4, g, 2, &d), FC_OK);
  assert_true(d == 0);
}

/* ---------------------------------------------------------------- EMD */

static void emd_by_hand(void **state) {
  (void)state;
  /* real = 0 1 2 3 (integers). numpy percentiles: 25th at index 0.75 -> 0.75, 75th at 2.25 ->
   * 2.25, IQR = 1.5; FD width = 2 * 1.5 * 4^(-1/3) = 1.88988; bins = ceil(3 / 1.88988) = 2,
   * edges 0, 1.5, 3. Real counts [2, 2] -> ECDF [0.5, 1]. gen = 0 0 2 5: 5 lies outside
   * [0, 3] and is dropped, counts [2, 1] -> cumsum / 4 = [0.5, 0.75].
   * artifact EMD = W1 between the vectors {0.5, 1} and {0.5, 0.75} = (0 + 0.25) / 2 = 0.125.
   * True W1 of the samples = mean |sorted differences| = (0 + 1 + 0 + 2) / 4 = 0.75; joint
   * range [0, 5] -> 0.75 / 5 = 0.15. */
  double r[] = {3, 1, 0, 2}, g[] = {0, 2, 5, 0}, art, w1;
  assert_int_equal(fc_eval_emd(r, 4, g, 4, true, &art, &w1), FC_OK);
  assert_true(fabs(art - 0.125) < TOL);
  assert_true(fabs(w1 - 0.15) < TOL);
  /* A constant real column: edges first-0.5 .. last+0.5, one bin (IQR 0). real = 2 2,
   * gen = 2 9: ECDF real [1], gen [1/2] (9 dropped) -> 0.5. W1: F_r - F_g = 1/2 on [2, 9),
   * 3.5 / range 7 = 0.5. */
  double r2[] = {2, 2}, g2[] = {2, 9};
  assert_int_equal(fc_eval_emd(r2, 2, g2, 2, false, &art, &w1), FC_OK);
  assert_true(fabs(art - 0.5) < TOL);
  assert_true(fabs(w1 - 0.5) < TOL);
  /* Integer rule: real = 0 0 0 1: percentiles 0 and 0.25, IQR 0.25, FD width
   * 0.5 / 4^(1/3) = 0.315; as integers the width is raised to 1 (numpy does so for integer
   * arrays):
   * bins = ceil(1 / 1) = 1, ECDF [1] vs gen 1 1 1 1 -> [1]: 0; as floats ceil(1 / 0.315) = 4
   * bins, edges 0, .25, .5, .75, 1: real ECDF [3/4, 3/4, 3/4, 1], gen [0, 0, 0, 1] ->
   * (3/4 * 3) / 4 = 0.5625. */
  double r3[] = {0, 0, 0, 1}, g3[] = {1, 1, 1, 1};
  assert_int_equal(fc_eval_emd(r3, 4, g3, 4, true, &art, NULL), FC_OK);
  assert_true(fabs(art) < TOL);
  assert_int_equal(fc_eval_emd(r3, 4, g3, 4, false, &art, NULL), FC_OK);
  assert_true(fabs(art - 0.5625) < TOL);
}

/* ---------------------------------------------------------------- PCD, CMD */

static void pcd_by_hand(void **state) {
  (void)state;
  /* 3 rows, 2 columns. Real: x = 1 2 3, y = 10 20 30 -> corr(x, y) = 1. Generated: x = 1 2 3,
   * y = 30 20 10 -> corr = -1. Difference [[0, 2], [2, 0]], Frobenius sqrt(8) = 2.828427. */
  double rx[] = {1, 2, 3}, ry[] = {10, 20, 30}, gx[] = {1, 2, 3}, gy[] = {30, 20, 10};
  const double *r[] = {rx, ry}, *g[] = {gx, gy};
  double d;
  assert_int_equal(fc_eval_pcd(r, 3, g, 3, 2, &d), FC_OK);
  assert_true(fabs(d - sqrt(8.0)) < 1e-12);
  /* A constant real column: its row and column of the correlation matrix, diagonal included,
   * are NaN and become 0: real [[1, 0], [0, 0]] vs generated [[1, -1], [-1, 1]]: difference
   * [[0, 1], [1, -1]] -> sqrt(3) = 1.732051. */
  double cy[] = {5, 5, 5};
  const double *rc[] = {rx, cy};
  assert_int_equal(fc_eval_pcd(rc, 3, g, 3, 2, &d), FC_OK);
  assert_true(fabs(d - sqrt(3.0)) < 1e-12);
  /* Same sample: 0. */
  assert_int_equal(fc_eval_pcd(r, 3, r, 3, 2, &d), FC_OK);
  assert_true(d == 0);
}

static void cmd_by_hand(void **state) {
  (void)state;
  /* Two columns. Real pairs (0,0) (0,0) (1,1) (1,1): cells (0,0) and (1,1) 1/2 each.
   * Generated (0,1) (0,1) (1,0) (1,0): cells (0,1) and (1,0) 1/2 each. Four cells differ by
   * 1/2: sqrt(4 / 4) = 1. One pair of columns: CMD = 1. */
  uint32_t ra[] = {0, 0, 1, 1}, rb[] = {0, 0, 1, 1}, ga[] = {0, 0, 1, 1}, gb[] = {1, 1, 0, 0};
  const uint32_t *r[] = {ra, rb}, *g[] = {ga, gb};
  double d;
  assert_int_equal(fc_eval_cmd(r, 4, g, 4, 2, &d), FC_OK);
  assert_true(fabs(d - 1.0) < TOL);
  /* Generated independent: every cell 1/4: differences 1/4 on all four cells -> sqrt(4/16). */
  uint32_t ia[] = {0, 0, 1, 1}, ib[] = {0, 1, 0, 1};
  const uint32_t *ind[] = {ia, ib};
  assert_int_equal(fc_eval_cmd(r, 4, ind, 4, 2, &d), FC_OK);
  assert_true(fabs(d - 0.5) < TOL);
  /* Three columns: pairs (a,b), (a,c), (b,c); c equals a in both samples. (a,b) gives 0.5 as
   * above, (a,c) gives 0 (both diagonal), (b,c): real diagonal, generated independent: 0.5.
   * Mean (0.5 + 0 + 0.5) / 3 = 1/3. */
  const uint32_t *r3[] = {ra, rb, ra}, *g3[] = {ia, ib, ia};
  assert_int_equal(fc_eval_cmd(r3, 4, g3, 4, 3, &d), FC_OK);
  assert_true(fabs(d - 1.0 / 3.0) < TOL);
}

/* ---------------------------------------------------------------- MD */

static void md_by_hand(void **state) {
  (void)state;
  /* Two columns, radii linspace(0, 1, 3) = 0, 0.5, 1.
   * members m1 = (1,1), m2 = (2,2); non-members n1 = (9,9), n2 = (1,9); generated g1 = (1,1),
   * g2 = (2,3). Smallest Hamming share: m1 0 (g1), m2 0.5 (g2), n1 1, n2 0.5 (g1).
   * r = 0:   predicted {m1}: TP 1, recall 1/2, precision 1 -> F1 2/3.
   * r = 0.5: predicted {m1, m2, n2}: TP 2, recall 1, precision 2/3 -> F1 0.8.
   * r = 1:   all four: TP 2, recall 1, precision 1/2 -> F1 2/3.
   * MD = 2/3 + 0.8 + 2/3 = 2.133333. */
  uint64_t ma[] = {1, 2}, mb[] = {1, 2}, na[] = {9, 1}, nb[] = {9, 9}, ga[] = {1, 2}, gb[] = {1, 3};
  const uint64_t *m[] = {ma, mb}, *n[] = {na, nb}, *g[] = {ga, gb};
  double md;
  assert_int_equal(fc_eval_md(m, 2, n, 2, g, 2, 2, 3, &md), FC_OK);
  assert_true(fabs(md - (2.0 / 3 + 0.8 + 2.0 / 3)) < TOL);
  /* One generated row g = (9,5): shares m1 1, m2 1, n1 0.5, n2 1. Radius 0: nothing
   * predicted, skipped. Radius 0.5: only the non-member n1: no right guess, F1 0 (the artifact's
   * 0/0 NaN). Radius 1: all four, TP 2 -> 2/3. MD = 2/3. */
  uint64_t ga2[] = {9}, gb2[] = {5};
  const uint64_t *g2[] = {ga2, gb2};
  assert_int_equal(fc_eval_md(m, 2, n, 2, g2, 1, 2, 3, &md), FC_OK);
  assert_true(fabs(md - 2.0 / 3) < TOL);
  /* 15 radii, 10 columns: a share of 5/10 equals radius 7/14 = 0.5 and counts as within. */
  uint64_t zero[1] = {0}, one[1] = {1};
  const uint64_t *half[10], *base[10];
  for (int c = 0; c < 10; c++) {
    half[c] = c < 5 ? zero : one;
    base[c] = zero;
  }
  /* member = all zeros, generated = half ones: share 0.5 -> predicted from r = 0.5 (k = 7) to
   * r = 1: 8 radii; no non-members: recall 1, precision 1 -> F1 1 each: MD = 8. */
  assert_int_equal(fc_eval_md(base, 1, NULL, 0, half, 1, 10, 15, &md), FC_OK);
  assert_true(fabs(md - 8) < TOL);
}

static void quantile_bins(void **state) {
  (void)state;
  /* x = 0..99, 4 bins: quantiles at index q * 99 -> 0, 24.75, 49.5, 74.25, 99.
   * Intervals [0, 24.75], (24.75, 49.5], ... */
  double x[100], e[5];
  for (int i = 0; i < 100; i++)
    x[i] = 99 - i;
  int ne;
  bool binned;
  assert_int_equal(fc_eval_quantile_edges(x, 100, 4, e, &ne, &binned), FC_OK);
  assert_true(binned);
  assert_int_equal(ne, 5);
  assert_true(e[0] == 0 && e[1] == 24.75 && e[2] == 49.5 && e[3] == 74.25 && e[4] == 99);
  assert_int_equal(fc_eval_quantile_code(e, ne, 0), 0);
  assert_int_equal(fc_eval_quantile_code(e, ne, 24.75), 0);
  assert_int_equal(fc_eval_quantile_code(e, ne, 25), 1);
  assert_int_equal(fc_eval_quantile_code(e, ne, 99), 3);
  /* Duplicate edges dropped: 0 x 90 then 1..10: quantiles 0, 0, 0, 0 ... -> fewer edges. */
  double y[100];
  for (int i = 0; i < 100; i++)
    y[i] = i < 90 ? 0 : i - 89;
  assert_int_equal(fc_eval_quantile_edges(y, 100, 4, e, &ne, &binned), FC_OK);
  assert_true(binned);
  assert_int_equal(ne, 2); /* 0 (four times) and 10 */
  /* At most `bins` distinct values: not binned. */
  assert_int_equal(fc_eval_quantile_edges(y, 100, 11, e, &ne, &binned), FC_OK);
  assert_false(binned);
}

/* ---------------------------------------------------------------- ACF */

static void acf_by_hand(void **state) {
  (void)state;
  /* x = 1 2 3 4: mean 2.5, deviations -1.5 -0.5 0.5 1.5.
   * avf0 = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
   * avf1 = (0.75 - 0.25 + 0.75) / 4 = 0.3125 -> acf1 = 0.25
   * avf2 = (-0.75 - 0.75) / 4 = -0.375      -> acf2 = -0.3
   * avf3 = -2.25 / 4 = -0.5625              -> acf3 = -0.45 */
  double x[] = {1, 2, 3, 4}, a[4];
  assert_int_equal(fc_eval_acf(x, 4, 3, a), FC_OK);
  assert_true(fabs(a[0] - 1) < TOL && fabs(a[1] - 0.25) < TOL && fabs(a[2] + 0.3) < TOL &&
              fabs(a[3] + 0.45) < TOL);
  /* Constant series: undefined. */
  double c[] = {3, 3, 3};
  assert_int_equal(fc_eval_acf(c, 3, 2, a), FC_OK);
  assert_true(isnan(a[0]) && isnan(a[2]));

  /* Real r = 1 0 1 0 1 0 1 0 (n = 8): deviations +-0.5, avf0 = 0.25,
   * acf_k = (-1)^k (8 - k) / 8: acf1 = -0.875, acf2 = 0.75, acf3 = -0.625, ...
   * Bartlett widths 1.96 sqrt(var): lag 1 var 1/8 -> 0.693 < 0.875: significant;
   * lag 2 var (1 + 2 * 0.765625) / 8 = 0.3164 -> 1.102 > 0.75: not; later lags wider still.
   * Generated g = 1 1 0 0 1 1 0 0: lag-1 products .25 -.25 .25 -.25 .25 -.25 .25 = .25,
   * acf1 = (.25 / 8) / .25 = 0.125.
   * Difference over lags {0, 1}: |1 - 1| + |-0.875 - 0.125| = 1, divided by 8 = 0.125. */
  double r[] = {1, 0, 1, 0, 1, 0, 1, 0}, g[] = {1, 1, 0, 0, 1, 1, 0, 0}, d;
  assert_int_equal(fc_eval_acf_series_diff(r, 8, g, 8, 100, &d), FC_OK);
  assert_true(fabs(d - 0.125) < TOL);
  /* Lag cap 0: only lag 0, difference 0. */
  assert_int_equal(fc_eval_acf_series_diff(r, 8, g, 8, 0, &d), FC_OK);
  assert_true(d == 0);
  /* A constant generated series has ACF 0 (statsmodels NaN -> 0): |1 - 0| + |-0.875 - 0| =
   * 1.875 / 8. */
  double k[] = {2, 2, 2, 2, 2, 2, 2, 2};
  assert_int_equal(fc_eval_acf_series_diff(r, 8, k, 8, 100, &d), FC_OK);
  assert_true(fabs(d - 1.875 / 8) < TOL);
  /* The same series from flows: start times in seconds (unsorted, several flows in a second,
   * a zero-valued flow at second 7 to give both spans 8 seconds). */
  int64_t tr[] = {6000000, 0, 2500000, 2000001, 4999999, 7000000};
  double vr[] = {1, 1, 0.25, 0.75, 1, 0};
  int64_t tg[] = {0, 1000000, 4000000, 5000000, 7900000};
  double vg[] = {1, 1, 1, 1, 0};
  assert_int_equal(fc_eval_acf_diff(tr, vr, 6, tg, vg, 5, 100, &d), FC_OK);
  assert_true(fabs(d - 0.125) < TOL);
  /* Shifting every generated flow by a day changes nothing (each series from its own span). */
  int64_t tg2[5];
  for (int i = 0; i < 5; i++)
    tg2[i] = tg[i] + 86400000000;
  assert_int_equal(fc_eval_acf_diff(tr, vr, 6, tg2, vg, 5, 100, &d), FC_OK);
  assert_true(fabs(d - 0.125) < TOL);
}

static void acf_sparse_matches_dense(void **state) {
  (void)state;
  /* A week-long per-second series with 300 non-zero seconds: both ACF paths agree. */
  size_t ns = 20000, nnz = 0;
  int64_t pos[400];
  double val[400];
  for (size_t t = 0; t < ns && nnz < 400; t += 1 + rnd() % 100) {
    pos[nnz] = (int64_t)t;
    val[nnz++] = 1 + (double)(rnd() % 5000);
  }
  double a[301], b[301];
  assert_int_equal(fci_eval_acf_sparse(pos, val, nnz, ns, 300, 1, a), FC_OK);
  assert_int_equal(fci_eval_acf_sparse(pos, val, nnz, ns, 300, 2, b), FC_OK);
  for (int k = 0; k <= 300; k++)
    assert_true(fabs(a[k] - b[k]) < 1e-9);
}

/* ---------------------------------------------------------------- prediction */

static void predict_by_hand(void **state) {
  (void)state;
  /* train 0 1 0 1 0 1 2: transitions 0->1 (3), 1->0 (2), 1->2 (1). Model: 0 -> 1, 1 -> 0;
   * 2 never precedes anything: fallback to the most frequent value, 0 and 1 tie at 3, the
   * smaller code 0 wins. test 0 1 0 2 1: 0->1 right, 1->0 right, 0->1 but 2 wrong,
   * 2->0 but 1 wrong: 2 / 4 = 0.5. */
  uint32_t tr[] = {0, 1, 0, 1, 0, 1, 2}, te[] = {0, 1, 0, 2, 1};
  double acc;
  assert_int_equal(fc_eval_predict_accuracy(tr, 7, te, 5, &acc), FC_OK);
  assert_true(fabs(acc - 0.5) < TOL);
  /* Successor tie: train 5 7 5 9 9: after 5 come 7 once and 9 once; 9 is more frequent overall
   * (2 vs 1), so 5 -> 9. test 5 9: right -> 1. */
  uint32_t t2[] = {5, 7, 5, 9, 9}, e2[] = {5, 9};
  assert_int_equal(fc_eval_predict_accuracy(t2, 5, e2, 2, &acc), FC_OK);
  assert_true(acc == 1);
  uint32_t e3[] = {5, 7};
  assert_int_equal(fc_eval_predict_accuracy(t2, 5, e3, 2, &acc), FC_OK);
  assert_true(acc == 0);
}

/* ---------------------------------------------------------------- random tables */

/* n flows with 20 source hosts, each bound to one service (port), and byte counts tied to
 * packets: src_ip and dst_port are paired, bytes and packets correlated. */
static void random_table(fc_flow_table *t, size_t n, int64_t t0, uint64_t seed) {
  rng_state = seed;
  assert_int_equal(fc_table_init(t), FC_OK);
  static const uint16_t ports[] = {80, 443, 53, 22, 25};
  for (size_t i = 0; i < n; i++) {
    int h = (int)(rnd() % 20);
    char src[32], dst[32];
    snprintf(src, sizeof src, "192.168.1.%d", 10 + h);
    snprintf(dst, sizeof dst, "10.0.%d.%d", (int)(rnd() % 4), (int)(rnd() % 50));
    uint16_t dp = ports[h % 5];
    uint64_t fp = 1 + rnd() % 50, bp = rnd() % 50;
    fc_flow f = mkflow(
        dp == 53 ? FC_PROTO_UDP : FC_PROTO_TCP, src, (uint16_t)(1024 + rnd() % 60000), dst, dp,
        dp == 53 ? 0 : (uint8_t)(FC_TCP_ACK | (rnd() % 2 ? FC_TCP_PSH : 0)), fp,
        fp * (60 + rnd() % 1400), bp, bp * (60 + rnd() % 1400), (int64_t)(1 + rnd() % 30000000));
    f.ts_us = t0 + (int64_t)(i * 350000) + (int64_t)(rnd() % 300000);
    assert_int_equal(fc_table_append(t, &f), FC_OK);
  }
}

static void self_comparison(void **state) {
  (void)state;
  /* With a sample at least the table size, both sides use every row (in different orders):
   * identical distributions. */
  fc_flow_table t;
  random_table(&t, 1500, 1490000000000000, 11);
  fc_eval_options o;
  fc_eval_options_default(&o);
  o.runs = 2;
  o.sample = 5000;
  fc_eval_results res;
  assert_int_equal(fc_eval_run(&t, &t, NULL, &o, &res), FC_OK);
  assert_int_equal(res.sample_real, 1500);
  assert_int_equal(res.sample_synthetic, 1500);
  const fc_eval_stat *m = res.synthetic.metric;
  assert_true(m[FC_EVAL_JSD].mean == 0);
  assert_true(m[FC_EVAL_EMD].mean == 0);
  assert_true(m[FC_EVAL_EMD_W1].mean == 0);
  assert_true(fabs(m[FC_EVAL_PCD].mean) < 1e-12);
  assert_true(m[FC_EVAL_CMD].mean == 0);
  assert_true(m[FC_EVAL_COVERAGE].mean == 1);
  assert_true(fabs(m[FC_EVAL_DENSITY].mean - 1) < 0.01);
  assert_true(m[FC_EVAL_ACF].mean == 0);
  assert_int_equal(m[FC_EVAL_DENSITY].n, 2);
  assert_true(m[FC_EVAL_DENSITY].sd == 0);
  /* No holdout: MD and prediction undefined, no reference row. */
  assert_false(res.has_reference);
  assert_int_equal(m[FC_EVAL_MD].n, 0);
  assert_true(isnan(m[FC_EVAL_MD].mean));
  assert_true(isnan(m[FC_EVAL_PRED].mean));
  fc_eval_results_free(&res);
  fc_table_free(&t);
}

static void shuffled_pairing_raises_cmd_pcd(void **state) {
  (void)state;
  fc_flow_table real, shuf;
  random_table(&real, 1500, 1490000000000000, 12);
  random_table(&shuf, 1500, 1490000000000000, 12);
  /* Break the pairing of src_ip and dst_port, and of packets and bytes, by a permutation of one
   * column each: every marginal stays the same. */
  rng_state = 99;
  for (size_t i = shuf.n - 1; i > 0; i--) {
    size_t j = (size_t)(rnd() % (i + 1));
    uint16_t p = shuf.dst_port[i];
    shuf.dst_port[i] = shuf.dst_port[j];
    shuf.dst_port[j] = p;
    uint64_t b = shuf.fwd_bytes[i];
    shuf.fwd_bytes[i] = shuf.fwd_bytes[j];
    shuf.fwd_bytes[j] = b;
  }
  fc_eval_options o;
  fc_eval_options_default(&o);
  o.runs = 1;
  o.sample = 5000;
  fc_eval_results same, broken;
  assert_int_equal(fc_eval_run(&real, &real, NULL, &o, &same), FC_OK);
  assert_int_equal(fc_eval_run(&real, &shuf, NULL, &o, &broken), FC_OK);
  const fc_eval_stat *a = same.synthetic.metric, *b = broken.synthetic.metric;
  assert_true(b[FC_EVAL_JSD].mean == 0); /* marginals unchanged */
  assert_true(b[FC_EVAL_EMD_W1].mean == 0);
  assert_true(b[FC_EVAL_CMD].mean > a[FC_EVAL_CMD].mean + 0.05);
  assert_true(b[FC_EVAL_PCD].mean > a[FC_EVAL_PCD].mean + 0.3);
  assert_true(b[FC_EVAL_DENSITY].mean < a[FC_EVAL_DENSITY].mean);
  fc_eval_results_free(&same);
  fc_eval_results_free(&broken);
  fc_table_free(&real);
  fc_table_free(&shuf);
}

/* ---------------------------------------------------------------- DKC */

static fc_eval_site *make_site(const char *internal) {
  /* The site's real traffic: 192.168.1.1 answers DNS, 192.168.1.10 serves HTTP, an outside
   * resolver 203.0.113.53 answers too, hosts talk mDNS to the group and to an anonymised group
   * name 10.8.0.251 that never sends. */
  fc_flow_table t;
  assert_int_equal(fc_table_init(&t), FC_OK);
  fc_flow f[] = {
      mkflow(FC_PROTO_UDP, "192.168.1.5", 40001, "192.168.1.1", 53, 0, 1, 60, 1, 120, 10000),
      mkflow(FC_PROTO_UDP, "192.168.1.5", 40002, "203.0.113.53", 53, 0, 1, 60, 1, 120, 10000),
      mkflow(FC_PROTO_TCP, "192.168.1.5", 40000, "192.168.1.10", 80, FC_TCP_ACK, 10, 1000, 8, 5000,
             1000000),
      mkflow(FC_PROTO_UDP, "192.168.1.5", 5353, "224.0.0.251", 5353, 0, 1, 100, 0, 0, 0),
      mkflow(FC_PROTO_UDP, "192.168.1.6", 5353, "10.8.0.251", 5353, 0, 1, 100, 0, 0, 0),
      /* a host that is only ever asked port 53 without an answer is not a DNS server */
      mkflow(FC_PROTO_UDP, "192.168.1.5", 40003, "192.168.1.30", 53, 0, 1, 60, 0, 0, 0),
  };
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
    assert_int_equal(fc_table_append(&t, &f[i]), FC_OK);
  fc_eval_site *s = NULL;
  assert_int_equal(fc_eval_site_create(&t, internal, &s), FC_OK);
  fc_table_free(&t);
  return s;
}

/* Checks that the flow breaks exactly the listed rules (1-based), -1 terminated. */
static void expect_rules(const fc_eval_site *s, const fc_flow *f, const int *rules) {
  bool v[FC_DKC_RULES], want[FC_DKC_RULES] = {false};
  int n = 0;
  for (; rules[n] > 0; n++)
    want[rules[n] - 1] = true;
  int c = fc_eval_dkc_flow(s, f, v);
  for (int r = 0; r < FC_DKC_RULES; r++) {
    if (v[r] != want[r])
      fail_msg("rule %d: got %d, expected %d (%s)", r + 1, v[r], want[r], fc_eval_dkc_rule_name(r));
  }
  assert_int_equal(c, n);
}

static void dkc_each_rule(void **state) {
  (void)state;
  fc_eval_site *s = make_site(NULL);
  size_t nr, nd, nsv, nm;
  fc_eval_site_summary(s, &nr, &nd, &nsv, &nm);
  assert_int_equal(nr, 3);
  assert_int_equal(nd, 2);  /* 192.168.1.1 and 203.0.113.53 */
  assert_int_equal(nsv, 1); /* 192.168.1.10:80 */
  assert_int_equal(nm, 3);  /* 224.0.0.251, ff02::fb, 10.8.0.251 */
  const int none[] = {-1};
  const uint8_t AP = FC_TCP_ACK | FC_TCP_PSH;
  /* Clean flows of every kind. */
  fc_flow web = mkflow(FC_PROTO_TCP, "192.168.1.5", 40000, "192.168.1.10", 80, AP, 10, 1000, 8,
                       5000, 1000000);
  fc_flow dns =
      mkflow(FC_PROTO_UDP, "192.168.1.5", 40001, "192.168.1.1", 53, 0, 1, 60, 1, 120, 10000);
  fc_flow ext_dns =
      mkflow(FC_PROTO_UDP, "192.168.1.5", 40001, "203.0.113.53", 53, 0, 1, 60, 1, 120, 10000);
  fc_flow icmp = mkflow(FC_PROTO_ICMP, "192.168.1.5", 0, "192.168.1.10", 2048, 0, 1, 84, 0, 0, 0);
  fc_flow dhcp = mkflow(FC_PROTO_UDP, "0.0.0.0", 68, "255.255.255.255", 67, 0, 1, 328, 0, 0, 0);
  fc_flow mdns = mkflow(FC_PROTO_UDP, "192.168.1.5", 5353, "224.0.0.251", 5353, 0, 1, 100, 0, 0, 0);
  fc_flow mdns6 = mkflow(FC_PROTO_UDP, "fe80::1", 5353, "ff02::fb", 5353, 0, 1, 100, 0, 0, 0);
  fc_flow mdns_anon =
      mkflow(FC_PROTO_UDP, "192.168.1.5", 5353, "10.8.0.251", 5353, 0, 1, 100, 0, 0, 0);
  fc_flow nb = mkflow(FC_PROTO_UDP, "192.168.1.5", 137, "192.168.1.255", 137, 0, 1, 78, 0, 0, 0);
  fc_flow ssdp =
      mkflow(FC_PROTO_UDP, "192.168.1.5", 40000, "239.255.255.250", 1900, 0, 1, 200, 0, 0, 0);
  fc_flow out_web = mkflow(FC_PROTO_TCP, "192.168.1.5", 40000, "93.184.216.34", 443, AP, 10, 1000,
                           8, 5000, 1000000);
  fc_flow *clean[] = {&web,   &dns,       &ext_dns, &icmp, &dhcp,   &mdns,
                      &mdns6, &mdns_anon, &nb,      &ssdp, &out_web};
  for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++)
    expect_rules(s, clean[i], none);

  fc_flow f;
  /* 1: TCP to NTP (UDP only). */
  f = web, f.dst_port = 123;
  expect_rules(s, &f, (const int[]){1, -1});
  /* 2: UDP to SMB (TCP only). */
  f = dns, f.dst_port = 445;
  expect_rules(s, &f, (const int[]){2, -1});
  /* 3: TCP to port 0. */
  f = web, f.dst_port = 0;
  expect_rules(s, &f, (const int[]){3, -1});
  /* 4 and 5: an ICMP reply inside the flow (bytes without packets would break 18 instead). */
  f = icmp, f.bwd_pkts = 1, f.bwd_bytes = 84, f.duration_us = 1000;
  expect_rules(s, &f, (const int[]){4, 5, -1});
  f = icmp, f.proto = FC_PROTO_ICMP6, f.bwd_pkts = 1, f.bwd_bytes = 84, f.duration_us = 1000;
  expect_rules(s, &f, (const int[]){4, 5, -1});
  /* 6: IGMP with bytes. */
  f = mkflow(FC_PROTO_IGMP, "192.168.1.5", 0, "224.0.0.22", 0, 0, 1, 60, 0, 0, 0);
  expect_rules(s, &f, (const int[]){6, -1});
  /* 7 and 8: NetBIOS with a response. */
  f = nb, f.bwd_pkts = 1, f.bwd_bytes = 78, f.duration_us = 500;
  expect_rules(s, &f, (const int[]){7, 8, -1});
  f = ssdp, f.bwd_pkts = 2, f.bwd_bytes = 400, f.duration_us = 500;
  expect_rules(s, &f, (const int[]){7, 8, -1});
  /* 9: NetBIOS to a unicast host. */
  f = nb, f.dst_ip = web.dst_ip;
  expect_rules(s, &f, (const int[]){9, -1});
  /* 10: HTTP to an internal host that does not serve it, and HTTPS to the HTTP server. */
  f = web, fc_ip_parse("192.168.1.20", 12, &f.dst_ip);
  expect_rules(s, &f, (const int[]){10, -1});
  f = web, f.dst_port = 443;
  expect_rules(s, &f, (const int[]){10, -1});
  /* 11: IMAPS to the outside; DHCP to an outside unicast host. */
  f = out_web, f.dst_port = 993;
  expect_rules(s, &f, (const int[]){11, -1});
  f = dhcp, fc_ip_parse("198.51.100.7", 12, &f.dst_ip);
  expect_rules(s, &f, (const int[]){11, -1});
  /* 12: DNS to a host never seen answering (asked without answer in the real data). */
  f = dns, fc_ip_parse("192.168.1.30", 12, &f.dst_ip);
  expect_rules(s, &f, (const int[]){12, -1});
  /* 13: mDNS to a unicast host. */
  f = mdns, fc_ip_parse("192.168.1.7", 11, &f.dst_ip);
  expect_rules(s, &f, (const int[]){13, -1});
  /* 14: flags on UDP. */
  f = dns, f.flags = FC_TCP_SYN;
  expect_rules(s, &f, (const int[]){14, -1});
  f = dns, f.flags = 0xc0; /* CWR/ECE: not in the text form "......", not a flag here */
  expect_rules(s, &f, none);
  /* 15, 16: fewer than 42 bytes a packet. */
  f = web, f.fwd_bytes = 419; /* 10 x 42 = 420 > 419 */
  expect_rules(s, &f, (const int[]){15, -1});
  f = web, f.fwd_bytes = 420; /* exactly 42 a packet is fine */
  expect_rules(s, &f, none);
  f = web, f.bwd_bytes = 100;
  expect_rules(s, &f, (const int[]){16, -1});
  /* 17, 18: more than 65535 bytes a packet. */
  f = web, f.fwd_pkts = 1, f.fwd_bytes = 65536;
  expect_rules(s, &f, (const int[]){17, -1});
  f = web, f.fwd_pkts = 1, f.fwd_bytes = 65535;
  expect_rules(s, &f, none);
  f = web, f.bwd_pkts = 1, f.bwd_bytes = 70000;
  expect_rules(s, &f, (const int[]){18, -1});
  /* 19: negative duration. */
  f = web, f.duration_us = -1;
  expect_rules(s, &f, (const int[]){19, -1});
  /* 20: several packets in no time. */
  f = web, f.duration_us = 0;
  expect_rules(s, &f, (const int[]){20, -1});
  /* 21: one packet lasting. */
  f = icmp, f.duration_us = 5;
  expect_rules(s, &f, (const int[]){21, -1});

  /* Shares over a table: 4 flows, two clean, one breaking 19, one breaking 1. */
  fc_flow_table t;
  assert_int_equal(fc_table_init(&t), FC_OK);
  fc_flow g1 = web, g2 = dns, g3 = web, g4 = web;
  g3.duration_us = -5;
  g4.dst_port = 123;
  assert_int_equal(fc_table_append(&t, &g1), FC_OK);
  assert_int_equal(fc_table_append(&t, &g2), FC_OK);
  assert_int_equal(fc_table_append(&t, &g3), FC_OK);
  assert_int_equal(fc_table_append(&t, &g4), FC_OK);
  double share[FC_DKC_RULES];
  assert_int_equal(fc_eval_dkc(s, &t, NULL, 0, share), FC_OK);
  for (int r = 0; r < FC_DKC_RULES; r++)
    assert_true(share[r] == (r == 0 || r == 18 ? 0.25 : 0));
  size_t rows[] = {2, 2, 0};
  assert_int_equal(fc_eval_dkc(s, &t, rows, 3, share), FC_OK);
  assert_true(fabs(share[18] - 2.0 / 3) < TOL);
  fc_table_free(&t);
  fc_eval_site_destroy(&s);
  assert_null(s);
}

static void dkc_internal_ranges(void **state) {
  (void)state;
  /* With only 10.0.0.0/8 internal, 192.168.1.20 is external: HTTP to it is no longer rule 10,
   * and IMAPS to it becomes rule 11. */
  fc_eval_site *s = make_site("10.0.0.0/8");
  fc_flow f = mkflow(FC_PROTO_TCP, "192.168.1.5", 40000, "192.168.1.20", 80, FC_TCP_ACK, 10, 1000,
                     8, 5000, 1000000);
  bool v[FC_DKC_RULES];
  assert_int_equal(fc_eval_dkc_flow(s, &f, v), 0);
  f.dst_port = 993;
  assert_int_equal(fc_eval_dkc_flow(s, &f, v), 1);
  assert_true(v[10]);
  fc_ip ip;
  assert_true(fc_ip_parse("10.200.3.4", 10, &ip));
  assert_true(fc_eval_site_is_internal(s, &ip));
  assert_true(fc_ip_parse("11.0.0.1", 8, &ip));
  assert_false(fc_eval_site_is_internal(s, &ip));
  fc_eval_site_destroy(&s);
  /* Prefix lengths that do not end on a byte, IPv6, and errors. */
  s = make_site("172.16.0.0/12, 2001:db8::/33");
  assert_true(fc_ip_parse("172.31.255.1", 12, &ip));
  assert_true(fc_eval_site_is_internal(s, &ip));
  assert_true(fc_ip_parse("172.32.0.1", 10, &ip));
  assert_false(fc_eval_site_is_internal(s, &ip));
  assert_true(fc_ip_parse("2001:db8:7fff::1", 16, &ip));
  assert_true(fc_eval_site_is_internal(s, &ip));
  assert_true(fc_ip_parse("2001:db8:8000::1", 16, &ip));
  assert_false(fc_eval_site_is_internal(s, &ip));
  fc_eval_site_destroy(&s);
  fc_flow_table t;
  assert_int_equal(fc_table_init(&t), FC_OK);
  const char *bad[] = {"10.0.0.0/33", "10.0.0/8", "10.0.0.0/", "x", " , "};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(fc_eval_site_create(&t, bad[i], &s), FC_ERR_ARG);
    assert_null(s);
  }
  fc_table_free(&t);
}

/* ---------------------------------------------------------------- k-NN */

/* prdc's definitions on dense vectors: one-hot dimensions expanded, Euclidean distances with
 * sqrt, radii by full sorting, strict comparisons. */
static void brute_prdc(const fc_eval_points *r, const fc_eval_points *g, int k, int dom,
                       double *density, double *coverage) {
  int dims = r->n_cat * dom + r->n_num;
  double *vr = calloc(r->n * (size_t)dims, sizeof *vr),
         *vg = calloc(g->n * (size_t)dims, sizeof *vg);
  assert_non_null(vr);
  assert_non_null(vg);
  for (size_t i = 0; i < r->n; i++) {
    for (int c = 0; c < r->n_cat; c++)
      vr[i * dims + c * dom + r->cat[c][i]] = 1;
    for (int c = 0; c < r->n_num; c++)
      vr[i * dims + r->n_cat * dom + c] = r->num[c][i];
  }
  for (size_t i = 0; i < g->n; i++) {
    for (int c = 0; c < g->n_cat; c++)
      vg[i * dims + c * dom + g->cat[c][i]] = 1;
    for (int c = 0; c < g->n_num; c++)
      vg[i * dims + g->n_cat * dom + c] = g->num[c][i];
  }
  double *row = malloc(r->n * sizeof *row), *radius = malloc(r->n * sizeof *radius);
  assert_non_null(row);
  assert_non_null(radius);
  for (size_t i = 0; i < r->n; i++) {
    for (size_t j = 0; j < r->n; j++) {
      double s = 0;
      for (int d = 0; d < dims; d++)
        s += (vr[i * dims + d] - vr[j * dims + d]) * (vr[i * dims + d] - vr[j * dims + d]);
      row[j] = sqrt(s);
    }
    qsort(row, r->n, sizeof *row, fci_cmp_double);
    radius[i] = row[k]; /* the (k+1)-th smallest, self included */
  }
  size_t inside = 0, covered = 0;
  for (size_t i = 0; i < r->n; i++) {
    double best = INFINITY;
    for (size_t j = 0; j < g->n; j++) {
      double s = 0;
      for (int d = 0; d < dims; d++)
        s += (vr[i * dims + d] - vg[j * dims + d]) * (vr[i * dims + d] - vg[j * dims + d]);
      s = sqrt(s);
      inside += s < radius[i];
      if (s < best) best = s;
    }
    covered += best < radius[i];
  }
  *density = (double)inside / ((double)k * (double)g->n);
  *coverage = (double)covered / (double)r->n;
  free(vr);
  free(vg);
  free(row);
  free(radius);
}

static void knn_matches_brute_force(void **state) {
  (void)state;
  enum { NR = 300, NG = 260, DOM = 4 };
  static uint32_t rc[3][NR], gc[3][NG];
  static double rn[2][NR], gn[2][NG];
  for (int grid = 0; grid < 2; grid++) {
    /* grid: values on multiples of 1/8, so distances tie often and every sum is exact. */
    rng_state = 1234 + (uint64_t)grid;
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < NR; i++)
        rc[c][i] = (uint32_t)(rnd() % DOM);
      for (int i = 0; i < NG; i++)
        gc[c][i] = (uint32_t)(rnd() % DOM);
    }
    for (int c = 0; c < 2; c++) {
      for (int i = 0; i < NR; i++)
        rn[c][i] = grid ? (double)(rnd() % 9) / 8 : rnd01();
      for (int i = 0; i < NG; i++)
        gn[c][i] = grid ? (double)(rnd() % 9) / 8 : rnd01();
    }
    const uint32_t *rcp[] = {rc[0], rc[1], rc[2]}, *gcp[] = {gc[0], gc[1], gc[2]};
    const double *rnp[] = {rn[0], rn[1]}, *gnp[] = {gn[0], gn[1]};
    fc_eval_points r = {NR, 3, 2, rcp, rnp}, g = {NG, 3, 2, gcp, gnp};
    for (int k = 1; k <= 7; k += 2) {
      double d1, c1, d2, c2;
      assert_int_equal(fc_eval_density_coverage(&r, &g, k, &d1, &c1), FC_OK);
      brute_prdc(&r, &g, k, DOM, &d2, &c2);
      assert_true(d1 == d2);
      assert_true(c1 == c2);
      assert_true(c1 > 0 && d1 > 0);
    }
  }
  /* Too few real points for k. */
  const uint32_t *cp[] = {rc[0]};
  fc_eval_points tiny = {5, 1, 0, cp, NULL};
  double d, c;
  assert_int_equal(fc_eval_density_coverage(&tiny, &tiny, 5, &d, &c), FC_ERR_ARG);
}

static void knn_timing_10k(void **state) {
  (void)state;
  enum { N = 10000 };
  static uint32_t rc[5][N], gc[5][N];
  static double rn[5][N], gn[5][N];
  rng_state = 777;
  /* Flow-like: few protocols and flags, a few hundred hosts and ports, skewed sizes. */
  const uint32_t dom[5] = {3, 300, 400, 200, 12};
  for (int c = 0; c < 5; c++)
    for (int i = 0; i < N; i++) {
      rc[c][i] = (uint32_t)(rnd() % dom[c]);
      gc[c][i] = (uint32_t)(rnd() % dom[c]);
    }
  for (int c = 0; c < 5; c++)
    for (int i = 0; i < N; i++) {
      rn[c][i] = pow(rnd01(), 4);
      gn[c][i] = pow(rnd01(), 4);
    }
  const uint32_t *rcp[] = {rc[0], rc[1], rc[2], rc[3], rc[4]};
  const uint32_t *gcp[] = {gc[0], gc[1], gc[2], gc[3], gc[4]};
  const double *rnp[] = {rn[0], rn[1], rn[2], rn[3], rn[4]};
  const double *gnp[] = {gn[0], gn[1], gn[2], gn[3], gn[4]};
  fc_eval_points r = {N, 5, 5, rcp, rnp}, g = {N, 5, 5, gcp, gnp};
  double d, c, t0 = fc_now();
  assert_int_equal(fc_eval_density_coverage(&r, &g, 5, &d, &c), FC_OK);
  double dt = fc_now() - t0;
  printf("Density/Coverage 10000 x 10000, k = 5, %d threads: %.3f s (density %.4f, coverage "
         "%.4f)\n",
         omp_get_max_threads(), dt, d, c);
  assert_true(d > 0 && c > 0 && c <= 1);
}

/* ---------------------------------------------------------------- protocol */

static void rand_below_uniform(void **state) {
  (void)state;
  /* 60,000 draws in [0, 6): each value within 4 % of 10,000; and the stream is a pure
   * function of its key and counter. */
  size_t count[6] = {0};
  for (uint64_t i = 0; i < 60000; i++)
    count[fci_eval_rand_below(7, 1, 3, i, 6)]++;
  for (int v = 0; v < 6; v++)
    assert_true(count[v] > 9600 && count[v] < 10400);
  assert_true(fci_eval_rand_below(7, 1, 3, 5, 1000000) == fci_eval_rand_below(7, 1, 3, 5, 1000000));
  assert_true(fci_eval_rand_below(7, 1, 3, 5, 1u << 31) !=
              fci_eval_rand_below(7, 2, 3, 5, 1u << 31));
}

static void run_with_threads(int threads, const fc_flow_table *r, const fc_flow_table *s,
                             const fc_flow_table *h, const fc_eval_options *o,
                             fc_eval_results *res) {
  omp_set_num_threads(threads);
  assert_int_equal(fc_eval_run(r, s, h, o, res), FC_OK);
}

static bool same_stats(const fc_eval_stat *a, const fc_eval_stat *b, int n) {
  /* Bitwise on the doubles (NaN included), field by field (structs have padding). */
  for (int i = 0; i < n; i++)
    if (memcmp(&a[i].mean, &b[i].mean, sizeof(double)) != 0 ||
        memcmp(&a[i].sd, &b[i].sd, sizeof(double)) != 0 || a[i].n != b[i].n)
      return false;
  return true;
}

static bool same_row(const fc_eval_row *a, const fc_eval_row *b, int runs) {
  return memcmp(a->per_run, b->per_run, (size_t)runs * FC_EVAL_NMETRICS * sizeof(double)) == 0 &&
         same_stats(a->metric, b->metric, FC_EVAL_NMETRICS) &&
         same_stats(a->dkc_rule, b->dkc_rule, FC_DKC_RULES) &&
         same_stats(a->jsd_col, b->jsd_col, FC_EVAL_NCAT) &&
         same_stats(a->pred_col, b->pred_col, FC_EVAL_NCAT) &&
         same_stats(a->emd_col, b->emd_col, FC_EVAL_NNUM) &&
         same_stats(a->emd_w1_col, b->emd_w1_col, FC_EVAL_NNUM) &&
         same_stats(a->acf_col, b->acf_col, FC_EVAL_NNUM);
}

static void deterministic_over_threads(void **state) {
  (void)state;
  fc_flow_table real, syn, hold;
  random_table(&real, 3000, 1490000000000000, 21);
  random_table(&syn, 2500, 1490100000000000, 22);
  random_table(&hold, 2800, 1490600000000000, 23);
  fc_eval_options o;
  fc_eval_options_default(&o);
  o.runs = 3;
  o.sample = 1200;
  o.md_n = 300;
  fc_eval_results r1, r2, r3, r4;
  int saved = omp_get_max_threads();
  run_with_threads(1, &real, &syn, &hold, &o, &r1);
  run_with_threads(2, &real, &syn, &hold, &o, &r2);
  run_with_threads(3, &real, &syn, &hold, &o, &r3);
  omp_set_num_threads(saved);
  assert_true(r1.has_reference);
  for (int m = 0; m < FC_EVAL_NMETRICS; m++) {
    assert_int_equal(r1.synthetic.metric[m].n, 3);
    assert_int_equal(r1.reference.metric[m].n, 3);
    assert_true(isfinite(r1.synthetic.metric[m].mean));
  }
  assert_true(same_row(&r1.synthetic, &r2.synthetic, 3));
  assert_true(same_row(&r1.reference, &r2.reference, 3));
  assert_true(same_row(&r1.synthetic, &r3.synthetic, 3));
  assert_true(same_row(&r1.reference, &r3.reference, 3));
  /* Runs differ from each other, and another seed gives other samples. */
  assert_true(r1.synthetic.per_run[FC_EVAL_DENSITY] !=
              r1.synthetic.per_run[FC_EVAL_NMETRICS + FC_EVAL_DENSITY]);
  o.seed = 2;
  assert_int_equal(fc_eval_run(&real, &syn, &hold, &o, &r4), FC_OK);
  assert_false(same_row(&r1.synthetic, &r4.synthetic, 3));
  /* The mean and sd are those of the per-run values. */
  double s = 0, ss = 0;
  for (int r = 0; r < 3; r++)
    s += r1.synthetic.per_run[r * FC_EVAL_NMETRICS + FC_EVAL_CMD];
  double mean = s / 3;
  for (int r = 0; r < 3; r++) {
    double d = r1.synthetic.per_run[r * FC_EVAL_NMETRICS + FC_EVAL_CMD] - mean;
    ss += d * d;
  }
  assert_true(fabs(r1.synthetic.metric[FC_EVAL_CMD].mean - mean) < TOL);
  assert_true(fabs(r1.synthetic.metric[FC_EVAL_CMD].sd - sqrt(ss / 2)) < TOL);
  /* DKC corrected = sum of rule shares / 21, the artifact's = the same sum / 20. */
  double rules = 0;
  for (int r = 0; r < FC_DKC_RULES; r++)
    rules += r1.synthetic.dkc_rule[r].mean;
  assert_true(fabs(r1.synthetic.metric[FC_EVAL_DKC].mean - rules / 21) < 1e-12);
  assert_true(fabs(r1.synthetic.metric[FC_EVAL_DKC_ARTIFACT].mean - rules / 20) < 1e-12);
  fc_eval_results_free(&r1);
  fc_eval_results_free(&r2);
  fc_eval_results_free(&r3);
  fc_eval_results_free(&r4);
  fc_table_free(&real);
  fc_table_free(&syn);
  fc_table_free(&hold);
}

static void md_sees_copying(void **state) {
  (void)state;
  /* A "generator" that copies its training flows discloses membership: its MD exceeds the
   * reference's, where the "generated" flows are held-out ones. */
  fc_flow_table real, hold;
  random_table(&real, 600, 1490000000000000, 31);
  random_table(&hold, 1200, 1490600000000000, 32);
  fc_eval_options o;
  fc_eval_options_default(&o);
  o.runs = 3;
  fc_eval_results res;
  assert_int_equal(fc_eval_run(&real, &real, &hold, &o, &res), FC_OK);
  assert_int_equal(res.sample_real, 600);
  assert_int_equal(res.sample_holdout, 1200);
  double md_copy = res.synthetic.metric[FC_EVAL_MD].mean;
  double md_ref = res.reference.metric[FC_EVAL_MD].mean;
  assert_true(md_copy > md_ref + 1);
  /* A copy predicts the held-out sequence exactly as well as the real data: difference 0. */
  assert_true(res.synthetic.metric[FC_EVAL_PRED].mean == 0);
  fc_eval_results_free(&res);
  fc_table_free(&real);
  fc_table_free(&hold);
}

static void bad_arguments(void **state) {
  (void)state;
  fc_flow_table t, empty;
  random_table(&t, 50, 0, 5);
  assert_int_equal(fc_table_init(&empty), FC_OK);
  fc_eval_options o;
  fc_eval_options_default(&o);
  fc_eval_results res;
  assert_int_equal(fc_eval_run(&t, &empty, NULL, &o, &res), FC_ERR_ARG);
  o.runs = 0;
  assert_int_equal(fc_eval_run(&t, &t, NULL, &o, &res), FC_ERR_ARG);
  fc_eval_options_default(&o);
  o.internal = "300.0.0.0/8";
  assert_int_equal(fc_eval_run(&t, &t, NULL, &o, &res), FC_ERR_ARG);
  fc_table_free(&t);
  fc_table_free(&empty);
}

int main(void) {
  fc_log_set_level(FC_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(jsd_by_hand),
      cmocka_unit_test(emd_by_hand),
      cmocka_unit_test(pcd_by_hand),
      cmocka_unit_test(cmd_by_hand),
      cmocka_unit_test(md_by_hand),
      cmocka_unit_test(quantile_bins),
      cmocka_unit_test(acf_by_hand),
      cmocka_unit_test(acf_sparse_matches_dense),
      cmocka_unit_test(predict_by_hand),
      cmocka_unit_test(self_comparison),
      cmocka_unit_test(shuffled_pairing_raises_cmd_pcd),
      cmocka_unit_test(dkc_each_rule),
      cmocka_unit_test(dkc_internal_ranges),
      cmocka_unit_test(knn_matches_brute_force),
      cmocka_unit_test(knn_timing_10k),
      cmocka_unit_test(rand_below_uniform),
      cmocka_unit_test(deterministic_over_threads),
      cmocka_unit_test(md_sees_copying),
      cmocka_unit_test(bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
