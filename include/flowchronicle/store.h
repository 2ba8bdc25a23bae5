/* The HDF5 dataset file: raw flow columns, encoded columns, dictionaries, bin edges, time base
 * and provenance (layout in docs/dataset-format.md).
 *
 * Writing is done by one process and is atomic (temporary name, then rename). Reading is
 * collective over an MPI communicator: every rank names its own row range and gets only those
 * rows, plus the full dictionaries and edges. */
#ifndef FLOWCHRONICLE_STORE_H
#define FLOWCHRONICLE_STORE_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/encode.h"
#include "flowchronicle/error.h"
#include "flowchronicle/flow.h"

#define FC_DATASET_FORMAT "flowchronicle-dataset"
#define FC_DATASET_FORMAT_VERSION 1

typedef struct fc_provenance {
  char *version;      /* flowchronicle version that wrote the file */
  char *git_revision; /* of the source tree that built it, "unknown" when not in git */
  char *command_line;
  char *format;       /* input format name */
  size_t n_inputs;
  char **inputs;      /* input file names as given */
  char **input_sha256;/* hex digests of the input files' bytes as stored on disk */
  int64_t created_unix; /* seconds since the epoch; 0 when writing means "now" */
  int64_t session_gap_us;
} fc_provenance;

/* Frees the strings of a provenance filled by fc_dataset_read and zeroes it. */
void fc_provenance_free(fc_provenance *p);

/* Writes table + encoding + provenance to path atomically. The table must be the one the
 * encoding was made from (same rows, same order). Called by one process (the default HDF5
 * driver, no communicator). Nothing passed in is freed or changed. p may be NULL, and its NULL
 * strings are stored as "" (version and git_revision default to this build's). The inputs are
 * checked first (row counts, column ids and kinds, every code inside its domain, dictionaries
 * and edges present): FC_ERR_ARG before any file is created. The file appears at path only when
 * complete; on any failure the temporary file is removed and an existing file at path is left
 * as it was. */
fc_status fc_dataset_write(const char *path, const fc_flow_table *t, const fc_encoded *e,
                           const fc_provenance *p);

/* Header information, read by every rank of comm (collective). */
typedef struct fc_dataset_meta {
  size_t n_rows;
  int n_cols;
  bool has_labels;
  int64_t t0_us, t_end_us, tick_us;
  int bins;
} fc_dataset_meta;

/* Opens path collectively over comm and reads rows [row_begin, row_end) of this rank. Any of
 * meta, raw, enc, prov may be NULL to skip that part, but every rank must ask for the same
 * parts (checked: FC_ERR_ARG on all ranks otherwise). enc gets this rank's codes and ticks
 * (enc->n_rows = row_end - row_begin) plus the full dictionaries, counts and edges, each array
 * and each dictionary string malloc'ed separately (free with fc_encoded_free); raw is
 * initialized by the call and gets this rank's rows (labels as ids into the full label
 * dictionary; free with fc_table_free). All ranks must call it; ranks may pass empty ranges.
 * A rank whose read fails makes every rank return an error (no hang); on error raw, enc and
 * prov are left empty. comm may be MPI_COMM_NULL: one process reads with the default driver.
 * Errors: FC_ERR_IO (missing file), FC_ERR_HDF5 (not HDF5, truncated, corrupt),
 * FC_ERR_VERSION (not a FlowChronicle dataset, or another format_version), FC_ERR_FORMAT (an
 * object missing or malformed), FC_ERR_ARG (a range outside the file); all name the file. */
fc_status fc_dataset_read(const char *path, MPI_Comm comm, size_t row_begin, size_t row_end,
                          fc_dataset_meta *meta, fc_flow_table *raw, fc_encoded *enc,
                          fc_provenance *prov);

/* Reads only the header (collective). */
fc_status fc_dataset_read_meta(const char *path, MPI_Comm comm, fc_dataset_meta *meta);

/* Even split of n rows over size ranks: rank r gets [*begin, *end). */
void fc_block_range(size_t n, int rank, int size, size_t *begin, size_t *end);

#endif
