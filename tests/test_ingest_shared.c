/* The readers on the real public flow files in ../shared/data/flows (PROVENANCE.md): record
 * counts, non-record lines, and values of first and last records checked by hand against the
 * files. Skips (exit 77) when the shared data folder is absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "flowchronicle/ingest.h"
#include "flowchronicle/log.h"
#include "testutil.h"

static void read_shared(const char *name, fc_format fmt, fc_flow_table *t, fc_ingest_report *rep) {
  char path[4096];
  snprintf(path, sizeof path, "%s", fct_shared(name));
  fc_ingest_options o;
  fc_ingest_options_default(&o);
  o.format = fmt;
  fc_table_init(t);
  memset(rep, 0, sizeof *rep);
  fc_error_clear();
  fc_status st = fc_read_flow_file(path, &o, t, rep);
  if (st != FC_OK) fail_msg("%s: %s", fc_strerror(st), fc_error_message());
  assert_int_equal(rep->records, t->n);
  assert_int_equal(rep->skipped, 0);
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

static void assert_counts(const fc_flow *f, uint64_t fp, uint64_t bp, uint64_t fb, uint64_t bb) {
  assert_int_equal(f->fwd_pkts, fp);
  assert_int_equal(f->bwd_pkts, bp);
  assert_int_equal(f->fwd_bytes, fb);
  assert_int_equal(f->bwd_bytes, bb);
}

/* Writes the table as flow CSV, reads it back and writes again: same bytes. */
static void round_trip(const fc_flow_table *t) {
  char *dir = fct_tmpdir();
  char *a = fct_join(dir, "a.csv"), *b = fct_join(dir, "b.csv");
  assert_int_equal(fc_write_flows_csv(t, a), FC_OK);
  fc_flow_table u;
  fc_table_init(&u);
  fc_ingest_options o;
  fc_ingest_options_default(&o);
  o.format = FC_FMT_FLOWS;
  assert_int_equal(fc_read_flow_file(a, &o, &u, NULL), FC_OK);
  assert_int_equal(u.n, t->n);
  assert_memory_equal(u.ts_us, t->ts_us, t->n * sizeof *t->ts_us);
  assert_memory_equal(u.fwd_bytes, t->fwd_bytes, t->n * sizeof *t->fwd_bytes);
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
  fct_rmtree(dir);
  free(dir);
}

static void ugr16(void **state) {
  (void)state;
  fc_flow_table t;
  fc_ingest_report rep;
  read_shared("flows/ugr16-2016-04-11-00-12h.csv.gz", FC_FMT_UGR16, &t, &rep);
  assert_int_equal(t.n, 628319);
  assert_int_equal(rep.lines, 628320); /* with the header */
  assert_int_equal(rep.bytes, 62518136);
  fc_flow f;
  /* 2016-04-11 00:01:38,6.0,42.219.155.19,165.133.210.175,0,771,ICMP,.A....,0,192,12,1200,.. */
  fc_table_get(&t, 0, &f);
  assert_int_equal(f.ts_us, T("2016-04-11 00:01:32"));
  assert_int_equal(f.duration_us, 6000000);
  assert_int_equal(f.proto, FC_PROTO_ICMP);
  assert_ip(&f.src_ip, "42.219.155.19");
  assert_ip(&f.dst_ip, "165.133.210.175");
  assert_int_equal(f.dst_port, 771);
  assert_int_equal(f.flags, FC_TCP_ACK);
  assert_counts(&f, 12, 0, 1200, 0);
  assert_string_equal(fc_strdict_get(t.labels, f.label), "background");
  /* 2016-04-11 11:59:59,52.368,201.168.231.38,42.219.158.211,51530,80,TCP,.AP.SF,0,0,46,3776,.. */
  fc_table_get(&t, t.n - 1, &f);
  assert_int_equal(f.ts_us, T("2016-04-11 11:59:06.632"));
  assert_int_equal(f.duration_us, 52368000);
  assert_int_equal(f.src_port, 51530);
  assert_int_equal(f.dst_port, 80);
  assert_counts(&f, 46, 0, 3776, 0);
  assert_int_equal(f.flags, FC_TCP_ACK | FC_TCP_PSH | FC_TCP_SYN | FC_TCP_FIN);
  /* labels: 628,176 background and 143 blacklist */
  assert_int_equal(fc_strdict_size(t.labels), 2);
  uint32_t bl;
  assert_int_equal(fc_strdict_find(t.labels, "blacklist", 9, &bl), 0);
  size_t n_bl = 0, n_ipip = 0;
  for (size_t i = 0; i < t.n; i++) {
    n_bl += t.label[i] == bl;
    n_ipip += t.proto[i] == 4;
  }
  assert_int_equal(n_bl, 143);
  assert_int_equal(n_ipip, 2385);
  fc_table_free(&t);
}

static void cidds(void **state) {
  (void)state;
  fc_flow_table t;
  fc_ingest_report rep;
  read_shared("flows/cidds001-week3-sample-8k.csv", FC_FMT_CIDDS, &t, &rep);
  assert_int_equal(t.n, 8192);
  assert_false(t.has_labels);
  fc_flow f;
  /* 2017-04-11 15:31:29.795,0.639,TCP,11529_47,80,192.168.220.14,41413,4,6664,1,.AP... */
  fc_table_get(&t, 0, &f);
  assert_int_equal(f.ts_us, T("2017-04-11 15:31:29.795"));
  assert_int_equal(f.duration_us, 639000);
  assert_int_equal(f.proto, FC_PROTO_TCP);
  assert_int_equal(f.src_ip.family, 6); /* anonymised name, mapped */
  uint64_t h = XXH3_64bits("11529_47", 8);
  assert_int_equal(f.src_ip.addr[15], (uint8_t)h);
  assert_int_equal(f.src_ip.addr[7], 0xfe);
  assert_ip(&f.dst_ip, "192.168.220.14");
  assert_int_equal(f.src_port, 80);
  assert_int_equal(f.dst_port, 41413);
  assert_counts(&f, 4, 0, 6664, 0);
  assert_int_equal(f.flags, FC_TCP_ACK | FC_TCP_PSH);
  /* 2017-04-10 12:59:25.409,0.017,TCP,192.168.210.5,53175,10012_51,80,2,108,1,.A...F */
  fc_table_get(&t, t.n - 1, &f);
  assert_int_equal(f.ts_us, T("2017-04-10 12:59:25.409"));
  assert_int_equal(f.duration_us, 17000);
  assert_counts(&f, 2, 0, 108, 0);
  assert_int_equal(f.flags, FC_TCP_ACK | FC_TCP_FIN);
  size_t icmp = 0;
  for (size_t i = 0; i < t.n; i++)
    icmp += t.proto[i] == FC_PROTO_ICMP;
  assert_int_equal(icmp, 1);
  round_trip(&t);
  fc_table_free(&t);
}

static void argus(void **state) {
  (void)state;
  fc_flow_table t;
  fc_ingest_report rep;
  read_shared("flows/ctu-normal-7.binetflow", FC_FMT_ARGUS, &t, &rep);
  assert_int_equal(t.n, 9797);
  assert_int_equal(rep.ignored, 0);
  fc_flow f;
  /* 2013/12/17 22:09:19.500617,1281.885498,tcp,81.95.182.31,40890,  <?>,10.0.0.46,44850,PA_PA,
   * 0,0,124890,148005382,146054307,... */
  fc_table_get(&t, 0, &f);
  assert_int_equal(f.ts_us, T("2013-12-17 22:09:19.500617"));
  assert_int_equal(f.duration_us, 1281885498);
  assert_ip(&f.src_ip, "81.95.182.31");
  assert_int_equal(f.src_port, 40890);
  assert_int_equal(f.dst_port, 44850);
  assert_int_equal(f.flags, FC_TCP_PSH | FC_TCP_ACK);
  /* 124890 packets split 146054307 : 1951075 -> 123243.6 -> 123244 : 1646 */
  assert_counts(&f, 123244, 1646, 146054307, 148005382 - 146054307);
  /* ...,tcp,10.0.0.46,54049,   ->,1.34.38.64,13690,FSPA_FSA,0,0,7,546,340,... */
  fc_table_get(&t, t.n - 1, &f);
  assert_int_equal(f.flags, FC_TCP_FIN | FC_TCP_SYN | FC_TCP_PSH | FC_TCP_ACK);
  assert_counts(&f, 4, 3, 340, 206); /* 7 * 340 / 546 = 4.36 */
  size_t icmp = 0, echo = 0;
  for (size_t i = 0; i < t.n; i++) {
    icmp += t.proto[i] == FC_PROTO_ICMP;
    echo += t.proto[i] == FC_PROTO_ICMP && t.dst_port[i] == 8 * 256;
  }
  assert_int_equal(icmp, 7328);
  assert_int_equal(echo, 5884 + 1346); /* Sport 0x0008 */
  round_trip(&t);
  fc_table_free(&t);
}

static void nfdump(void **state) {
  (void)state;
  fc_flow_table t;
  fc_ingest_report rep;
  read_shared("flows/nfdump-csv-slips-test1.csv", FC_FMT_NFDUMP, &t, &rep);
  assert_int_equal(t.n, 4593);
  assert_int_equal(rep.ignored, 3); /* Summary block */
  assert_int_equal(rep.lines, 4597);
  fc_flow f;
  fc_table_get(&t, 0, &f);
  assert_int_equal(f.ts_us, T("2018-01-12 15:37:30"));
  assert_ip(&f.src_ip, "147.32.80.119");
  assert_int_equal(f.src_port, 52324);
  assert_ip(&f.dst_ip, "147.32.82.62");
  assert_int_equal(f.dst_port, 902);
  assert_int_equal(f.flags, FC_TCP_SYN);
  assert_counts(&f, 1, 0, 60, 0);
  uint64_t bytes = 0, pkts = 0;
  for (size_t i = 0; i < t.n; i++) {
    bytes += t.fwd_bytes[i] + t.bwd_bytes[i];
    pkts += t.fwd_pkts[i] + t.bwd_pkts[i];
  }
  /* the file's own summary: flows 4593, bytes 241025, packets 4652 */
  assert_int_equal(bytes, 241025);
  assert_int_equal(pkts, 4652);
  fc_table_free(&t);
}

static void zeek(void **state) {
  (void)state;
  fc_flow_table t;
  fc_ingest_report rep;
  read_shared("flows/zeek-conn-json-slips-test9.log", FC_FMT_ZEEK, &t, &rep);
  assert_int_equal(t.n, 576);
  fc_flow f;
  fc_table_get(&t, 0, &f);
  assert_int_equal(f.ts_us, 22335172);
  assert_int_equal(f.duration_us, 96282);
  assert_int_equal(f.proto, FC_PROTO_UDP);
  assert_ip(&f.src_ip, "fe80::1cf4:44d2:904a:14f7");
  assert_int_equal(f.dst_port, 5355);
  assert_counts(&f, 2, 0, 146, 0);
  size_t icmp4 = 0, icmp6 = 0;
  for (size_t i = 0; i < t.n; i++) {
    icmp4 += t.proto[i] == FC_PROTO_ICMP;
    icmp6 += t.proto[i] == FC_PROTO_ICMP6;
  }
  assert_int_equal(icmp4, 2);
  assert_int_equal(icmp6, 4);
  round_trip(&t);
  fc_table_free(&t);

  read_shared("flows/zeek-conn-tsv-slips-test10.log", FC_FMT_ZEEK, &t, &rep);
  assert_int_equal(t.n, 141);
  assert_int_equal(rep.ignored, 1); /* #close */
  assert_int_equal(rep.lines, 150);
  /* 1601998366.785668 ... 2001:718:2:1663:dc58:6d9:ef13:51a5 54170 2001:718:2:1611:0:1:0:90 53
   * udp dns 0.007707 ... Dd 1 85 1 125 */
  fc_table_get(&t, 0, &f);
  assert_int_equal(f.ts_us, INT64_C(1601998366785668));
  assert_int_equal(f.duration_us, 7707);
  assert_int_equal(f.proto, FC_PROTO_UDP);
  assert_ip(&f.src_ip, "2001:718:2:1663:dc58:6d9:ef13:51a5");
  assert_int_equal(f.src_port, 54170);
  assert_ip(&f.dst_ip, "2001:718:2:1611:0:1:0:90");
  assert_int_equal(f.dst_port, 53);
  assert_counts(&f, 1, 1, 85, 125);
  round_trip(&t);
  fc_table_free(&t);
}

int main(void) {
  fct_require_shared();
  fc_log_set_level(FC_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ugr16),  cmocka_unit_test(cidds), cmocka_unit_test(argus),
      cmocka_unit_test(nfdump), cmocka_unit_test(zeek),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
