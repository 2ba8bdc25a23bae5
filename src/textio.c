/* The line reader (plain or gzip input, told apart by magic bytes) and the atomic output file.
 *
 * The reader keeps one growing buffer of uncompressed text and hands out lines in place; gzip
 * input is inflated by hand (not gzread) so that the reader works on pipes, sees every member
 * of a multi-member file, and can tell a clean end from a stream cut before its trailer. The
 * output file follows nfdump's temp-then-rename pattern. */
#include "flowchronicle/textio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define READ_BUF_INIT ((size_t)1 << 20) /* uncompressed text buffer, grows for long lines */
#define GZ_IN_BUF ((size_t)256 << 10)   /* compressed input chunk */
#define MAX_LINE ((size_t)64 << 20)     /* a longer "line" is not text we can parse */
#define WRITE_BUF ((size_t)256 << 10)

/* ================================================================== line reader */

struct fc_line_reader {
  char *path;
  int fd;
  bool gz;
  bool raw_eof;    /* read() returned 0 */
  bool text_eof;   /* no more uncompressed text will come */
  bool member_end; /* inflate finished a gzip member; another may follow */
  bool zs_init;
  fc_status err; /* sticky: once failed, every later call fails the same way */
  char *buf;     /* uncompressed text [pos, end), one spare byte for a NUL */
  size_t cap, pos, end, scanned;
  unsigned char *in; /* compressed input; zs.next_in/avail_in point into it */
  z_stream zs;
  uint64_t line_no, bytes;
};

static fc_status reader_fail(fc_line_reader *r, fc_status st) {
  r->err = st;
  return st;
}

/* Reads up to n bytes, retrying on EINTR. Returns bytes read, 0 at EOF, -1 on error. */
static ssize_t read_some(int fd, void *p, size_t n) {
  for (;;) {
    ssize_t k = read(fd, p, n);
    if (k >= 0 || errno != EINTR) return k;
  }
}

fc_status fc_line_reader_open(const char *path, fc_line_reader **out) {
  *out = NULL;
  fc_line_reader *r;
  FC_CALL(fci_calloc(1, sizeof *r, &r));
  r->fd = -1;
  fc_status st = FC_OK;
  size_t plen = strlen(path);
  FC_CALL_GOTO(st, fci_malloc(plen + 1, &r->path), fail);
  memcpy(r->path, path, plen + 1);
  FC_CALL_GOTO(st, fci_malloc(READ_BUF_INIT, &r->buf), fail);
  r->cap = READ_BUF_INIT;
  r->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0) {
    st = FC_ERROR(FC_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    goto fail;
  }
  struct stat sb;
  if (fstat(r->fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    st = FC_ERROR(FC_ERR_IO, "cannot read %s: it is a directory", path);
    goto fail;
  }
  /* Sniff the first bytes for the gzip magic; keep what was read. */
  while (r->end < 2 && !r->raw_eof) {
    /* At most one compressed chunk, so a gzip file's first bytes fit r->in. */
    ssize_t k = read_some(r->fd, r->buf + r->end, GZ_IN_BUF - r->end);
    if (k < 0) {
      st = FC_ERROR(FC_ERR_IO, "cannot read %s: %s", path, strerror(errno));
      goto fail;
    }
    if (k == 0) r->raw_eof = true;
    r->end += (size_t)k;
  }
  if (r->end >= 2 && (unsigned char)r->buf[0] == 0x1f && (unsigned char)r->buf[1] == 0x8b) {
    r->gz = true;
    FC_CALL_GOTO(st, fci_malloc(GZ_IN_BUF, &r->in), fail);
    memcpy(r->in, r->buf, r->end);
    r->zs.next_in = r->in;
    r->zs.avail_in = (uInt)r->end;
    r->end = 0;
    /* 15 + 16: a gzip wrapper only (no zlib or raw deflate), largest window. */
    if (inflateInit2(&r->zs, 15 + 16) != Z_OK) {
      st = FC_ERROR(FC_ERR_NOMEM, "cannot start zlib inflate for %s", path);
      goto fail;
    }
    r->zs_init = true;
  } else if (r->raw_eof) {
    r->text_eof = true;
  }
  *out = r;
  return FC_OK;
fail:
  fc_line_reader_close(&r);
  return st;
}

/* Makes room for more text: drops consumed bytes, grows the buffer when a line fills it. */
static fc_status make_room(fc_line_reader *r) {
  if (r->pos > 0) {
    memmove(r->buf, r->buf + r->pos, r->end - r->pos);
    r->end -= r->pos;
    r->pos = 0; /* scanned is relative to pos: unchanged */
  }
  if (r->end + 1 >= r->cap) {
    if (r->cap >= MAX_LINE)
      return reader_fail(r, FC_ERROR(FC_ERR_LIMIT,
                                     "%s:%llu: line longer than %zu bytes (not a "
                                     "text flow file?)",
                                     r->path, (unsigned long long)r->line_no + 1, MAX_LINE));
    FC_CALL(reader_fail(r, fci_realloc(r->cap * 2, &r->buf)));
    r->cap *= 2;
  }
  return FC_OK;
}

/* Refills r->in, keeping unconsumed compressed bytes. */
static fc_status read_compressed(fc_line_reader *r) {
  if (r->zs.avail_in > 0 && r->zs.next_in != r->in) memmove(r->in, r->zs.next_in, r->zs.avail_in);
  r->zs.next_in = r->in;
  if (r->zs.avail_in >= GZ_IN_BUF) return FC_OK; /* full: nothing to add yet */
  ssize_t k = read_some(r->fd, r->in + r->zs.avail_in, GZ_IN_BUF - r->zs.avail_in);
  if (k < 0)
    return reader_fail(r, FC_ERROR(FC_ERR_IO, "cannot read %s: %s", r->path, strerror(errno)));
  if (k == 0) r->raw_eof = true;
  r->zs.avail_in += (uInt)k;
  return FC_OK;
}

/* Inflates at least one byte into [end, cap-1), or sets text_eof at a clean end of the input. */
static fc_status fill_gzip(fc_line_reader *r) {
  size_t room = r->cap - 1 - r->end;
  for (;;) {
    if (r->zs.avail_in == 0 && !r->raw_eof) FC_CALL(read_compressed(r));
    if (r->member_end) {
      /* Between members: another member, zero padding (ignored, as gzip does) or the end. */
      while (r->zs.avail_in > 0 && *r->zs.next_in == 0) {
        r->zs.next_in++;
        r->zs.avail_in--;
      }
      if (r->zs.avail_in == 0) {
        if (r->raw_eof) {
          r->text_eof = true;
          return FC_OK;
        }
        continue;
      }
      if (r->zs.avail_in < 2 && !r->raw_eof) {
        FC_CALL(read_compressed(r));
        continue;
      }
      if (r->zs.avail_in < 2 || r->zs.next_in[0] != 0x1f || r->zs.next_in[1] != 0x8b)
        return reader_fail(r, FC_ERROR(FC_ERR_IO,
                                       "%s: unexpected data after the end of the gzip stream "
                                       "(%llu uncompressed bytes read)",
                                       r->path, (unsigned long long)(r->bytes + r->end - r->pos)));
      if (inflateReset(&r->zs) != Z_OK)
        return reader_fail(r, FC_ERROR(FC_ERR_IO, "%s: cannot restart zlib inflate", r->path));
      r->member_end = false;
    }
    r->zs.next_out = (unsigned char *)r->buf + r->end;
    r->zs.avail_out = (uInt)(room > UINT32_MAX ? UINT32_MAX : room);
    uInt before_in = r->zs.avail_in;
    int ret = inflate(&r->zs, Z_NO_FLUSH);
    size_t produced = (size_t)((unsigned char *)r->zs.next_out - (unsigned char *)r->buf) - r->end;
    r->end += produced;
    switch (ret) {
    case Z_STREAM_END:
      r->member_end = true;
      break;
    case Z_OK:
    case Z_BUF_ERROR: /* no progress possible with the input at hand */
      if (produced == 0 && before_in == r->zs.avail_in && r->zs.avail_in == 0 && r->raw_eof)
        return reader_fail(r, FC_ERROR(FC_ERR_IO,
                                       "%s: truncated gzip file: the compressed stream ends "
                                       "before its end (and trailer) after %llu uncompressed "
                                       "bytes",
                                       r->path, (unsigned long long)(r->bytes + r->end - r->pos)));
      break;
    case Z_MEM_ERROR:
      return reader_fail(r, FC_ERROR(FC_ERR_NOMEM, "%s: zlib is out of memory", r->path));
    default: /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
      return reader_fail(r, FC_ERROR(FC_ERR_IO,
                                     "%s: corrupt gzip data after %llu uncompressed "
                                     "bytes: %s",
                                     r->path, (unsigned long long)(r->bytes + r->end - r->pos),
                                     r->zs.msg ? r->zs.msg : "inflate failed"));
    }
    if (produced > 0) return FC_OK;
  }
}

static fc_status fill(fc_line_reader *r) {
  FC_CALL(make_room(r));
  if (r->gz) return fill_gzip(r);
  ssize_t k = read_some(r->fd, r->buf + r->end, r->cap - 1 - r->end);
  if (k < 0)
    return reader_fail(r, FC_ERROR(FC_ERR_IO, "cannot read %s: %s", r->path, strerror(errno)));
  if (k == 0) r->raw_eof = r->text_eof = true;
  r->end += (size_t)k;
  return FC_OK;
}

fc_status fc_line_reader_next(fc_line_reader *r, char **line, size_t *len) {
  *line = NULL;
  *len = 0;
  if (r->err != FC_OK) return r->err;
  for (;;) {
    size_t from = r->pos + r->scanned;
    char *nl = from < r->end ? memchr(r->buf + from, '\n', r->end - from) : NULL;
    size_t n;
    if (nl) {
      n = (size_t)(nl - (r->buf + r->pos));
      r->bytes += n + 1;
    } else if (r->text_eof) {
      if (r->end == r->pos) return FC_OK;
      n = r->end - r->pos; /* last line without a newline */
      r->bytes += n;
    } else {
      r->scanned = r->end - r->pos;
      FC_CALL(fill(r));
      continue;
    }
    char *s = r->buf + r->pos;
    r->pos += nl ? n + 1 : n;
    r->scanned = 0;
    if (n > 0 && s[n - 1] == '\r') n--;
    s[n] = '\0'; /* the '\n', the '\r', or the spare byte after the last line */
    r->line_no++;
    *line = s;
    *len = n;
    return FC_OK;
  }
}

uint64_t fc_line_reader_line_no(const fc_line_reader *r) {
  return r->line_no;
}
uint64_t fc_line_reader_bytes(const fc_line_reader *r) {
  return r->bytes;
}
bool fc_line_reader_is_gzip(const fc_line_reader *r) {
  return r->gz;
}
const char *fc_line_reader_path(const fc_line_reader *r) {
  return r->path;
}

void fc_line_reader_close(fc_line_reader **rp) {
  if (!rp || !*rp) return;
  fc_line_reader *r = *rp;
  if (r->zs_init) inflateEnd(&r->zs);
  if (r->fd >= 0) close(r->fd);
  free(r->in);
  free(r->buf);
  free(r->path);
  free(r);
  *rp = NULL;
}

/* ================================================================== atomic output file */

struct fc_atomic_file {
  char *path, *tmp;
  int fd;
  bool gz, zs_init;
  bool tmp_exists; /* created by mkstemp and not yet renamed */
  fc_status err;
  unsigned char *buf; /* pending uncompressed bytes */
  size_t len;
  unsigned char *zbuf; /* deflate output */
  z_stream zs;
};

static fc_status atomic_fail(fc_atomic_file *f, fc_status st) {
  f->err = st;
  return st;
}

static fc_status write_all(fc_atomic_file *f, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(f->fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return atomic_fail(f, FC_ERROR(FC_ERR_IO, "cannot write %s (temporary file %s): %s", f->path,
                                     f->tmp, strerror(errno)));
    }
    p += k;
    n -= (size_t)k;
  }
  return FC_OK;
}

/* Sends n bytes at p to the file, through deflate when compressing. */
static fc_status emit(fc_atomic_file *f, const unsigned char *p, size_t n, int flush) {
  if (!f->gz) return write_all(f, p, n);
  f->zs.next_in = (unsigned char *)p;
  f->zs.avail_in = (uInt)n;
  int ret;
  do {
    f->zs.next_out = f->zbuf;
    f->zs.avail_out = (uInt)WRITE_BUF;
    ret = deflate(&f->zs, flush);
    if (ret == Z_STREAM_ERROR)
      return atomic_fail(f, FC_ERROR(FC_ERR_IO, "%s: zlib deflate failed", f->path));
    FC_CALL(write_all(f, f->zbuf, WRITE_BUF - f->zs.avail_out));
  } while (f->zs.avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
  return FC_OK;
}

fc_status fc_atomic_open(const char *path, fc_atomic_file **out) {
  *out = NULL;
  fc_atomic_file *f;
  FC_CALL(fci_calloc(1, sizeof *f, &f));
  f->fd = -1;
  fc_status st = FC_OK;
  size_t plen = strlen(path);
  FC_CALL_GOTO(st, fci_malloc(plen + 1, &f->path), fail);
  memcpy(f->path, path, plen + 1);
  FC_CALL_GOTO(st, fci_malloc(plen + sizeof ".tmp.XXXXXX", &f->tmp), fail);
  memcpy(f->tmp, path, plen);
  memcpy(f->tmp + plen, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
  FC_CALL_GOTO(st, fci_malloc(WRITE_BUF, &f->buf), fail);
  f->gz = plen >= 3 && strcmp(path + plen - 3, ".gz") == 0;
  if (f->gz) {
    FC_CALL_GOTO(st, fci_malloc(WRITE_BUF, &f->zbuf), fail);
    /* 15 + 16: gzip wrapper; level 6 is zlib's default trade-off. */
    if (deflateInit2(&f->zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      st = FC_ERROR(FC_ERR_NOMEM, "cannot start zlib deflate for %s", path);
      goto fail;
    }
    f->zs_init = true;
  }
  f->fd = mkstemp(f->tmp);
  if (f->fd < 0) {
    st = FC_ERROR(FC_ERR_IO, "cannot create a temporary file %s for %s: %s", f->tmp, path,
                  strerror(errno));
    goto fail;
  }
  f->tmp_exists = true;
  /* mkstemp makes 0600; give the output the mode a plain creat() would. Reading the umask means
   * setting it: the output is written outside threaded regions, so the brief change is safe. */
  mode_t mask = umask(022);
  umask(mask);
  if (fchmod(f->fd, 0666 & ~mask) != 0) {
    st = FC_ERROR(FC_ERR_IO, "cannot set the mode of %s: %s", f->tmp, strerror(errno));
    goto fail;
  }
  *out = f;
  return FC_OK;
fail:
  fc_atomic_abort(&f);
  return st;
}

fc_status fc_atomic_write(fc_atomic_file *f, const void *data, size_t n) {
  if (f->err != FC_OK) return f->err;
  if (f->len + n > WRITE_BUF) {
    FC_CALL(emit(f, f->buf, f->len, Z_NO_FLUSH));
    f->len = 0;
    if (n >= WRITE_BUF) return emit(f, data, n, Z_NO_FLUSH);
  }
  memcpy(f->buf + f->len, data, n);
  f->len += n;
  return FC_OK;
}

fc_status fc_atomic_puts(fc_atomic_file *f, const char *s) {
  return fc_atomic_write(f, s, strlen(s));
}

fc_status fc_atomic_printf(fc_atomic_file *f, const char *fmt, ...) {
  char small[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return atomic_fail(f, FC_ERROR(FC_ERR_ARG, "%s: bad format string", f->path));
  if ((size_t)n < sizeof small) return fc_atomic_write(f, small, (size_t)n);
  char *big;
  FC_CALL(fci_malloc((size_t)n + 1, &big));
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  fc_status st = fc_atomic_write(f, big, (size_t)n);
  free(big);
  return st;
}

/* Directory part of path, for the fsync that makes the rename durable. */
static void sync_parent_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char dir[4096];
  if (!slash) {
    dir[0] = '.';
    dir[1] = '\0';
  } else {
    size_t n = (size_t)(slash - path);
    if (n == 0) n = 1; /* "/file" */
    if (n >= sizeof dir) return;
    memcpy(dir, path, n);
    dir[n] = '\0';
  }
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  (void)fsync(dfd); /* best effort: the file itself is already complete and synced */
  close(dfd);
}

fc_status fc_atomic_commit(fc_atomic_file **fp) {
  fc_atomic_file *f = *fp;
  fc_status st = f->err;
  if (st != FC_OK) goto fail;
  FC_CALL_GOTO(st, emit(f, f->buf, f->len, f->gz ? Z_FINISH : Z_NO_FLUSH), fail);
  f->len = 0;
  if (fsync(f->fd) != 0 && errno != EINVAL) {
    st = FC_ERROR(FC_ERR_IO, "cannot sync %s (temporary file %s): %s", f->path, f->tmp,
                  strerror(errno));
    goto fail;
  }
  int fd = f->fd;
  f->fd = -1;
  if (close(fd) != 0) {
    st = FC_ERROR(FC_ERR_IO, "cannot close %s (temporary file %s): %s", f->path, f->tmp,
                  strerror(errno));
    goto fail;
  }
  if (rename(f->tmp, f->path) != 0) {
    st = FC_ERROR(FC_ERR_IO, "cannot rename %s to %s: %s", f->tmp, f->path, strerror(errno));
    goto fail;
  }
  f->tmp_exists = false;
  sync_parent_dir(f->path);
  fc_atomic_abort(fp);
  return FC_OK;
fail:
  fc_atomic_abort(fp);
  return st;
}

void fc_atomic_abort(fc_atomic_file **fp) {
  if (!fp || !*fp) return;
  fc_atomic_file *f = *fp;
  if (f->fd >= 0) close(f->fd);
  if (f->tmp_exists) unlink(f->tmp);
  if (f->zs_init) deflateEnd(&f->zs);
  free(f->zbuf);
  free(f->buf);
  free(f->tmp);
  free(f->path);
  free(f);
  *fp = NULL;
}

const char *fc_atomic_path(const fc_atomic_file *f) {
  return f->path;
}
