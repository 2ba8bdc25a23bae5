/* The miner's window cache: hits return what was stored, eviction takes the least recently used
 * entries within the budget, entries larger than the budget are not kept, replacing a key keeps
 * one entry, and the index survives many insertions and deletions. */
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/wcache.h"
#include "testutil.h"

/* Windows of one row with ids base, base + 1, ... (n of them). */
static fc_windows make_windows(size_t n, uint32_t base) {
  fc_windows w = {0, 0, 1, NULL};
  w.ids = malloc((n ? n : 1) * sizeof *w.ids);
  assert_non_null(w.ids);
  for (size_t i = 0; i < n; i++) w.ids[i] = base + (uint32_t)i;
  w.n = w.cap = n;
  return w;
}

static void put(fc_wcache *c, uint64_t key, size_t n, uint64_t charge) {
  fc_windows w = make_windows(n, (uint32_t)key * 100);
  fc_pattern p;
  fc_pattern_init(&p, 1);
  p.cell[0][0] = (fc_cell){FC_CELL_FIX, (uint32_t)key};
  assert_int_equal(fc_wcache_put(c, key, &w, &p, (int)key, charge), FC_OK);
  assert_null(w.ids); /* taken (or freed) either way */
}

static void hits_return_what_was_stored(void **state) {
  (void)state;
  fc_wcache *c;
  assert_int_equal(fc_wcache_create(1000, &c), FC_OK);
  assert_null(fc_wcache_get(c, 7));
  put(c, 7, 3, 100);
  const fc_wcache_entry *e = fc_wcache_get(c, 7);
  assert_non_null(e);
  assert_int_equal(e->windows.n, 3);
  assert_int_equal(e->windows.ids[2], 702);
  assert_int_equal(e->folded.cell[0][0].arg, 7);
  assert_int_equal(e->covered_cells, 7);
  fc_wcache_stats s;
  fc_wcache_get_stats(c, &s);
  assert_int_equal(s.hits, 1);
  assert_int_equal(s.misses, 1);
  assert_int_equal(s.entries, 1);
  assert_int_equal(s.charged, 100);
  /* the same key again replaces the entry */
  put(c, 7, 5, 300);
  fc_wcache_get_stats(c, &s);
  assert_int_equal(s.entries, 1);
  assert_int_equal(s.charged, 300);
  assert_int_equal(fc_wcache_get(c, 7)->windows.n, 5);
  fc_wcache_destroy(&c);
  assert_null(c);
}

static void evicts_least_recently_used(void **state) {
  (void)state;
  fc_wcache *c;
  assert_int_equal(fc_wcache_create(1000, &c), FC_OK);
  put(c, 1, 1, 400);
  put(c, 2, 1, 400);
  assert_non_null(fc_wcache_get(c, 1)); /* 2 is now the least recently used */
  put(c, 3, 1, 400);                    /* needs room: 2 goes */
  assert_null(fc_wcache_get(c, 2));
  assert_non_null(fc_wcache_get(c, 1));
  assert_non_null(fc_wcache_get(c, 3));
  put(c, 4, 1, 900); /* needs both slots: 1 and 3 go */
  assert_null(fc_wcache_get(c, 1));
  assert_null(fc_wcache_get(c, 3));
  assert_non_null(fc_wcache_get(c, 4));
  put(c, 5, 1, 1001); /* larger than the budget: not kept, nothing evicted for it */
  assert_null(fc_wcache_get(c, 5));
  assert_non_null(fc_wcache_get(c, 4));
  fc_wcache_stats s;
  fc_wcache_get_stats(c, &s);
  assert_int_equal(s.evicted, 3);
  assert_int_equal(s.too_large, 1);
  assert_true(s.charged <= 1000);
  fc_wcache_destroy(&c);
}

static void zero_budget_keeps_nothing(void **state) {
  (void)state;
  fc_wcache *c;
  assert_int_equal(fc_wcache_create(0, &c), FC_OK);
  put(c, 1, 10, 1);
  assert_null(fc_wcache_get(c, 1));
  fc_wcache_destroy(&c);
}

/* Many keys through a small budget (index growth, backward-shift deletions, colliding keys):
 * every key present is found with its own content, every evicted key is gone, and the charge
 * stays within the budget. */
static void index_stays_consistent(void **state) {
  (void)state;
  enum { K = 5000, KEEP = 300 };
  fc_wcache *c;
  assert_int_equal(fc_wcache_create(KEEP * 10, &c), FC_OK);
  for (uint64_t k = 1; k <= K; k++) {
    uint64_t key = k * 1024; /* low bits equal: the hash must spread them */
    fc_windows w = make_windows(2, (uint32_t)k);
    fc_pattern p;
    fc_pattern_init(&p, 1);
    assert_int_equal(fc_wcache_put(c, key, &w, &p, 0, 10), FC_OK);
    if (k % 7 == 0) assert_non_null(fc_wcache_get(c, (k - 3) * 1024)); /* touch an older one */
  }
  fc_wcache_stats s;
  fc_wcache_get_stats(c, &s);
  assert_int_equal(s.entries, KEEP);
  assert_int_equal(s.charged, KEEP * 10);
  size_t found = 0;
  for (uint64_t k = 1; k <= K; k++) {
    const fc_wcache_entry *e = fc_wcache_get(c, k * 1024);
    if (!e) continue;
    found++;
    assert_int_equal(e->key, k * 1024);
    assert_int_equal(e->windows.ids[0], (uint32_t)k);
  }
  assert_int_equal(found, KEEP);
  /* the most recent keys are the ones kept */
  for (uint64_t k = K - 100; k <= K; k++) assert_non_null(fc_wcache_get(c, k * 1024));
  fc_wcache_destroy(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hits_return_what_was_stored),
      cmocka_unit_test(evicts_least_recently_used),
      cmocka_unit_test(zero_budget_keeps_nothing),
      cmocka_unit_test(index_stays_consistent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
