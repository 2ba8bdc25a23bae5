/* The SVG writer: escaping of untrusted text (markup characters, quotes, control characters,
 * invalid UTF-8), truncation at code points, number formats for coordinates and tick labels,
 * the choice of ticks on linear, listed-step and log axes (checked as properties over many
 * ranges as well as on hand-picked ones), the mapping of values to pixels, and the chart parts:
 * broken lines at undefined points, bands, axes and legends. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/svg.h"
#include "testutil.h"

/* cmocka 1.1.5 compares floats only; doubles within eps (0: exactly). */
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static char *escaped(const char *s) {
  fc_strbuf b;
  fc_strbuf_init(&b);
  fc_strbuf_escape(&b, s);
  assert_int_equal(fc_strbuf_status(&b), FC_OK);
  char *out = strdup(b.data ? b.data : "");
  fc_strbuf_free(&b);
  return out;
}

static void expect_escape(const char *in, const char *want) {
  char *got = escaped(in);
  assert_string_equal(got, want);
  free(got);
}

#define FFFD "\xef\xbf\xbd"

static void escape_markup_and_quotes(void **state) {
  (void)state;
  expect_escape("<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  expect_escape("a & b", "a &amp; b");
  expect_escape("say \"hi\"", "say &quot;hi&quot;");
  expect_escape("&amp;", "&amp;amp;"); /* already escaped text is escaped again */
  expect_escape("192.168.0.1", "192.168.0.1");
  expect_escape("fd00::cafe:1", "fd00::cafe:1");
  expect_escape("", "");
  fc_strbuf b;
  fc_strbuf_init(&b);
  fc_strbuf_escape(&b, NULL);
  assert_int_equal(b.len, 0);
  fc_strbuf_free(&b);
}

static void escape_invalid_text(void **state) {
  (void)state;
  /* Valid UTF-8 passes: micro sign, euro sign, an emoji (4 bytes). */
  expect_escape("\xc2\xb5 \xe2\x82\xac \xf0\x9f\x98\x80", "\xc2\xb5 \xe2\x82\xac \xf0\x9f\x98\x80");
  /* Tab, newline and carriage return are XML characters; other controls are not. */
  expect_escape("a\tb\nc\rd", "a\tb\nc\rd");
  expect_escape("a\x01"
                "b\x1f",
                "a" FFFD "b" FFFD);
  /* A stray continuation byte, 0xff, an overlong '/', a surrogate, a cut sequence at the end,
   * U+FFFF, a value above U+10FFFF. */
  expect_escape("\x80", FFFD);
  expect_escape("x\xffy", "x" FFFD "y");
  expect_escape("\xc0\xaf", FFFD FFFD);
  expect_escape("\xed\xa0\x80", FFFD FFFD FFFD);
  expect_escape("ab\xe2\x82", "ab" FFFD FFFD);
  expect_escape("\xef\xbf\xbf", FFFD);
  expect_escape("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
  /* A cut sequence before markup does not swallow the markup. */
  expect_escape("\xe2<", FFFD "&lt;");
}

static void truncate_at_code_points(void **state) {
  (void)state;
  char out[64];
  assert_false(fc_svg_truncate("abc", 4, out, sizeof out));
  assert_string_equal(out, "abc");
  assert_false(fc_svg_truncate("abcd", 4, out, sizeof out));
  assert_string_equal(out, "abcd");
  assert_true(fc_svg_truncate("abcdef", 4, out, sizeof out));
  assert_string_equal(out, "abc\xe2\x80\xa6");
  /* Two-byte characters are never split. */
  assert_true(fc_svg_truncate("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, out, sizeof out));
  assert_string_equal(out, "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
  /* A small output buffer cuts at a character boundary too. */
  char small[6];
  assert_true(fc_svg_truncate("\xc3\xa9\xc3\xa9\xc3\xa9", 10, small, sizeof small));
  assert_string_equal(small, "\xc3\xa9\xe2\x80\xa6");
  char tiny[3];
  assert_true(fc_svg_truncate("\xc3\xa9\xc3\xa9", 10, tiny, sizeof tiny));
  assert_string_equal(tiny, "\xc3\xa9");
  assert_false(fc_svg_truncate(NULL, 3, out, sizeof out));
  assert_string_equal(out, "");
}

static void strbuf_grows(void **state) {
  (void)state;
  fc_strbuf b;
  fc_strbuf_init(&b);
  char big[1000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  for (int i = 0; i < 20; i++)
    fc_strbuf_printf(&b, "%d:%s;", i, big); /* longer than the printf fast path */
  assert_int_equal(fc_strbuf_status(&b), FC_OK);
  assert_int_equal(b.len, 20 * (sizeof big - 1 + 2) + 10 + 10 * 2);
  assert_int_equal(strlen(b.data), b.len);
  assert_memory_equal(b.data, "0:xxx", 5);
  assert_non_null(strstr(b.data, ";19:xxx"));
  fc_strbuf_free(&b);
  assert_null(b.data);
}

static void expect_coord(double v, const char *want) {
  char buf[40];
  fc_svg_fmt_coord(v, buf, sizeof buf);
  assert_string_equal(buf, want);
}

static void expect_tick(double v, double step, const char *want) {
  char buf[40];
  fc_svg_fmt_tick(v, step, buf, sizeof buf);
  assert_string_equal(buf, want);
}

static void expect_si(double v, const char *want) {
  char buf[40];
  fc_svg_fmt_si(v, buf, sizeof buf);
  assert_string_equal(buf, want);
}

static void number_formats(void **state) {
  (void)state;
  expect_coord(12.3456, "12.35");
  expect_coord(1.0, "1");
  expect_coord(1.5, "1.5");
  expect_coord(100, "100");
  expect_coord(-1.234, "-1.23");
  expect_coord(-0.001, "0");
  expect_coord(-0.0, "0");
  expect_coord(NAN, "0");
  expect_coord(INFINITY, "0");
  expect_coord(1e12, "1000000000");

  expect_tick(0.1 + 0.2, 0.1, "0.3");
  expect_tick(0.05 * 3, 0.05, "0.15");
  expect_tick(0.25, 0.25, "0.25");
  expect_tick(-1e-17, 0.2, "0.0"); /* as many decimals as the other ticks */
  expect_tick(-0.0, 1, "0");
  expect_tick(-0.2, 0.1, "-0.2");
  expect_tick(250, 50, "250");
  expect_tick(5000, 1000, "5000");
  expect_tick(10000, 2000, "10k");
  expect_tick(20000, 5000, "20k");
  expect_tick(1500000, 500000, "1.5M");
  expect_tick(2e9, 1e9, "2G");
  expect_tick(0, 5000, "0");

  expect_si(0, "0");
  expect_si(1, "1");
  expect_si(10, "10");
  expect_si(1000, "1k");
  expect_si(123456, "123k");
  expect_si(2.5e6, "2.5M");
  expect_si(1e9, "1G");
  expect_si(999.7, "1k");
  expect_si(0.1, "100m");
  expect_si(0.01, "10m");
  expect_si(1e-6, "1\xc2\xb5");
  expect_si(-2000, "-2k");
}

/* The tick properties every linear choice must have. */
static void check_linear(double lo, double hi, int max) {
  double t[FC_SVG_MAX_TICKS], step;
  int n = fc_svg_ticks_linear(lo, hi, max, t, &step);
  assert_true(n >= 1 && n <= max);
  assert_true(step > 0);
  /* A 1-2-5 step. */
  double m = step / pow(10, floor(log10(step) + 1e-9));
  assert_true(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9);
  for (int i = 0; i < n; i++) {
    assert_true(t[i] >= lo - 1e-9 * step && t[i] <= hi + 1e-9 * step);
    assert_true(fabs(t[i] / step - nearbyint(t[i] / step)) < 1e-6);
    if (i) assert_true(fabs(t[i] - t[i - 1] - step) < 1e-9 * step);
  }
  /* The next smaller 1-2-5 step gives too many ticks. */
  double smaller = fabs(m - 1) < 1e-9 ? step / 2 : fabs(m - 2) < 1e-9 ? step / 2 : step * 2 / 5;
  int count = (int)(floor(hi / smaller + 1e-9) - ceil(lo / smaller - 1e-9)) + 1;
  assert_true(count > max);
}

static void ticks_linear(void **state) {
  (void)state;
  double t[FC_SVG_MAX_TICKS], step;
  int n = fc_svg_ticks_linear(0, 1, 6, t, &step);
  assert_int_equal(n, 6);
  assert_near(step, 0.2, 1e-15);
  char buf[32];
  fc_svg_fmt_tick(t[3], step, buf, sizeof buf);
  assert_string_equal(buf, "0.6");
  n = fc_svg_ticks_linear(0, 1, 5, t, &step);
  assert_int_equal(n, 3); /* 0, 0.5, 1: 0.25 is not a 1-2-5 step */
  assert_near(step, 0.5, 0);
  n = fc_svg_ticks_linear(0, 48, 10, t, &step);
  assert_int_equal(n, 10);
  assert_near(step, 5, 0);
  n = fc_svg_ticks_linear(-0.03, 0.17, 8, t, &step);
  assert_near(step, 0.05, 1e-15);
  assert_int_equal(n, 4);
  assert_near(t[0], 0, 0);
  n = fc_svg_ticks_linear(3, 3, 5, t, &step);
  assert_int_equal(n, 1);
  assert_near(t[0], 3, 0);
  n = fc_svg_ticks_linear(1, 0, 6, t, &step); /* reversed range */
  assert_int_equal(n, 6);
  /* Properties over ranges of every scale and sign. */
  uint64_t x = 12345;
  for (int k = 0; k < 2000; k++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    double a = (double)(x >> 11) / 9007199254740992.0;
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    double w = (double)(x >> 11) / 9007199254740992.0;
    double scale = pow(10, (int)(k % 15) - 7);
    double lo = (a - 0.5) * scale * 3, hi = lo + (w + 1e-3) * scale;
    check_linear(lo, hi, 2 + k % 10);
  }
}

static void ticks_steps_and_nice_range(void **state) {
  (void)state;
  static const double hours[] = {1, 2, 3, 6, 12, 24, 48, 72, 168, 336};
  double t[FC_SVG_MAX_TICKS], step;
  int n = fc_svg_ticks_steps(0, 48, 10, hours, 10, t, &step);
  assert_near(step, 6, 0);
  assert_int_equal(n, 9);
  assert_near(t[8], 48, 0);
  n = fc_svg_ticks_steps(0, 168, 8, hours, 10, t, &step);
  assert_near(step, 24, 0);
  assert_int_equal(n, 8);
  n = fc_svg_ticks_steps(0, 4, 16, hours, 10, t, &step);
  assert_near(step, 1, 0);
  assert_int_equal(n, 5);
  /* Beyond the list: the last step times 2, 5, 10, ... */
  n = fc_svg_ticks_steps(0, 5000, 8, hours, 10, t, &step);
  assert_near(step, 672, 0);
  assert_int_equal(n, 8);

  double lo = -0.03, hi = 1;
  fc_svg_nice_range(&lo, &hi, 8);
  assert_near(lo, -0.2, 1e-12);
  assert_near(hi, 1, 1e-12);
  lo = 0, hi = 0.84;
  fc_svg_nice_range(&lo, &hi, 6);
  assert_near(lo, 0, 0);
  assert_near(hi, 1, 1e-12);
  lo = 0, hi = 0;
  fc_svg_nice_range(&lo, &hi, 5);
  assert_true(lo == 0 && hi == 1);
  lo = 0, hi = 0.0043;
  fc_svg_nice_range(&lo, &hi, 8);
  assert_near(hi, 0.005, 1e-15);
}

static void ticks_log(void **state) {
  (void)state;
  double t[FC_SVG_MAX_TICKS];
  int n = fc_svg_ticks_log(10, 1e7, 10, t);
  assert_int_equal(n, 7);
  for (int i = 0; i < n; i++)
    assert_near(t[i], pow(10, i + 1), 1e-9 * t[i]);
  /* Ten decades and at most five ticks: every second decade. */
  n = fc_svg_ticks_log(1e-6, 1e3, 5, t);
  assert_int_equal(n, 5);
  assert_near(t[0], 1e-6, 1e-18);
  assert_near(t[4], 100, 1e-12);
  /* Less than two decades: 1, 2, 5 times powers of ten. */
  n = fc_svg_ticks_log(3, 40, 6, t);
  assert_int_equal(n, 3);
  assert_near(t[0], 5, 0);
  assert_near(t[1], 10, 0);
  assert_near(t[2], 20, 0);
  /* Not even two of those: linear ticks. */
  n = fc_svg_ticks_log(3, 4, 5, t);
  assert_true(n >= 2);
  assert_true(t[0] >= 3 && t[n - 1] <= 4);
}

static void map_values(void **state) {
  (void)state;
  fc_svg_axis lin = {0, 10, false, 100, 200, NULL, 0};
  assert_near(fc_svg_map(&lin, 5), 150, 1e-12);
  assert_near(fc_svg_map(&lin, -5), 100, 0); /* clamped */
  assert_near(fc_svg_map(&lin, 50), 200, 0);
  fc_svg_axis y = {0, 1, false, 300, 100, NULL, 0}; /* y grows upwards */
  assert_near(fc_svg_map(&y, 0.25), 250, 1e-12);
  fc_svg_axis lg = {1, 1000, true, 0, 300, NULL, 0};
  assert_near(fc_svg_map(&lg, 10), 100, 1e-9);
  assert_near(fc_svg_map(&lg, 100), 200, 1e-9);
  assert_near(fc_svg_map(&lg, 0), 0, 0); /* the left edge, not -inf */
  assert_near(fc_svg_map(&lg, -3), 0, 0);
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

static void series_and_band(void **state) {
  (void)state;
  fc_strbuf b;
  fc_strbuf_init(&b);
  fc_svg_axis x = {0, 4, false, 0, 400, NULL, 0}, y = {0, 2, false, 200, 0, NULL, 0};
  double xs[5] = {0, 1, 2, 3, 4}, ys[5] = {0, 1, NAN, 1, 2};
  fc_svg_series(&b, &x, &y, xs, ys, 5, false, "s1");
  assert_int_equal(fc_strbuf_status(&b), FC_OK);
  assert_string_equal(b.data, "<path class=\"ln s1\" d=\"M0 200L100 100M300 100L400 0\"/>\n");
  fc_strbuf_free(&b);
  /* Steps: horizontal, then vertical. */
  fc_strbuf_init(&b);
  double ys2[3] = {0, 1, 2};
  fc_svg_series(&b, &x, &y, xs, ys2, 3, true, NULL);
  assert_string_equal(b.data, "<path class=\"ln\" d=\"M0 200H100V100H200V0\"/>\n");
  fc_strbuf_free(&b);
  /* On a log axis a value <= 0 cannot be placed: it breaks the line. */
  fc_strbuf_init(&b);
  fc_svg_axis lx = {1, 100, true, 0, 200, NULL, 0};
  double lxs[4] = {1, 0, 10, 100}, lys[4] = {0, 1, 1, 2};
  fc_svg_series(&b, &lx, &y, lxs, lys, 4, false, NULL);
  assert_string_equal(b.data, "<path class=\"ln\" d=\"M0 200M100 100L200 0\"/>\n");
  fc_strbuf_free(&b);
  /* Nothing drawable: nothing written. */
  fc_strbuf_init(&b);
  double nan3[3] = {NAN, NAN, NAN};
  fc_svg_series(&b, &x, &y, xs, nan3, 3, false, "s0");
  assert_int_equal(b.len, 0);
  /* A band: along the upper edge, back along the lower one, closed. */
  double lo[3] = {-1, -1, -1}, hi[3] = {1, 1, 1};
  fc_svg_axis yb = {-1, 1, false, 200, 0, NULL, 0};
  fc_svg_band(&b, &x, &yb, xs, lo, hi, 3, NULL);
  assert_string_equal(b.data,
                      "<path class=\"band\" d=\"M0 0L100 0L200 0L200 200L100 200L0 200Z\"/>\n");
  fc_strbuf_free(&b);
}

static void chart_parts(void **state) {
  (void)state;
  fc_strbuf b;
  fc_strbuf_init(&b);
  fc_svg_begin(&b, 400, 300, "fwd_bytes <&> \"ECDF\"");
  fc_svg_axis x = {10, 1e6, true, 60, 380, NULL, 0}, y = {0, 1, false, 260, 60, NULL, 0};
  fc_svg_axes(&b, &x, &y, "bytes (log scale)", "share", 10, 6);
  const char *names[3] = {"real", "synthetic <gen>", "holdout"}, *cls[3] = {"s0", "s1", "s2"};
  double end = fc_svg_legend(&b, 10, 50, names, cls, 3);
  fc_svg_text(&b, 5, 5, "middle", "title", "it's \"quoted\" & <b>");
  fc_svg_end(&b);
  assert_int_equal(fc_strbuf_status(&b), FC_OK);
  const char *s = b.data;
  assert_int_equal(strncmp(s, "<svg width=\"400\" height=\"300\" viewBox=\"0 0 400 300\"", 51), 0);
  assert_non_null(strstr(s, "<title>fwd_bytes &lt;&amp;&gt; &quot;ECDF&quot;</title>"));
  assert_non_null(strstr(s, "aria-label=\"fwd_bytes &lt;&amp;&gt; &quot;ECDF&quot;\""));
  /* Decade ticks 10 .. 1M on x, 0 .. 1 by 0.2 on y. */
  static const char *const labels[] = {">10<",  ">100<", ">1k<",  ">10k<", ">100k<", ">1M<",
                                       ">0.0<", ">0.2<", ">0.4<", ">0.6<", ">0.8<",  ">1.0<"};
  for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
    assert_non_null(strstr(s, labels[i]));
  assert_int_equal(count(s, "class=\"grid\""), 6 + 6);
  assert_non_null(strstr(s, ">bytes (log scale)</text>"));
  assert_non_null(strstr(s, "rotate(-90)"));
  assert_non_null(strstr(s, ">synthetic &lt;gen&gt;</text>"));
  assert_non_null(strstr(s, ">it&#39;s &quot;quoted&quot; &amp; &lt;b&gt;</text>"));
  assert_int_equal(count(s, "<rect"), 3);
  assert_true(end > 10 + 3 * 24);
  assert_null(strstr(s, "-0\""));
  assert_null(strstr(s, "http"));
  assert_int_equal(count(s, "<svg"), 1);
  assert_true(strlen(s) > 20 && strcmp(s + strlen(s) - 7, "</svg>\n") == 0);
  fc_strbuf_free(&b);
  /* A category axis: no ticks on y. */
  fc_strbuf_init(&b);
  fc_svg_axes(&b, &y, &y, NULL, NULL, 6, 0);
  assert_int_equal(count(b.data, "class=\"grid\""), 6);
  fc_strbuf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(escape_markup_and_quotes),
      cmocka_unit_test(escape_invalid_text),
      cmocka_unit_test(truncate_at_code_points),
      cmocka_unit_test(strbuf_grows),
      cmocka_unit_test(number_formats),
      cmocka_unit_test(ticks_linear),
      cmocka_unit_test(ticks_steps_and_nice_range),
      cmocka_unit_test(ticks_log),
      cmocka_unit_test(map_values),
      cmocka_unit_test(series_and_band),
      cmocka_unit_test(chart_parts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
