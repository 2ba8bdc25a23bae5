/* flowchronicle show: the patterns of a model in words, or as JSON. */
#include <getopt.h>
#include <mpi.h>
#include <stdio.h>

#include "cli.h"
#include "flowchronicle/modelfile.h"
#include "flowchronicle/show.h"

static void help(void) {
  printf("Usage: flowchronicle show [--json] MODEL.h5\n"
         "\n"
         "Prints each pattern of a model in words (flow by flow: protocol, addresses with\n"
         "placeholders ?A where a value is bound and A where it is reused, port, other fixed\n"
         "values, the typical delay between flows), its usage and the bits it saves.\n"
         "\n"
         "Options:\n"
         "      --json   one JSON document instead (docs/show-json.md)\n"
         "  -h, --help   this help\n");
}

int fc_cmd_show(int argc, char **argv) {
  static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int json = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'j': json = 1; break;
    case 'h':
      if (fc_cli_rank() == 0) help();
      return 0;
    default: return fc_cli_usage_error("show", "unknown option");
    }
  }
  if (optind + 1 != argc) return fc_cli_usage_error("show", "give exactly one MODEL.h5");
  int rc = 0;
  if (fc_cli_rank() == 0) {
    fc_model_file f;
    fc_status st = fc_model_file_read(argv[optind], &f);
    if (st == FC_OK) st = json ? fc_show_json(stdout, &f) : fc_show_text(stdout, &f);
    if (st != FC_OK) rc = fc_cli_fail("show", st);
    fc_model_file_free(&f);
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return rc;
}
