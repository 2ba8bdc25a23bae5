/* flowchronicle generate: model -> synthetic flows over a period, one part file per rank,
 * optionally merged into one file at the end; and flowchronicle merge. */
#include <getopt.h>
#include <limits.h>
#include <mpi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"
#include "flowchronicle/generate.h"
#include "flowchronicle/log.h"
#include "flowchronicle/merge.h"
#include "flowchronicle/modelfile.h"
#include "flowchronicle/sha256.h"

static void help(void) {
  printf(
      "Usage: flowchronicle generate -m MODEL.h5 -o OUTPUT [options]\n"
      "\n"
      "Generates synthetic flows from a mined model over a period: pattern instances start at\n"
      "the rates the training data showed for each hour of the week (docs/generate.md), their\n"
      "values come from the patterns and their Bayesian networks. Run it under mpiexec/srun:\n"
      "the period is cut into slices handed to the ranks round-robin, OpenMP threads share a\n"
      "rank's slices, and every rank writes its own part file, time-ordered,\n"
      "  OUTPUT with '.part-RRRR-of-NNNN' before its extension (out.csv -> "
      "out.part-0000-of-0002.csv).\n"
      "'flowchronicle merge' (or --merge) combines the parts into one time-ordered file. The\n"
      "flows depend only on the model and the options: the merged file is byte-identical for\n"
      "any number of ranks and threads, and for any cut of the period into shards (--shard)\n"
      "run as separate jobs, each with its own number of ranks.\n"
      "\n"
      "Options:\n"
      "  -m, --model FILE     model written by 'mine' (required)\n"
      "  -o, --output FILE    output name (required); parts are named after it\n"
      "      --format F       csv (canonical flow CSV, default), cidds (CIDDS-001 CSV: a forward\n"
      "                       and a backward record per flow), h5 (a dataset file)\n"
      "      --start DATE     start of the period, 'YYYY-MM-DD[ HH:MM:SS]' in the --tz zone;\n"
      "                       default: the start of the training data\n"
      "      --end DATE       end of the period (exclusive); default: start + the training span\n"
      "      --tz OFFSET      time zone of the dates and of the hour-of-week profile: UTC\n"
      "                       (default), or +HH:MM / -HH:MM (a fixed offset, no daylight saving)\n"
      "      --scale X        multiply every rate by X, 0 < X <= 1e6 (default 1)\n"
      "      --seed N         random seed (default 1)\n"
      "      --slice TIME     slice length (units us, ms, s, m, h, d; default 1h)\n"
      "      --shard T/N      generate only shard T of N (0 <= T < N): the contiguous run of\n"
      "                       slices [floor(T K/N), floor((T+1) K/N)) of the period's K slices,\n"
      "                       its flows exactly those a whole run makes there. Parts are named\n"
      "                       OUTPUT with '.shard-TTTT-of-NNNN.part-RRRR-of-PPPP' before its\n"
      "                       extension (P: this run's ranks); 'merge' of all shards' parts gives\n"
      "                       the whole run's file. Default 0/1: the whole period, named as above\n"
      "      --merge          after generating, merge the parts into OUTPUT and remove them (not\n"
      "                       with --shard T/N, N > 1: merge the parts of all shards instead)\n"
      "      --deflate N      compression of HDF5 output (shuffle + deflate level N, 1-9), default\n"
      "                       0: uncompressed, fastest; 1 gives files about 5x smaller at half\n"
      "                       the speed\n"
      "      --progress TIME  interval of progress lines, default 5s\n"
      "  -h, --help           this help\n"
      "\n"
      "Flows are written in start order (ties: the canonical CSV text). An instance starts\n"
      "inside the period; its later flows that would start at or after --end are not written,\n"
      "and a flow that starts before --end is kept even when it lasts past it.\n"
      "Outputs are atomic: on any error no part (and no merged file) is left behind.\n");
}

static void merge_help(void) {
  printf("Usage: flowchronicle merge -o OUTPUT PART...\n"
         "\n"
         "Merges the part files of one 'generate' run, or of the runs of all its shards\n"
         "(--shard), into one time-ordered file, streaming (one line or one block of rows per\n"
         "part in memory). Text parts (flow CSV, CIDDS CSV) are merged by their line bytes:\n"
         "start time first, ties by the rest of the line. HDF5 parts must be all the parts of\n"
         "one generation: every shard, and every part of each shard's run exactly once; the\n"
         "result is a dataset with the same encoding. A name ending in .gz is written\n"
         "compressed. The output is written atomically. Runs on one process (other ranks\n"
         "wait).\n"
         "\n"
         "Options:\n"
         "  -o, --output FILE    merged file (required)\n"
         "      --deflate N      compression of HDF5 output: shuffle + deflate level N (1-9),\n"
         "                       default 0 (uncompressed)\n"
         "  -h, --help           this help\n");
}

/* 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS' (or with T), a real calendar date, as local time. */
static int parse_date(const char *s, int64_t *us) {
  char buf[32];
  size_t n = strlen(s);
  if (n == 10)
    snprintf(buf, sizeof buf, "%s 00:00:00", s);
  else if (n == 19)
    snprintf(buf, sizeof buf, "%s", s);
  else
    return -1;
  if (buf[4] != '-' || buf[7] != '-') return -1;
  if (!fc_time_parse(buf, 19, us)) return -1;
  char back[FC_TIME_STRLEN];
  fc_time_format(*us, back);
  buf[10] = ' ';
  return strncmp(back, buf, 19) == 0 ? 0 : -1; /* rejects 2016-02-30 and 23:59:60 */
}

/* UTC, Z, +HH, +HHMM or +HH:MM (and -). */
static int parse_tz(const char *s, int64_t *offset_s) {
  if (!strcmp(s, "UTC") || !strcmp(s, "Z") || !strcmp(s, "utc")) {
    *offset_s = 0;
    return 0;
  }
  if (s[0] != '+' && s[0] != '-') return -1;
  int sign = s[0] == '-' ? -1 : 1;
  const char *p = s + 1;
  size_t n = strlen(p);
  int h, m = 0;
  if (n == 2 && sscanf(p, "%2d", &h) == 1) {
  } else if (n == 4 && p[2] != ':' && sscanf(p, "%2d%2d", &h, &m) == 2) {
  } else if (n == 5 && p[2] == ':' && sscanf(p, "%2d:%2d", &h, &m) == 2) {
  } else {
    return -1;
  }
  for (size_t i = 0; i < n; i++)
    if (p[i] != ':' && (p[i] < '0' || p[i] > '9')) return -1;
  if (h > 14 || m > 59 || h * 60 + m > 14 * 60) return -1;
  *offset_s = sign * (h * 3600 + m * 60);
  return 0;
}

/* 'T/N' with 0 <= T < N, digits only; a usage error (exit 2) otherwise. */
static int parse_shard(const char *s, int *shard, int *n_shards) {
  const char *slash = strchr(s, '/');
  if (!slash || slash == s || !slash[1] || strspn(s, "0123456789") != (size_t)(slash - s) ||
      strspn(slash + 1, "0123456789") != strlen(slash + 1))
    return fc_cli_usage_error("generate", "--shard: '%s' is not T/N (shard T of N, 0 <= T < N)", s);
  char t_s[32];
  long long t, n;
  snprintf(t_s, sizeof t_s, "%.*s", (int)(slash - s), s);
  if (strlen(t_s) != (size_t)(slash - s) || fc_cli_parse_long(t_s, 0, INT_MAX, &t) ||
      fc_cli_parse_long(slash + 1, 0, INT_MAX, &n))
    return fc_cli_usage_error("generate", "--shard: '%s': T and N must be at most %d", s, INT_MAX);
  if (n < 1) return fc_cli_usage_error("generate", "--shard: '%s': N must be at least 1", s);
  if (t >= n)
    return fc_cli_usage_error("generate", "--shard: '%s': T must be below N (shards 0 to %lld)", s,
                              n - 1);
  *shard = (int)t;
  *n_shards = (int)n;
  return 0;
}

typedef struct gen_args {
  const char *model, *output;
  const char *start_s, *end_s;
  int shard, n_shards;
  bool merge;
  double progress_s;
  fc_generate_options o;
} gen_args;

static int threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/* Set when this rank's failure is reported by another rank. */
static bool silent;

/* Every rank runs the same checks on the same inputs; all return an error when one fails, and
 * only the lowest failing rank prints its message (so a missing model is reported once). */
static fc_status agree(fc_status st) {
  int in = st != FC_OK ? fc_cli_rank() : fc_cli_size(), lowest;
  MPI_Allreduce(&in, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (lowest == fc_cli_size()) return FC_OK;
  silent = lowest != fc_cli_rank();
  if (st == FC_OK) return FC_ERROR(FC_ERR_MPI, "rank %d failed", lowest);
  return st;
}

static void report_profile(const fc_generator *g, const fc_model_file *m) {
  const fc_timeline *tl = fc_generator_timeline(g);
  int per_level[FC_TL_LEVELS] = {0};
  for (int b = 0; b < FC_TL_BINS; b++)
    per_level[fc_timeline_level(tl, b)]++;
  double span = fc_timeline_span_hours(tl);
  fc_log_info("model: %zu patterns, %llu flows left to the base BN, training span %.1f h from "
              "the first flow",
              m->n_patterns, (unsigned long long)m->n_uncovered, span);
  fc_log_info("rate profile over the 168 hours of the week: %d bins by %s, %d by %s, %d by %s, "
              "%d %s",
              per_level[FC_TL_WEEK], fc_tl_level_name(FC_TL_WEEK), per_level[FC_TL_WEEKPART],
              fc_tl_level_name(FC_TL_WEEKPART), per_level[FC_TL_HOUR], fc_tl_level_name(FC_TL_HOUR),
              per_level[FC_TL_FLAT], fc_tl_level_name(FC_TL_FLAT));
  if (per_level[FC_TL_WEEK] < FC_TL_BINS && fc_cli_rank() == 0)
    fc_log_warn("generate: the training data covers %.1f days%s: %d of the 168 hours of the week "
                "were not seen for at least half an hour and take their rates from pooled levels "
                "(weekday/weekend x hour, then hour of day, then one flat rate); see "
                "docs/generate.md",
                span / 24, span < 7 * 24 ? ", less than a week" : "",
                FC_TL_BINS - per_level[FC_TL_WEEK]);
}

static fc_status run(gen_args *a, int *exit_code) {
  fc_status st = FC_OK;
  fc_model_file m;
  memset(&m, 0, sizeof m);
  fc_generator *g = NULL;
  int rank = fc_cli_rank(), size = fc_cli_size();
  double t0 = fc_now();
  st = agree(fc_model_file_read(a->model, &m));
  if (st != FC_OK) return st;
  fc_generate_options *o = &a->o;
  if (!a->start_s) o->start_us = m.cols.t0_us;
  if (!a->end_s) {
    int64_t span = m.t_end_us + m.cols.tick_us - o->start_us;
    if (span < 0) span = 0;
    int64_t hours = (span + FC_US_PER_HOUR - 1) / FC_US_PER_HOUR;
    o->end_us = o->start_us + (hours > 0 ? hours : 1) * FC_US_PER_HOUR;
  }
  if (o->end_us <= o->start_us) {
    *exit_code = fc_cli_usage_error("generate", "--end is not after --start");
    goto out;
  }
  FC_CALL_GOTO(st, agree(fc_generator_create(&m, o, &g)), out);
  const uint64_t n_slices = fc_generator_n_slices(g);
  uint64_t first = 0, end = n_slices;
  FC_CALL_GOTO(st, fc_gen_shard_range(n_slices, a->shard, a->n_shards, &first, &end), out);
  /* The simulated time of this run: its slices (the whole period without shards). */
  int64_t span_a = o->start_us, span_b = o->start_us, x;
  if (end > first) {
    fc_generator_slice_span(g, first, &span_a, &x);
    fc_generator_slice_span(g, end - 1, &x, &span_b);
  }
  char what[64] = "";
  if (a->n_shards > 1) snprintf(what, sizeof what, "shard %d of %d: ", a->shard, a->n_shards);
  char sha[65] = "";
  if (rank == 0 && fc_sha256_file(a->model, sha) != FC_OK) sha[0] = '\0';
  MPI_Bcast(sha, sizeof sha, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    report_profile(g, &m);
    char s[FC_TIME_STRLEN], e[FC_TIME_STRLEN];
    fc_time_format(o->start_us, s);
    fc_time_format(o->end_us, e);
    fc_log_info("generating [%.19s, %.19s) UTC = %.2f days as %s, scale %g, seed %llu: %llu "
                "slices of %.0f s on %d ranks x %d threads, about %.0f flows expected",
                s, e, (double)(o->end_us - o->start_us) / 86400e6, fc_gen_format_name(o->format),
                o->scale, (unsigned long long)o->seed, (unsigned long long)fc_generator_n_slices(g),
                (double)o->slice_us / 1e6, size, threads(), fc_generator_expected_flows(g));
    if (a->n_shards > 1 && end > first) {
      char sa[FC_TIME_STRLEN], sb[FC_TIME_STRLEN];
      fc_time_format(span_a, sa);
      fc_time_format(span_b, sb);
      fc_log_info("%sslices [%llu, %llu) of %llu = [%.19s, %.19s) UTC", what,
                  (unsigned long long)first, (unsigned long long)end, (unsigned long long)n_slices,
                  sa, sb);
    } else if (a->n_shards > 1) {
      fc_log_info("%sno slice (the period has %llu slices for %d shards): its parts are empty",
                  what, (unsigned long long)n_slices, a->n_shards);
    }
  }
  char part[4096];
  FC_CALL_GOTO(
      st, fc_gen_shard_part_path(a->output, a->shard, a->n_shards, rank, size, part, sizeof part),
      out);
  fc_gen_provenance p = {.model_path = a->model,
                         .model_sha256 = sha,
                         .command_line = fc_cli_command_line(),
                         .part = rank,
                         .n_parts = size,
                         .threads = threads(),
                         .shard = a->shard,
                         .n_shards = a->n_shards};
  fc_generate_stats tot;
  double tg = fc_now();
  FC_CALL_GOTO(st, fc_generate_run(g, part, &p, MPI_COMM_WORLD, a->progress_s, &tot), out);
  double dt = fc_now() - tg;
  if (rank == 0) {
    double days = (double)(span_b - span_a) / 86400e6;
    fc_log_info("%sgenerated %llu flows (%llu records, %llu instances) over %.2f simulated days "
                "in %.2f s: %.0f flows/s, %.0f per rank; %llu rows past --end not written",
                what, (unsigned long long)tot.flows, (unsigned long long)tot.records,
                (unsigned long long)tot.instances, days, dt, dt > 0 ? (double)tot.flows / dt : 0,
                dt > 0 ? (double)tot.flows / dt / size : 0, (unsigned long long)tot.truncated);
    char rep[512];
    int k = 0;
    for (int r = 0; r < FC_REPAIR_KINDS; r++)
      k += snprintf(rep + k, sizeof rep - (size_t)k, "%s%s %llu", r ? ", " : "",
                    fc_repair_name((fc_repair)r), (unsigned long long)tot.repairs[r]);
    fc_log_info("%srepaired %llu records (%.2f%%): %s", what, (unsigned long long)tot.repaired,
                tot.flows ? 100.0 * (double)tot.repaired / (double)tot.flows : 0.0, rep);
  }
  if (a->merge) {
    MPI_Barrier(MPI_COMM_WORLD);
    fc_status mst = FC_OK;
    if (rank == 0) {
      char **names = calloc((size_t)size, sizeof *names);
      mst = names ? FC_OK : FC_ERROR(FC_ERR_NOMEM, "out of memory");
      for (int r = 0; mst == FC_OK && r < size; r++) {
        names[r] = malloc(4096);
        if (!names[r])
          mst = FC_ERROR(FC_ERR_NOMEM, "out of memory");
        else
          mst = fc_gen_part_path(a->output, r, size, names[r], 4096);
      }
      double tm = fc_now();
      fc_merge_report mr;
      if (mst == FC_OK)
        mst = fc_merge_files((const char *const *)names, (size_t)size, a->output,
                             fc_cli_command_line(), o->h5_deflate, &mr);
      if (mst == FC_OK) {
        for (int r = 0; r < size; r++)
          unlink(names[r]);
        fc_log_info("merged %d parts into %s: %llu records in %.2f s", size, a->output,
                    (unsigned long long)mr.records, fc_now() - tm);
      }
      for (int r = 0; names && r < size; r++)
        free(names[r]);
      free(names);
    }
    int bad = mst != FC_OK;
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank == 0 && bad) {
      st = mst;
      goto out;
    }
    if (bad) {
      st = FC_ERROR(FC_ERR_IO, "rank 0 failed to merge the parts");
      goto out;
    }
  }
  if (rank == 0)
    fc_log_info("%sdone in %.2f s, peak memory %.0f MB per rank", what, fc_now() - t0,
                (double)fc_peak_rss_bytes() / 1e6);
out:
  fc_generator_destroy(&g);
  fc_model_file_free(&m);
  return st;
}

int fc_cmd_generate(int argc, char **argv) {
  static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"format", required_argument, NULL, 'F'},
                                       {"start", required_argument, NULL, 'S'},
                                       {"end", required_argument, NULL, 'E'},
                                       {"tz", required_argument, NULL, 'Z'},
                                       {"scale", required_argument, NULL, 'x'},
                                       {"seed", required_argument, NULL, 's'},
                                       {"slice", required_argument, NULL, 'L'},
                                       {"merge", no_argument, NULL, 'M'},
                                       {"deflate", required_argument, NULL, 'D'},
                                       {"progress", required_argument, NULL, 'P'},
                                       {"shard", required_argument, NULL, 'T'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  gen_args a;
  memset(&a, 0, sizeof a);
  fc_generate_options_default(&a.o);
  a.progress_s = 5;
  a.n_shards = 1;
  const char *tz = NULL;
  int c;
  long long v;
  char *end;
  optind = 1;
  while ((c = getopt_long(argc, argv, "m:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'm':
      a.model = optarg;
      break;
    case 'o':
      a.output = optarg;
      break;
    case 'F':
      if (!fc_gen_format_parse(optarg, &a.o.format))
        return fc_cli_usage_error("generate", "--format: '%s' is not csv, cidds or h5", optarg);
      break;
    case 'S':
      a.start_s = optarg;
      break;
    case 'E':
      a.end_s = optarg;
      break;
    case 'Z':
      tz = optarg;
      break;
    case 'x':
      a.o.scale = strtod(optarg, &end);
      if (end == optarg || *end || !(a.o.scale > 0) || a.o.scale > 1e6)
        return fc_cli_usage_error("generate", "--scale: '%s' is not a number in (0, 1e6]", optarg);
      break;
    case 's':
      if (fc_cli_parse_long(optarg, 0, INT64_MAX, &v))
        return fc_cli_usage_error("generate", "--seed: '%s' is not a non-negative integer", optarg);
      a.o.seed = (uint64_t)v;
      break;
    case 'L':
      if (fc_cli_parse_duration_us(optarg, &v) || v < 1000)
        return fc_cli_usage_error("generate", "--slice: '%s' is not a duration of at least 1ms",
                                  optarg);
      a.o.slice_us = v;
      break;
    case 'M':
      a.merge = true;
      break;
    case 'T':
      if (parse_shard(optarg, &a.shard, &a.n_shards)) return 2;
      break;
    case 'D':
      if (fc_cli_parse_long(optarg, 0, 9, &v))
        return fc_cli_usage_error("generate", "--deflate: '%s' is not in 0..9", optarg);
      a.o.h5_deflate = (int)v;
      break;
    case 'P':
      if (fc_cli_parse_duration_us(optarg, &v) || v <= 0)
        return fc_cli_usage_error("generate", "--progress: '%s' is not a duration", optarg);
      a.progress_s = (double)v / 1e6;
      break;
    case 'h':
      if (fc_cli_rank() == 0) help();
      return 0;
    default:
      return fc_cli_usage_error("generate", "unknown option");
    }
  }
  if (!a.model) return fc_cli_usage_error("generate", "-m MODEL.h5 is required");
  if (!a.output) return fc_cli_usage_error("generate", "-o OUTPUT is required");
  if (optind != argc)
    return fc_cli_usage_error("generate", "unexpected argument '%s'", argv[optind]);
  if (a.merge && a.n_shards > 1)
    return fc_cli_usage_error("generate",
                              "--merge with --shard %d/%d: this run makes one shard; merge the "
                              "parts of all %d shards with 'flowchronicle merge'",
                              a.shard, a.n_shards, a.n_shards);
  if (tz && parse_tz(tz, &a.o.tz_offset_s))
    return fc_cli_usage_error("generate", "--tz: '%s' is not UTC or an offset like +01:00", tz);
  int64_t off_us = a.o.tz_offset_s * 1000000;
  if (a.start_s) {
    if (parse_date(a.start_s, &a.o.start_us))
      return fc_cli_usage_error("generate", "--start: '%s' is not a date 'YYYY-MM-DD[ HH:MM:SS]'",
                                a.start_s);
    a.o.start_us -= off_us;
  }
  if (a.end_s) {
    if (parse_date(a.end_s, &a.o.end_us))
      return fc_cli_usage_error("generate", "--end: '%s' is not a date 'YYYY-MM-DD[ HH:MM:SS]'",
                                a.end_s);
    a.o.end_us -= off_us;
  }
  if (a.start_s && a.end_s && a.o.end_us <= a.o.start_us)
    return fc_cli_usage_error("generate", "--end %s is not after --start %s", a.end_s, a.start_s);
  int exit_code = 0;
  fc_status st = run(&a, &exit_code);
  if (exit_code) return exit_code;
  if (st != FC_OK) {
    /* A rank that did not fail itself learns of a peer's failure as "rank R failed (...)":
     * only rank 0 repeats that. */
    bool peer = strstr(fc_error_message(), " failed (") != NULL;
    if (silent || (peer && fc_cli_rank() != 0)) return 1;
    return fc_cli_fail("generate", st);
  }
  return 0;
}

int fc_cmd_merge(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"deflate", required_argument, NULL, 'D'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *output = NULL;
  int deflate = 0;
  long long v;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      output = optarg;
      break;
    case 'D':
      if (fc_cli_parse_long(optarg, 0, 9, &v))
        return fc_cli_usage_error("merge", "--deflate: '%s' is not in 0..9", optarg);
      deflate = (int)v;
      break;
    case 'h':
      if (fc_cli_rank() == 0) merge_help();
      return 0;
    default:
      return fc_cli_usage_error("merge", "unknown option");
    }
  }
  if (!output) return fc_cli_usage_error("merge", "-o OUTPUT is required");
  if (optind >= argc) return fc_cli_usage_error("merge", "no part files given");
  int rc = 0;
  if (fc_cli_rank() == 0) {
    double t0 = fc_now();
    fc_merge_report rep;
    fc_status st = fc_merge_files((const char *const *)(argv + optind), (size_t)(argc - optind),
                                  output, fc_cli_command_line(), deflate, &rep);
    if (st != FC_OK)
      rc = fc_cli_fail("merge", st);
    else
      fc_log_info("merged %d %s parts into %s: %llu records in %.2f s", argc - optind,
                  rep.hdf5 ? "HDF5" : "text", output, (unsigned long long)rep.records,
                  fc_now() - t0);
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return rc;
}
