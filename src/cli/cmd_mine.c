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
#include "flowchronicle/dist.h"
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
         "      --window-cache MB     memory per rank for the windows of candidates kept\n"
         "                            between iterations, default 1024 (0: none)\n"
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

/* Collective: every rank contributes its windows, rank 0 writes the file, all learn whether it
 * worked (a rank failing alone must not leave the others in a later collective). */
static fc_status write_model_file(fc_model *m, const fc_mdata *md, const fc_encoded *e,
                                  const fc_search_state *s, bool bits_saved, const char *dataset,
                                  const char *path) {
  fc_model_file f;
  fc_status st = fc_model_file_from_model(m, md, e, s, bits_saved, &f);
  bool have = st == FC_OK;
  if (have && md->rank == 0) {
    st = fill_provenance(&f, dataset);
    if (st == FC_OK) st = fc_model_file_write(path, &f);
  }
  if (have) fc_model_file_free(&f);
  int code = (int)st;
  MPI_Allreduce(MPI_IN_PLACE, &code, 1, MPI_INT, MPI_MAX, md->comm);
  if (code != FC_OK && st == FC_OK)
    return FC_ERROR((fc_status)code, "writing %s failed on another rank", path);
  return st;
}

static fc_status write_checkpoint(void *vctx, const fc_model *m, const fc_search_state *s) {
  ckpt_ctx *c = vctx;
  double t0 = fc_now();
  FC_CALL(write_model_file((fc_model *)m, c->md, c->e, s, false, c->dataset, c->path));
  fc_log_debug("checkpoint %s written in %.2f s", c->path, fc_now() - t0);
  return FC_OK;
}

/* Block boundaries that share the work rather than the rows (collective). Finding windows costs
 * more where flows are dense (more rows within a span to look through), the rest of the search
 * costs per row; so row i weighs mean + pairs(i), pairs(i) being the rows after it within the
 * span (counted inside the equal-rows block [b, end) this rank read, the mean over all rows). The
 * weights are summed per chunk of rows, the chunk sums reduced, and every rank cuts the same
 * cumulative weight into equal shares at chunk boundaries. The model does not depend on where
 * the blocks end (docs/distributed.md); only the time each rank takes does. */
static fc_status balanced_blocks(const fc_encoded *e, size_t b, size_t end, size_t n,
                                 int64_t max_span_ticks, int rank, int size, size_t *nb,
                                 size_t *nend) {
  const size_t chunk = n / ((size_t)size * 512) + 1;
  const size_t n_chunks = (n + chunk - 1) / chunk;
  uint64_t *sum; /* [0, n_chunks): pairs per chunk, [n_chunks, 2 n_chunks): rows per chunk */
  FC_CALL(fci_calloc(2 * n_chunks + 1, sizeof *sum, &sum));
  const size_t own = end - b;
  for (size_t i = 0, j = 0; i < own; i++) {
    if (j < i + 1) j = i + 1;
    while (j < own && e->ticks[j] <= e->ticks[i] + max_span_ticks) j++;
    sum[(b + i) / chunk] += j - i - 1;
    sum[n_chunks + (b + i) / chunk]++;
  }
  if (MPI_Allreduce(MPI_IN_PLACE, sum, (int)(2 * n_chunks), MPI_UINT64_T, MPI_SUM,
                    MPI_COMM_WORLD) != MPI_SUCCESS) {
    free(sum);
    return FC_ERROR(FC_ERR_MPI, "exchanging row weights failed");
  }
  uint64_t pairs = 0;
  for (size_t c = 0; c < n_chunks; c++) pairs += sum[c];
  const uint64_t mean = pairs / (n ? n : 1) + 1;
  long double total = 0;
  for (size_t c = 0; c < n_chunks; c++) total += (long double)(sum[c] + mean * sum[n_chunks + c]);
  /* The boundary before rank k: the first chunk at which the cumulative weight reaches k/size of
   * the total; at least one row per rank when there are enough rows. */
  size_t cut[2] = {0, n};
  for (int side = 0; side < 2; side++) {
    int k = rank + side;
    if (k == 0 || k == size) continue;
    long double target = total * (long double)k / (long double)size, acc = 0;
    size_t c = 0;
    while (c < n_chunks && acc + (long double)(sum[c] + mean * sum[n_chunks + c]) <= target) {
      acc += (long double)(sum[c] + mean * sum[n_chunks + c]);
      c++;
    }
    size_t row = c * chunk;
    if (n >= (size_t)size) { /* keep k rows before and size - k after */
      if (row < (size_t)k) row = (size_t)k;
      if (row > n - (size_t)(size - k)) row = n - (size_t)(size - k);
    }
    cut[side] = row < n ? row : n;
  }
  free(sum);
  *nb = cut[0];
  *nend = cut[1] > cut[0] ? cut[1] : cut[0];
  return FC_OK;
}

/* This rank's block of rows and its halo: the rows of the following blocks that a window
 * starting in the block can reach (start tick + max span). Each rank reads only those. */
static fc_status read_block(const char *path, int64_t max_span_ticks, fc_dataset_meta *meta,
                            fc_encoded *e, size_t *n_own, size_t *begin) {
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  size_t b, end; /* meta: already read by the caller */
  fc_block_range(meta->n_rows, rank, size, &b, &end);
  FC_CALL(fc_dataset_read(path, MPI_COMM_WORLD, b, end, meta, NULL, e, NULL));
  if (size > 1) { /* blocks of equal work; read again where they moved */
    size_t nb = b, nend = end;
    FC_CALL(balanced_blocks(e, b, end, meta->n_rows, max_span_ticks, rank, size, &nb, &nend));
    if (nb != b || nend != end) {
      fc_encoded_free(e);
      b = nb;
      end = nend;
      FC_CALL(fc_dataset_read(path, MPI_COMM_WORLD, b, end, meta, NULL, e, NULL));
    }
  }
  *n_own = end - b;
  *begin = b;
  /* Halo lengths: every rank's reach, then each rank counts its rows within the reach of every
   * earlier rank; the sums are the halos (ticks are sorted, so each halo is a prefix). */
  int64_t reach = *n_own ? e->ticks[*n_own - 1] + max_span_ticks : INT64_MIN;
  int64_t *reaches;
  uint64_t *halo;
  FC_CALL(fci_malloc((size_t)size * sizeof *reaches, &reaches));
  fc_status st = fci_calloc((size_t)size, sizeof *halo, &halo);
  if (st != FC_OK) {
    free(reaches);
    return st;
  }
  MPI_Allgather(&reach, 1, MPI_INT64_T, reaches, 1, MPI_INT64_T, MPI_COMM_WORLD);
  for (int r = 0; r < rank; r++) {
    size_t k = 0;
    while (k < *n_own && e->ticks[k] <= reaches[r]) k++;
    halo[r] = k;
  }
  MPI_Allreduce(MPI_IN_PLACE, halo, size, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  size_t h = (size_t)halo[rank];
  free(reaches);
  free(halo);
  fc_encoded extra;
  memset(&extra, 0, sizeof extra);
  fc_dataset_meta m2;
  FC_CALL(fc_dataset_read(path, MPI_COMM_WORLD, end, end + h, &m2, NULL, &extra, NULL));
  /* Append the halo's codes and ticks to the block's. */
  for (int c = 0; c < e->n_cols && st == FC_OK; c++) {
    st = fci_realloc((*n_own + h + 1) * sizeof *e->cols[c].codes, &e->cols[c].codes);
    if (st == FC_OK && h) memcpy(e->cols[c].codes + *n_own, extra.cols[c].codes, h * sizeof(uint32_t));
  }
  if (st == FC_OK) st = fci_realloc((*n_own + h + 1) * sizeof *e->ticks, &e->ticks);
  if (st == FC_OK && h) memcpy(e->ticks + *n_own, extra.ticks, h * sizeof *e->ticks);
  e->n_rows = *n_own + h;
  fc_encoded_free(&extra);
  return st;
}

/* Rebuilds the model a checkpoint describes: same base structure, same patterns in the same
 * order with the same structures, hence the same cover and counts. */
static fc_status resume_model(const char *ckpt, const fc_mdata *md, const fc_encoded *e,
                              uint64_t span, const fc_model_options *mo, fc_model **out,
                              fc_search_state *s) {
  fc_model_file f;
  FC_CALL(fc_model_file_read(ckpt, &f));
  fc_status st = FC_OK;
  if (f.cols.n_rows != md->global_n || f.cols.t0_us != e->t0_us || f.cols.tick_us != e->tick_us ||
      f.cols.n_cols != e->n_cols || f.max_span_ticks != mo->max_span_ticks ||
      f.max_indegree != mo->max_indegree) {
    st = FC_ERROR(FC_ERR_ARG, "checkpoint %s was made from another dataset or with other options "
                  "(rows %zu vs %llu, max span %lld vs %lld ticks)", ckpt, f.cols.n_rows,
                  (unsigned long long)md->global_n,
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
  memset(&e, 0, sizeof e);
  memset(&md, 0, sizeof md);
  memset(&s, 0, sizeof s);
  double t0 = fc_now();
  FC_CALL(fc_dataset_read_meta(a->input, MPI_COMM_WORLD, &meta));
  if (meta.n_rows == 0) return FC_ERROR(FC_ERR_FORMAT, "%s holds no flows", a->input);
  a->mo.max_span_ticks = a->max_span_us / meta.tick_us;
  size_t n_own = 0, begin = 0;
  FC_CALL_GOTO(st, read_block(a->input, a->mo.max_span_ticks, &meta, &e, &n_own, &begin), out);
  FC_CALL_GOTO(st, fc_mdata_build(&md, &e), out);
  FC_CALL_GOTO(st, fc_mdata_distribute(&md, MPI_COMM_WORLD, n_own, begin), out);
  uint64_t span = (uint64_t)((meta.t_end_us - meta.t0_us) / meta.tick_us);
  fc_log_info("mining %s: %zu flows, %d columns, span %.1f h, max pattern span %lld ticks, "
              "%d ranks",
              a->input, meta.n_rows, e.n_cols, (double)span * (double)meta.tick_us / 3.6e9,
              (long long)a->mo.max_span_ticks, md.size);
  {
    char msg[160];
    snprintf(msg, sizeof msg, "rows %zu..%zu (+%zu halo)", begin, begin + n_own,
             e.n_rows - n_own);
    fc_log_debug("%s", msg);
  }
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
  FC_CALL_GOTO(st, write_model_file(m, &md, &e, &s, true, a->input, a->output), out);
  fc_model_get_bits(m, &b);
  double peak = (double)fc_peak_rss_bytes(), peak_max = peak;
  MPI_Allreduce(&peak, &peak_max, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  uint64_t sent = fc_dist_bytes_sent();
  MPI_Allreduce(MPI_IN_PLACE, &sent, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  fc_log_info("wrote %s: %zu patterns, %.0f bits = %.2f%% of the empty model, %ld iterations, "
              "%zu candidates tested, %.1f s, peak memory %.0f MB per rank (max), "
              "%.1f MB communicated",
              a->output, fc_model_n_patterns(m), b.total, 100.0 * b.total / b.empty, s.iteration,
              s.n_tested, fc_now() - t0, peak_max / 1e6, (double)sent / 1e6);
  if (s.converged && md.rank == 0) unlink(a->checkpoint); /* the model is final */
out:
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
                                       {"window-cache", required_argument, NULL, 'W'},
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
    case 'W':
      if (fc_cli_parse_long(optarg, 0, 1 << 24, &v))
        return fc_cli_usage_error("mine", "--window-cache: '%s' is not in 0..16777216 (MB)",
                                  optarg);
      a.so.window_cache_bytes = (uint64_t)v << 20;
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
  /* Every rank mines its block; rank 0 reports and writes. */
  int rc = 0;
  bool interrupted = false;
  fc_status st = run(&a, &interrupted);
  if (st != FC_OK) {
    rc = fc_cli_fail("mine", st);
    /* The other ranks may be waiting in a collective this rank will never reach (it failed
     * alone: out of memory, say): end the whole job rather than let it hang. */
    if (fc_cli_size() > 1) MPI_Abort(MPI_COMM_WORLD, rc);
  } else if (interrupted) {
    rc = EXIT_RESUMABLE;
  }
  MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return rc;
}
