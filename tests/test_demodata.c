/* The demo data generator: determinism and independence of the pieces, volume and rhythm, the
 * documented structure of every behaviour (checked through the per-flow truth), protocol
 * consistency, labels, options. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/demodata.h"
#include "testutil.h"

#define US_S INT64_C(1000000)
#define US_H (3600 * US_S)
#define US_DAY (24 * US_H)

/* The default week, generated once for the read-only tests. */
static fc_flow_table week;
static fc_demo_truth *week_truth;
static size_t week_instances;
static fc_demo_options week_opts;

static int setup_week(void **state) {
  (void)state;
  week_opts = fc_demo_options_default();
  if (fc_table_init(&week) != FC_OK) return -1;
  if (fc_demo_generate_truth(&week_opts, &week, &week_truth, &week_instances) != FC_OK) return -1;
  return 0;
}

static int teardown_week(void **state) {
  (void)state;
  fc_table_free(&week);
  free(week_truth);
  return 0;
}

static void gen_or_fail(const fc_demo_options *o, fc_flow_table *t, fc_demo_truth **tr) {
  assert_int_equal(fc_table_init(t), FC_OK);
  fc_status st = fc_demo_generate_truth(o, t, tr, NULL);
  if (st != FC_OK) fail_msg("generate: %s: %s", fc_strerror(st), fc_error_message());
}

static const char *label_of(const fc_flow_table *t, size_t i) {
  return fc_strdict_get(t->labels, t->label[i]);
}

/* Rows i of a and j of b are equal in every field, times compared after shifting b by dt. */
static void assert_same_flow(const fc_flow_table *a, size_t i, const fc_flow_table *b, size_t j,
                             int64_t dt) {
  fc_flow x, y;
  fc_table_get(a, i, &x);
  fc_table_get(b, j, &y);
  assert_int_equal(x.ts_us + dt, y.ts_us);
  assert_int_equal(x.duration_us, y.duration_us);
  assert_true(fc_ip_equal(&x.src_ip, &y.src_ip));
  assert_true(fc_ip_equal(&x.dst_ip, &y.dst_ip));
  assert_int_equal(x.src_port, y.src_port);
  assert_int_equal(x.dst_port, y.dst_port);
  assert_int_equal(x.proto, y.proto);
  assert_int_equal(x.flags, y.flags);
  assert_int_equal(x.fwd_pkts, y.fwd_pkts);
  assert_int_equal(x.bwd_pkts, y.bwd_pkts);
  assert_int_equal(x.fwd_bytes, y.fwd_bytes);
  assert_int_equal(x.bwd_bytes, y.bwd_bytes);
  assert_string_equal(label_of(a, i), label_of(b, j));
}

static void determinism(void **state) {
  (void)state;
  fc_flow_table t;
  fc_demo_truth *tr;
  gen_or_fail(&week_opts, &t, &tr);
  assert_int_equal(t.n, week.n);
  for (size_t i = 0; i < t.n; i++) {
    assert_same_flow(&week, i, &t, i, 0);
    assert_int_equal(tr[i].instance, week_truth[i].instance);
    assert_int_equal(tr[i].behaviour, week_truth[i].behaviour);
    assert_int_equal(tr[i].row, week_truth[i].row);
  }
  fc_table_free(&t);
  free(tr);

  /* Another seed: a different week (compare the first thousand start times). */
  fc_demo_options o = week_opts;
  o.seed = 2;
  gen_or_fail(&o, &t, &tr);
  size_t differ = 0;
  for (size_t i = 0; i < 1000 && i < t.n; i++)
    differ += t.ts_us[i] != week.ts_us[i];
  assert_true(differ > 900);
  fc_table_free(&t);
  free(tr);
}

/* The weekly rhythm hangs on the day index, not the clock: a start one week later gives the
 * same flows a week later. */
static void shifted_start(void **state) {
  (void)state;
  fc_demo_options o = week_opts;
  o.start_us += 7 * US_DAY;
  fc_flow_table t;
  gen_or_fail(&o, &t, NULL);
  assert_int_equal(t.n, week.n);
  for (size_t i = 0; i < t.n; i++)
    assert_same_flow(&week, i, &t, i, 7 * US_DAY);
  fc_table_free(&t);
}

/* Pieces are independent: three days generated alone are the first three days of the week,
 * less the instances of the week that run over the end of the third day. */
static void prefix_of_week(void **state) {
  (void)state;
  fc_demo_options o = week_opts;
  o.days = 3;
  fc_flow_table t;
  fc_demo_truth *tr;
  gen_or_fail(&o, &t, &tr);
  int64_t end = o.start_us + 3 * US_DAY;
  char *spills;
  assert_non_null(spills = calloc(week_instances, 1));
  for (size_t i = 0; i < week.n; i++)
    if (week.ts_us[i] >= end) spills[week_truth[i].instance] = 1;
  size_t j = 0;
  for (size_t i = 0; i < week.n && week.ts_us[i] < end; i++) {
    if (spills[week_truth[i].instance]) continue;
    assert_true(j < t.n);
    assert_same_flow(&week, i, &t, j, 0);
    assert_int_equal(week_truth[i].behaviour, tr[j].behaviour);
    assert_int_equal(week_truth[i].row, tr[j].row);
    j++;
  }
  assert_int_equal(j, t.n);
  free(spills);
  free(tr);
  fc_table_free(&t);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Every (purpose, day, actor) has its own stream: were two days or two hosts to share one,
 * their events would fall at the same microsecond of the day. By chance, a repeat among the
 * week's flows has a probability of about 2%. */
static void streams_are_distinct(void **state) {
  (void)state;
  int64_t *tod;
  assert_non_null(tod = malloc(week.n * sizeof *tod));
  for (size_t i = 0; i < week.n; i++)
    tod[i] = (week.ts_us[i] - week_opts.start_us) % US_DAY;
  qsort(tod, week.n, sizeof *tod, cmp_i64);
  size_t repeats = 0;
  for (size_t i = 1; i < week.n; i++)
    repeats += tod[i] == tod[i - 1];
  assert_int_equal(repeats, 0);
  free(tod);
}

static void sorted_and_in_range(void **state) {
  (void)state;
  int64_t end = week_opts.start_us + week_opts.days * US_DAY;
  for (size_t i = 0; i < week.n; i++) {
    if (i > 0) assert_true(week.ts_us[i - 1] <= week.ts_us[i]);
    assert_true(week.ts_us[i] >= week_opts.start_us);
    assert_true(week.ts_us[i] < end);
  }
}

/* docs/demo-data.md promises 40,000 .. 80,000 flows for the default week. */
static void volume(void **state) {
  (void)state;
  assert_true(week.n >= 40000);
  assert_true(week.n <= 80000);
}

static void rhythm(void **state) {
  (void)state;
  size_t hours[7][24];
  memset(hours, 0, sizeof hours);
  for (size_t i = 0; i < week.n; i++) {
    int64_t rel = week.ts_us[i] - week_opts.start_us;
    hours[rel / US_DAY][(rel % US_DAY) / US_H]++;
  }
  double day = 0, night = 0, weekend = 0;
  for (int d = 0; d < 5; d++) {
    for (int h = 9; h < 17; h++)
      day += (double)hours[d][h] / (5 * 8);
    for (int h = 0; h < 6; h++)
      night += (double)hours[d][h] / (5 * 6);
  }
  for (int d = 5; d < 7; d++)
    for (int h = 0; h < 24; h++)
      weekend += (double)hours[d][h] / (2 * 24);
  print_message("flows per hour: weekday 9-17 %.0f, weekday 0-6 %.0f, weekend %.0f\n", day, night,
                weekend);
  assert_true(day > 8 * night);
  assert_true(day > 8 * weekend);
  assert_true(night > 20); /* machines left on keep talking */
  for (int d = 0; d < 5; d++) {
    /* morning ramp and lunch dip (hour 14 skipped: the attack is on day 2 at 14:xx) */
    double busy = (hours[d][10] + hours[d][11] + hours[d][15]) / 3.0;
    assert_true(hours[d][7] < 0.5 * busy);
    assert_true(hours[d][12] < 0.9 * busy);
  }
}

static int in_v4_range(const fc_ip *ip, const char *lo, const char *hi) {
  fc_ip a, b;
  fc_ip_parse(lo, strlen(lo), &a);
  fc_ip_parse(hi, strlen(hi), &b);
  return fc_ip_cmp(ip, &a) >= 0 && fc_ip_cmp(ip, &b) <= 0;
}

static void ip_of(const char *s, fc_ip *ip) {
  assert_true(fc_ip_parse(s, strlen(s), ip));
}

/* Every instance has exactly the documented rows: protocol, port, flags, fixed addresses,
 * reused addresses and delays; a field documented as varying does vary. */
static void behaviour_structure(void **state) {
  (void)state;
  size_t nb;
  const fc_demo_behaviour *beh = fc_demo_behaviours(&nb);
  assert_int_equal(nb, FC_DEMO_N_BEHAVIOURS);
  size_t ni = week_instances;
  size_t *rows; /* ni x FC_DEMO_MAX_ROWS flow indices, SIZE_MAX when absent */
  assert_non_null(rows = malloc(ni * FC_DEMO_MAX_ROWS * sizeof *rows));
  for (size_t k = 0; k < ni * FC_DEMO_MAX_ROWS; k++)
    rows[k] = SIZE_MAX;
  uint16_t *ib;
  assert_non_null(ib = malloc(ni * sizeof *ib));
  uint32_t next = 0;
  for (size_t i = 0; i < week.n; i++) {
    const fc_demo_truth *t = &week_truth[i];
    assert_true(t->instance < ni);
    assert_true(t->behaviour < nb);
    assert_true(t->row < beh[t->behaviour].n_rows);
    if (t->instance == next) { /* numbered in order of first flow */
      ib[next++] = t->behaviour;
    } else {
      assert_true(t->instance < next);
      assert_int_equal(ib[t->instance], t->behaviour);
    }
    assert_int_equal(rows[t->instance * FC_DEMO_MAX_ROWS + t->row], SIZE_MAX);
    rows[t->instance * FC_DEMO_MAX_ROWS + t->row] = i;
  }
  assert_int_equal(next, ni);

  size_t count[FC_DEMO_N_BEHAVIOURS] = {0};
  /* per behaviour and row: does src/dst/port/flags vary over instances? */
  fc_ip first_src[FC_DEMO_N_BEHAVIOURS][FC_DEMO_MAX_ROWS];
  fc_ip first_dst[FC_DEMO_N_BEHAVIOURS][FC_DEMO_MAX_ROWS];
  uint16_t first_port[FC_DEMO_N_BEHAVIOURS][FC_DEMO_MAX_ROWS];
  uint8_t first_flags[FC_DEMO_N_BEHAVIOURS][FC_DEMO_MAX_ROWS];
  int varies[FC_DEMO_N_BEHAVIOURS][FC_DEMO_MAX_ROWS][4];
  memset(varies, 0, sizeof varies);
  for (size_t in = 0; in < ni; in++) {
    const fc_demo_behaviour *b = &beh[ib[in]];
    const size_t *r = &rows[in * FC_DEMO_MAX_ROWS];
    size_t c = count[ib[in]]++;
    for (int k = 0; k < b->n_rows; k++) {
      const fc_demo_row *d = &b->rows[k];
      if (r[k] == SIZE_MAX) fail_msg("%s instance %zu lacks row %d", b->name, in, k);
      size_t i = r[k];
      fc_flow f;
      fc_table_get(&week, i, &f);
      assert_int_equal(f.proto, d->proto);
      if (d->dst_port) assert_int_equal(f.dst_port, d->dst_port);
      if (d->flags >= 0) assert_int_equal(f.flags, d->flags);
      assert_string_equal(label_of(&week, i), b->label);
      fc_ip ip;
      if (d->src_ip) {
        ip_of(d->src_ip, &ip);
        assert_true(fc_ip_equal(&f.src_ip, &ip));
      }
      if (d->dst_ip) {
        ip_of(d->dst_ip, &ip);
        assert_true(fc_ip_equal(&f.dst_ip, &ip));
      }
      if (d->src_reuses_row >= 0)
        assert_true(fc_ip_equal(&f.src_ip, &week.src_ip[r[d->src_reuses_row]]));
      if (d->dst_reuses_row >= 0)
        assert_true(fc_ip_equal(&f.dst_ip, &week.dst_ip[r[d->dst_reuses_row]]));
      if (k > 0) {
        int64_t delay = f.ts_us - week.ts_us[r[k - 1]];
        if (delay < d->min_delay_us || delay > d->max_delay_us)
          fail_msg("%s row %d: delay %lld us outside [%lld, %lld]", b->name, k, (long long)delay,
                   (long long)d->min_delay_us, (long long)d->max_delay_us);
      }
      int bi = ib[in];
      if (c == 0) {
        first_src[bi][k] = f.src_ip;
        first_dst[bi][k] = f.dst_ip;
        first_port[bi][k] = f.dst_port;
        first_flags[bi][k] = f.flags;
      } else {
        varies[bi][k][0] |= !fc_ip_equal(&first_src[bi][k], &f.src_ip);
        varies[bi][k][1] |= !fc_ip_equal(&first_dst[bi][k], &f.dst_ip);
        varies[bi][k][2] |= first_port[bi][k] != f.dst_port;
        varies[bi][k][3] |= first_flags[bi][k] != f.flags;
      }
    }
  }
  for (size_t b = 0; b < nb; b++) {
    print_message("%-16s %6zu instances\n", beh[b].name, count[b]);
    /* measured on the default week: the planted ones have about 900 .. 10,600 instances */
    size_t min = beh[b].kind == FC_DEMO_PLANTED ? 500 : 100;
    assert_true(count[b] >= min);
    for (int k = 0; k < beh[b].n_rows; k++) {
      const fc_demo_row *d = &beh[b].rows[k];
      /* A NULL address that is not a reuse must really vary; a reuse need not. */
      if (!d->src_ip && d->src_reuses_row < 0) assert_true(varies[b][k][0]);
      if (!d->dst_ip && d->dst_reuses_row < 0) assert_true(varies[b][k][1]);
      if (d->dst_port == 0) assert_true(varies[b][k][2]);
      if (d->flags < 0) assert_true(varies[b][k][3]);
    }
  }
  assert_int_equal(count[FC_DEMO_PORT_SCAN], 1000);
  free(rows);
  free(ib);
}

/* Who does what: the lab hosts alone use 8.8.8.8; they never use the internal resolver. */
static void lab_hosts(void **state) {
  (void)state;
  size_t lab_public = 0;
  fc_ip public_dns;
  ip_of(FC_DEMO_PUBLIC_DNS, &public_dns);
  for (size_t i = 0; i < week.n; i++) {
    int lab = in_v4_range(&week.src_ip[i], "192.168.210.20", "192.168.210.23");
    uint16_t b = week_truth[i].behaviour;
    if (b == FC_DEMO_PUBLIC_DNS_HTTP || b == FC_DEMO_HTTP_CACHED) assert_true(lab);
    if (b == FC_DEMO_DNS_HTTPS || b == FC_DEMO_DNS_HTTPS_TWICE || b == FC_DEMO_DNS_ONLY ||
        b == FC_DEMO_HTTPS_CACHED)
      assert_false(lab);
    if (fc_ip_equal(&week.dst_ip[i], &public_dns)) {
      assert_true(lab);
      lab_public++;
    }
  }
  assert_true(lab_public > 500);
}

static void protocol_consistency(void **state) {
  (void)state;
  for (size_t i = 0; i < week.n; i++) {
    fc_flow f;
    fc_table_get(&week, i, &f);
    assert_true(f.duration_us >= 0);
    assert_true(f.duration_us < 3600 * US_S);
    assert_true(f.fwd_pkts >= 1);
    assert_true(f.fwd_bytes >= 20 * f.fwd_pkts);
    assert_true(f.bwd_bytes >= 20 * f.bwd_pkts);
    assert_int_equal(f.bwd_pkts == 0, f.bwd_bytes == 0);
    if (f.fwd_pkts + f.bwd_pkts == 1) assert_int_equal(f.duration_us, 0);
    assert_int_equal(f.src_ip.family, 4);
    assert_int_equal(f.dst_ip.family, 4);
    switch (f.proto) {
    case FC_PROTO_TCP:
      assert_true(f.flags & FC_TCP_SYN);
      assert_true(f.fwd_bytes >= 40 * f.fwd_pkts);
      assert_true(f.bwd_bytes >= 40 * f.bwd_pkts);
      assert_true(f.fwd_bytes <= 1500 * f.fwd_pkts);
      assert_true(f.bwd_bytes <= 1500 * f.bwd_pkts);
      assert_true(f.src_port > f.dst_port); /* dst is the service side */
      break;
    case FC_PROTO_UDP:
      assert_int_equal(f.flags, 0);
      assert_true(f.fwd_bytes <= 1500 * f.fwd_pkts);
      assert_true(f.src_port >= f.dst_port);
      if (f.dst_port == 53) {
        assert_true(f.fwd_pkts == 1 && f.bwd_pkts == 1);
        assert_true(f.fwd_bytes >= 60 && f.fwd_bytes <= 100);
        assert_true(f.bwd_bytes >= 60 && f.bwd_bytes <= 150);
      }
      break;
    case FC_PROTO_ICMP:
      assert_int_equal(f.flags, 0);
      assert_int_equal(f.src_port, 0);
      assert_int_equal(f.dst_port, 8 * 256);
      break;
    default:
      fail_msg("unexpected protocol %u", f.proto);
    }
  }
}

static void labels(void **state) {
  (void)state;
  size_t attack = 0;
  int64_t day2 = week_opts.start_us + 2 * US_DAY;
  fc_ip attacker;
  ip_of(FC_DEMO_ATTACKER, &attacker);
  assert_true(week.has_labels);
  for (size_t i = 0; i < week.n; i++) {
    const char *l = label_of(&week, i);
    if (strcmp(l, FC_DEMO_LABEL_PORTSCAN) == 0) {
      attack++;
      assert_int_equal(week_truth[i].behaviour, FC_DEMO_PORT_SCAN);
      assert_true(fc_ip_equal(&week.src_ip[i], &attacker));
      assert_true(week.ts_us[i] >= day2 + 14 * US_H);
      assert_true(week.ts_us[i] < day2 + 15 * US_H);
    } else {
      assert_string_equal(l, FC_DEMO_LABEL_NORMAL);
    }
  }
  assert_int_equal(attack, 1000);

  /* No third day, no attack, no attack label. */
  fc_demo_options o = week_opts;
  o.days = 2;
  fc_flow_table t;
  gen_or_fail(&o, &t, NULL);
  uint32_t id;
  assert_int_equal(
      fc_strdict_find(t.labels, FC_DEMO_LABEL_PORTSCAN, strlen(FC_DEMO_LABEL_PORTSCAN), &id), -1);
  fc_table_free(&t);
}

/* scale multiplies user-driven rates only: browsing doubles, NTP stays exactly the same. */
static void scale_rates(void **state) {
  (void)state;
  fc_demo_options o = week_opts;
  o.days = 2;
  size_t web[2] = {0, 0}, ntp[2] = {0, 0};
  int64_t *ntp_ts[2];
  fc_flow_table t[2];
  fc_demo_truth *tr[2];
  for (int k = 0; k < 2; k++) {
    o.scale = k ? 2.0 : 1.0;
    gen_or_fail(&o, &t[k], &tr[k]);
    assert_non_null(ntp_ts[k] = malloc(t[k].n * sizeof *ntp_ts[k]));
    for (size_t i = 0; i < t[k].n; i++) {
      uint16_t b = tr[k][i].behaviour;
      if (tr[k][i].row == 0 &&
          (b == FC_DEMO_DNS_HTTPS || b == FC_DEMO_DNS_HTTPS_TWICE || b == FC_DEMO_HTTPS_CACHED))
        web[k]++;
      if (b == FC_DEMO_NTP_SYNC) ntp_ts[k][ntp[k]++] = t[k].ts_us[i];
    }
  }
  double ratio = (double)web[1] / (double)web[0];
  print_message("browsing events: %zu at scale 1, %zu at scale 2\n", web[0], web[1]);
  assert_true(ratio > 1.7 && ratio < 2.3);
  assert_int_equal(ntp[0], ntp[1]);
  for (size_t i = 0; i < ntp[0]; i++)
    assert_int_equal(ntp_ts[0][i], ntp_ts[1][i]);
  for (int k = 0; k < 2; k++) {
    free(ntp_ts[k]);
    fc_table_free(&t[k]);
    free(tr[k]);
  }
}

/* Appending keeps earlier rows, and truth[i] is about appended row i. */
static void append_to_nonempty(void **state) {
  (void)state;
  fc_flow_table t;
  assert_int_equal(fc_table_init(&t), FC_OK);
  fc_flow f;
  memset(&f, 0, sizeof f);
  f.ts_us = 5;
  f.proto = FC_PROTO_UDP;
  f.fwd_pkts = 1;
  f.fwd_bytes = 100;
  assert_int_equal(fc_table_intern_label(&t, "before", 6, &f.label), FC_OK);
  assert_int_equal(fc_table_append(&t, &f), FC_OK);
  fc_demo_options o = week_opts;
  o.days = 1;
  fc_demo_truth *tr;
  size_t ni;
  assert_int_equal(fc_demo_generate_truth(&o, &t, &tr, &ni), FC_OK);
  assert_true(t.n > 1000);
  assert_int_equal(t.ts_us[0], 5);
  assert_string_equal(label_of(&t, 0), "before");
  assert_string_equal(label_of(&t, 1), FC_DEMO_LABEL_NORMAL);
  assert_int_equal(tr[0].instance, 0);
  assert_int_equal(tr[0].row, 0);
  size_t max_inst = 0;
  for (size_t i = 0; i + 1 < t.n; i++)
    if (tr[i].instance > max_inst) max_inst = tr[i].instance;
  assert_int_equal(max_inst + 1, ni);
  free(tr);
  fc_table_free(&t);
}

static void bad_options(void **state) {
  (void)state;
  fc_flow_table t;
  assert_int_equal(fc_table_init(&t), FC_OK);
  fc_demo_options o = fc_demo_options_default();
  o.days = 0;
  assert_int_equal(fc_demo_generate(&o, &t), FC_ERR_ARG);
  o = fc_demo_options_default();
  o.scale = 0;
  assert_int_equal(fc_demo_generate(&o, &t), FC_ERR_ARG);
  o.scale = NAN;
  assert_int_equal(fc_demo_generate(&o, &t), FC_ERR_ARG);
  o = fc_demo_options_default();
  o.start_us = -1;
  assert_int_equal(fc_demo_generate(&o, &t), FC_ERR_ARG);
  assert_int_equal(fc_demo_generate(NULL, &t), FC_ERR_ARG);
  o = fc_demo_options_default();
  assert_int_equal(fc_demo_generate(&o, NULL), FC_ERR_ARG);
  assert_int_equal(t.n, 0);
  fc_table_free(&t);
}

static void default_options(void **state) {
  (void)state;
  fc_demo_options o = fc_demo_options_default();
  assert_int_equal(o.seed, 1);
  assert_int_equal(o.days, 7);
  assert_true(o.scale == 1.0);
  char buf[FC_TIME_STRLEN];
  fc_time_format(o.start_us, buf);
  assert_string_equal(buf, "2024-03-04 00:00:00.000000");
  /* a Monday: 1970-01-01 was a Thursday */
  assert_int_equal((o.start_us / US_DAY + 3) % 7, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(default_options),
      cmocka_unit_test(determinism),
      cmocka_unit_test(shifted_start),
      cmocka_unit_test(prefix_of_week),
      cmocka_unit_test(streams_are_distinct),
      cmocka_unit_test(sorted_and_in_range),
      cmocka_unit_test(volume),
      cmocka_unit_test(rhythm),
      cmocka_unit_test(behaviour_structure),
      cmocka_unit_test(lab_hosts),
      cmocka_unit_test(protocol_consistency),
      cmocka_unit_test(labels),
      cmocka_unit_test(scale_rates),
      cmocka_unit_test(append_to_nonempty),
      cmocka_unit_test(bad_options),
  };
  return cmocka_run_group_tests(tests, setup_week, teardown_week);
}
