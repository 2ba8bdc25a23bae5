/* flowchronicle eval: the quality metrics of synthetic flows against the real training flows
 * (and a held-out real set as the reference row), printed as an aligned table or as one JSON
 * document. Inputs are flow files in any ingest format (read with fc_ingest, so unidirectional
 * exports get the same session rule as the training data) or HDF5 datasets (.h5).
 *
 * The metrics run in one process with OpenMP threads; under mpiexec rank 0 does the work
 * (reading .h5 files with MPI_COMM_SELF) and the other ranks return at once. */
#include <jansson.h>
#include <math.h>
#include <mpi.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowchronicle/eval.h"
#include "flowchronicle/ingest.h"
#include "flowchronicle/log.h"
#include "flowchronicle/report.h"
#include "flowchronicle/store.h"
#include "flowchronicle/version.h"

static void usage(FILE *out) {
  fprintf(out,
          "Usage: flowchronicle eval --real TRAIN --synthetic GEN [--holdout TEST] [options]\n"
          "\n"
          "Quality metrics of synthetic flows (the FlowChronicle paper's Table 2): each run draws\n"
          "a random sample of flows from every input (all flows when an input is smaller) and a\n"
          "contiguous time window for the temporal metrics; the table shows mean +- standard\n"
          "deviation over the runs. With --holdout, the held-out real flows are also scored in\n"
          "place of the synthetic ones: the reference column. Definitions: docs/eval.md.\n"
          "\n"
          "Inputs (flow files in --format, or HDF5 datasets ending in .h5):\n"
          "  --real PATH         real training flows\n"
          "  --synthetic PATH    generated flows\n"
          "  --holdout PATH      held-out real flows (enables MD, the prediction difference\n"
          "                      and the reference column)\n"
          "  --format NAME       format of the flow-file inputs: flows (default), cidds,\n"
          "                      nfdump, ugr16, argus, zeek\n"
          "  --real-format NAME, --synthetic-format NAME, --holdout-format NAME\n"
          "                      the format of one input, overriding --format\n"
          "\n"
          "Protocol:\n"
          "  --runs N            repetitions (default 20)\n"
          "  --sample N          flows per input and run (default 10000)\n"
          "  --seed S            random seed (default 1); results do not depend on threads\n"
          "  --internal LIST     comma-separated CIDR list of the site's own addresses for the\n"
          "                      domain rules (default %s)\n"
          "  --acf-max-lag S     largest ACF lag in seconds (default 1000)\n"
          "\n"
          "Output:\n"
          "  --json              one JSON document: options, inputs, every metric's mean, sd\n"
          "                      and per-run values, per-column and per-rule values\n"
          "  --report DIR        also write DIR/index.html: one self-contained page with the\n"
          "                      metric table and charts (distributions, flows per hour, ACF\n"
          "                      curves, domain rules); DIR is created when missing\n"
          "  -h, --help          this help\n"
          "\n"
          "Arrows: higher is better (up), lower is better (down); MD is best close to the\n"
          "reference. Under mpiexec only rank 0 works. OMP_NUM_THREADS sets the threads.\n",
          FC_EVAL_DEFAULT_INTERNAL);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

fc_status fci_eval_load(const char *path, fc_format fmt, fc_flow_table *out) {
  if (ends_with(path, ".h5") || ends_with(path, ".hdf5")) {
    fc_dataset_meta meta;
    FC_CALL(fc_dataset_read_meta(path, MPI_COMM_SELF, &meta));
    fc_table_free(out); /* fc_dataset_read sets the table up itself */
    FC_CALL(fc_dataset_read(path, MPI_COMM_SELF, 0, meta.n_rows, &meta, out, NULL, NULL));
    return FC_OK;
  }
  fc_ingest_options o;
  fc_ingest_options_default(&o);
  o.format = fmt;
  fc_ingest_report rep;
  const char *paths[1] = {path};
  FC_CALL(fc_ingest(paths, 1, &o, out, &rep));
  return FC_OK;
}

/* ---------------------------------------------------------------- text output */

static const char *arrow(int dir) {
  return dir > 0   ? "\xe2\x86\x91"
         : dir < 0 ? "\xe2\x86\x93"
                   : "\xe2\x89\x88"
                     "ref";
}

/* "mean +- sd" in a fixed width; small values in exponent form so they stay readable. */
static void fmt_stat(const fc_eval_stat *s, char *buf, size_t cap) {
  if (s->n == 0 || isnan(s->mean)) {
    snprintf(buf, cap, "n/a");
    return;
  }
  double a = fabs(s->mean);
  if (a != 0 && (a < 1e-3 || a >= 1e5))
    snprintf(buf, cap, "%.3e \xc2\xb1 %.1e", s->mean, s->sd);
  else
    snprintf(buf, cap, "%.4f \xc2\xb1 %.4f", s->mean, s->sd);
}

/* Prints s left-aligned in width display columns (UTF-8: count code points). */
static void put_padded(const char *s, int width) {
  int cols = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    cols += (*p & 0xc0) != 0x80;
  fputs(s, stdout);
  for (; cols < width; cols++)
    putchar(' ');
}

static void print_table(const fc_eval_results *r, const fc_eval_options *o) {
  bool ref = r->has_reference;
  printf("flowchronicle eval: %d runs, seed %llu; flows per run: real %zu of %zu, synthetic %zu "
         "of %zu",
         r->runs, (unsigned long long)o->seed, r->sample_real, r->n_real, r->sample_synthetic,
         r->n_synthetic);
  if (ref) printf(", holdout %zu of %zu", r->sample_holdout, r->n_holdout);
  printf("\n\n");
  char buf[96];
  put_padded("metric", 24);
  put_padded("better", 8);
  put_padded("synthetic", 26);
  if (ref) fputs("reference (holdout)", stdout);
  putchar('\n');
  for (int m = 0; m < FC_EVAL_NMETRICS; m++) {
    put_padded(fc_eval_metric_label(m), 24);
    put_padded(arrow(fc_eval_metric_direction(m)), 8);
    fmt_stat(&r->synthetic.metric[m], buf, sizeof buf);
    put_padded(buf, 26);
    if (ref) {
      fmt_stat(&r->reference.metric[m], buf, sizeof buf);
      fputs(buf, stdout);
    }
    putchar('\n');
  }
  printf("\nDomain rules: share of flows breaking each rule\n");
  for (int k = 0; k < FC_DKC_RULES; k++) {
    char name[96];
    snprintf(name, sizeof name, "%2d %s", k + 1, fc_eval_dkc_rule_name(k));
    put_padded(name, 58);
    fmt_stat(&r->synthetic.dkc_rule[k], buf, sizeof buf);
    put_padded(buf, 26);
    if (ref) {
      fmt_stat(&r->reference.dkc_rule[k], buf, sizeof buf);
      fputs(buf, stdout);
    }
    putchar('\n');
  }
  printf("\nPer column (synthetic%s)\n", ref ? " | reference" : "");
  for (int c = 0; c < FC_EVAL_NCAT; c++) {
    char a[48], b[48];
    printf("  %-10s JSD ", fc_eval_cat_name(c));
    fmt_stat(&r->synthetic.jsd_col[c], a, sizeof a);
    fmt_stat(&r->synthetic.pred_col[c], b, sizeof b);
    put_padded(a, 22);
    printf(" prediction diff ");
    put_padded(b, 22);
    if (ref) {
      fmt_stat(&r->reference.jsd_col[c], a, sizeof a);
      fmt_stat(&r->reference.pred_col[c], b, sizeof b);
      printf(" | JSD %s  prediction diff %s", a, b);
    }
    putchar('\n');
  }
  for (int c = 0; c < FC_EVAL_NNUM; c++) {
    char a[48], b[48], d[48];
    fmt_stat(&r->synthetic.emd_col[c], a, sizeof a);
    fmt_stat(&r->synthetic.emd_w1_col[c], b, sizeof b);
    fmt_stat(&r->synthetic.acf_col[c], d, sizeof d);
    printf("  %-10s EMD %s  W1 %s  ACF diff %s", fc_eval_num_name(c), a, b, d);
    if (ref) {
      fmt_stat(&r->reference.emd_col[c], a, sizeof a);
      fmt_stat(&r->reference.emd_w1_col[c], b, sizeof b);
      fmt_stat(&r->reference.acf_col[c], d, sizeof d);
      printf(" | EMD %s  W1 %s  ACF diff %s", a, b, d);
    }
    putchar('\n');
  }
  printf("\nSite (from the real data): %zu internal ranges, %zu DNS servers, %zu web/mail "
         "services, %zu mDNS groups\n",
         r->site_ranges, r->site_dns, r->site_services, r->site_mdns);
  printf("Time: %.2f s, of which Density/Coverage %.2f s (%d exact k-NN computations, "
         "%d threads)\n",
         r->seconds, r->knn_seconds, r->knn_calls, omp_get_max_threads());
}

/* ---------------------------------------------------------------- JSON output */

static json_t *jnum(double x) {
  return isnan(x) ? json_null() : json_real(x);
}

static json_t *jstat(const fc_eval_stat *s) {
  json_t *o = json_object();
  json_object_set_new(o, "mean", jnum(s->mean));
  json_object_set_new(o, "sd", jnum(s->sd));
  json_object_set_new(o, "runs", json_integer(s->n));
  return o;
}

static json_t *jrow(const fc_eval_row *row, int runs) {
  json_t *o = json_object(), *metrics = json_object(), *rules = json_array();
  for (int m = 0; m < FC_EVAL_NMETRICS; m++) {
    json_t *s = jstat(&row->metric[m]);
    json_t *per = json_array();
    for (int r = 0; r < runs; r++)
      json_array_append_new(per, jnum(row->per_run[(size_t)r * FC_EVAL_NMETRICS + (size_t)m]));
    json_object_set_new(s, "per_run", per);
    json_object_set_new(metrics, fc_eval_metric_key(m), s);
  }
  json_object_set_new(o, "metrics", metrics);
  for (int k = 0; k < FC_DKC_RULES; k++) {
    json_t *s = jstat(&row->dkc_rule[k]);
    json_object_set_new(s, "rule", json_integer(k + 1));
    json_object_set_new(s, "name", json_string(fc_eval_dkc_rule_name(k)));
    json_array_append_new(rules, s);
  }
  json_object_set_new(o, "dkc_rules", rules);
  json_t *cols = json_object();
  const struct {
    const char *key;
    const fc_eval_stat *v;
    bool cat;
  } per_col[] = {{"jsd", row->jsd_col, true},
                 {"prediction_diff", row->pred_col, true},
                 {"emd", row->emd_col, false},
                 {"emd_w1", row->emd_w1_col, false},
                 {"acf_diff", row->acf_col, false}};
  for (size_t i = 0; i < sizeof per_col / sizeof per_col[0]; i++) {
    json_t *c = json_object();
    int n = per_col[i].cat ? FC_EVAL_NCAT : FC_EVAL_NNUM;
    for (int k = 0; k < n; k++)
      json_object_set_new(c, per_col[i].cat ? fc_eval_cat_name(k) : fc_eval_num_name(k),
                          jstat(&per_col[i].v[k]));
    json_object_set_new(cols, per_col[i].key, c);
  }
  json_object_set_new(o, "columns", cols);
  return o;
}

static json_t *jinput(const char *path, const char *fmt, size_t n, size_t sample) {
  if (!path) return json_null();
  json_t *o = json_object();
  json_object_set_new(o, "path", json_string(path));
  json_object_set_new(
      o, "format", json_string(ends_with(path, ".h5") || ends_with(path, ".hdf5") ? "hdf5" : fmt));
  json_object_set_new(o, "flows", json_integer((json_int_t)n));
  json_object_set_new(o, "sample", json_integer((json_int_t)sample));
  return o;
}

static int print_json(const fc_eval_results *r, const fc_eval_options *o, const char *fmt[3],
                      const char *paths[3]) {
  json_t *doc = json_object(), *opt = json_object(), *in = json_object(), *site = json_object(),
         *dirs = json_object(), *timing = json_object();
  json_object_set_new(doc, "tool", json_string("flowchronicle eval"));
  json_object_set_new(doc, "version", json_string(FC_VERSION));
  json_object_set_new(doc, "revision", json_string(FC_GIT_REVISION));
  json_object_set_new(doc, "command_line", json_string(fc_cli_command_line()));
  json_object_set_new(opt, "runs", json_integer(o->runs));
  json_object_set_new(opt, "sample", json_integer((json_int_t)o->sample));
  json_object_set_new(opt, "seed", json_integer((json_int_t)o->seed));
  json_object_set_new(opt, "knn_k", json_integer(o->knn_k));
  json_object_set_new(opt, "onehot_max_distinct", json_integer(o->onehot_max_distinct));
  json_object_set_new(opt, "md_n", json_integer((json_int_t)o->md_n));
  json_object_set_new(opt, "md_bins", json_integer(o->md_bins));
  json_object_set_new(opt, "md_radii", json_integer(o->md_radii));
  json_object_set_new(opt, "acf_max_lag", json_integer(o->acf_max_lag));
  json_object_set_new(opt, "internal",
                      json_string(o->internal ? o->internal : FC_EVAL_DEFAULT_INTERNAL));
  json_object_set_new(doc, "options", opt);
  json_object_set_new(in, "real", jinput(paths[0], fmt[0], r->n_real, r->sample_real));
  json_object_set_new(in, "synthetic",
                      jinput(paths[1], fmt[1], r->n_synthetic, r->sample_synthetic));
  json_object_set_new(in, "holdout", jinput(paths[2], fmt[2], r->n_holdout, r->sample_holdout));
  json_object_set_new(doc, "inputs", in);
  json_object_set_new(site, "internal_ranges", json_integer((json_int_t)r->site_ranges));
  json_object_set_new(site, "dns_servers", json_integer((json_int_t)r->site_dns));
  json_object_set_new(site, "web_mail_services", json_integer((json_int_t)r->site_services));
  json_object_set_new(site, "mdns_groups", json_integer((json_int_t)r->site_mdns));
  json_object_set_new(doc, "site", site);
  for (int m = 0; m < FC_EVAL_NMETRICS; m++) {
    int d = fc_eval_metric_direction(m);
    json_object_set_new(dirs, fc_eval_metric_key(m),
                        json_string(d > 0   ? "higher"
                                    : d < 0 ? "lower"
                                            : "closer_to_reference"));
  }
  json_object_set_new(doc, "better", dirs);
  json_object_set_new(doc, "synthetic", jrow(&r->synthetic, r->runs));
  json_object_set_new(doc, "reference",
                      r->has_reference ? jrow(&r->reference, r->runs) : json_null());
  json_object_set_new(timing, "seconds", json_real(r->seconds));
  json_object_set_new(timing, "knn_seconds", json_real(r->knn_seconds));
  json_object_set_new(timing, "knn_computations", json_integer(r->knn_calls));
  json_object_set_new(doc, "timing", timing);
  int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
  putchar('\n');
  json_decref(doc);
  return rc == 0 && fflush(stdout) == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- main */

/* --name VALUE or --name=VALUE: returns the value and advances *i, NULL when argv[*i] is not
 * this option. Sets *missing when the value is absent. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing) {
  size_t n = strlen(name);
  const char *a = argv[*i];
  if (strncmp(a, name, n) != 0) return NULL;
  if (a[n] == '=') return a + n + 1;
  if (a[n] != '\0') return NULL;
  if (*i + 1 >= argc) {
    *missing = true;
    return NULL;
  }
  return argv[++*i];
}

int fc_cmd_eval(int argc, char **argv) {
  const char *cmd = "eval";
  fc_eval_options o;
  fc_eval_options_default(&o);
  const char *paths[3] = {NULL, NULL, NULL}, *fmt_name = "flows";
  const char *fmt_one[3] = {NULL, NULL, NULL};
  const char *report_dir = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    bool missing = false;
    long long x;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      if (fc_cli_rank() == 0) usage(stdout);
      return 0;
    } else if (!strcmp(a, "--json")) {
      json = true;
    } else if ((v = opt_value(argc, argv, &i, "--report", &missing))) {
      if (!*v) return fc_cli_usage_error(cmd, "--report needs a directory");
      report_dir = v;
    } else if ((v = opt_value(argc, argv, &i, "--real", &missing))) {
      paths[0] = v;
    } else if ((v = opt_value(argc, argv, &i, "--synthetic", &missing))) {
      paths[1] = v;
    } else if ((v = opt_value(argc, argv, &i, "--holdout", &missing))) {
      paths[2] = v;
    } else if ((v = opt_value(argc, argv, &i, "--format", &missing))) {
      fmt_name = v;
    } else if ((v = opt_value(argc, argv, &i, "--real-format", &missing))) {
      fmt_one[0] = v;
    } else if ((v = opt_value(argc, argv, &i, "--synthetic-format", &missing))) {
      fmt_one[1] = v;
    } else if ((v = opt_value(argc, argv, &i, "--holdout-format", &missing))) {
      fmt_one[2] = v;
    } else if ((v = opt_value(argc, argv, &i, "--runs", &missing))) {
      if (fc_cli_parse_long(v, 1, 1000000, &x))
        return fc_cli_usage_error(cmd, "bad --runs '%s'", v);
      o.runs = (int)x;
    } else if ((v = opt_value(argc, argv, &i, "--sample", &missing))) {
      if (fc_cli_parse_long(v, 2, 100000000, &x))
        return fc_cli_usage_error(cmd, "bad --sample '%s' (2..100000000)", v);
      o.sample = (size_t)x;
    } else if ((v = opt_value(argc, argv, &i, "--seed", &missing))) {
      if (fc_cli_parse_long(v, 0, INT64_MAX, &x))
        return fc_cli_usage_error(cmd, "bad --seed '%s'", v);
      o.seed = (uint64_t)x;
    } else if ((v = opt_value(argc, argv, &i, "--internal", &missing))) {
      o.internal = v;
    } else if ((v = opt_value(argc, argv, &i, "--acf-max-lag", &missing))) {
      if (fc_cli_parse_long(v, 0, 100000000, &x))
        return fc_cli_usage_error(cmd, "bad --acf-max-lag '%s'", v);
      o.acf_max_lag = (int)x;
    } else if (missing) {
      return fc_cli_usage_error(cmd, "option '%s' needs a value", a);
    } else {
      return fc_cli_usage_error(cmd, "unknown argument '%s'", a);
    }
    if (missing) return fc_cli_usage_error(cmd, "option '%s' needs a value", a);
  }
  if (!paths[0] || !paths[1]) return fc_cli_usage_error(cmd, "--real and --synthetic are needed");
  fc_format fmt[3];
  for (int k = 0; k < 3; k++) {
    if (!fmt_one[k]) fmt_one[k] = fmt_name;
    if (!fc_format_parse(fmt_one[k], &fmt[k]))
      return fc_cli_usage_error(cmd, "unknown format '%s'", fmt_one[k]);
  }

  /* The metrics are one process's work: extra ranks have nothing to do. */
  if (fc_cli_rank() != 0) return 0;
  if (fc_cli_size() > 1)
    fc_log_warn("eval runs on rank 0 only; the other %d ranks are idle", fc_cli_size() - 1);

  fc_error_clear();
  {
    /* Check the CIDR list before spending time on reading. */
    fc_flow_table none;
    fc_eval_site *site = NULL;
    fc_status cst = fc_table_init(&none);
    if (cst == FC_OK) cst = fc_eval_site_create(&none, o.internal, &site);
    fc_eval_site_destroy(&site);
    fc_table_free(&none);
    if (cst == FC_ERR_ARG) {
      const char *msg = fc_error_message();
      return fc_cli_usage_error(cmd, "--internal: %.*s", (int)strcspn(msg, "\n"), msg);
    }
    if (cst != FC_OK) return fc_cli_fail(cmd, cst);
  }
  fc_flow_table t[3];
  int loaded = 0, rc = 0;
  fc_status st = FC_OK;
  for (int k = 0; k < 3; k++) {
    if (!paths[k]) continue;
    FC_CALL_GOTO(st, fc_table_init(&t[k]), done);
    loaded |= 1 << k;
    FC_CALL_GOTO(st, fci_eval_load(paths[k], fmt[k], &t[k]), done);
    fc_log_info("eval: %s: %zu flows", paths[k], t[k].n);
  }
  fc_eval_results res;
  FC_CALL_GOTO(st, fc_eval_run(&t[0], &t[1], paths[2] ? &t[2] : NULL, &o, &res), done);
  if (json)
    rc = print_json(&res, &o, fmt_one, paths);
  else
    print_table(&res, &o);
  if (report_dir) {
    double t0 = fc_now();
    const char *shown_fmt[3];
    for (int k = 0; k < 3; k++)
      shown_fmt[k] = !paths[k]                                                    ? NULL
                     : ends_with(paths[k], ".h5") || ends_with(paths[k], ".hdf5") ? "hdf5"
                                                                                  : fmt_one[k];
    fc_eval_report_input ri = {&res,
                               &o,
                               {&t[0], &t[1], paths[2] ? &t[2] : NULL},
                               {paths[0], paths[1], paths[2]},
                               {shown_fmt[0], shown_fmt[1], shown_fmt[2]},
                               fc_cli_command_line()};
    st = fc_eval_report_write(report_dir, &ri);
    if (st == FC_OK)
      fc_log_info("eval: report written to %s/index.html in %.2f s", report_dir, fc_now() - t0);
  }
  fc_eval_results_free(&res);
done:
  for (int k = 0; k < 3; k++)
    if (loaded & (1 << k)) fc_table_free(&t[k]);
  if (st != FC_OK) return fc_cli_fail(cmd, st);
  return rc;
}
