/* Generation of synthetic flows from a mined model (docs/generate.md): pattern instances drawn
 * by the time model (timeline.h) over [start, end), their cells filled from FIX values, BN
 * samples and reused SET values, decoded to flow values, repaired where a protocol demands it,
 * and written in one total order.
 *
 * Sharding. [start, end) is cut into fixed slices (default 1 h). Everything random in slice k
 * comes from Philox streams named (seed, purpose; k, series, index) (rng.h), so a slice's flows
 * are a pure function of (model, options, k): any rank or thread may compute any slice. A run
 * hands slices to ranks round-robin; each rank writes its own part file, time-ordered inside,
 * and fc_merge_files (merge.h) combines parts into one file. A run may make only one shard of
 * the period, a contiguous run of slices (fc_gen_shard_range), so that separate jobs with their
 * own rank counts share a period; the parts of all shards merge into the whole run's file.
 *
 * Order. Flows are ordered by start time, ties broken by the canonical flow-CSV text of the
 * record (docs/flows-csv.md). For the text formats this is exactly the byte order of the output
 * lines (the time field comes first, fixed width), so parts merge by comparing lines; the HDF5
 * format uses the same order. The order depends on nothing but the flows, so a merged output is
 * byte-identical for any number of ranks and threads.
 *
 * The end of the period: an instance starts inside [start, end); its later rows that would
 * start at or after end are not emitted (counted as truncated). A flow that starts before end
 * is kept even when it lasts past end. */
#ifndef FLOWCHRONICLE_GENERATE_H
#define FLOWCHRONICLE_GENERATE_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"
#include "flowchronicle/flow.h"
#include "flowchronicle/modelfile.h"
#include "flowchronicle/timeline.h"

typedef enum fc_gen_format {
  FC_GEN_CSV,   /* canonical flow CSV (docs/flows-csv.md) */
  FC_GEN_CIDDS, /* CIDDS-001 style CSV: a forward and (when it has packets) a backward record */
  FC_GEN_H5,    /* a FlowChronicle dataset file (docs/dataset-format.md) */
  FC_GEN_FORMATS
} fc_gen_format;

bool fc_gen_format_parse(const char *name, fc_gen_format *out);
const char *fc_gen_format_name(fc_gen_format f);

/* Consistency repairs (docs/generate.md). */
typedef enum fc_repair {
  FC_REPAIR_FLAGS,    /* TCP flags on a non-TCP flow cleared */
  FC_REPAIR_ONEWAY,   /* backward traffic to a broadcast or multicast destination removed */
  FC_REPAIR_PACKETS,  /* packets raised: none forward, bytes without packets, > 65535 B/packet */
  FC_REPAIR_BYTES,    /* fewer than max(headers, 42) bytes a packet: fewer packets or more bytes */
  FC_REPAIR_DURATION, /* a one-packet flow given duration 0 */
  FC_REPAIR_KINDS
} fc_repair;

const char *fc_repair_name(fc_repair r);

typedef struct fc_generate_options {
  int64_t start_us, end_us; /* [start, end), microseconds since the epoch, UTC */
  int64_t slice_us;         /* slice length, default 1 h */
  double scale;             /* rate multiplier, (0, 1e6], default 1 */
  uint64_t seed;            /* default 1 */
  int64_t tz_offset_s;      /* time zone of the rate profile: local = UTC + offset; default 0 */
  fc_gen_format format;     /* default FC_GEN_CSV */
  int h5_deflate;           /* deflate level of HDF5 output 0..9 (0: uncompressed), default 0 */
} fc_generate_options;

void fc_generate_options_default(fc_generate_options *o);

typedef struct fc_generate_stats {
  uint64_t instances; /* pattern instances and base flows started */
  uint64_t flows;     /* flows emitted */
  uint64_t records;   /* output records (CIDDS writes up to two per flow) */
  uint64_t truncated; /* rows not emitted because they would start at or after end */
  uint64_t repaired;  /* flows changed by at least one repair */
  uint64_t repairs[FC_REPAIR_KINDS];
} fc_generate_stats;

void fc_generate_stats_add(fc_generate_stats *dst, const fc_generate_stats *src);

/* ------------------------------------------------------------------ generator */

typedef struct fc_generator fc_generator;

/* Checks the options (FC_ERR_ARG: empty or reversed period, scale outside (0, 1e6], slice
 * shorter than 1 ms, more than 2^40 slices, years outside 0001-9999) and the model (FC_ERR_FORMAT
 * when a pattern's cells and BN do not fit together or a dictionary value cannot be decoded),
 * builds the time model and the decoding tables. m is borrowed and must outlive the generator. */
fc_status fc_generator_create(const fc_model_file *m, const fc_generate_options *o,
                              fc_generator **out);
void fc_generator_destroy(fc_generator **g);

const fc_timeline *fc_generator_timeline(const fc_generator *g);
const fc_generate_options *fc_generator_options(const fc_generator *g);
uint64_t fc_generator_n_slices(const fc_generator *g);
/* The slices [*first, *end) of shard `shard` of n_shards (0 <= shard < n_shards): the
 * contiguous run [floor(shard K / n), floor((shard + 1) K / n)) of the K = n_slices slices, so
 * consecutive shards tile [0, K) and their sizes differ by at most one. A shard is empty when
 * n_shards > K. Exact for any K < 2^64 (no product overflows). FC_ERR_ARG for a shard outside
 * 0..n_shards-1 or n_shards < 1. */
fc_status fc_gen_shard_range(uint64_t n_slices, int shard, int n_shards, uint64_t *first,
                             uint64_t *end);
/* Slice k covers [*a, *b). */
void fc_generator_slice_span(const fc_generator *g, uint64_t k, int64_t *a, int64_t *b);
/* Expected flows of the whole period (rates x scale x rows per instance). */
double fc_generator_expected_flows(const fc_generator *g);

/* The flows of one slice, sorted in output order. Thread-safe: slices may be generated
 * concurrently from one generator. */
typedef struct fc_gen_slice fc_gen_slice;

fc_status fc_generate_slice(const fc_generator *g, uint64_t k, fc_gen_slice **out);
void fc_gen_slice_destroy(fc_gen_slice **s);
size_t fc_gen_slice_flows(const fc_gen_slice *s);
const fc_generate_stats *fc_gen_slice_stats(const fc_gen_slice *s);
/* Appends the slice's flows in output order to an initialised table (labels as text). */
fc_status fc_gen_slice_to_table(const fc_generator *g, const fc_gen_slice *s, fc_flow_table *t);

/* ------------------------------------------------------------------ part files */

/* What a part file records about its run. */
typedef struct fc_gen_provenance {
  const char *model_path;
  const char *model_sha256; /* hex, or "" */
  const char *command_line;
  int part, n_parts;   /* this file is part `part` of n_parts (the rank and the rank count) */
  int threads;         /* OpenMP threads per rank */
  int shard, n_shards; /* the run generates shard `shard` of n_shards (0 of 1: the whole period) */
} fc_gen_provenance;

/* A part file being written atomically (temporary name, renamed on commit). Text formats go
 * through fc_atomic_file (a name ending in .gz is compressed); HDF5 parts are datasets. Calls
 * are made outside OpenMP regions. */
typedef struct fc_gen_writer fc_gen_writer;

fc_status fc_gen_writer_open(const fc_generator *g, const char *path, const fc_gen_provenance *p,
                             fc_gen_writer **out);
/* Takes the slices (destroyed here, the array's pointers set to NULL), merges them with the
 * flows carried from earlier calls and writes every record whose start is before bound_us; the
 * rest is carried. The caller promises that later slices hold no flow starting before bound_us
 * (pass the start of the next slice this writer will get, or INT64_MAX at the end). */
fc_status fc_gen_writer_add(fc_gen_writer *w, fc_gen_slice **slices, size_t n, int64_t bound_us);
/* Writes what is carried, finishes and renames the file. Frees *w either way. */
fc_status fc_gen_writer_commit(fc_gen_writer **w, const fc_generate_stats *stats);
void fc_gen_writer_abort(fc_gen_writer **w);

/* "<stem>.part-RRRR-of-NNNN<ext>" for an output name "<stem><ext>", the extension being .csv,
 * .csv.gz, .h5 or .hdf5 (otherwise appended). FC_ERR_ARG when it does not fit in cap. */
fc_status fc_gen_part_path(const char *output, int part, int n_parts, char *buf, size_t cap);
/* The name of a part of a shard: "<stem>.shard-TTTT-of-SSSS.part-RRRR-of-NNNN<ext>" when
 * n_shards > 1, the name of fc_gen_part_path when n_shards is 1 (one run for the whole
 * period). */
fc_status fc_gen_shard_part_path(const char *output, int shard, int n_shards, int part, int n_parts,
                                 char *buf, size_t cap);

/* ------------------------------------------------------------------ the parallel run */

/* Collective over comm: the run generates the slices [first, end) of shard p->shard of
 * p->n_shards (fc_gen_shard_range; 0 of 1 is every slice), rank r the slices first + r,
 * first + r + size, ... (batches of them in parallel with OpenMP); each rank writes its part
 * file part_path (its own name), and all ranks agree on the outcome: every part is committed, or
 * none is left behind. Flows of the shard's last slices that start past the shard's end are in
 * this run's parts (every flow belongs to the slice its instance started in); a rank or a shard
 * without slices writes an empty part. Rank 0 prints a progress line every progress_s seconds.
 * *total gets the statistics summed over ranks (on every rank). FC_ERR_ARG for a shard outside
 * 0..n_shards-1. */
fc_status fc_generate_run(const fc_generator *g, const char *part_path, const fc_gen_provenance *p,
                          MPI_Comm comm, double progress_s, fc_generate_stats *total);

#endif
