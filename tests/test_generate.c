/* The generator on models built from the embedded demo data with its planted behaviours as
 * patterns (no search, so the test is quick): slices are pure functions of (model, options,
 * index); output lines are byte for byte the flow-CSV writer's; the hourly rhythm of a
 * generated day follows the training day; DNS -> HTTPS delays and the lab hosts' 8.8.8.8 -> HTTP
 * pairs follow the model; every repair invariant holds; the --end rule; the HDF5 part is a
 * dataset whose codes match its values; option checks; the text merge. */
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/flowline.h"
#include "../src/genbn.h"
#include "flowchronicle/cover.h"
#include "flowchronicle/demodata.h"
#include "flowchronicle/encode.h"
#include "flowchronicle/generate.h"
#include "flowchronicle/ingest.h"
#include "flowchronicle/merge.h"
#include "flowchronicle/model.h"
#include "flowchronicle/modelfile.h"
#include "flowchronicle/rng.h"
#include "flowchronicle/store.h"
#include "testutil.h"

#define US_H INT64_C(3600000000)
#define US_D (24 * US_H)

static fc_flow_table train; /* the demo week */
static fc_model_file model; /* mined by hand from it */
static char *tmp;

static uint32_t code_of(const fc_encoded *e, fc_col_id c, const char *v) {
  for (uint32_t k = 0; k < e->cols[c].domain; k++)
    if (!strcmp(e->cols[c].values[k], v)) return k;
  fail_msg("no code for %s = %s", fc_col_name(c), v);
  return 0;
}

static void fix(fc_pattern *p, int row, fc_col_id c, uint32_t code) {
  p->cell[row][c].kind = FC_CELL_FIX;
  p->cell[row][c].arg = code;
}

static void add(fc_model *m, fc_pattern *p) {
  fc_pattern_canonical(p);
  assert_true(fc_pattern_valid(p, FC_NCOLS));
  fc_trial *t = NULL;
  assert_int_equal(fc_model_trial_add(m, p, NULL, &t), FC_OK);
  assert_non_null(t);
  fc_model_commit(m, &t);
}

/* Adds "proto0 to ip0 port0 from ?A, then proto1 to port1 (and ip1 unless NULL) from A". */
static void add_pair(fc_model *m, const fc_encoded *e, uint32_t proto0, const char *port0,
                     const char *ip0, uint32_t proto1, const char *port1, const char *ip1) {
  fc_pattern p;
  fc_pattern_init(&p, 2);
  fix(&p, 0, FC_COL_PROTO, proto0);
  fix(&p, 0, FC_COL_DST_PORT, code_of(e, FC_COL_DST_PORT, port0));
  fix(&p, 0, FC_COL_DST_IP, code_of(e, FC_COL_DST_IP, ip0));
  p.cell[0][FC_COL_SRC_IP].kind = FC_CELL_SET;
  fix(&p, 1, FC_COL_PROTO, proto1);
  fix(&p, 1, FC_COL_DST_PORT, code_of(e, FC_COL_DST_PORT, port1));
  if (ip1) fix(&p, 1, FC_COL_DST_IP, code_of(e, FC_COL_DST_IP, ip1));
  p.cell[1][FC_COL_SRC_IP].kind = FC_CELL_USE;
  p.n_vars = 1;
  add(m, &p);
}

/* The demo week, encoded, with four planted behaviours as patterns: dns-https, public-dns-http,
 * mail-check-send and the NTP poll; everything else is left to the base BN. */
static int setup(void **state) {
  (void)state;
  fc_demo_options o = fc_demo_options_default();
  assert_int_equal(fc_table_init(&train), FC_OK);
  assert_int_equal(fc_demo_generate(&o, &train), FC_OK);
  fc_encoding_options eo;
  fc_encoding_options_default(&eo);
  fc_encoded e;
  assert_int_equal(fc_encode(&train, &eo, &e), FC_OK);
  fc_mdata md;
  assert_int_equal(fc_mdata_build(&md, &e), FC_OK);
  fc_model_options mo = {6000, 3, false};
  fc_model *m;
  assert_int_equal(
      fc_model_create(&md, (uint64_t)(e.ticks[e.n_rows - 1] - e.ticks[0]), &mo, NULL, &m), FC_OK);
  uint32_t udp = code_of(&e, FC_COL_PROTO, "UDP"), tcp = code_of(&e, FC_COL_PROTO, "TCP");
  fc_pattern p;
  /* dns-https: UDP 53 to the resolver from ?A, then TCP 443 from A */
  add_pair(m, &e, udp, "53", "192.168.100.3", tcp, "443", NULL);
  /* public-dns-http: UDP 53 to 8.8.8.8 from ?A, then TCP 80 from A */
  add_pair(m, &e, udp, "53", "8.8.8.8", tcp, "80", NULL);
  /* mail-check-send: IMAPS then SMTP submission to the mail server, 0.3-5 s apart */
  add_pair(m, &e, tcp, "993", "192.168.100.4", tcp, "587", "192.168.100.4");
  /* ntp-sync */
  fc_pattern_init(&p, 1);
  fix(&p, 0, FC_COL_PROTO, udp);
  fix(&p, 0, FC_COL_DST_PORT, code_of(&e, FC_COL_DST_PORT, "123"));
  fix(&p, 0, FC_COL_DST_IP, code_of(&e, FC_COL_DST_IP, "192.168.100.6"));
  add(m, &p);
  fc_search_state s;
  memset(&s, 0, sizeof s);
  assert_int_equal(fc_model_file_from_model(m, &md, &e, &s, false, &model), FC_OK);
  fc_model_destroy(&m);
  fc_mdata_free(&md);
  fc_encoded_free(&e);
  tmp = fct_tmpdir();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  fc_model_file_free(&model);
  fc_table_free(&train);
  fct_rmtree(tmp);
  free(tmp);
  return 0;
}

static fc_generate_options opts(int64_t start, int64_t end) {
  fc_generate_options o;
  fc_generate_options_default(&o);
  o.start_us = start;
  o.end_us = end;
  o.seed = 42;
  return o;
}

/* All flows of [start, end) in output order, slice after slice (the slices of one rank). */
static void generate_table(const fc_generate_options *o, fc_flow_table *t,
                           fc_generate_stats *stats) {
  fc_generator *g;
  assert_int_equal(fc_generator_create(&model, o, &g), FC_OK);
  assert_int_equal(fc_table_init(t), FC_OK);
  if (stats) memset(stats, 0, sizeof *stats);
  for (uint64_t k = 0; k < fc_generator_n_slices(g); k++) {
    fc_gen_slice *s;
    assert_int_equal(fc_generate_slice(g, k, &s), FC_OK);
    assert_int_equal(fc_gen_slice_to_table(g, s, t), FC_OK);
    if (stats) fc_generate_stats_add(stats, fc_gen_slice_stats(s));
    fc_gen_slice_destroy(&s);
  }
  fc_generator_destroy(&g);
}

static bool same_flow(const fc_flow_table *a, size_t i, const fc_flow_table *b, size_t j) {
  return a->ts_us[i] == b->ts_us[j] && a->duration_us[i] == b->duration_us[j] &&
         fc_ip_equal(&a->src_ip[i], &b->src_ip[j]) && fc_ip_equal(&a->dst_ip[i], &b->dst_ip[j]) &&
         a->src_port[i] == b->src_port[j] && a->dst_port[i] == b->dst_port[j] &&
         a->proto[i] == b->proto[j] && a->flags[i] == b->flags[j] &&
         a->fwd_pkts[i] == b->fwd_pkts[j] && a->bwd_pkts[i] == b->bwd_pkts[j] &&
         a->fwd_bytes[i] == b->fwd_bytes[j] && a->bwd_bytes[i] == b->bwd_bytes[j];
}

static int64_t day0(void) {
  return fc_days_from_civil(2024, 3, 4) * US_D;
}

static void slices_are_pure_functions(void **state) {
  (void)state;
  fc_generate_options o = opts(day0() + 8 * US_D, day0() + 8 * US_D + 6 * US_H);
  fc_generator *g;
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_OK);
  assert_int_equal(fc_generator_n_slices(g), 6);
  fc_gen_slice *a, *b;
  fc_flow_table ta, tb;
  /* Slice 3 alone, and after others: the same flows. */
  assert_int_equal(fc_generate_slice(g, 3, &a), FC_OK);
  assert_int_equal(fc_generate_slice(g, 0, &b), FC_OK);
  fc_gen_slice_destroy(&b);
  assert_int_equal(fc_generate_slice(g, 3, &b), FC_OK);
  assert_int_equal(fc_table_init(&ta), FC_OK);
  assert_int_equal(fc_table_init(&tb), FC_OK);
  assert_int_equal(fc_gen_slice_to_table(g, a, &ta), FC_OK);
  assert_int_equal(fc_gen_slice_to_table(g, b, &tb), FC_OK);
  assert_true(ta.n > 50);
  assert_int_equal(ta.n, tb.n);
  for (size_t i = 0; i < ta.n; i++)
    assert_true(same_flow(&ta, i, &tb, i));
  /* In output order, inside the slice's time (flows may spill past its end, never before). */
  int64_t s0, s1;
  fc_generator_slice_span(g, 3, &s0, &s1);
  for (size_t i = 0; i < ta.n; i++) {
    assert_true(ta.ts_us[i] >= s0);
    if (i) assert_true(ta.ts_us[i] >= ta.ts_us[i - 1]);
  }
  assert_int_equal(fc_generate_slice(g, 6, &b), FC_ERR_ARG);
  fc_gen_slice_destroy(&a);
  fc_gen_slice_destroy(&b);
  fc_generator_destroy(&g);
  fc_table_free(&tb);
  /* Another seed, other flows. */
  o.seed = 43;
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_OK);
  assert_int_equal(fc_generate_slice(g, 3, &b), FC_OK);
  assert_int_equal(fc_table_init(&tb), FC_OK);
  assert_int_equal(fc_gen_slice_to_table(g, b, &tb), FC_OK);
  assert_true(tb.n != ta.n || !same_flow(&ta, 0, &tb, 0));
  fc_gen_slice_destroy(&b);
  fc_generator_destroy(&g);
  fc_table_free(&ta);
  fc_table_free(&tb);
}

static void option_checks(void **state) {
  (void)state;
  fc_generator *g = NULL;
  fc_generate_options o = opts(day0(), day0());
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_ERR_ARG);
  o = opts(day0(), day0() - 1);
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_ERR_ARG);
  o = opts(day0(), day0() + US_D);
  o.scale = 0;
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_ERR_ARG);
  o.scale = 2e6;
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_ERR_ARG);
  o.scale = 1;
  o.slice_us = 10;
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_ERR_ARG);
  o.slice_us = US_H;
  o.tz_offset_s = 15 * 3600;
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_ERR_ARG);
  assert_null(g);
  o.tz_offset_s = 0;
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_OK);
  fc_generator_destroy(&g);
  char buf[64];
  assert_int_equal(fc_gen_part_path("out.csv", 1, 3, buf, sizeof buf), FC_OK);
  assert_string_equal(buf, "out.part-0001-of-0003.csv");
  assert_int_equal(fc_gen_part_path("d/x.csv.gz", 0, 2, buf, sizeof buf), FC_OK);
  assert_string_equal(buf, "d/x.part-0000-of-0002.csv.gz");
  assert_int_equal(fc_gen_part_path("x.h5", 0, 1, buf, sizeof buf), FC_OK);
  assert_string_equal(buf, "x.part-0000-of-0001.h5");
  assert_int_equal(fc_gen_part_path("flows", 2, 3, buf, sizeof buf), FC_OK);
  assert_string_equal(buf, "flows.part-0002-of-0003");
  assert_int_equal(fc_gen_part_path("x.csv", 0, 1, buf, 8), FC_ERR_ARG);
  /* Shards: one shard keeps the names above. */
  assert_int_equal(fc_gen_shard_part_path("out.csv", 0, 1, 1, 3, buf, sizeof buf), FC_OK);
  assert_string_equal(buf, "out.part-0001-of-0003.csv");
  assert_int_equal(fc_gen_shard_part_path("d/x.csv.gz", 2, 8, 0, 1, buf, sizeof buf), FC_OK);
  assert_string_equal(buf, "d/x.shard-0002-of-0008.part-0000-of-0001.csv.gz");
  assert_int_equal(fc_gen_shard_part_path("x.h5", 11, 12, 3, 4, buf, sizeof buf), FC_OK);
  assert_string_equal(buf, "x.shard-0011-of-0012.part-0003-of-0004.h5");
  assert_int_equal(fc_gen_shard_part_path("x.h5", 0, 2, 0, 1, buf, 24), FC_ERR_ARG);
}

/* Shard ranges tile [0, K) in order, each floor(T K / N) to floor((T + 1) K / N): sizes differ
 * by at most one; empty shards when N > K; exact where T K overflows 64 bits. */
static void check_tiling(uint64_t k, int n) {
  uint64_t prev_end = 0, lo = k / (uint64_t)n, hi = lo + (k % (uint64_t)n != 0);
  for (int t = 0; t < n; t++) {
    uint64_t a = 99, b = 99;
    assert_int_equal(fc_gen_shard_range(k, t, n, &a, &b), FC_OK);
    assert_int_equal(a, prev_end);
    assert_true(b >= a);
    assert_true(b - a == lo || b - a == hi);
    prev_end = b;
  }
  assert_int_equal(prev_end, k);
}

static void shard_ranges(void **state) {
  (void)state;
  uint64_t a, b;
  /* K = 10 over 3: [0, 3), [3, 6), [6, 10). */
  const uint64_t want[4] = {0, 3, 6, 10};
  for (int t = 0; t < 3; t++) {
    assert_int_equal(fc_gen_shard_range(10, t, 3, &a, &b), FC_OK);
    assert_int_equal(a, want[t]);
    assert_int_equal(b, want[t + 1]);
  }
  /* N > K: K = 2 over 5 is [0,0) [0,0) [0,1) [1,1) [1,2). */
  const uint64_t want2[6] = {0, 0, 0, 1, 1, 2};
  for (int t = 0; t < 5; t++) {
    assert_int_equal(fc_gen_shard_range(2, t, 5, &a, &b), FC_OK);
    assert_int_equal(a, want2[t]);
    assert_int_equal(b, want2[t + 1]);
  }
  assert_int_equal(fc_gen_shard_range(0, 0, 1, &a, &b), FC_OK);
  assert_true(a == 0 && b == 0);
  assert_int_equal(fc_gen_shard_range(7, 0, 1, &a, &b), FC_OK);
  assert_true(a == 0 && b == 7);
  /* 2^40 slices: T K needs 71 bits for N near 2^31. */
  const uint64_t k40 = UINT64_C(1) << 40;
  assert_int_equal(fc_gen_shard_range(k40, 1, 3, &a, &b), FC_OK);
  assert_int_equal(a, UINT64_C(366503875925)); /* floor(2^40 / 3) */
  assert_int_equal(b, UINT64_C(733007751850)); /* floor(2^41 / 3) */
  assert_int_equal(fc_gen_shard_range(k40, INT_MAX - 1, INT_MAX, &a, &b), FC_OK);
  assert_int_equal(b, k40);
  assert_int_equal(b - a, k40 / INT_MAX + 1); /* 2^40 mod (2^31 - 1) = 512: the last is long */
  assert_int_equal(fc_gen_shard_range(k40, INT_MAX / 2, INT_MAX, &a, &b), FC_OK);
  /* floor((2^30 - 1) 2^40 / (2^31 - 1)) = 2^39 - 257 (2^40 = 512 (2^31 - 1) + 512) */
  assert_int_equal(a, (k40 >> 1) - 257);
  uint64_t ks[] = {1, 2, 3, 7, 10, 97, 1000, k40 - 1, k40};
  int ns[] = {1, 2, 3, 4, 7, 10, 64, 1000};
  for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
    for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++)
      check_tiling(ks[i], ns[j]);
  /* Outside 0..N-1, or no shard at all. */
  assert_int_equal(fc_gen_shard_range(10, 3, 3, &a, &b), FC_ERR_ARG);
  assert_int_equal(fc_gen_shard_range(10, -1, 3, &a, &b), FC_ERR_ARG);
  assert_int_equal(fc_gen_shard_range(10, 0, 0, &a, &b), FC_ERR_ARG);
}

/* Flows per hour of one day starting at t. */
static void hourly(const fc_flow_table *t, int64_t day, double *h) {
  for (int i = 0; i < 24; i++)
    h[i] = 0;
  for (size_t i = 0; i < t->n; i++)
    if (t->ts_us[i] >= day && t->ts_us[i] < day + US_D) h[(t->ts_us[i] - day) / US_H]++;
}

static void hourly_counts_follow_training(void **state) {
  (void)state;
  /* The Tuesday after the training week, against the training Tuesday. */
  int64_t tue = day0() + 8 * US_D;
  fc_generate_options o = opts(tue, tue + US_D);
  fc_flow_table t;
  fc_generate_stats st;
  generate_table(&o, &t, &st);
  double gen[24], ref[24];
  hourly(&t, tue, gen);
  hourly(&train, day0() + US_D, ref);
  double gen_total = 0, ref_total = 0, office = 0, night = 0;
  int compared = 0;
  for (int h = 0; h < 24; h++) {
    gen_total += gen[h];
    ref_total += ref[h];
    if (h >= 9 && h < 17) office += gen[h];
    if (h < 6) night += gen[h];
    if (ref[h] >= 100) {
      double r = gen[h] / ref[h];
      if (r < 0.7 || r > 1.4)
        fail_msg("hour %d: %g generated flows, %g in training", h, gen[h], ref[h]);
      compared++;
    }
  }
  for (int h = 0; h < 24; h++)
    print_message("%d:%g/%g ", h, gen[h], ref[h]);
  print_message("\n");
  assert_true(compared >= 10);
  assert_true(fabs(gen_total / ref_total - 1) < 0.1);
  /* The office rhythm: 8 office hours hold many times the flows of 6 night hours. */
  assert_true(office / 8 > 6 * night / 6);
  assert_int_equal(st.flows, t.n);
  fc_table_free(&t);
  /* The profile is learned and replayed in the same zone: at +06:00 the UTC rhythm of a
   * week-long model is the same (the zone decides which hours count as which weekday). */
  o.tz_offset_s = 6 * 3600;
  generate_table(&o, &t, NULL);
  double shifted[24];
  hourly(&t, tue, shifted);
  for (int h = 0; h < 24; h++)
    if (ref[h] >= 100) assert_true(shifted[h] / ref[h] > 0.7 && shifted[h] / ref[h] < 1.4);
  fc_table_free(&t);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static bool is_v4(const fc_ip *ip, int a, int b, int c, int d) {
  return ip->family == 4 && ip->addr[0] == a && ip->addr[1] == b && ip->addr[2] == c &&
         ip->addr[3] == d;
}

/* Delays from a DNS query (UDP 53 to resolver) to the next flow with proto/port from the same
 * source within 100 ms; the lab hosts' share of the 8.8.8.8 -> HTTP pairs. */
static size_t pair_delays(const fc_flow_table *t, int resolver_last, uint16_t port, int64_t *d,
                          size_t *lab) {
  size_t n = 0;
  *lab = 0;
  for (size_t i = 0; i < t->n; i++) {
    if (t->proto[i] != FC_PROTO_UDP || t->dst_port[i] != 53) continue;
    bool to = resolver_last == 8 ? is_v4(&t->dst_ip[i], 8, 8, 8, 8)
                                 : is_v4(&t->dst_ip[i], 192, 168, 100, 3);
    if (!to) continue;
    for (size_t j = i + 1; j < t->n && t->ts_us[j] - t->ts_us[i] <= 100000; j++)
      if (t->proto[j] == FC_PROTO_TCP && t->dst_port[j] == port &&
          fc_ip_equal(&t->src_ip[j], &t->src_ip[i])) {
        d[n++] = t->ts_us[j] - t->ts_us[i];
        const fc_ip *s = &t->src_ip[i];
        if (s->family == 4 && s->addr[0] == 192 && s->addr[2] == 210 && s->addr[3] >= 20 &&
            s->addr[3] <= 23)
          (*lab)++;
        break;
      }
  }
  return n;
}

static void delays_and_pairs_follow_the_model(void **state) {
  (void)state;
  fc_generate_options o = opts(day0() + 7 * US_D, day0() + 9 * US_D);
  fc_flow_table t;
  generate_table(&o, &t, NULL);
  int64_t *dg = malloc(t.n * sizeof *dg), *dt = malloc(train.n * sizeof *dt);
  size_t lab;
  size_t ng = pair_delays(&t, 3, 443, dg, &lab), nt = pair_delays(&train, 3, 443, dt, &lab);
  assert_true(ng > 1000 && nt > 1000);
  qsort(dg, ng, sizeof *dg, cmp_i64);
  qsort(dt, nt, sizeof *dt, cmp_i64);
  /* The training delays are 3-50 ms; ticks of 10 ms smooth them by at most one tick. */
  int64_t mg = dg[ng / 2], mt = dt[nt / 2];
  print_message("DNS -> HTTPS median delay: generated %lld us, training %lld us (%zu, %zu pairs)\n",
                (long long)mg, (long long)mt, ng, nt);
  assert_true(llabs(mg - mt) <= 10000);
  assert_true(dg[(size_t)(ng * 0.95)] <= 70000);
  /* Lab hosts, and only they, ask 8.8.8.8 then browse HTTP. */
  size_t np = pair_delays(&t, 8, 80, dg, &lab);
  assert_true(np > 100);
  assert_true(lab >= np * 95 / 100);
  free(dg);
  free(dt);
  fc_table_free(&t);
}

static bool oneway(const fc_ip *ip) {
  return ip->family == 4 && ((ip->addr[0] >= 224 && ip->addr[0] <= 239) || ip->addr[3] == 255);
}

static void repaired_flows_are_consistent(void **state) {
  (void)state;
  fc_generate_options o = opts(day0() + 7 * US_D, day0() + 9 * US_D);
  o.scale = 2;
  fc_flow_table t;
  fc_generate_stats st;
  generate_table(&o, &t, &st);
  assert_true(t.n > 20000);
  for (size_t i = 0; i < t.n; i++) {
    uint8_t p = t.proto[i];
    /* Headers of IPv4 plus TCP/UDP/ICMP, and at least 42 bytes a packet (eval's rules 15-16). */
    uint64_t hdr = 20 + (p == FC_PROTO_TCP ? 20 : p == FC_PROTO_UDP || p == FC_PROTO_ICMP ? 8 : 0);
    if (hdr < 42) hdr = 42;
    if (p != FC_PROTO_TCP) assert_int_equal(t.flags[i], 0);
    assert_true(t.fwd_pkts[i] >= 1);
    assert_true(t.fwd_bytes[i] >= hdr * t.fwd_pkts[i]);
    assert_true(t.bwd_bytes[i] >= hdr * t.bwd_pkts[i]);
    assert_true(t.fwd_bytes[i] <= 65535 * t.fwd_pkts[i]);
    assert_true(t.bwd_bytes[i] <= 65535 * t.bwd_pkts[i]);
    if (oneway(&t.dst_ip[i])) assert_true(t.bwd_pkts[i] == 0 && t.bwd_bytes[i] == 0);
    if (t.fwd_pkts[i] + t.bwd_pkts[i] <= 1) assert_int_equal(t.duration_us[i], 0);
    if (p == FC_PROTO_ICMP) assert_int_equal(t.src_port[i], 0);
    if (p == FC_PROTO_UDP && t.dst_port[i] == 123) assert_int_equal(t.src_port[i], 123);
    if (p == FC_PROTO_TCP) {
      /* Ephemeral: Linux 32768-60999 or Windows 49152-65535, above the service port. */
      assert_true(t.src_port[i] >= 32768 || t.src_port[i] > t.dst_port[i]);
      assert_true(t.src_port[i] > t.dst_port[i] || t.dst_port[i] == 65535);
    }
    assert_true(t.label[i] < fc_strdict_size(t.labels));
  }
  /* Each address keeps one OS: its ports come from one range. */
  assert_int_equal(st.flows, t.n);
  assert_true(st.repaired > 0 && st.repaired <= st.flows);
  uint64_t kinds = 0;
  for (int r = 0; r < FC_REPAIR_KINDS; r++)
    kinds += st.repairs[r];
  assert_true(kinds >= st.repaired);
  assert_int_equal(st.records, st.flows);
  fc_table_free(&t);
}

static void the_end_of_the_period(void **state) {
  (void)state;
  /* A busy minute that cuts mail-check-send (0.3-5 s between its rows) and HTTPS (seconds
   * long) at its end. */
  int64_t a = day0() + 8 * US_D + 10 * US_H;
  fc_generate_options o = opts(a, a + 60 * 1000000);
  o.scale = 300;
  fc_flow_table t;
  fc_generate_stats st;
  generate_table(&o, &t, &st);
  assert_true(t.n > 1000);
  bool lasts_past = false;
  for (size_t i = 0; i < t.n; i++) {
    assert_true(t.ts_us[i] >= a && t.ts_us[i] < o.end_us);
    if (t.ts_us[i] + t.duration_us[i] > o.end_us) lasts_past = true;
  }
  assert_true(lasts_past);
  assert_true(st.truncated > 0);
  fc_table_free(&t);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of a file (newlines replaced by NULs) and their count. */
static char **lines_of(const char *path, size_t *n, char **buf) {
  size_t len;
  *buf = fct_slurp(path, &len);
  assert_non_null(*buf);
  char **v = malloc((len + 1) * sizeof *v);
  *n = 0;
  for (char *p = *buf; *p;) {
    char *e = strchr(p, '\n');
    assert_non_null(e);
    *e = '\0';
    v[(*n)++] = p;
    p = e + 1;
  }
  return v;
}

/* Same multiset of lines, and b's records (after the header) in byte order. */
static bool same_sorted_lines(const char *a, const char *b) {
  size_t na, nb;
  char *ba, *bb;
  char **la = lines_of(a, &na, &ba), **lb = lines_of(b, &nb, &bb);
  bool ok = na == nb && na > 0 && !strcmp(la[0], lb[0]);
  for (size_t i = 2; ok && i < nb; i++)
    ok = strcmp(lb[i - 1], lb[i]) <= 0;
  qsort(la, na, sizeof *la, cmp_str);
  qsort(lb, nb, sizeof *lb, cmp_str);
  for (size_t i = 0; ok && i < na; i++)
    ok = !strcmp(la[i], lb[i]);
  free(la);
  free(lb);
  free(ba);
  free(bb);
  return ok;
}

/* The writer's CSV equals fc_write_flows_csv of the same flows; the HDF5 part is a dataset
 * whose codes encode its values and whose rows, exported, are that CSV again. */
static void parts_are_csv_and_datasets(void **state) {
  (void)state;
  int64_t a = day0() + 9 * US_D + 8 * US_H;
  fc_generate_options o = opts(a, a + 5 * US_H);
  o.slice_us = 45 * 60 * 1000000LL; /* slices cut instances: the carry must keep the order */
  fc_flow_table t;
  generate_table(&o, &t, NULL);
  assert_int_equal(fc_table_sort_by_time(&t), FC_OK);
  char *ref = fct_join(tmp, "ref.csv"), *part = fct_join(tmp, "gen.csv"),
       *h5 = fct_join(tmp, "gen.h5"), *back = fct_join(tmp, "back.csv");
  fc_generate_stats total;
  fc_gen_provenance p = {"model.h5", "", "test", 0, 1, 1, 0, 1};
  fc_generator *g;
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_OK);
  assert_int_equal(fc_generate_run(g, part, &p, MPI_COMM_SELF, 100, &total), FC_OK);
  fc_generator_destroy(&g);
  assert_int_equal(total.flows, t.n);
  /* Same flows (the table's sort keeps ties in time in generation order, the writer orders
   * them by line text: compare the sorted lines), and the part's lines are in byte order. */
  assert_int_equal(fc_write_flows_csv(&t, ref), FC_OK);
  assert_true(same_sorted_lines(ref, part));
  /* HDF5 */
  o.format = FC_GEN_H5;
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_OK);
  assert_int_equal(fc_generate_run(g, h5, &p, MPI_COMM_SELF, 100, &total), FC_OK);
  fc_generator_destroy(&g);
  fc_dataset_meta meta;
  fc_flow_table raw;
  fc_encoded enc;
  assert_int_equal(fc_dataset_read_meta(h5, MPI_COMM_SELF, &meta), FC_OK);
  assert_int_equal(meta.n_rows, t.n);
  assert_int_equal(fc_dataset_read(h5, MPI_COMM_SELF, 0, meta.n_rows, &meta, &raw, &enc, NULL),
                   FC_OK);
  for (size_t i = 0; i < raw.n; i++) {
    for (int c = 0; c < enc.n_cols; c++) {
      const fc_column *col = &enc.cols[c];
      uint32_t code = col->codes[i];
      if (col->kind == FC_KIND_NUMERIC) {
        assert_int_equal(code, fc_numeric_code(col, fc_numeric_value(&raw, (fc_col_id)c, i)));
        continue;
      }
      char txt[64];
      fc_flow f;
      fc_table_get(&raw, i, &f);
      char pb[8];
      switch (c) {
      case FC_COL_PROTO:
        snprintf(txt, sizeof txt, "%s", fc_proto_name(f.proto, pb));
        break;
      case FC_COL_SRC_IP:
        fc_ip_format(&f.src_ip, txt);
        break;
      case FC_COL_DST_IP:
        fc_ip_format(&f.dst_ip, txt);
        break;
      case FC_COL_DST_PORT:
        snprintf(txt, sizeof txt, "%u", f.dst_port);
        break;
      case FC_COL_FLAGS:
        fc_flags_format(f.flags, txt);
        break;
      default:
        snprintf(txt, sizeof txt, "%s", fc_strdict_get(raw.labels, f.label));
        break;
      }
      assert_string_equal(col->values[code], txt);
    }
    if (i) assert_true(enc.ticks[i] >= enc.ticks[i - 1]);
  }
  assert_int_equal(fc_write_flows_csv(&raw, back), FC_OK);
  size_t n1, n2;
  char *x = fct_slurp(part, &n1), *y = fct_slurp(back, &n2);
  assert_int_equal(n1, n2);
  assert_memory_equal(x, y, n1); /* one order for both formats */
  free(x);
  free(y);
  fc_table_free(&raw);
  fc_encoded_free(&enc);
  fc_table_free(&t);
  free(ref);
  free(part);
  free(h5);
  free(back);
}

/* Shards of a period run one by one and merged give the whole run's file byte for byte (45-min
 * slices cut instances, so flows spill past a shard's end into its part), also with empty
 * shards (N > K); a shard outside 0..N-1 writes nothing; HDF5 parts without the shard
 * attributes (written before shards existed) merge as shard 0 of 1. */
static void shards_merge_into_the_whole_run(void **state) {
  (void)state;
  int64_t a = day0() + 9 * US_D + 8 * US_H;
  fc_generate_options o = opts(a, a + 5 * US_H);
  o.slice_us = 45 * 60 * 1000000LL; /* 7 slices */
  char *whole = fct_join(tmp, "whole.csv"), *base = fct_join(tmp, "sh.csv"),
       *merged = fct_join(tmp, "sh-merged.csv"), *old = fct_join(tmp, "old.h5"),
       *old_merged = fct_join(tmp, "old-merged.h5");
  fc_generate_stats total;
  fc_gen_provenance p = {"model.h5", "", "test", 0, 1, 1, 0, 1};
  fc_generator *g;
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_OK);
  assert_int_equal(fc_generator_n_slices(g), 7);
  assert_int_equal(fc_generate_run(g, whole, &p, MPI_COMM_SELF, 100, &total), FC_OK);
  size_t n_whole, n_merged;
  char *want = fct_slurp(whole, &n_whole);
  assert_true(total.flows > 100);
  const int counts[] = {3, 9};
  for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
    int n = counts[c];
    char names[9][512];
    const char *in[9];
    uint64_t flows = 0;
    for (int t = 0; t < n; t++) {
      assert_int_equal(fc_gen_shard_part_path(base, t, n, 0, 1, names[t], sizeof names[t]), FC_OK);
      in[t] = names[t];
      p.shard = t;
      p.n_shards = n;
      assert_int_equal(fc_generate_run(g, names[t], &p, MPI_COMM_SELF, 100, &total), FC_OK);
      flows += total.flows;
    }
    fc_merge_report rep;
    assert_int_equal(fc_merge_files(in, (size_t)n, merged, "test", 0, &rep), FC_OK);
    assert_int_equal(rep.records, flows);
    char *got = fct_slurp(merged, &n_merged);
    assert_int_equal(n_merged, n_whole);
    assert_memory_equal(got, want, n_whole);
    free(got);
    for (int t = 0; t < n; t++)
      remove(names[t]);
  }
  char bad[512];
  assert_int_equal(fc_gen_shard_part_path(base, 3, 3, 0, 1, bad, sizeof bad), FC_OK);
  p.shard = 3;
  p.n_shards = 3;
  assert_int_equal(fc_generate_run(g, bad, &p, MPI_COMM_SELF, 100, &total), FC_ERR_ARG);
  assert_false(fct_exists(bad));
  fc_generator_destroy(&g);
  /* An HDF5 part as written before shards: no shard attributes. */
  o.format = FC_GEN_H5;
  p.shard = 0;
  p.n_shards = 1;
  assert_int_equal(fc_generator_create(&model, &o, &g), FC_OK);
  assert_int_equal(fc_generate_run(g, old, &p, MPI_COMM_SELF, 100, &total), FC_OK);
  fc_generator_destroy(&g);
  hid_t f = H5Fopen(old, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(f >= 0);
  assert_true(H5Adelete_by_name(f, "generate", "shard", H5P_DEFAULT) >= 0);
  assert_true(H5Adelete_by_name(f, "generate", "n_shards", H5P_DEFAULT) >= 0);
  assert_true(H5Fclose(f) >= 0);
  const char *in_old[1] = {old};
  fc_merge_report rep;
  assert_int_equal(fc_merge_files(in_old, 1, old_merged, "test", 0, &rep), FC_OK);
  assert_int_equal(rep.records, total.flows);
  free(want);
  free(whole);
  free(base);
  free(merged);
  free(old);
  free(old_merged);
}

static void lines_match_the_csv_writer(void **state) {
  (void)state;
  fc_flow_table t;
  assert_int_equal(fc_table_init(&t), FC_OK);
  const char *labels[] = {"normal", "attack, stage 1", "say \"hi\"", " padded ", ""};
  const char *ips[] = {"10.0.0.1", "2001:db8::1", "fd00::cafe:4d84:9d49:203:4af8",
                       "255.255.255.255"};
  for (int i = 0; i < 40; i++) {
    fc_flow f;
    memset(&f, 0, sizeof f);
    f.ts_us = day0() + (int64_t)i * 1234567891 - 5;
    f.duration_us = (int64_t)i * 999999;
    assert_true(fc_ip_parse(ips[i % 4], strlen(ips[i % 4]), &f.src_ip));
    assert_true(fc_ip_parse(ips[(i + 1) % 4], strlen(ips[(i + 1) % 4]), &f.dst_ip));
    f.src_port = (uint16_t)(i * 1711);
    f.dst_port = (uint16_t)(i * 3);
    f.proto = (uint8_t)(i % 3 == 0 ? 6 : i % 3 == 1 ? 17 : 99);
    f.flags = (uint8_t)(i & 0x3f);
    f.fwd_pkts = (uint64_t)i;
    f.bwd_pkts = UINT64_MAX - (uint64_t)i;
    f.fwd_bytes = (uint64_t)i * 1000003;
    f.bwd_bytes = 0;
    const char *l = labels[i % 5];
    assert_int_equal(fc_table_intern_label(&t, l, strlen(l), &f.label), FC_OK);
    assert_int_equal(fc_table_append(&t, &f), FC_OK);
  }
  char *path = fct_join(tmp, "lines.csv");
  assert_int_equal(fc_write_flows_csv(&t, path), FC_OK);
  size_t n;
  char *want = fct_slurp(path, &n);
  char *got = malloc(n + 1000), *b = got;
  b += sprintf(b, "%s,label\n", FCI_FLOWS_HEADER);
  fci_day_cache dc = {0, false, {0}};
  for (size_t i = 0; i < t.n; i++) {
    fc_flow f;
    fc_table_get(&t, i, &f);
    const char *l = fc_strdict_get(t.labels, f.label);
    char *enc;
    size_t el;
    assert_int_equal(fci_csv_label(l, strlen(l), &enc, &el), FC_OK);
    b = fci_flow_line_ip(b, &f, enc, el, &dc);
    *b++ = '\n';
    free(enc);
  }
  assert_int_equal((size_t)(b - got), n);
  assert_memory_equal(got, want, n);
  char *enc;
  size_t el;
  assert_int_equal(fci_csv_label("a\nb", 3, &enc, &el), FC_ERR_ARG);
  free(want);
  free(got);
  free(path);
  fc_table_free(&t);
}

static void text_merge(void **state) {
  (void)state;
  const char *h = FCI_FLOWS_HEADER "\n";
  char *a = fct_join(tmp, "a.csv"), *b = fct_join(tmp, "b.csv"), *c = fct_join(tmp, "c.csv"),
       *out = fct_join(tmp, "m.csv"), *bad = fct_join(tmp, "bad.csv");
  char buf[1024];
  snprintf(buf, sizeof buf, "%s2024-01-01 00:00:01.000000,x\n2024-01-01 00:00:03.000000,a\n", h);
  assert_true(fct_write(a, buf));
  snprintf(buf, sizeof buf, "%s2024-01-01 00:00:02.000000,y\n2024-01-01 00:00:03.000000,b\n", h);
  assert_true(fct_write(b, buf));
  snprintf(buf, sizeof buf, "%s", h);
  assert_true(fct_write(c, buf));
  const char *in[3] = {b, c, a};
  fc_merge_report rep;
  assert_int_equal(fc_merge_files(in, 3, out, "test", 0, &rep), FC_OK);
  assert_int_equal(rep.records, 4);
  size_t n;
  char *m = fct_slurp(out, &n);
  snprintf(buf, sizeof buf,
           "%s2024-01-01 00:00:01.000000,x\n2024-01-01 00:00:02.000000,y\n"
           "2024-01-01 00:00:03.000000,a\n2024-01-01 00:00:03.000000,b\n",
           h);
  assert_string_equal(m, buf);
  free(m);
  /* Out of order, another header, the output among the inputs: refused, nothing written. */
  snprintf(buf, sizeof buf, "%s2024-01-01 00:00:03.000000,x\n2024-01-01 00:00:01.000000,a\n", h);
  assert_true(fct_write(bad, buf));
  const char *in2[2] = {a, bad};
  char *out2 = fct_join(tmp, "m2.csv");
  assert_int_equal(fc_merge_files(in2, 2, out2, "test", 0, &rep), FC_ERR_FORMAT);
  assert_true(strstr(fc_error_message(), "bad.csv:3") != NULL);
  assert_false(fct_exists(out2));
  assert_true(fct_write(bad, "ts,something\n"));
  assert_int_equal(fc_merge_files(in2, 2, out2, "test", 0, &rep), FC_ERR_FORMAT);
  assert_false(fct_exists(out2));
  const char *in3[2] = {a, out};
  assert_int_equal(fc_merge_files(in3, 2, out, "test", 0, &rep), FC_ERR_ARG);
  free(a);
  free(b);
  free(c);
  free(out);
  free(out2);
  free(bad);
}

/* The generator's hash-indexed sampler draws exactly what fc_bn_sample_node draws for the same
 * uniform, on every node of every BN of the model (observed and unseen configurations alike). */
static void fast_sampler_equals_bn_sampling(void **state) {
  (void)state;
  for (size_t k = 0; k <= model.n_patterns; k++) {
    const fc_bn *bn = k < model.n_patterns ? model.patterns[k].bn : model.base_bn;
    if (!bn) continue;
    fci_gen_bn *s;
    assert_int_equal(fci_gen_bn_create(bn, &s), FC_OK);
    int m = fc_bn_n_nodes(bn);
    uint32_t vals[FC_NCOLS * FC_MAX_PROWS];
    double u[FC_NCOLS * FC_MAX_PROWS];
    for (uint64_t i = 0; i < 20000; i++) {
      fc_rng r;
      fc_rng_init(&r, 5, 6, k, i, 0);
      for (int v = 0; v < m; v++)
        u[v] = fc_rng_uniform(&r);
      fc_bn_sample(bn, u, vals);
      if (i % 4 == 3) /* a context never observed */
        for (int v = 0; v < m; v++)
          vals[v] = (uint32_t)fc_rng_below(&r, fc_bn_cardinality(bn, v));
      for (int v = 0; v < m; v++) {
        double x = i % 100 == 0 ? 0.0 : i % 100 == 1 ? 0.9999999999999999 : fc_rng_uniform(&r);
        assert_int_equal(fci_gen_bn_sample_node(s, v, vals, x), fc_bn_sample_node(bn, v, vals, x));
      }
    }
    fci_gen_bn_destroy(&s);
    assert_null(s);
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lines_match_the_csv_writer),
      cmocka_unit_test(fast_sampler_equals_bn_sampling),
      cmocka_unit_test(text_merge),
      cmocka_unit_test(option_checks),
      cmocka_unit_test(shard_ranges),
      cmocka_unit_test(slices_are_pure_functions),
      cmocka_unit_test(hourly_counts_follow_training),
      cmocka_unit_test(delays_and_pairs_follow_the_model),
      cmocka_unit_test(repaired_flows_are_consistent),
      cmocka_unit_test(the_end_of_the_period),
      cmocka_unit_test(parts_are_csv_and_datasets),
      cmocka_unit_test(shards_merge_into_the_whole_run),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  MPI_Finalize();
  return rc;
}
