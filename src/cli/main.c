/* flowchronicle: one executable, one subcommand per stage of the pipeline. MPI is initialised
 * here for every command (a singleton run needs no mpiexec), with MPI_THREAD_FUNNELED because
 * OpenMP threads never call MPI. */
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowchronicle/log.h"
#include "flowchronicle/version.h"

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

/* One line per command; the table ends with a NULL name. */
static const command commands[] = {
    {"demo-data", fc_cmd_demo_data, "write the embedded demo data: a week of a small office"},
    {"ingest", fc_cmd_ingest, "read flow exports (CSV, nfdump, Zeek, ...) into an HDF5 dataset"},
    {"info", fc_cmd_info, "summarise an HDF5 dataset: rows, time span, columns, top values"},
    {"export", fc_cmd_export, "write an HDF5 dataset back as canonical flow CSV"},
    {"mine", fc_cmd_mine, "mine the pattern model of a dataset (MDL search)"},
    {"show", fc_cmd_show, "print the patterns of a model in words or as JSON"},
    {"eval", fc_cmd_eval, "quality metrics of synthetic flows against real ones (paper Table 2)"},
    {"generate", fc_cmd_generate, "synthetic flows from a model over a period, one part per rank"},
    {"merge", fc_cmd_merge, "merge the part files of a generate run into one time-ordered file"},
    {NULL, NULL, NULL},
};

static char *cmdline;
static int rank_, size_ = 1;

const char *fc_cli_command_line(void) { return cmdline ? cmdline : ""; }
int fc_cli_rank(void) { return rank_; }
int fc_cli_size(void) { return size_; }

int fc_cli_fail(const char *cmd, fc_status st) {
  fc_log_error("flowchronicle %s: %s: %s", cmd, fc_strerror(st), fc_error_message());
  return 1;
}

int fc_cli_usage_error(const char *cmd, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (rank_ == 0)
    fprintf(stderr, "flowchronicle %s: %s\nTry 'flowchronicle %s --help'.\n", cmd, msg, cmd);
  return 2;
}

int fc_cli_parse_long(const char *s, long long lo, long long hi, long long *out) {
  char *end;
  if (!s || !*s) return -1;
  long long v = strtoll(s, &end, 10);
  if (*end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int fc_cli_parse_duration_us(const char *s, long long *us) {
  char *end;
  if (!s || !*s) return -1;
  double v = strtod(s, &end);
  if (end == s || v < 0) return -1;
  double mul = 1e6;
  if (!strcmp(end, "") || !strcmp(end, "s")) mul = 1e6;
  else if (!strcmp(end, "ms")) mul = 1e3;
  else if (!strcmp(end, "us")) mul = 1;
  else if (!strcmp(end, "m") || !strcmp(end, "min")) mul = 60e6;
  else if (!strcmp(end, "h")) mul = 3600e6;
  else if (!strcmp(end, "d")) mul = 86400e6;
  else return -1;
  double r = v * mul;
  if (r > 9e18) return -1;
  *us = (long long)(r + 0.5);
  return 0;
}

static void usage(FILE *out) {
  fprintf(out,
          "Usage: flowchronicle <command> [options]\n"
          "\n"
          "Mines an interpretable model of network traffic (FlowChronicle: patterns of flows\n"
          "and Bayesian networks chosen by Minimum Description Length) and generates synthetic\n"
          "traffic from it. Commands run under mpiexec/srun where they are parallel.\n"
          "\n"
          "Commands:\n");
  for (size_t i = 0; commands[i].name; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out,
          "\n"
          "Options:\n"
          "  -h, --help     this help; 'flowchronicle <command> --help' for a command\n"
          "  -V, --version  version and source revision\n"
          "  -q, --quiet    warnings and errors only;  -v, --verbose  debug messages\n");
}

static void join_cmdline(int argc, char **argv) {
  size_t n = 1;
  for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
  cmdline = malloc(n);
  if (!cmdline) return;
  cmdline[0] = '\0';
  for (int i = 0; i < argc; i++) {
    if (i) strcat(cmdline, " ");
    strcat(cmdline, argv[i]);
  }
}

int main(int argc, char **argv) {
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    fprintf(stderr, "flowchronicle: MPI initialisation failed\n");
    return 1;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  fc_log_set_rank(rank_, size_);
  join_cmdline(argc, argv);
  int rc = 0;
  if (provided < MPI_THREAD_FUNNELED) {
    fc_log_error("flowchronicle: the MPI library provides thread level %d, FUNNELED (%d) is "
                 "needed for OpenMP inside ranks",
                 provided, MPI_THREAD_FUNNELED);
    rc = 1;
    goto done;
  }
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      if (rank_ == 0) usage(stdout);
      goto done;
    } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
      if (rank_ == 0) printf("flowchronicle %s (revision %s)\n", FC_VERSION, FC_GIT_REVISION);
      goto done;
    } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
      fc_log_set_level(FC_LOG_WARN);
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      fc_log_set_level(FC_LOG_DEBUG);
    } else {
      if (rank_ == 0) {
        fprintf(stderr, "flowchronicle: unknown option '%s'\n", a);
        usage(stderr);
      }
      rc = 2;
      goto done;
    }
  }
  if (i >= argc) {
    if (rank_ == 0) usage(stderr);
    rc = 2;
    goto done;
  }
  const command *cmd = NULL;
  for (size_t k = 0; commands[k].name; k++)
    if (!strcmp(argv[i], commands[k].name)) cmd = &commands[k];
  if (!cmd) {
    if (rank_ == 0) {
      fprintf(stderr, "flowchronicle: unknown command '%s'\n", argv[i]);
      usage(stderr);
    }
    rc = 2;
    goto done;
  }
  rc = cmd->run(argc - i, argv + i);
done:
  free(cmdline);
  MPI_Finalize();
  return rc;
}
