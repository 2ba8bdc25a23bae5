/* Flow file readers, the line reader, the atomic output file and the canonical CSV writer, on
 * the hand-made fixtures in tests/fixtures/ingest/ (good and bad files for every format) and on
 * files the tests make (truncated and corrupt gzip, long lines, write failures). */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <xxhash.h>

#include "flowchronicle/ingest.h"
#include "flowchronicle/log.h"
#include "flowchronicle/textio.h"
#include "testutil.h"

/* ---------------------------------------------------------------- helpers */

static const char *fx(const char *name) {
  static char buf[4096];
  snprintf(buf, sizeof buf, "ingest/%s", name);
  return fct_fixture(buf);
}

static fc_status read_as(const char *path, fc_format fmt, bool skip_bad, fc_flow_table *t,
                         fc_ingest_report *rep) {
  fc_ingest_options o;
  fc_ingest_options_default(&o);
  o.format = fmt;
  o.skip_bad = skip_bad;
  fc_error_clear();
  return fc_read_flow_file(path, &o, t, rep);
}

static int64_t T(const char *s) {
  int64_t us = 0;
  assert_true(fc_time_parse(s, strlen(s), &us));
  return us;
}

static void assert_ip(const fc_ip *ip, const char *text) {
  char buf[FC_IP_STRLEN];
  fc_ip_format(ip, buf);
  assert_string_equal(buf, text);
}

/* The address CIDDS names are mapped to: fd00:0:0:cafe:<XXH3_64(name), big-endian>. */
static void assert_name_ip(const fc_ip *ip, const char *name) {
  static const uint8_t prefix[8] = {0xfd, 0, 0, 0, 0, 0, 0xca, 0xfe};
  assert_int_equal(ip->family, 6);
  assert_memory_equal(ip->addr, prefix, 8);
  uint64_t h = XXH3_64bits(name, strlen(name));
  for (int k = 0; k < 8; k++)
    assert_int_equal(ip->addr[8 + k], (uint8_t)(h >> (56 - 8 * k)));
}

static const char *label_of(const fc_flow_table *t, size_t i) {
  assert_true(t->has_labels);
  return fc_strdict_get(t->labels, t->label[i]);
}

static void row(const fc_flow_table *t, size_t i, fc_flow *f) {
  assert_true(i < t->n);
  fc_table_get(t, i, f);
}

static void assert_counts(const fc_flow *f, uint64_t fp, uint64_t bp, uint64_t fb, uint64_t bb) {
  assert_int_equal(f->fwd_pkts, fp);
  assert_int_equal(f->bwd_pkts, bp);
  assert_int_equal(f->fwd_bytes, fb);
  assert_int_equal(f->bwd_bytes, bb);
}

static void assert_msg_has(const char *needle) {
  const char *m = fc_error_message();
  if (!strstr(m, needle)) fail_msg("error message lacks \"%s\":\n%s", needle, m);
}

/* Copies the first n bytes of src to dst (n = SIZE_MAX: all), then appends extra. */
static void copy_cut(const char *src, const char *dst, size_t n, const void *extra,
                     size_t extra_n) {
  size_t len;
  char *data = fct_slurp(src, &len);
  assert_non_null(data);
  if (n > len) n = len;
  FILE *f = fopen(dst, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  if (extra_n) assert_int_equal(fwrite(extra, 1, extra_n, f), extra_n);
  assert_int_equal(fclose(f), 0);
  free(data);
}

/* Reads every line; returns the final status and the number of lines. */
static fc_status drain(const char *path, uint64_t *lines) {
  fc_line_reader *r = NULL;
  *lines = 0;
  fc_error_clear();
  fc_status st = fc_line_reader_open(path, &r);
  if (st != FC_OK) return st;
  for (;;) {
    char *s;
    size_t n;
    st = fc_line_reader_next(r, &s, &n);
    if (st != FC_OK || !s) break;
    (*lines)++;
  }
  fc_line_reader_close(&r);
  return st;
}

static size_t count_entries(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

/* ---------------------------------------------------------------- formats */

static void format_registry(void **state) {
  (void)state;
  fc_format f;
  const char *names[] = {"cidds", "nfdump", "ugr16", "argus", "zeek", "flows"};
  for (int i = 0; i < FC_FMT_COUNT; i++) {
    assert_true(fc_format_parse(names[i], &f));
    assert_int_equal(f, i);
    assert_string_equal(fc_format_name(f), names[i]);
  }
  assert_true(fc_format_parse("ZEEK", &f));
  assert_int_equal(f, FC_FMT_ZEEK);
  assert_true(fc_format_parse("binetflow", &f));
  assert_int_equal(f, FC_FMT_ARGUS);
  assert_false(fc_format_parse("csv", &f));
  assert_false(fc_format_parse("", &f));
  assert_string_equal(fc_format_name(FC_FMT_COUNT), "unknown");
  assert_true(fc_format_unidirectional(FC_FMT_CIDDS));
  assert_true(fc_format_unidirectional(FC_FMT_NFDUMP));
  assert_true(fc_format_unidirectional(FC_FMT_UGR16));
  assert_false(fc_format_unidirectional(FC_FMT_ARGUS));
  assert_false(fc_format_unidirectional(FC_FMT_ZEEK));
  assert_false(fc_format_unidirectional(FC_FMT_FLOWS));
  fc_ingest_options o;
  memset(&o, 0x5a, sizeof o);
  fc_ingest_options_default(&o);
  assert_int_equal(o.session_gap_us, 120000000);
  assert_false(o.skip_bad);
  assert_int_equal(o.format, FC_FMT_FLOWS);
}

/* ---------------------------------------------------------------- line reader */

static void line_reader_plain(void **state) {
  (void)state;
  char *dir = fct_tmpdir();
  char *p = fct_join(dir, "lines.txt");
  const char *text = "a\r\nbb\n\n  \nmid\rdle\nlast";
  assert_true(fct_write(p, text));
  fc_line_reader *r;
  assert_int_equal(fc_line_reader_open(p, &r), FC_OK);
  assert_false(fc_line_reader_is_gzip(r));
  const char *want[] = {"a", "bb", "", "  ", "mid\rdle", "last"};
  for (size_t i = 0; i < 6; i++) {
    char *s;
    size_t n;
    assert_int_equal(fc_line_reader_next(r, &s, &n), FC_OK);
    assert_non_null(s);
    assert_int_equal(n, strlen(want[i]));
    assert_string_equal(s, want[i]); /* NUL-terminated in place */
    assert_int_equal(fc_line_reader_line_no(r), i + 1);
  }
  char *s;
  size_t n;
  assert_int_equal(fc_line_reader_next(r, &s, &n), FC_OK);
  assert_null(s);
  assert_int_equal(n, 0);
  assert_int_equal(fc_line_reader_bytes(r), strlen(text));
  assert_int_equal(fc_line_reader_next(r, &s, &n), FC_OK); /* stays at the end */
  assert_null(s);
  fc_line_reader_close(&r);
  assert_null(r);
  fc_line_reader_close(&r); /* safe on NULL */

  /* empty file: no lines */
  assert_true(fct_write(p, ""));
  uint64_t lines;
  assert_int_equal(drain(p, &lines), FC_OK);
  assert_int_equal(lines, 0);

  /* missing file and a directory: errors naming the path */
  fc_error_clear();
  assert_int_equal(fc_line_reader_open("/nonexistent/flows.csv", &r), FC_ERR_IO);
  assert_null(r);
  assert_msg_has("/nonexistent/flows.csv");
  assert_int_equal(fc_line_reader_open(dir, &r), FC_ERR_IO);
  assert_msg_has(dir);
  free(p);
  fct_rmtree(dir);
  free(dir);
}

/* Lines longer than the initial 1 MiB buffer, and many lines across buffer refills. */
static void line_reader_long_lines(void **state) {
  (void)state;
  char *dir = fct_tmpdir();
  char *p = fct_join(dir, "long.txt");
  size_t big = (3u << 20) + 17;
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  fputs("x\n", f);
  for (size_t i = 0; i < big; i++)
    fputc('a' + (int)(i % 26), f);
  fputc('\n', f);
  for (int i = 0; i < 200000; i++)
    fprintf(f, "%d\n", i);
  fclose(f);
  fc_line_reader *r;
  assert_int_equal(fc_line_reader_open(p, &r), FC_OK);
  char *s;
  size_t n;
  assert_int_equal(fc_line_reader_next(r, &s, &n), FC_OK);
  assert_string_equal(s, "x");
  assert_int_equal(fc_line_reader_next(r, &s, &n), FC_OK);
  assert_int_equal(n, big);
  assert_int_equal(s[0], 'a');
  assert_int_equal(s[big - 1], 'a' + (int)((big - 1) % 26));
  for (int i = 0; i < 200000; i++) {
    assert_int_equal(fc_line_reader_next(r, &s, &n), FC_OK);
    assert_non_null(s);
    assert_int_equal(atoi(s), i);
  }
  assert_int_equal(fc_line_reader_next(r, &s, &n), FC_OK);
  assert_null(s);
  assert_int_equal(fc_line_reader_line_no(r), 200002);
  fc_line_reader_close(&r);
  free(p);
  fct_rmtree(dir);
  free(dir);
}

static void line_reader_gzip(void **state) {
  (void)state;
  char plain[4096], gz[4096]; /* fx returns a static buffer */
  snprintf(plain, sizeof plain, "%s", fx("ugr16_noheader.csv"));
  snprintf(gz, sizeof gz, "%s", fx("ugr16_noheader.csv.gz"));
  size_t plain_len;
  char *text = fct_slurp(plain, &plain_len);
  assert_non_null(text);
  fc_line_reader *r;
  assert_int_equal(fc_line_reader_open(gz, &r), FC_OK);
  assert_true(fc_line_reader_is_gzip(r));
  char *line = text;
  for (;;) {
    char *s;
    size_t n;
    assert_int_equal(fc_line_reader_next(r, &s, &n), FC_OK);
    if (!s) break;
    char *nl = strchr(line, '\n');
    assert_non_null(nl);
    assert_int_equal(n, (size_t)(nl - line));
    assert_memory_equal(s, line, n);
    line = nl + 1;
  }
  assert_int_equal(*line, '\0');
  assert_int_equal(fc_line_reader_bytes(r), plain_len);
  assert_int_equal(fc_line_reader_line_no(r), 3);
  fc_line_reader_close(&r);

  /* A name that does not end in .gz is still read as gzip (magic bytes decide), and a
   * multi-member file (two gzip files concatenated) yields both members' lines. */
  char *dir = fct_tmpdir();
  char *p = fct_join(dir, "two-members.csv");
  size_t gz_len;
  char *gzdata = fct_slurp(gz, &gz_len);
  copy_cut(gz, p, SIZE_MAX, gzdata, gz_len);
  uint64_t lines;
  assert_int_equal(drain(p, &lines), FC_OK);
  assert_int_equal(lines, 6);
  /* trailing zero padding is ignored, as gzip does */
  static const char zeros[16] = {0};
  copy_cut(gz, p, SIZE_MAX, zeros, sizeof zeros);
  assert_int_equal(drain(p, &lines), FC_OK);
  assert_int_equal(lines, 3);
  free(gzdata);
  free(p);
  free(text);
  fct_rmtree(dir);
  free(dir);
}

/* Truncated anywhere (in the header, the data, the trailer), corrupt, or followed by garbage:
 * FC_ERR_IO naming the file; never a silent short read. */
static void line_reader_gzip_damaged(void **state) {
  (void)state;
  char gz[4096];
  snprintf(gz, sizeof gz, "%s", fx("ugr16_noheader.csv.gz"));
  size_t len;
  char *data = fct_slurp(gz, &len);
  assert_non_null(data);
  assert_true(len > 40);
  char *dir = fct_tmpdir();
  char *p = fct_join(dir, "cut.csv.gz");
  size_t cuts[] = {2, 10, 20, len / 2, len - 8, len - 5, len - 4, len - 1};
  for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
    copy_cut(gz, p, cuts[k], NULL, 0);
    uint64_t lines;
    fc_status st = drain(p, &lines);
    if (st != FC_ERR_IO) fail_msg("cut at %zu of %zu: status %d, not FC_ERR_IO", cuts[k], len, st);
    assert_msg_has("cut.csv.gz");
    assert_msg_has("truncated");
  }
  /* a flipped byte in the deflate data, and one in the CRC */
  size_t flips[] = {len / 2, len - 6};
  for (size_t k = 0; k < 2; k++) {
    data[flips[k]] ^= 0x55;
    FILE *f = fopen(p, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
    data[flips[k]] ^= 0x55;
    uint64_t lines;
    assert_int_equal(drain(p, &lines), FC_ERR_IO);
    assert_msg_has("cut.csv.gz");
  }
  copy_cut(gz, p, SIZE_MAX, "garbage\n", 8);
  uint64_t lines;
  assert_int_equal(drain(p, &lines), FC_ERR_IO);
  assert_msg_has("unexpected data after the end of the gzip stream");

  /* through the flow reader: the error surfaces and the table is left as it was */
  copy_cut(gz, p, len - 4, NULL, 0);
  fc_flow_table t;
  fc_table_init(&t);
  fc_ingest_report rep = {0};
  assert_int_equal(read_as(p, FC_FMT_UGR16, true, &t, &rep), FC_ERR_IO);
  assert_msg_has("cut.csv.gz");
  assert_int_equal(t.n, 0);
  fc_table_free(&t);
  free(data);
  free(p);
  fct_rmtree(dir);
  free(dir);
}

/* ---------------------------------------------------------------- atomic file */

static void atomic_commit_and_abort(void **state) {
  (void)state;
  char *dir = fct_tmpdir();
  char *p = fct_join(dir, "out.csv");
  fc_atomic_file *f;
  assert_int_equal(fc_atomic_open(p, &f), FC_OK);
  assert_string_equal(fc_atomic_path(f), p);
  assert_int_equal(count_entries(dir), 1); /* the temporary file only */
  assert_false(fct_exists(p));
  assert_int_equal(fc_atomic_puts(f, "hello\n"), FC_OK);
  assert_int_equal(fc_atomic_printf(f, "%d,%s\n", 42, "x"), FC_OK);
  char big[3000];
  memset(big, 'b', sizeof big);
  for (int i = 0; i < 200; i++)
    assert_int_equal(fc_atomic_write(f, big, sizeof big), FC_OK);
  assert_int_equal(fc_atomic_printf(f, "%s\n", "end"), FC_OK);
  assert_int_equal(fc_atomic_commit(&f), FC_OK);
  assert_null(f);
  size_t len;
  char *got = fct_slurp(p, &len);
  assert_non_null(got);
  assert_int_equal(len, 6 + 5 + 200 * sizeof big + 4);
  assert_memory_equal(got, "hello\n42,x\nbbb", 14);
  assert_string_equal(got + len - 4, "end\n");
  free(got);
  assert_int_equal(count_entries(dir), 1); /* no temporary file left */

  /* Replacing: the old content stays until commit; abort keeps it. */
  assert_int_equal(fc_atomic_open(p, &f), FC_OK);
  assert_int_equal(fc_atomic_puts(f, "new\n"), FC_OK);
  got = fct_slurp(p, &len);
  assert_memory_equal(got, "hello\n", 6);
  free(got);
  fc_atomic_abort(&f);
  assert_null(f);
  fc_atomic_abort(&f); /* safe on NULL */
  got = fct_slurp(p, &len);
  assert_memory_equal(got, "hello\n", 6);
  free(got);
  assert_int_equal(count_entries(dir), 1);
  assert_int_equal(fc_atomic_open(p, &f), FC_OK);
  assert_int_equal(fc_atomic_puts(f, "new\n"), FC_OK);
  assert_int_equal(fc_atomic_commit(&f), FC_OK);
  got = fct_slurp(p, &len);
  assert_string_equal(got, "new\n");
  free(got);

  /* a target whose directory does not exist */
  char *q = fct_join(dir, "no/such/dir/out.csv");
  fc_error_clear();
  assert_int_equal(fc_atomic_open(q, &f), FC_ERR_IO);
  assert_null(f);
  assert_msg_has("no/such/dir/out.csv");
  free(q);

  /* an uncommitted file leaves nothing behind */
  char *r = fct_join(dir, "never.csv");
  assert_int_equal(fc_atomic_open(r, &f), FC_OK);
  assert_int_equal(fc_atomic_puts(f, "x\n"), FC_OK);
  fc_atomic_abort(&f);
  assert_false(fct_exists(r));
  assert_int_equal(count_entries(dir), 1);
  free(r);
  free(p);
  fct_rmtree(dir);
  free(dir);
}

static void atomic_gzip(void **state) {
  (void)state;
  char *dir = fct_tmpdir();
  char *p = fct_join(dir, "out.txt.gz");
  fc_atomic_file *f;
  assert_int_equal(fc_atomic_open(p, &f), FC_OK);
  for (int i = 0; i < 100000; i++)
    assert_int_equal(fc_atomic_printf(f, "line %d\n", i), FC_OK);
  assert_int_equal(fc_atomic_commit(&f), FC_OK);
  size_t len;
  char *raw = fct_slurp(p, &len);
  assert_true(len > 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b);
  assert_true(len < 600000); /* compressed */
  free(raw);
  fc_line_reader *r;
  assert_int_equal(fc_line_reader_open(p, &r), FC_OK);
  assert_true(fc_line_reader_is_gzip(r));
  for (int i = 0; i < 100000; i++) {
    char *s, want[32];
    size_t n;
    assert_int_equal(fc_line_reader_next(r, &s, &n), FC_OK);
    snprintf(want, sizeof want, "line %d", i);
    assert_non_null(s);
    assert_string_equal(s, want);
  }
  char *s;
  size_t n;
  assert_int_equal(fc_line_reader_next(r, &s, &n), FC_OK);
  assert_null(s);
  fc_line_reader_close(&r);
  assert_int_equal(count_entries(dir), 1);
  free(p);
  fct_rmtree(dir);
  free(dir);
}

/* A write failure (here EFBIG from RLIMIT_FSIZE, as ENOSPC would be on a full disk) is an
 * FC_ERR_IO naming the target, and nothing is left behind. */
static void atomic_write_error(void **state) {
  (void)state;
  char *dir = fct_tmpdir();
  char *p = fct_join(dir, "toobig.csv");
  struct rlimit old, lim;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
  lim = old;
  lim.rlim_cur = 100000;
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
  fc_atomic_file *f;
  assert_int_equal(fc_atomic_open(p, &f), FC_OK);
  char block[4096];
  memset(block, 'z', sizeof block);
  fc_status st = FC_OK;
  fc_error_clear();
  for (int i = 0; i < 100 && st == FC_OK; i++)
    st = fc_atomic_write(f, block, sizeof block);
  if (st == FC_OK) {
    st = fc_atomic_commit(&f);
  } else {
    assert_int_equal(fc_atomic_write(f, "x", 1), st); /* sticky */
    assert_int_equal(fc_atomic_commit(&f), st);       /* commit refuses and cleans up */
  }
  assert_null(f);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, prev);
  assert_int_equal(st, FC_ERR_IO);
  assert_msg_has("toobig.csv");
  assert_false(fct_exists(p));
  assert_int_equal(count_entries(dir), 0);
  free(p);
  fct_rmtree(dir);
  free(dir);
}

/* ---------------------------------------------------------------- CIDDS */

static void cidds_labelled(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  fc_ingest_report rep = {0};
  assert_int_equal(read_as(fx("cidds_labels.csv"), FC_FMT_CIDDS, false, &t, &rep), FC_OK);
  assert_int_equal(t.n, 4);
  assert_int_equal(rep.records, 4);
  assert_int_equal(rep.lines, 7);
  assert_int_equal(rep.skipped, 0);
  assert_int_equal(rep.ignored, 0);
  size_t flen;
  free(fct_slurp(fx("cidds_labels.csv"), &flen));
  assert_int_equal(rep.bytes, flen);
  fc_flow f;
  row(&t, 0, &f);
  assert_int_equal(f.ts_us, T("2017-03-15 00:01:16.632"));
  assert_int_equal(f.duration_us, 0);
  assert_int_equal(f.proto, FC_PROTO_TCP); /* "TCP  " padded */
  assert_ip(&f.src_ip, "192.168.100.5");
  assert_int_equal(f.src_port, 445);
  assert_ip(&f.dst_ip, "192.168.220.16");
  assert_int_equal(f.dst_port, 58844);
  assert_counts(&f, 1, 0, 108, 0);
  assert_int_equal(f.flags, FC_TCP_ACK | FC_TCP_PSH);
  assert_string_equal(label_of(&t, 0), "normal");

  row(&t, 1, &f);
  assert_int_equal(f.ts_us, T("2017-03-15 00:01:16.552"));
  assert_int_equal(f.duration_us, 12344000);
  assert_name_ip(&f.src_ip, "EXT_SERVER");
  assert_name_ip(&f.dst_ip, "10008_251");
  assert_int_equal(f.src_port, 8082);
  assert_counts(&f, 811, 0, 1200000, 0); /* "1.2 M" */
  assert_int_equal(f.flags, FC_TCP_ACK | FC_TCP_PSH | FC_TCP_SYN | FC_TCP_FIN);
  assert_string_equal(label_of(&t, 1), "attacker/portScan");

  row(&t, 2, &f);
  assert_int_equal(f.proto, FC_PROTO_ICMP);
  assert_int_equal(f.src_port, 0);
  assert_int_equal(f.dst_port, 3 * 256 + 3); /* "3.3" */
  assert_name_ip(&f.dst_ip, "DNS");
  assert_int_equal(f.duration_us, 10000);
  assert_int_equal(f.flags, 0);
  assert_string_equal(label_of(&t, 2), "victim/pingScan");

  row(&t, 3, &f);
  assert_int_equal(f.ts_us, T("2017-03-16 23:59:59.999"));
  assert_int_equal(f.proto, FC_PROTO_UDP);
  assert_int_equal(f.duration_us, 1500000);
  assert_counts(&f, 2, 0, 1500, 0); /* "1.5 K" */
  assert_name_ip(&f.dst_ip, "OPENSTACK_NET");
  assert_string_equal(label_of(&t, 3), "normal");
  assert_int_equal(fc_strdict_size(t.labels), 3);
  /* the same name is the same address everywhere */
  assert_false(fc_ip_equal(&t.dst_ip[1], &t.dst_ip[2]));
  fc_table_free(&t);
}

static void cidds_unlabelled(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  assert_int_equal(read_as(fx("cidds_nolabel.csv"), FC_FMT_CIDDS, false, &t, NULL), FC_OK);
  assert_int_equal(t.n, 2);
  assert_false(t.has_labels);
  fc_flow f;
  row(&t, 0, &f);
  assert_int_equal(f.ts_us, T("2017-04-11 15:31:29.795"));
  assert_int_equal(f.duration_us, 639000);
  assert_name_ip(&f.src_ip, "11529_47");
  assert_int_equal(f.src_port, 80);
  assert_ip(&f.dst_ip, "192.168.220.14");
  assert_counts(&f, 4, 0, 6664, 0);
  row(&t, 1, &f);
  assert_int_equal(f.proto, FC_PROTO_ICMP);
  assert_int_equal(f.dst_port, 3); /* a plain integer is a port */
  assert_name_ip(&f.dst_ip, "DNS");
  fc_table_free(&t);
}

/* Every malformed row is reported with file:line and what is wrong; skip_bad counts them. */
static void cidds_bad_rows(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  fc_flow seed;
  memset(&seed, 0, sizeof seed);
  seed.src_ip.family = seed.dst_ip.family = 4;
  assert_int_equal(fc_table_append(&t, &seed), FC_OK);
  fc_ingest_report rep = {0};
  assert_int_equal(read_as(fx("cidds_bad.csv"), FC_FMT_CIDDS, false, &t, &rep), FC_ERR_PARSE);
  assert_msg_has("cidds_bad.csv:3: field 'Dst Pt': '80x' is not a port");
  assert_int_equal(t.n, 1); /* rows of the failed file are taken back */

  /* with skip_bad: a warning per skipped row, on stderr */
  char *dir = fct_tmpdir();
  char *log = fct_join(dir, "stderr.txt");
  fflush(stderr);
  int saved = dup(fileno(stderr));
  assert_non_null(freopen(log, "w", stderr));
  memset(&rep, 0, sizeof rep);
  fc_status st = read_as(fx("cidds_bad.csv"), FC_FMT_CIDDS, true, &t, &rep);
  fflush(stderr);
  dup2(saved, fileno(stderr));
  close(saved);
  assert_int_equal(st, FC_OK);
  assert_int_equal(t.n, 3);
  assert_int_equal(rep.records, 2);
  assert_int_equal(rep.skipped, 8);
  assert_int_equal(rep.lines, 11);
  assert_int_equal(t.dst_port[2], 443);
  char *text = fct_slurp(log, NULL);
  assert_non_null(text);
  int n = 0;
  for (const char *s = text; (s = strstr(s, "(row skipped)")); s++)
    n++;
  assert_int_equal(n, 8);
  const char *want[] = {
      "cidds_bad.csv:3: field 'Dst Pt': '80x' is not a port",
      "cidds_bad.csv:4: field 'Duration': '-0.5' is a negative duration",
      "cidds_bad.csv:5: expected 11 fields, found 10",
      "cidds_bad.csv:6: field 'Src IP Addr': '192.168.220.300'",
      "cidds_bad.csv:7: field 'Date first seen': '2017-04-11 25:31:34.000' is not a time",
      "cidds_bad.csv:8: field 'Proto': 'XTP' is not a protocol",
      "cidds_bad.csv:9: field 'Flags': '.AXP..' is not a set of TCP flags",
      "cidds_bad.csv:10: field 'Packets': 'four' is not a count"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    if (!strstr(text, want[i])) fail_msg("no warning \"%s\" in:\n%s", want[i], text);
  free(text);
  free(log);
  fct_rmtree(dir);
  free(dir);
  fc_table_free(&t);
}

static void missing_column(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  assert_int_equal(read_as(fx("cidds_missing_col.csv"), FC_FMT_CIDDS, true, &t, NULL),
                   FC_ERR_FORMAT);
  assert_msg_has("cidds_missing_col.csv:1");
  assert_msg_has("'Dst Pt'");
  assert_int_equal(t.n, 0);
  fc_table_free(&t);
}

/* ---------------------------------------------------------------- nfdump */

static void nfdump_csv(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  fc_ingest_report rep = {0};
  assert_int_equal(read_as(fx("nfdump.csv"), FC_FMT_NFDUMP, false, &t, &rep), FC_OK);
  assert_int_equal(t.n, 4);
  assert_int_equal(rep.ignored, 3); /* Summary, its header and its values */
  assert_int_equal(rep.lines, 8);
  assert_false(t.has_labels);
  fc_flow f;
  row(&t, 0, &f);
  assert_int_equal(f.ts_us, T("2018-01-12 15:37:30"));
  assert_int_equal(f.duration_us, 0);
  assert_ip(&f.src_ip, "147.32.80.119");
  assert_int_equal(f.src_port, 52324);
  assert_ip(&f.dst_ip, "147.32.82.62");
  assert_int_equal(f.dst_port, 902);
  assert_int_equal(f.proto, FC_PROTO_TCP);
  assert_int_equal(f.flags, FC_TCP_SYN); /* "......S." */
  assert_counts(&f, 1, 0, 60, 0);
  row(&t, 1, &f);
  assert_int_equal(f.ts_us, T("2018-01-12 15:37:31.250"));
  assert_int_equal(f.duration_us, 2500000);
  assert_ip(&f.src_ip, "2001:db8::1");
  assert_int_equal(f.flags, FC_TCP_ACK | FC_TCP_PSH | FC_TCP_SYN | FC_TCP_FIN);
  assert_counts(&f, 10, 8, 5000, 640); /* ipkt/ibyt forward, opkt/obyt backward */
  row(&t, 2, &f);
  assert_int_equal(f.proto, FC_PROTO_ICMP);
  assert_int_equal(f.dst_port, 771); /* "3.3" */
  row(&t, 3, &f);
  assert_int_equal(f.dst_port, 2048); /* already type * 256 + code */
  fc_table_free(&t);
}

/* ---------------------------------------------------------------- UGR'16 */

static void check_ugr16_rows(const fc_flow_table *t) {
  fc_flow f;
  row(t, 0, &f);
  /* te 00:01:38 minus td 6.0 */
  assert_int_equal(f.ts_us, T("2016-04-11 00:01:32"));
  assert_int_equal(f.duration_us, 6000000);
  assert_int_equal(f.proto, FC_PROTO_ICMP);
  assert_ip(&f.src_ip, "42.219.155.19");
  assert_int_equal(f.src_port, 0);
  assert_ip(&f.dst_ip, "165.133.210.175");
  assert_int_equal(f.dst_port, 771);
  assert_int_equal(f.flags, FC_TCP_ACK);
  assert_counts(&f, 12, 0, 1200, 0);
  assert_string_equal(label_of(t, 0), "background");
  row(t, 1, &f);
  /* te - td computed exactly in microseconds: 00:01:38 - 6.004 s */
  assert_int_equal(f.ts_us, T("2016-04-11 00:01:31.996"));
  assert_int_equal(f.duration_us, 6004000);
  assert_int_equal(f.proto, FC_PROTO_UDP);
  assert_int_equal(f.src_port, 34921);
  assert_int_equal(f.dst_port, 161);
  row(t, 2, &f);
  assert_int_equal(f.ts_us, T("2016-04-11 00:01:43"));
  assert_int_equal(f.flags, FC_TCP_ACK | FC_TCP_FIN);
  assert_string_equal(label_of(t, 2), "blacklist");
}

static void ugr16_forms(void **state) {
  (void)state;
  const char *files[] = {"ugr16.csv", "ugr16_noheader.csv", "ugr16_noheader.csv.gz"};
  for (int k = 0; k < 3; k++) {
    fc_flow_table t;
    fc_table_init(&t);
    fc_ingest_report rep = {0};
    assert_int_equal(read_as(fx(files[k]), FC_FMT_UGR16, false, &t, &rep), FC_OK);
    assert_int_equal(t.n, k == 0 ? 4 : 3);
    assert_int_equal(rep.records, t.n);
    check_ugr16_rows(&t);
    if (k == 0) {
      assert_int_equal(t.proto[3], 4); /* IPIP */
      assert_int_equal(t.duration_us[3], 1000);
    }
    if (k == 2) {
      size_t plain;
      free(fct_slurp(fx("ugr16_noheader.csv"), &plain));
      assert_int_equal(rep.bytes, plain); /* uncompressed bytes */
    }
    fc_table_free(&t);
  }
}

/* Decimal and time forms, checked against exact micro-units. */
static void value_forms(void **state) {
  (void)state;
  char *dir = fct_tmpdir();
  char *p = fct_join(dir, "forms.csv");
  assert_true(fct_write(p,
                        "te,td,sa,da,sp,dp,pr,flg,fwd,stos,pkt,byt,label\n"
                        "2016-04-11 00:00:10,0.0000005,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n"
                        "2016-04-11 00:00:10,1e-05,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n"
                        "2016-04-11 00:00:10,.5,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n"
                        "2016-04-11 00:00:10,5.,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n"
                        "2016-04-11 00:00:10,0.1234564,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n"
                        "2016-04-11 00:00:10,2.5E+1,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n"
                        "2016-04-11T00:00:10Z,0,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n"
                        "2016/04/11 00:00:10.1234567,0,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n"
                        "2016-04-12 00:00:10.5,0,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,"
                        "18446744073709551615,a\n"));
  fc_flow_table t;
  fc_table_init(&t);
  assert_int_equal(read_as(p, FC_FMT_UGR16, false, &t, NULL), FC_OK);
  assert_int_equal(t.n, 9);
  const int64_t durs[] = {1, 10, 500000, 5000000, 123456, 25000000, 0, 0, 0};
  for (int i = 0; i < 9; i++)
    assert_int_equal(t.duration_us[i], durs[i]);
  int64_t te = T("2016-04-11 00:00:10");
  assert_int_equal(t.ts_us[0], te - 1);
  assert_int_equal(t.ts_us[6], te);
  assert_int_equal(t.ts_us[7], te + 123456); /* fractions beyond 6 digits are truncated */
  assert_int_equal(t.ts_us[8], T("2016-04-12 00:00:10.5"));
  assert_int_equal(t.fwd_bytes[8], UINT64_MAX);

  const char *bad[] = {
      "2016-04-11 00:00:10,1..5,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n",
      "2016-04-11 00:00:10,e5,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n",
      "2016-04-11 00:00:10,1e,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n",
      "2016-04-11 00:00:10,1,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,18446744073709551616,a\n",
      "2016-04-11 00:00:10,1,1.1.1.1,2.2.2.2,1,65536,TCP,......,0,0,1,1,a\n",
      "2016-13-11 00:00:10,1,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n",
      "2016-04-11 00:00:10.,1,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,1,1,a\n",
      "2016-04-11 00:00:10,1,1.1.1.1,2.2.2.2,1,2.2,TCP,......,0,0,1,1,a\n", /* dotted: ICMP only */
      "2016-04-11 00:00:10,1,1.1.1.1,2.2.2.2,1,2,TCP,......,0,0,-1,1,a\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char text[512];
    snprintf(text, sizeof text, "te,td,sa,da,sp,dp,pr,flg,fwd,stos,pkt,byt,label\n%s", bad[i]);
    assert_true(fct_write(p, text));
    fc_flow_table u;
    fc_table_init(&u);
    fc_status st = read_as(p, FC_FMT_UGR16, false, &u, NULL);
    if (st != FC_ERR_PARSE) fail_msg("accepted: %s", bad[i]);
    assert_msg_has("forms.csv:2: field '");
    fc_table_free(&u);
  }
  fc_table_free(&t);
  free(p);
  fct_rmtree(dir);
  free(dir);
}

/* ---------------------------------------------------------------- Argus */

static void argus_binetflow(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  fc_ingest_report rep = {0};
  assert_int_equal(read_as(fx("argus.binetflow"), FC_FMT_ARGUS, false, &t, &rep), FC_OK);
  assert_int_equal(t.n, 5);
  assert_int_equal(rep.ignored, 1); /* the arp record */
  fc_flow f;
  row(&t, 0, &f);
  assert_int_equal(f.ts_us, T("2013-12-17 22:09:19.500617"));
  assert_int_equal(f.duration_us, 1281885498);
  assert_int_equal(f.proto, FC_PROTO_TCP);
  assert_ip(&f.src_ip, "81.95.182.31");
  assert_int_equal(f.src_port, 40890);
  assert_ip(&f.dst_ip, "10.0.0.46");
  assert_int_equal(f.dst_port, 44850);
  assert_int_equal(f.flags, FC_TCP_FIN | FC_TCP_SYN | FC_TCP_PSH | FC_TCP_ACK); /* FSPA_FSA */
  assert_counts(&f, 7, 3, 700, 300); /* 10 packets split 700:300 */
  assert_string_equal(label_of(&t, 0), "flow=Background-TCP");
  row(&t, 1, &f);
  assert_int_equal(f.proto, FC_PROTO_ICMP);
  assert_int_equal(f.src_port, 0);
  assert_int_equal(f.dst_port, 771); /* Sport 0x0303: type 3, code 3 */
  assert_int_equal(f.flags, 0);
  assert_counts(&f, 1, 0, 78, 0);
  row(&t, 2, &f); /* user data with commas in it */
  assert_int_equal(f.proto, FC_PROTO_UDP);
  assert_int_equal(f.dst_port, 53);
  assert_counts(&f, 1, 1, 86, 135);
  assert_string_equal(label_of(&t, 2), "flow=Normal-DNS");
  row(&t, 3, &f);
  assert_int_equal(f.flags, FC_TCP_SYN | FC_TCP_RST | FC_TCP_ACK); /* S_RA */
  assert_counts(&f, 1, 0, 60, 0);
  row(&t, 4, &f);
  assert_int_equal(f.flags, 0); /* named state CON */
  assert_counts(&f, 0, 3, 0, 180);

  fc_table_free(&t);
  fc_table_init(&t);
  assert_int_equal(read_as(fx("argus_pkts.binetflow"), FC_FMT_ARGUS, false, &t, NULL), FC_OK);
  assert_int_equal(t.n, 1);
  assert_false(t.has_labels);
  row(&t, 0, &f);
  assert_counts(&f, 4, 5, 500, 1000); /* SrcPkts/DstPkts given */
  assert_int_equal(f.flags, FC_TCP_SYN | FC_TCP_PSH | FC_TCP_ACK);
  assert_int_equal(f.duration_us, 2500000);
  fc_table_free(&t);
}

/* ---------------------------------------------------------------- Zeek */

static void zeek_tsv(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  fc_ingest_report rep = {0};
  assert_int_equal(read_as(fx("zeek_conn.log"), FC_FMT_ZEEK, false, &t, &rep), FC_OK);
  assert_int_equal(t.n, 6);
  assert_int_equal(rep.lines, 15);
  assert_int_equal(rep.ignored, 1); /* #close */
  assert_false(t.has_labels);
  fc_flow f;
  row(&t, 0, &f);
  assert_int_equal(f.ts_us, INT64_C(1601998366785668));
  assert_int_equal(f.duration_us, 1872);
  assert_int_equal(f.proto, FC_PROTO_TCP);
  assert_ip(&f.src_ip, "10.0.2.15");
  assert_int_equal(f.src_port, 49158);
  assert_ip(&f.dst_ip, "195.113.232.73");
  assert_int_equal(f.dst_port, 80);
  assert_counts(&f, 5, 5, 309, 383);                                            /* IP-level bytes */
  assert_int_equal(f.flags, FC_TCP_SYN | FC_TCP_ACK | FC_TCP_PSH | FC_TCP_FIN); /* ShADadfF */
  row(&t, 1, &f);
  assert_int_equal(f.ts_us, INT64_C(1601998367500000));
  assert_int_equal(f.duration_us, 0); /* unset */
  assert_int_equal(f.proto, FC_PROTO_UDP);
  assert_ip(&f.src_ip, "2001:718:2:1663:dc58:6d9:ef13:51a5");
  assert_int_equal(f.flags, 0); /* history only makes flags for TCP */
  assert_counts(&f, 1, 0, 85, 0);
  row(&t, 2, &f);
  assert_int_equal(f.ts_us, INT64_C(1601998368000001));
  assert_int_equal(f.proto, FC_PROTO_ICMP);
  assert_int_equal(f.src_port, 0);
  assert_int_equal(f.dst_port, 8 * 256); /* echo request: resp_p is the counterpart type */
  row(&t, 3, &f);
  assert_int_equal(f.proto, FC_PROTO_ICMP6); /* "icmp" over IPv6 */
  assert_int_equal(f.dst_port, 135 * 256);   /* neighbour solicitation */
  row(&t, 4, &f);
  assert_int_equal(f.dst_port, 3 * 256 + 3); /* unreachable: resp_p is the code */
  row(&t, 5, &f);
  assert_int_equal(f.flags, FC_TCP_SYN | FC_TCP_RST); /* "Sr" */
  fc_table_free(&t);
}

static void zeek_json(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  fc_ingest_report rep = {0};
  assert_int_equal(read_as(fx("zeek_conn.json"), FC_FMT_ZEEK, false, &t, &rep), FC_OK);
  assert_int_equal(t.n, 4);
  assert_int_equal(rep.lines, 5);
  fc_flow f;
  row(&t, 0, &f);
  assert_int_equal(f.ts_us, 22335172);
  assert_int_equal(f.duration_us, 96282); /* 0.09628199999999865 */
  assert_int_equal(f.proto, FC_PROTO_UDP);
  assert_ip(&f.src_ip, "fe80::1cf4:44d2:904a:14f7");
  assert_int_equal(f.src_port, 61099);
  assert_ip(&f.dst_ip, "ff02::1:3");
  assert_int_equal(f.dst_port, 5355);
  assert_counts(&f, 2, 0, 146, 0);
  /* labelled from row 1 on: rows without a label get "" */
  assert_string_equal(label_of(&t, 0), "");
  row(&t, 1, &f);
  assert_int_equal(f.ts_us, 30043784);
  assert_int_equal(f.duration_us, 1872);
  assert_int_equal(f.flags, FC_TCP_SYN | FC_TCP_ACK | FC_TCP_PSH | FC_TCP_FIN);
  assert_counts(&f, 5, 5, 309, 383);
  assert_string_equal(label_of(&t, 1), "Malicious");
  row(&t, 2, &f); /* ISO time, nested id, no duration */
  assert_int_equal(f.ts_us, T("2020-10-06 15:32:46.785668"));
  assert_int_equal(f.duration_us, 0);
  assert_int_equal(f.src_port, 68);
  assert_int_equal(f.dst_port, 67);
  assert_ip(&f.dst_ip, "255.255.255.255");
  assert_string_equal(label_of(&t, 2), "");
  row(&t, 3, &f);
  assert_int_equal(f.proto, FC_PROTO_ICMP6);
  assert_ip(&f.src_ip, "::");
  assert_int_equal(f.dst_port, 135 * 256);
  assert_string_equal(label_of(&t, 3), "Benign");
  fc_table_free(&t);

  fc_table_init(&t);
  memset(&rep, 0, sizeof rep);
  assert_int_equal(read_as(fx("zeek_bad.json"), FC_FMT_ZEEK, false, &t, &rep), FC_ERR_PARSE);
  assert_msg_has("zeek_bad.json:2: not a JSON object");
  assert_int_equal(t.n, 0);
  fc_log_set_level(FC_LOG_QUIET); /* the warnings are checked in cidds_bad_rows */
  fc_status st = read_as(fx("zeek_bad.json"), FC_FMT_ZEEK, true, &t, &rep);
  fc_log_set_level(FC_LOG_WARN);
  assert_int_equal(st, FC_OK);
  assert_int_equal(t.n, 1);
  assert_int_equal(rep.skipped, 4);
  fc_table_free(&t);
}

/* ---------------------------------------------------------------- wrong format */

static void wrong_format(void **state) {
  (void)state;
  struct {
    const char *file;
    fc_format as;
    const char *msg;
  } cases[] = {
      {"zeek_conn.log", FC_FMT_UGR16, "zeek_conn.log:9: the first line is neither"},
      {"zeek_conn.log", FC_FMT_CIDDS, "zeek_conn.log:9: no column 'Date first seen'"},
      {"ugr16.csv", FC_FMT_CIDDS, "ugr16.csv:1: no column 'Date first seen'"},
      {"ugr16.csv", FC_FMT_ZEEK, "ugr16.csv:1: not a Zeek conn.log"},
      {"ugr16.csv", FC_FMT_FLOWS, "ugr16.csv:1: not a flow CSV header"},
      {"zeek_conn.json", FC_FMT_NFDUMP, "zeek_conn.json:1: no column 'ts'"},
      {"flows.csv", FC_FMT_ARGUS, "flows.csv:1: no column 'StartTime'"},
      {"nfdump.csv", FC_FMT_UGR16, "nfdump.csv:1: no column 'pkt'"},
      {"cidds_labels.csv", FC_FMT_ZEEK, "cidds_labels.csv:1: not a Zeek conn.log"},
      {"argus.binetflow", FC_FMT_NFDUMP, "argus.binetflow:1: no column 'ts'"},
      {"flows_badheader.csv", FC_FMT_FLOWS, "flows_badheader.csv:1: not a flow CSV header"},
      {"ugr16_noheader.csv.gz", FC_FMT_FLOWS, "ugr16_noheader.csv.gz:1: not a flow CSV header"},
      {"zeek_conn.json", FC_FMT_UGR16, "zeek_conn.json:1: no column 'te'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fc_flow_table t;
    fc_table_init(&t);
    fc_status st = read_as(fx(cases[i].file), cases[i].as, true, &t, NULL);
    if (st != FC_ERR_FORMAT)
      fail_msg("%s read as %s: status %d, not FC_ERR_FORMAT", cases[i].file,
               fc_format_name(cases[i].as), st);
    assert_msg_has(cases[i].msg);
    assert_int_equal(t.n, 0);
    fc_table_free(&t);
  }
  /* the hint names the likely format */
  fc_flow_table t;
  fc_table_init(&t);
  assert_int_equal(read_as(fx("ugr16.csv"), FC_FMT_CIDDS, false, &t, NULL), FC_ERR_FORMAT);
  assert_msg_has("try --format ugr16");
  /* an empty file has no header */
  char *dir = fct_tmpdir();
  char *p = fct_join(dir, "empty.csv");
  assert_true(fct_write(p, "\n# nothing\n"));
  assert_int_equal(read_as(p, FC_FMT_CIDDS, false, &t, NULL), FC_ERR_FORMAT);
  assert_msg_has("empty.csv");
  /* a header alone is a valid file without records */
  assert_true(fct_write(p, "te,td,sa,da,sp,dp,pr,flg,fwd,stos,pkt,byt\n"));
  assert_int_equal(read_as(p, FC_FMT_UGR16, false, &t, NULL), FC_OK);
  assert_int_equal(t.n, 0);
  assert_false(t.has_labels);
  free(p);
  fct_rmtree(dir);
  free(dir);
  fc_table_free(&t);
}

/* Several files into one table: counters add up, labels stay consistent. */
static void append_files(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  fc_ingest_report rep = {0};
  assert_int_equal(read_as(fx("cidds_nolabel.csv"), FC_FMT_CIDDS, false, &t, &rep), FC_OK);
  assert_false(t.has_labels);
  assert_int_equal(read_as(fx("ugr16.csv"), FC_FMT_UGR16, false, &t, &rep), FC_OK);
  assert_int_equal(read_as(fx("nfdump.csv"), FC_FMT_NFDUMP, false, &t, &rep), FC_OK);
  assert_int_equal(t.n, 10);
  assert_int_equal(rep.records, 10);
  assert_int_equal(rep.lines, 3 + 5 + 8);
  assert_int_equal(rep.ignored, 3);
  assert_string_equal(label_of(&t, 0), ""); /* before the first labelled file */
  assert_string_equal(label_of(&t, 1), "");
  assert_string_equal(label_of(&t, 2), "background");
  assert_string_equal(label_of(&t, 4), "blacklist");
  assert_string_equal(label_of(&t, 6), ""); /* nfdump has no labels */
  assert_string_equal(label_of(&t, 9), "");
  fc_table_free(&t);
}

/* ---------------------------------------------------------------- canonical CSV */

static void assert_tables_equal(const fc_flow_table *a, const fc_flow_table *b) {
  assert_int_equal(a->n, b->n);
  assert_int_equal(a->has_labels, b->has_labels);
  for (size_t i = 0; i < a->n; i++) {
    fc_flow x, y;
    fc_table_get(a, i, &x);
    fc_table_get(b, i, &y);
    assert_int_equal(x.ts_us, y.ts_us);
    assert_int_equal(x.duration_us, y.duration_us);
    assert_true(fc_ip_equal(&x.src_ip, &y.src_ip));
    assert_true(fc_ip_equal(&x.dst_ip, &y.dst_ip));
    assert_int_equal(x.src_port, y.src_port);
    assert_int_equal(x.dst_port, y.dst_port);
    assert_int_equal(x.proto, y.proto);
    assert_int_equal(x.flags, y.flags);
    assert_counts(&y, x.fwd_pkts, x.bwd_pkts, x.fwd_bytes, x.bwd_bytes);
    if (a->has_labels) assert_string_equal(label_of(a, i), label_of(b, i));
  }
}

/* write -> read -> write gives the same bytes, and read gives back the same table. */
static void round_trip(const fc_flow_table *t, const char *dir, const char *name) {
  char a_name[256], b_name[256];
  snprintf(a_name, sizeof a_name, "%s.a.csv", name);
  snprintf(b_name, sizeof b_name, "%s.b.csv", name);
  char *a = fct_join(dir, a_name), *b = fct_join(dir, b_name);
  assert_int_equal(fc_write_flows_csv(t, a), FC_OK);
  fc_flow_table u;
  fc_table_init(&u);
  assert_int_equal(read_as(a, FC_FMT_FLOWS, false, &u, NULL), FC_OK);
  assert_tables_equal(t, &u);
  assert_int_equal(fc_write_flows_csv(&u, b), FC_OK);
  size_t na, nb;
  char *da = fct_slurp(a, &na), *db = fct_slurp(b, &nb);
  assert_int_equal(na, nb);
  assert_memory_equal(da, db, na);
  free(da);
  free(db);
  fc_table_free(&u);
  free(a);
  free(b);
}

static void flows_read(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  assert_int_equal(read_as(fx("flows.csv"), FC_FMT_FLOWS, false, &t, NULL), FC_OK);
  assert_int_equal(t.n, 4);
  fc_flow f;
  row(&t, 0, &f);
  assert_int_equal(f.ts_us, T("2016-04-11 00:01:32"));
  assert_int_equal(f.duration_us, 6000000);
  assert_int_equal(f.proto, FC_PROTO_ICMP);
  assert_int_equal(f.dst_port, 771);
  assert_counts(&f, 12, 0, 1200, 0);
  assert_string_equal(label_of(&t, 0), "background");
  row(&t, 1, &f);
  assert_int_equal(f.ts_us, T("2016-04-11 00:01:33.000001"));
  assert_int_equal(f.duration_us, 1);
  assert_ip(&f.src_ip, "2001:db8::1");
  assert_counts(&f, 10, 8, 5000, 640);
  assert_int_equal(f.flags, FC_TCP_ACK | FC_TCP_PSH | FC_TCP_SYN | FC_TCP_FIN);
  assert_string_equal(label_of(&t, 1), "attack, stage 1");
  row(&t, 2, &f);
  assert_int_equal(f.proto, 99);
  assert_int_equal(f.duration_us, 120500000);
  assert_int_equal(f.fwd_bytes, UINT64_MAX);
  assert_string_equal(label_of(&t, 2), "");
  row(&t, 3, &f);
  assert_int_equal(f.ts_us, T("2016-04-11 00:01:35.5"));
  assert_ip(&f.dst_ip, "fd00::cafe:1:2:3:4");
  assert_string_equal(label_of(&t, 3), "say \"hi\"");
  fc_table_free(&t);

  fc_table_init(&t);
  assert_int_equal(read_as(fx("flows_nolabel.csv"), FC_FMT_FLOWS, false, &t, NULL), FC_OK);
  assert_int_equal(t.n, 1);
  assert_false(t.has_labels);
  fc_table_free(&t);
}

static void flows_write_exact(void **state) {
  (void)state;
  char *dir = fct_tmpdir();
  fc_flow_table t;
  fc_table_init(&t);
  assert_int_equal(read_as(fx("flows.csv"), FC_FMT_FLOWS, false, &t, NULL), FC_OK);
  char *p = fct_join(dir, "out.csv");
  assert_int_equal(fc_write_flows_csv(&t, p), FC_OK);
  char *got = fct_slurp(p, NULL);
  assert_string_equal(
      got,
      "ts,duration,proto,src_ip,src_port,dst_ip,dst_port,fwd_pkts,bwd_pkts,fwd_bytes,bwd_bytes,"
      "flags,label\n"
      "2016-04-11 00:01:32.000000,6.000000,ICMP,42.219.155.19,0,165.133.210.175,771,12,0,1200,0,"
      "......,background\n"
      "2016-04-11 00:01:33.000001,0.000001,TCP,2001:db8::1,50000,2001:db8::2,443,10,8,5000,640,"
      ".AP.SF,\"attack, stage 1\"\n"
      "2016-04-11 00:01:34.999999,120.500000,99,10.0.0.1,0,10.0.0.2,0,1,0,18446744073709551615,0,"
      "......,\n"
      "2016-04-11 00:01:35.500000,0.000000,UDP,10.0.0.1,53,fd00::cafe:1:2:3:4,5353,1,1,80,120,"
      "......,\"say \"\"hi\"\"\"\n");
  free(got);
  round_trip(&t, dir, "fixture");
  /* gzip output reads back to the same table and the same plain bytes */
  char *gz = fct_join(dir, "out.csv.gz");
  assert_int_equal(fc_write_flows_csv(&t, gz), FC_OK);
  fc_flow_table u;
  fc_table_init(&u);
  assert_int_equal(read_as(gz, FC_FMT_FLOWS, false, &u, NULL), FC_OK);
  assert_tables_equal(&t, &u);
  char *p2 = fct_join(dir, "out2.csv");
  assert_int_equal(fc_write_flows_csv(&u, p2), FC_OK);
  size_t n1, n2;
  char *d1 = fct_slurp(p, &n1), *d2 = fct_slurp(p2, &n2);
  assert_int_equal(n1, n2);
  assert_memory_equal(d1, d2, n1);
  free(d1);
  free(d2);
  free(p2);
  free(gz);
  fc_table_free(&u);
  free(p);
  fc_table_free(&t);
  fct_rmtree(dir);
  free(dir);
}

static fc_flow mkflow(int64_t ts, int64_t dur, const char *src, const char *dst, uint8_t proto) {
  fc_flow f;
  memset(&f, 0, sizeof f);
  f.ts_us = ts;
  f.duration_us = dur;
  assert_true(fc_ip_parse(src, strlen(src), &f.src_ip));
  assert_true(fc_ip_parse(dst, strlen(dst), &f.dst_ip));
  f.proto = proto;
  return f;
}

/* Edge values through write -> read -> write: every format's output, odd labels, extremes. */
static void flows_round_trip_edges(void **state) {
  (void)state;
  char *dir = fct_tmpdir();
  fc_flow_table t;
  fc_table_init(&t);
  const char *labels[] = {"plain", " lead", "trail ", "\"quoted\"", "a,b", "", "x\"y", "\tt"};
  fc_flow f = mkflow(T("0000-01-01 00:00:00"), 0, "0.0.0.0", "::", 0);
  f.flags = 0x3f;
  f.fwd_pkts = UINT64_MAX;
  f.src_port = 65535;
  for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
    assert_int_equal(fc_table_intern_label(&t, labels[i], strlen(labels[i]), &f.label), FC_OK);
    f.ts_us += 86400 * INT64_C(1000000) * 400 + 1;
    f.duration_us = (int64_t)i * 999999;
    f.proto = (uint8_t)(i * 37);
    assert_int_equal(fc_table_append(&t, &f), FC_OK);
  }
  fc_flow g = mkflow(T("9999-12-31 23:59:59.999999"), INT64_C(86400000000), "::ffff:1.2.3.4",
                     "2001:db8:0:0:1::1", 255);
  g.label = 0;
  assert_int_equal(fc_table_append(&t, &g), FC_OK);
  fc_flow h = mkflow(-1, 1, "255.255.255.255", "1:2:3:4:5:6:7:8", 1); /* 1969 */
  h.label = 3;
  assert_int_equal(fc_table_append(&t, &h), FC_OK);
  round_trip(&t, dir, "edges");

  /* unlabelled, and labelled but empty */
  fc_flow_table u;
  fc_table_init(&u);
  for (int i = 0; i < 3; i++) {
    fc_flow k = mkflow(T("2020-02-29 12:00:00") + i, i, "10.0.0.1", "10.0.0.2", FC_PROTO_UDP);
    assert_int_equal(fc_table_append(&u, &k), FC_OK);
  }
  round_trip(&u, dir, "nolabels");
  fc_table_free(&u);
  fc_table_init(&u);
  u.has_labels = true;
  round_trip(&u, dir, "empty-labelled");
  char *p = fct_join(dir, "empty-labelled.a.csv");
  char *got = fct_slurp(p, NULL);
  assert_string_equal(got, "ts,duration,proto,src_ip,src_port,dst_ip,dst_port,fwd_pkts,bwd_pkts,"
                           "fwd_bytes,bwd_bytes,flags,label\n");
  free(got);
  free(p);
  fc_table_free(&u);
  fc_table_free(&t);
  fct_rmtree(dir);
  free(dir);
}

/* What the writer cannot represent is refused, and no file appears. */
static void flows_write_errors(void **state) {
  (void)state;
  char *dir = fct_tmpdir();
  char *p = fct_join(dir, "bad.csv");
  fc_flow_table t;
  fc_table_init(&t);
  fc_flow f = mkflow(T("2020-01-01 00:00:00"), -5, "1.1.1.1", "2.2.2.2", FC_PROTO_TCP);
  assert_int_equal(fc_table_append(&t, &f), FC_OK);
  fc_error_clear();
  assert_int_equal(fc_write_flows_csv(&t, p), FC_ERR_ARG);
  assert_msg_has("negative duration");
  assert_int_equal(count_entries(dir), 0);
  t.duration_us[0] = 0;
  uint32_t id;
  assert_int_equal(fc_table_intern_label(&t, "two\nlines", 9, &id), FC_OK);
  t.label[0] = id;
  assert_int_equal(fc_write_flows_csv(&t, p), FC_ERR_ARG);
  assert_msg_has("line break");
  assert_int_equal(count_entries(dir), 0);
  fc_table_free(&t);
  free(p);
  fct_rmtree(dir);
  free(dir);
}

int main(void) {
  fc_log_set_level(FC_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(format_registry),
      cmocka_unit_test(line_reader_plain),
      cmocka_unit_test(line_reader_long_lines),
      cmocka_unit_test(line_reader_gzip),
      cmocka_unit_test(line_reader_gzip_damaged),
      cmocka_unit_test(atomic_commit_and_abort),
      cmocka_unit_test(atomic_gzip),
      cmocka_unit_test(atomic_write_error),
      cmocka_unit_test(cidds_labelled),
      cmocka_unit_test(cidds_unlabelled),
      cmocka_unit_test(cidds_bad_rows),
      cmocka_unit_test(missing_column),
      cmocka_unit_test(nfdump_csv),
      cmocka_unit_test(ugr16_forms),
      cmocka_unit_test(value_forms),
      cmocka_unit_test(argus_binetflow),
      cmocka_unit_test(zeek_tsv),
      cmocka_unit_test(zeek_json),
      cmocka_unit_test(wrong_format),
      cmocka_unit_test(append_files),
      cmocka_unit_test(flows_read),
      cmocka_unit_test(flows_write_exact),
      cmocka_unit_test(flows_round_trip_edges),
      cmocka_unit_test(flows_write_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
