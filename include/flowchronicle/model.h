/* The FlowChronicle model under search: a list of patterns, each with its windows, its share of
 * the cover and a Bayesian network over its free cells, plus the base BN that codes the flows no
 * pattern covers. It scores itself exactly by MDL (spec section 4):
 *
 *   L(M)   = L_N(|P| + 1) + sum_p L(p) + L_struct(base BN)
 *   L(D|M) = sum_p [ usage_p log2 T + sum over gaps L_N(delay + 1) + L_N(usage_p) + L_KT(p) ]
 *            + uncovered x log2 T + L_KT(uncovered | base BN)
 *
 * with T = t_max - t_min in ticks. Trials (adding a candidate, removing a pattern) are computed
 * aside and committed or dropped, so the search can test many candidates cheaply.
 *
 * A pattern's BN structure is learned (hill climbing on BIC) when the pattern is added, on the
 * windows it then uses; later cover changes recount its tables on the same structure. The base
 * BN's structure is learned once on all flows. Both choices keep trials cheap and make a model
 * a deterministic function of its pattern list and structures, which is what checkpoints store. */
#ifndef FLOWCHRONICLE_MODEL_H
#define FLOWCHRONICLE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/bn.h"
#include "flowchronicle/cover.h"
#include "flowchronicle/error.h"
#include "flowchronicle/pattern.h"

typedef struct fc_model_options {
  int64_t max_span_ticks;    /* longest window, first to last row */
  int max_indegree;          /* BN parents per node, default 3 */
  bool artifact_struct_bits; /* log2(max_indegree) instead of log2(max_indegree + 1) */
} fc_model_options;

typedef struct fc_model fc_model;

/* The empty model over m's rows (borrowed: keep m alive): learns the base BN on all rows. When
 * base_structure is not NULL (n_cols families, from a checkpoint) it is used instead. */
fc_status fc_model_create(const fc_mdata *m, uint64_t span_ticks, const fc_model_options *o,
                          const fc_bn_family *base_structure, fc_model **out);
void fc_model_destroy(fc_model **m);

size_t fc_model_n_patterns(const fc_model *m);
int64_t fc_model_max_span(const fc_model *m);
const fc_model_options *fc_model_get_options(const fc_model *m);
/* Structures, for checkpoints: the base BN's n_cols families; pattern k's n_vars families. */
const fc_bn_family *fc_model_base_structure(const fc_model *m);
const fc_bn_family *fc_model_structure(const fc_model *m, size_t k, int *n_vars);
const fc_pattern *fc_model_pattern(const fc_model *m, size_t k);
uint64_t fc_model_usage(const fc_model *m, size_t k);
/* The accepted windows of pattern k (row ids into the block). */
const fc_windows *fc_model_used(const fc_model *m, size_t k);
/* The BN of pattern k (NULL when it has no free cell) and its variables' cells and alphabets:
 * variable v is cell (row[v], col[v]); its value x stands for column code alphabet[v][x]. */
const fc_bn *fc_model_bn(const fc_model *m, size_t k);
int fc_model_bn_vars(const fc_model *m, size_t k, const uint8_t **row, const uint8_t **col,
                     const uint32_t *const **alphabet);
const fc_bn *fc_model_base_bn(const fc_model *m);
const uint8_t *fc_model_covered(const fc_model *m);
/* Per row: score100 of the window covering it, INT64_MIN when none (see cover.h). */
const int64_t *fc_model_row_scores(const fc_model *m);
size_t fc_model_uncovered(const fc_model *m);

typedef struct fc_model_bits {
  double model, data, total;
  double empty; /* total of the empty model over the same data */
} fc_model_bits;
void fc_model_get_bits(const fc_model *m, fc_model_bits *b);
/* L(p) of pattern k and its data part. */
double fc_model_pattern_bits(const fc_model *m, size_t k);
double fc_model_pattern_data_bits(const fc_model *m, size_t k);

/* A trial: the model with one candidate added (constants folded) or one pattern removed. */
typedef struct fc_trial fc_trial;

/* Adds candidate c (valid, canonical): windows, cover, its BN (learned, or given by
 * `structure` when not NULL, e.g. on resume), constant folding until none is left, then the
 * exact total. *out is NULL when the candidate has no window left to use. */
fc_status fc_model_trial_add(fc_model *m, const fc_pattern *c, const fc_bn_family *structure,
                             fc_trial **out);
fc_status fc_model_trial_remove(fc_model *m, size_t k, fc_trial **out);
double fc_trial_total(const fc_trial *t);
/* The pattern a trial adds, after constant folding. */
const fc_pattern *fc_trial_pattern(const fc_trial *t);
/* Makes the trial the model (takes it); the trial is destroyed either way. */
void fc_model_commit(fc_model *m, fc_trial **t);
void fc_trial_destroy(fc_trial **t);

#endif
