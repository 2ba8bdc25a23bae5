/* The eval report: the page shows the metric values it is given (rounded as the text output
 * rounds them), one <svg> per chart, nothing external (no URL, no script), escaped paths,
 * command line and labels, distributions that match the tables, the ACF curves the metric was
 * computed from, and an atomic write into the report directory. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/eval.h"
#include "flowchronicle/log.h"
#include "flowchronicle/report.h"
#include "testutil.h"

static fc_flow mkflow(uint8_t proto, const char *src, const char *dst, uint16_t dp, uint64_t fb,
                      uint64_t bb, int64_t ts_s, int64_t dur_us) {
  fc_flow f;
  memset(&f, 0, sizeof f);
  assert_true(fc_ip_parse(src, strlen(src), &f.src_ip));
  assert_true(fc_ip_parse(dst, strlen(dst), &f.dst_ip));
  f.proto = proto;
  f.src_port = 40000;
  f.dst_port = dp;
  f.flags = proto == FC_PROTO_TCP ? FC_TCP_SYN | FC_TCP_ACK : 0;
  f.fwd_pkts = 1 + fb / 500;
  f.fwd_bytes = fb;
  f.bwd_pkts = bb ? 1 + bb / 500 : 0;
  f.bwd_bytes = bb;
  f.ts_us = ts_s * 1000000;
  f.duration_us = dur_us;
  return f;
}

/* 400 flows over about two hours: tcp_per_4 of every 4 flows are TCP, twelve sources, one IPv6
 * destination among the IPv4 ones, bytes with a daily-ish rhythm so the ACF is defined. */
static void make_table(fc_flow_table *t, int tcp_per_4, int64_t t0) {
  assert_int_equal(fc_table_init(t), FC_OK);
  for (int i = 0; i < 400; i++) {
    char src[32];
    snprintf(src, sizeof src, "192.168.1.%d", 10 + i % 12);
    const char *dst = i % 5 == 0 ? "fd00::cafe:1" : i % 5 == 1 ? "10.0.0.53" : "93.184.216.34";
    bool tcp = i % 4 < tcp_per_4;
    uint64_t fb = 60 + (uint64_t)(i % 37) * 40 + (uint64_t)(200 * (1 + sin(i / 15.0)));
    fc_flow f = mkflow(tcp ? FC_PROTO_TCP : FC_PROTO_UDP, src, dst, tcp ? 443 : 53, fb,
                       i % 3 ? fb * 2 : 0, t0 + i * 18 + (i % 7), i % 6 ? 1000 * (i % 50) : 0);
    assert_int_equal(fc_table_append(t, &f), FC_OK);
  }
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* The text of the chart whose title starts with `title`, up to its </svg> (malloc'ed). */
static char *chart(const char *html, const char *title) {
  char key[128];
  snprintf(key, sizeof key, "aria-label=\"%s", title);
  const char *a = strstr(html, key);
  assert_non_null(a);
  const char *z = strstr(a, "</svg>");
  assert_non_null(z);
  return strndup(a, (size_t)(z - a));
}

typedef struct fixture {
  fc_flow_table real, syn, hold;
  fc_eval_options o;
  fc_eval_results res;
} fixture;

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof *fx);
  make_table(&fx->real, 3, 1709510400); /* 2024-03-04 00:00 UTC */
  make_table(&fx->syn, 2, 1709514000);
  make_table(&fx->hold, 3, 1709510400 + 86400);
  fc_eval_options_default(&fx->o);
  fx->o.runs = 2;
  fx->o.sample = 300;
  fx->o.md_n = 100;
  fx->o.acf_max_lag = 100;
  if (fc_eval_run(&fx->real, &fx->syn, &fx->hold, &fx->o, &fx->res) != FC_OK) return -1;
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  fc_eval_results_free(&fx->res);
  fc_table_free(&fx->real);
  fc_table_free(&fx->syn);
  fc_table_free(&fx->hold);
  free(fx);
  return 0;
}

static fc_eval_report_input input_of(fixture *fx, bool holdout) {
  fc_eval_report_input in = {&fx->res,
                             &fx->o,
                             {&fx->real, &fx->syn, holdout ? &fx->hold : NULL},
                             {"train.csv", "gen.csv", holdout ? "test.csv" : NULL},
                             {"flows", "flows", holdout ? "flows" : NULL},
                             "flowchronicle eval --real train.csv"};
  return in;
}

static char *page(const fc_eval_report_input *in) {
  fc_strbuf b;
  fc_strbuf_init(&b);
  assert_int_equal(fc_eval_report_html(in, &b), FC_OK);
  return b.data;
}

static void shows_given_metric_values(void **state) {
  fixture *fx = *state;
  fc_eval_results *r = &fx->res;
  r->synthetic.metric[FC_EVAL_JSD] = (fc_eval_stat){0.123456, 0.000789, 2};
  r->reference.metric[FC_EVAL_PCD] = (fc_eval_stat){1.5, 0.25, 2};
  r->synthetic.metric[FC_EVAL_EMD] = (fc_eval_stat){1.5e-5, 3e-6, 2};
  r->synthetic.metric[FC_EVAL_MD] = (fc_eval_stat){NAN, NAN, 0};
  r->synthetic.jsd_col[FC_EVAL_DST_PORT] = (fc_eval_stat){0.0777, 0.0011, 2};
  r->synthetic.dkc_rule[2] = (fc_eval_stat){0.0421, 0.001, 2};
  fc_eval_report_input in = input_of(fx, true);
  char *html = page(&in);
  assert_non_null(strstr(html, ">0.1235 \xc2\xb1 0.0008</td>"));
  assert_non_null(strstr(html, ">1.5000 \xc2\xb1 0.2500</td>"));
  assert_non_null(strstr(html, ">1.500e-05 \xc2\xb1 3.0e-06</td>"));
  assert_non_null(strstr(html, "title=\"mean 0.123456, sd 0.000789, 2 runs\""));
  assert_non_null(strstr(html, ">n/a</td>"));
  assert_non_null(strstr(html, "reference: holdout (mean"));
  /* Every metric has its row, with its direction. */
  for (int m = 0; m < FC_EVAL_NMETRICS; m++) {
    char cell[96];
    snprintf(cell, sizeof cell, "<td><code>%s</code></td>", fc_eval_metric_key(m));
    assert_int_equal(count(html, cell), 1);
  }
  assert_int_equal(count(html, "\xe2\x86\x91 higher"), 2);
  assert_int_equal(count(html, "\xe2\x89\x88 reference"), 1);
  /* Per-column values in the chart subtitles, per-rule values in the DKC tooltips. */
  char *port = chart(html, "dst_port");
  assert_non_null(strstr(port, "JSD: synthetic 0.0777 \xc2\xb1 0.0011 | reference "));
  free(port);
  assert_non_null(strstr(html, "<title>rule 3, synthetic: 0.0421 \xc2\xb1 0.001</title>"));
  free(html);
}

static void one_svg_per_chart_and_nothing_external(void **state) {
  fixture *fx = *state;
  for (int holdout = 0; holdout < 2; holdout++) {
    fc_eval_results saved = fx->res;
    if (!holdout) fx->res.has_reference = false;
    fc_eval_report_input in = input_of(fx, holdout);
    char *html = page(&in);
    fx->res = saved;
    assert_int_equal(count(html, "<svg"), FC_EVAL_REPORT_CHARTS);
    assert_int_equal(count(html, "</svg>"), FC_EVAL_REPORT_CHARTS);
    assert_int_equal(strncmp(html, "<!DOCTYPE html>", 15), 0);
    assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
    assert_non_null(strstr(html, "</html>\n"));
    static const char *const banned[] = {"http://", "https://", "<script", "src=", "url(",
                                         "@import", "<link",    "<iframe", "href="};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
      assert_null(strstr(html, banned[i]));
    /* Every chart's parts: the five ACF plots have the significance band. */
    assert_int_equal(count(html, "<path class=\"band\""), 5);
    assert_true(count(html, "class=\"axes\"") == FC_EVAL_REPORT_CHARTS);
    if (!holdout) {
      assert_null(strstr(html, "reference: holdout"));
      assert_null(strstr(html, ">holdout</text>"));
    } else {
      assert_non_null(strstr(html, ">holdout</text>"));
    }
    free(html);
  }
  /* A holdout table without a reference row (or the reverse) is refused. */
  fc_eval_report_input in = input_of(fx, false);
  fc_strbuf b;
  fc_strbuf_init(&b);
  assert_int_equal(fc_eval_report_html(&in, &b), FC_ERR_ARG);
  fc_strbuf_free(&b);
}

static void escapes_outside_strings(void **state) {
  fixture *fx = *state;
  fc_eval_report_input in = input_of(fx, true);
  in.path[0] = "/data/<script>alert('x')</script>&\"q\".csv";
  in.command_line = "flowchronicle eval --real '<img onerror=x>' \x01";
  char *html = page(&in);
  assert_null(strstr(html, "<script"));
  assert_null(strstr(html, "<img"));
  assert_non_null(
      strstr(html, "/data/&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;q&quot;.csv"));
  assert_non_null(strstr(html, "--real &#39;&lt;img onerror=x&gt;&#39; \xef\xbf\xbd"));
  /* Rule names contain '>', which is escaped too. */
  assert_non_null(strstr(html, "15  forward packets x 42 &gt; forward bytes"));
  for (int k = 0; k < FC_DKC_RULES; k++) {
    char num[32];
    snprintf(num, sizeof num, "class=\"cat\">%d  ", k + 1);
    assert_int_equal(count(html, num), 1);
  }
  free(html);
}

static void distributions_match_the_tables(void **state) {
  fixture *fx = *state;
  fc_eval_report_input in = input_of(fx, true);
  char *html = page(&in);
  /* proto: real and holdout 3 TCP in 4, synthetic 2 in 4; nothing else. */
  char *proto = chart(html, "proto");
  assert_non_null(strstr(proto, ">TCP</text>"));
  assert_non_null(strstr(proto, ">UDP</text>"));
  assert_non_null(strstr(proto, "<title>real: 75.0 %</title>"));
  assert_non_null(strstr(proto, "<title>synthetic: 50.0 %</title>"));
  assert_non_null(strstr(proto, "<title>holdout: 25.0 %</title>"));
  assert_int_equal(count(proto, "<title>real: 0.0 %</title>"), 1); /* "other" */
  assert_non_null(strstr(proto, "distinct values: real 2, synthetic 2, holdout 2"));
  free(proto);
  /* src_ip: twelve sources, ten shown, the other two (2 x 33 of 400 flows) in "other". */
  char *src = chart(html, "src_ip");
  assert_non_null(strstr(src, "distinct values: real 12,"));
  assert_int_equal(count(src, "class=\"cat\">192.168.1."), 10);
  assert_non_null(strstr(src, "<title>real: 16.5 %</title>"));
  free(src);
  char *dst = chart(html, "dst_ip");
  assert_non_null(strstr(dst, ">fd00::cafe:1</text>"));
  assert_non_null(strstr(dst, "<title>real: 20.0 %</title>"));
  free(dst);
  /* duration: the zero durations are the ECDF's left edge. */
  int zeros = 0;
  for (size_t i = 0; i < fx->real.n; i++)
    zeros += fx->real.duration_us[i] == 0;
  assert_true(zeros > 60);
  char note[96];
  snprintf(note, sizeof note, "values \xe2\x89\xa4 0 (left edge): real %.1f %%,",
           100 * ((double)zeros / 400));
  char *dur = chart(html, "duration");
  assert_non_null(strstr(dur, note));
  assert_int_equal(count(dur, "<path class=\"ln s"), 3);
  free(dur);
  /* Flows per hour: each input from its first hour. */
  char *hours = chart(html, "Flows per hour");
  assert_non_null(strstr(hours, "real (from 2024-03-04 00:00 UTC)"));
  assert_non_null(strstr(hours, "synthetic (from 2024-03-04 01:00 UTC)"));
  assert_non_null(strstr(hours, "holdout (from 2024-03-05 00:00 UTC)"));
  free(hours);
  free(html);
}

/* The curves the report draws are the ones the metric summed. */
static void acf_curves_reproduce_the_metric(void **state) {
  fixture *fx = *state;
  for (int row = 0; row < 2; row++)
    for (int c = 0; c < FC_EVAL_NNUM; c++) {
      const fc_eval_acf_curve *cv =
          row ? &fx->res.reference.acf_curve[c] : &fx->res.synthetic.acf_curve[c];
      assert_non_null(cv->real);
      assert_true(cv->nlags == 100);
      assert_true(cv->real[0] == 1 && cv->band[0] == 0);
    }
  /* Per-second series given directly: one flow per second, so the series are the values. */
  enum { N = 300 };
  int64_t tr[N], tg[N];
  double vr[N], vg[N];
  for (int i = 0; i < N; i++) {
    tr[i] = (int64_t)i * 1000000;
    tg[i] = (int64_t)(i + 7) * 1000000 + 999999; /* another start, inside the second */
    vr[i] = 5 + 3 * sin(i / 4.0) + (i % 3);
    vg[i] = 5 + 3 * sin(i / 6.0) + (i % 5);
  }
  /* The generated series is 40 s long: no ACF from lag 40 on (the metric counts 0 there). */
  double d1, d2, acf[61];
  fc_eval_acf_curve cv;
  assert_int_equal(fc_eval_acf_diff(tr, vr, N, tg, vg, 40, 60, &d1), FC_OK);
  assert_int_equal(fc_eval_acf_diff_curve(tr, vr, N, tg, vg, 40, 60, &d2, &cv), FC_OK);
  assert_true(d1 == d2);
  assert_int_equal(cv.nlags, 60);
  assert_int_equal(cv.n_real, N);
  assert_int_equal(cv.n_gen, 40);
  assert_false(isnan(cv.gen[39]));
  assert_true(isnan(cv.gen[40]) && isnan(cv.gen[60]));
  assert_int_equal(fc_eval_acf(vr, N, 60, acf), FC_OK);
  double s = 0;
  for (int k = 0; k <= 60; k++) {
    assert_true(fabs(cv.real[k] - acf[k]) < 1e-12);
    double gen = isnan(cv.gen[k]) ? 0 : cv.gen[k];
    if (fabs(cv.real[k]) >= cv.band[k]) s += fabs(cv.real[k] - gen);
    if (k >= 2) assert_true(cv.band[k] >= cv.band[k - 1]); /* Bartlett's band widens */
  }
  assert_true(fabs(s / N - d2) < 1e-12);
  assert_true(fabs(cv.band[1] - 1.959963984540054 / sqrt(N)) < 1e-12);
  fc_eval_acf_curve_free(&cv);
  assert_null(cv.real);
  /* Too short: no curve. */
  assert_int_equal(fc_eval_acf_diff_curve(tr, vr, 1, tg, vg, N, 60, &d2, &cv), FC_OK);
  assert_true(isnan(d2));
  assert_null(cv.real);
}

static void writes_the_directory_atomically(void **state) {
  fixture *fx = *state;
  fc_eval_report_input in = input_of(fx, true);
  char *tmp = fct_tmpdir();
  char *dir = fct_join(tmp, "report");
  char *file = fct_join(dir, "index.html");
  assert_int_equal(fc_eval_report_write(dir, &in), FC_OK);
  size_t len;
  char *got = fct_slurp(file, &len);
  char *want = page(&in);
  assert_non_null(got);
  assert_int_equal(len, strlen(want));
  assert_string_equal(got, want);
  free(got);
  /* Again into the existing directory: replaced; no temporary file left. */
  fx->res.synthetic.metric[FC_EVAL_CMD] = (fc_eval_stat){0.4321, 0.0012, 2};
  assert_int_equal(fc_eval_report_write(dir, &in), FC_OK);
  got = fct_slurp(file, &len);
  assert_non_null(strstr(got, ">0.4321 \xc2\xb1 0.0012</td>"));
  free(got);
  DIR *d = opendir(dir);
  int entries = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      assert_string_equal(e->d_name, "index.html");
      entries++;
    }
  closedir(d);
  assert_int_equal(entries, 1);
  /* A path that is a file, and a missing parent: I/O errors naming the path. */
  char *plain = fct_join(tmp, "plain");
  assert_true(fct_write(plain, "x"));
  fc_error_clear();
  assert_int_equal(fc_eval_report_write(plain, &in), FC_ERR_IO);
  assert_non_null(strstr(fc_error_message(), plain));
  char *deep = fct_join(tmp, "no/such/dir");
  assert_int_equal(fc_eval_report_write(deep, &in), FC_ERR_IO);
  assert_non_null(strstr(fc_error_message(), deep));
  assert_int_equal(fc_eval_report_write("", &in), FC_ERR_ARG);
  free(want);
  free(plain);
  free(deep);
  free(file);
  free(dir);
  fct_rmtree(tmp);
  free(tmp);
}

int main(void) {
  fc_log_set_level(FC_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shows_given_metric_values),
      cmocka_unit_test(one_svg_per_chart_and_nothing_external),
      cmocka_unit_test(escapes_outside_strings),
      cmocka_unit_test(distributions_match_the_tables),
      cmocka_unit_test(acf_curves_reproduce_the_metric),
      cmocka_unit_test(writes_the_directory_atomically),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
