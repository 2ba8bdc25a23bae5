/* flowchronicle export: an HDF5 dataset back to canonical flow CSV. */
#include <getopt.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "flowchronicle/ingest.h"
#include "flowchronicle/log.h"
#include "flowchronicle/store.h"

static void help(void) {
  printf("Usage: flowchronicle export DATASET.h5 -o FLOWS.csv[.gz]\n"
         "\n"
         "Writes the flows of a dataset as canonical flow CSV (docs/flows-csv.md), which\n"
         "'ingest --format flows' reads back. The output appears only when complete.\n"
         "\n"
         "Options:\n"
         "  -o, --output FILE   CSV to write (gzip-compressed when it ends in .gz)\n"
         "  -h, --help          this help\n");
}

int fc_cmd_export(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *output = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': output = optarg; break;
    case 'h':
      if (fc_cli_rank() == 0) help();
      return 0;
    default: return fc_cli_usage_error("export", "unknown option");
    }
  }
  if (!output) return fc_cli_usage_error("export", "-o FLOWS.csv is required");
  if (optind + 1 != argc) return fc_cli_usage_error("export", "give exactly one DATASET.h5");
  int rc = 0;
  if (fc_cli_rank() == 0) {
    const char *path = argv[optind];
    fc_dataset_meta m;
    fc_flow_table t; /* set up by fc_dataset_read */
    memset(&t, 0, sizeof t);
    fc_status st = fc_dataset_read_meta(path, MPI_COMM_SELF, &m);
    if (st == FC_OK) st = fc_dataset_read(path, MPI_COMM_SELF, 0, m.n_rows, &m, &t, NULL, NULL);
    double t0 = fc_now();
    if (st == FC_OK) st = fc_write_flows_csv(&t, output);
    if (st == FC_OK)
      fc_log_info("wrote %s: %zu flows in %.2f s", output, t.n, fc_now() - t0);
    else
      rc = fc_cli_fail("export", st);
    fc_table_free(&t);
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return rc;
}
