/* Part files of a generation run and the parallel run itself: each rank generates its slices in
 * OpenMP batches, merges them (and the flows a slice spilled past the next slice's start) into
 * one time-ordered stream and writes it as its part; all ranks agree on success before any
 * part is kept. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "dswriter.h"
#include "flowchronicle/log.h"
#include "flowchronicle/textio.h"
#include "generate_impl.h"
#include "h5util.h"

struct fc_gen_writer {
  const fc_generator *g;
  char *path;
  fc_atomic_file *af; /* text formats */
  fci_dsw *dsw;       /* HDF5 */
  fc_gen_slice *carry;
  char *scratch;
  size_t line_cap;
  char *model_path, *model_sha256, *command_line;
  int part, n_parts, threads, shard, n_shards;
};

static char *str_dup(const char *s) {
  s = s ? s : "";
  char *d = malloc(strlen(s) + 1);
  if (d) strcpy(d, s);
  return d;
}

fc_status fc_gen_part_path(const char *output, int part, int n_parts, char *buf, size_t cap) {
  return fc_gen_shard_part_path(output, 0, 1, part, n_parts, buf, cap);
}

fc_status fc_gen_shard_part_path(const char *output, int shard, int n_shards, int part, int n_parts,
                                 char *buf, size_t cap) {
  static const char *const exts[] = {".csv.gz", ".csv", ".h5", ".hdf5", ".gz"};
  size_t n = strlen(output), stem = n;
  const char *ext = "";
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
    size_t el = strlen(exts[i]);
    if (n > el && strcmp(output + n - el, exts[i]) == 0) {
      stem = n - el;
      ext = exts[i];
      break;
    }
  }
  /* One run for the whole period keeps the names parts have always had. */
  int w = n_shards > 1 ? snprintf(buf, cap, "%.*s.shard-%04d-of-%04d.part-%04d-of-%04d%s",
                                  (int)stem, output, shard, n_shards, part, n_parts, ext)
                       : snprintf(buf, cap, "%.*s.part-%04d-of-%04d%s", (int)stem, output, part,
                                  n_parts, ext);
  if (w < 0 || (size_t)w >= cap)
    return FC_ERROR(FC_ERR_ARG, "output name '%s' is too long", output);
  return FC_OK;
}

void fc_gen_writer_abort(fc_gen_writer **wp) {
  if (!wp || !*wp) return;
  fc_gen_writer *w = *wp;
  fc_atomic_abort(&w->af);
  fci_dsw_abort(&w->dsw);
  fc_gen_slice_destroy(&w->carry);
  free(w->scratch);
  free(w->path);
  free(w->model_path);
  free(w->model_sha256);
  free(w->command_line);
  free(w);
  *wp = NULL;
}

fc_status fc_gen_writer_open(const fc_generator *g, const char *path, const fc_gen_provenance *p,
                             fc_gen_writer **out) {
  fc_gen_writer *w = NULL;
  FC_CALL(fci_calloc(1, sizeof *w, &w));
  w->g = g;
  w->line_cap = FCI_LINE_MAX + g->label_max + 8;
  w->path = str_dup(path);
  w->model_path = str_dup(p ? p->model_path : "");
  w->model_sha256 = str_dup(p ? p->model_sha256 : "");
  w->command_line = str_dup(p ? p->command_line : "");
  w->part = p ? p->part : 0;
  w->n_parts = p ? p->n_parts : 1;
  w->threads = p ? p->threads : 1;
  w->shard = p ? p->shard : 0;
  w->n_shards = p ? p->n_shards : 1;
  w->scratch = malloc(2 * w->line_cap);
  fc_status st = FC_OK;
  if (!w->path || !w->model_path || !w->model_sha256 || !w->command_line || !w->scratch) {
    st = FC_ERROR(FC_ERR_NOMEM, "out of memory");
    goto fail;
  }
  if (g->o.format == FC_GEN_H5) {
    fci_dsw_encoding e;
    e.n_cols = g->n_cols;
    e.cols = g->out_cols;
    e.tick_us = g->m->cols.tick_us;
    e.bins = g->m->cols.bins;
    e.n_labels = g->labelled ? g->n_labels : 0;
    e.labels = g->labelled ? g->label_texts : NULL;
    FC_CALL_GOTO(st, fci_dsw_open(path, &e, g->o.h5_deflate, &w->dsw), fail);
  } else {
    FC_CALL_GOTO(st, fc_atomic_open(path, &w->af), fail);
    const char *h = g->o.format == FC_GEN_CIDDS ? FCI_CIDDS_HEADER "\n"
                    : g->labelled               ? FCI_FLOWS_HEADER ",label\n"
                                                : FCI_FLOWS_HEADER "\n";
    FC_CALL_GOTO(st, fc_atomic_puts(w->af, h), fail);
  }
  *out = w;
  return FC_OK;
fail:
  fc_gen_writer_abort(&w);
  return st;
}

/* Items [from, to) of one slice, in order. */
static fc_status emit(fc_gen_writer *w, const fc_gen_slice *s, size_t from, size_t to) {
  if (from >= to) return FC_OK;
  if (w->af) {
    /* Lines are in item order in the slice's text: one write. */
    const fci_gitem *a = &s->items[from], *b = &s->items[to - 1];
    FC_CALL(fc_atomic_write(w->af, s->text + a->off, (size_t)(b->off + b->len - a->off)));
    return FC_OK;
  }
  for (size_t i = from; i < to; i++) {
    fc_flow f;
    const fci_gflow *gf = &s->flows[s->items[i].flow];
    fci_gen_to_flow(w->g, gf, &f);
    FC_CALL(fci_dsw_append(w->dsw, &f, gf->codes));
  }
  return FC_OK;
}

/* First item of a slice starting at or after bound, from position pos. */
static size_t first_at(const fc_gen_slice *s, size_t pos, int64_t bound) {
  size_t lo = pos, hi = s->n_items;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->items[mid].key < bound)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

fc_status fc_gen_writer_add(fc_gen_writer *w, fc_gen_slice **slices, size_t n, int64_t bound_us) {
  fc_status st = FC_OK;
  size_t n_src = 0;
  fc_gen_slice **src = NULL;
  size_t *pos = NULL;
  fc_gen_slice *carry = NULL;
  FC_CALL_GOTO(st, fci_calloc(n + 1, sizeof *src, &src), out);
  FC_CALL_GOTO(st, fci_calloc(n + 1, sizeof *pos, &pos), out);
  if (w->carry) src[n_src++] = w->carry;
  w->carry = NULL;
  for (size_t i = 0; i < n; i++)
    if (slices[i]) {
      src[n_src++] = slices[i];
      slices[i] = NULL;
    }
  for (;;) {
    size_t active = 0, best = SIZE_MAX;
    for (size_t i = 0; i < n_src; i++) {
      if (pos[i] >= src[i]->n_items) continue;
      active++;
      if (best == SIZE_MAX ||
          fci_gen_cmp(w->g, src[i], &src[i]->items[pos[i]], src[best], &src[best]->items[pos[best]],
                      w->scratch, w->scratch + w->line_cap) < 0)
        best = i;
    }
    if (!active || src[best]->items[pos[best]].key >= bound_us) break;
    if (active == 1) {
      size_t end = first_at(src[best], pos[best], bound_us);
      FC_CALL_GOTO(st, emit(w, src[best], pos[best], end), out);
      pos[best] = end;
      break;
    }
    FC_CALL_GOTO(st, emit(w, src[best], pos[best], pos[best] + 1), out);
    pos[best]++;
  }
  /* What starts at or after the bound waits for the next slices (merged, in order). */
  for (;;) {
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < n_src; i++)
      if (pos[i] < src[i]->n_items &&
          (best == SIZE_MAX ||
           fci_gen_cmp(w->g, src[i], &src[i]->items[pos[i]], src[best],
                       &src[best]->items[pos[best]], w->scratch, w->scratch + w->line_cap) < 0))
        best = i;
    if (best == SIZE_MAX) break;
    if (!carry) FC_CALL_GOTO(st, fci_gen_slice_new(UINT64_MAX, &carry), out);
    FC_CALL_GOTO(st, fci_gen_slice_copy_item(carry, src[best], &src[best]->items[pos[best]]), out);
    pos[best]++;
  }
  w->carry = carry;
  carry = NULL;
out:
  fc_gen_slice_destroy(&carry);
  for (size_t i = 0; src && i < n_src; i++)
    fc_gen_slice_destroy(&src[i]);
  for (size_t i = 0; i < n; i++)
    fc_gen_slice_destroy(&slices[i]);
  free(src);
  free(pos);
  return st;
}

static fc_status write_generate_attrs(fc_gen_writer *w, const fc_generate_stats *s) {
  const fc_generator *g = w->g;
  hid_t f = fci_dsw_file(w->dsw);
  char id[32];
  char key[1024];
  /* Only what determines the flows: every part of a generation, whatever its shard and the rank
   * count of its run, carries the same id. */
  snprintf(key, sizeof key, "%s|%llu|%.17g|%lld|%lld|%lld|%lld|%d", w->model_sha256,
           (unsigned long long)g->o.seed, g->o.scale, (long long)g->o.start_us,
           (long long)g->o.end_us, (long long)g->o.slice_us, (long long)g->o.tz_offset_s,
           (int)g->o.format);
  snprintf(id, sizeof id, "%016llx", (unsigned long long)XXH3_64bits(key, strlen(key)));
  FC_CALL(fci_h5_create_group(f, "generate"));
  FC_CALL(fci_h5_attr_write_str(f, "generate", "run_id", id));
  FC_CALL(fci_h5_attr_write_str(f, "generate", "model", w->model_path));
  FC_CALL(fci_h5_attr_write_str(f, "generate", "model_sha256", w->model_sha256));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "seed", (int64_t)g->o.seed));
  FC_CALL(fci_h5_attr_write_f64(f, "generate", "scale", g->o.scale));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "start_us", g->o.start_us));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "end_us", g->o.end_us));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "slice_us", g->o.slice_us));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "tz_offset_s", g->o.tz_offset_s));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "part", w->part));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "n_parts", w->n_parts));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "shard", w->shard));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "n_shards", w->n_shards));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "instances", (int64_t)s->instances));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "truncated", (int64_t)s->truncated));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "repaired", (int64_t)s->repaired));
  return FC_OK;
}

fc_status fc_gen_writer_commit(fc_gen_writer **wp, const fc_generate_stats *stats) {
  fc_gen_writer *w = *wp;
  fc_generate_stats none;
  memset(&none, 0, sizeof none);
  fc_status st = fc_gen_writer_add(w, NULL, 0, INT64_MAX);
  if (st == FC_OK && w->af) {
    st = fc_atomic_commit(&w->af);
  } else if (st == FC_OK && w->dsw) {
    fci_h5_quiet q;
    fci_h5_quiet_begin(&q);
    st = write_generate_attrs(w, stats ? stats : &none);
    fci_h5_quiet_end(&q);
    if (st == FC_OK) {
      fci_dsw_provenance p = {w->command_line, "generate", w->model_path,
                              w->model_sha256, w->n_parts, w->threads};
      st = fci_dsw_commit(&w->dsw, &p);
    }
  }
  fc_gen_writer_abort(wp);
  FC_CALL(st);
  return FC_OK;
}

/* ------------------------------------------------------------------ the run */

static int max_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

fc_status fc_generate_run(const fc_generator *g, const char *part_path, const fc_gen_provenance *p,
                          MPI_Comm comm, double progress_s, fc_generate_stats *total) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  fc_generate_stats mine;
  memset(&mine, 0, sizeof mine);
  memset(total, 0, sizeof *total);
  fc_gen_writer *w = NULL;
  const int shard = p ? p->shard : 0, n_shards = p ? p->n_shards : 1;
  uint64_t first = 0, end = 0;
  fc_status st = fc_gen_shard_range(g->n_slices, shard, n_shards, &first, &end);
  if (st == FC_OK) st = fc_gen_writer_open(g, part_path, p, &w);
  /* This run's slices are first + 0 .. first + n - 1; the flows of the last ones that start
   * past the shard's end are written here too (the final bound is INT64_MAX). */
  const uint64_t n = end - first;
  char what[64] = "";
  if (n_shards > 1) snprintf(what, sizeof what, " (shard %d of %d)", shard, n_shards);
  const uint64_t n_mine =
      (uint64_t)rank < n ? (n - (uint64_t)rank + (uint64_t)size - 1) / (uint64_t)size : 0;
  const size_t batch = (size_t)(2 * max_threads());
  fc_gen_slice **slices = NULL;
  fc_status *sts = NULL;
  char(*msgs)[512] = NULL;
  if (st == FC_OK) st = fci_calloc(batch, sizeof *slices, &slices);
  if (st == FC_OK) st = fci_calloc(batch, sizeof *sts, &sts);
  if (st == FC_OK) st = fci_calloc(batch, sizeof *msgs, &msgs);
  fc_progress prog;
  fc_progress_start(&prog, progress_s);
  double t0 = fc_now();
  /* Every rank runs the same number of rounds (ranks differ by at most one slice), and the ranks
   * agree after each round: a failure anywhere stops all of them at once, and rank 0 learns the
   * flows generated so far for its progress line. */
  const uint64_t per_rank = (n + (uint64_t)size - 1) / (uint64_t)size;
  const uint64_t rounds = (per_rank + batch - 1) / batch;
  st = fci_h5_agree(comm, st, "generate: opening the parts");
  for (uint64_t round = 0; st == FC_OK && round < rounds; round++) {
    uint64_t j0 = round * batch;
    size_t nb = j0 < n_mine ? (size_t)(n_mine - j0 < batch ? n_mine - j0 : batch) : 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t i = 0; i < nb; i++) {
      uint64_t k = first + (uint64_t)rank + (j0 + i) * (uint64_t)size;
      sts[i] = fc_generate_slice(g, k, &slices[i]);
      if (sts[i] != FC_OK) snprintf(msgs[i], sizeof msgs[i], "%s", fc_error_message());
    }
    for (size_t i = 0; i < nb && st == FC_OK; i++)
      if (sts[i] != FC_OK) st = FC_ERROR(sts[i], "%s", msgs[i]);
    for (size_t i = 0; i < nb; i++)
      if (slices[i]) fc_generate_stats_add(&mine, &slices[i]->stats);
    uint64_t next = j0 + nb < n_mine ? first + (uint64_t)rank + (j0 + nb) * (uint64_t)size : end;
    int64_t bound = INT64_MAX, a, b;
    if (next < end) {
      fc_generator_slice_span(g, next, &a, &b);
      bound = a;
    }
    if (st == FC_OK && nb) st = fc_gen_writer_add(w, slices, nb, bound);
    for (size_t i = 0; i < nb; i++)
      fc_gen_slice_destroy(&slices[i]);
    st = fci_h5_agree(comm, st, "generate");
    uint64_t flows = mine.flows, all = 0;
    if (st == FC_OK && MPI_Allreduce(&flows, &all, 1, MPI_UINT64_T, MPI_SUM, comm) != MPI_SUCCESS)
      st = FC_ERROR(FC_ERR_MPI, "generate: MPI_Allreduce of the progress failed");
    if (st == FC_OK && rank == 0 && fc_progress_due(&prog)) {
      char when[FC_TIME_STRLEN];
      uint64_t done = (j0 + batch) * (uint64_t)size < n ? (j0 + batch) * (uint64_t)size : n;
      fc_generator_slice_span(g, first + done - 1, &a, &b);
      fc_time_format(b, when);
      double dt = fc_now() - t0;
      fc_log_info("generate%s: %llu of %llu slices (up to %.19s UTC), %llu flows, %.0f flows/s",
                  what, (unsigned long long)done, (unsigned long long)n, when,
                  (unsigned long long)all, dt > 0 ? (double)all / dt : 0.0);
    }
  }
  free(slices);
  free(sts);
  free(msgs);
  /* Every part is kept, or none. */
  st = fci_h5_agree(comm, st, "generate");
  bool committed = false;
  if (st == FC_OK) {
    st = fc_gen_writer_commit(&w, &mine);
    committed = st == FC_OK;
    st = fci_h5_agree(comm, st, "generate: writing the parts");
  } else {
    fc_gen_writer_abort(&w);
  }
  if (st != FC_OK && committed) unlink(part_path);
  uint64_t in[5 + FC_REPAIR_KINDS], out[5 + FC_REPAIR_KINDS];
  in[0] = mine.instances;
  in[1] = mine.flows;
  in[2] = mine.records;
  in[3] = mine.truncated;
  in[4] = mine.repaired;
  for (int r = 0; r < FC_REPAIR_KINDS; r++)
    in[5 + r] = mine.repairs[r];
  if (MPI_Allreduce(in, out, 5 + FC_REPAIR_KINDS, MPI_UINT64_T, MPI_SUM, comm) != MPI_SUCCESS &&
      st == FC_OK)
    st = FC_ERROR(FC_ERR_MPI, "generate: MPI_Allreduce of the statistics failed");
  total->instances = out[0];
  total->flows = out[1];
  total->records = out[2];
  total->truncated = out[3];
  total->repaired = out[4];
  for (int r = 0; r < FC_REPAIR_KINDS; r++)
    total->repairs[r] = out[5 + r];
  FC_CALL(st);
  return FC_OK;
}
