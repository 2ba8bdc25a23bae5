/* The miner: the empty model's code length by hand, the direction of pruning, constant folding,
 * the talk's toy example (DNS to 8.8.8.8, then HTTP from the same source), the MDL bound, and
 * the same model for any thread count. */
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "flowchronicle/cover.h"
#include "flowchronicle/encode.h"
#include "flowchronicle/mdl.h"
#include "flowchronicle/model.h"
#include "flowchronicle/search.h"
#include "testutil.h"

static const fc_model_options MO = {1000, 3, false};

static void empty_model_by_hand(void **state) {
  (void)state;
  /* One column (domain 2): values 0 0 1 0 at ticks 0 1 2 4, so T = 4.
   *  L(M) = L_N(1) + base structure (one node: log2(3 + 1) + log2 C(0, 0) = 2 bits)
   *  L(D|M) = 4 rows x log2 4 + KT({3, 1}, r = 2)
   *  KT = log2(1 x 2 x 3 x 4) - [log2(.5 x 1.5 x 2.5) + log2(.5)] = log2(24) - log2(0.9375) */
  static const uint32_t col[4] = {0, 0, 1, 0};
  static const int64_t ticks[4] = {0, 1, 2, 4};
  const uint32_t *codes[1] = {col};
  uint32_t domain[1] = {2};
  fc_mdata md;
  assert_int_equal(fc_mdata_build_raw(&md, 4, 1, codes, domain, ticks), FC_OK);
  fc_model *m;
  assert_int_equal(fc_model_create(&md, 4, &MO, NULL, &m), FC_OK);
  fc_model_bits b;
  fc_model_get_bits(m, &b);
  double want_model = log2(2.865064) + 2.0;
  double want_data = 8.0 + log2(24.0) - log2(0.9375);
  assert_true(fabs(b.model - want_model) < 1e-9);
  assert_true(fabs(b.data - want_data) < 1e-9);
  assert_true(fabs(b.empty - (want_model + want_data)) < 1e-9);
  fc_model_destroy(&m);
  fc_mdata_free(&md);
}

/* A small network as coded columns: proto (0 UDP, 1 TCP), src_ip, dst_ip, dst_port
 * (0: 53, 1: 80, 2: 443, 3: 22). Address 0 is 8.8.8.8, 1..20 clients, 21..40 web servers.
 * Every client now and then asks 8.8.8.8 and a few ticks later opens HTTP to some server;
 * between those, unrelated SSH and HTTPS noise. */
typedef struct toy {
  size_t n;
  uint32_t *cols[4];
  int64_t *ticks;
  fc_mdata md;
} toy;

static void toy_make(toy *t, int episodes) {
  size_t cap = (size_t)episodes * 4 + 16;
  for (int c = 0; c < 4; c++) t->cols[c] = calloc(cap, sizeof(uint32_t));
  t->ticks = calloc(cap, sizeof(int64_t));
  uint64_t x = 0x243F6A8885A308D3ULL;
#define NEXT() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
  size_t n = 0;
  int64_t tick = 0;
  for (int e = 0; e < episodes; e++) {
    uint32_t client = 1 + (uint32_t)(NEXT() % 20);
    /* DNS to 8.8.8.8 */
    t->cols[0][n] = 0, t->cols[1][n] = client, t->cols[2][n] = 0, t->cols[3][n] = 0;
    t->ticks[n++] = tick;
    tick += 1 + (int64_t)(NEXT() % 3);
    /* noise in between: SSH or HTTPS from another client */
    if (NEXT() % 2) {
      t->cols[0][n] = 1, t->cols[1][n] = 1 + (uint32_t)((client + 7) % 20);
      t->cols[2][n] = 21 + (uint32_t)(NEXT() % 20), t->cols[3][n] = NEXT() % 2 ? 2 : 3;
      t->ticks[n++] = tick;
      tick += 1;
    }
    /* HTTP from the same client */
    t->cols[0][n] = 1, t->cols[1][n] = client, t->cols[2][n] = 21 + (uint32_t)(NEXT() % 20);
    t->cols[3][n] = 1;
    t->ticks[n++] = tick;
    /* Episodes further apart than the longest pattern span: patterns cannot chain them. */
    tick += 1100 + (int64_t)(NEXT() % 500);
  }
#undef NEXT
  t->n = n;
  const uint32_t *codes[4] = {t->cols[0], t->cols[1], t->cols[2], t->cols[3]};
  uint32_t domain[4] = {2, 41, 41, 4};
  assert_int_equal(fc_mdata_build_raw(&t->md, n, 4, codes, domain, t->ticks), FC_OK);
}

static void toy_free(toy *t) {
  fc_mdata_free(&t->md);
  for (int c = 0; c < 4; c++) free(t->cols[c]);
  free(t->ticks);
}

static void search_toy_cache(toy *t, fc_model **m, fc_search_state *s, uint64_t cache_bytes) {
  assert_int_equal(fc_model_create(&t->md, (uint64_t)(t->ticks[t->n - 1] - t->ticks[0]), &MO,
                                   NULL, m),
                   FC_OK);
  fc_search_options so;
  fc_search_options_default(&so);
  so.progress_interval_s = 1e9;
  so.window_cache_bytes = cache_bytes;
  memset(s, 0, sizeof *s);
  assert_int_equal(fc_search_run(*m, &t->md, &so, s), FC_OK);
}

static void search_toy(toy *t, fc_model **m, fc_search_state *s) {
  fc_search_options so;
  fc_search_options_default(&so);
  search_toy_cache(t, m, s, so.window_cache_bytes);
}

static void finds_the_talks_toy_pattern(void **state) {
  (void)state;
  toy t;
  toy_make(&t, 400);
  fc_model *m;
  fc_search_state s;
  search_toy(&t, &m, &s);
  assert_true(s.converged);
  fc_model_bits b;
  fc_model_get_bits(m, &b);
  assert_true(b.total <= b.empty); /* never worse than the empty model */
  assert_true(b.total < 0.9 * b.empty);
  bool found = false;
  for (size_t k = 0; k < fc_model_n_patterns(m) && !found; k++) {
    const fc_pattern *p = fc_model_pattern(m, k);
    if (p->n_rows != 2) continue;
    /* row 0: UDP to 8.8.8.8 port 53 from ?A; row 1: TCP port 80 from A */
    found = p->cell[0][0].kind == FC_CELL_FIX && p->cell[0][0].arg == 0 &&
            p->cell[0][2].kind == FC_CELL_FIX && p->cell[0][2].arg == 0 &&
            p->cell[0][3].kind == FC_CELL_FIX && p->cell[0][3].arg == 0 &&
            p->cell[0][1].kind == FC_CELL_SET && p->cell[1][1].kind == FC_CELL_USE &&
            p->cell[1][1].arg == p->cell[0][1].arg && p->cell[1][3].kind == FC_CELL_FIX &&
            p->cell[1][3].arg == 1 && fc_model_usage(m, k) >= 300;
  }
  assert_true(found);
  fc_search_state_free(&s);
  fc_model_destroy(&m);
  toy_free(&t);
}

static void assert_same_models(fc_model *m1, const fc_search_state *s1, fc_model *m2,
                               const fc_search_state *s2) {
  fc_model_bits b1, b2;
  fc_model_get_bits(m1, &b1);
  fc_model_get_bits(m2, &b2);
  assert_true(memcmp(&b1, &b2, sizeof b1) == 0);
  assert_int_equal(fc_model_n_patterns(m1), fc_model_n_patterns(m2));
  for (size_t k = 0; k < fc_model_n_patterns(m1); k++) {
    assert_true(fc_pattern_equal(fc_model_pattern(m1, k), fc_model_pattern(m2, k)));
    assert_int_equal(fc_model_usage(m1, k), fc_model_usage(m2, k));
  }
  assert_int_equal(s1->n_tested, s2->n_tested);
}

/* The window cache only saves work: none, one so small that it evicts all the time, and the
 * default give the same model. */
static void same_model_for_any_window_cache(void **state) {
  (void)state;
  toy t;
  toy_make(&t, 300);
  fc_model *m[3];
  fc_search_state s[3];
  const uint64_t sizes[3] = {0, 8192, (uint64_t)256 << 20};
  for (int i = 0; i < 3; i++) search_toy_cache(&t, &m[i], &s[i], sizes[i]);
  assert_true(fc_model_n_patterns(m[0]) >= 1);
  for (int i = 1; i < 3; i++) assert_same_models(m[0], &s[0], m[i], &s[i]);
  for (int i = 0; i < 3; i++) {
    fc_search_state_free(&s[i]);
    fc_model_destroy(&m[i]);
  }
  toy_free(&t);
}

static void same_model_for_any_thread_count(void **state) {
  (void)state;
#ifdef _OPENMP
  toy t;
  toy_make(&t, 300);
  fc_model *m1, *m2;
  fc_search_state s1, s2;
  omp_set_num_threads(1);
  search_toy(&t, &m1, &s1);
  omp_set_num_threads(2);
  search_toy(&t, &m2, &s2);
  assert_same_models(m1, &s1, m2, &s2);
  fc_search_state_free(&s1);
  fc_search_state_free(&s2);
  fc_model_destroy(&m1);
  fc_model_destroy(&m2);
  toy_free(&t);
#else
  skip();
#endif
}

static void folding_and_pruning_direction(void **state) {
  (void)state;
  toy t;
  toy_make(&t, 200);
  fc_model *m;
  assert_int_equal(fc_model_create(&t.md, (uint64_t)(t.ticks[t.n - 1] - t.ticks[0]), &MO, NULL,
                                   &m),
                   FC_OK);
  /* X: every HTTP flow, as a single row (TCP, port 80). */
  fc_pattern x;
  fc_pattern_init(&x, 1);
  x.cell[0][0] = (fc_cell){FC_CELL_FIX, 1};
  x.cell[0][3] = (fc_cell){FC_CELL_FIX, 1};
  fc_trial *tr;
  assert_int_equal(fc_model_trial_add(m, &x, NULL, &tr), FC_OK);
  assert_non_null(tr);
  fc_model_commit(m, &tr);
  assert_int_equal(fc_model_usage(m, 0), 200);
  /* Y: UDP port 53 from ?A, then port 80 from A (4 covered cells: its windows outrank X's).
   * Over its windows the first row's dst (8.8.8.8) and the second row's proto (TCP) are
   * constant: folding must make them FIX. */
  fc_pattern y;
  fc_pattern_init(&y, 2);
  y.cell[0][0] = (fc_cell){FC_CELL_FIX, 0};
  y.cell[0][3] = (fc_cell){FC_CELL_FIX, 0};
  y.cell[0][1] = (fc_cell){FC_CELL_SET, 0};
  y.cell[1][1] = (fc_cell){FC_CELL_USE, 0};
  y.cell[1][3] = (fc_cell){FC_CELL_FIX, 1};
  fc_pattern_canonical(&y);
  assert_int_equal(fc_model_trial_add(m, &y, NULL, &tr), FC_OK);
  assert_non_null(tr);
  const fc_pattern *f = fc_trial_pattern(tr);
  assert_int_equal(f->cell[0][2].kind, FC_CELL_FIX);
  assert_int_equal(f->cell[0][2].arg, 0);
  assert_int_equal(f->cell[1][0].kind, FC_CELL_FIX);
  assert_int_equal(f->cell[1][0].arg, 1);
  assert_int_equal(f->cell[1][2].kind, FC_CELL_FREE); /* web servers vary */
  fc_model_bits before;
  fc_model_get_bits(m, &before);
  assert_true(fc_trial_total(tr) < before.total);
  fc_model_commit(m, &tr);
  /* Y took every HTTP flow: X is unused, and removing it must shorten the total. */
  assert_int_equal(fc_model_usage(m, 0), 0);
  fc_model_bits now;
  fc_model_get_bits(m, &now);
  assert_int_equal(fc_model_trial_remove(m, 0, &tr), FC_OK);
  assert_true(fc_trial_total(tr) < now.total);
  fc_trial_destroy(&tr);
  /* Removing Y, which does the work, must make the total longer. */
  assert_int_equal(fc_model_trial_remove(m, 1, &tr), FC_OK);
  assert_true(fc_trial_total(tr) > now.total);
  fc_trial_destroy(&tr);
  fc_model_destroy(&m);
  toy_free(&t);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(empty_model_by_hand),
      cmocka_unit_test(folding_and_pruning_direction),
      cmocka_unit_test(finds_the_talks_toy_pattern),
      cmocka_unit_test(same_model_for_any_thread_count),
      cmocka_unit_test(same_model_for_any_window_cache),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
