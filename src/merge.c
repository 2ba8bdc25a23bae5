/* k-way merge of generation parts: text parts by line bytes, HDF5 parts block by block in the
 * generator's order (start, then the canonical flow-CSV line). A binary heap holds one head per
 * input, so memory is one line or one block of rows per input. */
#include "flowchronicle/merge.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dswriter.h"
#include "flowchronicle/log.h"
#include "flowchronicle/store.h"
#include "flowchronicle/textio.h"
#include "flowline.h"
#include "h5util.h"

/* ------------------------------------------------------------------ the heap */

typedef int (*head_cmp)(void *ctx, size_t a, size_t b);

typedef struct heap {
  size_t *v, n;
  head_cmp cmp;
  void *ctx;
} heap;

static void sift_down(heap *h, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && h->cmp(h->ctx, h->v[l], h->v[m]) < 0) m = l;
    if (r < h->n && h->cmp(h->ctx, h->v[r], h->v[m]) < 0) m = r;
    if (m == i) return;
    size_t t = h->v[i];
    h->v[i] = h->v[m];
    h->v[m] = t;
    i = m;
  }
}

static void heap_build(heap *h) {
  for (size_t i = h->n / 2; i-- > 0;)
    sift_down(h, i);
}

/* The top's key changed (or it ran out: remove it). */
static void heap_update_top(heap *h, bool remove) {
  if (remove) h->v[0] = h->v[--h->n];
  if (h->n) sift_down(h, 0);
}

static int bytes_cmp(const char *a, size_t na, const char *b, size_t nb) {
  int c = memcmp(a, b, na < nb ? na : nb);
  if (c) return c < 0 ? -1 : 1;
  return na < nb ? -1 : na > nb;
}

/* ------------------------------------------------------------------ text parts */

typedef struct text_in {
  const char *path;
  fc_line_reader *r;
  char *line;
  size_t len, cap;
  bool done;
} text_in;

static int text_cmp(void *ctx, size_t a, size_t b) {
  text_in *in = ctx;
  return bytes_cmp(in[a].line, in[a].len, in[b].line, in[b].len);
}

/* The next record line of an input (blank lines skipped), checked to be in order. */
static fc_status text_next(text_in *t) {
  char *l;
  size_t n;
  do {
    FC_CALL(fc_line_reader_next(t->r, &l, &n));
    if (!l) {
      t->done = true;
      return FC_OK;
    }
  } while (n == 0);
  if (t->line && bytes_cmp(l, n, t->line, t->len) < 0)
    return FC_ERROR(FC_ERR_FORMAT,
                    "%s:%llu: the line sorts before the previous one: not a part written by "
                    "generate",
                    t->path, (unsigned long long)fc_line_reader_line_no(t->r));
  if (n + 1 > t->cap) {
    size_t c = t->cap ? t->cap : 256;
    while (c < n + 1)
      c *= 2;
    FC_CALL(fci_realloc(c, &t->line));
    t->cap = c;
  }
  memcpy(t->line, l, n);
  t->line[n] = '\0';
  t->len = n;
  return FC_OK;
}

static bool known_header(const char *h) {
  return !strcmp(h, FCI_FLOWS_HEADER) || !strcmp(h, FCI_FLOWS_HEADER ",label") ||
         !strcmp(h, FCI_CIDDS_HEADER);
}

static fc_status merge_text(const char *const *inputs, size_t n, const char *output,
                            fc_merge_report *rep) {
  fc_status st = FC_OK;
  text_in *in = NULL;
  char *header = NULL;
  heap h = {NULL, 0, text_cmp, NULL};
  fc_atomic_file *out = NULL;
  FC_CALL_GOTO(st, fci_calloc(n, sizeof *in, &in), done);
  FC_CALL_GOTO(st, fci_calloc(n, sizeof *h.v, &h.v), done);
  h.ctx = in;
  for (size_t i = 0; i < n; i++) {
    in[i].path = inputs[i];
    FC_CALL_GOTO(st, fc_line_reader_open(inputs[i], &in[i].r), done);
    char *l;
    size_t len;
    FC_CALL_GOTO(st, fc_line_reader_next(in[i].r, &l, &len), done);
    if (!l || !known_header(l)) {
      st = FC_ERROR(FC_ERR_FORMAT,
                    "%s:1: not a part written by generate (expected the flow CSV or CIDDS header)",
                    inputs[i]);
      goto done;
    }
    if (!header) {
      header = malloc(len + 1);
      if (!header) {
        st = FC_ERROR(FC_ERR_NOMEM, "out of memory");
        goto done;
      }
      memcpy(header, l, len + 1);
    } else if (strcmp(header, l) != 0) {
      st =
          FC_ERROR(FC_ERR_FORMAT, "%s:1: its header differs from that of %s", inputs[i], inputs[0]);
      goto done;
    }
    FC_CALL_GOTO(st, text_next(&in[i]), done);
    if (!in[i].done) h.v[h.n++] = i;
  }
  heap_build(&h);
  FC_CALL_GOTO(st, fc_atomic_open(output, &out), done);
  FC_CALL_GOTO(st, fc_atomic_puts(out, header), done);
  FC_CALL_GOTO(st, fc_atomic_write(out, "\n", 1), done);
  while (h.n) {
    text_in *t = &in[h.v[0]];
    t->line[t->len] = '\n';
    FC_CALL_GOTO(st, fc_atomic_write(out, t->line, t->len + 1), done);
    t->line[t->len] = '\0';
    rep->records++;
    FC_CALL_GOTO(st, text_next(t), done);
    heap_update_top(&h, t->done);
  }
  st = fc_atomic_commit(&out);
done:
  fc_atomic_abort(&out);
  for (size_t i = 0; in && i < n; i++) {
    fc_line_reader_close(&in[i].r);
    free(in[i].line);
  }
  free(in);
  free(h.v);
  free(header);
  return st;
}

/* ------------------------------------------------------------------ HDF5 parts */

#define BLOCK ((size_t)65536)

typedef struct h5_in {
  const char *path;
  fci_h5_reader r;
  size_t rows, b, e, pos; /* rows in the file; the block [b, e); next row */
  int n_cols;
  int64_t *ts, *dur;
  uint8_t *proto, *sfam, *sip, *dfam, *dip, *flags;
  uint16_t *sport, *dport;
  uint64_t *fp, *bp, *fb, *bb;
  uint32_t *label;
  uint32_t *codes[FC_NCOLS];
} h5_in;

typedef struct h5_ctx {
  h5_in *in;
  char **labels; /* CSV forms of the labels, NULL when unlabelled */
  size_t *label_len;
  char *scratch;
  size_t line_cap;
} h5_ctx;

static void block_free(h5_in *h) {
  void **p[] = {(void **)&h->ts,    (void **)&h->dur,   (void **)&h->proto, (void **)&h->sfam,
                (void **)&h->sip,   (void **)&h->dfam,  (void **)&h->dip,   (void **)&h->flags,
                (void **)&h->sport, (void **)&h->dport, (void **)&h->fp,    (void **)&h->bp,
                (void **)&h->fb,    (void **)&h->bb,    (void **)&h->label};
  for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
    free(*p[i]);
    *p[i] = NULL;
  }
  for (int c = 0; c < FC_NCOLS; c++) {
    free(h->codes[c]);
    h->codes[c] = NULL;
  }
}

#define READ(name, type, width, field)                                                             \
  FC_CALL(fci_h5_read_rows(&h->r, name, type, width, b, e, (void **)&h->field))

static fc_status block_load(h5_in *h) {
  block_free(h);
  size_t b = h->e, e = b + BLOCK < h->rows ? b + BLOCK : h->rows;
  h->b = h->pos = b;
  h->e = e;
  if (b >= e) return FC_OK;
  READ("/raw/ts_us", H5T_NATIVE_INT64, 0, ts);
  READ("/raw/duration_us", H5T_NATIVE_INT64, 0, dur);
  READ("/raw/proto", H5T_NATIVE_UINT8, 0, proto);
  READ("/raw/src_ip_family", H5T_NATIVE_UINT8, 0, sfam);
  READ("/raw/src_ip", H5T_NATIVE_UINT8, 16, sip);
  READ("/raw/dst_ip_family", H5T_NATIVE_UINT8, 0, dfam);
  READ("/raw/dst_ip", H5T_NATIVE_UINT8, 16, dip);
  READ("/raw/src_port", H5T_NATIVE_UINT16, 0, sport);
  READ("/raw/dst_port", H5T_NATIVE_UINT16, 0, dport);
  READ("/raw/flags", H5T_NATIVE_UINT8, 0, flags);
  READ("/raw/fwd_pkts", H5T_NATIVE_UINT64, 0, fp);
  READ("/raw/bwd_pkts", H5T_NATIVE_UINT64, 0, bp);
  READ("/raw/fwd_bytes", H5T_NATIVE_UINT64, 0, fb);
  READ("/raw/bwd_bytes", H5T_NATIVE_UINT64, 0, bb);
  READ("/raw/label", H5T_NATIVE_UINT32, 0, label);
  for (int c = 0; c < h->n_cols; c++) {
    char name[64];
    snprintf(name, sizeof name, "/encoded/%s", fc_col_name((fc_col_id)c));
    FC_CALL(fci_h5_read_rows(&h->r, name, H5T_NATIVE_UINT32, 0, b, e, (void **)&h->codes[c]));
  }
  return FC_OK;
}

static void row_flow(const h5_in *h, fc_flow *f) {
  size_t i = h->pos - h->b;
  memset(f, 0, sizeof *f);
  f->ts_us = h->ts[i];
  f->duration_us = h->dur[i];
  f->proto = h->proto[i];
  f->src_ip.family = h->sfam[i];
  memcpy(f->src_ip.addr, h->sip + 16 * i, 16);
  f->dst_ip.family = h->dfam[i];
  memcpy(f->dst_ip.addr, h->dip + 16 * i, 16);
  f->src_port = h->sport[i];
  f->dst_port = h->dport[i];
  f->flags = h->flags[i];
  f->fwd_pkts = h->fp[i];
  f->bwd_pkts = h->bp[i];
  f->fwd_bytes = h->fb[i];
  f->bwd_bytes = h->bb[i];
  f->label = h->label[i];
}

static size_t row_line(const h5_ctx *c, const fc_flow *f, char *buf) {
  fci_day_cache dc = {0, false, {0}};
  char *e = fci_flow_line_ip(buf, f, c->labels ? c->labels[f->label] : NULL,
                             c->labels ? c->label_len[f->label] : 0, &dc);
  return (size_t)(e - buf);
}

static int h5_cmp(void *vctx, size_t a, size_t b) {
  h5_ctx *c = vctx;
  h5_in *x = &c->in[a], *y = &c->in[b];
  int64_t ta = x->ts[x->pos - x->b], tb = y->ts[y->pos - y->b];
  if (ta != tb) return ta < tb ? -1 : 1;
  fc_flow fa, fb;
  row_flow(x, &fa);
  row_flow(y, &fb);
  size_t na = row_line(c, &fa, c->scratch), nb = row_line(c, &fb, c->scratch + c->line_cap);
  return bytes_cmp(c->scratch, na, c->scratch + c->line_cap, nb);
}

typedef struct part_info {
  char *run_id, *model, *model_sha256;
  int64_t seed, start_us, end_us, slice_us, tz, part, n_parts, instances, truncated, repaired;
  int64_t shard, n_shards;
  double scale;
} part_info;

static void part_info_free(part_info *p) {
  free(p->run_id);
  free(p->model);
  free(p->model_sha256);
  memset(p, 0, sizeof *p);
}

static fc_status read_part_info(const fci_h5_reader *r, part_info *p) {
  hid_t f = r->file;
  if (!fci_h5_attr_exists(f, ".", "format") || !fci_h5_exists(r, "/generate"))
    return FC_ERROR(FC_ERR_FORMAT, "%s is not a part written by generate (no /generate group)",
                    r->path);
  FC_CALL(fci_h5_attr_read_str(f, "generate", "run_id", &p->run_id));
  FC_CALL(fci_h5_attr_read_str(f, "generate", "model", &p->model));
  FC_CALL(fci_h5_attr_read_str(f, "generate", "model_sha256", &p->model_sha256));
  FC_CALL(fci_h5_attr_read_i64(f, "generate", "seed", &p->seed));
  FC_CALL(fci_h5_attr_read_f64(f, "generate", "scale", &p->scale));
  FC_CALL(fci_h5_attr_read_i64(f, "generate", "start_us", &p->start_us));
  FC_CALL(fci_h5_attr_read_i64(f, "generate", "end_us", &p->end_us));
  FC_CALL(fci_h5_attr_read_i64(f, "generate", "slice_us", &p->slice_us));
  FC_CALL(fci_h5_attr_read_i64(f, "generate", "tz_offset_s", &p->tz));
  FC_CALL(fci_h5_attr_read_i64(f, "generate", "part", &p->part));
  FC_CALL(fci_h5_attr_read_i64(f, "generate", "n_parts", &p->n_parts));
  /* Parts written before runs could be shards are of the one shard. */
  p->shard = 0;
  p->n_shards = 1;
  if (fci_h5_attr_exists(f, "generate", "shard"))
    FC_CALL(fci_h5_attr_read_i64(f, "generate", "shard", &p->shard));
  if (fci_h5_attr_exists(f, "generate", "n_shards"))
    FC_CALL(fci_h5_attr_read_i64(f, "generate", "n_shards", &p->n_shards));
  FC_CALL(fci_h5_attr_read_i64(f, "generate", "instances", &p->instances));
  FC_CALL(fci_h5_attr_read_i64(f, "generate", "truncated", &p->truncated));
  FC_CALL(fci_h5_attr_read_i64(f, "generate", "repaired", &p->repaired));
  return FC_OK;
}

static fc_status write_merged_attrs(hid_t f, const part_info *p0, size_t n, int64_t instances,
                                    int64_t truncated, int64_t repaired) {
  FC_CALL(fci_h5_create_group(f, "generate"));
  FC_CALL(fci_h5_attr_write_str(f, "generate", "run_id", p0->run_id));
  FC_CALL(fci_h5_attr_write_str(f, "generate", "model", p0->model));
  FC_CALL(fci_h5_attr_write_str(f, "generate", "model_sha256", p0->model_sha256));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "seed", p0->seed));
  FC_CALL(fci_h5_attr_write_f64(f, "generate", "scale", p0->scale));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "start_us", p0->start_us));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "end_us", p0->end_us));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "slice_us", p0->slice_us));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "tz_offset_s", p0->tz));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "part", 0));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "n_parts", 1));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "shard", 0));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "n_shards", 1));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "merged_parts", (int64_t)n));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "instances", instances));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "truncated", truncated));
  FC_CALL(fci_h5_attr_write_i64(f, "generate", "repaired", repaired));
  return FC_OK;
}

/* A part's place in its generation, for the completeness check. */
typedef struct part_ref {
  int64_t shard, part;
  size_t i; /* its input */
} part_ref;

static int part_ref_cmp(const void *va, const void *vb) {
  const part_ref *a = va, *b = vb;
  if (a->shard != b->shard) return a->shard < b->shard ? -1 : 1;
  if (a->part != b->part) return a->part < b->part ? -1 : 1;
  return a->i < b->i ? -1 : a->i > b->i;
}

/* " of shard T of S" when the generation was cut into shards. */
static const char *shard_of(const part_info *p, char *buf, size_t cap) {
  buf[0] = '\0';
  if (p->n_shards != 1)
    snprintf(buf, cap, " of shard %lld of %lld", (long long)p->shard, (long long)p->n_shards);
  return buf;
}

/* The parts of one generation: one shard count S for all; every shard 0..S-1 given; within a
 * shard, which one run with its own rank count P wrote, every part 0..P-1 exactly once. The
 * parts are sorted by (shard, part) and walked once, so a corrupt count allocates nothing. */
static fc_status check_complete(const char *const *inputs, const part_info *info, size_t n) {
  fc_status st = FC_OK;
  part_ref *ref = NULL;
  char sa[64], sb[64];
  const int64_t n_shards = info[0].n_shards;
  for (size_t i = 0; i < n; i++) {
    const part_info *p = &info[i];
    if (p->n_shards != n_shards)
      return FC_ERROR(FC_ERR_FORMAT,
                      "%s is a part of shard %lld of %lld, %s of shard %lld of %lld: the parts of "
                      "one generation have one shard count",
                      inputs[i], (long long)p->shard, (long long)p->n_shards, inputs[0],
                      (long long)info[0].shard, (long long)n_shards);
    if (p->n_shards < 1 || p->shard < 0 || p->shard >= p->n_shards || p->n_parts < 1 ||
        p->part < 0 || p->part >= p->n_parts)
      return FC_ERROR(FC_ERR_FORMAT, "%s is part %lld of %lld%s: not a valid part number",
                      inputs[i], (long long)p->part, (long long)p->n_parts,
                      shard_of(p, sa, sizeof sa));
  }
  FC_CALL(fci_calloc(n, sizeof *ref, &ref));
  for (size_t i = 0; i < n; i++) {
    ref[i].shard = info[i].shard;
    ref[i].part = info[i].part;
    ref[i].i = i;
  }
  qsort(ref, n, sizeof *ref, part_ref_cmp);
  int64_t want_shard = 0;
  size_t j = 0;
  while (j < n && st == FC_OK) {
    const part_info *p0 = &info[ref[j].i];
    if (p0->shard != want_shard) break; /* shard want_shard is missing */
    int64_t want_part = 0;
    const size_t i0 = ref[j].i;
    size_t last = i0;
    for (; j < n && ref[j].shard == want_shard && st == FC_OK; j++) {
      size_t i = ref[j].i;
      const part_info *p = &info[i];
      if (p->n_parts != p0->n_parts)
        st = FC_ERROR(FC_ERR_FORMAT,
                      "%s is part %lld of %lld%s, %s part %lld of %lld: the parts of one shard "
                      "come from one run",
                      inputs[i], (long long)p->part, (long long)p->n_parts,
                      shard_of(p, sa, sizeof sa), inputs[i0], (long long)p0->part,
                      (long long)p0->n_parts);
      else if (p->part < want_part)
        st = FC_ERROR(FC_ERR_FORMAT,
                      "%s is part %lld of %lld%s, as is %s: the run's parts must each be given "
                      "exactly once (%zu given)",
                      inputs[i], (long long)p->part, (long long)p->n_parts,
                      shard_of(p, sa, sizeof sa), inputs[last], n);
      else if (p->part > want_part)
        st = FC_ERROR(FC_ERR_FORMAT,
                      "%s is part %lld of %lld%s, but part %lld%s is missing: the run's parts "
                      "must each be given exactly once (%zu given)",
                      inputs[i], (long long)p->part, (long long)p->n_parts,
                      shard_of(p, sa, sizeof sa), (long long)want_part, shard_of(p, sb, sizeof sb),
                      n);
      want_part = p->part + 1;
      last = i;
    }
    if (st == FC_OK && want_part < p0->n_parts)
      st = FC_ERROR(FC_ERR_FORMAT,
                    "%s is part %lld of %lld%s, but part %lld%s is missing: the run's parts must "
                    "each be given exactly once (%zu given)",
                    inputs[last], (long long)info[last].part, (long long)p0->n_parts,
                    shard_of(p0, sa, sizeof sa), (long long)want_part, shard_of(p0, sb, sizeof sb),
                    n);
    want_shard++;
  }
  if (st == FC_OK && want_shard < n_shards)
    st = FC_ERROR(FC_ERR_FORMAT,
                  "%s is a part of a generation cut into %lld shards, but no part of shard %lld "
                  "was given: every shard's parts must be given (%zu given)",
                  inputs[0], (long long)n_shards, (long long)want_shard, n);
  free(ref);
  return st;
}

static bool same_encoding(const fc_encoded *a, const fc_encoded *b) {
  if (a->n_cols != b->n_cols || a->tick_us != b->tick_us) return false;
  for (int c = 0; c < a->n_cols; c++)
    if (a->cols[c].domain != b->cols[c].domain || a->cols[c].kind != b->cols[c].kind) return false;
  return true;
}

static fc_status merge_h5(const char *const *inputs, size_t n, const char *output,
                          const char *command_line, int deflate, fc_merge_report *rep) {
  fc_status st = FC_OK;
  h5_in *in = NULL;
  part_info *info = NULL;
  fc_encoded enc0, enc;
  fc_flow_table labels;
  fc_provenance prov0;
  fc_dataset_meta meta0;
  memset(&enc0, 0, sizeof enc0);
  memset(&enc, 0, sizeof enc);
  memset(&labels, 0, sizeof labels);
  memset(&prov0, 0, sizeof prov0);
  h5_ctx ctx = {NULL, NULL, NULL, NULL, 0};
  heap h = {NULL, 0, h5_cmp, &ctx};
  fci_dsw *w = NULL;
  const char **label_texts = NULL;
  size_t n_labels = 0;
  fci_h5_quiet q;
  fci_h5_quiet_begin(&q);
  FC_CALL_GOTO(st, fci_calloc(n, sizeof *in, &in), done);
  FC_CALL_GOTO(st, fci_calloc(n, sizeof *info, &info), done);
  FC_CALL_GOTO(st, fci_calloc(n, sizeof *h.v, &h.v), done);
  for (size_t i = 0; i < n; i++)
    in[i].r.file = H5I_INVALID_HID;
  /* The encoding and labels of the first part; the others must match. */
  FC_CALL_GOTO(st, fc_dataset_read(inputs[0], MPI_COMM_NULL, 0, 0, &meta0, &labels, &enc0, &prov0),
               done);
  int64_t instances = 0, truncated = 0, repaired = 0;
  for (size_t i = 0; i < n; i++) {
    in[i].path = inputs[i];
    fc_dataset_meta m;
    if (i > 0) {
      FC_CALL_GOTO(st, fc_dataset_read(inputs[i], MPI_COMM_NULL, 0, 0, &m, NULL, &enc, NULL), done);
      bool same = same_encoding(&enc0, &enc) && m.has_labels == meta0.has_labels;
      fc_encoded_free(&enc);
      if (!same) {
        st = FC_ERROR(FC_ERR_FORMAT, "%s: its encoding differs from that of %s", inputs[i],
                      inputs[0]);
        goto done;
      }
    } else {
      m = meta0;
    }
    FC_CALL_GOTO(st, fci_h5_reader_open(inputs[i], MPI_COMM_NULL, &in[i].r), done);
    FC_CALL_GOTO(st, read_part_info(&in[i].r, &info[i]), done);
    if (strcmp(info[i].run_id, info[0].run_id) != 0) {
      st = FC_ERROR(FC_ERR_FORMAT, "%s is a part of another generation run than %s", inputs[i],
                    inputs[0]);
      goto done;
    }
    instances += info[i].instances;
    truncated += info[i].truncated;
    repaired += info[i].repaired;
    in[i].rows = m.n_rows;
    in[i].n_cols = enc0.n_cols;
    FC_CALL_GOTO(st, block_load(&in[i]), done);
    if (in[i].b < in[i].e) h.v[h.n++] = i;
  }
  FC_CALL_GOTO(st, check_complete(inputs, info, n), done);
  /* Labels in their CSV form for the tie-break. */
  if (meta0.has_labels) {
    n_labels = fc_strdict_size(labels.labels);
    FC_CALL_GOTO(st, fci_calloc(n_labels ? n_labels : 1, sizeof *ctx.labels, &ctx.labels), done);
    FC_CALL_GOTO(st, fci_calloc(n_labels ? n_labels : 1, sizeof *ctx.label_len, &ctx.label_len),
                 done);
    FC_CALL_GOTO(st, fci_calloc(n_labels ? n_labels : 1, sizeof *label_texts, &label_texts), done);
    size_t longest = 0;
    for (size_t k = 0; k < n_labels; k++) {
      label_texts[k] = fc_strdict_get(labels.labels, (uint32_t)k);
      FC_CALL_GOTO(
          st,
          fci_csv_label(label_texts[k], strlen(label_texts[k]), &ctx.labels[k], &ctx.label_len[k]),
          done);
      if (ctx.label_len[k] > longest) longest = ctx.label_len[k];
    }
    ctx.line_cap = FCI_LINE_MAX + longest + 8;
  } else {
    ctx.line_cap = FCI_LINE_MAX + 8;
  }
  FC_CALL_GOTO(st, fci_malloc(2 * ctx.line_cap, &ctx.scratch), done);
  ctx.in = in;
  heap_build(&h);
  fci_dsw_encoding e = {enc0.n_cols,
                        enc0.cols,
                        enc0.tick_us,
                        enc0.bins,
                        meta0.has_labels ? n_labels : 0,
                        meta0.has_labels ? label_texts : NULL};
  FC_CALL_GOTO(st, fci_dsw_open(output, &e, deflate, &w), done);
  while (h.n) {
    h5_in *t = &in[h.v[0]];
    fc_flow f;
    uint32_t codes[FC_NCOLS];
    row_flow(t, &f);
    for (int c = 0; c < t->n_cols; c++)
      codes[c] = t->codes[c][t->pos - t->b];
    FC_CALL_GOTO(st, fci_dsw_append(w, &f, codes), done);
    rep->records++;
    if (++t->pos == t->e) FC_CALL_GOTO(st, block_load(t), done);
    heap_update_top(&h, t->pos >= t->e);
  }
  FC_CALL_GOTO(st, write_merged_attrs(fci_dsw_file(w), &info[0], n, instances, truncated, repaired),
               done);
  {
    fci_dsw_provenance p = {command_line,
                            "generate",
                            prov0.n_inputs ? prov0.inputs[0] : "",
                            prov0.n_inputs && prov0.input_sha256 ? prov0.input_sha256[0] : "",
                            (int)n,
                            1};
    st = fci_dsw_commit(&w, &p);
  }
done:
  fci_dsw_abort(&w);
  for (size_t i = 0; in && i < n; i++) {
    block_free(&in[i]);
    if (in[i].r.path || in[i].r.file >= 0) fci_h5_reader_close(&in[i].r);
  }
  for (size_t i = 0; info && i < n; i++)
    part_info_free(&info[i]);
  for (size_t k = 0; ctx.labels && k < n_labels; k++)
    free(ctx.labels[k]);
  free(ctx.labels);
  free(ctx.label_len);
  free(ctx.scratch);
  free(label_texts);
  free(in);
  free(info);
  free(h.v);
  fc_encoded_free(&enc0);
  fc_table_free(&labels);
  fc_provenance_free(&prov0);
  fci_h5_quiet_end(&q);
  return st;
}

/* ------------------------------------------------------------------ entry */

static int is_hdf5(const char *path, fc_status *st) {
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  unsigned char b[8];
  FILE *f = fopen(path, "rb");
  if (!f) {
    *st = FC_ERROR(FC_ERR_IO, "cannot open %s", path);
    return -1;
  }
  size_t got = fread(b, 1, 8, f);
  fclose(f);
  return got == 8 && memcmp(b, sig, 8) == 0;
}

fc_status fc_merge_files(const char *const *inputs, size_t n, const char *output,
                         const char *command_line, int deflate, fc_merge_report *rep) {
  memset(rep, 0, sizeof *rep);
  if (n == 0) return FC_ERROR(FC_ERR_ARG, "merge: no input");
  fc_status st = FC_OK;
  int kind = -1;
  for (size_t i = 0; i < n; i++) {
    if (!strcmp(inputs[i], output))
      return FC_ERROR(FC_ERR_ARG, "merge: the output %s is also an input", output);
    int h = is_hdf5(inputs[i], &st);
    if (h < 0) return st;
    if (kind >= 0 && h != kind)
      return FC_ERROR(FC_ERR_FORMAT, "merge: %s is %s but %s is %s: parts are of one format",
                      inputs[0], kind ? "HDF5" : "text", inputs[i], h ? "HDF5" : "text");
    kind = h;
  }
  rep->hdf5 = kind;
  double t0 = fc_now();
  FC_CALL(kind ? merge_h5(inputs, n, output, command_line, deflate, rep)
               : merge_text(inputs, n, output, rep));
  fc_log_debug("merged %zu parts into %s: %llu records in %.2f s", n, output,
               (unsigned long long)rep->records, fc_now() - t0);
  return FC_OK;
}
