/* The partitioned family scores (fc_dist_bn_score) equal the scores of the tables one process
 * counts over all rows, bit for bit, for any number of ranks; and structure learning through
 * them gives the network learned from whole tables. */
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/dist.h"
#include "testutil.h"

static int rank, size;

enum { N = 5000, V = 6 };
static uint32_t cols[V][N];
static const uint32_t card[V] = {3, 7, 2, 40, 5, 300};

static void make_data(void) {
  uint64_t x = 0x2545F4914F6CDD1DULL;
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
  for (int i = 0; i < N; i++) {
    for (int v = 0; v < V; v++) cols[v][i] = (uint32_t)(RND() % card[v]);
    if (RND() % 4) cols[2][i] = cols[0][i] % 2; /* planted dependencies, so the learner */
    if (RND() % 4) cols[4][i] = cols[1][i] % 5; /* adds arcs */
  }
#undef RND
}

/* The whole table (all) and this rank's block of it (ctx). */
static void setup(fc_bn_data *all, fc_dist_bn_ctx *ctx) {
  static const uint32_t *whole[V], *mine[V];
  make_data();
  const size_t begin = (size_t)N * (size_t)rank / (size_t)size;
  const size_t end = (size_t)N * (size_t)(rank + 1) / (size_t)size;
  for (int v = 0; v < V; v++) {
    whole[v] = cols[v];
    mine[v] = cols[v] + begin;
  }
  *all = (fc_bn_data){V, N, whole, card};
  *ctx = (fc_dist_bn_ctx){{V, end - begin, mine, card}, MPI_COMM_WORLD};
}

static void scores_equal_whole_tables(void **state) {
  (void)state;
  fc_bn_data all;
  fc_dist_bn_ctx ctx;
  setup(&all, &ctx);
  /* every family with up to two parents among the others, in one batch */
  fc_bn_family fams[V * (1 + (V - 1) + (V - 1) * (V - 2) / 2)];
  size_t nf = 0;
  for (int v = 0; v < V; v++) {
    assert_int_equal(fc_bn_family_set(&fams[nf++], v, NULL, 0), FC_OK);
    for (int a = 0; a < V; a++) {
      if (a == v) continue;
      int p1[1] = {a};
      assert_int_equal(fc_bn_family_set(&fams[nf++], v, p1, 1), FC_OK);
      for (int b = a + 1; b < V; b++) {
        if (b == v) continue;
        int p2[2] = {a, b};
        assert_int_equal(fc_bn_family_set(&fams[nf++], v, p2, 2), FC_OK);
      }
    }
  }
  double *got = malloc(nf * sizeof *got);
  fc_bn_counts **tabs = calloc(nf, sizeof *tabs);
  assert_non_null(got);
  assert_non_null(tabs);
  uint64_t rows = 0;
  assert_int_equal(fc_dist_bn_score(&ctx, nf, fams, card, got, &rows), FC_OK);
  assert_int_equal(rows, N);
  assert_int_equal(fc_bn_count_local(&all, nf, fams, tabs), FC_OK);
  for (size_t i = 0; i < nf; i++) {
    double want = fc_bn_counts_bic(tabs[i], card, N);
    assert_true(memcmp(&want, &got[i], sizeof want) == 0); /* bit for bit */
    fc_bn_counts_destroy(&tabs[i]);
  }
  /* an empty batch is fine too */
  assert_int_equal(fc_dist_bn_score(&ctx, 0, fams, card, got, &rows), FC_OK);
  free(tabs);
  free(got);
}

static void learning_through_scores_matches_tables(void **state) {
  (void)state;
  fc_bn_data all;
  fc_dist_bn_ctx ctx;
  setup(&all, &ctx);
  fc_bn_learn_opts lo;
  fc_bn_learn_opts_default(&lo);
  fc_bn *ref = NULL, *bn = NULL;
  fc_bn_learn_stats s_ref, s;
  assert_int_equal(fc_bn_learn(V, card, &lo, fc_bn_count_local, &all, &ref, &s_ref), FC_OK);
  lo.score = fc_dist_bn_score;
  assert_int_equal(fc_bn_learn(V, card, &lo, fc_dist_bn_count, &ctx, &bn, &s), FC_OK);
  assert_true(fc_bn_n_arcs(ref) >= 2); /* the planted dependencies were found */
  assert_int_equal(fc_bn_n_arcs(bn), fc_bn_n_arcs(ref));
  for (int v = 0; v < V; v++) {
    assert_true(fc_bn_family_equal(fc_bn_family_of(bn, v), fc_bn_family_of(ref, v)));
    assert_true(fc_bn_counts_equal(fc_bn_counts_of(bn, v), fc_bn_counts_of(ref, v)));
  }
  assert_true(memcmp(&s.bic, &s_ref.bic, sizeof s.bic) == 0);
  fc_bn_destroy(&ref);
  fc_bn_destroy(&bn);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(scores_equal_whole_tables),
      cmocka_unit_test(learning_through_scores_matches_tables),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return failed ? 1 : 0;
}
