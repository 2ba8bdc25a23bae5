/* Bayesian networks over integer-coded variables (FLOWCHRONICLE.md sections 4-5): sparse family
 * count tables, structure learning by hill climbing on BIC, the KT code length of the data, and
 * forward sampling from K2-smoothed CPTs.
 *
 * Variables are 0..m-1; variable v takes codes in [0, card[v]), card[v] >= 1 being the number of
 * distinct values v takes in the data the BN is fit on (the caller computes it globally and
 * remaps values). A node has at most FC_BN_MAX_PARENTS parents.
 *
 * Everything is built from INTEGER COUNTS. A family (node v, parent set P) is summarised by a
 * sparse count table of the observed (parent configuration, value) pairs only, never a dense
 * product of cardinalities (an IP column can have 10,000 values). Tables have one canonical
 * form (entries strictly ascending by key, counts > 0), so counting a data set split over ranks
 * or threads and merging the parts gives the same table as counting it whole, in any merge
 * order; scores and code lengths are computed from merged tables only, in table order, so they
 * are bit-identical for any rank or thread count.
 *
 * How the distributed miner reduces (the design this module is built for): the learner asks for
 * count tables through an fc_bn_count_fn callback, a batch of families at a time. An MPI
 * implementation counts its shard with fc_bn_count_local, serialises each table
 * (fc_bn_counts_serialize: flat uint64 words), exchanges the buffers (MPI_Allgatherv, or
 * Gatherv + merge + Bcast), deserialises and merges them (fc_bn_counts_merge), and returns the
 * merged tables. Every rank then sees identical tables, makes identical decisions, and asks for
 * the same next batch: fc_bn_learn is collective exactly when its callback is. Logarithms are
 * only ever taken of merged counts.
 *
 * Thread safety: a finished fc_bn is read-only; sampling and the accessors may run from many
 * threads at once. Learning and counting use OpenMP internally (over families and row chunks)
 * and give the same result for any number of threads. */
#ifndef FLOWCHRONICLE_BN_H
#define FLOWCHRONICLE_BN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"

#define FC_BN_MAX_PARENTS 3

/* A family: a node and its parent set. Parents are strictly ascending; unused slots are -1.
 * Value type: compare with fc_bn_family_equal. */
typedef struct fc_bn_family {
  int node;
  int n_parents;
  int parents[FC_BN_MAX_PARENTS];
} fc_bn_family;

/* Fills *fam from an unordered parent list (sorted here); FC_ERR_ARG on more than
 * FC_BN_MAX_PARENTS parents, a duplicate, a negative index or the node itself. */
fc_status fc_bn_family_set(fc_bn_family *fam, int node, const int *parents, int n_parents);
bool fc_bn_family_equal(const fc_bn_family *a, const fc_bn_family *b);

/* ---------------------------------------------------------------------------------------------
 * Family count tables.
 *
 * An entry is (cfg[0], cfg[1], cfg[2], value) -> count, where cfg[i] is the value of parents[i]
 * and the slots of absent parents are 0. Entries are kept sorted ascending by that 4-tuple
 * (lexicographic), keys unique, counts > 0: entries with the same parent configuration are
 * contiguous, values ascending inside it.
 *
 * Serial layout (fc_bn_counts_serialize), native-endian uint64 words:
 *   word 0        FC_BN_COUNTS_TAG (format tag and version)
 *   word 1        node
 *   word 2        n_parents
 *   words 3..5    parents[0..2], UINT64_MAX for absent slots
 *   word 6        n_entries
 *   then n_entries records of 3 words:
 *                 (cfg[0] << 32) | cfg[1],   (cfg[2] << 32) | value,   count
 * so 7 + 3 * n_entries words; tables of a batch are simply concatenated. */
typedef struct fc_bn_counts fc_bn_counts;

#define FC_BN_COUNTS_TAG UINT64_C(0x4643424e43540001) /* "FCBNCT", version 1 */

/* An empty table for a family (fam is validated as by fc_bn_family_set). */
fc_status fc_bn_counts_create(const fc_bn_family *fam, fc_bn_counts **out);
/* A table from n unordered entries: keys[4 i .. 4 i + 3] = (cfg[0], cfg[1], cfg[2], value),
 * slots of absent parents must be 0; counts[i] added (duplicates summed, zeros dropped). */
fc_status fc_bn_counts_from_entries(const fc_bn_family *fam, size_t n, const uint32_t *keys,
                                    const uint64_t *counts, fc_bn_counts **out);
fc_status fc_bn_counts_copy(const fc_bn_counts *c, fc_bn_counts **out);
void fc_bn_counts_destroy(fc_bn_counts **c);

const fc_bn_family *fc_bn_counts_family(const fc_bn_counts *c);
/* Number of entries (observed (configuration, value) pairs). */
size_t fc_bn_counts_size(const fc_bn_counts *c);
/* Sum of all counts: the number of rows counted. */
uint64_t fc_bn_counts_total(const fc_bn_counts *c);
/* Entry i < size in canonical order; any out pointer may be NULL. */
void fc_bn_counts_entry(const fc_bn_counts *c, size_t i, uint32_t cfg[FC_BN_MAX_PARENTS],
                        uint32_t *value, uint64_t *count);
/* Same family and same entries. */
bool fc_bn_counts_equal(const fc_bn_counts *a, const fc_bn_counts *b);

/* dst += src (the rank reduction). Both must be tables of the same family (FC_ERR_ARG
 * otherwise). Commutative and associative: any merge order gives the same table. */
fc_status fc_bn_counts_merge(fc_bn_counts *dst, const fc_bn_counts *src);

size_t fc_bn_counts_serial_words(const fc_bn_counts *c);
/* Writes fc_bn_counts_serial_words(c) words. */
void fc_bn_counts_serialize(const fc_bn_counts *c, uint64_t *words);
/* Reads one table from the front of words[0..n_words); *used gets the words consumed (may be
 * NULL). Validates the tag, the family, canonical order and positive counts (FC_ERR_FORMAT). */
fc_status fc_bn_counts_deserialize(const uint64_t *words, size_t n_words, fc_bn_counts **out,
                                   size_t *used);

/* KT code length in bits of the node's values given its parents: sum over the observed parent
 * configurations (in table order) of fc_mdl_kt_bits of that configuration's value counts, with
 * r = card_node. Configurations never observed cost nothing. */
double fc_bn_counts_kt_bits(const fc_bn_counts *c, uint32_t card_node);

/* BIC family score as pgmpy's BicScore (which the authors' artifact used), natural logarithms:
 *   sum over observed (c, v) of N_cv ln(N_cv / N_c) - 1/2 ln(N) (card[node] - 1) q,
 * q = product of card[p] over the parents, N = n_rows (the total over the whole BN's data).
 * card is indexed by variable. Larger is better. */
double fc_bn_counts_bic(const fc_bn_counts *c, const uint32_t *card, uint64_t n_rows);
/* bic[i] = fc_bn_counts_bic(tabs[i], card, n_rows) for i < n, with OpenMP threads when the tables
 * are large enough to pay for a parallel region (same values either way). */
void fc_bn_counts_bic_batch(size_t n, fc_bn_counts *const *tabs, const uint32_t *card,
                            uint64_t n_rows, double *bic);

/* ---------------------------------------------------------------------------------------------
 * Counting. The learner asks for family tables through this callback: fill out[i] with a new
 * table for families[i] (family exactly as given) for i < n_families; the learner owns and
 * destroys them. On failure return the status and leave no tables allocated. A batch holds up
 * to fc_bn_learn_opts.max_batch families so a distributed implementation pays one collective
 * per batch, not one per family. */
typedef fc_status (*fc_bn_count_fn)(void *ctx, size_t n_families, const fc_bn_family *families,
                                    fc_bn_counts **out);

/* A local column-major data block: cols[v][row] for v < n_vars, row < n_rows. When card is not
 * NULL every value is checked against it (FC_ERR_ARG names the variable and row). */
typedef struct fc_bn_data {
  int n_vars;
  size_t n_rows;
  const uint32_t *const *cols;
  const uint32_t *card;
} fc_bn_data;

/* The local fc_bn_count_fn: ctx is a const fc_bn_data *. One task per (family, row chunk), run
 * with OpenMP; a task counts in a dense array when the family's key space is small (at most 4M
 * cells and 2 per row, cardinalities given), in a hash table otherwise. Rows are split into
 * chunks only when a batch has fewer families than threads. The tables do not depend on the
 * thread count. Call it outside OpenMP regions to get its threads. */
fc_status fc_bn_count_local(void *ctx, size_t n_families, const fc_bn_family *families,
                            fc_bn_counts **out);

/* ---------------------------------------------------------------------------------------------
 * Networks. */
typedef struct fc_bn fc_bn;

/* A network from one count table per node: tables[v] must be a table of node v; the parent sets
 * they carry are the structure, which must be acyclic. All tables must have the same total
 * (the number of rows), and entries must lie inside the cardinalities. On success the BN takes
 * the tables (tables[v] set to NULL); on failure the caller still owns them. */
fc_status fc_bn_create(int m, const uint32_t *card, fc_bn_counts **tables, fc_bn **out);

/* A network with a given structure (families[v].node == v), counting its families through
 * count/ctx (one batch). */
fc_status fc_bn_create_counted(int m, const uint32_t *card, const fc_bn_family *families,
                               fc_bn_count_fn count, void *ctx, fc_bn **out);

void fc_bn_destroy(fc_bn **bn);

/* Scores a batch of families directly: bic[i] = fc_bn_counts_bic of the table families[i]
 * would have over all rows, *n_rows the number of rows. An MPI implementation lets each rank
 * merge and score only some of the families (fc_dist_bn_score) instead of every rank receiving
 * every table. Must give exactly the values the learner computes from merged tables. */
typedef fc_status (*fc_bn_score_fn)(void *ctx, size_t n_families, const fc_bn_family *families,
                                    const uint32_t *card, double *bic, uint64_t *n_rows);

typedef struct fc_bn_learn_opts {
  int max_indegree; /* 0..FC_BN_MAX_PARENTS; default 3 */
  double min_gain;  /* stop when no operation improves the BIC by more; default 1e-9 */
  long max_steps;   /* safety bound on applied operations; default 100000 */
  size_t max_batch; /* families per count call (bounds the tables held at once); default 64 */
  fc_bn_score_fn score; /* when not NULL, the search scores families through it (same ctx as
                           the count callback, which then only counts the final families);
                           default NULL */
} fc_bn_learn_opts;

void fc_bn_learn_opts_default(fc_bn_learn_opts *o);

typedef struct fc_bn_learn_stats {
  long steps;              /* operations applied */
  size_t families_counted; /* family tables requested during the search */
  size_t count_calls;      /* callback invocations (batches), final counting included */
  double bic;              /* BIC of the learned structure (natural log) */
} fc_bn_learn_stats;

/* Structure learning: greedy hill climbing from the empty graph. Each step applies the single
 * best operation among adding, removing and reversing one arc (no cycles, at most max_indegree
 * parents) and stops when the best improves the BIC by no more than min_gain. Operations whose
 * gains are equal up to rounding (within 1e-11 x (1 + |total BIC|)) are ties, broken by the
 * smallest (operation, from, to) with add < remove < reverse, so the result is deterministic
 * and does not depend on rounding-level differences. Family scores are cached. The returned BN
 * holds the final families' tables. stats may be NULL. */
fc_status fc_bn_learn(int m, const uint32_t *card, const fc_bn_learn_opts *opts,
                      fc_bn_count_fn count, void *ctx, fc_bn **out, fc_bn_learn_stats *stats);

int fc_bn_n_nodes(const fc_bn *bn);
uint32_t fc_bn_cardinality(const fc_bn *bn, int v);
/* Rows the tables were counted on. */
uint64_t fc_bn_n_rows(const fc_bn *bn);
const fc_bn_family *fc_bn_family_of(const fc_bn *bn, int v);
const fc_bn_counts *fc_bn_counts_of(const fc_bn *bn, int v);
bool fc_bn_has_arc(const fc_bn *bn, int from, int to);
int fc_bn_n_arcs(const fc_bn *bn);
/* A topological order (parents before children; the smallest ready index first). */
const int *fc_bn_topo_order(const fc_bn *bn);

/* L_KT(data | BN) in bits: sum over nodes v (in index order) of
 * fc_bn_counts_kt_bits(table of v, card[v]). */
double fc_bn_data_bits(const fc_bn *bn);
/* The same from merged family tables without building a BN (tables[v] of node v). */
double fc_bn_tables_kt_bits(int m, const uint32_t *card, const fc_bn_counts *const *tables);
/* fc_mdl_bn_structure_bits of this structure. */
double fc_bn_structure_bits(const fc_bn *bn, int max_indegree, bool artifact_compat);
/* Total BIC (natural log) of the BN on its counts. */
double fc_bn_bic(const fc_bn *bn);

/* Sampling from K2-smoothed CPTs: P(v = x | c) = (N_cx + 1) / (N_c + card[v]); for a parent
 * configuration never observed, uniform over [0, card[v]). One uniform u in [0, 1) per draw:
 * x = u (N_c + card[v]) falls in the observed mass (binary search over cumulative counts of the
 * configuration's entries) or in the smoothing mass (uniform over all card[v] values), so a draw
 * costs O(log) in the configuration count and the entries, never O(card). */

/* One draw of node v; values[p] must hold the values of v's parents (indexed by variable). */
uint32_t fc_bn_sample_node(const fc_bn *bn, int v, const uint32_t *values, double u);
/* One joint (ancestral) draw: nodes in topological order, node v using uniforms[v]; writes
 * values[0..m). The caller's counter-based stream supplies the uniforms. */
void fc_bn_sample(const fc_bn *bn, const double *uniforms, uint32_t *values);

/* ---------------------------------------------------------------------------------------------
 * Serialisation for the model file. Cardinalities are stored by the caller (m uint32).
 *   structure: 4 int32 per node v: n_parents, parents[0], parents[1], parents[2] (-1 unused);
 *   words:     the node tables in node order, each in the fc_bn_counts serial layout. */
size_t fc_bn_serial_words(const fc_bn *bn);
void fc_bn_serialize(const fc_bn *bn, int32_t *structure, uint64_t *words);
/* Rebuilds a BN; FC_ERR_FORMAT when the arrays are inconsistent (a table that does not match
 * the structure, trailing or missing words, a cycle, values outside the cardinalities). */
fc_status fc_bn_deserialize(int m, const uint32_t *card, const int32_t *structure,
                            const uint64_t *words, size_t n_words, fc_bn **out);

#endif
