/* flowchronicle mine: dataset -> model, with progress, limits, checkpoints and resume. */
#include <getopt.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"
#include "flowchronicle/cover.h"
#include "flowchronicle/log.h"
#include "flowchronicle/model.h"
#include "flowchronicle/modelfile.h"
#include "flowchronicle/search.h"
#include "flowchronicle/store.h"
#include "flowchronicle/version.h"

/* Exit code of a run stopped by a signal after writing its checkpoint: resume with --resume. */
#define EXIT_RESUMABLE 3

static void help(void) {
  printf("Usage: flowchronicle mine -i DATASET.h5 -o MODEL.h5 [options]\n"
         "\n"
         "Mines the FlowChronicle model of a dataset: patterns of flows and Bayesian networks,\n"
         "chosen by Minimum Description Length. Prints a progress line every few seconds.\n"
         "The model file (docs/model-format.md) is written atomically at the end.\n"
         "\n"
         "Options:\n"
         "  -i, --input FILE          dataset written by 'ingest' (required)\n"
         "  -o, --output FILE         model to write (required)\n"
         "      --max-span TIME       longest time from a pattern's first to last flow,\n"
         "                            default 60s (units us, ms, s, m, h)\n"
         "      --max-rows N          flows per pattern, default %d (at most %d)\n"
         "      --max-indegree N      parents per Bayesian-network node, default 3\n"
         "      --max-rejections N    rejected candidates that end an iteration, default 20\n"
         "      --time-limit TIME     stop the search after this long and write the model\n"
         "      --max-iterations N    stop after N iterations and write the model\n"
         "      --checkpoint FILE     search state, saved after accepted patterns and at the\n"
         "                            end, default OUTPUT.ckpt\n"
         "      --checkpoint-interval TIME  least time between two saves, default 10s\n"
         "                            (0: after every accepted pattern)\n"
         "      --resume              continue from the checkpoint when it exists\n"
         "      --progress TIME       interval of progress lines, default 5s\n"
         "      --artifact-bits       BN structure cost log2(max_indegree), as the authors'\n"
         "                            artifact (default: log2(max_indegree + 1))\n"
         "  -h, --help                this help\n"
         "\n"
         "Signals: SIGTERM, SIGINT and SIGUSR1 make the search stop, save its checkpoint and\n"
         "exit with status %d; run the same command with --resume to continue.\n",
         FC_MAX_PROWS, FC_MAX_PROWS, EXIT_RESUMABLE);
}

static void on_signal(int sig) {
  (void)sig;
  fc_search_request_stop();
}

typedef struct ckpt_ctx {
  const char *path;
  const fc_mdata *md;
  const fc_encoded *e;
  const char *dataset;
} ckpt_ctx;

static fc_status fill_provenance(fc_model_file *f, const char *dataset) {
  f->version = strdup(FC_VERSION);
  f->git_revision = strdup(FC_GIT_REVISION);
  f->command_line = strdup(fc_cli_command_line());
  f->dataset = strdup(dataset);
  f->created_unix = (int64_t)time(NULL);
  f->ranks = fc_cli_size();
#ifdef _OPENMP
  f->threads = omp_get_max_threads();
#else
  f->threads = 1;
#endif
  if (!f->version || !f->git_revision || !f->command_line || !f->dataset)
    return FC_ERROR(FC_ERR_NOMEM, "out of memory");
  return FC_OK;
}

static fc_status write_checkpoint(void *vctx, const fc_model *m, const fc_search_state *s) {
  ckpt_ctx *c = vctx;
  fc_model_file f;
  double t0 = fc_now();
  FC_CALL(fc_model_file_from_model((fc_model *)m, c->md, c->e, s, false, &f));
  fc_status st = fill_provenance(&f, c->dataset);
  if (st == FC_OK) st = fc_model_file_write(c->path, &f);
  fc_model_file_free(&f);
  FC_CALL(st);
  fc_log_debug("checkpoint %s written in %.2f s", c->path, fc_now() - t0);
  return FC_OK;
}

/* Rebuilds the model a checkpoint describes: same base structure, same patterns in the same
 * order with the same structures, hence the same cover and counts. */
static fc_status resume_model(const char *ckpt, const fc_mdata *md, const fc_encoded *e,
                              uint64_t span, const fc_model_options *mo, fc_model **out,
                              fc_search_state *s) {
  fc_model_file f;
  FC_CALL(fc_model_file_read(ckpt, &f));
  fc_status st = FC_OK;
  if (f.cols.n_rows != e->n_rows || f.cols.t0_us != e->t0_us || f.cols.tick_us != e->tick_us ||
      f.cols.n_cols != e->n_cols || f.max_span_ticks != mo->max_span_ticks ||
      f.max_indegree != mo->max_indegree) {
    st = FC_ERROR(FC_ERR_ARG, "checkpoint %s was made from another dataset or with other options "
                  "(rows %zu vs %zu, max span %lld vs %lld ticks)", ckpt, f.cols.n_rows, e->n_rows,
                  (long long)f.max_span_ticks, (long long)mo->max_span_ticks);
    goto out;
  }
  FC_CALL_GOTO(st, fc_model_create(md, span, mo, f.base_structure, out), out);
  for (size_t k = 0; k < f.n_patterns; k++) {
    fc_trial *t = NULL;
    FC_CALL_GOTO(st, fc_model_trial_add(*out, &f.patterns[k].p, f.patterns[k].structure, &t),
                 out);
    if (!t) {
      st = FC_ERROR(FC_ERR_STATE, "checkpoint %s: pattern %zu has no window in the dataset", ckpt,
                    k + 1);
      goto out;
    }
    fc_model_commit(*out, &t);
  }
  *s = f.search;
  memset(&f.search, 0, sizeof f.search);
  fc_log_info("resumed from %s: %zu patterns, iteration %ld, %zu candidates tested", ckpt,
              f.n_patterns, s->iteration, s->n_tested);
out:
  if (st != FC_OK) fc_model_destroy(out);
  fc_model_file_free(&f);
  return st;
}

typedef struct mine_args {
  const char *input, *output, *checkpoint;
  bool resume;
  fc_model_options mo;
  fc_search_options so;
  int64_t max_span_us;
} mine_args;

static fc_status run(mine_args *a, bool *interrupted) {
  fc_status st = FC_OK;
  fc_dataset_meta meta;
  fc_encoded e;
  fc_mdata md;
  fc_model *m = NULL;
  fc_search_state s;
  fc_model_file f;
  memset(&e, 0, sizeof e);
  memset(&md, 0, sizeof md);
  memset(&s, 0, sizeof s);
  memset(&f, 0, sizeof f);
  double t0 = fc_now();
  FC_CALL(fc_dataset_read_meta(a->input, MPI_COMM_SELF, &meta));
  FC_CALL_GOTO(st, fc_dataset_read(a->input, MPI_COMM_SELF, 0, meta.n_rows, &meta, NULL, &e, NULL),
               out);
  if (e.n_rows == 0) {
    st = FC_ERROR(FC_ERR_FORMAT, "%s holds no flows", a->input);
    goto out;
  }
  a->mo.max_span_ticks = a->max_span_us / e.tick_us;
  FC_CALL_GOTO(st, fc_mdata_build(&md, &e), out);
  uint64_t span = (uint64_t)(e.ticks[e.n_rows - 1] - e.ticks[0]);
  fc_log_info("mining %s: %zu flows, %d columns, span %.1f h, max pattern span %lld ticks",
              a->input, e.n_rows, e.n_cols, (double)span * (double)e.tick_us / 3.6e9,
              (long long)a->mo.max_span_ticks);
  struct stat sb;
  if (a->resume && stat(a->checkpoint, &sb) == 0) {
    FC_CALL_GOTO(st, resume_model(a->checkpoint, &md, &e, span, &a->mo, &m, &s), out);
  } else {
    if (a->resume) fc_log_info("no checkpoint %s: starting a new search", a->checkpoint);
    FC_CALL_GOTO(st, fc_model_create(&md, span, &a->mo, NULL, &m), out);
  }
  fc_model_bits b;
  fc_model_get_bits(m, &b);
  fc_log_info("empty model: %.0f bits (read and base BN in %.2f s)", b.empty, fc_now() - t0);
  ckpt_ctx cc = {a->checkpoint, &md, &e, a->input};
  a->so.checkpoint = write_checkpoint;
  a->so.checkpoint_ctx = &cc;
  FC_CALL_GOTO(st, fc_search_run(m, &md, &a->so, &s), out);
  if (fc_search_stop_requested()) {
    *interrupted = true;
    fc_log_info("stopped by a signal: checkpoint %s saved; continue with --resume", a->checkpoint);
    goto out;
  }
  FC_CALL_GOTO(st, fc_model_file_from_model(m, &md, &e, &s, true, &f), out);
  FC_CALL_GOTO(st, fill_provenance(&f, a->input), out);
  FC_CALL_GOTO(st, fc_model_file_write(a->output, &f), out);
  fc_model_get_bits(m, &b);
  fc_log_info("wrote %s: %zu patterns, %.0f bits = %.2f%% of the empty model, %ld iterations, "
              "%zu candidates tested, %.1f s, peak memory %.0f MB",
              a->output, fc_model_n_patterns(m), b.total, 100.0 * b.total / b.empty, s.iteration,
              s.n_tested, fc_now() - t0, (double)fc_peak_rss_bytes() / 1e6);
  if (s.converged) unlink(a->checkpoint); /* the model is final; the checkpoint is spent */
out:
  fc_model_file_free(&f);
  fc_search_state_free(&s);
  fc_model_destroy(&m);
  fc_mdata_free(&md);
  fc_encoded_free(&e);
  return st;
}

int fc_cmd_mine(int argc, char **argv) {
  static const struct option opts[] = {{"input", required_argument, NULL, 'i'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"max-span", required_argument, NULL, 'S'},
                                       {"max-rows", required_argument, NULL, 'R'},
                                       {"max-indegree", required_argument, NULL, 'D'},
                                       {"max-rejections", required_argument, NULL, 'J'},
                                       {"time-limit", required_argument, NULL, 'T'},
                                       {"max-iterations", required_argument, NULL, 'N'},
                                       {"checkpoint", required_argument, NULL, 'C'},
                                       {"checkpoint-interval", required_argument, NULL, 'I'},
                                       {"resume", no_argument, NULL, 'r'},
                                       {"progress", required_argument, NULL, 'P'},
                                       {"artifact-bits", no_argument, NULL, 'A'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  mine_args a;
  memset(&a, 0, sizeof a);
  a.mo.max_indegree = 3;
  a.max_span_us = 60 * 1000000LL;
  fc_search_options_default(&a.so);
  char ckpt_default[4096];
  int c;
  long long v;
  optind = 1;
  while ((c = getopt_long(argc, argv, "i:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'i': a.input = optarg; break;
    case 'o': a.output = optarg; break;
    case 'S':
      if (fc_cli_parse_duration_us(optarg, &v))
        return fc_cli_usage_error("mine", "--max-span: '%s' is not a duration", optarg);
      a.max_span_us = v;
      break;
    case 'R':
      if (fc_cli_parse_long(optarg, 1, FC_MAX_PROWS, &v))
        return fc_cli_usage_error("mine", "--max-rows: '%s' is not in 1..%d", optarg, FC_MAX_PROWS);
      a.so.max_rows = (int)v;
      break;
    case 'D':
      if (fc_cli_parse_long(optarg, 0, 3, &v))
        return fc_cli_usage_error("mine", "--max-indegree: '%s' is not in 0..3", optarg);
      a.mo.max_indegree = (int)v;
      break;
    case 'J':
      if (fc_cli_parse_long(optarg, 1, 1000000, &v))
        return fc_cli_usage_error("mine", "--max-rejections: '%s' is not in 1..1000000", optarg);
      a.so.max_rejections = (int)v;
      break;
    case 'T':
      if (fc_cli_parse_duration_us(optarg, &v) || v <= 0)
        return fc_cli_usage_error("mine", "--time-limit: '%s' is not a positive duration", optarg);
      a.so.time_limit_s = (double)v / 1e6;
      break;
    case 'N':
      if (fc_cli_parse_long(optarg, 1, (long long)1e12, &v))
        return fc_cli_usage_error("mine", "--max-iterations: '%s' is not a positive number", optarg);
      a.so.max_iterations = (long)v;
      break;
    case 'C': a.checkpoint = optarg; break;
    case 'I':
      if (fc_cli_parse_duration_us(optarg, &v))
        return fc_cli_usage_error("mine", "--checkpoint-interval: '%s' is not a duration", optarg);
      a.so.checkpoint_interval_s = (double)v / 1e6;
      break;
    case 'r': a.resume = true; break;
    case 'P':
      if (fc_cli_parse_duration_us(optarg, &v) || v <= 0)
        return fc_cli_usage_error("mine", "--progress: '%s' is not a duration", optarg);
      a.so.progress_interval_s = (double)v / 1e6;
      break;
    case 'A': a.mo.artifact_struct_bits = true; break;
    case 'h':
      if (fc_cli_rank() == 0) help();
      return 0;
    default: return fc_cli_usage_error("mine", "unknown option");
    }
  }
  if (!a.input) return fc_cli_usage_error("mine", "-i DATASET.h5 is required");
  if (!a.output) return fc_cli_usage_error("mine", "-o MODEL.h5 is required");
  if (optind != argc) return fc_cli_usage_error("mine", "unexpected argument '%s'", argv[optind]);
  if (!a.checkpoint) {
    snprintf(ckpt_default, sizeof ckpt_default, "%s.ckpt", a.output);
    a.checkpoint = ckpt_default;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGUSR1, on_signal);
  int rc = 0;
  if (fc_cli_rank() == 0) {
    bool interrupted = false;
    fc_status st = run(&a, &interrupted);
    if (st != FC_OK)
      rc = fc_cli_fail("mine", st);
    else if (interrupted)
      rc = EXIT_RESUMABLE;
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return rc;
}
