/* flowchronicle demo-data: the embedded default data set, made by a deterministic generator
 * (docs/demo-data.md lists its planted behaviours). */
#include <getopt.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowchronicle/demodata.h"
#include "flowchronicle/ingest.h"
#include "flowchronicle/log.h"

static void help(void) {
  printf("Usage: flowchronicle demo-data -o FLOWS.csv [options]\n"
         "\n"
         "Writes a week of flows of a small office network (a few dozen hosts: name lookups\n"
         "followed by HTTPS, mail checks, time sync, file server sessions, background noise,\n"
         "with a daily and weekly rhythm) as canonical flow CSV. The same options always give\n"
         "the same bytes. The planted behaviours are listed in docs/demo-data.md.\n"
         "\n"
         "Options:\n"
         "  -o, --output FILE   CSV to write (required; .gz compresses)\n"
         "      --seed N        generator seed, default 1\n"
         "      --days N        days to generate, default 7\n"
         "      --scale X       activity multiplier, default 1.0\n"
         "      --start DATE    first day, 'YYYY-MM-DD' (UTC), default 2024-03-04 (a Monday)\n"
         "  -h, --help          this help\n");
}

int fc_cmd_demo_data(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"seed", required_argument, NULL, 's'},
                                       {"days", required_argument, NULL, 'd'},
                                       {"scale", required_argument, NULL, 'x'},
                                       {"start", required_argument, NULL, 'b'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  fc_demo_options o = fc_demo_options_default();
  const char *output = NULL;
  int c;
  long long v;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': output = optarg; break;
    case 's':
      if (fc_cli_parse_long(optarg, 0, (long long)9e18, &v))
        return fc_cli_usage_error("demo-data", "--seed: '%s' is not a number", optarg);
      o.seed = (uint64_t)v;
      break;
    case 'd':
      if (fc_cli_parse_long(optarg, 1, 3660, &v))
        return fc_cli_usage_error("demo-data", "--days: '%s' is not in 1..3660", optarg);
      o.days = (int)v;
      break;
    case 'x': {
      char *end;
      double x = strtod(optarg, &end);
      if (*end || !(x > 0 && x <= 1000))
        return fc_cli_usage_error("demo-data", "--scale: '%s' is not in (0, 1000]", optarg);
      o.scale = x;
      break;
    }
    case 'b': {
      char buf[64];
      int64_t us;
      snprintf(buf, sizeof buf, "%s 00:00:00", optarg);
      if (!fc_time_parse(buf, strlen(buf), &us))
        return fc_cli_usage_error("demo-data", "--start: '%s' is not YYYY-MM-DD", optarg);
      o.start_us = us;
      break;
    }
    case 'h':
      if (fc_cli_rank() == 0) help();
      return 0;
    default: return fc_cli_usage_error("demo-data", "unknown option");
    }
  }
  if (!output) return fc_cli_usage_error("demo-data", "-o FLOWS.csv is required");
  if (optind != argc) return fc_cli_usage_error("demo-data", "unexpected argument '%s'", argv[optind]);
  int rc = 0;
  if (fc_cli_rank() == 0) {
    fc_flow_table t;
    double t0 = fc_now();
    fc_status st = fc_table_init(&t);
    if (st == FC_OK) st = fc_demo_generate(&o, &t);
    if (st == FC_OK) st = fc_write_flows_csv(&t, output);
    if (st == FC_OK)
      fc_log_info("wrote %s: %zu flows over %d days in %.2f s", output, t.n, o.days,
                  fc_now() - t0);
    else
      rc = fc_cli_fail("demo-data", st);
    fc_table_free(&t);
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return rc;
}
