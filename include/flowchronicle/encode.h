/* The mining view of a flow table: which columns are modelled, and their integer encoding.
 *
 * Categorical columns (proto, dst_port, flags, label) and IP columns (src_ip, dst_ip) are
 * dictionary-encoded: code -> text value, ordered by count descending, then by text, so the
 * encoding depends only on the multiset of values, not on row order or rank count. The two IP
 * columns share one address dictionary (same code = same host in either column; counts stay
 * per column), so a source address can be reused as a destination. Numeric
 * columns (packets, bytes, duration) keep 0 as code 0 and cut non-zero values into up to `bins`
 * equal-frequency bins (quantile edges by linear interpolation, duplicate edges merged). A
 * numeric column has n_edges = domain + 1 edges: edges[0] = 0 and code k covers
 * [edges[k], edges[k+1]), the last bin closed on the right; code 0 is exactly the value 0.
 * Start times become integer ticks since the first flow. */
#ifndef FLOWCHRONICLE_ENCODE_H
#define FLOWCHRONICLE_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"
#include "flowchronicle/flow.h"

typedef enum fc_col_kind { FC_KIND_CATEGORICAL, FC_KIND_IP, FC_KIND_NUMERIC } fc_col_kind;

typedef enum fc_col_id {
  FC_COL_PROTO,
  FC_COL_SRC_IP,
  FC_COL_DST_IP,
  FC_COL_DST_PORT,
  FC_COL_FLAGS,
  FC_COL_FWD_PKTS,
  FC_COL_BWD_PKTS,
  FC_COL_FWD_BYTES,
  FC_COL_BWD_BYTES,
  FC_COL_DURATION,
  FC_COL_LABEL, /* present only when the input had labels */
  FC_NCOLS
} fc_col_id;

/* Canonical column name (as in the flow CSV header) and kind. */
const char *fc_col_name(fc_col_id id);
fc_col_kind fc_col_kind_of(fc_col_id id);
/* Looks a column up by canonical name; returns -1 when unknown. */
int fc_col_lookup(const char *name);

typedef struct fc_column {
  fc_col_id id;
  fc_col_kind kind;
  uint32_t domain;   /* number of codes: dictionary size, or 1 + number of bins */
  uint32_t *codes;   /* one per row (NULL in a model file's dictionaries-only view) */
  uint64_t *counts;  /* rows per code over the whole dataset (in this column) */
  char **values;     /* categorical/IP: text of each code */
  double *edges;     /* numeric: n_edges = domain + 1 bin edges (see above); NULL otherwise */
  uint32_t n_edges;
} fc_column;

typedef struct fc_encoding_options {
  int bins;        /* max quantile bins for non-zero numeric values, default 40 */
  int64_t tick_us; /* tick length, default 10 ms */
} fc_encoding_options;

void fc_encoding_options_default(fc_encoding_options *o);

typedef struct fc_encoded {
  size_t n_rows;
  int n_cols;             /* FC_NCOLS - 1 without labels, FC_NCOLS with */
  fc_column cols[FC_NCOLS];
  int64_t t0_us;          /* start time of the first flow */
  int64_t tick_us;
  int64_t *ticks;         /* (ts_us - t0_us) / tick_us per row */
  int bins;               /* the bins option the encoding was made with */
} fc_encoded;

/* Encodes a time-sorted table. */
fc_status fc_encode(const fc_flow_table *t, const fc_encoding_options *o, fc_encoded *out);
void fc_encoded_free(fc_encoded *e);

/* True when two dictionary columns hold the same texts (the encoder shares one address
 * dictionary between src_ip and dst_ip; dataset writers store the second as a link). */
bool fc_column_same_dictionary(const fc_column *a, const fc_column *b);
/* Code of a raw numeric value under a column's edges (binary search). */
uint32_t fc_numeric_code(const fc_column *c, double v);
/* Text of a code: the dictionary value, "0" for the zero symbol, or "[lo,hi)" for a bin. */
int fc_code_format(const fc_column *c, uint32_t code, char *buf, size_t cap);
/* The numeric value of a flow in a numeric column (duration in seconds). */
double fc_numeric_value(const fc_flow_table *t, fc_col_id id, size_t row);

#endif
