/* The time model of generation: hour-of-week bins in a time zone, exposure, the shrunk
 * per-pattern rates (office-hours patterns stay in office hours, always-on traffic stays flat,
 * rare patterns follow the global rhythm, totals equal the training usage), the fallback levels
 * for training data shorter than a week, the smoothed empirical delays, and the Poisson
 * sampler the slices draw instance counts with. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/flow.h"
#include "flowchronicle/rng.h"
#include "flowchronicle/timeline.h"
#include "testutil.h"

#define H FC_US_PER_HOUR
#define TICK INT64_C(10000) /* 10 ms */

/* Monday 2024-03-04 00:00 UTC. */
static int64_t monday(void) {
  return fc_days_from_civil(2024, 3, 4) * 24 * H;
}

static void bins_and_time_zones(void **state) {
  (void)state;
  fc_timeline *t;
  int64_t t0 = monday();
  int64_t starts[1] = {0};
  fc_timeline_series s = {1, starts, 1, NULL};
  fc_timeline_options o;
  fc_timeline_options_default(&o);
  assert_int_equal(fc_timeline_create(t0, t0, TICK, 1, &s, &o, &t), FC_OK);
  assert_int_equal(fc_timeline_bin(t, t0), 0);
  assert_int_equal(fc_timeline_bin(t, t0 + 25 * H + 5), 25); /* Tuesday 01:00 */
  assert_int_equal(fc_timeline_bin(t, t0 - 1), 167);         /* Sunday 23:59 */
  assert_int_equal(fc_timeline_hour_end(t, t0 + 1), t0 + H);
  fc_timeline_destroy(&t);
  assert_null(t);
  /* +01:30: Monday 00:00 UTC is Monday 01:30 local; the local hour ends at 00:30 UTC. */
  o.tz_offset_s = 5400;
  assert_int_equal(fc_timeline_create(t0, t0, TICK, 1, &s, &o, &t), FC_OK);
  assert_int_equal(fc_timeline_bin(t, t0), 1);
  assert_int_equal(fc_timeline_hour_end(t, t0), t0 + H / 2);
  assert_int_equal(fc_timeline_bin(t, t0 - 2 * H), 167); /* Sunday 23:30 local */
  fc_timeline_destroy(&t);
  o.tz_offset_s = -15 * 3600;
  assert_int_equal(fc_timeline_create(t0, t0, TICK, 1, &s, &o, &t), FC_ERR_ARG);
}

/* Three series over one week: "office" only on weekdays 9-17, "always" every 10 minutes, "rare"
 * 14 instances spread over the week. Returns the timeline. */
static fc_timeline *office_week(int64_t **bufs) {
  int64_t t0 = monday();
  int64_t *office = malloc(5 * 8 * 30 * sizeof *office);
  int64_t *always = malloc(7 * 24 * 6 * sizeof *always);
  int64_t *rare = malloc(14 * sizeof *rare);
  size_t n_office = 0, n_always = 0;
  for (int d = 0; d < 5; d++)
    for (int h = 9; h < 17; h++)
      for (int k = 0; k < 30; k++)
        office[n_office++] = ((int64_t)d * 24 * H + h * H + k * 2 * 60 * INT64_C(1000000)) / TICK;
  for (int i = 0; i < 7 * 24 * 6; i++)
    always[n_always++] = (int64_t)i * 600 * 1000000 / TICK;
  for (int i = 0; i < 14; i++)
    rare[i] = ((int64_t)i * 12 * H + 3 * H) / TICK;
  fc_timeline_series s[3] = {
      {n_office, office, 1, NULL}, {n_always, always, 1, NULL}, {14, rare, 1, NULL}};
  fc_timeline *t;
  assert_int_equal(fc_timeline_create(t0, t0 + 7 * 24 * H - TICK, TICK, 3, s, NULL, &t), FC_OK);
  bufs[0] = office;
  bufs[1] = always;
  bufs[2] = rare;
  return t;
}

static void shrunk_rates_keep_each_rhythm(void **state) {
  (void)state;
  int64_t *bufs[3];
  fc_timeline *t = office_week(bufs);
  for (int b = 0; b < FC_TL_BINS; b++) {
    assert_true(fabs(fc_timeline_exposure(t, b) - 1.0) < 1e-9);
    assert_int_equal(fc_timeline_level(t, b), FC_TL_WEEK);
  }
  /* Office: 30 per office hour, next to nothing at night and at the weekend. */
  double day = fc_timeline_rate(t, 0, 24 + 10), night = fc_timeline_rate(t, 0, 24 + 3);
  double sunday = fc_timeline_rate(t, 0, 6 * 24 + 11);
  assert_true(day > 27 && day < 33);
  print_message("office day %.3g night %.3g sunday %.3g\n", day, night, sunday);
  assert_true(night < 0.2 && sunday < 0.2);
  /* Always-on: flat at 6 per hour whatever the global rhythm. */
  for (int b = 0; b < FC_TL_BINS; b++) {
    double r = fc_timeline_rate(t, 1, b);
    assert_true(r > 5.5 && r < 6.5);
  }
  /* Rare (14 instances, at 03:00 and 15:00): between its spikes it follows the global rhythm
   * (busier in office hours), and much of its rate leaves the 14 hours it was seen in. */
  double rare_day = fc_timeline_rate(t, 2, 24 + 10), rare_night = fc_timeline_rate(t, 2, 24 + 1);
  assert_true(rare_day > 2 * rare_night);
  assert_true(rare_night > 0);
  double off_spikes = 0;
  for (int b = 0; b < FC_TL_BINS; b++)
    if (b % 24 != 3 && b % 24 != 15) off_spikes += fc_timeline_rate(t, 2, b);
  assert_true(off_spikes > 0.3 * 14 && off_spikes < 0.9 * 14);
  /* Every series expects exactly its training usage over the training week. */
  double total = 0;
  for (size_t s = 0; s < 3; s++) {
    double e = 0;
    for (int b = 0; b < FC_TL_BINS; b++)
      e += fc_timeline_rate(t, s, b);
    total += e;
  }
  assert_true(fabs(total - (5 * 8 * 30 + 7 * 24 * 6 + 14)) < 1e-6);
  int64_t t0 = monday();
  assert_true(fabs(fc_timeline_expected(t, t0, t0 + 7 * 24 * H) - total) < 1e-6);
  /* A second week is the first again; half an hour is half the hour's rate. */
  assert_true(fabs(fc_timeline_expected(t, t0, t0 + 14 * 24 * H) - 2 * total) < 1e-6);
  assert_true(fabs(fc_timeline_expected(t, t0 + 34 * H, t0 + 34 * H + H / 2) -
                   fc_timeline_total_rate(t, 34) / 2) < 1e-9);
  fc_timeline_destroy(&t);
  for (int i = 0; i < 3; i++)
    free(bufs[i]);
}

static void short_training_falls_back(void **state) {
  (void)state;
  int64_t t0 = monday();
  /* Monday and Tuesday, 10 per hour 8-18 and 1 per hour otherwise. */
  int64_t starts[2 * 24 * 10];
  size_t n = 0;
  for (int d = 0; d < 2; d++)
    for (int h = 0; h < 24; h++)
      for (int k = 0; k < (h >= 8 && h < 18 ? 10 : 1); k++)
        starts[n++] = ((int64_t)d * 24 * H + h * H + k * 360 * 1000000LL) / TICK;
  fc_timeline_series s = {n, starts, 1, NULL};
  fc_timeline *t;
  assert_int_equal(fc_timeline_create(t0, t0 + 2 * 24 * H - TICK, TICK, 1, &s, NULL, &t), FC_OK);
  assert_int_equal(fc_timeline_level(t, 10), FC_TL_WEEK);              /* Monday 10:00 */
  assert_int_equal(fc_timeline_level(t, 2 * 24 + 10), FC_TL_WEEKPART); /* Wednesday */
  assert_int_equal(fc_timeline_level(t, 5 * 24 + 10), FC_TL_HOUR);     /* Saturday */
  /* Wednesday 10:00 keeps the office rhythm of Monday and Tuesday. */
  double wed_day = fc_timeline_rate(t, 0, 2 * 24 + 10),
         wed_night = fc_timeline_rate(t, 0, 2 * 24 + 3);
  assert_true(wed_day > 8 && wed_day < 12);
  assert_true(wed_night > 0.5 && wed_night < 1.5);
  fc_timeline_destroy(&t);

  /* Twelve hours, 00:00-12:00: the hours seen keep their own rates, the others get the flat
   * average of what was seen. */
  n = 0;
  for (int h = 0; h < 12; h++)
    for (int k = 0; k < (h >= 8 ? 10 : 1); k++)
      starts[n++] = ((int64_t)h * H + k * 360 * 1000000LL) / TICK;
  s.n = n;
  assert_int_equal(fc_timeline_create(t0, t0 + 12 * H - TICK, TICK, 1, &s, NULL, &t), FC_OK);
  assert_int_equal(fc_timeline_level(t, 9), FC_TL_WEEK);          /* Monday 09:00 itself */
  assert_int_equal(fc_timeline_level(t, 24 + 9), FC_TL_WEEKPART); /* another weekday */
  assert_int_equal(fc_timeline_level(t, 5 * 24 + 9), FC_TL_HOUR); /* Saturday */
  assert_int_equal(fc_timeline_level(t, 24 + 15), FC_TL_FLAT);    /* never seen */
  double flat = fc_timeline_rate(t, 0, 24 + 15);
  assert_true(fabs(flat - (double)n / 12) < 0.5);
  assert_true(fc_timeline_rate(t, 0, 24 + 9) > 5 * fc_timeline_rate(t, 0, 24 + 2));
  fc_timeline_destroy(&t);
}

static void delays_are_smoothed_observations(void **state) {
  (void)state;
  int64_t t0 = monday();
  /* Two observed delay vectors of a 3-row pattern: (0, 5) and (100, 0) ticks. */
  int64_t starts[2] = {0, 10};
  int64_t delays[4] = {0, 5, 100, 0};
  fc_timeline_series s = {2, starts, 3, delays};
  fc_timeline *t;
  assert_int_equal(fc_timeline_create(t0, t0 + H, TICK, 1, &s, NULL, &t), FC_OK);
  assert_int_equal(fc_timeline_rows(t, 0), 3);
  int seen[2] = {0, 0};
  for (uint64_t i = 0; i < 4000; i++) {
    fc_rng r;
    fc_rng_init(&r, 7, 1, 0, 0, i);
    int64_t off[3];
    fc_timeline_offsets(t, 0, &r, off);
    assert_int_equal(off[0], 0);
    int64_t g1 = off[1] - off[0], g2 = off[2] - off[1];
    assert_true(g1 >= 0 && g2 >= 0);
    /* Each vector is kept whole: a long first gap comes with a short second one. */
    if (g1 < TICK) {
      assert_true(g2 >= 4 * TICK && g2 <= 6 * TICK);
      seen[0]++;
    } else {
      assert_true(g1 >= 99 * TICK && g1 <= 101 * TICK);
      assert_true(g2 < TICK);
      seen[1]++;
    }
  }
  assert_true(seen[0] > 1800 && seen[1] > 1800);
  fc_timeline_destroy(&t);
  /* Bad input is refused. */
  int64_t neg[4] = {0, -1, 0, 0};
  s.delays = neg;
  assert_int_equal(fc_timeline_create(t0, t0 + H, TICK, 1, &s, NULL, &t), FC_ERR_ARG);
  int64_t late[2] = {0, H}; /* outside the span */
  fc_timeline_series s2 = {2, late, 1, NULL};
  assert_int_equal(fc_timeline_create(t0, t0 + H / 2, TICK, 1, &s2, NULL, &t), FC_ERR_ARG);
}

static void poisson_counts(void **state) {
  (void)state;
  const double means[] = {0.3, 4.0, 42.0, 5000.0};
  for (size_t m = 0; m < sizeof means / sizeof means[0]; m++) {
    double sum = 0, sq = 0;
    const int n = 20000;
    for (int i = 0; i < n; i++) {
      fc_rng r;
      fc_rng_init(&r, 3, 9, m, (uint64_t)i, 0);
      double x = (double)fc_rng_poisson(&r, means[m]);
      sum += x;
      sq += x * x;
    }
    double mean = sum / n, var = sq / n - mean * mean;
    /* Within 5 standard errors of the mean, variance within 10% of the mean. */
    assert_true(fabs(mean - means[m]) < 5 * sqrt(means[m] / n));
    assert_true(fabs(var / means[m] - 1) < 0.1);
  }
  fc_rng r;
  fc_rng_init(&r, 3, 9, 0, 0, 0);
  assert_int_equal(fc_rng_poisson(&r, 0), 0);
  assert_int_equal(fc_rng_poisson(&r, -1), 0);
  assert_int_equal(fc_rng_poisson(&r, NAN), 0);
  /* Same name, same draws; another name, other draws. */
  fc_rng a, b, c;
  fc_rng_init(&a, 1, 2, 3, 4, 5);
  fc_rng_init(&b, 1, 2, 3, 4, 5);
  fc_rng_init(&c, 1, 2, 3, 4, 6);
  uint64_t x = fc_rng_u64(&a), y = fc_rng_u64(&b), z = fc_rng_u64(&c);
  assert_true(x == y && x != z);
  assert_true(fabs(fc_log_gamma(10.0) - log(362880.0)) < 1e-10);
  assert_true(fabs(fc_log_gamma(0.5) - 0.5 * log(3.14159265358979323846)) < 1e-10);
  for (int i = 0; i < 1000; i++)
    assert_true(fc_rng_below(&a, 7) < 7);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bins_and_time_zones),
      cmocka_unit_test(shrunk_rates_keep_each_rhythm),
      cmocka_unit_test(short_training_falls_back),
      cmocka_unit_test(delays_are_smoothed_observations),
      cmocka_unit_test(poisson_counts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
