/* The private HDF5 helpers on one process: atomic writer, attributes of every kind (including
 * strings written by other tools as variable-length), compressed 1-D/2-D datasets and their
 * storage properties, row-block reads, and error messages that name file, object and cause. */
#include <dirent.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/h5util.h"
#include "testutil.h"

typedef struct fixture {
  char *dir, *path;
  fci_h5_quiet q;
} fixture;

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof *fx);
  if (!fx) return -1;
  fx->dir = fct_tmpdir();
  if (!fx->dir) return -1;
  fx->path = fct_join(fx->dir, "f.h5");
  fci_h5_quiet_begin(&fx->q);
  fc_error_clear();
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  fci_h5_quiet_end(&fx->q);
  fct_rmtree(fx->dir);
  free(fx->dir);
  free(fx->path);
  free(fx);
  return 0;
}

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

static void writer_commit_and_abort(void **state) {
  fixture *fx = *state;
  fci_h5_writer w;
  assert_int_equal(fci_h5_writer_create(fx->path, &w), FC_OK);
  assert_non_null(strstr(w.tmp_path, fx->path));
  assert_true(fct_exists(w.tmp_path));
  assert_false(fct_exists(fx->path)); /* nothing at the target until commit */
  assert_int_equal(fci_h5_attr_write_i64(w.file, ".", "answer", 42), FC_OK);
  assert_int_equal(fci_h5_writer_commit(&w), FC_OK);
  assert_null(w.tmp_path);
  assert_int_equal(dir_entries(fx->dir), 1);

  /* An aborted second write leaves the first file alone. */
  assert_int_equal(fci_h5_writer_create(fx->path, &w), FC_OK);
  assert_int_equal(fci_h5_attr_write_i64(w.file, ".", "answer", 7), FC_OK);
  fci_h5_writer_abort(&w);
  assert_int_equal(dir_entries(fx->dir), 1);
  fci_h5_reader r;
  assert_int_equal(fci_h5_reader_open(fx->path, MPI_COMM_NULL, &r), FC_OK);
  int64_t v;
  assert_int_equal(fci_h5_attr_read_i64(r.file, ".", "answer", &v), FC_OK);
  assert_int_equal(v, 42);
  fci_h5_reader_close(&r);
  fci_h5_writer_abort(&w); /* idempotent */
}

static void attributes(void **state) {
  fixture *fx = *state;
  fci_h5_writer w;
  assert_int_equal(fci_h5_writer_create(fx->path, &w), FC_OK);
  const char *list[] = {"a", "", "longer string \xe2\x9c\x93"};
  assert_int_equal(fci_h5_create_group(w.file, "g"), FC_OK);
  assert_int_equal(fci_h5_attr_write_str(w.file, "g", "s", "hello"), FC_OK);
  assert_int_equal(fci_h5_attr_write_str(w.file, ".", "empty", ""), FC_OK);
  assert_int_equal(fci_h5_attr_write_strs(w.file, ".", "list", list, 3), FC_OK);
  assert_int_equal(fci_h5_attr_write_strs(w.file, ".", "none", NULL, 0), FC_OK);
  assert_int_equal(fci_h5_attr_write_i64(w.file, "g", "i", -5), FC_OK);
  assert_int_equal(fci_h5_attr_write_f64(w.file, "g", "d", 0.125), FC_OK);
  /* A NULL in a string list is refused, not written as garbage. */
  const char *bad[] = {"x", NULL};
  assert_int_equal(fci_h5_attr_write_strs(w.file, ".", "bad", bad, 2), FC_ERR_ARG);
  /* Variable-length strings and a 32-bit integer, as h5py or another tool would write. */
  hid_t vt = H5Tcopy(H5T_C_S1);
  H5Tset_size(vt, H5T_VARIABLE);
  hsize_t two = 2;
  hid_t sp = H5Screate_simple(1, &two, NULL);
  hid_t a = H5Acreate2(w.file, "vlen", vt, sp, H5P_DEFAULT, H5P_DEFAULT);
  const char *vv[2] = {"first", "second value"};
  assert_true(H5Awrite(a, vt, vv) >= 0);
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(vt);
  sp = H5Screate(H5S_SCALAR);
  a = H5Acreate2(w.file, "i32", H5T_STD_I32BE, sp, H5P_DEFAULT, H5P_DEFAULT);
  int32_t i32 = -123456;
  assert_true(H5Awrite(a, H5T_NATIVE_INT32, &i32) >= 0);
  H5Aclose(a);
  H5Sclose(sp);
  assert_int_equal(fci_h5_writer_commit(&w), FC_OK);

  fci_h5_reader r;
  assert_int_equal(fci_h5_reader_open(fx->path, MPI_COMM_WORLD, &r), FC_OK);
  char *s, **v;
  size_t n;
  int64_t i;
  double d;
  assert_int_equal(fci_h5_attr_read_str(r.file, "g", "s", &s), FC_OK);
  assert_string_equal(s, "hello");
  free(s);
  assert_int_equal(fci_h5_attr_read_str(r.file, ".", "empty", &s), FC_OK);
  assert_string_equal(s, "");
  free(s);
  assert_int_equal(fci_h5_attr_read_strs(r.file, ".", "list", &v, &n), FC_OK);
  assert_int_equal(n, 3);
  for (size_t k = 0; k < 3; k++)
    assert_string_equal(v[k], list[k]);
  fci_h5_strs_free(v, n);
  assert_int_equal(fci_h5_attr_read_strs(r.file, ".", "none", &v, &n), FC_OK);
  assert_int_equal(n, 0);
  fci_h5_strs_free(v, n);
  assert_int_equal(fci_h5_attr_read_strs(r.file, ".", "vlen", &v, &n), FC_OK);
  assert_int_equal(n, 2);
  assert_string_equal(v[1], "second value");
  fci_h5_strs_free(v, n);
  assert_int_equal(fci_h5_attr_read_i64(r.file, "g", "i", &i), FC_OK);
  assert_int_equal(i, -5);
  assert_int_equal(fci_h5_attr_read_i64(r.file, ".", "i32", &i), FC_OK);
  assert_int_equal(i, -123456);
  assert_int_equal(fci_h5_attr_read_f64(r.file, "g", "d", &d), FC_OK);
  assert_true(d == 0.125);
  assert_int_equal(fci_h5_attr_read_f64(r.file, "g", "i", &d), FC_OK);
  assert_true(d == -5.0);
  assert_true(fci_h5_attr_exists(r.file, "g", "s"));
  assert_false(fci_h5_attr_exists(r.file, "g", "nope"));

  /* Wrong kinds and missing attributes are format errors naming the attribute and object. */
  fc_error_clear();
  assert_int_equal(fci_h5_attr_read_i64(r.file, "g", "s", &i), FC_ERR_FORMAT);
  assert_non_null(strstr(fc_error_message(), "attribute s"));
  assert_non_null(strstr(fc_error_message(), "/g"));
  assert_int_equal(fci_h5_attr_read_i64(r.file, "g", "d", &i), FC_ERR_FORMAT);
  assert_int_equal(fci_h5_attr_read_str(r.file, ".", "list", &s), FC_ERR_FORMAT);
  assert_int_equal(fci_h5_attr_read_str(r.file, "g", "missing", &s), FC_ERR_FORMAT);
  assert_non_null(strstr(fc_error_message(), fx->path));
  assert_non_null(strstr(fc_error_message(), "missing"));
  fci_h5_reader_close(&r);
}

/* Checks the storage of a dataset: chunked by rows, shuffle then deflate level 4. */
static void check_storage(hid_t f, const char *name, hsize_t chunk_rows) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  assert_true(d >= 0);
  hid_t p = H5Dget_create_plist(d);
  assert_int_equal(H5Pget_layout(p), H5D_CHUNKED);
  hsize_t chunk[2];
  assert_true(H5Pget_chunk(p, 2, chunk) >= 1);
  assert_int_equal(chunk[0], chunk_rows);
  assert_int_equal(H5Pget_nfilters(p), 2);
  unsigned flags, cd[4];
  size_t ncd = 4;
  assert_int_equal(H5Pget_filter2(p, 0, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_SHUFFLE);
  ncd = 4;
  assert_int_equal(H5Pget_filter2(p, 1, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_DEFLATE);
  assert_int_equal(cd[0], FCI_H5_DEFLATE_LEVEL);
  H5Pclose(p);
  H5Dclose(d);
}

static void datasets(void **state) {
  fixture *fx = *state;
  const size_t n = 200000;
  int64_t *a = malloc(n * sizeof *a);
  uint8_t *m = malloc(n * 16);
  assert_non_null(a);
  assert_non_null(m);
  for (size_t i = 0; i < n; i++) {
    a[i] = (int64_t)i * 1000003 - 5;
    for (int k = 0; k < 16; k++)
      m[i * 16 + (size_t)k] = (uint8_t)(i * 31 + (size_t)k);
  }
  const char *words[] = {"tcp", "", "a much longer dictionary entry", "udp"};
  fci_h5_writer w;
  assert_int_equal(fci_h5_writer_create(fx->path, &w), FC_OK);
  assert_int_equal(fci_h5_write_array(w.file, "a", H5T_NATIVE_INT64, n, 0, a), FC_OK);
  assert_int_equal(fci_h5_write_array(w.file, "m", H5T_NATIVE_UINT8, n, 16, m), FC_OK);
  assert_int_equal(fci_h5_write_array(w.file, "empty", H5T_NATIVE_DOUBLE, 0, 0, NULL), FC_OK);
  assert_int_equal(fci_h5_write_strings(w.file, "words", words, 4), FC_OK);
  assert_int_equal(fci_h5_write_strings(w.file, "nowords", NULL, 0), FC_OK);
  assert_int_equal(fci_h5_hard_link(w.file, "words", "words_again"), FC_OK);
  assert_int_equal(fci_h5_hard_link(w.file, "no_such", "dangling"), FC_ERR_HDF5);
  assert_int_equal(fci_h5_write_array(w.file, "nodata", H5T_NATIVE_INT64, 3, 0, NULL), FC_ERR_ARG);
  check_storage(w.file, "a", FCI_H5_CHUNK_ROWS);
  check_storage(w.file, "m", FCI_H5_CHUNK_ROWS);
  check_storage(w.file, "words", 4);
  check_storage(w.file, "empty", 1);
  /* Fixed-length strings of the longest length + 1, so each value keeps a terminator. */
  hid_t d = H5Dopen2(w.file, "words", H5P_DEFAULT);
  hid_t t = H5Dget_type(d);
  assert_int_equal(H5Tget_size(t), strlen(words[2]) + 1);
  assert_int_equal(H5Tis_variable_str(t), 0);
  H5Tclose(t);
  H5Dclose(d);
  /* A variable-length string dataset, as h5py writes by default. */
  hid_t vt = H5Tcopy(H5T_C_S1);
  H5Tset_size(vt, H5T_VARIABLE);
  hsize_t three = 3;
  hid_t sp = H5Screate_simple(1, &three, NULL);
  d = H5Dcreate2(w.file, "vwords", vt, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const char *vv[3] = {"x", "yy", "zzz"};
  assert_true(H5Dwrite(d, vt, H5S_ALL, H5S_ALL, H5P_DEFAULT, vv) >= 0);
  H5Dclose(d);
  H5Sclose(sp);
  H5Tclose(vt);
  assert_int_equal(fci_h5_writer_commit(&w), FC_OK);

  MPI_Comm comms[2] = {MPI_COMM_WORLD, MPI_COMM_NULL};
  for (int c = 0; c < 2; c++) {
    fci_h5_reader r;
    assert_int_equal(fci_h5_reader_open(fx->path, comms[c], &r), FC_OK);
    size_t rows, width;
    assert_int_equal(fci_h5_dims(&r, "m", &rows, &width), FC_OK);
    assert_int_equal(rows, n);
    assert_int_equal(width, 16);
    int64_t *ra;
    uint8_t *rm;
    /* A block across a chunk boundary. */
    assert_int_equal(fci_h5_read_rows(&r, "a", H5T_NATIVE_INT64, 0, 65000, 140001, (void **)&ra),
                     FC_OK);
    assert_memory_equal(ra, a + 65000, (140001 - 65000) * sizeof *a);
    free(ra);
    assert_int_equal(fci_h5_read_rows(&r, "m", H5T_NATIVE_UINT8, 16, 7, 70000, (void **)&rm),
                     FC_OK);
    assert_memory_equal(rm, m + 7 * 16, (70000 - 7) * 16);
    free(rm);
    assert_int_equal(fci_h5_read_rows(&r, "a", H5T_NATIVE_INT64, 0, 5, 5, (void **)&ra), FC_OK);
    assert_non_null(ra);
    free(ra);
    double *rd;
    assert_int_equal(fci_h5_read_all(&r, "empty", H5T_NATIVE_DOUBLE, 0, (void **)&rd, &rows),
                     FC_OK);
    assert_int_equal(rows, 0);
    free(rd);
    char **v;
    size_t nv;
    assert_int_equal(fci_h5_read_strings(&r, "words", &v, &nv), FC_OK);
    assert_int_equal(nv, 4);
    for (size_t k = 0; k < 4; k++)
      assert_string_equal(v[k], words[k]);
    fci_h5_strs_free(v, nv);
    assert_int_equal(fci_h5_read_strings(&r, "nowords", &v, &nv), FC_OK);
    assert_int_equal(nv, 0);
    fci_h5_strs_free(v, nv);
    assert_int_equal(fci_h5_read_strings(&r, "vwords", &v, &nv), FC_OK);
    assert_int_equal(nv, 3);
    assert_string_equal(v[2], "zzz");
    fci_h5_strs_free(v, nv);

    /* Shape, type and range mismatches are refused with the dataset named. */
    fc_error_clear();
    assert_int_equal(fci_h5_read_rows(&r, "m", H5T_NATIVE_UINT8, 0, 0, 1, (void **)&rm),
                     FC_ERR_FORMAT);
    assert_non_null(strstr(fc_error_message(), "/m"));
    assert_int_equal(fci_h5_read_rows(&r, "a", H5T_NATIVE_DOUBLE, 0, 0, 1, (void **)&rd),
                     FC_ERR_FORMAT);
    assert_int_equal(fci_h5_read_rows(&r, "a", H5T_NATIVE_INT64, 0, 10, n + 1, (void **)&ra),
                     FC_ERR_ARG);
    assert_non_null(strstr(fc_error_message(), "/a"));
    assert_int_equal(fci_h5_read_strings(&r, "a", &v, &nv), FC_ERR_FORMAT);
    assert_int_equal(fci_h5_read_all(&r, "/no/such", H5T_NATIVE_INT64, 0, (void **)&ra, &rows),
                     FC_ERR_FORMAT);
    assert_non_null(strstr(fc_error_message(), "/no/such"));
    assert_non_null(strstr(fc_error_message(), fx->path));
    assert_false(fci_h5_exists(&r, "/no/such"));
    assert_true(fci_h5_same_object(&r, "words", "/words_again"));
    assert_false(fci_h5_same_object(&r, "words", "nowords"));
    assert_false(fci_h5_same_object(&r, "words", "/no/such"));
    assert_int_equal(fci_h5_read_strings(&r, "words_again", &v, &nv), FC_OK);
    assert_int_equal(nv, 4);
    assert_string_equal(v[2], words[2]);
    fci_h5_strs_free(v, nv);
    assert_true(fci_h5_exists(&r, "words"));
    fci_h5_reader_close(&r);
  }
  free(a);
  free(m);
}

/* The innermost HDF5 message reaches the fc error, after the file and object names. */
static void error_capture(void **state) {
  fixture *fx = *state;
  fci_h5_writer w;
  assert_int_equal(fci_h5_writer_create(fx->path, &w), FC_OK);
  assert_int_equal(fci_h5_create_group(w.file, "g"), FC_OK);
  fc_error_clear();
  assert_int_equal(fci_h5_create_group(w.file, "g"), FC_ERR_HDF5);
  const char *msg = fc_error_message();
  assert_non_null(strstr(msg, "cannot create group /g"));
  assert_non_null(strstr(msg, "already exists"));
  assert_non_null(strstr(msg, w.tmp_path));
  fci_h5_writer_abort(&w);
  assert_int_equal(dir_entries(fx->dir), 0);
  char buf[64];
  H5Eclear2(H5E_DEFAULT);
  fci_h5_last_error(buf, sizeof buf);
  assert_string_equal(buf, "");
}

/* Without a communicator agreement is the identity; with one rank, a failure is kept. */
static void agree_single(void **state) {
  (void)state;
  assert_int_equal(fci_h5_agree(MPI_COMM_NULL, FC_ERR_IO, "x"), FC_ERR_IO);
  assert_int_equal(fci_h5_agree(MPI_COMM_SELF, FC_OK, "x"), FC_OK);
  assert_int_equal(fci_h5_agree(MPI_COMM_SELF, FC_ERR_PARSE, "x"), FC_ERR_PARSE);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(writer_commit_and_abort, setup, teardown),
      cmocka_unit_test_setup_teardown(attributes, setup, teardown),
      cmocka_unit_test_setup_teardown(datasets, setup, teardown),
      cmocka_unit_test_setup_teardown(error_capture, setup, teardown),
      cmocka_unit_test(agree_single),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return failed ? 1 : 0;
}
