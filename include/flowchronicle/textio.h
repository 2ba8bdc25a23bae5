/* Text input and output for flow files: a buffered line reader that reads plain or
 * gzip-compressed files (told apart by the gzip magic bytes, not by the name), and an atomic
 * output file that appears under its final name only when complete.
 *
 * The line reader is on the ingest hot path: it hands out lines in place (no copy, no
 * allocation per line), and inflates with zlib directly into its line buffer. A gzip file that
 * is truncated (including one that stops before its 8-byte trailer), corrupt, or followed by
 * data that is not another gzip member is an FC_ERR_IO error naming the file.
 *
 * The atomic file writes to a temporary "<path>.tmp.XXXXXX" in the target's directory and
 * renames it over the target on commit after fsync, so readers never see a partial file; a file
 * that is not committed (abort, or any failure) is removed. A target name ending in ".gz" is
 * written gzip-compressed. */
#ifndef FLOWCHRONICLE_TEXTIO_H
#define FLOWCHRONICLE_TEXTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"

/* ------------------------------------------------------------------ line reader */

typedef struct fc_line_reader fc_line_reader;

/* Opens path for reading ("-" is not special). Fails with FC_ERR_IO naming the path. */
fc_status fc_line_reader_open(const char *path, fc_line_reader **out);

/* The next line: *line points at its first byte inside the reader's buffer, *len excludes the
 * '\n' and one trailing '\r'. The line is NUL-terminated at *len and may be modified in place by
 * the caller; it stays valid until the next call. At the end of the input returns FC_OK with
 * *line == NULL and *len == 0. A last line without a newline is still a line. */
fc_status fc_line_reader_next(fc_line_reader *r, char **line, size_t *len);

/* 1-based number of the line last returned (0 before the first). */
uint64_t fc_line_reader_line_no(const fc_line_reader *r);
/* Uncompressed bytes consumed so far (newlines included). */
uint64_t fc_line_reader_bytes(const fc_line_reader *r);
/* True when the file is gzip-compressed. */
bool fc_line_reader_is_gzip(const fc_line_reader *r);
/* The path given to open (borrowed, valid until close). */
const char *fc_line_reader_path(const fc_line_reader *r);

/* Closes and frees; sets *r to NULL. Safe on NULL. Errors are reported by _next, not here. */
void fc_line_reader_close(fc_line_reader **r);

/* ------------------------------------------------------------------ atomic output file */

typedef struct fc_atomic_file fc_atomic_file;

/* Creates "<path>.tmp.XXXXXX" next to path. Output is gzip-compressed when path ends in
 * ".gz". The final file gets the usual permissions (0666 minus the umask). */
fc_status fc_atomic_open(const char *path, fc_atomic_file **out);

/* Buffered writes. Errors (ENOSPC, EFBIG, EIO, ...) are FC_ERR_IO naming the target path; after
 * an error every later call fails too and only abort (or the failing commit) remains. */
fc_status fc_atomic_write(fc_atomic_file *f, const void *data, size_t len);
fc_status fc_atomic_puts(fc_atomic_file *f, const char *s);
fc_status fc_atomic_printf(fc_atomic_file *f, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Flushes (and finishes the gzip stream), fsyncs, closes and renames the temporary file to the
 * target, then fsyncs the directory. Always frees *f and sets it to NULL; on failure the
 * temporary file is removed and the target is left as it was. */
fc_status fc_atomic_commit(fc_atomic_file **f);

/* Discards the output: closes and removes the temporary file, frees *f, sets it to NULL. Safe
 * on NULL (so it can sit on every cleanup path). */
void fc_atomic_abort(fc_atomic_file **f);

/* The target path (borrowed). */
const char *fc_atomic_path(const fc_atomic_file *f);

#endif
