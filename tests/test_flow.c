/* Flow values: address, flag, protocol and time text forms; table growth, sort and merge. */
#include <stdio.h>
#include <string.h>

#include "flowchronicle/flow.h"
#include "testutil.h"

static void ip_round_trip(void **state) {
  (void)state;
  const char *good[] = {"192.168.100.3", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::",
                        "::1", "fe80::1cf4:44d2:904a:14f7", "2001:718:2:1611:0:1:0:90",
                        "1:2:3:4:5:6:7:8"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    fc_ip ip;
    assert_true(fc_ip_parse(good[i], strlen(good[i]), &ip));
    char buf[FC_IP_STRLEN];
    fc_ip_format(&ip, buf);
    assert_string_equal(buf, good[i]);
  }
  fc_ip a;
  assert_true(fc_ip_parse("::ffff:1.2.3.4", 14, &a));
  assert_int_equal(a.family, 6);
  assert_int_equal(a.addr[15], 4);
  assert_int_equal(a.addr[10], 0xff);
  const char *bad[] = {"256.1.1.1", "1.2.3", "1.2.3.4.5", "a.b.c.d", "", "1::2::3", ":1:2",
                       "12345::1", "1.2.3.4 ", "1:2:3:4:5:6:7:8:9"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_false(fc_ip_parse(bad[i], strlen(bad[i]), &a));
}

static void ip_compress_longest_run(void **state) {
  (void)state;
  fc_ip ip;
  assert_true(fc_ip_parse("2001:0:0:1:0:0:0:1", 18, &ip));
  char buf[FC_IP_STRLEN];
  fc_ip_format(&ip, buf);
  assert_string_equal(buf, "2001:0:0:1::1");
}

static void flags_forms(void **state) {
  (void)state;
  uint8_t f;
  assert_true(fc_flags_parse(".AP.SF", 6, &f));
  assert_int_equal(f, FC_TCP_ACK | FC_TCP_PSH | FC_TCP_SYN | FC_TCP_FIN);
  char buf[7];
  fc_flags_format(f, buf);
  assert_string_equal(buf, ".AP.SF");
  assert_true(fc_flags_parse("...A.R..", 8, &f)); /* nfdump 8-character form */
  assert_int_equal(f, FC_TCP_ACK | FC_TCP_RST);
  assert_true(fc_flags_parse("......S.", 8, &f));
  assert_int_equal(f, FC_TCP_SYN);
  assert_false(fc_flags_parse(".AX...", 6, &f));
}

static void proto_forms(void **state) {
  (void)state;
  uint8_t p;
  assert_true(fc_proto_parse("tcp", 3, &p));
  assert_int_equal(p, 6);
  assert_true(fc_proto_parse("UDP", 3, &p));
  assert_int_equal(p, 17);
  assert_true(fc_proto_parse("47", 2, &p));
  assert_int_equal(p, 47);
  assert_false(fc_proto_parse("256", 3, &p));
  assert_false(fc_proto_parse("bogus", 5, &p));
  char buf[8];
  assert_string_equal(fc_proto_name(1, buf), "ICMP");
  assert_string_equal(fc_proto_name(99, buf), "99");
}

static void time_forms(void **state) {
  (void)state;
  int64_t us;
  assert_true(fc_time_parse("1970-01-01 00:00:00", 19, &us));
  assert_int_equal(us, 0);
  assert_true(fc_time_parse("2016-04-11 00:01:38", 19, &us));
  assert_int_equal(us, 1460332898LL * 1000000);
  assert_true(fc_time_parse("2013/12/17 22:09:19.500617", 26, &us));
  char buf[FC_TIME_STRLEN];
  fc_time_format(us, buf);
  assert_string_equal(buf, "2013-12-17 22:09:19.500617");
  assert_true(fc_time_parse("2017-04-11 15:31:29.795", 23, &us));
  fc_time_format(us, buf);
  assert_string_equal(buf, "2017-04-11 15:31:29.795000");
  assert_true(fc_time_parse("2020-02-29T23:59:59.1234567", 27, &us));
  fc_time_format(us, buf);
  assert_string_equal(buf, "2020-02-29 23:59:59.123456");
  fc_time_format(-1, buf);
  assert_string_equal(buf, "1969-12-31 23:59:59.999999");
  assert_false(fc_time_parse("2016-13-11 00:01:38", 19, &us));
  assert_false(fc_time_parse("2016-04-11 00:01", 16, &us));
  assert_false(fc_time_parse("2016-04-11 00:01:38x", 20, &us));
}

static void table_sort_is_stable(void **state) {
  (void)state;
  fc_flow_table t;
  assert_int_equal(fc_table_init(&t), FC_OK);
  int64_t ts[] = {30, 10, 20, 10, 30, 0};
  for (int i = 0; i < 6; i++) {
    fc_flow f;
    memset(&f, 0, sizeof f);
    f.ts_us = ts[i];
    f.src_port = (uint16_t)i;
    assert_int_equal(fc_table_append(&t, &f), FC_OK);
  }
  for (int i = 0; i < 3000; i++) { /* past the insertion-sort cut-off */
    fc_flow f;
    memset(&f, 0, sizeof f);
    f.ts_us = (i * 7919) % 101;
    f.src_port = (uint16_t)(100 + i);
    assert_int_equal(fc_table_append(&t, &f), FC_OK);
  }
  assert_int_equal(fc_table_sort_by_time(&t), FC_OK);
  for (size_t i = 1; i < t.n; i++) {
    assert_true(t.ts_us[i - 1] <= t.ts_us[i]);
    if (t.ts_us[i - 1] == t.ts_us[i]) assert_true(t.src_port[i - 1] < t.src_port[i]);
  }
  assert_int_equal(t.src_port[0], 5);
  fc_table_free(&t);
}

static void table_merge_reinterns_labels(void **state) {
  (void)state;
  fc_flow_table a, b;
  fc_table_init(&a);
  fc_table_init(&b);
  fc_flow f;
  memset(&f, 0, sizeof f);
  assert_int_equal(fc_table_intern_label(&a, "normal", 6, &f.label), FC_OK);
  fc_table_append(&a, &f);
  assert_int_equal(fc_table_intern_label(&b, "attack", 6, &f.label), FC_OK);
  fc_table_append(&b, &f);
  assert_int_equal(fc_table_intern_label(&b, "normal", 6, &f.label), FC_OK);
  fc_table_append(&b, &f);
  assert_int_equal(fc_table_append_table(&a, &b), FC_OK);
  assert_int_equal(a.n, 3);
  assert_string_equal(fc_strdict_get(a.labels, a.label[1]), "attack");
  assert_string_equal(fc_strdict_get(a.labels, a.label[2]), "normal");
  assert_int_equal(a.label[0], a.label[2]);
  fc_table_free(&a);
  fc_table_free(&b);
}

static void strdict_many(void **state) {
  (void)state;
  fc_strdict *d;
  assert_int_equal(fc_strdict_create(&d), FC_OK);
  char buf[32];
  for (int i = 0; i < 10000; i++) {
    int n = snprintf(buf, sizeof buf, "v%d", i);
    uint32_t id;
    assert_int_equal(fc_strdict_intern(d, buf, (size_t)n, &id), FC_OK);
    assert_int_equal(id, (uint32_t)i);
  }
  uint32_t id;
  assert_int_equal(fc_strdict_find(d, "v4242", 5, &id), 0);
  assert_int_equal(id, 4242);
  assert_int_equal(fc_strdict_find(d, "nope", 4, &id), -1);
  assert_string_equal(fc_strdict_get(d, 17), "v17");
  fc_strdict_destroy(&d);
  assert_null(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ip_round_trip),        cmocka_unit_test(ip_compress_longest_run),
      cmocka_unit_test(flags_forms),          cmocka_unit_test(proto_forms),
      cmocka_unit_test(time_forms),           cmocka_unit_test(table_sort_is_stable),
      cmocka_unit_test(table_merge_reinterns_labels), cmocka_unit_test(strdict_many),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
