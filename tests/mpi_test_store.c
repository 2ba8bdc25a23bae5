/* The dataset file read collectively (run with 1, 2 and 3 ranks): rank 0 writes 10,007
 * generated rows, every rank reads its fc_block_range block and checks each row and code
 * against the generator, the blocks are shown to partition the rows, and failures on all ranks
 * or on one rank (missing file, a bad range, mismatched requests) make every rank return an
 * error without hanging. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/h5util.h"
#include "store_gen.h"

#define N_ROWS 10007

static int rank, size;
static char dir[4096], path[4096], missing[4096];

static int group_setup(void **state) {
  (void)state;
  int ok = 1;
  if (rank == 0) {
    char *d = fct_tmpdir();
    ok = d != NULL;
    if (ok) {
      snprintf(dir, sizeof dir, "%s", d);
      snprintf(path, sizeof path, "%s/flows.h5", d);
      snprintf(missing, sizeof missing, "%s/missing.h5", d);
      free(d);
      fc_flow_table t;
      fc_encoded e;
      gen_table(N_ROWS, true, &t);
      gen_encoded(N_ROWS, true, &e);
      char *inputs[] = {"flows-a.csv", "flows-b.csv"};
      char *sums[] = {"00", "ff"};
      fc_provenance p = {.command_line = "flowchronicle ingest flows-a.csv flows-b.csv",
                         .format = "flows",
                         .n_inputs = 2,
                         .inputs = inputs,
                         .input_sha256 = sums,
                         .created_unix = 1600000000,
                         .session_gap_us = 60000000};
      fc_status st = fc_dataset_write(path, &t, &e, &p);
      if (st != FC_OK) fprintf(stderr, "write failed: %s\n", fc_error_message());
      ok = st == FC_OK;
      fc_table_free(&t);
      fc_encoded_free(&e);
    }
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
  MPI_Bcast(path, sizeof path, MPI_CHAR, 0, MPI_COMM_WORLD);
  MPI_Bcast(missing, sizeof missing, MPI_CHAR, 0, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  return ok ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) fct_rmtree(dir);
  return 0;
}

/* Every rank's verdict, so a test can check that all of them failed (or none did). */
static int count_failed(fc_status st) {
  int mine = st != FC_OK, total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  return total;
}

static void blocks_partition_rows(void **state) {
  (void)state;
  size_t b, e;
  fc_block_range(N_ROWS, rank, size, &b, &e);
  fc_dataset_meta m;
  fc_flow_table raw;
  fc_encoded enc;
  fc_provenance prov;
  fc_error_clear();
  fc_status st = fc_dataset_read(path, MPI_COMM_WORLD, b, e, &m, &raw, &enc, &prov);
  if (st != FC_OK) fprintf(stderr, "rank %d: %s\n", rank, fc_error_message());
  assert_int_equal(count_failed(st), 0);
  assert_int_equal(m.n_rows, N_ROWS);
  assert_true(m.has_labels);
  assert_int_equal(m.t0_us, GEN_T0);
  fc_flow last;
  gen_flow(N_ROWS - 1, true, &last);
  assert_int_equal(m.t_end_us, last.ts_us);
  assert_int_equal(raw.n, e - b);
  assert_int_equal(enc.n_rows, e - b);
  gen_check_raw(&raw, b, true);
  gen_check_encoded(&enc, b, N_ROWS, true);
  assert_string_equal(prov.format, "flows");
  assert_int_equal(prov.n_inputs, 2);
  assert_string_equal(prov.input_sha256[1], "ff");
  assert_int_equal(prov.created_unix, 1600000000);

  /* The blocks are disjoint, in rank order, and cover every row once. */
  unsigned long long mine[2] = {b, raw.n}, all[3 * 2];
  assert_true(size <= 3);
  MPI_Allgather(mine, 2, MPI_UNSIGNED_LONG_LONG, all, 2, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD);
  unsigned long long next = 0;
  for (int r = 0; r < size; r++) {
    assert_true(all[2 * r] == next);
    next += all[2 * r + 1];
  }
  assert_true(next == N_ROWS);
  fc_table_free(&raw);
  fc_encoded_free(&enc);
  fc_provenance_free(&prov);
}

/* The last rank asks for no rows: it still joins every collective read and gets the full
 * dictionaries, counts and edges; the others get their rows. */
static void one_rank_empty(void **state) {
  (void)state;
  size_t b, e;
  fc_block_range(N_ROWS, rank, size > 1 ? size - 1 : 1, &b, &e);
  if (rank == size - 1) b = e = 0;
  fc_dataset_meta m;
  fc_flow_table raw;
  fc_encoded enc;
  fc_error_clear();
  fc_status st = fc_dataset_read(path, MPI_COMM_WORLD, b, e, &m, &raw, &enc, NULL);
  if (st != FC_OK) fprintf(stderr, "rank %d: %s\n", rank, fc_error_message());
  assert_int_equal(count_failed(st), 0);
  assert_int_equal(raw.n, e - b);
  gen_check_raw(&raw, b, true);
  gen_check_encoded(&enc, b, N_ROWS, true);
  if (rank == size - 1) {
    assert_int_equal(raw.n, 0);
    assert_int_equal(enc.cols[FC_COL_DST_PORT].domain, gen_domain(FC_COL_DST_PORT, N_ROWS));
  }
  fc_table_free(&raw);
  fc_encoded_free(&enc);
}

static void missing_file_fails_everywhere(void **state) {
  (void)state;
  fc_dataset_meta m;
  fc_flow_table raw;
  fc_error_clear();
  fc_status st = fc_dataset_read(missing, MPI_COMM_WORLD, 0, 0, &m, &raw, NULL, NULL);
  assert_int_equal(st, FC_ERR_IO);
  assert_non_null(strstr(fc_error_message(), missing));
  assert_int_equal(count_failed(st), size);
  st = fc_dataset_read_meta(missing, MPI_COMM_WORLD, &m);
  assert_int_equal(st, FC_ERR_IO);
}

/* Only the last rank asks for rows past the end: it reports why, the others report that it
 * failed, and nobody waits for it. The same reader works afterwards. */
static void one_rank_fails(void **state) {
  (void)state;
  size_t b = 0, e = 10;
  if (rank == size - 1) {
    b = N_ROWS - 5;
    e = N_ROWS + 5;
  }
  fc_flow_table raw;
  fc_encoded enc;
  fc_error_clear();
  fc_status st = fc_dataset_read(path, MPI_COMM_WORLD, b, e, NULL, &raw, &enc, NULL);
  assert_int_equal(st, FC_ERR_ARG);
  assert_int_equal(count_failed(st), size);
  if (rank == size - 1)
    assert_non_null(strstr(fc_error_message(), "rows"));
  else
    assert_non_null(strstr(fc_error_message(), "failed"));
  assert_non_null(strstr(fc_error_message(), path));
  assert_null(raw.ts_us);
  assert_null(enc.ticks);

  /* The same inside the collective helpers, between two good reads on one open file. */
  fci_h5_quiet q;
  fci_h5_quiet_begin(&q);
  fci_h5_reader r;
  assert_int_equal(fci_h5_reader_open(path, MPI_COMM_WORLD, &r), FC_OK);
  int64_t *ts = NULL;
  size_t hi = rank == size - 1 ? N_ROWS + 1 : N_ROWS;
  st = fci_h5_read_rows(&r, "/raw/ts_us", H5T_NATIVE_INT64, 0, 0, hi, (void **)&ts);
  assert_int_equal(count_failed(st), size);
  assert_null(ts);
  st = fci_h5_read_rows(&r, "/raw/ts_us", H5T_NATIVE_INT64, 0, 100, 103, (void **)&ts);
  assert_int_equal(st, FC_OK);
  fc_flow f;
  gen_flow(102, true, &f);
  assert_int_equal(ts[2], f.ts_us);
  free(ts);
  fci_h5_reader_close(&r);
  fci_h5_quiet_end(&q);
}

/* The read sequence depends on which parts are asked for, so ranks must ask alike. */
static void mismatched_requests(void **state) {
  (void)state;
  fc_flow_table raw;
  fc_encoded enc;
  fc_error_clear();
  fc_status st =
      fc_dataset_read(path, MPI_COMM_WORLD, 0, 0, NULL, &raw, rank == 0 ? NULL : &enc, NULL);
  if (size == 1) {
    assert_int_equal(st, FC_OK);
    fc_table_free(&raw);
  } else {
    assert_int_equal(st, FC_ERR_ARG);
    assert_non_null(strstr(fc_error_message(), "different parts"));
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(blocks_partition_rows),         cmocka_unit_test(one_rank_empty),
      cmocka_unit_test(missing_file_fails_everywhere), cmocka_unit_test(one_rank_fails),
      cmocka_unit_test(mismatched_requests),
  };
  int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
  MPI_Finalize();
  return failed ? 1 : 0;
}
