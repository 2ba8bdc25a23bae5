/* Windows and the cover (spec sections 2-3) over a block of encoded rows.
 *
 * fc_mdata is the miner's read-only view of rows: code columns, ticks and, per column, posting
 * lists (the rows holding each code, ascending), so finding the next row that matches a row
 * pattern is a binary search in the shortest relevant list, never a scan of the table.
 *
 * A window of a pattern is one row id per row pattern: every row matching row 0's FIX cells
 * starts one; each later row is the first following row that matches its FIX cells and whose
 * USE cells equal the bound values, no later than max_span ticks after the window's start.
 * Window score = covered cells - 0.01 x gaps, kept exactly as the integer
 * 100 x covered - gaps. The cover accepts windows by score (descending; ties by pattern index,
 * then start row), skipping any window touching an already covered row. */
#ifndef FLOWCHRONICLE_COVER_H
#define FLOWCHRONICLE_COVER_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/encode.h"
#include "flowchronicle/error.h"
#include "flowchronicle/pattern.h"

typedef struct fc_mdata {
  size_t n;
  int n_cols;
  const uint32_t *codes[FC_NCOLS]; /* borrowed */
  const int64_t *ticks;            /* borrowed */
  uint32_t domain[FC_NCOLS];
  uint32_t *post_off[FC_NCOLS];  /* domain + 1 offsets into post_rows */
  uint32_t *post_rows[FC_NCOLS]; /* n row ids, grouped by code, ascending inside a code */
  /* Distribution (docs/distributed.md). Rows are split into consecutive blocks, one per rank;
   * this view holds its block [0, n_own) and a halo [n_own, n): the next rows of the following
   * blocks, as far as the longest window reaches, so that windows starting in the block are
   * complete. Windows start only in the block. A serial view has comm MPI_COMM_SELF, no halo. */
  MPI_Comm comm;
  int rank, size;
  size_t n_own;
  uint64_t global_begin;  /* global row id of local row 0 */
  uint64_t global_n;      /* rows over all ranks */
  uint64_t *global_count[FC_NCOLS]; /* rows per code over all ranks */
} fc_mdata;

/* Builds the view over an encoding's rows (borrows its arrays; keep e alive). */
fc_status fc_mdata_build(fc_mdata *m, const fc_encoded *e);
/* Same over raw arrays: n rows, n_cols columns with their domains. */
fc_status fc_mdata_build_raw(fc_mdata *m, size_t n, int n_cols, const uint32_t *const *codes,
                             const uint32_t *domain, const int64_t *ticks);
void fc_mdata_free(fc_mdata *m);
/* Makes m one rank's part of a distributed view (collective over comm): local rows [0, n_own)
 * are the block starting at global row global_begin, the rest is halo. Global code counts are
 * reduced over the ranks' blocks. */
fc_status fc_mdata_distribute(fc_mdata *m, MPI_Comm comm, size_t n_own, uint64_t global_begin);
/* Rows holding code v in column c: *rows points into the posting list, returns the count. */
size_t fc_mdata_rows(const fc_mdata *m, int c, uint32_t v, const uint32_t **rows);

typedef struct fc_windows {
  size_t n, cap;
  int n_rows;    /* row patterns per window */
  uint32_t *ids; /* n x n_rows row ids */
} fc_windows;

void fc_windows_free(fc_windows *w);
/* All windows of p whose first row lies in [start_begin, start_end), in start order. Threads
 * split the starts; the result does not depend on their number. */
fc_status fc_find_windows(const fc_mdata *m, const fc_pattern *p, int64_t max_span,
                          size_t start_begin, size_t start_end, fc_windows *out);
/* Number of windows (over all ranks: collective) that can be placed without overlapping each
 * other, greedily by window score, and (when row_score is not NULL) without touching a row
 * already covered by a window of at least the same score: row_score[i] is the score100 of the
 * window covering local row i, or INT64_MIN when none. This is the first factor of the
 * search's quick score. */
fc_status fc_windows_placeable(const fc_mdata *m, const fc_windows *w, int covered_cells,
                               const int64_t *row_score, uint64_t *placed);
/* Constant folding over windows: every free or SET cell of p whose value is the same in all of
 * w's windows (over all ranks: collective) becomes FIX (a SET together with its USEs); *changed
 * says whether p changed (then canonical). The windows stay valid for the folded pattern: each
 * window's rows already hold the folded values, and a first match under looser constraints is a
 * first match under these. */
fc_status fc_pattern_fold(const fc_mdata *m, const fc_windows *w, fc_pattern *p, bool *changed);

/* 100 x covered - gaps. */
int64_t fc_window_score100(const fc_windows *w, size_t i, int covered_cells);

typedef struct fc_cover {
  size_t n_patterns;
  fc_windows *used;    /* per pattern: the accepted windows starting in this rank's block */
  uint8_t *covered;    /* per own row: 1 when a pattern covers it */
  int64_t *row_score;  /* per own row: score100 of the covering window, INT64_MIN when none */
  size_t n_uncovered;  /* own rows left uncovered */
  int rounds;          /* exchange rounds the distributed greedy needed */
} fc_cover;

/* A window in the cover's priority order: score100 descending, then pattern, then window index
 * (the windows of a pattern are in start order). */
typedef struct fc_window_ref {
  int64_t score;
  uint32_t pattern;
  uint32_t win;
} fc_window_ref;

int fc_window_ref_cmp(const fc_window_ref *a, const fc_window_ref *b);
/* The windows of pattern `pattern` in priority order (appended to *refs, which grows). */
fc_status fc_window_refs(const fc_windows *w, int covered_cells, uint32_t pattern,
                         fc_window_ref **refs, size_t *n, size_t *cap);

/* Greedy cover of the rows of m by the windows of n patterns (covered[k] = covered cells of
 * pattern k). When order is not NULL it must list every window of the patterns in priority
 * order (callers that keep it between covers avoid sorting); otherwise it is computed.
 * Collective over m->comm: windows reaching into other ranks' blocks are exchanged and decided
 * by rounds until every rank agrees, so the cover equals the one a single process computes. */
fc_status fc_cover_compute(const fc_mdata *m, const fc_windows *const *windows,
                           const int *covered_cells, size_t n_patterns,
                           const fc_window_ref *order, fc_cover *out);
void fc_cover_free(fc_cover *c);

#endif
