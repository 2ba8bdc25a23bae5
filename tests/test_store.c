/* The dataset file on one process: round trips of every column (IPv4 and IPv6, labelled and
 * not, empty), provenance, row sub-ranges, atomic writes that leave nothing behind on failure,
 * and the errors a reader gives for missing, foreign, truncated and future-version files. */
#include <dirent.h>
#include <hdf5.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_gen.h"

typedef struct fixture {
  char *dir;
  char *path; /* <dir>/data.h5 */
} fixture;

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof *fx);
  if (!fx) return -1;
  fx->dir = fct_tmpdir();
  if (!fx->dir) return -1;
  fx->path = fct_join(fx->dir, "data.h5");
  *state = fx;
  fc_error_clear();
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  fct_rmtree(fx->dir);
  free(fx->dir);
  free(fx->path);
  free(fx);
  return 0;
}

/* Names in a directory (excluding . and ..). */
static int dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static void write_generated(const char *path, size_t n, bool labelled, const fc_provenance *p) {
  fc_flow_table t;
  fc_encoded e;
  gen_table(n, labelled, &t);
  gen_encoded(n, labelled, &e);
  fc_status st = fc_dataset_write(path, &t, &e, p);
  if (st != FC_OK) fprintf(stderr, "%s\n", fc_error_message());
  assert_int_equal(st, FC_OK);
  fc_table_free(&t);
  fc_encoded_free(&e);
}

static fc_status read_all(const char *path, MPI_Comm comm, size_t b, size_t e, fc_dataset_meta *m,
                          fc_flow_table *raw, fc_encoded *enc, fc_provenance *prov) {
  fc_error_clear();
  return fc_dataset_read(path, comm, b, e, m, raw, enc, prov);
}

static void check_read(const char *path, MPI_Comm comm, size_t n, bool labelled, size_t b,
                       size_t e) {
  fc_dataset_meta m;
  fc_flow_table raw;
  fc_encoded enc;
  fc_status st = read_all(path, comm, b, e, &m, &raw, &enc, NULL);
  if (st != FC_OK) fprintf(stderr, "%s\n", fc_error_message());
  assert_int_equal(st, FC_OK);
  assert_int_equal(m.n_rows, n);
  assert_int_equal(m.has_labels, labelled);
  assert_int_equal(m.n_cols, labelled ? FC_NCOLS : FC_NCOLS - 1);
  assert_int_equal(m.tick_us, GEN_TICK);
  assert_int_equal(m.bins, 40);
  if (n) {
    fc_flow last;
    gen_flow(n - 1, labelled, &last);
    assert_int_equal(m.t0_us, GEN_T0);
    assert_int_equal(m.t_end_us, last.ts_us);
  }
  assert_int_equal(raw.n, e - b);
  assert_int_equal(enc.n_rows, e - b);
  gen_check_raw(&raw, b, labelled);
  gen_check_encoded(&enc, b, n, labelled);
  fc_table_free(&raw);
  fc_encoded_free(&enc);
}

static void round_trip_labelled(void **state) {
  fixture *fx = *state;
  const size_t n = 700;
  char cmd[] = "flowchronicle ingest --format cidds week1.csv week2.csv.gz";
  char *inputs[] = {"week1.csv", "week2.csv.gz"};
  char *sums[] = {"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", NULL};
  fc_provenance p = {.version = "9.9.9",
                     .git_revision = "abcdef123456",
                     .command_line = cmd,
                     .format = "cidds",
                     .n_inputs = 2,
                     .inputs = inputs,
                     .input_sha256 = sums,
                     .created_unix = 1700000000,
                     .session_gap_us = 120000000};
  write_generated(fx->path, n, true, &p);
  assert_int_equal(dir_entries(fx->dir), 1); /* no temporary left */

  check_read(fx->path, MPI_COMM_WORLD, n, true, 0, n);
  check_read(fx->path, MPI_COMM_WORLD, n, true, 123, 321); /* a block: offsets honoured */
  check_read(fx->path, MPI_COMM_WORLD, n, true, n, n);     /* an empty block at the end */
  check_read(fx->path, MPI_COMM_NULL, n, true, 5, n);      /* one process, default driver */

  fc_provenance q;
  fc_dataset_meta m;
  assert_int_equal(read_all(fx->path, MPI_COMM_WORLD, 0, 0, &m, NULL, NULL, &q), FC_OK);
  assert_string_equal(q.version, "9.9.9");
  assert_string_equal(q.git_revision, "abcdef123456");
  assert_string_equal(q.command_line, cmd);
  assert_string_equal(q.format, "cidds");
  assert_int_equal(q.n_inputs, 2);
  assert_string_equal(q.inputs[0], "week1.csv");
  assert_string_equal(q.inputs[1], "week2.csv.gz");
  assert_string_equal(q.input_sha256[0], sums[0]);
  assert_string_equal(q.input_sha256[1], "");
  assert_int_equal(q.created_unix, 1700000000);
  assert_int_equal(q.session_gap_us, 120000000);
  fc_provenance_free(&q);
  assert_null(q.inputs);

  memset(&m, 0xff, sizeof m);
  assert_int_equal(fc_dataset_read_meta(fx->path, MPI_COMM_WORLD, &m), FC_OK);
  assert_int_equal(m.n_rows, n);
  assert_true(m.has_labels);
}

/* Number of hard links to an object: the shared address dictionary is stored once. */
static unsigned link_count(const char *path, const char *obj) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  H5O_info_t info;
  assert_true(H5Oget_info_by_name2(f, obj, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0);
  H5Fclose(f);
  return info.rc;
}

/* The real encoder's output survives the file unchanged, block by block. */
static void real_encoding_round_trip(void **state) {
  fixture *fx = *state;
  const size_t n = 3000;
  fc_flow_table t;
  fc_encoded e;
  fc_encoding_options o;
  gen_table(n, true, &t);
  fc_encoding_options_default(&o);
  o.bins = 12;
  assert_int_equal(fc_encode(&t, &o, &e), FC_OK);
  assert_int_equal(fc_dataset_write(fx->path, &t, &e, NULL), FC_OK);
  assert_int_equal(link_count(fx->path, "/dict/dst_ip"), 2);
  assert_int_equal(link_count(fx->path, "/dict/src_ip"), 2);
  const size_t blocks[][2] = {{0, n}, {1000, 1500}, {n, n}};
  for (size_t bi = 0; bi < 3; bi++) {
    size_t b = blocks[bi][0], end = blocks[bi][1];
    fc_encoded r;
    fc_dataset_meta m;
    assert_int_equal(read_all(fx->path, MPI_COMM_WORLD, b, end, &m, NULL, &r, NULL), FC_OK);
    assert_int_equal(m.bins, 12);
    assert_int_equal(r.n_rows, end - b);
    assert_int_equal(r.n_cols, e.n_cols);
    assert_int_equal(r.t0_us, e.t0_us);
    assert_int_equal(r.tick_us, e.tick_us);
    for (size_t i = 0; i < r.n_rows; i++)
      assert_int_equal(r.ticks[i], e.ticks[b + i]);
    for (int c = 0; c < e.n_cols; c++) {
      const fc_column *x = &e.cols[c], *y = &r.cols[c];
      assert_int_equal(y->id, x->id);
      assert_int_equal(y->kind, x->kind);
      assert_int_equal(y->domain, x->domain);
      assert_int_equal(y->n_edges, x->n_edges);
      for (size_t i = 0; i < r.n_rows; i++)
        assert_int_equal(y->codes[i], x->codes[b + i]);
      assert_memory_equal(y->counts, x->counts, x->domain * sizeof *x->counts);
      if (x->kind == FC_KIND_NUMERIC) {
        assert_memory_equal(y->edges, x->edges, x->n_edges * sizeof *x->edges);
        /* the read column bins values as the original does */
        for (size_t i = 0; i < 50; i++) {
          double v = fc_numeric_value(&t, x->id, i);
          assert_int_equal(fc_numeric_code(y, v), fc_numeric_code(x, v));
        }
      } else {
        for (uint32_t k = 0; k < x->domain; k++)
          assert_string_equal(y->values[k], x->values[k]);
      }
    }
    /* the shared dictionary is read once but each column owns its strings */
    assert_ptr_not_equal(r.cols[FC_COL_SRC_IP].values, r.cols[FC_COL_DST_IP].values);
    fc_encoded_free(&r);
  }
  fc_table_free(&t);
  fc_encoded_free(&e);
}

static void round_trip_unlabelled(void **state) {
  fixture *fx = *state;
  const size_t n = 300;
  fc_flow_table t;
  fc_encoded e;
  gen_table(n, false, &t);
  for (size_t i = 0; i < n; i++)
    t.label[i] = 7; /* junk a parser may leave: stored as 0 */
  gen_encoded(n, false, &e);
  assert_int_equal(fc_dataset_write(fx->path, &t, &e, NULL), FC_OK);
  check_read(fx->path, MPI_COMM_WORLD, n, false, 0, n);
  check_read(fx->path, MPI_COMM_WORLD, n, false, 299, 300);
  assert_int_equal(link_count(fx->path, "/dict/dst_ip"), 2);

  /* Address dictionaries that differ are stored apart. */
  free(e.cols[FC_COL_DST_IP].values[3]);
  e.cols[FC_COL_DST_IP].values[3] = strdup("192.0.2.99");
  assert_int_equal(fc_dataset_write(fx->path, &t, &e, NULL), FC_OK);
  assert_int_equal(link_count(fx->path, "/dict/dst_ip"), 1);
  fc_encoded r;
  assert_int_equal(read_all(fx->path, MPI_COMM_WORLD, 0, 1, NULL, NULL, &r, NULL), FC_OK);
  assert_string_equal(r.cols[FC_COL_DST_IP].values[3], "192.0.2.99");
  assert_string_equal(r.cols[FC_COL_SRC_IP].values[3], e.cols[FC_COL_SRC_IP].values[3]);
  fc_encoded_free(&r);
  fc_table_free(&t);
  fc_encoded_free(&e);

  /* Without provenance the defaults are recorded: this build's version, a recent time. */
  fc_provenance q;
  assert_int_equal(read_all(fx->path, MPI_COMM_WORLD, 0, 0, NULL, NULL, NULL, &q), FC_OK);
  assert_true(strlen(q.version) > 0);
  assert_string_equal(q.command_line, "");
  assert_int_equal(q.n_inputs, 0);
  assert_true(q.created_unix > 1700000000);
  fc_provenance_free(&q);
}

static void empty_table(void **state) {
  fixture *fx = *state;
  write_generated(fx->path, 0, true, NULL);
  check_read(fx->path, MPI_COMM_WORLD, 0, true, 0, 0);
  write_generated(fx->path, 0, false, NULL); /* also replaces an existing file */
  check_read(fx->path, MPI_COMM_WORLD, 0, false, 0, 0);
  assert_int_equal(dir_entries(fx->dir), 1);
}

/* A long command line and many inputs exceed HDF5's 64 KiB compact attribute limit. */
static void large_attributes(void **state) {
  fixture *fx = *state;
  size_t n_in = 3000;
  char **inputs = calloc(n_in, sizeof *inputs);
  char *cmd = malloc(200001);
  assert_non_null(inputs);
  assert_non_null(cmd);
  memset(cmd, 'x', 200000);
  cmd[200000] = '\0';
  for (size_t i = 0; i < n_in; i++) {
    char buf[64];
    snprintf(buf, sizeof buf, "/data/captures/day-%05zu/flows.csv.gz", i);
    inputs[i] = strdup(buf);
  }
  fc_provenance p = {.command_line = cmd, .format = "nfdump", .n_inputs = n_in, .inputs = inputs};
  write_generated(fx->path, 10, false, &p);
  fc_provenance q;
  assert_int_equal(read_all(fx->path, MPI_COMM_WORLD, 0, 0, NULL, NULL, NULL, &q), FC_OK);
  assert_string_equal(q.command_line, cmd);
  assert_int_equal(q.n_inputs, n_in);
  assert_string_equal(q.inputs[2999], inputs[2999]);
  fc_provenance_free(&q);
  for (size_t i = 0; i < n_in; i++)
    free(inputs[i]);
  free(inputs);
  free(cmd);
}

static void write_to_missing_directory(void **state) {
  fixture *fx = *state;
  char *path = fct_join(fx->dir, "no/such/dir/out.h5");
  fc_flow_table t;
  fc_encoded e;
  gen_table(5, false, &t);
  gen_encoded(5, false, &e);
  fc_error_clear();
  assert_int_equal(fc_dataset_write(path, &t, &e, NULL), FC_ERR_IO);
  assert_non_null(strstr(fc_error_message(), path));
  assert_int_equal(dir_entries(fx->dir), 0);
  fc_table_free(&t);
  fc_encoded_free(&e);
  free(path);
}

/* The rename is the last step: when it fails the complete temporary file must still go. */
static void write_rename_fails(void **state) {
  fixture *fx = *state;
  assert_int_equal(mkdir(fx->path, 0755), 0); /* the target is a non-empty directory */
  char *inner = fct_join(fx->path, "keep");
  assert_true(fct_write(inner, "x"));
  fc_flow_table t;
  fc_encoded e;
  gen_table(50, true, &t);
  gen_encoded(50, true, &e);
  fc_error_clear();
  assert_int_equal(fc_dataset_write(fx->path, &t, &e, NULL), FC_ERR_IO);
  assert_non_null(strstr(fc_error_message(), fx->path));
  assert_int_equal(dir_entries(fx->dir), 1); /* only the directory */
  assert_true(fct_exists(inner));
  fc_table_free(&t);
  fc_encoded_free(&e);
  free(inner);
}

/* A write that fails half-way (file size limit: EFBIG inside HDF5) removes its temporary file
 * and leaves the previous dataset at the target byte for byte. It runs in a forked child that
 * leaves with _exit: after a failed H5Fclose, HDF5 1.10.8 keeps a broken file object that
 * crashes the library's own shutdown (see docs/dataset-format.md, "Known limitations"). */
static void write_fails_midway(void **state) {
  fixture *fx = *state;
  write_generated(fx->path, 20, false, NULL);
  size_t before_len;
  char *before = fct_slurp(fx->path, &before_len);
  assert_non_null(before);

  fc_flow_table t;
  fc_encoded e;
  gen_table(60000, true, &t);
  gen_encoded(60000, true, &e);
  int pfd[2];
  assert_int_equal(pipe(pfd), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(pfd[0]);
    struct rlimit lim;
    char msg[8192];
    getrlimit(RLIMIT_FSIZE, &lim);
    lim.rlim_cur = 256 * 1024;
    signal(SIGXFSZ, SIG_IGN);
    fc_status st = setrlimit(RLIMIT_FSIZE, &lim) == 0 ? fc_dataset_write(fx->path, &t, &e, NULL)
                                                      : FC_ERR_STATE;
    int len = snprintf(msg, sizeof msg, "%d\n%s", (int)st, fc_error_message());
    if (write(pfd[1], msg, (size_t)len) != len) _exit(2);
    _exit(0);
  }
  close(pfd[1]);
  char msg[8192];
  size_t got = 0;
  ssize_t r;
  while ((r = read(pfd[0], msg + got, sizeof msg - 1 - got)) > 0)
    got += (size_t)r;
  msg[got] = '\0';
  close(pfd[0]);
  int wst;
  assert_int_equal(waitpid(pid, &wst, 0), pid);
  assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
  int st = atoi(msg);
  if (st != FC_ERR_HDF5 && st != FC_ERR_IO) fprintf(stderr, "child: %s\n", msg);
  assert_true(st == FC_ERR_HDF5 || st == FC_ERR_IO);
  assert_non_null(strstr(msg, fx->path));

  assert_int_equal(dir_entries(fx->dir), 1);
  size_t after_len;
  char *after = fct_slurp(fx->path, &after_len);
  assert_non_null(after);
  assert_int_equal(after_len, before_len);
  assert_memory_equal(after, before, before_len);
  check_read(fx->path, MPI_COMM_WORLD, 20, false, 0, 20);
  free(before);
  free(after);
  fc_table_free(&t);
  fc_encoded_free(&e);
}

/* Inconsistent inputs are refused before any file is created. */
static void write_rejects_bad_encoding(void **state) {
  fixture *fx = *state;
  fc_flow_table t;
  fc_encoded e;
  gen_table(30, true, &t);
  gen_encoded(30, true, &e);
  e.cols[FC_COL_DST_PORT].codes[17] = e.cols[FC_COL_DST_PORT].domain; /* out of domain */
  fc_error_clear();
  assert_int_equal(fc_dataset_write(fx->path, &t, &e, NULL), FC_ERR_ARG);
  assert_non_null(strstr(fc_error_message(), "dst_port"));
  e.cols[FC_COL_DST_PORT].codes[17] = 0;
  e.n_rows = 29;
  assert_int_equal(fc_dataset_write(fx->path, &t, &e, NULL), FC_ERR_ARG);
  e.n_rows = 30;
  free(e.cols[FC_COL_LABEL].values[1]);
  e.cols[FC_COL_LABEL].values[1] = NULL;
  assert_int_equal(fc_dataset_write(fx->path, &t, &e, NULL), FC_ERR_ARG);
  e.cols[FC_COL_LABEL].values[1] = strdup("x");
  e.cols[FC_COL_DURATION].n_edges--; /* domain codes need domain + 1 edges */
  assert_int_equal(fc_dataset_write(fx->path, &t, &e, NULL), FC_ERR_ARG);
  assert_non_null(strstr(fc_error_message(), "duration"));
  assert_int_equal(dir_entries(fx->dir), 0);
  fc_table_free(&t);
  fc_encoded_free(&e);
}

static void expect_read_error(const char *path, fc_status want, const char *needle) {
  fc_dataset_meta m;
  fc_flow_table raw;
  fc_encoded enc;
  fc_provenance prov;
  fc_status st = read_all(path, MPI_COMM_WORLD, 0, 0, &m, &raw, &enc, &prov);
  if (st != want) fprintf(stderr, "got %s: %s\n", fc_strerror(st), fc_error_message());
  assert_int_equal(st, want);
  assert_non_null(strstr(fc_error_message(), path));
  if (needle) assert_non_null(strstr(fc_error_message(), needle));
  assert_null(raw.ts_us); /* outputs left empty */
  assert_null(enc.ticks);
  assert_null(prov.version);
}

static void read_missing_file(void **state) {
  fixture *fx = *state;
  expect_read_error(fx->path, FC_ERR_IO, "No such file");
}

static void read_garbage_file(void **state) {
  fixture *fx = *state;
  assert_true(fct_write(fx->path, "ts,te,td,sa,da\nthis is not an HDF5 file\n"));
  expect_read_error(fx->path, FC_ERR_HDF5, NULL);
}

static void read_truncated_file(void **state) {
  fixture *fx = *state;
  write_generated(fx->path, 2000, true, NULL);
  size_t len;
  char *bytes = fct_slurp(fx->path, &len);
  assert_non_null(bytes);
  assert_int_equal(truncate(fx->path, (off_t)(len / 2)), 0);
  free(bytes);
  fc_dataset_meta m;
  fc_error_clear();
  fc_status st = fc_dataset_read(fx->path, MPI_COMM_WORLD, 0, 0, &m, NULL, NULL, NULL);
  assert_true(st == FC_ERR_HDF5 || st == FC_ERR_IO);
  assert_non_null(strstr(fc_error_message(), fx->path));
}

/* An HDF5 file that is not ours, and one of ours from a future format version. */
static void read_foreign_and_future_files(void **state) {
  fixture *fx = *state;
  hid_t f = H5Fcreate(fx->path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(f >= 0);
  H5Fclose(f);
  expect_read_error(fx->path, FC_ERR_VERSION, "not a FlowChronicle dataset");

  write_generated(fx->path, 10, true, NULL);
  f = H5Fopen(fx->path, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
  assert_true(a >= 0);
  int64_t two = 2;
  assert_true(H5Awrite(a, H5T_NATIVE_INT64, &two) >= 0);
  H5Aclose(a);
  H5Fclose(f);
  expect_read_error(fx->path, FC_ERR_VERSION, "format_version 2");
}

/* A dataset removed from an otherwise valid file is named in the error. */
static void read_missing_dataset(void **state) {
  fixture *fx = *state;
  write_generated(fx->path, 10, true, NULL);
  hid_t f = H5Fopen(fx->path, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(f >= 0);
  assert_true(H5Ldelete(f, "/dict/dst_port", H5P_DEFAULT) >= 0);
  H5Fclose(f);
  expect_read_error(fx->path, FC_ERR_FORMAT, "/dict/dst_port");
  /* raw alone does not need it */
  fc_flow_table raw;
  assert_int_equal(read_all(fx->path, MPI_COMM_WORLD, 0, 10, NULL, &raw, NULL, NULL), FC_OK);
  gen_check_raw(&raw, 0, true);
  fc_table_free(&raw);
}

static void read_bad_range(void **state) {
  fixture *fx = *state;
  write_generated(fx->path, 10, false, NULL);
  fc_flow_table raw;
  assert_int_equal(read_all(fx->path, MPI_COMM_WORLD, 5, 11, NULL, &raw, NULL, NULL), FC_ERR_ARG);
  assert_non_null(strstr(fc_error_message(), fx->path));
  assert_null(raw.ts_us);
  assert_int_equal(read_all(fx->path, MPI_COMM_WORLD, 6, 5, NULL, &raw, NULL, NULL), FC_ERR_ARG);
}

/* The file is plain HDF5: h5dump reads the ticks and shows the values written. */
static void h5dump_reads_ticks(void **state) {
  fixture *fx = *state;
  if (fct_system("command -v h5dump >/dev/null 2>&1") != 0) {
    fprintf(stderr, "SKIP: h5dump (hdf5-tools) is not installed\n");
    skip();
  }
  write_generated(fx->path, 100, true, NULL);
  char *out = fct_join(fx->dir, "dump.txt");
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "h5dump -d /encoded/ticks -w 0 '%s' > '%s' 2>&1", fx->path, out);
  assert_int_equal(fct_system(cmd), 0);
  char *text = fct_slurp(out, NULL);
  assert_non_null(text);
  assert_non_null(strstr(text, "DATASET \"/encoded/ticks\""));
  assert_non_null(strstr(text, "H5T_STD_I64LE"));
  assert_non_null(strstr(text, "( 100 )"));
  fc_flow last;
  gen_flow(99, true, &last);
  char want[64];
  snprintf(want, sizeof want, ", %lld\n", (long long)((last.ts_us - GEN_T0) / GEN_TICK));
  assert_non_null(strstr(text, want));
  free(text);
  snprintf(cmd, sizeof cmd, "h5dump -a /format '%s' > '%s' 2>&1", fx->path, out);
  assert_int_equal(fct_system(cmd), 0);
  text = fct_slurp(out, NULL);
  assert_non_null(strstr(text, "\"flowchronicle-dataset\""));
  free(text);
  free(out);
}

static void block_ranges(void **state) {
  (void)state;
  size_t b, e;
  const size_t want[3][2] = {{0, 4}, {4, 7}, {7, 10}};
  for (int r = 0; r < 3; r++) {
    fc_block_range(10, r, 3, &b, &e);
    assert_int_equal(b, want[r][0]);
    assert_int_equal(e, want[r][1]);
  }
  fc_block_range(2, 2, 3, &b, &e); /* more ranks than rows */
  assert_int_equal(b, 2);
  assert_int_equal(e, 2);
  for (size_t n = 0; n < 40; n++)
    for (int size = 1; size <= 7; size++) {
      size_t next = 0;
      for (int r = 0; r < size; r++) {
        fc_block_range(n, r, size, &b, &e);
        assert_int_equal(b, next);
        assert_true(e - b == n / (size_t)size || e - b == n / (size_t)size + 1);
        next = e;
      }
      assert_int_equal(next, n);
    }
}

/* The store names its datasets by these: a change here is a change of the file format. */
static void column_names_are_the_file_layout(void **state) {
  (void)state;
  const char *names[] = {"proto",    "src_ip",    "dst_ip",    "dst_port", "flags", "fwd_pkts",
                         "bwd_pkts", "fwd_bytes", "bwd_bytes", "duration", "label"};
  for (int c = 0; c < FC_NCOLS; c++) {
    assert_string_equal(fc_col_name((fc_col_id)c), names[c]);
    assert_int_equal(fc_col_lookup(names[c]), c);
  }
  assert_int_equal(fc_col_lookup("ts"), -1);
  assert_int_equal(fc_col_kind_of(FC_COL_SRC_IP), FC_KIND_IP);
  assert_int_equal(fc_col_kind_of(FC_COL_DST_PORT), FC_KIND_CATEGORICAL);
  assert_int_equal(fc_col_kind_of(FC_COL_LABEL), FC_KIND_CATEGORICAL);
  assert_int_equal(fc_col_kind_of(FC_COL_DURATION), FC_KIND_NUMERIC);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(block_ranges),
      cmocka_unit_test(column_names_are_the_file_layout),
      cmocka_unit_test_setup_teardown(round_trip_labelled, setup, teardown),
      cmocka_unit_test_setup_teardown(real_encoding_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(round_trip_unlabelled, setup, teardown),
      cmocka_unit_test_setup_teardown(empty_table, setup, teardown),
      cmocka_unit_test_setup_teardown(large_attributes, setup, teardown),
      cmocka_unit_test_setup_teardown(write_to_missing_directory, setup, teardown),
      cmocka_unit_test_setup_teardown(write_rename_fails, setup, teardown),
      cmocka_unit_test_setup_teardown(write_fails_midway, setup, teardown),
      cmocka_unit_test_setup_teardown(write_rejects_bad_encoding, setup, teardown),
      cmocka_unit_test_setup_teardown(read_missing_file, setup, teardown),
      cmocka_unit_test_setup_teardown(read_garbage_file, setup, teardown),
      cmocka_unit_test_setup_teardown(read_truncated_file, setup, teardown),
      cmocka_unit_test_setup_teardown(read_foreign_and_future_files, setup, teardown),
      cmocka_unit_test_setup_teardown(read_missing_dataset, setup, teardown),
      cmocka_unit_test_setup_teardown(read_bad_range, setup, teardown),
      cmocka_unit_test_setup_teardown(h5dump_reads_ticks, setup, teardown),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return failed ? 1 : 0;
}
