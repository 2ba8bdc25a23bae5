/* The HDF5 dataset file (layout in docs/dataset-format.md): fc_dataset_write stores a flow table,
 * its encoding and provenance from one process, atomically; fc_dataset_read reads it
 * collectively, each rank only its own block of rows plus the full dictionaries, edges and
 * counts. Every collective step is preceded by an agreement on failure (h5util.h), so a rank
 * that fails makes all ranks return an error instead of leaving them in a collective. */
#include "flowchronicle/store.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "flowchronicle/log.h"
#include "flowchronicle/version.h"
#include "h5util.h"

#define IP_BYTES 16

static const char *kind_name(fc_col_kind k) {
  switch (k) {
  case FC_KIND_CATEGORICAL:
    return "categorical";
  case FC_KIND_IP:
    return "ip";
  case FC_KIND_NUMERIC:
    return "numeric";
  }
  return "?";
}

static int expected_cols(bool has_labels) {
  return has_labels ? FC_NCOLS : FC_NCOLS - 1;
}

void fc_block_range(size_t n, int rank, int size, size_t *begin, size_t *end) {
  if (size <= 0 || rank < 0 || rank >= size) {
    *begin = *end = 0;
    return;
  }
  size_t r = (size_t)rank, s = (size_t)size, base = n / s, rem = n % s;
  *begin = r * base + (r < rem ? r : rem);
  *end = *begin + base + (r < rem ? 1 : 0);
}

void fc_provenance_free(fc_provenance *p) {
  if (!p) return;
  free(p->version);
  free(p->git_revision);
  free(p->command_line);
  free(p->format);
  fci_h5_strs_free(p->inputs, p->n_inputs);
  fci_h5_strs_free(p->input_sha256, p->n_inputs);
  memset(p, 0, sizeof *p);
}

/* "YYYY-MM-DDTHH:MM:SSZ" */
static void iso_utc(int64_t unix_s, char buf[FC_TIME_STRLEN]) {
  char t[FC_TIME_STRLEN];
  fc_time_format(unix_s * 1000000, t);
  t[10] = 'T';
  snprintf(buf, FC_TIME_STRLEN, "%.19sZ", t);
}

/* ------------------------------------------------------------------ write */

/* Everything a reader relies on, checked before a byte is written: the encoding matches the
 * table, every code is inside its column's domain, every dictionary entry exists. */
static fc_status validate(const char *path, const fc_flow_table *t, const fc_encoded *e) {
  if (!t || !e) return FC_ERROR(FC_ERR_ARG, "%s: no table or no encoding to write", path);
  size_t n = t->n;
  if (e->n_rows != n)
    return FC_ERROR(FC_ERR_ARG, "%s: the encoding has %zu rows, the table %zu", path, e->n_rows, n);
  if (e->n_cols != expected_cols(t->has_labels))
    return FC_ERROR(FC_ERR_ARG, "%s: the encoding has %d columns, expected %d (%s labels)", path,
                    e->n_cols, expected_cols(t->has_labels), t->has_labels ? "with" : "without");
  if (n > 0 && !e->ticks) return FC_ERROR(FC_ERR_ARG, "%s: the encoding has no ticks", path);
  if (e->tick_us <= 0)
    return FC_ERROR(FC_ERR_ARG, "%s: tick of %lld us", path, (long long)e->tick_us);
  size_t n_labels = t->labels ? fc_strdict_size(t->labels) : 0;
  if (t->has_labels)
    for (size_t i = 0; i < n; i++)
      if (t->label[i] >= n_labels)
        return FC_ERROR(FC_ERR_ARG, "%s: row %zu has label id %u of %zu labels", path, i,
                        t->label[i], n_labels);
  for (int c = 0; c < e->n_cols; c++) {
    const fc_column *col = &e->cols[c];
    const char *name = fc_col_name((fc_col_id)c);
    if (col->id != (fc_col_id)c || col->kind != fc_col_kind_of((fc_col_id)c))
      return FC_ERROR(FC_ERR_ARG, "%s: encoded column %d is not %s", path, c, name);
    if (n > 0 && !col->codes) return FC_ERROR(FC_ERR_ARG, "%s: column %s has no codes", path, name);
    for (size_t i = 0; i < n; i++)
      if (col->codes[i] >= col->domain)
        return FC_ERROR(FC_ERR_ARG, "%s: column %s row %zu has code %u, domain %u", path, name, i,
                        col->codes[i], col->domain);
    if (col->domain == 0) continue;
    if (!col->counts) return FC_ERROR(FC_ERR_ARG, "%s: column %s has no counts", path, name);
    if (col->kind == FC_KIND_NUMERIC) {
      if (!col->edges || col->n_edges != col->domain + 1)
        return FC_ERROR(FC_ERR_ARG, "%s: column %s has %u edges for a domain of %u (needs %u)",
                        path, name, col->edges ? col->n_edges : 0, col->domain, col->domain + 1);
    } else {
      if (!col->values) return FC_ERROR(FC_ERR_ARG, "%s: column %s has no dictionary", path, name);
      for (uint32_t k = 0; k < col->domain; k++)
        if (!col->values[k])
          return FC_ERROR(FC_ERR_ARG, "%s: column %s has no text for code %u", path, name, k);
    }
  }
  return FC_OK;
}

static fc_status write_root_attrs(hid_t f, const fc_flow_table *t, const fc_encoded *e,
                                  const fc_provenance *p) {
  static const fc_provenance none = {0};
  if (!p) p = &none;
  char created[FC_TIME_STRLEN];
  iso_utc(p->created_unix ? p->created_unix : (int64_t)time(NULL), created);
  int64_t t_end = e->t0_us;
  for (size_t i = 0; i < t->n; i++)
    if (i == 0 || t->ts_us[i] > t_end) t_end = t->ts_us[i];
  /* NULL digests are stored as empty strings so the two arrays stay parallel. */
  const char **sums = NULL;
  FC_CALL(fci_calloc(p->n_inputs ? p->n_inputs : 1, sizeof *sums, &sums));
  for (size_t i = 0; i < p->n_inputs; i++)
    sums[i] = p->input_sha256 && p->input_sha256[i] ? p->input_sha256[i] : "";
  const char **inputs = NULL;
  fc_status st = fci_calloc(p->n_inputs ? p->n_inputs : 1, sizeof *inputs, &inputs);
  for (size_t i = 0; st == FC_OK && i < p->n_inputs; i++)
    inputs[i] = p->inputs && p->inputs[i] ? p->inputs[i] : "";
  if (st == FC_OK) st = fci_h5_attr_write_str(f, ".", "format", FC_DATASET_FORMAT);
  if (st == FC_OK) st = fci_h5_attr_write_i64(f, ".", "format_version", FC_DATASET_FORMAT_VERSION);
  if (st == FC_OK)
    st = fci_h5_attr_write_str(f, ".", "version", p->version ? p->version : FC_VERSION);
  if (st == FC_OK)
    st = fci_h5_attr_write_str(f, ".", "git_revision",
                               p->git_revision ? p->git_revision : FC_GIT_REVISION);
  if (st == FC_OK) st = fci_h5_attr_write_str(f, ".", "command_line", p->command_line);
  if (st == FC_OK) st = fci_h5_attr_write_str(f, ".", "input_format", p->format);
  if (st == FC_OK) st = fci_h5_attr_write_strs(f, ".", "inputs", inputs, p->n_inputs);
  if (st == FC_OK) st = fci_h5_attr_write_strs(f, ".", "input_sha256", sums, p->n_inputs);
  if (st == FC_OK) st = fci_h5_attr_write_str(f, ".", "created", created);
  if (st == FC_OK) st = fci_h5_attr_write_i64(f, ".", "rows", (int64_t)t->n);
  if (st == FC_OK) st = fci_h5_attr_write_i64(f, ".", "t0_us", e->t0_us);
  if (st == FC_OK) st = fci_h5_attr_write_i64(f, ".", "t_end_us", t_end);
  if (st == FC_OK) st = fci_h5_attr_write_i64(f, ".", "tick_us", e->tick_us);
  if (st == FC_OK) st = fci_h5_attr_write_i64(f, ".", "bins", e->bins);
  if (st == FC_OK) st = fci_h5_attr_write_i64(f, ".", "session_gap_us", p->session_gap_us);
  if (st == FC_OK) st = fci_h5_attr_write_i64(f, ".", "has_labels", t->has_labels ? 1 : 0);
  int mpi_up = 0, ranks = 1;
  MPI_Initialized(&mpi_up);
  if (mpi_up) MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (st == FC_OK) st = fci_h5_attr_write_i64(f, ".", "mpi_ranks", ranks);
  if (st == FC_OK) st = fci_h5_attr_write_i64(f, ".", "omp_threads", omp_get_max_threads());
  free(sums);
  free(inputs);
  if (st != FC_OK) fci_error_trace(__FILE__, __LINE__, __func__);
  return st;
}

/* One IP column as a family vector and an n x 16 byte matrix. */
static fc_status write_ips(hid_t g, const char *name, const fc_ip *ips, size_t n, uint8_t *fam,
                           uint8_t *bytes) {
  char fam_name[64];
  for (size_t i = 0; i < n; i++) {
    fam[i] = ips[i].family;
    memcpy(bytes + i * IP_BYTES, ips[i].addr, IP_BYTES);
  }
  snprintf(fam_name, sizeof fam_name, "%s_family", name);
  FC_CALL(fci_h5_write_array(g, fam_name, H5T_NATIVE_UINT8, n, 0, fam));
  FC_CALL(fci_h5_write_array(g, name, H5T_NATIVE_UINT8, n, IP_BYTES, bytes));
  return FC_OK;
}

static fc_status write_raw(hid_t f, const fc_flow_table *t) {
  size_t n = t->n;
  uint8_t *fam = NULL, *bytes = NULL;
  uint32_t *zeros = NULL;
  fc_status st = FC_OK;
  FC_CALL(fci_h5_create_group(f, "raw"));
  hid_t g = H5Gopen2(f, "raw", H5P_DEFAULT);
  if (g < 0) return FCI_H5_FAIL(FC_ERR_HDF5, f, "raw", "cannot open group");
  FC_CALL_GOTO(st, fci_malloc(n ? n : 1, &fam), out);
  FC_CALL_GOTO(st, fci_malloc((n ? n : 1) * IP_BYTES, &bytes), out);
  FC_CALL_GOTO(st, fci_h5_write_array(g, "ts_us", H5T_NATIVE_INT64, n, 0, t->ts_us), out);
  FC_CALL_GOTO(st, fci_h5_write_array(g, "duration_us", H5T_NATIVE_INT64, n, 0, t->duration_us),
               out);
  FC_CALL_GOTO(st, fci_h5_write_array(g, "proto", H5T_NATIVE_UINT8, n, 0, t->proto), out);
  FC_CALL_GOTO(st, write_ips(g, "src_ip", t->src_ip, n, fam, bytes), out);
  FC_CALL_GOTO(st, write_ips(g, "dst_ip", t->dst_ip, n, fam, bytes), out);
  FC_CALL_GOTO(st, fci_h5_write_array(g, "src_port", H5T_NATIVE_UINT16, n, 0, t->src_port), out);
  FC_CALL_GOTO(st, fci_h5_write_array(g, "dst_port", H5T_NATIVE_UINT16, n, 0, t->dst_port), out);
  FC_CALL_GOTO(st, fci_h5_write_array(g, "flags", H5T_NATIVE_UINT8, n, 0, t->flags), out);
  FC_CALL_GOTO(st, fci_h5_write_array(g, "fwd_pkts", H5T_NATIVE_UINT64, n, 0, t->fwd_pkts), out);
  FC_CALL_GOTO(st, fci_h5_write_array(g, "bwd_pkts", H5T_NATIVE_UINT64, n, 0, t->bwd_pkts), out);
  FC_CALL_GOTO(st, fci_h5_write_array(g, "fwd_bytes", H5T_NATIVE_UINT64, n, 0, t->fwd_bytes), out);
  FC_CALL_GOTO(st, fci_h5_write_array(g, "bwd_bytes", H5T_NATIVE_UINT64, n, 0, t->bwd_bytes), out);
  if (t->has_labels) {
    FC_CALL_GOTO(st, fci_h5_write_array(g, "label", H5T_NATIVE_UINT32, n, 0, t->label), out);
    size_t nl = t->labels ? fc_strdict_size(t->labels) : 0;
    const char **vals = NULL;
    FC_CALL_GOTO(st, fci_calloc(nl ? nl : 1, sizeof *vals, &vals), out);
    for (size_t i = 0; i < nl; i++)
      vals[i] = fc_strdict_get(t->labels, (uint32_t)i);
    st = fci_h5_write_strings(g, "label_values", vals, nl);
    free(vals);
    if (st != FC_OK) goto out;
  } else {
    /* Without labels the label column holds whatever the parser left; store a clean zero. */
    FC_CALL_GOTO(st, fci_calloc(n ? n : 1, sizeof *zeros, &zeros), out);
    FC_CALL_GOTO(st, fci_h5_write_array(g, "label", H5T_NATIVE_UINT32, n, 0, zeros), out);
  }
out:
  free(fam);
  free(bytes);
  free(zeros);
  H5Gclose(g);
  return st;
}

static fc_status write_encoded(hid_t f, const fc_encoded *e) {
  char path[128], prev[128];
  const char *names[FC_NCOLS];
  FC_CALL(fci_h5_create_group(f, "encoded"));
  FC_CALL(fci_h5_create_group(f, "dict"));
  FC_CALL(fci_h5_create_group(f, "edges"));
  FC_CALL(fci_h5_create_group(f, "counts"));
  FC_CALL(fci_h5_write_array(f, "/encoded/ticks", H5T_NATIVE_INT64, e->n_rows, 0, e->ticks));
  for (int c = 0; c < e->n_cols; c++) {
    const fc_column *col = &e->cols[c];
    const char *name = fc_col_name((fc_col_id)c);
    names[c] = name;
    snprintf(path, sizeof path, "/encoded/%s", name);
    FC_CALL(fci_h5_write_array(f, path, H5T_NATIVE_UINT32, e->n_rows, 0, col->codes));
    FC_CALL(fci_h5_attr_write_str(f, path, "kind", kind_name(col->kind)));
    FC_CALL(fci_h5_attr_write_i64(f, path, "domain", col->domain));
    snprintf(path, sizeof path, "/counts/%s", name);
    FC_CALL(fci_h5_write_array(f, path, H5T_NATIVE_UINT64, col->domain, 0, col->counts));
    if (col->kind == FC_KIND_NUMERIC) {
      snprintf(path, sizeof path, "/edges/%s", name);
      FC_CALL(fci_h5_write_array(f, path, H5T_NATIVE_DOUBLE, col->domain ? col->n_edges : 0, 0,
                                 col->edges));
    } else {
      snprintf(path, sizeof path, "/dict/%s", name);
      int twin = -1;
      for (int o = 0; o < c && twin < 0; o++)
        if (e->cols[o].kind == col->kind && col->domain > 0 && fc_column_same_dictionary(&e->cols[o], col))
          twin = o;
      if (twin >= 0) {
        snprintf(prev, sizeof prev, "/dict/%s", fc_col_name((fc_col_id)twin));
        FC_CALL(fci_h5_hard_link(f, prev, path));
      } else {
        FC_CALL(fci_h5_write_strings(f, path, (const char *const *)col->values, col->domain));
      }
    }
  }
  FC_CALL(fci_h5_attr_write_strs(f, "encoded", "columns", names, (size_t)e->n_cols));
  return FC_OK;
}

fc_status fc_dataset_write(const char *path, const fc_flow_table *t, const fc_encoded *e,
                           const fc_provenance *p) {
  if (!path || !path[0]) return FC_ERROR(FC_ERR_ARG, "empty dataset file name");
  FC_CALL(validate(path, t, e));
  double t_start = fc_now();
  fci_h5_quiet q;
  fci_h5_quiet_begin(&q);
  fci_h5_writer w;
  fc_status st = fci_h5_writer_create(path, &w);
  if (st == FC_OK) st = write_root_attrs(w.file, t, e, p);
  if (st == FC_OK) st = write_raw(w.file, t);
  if (st == FC_OK) st = write_encoded(w.file, e);
  if (st == FC_OK)
    st = fci_h5_writer_commit(&w);
  else
    fci_h5_writer_abort(&w);
  fci_h5_quiet_end(&q);
  if (st != FC_OK) {
    fci_error_trace(__FILE__, __LINE__, __func__);
    return st;
  }
  struct stat sb;
  double mb = stat(path, &sb) == 0 ? (double)sb.st_size / 1e6 : 0.0;
  fc_log_debug("wrote %s: %zu rows, %.1f MB in %.2f s", path, t->n, mb, fc_now() - t_start);
  return FC_OK;
}

/* ------------------------------------------------------------------ read */

/* Root attributes, checked for format and version first so a foreign file is named as such. */
static fc_status read_meta(const fci_h5_reader *r, fc_dataset_meta *m) {
  hid_t f = r->file;
  char *format = NULL;
  int64_t v = 0;
  if (!fci_h5_attr_exists(f, ".", "format"))
    return FC_ERROR(FC_ERR_VERSION, "%s is not a FlowChronicle dataset (no format attribute)",
                    r->path);
  FC_CALL(fci_h5_attr_read_str(f, ".", "format", &format));
  int same = strcmp(format, FC_DATASET_FORMAT) == 0;
  if (!same) {
    fc_status st = FC_ERROR(FC_ERR_VERSION, "%s is a '%s' file, not a FlowChronicle dataset (%s)",
                            r->path, format, FC_DATASET_FORMAT);
    free(format);
    return st;
  }
  free(format);
  if (!fci_h5_attr_exists(f, ".", "format_version"))
    return FC_ERROR(FC_ERR_VERSION, "%s has no format_version attribute", r->path);
  FC_CALL(fci_h5_attr_read_i64(f, ".", "format_version", &v));
  if (v != FC_DATASET_FORMAT_VERSION)
    return FC_ERROR(FC_ERR_VERSION,
                    "%s has dataset format_version %lld; this build reads version %d", r->path,
                    (long long)v, FC_DATASET_FORMAT_VERSION);
  int64_t rows, bins, labels;
  FC_CALL(fci_h5_attr_read_i64(f, ".", "rows", &rows));
  FC_CALL(fci_h5_attr_read_i64(f, ".", "t0_us", &m->t0_us));
  FC_CALL(fci_h5_attr_read_i64(f, ".", "t_end_us", &m->t_end_us));
  FC_CALL(fci_h5_attr_read_i64(f, ".", "tick_us", &m->tick_us));
  FC_CALL(fci_h5_attr_read_i64(f, ".", "bins", &bins));
  FC_CALL(fci_h5_attr_read_i64(f, ".", "has_labels", &labels));
  if (rows < 0 || (uint64_t)rows > SIZE_MAX || bins < 0 || bins > INT32_MAX || m->tick_us <= 0)
    return FC_ERROR(FC_ERR_FORMAT, "%s: bad header (rows %lld, bins %lld, tick_us %lld)", r->path,
                    (long long)rows, (long long)bins, (long long)m->tick_us);
  m->n_rows = (size_t)rows;
  m->bins = (int)bins;
  m->has_labels = labels != 0;
  m->n_cols = expected_cols(m->has_labels);
  return FC_OK;
}

static fc_status read_prov(const fci_h5_reader *r, fc_provenance *p) {
  hid_t f = r->file;
  char *created = NULL;
  size_t n_sums = 0;
  FC_CALL(fci_h5_attr_read_str(f, ".", "version", &p->version));
  FC_CALL(fci_h5_attr_read_str(f, ".", "git_revision", &p->git_revision));
  FC_CALL(fci_h5_attr_read_str(f, ".", "command_line", &p->command_line));
  FC_CALL(fci_h5_attr_read_str(f, ".", "input_format", &p->format));
  FC_CALL(fci_h5_attr_read_strs(f, ".", "inputs", &p->inputs, &p->n_inputs));
  FC_CALL(fci_h5_attr_read_strs(f, ".", "input_sha256", &p->input_sha256, &n_sums));
  if (n_sums != p->n_inputs) {
    fci_h5_strs_free(p->input_sha256, n_sums);
    p->input_sha256 = NULL;
    return FC_ERROR(FC_ERR_FORMAT, "%s: %zu inputs but %zu input_sha256 digests", r->path,
                    p->n_inputs, n_sums);
  }
  FC_CALL(fci_h5_attr_read_i64(f, ".", "session_gap_us", &p->session_gap_us));
  FC_CALL(fci_h5_attr_read_str(f, ".", "created", &created));
  int64_t us;
  bool ok = fc_time_parse(created, strlen(created), &us);
  if (!ok) {
    fc_status st = FC_ERROR(FC_ERR_FORMAT, "%s: created attribute '%s' is not an ISO UTC time",
                            r->path, created);
    free(created);
    return st;
  }
  free(created);
  p->created_unix = us / 1000000;
  return FC_OK;
}

/* This rank's rows of an IP column into an fc_ip array. */
static fc_status read_ips(const fci_h5_reader *r, const char *name, size_t b, size_t e,
                          fc_ip **out) {
  char path[64];
  uint8_t *fam = NULL, *bytes = NULL;
  fc_ip *ips = NULL;
  size_t n = e - b;
  snprintf(path, sizeof path, "/raw/%s_family", name);
  FC_CALL(fci_h5_read_rows(r, path, H5T_NATIVE_UINT8, 0, b, e, (void **)&fam));
  snprintf(path, sizeof path, "/raw/%s", name);
  fc_status st = fci_h5_read_rows(r, path, H5T_NATIVE_UINT8, IP_BYTES, b, e, (void **)&bytes);
  if (st == FC_OK) {
    st = fci_malloc((n ? n : 1) * sizeof *ips, &ips);
    for (size_t i = 0; st == FC_OK && i < n; i++) {
      ips[i].family = fam[i];
      memcpy(ips[i].addr, bytes + i * IP_BYTES, IP_BYTES);
    }
    st = fci_h5_agree(r->comm, st, r->path);
  }
  free(fam);
  free(bytes);
  if (st != FC_OK) {
    free(ips);
    fci_error_trace(__FILE__, __LINE__, __func__);
    return st;
  }
  *out = ips;
  return FC_OK;
}

#define READ_RAW(field, name, type)                                                                \
  FC_CALL_GOTO(st, fci_h5_read_rows(r, "/raw/" name, type, 0, b, e, (void **)&t->field), fail)

static fc_status read_raw(const fci_h5_reader *r, const fc_dataset_meta *m, size_t b, size_t e,
                          fc_flow_table *t) {
  char **labels = NULL;
  size_t n_labels = 0;
  fc_status st = fc_table_init(t);
  FC_CALL_GOTO(st, fci_h5_agree(r->comm, st, r->path), fail);
  READ_RAW(ts_us, "ts_us", H5T_NATIVE_INT64);
  READ_RAW(duration_us, "duration_us", H5T_NATIVE_INT64);
  READ_RAW(proto, "proto", H5T_NATIVE_UINT8);
  READ_RAW(src_port, "src_port", H5T_NATIVE_UINT16);
  READ_RAW(dst_port, "dst_port", H5T_NATIVE_UINT16);
  READ_RAW(flags, "flags", H5T_NATIVE_UINT8);
  READ_RAW(fwd_pkts, "fwd_pkts", H5T_NATIVE_UINT64);
  READ_RAW(bwd_pkts, "bwd_pkts", H5T_NATIVE_UINT64);
  READ_RAW(fwd_bytes, "fwd_bytes", H5T_NATIVE_UINT64);
  READ_RAW(bwd_bytes, "bwd_bytes", H5T_NATIVE_UINT64);
  READ_RAW(label, "label", H5T_NATIVE_UINT32);
  FC_CALL_GOTO(st, read_ips(r, "src_ip", b, e, &t->src_ip), fail);
  FC_CALL_GOTO(st, read_ips(r, "dst_ip", b, e, &t->dst_ip), fail);
  t->n = t->cap = e - b;
  if (m->has_labels) {
    FC_CALL_GOTO(st, fci_h5_read_strings(r, "/raw/label_values", &labels, &n_labels), fail);
    /* Interning in file order gives back the stored ids, as the values are distinct. */
    for (size_t i = 0; st == FC_OK && i < n_labels; i++) {
      uint32_t id;
      st = fc_table_intern_label(t, labels[i], strlen(labels[i]), &id);
      if (st == FC_OK && id != i)
        st = FC_ERROR(FC_ERR_FORMAT, "%s: /raw/label_values repeats '%s'", r->path, labels[i]);
    }
    t->has_labels = true;
    for (size_t i = 0; st == FC_OK && i < t->n; i++)
      if (t->label[i] >= n_labels)
        st = FC_ERROR(FC_ERR_FORMAT, "%s: /raw/label row %zu has id %u of %zu labels", r->path,
                      b + i, t->label[i], n_labels);
    fci_h5_strs_free(labels, n_labels);
    FC_CALL_GOTO(st, fci_h5_agree(r->comm, st, r->path), fail);
  }
  return FC_OK;
fail:
  fc_table_free(t);
  return st;
}

/* Kind and domain attributes of one code dataset, checked against the column table. */
static fc_status read_col_attrs(const fci_h5_reader *r, const char *path, fc_col_id id,
                                uint32_t *domain) {
  char *kind = NULL;
  int64_t d = 0;
  FC_CALL(fci_h5_attr_read_str(r->file, path, "kind", &kind));
  int ok = strcmp(kind, kind_name(fc_col_kind_of(id))) == 0;
  fc_status st = FC_OK;
  if (!ok)
    st = FC_ERROR(FC_ERR_FORMAT, "%s: %s has kind '%s', expected '%s'", r->path, path, kind,
                  kind_name(fc_col_kind_of(id)));
  free(kind);
  FC_CALL(st);
  FC_CALL(fci_h5_attr_read_i64(r->file, path, "domain", &d));
  if (d < 0 || d > UINT32_MAX)
    return FC_ERROR(FC_ERR_FORMAT, "%s: %s has domain %lld", r->path, path, (long long)d);
  *domain = (uint32_t)d;
  return FC_OK;
}

static fc_status check_len(const fci_h5_reader *r, const char *path, size_t got, size_t want) {
  if (got != want)
    return FC_ERROR(FC_ERR_FORMAT, "%s: %s has %zu entries, the column's domain needs %zu", r->path,
                    path, got, want);
  return FC_OK;
}

/* An earlier column whose dictionary is the same stored object as path (the shared address
 * dictionary), or -1: its strings are then copied instead of read again. */
static int dictionary_twin(const fci_h5_reader *r, const fc_encoded *enc, int c, const char *path) {
  char other[128];
  for (int o = 0; o < c; o++) {
    if (!enc->cols[o].values || enc->cols[o].domain != enc->cols[c].domain) continue;
    snprintf(other, sizeof other, "/dict/%s", fc_col_name((fc_col_id)o));
    if (fci_h5_same_object(r, other, path)) return o;
  }
  return -1;
}

/* Each column owns its dictionary strings (fc_encoded_free frees them per column). */
static fc_status copy_dictionary(const fc_column *from, fc_column *to) {
  char **v;
  FC_CALL(fci_calloc(from->domain ? from->domain : 1, sizeof *v, &v));
  for (uint32_t k = 0; k < from->domain; k++) {
    size_t len = strlen(from->values[k]);
    fc_status st = fci_malloc(len + 1, &v[k]);
    if (st != FC_OK) {
      fci_h5_strs_free(v, k);
      return st;
    }
    memcpy(v[k], from->values[k], len + 1);
  }
  to->values = v;
  return FC_OK;
}

static fc_status read_encoded(const fci_h5_reader *r, const fc_dataset_meta *m, size_t b, size_t e,
                              fc_encoded *enc) {
  char path[128];
  size_t len;
  fc_status st = FC_OK;
  memset(enc, 0, sizeof *enc);
  enc->n_rows = e - b;
  enc->n_cols = m->n_cols;
  enc->t0_us = m->t0_us;
  enc->tick_us = m->tick_us;
  enc->bins = m->bins;
  FC_CALL_GOTO(
      st, fci_h5_read_rows(r, "/encoded/ticks", H5T_NATIVE_INT64, 0, b, e, (void **)&enc->ticks),
      fail);
  for (int c = 0; c < m->n_cols; c++) {
    fc_col_id id = (fc_col_id)c;
    fc_column *col = &enc->cols[c];
    const char *name = fc_col_name(id);
    col->id = id;
    col->kind = fc_col_kind_of(id);
    snprintf(path, sizeof path, "/encoded/%s", name);
    st = read_col_attrs(r, path, id, &col->domain);
    FC_CALL_GOTO(st, fci_h5_agree(r->comm, st, r->path), fail);
    FC_CALL_GOTO(st, fci_h5_read_rows(r, path, H5T_NATIVE_UINT32, 0, b, e, (void **)&col->codes),
                 fail);
    for (size_t i = 0; st == FC_OK && i < enc->n_rows; i++)
      if (col->codes[i] >= col->domain)
        st = FC_ERROR(FC_ERR_FORMAT, "%s: %s row %zu has code %u, domain %u", r->path, path, b + i,
                      col->codes[i], col->domain);
    FC_CALL_GOTO(st, fci_h5_agree(r->comm, st, r->path), fail);
    snprintf(path, sizeof path, "/counts/%s", name);
    FC_CALL_GOTO(st, fci_h5_read_all(r, path, H5T_NATIVE_UINT64, 0, (void **)&col->counts, &len),
                 fail);
    st = check_len(r, path, len, col->domain);
    FC_CALL_GOTO(st, fci_h5_agree(r->comm, st, r->path), fail);
    if (col->kind == FC_KIND_NUMERIC) {
      snprintf(path, sizeof path, "/edges/%s", name);
      FC_CALL_GOTO(st, fci_h5_read_all(r, path, H5T_NATIVE_DOUBLE, 0, (void **)&col->edges, &len),
                   fail);
      /* domain codes need domain + 1 edges (encode.h); an empty domain has none */
      st = check_len(r, path, len, col->domain ? col->domain + 1 : 0);
      col->n_edges = (uint32_t)len;
    } else {
      snprintf(path, sizeof path, "/dict/%s", name);
      int twin = dictionary_twin(r, enc, c, path);
      if (twin >= 0) {
        st = copy_dictionary(&enc->cols[twin], col);
      } else {
        char **vals = NULL;
        FC_CALL_GOTO(st, fci_h5_read_strings(r, path, &vals, &len), fail);
        st = check_len(r, path, len, col->domain);
        if (st == FC_OK)
          col->values = vals;
        else
          fci_h5_strs_free(vals, len);
      }
    }
    FC_CALL_GOTO(st, fci_h5_agree(r->comm, st, r->path), fail);
  }
  return FC_OK;
fail:
  fc_encoded_free(enc);
  return st;
}

/* Collective check that the ranks asked for the same parts (the read sequence depends on it)
 * and that this rank's range is well-formed. */
static fc_status check_args(const char *path, MPI_Comm comm, size_t b, size_t e, int parts) {
  fc_status st = FC_OK;
  if (!path || !path[0])
    st = FC_ERROR(FC_ERR_ARG, "empty dataset file name");
  else if (b > e)
    st = FC_ERROR(FC_ERR_ARG, "%s: row range [%zu, %zu) is reversed", path, b, e);
  if (comm == MPI_COMM_NULL) return st;
  int in[2] = {parts, 7 - parts}, out[2];
  if (MPI_Allreduce(in, out, 2, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS)
    return FC_ERROR(FC_ERR_MPI, "%s: MPI_Allreduce failed", path ? path : "(null)");
  if (st == FC_OK && out[0] != 7 - out[1])
    st = FC_ERROR(FC_ERR_ARG,
                  "%s: ranks ask for different parts of the dataset (raw, encoded, "
                  "provenance must be requested alike)",
                  path);
  return fci_h5_agree(comm, st, path ? path : "(null)");
}

fc_status fc_dataset_read(const char *path, MPI_Comm comm, size_t row_begin, size_t row_end,
                          fc_dataset_meta *meta, fc_flow_table *raw, fc_encoded *enc,
                          fc_provenance *prov) {
  fc_dataset_meta m;
  fc_provenance p;
  memset(&m, 0, sizeof m);
  memset(&p, 0, sizeof p);
  if (raw) memset(raw, 0, sizeof *raw);
  if (enc) memset(enc, 0, sizeof *enc);
  if (prov) memset(prov, 0, sizeof *prov);
  int parts = (raw ? 1 : 0) | (enc ? 2 : 0) | (prov ? 4 : 0);
  FC_CALL(check_args(path, comm, row_begin, row_end, parts));
  double t_start = fc_now();

  fci_h5_quiet q;
  fci_h5_quiet_begin(&q);
  fci_h5_reader r;
  fc_status st = fci_h5_reader_open(path, comm, &r);
  if (st != FC_OK) goto done;
  st = read_meta(&r, &m);
  if (st == FC_OK && row_end > m.n_rows)
    st = FC_ERROR(FC_ERR_ARG, "%s: rows [%zu, %zu) asked of a dataset of %zu rows", path, row_begin,
                  row_end, m.n_rows);
  if (st == FC_OK && prov) st = read_prov(&r, &p);
  FC_CALL_GOTO(st, fci_h5_agree(r.comm, st, path), close);
  if (raw) FC_CALL_GOTO(st, read_raw(&r, &m, row_begin, row_end, raw), close);
  if (enc) FC_CALL_GOTO(st, read_encoded(&r, &m, row_begin, row_end, enc), close);
close:
  fci_h5_reader_close(&r);
done:
  fci_h5_quiet_end(&q);
  if (st != FC_OK) {
    if (raw) fc_table_free(raw);
    if (enc) fc_encoded_free(enc);
    fc_provenance_free(&p);
    fci_error_trace(__FILE__, __LINE__, __func__);
    return st;
  }
  if (meta) *meta = m;
  if (prov) *prov = p;
  if (raw || enc)
    fc_log_debug("read %s: rows [%zu, %zu) of %zu on this rank in %.2f s", path, row_begin, row_end,
                 m.n_rows, fc_now() - t_start);
  return FC_OK;
}

fc_status fc_dataset_read_meta(const char *path, MPI_Comm comm, fc_dataset_meta *meta) {
  FC_CALL(fc_dataset_read(path, comm, 0, 0, meta, NULL, NULL, NULL));
  return FC_OK;
}
