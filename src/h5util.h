/* Private HDF5 helpers shared by the dataset file (store.c) and the model file: atomic file
 * creation by one process, typed and string attributes, chunked + compressed datasets written in
 * one call, fixed-length string datasets, collective reads of row blocks over MPI-IO, whole
 * small datasets read on every rank, and HDF5 error capture into the fc error message.
 *
 * Conventions:
 * - Objects are named by paths relative to a location (`loc` a file or group id), e.g. a file
 *   id and "/raw/ts_us", or a group id and "ts_us". Attribute helpers take the object's path
 *   too ("." for loc itself), so no object handle needs managing by the caller.
 * - A "row" is the first dimension. Datasets are 1-D (width 0) or 2-D (width = second
 *   dimension, e.g. 16 for IP address bytes). Memory buffers are row-major.
 * - Errors name the file, the object and the innermost HDF5 message, e.g.
 *   "out.h5: cannot read dataset /raw/ts_us: can't read data (inflate() failed)".
 * - Strings are stored fixed-length, NUL padded, width = longest + 1 (so every value keeps at
 *   least one NUL and h5py/h5dump show them plainly). Readers also accept variable-length
 *   strings, so files touched by h5py stay readable.
 * - Debian's parallel HDF5 is not thread-safe: call none of these inside OpenMP regions.
 *
 * Parallel reading: fci_h5_reader_open with a communicator opens the file with the MPI-IO
 * driver and a collective transfer property list. Every rank of the communicator must then make
 * the same sequence of reader calls (same names, same order). Each collective helper agrees on
 * failure (fci_h5_agree) before and after its collective transfer, so when one rank fails, all
 * return an error and none is left waiting; a caller that does fallible local work between
 * helper calls must agree on it with fci_h5_agree before its next collective call. */
#ifndef FLOWCHRONICLE_H5UTIL_H
#define FLOWCHRONICLE_H5UTIL_H

#include <hdf5.h>
#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"

/* Rows per chunk of the datasets written here (fewer when rows are wide). */
#define FCI_H5_CHUNK_ROWS 65536
#define FCI_H5_DEFLATE_LEVEL 4

/* ------------------------------------------------------------------ errors */

/* Saved state of HDF5's automatic error printing. fci_h5_quiet_begin turns the printing off
 * (the stack is captured into the fc message instead); fci_h5_quiet_end restores it. Nests. */
typedef struct fci_h5_quiet {
  H5E_auto2_t func;
  void *data;
} fci_h5_quiet;

void fci_h5_quiet_begin(fci_h5_quiet *q);
void fci_h5_quiet_end(const fci_h5_quiet *q);

/* Copies the innermost message of the current HDF5 error stack ("" when empty) into buf. Call
 * it right after the failing HDF5 call: any later HDF5 API call clears the stack. */
void fci_h5_last_error(char *buf, size_t cap);

/* Records st with "<file>: <what> <object>: <innermost HDF5 message>", where file and object
 * come from loc (a file or object id; H5I_INVALID_HID when none) and name (relative to loc,
 * may be NULL). The HDF5 message is captured before anything else is called. */
fc_status fci_h5_fail(fc_status st, hid_t loc, const char *name, const char *what, const char *file,
                      int line, const char *func);
#define FCI_H5_FAIL(st, loc, name, what)                                                           \
  fci_h5_fail((st), (loc), (name), (what), __FILE__, __LINE__, __func__)

/* Collective over comm (a no-op returning st for MPI_COMM_NULL): every rank contributes its
 * status and all return the same verdict. A rank that failed keeps its own status and message;
 * the others return the failing rank's status (the highest status, lowest rank on ties) with a
 * message "<what>: rank R failed (<status text>)". */
fc_status fci_h5_agree(MPI_Comm comm, fc_status st, const char *what);

/* ------------------------------------------------------------------ writing (one process) */

/* A file being written under a temporary name next to its target. */
typedef struct fci_h5_writer {
  hid_t file;     /* the open file: create groups and datasets in it */
  char *path;     /* the target */
  char *tmp_path; /* "<path>.tmp.<pid>.<n>" */
} fci_h5_writer;

/* Creates the temporary file (exclusive create, HDF5 1.8 file format or later so attributes
 * larger than 64 KiB work). Fails with FC_ERR_IO naming path when its directory is not
 * writable or does not exist. */
fc_status fci_h5_writer_create(const char *path, fci_h5_writer *w);
/* Flushes, closes, fsyncs and renames the file onto its target (replacing it). On failure the
 * temporary file is removed and the target is untouched. Frees w's strings either way. */
fc_status fci_h5_writer_commit(fci_h5_writer *w);
/* Closes and removes the temporary file; the target is untouched. Safe on a zeroed writer and
 * after commit. */
void fci_h5_writer_abort(fci_h5_writer *w);

/* Creates a group (no timestamps, so identical inputs give identical bytes). */
fc_status fci_h5_create_group(hid_t loc, const char *name);

/* Makes name a second name (hard link) of the existing object target, both relative to loc:
 * one copy on disk, both names readable. */
fc_status fci_h5_hard_link(hid_t loc, const char *target, const char *name);

/* Creates and writes a dataset of rows x width (width 0: 1-D of rows) elements of the native
 * type `type` (H5T_NATIVE_INT64, H5T_NATIVE_UINT8, ...), chunked by up to FCI_H5_CHUNK_ROWS
 * rows and compressed (shuffle + deflate level 4). rows may be 0 (data may then be NULL). */
fc_status fci_h5_write_array(hid_t loc, const char *name, hid_t type, size_t rows, size_t width,
                             const void *data);

/* Writes n strings as a 1-D fixed-length string dataset (width longest + 1, NUL padded,
 * UTF-8), chunked and compressed like fci_h5_write_array. A NULL entry is FC_ERR_ARG. */
fc_status fci_h5_write_strings(hid_t loc, const char *name, const char *const *values, size_t n);

/* Attributes on the object at path obj relative to loc ("." for loc itself). Strings are
 * fixed-length UTF-8 (scalar, or a 1-D array of n strings; n may be 0); numbers are scalars. */
fc_status fci_h5_attr_write_str(hid_t loc, const char *obj, const char *name, const char *value);
fc_status fci_h5_attr_write_strs(hid_t loc, const char *obj, const char *name,
                                 const char *const *values, size_t n);
fc_status fci_h5_attr_write_i64(hid_t loc, const char *obj, const char *name, int64_t value);
fc_status fci_h5_attr_write_f64(hid_t loc, const char *obj, const char *name, double value);

/* ------------------------------------------------------------------ attribute reading (local) */

/* These read metadata only and are not collective: every rank may call them on its own. A
 * missing attribute is FC_ERR_FORMAT naming it. */
bool fci_h5_attr_exists(hid_t loc, const char *obj, const char *name);
fc_status fci_h5_attr_read_str(hid_t loc, const char *obj, const char *name, char **out);
/* A 1-D (or scalar: one string) string attribute; *out is a malloc'ed array of n malloc'ed
 * strings, freed with fci_h5_strs_free. */
fc_status fci_h5_attr_read_strs(hid_t loc, const char *obj, const char *name, char ***out,
                                size_t *n);
/* Integer (any size or sign, converted) and floating-point scalars. */
fc_status fci_h5_attr_read_i64(hid_t loc, const char *obj, const char *name, int64_t *out);
fc_status fci_h5_attr_read_f64(hid_t loc, const char *obj, const char *name, double *out);
void fci_h5_strs_free(char **v, size_t n);

/* ------------------------------------------------------------------ reading (collective) */

typedef struct fci_h5_reader {
  hid_t file;
  hid_t dxpl;    /* collective MPI-IO transfer, or H5P_DEFAULT for a one-process reader */
  MPI_Comm comm; /* MPI_COMM_NULL for a one-process reader (the file's own handle otherwise) */
  char *path;
} fci_h5_reader;

/* Opens path read-only. With comm != MPI_COMM_NULL it is collective over comm (MPI-IO driver);
 * with MPI_COMM_NULL one process opens it with the default driver. A missing or unreadable
 * file is FC_ERR_IO, a file HDF5 cannot open (not HDF5, truncated) FC_ERR_HDF5; both name the
 * path and all ranks fail together. */
fc_status fci_h5_reader_open(const char *path, MPI_Comm comm, fci_h5_reader *r);
/* Closes (collective when opened with a communicator). Safe on a zeroed reader. */
void fci_h5_reader_close(fci_h5_reader *r);

/* Shape of a dataset: rank 1 gives width 0. Local (metadata only). */
fc_status fci_h5_dims(const fci_h5_reader *r, const char *name, size_t *rows, size_t *width);
bool fci_h5_exists(const fci_h5_reader *r, const char *name);
/* True when two names are links to one object (fci_h5_hard_link). Local (metadata only). */
bool fci_h5_same_object(const fci_h5_reader *r, const char *a, const char *b);

/* Collective: reads rows [begin, end) of this rank (ranks may pass empty ranges) of the
 * dataset, converting to the native type mem_type, into a new malloc'ed buffer *out of
 * (end - begin) * max(width, 1) elements (never NULL on success). width must match the
 * dataset (0 for 1-D); the type class must match (integer, float). */
fc_status fci_h5_read_rows(const fci_h5_reader *r, const char *name, hid_t mem_type, size_t width,
                           size_t begin, size_t end, void **out);
/* Collective: every rank reads the whole dataset (for dictionaries, edges, counts); *rows
 * receives its length. */
fc_status fci_h5_read_all(const fci_h5_reader *r, const char *name, hid_t mem_type, size_t width,
                          void **out, size_t *rows);
/* Collective: every rank reads a whole 1-D string dataset (fixed or variable length) as n
 * malloc'ed NUL-terminated strings (free with fci_h5_strs_free). */
fc_status fci_h5_read_strings(const fci_h5_reader *r, const char *name, char ***out, size_t *n);

#endif
