/* MPI plumbing of the distributed miner: variable-length all-gathers, the union of sorted code
 * lists, and the Bayesian-network counting callback that counts a rank's rows and merges every
 * rank's tables, so structure learning and code lengths see the counts of all rows (integer
 * merges, logarithms only afterwards: the result does not depend on the rank count). MPI calls
 * here are collective and must not run inside OpenMP regions. */
#ifndef FLOWCHRONICLE_DIST_H
#define FLOWCHRONICLE_DIST_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/bn.h"
#include "flowchronicle/error.h"

/* Bytes this process has sent through the helpers below (for the scaling benchmark). */
uint64_t fc_dist_bytes_sent(void);

/* Every rank's n words, concatenated in rank order into a new array (*all, *n_all). */
fc_status fc_dist_allgatherv_u64(MPI_Comm comm, const uint64_t *words, size_t n, uint64_t **all,
                                 size_t *n_all);

/* Every rank's n values concatenated in rank order on rank `root` (*all, *n_all); other ranks
 * get an empty array. */
fc_status fc_dist_gatherv_i64(MPI_Comm comm, int root, const int64_t *v, size_t n, int64_t **all,
                              size_t *n_all);

/* The sorted union (no duplicates) of every rank's sorted list. */
fc_status fc_dist_union_u32(MPI_Comm comm, const uint32_t *sorted, size_t n, uint32_t **out,
                            size_t *n_out);

/* In-place sums over the ranks. */
fc_status fc_dist_sum_u64(MPI_Comm comm, uint64_t *v, size_t n);
fc_status fc_dist_sum_i64(MPI_Comm comm, int64_t *v, size_t n);
/* Logical AND of a flag over the ranks. */
fc_status fc_dist_all(MPI_Comm comm, int *flag);

/* fc_bn_count_fn over a communicator: ctx is an fc_dist_bn_ctx. */
typedef struct fc_dist_bn_ctx {
  fc_bn_data local; /* this rank's rows */
  MPI_Comm comm;
} fc_dist_bn_ctx;

fc_status fc_dist_bn_count(void *ctx, size_t n_families, const fc_bn_family *families,
                           fc_bn_counts **out);

/* fc_bn_score_fn over a communicator (ctx is an fc_dist_bn_ctx): family i belongs to rank
 * i mod size; every rank counts its rows and sends each table to the family's owner only
 * (all-to-all), the owner merges the tables in rank order and scores them, and the scores are
 * all-gathered. Each score is computed by one rank from the merged table, so it is the value
 * one process computes; merging and scoring are shared by the ranks instead of repeated. */
fc_status fc_dist_bn_score(void *ctx, size_t n_families, const fc_bn_family *families,
                           const uint32_t *card, double *bic, uint64_t *n_rows);

#endif
