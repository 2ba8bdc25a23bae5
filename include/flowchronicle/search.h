/* The FlowChronicle search (spec section 6): candidate families, quick scores, the two-phase
 * accept-first loop with a bound on rejections, and pruning after every accept.
 *
 * Candidates each iteration:
 *   1. single-row patterns with two FIX cells on two non-IP columns (value pairs seen >= twice);
 *   2. a model pattern with one more FIX cell (a non-IP value seen in >= 2 of its windows);
 *   3. placeholders: an existing SET reused (USE) in a later row; a new SET plus a USE in a later
 *      row; a new last row holding only a USE of a new or existing SET;
 *   4. merges of two single-row model patterns into one row;
 *   5. (phase 2) concatenations A.B of a model pattern A and a model or single-cell pattern B
 *      linked by a shared IP value or a SET in A used in B.
 * Quick score = windows placeable without overlap x covered cells, where a window is placeable
 * when it overlaps neither a better window of its own nor a row the current cover gives to a
 * window of at least its score (on the empty model this is the spec's definition; against a
 * model it predicts what the candidate would really cover, so redundant candidates stop using
 * up the rejection budget). Candidates are tested in decreasing quick score; to avoid computing every candidate's windows, an upper bound (the
 * smallest posting list among the FIX cells, times the covered cells) orders the exact
 * computations, which run in parallel batches. Every candidate is tested at most once, so the
 * search always ends. */
#ifndef FLOWCHRONICLE_SEARCH_H
#define FLOWCHRONICLE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/model.h"

typedef struct fc_search_state {
  long iteration;
  int phase;          /* 1 or 2 */
  size_t n_tested;    /* candidates tested so far */
  uint64_t *tested;   /* their hashes (fc_pattern_hash of the generated form), ascending */
  size_t n_accepted, n_pruned;
  double seconds;     /* search time spent so far (over resumed runs) */
  bool converged;     /* the phase-2 iteration added nothing */
} fc_search_state;

void fc_search_state_free(fc_search_state *s);

typedef fc_status (*fc_checkpoint_fn)(void *ctx, const fc_model *m, const fc_search_state *s);

typedef struct fc_search_options {
  int max_rejections;           /* per iteration, default 20 */
  long max_iterations;          /* 0: no limit */
  double time_limit_s;          /* 0: no limit */
  double progress_interval_s;   /* default 5 */
  double checkpoint_interval_s; /* checkpoint after an accept once this long has passed since
                                   the last one (default 10 s; 0: after every accept), and at
                                   the end */
  int max_rows;                 /* rows per pattern, at most FC_MAX_PROWS */
  int single_cell_top;          /* values per column used as single-cell patterns, default 16 */
  uint64_t min_support;         /* default 2 */
  uint64_t window_cache_bytes;  /* windows of candidates kept between iterations, per rank
                                   (wcache.h); default 1 GiB, 0: none */
  fc_checkpoint_fn checkpoint;  /* called after accepts and at the end; may be NULL */
  void *checkpoint_ctx;
} fc_search_options;

void fc_search_options_default(fc_search_options *o);

/* Asks a running search to stop at the next candidate (async-signal-safe). */
void fc_search_request_stop(void);
bool fc_search_stop_requested(void);

/* Runs the search on m from state s (fresh: zeroed with phase 1). Stops at convergence, at a
 * limit or on request; m is always a valid model afterwards. */
fc_status fc_search_run(fc_model *m, const fc_mdata *md, const fc_search_options *o,
                        fc_search_state *s);

#endif
