/* flowchronicle ingest: flow exports -> HDF5 dataset. A serial stage: under mpiexec rank 0 does
 * the work and the other ranks only learn the outcome. */
#include <getopt.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "flowchronicle/encode.h"
#include "flowchronicle/ingest.h"
#include "flowchronicle/log.h"
#include "flowchronicle/sha256.h"
#include "flowchronicle/store.h"
#include "flowchronicle/version.h"

static void help(void) {
  printf("Usage: flowchronicle ingest --format FORMAT -o DATASET.h5 [options] INPUT...\n"
         "\n"
         "Reads flow exports, turns one-way records into bidirectional sessions, merges all\n"
         "inputs in time order, encodes the columns for mining and writes one HDF5 dataset\n"
         "(layout: docs/dataset-format.md). Inputs may be gzip-compressed.\n"
         "\n"
         "Formats (--format):\n"
         "  cidds    CIDDS-001 CSV (Date first seen,Duration,Proto,Src IP Addr,...)\n"
         "  nfdump   nfdump -o csv (ts,te,td,sa,da,sp,dp,pr,flg,...)\n"
         "  ugr16    UGR'16 CSV (te,td,sa,da,sp,dp,pr,flg,fwd,stos,pkt,byt,lable)\n"
         "  argus    Argus binetflow CSV (StartTime,Dur,Proto,SrcAddr,Sport,Dir,...)\n"
         "  zeek     Zeek conn.log, TSV with #fields or JSON lines\n"
         "  flows    canonical flow CSV (docs/flows-csv.md), as 'generate' and 'export' write\n"
         "\n"
         "Options:\n"
         "  -f, --format FORMAT     input format (required)\n"
         "  -o, --output FILE       dataset to write (required); written atomically\n"
         "      --session-gap TIME  idle gap that ends a session, default 120s (units s, ms, m)\n"
         "      --bins N            quantile bins for non-zero numeric values, default 40\n"
         "      --tick TIME         time resolution of the miner, default 10ms\n"
         "      --skip-bad          report and skip malformed rows instead of stopping\n"
         "  -h, --help              this help\n");
}

static fc_status run(int n_in, char **inputs, const fc_ingest_options *io,
                     const fc_encoding_options *eo, const char *output) {
  fc_status st = FC_OK;
  fc_flow_table t;
  fc_encoded e;
  fc_provenance prov;
  memset(&e, 0, sizeof e);
  memset(&prov, 0, sizeof prov);
  FC_CALL(fc_table_init(&t));
  double t0 = fc_now();
  fc_ingest_report rep;
  FC_CALL_GOTO(st, fc_ingest((const char *const *)inputs, (size_t)n_in, io, &t, &rep), out);
  if (t.n == 0) {
    st = FC_ERROR(FC_ERR_FORMAT, "the inputs hold no flow records");
    goto out;
  }
  double t1 = fc_now();
  FC_CALL_GOTO(st, fc_encode(&t, eo, &e), out);
  double t2 = fc_now();
  prov.version = strdup(FC_VERSION);
  prov.git_revision = strdup(FC_GIT_REVISION);
  prov.command_line = strdup(fc_cli_command_line());
  prov.format = strdup(fc_format_name(io->format));
  prov.n_inputs = (size_t)n_in;
  prov.created_unix = (int64_t)time(NULL);
  prov.session_gap_us = io->session_gap_us;
  prov.inputs = calloc((size_t)n_in, sizeof *prov.inputs);
  prov.input_sha256 = calloc((size_t)n_in, sizeof *prov.input_sha256);
  if (!prov.version || !prov.git_revision || !prov.command_line || !prov.format ||
      !prov.inputs || !prov.input_sha256) {
    st = FC_ERROR(FC_ERR_NOMEM, "out of memory for provenance");
    goto out;
  }
  for (int i = 0; i < n_in; i++) {
    char hex[65];
    FC_CALL_GOTO(st, fc_sha256_file(inputs[i], hex), out);
    prov.inputs[i] = strdup(inputs[i]);
    prov.input_sha256[i] = strdup(hex);
    if (!prov.inputs[i] || !prov.input_sha256[i]) {
      st = FC_ERROR(FC_ERR_NOMEM, "out of memory for provenance");
      goto out;
    }
  }
  FC_CALL_GOTO(st, fc_dataset_write(output, &t, &e, &prov), out);
  double t3 = fc_now();
  char a[FC_TIME_STRLEN], b[FC_TIME_STRLEN];
  fc_time_format(t.ts_us[0], a);
  fc_time_format(t.ts_us[t.n - 1], b);
  fc_log_info("wrote %s: %zu flows from %llu records (%llu lines, %.1f MB), %s .. %s", output,
              t.n, (unsigned long long)rep.records, (unsigned long long)rep.lines,
              (double)rep.bytes / 1e6, a, b);
  fc_log_info("ingest done in %.2f s (read %.2f s = %.0f records/s, encode %.2f s, write %.2f s), "
              "peak memory %.0f MB",
              t3 - t0, t1 - t0, (double)rep.records / (t1 - t0 > 0 ? t1 - t0 : 1), t2 - t1,
              t3 - t2, (double)fc_peak_rss_bytes() / 1e6);
out:
  fc_provenance_free(&prov);
  fc_encoded_free(&e);
  fc_table_free(&t);
  return st;
}

int fc_cmd_ingest(int argc, char **argv) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"session-gap", required_argument, NULL, 'g'},
                                       {"bins", required_argument, NULL, 'b'},
                                       {"tick", required_argument, NULL, 't'},
                                       {"skip-bad", no_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  fc_ingest_options io;
  fc_ingest_options_default(&io);
  fc_encoding_options eo;
  fc_encoding_options_default(&eo);
  const char *output = NULL, *format = NULL;
  int c;
  long long v;
  optind = 1;
  while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'f': format = optarg; break;
    case 'o': output = optarg; break;
    case 'g':
      if (fc_cli_parse_duration_us(optarg, &v))
        return fc_cli_usage_error("ingest", "--session-gap: '%s' is not a duration", optarg);
      io.session_gap_us = v;
      break;
    case 'b':
      if (fc_cli_parse_long(optarg, 1, 100000, &v))
        return fc_cli_usage_error("ingest", "--bins: '%s' is not in 1..100000", optarg);
      eo.bins = (int)v;
      break;
    case 't':
      if (fc_cli_parse_duration_us(optarg, &v) || v < 1)
        return fc_cli_usage_error("ingest", "--tick: '%s' is not a positive duration", optarg);
      eo.tick_us = v;
      break;
    case 's': io.skip_bad = true; break;
    case 'h':
      if (fc_cli_rank() == 0) help();
      return 0;
    default: return fc_cli_usage_error("ingest", "unknown option");
    }
  }
  if (!format) return fc_cli_usage_error("ingest", "--format is required");
  if (!fc_format_parse(format, &io.format))
    return fc_cli_usage_error("ingest",
                              "unknown format '%s' (cidds, nfdump, ugr16, argus, zeek, flows)",
                              format);
  if (!output) return fc_cli_usage_error("ingest", "-o DATASET.h5 is required");
  if (optind >= argc) return fc_cli_usage_error("ingest", "no input files");
  int rc = 0;
  if (fc_cli_rank() == 0) {
    if (fc_cli_size() > 1)
      fc_log_info("ingest is serial: rank 0 reads, the other %d ranks wait", fc_cli_size() - 1);
    fc_status st = run(argc - optind, argv + optind, &io, &eo, output);
    if (st != FC_OK) rc = fc_cli_fail("ingest", st);
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return rc;
}
