/* Bayesian networks: count tables (canonical form, merge, serialisation), KT and BIC by hand,
 * hill climbing on planted structures, determinism over thread counts, K2 sampling. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/bn.h"
#include "flowchronicle/mdl.h"
#include "testutil.h"

/* Test-local deterministic generator (splitmix64); the library never draws its own numbers. */
static uint64_t sm64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static double unif(uint64_t *s) {
  return (double)(sm64(s) >> 11) * 0x1.0p-53;
}
static uint32_t below(uint64_t *s, uint32_t n) {
  return (uint32_t)(unif(s) * n);
}

static void assert_close(double got, double want, double rel) {
  double tol = rel * fmax(1.0, fabs(want));
  if (!(fabs(got - want) <= tol)) {
    fprintf(stderr, "got %.17g want %.17g\n", got, want);
    fail();
  }
}

static void assert_ok(fc_status st) {
  if (st != FC_OK) {
    fprintf(stderr, "%s: %s\n", fc_strerror(st), fc_error_message());
    fail();
  }
}

static bool same_double(double a, double b) {
  return memcmp(&a, &b, sizeof a) == 0;
}

/* A column-major block owning its columns. */
typedef struct block {
  int m;
  size_t n;
  uint32_t **col;
  uint32_t *card;
} block;

static block block_new(int m, size_t n) {
  block b = {m, n, calloc((size_t)m, sizeof(uint32_t *)), calloc((size_t)m, sizeof(uint32_t))};
  for (int v = 0; v < m; v++)
    b.col[v] = calloc(n ? n : 1, sizeof(uint32_t));
  return b;
}

static void block_free(block *b) {
  for (int v = 0; v < b->m; v++)
    free(b->col[v]);
  free(b->col);
  free(b->card);
}

/* Sets card[v] = 1 + the largest value (codes are dense in these tests). */
static void block_cards(block *b) {
  for (int v = 0; v < b->m; v++) {
    b->card[v] = 1;
    for (size_t i = 0; i < b->n; i++)
      if (b->col[v][i] + 1 > b->card[v]) b->card[v] = b->col[v][i] + 1;
  }
}

/* A data view of n rows (columns filled in by the caller from slice()). */
static fc_bn_data block_data(const block *b, size_t n) {
  fc_bn_data d = {b->m, n, NULL, b->card};
  return d;
}

/* Column pointers of rows [first, first + n) (the caller frees the array). */
static const uint32_t **slice(const block *b, size_t first) {
  const uint32_t **c = calloc((size_t)b->m, sizeof *c);
  for (int v = 0; v < b->m; v++)
    c[v] = b->col[v] + first;
  return c;
}

static fc_bn *learn(const block *b, const fc_bn_learn_opts *o, fc_bn_learn_stats *stats) {
  const uint32_t **cols = slice(b, 0);
  fc_bn_data d = block_data(b, b->n);
  d.cols = cols;
  fc_bn *bn = NULL;
  assert_ok(fc_bn_learn(b->m, b->card, o, fc_bn_count_local, &d, &bn, stats));
  free(cols);
  return bn;
}

/* With use_card false the counter cannot bound the key space: always the hash path. */
static fc_bn_counts *count_family_with(const block *b, size_t first, size_t n, int node,
                                       const int *parents, int np, bool use_card) {
  const uint32_t **cols = slice(b, first);
  fc_bn_data d = block_data(b, n);
  d.cols = cols;
  if (!use_card) d.card = NULL;
  fc_bn_family f;
  assert_ok(fc_bn_family_set(&f, node, parents, np));
  fc_bn_counts *c = NULL;
  assert_ok(fc_bn_count_local(&d, 1, &f, &c));
  free(cols);
  return c;
}

static fc_bn_counts *count_family(const block *b, size_t first, size_t n, int node,
                                  const int *parents, int np) {
  return count_family_with(b, first, n, node, parents, np, true);
}

/* X, Y binary; rows (0,0) (0,0) (0,1) (1,1). */
static void kt_and_bic_by_hand(void **state) {
  (void)state;
  block b = block_new(2, 4);
  uint32_t x[] = {0, 0, 0, 1}, y[] = {0, 0, 1, 1};
  memcpy(b.col[0], x, sizeof x);
  memcpy(b.col[1], y, sizeof y);
  b.card[0] = b.card[1] = 2;
  const uint32_t **cols = slice(&b, 0);
  fc_bn_data d = {2, 4, cols, b.card};
  fc_bn_family fam[2];
  int px[] = {0};
  assert_ok(fc_bn_family_set(&fam[0], 0, NULL, 0));
  assert_ok(fc_bn_family_set(&fam[1], 1, px, 1));
  fc_bn *bn = NULL;
  assert_ok(fc_bn_create_counted(2, b.card, fam, fc_bn_count_local, &d, &bn));
  /* The table of Y | X: (x=0, y=0) 2, (x=0, y=1) 1, (x=1, y=1) 1, in that order. */
  const fc_bn_counts *t = fc_bn_counts_of(bn, 1);
  assert_int_equal(fc_bn_counts_size(t), 3);
  assert_int_equal(fc_bn_counts_total(t), 4);
  uint32_t cfg[3], val;
  uint64_t cnt;
  const uint32_t want[3][3] = {{0, 0, 2}, {0, 1, 1}, {1, 1, 1}};
  for (size_t i = 0; i < 3; i++) {
    fc_bn_counts_entry(t, i, cfg, &val, &cnt);
    assert_int_equal(cfg[0], want[i][0]);
    assert_int_equal(cfg[1], 0);
    assert_int_equal(cfg[2], 0);
    assert_int_equal(val, want[i][1]);
    assert_int_equal(cnt, want[i][2]);
  }
  /* KT, r = 2 (r/2 = 1):
   *   X: counts {3, 1}: log2(1*2*3*4) - log2(.5*1.5*2.5) - log2(.5)
   *      = log2 24 - log2 1.875 + 1 = log2 12.8 + 1
   *   Y | X=0: {2, 1}: log2(1*2*3) - log2(.5*1.5) - log2(.5) = log2 6 - log2 .75 + 1 = 4
   *   Y | X=1: {0, 1}: log2 1 - log2 .5 = 1
   *   total = log2 12.8 + 6 = 3.678071905112638 + 6. */
  assert_close(fc_bn_counts_kt_bits(fc_bn_counts_of(bn, 0), 2), log2(12.8) + 1.0, 1e-15);
  assert_close(fc_bn_counts_kt_bits(t, 2), 5.0, 1e-15);
  assert_close(fc_bn_data_bits(bn), 9.678071905112638, 1e-15);
  /* Without the arc, Y: {2, 2}: log2 24 - 2 log2 .75 = log2(24 / .5625) = log2 42.666... */
  fc_bn_counts *y_alone = count_family(&b, 0, 4, 1, NULL, 0);
  assert_close(fc_bn_counts_kt_bits(y_alone, 2), log2(24.0 / 0.5625), 1e-15);
  /* BIC of Y | X, natural log: LL = 2 ln(2/3) + 1 ln(1/3) + 1 ln(1/1) = -2.2538...;
   * penalty = 1/2 ln(4) (2 - 1) * 2 = ln 4. */
  assert_close(fc_bn_counts_bic(t, b.card, 4), 2.0 * log(2.0 / 3.0) + log(1.0 / 3.0) - log(4.0),
               1e-14);
  /* Y alone: LL = 4 ln(1/2), penalty 1/2 ln 4 * 1 * 1. */
  assert_close(fc_bn_counts_bic(y_alone, b.card, 4), 4.0 * log(0.5) - 0.5 * log(4.0), 1e-14);
  /* Structure cost: 2 nodes with 0 and 1 parents: 2 log2 4 + log2 C(1,0) + log2 C(1,1) = 4. */
  assert_close(fc_bn_structure_bits(bn, 3, false), 4.0, 1e-15);
  assert_true(fc_bn_has_arc(bn, 0, 1) && !fc_bn_has_arc(bn, 1, 0));
  assert_int_equal(fc_bn_topo_order(bn)[0], 0);
  fc_bn_counts_destroy(&y_alone);
  fc_bn_destroy(&bn);
  assert_null(bn);
  free(cols);
  block_free(&b);
}

static void planted_dependency_seed(uint64_t seed) {
  uint64_t s = seed;
  block b = block_new(3, 20000);
  for (size_t i = 0; i < b.n; i++) {
    uint32_t x = below(&s, 4);
    b.col[0][i] = x;
    b.col[1][i] = unif(&s) < 0.9 ? x : below(&s, 4); /* Y = X with 10% noise */
    b.col[2][i] = below(&s, 3);                      /* Z independent */
  }
  block_cards(&b);
  fc_bn_learn_stats st;
  fc_bn *bn = learn(&b, NULL, &st);
  assert_true(fc_bn_has_arc(bn, 0, 1) || fc_bn_has_arc(bn, 1, 0));
  for (int v = 0; v < 2; v++)
    assert_false(fc_bn_has_arc(bn, v, 2) || fc_bn_has_arc(bn, 2, v));
  assert_int_equal(fc_bn_n_arcs(bn), 1);
  /* The tie between X -> Y and Y -> X (BIC is score-equivalent) goes to the smaller from,
   * also when rounding makes Y -> X look better by a few ulp (seeds 8 and 25: by 3.6e-12 and
   * 7.3e-12 nats). */
  assert_true(fc_bn_has_arc(bn, 0, 1));
  assert_int_equal(st.steps, 1);
  assert_close(st.bic, fc_bn_bic(bn), 1e-12);
  /* The learned structure codes the data shorter than the empty one. */
  fc_bn_counts *y = count_family(&b, 0, b.n, 1, NULL, 0);
  double empty_bits = fc_bn_counts_kt_bits(fc_bn_counts_of(bn, 0), 4) + fc_bn_counts_kt_bits(y, 4) +
                      fc_bn_counts_kt_bits(fc_bn_counts_of(bn, 2), 3);
  assert_true(fc_bn_data_bits(bn) < empty_bits - 1000.0);
  fc_bn_counts_destroy(&y);
  fc_bn_destroy(&bn);
  block_free(&b);
}

static void planted_dependency(void **state) {
  (void)state;
  const uint64_t seeds[] = {42, 8, 25};
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
    planted_dependency_seed(seeds[i]);
}

static int max_parents(const fc_bn *bn) {
  int k = 0;
  for (int v = 0; v < fc_bn_n_nodes(bn); v++)
    if (fc_bn_family_of(bn, v)->n_parents > k) k = fc_bn_family_of(bn, v)->n_parents;
  return k;
}

static void at_most_three_parents(void **state) {
  (void)state;
  uint64_t s = 7;
  /* Five copies of one variable. */
  block b = block_new(5, 5000);
  for (size_t i = 0; i < b.n; i++) {
    uint32_t x = below(&s, 5);
    for (int v = 0; v < 5; v++)
      b.col[v][i] = x;
  }
  block_cards(&b);
  fc_bn *bn = learn(&b, NULL, NULL);
  assert_true(max_parents(bn) <= 3);
  assert_true(fc_bn_n_arcs(bn) >= 4); /* everything explained by one of the copies */
  fc_bn_destroy(&bn);
  block_free(&b);

  /* Y = X1 + ... + X5: every X_i informs Y, so the cap is what stops Y's parent set. */
  block c = block_new(6, 20000);
  for (size_t i = 0; i < c.n; i++) {
    uint32_t sum = 0;
    for (int v = 0; v < 5; v++)
      sum += c.col[v][i] = below(&s, 2);
    c.col[5][i] = sum;
  }
  block_cards(&c);
  bn = learn(&c, NULL, NULL);
  assert_int_equal(max_parents(bn), 3);
  fc_bn_learn_opts o;
  fc_bn_learn_opts_default(&o);
  o.max_indegree = 1;
  fc_bn_destroy(&bn);
  bn = learn(&c, &o, NULL);
  assert_int_equal(max_parents(bn), 1);
  fc_bn_destroy(&bn);
  o.max_indegree = 0;
  bn = learn(&c, &o, NULL);
  assert_int_equal(fc_bn_n_arcs(bn), 0);
  fc_bn_destroy(&bn);
  block_free(&c);
}

/* Mixed cardinalities up to 3000, enough rows for chunked counting with 2 threads. */
static block mixed_block(size_t n, uint64_t seed) {
  uint64_t s = seed;
  block b = block_new(6, n);
  for (size_t i = 0; i < n; i++) {
    uint32_t ip = below(&s, 3000);
    b.col[0][i] = ip;
    b.col[1][i] = unif(&s) < 0.7 ? ip % 50 : below(&s, 50);
    b.col[2][i] = below(&s, 7);
    b.col[3][i] = (b.col[1][i] + b.col[2][i] + (unif(&s) < 0.2)) % 20;
    b.col[4][i] = unif(&s) < 0.5 ? ip : below(&s, 3000);
    b.col[5][i] = 0; /* constant */
  }
  block_cards(&b);
  return b;
}

static void deterministic_over_threads(void **state) {
  (void)state;
  block b = mixed_block(200000, 99);
  const int saved = omp_get_max_threads();
  fc_bn_learn_opts o;
  fc_bn_learn_opts_default(&o);
  omp_set_num_threads(1);
  fc_bn *one = learn(&b, &o, NULL);
  /* Single-family batches: with 2 threads each family is counted in 2 row chunks, merged. */
  o.max_batch = 1;
  omp_set_num_threads(2);
  fc_bn *two = learn(&b, &o, NULL);
  omp_set_num_threads(saved);
  assert_true(fc_bn_n_arcs(one) > 0);
  for (int v = 0; v < b.m; v++) {
    assert_true(fc_bn_family_equal(fc_bn_family_of(one, v), fc_bn_family_of(two, v)));
    assert_true(fc_bn_counts_equal(fc_bn_counts_of(one, v), fc_bn_counts_of(two, v)));
  }
  assert_true(same_double(fc_bn_data_bits(one), fc_bn_data_bits(two)));
  assert_true(same_double(fc_bn_bic(one), fc_bn_bic(two)));
  /* The constant variable costs exactly nothing. */
  assert_true(fc_bn_counts_kt_bits(fc_bn_counts_of(one, 5), 1) == 0.0);
  fc_bn_destroy(&one);
  fc_bn_destroy(&two);
  block_free(&b);
}

static void merge_equals_whole(void **state) {
  (void)state;
  block b = mixed_block(150001, 5);
  const size_t half = 70001;
  /* Key spaces 3000 and 150,000 cells (dense), 7000 (dense), 5.9e10 (hashed). */
  const int fams[][4] = {{0, -1, -1, -1}, {1, 0, -1, -1}, {3, 1, 2, -1}, {4, 0, 1, 3}};
  for (size_t f = 0; f < sizeof fams / sizeof fams[0]; f++) {
    int node = fams[f][0], np = 0, par[3];
    for (int k = 0; k < 3; k++)
      if (fams[f][1 + k] >= 0) par[np++] = fams[f][1 + k];
    fc_bn_counts *whole = count_family(&b, 0, b.n, node, par, np);
    /* Dense counting (small key spaces, when cardinalities are known) and hashing agree. */
    fc_bn_counts *hashed = count_family_with(&b, 0, b.n, node, par, np, false);
    assert_true(fc_bn_counts_equal(whole, hashed));
    fc_bn_counts_destroy(&hashed);
    fc_bn_counts *a = count_family(&b, 0, half, node, par, np);
    fc_bn_counts *c = count_family(&b, half, b.n - half, node, par, np);
    /* Rank 1's table travels serialised, as it would through MPI. */
    size_t nw = fc_bn_counts_serial_words(c);
    uint64_t *w = malloc(nw * sizeof *w);
    fc_bn_counts_serialize(c, w);
    fc_bn_counts *c2 = NULL;
    size_t used = 0;
    assert_ok(fc_bn_counts_deserialize(w, nw, &c2, &used));
    assert_int_equal(used, nw);
    assert_true(fc_bn_counts_equal(c, c2));
    /* a + c and c + a both equal the whole. */
    fc_bn_counts *ac = NULL, *ca = NULL;
    assert_ok(fc_bn_counts_copy(a, &ac));
    assert_ok(fc_bn_counts_merge(ac, c2));
    assert_ok(fc_bn_counts_copy(c2, &ca));
    assert_ok(fc_bn_counts_merge(ca, a));
    assert_true(fc_bn_counts_equal(ac, whole));
    assert_true(fc_bn_counts_equal(ca, whole));
    assert_int_equal(fc_bn_counts_total(ac), b.n);
    uint32_t r = b.card[node];
    assert_true(same_double(fc_bn_counts_kt_bits(ac, r), fc_bn_counts_kt_bits(whole, r)));
    assert_true(same_double(fc_bn_counts_kt_bits(ca, r), fc_bn_counts_kt_bits(whole, r)));
    /* A corrupted buffer is refused: entries out of order, a bad tag, a short buffer. */
    if (fc_bn_counts_size(c) >= 2) {
      uint64_t save = w[7];
      w[7] = w[10] + 1;
      fc_bn_counts *bad = NULL;
      assert_int_equal(fc_bn_counts_deserialize(w, nw, &bad, NULL), FC_ERR_FORMAT);
      w[7] = save;
    }
    fc_bn_counts *bad = NULL;
    if (fc_bn_counts_size(c) >= 1) { /* a zero count is not canonical */
      uint64_t save = w[9];
      w[9] = 0;
      assert_int_equal(fc_bn_counts_deserialize(w, nw, &bad, NULL), FC_ERR_FORMAT);
      w[9] = save;
    }
    assert_int_equal(fc_bn_counts_deserialize(w, nw - 1, &bad, NULL), FC_ERR_FORMAT);
    w[0] ^= 1;
    assert_int_equal(fc_bn_counts_deserialize(w, nw, &bad, NULL), FC_ERR_FORMAT);
    free(w);
    fc_bn_counts_destroy(&whole);
    fc_bn_counts_destroy(&a);
    fc_bn_counts_destroy(&c);
    fc_bn_counts_destroy(&c2);
    fc_bn_counts_destroy(&ac);
    fc_bn_counts_destroy(&ca);
  }
  /* One batch holding all families twice gives the same tables as counting each alone (the
   * per-thread buffers are reused across the families of a batch). */
  {
    const uint32_t **cols = slice(&b, 0);
    fc_bn_data d = block_data(&b, b.n);
    d.cols = cols;
    enum { NF = sizeof fams / sizeof fams[0] };
    fc_bn_family batch[2 * NF];
    fc_bn_counts *out[2 * NF];
    for (size_t f = 0; f < 2 * NF; f++) {
      int np = 0, par[3];
      for (int k = 0; k < 3; k++)
        if (fams[f % NF][1 + k] >= 0) par[np++] = fams[f % NF][1 + k];
      assert_ok(fc_bn_family_set(&batch[f], fams[f % NF][0], par, np));
    }
    assert_ok(fc_bn_count_local(&d, 2 * NF, batch, out));
    for (size_t f = 0; f < 2 * NF; f++) {
      const fc_bn_family *g = &batch[f];
      fc_bn_counts *alone = count_family(&b, 0, b.n, g->node, g->parents, g->n_parents);
      assert_true(fc_bn_counts_equal(out[f], alone));
      fc_bn_counts_destroy(&alone);
      fc_bn_counts_destroy(&out[f]);
    }
    free(cols);
  }
  /* Tables of different families do not merge. */
  int p0[] = {0};
  fc_bn_counts *x = count_family(&b, 0, 100, 1, p0, 1), *y = count_family(&b, 0, 100, 1, NULL, 0);
  assert_int_equal(fc_bn_counts_merge(x, y), FC_ERR_ARG);
  fc_bn_counts_destroy(&x);
  fc_bn_counts_destroy(&y);
  block_free(&b);
}

static void tables_from_entries(void **state) {
  (void)state;
  /* Unordered entries with duplicates and a zero give the counted table. */
  block b = block_new(2, 6);
  uint32_t x[] = {2, 0, 2, 1, 0, 2}, y[] = {1, 0, 1, 3, 0, 0};
  memcpy(b.col[0], x, sizeof x);
  memcpy(b.col[1], y, sizeof y);
  block_cards(&b);
  int p[] = {0};
  fc_bn_counts *counted = count_family(&b, 0, 6, 1, p, 1);
  const uint32_t keys[] = {2, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 3, 2, 0,
                           0, 0, 0, 0, 0, 0, 2, 0, 0, 1, 1, 0, 0, 2};
  const uint64_t cnt[] = {1, 2, 1, 1, 0, 1, 0};
  fc_bn_family f;
  assert_ok(fc_bn_family_set(&f, 1, p, 1));
  fc_bn_counts *built = NULL;
  assert_ok(fc_bn_counts_from_entries(&f, 7, keys, cnt, &built));
  assert_true(fc_bn_counts_equal(counted, built));
  assert_int_equal(fc_bn_counts_size(built), 4);
  /* A configuration slot of an absent parent must be 0. */
  const uint32_t badkey[] = {0, 1, 0, 0};
  const uint64_t one[] = {1};
  fc_bn_counts *bad = NULL;
  assert_int_equal(fc_bn_counts_from_entries(&f, 1, badkey, one, &bad), FC_ERR_ARG);
  /* Families are sorted and checked. */
  int unsorted[] = {5, 2, 3};
  assert_ok(fc_bn_family_set(&f, 0, unsorted, 3));
  assert_int_equal(f.parents[0], 2);
  assert_int_equal(f.parents[2], 5);
  int dup[] = {2, 2}, self[] = {0}, four[] = {1, 2, 3, 4};
  assert_int_equal(fc_bn_family_set(&f, 0, dup, 2), FC_ERR_ARG);
  assert_int_equal(fc_bn_family_set(&f, 0, self, 1), FC_ERR_ARG);
  assert_int_equal(fc_bn_family_set(&f, 0, four, 4), FC_ERR_ARG);
  /* Counting checks values against the cardinalities. */
  b.card[1] = 3; /* y = 3 occurs */
  fc_bn_family g;
  assert_ok(fc_bn_family_set(&g, 1, p, 1));
  const uint32_t **cols = slice(&b, 0);
  fc_bn_data d = {2, 6, cols, b.card};
  fc_bn_counts *out = NULL;
  assert_int_equal(fc_bn_count_local(&d, 1, &g, &out), FC_ERR_ARG);
  assert_null(out);
  free(cols);
  fc_bn_counts_destroy(&counted);
  fc_bn_counts_destroy(&built);
  block_free(&b);
}

/* X (card 3, value 2 never seen) -> Y (card 4), with given counts:
 *   X: 0 x 30, 1 x 10;  Y | X=0: 0 x 20, 2 x 10;  Y | X=1: 3 x 10. */
static fc_bn *sampling_bn(void) {
  fc_bn_family fx, fy;
  int p[] = {0};
  assert_ok(fc_bn_family_set(&fx, 0, NULL, 0));
  assert_ok(fc_bn_family_set(&fy, 1, p, 1));
  const uint32_t kx[] = {0, 0, 0, 0, 0, 0, 0, 1};
  const uint64_t cx[] = {30, 10};
  const uint32_t ky[] = {0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 3};
  const uint64_t cy[] = {20, 10, 10};
  fc_bn_counts *t[2] = {NULL, NULL};
  assert_ok(fc_bn_counts_from_entries(&fx, 2, kx, cx, &t[0]));
  assert_ok(fc_bn_counts_from_entries(&fy, 3, ky, cy, &t[1]));
  const uint32_t card[] = {3, 4};
  fc_bn *bn = NULL;
  assert_ok(fc_bn_create(2, card, t, &bn));
  assert_null(t[0]);
  return bn;
}

static double chi2(const uint64_t *obs, const double *p, int k, uint64_t n) {
  double c = 0.0;
  for (int i = 0; i < k; i++) {
    double e = p[i] * (double)n;
    c += ((double)obs[i] - e) * ((double)obs[i] - e) / e;
  }
  return c;
}

static void k2_sampling_frequencies(void **state) {
  (void)state;
  fc_bn *bn = sampling_bn();
  uint64_t s = 2024;
  const uint64_t n = 400000;
  uint64_t joint[3][4] = {{0}};
  for (uint64_t i = 0; i < n; i++) {
    double u[2] = {unif(&s), unif(&s)};
    uint32_t val[2];
    fc_bn_sample(bn, u, val);
    assert_true(val[0] < 3 && val[1] < 4);
    joint[val[0]][val[1]]++;
  }
  /* K2: P(X) = (N_x + 1) / (40 + 3) = 31/43, 11/43, 1/43;
   *     P(Y | X=0) = (21, 1, 11, 1) / 34;  P(Y | X=1) = (1, 1, 1, 11) / 14;
   *     P(Y | X=2) = uniform 1/4 (configuration never observed). */
  const double px[3] = {31.0 / 43, 11.0 / 43, 1.0 / 43};
  const double py[3][4] = {{21.0 / 34, 1.0 / 34, 11.0 / 34, 1.0 / 34},
                           {1.0 / 14, 1.0 / 14, 1.0 / 14, 11.0 / 14},
                           {0.25, 0.25, 0.25, 0.25}};
  uint64_t mx[3] = {0};
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 4; y++)
      mx[x] += joint[x][y];
  /* df 2 and 3: 25 is far beyond the 0.9999 quantiles (18.4 and 21.1). */
  assert_true(chi2(mx, px, 3, n) < 25.0);
  for (int x = 0; x < 3; x++)
    assert_true(chi2(joint[x], py[x], 4, mx[x]) < 25.0);
  /* The test can fail: the unsmoothed distribution is rejected. */
  const double raw[4] = {20.0 / 30, 1e-9, 10.0 / 30, 1e-9};
  assert_true(chi2(joint[0], raw, 4, mx[0]) > 1000.0);
  fc_bn_destroy(&bn);
}

static void unseen_configuration_is_uniform(void **state) {
  (void)state;
  fc_bn *bn = sampling_bn();
  uint32_t vals[2] = {2, 0}; /* X = 2 was never observed */
  /* x = u * (0 + 4): u in [j/4, (j+1)/4) gives j exactly. */
  for (uint32_t j = 0; j < 4; j++) {
    assert_int_equal(fc_bn_sample_node(bn, 1, vals, (j + 0.5) / 4.0), j);
    assert_int_equal(fc_bn_sample_node(bn, 1, vals, j / 4.0), j);
  }
  assert_int_equal(fc_bn_sample_node(bn, 1, vals, 1.0), 3); /* clamped */
  uint64_t s = 3, obs[4] = {0};
  const uint64_t n = 100000;
  for (uint64_t i = 0; i < n; i++)
    obs[fc_bn_sample_node(bn, 1, vals, unif(&s))]++;
  const double p[4] = {0.25, 0.25, 0.25, 0.25};
  assert_true(chi2(obs, p, 4, n) < 25.0);
  /* Seen configuration X = 1: x = u * (10 + 4); x < 10 is value 3 (the only observed value),
   * then one unit of smoothing mass per value 0..3. */
  vals[0] = 1;
  assert_int_equal(fc_bn_sample_node(bn, 1, vals, 0.0), 3);
  assert_int_equal(fc_bn_sample_node(bn, 1, vals, 9.99 / 14), 3);
  assert_int_equal(fc_bn_sample_node(bn, 1, vals, 10.5 / 14), 0);
  assert_int_equal(fc_bn_sample_node(bn, 1, vals, 12.5 / 14), 2);
  /* X = 0: entries y=0 (20), y=2 (10): x in [0,20) -> 0, [20,30) -> 2, then smoothing. */
  vals[0] = 0;
  assert_int_equal(fc_bn_sample_node(bn, 1, vals, 19.9 / 34), 0);
  assert_int_equal(fc_bn_sample_node(bn, 1, vals, 20.1 / 34), 2);
  assert_int_equal(fc_bn_sample_node(bn, 1, vals, 31.5 / 34), 1);
  fc_bn_destroy(&bn);
}

static void constant_variable_costs_nothing(void **state) {
  (void)state;
  block b = block_new(2, 1000);
  uint64_t s = 11;
  for (size_t i = 0; i < b.n; i++)
    b.col[1][i] = below(&s, 3); /* column 0 all zero */
  block_cards(&b);
  assert_int_equal(b.card[0], 1);
  fc_bn *bn = learn(&b, NULL, NULL);
  assert_true(fc_bn_counts_kt_bits(fc_bn_counts_of(bn, 0), 1) == 0.0);
  assert_int_equal(fc_bn_n_arcs(bn), 0);
  fc_bn_counts *c = count_family(&b, 0, b.n, 1, NULL, 0);
  assert_true(same_double(fc_bn_data_bits(bn), fc_bn_counts_kt_bits(c, 3)));
  fc_bn_counts_destroy(&c);
  fc_bn_destroy(&bn);
  block_free(&b);
}

static void serialisation_round_trip(void **state) {
  (void)state;
  block b = mixed_block(30000, 17);
  fc_bn *bn = learn(&b, NULL, NULL);
  const int m = fc_bn_n_nodes(bn);
  size_t nw = fc_bn_serial_words(bn);
  int32_t *structure = malloc(4 * (size_t)m * sizeof *structure);
  uint64_t *w = malloc(nw * sizeof *w);
  fc_bn_serialize(bn, structure, w);
  fc_bn *back = NULL;
  assert_ok(fc_bn_deserialize(m, b.card, structure, w, nw, &back));
  for (int v = 0; v < m; v++) {
    assert_true(fc_bn_counts_equal(fc_bn_counts_of(bn, v), fc_bn_counts_of(back, v)));
    assert_int_equal(structure[4 * v], fc_bn_family_of(bn, v)->n_parents);
  }
  assert_true(same_double(fc_bn_data_bits(bn), fc_bn_data_bits(back)));
  assert_true(fc_bn_n_rows(back) == 30000);
  /* Same uniforms, same samples. */
  uint64_t s = 1;
  for (int i = 0; i < 1000; i++) {
    double u[6];
    uint32_t va[6], vb[6];
    for (int k = 0; k < 6; k++)
      u[k] = unif(&s);
    fc_bn_sample(bn, u, va);
    fc_bn_sample(back, u, vb);
    assert_memory_equal(va, vb, sizeof va);
  }
  fc_bn_destroy(&back);
  /* Trailing words, and a structure that disagrees with the tables, are refused. */
  assert_int_equal(fc_bn_deserialize(m, b.card, structure, w, nw - 1, &back), FC_ERR_FORMAT);
  int v = 0;
  while (v < m && structure[4 * v] == 0)
    v++;
  assert_true(v < m);
  structure[4 * v] = 0;
  assert_int_equal(fc_bn_deserialize(m, b.card, structure, w, nw, &back), FC_ERR_FORMAT);
  assert_null(back);
  free(structure);
  free(w);
  fc_bn_destroy(&bn);
  block_free(&b);
}

static void cycles_are_refused(void **state) {
  (void)state;
  fc_bn_family f0, f1;
  int p0[] = {1}, p1[] = {0};
  assert_ok(fc_bn_family_set(&f0, 0, p0, 1));
  assert_ok(fc_bn_family_set(&f1, 1, p1, 1));
  fc_bn_counts *t[2] = {NULL, NULL};
  assert_ok(fc_bn_counts_create(&f0, &t[0]));
  assert_ok(fc_bn_counts_create(&f1, &t[1]));
  const uint32_t card[] = {2, 2};
  fc_bn *bn = NULL;
  assert_int_equal(fc_bn_create(2, card, t, &bn), FC_ERR_ARG);
  assert_null(bn);
  assert_non_null(t[0]); /* still the caller's */
  fc_bn_counts_destroy(&t[0]);
  fc_bn_counts_destroy(&t[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kt_and_bic_by_hand),
      cmocka_unit_test(planted_dependency),
      cmocka_unit_test(at_most_three_parents),
      cmocka_unit_test(deterministic_over_threads),
      cmocka_unit_test(merge_equals_whole),
      cmocka_unit_test(tables_from_entries),
      cmocka_unit_test(k2_sampling_frequencies),
      cmocka_unit_test(unseen_configuration_is_uniform),
      cmocka_unit_test(constant_variable_costs_nothing),
      cmocka_unit_test(serialisation_round_trip),
      cmocka_unit_test(cycles_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
