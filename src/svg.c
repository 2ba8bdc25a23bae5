/* The SVG writer behind the eval report's charts: text buffer, escaping, number formats, tick
 * choice and chart parts (include/flowchronicle/svg.h). The SVG is meant to sit inline in an
 * HTML page, which puts <svg> in the SVG namespace by itself, so no xmlns attribute (and no URL
 * at all) is written. */
#include "flowchronicle/svg.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- text buffer */

void fc_strbuf_init(fc_strbuf *b) {
  memset(b, 0, sizeof *b);
}

void fc_strbuf_free(fc_strbuf *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

fc_status fc_strbuf_status(const fc_strbuf *b) {
  return b->status;
}

static bool reserve(fc_strbuf *b, size_t extra) {
  if (b->status != FC_OK) return false;
  if (extra > SIZE_MAX / 2 - b->len - 1) {
    b->status = FC_ERROR(FC_ERR_LIMIT, "text buffer: %zu + %zu bytes is too large", b->len, extra);
    return false;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < need)
    cap *= 2;
  fc_status st = fci_realloc(cap, &b->data);
  if (st != FC_OK) {
    b->status = st;
    return false;
  }
  b->cap = cap;
  return true;
}

void fc_strbuf_append(fc_strbuf *b, const char *s, size_t len) {
  if (!reserve(b, len)) return;
  memcpy(b->data + b->len, s, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void fc_strbuf_puts(fc_strbuf *b, const char *s) {
  fc_strbuf_append(b, s, strlen(s));
}

void fc_strbuf_printf(fc_strbuf *b, const char *fmt, ...) {
  if (b->status != FC_OK) return;
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->status = FC_ERROR(FC_ERR_STATE, "text buffer: bad format '%s'", fmt);
    return;
  }
  if ((size_t)n < sizeof small) {
    fc_strbuf_append(b, small, (size_t)n);
    return;
  }
  if (!reserve(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* The code point at s (*adv bytes), or -1 for a byte that does not start a valid UTF-8 sequence
 * (*adv = 1): overlong forms, surrogates and values above U+10FFFF are invalid. */
static int32_t next_cp(const unsigned char *s, size_t *adv) {
  unsigned c = s[0];
  *adv = 1;
  if (c < 0x80) return (int32_t)c;
  int n;
  uint32_t cp, min;
  if ((c & 0xe0) == 0xc0) {
    n = 1, cp = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 2, cp = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 3, cp = c & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  for (int i = 1; i <= n; i++) {
    if ((s[i] & 0xc0) != 0x80) return -1; /* also stops at the NUL */
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  *adv = (size_t)n + 1;
  return (int32_t)cp;
}

static const char REPLACEMENT[] = "\xef\xbf\xbd"; /* U+FFFD */

void fc_strbuf_escape(fc_strbuf *b, const char *s) {
  if (!s) return;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    size_t adv;
    int32_t cp = next_cp(p, &adv);
    switch (cp) {
    case '&':
      fc_strbuf_puts(b, "&amp;");
      break;
    case '<':
      fc_strbuf_puts(b, "&lt;");
      break;
    case '>':
      fc_strbuf_puts(b, "&gt;");
      break;
    case '"':
      fc_strbuf_puts(b, "&quot;");
      break;
    case '\'':
      fc_strbuf_puts(b, "&#39;");
      break;
    default:
      /* XML 1.0 Char: tab, newline, carriage return, U+0020 and up, less U+FFFE and U+FFFF. */
      if (cp < 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe ||
          cp == 0xffff)
        fc_strbuf_puts(b, REPLACEMENT);
      else
        fc_strbuf_append(b, (const char *)p, adv);
    }
    p += adv;
  }
}

static size_t count_cp(const char *s) {
  size_t n = 0, adv;
  for (const unsigned char *p = (const unsigned char *)s; *p; p += adv, n++)
    next_cp(p, &adv);
  return n;
}

/* Bytes of the first k code points of s. */
static size_t prefix_bytes(const char *s, size_t k) {
  size_t len = 0, adv;
  for (const unsigned char *p = (const unsigned char *)s; *p && k > 0; p += adv, k--) {
    next_cp(p, &adv);
    len += adv;
  }
  return len;
}

bool fc_svg_truncate(const char *s, size_t max_chars, char *out, size_t cap) {
  if (cap == 0) return s && *s;
  out[0] = '\0';
  if (!s) return false;
  if (max_chars == 0) max_chars = 1;
  size_t total = count_cp(s);
  size_t keep = total <= max_chars ? total : max_chars - 1; /* the ellipsis is one more */
  /* Fewer characters when the output buffer is short, still at character boundaries. */
  while (keep > 0 && prefix_bytes(s, keep) + (keep < total && cap >= 4 ? 3 : 0) + 1 > cap)
    keep--;
  size_t len = prefix_bytes(s, keep);
  memcpy(out, s, len);
  if (keep < total && len + 3 + 1 <= cap) {
    memcpy(out + len, "\xe2\x80\xa6", 3);
    len += 3;
  }
  out[len] = '\0';
  return keep < total;
}

double fc_svg_text_width(const char *text, double px) {
  return text ? (double)count_cp(text) * 0.62 * px : 0;
}

/* ---------------------------------------------------------------- numbers */

void fc_svg_fmt_coord(double v, char *buf, size_t cap) {
  if (!isfinite(v)) v = 0;
  if (v > 1e9) v = 1e9;
  if (v < -1e9) v = -1e9;
  snprintf(buf, cap, "%.2f", v);
  char *dot = strchr(buf, '.');
  if (dot) {
    char *end = buf + strlen(buf);
    while (end > dot + 1 && end[-1] == '0')
      *--end = '\0';
    if (end == dot + 1) *dot = '\0';
  }
  if (!strcmp(buf, "-0")) snprintf(buf, cap, "0");
}

/* Decimals that show multiples of step exactly (0.05 -> 2, 0.25 -> 2, 5 -> 0), at most 9. */
static int step_decimals(double step) {
  step = fabs(step);
  if (!(step > 0) || !isfinite(step)) return 0;
  for (int d = 0; d < 9; d++) {
    double x = step * pow(10, d);
    if (fabs(x - nearbyint(x)) < 1e-6 * x) return d;
  }
  return 9;
}

/* "-0.00" and the like become "0.00": a rounded zero carries no sign. */
static void drop_negative_zero(char *buf) {
  if (buf[0] != '-') return;
  for (const char *p = buf + 1; *p; p++)
    if (*p != '0' && *p != '.') return;
  memmove(buf, buf + 1, strlen(buf));
}

static const char *const si_big[] = {"", "k", "M", "G", "T", "P"};
static const char *const si_small[] = {"", "m", "\xc2\xb5", "n"};

void fc_svg_fmt_tick(double v, double step, char *buf, size_t cap) {
  if (!isfinite(v)) {
    snprintf(buf, cap, "?");
    return;
  }
  step = fabs(step);
  if (step > 0 && fabs(v) < step * 1e-9) v = 0;
  double mag = fabs(v) > step ? fabs(v) : step;
  if (mag >= 1e4 && v != 0) {
    int p = 1;
    while (p < 5 && fabs(v) >= pow(1000, p + 1))
      p++;
    double unit = pow(1000, p);
    snprintf(buf, cap, "%.*f%s", step_decimals(step / unit), v / unit, si_big[p]);
  } else {
    snprintf(buf, cap, "%.*f", step_decimals(step), v);
  }
  drop_negative_zero(buf);
}

void fc_svg_fmt_si(double v, char *buf, size_t cap) {
  if (!isfinite(v)) {
    snprintf(buf, cap, "?");
    return;
  }
  if (v == 0) {
    snprintf(buf, cap, "0");
    return;
  }
  double a = fabs(v);
  int p = (int)floor(log10(a) / 3 + 1e-12); /* power of 1000 */
  if (p > 5 || p < -3) {
    snprintf(buf, cap, "%.3g", v);
    return;
  }
  double scaled = v / pow(1000, p);
  char tmp[32];
  snprintf(tmp, sizeof tmp, "%.3g", scaled);
  if (fabs(strtod(tmp, NULL)) >= 1000 && p < 5) { /* 999.7 rounds to 1e+03: next prefix */
    p++;
    scaled = v / pow(1000, p);
    snprintf(tmp, sizeof tmp, "%.3g", scaled);
  }
  snprintf(buf, cap, "%s%s", tmp, p >= 0 ? si_big[p] : si_small[-p]);
}

/* ---------------------------------------------------------------- ticks */

static int clamp_max(int max_ticks) {
  if (max_ticks < 2) return 2;
  return max_ticks > FC_SVG_MAX_TICKS ? FC_SVG_MAX_TICKS : max_ticks;
}

/* Multiples of m * 10^e inside [lo, hi]: the index range. Computed with m * 10^e formed as a
 * ratio for negative e, so that 0.1 * 3 prints as 0.3. */
static double step_value(int m, int e) {
  return e >= 0 ? m * pow(10, e) : m / pow(10, -e);
}

static int tick_count(double lo, double hi, double step, long long *i0) {
  if (!(step > 0)) return INT32_MAX;
  double a = ceil(lo / step - 1e-9), z = floor(hi / step + 1e-9);
  if (!(z - a <= 1e6)) return INT32_MAX;
  *i0 = (long long)a;
  return (int)(z - a) + 1;
}

static int fill_ticks(long long i0, int n, double step, int m, int e, double *ticks) {
  for (int k = 0; k < n; k++) {
    double i = (double)(i0 + k);
    double t = m ? (e >= 0 ? i * m * pow(10, e) : i * m / pow(10, -e)) : i * step;
    ticks[k] = t == 0 ? 0 : t; /* no -0 */
  }
  return n;
}

int fc_svg_ticks_linear(double lo, double hi, int max_ticks, double *ticks, double *step) {
  max_ticks = clamp_max(max_ticks);
  if (hi < lo) {
    double t = lo;
    lo = hi;
    hi = t;
  }
  if (!(hi > lo) || !isfinite(hi - lo)) {
    ticks[0] = isfinite(lo) ? lo : 0;
    *step = 0;
    return 1;
  }
  static const int mult[3] = {1, 2, 5};
  int e = (int)floor(log10((hi - lo) / max_ticks)) - 1;
  for (;; e++)
    for (int j = 0; j < 3; j++) {
      double s = step_value(mult[j], e);
      long long i0;
      int n = tick_count(lo, hi, s, &i0);
      if (n <= max_ticks) {
        *step = s;
        return fill_ticks(i0, n, s, mult[j], e, ticks);
      }
    }
}

int fc_svg_ticks_steps(double lo, double hi, int max_ticks, const double *steps, int nsteps,
                       double *ticks, double *step) {
  max_ticks = clamp_max(max_ticks);
  if (hi < lo) {
    double t = lo;
    lo = hi;
    hi = t;
  }
  if (!(hi > lo) || !isfinite(hi - lo) || nsteps < 1)
    return fc_svg_ticks_linear(lo, hi, max_ticks, ticks, step);
  static const int mult[3] = {1, 2, 5};
  for (int k = 0;; k++) {
    double s;
    if (k < nsteps)
      s = steps[k];
    else /* last * 2, 5, 10, 20, 50, ... */
      s = steps[nsteps - 1] * step_value(mult[(k - nsteps + 1) % 3], (k - nsteps + 1) / 3);
    long long i0;
    int n = tick_count(lo, hi, s, &i0);
    if (n <= max_ticks) {
      *step = s;
      return fill_ticks(i0, n, s, 0, 0, ticks);
    }
  }
}

int fc_svg_ticks_log(double lo, double hi, int max_ticks, double *ticks) {
  max_ticks = clamp_max(max_ticks);
  if (!(lo > 0) || !(hi > lo) || !isfinite(hi)) {
    ticks[0] = lo > 0 && isfinite(lo) ? lo : 1;
    return 1;
  }
  int e0 = (int)ceil(log10(lo) - 1e-9), e1 = (int)floor(log10(hi) + 1e-9);
  int decades = e1 - e0 + 1;
  int n = 0;
  if (decades >= 2) {
    static const int stride[] = {1, 2, 5, 10, 20, 50, 100};
    int s = 100;
    for (size_t k = 0; k < sizeof stride / sizeof stride[0]; k++) {
      int cnt = 0;
      for (int e = e0; e <= e1; e++)
        cnt += ((e % stride[k]) + stride[k]) % stride[k] == 0;
      if (cnt <= max_ticks && cnt >= 1) {
        s = stride[k];
        break;
      }
    }
    for (int e = e0; e <= e1 && n < max_ticks; e++)
      if (((e % s) + s) % s == 0) ticks[n++] = step_value(1, e);
    return n;
  }
  /* Less than two decades: 1, 2 and 5 times powers of ten. */
  static const int mult[3] = {1, 2, 5};
  for (int e = (int)floor(log10(lo)) - 1; e <= (int)ceil(log10(hi)) && n < max_ticks; e++)
    for (int j = 0; j < 3 && n < max_ticks; j++) {
      double t = step_value(mult[j], e);
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks[n++] = t;
    }
  if (n >= 2) return n;
  double step;
  return fc_svg_ticks_linear(lo, hi, max_ticks, ticks, &step);
}

void fc_svg_nice_range(double *lo, double *hi, int max_ticks) {
  if (!isfinite(*lo) || !isfinite(*hi)) {
    *lo = 0;
    *hi = 1;
    return;
  }
  if (*hi < *lo) {
    double t = *lo;
    *lo = *hi;
    *hi = t;
  }
  if (*hi == *lo) {
    double d = *lo == 0 ? 1 : fabs(*lo) * 0.5;
    *lo -= *lo == 0 ? 0 : d;
    *hi += d;
  }
  double ticks[FC_SVG_MAX_TICKS], step;
  /* Widening can change the step; a few rounds settle it. */
  for (int round = 0; round < 4; round++) {
    fc_svg_ticks_linear(*lo, *hi, max_ticks, ticks, &step);
    if (!(step > 0)) return;
    double a = floor(*lo / step + 1e-9) * step, z = ceil(*hi / step - 1e-9) * step;
    if (a == *lo && z == *hi) return;
    *lo = a == 0 ? 0 : a;
    *hi = z == 0 ? 0 : z;
  }
}

/* ---------------------------------------------------------------- charts */

double fc_svg_map(const fc_svg_axis *a, double v) {
  double t;
  if (a->log) {
    if (!(v > 0) || !(a->lo > 0) || !(a->hi > a->lo)) return a->p0;
    t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
  } else {
    if (!(a->hi > a->lo) || isnan(v)) return a->p0;
    t = (v - a->lo) / (a->hi - a->lo);
  }
  if (!(t > 0)) t = 0;
  if (t > 1) t = 1;
  return a->p0 + t * (a->p1 - a->p0);
}

/* Appends " name=\"coord\"". */
static void attr_num(fc_strbuf *b, const char *name, double v) {
  char num[40];
  fc_svg_fmt_coord(v, num, sizeof num);
  fc_strbuf_printf(b, " %s=\"%s\"", name, num);
}

static void attr_class(fc_strbuf *b, const char *cls) {
  if (!cls) return;
  fc_strbuf_puts(b, " class=\"");
  fc_strbuf_escape(b, cls);
  fc_strbuf_puts(b, "\"");
}

void fc_svg_begin(fc_strbuf *b, double width, double height, const char *title) {
  char w[40], h[40];
  fc_svg_fmt_coord(width, w, sizeof w);
  fc_svg_fmt_coord(height, h, sizeof h);
  fc_strbuf_printf(b, "<svg width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\"", w, h, w,
                   h);
  fc_strbuf_puts(b, " aria-label=\"");
  fc_strbuf_escape(b, title);
  fc_strbuf_puts(b, "\"><title>");
  fc_strbuf_escape(b, title);
  fc_strbuf_puts(b, "</title>\n");
}

void fc_svg_end(fc_strbuf *b) {
  fc_strbuf_puts(b, "</svg>\n");
}

void fc_svg_text(fc_strbuf *b, double x, double y, const char *anchor, const char *cls,
                 const char *text) {
  fc_strbuf_puts(b, "<text");
  attr_num(b, "x", x);
  attr_num(b, "y", y);
  if (anchor && strcmp(anchor, "start")) fc_strbuf_printf(b, " text-anchor=\"%s\"", anchor);
  attr_class(b, cls);
  fc_strbuf_puts(b, ">");
  fc_strbuf_escape(b, text);
  fc_strbuf_puts(b, "</text>\n");
}

void fc_svg_text_vertical(fc_strbuf *b, double x, double y, const char *cls, const char *text) {
  char xs[40], ys[40];
  fc_svg_fmt_coord(x, xs, sizeof xs);
  fc_svg_fmt_coord(y, ys, sizeof ys);
  fc_strbuf_printf(b, "<text transform=\"translate(%s,%s) rotate(-90)\" text-anchor=\"middle\"", xs,
                   ys);
  attr_class(b, cls);
  fc_strbuf_puts(b, ">");
  fc_strbuf_escape(b, text);
  fc_strbuf_puts(b, "</text>\n");
}

void fc_svg_line(fc_strbuf *b, double x1, double y1, double x2, double y2, const char *cls) {
  fc_strbuf_puts(b, "<line");
  attr_num(b, "x1", x1);
  attr_num(b, "y1", y1);
  attr_num(b, "x2", x2);
  attr_num(b, "y2", y2);
  attr_class(b, cls);
  fc_strbuf_puts(b, "/>\n");
}

void fc_svg_rect(fc_strbuf *b, double x, double y, double w, double h, const char *cls,
                 const char *tooltip) {
  if (w < 0) x += w, w = -w;
  if (h < 0) y += h, h = -h;
  fc_strbuf_puts(b, "<rect");
  attr_num(b, "x", x);
  attr_num(b, "y", y);
  attr_num(b, "width", w);
  attr_num(b, "height", h);
  attr_class(b, cls);
  if (tooltip) {
    fc_strbuf_puts(b, "><title>");
    fc_strbuf_escape(b, tooltip);
    fc_strbuf_puts(b, "</title></rect>\n");
  } else {
    fc_strbuf_puts(b, "/>\n");
  }
}

static bool drawable(const fc_svg_axis *a, double v) {
  return isfinite(v) && (!a->log || v > 0);
}

void fc_svg_series(fc_strbuf *b, const fc_svg_axis *x, const fc_svg_axis *y, const double *xs,
                   const double *ys, size_t n, bool step, const char *cls) {
  bool open = false, pen = false;
  char px[40], py[40];
  for (size_t i = 0; i < n; i++) {
    if (!drawable(x, xs[i]) || !drawable(y, ys[i])) {
      pen = false;
      continue;
    }
    if (!open) {
      fc_strbuf_puts(b, "<path class=\"ln");
      if (cls) {
        fc_strbuf_puts(b, " ");
        fc_strbuf_escape(b, cls);
      }
      fc_strbuf_puts(b, "\" d=\"");
      open = true;
    }
    fc_svg_fmt_coord(fc_svg_map(x, xs[i]), px, sizeof px);
    fc_svg_fmt_coord(fc_svg_map(y, ys[i]), py, sizeof py);
    if (!pen)
      fc_strbuf_printf(b, "M%s %s", px, py);
    else if (step)
      fc_strbuf_printf(b, "H%sV%s", px, py);
    else
      fc_strbuf_printf(b, "L%s %s", px, py);
    pen = true;
  }
  if (open) fc_strbuf_puts(b, "\"/>\n");
}

void fc_svg_band(fc_strbuf *b, const fc_svg_axis *x, const fc_svg_axis *y, const double *xs,
                 const double *ylo, const double *yhi, size_t n, const char *cls) {
  size_t first = n;
  char px[40], py[40];
  for (size_t i = 0; i < n; i++) {
    if (!drawable(x, xs[i]) || !drawable(y, ylo[i]) || !drawable(y, yhi[i])) continue;
    if (first == n) {
      first = i;
      fc_strbuf_puts(b, "<path class=\"band");
      if (cls) {
        fc_strbuf_puts(b, " ");
        fc_strbuf_escape(b, cls);
      }
      fc_strbuf_puts(b, "\" d=\"M");
    } else {
      fc_strbuf_puts(b, "L");
    }
    fc_svg_fmt_coord(fc_svg_map(x, xs[i]), px, sizeof px);
    fc_svg_fmt_coord(fc_svg_map(y, yhi[i]), py, sizeof py);
    fc_strbuf_printf(b, "%s %s", px, py);
  }
  if (first == n) return;
  for (size_t i = n; i-- > first;) {
    if (!drawable(x, xs[i]) || !drawable(y, ylo[i]) || !drawable(y, yhi[i])) continue;
    fc_svg_fmt_coord(fc_svg_map(x, xs[i]), px, sizeof px);
    fc_svg_fmt_coord(fc_svg_map(y, ylo[i]), py, sizeof py);
    fc_strbuf_printf(b, "L%s %s", px, py);
  }
  fc_strbuf_puts(b, "Z\"/>\n");
}

static int axis_ticks(const fc_svg_axis *a, int max_ticks, double *ticks, double *step) {
  *step = 0;
  if (a->log) return fc_svg_ticks_log(a->lo, a->hi, max_ticks, ticks);
  if (a->tick_steps && a->n_tick_steps > 0)
    return fc_svg_ticks_steps(a->lo, a->hi, max_ticks, a->tick_steps, a->n_tick_steps, ticks, step);
  return fc_svg_ticks_linear(a->lo, a->hi, max_ticks, ticks, step);
}

static void tick_label(const fc_svg_axis *a, double v, double step, char *buf, size_t cap) {
  if (a->log)
    fc_svg_fmt_si(v, buf, cap);
  else
    fc_svg_fmt_tick(v, step, buf, cap);
}

void fc_svg_axes(fc_strbuf *b, const fc_svg_axis *x, const fc_svg_axis *y, const char *xlabel,
                 const char *ylabel, int max_xticks, int max_yticks) {
  double left = fmin(x->p0, x->p1), right = fmax(x->p0, x->p1);
  double top = fmin(y->p0, y->p1), bottom = fmax(y->p0, y->p1);
  double t[FC_SVG_MAX_TICKS], step;
  char lab[48];
  fc_strbuf_puts(b, "<g class=\"axes\">\n");
  int n = max_xticks > 0 ? axis_ticks(x, max_xticks, t, &step) : 0;
  for (int i = 0; i < n; i++) {
    double px = fc_svg_map(x, t[i]);
    fc_svg_line(b, px, top, px, bottom, "grid");
    fc_svg_line(b, px, bottom, px, bottom + 4, "axis");
    tick_label(x, t[i], step, lab, sizeof lab);
    fc_svg_text(b, px, bottom + 15, "middle", "tick", lab);
  }
  n = max_yticks > 0 ? axis_ticks(y, max_yticks, t, &step) : 0;
  double widest = 0;
  for (int i = 0; i < n; i++) {
    double py = fc_svg_map(y, t[i]);
    fc_svg_line(b, left, py, right, py, "grid");
    fc_svg_line(b, left - 4, py, left, py, "axis");
    tick_label(y, t[i], step, lab, sizeof lab);
    widest = fmax(widest, fc_svg_text_width(lab, 10));
    fc_svg_text(b, left - 6, py + 3.5, "end", "tick", lab);
  }
  fc_svg_line(b, left, bottom, right, bottom, "axis");
  fc_svg_line(b, left, top, left, bottom, "axis");
  if (xlabel) fc_svg_text(b, (left + right) / 2, bottom + 31, "middle", "label", xlabel);
  if (ylabel) fc_svg_text_vertical(b, left - widest - 14, (top + bottom) / 2, "label", ylabel);
  fc_strbuf_puts(b, "</g>\n");
}

double fc_svg_legend(fc_strbuf *b, double x, double y, const char *const *names,
                     const char *const *cls, int n) {
  for (int i = 0; i < n; i++) {
    fc_svg_rect(b, x, y - 9, 10, 10, cls[i], NULL);
    fc_svg_text(b, x + 14, y, "start", "legend", names[i]);
    x += 14 + fc_svg_text_width(names[i], 11) + 16;
  }
  return x;
}
