/* Windows and cover on small hand-made tables: first-later-flow matching, USE binding, the
 * span limit, window scores, greedy acceptance order and overlaps. */
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/cover.h"
#include "testutil.h"

/* Columns used here: 0 proto (0 UDP, 1 TCP), 1 src_ip, 2 dst_ip, 3 dst_port (0:53, 1:443, 2:80).
 * Addresses: 0 = DNS server, 1..3 = clients, 4..5 = web servers. */
enum { NR = 10 };
static const uint32_t proto[NR] = {0, 1, 0, 1, 1, 0, 1, 1, 0, 1};
static const uint32_t src[NR] = {1, 1, 2, 3, 2, 1, 1, 2, 3, 3};
static const uint32_t dst[NR] = {0, 4, 0, 5, 5, 0, 4, 4, 0, 5};
static const uint32_t port[NR] = {0, 1, 0, 2, 1, 0, 1, 1, 0, 1};
static const int64_t ticks[NR] = {0, 1, 2, 3, 4, 5, 6, 7, 1000, 1001};

static void build(fc_mdata *m) {
  const uint32_t *codes[FC_NCOLS] = {proto, src, dst, port};
  uint32_t domain[FC_NCOLS] = {2, 6, 6, 3};
  assert_int_equal(fc_mdata_build_raw(m, NR, 4, codes, domain, ticks), FC_OK);
}

/* Row 0: UDP to address 0 port 53, src SET A; row 1: TCP port 443 from USE A. */
static void dns_then_https(fc_pattern *p) {
  fc_pattern_init(p, 2);
  p->cell[0][0] = (fc_cell){FC_CELL_FIX, 0};
  p->cell[0][2] = (fc_cell){FC_CELL_FIX, 0};
  p->cell[0][3] = (fc_cell){FC_CELL_FIX, 0};
  p->cell[0][1] = (fc_cell){FC_CELL_SET, 0};
  p->cell[1][0] = (fc_cell){FC_CELL_FIX, 1};
  p->cell[1][3] = (fc_cell){FC_CELL_FIX, 1};
  p->cell[1][1] = (fc_cell){FC_CELL_USE, 0};
  fc_pattern_canonical(p);
}

static void posting_lists(void **state) {
  (void)state;
  fc_mdata m;
  build(&m);
  const uint32_t *rows;
  size_t n = fc_mdata_rows(&m, 1, 1, &rows);
  assert_int_equal(n, 4);
  uint32_t want[] = {0, 1, 5, 6};
  for (size_t i = 0; i < n; i++) assert_int_equal(rows[i], want[i]);
  assert_int_equal(fc_mdata_rows(&m, 3, 2, &rows), 1);
  assert_int_equal(rows[0], 3);
  fc_mdata_free(&m);
}

static void windows_follow_first_later_match(void **state) {
  (void)state;
  fc_mdata m;
  build(&m);
  fc_pattern p;
  dns_then_https(&p);
  assert_true(fc_pattern_valid(&p, 4));
  assert_int_equal(fc_pattern_covered_cells(&p, 4), 6);
  fc_windows w;
  assert_int_equal(fc_find_windows(&m, &p, 100, 0, NR, &w), FC_OK);
  /* Starts: rows 0, 2, 5, 8 (UDP to 0 port 53). Row 0 (A=1) -> row 1; row 2 (A=2) -> row 4;
   * row 5 (A=1) -> row 6; row 8 (A=3) -> row 9 (tick 1001 <= 1000 + 100). */
  assert_int_equal(w.n, 4);
  uint32_t want[4][2] = {{0, 1}, {2, 4}, {5, 6}, {8, 9}};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(w.ids[2 * i], want[i][0]);
    assert_int_equal(w.ids[2 * i + 1], want[i][1]);
  }
  /* Gaps: (4 - 2 - 1) = 1 for the second window. */
  assert_int_equal(fc_window_score100(&w, 1, 6), 600 - 1);
  fc_windows_free(&w);
  /* A span of 0 ticks leaves no window (each second row is at least one tick later). */
  assert_int_equal(fc_find_windows(&m, &p, 0, 0, NR, &w), FC_OK);
  assert_int_equal(w.n, 0);
  fc_windows_free(&w);
  /* Start range restriction: only starts in [3, 9). */
  assert_int_equal(fc_find_windows(&m, &p, 100, 3, 9, &w), FC_OK);
  assert_int_equal(w.n, 2);
  assert_int_equal(w.ids[0], 5);
  assert_int_equal(w.ids[2], 8);
  fc_windows_free(&w);
  fc_mdata_free(&m);
}

static void use_on_other_ip_column(void **state) {
  (void)state;
  fc_mdata m;
  build(&m);
  /* Row 0: TCP port 443, dst SET B; row 1: TCP from any src to USE B (same web server). */
  fc_pattern p;
  fc_pattern_init(&p, 2);
  p.cell[0][0] = (fc_cell){FC_CELL_FIX, 1};
  p.cell[0][3] = (fc_cell){FC_CELL_FIX, 1};
  p.cell[0][2] = (fc_cell){FC_CELL_SET, 5};
  p.cell[1][2] = (fc_cell){FC_CELL_USE, 5};
  fc_pattern_canonical(&p);
  assert_int_equal(p.cell[0][2].arg, 0);
  assert_int_equal(p.n_vars, 1);
  fc_windows w;
  assert_int_equal(fc_find_windows(&m, &p, 10000, 0, NR, &w), FC_OK);
  /* 443 rows: 1 (dst 4) -> 6; 4 (dst 5) -> 9; 6 (dst 4) -> 7; 7 (dst 4) none; 9 none. */
  assert_int_equal(w.n, 3);
  assert_int_equal(w.ids[1], 6);
  assert_int_equal(w.ids[3], 9);
  assert_int_equal(w.ids[5], 7);
  fc_windows_free(&w);
  fc_mdata_free(&m);
}

static void cover_prefers_higher_scores_and_never_overlaps(void **state) {
  (void)state;
  fc_mdata m;
  build(&m);
  fc_pattern a, b;
  dns_then_https(&a);
  /* b: single-row TCP port 443 (2 cells). */
  fc_pattern_init(&b, 1);
  b.cell[0][0] = (fc_cell){FC_CELL_FIX, 1};
  b.cell[0][3] = (fc_cell){FC_CELL_FIX, 1};
  fc_windows wa, wb;
  assert_int_equal(fc_find_windows(&m, &a, 100, 0, NR, &wa), FC_OK);
  assert_int_equal(fc_find_windows(&m, &b, 100, 0, NR, &wb), FC_OK);
  assert_int_equal(wb.n, 5);
  const fc_windows *all[2] = {&wb, &wa}; /* order of patterns must not matter for scores */
  int cells[2] = {2, 6};
  fc_cover c;
  assert_int_equal(fc_cover_compute(&m, all, cells, 2, NULL, &c), FC_OK);
  assert_int_equal(c.used[1].n, 4); /* every DNS->HTTPS window is taken first */
  /* 443 rows 1, 4, 6, 9 are in those windows; only row 7 is left for pattern b. */
  assert_int_equal(c.used[0].n, 1);
  assert_int_equal(c.used[0].ids[0], 7);
  assert_int_equal(c.n_uncovered, 1); /* row 3 (port 80) */
  assert_false(c.covered[3]);
  fc_cover_free(&c);
  /* Disjoint count: overlapping windows of one pattern count once. */
  fc_pattern d;
  fc_pattern_init(&d, 2);
  d.cell[0][0] = (fc_cell){FC_CELL_FIX, 1};
  d.cell[1][0] = (fc_cell){FC_CELL_FIX, 1};
  fc_windows wd;
  assert_int_equal(fc_find_windows(&m, &d, 10000, 0, NR, &wd), FC_OK);
  /* TCP rows 1,3,4,6,7,9: windows (1,3) (3,4) (4,6) (6,7) (7,9). Gap-free ones first: (3,4)
   * and (6,7); every gap-1 window then touches a placed row: 2. */
  assert_int_equal(wd.n, 5);
  uint64_t placed;
  assert_int_equal(fc_windows_placeable(&m, &wd, 2, NULL, &placed), FC_OK);
  assert_int_equal(placed, 2);
  /* Against the cover of a and b: rows 1, 4, 6, 7, 9 are taken by windows of score >= 200
   * (d's windows score 200 - gaps), so only windows on free rows remain: none here (every d
   * window touches a covered row: (1,3) (3,4) (4,6) (6,7) (7,9)). */
  assert_int_equal(fc_cover_compute(&m, all, cells, 2, NULL, &c), FC_OK);
  assert_int_equal(c.row_score[3], INT64_MIN);
  assert_int_equal(c.row_score[0], 600);
  assert_int_equal(fc_windows_placeable(&m, &wd, 2, c.row_score, &placed), FC_OK);
  assert_int_equal(placed, 0);
  /* With 4 covered cells, d's gap-free windows outrank b's window on row 7 (score 200) but not
   * the DNS->HTTPS windows (600 - gaps): (6,7) is blocked by row 6, (3,4) by row 4. */
  assert_int_equal(fc_windows_placeable(&m, &wd, 4, c.row_score, &placed), FC_OK);
  assert_int_equal(placed, 0);
  fc_cover_free(&c);
  fc_windows_free(&wa);
  fc_windows_free(&wb);
  fc_windows_free(&wd);
  fc_mdata_free(&m);
}

static void validity_rules(void **state) {
  (void)state;
  fc_pattern p;
  fc_pattern_init(&p, 2);
  p.cell[0][0] = (fc_cell){FC_CELL_FIX, 1};
  p.cell[1][1] = (fc_cell){FC_CELL_USE, 0}; /* USE without SET */
  assert_false(fc_pattern_valid(&p, 4));
  p.cell[0][3] = (fc_cell){FC_CELL_SET, 0}; /* SET on a non-IP column */
  assert_false(fc_pattern_valid(&p, 4));
  p.cell[0][3] = (fc_cell){FC_CELL_FREE, 0};
  p.cell[0][1] = (fc_cell){FC_CELL_SET, 0};
  assert_true(fc_pattern_valid(&p, 4));
  fc_pattern q = p;
  q.cell[1][1] = (fc_cell){FC_CELL_FREE, 0}; /* row 1 constrains nothing */
  assert_false(fc_pattern_valid(&q, 4));
  fc_pattern r = p;
  fc_pattern_canonical(&r);
  assert_true(fc_pattern_equal(&p, &r));
  assert_int_equal(fc_pattern_hash(&p), fc_pattern_hash(&r));
}

/* Windows by the definition (spec section 2), one start at a time, by scanning rows. */
static bool row_ok(int n_cols, const uint32_t *const *codes, const fc_pattern *p, int r, size_t j,
                   const uint32_t *bound) {
  for (int c = 0; c < n_cols; c++) {
    const fc_cell *x = &p->cell[r][c];
    if (x->kind == FC_CELL_FIX && codes[c][j] != x->arg) return false;
    if (x->kind == FC_CELL_USE && codes[c][j] != bound[x->arg]) return false;
  }
  return true;
}

static size_t naive_windows(int n_cols, size_t n, const uint32_t *const *codes, const int64_t *tk,
                            const fc_pattern *p, int64_t span, uint32_t *out) {
  size_t nw = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t bound[FC_MAX_VARS] = {0}, ids[FC_MAX_PROWS];
    if (!row_ok(n_cols, codes, p, 0, i, bound)) continue;
    int r = 0;
    for (size_t j = i; r < p->n_rows; r++) {
      if (r > 0) {
        j++;
        while (j < n && tk[j] <= tk[i] + span && !row_ok(n_cols, codes, p, r, j, bound)) j++;
        if (j >= n || tk[j] > tk[i] + span) break;
      }
      for (int c = 0; c < n_cols; c++)
        if (p->cell[r][c].kind == FC_CELL_SET) bound[p->cell[r][c].arg] = codes[c][j];
      ids[r] = (uint32_t)j;
    }
    if (r == p->n_rows) {
      memcpy(out + nw * (size_t)p->n_rows, ids, (size_t)p->n_rows * sizeof *ids);
      nw++;
    }
  }
  return nw;
}

/* Random tables with few values (long posting lists, many near misses) and random patterns
 * with FIX, SET and USE cells: the indexed search (posting lists, remembered answers, galloping
 * from the last position) finds exactly the windows of the definition. */
static void windows_match_the_definition_on_random_tables(void **state) {
  (void)state;
  enum { N = 3000, C = 4 };
  uint32_t *col[C];
  int64_t *tk = malloc(N * sizeof *tk);
  uint32_t *got = malloc((size_t)N * FC_MAX_PROWS * sizeof *got);
  assert_non_null(tk);
  assert_non_null(got);
  uint64_t x = 88172645463325252ULL;
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
  const uint32_t dom[C] = {2, 5, 5, 3};
  for (int c = 0; c < C; c++) {
    col[c] = malloc(N * sizeof *col[c]);
    assert_non_null(col[c]);
    for (int i = 0; i < N; i++) col[c][i] = (uint32_t)(RND() % dom[c]);
  }
  tk[0] = 0;
  for (int i = 1; i < N; i++) tk[i] = tk[i - 1] + (int64_t)(RND() % 4); /* ties too */
  fc_mdata m;
  const uint32_t *codes[FC_NCOLS] = {col[0], col[1], col[2], col[3]};
  uint32_t domain[FC_NCOLS] = {dom[0], dom[1], dom[2], dom[3]};
  assert_int_equal(fc_mdata_build_raw(&m, N, C, codes, domain, tk), FC_OK);
  size_t total = 0;
  for (int trial = 0; trial < 200; trial++) {
    fc_pattern p;
    fc_pattern_init(&p, 1 + (int)(RND() % 4));
    p.cell[0][0] = (fc_cell){FC_CELL_FIX, (uint32_t)(RND() % 2)};
    if (RND() % 2) p.cell[0][3] = (fc_cell){FC_CELL_FIX, (uint32_t)(RND() % 3)};
    bool set = RND() % 2;
    if (set) p.cell[0][1] = (fc_cell){FC_CELL_SET, 0};
    for (int r = 1; r < p.n_rows; r++) {
      if (set && RND() % 2) p.cell[r][1 + (int)(RND() % 2)] = (fc_cell){FC_CELL_USE, 0};
      int c = RND() % 2 ? 0 : 3;
      p.cell[r][c] = (fc_cell){FC_CELL_FIX, (uint32_t)(RND() % dom[c])};
    }
    fc_pattern_canonical(&p);
    if (!fc_pattern_valid(&p, C)) continue;
    int64_t span = 1 + (int64_t)(RND() % 40);
    fc_windows w;
    assert_int_equal(fc_find_windows(&m, &p, span, 0, N, &w), FC_OK);
    size_t n = naive_windows(C, N, codes, tk, &p, span, got);
    assert_int_equal(w.n, n);
    if (n) assert_memory_equal(w.ids, got, n * (size_t)p.n_rows * sizeof *got);
    total += n;
    fc_windows_free(&w);
  }
#undef RND
  assert_true(total > 1000); /* the patterns did find windows */
  fc_mdata_free(&m);
  for (int c = 0; c < C; c++) free(col[c]);
  free(tk);
  free(got);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(posting_lists),
      cmocka_unit_test(windows_follow_first_later_match),
      cmocka_unit_test(use_on_other_ip_column),
      cmocka_unit_test(cover_prefers_higher_scores_and_never_overlaps),
      cmocka_unit_test(validity_rules),
      cmocka_unit_test(windows_match_the_definition_on_random_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
