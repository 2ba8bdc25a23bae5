/* A small SVG writer for the charts of the eval report: a growing text buffer, XML escaping of
 * every string that comes from outside, number formatting for coordinates and tick labels, the
 * choice of axis ticks (linear 1-2-5 steps, steps from a list such as hours, decades on log
 * axes), and the parts of a chart: axes with ticks, grid and labels, polylines that break at
 * undefined points, bars, bands and legends.
 *
 * Appends do not return a status: a chart is hundreds of them. The buffer keeps the first
 * failure (allocation) and fc_strbuf_status reports it, as ferror does for a stdio stream;
 * after a failure further appends do nothing.
 *
 * Styling is by CSS class (the page that embeds the SVG defines them): the series classes are
 * "s0", "s1", ... and the elements carry "ln" (line), "bar", "band", "grid", "axis". */
#ifndef FLOWCHRONICLE_SVG_H
#define FLOWCHRONICLE_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "flowchronicle/error.h"

/* ---------------------------------------------------------------- text buffer */

typedef struct fc_strbuf {
  char *data; /* NUL-terminated, NULL until the first append */
  size_t len, cap;
  fc_status status; /* first failure, FC_OK while none */
} fc_strbuf;

void fc_strbuf_init(fc_strbuf *b);
void fc_strbuf_free(fc_strbuf *b);
fc_status fc_strbuf_status(const fc_strbuf *b);
void fc_strbuf_append(fc_strbuf *b, const char *s, size_t len);
void fc_strbuf_puts(fc_strbuf *b, const char *s);
void fc_strbuf_printf(fc_strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Appends s escaped for XML/HTML text and attribute values: & < > " ' as entities; control
 * characters that XML 1.0 forbids and bytes that are not valid UTF-8 become U+FFFD. NULL
 * appends nothing. */
void fc_strbuf_escape(fc_strbuf *b, const char *s);
/* Copies at most max_chars (>= 1) code points of s into out (cap bytes), the last one replaced by
 * U+2026 (an ellipsis) when s is longer; never cuts a UTF-8 sequence (nor the output buffer's
 * last one). Returns true when s was cut. Escape the result when writing it. */
bool fc_svg_truncate(const char *s, size_t max_chars, char *out, size_t cap);

/* ---------------------------------------------------------------- numbers */

/* A coordinate: at most two decimals, trailing zeros removed, never "-0", never an exponent;
 * a non-finite value gives "0" (callers skip undefined points before they get here). */
void fc_svg_fmt_coord(double v, char *buf, size_t cap);
/* A tick label on a linear axis with tick spacing step: as many decimals as the step needs
 * (0.05 -> 2), values of magnitude 10,000 and more with an SI suffix (12k, 1.5M, 2G). */
void fc_svg_fmt_tick(double v, double step, char *buf, size_t cap);
/* A value with an SI prefix and at most 3 significant digits: 1, 10, 1k, 2.5M, 100m, 1µ; for log
 * axis ticks and compact annotations. 0 gives "0". */
void fc_svg_fmt_si(double v, char *buf, size_t cap);

/* ---------------------------------------------------------------- ticks */

#define FC_SVG_MAX_TICKS 64

/* Ticks at multiples of a 1-2-5 step inside [lo, hi], at most max_ticks of them (>= 2) and as
 * many as possible under that; *step gets the spacing. Returns the count; lo == hi gives one
 * tick. */
int fc_svg_ticks_linear(double lo, double hi, int max_ticks, double *ticks, double *step);
/* The same with the spacing taken from steps[0..nsteps) (increasing): the smallest that gives at
 * most max_ticks ticks; beyond the list, multiples of the last step by 1-2-5 factors. */
int fc_svg_ticks_steps(double lo, double hi, int max_ticks, const double *steps, int nsteps,
                       double *ticks, double *step);
/* Ticks on a log axis (0 < lo < hi): the powers of ten inside [lo, hi], thinned to every 2nd,
 * 5th, 10th ... decade when there are more than max_ticks; when fewer than two powers of ten fall
 * inside, 2 and 5 times powers of ten are added. */
int fc_svg_ticks_log(double lo, double hi, int max_ticks, double *ticks);
/* Widens [*lo, *hi] to the enclosing multiples of the 1-2-5 step for max_ticks ticks, so the
 * axis starts and ends on a tick. */
void fc_svg_nice_range(double *lo, double *hi, int max_ticks);

/* ---------------------------------------------------------------- charts */

/* An axis: data range [lo, hi] (log: 0 < lo) drawn from pixel p0 to p1 (p1 < p0 for a y axis).
 * tick_steps: NULL for 1-2-5 ticks, or the allowed tick spacings of a linear axis (hours: 1, 2,
 * 3, 6, 12, 24, ...), n_tick_steps of them. */
typedef struct fc_svg_axis {
  double lo, hi;
  bool log;
  double p0, p1;
  const double *tick_steps;
  int n_tick_steps;
} fc_svg_axis;

/* Pixel position of v, clamped to the axis (a value below lo on a log axis, 0 included, maps to
 * p0). */
double fc_svg_map(const fc_svg_axis *a, double v);

/* <svg> with width, height and viewBox, role="img" and a <title> (escaped). */
void fc_svg_begin(fc_strbuf *b, double width, double height, const char *title);
void fc_svg_end(fc_strbuf *b);
/* Text at (x, y) with anchor "start", "middle" or "end"; cls may be NULL. */
void fc_svg_text(fc_strbuf *b, double x, double y, const char *anchor, const char *cls,
                 const char *text);
/* Text rotated by -90 degrees about (x, y): a y axis label. */
void fc_svg_text_vertical(fc_strbuf *b, double x, double y, const char *cls, const char *text);
void fc_svg_line(fc_strbuf *b, double x1, double y1, double x2, double y2, const char *cls);
/* A rectangle; tooltip (may be NULL) becomes its <title>. */
void fc_svg_rect(fc_strbuf *b, double x, double y, double w, double h, const char *cls,
                 const char *tooltip);
/* A line through (xs[i], ys[i]) in data units, as one <path> that is broken at points where x or
 * y is not finite (and at points that a log axis cannot show); class "ln <cls>". step: draw as a
 * step function (horizontal, then vertical). */
void fc_svg_series(fc_strbuf *b, const fc_svg_axis *x, const fc_svg_axis *y, const double *xs,
                   const double *ys, size_t n, bool step, const char *cls);
/* The area between ylo[i] and yhi[i] over xs[i] (finite points only), class "band <cls>". */
void fc_svg_band(fc_strbuf *b, const fc_svg_axis *x, const fc_svg_axis *y, const double *xs,
                 const double *ylo, const double *yhi, size_t n, const char *cls);
/* Frame, grid lines, ticks and tick labels of both axes (log axes get decade ticks labelled
 * with fc_svg_fmt_si), and the axis titles (NULL: none). max_xticks / max_yticks bound the tick
 * counts; 0 draws no ticks on that axis (a category axis the caller labels). */
void fc_svg_axes(fc_strbuf *b, const fc_svg_axis *x, const fc_svg_axis *y, const char *xlabel,
                 const char *ylabel, int max_xticks, int max_yticks);
/* A horizontal legend starting at (x, y): a swatch in class cls[i] and names[i] for each
 * series, spaced by the estimated text width. Returns the x where it ends. */
double fc_svg_legend(fc_strbuf *b, double x, double y, const char *const *names,
                     const char *const *cls, int n);
/* Estimated width in pixels of text at font size px (no font metrics: 0.6 em per code point, a
 * little more than DejaVu Sans and Arial need for digits and lower case). */
double fc_svg_text_width(const char *text, double px);

#endif
