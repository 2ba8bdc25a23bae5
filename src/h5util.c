/* Private HDF5 helpers (see h5util.h): error capture, atomic one-process writes, attributes,
 * compressed datasets and collective block reads over MPI-IO. */
#include "h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ------------------------------------------------------------------ errors */

void fci_h5_quiet_begin(fci_h5_quiet *q) {
  q->func = NULL;
  q->data = NULL;
  H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void fci_h5_quiet_end(const fci_h5_quiet *q) {
  H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

typedef struct walk_ctx {
  char *buf;
  size_t cap;
} walk_ctx;

/* Walking upward starts at the innermost frame (n == 0): the most specific reason, e.g.
 * "file signature not found" rather than "unable to open file". */
static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
  walk_ctx *c = data;
  if (n != 0) return 0;
  char minor[160] = "";
  if (H5Eget_msg(e->min_num, NULL, minor, sizeof minor) < 0) minor[0] = '\0';
  const char *desc = e->desc ? e->desc : "";
  if (desc[0] && minor[0])
    snprintf(c->buf, c->cap, "%s (%s)", desc, minor);
  else
    snprintf(c->buf, c->cap, "%s", desc[0] ? desc : minor);
  return 0;
}

void fci_h5_last_error(char *buf, size_t cap) {
  if (!cap) return;
  buf[0] = '\0';
  walk_ctx c = {buf, cap};
  if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &c) < 0) buf[0] = '\0';
}

fc_status fci_h5_fail(fc_status st, hid_t loc, const char *name, const char *what, const char *file,
                      int line, const char *func) {
  char h5msg[512];
  fci_h5_last_error(h5msg, sizeof h5msg); /* first: any HDF5 call below clears the stack */
  char fname[1024] = "", oname[1024] = "", obj[2100];
  if (loc >= 0) {
    if (H5Fget_name(loc, fname, sizeof fname) < 0) snprintf(fname, sizeof fname, "?");
    if (H5Iget_name(loc, oname, sizeof oname) < 0) oname[0] = '\0';
  }
  if (!name || !name[0] || !strcmp(name, "."))
    snprintf(obj, sizeof obj, "%s", oname[0] ? oname : "/");
  else if (name[0] == '/' || !oname[0])
    snprintf(obj, sizeof obj, "%s", name);
  else
    snprintf(obj, sizeof obj, "%s%s%s", oname, strcmp(oname, "/") ? "/" : "", name);
  const char *sep = h5msg[0] ? ": " : "";
  if (loc >= 0)
    return fci_error(st, file, line, func, "%s: %s %s%s%s", fname, what, obj, sep, h5msg);
  return fci_error(st, file, line, func, "%s: %s%s%s", obj, what, sep, h5msg);
}

fc_status fci_h5_agree(MPI_Comm comm, fc_status st, const char *what) {
  if (comm == MPI_COMM_NULL) return st;
  struct {
    int st, rank;
  } in, out;
  in.st = (int)st;
  MPI_Comm_rank(comm, &in.rank);
  if (MPI_Allreduce(&in, &out, 1, MPI_2INT, MPI_MAXLOC, comm) != MPI_SUCCESS)
    return FC_ERROR(FC_ERR_MPI, "%s: MPI_Allreduce of the status failed", what);
  if (st != FC_OK) return st;
  if (out.st != FC_OK)
    return FC_ERROR((fc_status)out.st, "%s: rank %d failed (%s)", what, out.rank,
                    fc_strerror((fc_status)out.st));
  return FC_OK;
}

static fc_status dup_str(const char *s, char **out) {
  size_t n = strlen(s);
  char *p;
  FC_CALL(fci_malloc(n + 1, &p));
  memcpy(p, s, n + 1);
  *out = p;
  return FC_OK;
}

static void close_id(hid_t *id, herr_t (*fn)(hid_t)) {
  if (*id >= 0) fn(*id);
  *id = H5I_INVALID_HID;
}

/* ------------------------------------------------------------------ writer */

fc_status fci_h5_writer_create(const char *path, fci_h5_writer *w) {
  memset(w, 0, sizeof *w);
  w->file = H5I_INVALID_HID;
  if (!path || !path[0]) return FC_ERROR(FC_ERR_ARG, "empty output file name");
  FC_CALL(dup_str(path, &w->path));
  size_t cap = strlen(path) + 64;
  fc_status st = fci_malloc(cap, &w->tmp_path);
  if (st != FC_OK) goto fail;
  /* O_EXCL reserves a name no one else uses and gives the usual umask permissions, which
   * mkstemp (0600) would not; HDF5 then truncates the empty file it finds. */
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
    snprintf(w->tmp_path, cap, "%s.tmp.%ld.%d", path, (long)getpid(), attempt);
    fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0 && errno != EEXIST) {
      st = FC_ERROR(FC_ERR_IO, "%s: cannot create temporary file %s: %s", path, w->tmp_path,
                    strerror(errno));
      free(w->tmp_path);
      w->tmp_path = NULL;
      goto fail;
    }
  }
  if (fd < 0) {
    st = FC_ERROR(FC_ERR_IO, "%s: no free temporary name (%s)", path, w->tmp_path);
    free(w->tmp_path);
    w->tmp_path = NULL;
    goto fail;
  }
  close(fd);
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  /* The 1.8 format stores attributes over 64 KiB (long command lines, many inputs) densely;
   * capping at 1.8 keeps the files readable by every HDF5 since 1.8. */
  if (fapl < 0 || H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0 ||
      H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
    st = FCI_H5_FAIL(FC_ERR_HDF5, H5I_INVALID_HID, w->tmp_path, "cannot set file access");
    if (fapl >= 0) H5Pclose(fapl);
    goto fail;
  }
  w->file = H5Fcreate(w->tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (w->file < 0) {
    st = FCI_H5_FAIL(FC_ERR_IO, H5I_INVALID_HID, w->tmp_path, "cannot create HDF5 file");
    goto fail;
  }
  return FC_OK;
fail:
  fci_h5_writer_abort(w);
  return st;
}

void fci_h5_writer_abort(fci_h5_writer *w) {
  close_id(&w->file, H5Fclose);
  if (w->tmp_path) unlink(w->tmp_path);
  free(w->tmp_path);
  free(w->path);
  w->tmp_path = w->path = NULL;
}

fc_status fci_h5_writer_commit(fci_h5_writer *w) {
  fc_status st = FC_OK;
  if (!w->path || !w->tmp_path || w->file < 0)
    return FC_ERROR(FC_ERR_STATE, "commit of a writer that is not open");
  if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0) {
    st = FCI_H5_FAIL(FC_ERR_HDF5, w->file, NULL, "cannot flush");
    goto fail;
  }
  hid_t f = w->file;
  w->file = H5I_INVALID_HID; /* a failed close is not retried */
  if (H5Fclose(f) < 0) {
    st = FCI_H5_FAIL(FC_ERR_HDF5, H5I_INVALID_HID, w->tmp_path, "cannot close");
    goto fail;
  }
  int fd = open(w->tmp_path, O_RDONLY);
  if (fd < 0 || fsync(fd) != 0) {
    st = FC_ERROR(FC_ERR_IO, "%s: cannot sync %s: %s", w->path, w->tmp_path, strerror(errno));
    if (fd >= 0) close(fd);
    goto fail;
  }
  close(fd);
  if (rename(w->tmp_path, w->path) != 0) {
    st = FC_ERROR(FC_ERR_IO, "cannot rename %s to %s: %s", w->tmp_path, w->path, strerror(errno));
    goto fail;
  }
  free(w->tmp_path);
  free(w->path);
  w->tmp_path = w->path = NULL;
  return FC_OK;
fail:
  fci_h5_writer_abort(w);
  return st;
}

/* ------------------------------------------------------------------ writing objects */

fc_status fci_h5_create_group(hid_t loc, const char *name) {
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  hid_t g = H5I_INVALID_HID;
  if (gcpl >= 0 && H5Pset_obj_track_times(gcpl, 0) >= 0)
    g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
  fc_status st = FC_OK;
  if (g < 0) st = FCI_H5_FAIL(FC_ERR_HDF5, loc, name, "cannot create group");
  if (gcpl >= 0) H5Pclose(gcpl);
  if (g >= 0 && H5Gclose(g) < 0) st = FCI_H5_FAIL(FC_ERR_HDF5, loc, name, "cannot close group");
  return st;
}

fc_status fci_h5_hard_link(hid_t loc, const char *target, const char *name) {
  if (H5Lcreate_hard(loc, target, loc, name, H5P_DEFAULT, H5P_DEFAULT) < 0) {
    char what[300];
    snprintf(what, sizeof what, "cannot link %s as", target);
    return FCI_H5_FAIL(FC_ERR_HDF5, loc, name, what);
  }
  return FC_OK;
}

/* One chunked, shuffled, deflated dataset written in one H5Dwrite. An empty dataset gets an
 * unlimited first dimension because a chunk may not exceed a fixed zero extent. */
static fc_status write_dataset(hid_t loc, const char *name, hid_t mem_type, hid_t file_type,
                               size_t rows, size_t width, const void *data) {
  if (rows > 0 && !data)
    return FC_ERROR(FC_ERR_ARG, "no data for dataset %s of %zu rows", name, rows);
  int rank = width ? 2 : 1;
  size_t row_bytes = H5Tget_size(file_type) * (width ? width : 1);
  size_t crows = FCI_H5_CHUNK_ROWS;
  const size_t max_chunk_bytes = (size_t)4 << 20;
  if (row_bytes && crows * row_bytes > max_chunk_bytes) crows = max_chunk_bytes / row_bytes;
  if (crows > rows) crows = rows;
  if (crows == 0) crows = 1;
  hsize_t dims[2] = {(hsize_t)rows, (hsize_t)width};
  hsize_t maxdims[2] = {rows ? (hsize_t)rows : H5S_UNLIMITED, (hsize_t)width};
  hsize_t chunk[2] = {(hsize_t)crows, (hsize_t)width};
  fc_status st = FC_OK;
  hid_t space = H5Screate_simple(rank, dims, maxdims);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t d = H5I_INVALID_HID;
  if (space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_shuffle(dcpl) < 0 ||
      H5Pset_deflate(dcpl, FCI_H5_DEFLATE_LEVEL) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0) {
    st = FCI_H5_FAIL(FC_ERR_HDF5, loc, name, "cannot set up dataset");
    goto out;
  }
  d = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (d < 0) {
    st = FCI_H5_FAIL(FC_ERR_HDF5, loc, name, "cannot create dataset");
    goto out;
  }
  if (rows > 0 && H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    st = FCI_H5_FAIL(FC_ERR_HDF5, loc, name, "cannot write dataset");
    goto out;
  }
out:
  if (d >= 0 && H5Dclose(d) < 0 && st == FC_OK)
    st = FCI_H5_FAIL(FC_ERR_HDF5, loc, name, "cannot close dataset");
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  return st;
}

fc_status fci_h5_write_array(hid_t loc, const char *name, hid_t type, size_t rows, size_t width,
                             const void *data) {
  return write_dataset(loc, name, type, type, rows, width, data);
}

/* A fixed-length string type of width bytes: NUL padded, UTF-8. */
static hid_t fixed_str_type(size_t width) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  if (H5Tset_size(t, width ? width : 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
      H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
    H5Tclose(t);
    return H5I_INVALID_HID;
  }
  return t;
}

/* Packs strings into n fixed cells of the longest length + 1. */
static fc_status pack_strings(const char *const *values, size_t n, const char *what, char **out,
                              size_t *width) {
  size_t w = 1;
  for (size_t i = 0; i < n; i++) {
    if (!values[i]) return FC_ERROR(FC_ERR_ARG, "%s: string %zu is NULL", what, i);
    size_t len = strlen(values[i]);
    if (len + 1 > w) w = len + 1;
  }
  char *buf;
  FC_CALL(fci_calloc(n ? n : 1, w, &buf));
  for (size_t i = 0; i < n; i++)
    memcpy(buf + i * w, values[i], strlen(values[i]));
  *out = buf;
  *width = w;
  return FC_OK;
}

fc_status fci_h5_write_strings(hid_t loc, const char *name, const char *const *values, size_t n) {
  char *buf;
  size_t w;
  FC_CALL(pack_strings(values, n, name, &buf, &w));
  hid_t t = fixed_str_type(w);
  fc_status st;
  if (t < 0)
    st = FCI_H5_FAIL(FC_ERR_HDF5, loc, name, "cannot make the string type of");
  else
    st = write_dataset(loc, name, t, t, n, 0, buf);
  if (t >= 0) H5Tclose(t);
  free(buf);
  return st;
}

static fc_status attr_write(hid_t loc, const char *obj, const char *name, hid_t type, hid_t space,
                            const void *buf) {
  char what[300];
  snprintf(what, sizeof what, "cannot write attribute %s of", name);
  if (space < 0) return FCI_H5_FAIL(FC_ERR_HDF5, loc, obj, what);
  hid_t a = H5Acreate_by_name(loc, obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  fc_status st = FC_OK;
  if (a < 0 || H5Awrite(a, type, buf) < 0) st = FCI_H5_FAIL(FC_ERR_HDF5, loc, obj, what);
  if (a >= 0 && H5Aclose(a) < 0 && st == FC_OK) st = FCI_H5_FAIL(FC_ERR_HDF5, loc, obj, what);
  return st;
}

/* A string attribute: scalar (one value) or a 1-D array of n values. */
static fc_status attr_write_strings(hid_t loc, const char *obj, const char *name,
                                    const char *const *values, size_t n, bool scalar) {
  char *buf;
  size_t w;
  FC_CALL(pack_strings(values, n, name, &buf, &w));
  hid_t t = fixed_str_type(w);
  hsize_t dims[1] = {(hsize_t)n};
  hid_t s = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
  fc_status st = t < 0 ? FCI_H5_FAIL(FC_ERR_HDF5, loc, obj, "cannot make a string type for")
                       : attr_write(loc, obj, name, t, s, buf);
  if (s >= 0) H5Sclose(s);
  if (t >= 0) H5Tclose(t);
  free(buf);
  return st;
}

fc_status fci_h5_attr_write_str(hid_t loc, const char *obj, const char *name, const char *value) {
  const char *v[1] = {value ? value : ""};
  return attr_write_strings(loc, obj, name, v, 1, true);
}

fc_status fci_h5_attr_write_strs(hid_t loc, const char *obj, const char *name,
                                 const char *const *values, size_t n) {
  return attr_write_strings(loc, obj, name, values, n, false);
}

fc_status fci_h5_attr_write_i64(hid_t loc, const char *obj, const char *name, int64_t value) {
  hid_t s = H5Screate(H5S_SCALAR);
  fc_status st = attr_write(loc, obj, name, H5T_NATIVE_INT64, s, &value);
  if (s >= 0) H5Sclose(s);
  return st;
}

fc_status fci_h5_attr_write_f64(hid_t loc, const char *obj, const char *name, double value) {
  hid_t s = H5Screate(H5S_SCALAR);
  fc_status st = attr_write(loc, obj, name, H5T_NATIVE_DOUBLE, s, &value);
  if (s >= 0) H5Sclose(s);
  return st;
}

/* ------------------------------------------------------------------ string conversion */

void fci_h5_strs_free(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

/* Memory type matching a stored string type: same size, padding and character set for fixed
 * strings (HDF5 refuses to convert between ASCII and UTF-8), or variable length. */
static hid_t mem_str_type(hid_t ftype, bool *is_vlen) {
  htri_t v = H5Tis_variable_str(ftype);
  if (v < 0) return H5I_INVALID_HID;
  *is_vlen = v > 0;
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  H5T_cset_t cset = H5Tget_cset(ftype);
  herr_t e = H5Tset_size(t, *is_vlen ? H5T_VARIABLE : H5Tget_size(ftype));
  if (e >= 0 && cset >= 0) e = H5Tset_cset(t, cset);
  if (e >= 0 && !*is_vlen) e = H5Tset_strpad(t, H5T_STR_NULLPAD);
  if (e < 0 || cset < 0) {
    H5Tclose(t);
    return H5I_INVALID_HID;
  }
  return t;
}

/* Turns a read buffer (n fixed cells of width bytes, or n char pointers) into n malloc'ed
 * NUL-terminated strings. */
static fc_status unpack_strings(const void *buf, bool is_vlen, size_t width, size_t n,
                                char ***out) {
  char **v;
  FC_CALL(fci_calloc(n ? n : 1, sizeof *v, &v));
  for (size_t i = 0; i < n; i++) {
    const char *s;
    size_t len;
    if (is_vlen) {
      s = ((char *const *)buf)[i];
      if (!s) s = "";
      len = strlen(s);
    } else {
      s = (const char *)buf + i * width;
      const char *nul = memchr(s, '\0', width);
      len = nul ? (size_t)(nul - s) : width;
    }
    fc_status st = fci_malloc(len + 1, &v[i]);
    if (st != FC_OK) {
      fci_h5_strs_free(v, i);
      return st;
    }
    memcpy(v[i], s, len);
    v[i][len] = '\0';
  }
  *out = v;
  return FC_OK;
}

static void reclaim_vlen(hid_t mem_type, hid_t space, void *buf) {
#if H5_VERSION_GE(1, 12, 0)
  H5Treclaim(mem_type, space, H5P_DEFAULT, buf);
#else
  H5Dvlen_reclaim(mem_type, space, H5P_DEFAULT, buf);
#endif
}

/* ------------------------------------------------------------------ attribute reading */

bool fci_h5_attr_exists(hid_t loc, const char *obj, const char *name) {
  return H5Aexists_by_name(loc, obj, name, H5P_DEFAULT) > 0;
}

/* Opens an attribute and its type and space; a missing one is FC_ERR_FORMAT. */
static fc_status attr_open(hid_t loc, const char *obj, const char *name, hid_t *a, hid_t *type,
                           hid_t *space, size_t *npoints) {
  char what[300];
  *a = *type = *space = H5I_INVALID_HID;
  htri_t ex = H5Aexists_by_name(loc, obj, name, H5P_DEFAULT);
  if (ex <= 0) {
    snprintf(what, sizeof what, "no attribute %s on", name);
    return FCI_H5_FAIL(ex < 0 ? FC_ERR_HDF5 : FC_ERR_FORMAT, loc, obj, what);
  }
  snprintf(what, sizeof what, "cannot open attribute %s of", name);
  *a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
  if (*a >= 0) *type = H5Aget_type(*a);
  if (*type >= 0) *space = H5Aget_space(*a);
  hssize_t np = *space >= 0 ? H5Sget_simple_extent_npoints(*space) : -1;
  if (np < 0) {
    fc_status st = FCI_H5_FAIL(FC_ERR_HDF5, loc, obj, what);
    close_id(space, H5Sclose);
    close_id(type, H5Tclose);
    close_id(a, H5Aclose);
    return st;
  }
  *npoints = (size_t)np;
  return FC_OK;
}

static void attr_close(hid_t *a, hid_t *type, hid_t *space) {
  close_id(space, H5Sclose);
  close_id(type, H5Tclose);
  close_id(a, H5Aclose);
}

fc_status fci_h5_attr_read_strs(hid_t loc, const char *obj, const char *name, char ***out,
                                size_t *n) {
  hid_t a, ftype, space, mtype = H5I_INVALID_HID;
  size_t np;
  void *buf = NULL;
  bool is_vlen = false;
  char what[300];
  *out = NULL;
  *n = 0;
  FC_CALL(attr_open(loc, obj, name, &a, &ftype, &space, &np));
  fc_status st = FC_OK;
  if (H5Tget_class(ftype) != H5T_STRING) {
    snprintf(what, sizeof what, "attribute %s is not a string on", name);
    st = FCI_H5_FAIL(FC_ERR_FORMAT, loc, obj, what);
    goto out;
  }
  snprintf(what, sizeof what, "cannot read attribute %s of", name);
  mtype = mem_str_type(ftype, &is_vlen);
  if (mtype < 0) {
    st = FCI_H5_FAIL(FC_ERR_HDF5, loc, obj, what);
    goto out;
  }
  size_t width = is_vlen ? sizeof(char *) : H5Tget_size(mtype);
  FC_CALL_GOTO(st, fci_calloc(np ? np : 1, width, &buf), out);
  if (np > 0 && H5Aread(a, mtype, buf) < 0) {
    st = FCI_H5_FAIL(FC_ERR_HDF5, loc, obj, what);
    goto out;
  }
  st = unpack_strings(buf, is_vlen, width, np, out);
  if (is_vlen && np > 0) reclaim_vlen(mtype, space, buf);
  if (st == FC_OK) *n = np;
out:
  free(buf);
  close_id(&mtype, H5Tclose);
  attr_close(&a, &ftype, &space);
  return st;
}

fc_status fci_h5_attr_read_str(hid_t loc, const char *obj, const char *name, char **out) {
  char **v;
  size_t n;
  *out = NULL;
  FC_CALL(fci_h5_attr_read_strs(loc, obj, name, &v, &n));
  if (n != 1) {
    fci_h5_strs_free(v, n);
    char what[300];
    snprintf(what, sizeof what, "attribute %s holds %zu strings, not one, on", name, n);
    return FCI_H5_FAIL(FC_ERR_FORMAT, loc, obj, what);
  }
  *out = v[0];
  free(v);
  return FC_OK;
}

static fc_status attr_read_scalar(hid_t loc, const char *obj, const char *name, hid_t mtype,
                                  bool allow_float, void *out) {
  hid_t a, ftype, space;
  size_t np;
  char what[300];
  FC_CALL(attr_open(loc, obj, name, &a, &ftype, &space, &np));
  fc_status st = FC_OK;
  H5T_class_t cls = H5Tget_class(ftype);
  if (np != 1 || !(cls == H5T_INTEGER || (allow_float && cls == H5T_FLOAT))) {
    snprintf(what, sizeof what, "attribute %s is not a single %s on", name,
             allow_float ? "number" : "integer");
    st = FCI_H5_FAIL(FC_ERR_FORMAT, loc, obj, what);
  } else if (H5Aread(a, mtype, out) < 0) {
    snprintf(what, sizeof what, "cannot read attribute %s of", name);
    st = FCI_H5_FAIL(FC_ERR_HDF5, loc, obj, what);
  }
  attr_close(&a, &ftype, &space);
  return st;
}

fc_status fci_h5_attr_read_i64(hid_t loc, const char *obj, const char *name, int64_t *out) {
  return attr_read_scalar(loc, obj, name, H5T_NATIVE_INT64, false, out);
}

fc_status fci_h5_attr_read_f64(hid_t loc, const char *obj, const char *name, double *out) {
  return attr_read_scalar(loc, obj, name, H5T_NATIVE_DOUBLE, true, out);
}

/* ------------------------------------------------------------------ reader */

fc_status fci_h5_reader_open(const char *path, MPI_Comm comm, fci_h5_reader *r) {
  memset(r, 0, sizeof *r);
  r->file = r->dxpl = H5I_INVALID_HID;
  r->comm = MPI_COMM_NULL;
  fc_status st = FC_OK;
  /* A private communicator keeps the agreement traffic apart from the caller's messages. */
  if (comm != MPI_COMM_NULL && MPI_Comm_dup(comm, &r->comm) != MPI_SUCCESS)
    return FC_ERROR(FC_ERR_MPI, "%s: MPI_Comm_dup failed", path ? path : "(null)");
  if (!path || !path[0]) st = FC_ERROR(FC_ERR_ARG, "empty input file name");
  if (st == FC_OK) st = dup_str(path, &r->path);
  if (st == FC_OK) {
    /* HDF5's message for a missing file is a wall of driver detail; errno says it plainly. */
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd < 0)
      st = FC_ERROR(FC_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    else if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
      st = FC_ERROR(FC_ERR_IO, "cannot open %s: not a regular file", path);
    if (fd >= 0) close(fd);
  }
  st = fci_h5_agree(r->comm, st, path);
  if (st != FC_OK) goto fail;

  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0 ||
      (r->comm != MPI_COMM_NULL && H5Pset_fapl_mpio(fapl, r->comm, MPI_INFO_NULL) < 0)) {
    st = FCI_H5_FAIL(FC_ERR_HDF5, H5I_INVALID_HID, path, "cannot set up MPI-IO access");
  } else {
    r->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (r->file < 0) st = FCI_H5_FAIL(FC_ERR_HDF5, H5I_INVALID_HID, path, "cannot open as HDF5");
  }
  if (fapl >= 0) H5Pclose(fapl);
  if (st == FC_OK) {
    r->dxpl = H5P_DEFAULT;
    if (r->comm != MPI_COMM_NULL) {
      r->dxpl = H5Pcreate(H5P_DATASET_XFER);
      if (r->dxpl < 0 || H5Pset_dxpl_mpio(r->dxpl, H5FD_MPIO_COLLECTIVE) < 0)
        st = FCI_H5_FAIL(FC_ERR_HDF5, r->file, NULL, "cannot set collective transfer for");
    }
  }
  st = fci_h5_agree(r->comm, st, path);
  if (st != FC_OK) goto fail;
  return FC_OK;
fail:
  fci_h5_reader_close(r);
  return st;
}

void fci_h5_reader_close(fci_h5_reader *r) {
  if (r->dxpl >= 0 && r->dxpl != H5P_DEFAULT) H5Pclose(r->dxpl);
  r->dxpl = H5I_INVALID_HID;
  close_id(&r->file, H5Fclose);
  if (r->comm != MPI_COMM_NULL) MPI_Comm_free(&r->comm);
  r->comm = MPI_COMM_NULL;
  free(r->path);
  r->path = NULL;
}

bool fci_h5_exists(const fci_h5_reader *r, const char *name) {
  return H5Lexists(r->file, name, H5P_DEFAULT) > 0 &&
         H5Oexists_by_name(r->file, name, H5P_DEFAULT) > 0;
}

bool fci_h5_same_object(const fci_h5_reader *r, const char *a, const char *b) {
  if (!fci_h5_exists(r, a) || !fci_h5_exists(r, b)) return false;
#if H5_VERSION_GE(1, 12, 0)
  H5O_info2_t ia, ib;
  int cmp = 1;
  if (H5Oget_info_by_name3(r->file, a, &ia, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
      H5Oget_info_by_name3(r->file, b, &ib, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
      H5Otoken_cmp(r->file, &ia.token, &ib.token, &cmp) < 0)
    return false;
  return cmp == 0;
#else
  H5O_info_t ia, ib;
  if (H5Oget_info_by_name2(r->file, a, &ia, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
      H5Oget_info_by_name2(r->file, b, &ib, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
    return false;
  return ia.fileno == ib.fileno && ia.addr == ib.addr;
#endif
}

/* Opens a dataset and reads its shape (rank 1 or 2). */
static fc_status dset_open(const fci_h5_reader *r, const char *name, hid_t *d, hid_t *space,
                           size_t *rows, size_t *width) {
  *d = *space = H5I_INVALID_HID;
  if (!fci_h5_exists(r, name)) return FCI_H5_FAIL(FC_ERR_FORMAT, r->file, name, "no dataset");
  *d = H5Dopen2(r->file, name, H5P_DEFAULT);
  if (*d < 0) return FCI_H5_FAIL(FC_ERR_HDF5, r->file, name, "cannot open dataset");
  *space = H5Dget_space(*d);
  int nd = *space >= 0 ? H5Sget_simple_extent_ndims(*space) : -1;
  hsize_t dims[2] = {0, 0};
  fc_status st = FC_OK;
  if (nd < 0)
    st = FCI_H5_FAIL(FC_ERR_HDF5, r->file, name, "cannot get the shape of dataset");
  else if (nd < 1 || nd > 2)
    st = FCI_H5_FAIL(FC_ERR_FORMAT, r->file, name, "not a 1-D or 2-D dataset:");
  else if (H5Sget_simple_extent_dims(*space, dims, NULL) < 0)
    st = FCI_H5_FAIL(FC_ERR_HDF5, r->file, name, "cannot get the shape of dataset");
  if (st != FC_OK) {
    close_id(space, H5Sclose);
    close_id(d, H5Dclose);
    return st;
  }
  *rows = (size_t)dims[0];
  *width = nd == 2 ? (size_t)dims[1] : 0;
  return FC_OK;
}

fc_status fci_h5_dims(const fci_h5_reader *r, const char *name, size_t *rows, size_t *width) {
  hid_t d, space;
  FC_CALL(dset_open(r, name, &d, &space, rows, width));
  H5Sclose(space);
  H5Dclose(d);
  return FC_OK;
}

/* The collective core of fci_h5_read_rows / fci_h5_read_all: all = every rank reads every row
 * (begin/end are then ignored). Agrees before the transfer and after everything local. */
static fc_status read_block(const fci_h5_reader *r, const char *name, hid_t mem_type, size_t width,
                            bool all, size_t begin, size_t end, void **out, size_t *rows_out) {
  hid_t d = H5I_INVALID_HID, fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
  hid_t ftype = H5I_INVALID_HID;
  void *buf = NULL;
  size_t rows = 0, fwidth = 0, n = 0;
  char what[200];
  *out = NULL;
  fc_status st = dset_open(r, name, &d, &fs, &rows, &fwidth);
  if (st == FC_OK && fwidth != width) {
    snprintf(what, sizeof what, "width %zu, expected %zu, of dataset", fwidth, width);
    st = FCI_H5_FAIL(FC_ERR_FORMAT, r->file, name, what);
  }
  if (st == FC_OK) {
    ftype = H5Dget_type(d);
    H5T_class_t fc = ftype >= 0 ? H5Tget_class(ftype) : H5T_NO_CLASS;
    H5T_class_t mc = H5Tget_class(mem_type);
    if (fc != mc) st = FCI_H5_FAIL(FC_ERR_FORMAT, r->file, name, "unexpected element type of");
  }
  if (st == FC_OK && all) {
    begin = 0;
    end = rows;
  }
  if (st == FC_OK && (begin > end || end > rows)) {
    snprintf(what, sizeof what, "rows [%zu, %zu) are outside the %zu rows of dataset", begin, end,
             rows);
    st = FCI_H5_FAIL(FC_ERR_ARG, r->file, name, what);
  }
  if (st == FC_OK) {
    n = end - begin;
    size_t w = width ? width : 1;
    if (n > 0 && w > SIZE_MAX / n / H5Tget_size(mem_type))
      st = FC_ERROR(FC_ERR_LIMIT, "%s: %s: %zu rows are too many to read", r->path, name, n);
    else
      st = fci_malloc(n * w * H5Tget_size(mem_type), &buf);
  }
  if (st == FC_OK) {
    hsize_t start[2] = {(hsize_t)begin, 0}, count[2] = {(hsize_t)n, (hsize_t)width};
    hsize_t one[1] = {1};
    int rank = width ? 2 : 1;
    herr_t e;
    /* An empty rank still joins the collective transfer, with nothing selected. */
    if (n > 0) {
      e = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
      ms = e >= 0 ? H5Screate_simple(rank, count, NULL) : H5I_INVALID_HID;
    } else {
      e = H5Sselect_none(fs);
      ms = e >= 0 ? H5Screate_simple(1, one, NULL) : H5I_INVALID_HID;
      if (ms >= 0 && H5Sselect_none(ms) < 0) e = -1;
    }
    if (e < 0 || ms < 0) st = FCI_H5_FAIL(FC_ERR_HDF5, r->file, name, "cannot select rows of");
  }
  st = fci_h5_agree(r->comm, st, r->path);
  if (st == FC_OK && H5Dread(d, mem_type, ms, fs, r->dxpl, buf) < 0)
    st = FCI_H5_FAIL(FC_ERR_HDF5, r->file, name, "cannot read dataset");
  close_id(&ms, H5Sclose);
  close_id(&fs, H5Sclose);
  close_id(&ftype, H5Tclose);
  close_id(&d, H5Dclose);
  st = fci_h5_agree(r->comm, st, r->path);
  if (st != FC_OK) {
    free(buf);
    return st;
  }
  *out = buf;
  if (rows_out) *rows_out = n;
  return FC_OK;
}

fc_status fci_h5_read_rows(const fci_h5_reader *r, const char *name, hid_t mem_type, size_t width,
                           size_t begin, size_t end, void **out) {
  return read_block(r, name, mem_type, width, false, begin, end, out, NULL);
}

fc_status fci_h5_read_all(const fci_h5_reader *r, const char *name, hid_t mem_type, size_t width,
                          void **out, size_t *rows) {
  return read_block(r, name, mem_type, width, true, 0, 0, out, rows);
}

fc_status fci_h5_read_strings(const fci_h5_reader *r, const char *name, char ***out,
                              size_t *n_out) {
  hid_t d = H5I_INVALID_HID, fs = H5I_INVALID_HID, ftype = H5I_INVALID_HID;
  hid_t mtype = H5I_INVALID_HID;
  size_t n = 0, fwidth = 0, cell = 1;
  bool is_vlen = false, read_done = false;
  void *buf = NULL;
  *out = NULL;
  *n_out = 0;
  fc_status st = dset_open(r, name, &d, &fs, &n, &fwidth);
  if (st == FC_OK && fwidth != 0)
    st = FCI_H5_FAIL(FC_ERR_FORMAT, r->file, name, "not a 1-D string dataset:");
  if (st == FC_OK) {
    ftype = H5Dget_type(d);
    if (ftype < 0 || H5Tget_class(ftype) != H5T_STRING)
      st = FCI_H5_FAIL(FC_ERR_FORMAT, r->file, name, "not a string dataset:");
  }
  if (st == FC_OK) {
    mtype = mem_str_type(ftype, &is_vlen);
    if (mtype < 0) st = FCI_H5_FAIL(FC_ERR_HDF5, r->file, name, "cannot read strings of");
  }
  if (st == FC_OK) {
    cell = is_vlen ? sizeof(char *) : H5Tget_size(mtype);
    st = fci_calloc(n ? n : 1, cell, &buf);
  }
  if (st == FC_OK && n == 0 && H5Sselect_none(fs) < 0)
    st = FCI_H5_FAIL(FC_ERR_HDF5, r->file, name, "cannot select rows of");
  st = fci_h5_agree(r->comm, st, r->path);
  if (st == FC_OK) {
    if (H5Dread(d, mtype, fs, fs, r->dxpl, buf) < 0)
      st = FCI_H5_FAIL(FC_ERR_HDF5, r->file, name, "cannot read dataset");
    else
      read_done = true;
  }
  if (st == FC_OK) st = unpack_strings(buf, is_vlen, cell, n, out);
  if (read_done && is_vlen && n > 0) reclaim_vlen(mtype, fs, buf);
  free(buf);
  close_id(&mtype, H5Tclose);
  close_id(&ftype, H5Tclose);
  close_id(&fs, H5Sclose);
  close_id(&d, H5Dclose);
  st = fci_h5_agree(r->comm, st, r->path);
  if (st != FC_OK) {
    if (*out) fci_h5_strs_free(*out, n);
    *out = NULL;
    return st;
  }
  *n_out = n;
  return FC_OK;
}
