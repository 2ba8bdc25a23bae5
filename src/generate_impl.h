/* Private structures of the generator (src/generate.c) and its part writer (src/genwrite.c). */
#ifndef FLOWCHRONICLE_GENERATE_IMPL_H
#define FLOWCHRONICLE_GENERATE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/generate.h"
#include "flowline.h"
#include "genbn.h"

/* One address of a dictionary: value, canonical text, and what the generator derives from it. */
typedef struct fci_gen_ip {
  fc_ip ip;
  char text[FC_IP_STRLEN];
  uint8_t len;
  uint8_t windows; /* ephemeral ports of Windows (49152-65535) rather than Linux (32768-60999) */
  uint8_t oneway;  /* broadcast or multicast: nothing comes back */
} fci_gen_ip;

/* A non-zero numeric bin decoded as an integer (count, or microseconds of duration) drawn
 * uniformly from lo .. lo + n - 1; n = 0 when no integer of the bin re-encodes to its code. */
typedef struct fci_gen_bin {
  int64_t lo;
  uint64_t n;
} fci_gen_bin;

/* How each cell of a series' rows gets its code: from a BN variable or a fixed code. */
typedef struct fci_gen_prog {
  int rows;
  const fc_bn *bn;     /* NULL when the series has no variable */
  fci_gen_bn *sampler; /* its sampling index (owned) */
  int n_vars;
  uint32_t *const *alpha;             /* value index -> code per variable; NULL: identity (base) */
  bool fixed[FC_MAX_PROWS][FC_NCOLS]; /* true: arg is the code; false: arg is the variable */
  uint32_t arg[FC_MAX_PROWS][FC_NCOLS];
} fci_gen_prog;

struct fc_generator {
  const fc_model_file *m;
  fc_generate_options o;
  fc_timeline *tl;
  int n_cols;
  bool labelled;
  size_t n_series; /* patterns, then the base */
  fci_gen_prog *prog;
  uint64_t n_slices;
  int max_vars;
  /* decoding tables, per code of each column */
  uint8_t *proto;
  fci_gen_ip *ip[2]; /* src_ip, dst_ip dictionaries */
  uint16_t *port;
  uint8_t *flags;
  fci_gen_bin *bins[FC_NCOLS];
  char **label_csv; /* labels as the flow CSV writes them */
  size_t *label_csv_len;
  char **label_cidds; /* "class,attackType" of each label */
  size_t *label_cidds_len;
  size_t label_max; /* longest label text in either form */
  /* the encoding of HDF5 output: the model's, with "......" added to flags when missing */
  fc_column out_cols[FC_NCOLS];
  char **flags_values; /* out_cols[FC_COL_FLAGS].values when extended (owned) */
  uint32_t flags_zero; /* the code of no flags */
  const char **label_texts;
  size_t n_labels;
};

typedef struct fci_gflow {
  int64_t ts, dur;
  uint64_t fp, bp, fb, bb;
  uint32_t src, dst; /* address codes */
  uint16_t sport, dport;
  uint8_t proto, flags;
  uint32_t label;           /* label code */
  uint32_t codes[FC_NCOLS]; /* final codes (HDF5 output only) */
} fci_gflow;

/* An output record: a flow, or for CIDDS one direction of it. off/len locate its line (with
 * the newline) in the slice's text once formatted. */
typedef struct fci_gitem {
  int64_t key; /* start of the record */
  uint32_t flow;
  uint8_t dir; /* 0 forward, 1 backward (CIDDS) */
  uint32_t len;
  uint64_t off;
} fci_gitem;

struct fc_gen_slice {
  uint64_t k;
  size_t n_flows, cap_flows;
  fci_gflow *flows;
  size_t n_items, cap_items;
  fci_gitem *items;
  char *text; /* text formats: the lines in item order */
  size_t text_len, text_cap;
  fc_generate_stats stats;
};

/* The record's line without the newline into b (FCI_LINE_MAX + g->label_max bytes);
 * canonical flow CSV for the CSV and HDF5 formats, the CIDDS record for CIDDS. Returns the
 * length. */
size_t fci_gen_format(const fc_generator *g, const fci_gflow *f, int dir, char *b,
                      fci_day_cache *dc);
/* The output order of two records (start, then line bytes); lines are formatted into the two
 * scratch buffers when not already in the slices' text. */
int fci_gen_cmp(const fc_generator *g, const fc_gen_slice *sa, const fci_gitem *a,
                const fc_gen_slice *sb, const fci_gitem *b, char *scratch_a, char *scratch_b);
void fci_gen_to_flow(const fc_generator *g, const fci_gflow *gf, fc_flow *f);
/* Appends a copy of item it of src (flow, and line when formatted) to dst. */
fc_status fci_gen_slice_copy_item(fc_gen_slice *dst, const fc_gen_slice *src, const fci_gitem *it);
fc_status fci_gen_slice_new(uint64_t k, fc_gen_slice **out);

#endif
