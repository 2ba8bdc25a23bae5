/* flowchronicle info: what an HDF5 dataset holds, in a few lines a person reads. */
#include <getopt.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "flowchronicle/encode.h"
#include "flowchronicle/store.h"

static void help(void) {
  printf("Usage: flowchronicle info [--top N] DATASET.h5\n"
         "\n"
         "Summarises a dataset written by 'ingest': rows, time span, provenance, and per\n"
         "column its kind, number of distinct codes and most frequent values.\n"
         "\n"
         "Options:\n"
         "  -n, --top N   values listed per column, default 5\n"
         "  -h, --help    this help\n");
}

static void span_text(int64_t us, char *buf, size_t cap) {
  double s = (double)us / 1e6;
  if (s < 120)
    snprintf(buf, cap, "%.3f s", s);
  else if (s < 7200)
    snprintf(buf, cap, "%.1f min", s / 60);
  else if (s < 172800)
    snprintf(buf, cap, "%.2f h", s / 3600);
  else
    snprintf(buf, cap, "%.2f days", s / 86400);
}

static const uint64_t *sort_counts;
static int by_count(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  if (sort_counts[x] != sort_counts[y]) return sort_counts[x] > sort_counts[y] ? -1 : 1;
  return (x > y) - (x < y);
}

/* Orders codes by count descending, then code. */
static void qsort_r_counts(uint32_t *order, uint32_t n, const uint64_t *counts) {
  sort_counts = counts;
  qsort(order, n, sizeof *order, by_count);
}

static void print_column(const fc_column *c, size_t rows, int top) {
  static const char *kinds[] = {"categorical", "ip", "numeric"};
  printf("  %-10s %-11s %7u %s", fc_col_name(c->id), kinds[c->kind], c->domain,
         c->kind == FC_KIND_NUMERIC ? "codes " : "values");
  /* The most frequent codes in this column (bins, and the address dictionary shared by both IP
   * columns, are not ordered by this column's counts). */
  uint32_t *order = malloc((c->domain ? c->domain : 1) * sizeof *order);
  if (!order) {
    printf("\n");
    return;
  }
  for (uint32_t i = 0; i < c->domain; i++) order[i] = i;
  qsort_r_counts(order, c->domain, c->counts);
  printf("  top:");
  for (uint32_t i = 0; i < c->domain && (int)i < top && c->counts[order[i]] > 0; i++) {
    char buf[128];
    fc_code_format(c, order[i], buf, sizeof buf);
    printf("%s %s %.1f%%", i ? "," : "", buf,
           rows ? 100.0 * (double)c->counts[order[i]] / (double)rows : 0.0);
  }
  printf("\n");
  free(order);
}

int fc_cmd_info(int argc, char **argv) {
  static const struct option opts[] = {{"top", required_argument, NULL, 'n'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int top = 5, c;
  long long v;
  optind = 1;
  while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
    switch (c) {
    case 'n':
      if (fc_cli_parse_long(optarg, 0, 1000, &v))
        return fc_cli_usage_error("info", "--top: '%s' is not in 0..1000", optarg);
      top = (int)v;
      break;
    case 'h':
      if (fc_cli_rank() == 0) help();
      return 0;
    default: return fc_cli_usage_error("info", "unknown option");
    }
  }
  if (optind + 1 != argc) return fc_cli_usage_error("info", "give exactly one DATASET.h5");
  const char *path = argv[optind];
  int rc = 0;
  if (fc_cli_rank() == 0) {
    fc_dataset_meta m;
    fc_encoded e;
    fc_provenance p;
    memset(&e, 0, sizeof e);
    memset(&p, 0, sizeof p);
    fc_status st = fc_dataset_read(path, MPI_COMM_SELF, 0, 0, &m, NULL, &e, &p);
    if (st != FC_OK) {
      rc = fc_cli_fail("info", st);
    } else {
      char a[FC_TIME_STRLEN], b[FC_TIME_STRLEN], span[64];
      fc_time_format(m.t0_us, a);
      fc_time_format(m.t_end_us, b);
      span_text(m.t_end_us - m.t0_us, span, sizeof span);
      printf("dataset   %s\n", path);
      printf("rows      %zu flows\n", m.n_rows);
      printf("time      %s .. %s UTC (%s)\n", a, b, span);
      printf("encoding  tick %.3f ms, up to %d quantile bins, labels %s\n",
             (double)m.tick_us / 1e3, m.bins, m.has_labels ? "yes" : "no");
      printf("written   by flowchronicle %s (revision %s)\n", p.version ? p.version : "?",
             p.git_revision ? p.git_revision : "?");
      printf("command   %s\n", p.command_line ? p.command_line : "?");
      printf("inputs    %zu file(s), format %s\n", p.n_inputs, p.format ? p.format : "?");
      for (size_t i = 0; i < p.n_inputs; i++)
        printf("          %s  sha256 %s\n", p.inputs[i], p.input_sha256[i]);
      printf("columns   name       kind         domain\n");
      for (int k = 0; k < e.n_cols; k++) print_column(&e.cols[k], m.n_rows, top);
    }
    fc_encoded_free(&e);
    fc_provenance_free(&p);
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return rc;
}
