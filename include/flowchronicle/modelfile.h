/* The model file: what `mine` writes and `show` and `generate` read (layout in
 * docs/model-format.md). It holds the patterns with their BNs, usage, code lengths and the
 * temporal data generation needs (start ticks of every used window, delays between its rows,
 * start ticks of the flows only the base BN covers), the base BN, the dictionaries and bin
 * edges to decode values, provenance, and the search state so a run can resume from it (a
 * checkpoint is a model file). Written atomically by one process; read by any. */
#ifndef FLOWCHRONICLE_MODELFILE_H
#define FLOWCHRONICLE_MODELFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/bn.h"
#include "flowchronicle/cover.h"
#include "flowchronicle/encode.h"
#include "flowchronicle/error.h"
#include "flowchronicle/model.h"
#include "flowchronicle/pattern.h"
#include "flowchronicle/search.h"

#define FC_MODEL_FORMAT "flowchronicle-model"
#define FC_MODEL_FORMAT_VERSION 1

typedef struct fc_mined_pattern {
  fc_pattern p;
  uint64_t usage;
  double bits;       /* L(p) */
  double data_bits;  /* its part of L(D|M) */
  double bits_saved; /* total without p minus total with p */
  int n_vars;
  uint8_t *var_row, *var_col;
  uint32_t *card;    /* per variable */
  uint32_t **alpha;  /* per variable: value index -> column code */
  fc_bn_family *structure;
  fc_bn *bn;         /* NULL when there is no variable or no usage */
  int64_t *start_ticks; /* usage: tick of each window's first flow */
  int64_t *delays;      /* usage x (rows - 1): ticks between consecutive rows */
} fc_mined_pattern;

typedef struct fc_model_file {
  /* provenance */
  char *version, *git_revision, *command_line, *dataset;
  int64_t created_unix;
  int ranks, threads;
  /* the data: dictionaries and edges only (codes are NULL), time base */
  fc_encoded cols;
  int64_t t_end_us, span_ticks;
  /* options the model was mined with */
  int64_t max_span_ticks;
  int max_indegree;
  bool artifact_struct_bits;
  /* code lengths */
  double bits_model, bits_data, bits_empty;
  /* patterns */
  size_t n_patterns;
  fc_mined_pattern *patterns;
  /* base BN and the flows it covers */
  fc_bn_family *base_structure; /* cols.n_cols families */
  fc_bn *base_bn;               /* counted on the uncovered flows */
  uint64_t n_uncovered;
  int64_t *base_start_ticks;
  /* the search, for --resume */
  fc_search_state search;
} fc_model_file;

/* Collects a model's content (copies; m, md and e stay the caller's). bits_saved is computed by
 * a removal trial per pattern when with_bits_saved. */
fc_status fc_model_file_from_model(fc_model *m, const fc_mdata *md, const fc_encoded *e,
                                   const fc_search_state *s, bool with_bits_saved,
                                   fc_model_file *out);
fc_status fc_model_file_write(const char *path, const fc_model_file *f);
/* Reads path on the calling process (not collective). FC_ERR_VERSION for another format or
 * version, FC_ERR_IO/FC_ERR_HDF5 for unreadable or truncated files; both name the file. */
fc_status fc_model_file_read(const char *path, fc_model_file *f);
void fc_model_file_free(fc_model_file *f);

#endif
