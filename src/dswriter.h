/* A FlowChronicle dataset file (docs/dataset-format.md) written as a stream of rows by one
 * process: the generator's HDF5 parts and the merge of parts. Rows arrive in their final order
 * with their raw values and their codes under a fixed encoding (dictionaries and bin edges
 * given up front, counts tallied here); they are buffered and appended chunk by chunk to
 * extendible, chunked datasets, so memory stays bounded whatever the number of rows. The file
 * lives under a temporary name until commit (fci_h5_writer). Not thread-safe; call it outside
 * OpenMP regions (HDF5 is not thread-safe here). */
#ifndef FLOWCHRONICLE_DSWRITER_H
#define FLOWCHRONICLE_DSWRITER_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/encode.h"
#include "flowchronicle/error.h"
#include "flowchronicle/flow.h"

typedef struct fci_dsw fci_dsw;

/* The encoding every row's codes refer to (borrowed until commit or abort). cols[c] needs id,
 * kind, domain and values (categorical, IP) or edges (numeric); counts are ignored. labels are
 * the texts of the label ids of the rows (/raw/label_values), NULL when unlabelled. */
typedef struct fci_dsw_encoding {
  int n_cols;
  const fc_column *cols;
  int64_t tick_us;
  int bins;
  size_t n_labels;
  const char *const *labels;
} fci_dsw_encoding;

/* Root attributes besides the shape (rows, times) that the writer fills in itself. */
typedef struct fci_dsw_provenance {
  const char *command_line;
  const char *input_format;
  const char *input;        /* the one input file, e.g. the model */
  const char *input_sha256; /* its digest or "" */
  int ranks, threads;
} fci_dsw_provenance;

fc_status fci_dsw_open(const char *path, const fci_dsw_encoding *e, int deflate, fci_dsw **out);
/* One row; codes[c] < cols[c].domain is checked (FC_ERR_ARG). Rows must come in start order. */
fc_status fci_dsw_append(fci_dsw *w, const fc_flow *f, const uint32_t *codes);
uint64_t fci_dsw_rows(const fci_dsw *w);
/* The open file, for extra attributes or groups before commit. */
hid_t fci_dsw_file(const fci_dsw *w);
/* Flushes the rows, writes counts, dictionaries, edges and the root attributes, renames the file
 * onto its target. Frees *w either way. */
fc_status fci_dsw_commit(fci_dsw **w, const fci_dsw_provenance *p);
void fci_dsw_abort(fci_dsw **w);

#endif
