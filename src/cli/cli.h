/* Shared pieces of the command-line front end: the command table, MPI start-up, and reporting
 * a failed status the same way in every command. */
#ifndef FC_CLI_H
#define FC_CLI_H

#include <stdio.h>

#include "flowchronicle/error.h"
#include "flowchronicle/flow.h"
#include "flowchronicle/ingest.h"

/* Each command: returns the process exit code (0 success, 1 failure, 2 usage error). */
int fc_cmd_demo_data(int argc, char **argv);
int fc_cmd_ingest(int argc, char **argv);
int fc_cmd_info(int argc, char **argv);
int fc_cmd_export(int argc, char **argv);
int fc_cmd_mine(int argc, char **argv);
int fc_cmd_show(int argc, char **argv);

/* The command line as one string (for provenance); valid for the process lifetime. */
const char *fc_cli_command_line(void);
int fc_cli_rank(void);
int fc_cli_size(void);

/* Prints "flowchronicle <cmd>: <strerror>: <message>" and returns 1. */
int fc_cli_fail(const char *cmd, fc_status st);
/* Prints a usage error with a hint to --help, returns 2. */
int fc_cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Parses a non-negative number with an optional unit: s, ms, us, m, h, d (time to microseconds)
 * Returns 0 on success. */
int fc_cli_parse_duration_us(const char *s, long long *us);
int fc_cli_parse_long(const char *s, long long lo, long long hi, long long *out);

/* Commands (src/cli/cmd_<name>.c). */
int fc_cmd_eval(int argc, char **argv);
int fc_cmd_generate(int argc, char **argv);
int fc_cmd_merge(int argc, char **argv);

/* Loads an input of eval (and of the report built on it) into an initialised, empty table: an
 * HDF5 dataset (path ending in .h5 or .hdf5: its raw flows, every row, read with MPI_COMM_SELF)
 * or a flow file in format fmt, read through fc_ingest (session rule for unidirectional
 * formats, time order). */
fc_status fci_eval_load(const char *path, fc_format fmt, fc_flow_table *out);

#endif
