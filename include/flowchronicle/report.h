/* The eval report: one self-contained HTML page (inline CSS and SVG, no script, no URL) with the
 * metric table of an fc_eval_run and charts drawn by the project's SVG writer: per-column
 * distributions of the inputs (top values plus "other" for discrete columns, ECDFs on a log
 * axis for continuous ones), flows per hour over each input's span, the ACF curves behind the
 * ACF difference with the real ACF's significance band, and the per-rule DKC shares.
 *
 * The metric values and the ACF curves come from the results (the first run's windows); the
 * distributions and the hourly counts are computed here from the whole input tables. Every
 * string from outside (paths, the command line, addresses) is escaped. */
#ifndef FLOWCHRONICLE_REPORT_H
#define FLOWCHRONICLE_REPORT_H

#include "flowchronicle/error.h"
#include "flowchronicle/eval.h"
#include "flowchronicle/flow.h"
#include "flowchronicle/svg.h"

/* The number of charts on every page: flows per hour, 5 discrete and 5 continuous
 * distributions, 5 ACF plots and the DKC rules; each chart is one <svg>. */
#define FC_EVAL_REPORT_CHARTS 17

/* What the page shows. Index 0 is the real (training) input, 1 the synthetic one, 2 the
 * holdout (table[2] NULL when there is none, and then res->has_reference is false). */
typedef struct fc_eval_report_input {
  const fc_eval_results *res;
  const fc_eval_options *opt;
  const fc_flow_table *table[3];
  const char *path[3];      /* as given on the command line; NULL: not shown */
  const char *format[3];    /* format names; NULL: not shown */
  const char *command_line; /* NULL: not shown */
} fc_eval_report_input;

/* Appends the whole page to out. */
fc_status fc_eval_report_html(const fc_eval_report_input *in, fc_strbuf *out);

/* Writes dir/index.html: dir is created when missing (its parent must exist) and the file is
 * written to a temporary name in dir and renamed into place, so a reader sees the old page or
 * the new one, never a partial one; other files in dir are left alone. */
fc_status fc_eval_report_write(const char *dir, const fc_eval_report_input *in);

#endif
