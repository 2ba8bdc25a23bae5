/* The session rule: grouping by unordered 5-tuple, the 120 s gap, per-direction sums, flag OR,
 * duration, orientation to the service port, ICMP kept directional. */
#include <stdio.h>
#include <string.h>

#include "flowchronicle/ingest.h"
#include "testutil.h"

static void rec(fc_flow_table *t, double start_s, double dur_s, uint8_t proto, const char *src,
                uint16_t sport, const char *dst, uint16_t dport, uint64_t pkts, uint64_t bytes,
                uint8_t flags, const char *label) {
  fc_flow f;
  memset(&f, 0, sizeof f);
  f.ts_us = (int64_t)(start_s * 1e6 + 0.5);
  f.duration_us = (int64_t)(dur_s * 1e6 + 0.5);
  f.proto = proto;
  assert_true(fc_ip_parse(src, strlen(src), &f.src_ip));
  assert_true(fc_ip_parse(dst, strlen(dst), &f.dst_ip));
  f.src_port = sport;
  f.dst_port = dport;
  f.fwd_pkts = pkts;
  f.fwd_bytes = bytes;
  f.flags = flags;
  if (label) assert_int_equal(fc_table_intern_label(t, label, strlen(label), &f.label), FC_OK);
  assert_int_equal(fc_table_append(t, &f), FC_OK);
}

static void find_ip(const char *s, fc_ip *ip) { assert_true(fc_ip_parse(s, strlen(s), ip)); }

static void merges_both_directions_and_cuts_on_gap(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  const uint8_t S = FC_TCP_SYN, A = FC_TCP_ACK, F = FC_TCP_FIN, P = FC_TCP_PSH;
  /* Server side seen first: the session must still be oriented client -> service port 80. */
  rec(&t, 10.0, 2.0, 6, "10.0.0.2", 80, "10.0.0.1", 40000, 4, 3000, S | A, "normal");
  rec(&t, 10.1, 1.5, 6, "10.0.0.1", 40000, "10.0.0.2", 80, 5, 400, S | A | P, "normal");
  /* 100 s after the session's end (12.0): still the same session (gap < 120 s). */
  rec(&t, 112.0, 3.0, 6, "10.0.0.1", 40000, "10.0.0.2", 80, 1, 40, A | F, "normal");
  /* 120 s after the end (115.0): a new session. */
  rec(&t, 235.0, 0.0, 6, "10.0.0.1", 40000, "10.0.0.2", 80, 1, 40, F, "normal");
  /* A different 5-tuple in between. */
  rec(&t, 50.0, 0.5, 17, "10.0.0.1", 5353, "10.0.0.3", 53, 1, 70, 0, "normal");
  rec(&t, 50.2, 0.0, 17, "10.0.0.3", 53, "10.0.0.1", 5353, 1, 150, 0, "normal");
  assert_int_equal(fc_sessionize(&t, 120 * 1000000LL), FC_OK);
  assert_int_equal(t.n, 3);
  fc_ip a, b, c;
  find_ip("10.0.0.1", &a);
  find_ip("10.0.0.2", &b);
  find_ip("10.0.0.3", &c);
  /* Session 1: 10.0 .. 115.0 */
  assert_int_equal(t.ts_us[0], 10000000);
  assert_int_equal(t.duration_us[0], 105000000);
  assert_true(fc_ip_equal(&t.src_ip[0], &a));
  assert_true(fc_ip_equal(&t.dst_ip[0], &b));
  assert_int_equal(t.src_port[0], 40000);
  assert_int_equal(t.dst_port[0], 80);
  assert_int_equal(t.fwd_pkts[0], 6);
  assert_int_equal(t.fwd_bytes[0], 440);
  assert_int_equal(t.bwd_pkts[0], 4);
  assert_int_equal(t.bwd_bytes[0], 3000);
  assert_int_equal(t.flags[0], S | A | P | F);
  /* Session 2: DNS; the service port 53 is the destination even though 53 < 5353 either way. */
  assert_int_equal(t.ts_us[1], 50000000);
  assert_int_equal(t.duration_us[1], 500000);
  assert_true(fc_ip_equal(&t.src_ip[1], &a));
  assert_true(fc_ip_equal(&t.dst_ip[1], &c));
  assert_int_equal(t.dst_port[1], 53);
  assert_int_equal(t.fwd_bytes[1], 70);
  assert_int_equal(t.bwd_bytes[1], 150);
  /* Session 3: after the gap */
  assert_int_equal(t.ts_us[2], 235000000);
  assert_int_equal(t.duration_us[2], 0);
  assert_int_equal(t.fwd_pkts[2], 1);
  assert_int_equal(t.bwd_pkts[2], 0);
  assert_true(t.has_labels);
  assert_string_equal(fc_strdict_get(t.labels, t.label[2]), "normal");
  fc_table_free(&t);
}

static void equal_ports_keep_first_direction_and_icmp_stays_directional(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  rec(&t, 1.0, 0.1, 17, "10.0.0.9", 123, "10.0.0.1", 123, 1, 76, 0, NULL);
  rec(&t, 1.05, 0.0, 17, "10.0.0.1", 123, "10.0.0.9", 123, 1, 76, 0, NULL);
  /* ICMP echo request (8.0 = 2048) and reply (0.0 = 0): not merged, directions kept. */
  rec(&t, 2.0, 0.0, 1, "10.0.0.1", 0, "10.0.0.2", 2048, 1, 84, 0, NULL);
  rec(&t, 2.001, 0.0, 1, "10.0.0.2", 0, "10.0.0.1", 0, 1, 84, 0, NULL);
  rec(&t, 3.0, 0.0, 1, "10.0.0.1", 0, "10.0.0.2", 2048, 1, 84, 0, NULL);
  assert_int_equal(fc_sessionize(&t, 120 * 1000000LL), FC_OK);
  assert_int_equal(t.n, 3);
  fc_ip nine, one;
  find_ip("10.0.0.9", &nine);
  find_ip("10.0.0.1", &one);
  assert_true(fc_ip_equal(&t.src_ip[0], &nine));
  assert_int_equal(t.fwd_pkts[0], 1);
  assert_int_equal(t.bwd_pkts[0], 1);
  assert_int_equal(t.proto[1], 1);
  assert_int_equal(t.dst_port[1], 2048);
  assert_int_equal(t.fwd_pkts[1], 2); /* both requests, one session */
  assert_int_equal(t.duration_us[1], 1000000);
  assert_int_equal(t.dst_port[2], 0);
  assert_true(fc_ip_equal(&t.dst_ip[2], &one));
  assert_false(t.has_labels);
  fc_table_free(&t);
}

static void many_random_records_conserve_totals(void **state) {
  (void)state;
  fc_flow_table t;
  fc_table_init(&t);
  uint64_t x = 88172645463325252ULL, pk = 0, by = 0;
  for (int i = 0; i < 20000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    char s[32], d[32];
    snprintf(s, sizeof s, "10.0.%u.%u", (unsigned)(x % 3), (unsigned)(x >> 8) % 4);
    snprintf(d, sizeof d, "10.1.0.%u", (unsigned)(x >> 16) % 5);
    uint16_t sp = (uint16_t)(1024 + (x >> 24) % 3), dp = (uint16_t)(80 + (x >> 32) % 2);
    bool rev = (x >> 40) & 1;
    uint64_t p = 1 + (x >> 44) % 9, b = 40 * p;
    pk += p;
    by += b;
    rec(&t, (double)((x >> 20) % 100000), (double)((x >> 50) % 300), 6, rev ? d : s,
        rev ? dp : sp, rev ? s : d, rev ? sp : dp, p, b, FC_TCP_ACK, NULL);
  }
  assert_int_equal(fc_sessionize(&t, 120 * 1000000LL), FC_OK);
  uint64_t pk2 = 0, by2 = 0;
  for (size_t i = 0; i < t.n; i++) {
    pk2 += t.fwd_pkts[i] + t.bwd_pkts[i];
    by2 += t.fwd_bytes[i] + t.bwd_bytes[i];
    assert_true(t.dst_port[i] < t.src_port[i]);
    if (i) assert_true(t.ts_us[i - 1] <= t.ts_us[i]);
  }
  assert_int_equal(pk, pk2);
  assert_int_equal(by, by2);
  assert_true(t.n < 20000);
  assert_true(t.n > 60); /* 60 distinct tuples at most merge fully only without gaps */
  fc_table_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(merges_both_directions_and_cuts_on_gap),
      cmocka_unit_test(equal_ports_keep_first_direction_and_icmp_stays_directional),
      cmocka_unit_test(many_random_records_conserve_totals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
