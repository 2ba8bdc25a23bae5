/* Discretisation and dictionary encoding: zero symbol, quantile bins, merged duplicate edges,
 * dictionary order, ticks. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "flowchronicle/encode.h"
#include "testutil.h"

static void add(fc_flow_table *t, int64_t ts, const char *src, const char *dst, uint16_t port,
                uint8_t proto, uint64_t fwd_bytes, int64_t dur_us) {
  fc_flow f;
  memset(&f, 0, sizeof f);
  f.ts_us = ts;
  assert_true(fc_ip_parse(src, strlen(src), &f.src_ip));
  assert_true(fc_ip_parse(dst, strlen(dst), &f.dst_ip));
  f.dst_port = port;
  f.proto = proto;
  f.fwd_bytes = fwd_bytes;
  f.fwd_pkts = fwd_bytes ? 1 : 0;
  f.duration_us = dur_us;
  assert_int_equal(fc_table_append(t, &f), FC_OK);
}

static void numeric_quantile_bins(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  /* fwd_bytes: 0, 0, then 1..8: 8 non-zero values, 4 bins -> edges at quantiles 0, .25, .5,
   * .75, 1 of {1..8} with linear interpolation: 1, 2.75, 4.5, 6.25, 8. */
  add(&t, 0, "10.0.0.1", "10.0.0.2", 53, 17, 0, 0);
  add(&t, 5, "10.0.0.1", "10.0.0.2", 53, 17, 0, 0);
  for (int v = 1; v <= 8; v++) add(&t, 10 + v, "10.0.0.1", "10.0.0.2", 53, 17, (uint64_t)v, 0);
  fc_encoding_options o;
  fc_encoding_options_default(&o);
  o.bins = 4;
  o.tick_us = 5;
  fc_encoded e;
  assert_int_equal(fc_encode(&t, &o, &e), FC_OK);
  const fc_column *c = &e.cols[FC_COL_FWD_BYTES];
  assert_int_equal(c->domain, 5); /* zero + 4 bins */
  assert_int_equal(c->n_edges, 6);
  double want[] = {0, 1, 2.75, 4.5, 6.25, 8};
  for (int i = 0; i < 6; i++) assert_true(fabs(c->edges[i] - want[i]) < 1e-12);
  uint32_t codes[] = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4};
  for (int i = 0; i < 10; i++) assert_int_equal(c->codes[i], codes[i]);
  assert_int_equal(c->counts[0], 2);
  assert_int_equal(c->counts[4], 2);
  char buf[64];
  fc_code_format(c, 2, buf, sizeof buf);
  assert_string_equal(buf, "[2.75,4.5)");
  fc_code_format(c, 4, buf, sizeof buf);
  assert_string_equal(buf, "[6.25,8]");
  fc_code_format(c, 0, buf, sizeof buf);
  assert_string_equal(buf, "0");
  /* Out-of-range values clamp; zero is its own symbol. */
  assert_int_equal(fc_numeric_code(c, 0.5), 1);
  assert_int_equal(fc_numeric_code(c, 100), 4);
  assert_int_equal(fc_numeric_code(c, 0), 0);
  /* Ticks: (ts - t0) / 5 */
  assert_int_equal(e.t0_us, 0);
  assert_int_equal(e.ticks[1], 1);
  assert_int_equal(e.ticks[9], 18 / 5);
  /* A column that is all zero (duration) is a single symbol. */
  assert_int_equal(e.cols[FC_COL_DURATION].domain, 1);
  fc_encoded_free(&e);
  fc_table_free(&t);
}

static void duplicate_edges_merge(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  /* 90 flows of 40 bytes and 10 of 1500: most quantiles coincide at 40. */
  for (int i = 0; i < 100; i++)
    add(&t, i, "10.0.0.1", "10.0.0.2", 443, 6, i < 90 ? 40 : 1500, 1000);
  fc_encoding_options o;
  fc_encoding_options_default(&o);
  fc_encoded e;
  assert_int_equal(fc_encode(&t, &o, &e), FC_OK);
  const fc_column *c = &e.cols[FC_COL_FWD_BYTES];
  for (uint32_t k = 2; k < c->n_edges; k++) assert_true(c->edges[k] > c->edges[k - 1]);
  assert_true(c->domain <= 41);
  assert_true(c->domain >= 2);
  for (int i = 0; i < 90; i++) assert_int_equal(c->codes[i], 1);
  for (int i = 90; i < 100; i++) assert_true(c->codes[i] > 1);
  /* One distinct non-zero value: a single closed bin [1000us = 0.001 s]. */
  const fc_column *d = &e.cols[FC_COL_DURATION];
  assert_int_equal(d->domain, 2);
  assert_true(d->edges[1] == 0.001 && d->edges[2] == 0.001);
  assert_int_equal(d->codes[0], 1);
  fc_encoded_free(&e);
  fc_table_free(&t);
}

static void dictionary_order(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  add(&t, 0, "10.0.0.9", "10.0.0.2", 80, 6, 1, 0);
  add(&t, 1, "10.0.0.1", "10.0.0.2", 53, 17, 1, 0);
  add(&t, 2, "10.0.0.1", "2001:db8::1", 53, 17, 1, 0);
  add(&t, 3, "10.0.0.5", "10.0.0.2", 443, 6, 1, 0);
  fc_encoding_options o;
  fc_encoding_options_default(&o);
  fc_encoded e;
  assert_int_equal(fc_encode(&t, &o, &e), FC_OK);
  assert_int_equal(e.n_cols, FC_NCOLS - 1); /* no labels */
  const fc_column *s = &e.cols[FC_COL_SRC_IP], *d = &e.cols[FC_COL_DST_IP];
  /* One address dictionary for both columns, by count over both: 10.0.0.2 x3, 10.0.0.1 x2,
   * then 10.0.0.5, 10.0.0.9 and 2001:db8::1 once each (ties broken by text). */
  assert_int_equal(s->domain, 5);
  assert_int_equal(d->domain, 5);
  assert_string_equal(s->values[0], "10.0.0.2");
  assert_string_equal(s->values[1], "10.0.0.1");
  assert_string_equal(s->values[2], "10.0.0.5");
  assert_string_equal(s->values[3], "10.0.0.9");
  assert_string_equal(s->values[4], "2001:db8::1");
  assert_string_equal(d->values[4], "2001:db8::1");
  assert_int_equal(s->codes[0], 3);
  assert_int_equal(s->codes[3], 2);
  assert_int_equal(d->codes[0], 0);
  assert_int_equal(d->codes[2], 4);
  assert_int_equal(s->counts[1], 2); /* per-column counts */
  assert_int_equal(d->counts[1], 0);
  assert_int_equal(d->counts[0], 3);
  const fc_column *p = &e.cols[FC_COL_PROTO];
  assert_string_equal(p->values[0], "TCP"); /* TCP x2 = UDP x2, "TCP" < "UDP" */
  assert_string_equal(p->values[1], "UDP");
  const fc_column *port = &e.cols[FC_COL_DST_PORT];
  assert_string_equal(port->values[0], "53");
  assert_string_equal(e.cols[FC_COL_FLAGS].values[0], "......");
  assert_int_equal(fc_col_lookup("dst_port"), FC_COL_DST_PORT);
  assert_int_equal(fc_col_lookup("nope"), -1);
  fc_encoded_free(&e);
  fc_table_free(&t);
}

static void rejects_unsorted_and_bad_options(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  add(&t, 10, "10.0.0.1", "10.0.0.2", 80, 6, 1, 0);
  add(&t, 5, "10.0.0.1", "10.0.0.2", 80, 6, 1, 0);
  fc_encoding_options o;
  fc_encoding_options_default(&o);
  fc_encoded e;
  assert_int_equal(fc_encode(&t, &o, &e), FC_ERR_STATE);
  fc_table_sort_by_time(&t);
  o.bins = 0;
  assert_int_equal(fc_encode(&t, &o, &e), FC_ERR_ARG);
  fc_table_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(numeric_quantile_bins),
      cmocka_unit_test(duplicate_edges_merge),
      cmocka_unit_test(dictionary_order),
      cmocka_unit_test(rejects_unsorted_and_bad_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
