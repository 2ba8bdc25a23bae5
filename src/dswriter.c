/* Streaming writer of dataset files: rows buffered per column and appended one chunk at a time
 * to extendible datasets, counts tallied on the way, dictionaries and attributes at commit. The
 * layout is the one store.c writes (docs/dataset-format.md), so `info`, `export`, `eval` and
 * `mine` read the result like any ingested dataset. */
#include "dswriter.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowchronicle/store.h"
#include "flowchronicle/version.h"
#include "h5util.h"

#define CHUNK ((size_t)FCI_H5_CHUNK_ROWS)

enum {
  S_TS,
  S_DUR,
  S_PROTO,
  S_SRC_FAM,
  S_SRC,
  S_DST_FAM,
  S_DST,
  S_SPORT,
  S_DPORT,
  S_FLAGS,
  S_FPKTS,
  S_BPKTS,
  S_FBYTES,
  S_BBYTES,
  S_LABEL,
  S_TICKS,
  S_CODES /* then one per column */
};
#define MAX_STREAMS (S_CODES + FC_NCOLS)

typedef struct stream {
  char name[64];
  hid_t type;
  size_t width, esize; /* elements per row (0: 1-D), bytes per element */
  hid_t dset;
  unsigned char *buf;
} stream;

struct fci_dsw {
  fci_h5_writer w;
  fci_dsw_encoding e;
  int deflate;
  int n_streams;
  stream s[MAX_STREAMS];
  size_t fill;   /* rows buffered */
  uint64_t rows; /* rows written to the file */
  int64_t t0_us, t_last_us;
  uint64_t *counts[FC_NCOLS];
};

static const char *kind_name(fc_col_kind k) {
  return k == FC_KIND_NUMERIC ? "numeric" : k == FC_KIND_IP ? "ip" : "categorical";
}

static fc_status stream_create(fci_dsw *w, stream *s, const char *name, hid_t type, size_t width) {
  snprintf(s->name, sizeof s->name, "%s", name);
  s->type = type;
  s->width = width;
  s->esize = H5Tget_size(type);
  s->dset = H5I_INVALID_HID;
  FC_CALL(fci_malloc(CHUNK * (width ? width : 1) * s->esize, &s->buf));
  int rank = width ? 2 : 1;
  hsize_t dims[2] = {0, (hsize_t)width}, maxdims[2] = {H5S_UNLIMITED, (hsize_t)width};
  hsize_t chunk[2] = {(hsize_t)CHUNK, (hsize_t)width};
  fc_status st = FC_OK;
  hid_t space = H5Screate_simple(rank, dims, maxdims);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 ||
      H5Pset_obj_track_times(dcpl, 0) < 0 ||
      (w->deflate > 0 &&
       (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (unsigned)w->deflate) < 0)))
    st = FCI_H5_FAIL(FC_ERR_HDF5, w->w.file, name, "cannot set up dataset");
  if (st == FC_OK) {
    s->dset = H5Dcreate2(w->w.file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (s->dset < 0) st = FCI_H5_FAIL(FC_ERR_HDF5, w->w.file, name, "cannot create dataset");
  }
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  return st;
}

static fc_status stream_flush(fci_dsw *w, stream *s, size_t n) {
  int rank = s->width ? 2 : 1;
  hsize_t size[2] = {(hsize_t)(w->rows + n), (hsize_t)s->width};
  hsize_t start[2] = {(hsize_t)w->rows, 0}, count[2] = {(hsize_t)n, (hsize_t)s->width};
  fc_status st = FC_OK;
  hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
  if (H5Dset_extent(s->dset, size) < 0) {
    st = FCI_H5_FAIL(FC_ERR_HDF5, w->w.file, s->name, "cannot extend dataset");
    goto out;
  }
  fspace = H5Dget_space(s->dset);
  mspace = H5Screate_simple(rank, count, NULL);
  if (fspace < 0 || mspace < 0 ||
      H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
      H5Dwrite(s->dset, s->type, mspace, fspace, H5P_DEFAULT, s->buf) < 0)
    st = FCI_H5_FAIL(FC_ERR_HDF5, w->w.file, s->name, "cannot write dataset");
out:
  if (fspace >= 0) H5Sclose(fspace);
  if (mspace >= 0) H5Sclose(mspace);
  return st;
}

static fc_status flush(fci_dsw *w) {
  if (w->fill == 0) return FC_OK;
  for (int i = 0; i < w->n_streams; i++)
    FC_CALL(stream_flush(w, &w->s[i], w->fill));
  w->rows += w->fill;
  w->fill = 0;
  return FC_OK;
}

static void release(fci_dsw *w) {
  for (int i = 0; i < w->n_streams; i++) {
    if (w->s[i].dset >= 0) H5Dclose(w->s[i].dset);
    w->s[i].dset = H5I_INVALID_HID;
    free(w->s[i].buf);
    w->s[i].buf = NULL;
  }
  for (int c = 0; c < FC_NCOLS; c++)
    free(w->counts[c]);
  free(w);
}

void fci_dsw_abort(fci_dsw **wp) {
  if (!wp || !*wp) return;
  fci_dsw *w = *wp;
  fci_h5_quiet q;
  fci_h5_quiet_begin(&q);
  for (int i = 0; i < w->n_streams; i++) {
    if (w->s[i].dset >= 0) H5Dclose(w->s[i].dset);
    w->s[i].dset = H5I_INVALID_HID;
  }
  fci_h5_writer_abort(&w->w);
  fci_h5_quiet_end(&q);
  release(w);
  *wp = NULL;
}

fc_status fci_dsw_open(const char *path, const fci_dsw_encoding *e, int deflate, fci_dsw **out) {
  if (e->n_cols < 1 || e->n_cols > FC_NCOLS)
    return FC_ERROR(FC_ERR_ARG, "%s: %d columns", path, e->n_cols);
  fci_dsw *w = NULL;
  FC_CALL(fci_calloc(1, sizeof *w, &w));
  w->e = *e;
  w->deflate = deflate < 0 ? 0 : deflate > 9 ? 9 : deflate;
  for (int i = 0; i < MAX_STREAMS; i++)
    w->s[i].dset = H5I_INVALID_HID;
  fc_status st = FC_OK;
  for (int c = 0; c < e->n_cols; c++)
    FC_CALL_GOTO(
        st, fci_calloc(e->cols[c].domain ? e->cols[c].domain : 1, sizeof(uint64_t), &w->counts[c]),
        fail_mem);
  fci_h5_quiet q;
  fci_h5_quiet_begin(&q);
  st = fci_h5_writer_create(path, &w->w);
  if (st != FC_OK) {
    fci_h5_quiet_end(&q);
    goto fail_mem;
  }
  static const struct {
    const char *name;
    int kind; /* 0 i64, 1 u8, 2 u16, 3 u32, 4 u64 */
    size_t width;
  } raw[] = {{"/raw/ts_us", 0, 0},         {"/raw/duration_us", 0, 0}, {"/raw/proto", 1, 0},
             {"/raw/src_ip_family", 1, 0}, {"/raw/src_ip", 1, 16},     {"/raw/dst_ip_family", 1, 0},
             {"/raw/dst_ip", 1, 16},       {"/raw/src_port", 2, 0},    {"/raw/dst_port", 2, 0},
             {"/raw/flags", 1, 0},         {"/raw/fwd_pkts", 4, 0},    {"/raw/bwd_pkts", 4, 0},
             {"/raw/fwd_bytes", 4, 0},     {"/raw/bwd_bytes", 4, 0},   {"/raw/label", 3, 0},
             {"/encoded/ticks", 0, 0}};
  const hid_t types[] = {H5T_NATIVE_INT64, H5T_NATIVE_UINT8, H5T_NATIVE_UINT16, H5T_NATIVE_UINT32,
                         H5T_NATIVE_UINT64};
  FC_CALL_GOTO(st, fci_h5_create_group(w->w.file, "raw"), fail);
  FC_CALL_GOTO(st, fci_h5_create_group(w->w.file, "encoded"), fail);
  for (int i = 0; i < S_CODES; i++) {
    FC_CALL_GOTO(st, stream_create(w, &w->s[i], raw[i].name, types[raw[i].kind], raw[i].width),
                 fail);
    w->n_streams++;
  }
  for (int c = 0; c < e->n_cols; c++) {
    char name[64];
    snprintf(name, sizeof name, "/encoded/%s", fc_col_name((fc_col_id)c));
    FC_CALL_GOTO(st, stream_create(w, &w->s[S_CODES + c], name, H5T_NATIVE_UINT32, 0), fail);
    w->n_streams++;
  }
  fci_h5_quiet_end(&q);
  *out = w;
  return FC_OK;
fail:
  fci_h5_quiet_end(&q);
  fci_dsw_abort(&w);
  return st;
fail_mem:
  release(w);
  return st;
}

#define PUT(idx, T, v) (((T *)w->s[idx].buf)[w->fill] = (T)(v))

fc_status fci_dsw_append(fci_dsw *w, const fc_flow *f, const uint32_t *codes) {
  for (int c = 0; c < w->e.n_cols; c++)
    if (codes[c] >= w->e.cols[c].domain)
      return FC_ERROR(FC_ERR_ARG, "%s: row %llu: code %u of column %s outside its domain %u",
                      w->w.path, (unsigned long long)(w->rows + w->fill), codes[c],
                      fc_col_name((fc_col_id)c), w->e.cols[c].domain);
  if (w->rows + w->fill == 0) w->t0_us = f->ts_us;
  if (f->ts_us < w->t_last_us && w->rows + w->fill > 0)
    return FC_ERROR(FC_ERR_STATE, "%s: rows out of time order", w->w.path);
  w->t_last_us = f->ts_us;
  PUT(S_TS, int64_t, f->ts_us);
  PUT(S_DUR, int64_t, f->duration_us);
  PUT(S_PROTO, uint8_t, f->proto);
  PUT(S_SRC_FAM, uint8_t, f->src_ip.family);
  memcpy(w->s[S_SRC].buf + w->fill * 16, f->src_ip.addr, 16);
  PUT(S_DST_FAM, uint8_t, f->dst_ip.family);
  memcpy(w->s[S_DST].buf + w->fill * 16, f->dst_ip.addr, 16);
  PUT(S_SPORT, uint16_t, f->src_port);
  PUT(S_DPORT, uint16_t, f->dst_port);
  PUT(S_FLAGS, uint8_t, f->flags);
  PUT(S_FPKTS, uint64_t, f->fwd_pkts);
  PUT(S_BPKTS, uint64_t, f->bwd_pkts);
  PUT(S_FBYTES, uint64_t, f->fwd_bytes);
  PUT(S_BBYTES, uint64_t, f->bwd_bytes);
  PUT(S_LABEL, uint32_t, w->e.labels ? f->label : 0);
  PUT(S_TICKS, int64_t, (f->ts_us - w->t0_us) / w->e.tick_us);
  for (int c = 0; c < w->e.n_cols; c++) {
    PUT(S_CODES + c, uint32_t, codes[c]);
    w->counts[c][codes[c]]++;
  }
  if (++w->fill == CHUNK) {
    fci_h5_quiet q;
    fci_h5_quiet_begin(&q);
    fc_status st = flush(w);
    fci_h5_quiet_end(&q);
    FC_CALL(st);
  }
  return FC_OK;
}

uint64_t fci_dsw_rows(const fci_dsw *w) {
  return w->rows + w->fill;
}
hid_t fci_dsw_file(const fci_dsw *w) {
  return w->w.file;
}

static fc_status write_tables(fci_dsw *w) {
  hid_t f = w->w.file;
  char path[128], prev[128];
  const char *names[FC_NCOLS];
  FC_CALL(fci_h5_create_group(f, "dict"));
  FC_CALL(fci_h5_create_group(f, "edges"));
  FC_CALL(fci_h5_create_group(f, "counts"));
  for (int c = 0; c < w->e.n_cols; c++) {
    const fc_column *col = &w->e.cols[c];
    const char *name = fc_col_name((fc_col_id)c);
    names[c] = name;
    snprintf(path, sizeof path, "/encoded/%s", name);
    FC_CALL(fci_h5_attr_write_str(f, path, "kind", kind_name(col->kind)));
    FC_CALL(fci_h5_attr_write_i64(f, path, "domain", col->domain));
    snprintf(path, sizeof path, "/counts/%s", name);
    FC_CALL(fci_h5_write_array(f, path, H5T_NATIVE_UINT64, col->domain, 0, w->counts[c]));
    if (col->kind == FC_KIND_NUMERIC) {
      snprintf(path, sizeof path, "/edges/%s", name);
      FC_CALL(fci_h5_write_array(f, path, H5T_NATIVE_DOUBLE, col->domain ? col->n_edges : 0, 0,
                                 col->edges));
      continue;
    }
    snprintf(path, sizeof path, "/dict/%s", name);
    int twin = -1;
    for (int o = 0; o < c && twin < 0; o++)
      if (col->domain > 0 && fc_column_same_dictionary(&w->e.cols[o], col)) twin = o;
    if (twin >= 0) {
      snprintf(prev, sizeof prev, "/dict/%s", fc_col_name((fc_col_id)twin));
      FC_CALL(fci_h5_hard_link(f, prev, path));
    } else {
      FC_CALL(fci_h5_write_strings(f, path, (const char *const *)col->values, col->domain));
    }
  }
  FC_CALL(fci_h5_attr_write_strs(f, "encoded", "columns", names, (size_t)w->e.n_cols));
  if (w->e.labels)
    FC_CALL(fci_h5_write_strings(f, "/raw/label_values", w->e.labels, w->e.n_labels));
  return FC_OK;
}

static fc_status write_root(fci_dsw *w, const fci_dsw_provenance *p) {
  hid_t f = w->w.file;
  char created[FC_TIME_STRLEN], t[FC_TIME_STRLEN];
  fc_time_format((int64_t)time(NULL) * 1000000, t);
  t[10] = 'T';
  snprintf(created, sizeof created, "%.19sZ", t);
  uint64_t n = fci_dsw_rows(w);
  const char *input = p && p->input ? p->input : "";
  const char *sha = p && p->input_sha256 ? p->input_sha256 : "";
  FC_CALL(fci_h5_attr_write_str(f, ".", "format", FC_DATASET_FORMAT));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "format_version", FC_DATASET_FORMAT_VERSION));
  FC_CALL(fci_h5_attr_write_str(f, ".", "version", FC_VERSION));
  FC_CALL(fci_h5_attr_write_str(f, ".", "git_revision", FC_GIT_REVISION));
  FC_CALL(
      fci_h5_attr_write_str(f, ".", "command_line", p && p->command_line ? p->command_line : ""));
  FC_CALL(
      fci_h5_attr_write_str(f, ".", "input_format", p && p->input_format ? p->input_format : ""));
  FC_CALL(fci_h5_attr_write_strs(f, ".", "inputs", &input, 1));
  FC_CALL(fci_h5_attr_write_strs(f, ".", "input_sha256", &sha, 1));
  FC_CALL(fci_h5_attr_write_str(f, ".", "created", created));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "rows", (int64_t)n));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "t0_us", n ? w->t0_us : 0));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "t_end_us", n ? w->t_last_us : 0));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "tick_us", w->e.tick_us));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "bins", w->e.bins));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "session_gap_us", 0));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "has_labels", w->e.labels ? 1 : 0));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "mpi_ranks", p ? p->ranks : 1));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "omp_threads", p ? p->threads : 1));
  return FC_OK;
}

fc_status fci_dsw_commit(fci_dsw **wp, const fci_dsw_provenance *p) {
  fci_dsw *w = *wp;
  fci_h5_quiet q;
  fci_h5_quiet_begin(&q);
  fc_status st = flush(w);
  for (int i = 0; i < w->n_streams; i++) {
    if (w->s[i].dset >= 0 && H5Dclose(w->s[i].dset) < 0 && st == FC_OK)
      st = FCI_H5_FAIL(FC_ERR_HDF5, w->w.file, w->s[i].name, "cannot close dataset");
    w->s[i].dset = H5I_INVALID_HID;
  }
  if (st == FC_OK) st = write_tables(w);
  if (st == FC_OK) st = write_root(w, p);
  if (st == FC_OK)
    st = fci_h5_writer_commit(&w->w);
  else
    fci_h5_writer_abort(&w->w);
  fci_h5_quiet_end(&q);
  release(w);
  *wp = NULL;
  FC_CALL(st);
  return FC_OK;
}
