/* The distributed cover equals the single-process cover. Every rank makes the same random
 * table (few values: long posting lists, many overlapping windows, so windows crossing block
 * boundaries are often blocked and the repair rounds run), computes the cover of random
 * patterns on the whole table alone, then its block (plus halo) of the distributed cover, and
 * compares: the covered rows and their scores, the windows used per pattern, and the windows a
 * candidate could place against that cover. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/cover.h"
#include "testutil.h"

static int rank, size;

enum { N = 6000, C = 4, TRIALS = 25, MAXP = 6 };

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void random_pattern(fc_pattern *p, const uint32_t *dom) {
  fc_pattern_init(p, 1 + (int)(rnd() % 3));
  p->cell[0][0] = (fc_cell){FC_CELL_FIX, (uint32_t)(rnd() % dom[0])};
  if (rnd() % 2) p->cell[0][3] = (fc_cell){FC_CELL_FIX, (uint32_t)(rnd() % dom[3])};
  bool set = rnd() % 2;
  if (set) p->cell[0][1] = (fc_cell){FC_CELL_SET, 0};
  for (int r = 1; r < p->n_rows; r++) {
    if (set && rnd() % 2) p->cell[r][1 + (int)(rnd() % 2)] = (fc_cell){FC_CELL_USE, 0};
    int c = rnd() % 2 ? 0 : 3;
    p->cell[r][c] = (fc_cell){FC_CELL_FIX, (uint32_t)(rnd() % dom[c])};
  }
  fc_pattern_canonical(p);
}

static void distributed_cover_equals_serial(void **state) {
  (void)state;
  static uint32_t col[C][N];
  static int64_t tk[N];
  const uint32_t dom[C] = {2, 6, 6, 3};
  for (int c = 0; c < C; c++)
    for (int i = 0; i < N; i++) col[c][i] = (uint32_t)(rnd() % dom[c]);
  tk[0] = 0;
  for (int i = 1; i < N; i++) tk[i] = tk[i - 1] + (int64_t)(rnd() % 3);
  const int64_t span = 12;
  /* The whole table alone, and this rank's block with its halo. */
  const uint32_t *all_codes[FC_NCOLS] = {col[0], col[1], col[2], col[3]};
  uint32_t domain[FC_NCOLS] = {dom[0], dom[1], dom[2], dom[3]};
  fc_mdata whole;
  assert_int_equal(fc_mdata_build_raw(&whole, N, C, all_codes, domain, tk), FC_OK);
  const size_t begin = (size_t)N * (size_t)rank / (size_t)size;
  const size_t end = (size_t)N * (size_t)(rank + 1) / (size_t)size;
  size_t stop = end; /* halo: rows a window starting in the block can reach */
  while (end > begin && stop < N && tk[stop] <= tk[end - 1] + span) stop++;
  const uint32_t *codes[FC_NCOLS] = {col[0] + begin, col[1] + begin, col[2] + begin,
                                     col[3] + begin};
  fc_mdata part;
  assert_int_equal(fc_mdata_build_raw(&part, stop - begin, C, codes, domain, tk + begin), FC_OK);
  assert_int_equal(fc_mdata_distribute(&part, MPI_COMM_WORLD, end - begin, begin), FC_OK);

  int max_rounds = 0;
  uint64_t compared_used = 0;
  for (int trial = 0; trial < TRIALS; trial++) {
    int np = 2 + (int)(rnd() % (MAXP - 1));
    fc_pattern p[MAXP];
    int cells[MAXP];
    fc_windows ws[MAXP], wp[MAXP];
    const fc_windows *wsp[MAXP], *wpp[MAXP];
    int k = 0;
    while (k < np) {
      random_pattern(&p[k], dom);
      if (!fc_pattern_valid(&p[k], C)) continue;
      cells[k] = fc_pattern_covered_cells(&p[k], C);
      assert_int_equal(fc_find_windows(&whole, &p[k], span, 0, N, &ws[k]), FC_OK);
      assert_int_equal(fc_find_windows(&part, &p[k], span, 0, end - begin, &wp[k]), FC_OK);
      wsp[k] = &ws[k];
      wpp[k] = &wp[k];
      k++;
    }
    /* the first np - 1 patterns make the cover, the last one is placed against it */
    fc_cover cs, cd;
    assert_int_equal(fc_cover_compute(&whole, wsp, cells, (size_t)np - 1, NULL, &cs), FC_OK);
    assert_int_equal(fc_cover_compute(&part, wpp, cells, (size_t)np - 1, NULL, &cd), FC_OK);
    if (cd.rounds > max_rounds) max_rounds = cd.rounds;
    for (size_t i = 0; i < end - begin; i++) {
      assert_int_equal(cd.covered[i], cs.covered[begin + i]);
      assert_true(cd.row_score[i] == cs.row_score[begin + i]);
    }
    for (int q = 0; q < np - 1; q++) {
      uint64_t used = cd.used[q].n;
      MPI_Allreduce(MPI_IN_PLACE, &used, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
      assert_int_equal(used, cs.used[q].n);
      compared_used += used;
    }
    uint64_t placed_s = 0, placed_d = 0;
    assert_int_equal(fc_windows_placeable(&whole, &ws[np - 1], cells[np - 1], cs.row_score,
                                          &placed_s),
                     FC_OK);
    assert_int_equal(fc_windows_placeable(&part, &wp[np - 1], cells[np - 1], cd.row_score,
                                          &placed_d),
                     FC_OK);
    assert_int_equal(placed_d, placed_s);
    fc_cover_free(&cs);
    fc_cover_free(&cd);
    for (int q = 0; q < np; q++) {
      fc_windows_free(&ws[q]);
      fc_windows_free(&wp[q]);
    }
  }
  assert_true(compared_used > 1000); /* the covers were not trivial */
  /* with blocks, some crossing window was decided again at least once */
  MPI_Allreduce(MPI_IN_PLACE, &max_rounds, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (size > 1) assert_true(max_rounds >= 2);
  fc_mdata_free(&part);
  fc_mdata_free(&whole);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(distributed_cover_equals_serial),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return failed ? 1 : 0;
}
