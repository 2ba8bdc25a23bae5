/* The generator: decoding tables and cell programs built once from a model, then slices of
 * flows generated independently (any thread, any rank) from counter-based streams. A slice
 * draws its instance counts per series and hour piece, places each instance with the time
 * model, fills its cells (FIX codes, one joint BN draw, reused SET values), decodes codes to
 * values, repairs protocol inconsistencies, draws source ports, and sorts its records into the
 * output order (start, then line bytes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "flowchronicle/rng.h"
#include "generate_impl.h"

/* Stream purposes (the second word of the Philox key). */
enum { PURPOSE_COUNT = 0x636e74, PURPOSE_INSTANCE = 0x696e7374 }; /* "cnt", "inst" */

static const char *const format_names[FC_GEN_FORMATS] = {"csv", "cidds", "h5"};

bool fc_gen_format_parse(const char *name, fc_gen_format *out) {
  for (int f = 0; f < FC_GEN_FORMATS; f++)
    if (!strcmp(name, format_names[f])) {
      *out = (fc_gen_format)f;
      return true;
    }
  return false;
}

const char *fc_gen_format_name(fc_gen_format f) {
  return f >= 0 && f < FC_GEN_FORMATS ? format_names[f] : "?";
}

const char *fc_repair_name(fc_repair r) {
  switch (r) {
  case FC_REPAIR_FLAGS:
    return "TCP flags on non-TCP";
  case FC_REPAIR_ONEWAY:
    return "response to broadcast/multicast";
  case FC_REPAIR_PACKETS:
    return "packets";
  case FC_REPAIR_BYTES:
    return "too few bytes per packet";
  case FC_REPAIR_DURATION:
    return "one-packet duration";
  default:
    return "?";
  }
}

void fc_generate_options_default(fc_generate_options *o) {
  memset(o, 0, sizeof *o);
  o->slice_us = FC_US_PER_HOUR;
  o->scale = 1.0;
  o->seed = 1;
  o->format = FC_GEN_CSV;
  o->h5_deflate = 0;
}

void fc_generate_stats_add(fc_generate_stats *dst, const fc_generate_stats *src) {
  dst->instances += src->instances;
  dst->flows += src->flows;
  dst->records += src->records;
  dst->truncated += src->truncated;
  dst->repaired += src->repaired;
  for (int r = 0; r < FC_REPAIR_KINDS; r++)
    dst->repairs[r] += src->repairs[r];
}

/* ------------------------------------------------------------------ decoding tables */

static bool ip_oneway(const fc_ip *ip) {
  if (ip->family == 4) return (ip->addr[0] >= 224 && ip->addr[0] <= 239) || ip->addr[3] == 255;
  return ip->addr[0] == 0xff;
}

static fc_status build_ips(fc_generator *g, int which, const fc_column *col) {
  fci_gen_ip *t;
  FC_CALL(fci_calloc(col->domain ? col->domain : 1, sizeof *t, &t));
  g->ip[which] = t;
  for (uint32_t k = 0; k < col->domain; k++) {
    const char *v = col->values[k];
    if (!fc_ip_parse(v, strlen(v), &t[k].ip))
      return FC_ERROR(FC_ERR_FORMAT, "model: %s value '%s' is not an address", fc_col_name(col->id),
                      v);
    t[k].len = (uint8_t)fc_ip_format(&t[k].ip, t[k].text);
    t[k].windows = (uint8_t)((XXH3_64bits(t[k].ip.addr, 16) ^ t[k].ip.family) & 1);
    t[k].oneway = ip_oneway(&t[k].ip);
  }
  return FC_OK;
}

/* Integer bounds of each non-zero bin (unit 1 for counts, 1e6 for durations in seconds), moved
 * inward until both ends re-encode to the bin: codes are monotone in the value, so every integer
 * between them does too. */
static fc_status build_bins(fc_generator *g, const fc_column *col) {
  double unit = col->id == FC_COL_DURATION ? 1e6 : 1.0;
  fci_gen_bin *b;
  FC_CALL(fci_calloc(col->domain ? col->domain : 1, sizeof *b, &b));
  g->bins[col->id] = b;
  const double top = 4e18;
  for (uint32_t k = 1; k < col->domain; k++) {
    double lo_e = col->edges[k] * unit, hi_e = col->edges[k + 1] * unit;
    bool last = k + 1 == col->domain;
    double lo = ceil(lo_e < 1 ? 1 : lo_e);
    double hi = last ? floor(hi_e) : ceil(hi_e) - 1;
    if (lo > top) lo = top;
    if (hi > top) hi = top;
    for (int i = 0; i < 3 && lo <= hi && fc_numeric_code(col, lo / unit) != k; i++)
      lo++;
    for (int i = 0; i < 3 && lo <= hi && fc_numeric_code(col, hi / unit) != k; i++)
      hi--;
    if (lo <= hi && fc_numeric_code(col, lo / unit) == k && fc_numeric_code(col, hi / unit) == k) {
      b[k].lo = (int64_t)lo;
      b[k].n = (uint64_t)(hi - lo) + 1;
    } else {
      /* No integer of the bin encodes back to it: the nearest integer to its middle. */
      double mid = floor((lo_e + hi_e) / 2 + 0.5);
      b[k].lo = mid < 1 ? 1 : mid > top ? (int64_t)top : (int64_t)mid;
      b[k].n = 0;
    }
  }
  return FC_OK;
}

/* "class,attackType" of a label "class/attackType" (CIDDS). Commas would break the record; they
 * become semicolons. */
static fc_status cidds_label(const char *s, char **out, size_t *out_n) {
  size_t n = strlen(s);
  char *e;
  FC_CALL(fci_malloc(n + 8, &e));
  const char *slash = strchr(s, '/');
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (s + i == slash)
      c = ',';
    else if (c == ',' || c == '\n' || c == '\r')
      c = ';';
    e[k++] = c;
  }
  if (!slash) {
    memcpy(e + k, ",---", 4);
    k += 4;
  }
  e[k] = '\0';
  *out = e;
  *out_n = k;
  return FC_OK;
}

static fc_status build_labels(fc_generator *g, const fc_column *col) {
  size_t n = col->domain;
  g->n_labels = n;
  FC_CALL(fci_calloc(n ? n : 1, sizeof *g->label_csv, &g->label_csv));
  FC_CALL(fci_calloc(n ? n : 1, sizeof *g->label_csv_len, &g->label_csv_len));
  FC_CALL(fci_calloc(n ? n : 1, sizeof *g->label_cidds, &g->label_cidds));
  FC_CALL(fci_calloc(n ? n : 1, sizeof *g->label_cidds_len, &g->label_cidds_len));
  FC_CALL(fci_calloc(n ? n : 1, sizeof *g->label_texts, &g->label_texts));
  for (size_t k = 0; k < n; k++) {
    const char *v = col->values[k];
    g->label_texts[k] = v;
    FC_CALL(fci_csv_label(v, strlen(v), &g->label_csv[k], &g->label_csv_len[k]));
    FC_CALL(cidds_label(v, &g->label_cidds[k], &g->label_cidds_len[k]));
    if (g->label_csv_len[k] > g->label_max) g->label_max = g->label_csv_len[k];
    if (g->label_cidds_len[k] > g->label_max) g->label_max = g->label_cidds_len[k];
  }
  return FC_OK;
}

static fc_status build_tables(fc_generator *g) {
  const fc_encoded *e = &g->m->cols;
  for (int c = 0; c < g->n_cols; c++) {
    const fc_column *col = &e->cols[c];
    if (col->domain == 0)
      return FC_ERROR(FC_ERR_FORMAT, "model: column %s has an empty domain", fc_col_name(col->id));
    if (col->kind == FC_KIND_NUMERIC) {
      if (!col->edges || col->n_edges != col->domain + 1)
        return FC_ERROR(FC_ERR_FORMAT, "model: column %s has no bin edges", fc_col_name(col->id));
    } else if (!col->values) {
      return FC_ERROR(FC_ERR_FORMAT, "model: column %s has no dictionary", fc_col_name(col->id));
    }
    uint32_t d = col->domain;
    switch (col->id) {
    case FC_COL_PROTO:
      FC_CALL(fci_calloc(d, 1, &g->proto));
      for (uint32_t k = 0; k < d; k++)
        if (!fc_proto_parse(col->values[k], strlen(col->values[k]), &g->proto[k]))
          return FC_ERROR(FC_ERR_FORMAT, "model: proto value '%s' is not a protocol",
                          col->values[k]);
      break;
    case FC_COL_SRC_IP:
      FC_CALL(build_ips(g, 0, col));
      break;
    case FC_COL_DST_IP:
      FC_CALL(build_ips(g, 1, col));
      break;
    case FC_COL_DST_PORT:
      FC_CALL(fci_calloc(d, sizeof *g->port, &g->port));
      for (uint32_t k = 0; k < d; k++) {
        char *end;
        long v = strtol(col->values[k], &end, 10);
        if (*end || end == col->values[k] || v < 0 || v > 65535)
          return FC_ERROR(FC_ERR_FORMAT, "model: dst_port value '%s' is not a port",
                          col->values[k]);
        g->port[k] = (uint16_t)v;
      }
      break;
    case FC_COL_FLAGS:
      FC_CALL(fci_calloc(d, 1, &g->flags));
      for (uint32_t k = 0; k < d; k++)
        if (!fc_flags_parse(col->values[k], strlen(col->values[k]), &g->flags[k]))
          return FC_ERROR(FC_ERR_FORMAT, "model: flags value '%s' is not TCP flags",
                          col->values[k]);
      break;
    case FC_COL_LABEL:
      FC_CALL(build_labels(g, col));
      break;
    default:
      FC_CALL(build_bins(g, col));
      break;
    }
    g->out_cols[c] = *col;
    g->out_cols[c].codes = NULL;
    g->out_cols[c].counts = NULL;
  }
  /* The code of "no flags", added to the output dictionary when the model has none. */
  const fc_column *fl = &e->cols[FC_COL_FLAGS];
  g->flags_zero = UINT32_MAX;
  for (uint32_t k = 0; k < fl->domain && g->flags_zero == UINT32_MAX; k++)
    if (g->flags[k] == 0) g->flags_zero = k;
  if (g->flags_zero == UINT32_MAX) {
    FC_CALL(fci_calloc(fl->domain + 1, sizeof *g->flags_values, &g->flags_values));
    for (uint32_t k = 0; k < fl->domain; k++)
      g->flags_values[k] = fl->values[k];
    g->flags_values[fl->domain] = "......";
    g->flags_zero = fl->domain;
    g->out_cols[FC_COL_FLAGS].values = g->flags_values;
    g->out_cols[FC_COL_FLAGS].domain = fl->domain + 1;
  }
  return FC_OK;
}

/* ------------------------------------------------------------------ cell programs */

static fc_status build_prog(fc_generator *g, size_t k, fci_gen_prog *pr) {
  const fc_mined_pattern *mp = &g->m->patterns[k];
  const fc_pattern *p = &mp->p;
  const fc_encoded *e = &g->m->cols;
  pr->rows = p->n_rows;
  pr->n_vars = mp->n_vars;
  pr->bn = mp->bn;
  pr->alpha = mp->alpha;
  if (mp->usage == 0) {
    pr->rows = 0; /* never instantiated: its rate is 0 */
    return FC_OK;
  }
  if (p->n_rows < 1 || p->n_rows > FC_MAX_PROWS)
    return FC_ERROR(FC_ERR_FORMAT, "model: pattern %zu has %d rows", k + 1, p->n_rows);
  if (mp->n_vars > 0 && (!mp->bn || fc_bn_n_nodes(mp->bn) != mp->n_vars))
    return FC_ERROR(FC_ERR_FORMAT, "model: pattern %zu has %d variables but no matching BN", k + 1,
                    mp->n_vars);
  int var_of[FC_MAX_PROWS][FC_NCOLS];
  for (int r = 0; r < FC_MAX_PROWS; r++)
    for (int c = 0; c < FC_NCOLS; c++)
      var_of[r][c] = -1;
  for (int v = 0; v < mp->n_vars; v++) {
    int r = mp->var_row[v], c = mp->var_col[v];
    if (r >= p->n_rows || c >= g->n_cols)
      return FC_ERROR(FC_ERR_FORMAT, "model: pattern %zu variable %d is cell (%d, %d)", k + 1, v, r,
                      c);
    var_of[r][c] = v;
    for (uint32_t i = 0; i < mp->card[v]; i++)
      if (mp->alpha[v][i] >= e->cols[c].domain)
        return FC_ERROR(FC_ERR_FORMAT, "model: pattern %zu variable %d has code %u outside %s",
                        k + 1, v, mp->alpha[v][i], fc_col_name((fc_col_id)c));
  }
  for (int r = 0; r < p->n_rows; r++)
    for (int c = 0; c < g->n_cols; c++) {
      const fc_cell *cell = &p->cell[r][c];
      int v = -1;
      if (cell->kind == FC_CELL_FIX) {
        if (cell->arg >= e->cols[c].domain)
          return FC_ERROR(FC_ERR_FORMAT,
                          "model: pattern %zu fixes %s to code %u outside its domain", k + 1,
                          fc_col_name((fc_col_id)c), cell->arg);
        pr->fixed[r][c] = true;
        pr->arg[r][c] = cell->arg;
        continue;
      }
      if (cell->kind == FC_CELL_USE) {
        for (int r2 = 0; r2 < r && v < 0; r2++)
          for (int c2 = 0; c2 < g->n_cols && v < 0; c2++)
            if (p->cell[r2][c2].kind == FC_CELL_SET && p->cell[r2][c2].arg == cell->arg)
              v = var_of[r2][c2];
      } else {
        v = var_of[r][c];
      }
      if (v < 0)
        return FC_ERROR(FC_ERR_FORMAT,
                        "model: pattern %zu row %d column %s is neither fixed nor a BN variable",
                        k + 1, r + 1, fc_col_name((fc_col_id)c));
      pr->fixed[r][c] = false;
      pr->arg[r][c] = (uint32_t)v;
    }
  return FC_OK;
}

static fc_status build_progs(fc_generator *g) {
  const fc_model_file *m = g->m;
  g->n_series = m->n_patterns + 1;
  FC_CALL(fci_calloc(g->n_series, sizeof *g->prog, &g->prog));
  for (size_t k = 0; k < m->n_patterns; k++) {
    FC_CALL(build_prog(g, k, &g->prog[k]));
    if (g->prog[k].n_vars > g->max_vars) g->max_vars = g->prog[k].n_vars;
  }
  fci_gen_prog *b = &g->prog[m->n_patterns];
  b->rows = m->n_uncovered ? 1 : 0;
  b->bn = m->base_bn;
  b->n_vars = g->n_cols;
  b->alpha = NULL;
  if (!m->base_bn || fc_bn_n_nodes(m->base_bn) != g->n_cols)
    return FC_ERROR(FC_ERR_FORMAT, "model: the base BN does not have one node per column");
  for (int c = 0; c < g->n_cols; c++) {
    if (fc_bn_cardinality(m->base_bn, c) > m->cols.cols[c].domain)
      return FC_ERROR(FC_ERR_FORMAT, "model: base BN column %s exceeds its domain",
                      fc_col_name((fc_col_id)c));
    b->fixed[0][c] = false;
    b->arg[0][c] = (uint32_t)c;
  }
  if (g->n_cols > g->max_vars) g->max_vars = g->n_cols;
  for (size_t k = 0; k < g->n_series; k++)
    if (g->prog[k].rows > 0 && g->prog[k].bn)
      FC_CALL(fci_gen_bn_create(g->prog[k].bn, &g->prog[k].sampler));
  return FC_OK;
}

/* ------------------------------------------------------------------ generator */

void fc_generator_destroy(fc_generator **gp) {
  if (!gp || !*gp) return;
  fc_generator *g = *gp;
  fc_timeline_destroy(&g->tl);
  for (size_t k = 0; g->prog && k < g->n_series; k++)
    fci_gen_bn_destroy(&g->prog[k].sampler);
  free(g->prog);
  free(g->proto);
  free(g->ip[0]);
  free(g->ip[1]);
  free(g->port);
  free(g->flags);
  for (int c = 0; c < FC_NCOLS; c++)
    free(g->bins[c]);
  for (size_t k = 0; k < g->n_labels; k++) {
    if (g->label_csv) free(g->label_csv[k]);
    if (g->label_cidds) free(g->label_cidds[k]);
  }
  free(g->label_csv);
  free(g->label_csv_len);
  free(g->label_cidds);
  free(g->label_cidds_len);
  free(g->label_texts);
  free(g->flags_values);
  free(g);
  *gp = NULL;
}

static fc_status check_options(const fc_generate_options *o) {
  const int64_t t_min = fc_days_from_civil(1, 1, 1) * INT64_C(86400000000);
  const int64_t t_max = fc_days_from_civil(10000, 1, 1) * INT64_C(86400000000);
  if (o->start_us < t_min || o->end_us > t_max)
    return FC_ERROR(FC_ERR_ARG, "the period must lie within the years 0001-9999");
  if (o->end_us <= o->start_us)
    return FC_ERROR(FC_ERR_ARG, "the end of the period is not after its start");
  if (!(o->scale > 0) || o->scale > 1e6)
    return FC_ERROR(FC_ERR_ARG, "scale %g is outside (0, 1e6]", o->scale);
  if (o->slice_us < 1000) return FC_ERROR(FC_ERR_ARG, "slices must be at least 1 ms long");
  if ((uint64_t)(o->end_us - o->start_us) / (uint64_t)o->slice_us > (UINT64_C(1) << 40))
    return FC_ERROR(FC_ERR_ARG, "more than 2^40 slices: use longer slices");
  if (o->tz_offset_s < -14 * 3600 || o->tz_offset_s > 14 * 3600)
    return FC_ERROR(FC_ERR_ARG, "time zone offset outside -14:00..+14:00");
  if (o->format < 0 || o->format >= FC_GEN_FORMATS)
    return FC_ERROR(FC_ERR_ARG, "unknown output format %d", (int)o->format);
  if (o->h5_deflate < 0 || o->h5_deflate > 9)
    return FC_ERROR(FC_ERR_ARG, "deflate level %d is outside 0..9", o->h5_deflate);
  return FC_OK;
}

fc_status fc_generator_create(const fc_model_file *m, const fc_generate_options *o,
                              fc_generator **out) {
  FC_CALL(check_options(o));
  if (m->cols.n_cols < FC_NCOLS - 1 || m->cols.n_cols > FC_NCOLS || m->cols.tick_us <= 0)
    return FC_ERROR(FC_ERR_FORMAT, "model: %d columns, tick %lld us", m->cols.n_cols,
                    (long long)m->cols.tick_us);
  fc_generator *g = NULL;
  FC_CALL(fci_calloc(1, sizeof *g, &g));
  g->m = m;
  g->o = *o;
  g->n_cols = m->cols.n_cols;
  g->labelled = g->n_cols == FC_NCOLS;
  uint64_t span = (uint64_t)(o->end_us - o->start_us);
  g->n_slices = (span + (uint64_t)o->slice_us - 1) / (uint64_t)o->slice_us;
  fc_timeline_options to;
  fc_timeline_options_default(&to);
  to.tz_offset_s = o->tz_offset_s;
  fc_status st = FC_OK;
  FC_CALL_GOTO(st, fc_timeline_from_model(m, &to, &g->tl), fail);
  FC_CALL_GOTO(st, build_tables(g), fail);
  FC_CALL_GOTO(st, build_progs(g), fail);
  *out = g;
  return FC_OK;
fail:
  fc_generator_destroy(&g);
  return st;
}

const fc_timeline *fc_generator_timeline(const fc_generator *g) {
  return g->tl;
}
const fc_generate_options *fc_generator_options(const fc_generator *g) {
  return &g->o;
}
uint64_t fc_generator_n_slices(const fc_generator *g) {
  return g->n_slices;
}

/* floor(t K / n) for t <= n <= INT_MAX without a wider type: with K = q n + r it is
 * t q + floor(t r / n), where t q <= K and t r < n^2 < 2^62. */
static uint64_t shard_start(uint64_t k, uint64_t t, uint64_t n) {
  uint64_t q = k / n, r = k % n;
  return t * q + t * r / n;
}

fc_status fc_gen_shard_range(uint64_t n_slices, int shard, int n_shards, uint64_t *first,
                             uint64_t *end) {
  if (n_shards < 1) return FC_ERROR(FC_ERR_ARG, "%d shards: there must be at least one", n_shards);
  if (shard < 0 || shard >= n_shards)
    return FC_ERROR(FC_ERR_ARG, "shard %d of %d: shards are numbered 0 to %d", shard, n_shards,
                    n_shards - 1);
  *first = shard_start(n_slices, (uint64_t)shard, (uint64_t)n_shards);
  *end = shard_start(n_slices, (uint64_t)shard + 1, (uint64_t)n_shards);
  return FC_OK;
}

void fc_generator_slice_span(const fc_generator *g, uint64_t k, int64_t *a, int64_t *b) {
  *a = g->o.start_us + (int64_t)k * g->o.slice_us;
  *b = *a + g->o.slice_us;
  if (*b > g->o.end_us || *b < *a) *b = g->o.end_us;
}

double fc_generator_expected_flows(const fc_generator *g) {
  double sum = 0;
  const int64_t week = 7 * INT64_C(86400000000);
  int64_t a = g->o.start_us, b = g->o.end_us;
  double weeks = 0;
  if (b - a > week) {
    weeks = (double)((b - a) / week);
    a += (b - a) / week * week;
  }
  for (size_t s = 0; s < g->n_series; s++) {
    if (g->prog[s].rows == 0) continue;
    double per_week = 0, rest = 0;
    for (int bin = 0; bin < FC_TL_BINS; bin++)
      per_week += fc_timeline_rate(g->tl, s, bin);
    for (int64_t t = a; t < b;) {
      int64_t e = fc_timeline_hour_end(g->tl, t);
      if (e > b) e = b;
      rest += fc_timeline_rate(g->tl, s, fc_timeline_bin(g->tl, t)) * (double)(e - t) /
              (double)FC_US_PER_HOUR;
      t = e;
    }
    sum += (weeks * per_week + rest) * g->prog[s].rows;
  }
  return sum * g->o.scale;
}

/* ------------------------------------------------------------------ slices */

fc_status fci_gen_slice_new(uint64_t k, fc_gen_slice **out) {
  fc_gen_slice *s;
  FC_CALL(fci_calloc(1, sizeof *s, &s));
  s->k = k;
  *out = s;
  return FC_OK;
}

void fc_gen_slice_destroy(fc_gen_slice **sp) {
  if (!sp || !*sp) return;
  free((*sp)->flows);
  free((*sp)->items);
  free((*sp)->text);
  free(*sp);
  *sp = NULL;
}

size_t fc_gen_slice_flows(const fc_gen_slice *s) {
  return s->n_flows;
}
const fc_generate_stats *fc_gen_slice_stats(const fc_gen_slice *s) {
  return &s->stats;
}

static fc_status reserve(void *pp, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return FC_OK;
  size_t c = *cap ? *cap : 64;
  while (c < need)
    c *= 2;
  FC_CALL(fci_realloc(c * elem, pp));
  *cap = c;
  return FC_OK;
}

fc_status fci_gen_slice_copy_item(fc_gen_slice *dst, const fc_gen_slice *src, const fci_gitem *it) {
  FC_CALL(reserve(&dst->flows, &dst->cap_flows, dst->n_flows + 1, sizeof *dst->flows));
  FC_CALL(reserve(&dst->items, &dst->cap_items, dst->n_items + 1, sizeof *dst->items));
  dst->flows[dst->n_flows] = src->flows[it->flow];
  fci_gitem c = *it;
  c.flow = (uint32_t)dst->n_flows++;
  if (src->text && it->len) {
    FC_CALL(reserve(&dst->text, &dst->text_cap, dst->text_len + it->len, 1));
    memcpy(dst->text + dst->text_len, src->text + it->off, it->len);
    c.off = dst->text_len;
    dst->text_len += it->len;
  } else {
    c.len = 0;
    c.off = 0;
  }
  dst->items[dst->n_items++] = c;
  return FC_OK;
}

static uint64_t draw_value(const fci_gen_bin *b, fc_rng *r) {
  return b->n ? (uint64_t)b->lo + fc_rng_below(r, b->n) : (uint64_t)b->lo;
}

static bool symmetric_udp(uint16_t port) {
  switch (port) {
  case 123:  /* NTP */
  case 137:  /* NetBIOS name service */
  case 138:  /* NetBIOS datagrams */
  case 500:  /* IKE */
  case 520:  /* RIP */
  case 4500: /* IKE NAT traversal */
  case 5353: /* mDNS */
    return true;
  default:
    return false;
  }
}

static uint16_t source_port(const fc_generator *g, const fci_gflow *f, fc_rng *r) {
  if (f->proto != FC_PROTO_TCP && f->proto != FC_PROTO_UDP && f->proto != 132 /* SCTP */ &&
      f->proto != 33 /* DCCP */ && f->proto != 136 /* UDP-Lite */)
    return 0; /* ICMP and protocols without ports */
  if (f->proto == FC_PROTO_UDP && symmetric_udp(f->dport)) return f->dport;
  bool win = g->ip[0][f->src].windows;
  uint32_t lo = win ? 49152 : 32768, hi = win ? 65535 : 60999;
  /* Keep the orientation rule (the service is the lower port). */
  if (f->dport >= lo) {
    lo = (uint32_t)f->dport + 1;
    if (hi < lo) hi = 65535;
    if (lo > 65535) return f->dport;
  }
  return (uint16_t)(lo + fc_rng_below(r, hi - lo + 1));
}

/* The smallest average packet a flow direction may have: its headers (20 bytes of IPv4 or 40 of
 * IPv6, plus 20 for TCP, 8 for UDP and ICMP), and at least 42 bytes, the floor of the compliance
 * checks of docs/eval.md (rules 15-16). */
static uint64_t min_bytes_per_packet(const fc_generator *g, const fci_gflow *f) {
  uint64_t h = g->ip[0][f->src].ip.family == 6 ? 40 : 20;
  switch (f->proto) {
  case FC_PROTO_TCP: h += 20; break;
  case FC_PROTO_UDP:
  case FC_PROTO_ICMP:
  case FC_PROTO_ICMP6: h += 8; break;
  default: break;
  }
  return h > 42 ? h : 42;
}

/* The repairs of docs/generate.md, in a fixed order; returns the repair bits. pkt_code[d] is the
 * packet code drawn for direction d: a repair that can stay inside that bin does. */
static unsigned repair(const fc_generator *g, fci_gflow *f, const uint32_t pkt_code[2]) {
  unsigned rep = 0;
  if (f->proto != FC_PROTO_TCP && f->flags) {
    f->flags = 0;
    rep |= 1u << FC_REPAIR_FLAGS;
  }
  if (g->ip[1][f->dst].oneway && (f->bp || f->bb)) {
    f->bp = f->bb = 0;
    rep |= 1u << FC_REPAIR_ONEWAY;
  }
  const uint64_t max_pkt = 65535;
  uint64_t min_pkt = min_bytes_per_packet(g, f);
  uint64_t *pk[2] = {&f->fp, &f->bp}, *by[2] = {&f->fb, &f->bb};
  const fci_gen_bin *bins[2] = {g->bins[FC_COL_FWD_PKTS], g->bins[FC_COL_BWD_PKTS]};
  for (int d = 0; d < 2; d++) {
    uint64_t p = *pk[d], b = *by[d];
    /* Packets needed to carry the bytes (an IP packet holds at most 65535); the forward
     * direction has at least one, or there would be no flow. */
    uint64_t need = b / max_pkt + (b % max_pkt != 0);
    if (d == 0 && need < 1) need = 1;
    if (p < need) {
      p = need;
      rep |= 1u << FC_REPAIR_PACKETS;
    }
    /* Too few bytes for the packets: fewer packets when that stays inside the packet bin that was
     * drawn (both drawn bins kept: a [1,4) bin of one-packet answers decodes to 1..3 uniformly),
     * otherwise more bytes. */
    if (p > 0 && p <= UINT64_MAX / 64 && b < min_pkt * p) {
      uint64_t fewer = b / min_pkt;
      const fci_gen_bin *bin = pkt_code[d] ? &bins[d][pkt_code[d]] : NULL;
      if (fewer >= 1 && fewer >= need && bin && bin->n && fewer >= (uint64_t)bin->lo)
        p = fewer;
      else
        b = min_pkt * p;
      rep |= 1u << FC_REPAIR_BYTES;
    }
    *pk[d] = p;
    *by[d] = b;
  }
  if (f->fp + f->bp <= 1 && f->dur > 0) {
    f->dur = 0;
    rep |= 1u << FC_REPAIR_DURATION;
  }
  return rep;
}

static uint32_t num_code(const fc_generator *g, int c, uint64_t v) {
  double x = c == FC_COL_DURATION ? (double)v / 1e6 : (double)v;
  return fc_numeric_code(&g->m->cols.cols[c], x);
}

/* The final codes of a flow for HDF5 output: those drawn, unless a repair or an inexact bin
 * moved the value. */
static void final_codes(const fc_generator *g, fci_gflow *f, const uint32_t *codes, unsigned rep) {
  for (int c = 0; c < g->n_cols; c++)
    f->codes[c] = codes[c];
  if (rep & (1u << FC_REPAIR_FLAGS)) f->codes[FC_COL_FLAGS] = g->flags_zero;
  static const int numc[5] = {FC_COL_FWD_PKTS, FC_COL_BWD_PKTS, FC_COL_FWD_BYTES, FC_COL_BWD_BYTES,
                              FC_COL_DURATION};
  const uint64_t vals[5] = {f->fp, f->bp, f->fb, f->bb, (uint64_t)f->dur};
  for (int i = 0; i < 5; i++) {
    int c = numc[i];
    if (rep || (codes[c] && g->bins[c][codes[c]].n == 0)) f->codes[c] = num_code(g, c, vals[i]);
  }
}

typedef struct piece {
  int64_t a, b;
  int bin;
} piece;

/* Rows of one instance into the slice. */
static void gen_instance(const fc_generator *g, fc_gen_slice *sl, size_t s, uint64_t i,
                         const piece *pc, double *uni, uint32_t *vals) {
  const fci_gen_prog *pr = &g->prog[s];
  fc_rng r;
  fc_rng_init(&r, g->o.seed, PURPOSE_INSTANCE, sl->k, s, i);
  int64_t ts0 = pc->a + (int64_t)fc_rng_below(&r, (uint64_t)(pc->b - pc->a));
  int64_t off[FC_MAX_PROWS];
  fc_timeline_offsets(g->tl, s, &r, off);
  if (pr->sampler) {
    for (int v = 0; v < pr->n_vars; v++)
      uni[v] = fc_rng_uniform(&r);
    fci_gen_bn_sample(pr->sampler, uni, vals);
  }
  sl->stats.instances++;
  for (int row = 0; row < pr->rows; row++) {
    int64_t ts = ts0 + off[row];
    if (ts >= g->o.end_us) {
      sl->stats.truncated += (uint64_t)(pr->rows - row);
      break;
    }
    uint32_t codes[FC_NCOLS];
    for (int c = 0; c < g->n_cols; c++) {
      uint32_t a = pr->arg[row][c];
      codes[c] = pr->fixed[row][c] ? a : pr->alpha ? pr->alpha[a][vals[a]] : vals[a];
    }
    fci_gflow *f = &sl->flows[sl->n_flows++];
    f->ts = ts;
    f->proto = g->proto[codes[FC_COL_PROTO]];
    f->src = codes[FC_COL_SRC_IP];
    f->dst = codes[FC_COL_DST_IP];
    f->dport = g->port[codes[FC_COL_DST_PORT]];
    f->flags = g->flags[codes[FC_COL_FLAGS]];
    f->label = g->labelled ? codes[FC_COL_LABEL] : 0;
    f->fp = codes[FC_COL_FWD_PKTS]
                ? draw_value(&g->bins[FC_COL_FWD_PKTS][codes[FC_COL_FWD_PKTS]], &r)
                : 0;
    f->bp = codes[FC_COL_BWD_PKTS]
                ? draw_value(&g->bins[FC_COL_BWD_PKTS][codes[FC_COL_BWD_PKTS]], &r)
                : 0;
    f->fb = codes[FC_COL_FWD_BYTES]
                ? draw_value(&g->bins[FC_COL_FWD_BYTES][codes[FC_COL_FWD_BYTES]], &r)
                : 0;
    f->bb = codes[FC_COL_BWD_BYTES]
                ? draw_value(&g->bins[FC_COL_BWD_BYTES][codes[FC_COL_BWD_BYTES]], &r)
                : 0;
    f->dur = codes[FC_COL_DURATION]
                 ? (int64_t)draw_value(&g->bins[FC_COL_DURATION][codes[FC_COL_DURATION]], &r)
                 : 0;
    const uint32_t pkt_code[2] = {codes[FC_COL_FWD_PKTS], codes[FC_COL_BWD_PKTS]};
    unsigned rep = repair(g, f, pkt_code);
    if (rep) {
      sl->stats.repaired++;
      for (int k = 0; k < FC_REPAIR_KINDS; k++)
        if (rep & (1u << k)) sl->stats.repairs[k]++;
    }
    f->sport = source_port(g, f, &r);
    if (g->o.format == FC_GEN_H5) final_codes(g, f, codes, rep);
  }
}

/* ------------------------------------------------------------------ record text and order */

static char *put_str(char *b, const char *s, size_t n) {
  memcpy(b, s, n);
  return b + n;
}

static char *put_cidds_port(char *b, uint8_t proto, uint16_t port) {
  if (proto != FC_PROTO_ICMP && proto != FC_PROTO_ICMP6) return fci_put_u64(b, port);
  b = fci_put_u64(b, port >> 8);
  *b++ = '.';
  return fci_put_u64(b, port & 0xff);
}

/* ICMP type of the answer to a request type (echo, timestamp, information, address mask;
 * ICMPv6 echo); others are answered in kind. */
static uint16_t icmp_reply(uint8_t proto, uint16_t port) {
  unsigned type = port >> 8, code = port & 0xff;
  if (proto == FC_PROTO_ICMP) {
    switch (type) {
    case 8:
      type = 0;
      break;
    case 13:
      type = 14;
      break;
    case 15:
      type = 16;
      break;
    case 17:
      type = 18;
      break;
    default:
      break;
    }
  } else if (type == 128) {
    type = 129;
  }
  return (uint16_t)(type << 8 | code);
}

static size_t format_cidds(const fc_generator *g, const fci_gflow *f, int dir, char *b0,
                           fci_day_cache *dc) {
  char *b = b0, pb[8];
  const fci_gen_ip *s = &g->ip[0][f->src], *d = &g->ip[1][f->dst];
  bool icmp = f->proto == FC_PROTO_ICMP || f->proto == FC_PROTO_ICMP6;
  int64_t shift = dir && f->dur >= 1 ? 1 : 0; /* an answer cannot precede its request */
  b = fci_put_time(b, f->ts + shift, dc);
  *b++ = ',';
  b = fci_put_duration(b, f->dur - shift);
  *b++ = ',';
  const char *pn = fc_proto_name(f->proto, pb);
  b = put_str(b, pn, strlen(pn));
  *b++ = ',';
  if (!dir) {
    b = put_str(b, s->text, s->len);
    *b++ = ',';
    b = fci_put_u64(b, f->sport);
    *b++ = ',';
    b = put_str(b, d->text, d->len);
    *b++ = ',';
    b = put_cidds_port(b, f->proto, f->dport);
    *b++ = ',';
    b = fci_put_u64(b, f->fp);
    *b++ = ',';
    b = fci_put_u64(b, f->fb);
  } else {
    b = put_str(b, d->text, d->len);
    *b++ = ',';
    b = fci_put_u64(b, icmp ? 0 : f->dport);
    *b++ = ',';
    b = put_str(b, s->text, s->len);
    *b++ = ',';
    b = icmp ? put_cidds_port(b, f->proto, icmp_reply(f->proto, f->dport))
             : fci_put_u64(b, f->sport);
    *b++ = ',';
    b = fci_put_u64(b, f->bp);
    *b++ = ',';
    b = fci_put_u64(b, f->bb);
  }
  b = put_str(b, ",1,", 3);
  fc_flags_format(f->flags, b);
  b += 6;
  b = put_str(b, ",0,", 3);
  if (g->labelled)
    b = put_str(b, g->label_cidds[f->label], g->label_cidds_len[f->label]);
  else
    b = put_str(b, "unknown,---", 11);
  b = put_str(b, ",---,---", 8);
  return (size_t)(b - b0);
}

void fci_gen_to_flow(const fc_generator *g, const fci_gflow *gf, fc_flow *f) {
  memset(f, 0, sizeof *f);
  f->ts_us = gf->ts;
  f->duration_us = gf->dur;
  f->src_ip = g->ip[0][gf->src].ip;
  f->dst_ip = g->ip[1][gf->dst].ip;
  f->src_port = gf->sport;
  f->dst_port = gf->dport;
  f->proto = gf->proto;
  f->flags = gf->flags;
  f->fwd_pkts = gf->fp;
  f->bwd_pkts = gf->bp;
  f->fwd_bytes = gf->fb;
  f->bwd_bytes = gf->bb;
  f->label = gf->label;
}

size_t fci_gen_format(const fc_generator *g, const fci_gflow *gf, int dir, char *b,
                      fci_day_cache *dc) {
  if (g->o.format == FC_GEN_CIDDS) return format_cidds(g, gf, dir, b, dc);
  fc_flow f;
  f.ts_us = gf->ts;
  f.duration_us = gf->dur;
  f.proto = gf->proto;
  f.src_port = gf->sport;
  f.dst_port = gf->dport;
  f.fwd_pkts = gf->fp;
  f.bwd_pkts = gf->bp;
  f.fwd_bytes = gf->fb;
  f.bwd_bytes = gf->bb;
  f.flags = gf->flags;
  const fci_gen_ip *s = &g->ip[0][gf->src], *d = &g->ip[1][gf->dst];
  char *e = fci_flow_line(b, &f, s->text, s->len, d->text, d->len,
                          g->labelled ? g->label_csv[gf->label] : NULL,
                          g->labelled ? g->label_csv_len[gf->label] : 0, dc);
  return (size_t)(e - b);
}

int fci_gen_cmp(const fc_generator *g, const fc_gen_slice *sa, const fci_gitem *a,
                const fc_gen_slice *sb, const fci_gitem *b, char *scratch_a, char *scratch_b) {
  if (a->key != b->key) return a->key < b->key ? -1 : 1;
  const char *la, *lb;
  size_t na, nb;
  fci_day_cache dc = {0, false, {0}};
  if (sa->text && a->len) {
    la = sa->text + a->off;
    na = a->len - 1;
  } else {
    na = fci_gen_format(g, &sa->flows[a->flow], a->dir, scratch_a, &dc);
    la = scratch_a;
  }
  if (sb->text && b->len) {
    lb = sb->text + b->off;
    nb = b->len - 1;
  } else {
    nb = fci_gen_format(g, &sb->flows[b->flow], b->dir, scratch_b, &dc);
    lb = scratch_b;
  }
  int c = memcmp(la, lb, na < nb ? na : nb);
  if (c) return c < 0 ? -1 : 1;
  return na < nb ? -1 : na > nb;
}

/* LSD radix sorts on a 64-bit key relative to its minimum, 11 bits per pass and only as many
 * passes as the keys' span needs (a one-hour slice: 3). Stable. The flows themselves are moved,
 * so that writing them afterwards reads memory in order (an index sort left the writer with a
 * cache miss per flow). */
#define RADIX_BITS 11
#define RADIX_SORT(name, type, keyexpr)                                                            \
  static void name(type *a, type *tmp, size_t n) {                                                 \
    if (n < 2) return;                                                                             \
    int64_t lo = a[0].keyexpr, hi = lo;                                                            \
    for (size_t i = 1; i < n; i++) {                                                               \
      if (a[i].keyexpr < lo) lo = a[i].keyexpr;                                                    \
      if (a[i].keyexpr > hi) hi = a[i].keyexpr;                                                    \
    }                                                                                              \
    uint64_t span = (uint64_t)(hi - lo);                                                           \
    type *src = a, *dst = tmp;                                                                     \
    static const size_t nb = (size_t)1 << RADIX_BITS;                                              \
    size_t count[((size_t)1 << RADIX_BITS) + 1];                                                   \
    for (int shift = 0; shift < 64 && (span >> shift) != 0; shift += RADIX_BITS) {                 \
      memset(count, 0, sizeof count);                                                              \
      for (size_t i = 0; i < n; i++)                                                               \
        count[(((uint64_t)(src[i].keyexpr - lo)) >> shift & (nb - 1)) + 1]++;                      \
      for (size_t b = 0; b < nb; b++)                                                              \
        count[b + 1] += count[b];                                                                  \
      for (size_t i = 0; i < n; i++)                                                               \
        dst[count[((uint64_t)(src[i].keyexpr - lo)) >> shift & (nb - 1)]++] = src[i];              \
      type *t = src;                                                                               \
      src = dst;                                                                                   \
      dst = t;                                                                                     \
    }                                                                                              \
    if (src != a) memcpy(a, src, n * sizeof *a);                                                   \
  }

RADIX_SORT(sort_flows_by_start, fci_gflow, ts)
RADIX_SORT(sort_items_by_key, fci_gitem, key)

/* Runs of items with equal starts (rare and short) ordered by their lines. */
static fc_status order_ties(const fc_generator *g, fc_gen_slice *sl) {
  size_t n = sl->n_items;
  char *scratch = NULL;
  size_t line_cap = FCI_LINE_MAX + g->label_max + 8;
  fci_gitem *it = sl->items;
  for (size_t a = 0; a < n;) {
    size_t b = a + 1;
    while (b < n && it[b].key == it[a].key)
      b++;
    if (b - a > 1 && !scratch) FC_CALL(fci_malloc(2 * line_cap, &scratch));
    for (size_t i = a + 1; i < b; i++) {
      fci_gitem x = it[i];
      size_t j = i;
      while (j > a && fci_gen_cmp(g, sl, &x, sl, &it[j - 1], scratch, scratch + line_cap) < 0) {
        it[j] = it[j - 1];
        j--;
      }
      it[j] = x;
    }
    a = b;
  }
  free(scratch);
  return FC_OK;
}

/* Lines of the text formats, in item order. */
static fc_status format_lines(const fc_generator *g, fc_gen_slice *sl) {
  size_t line_cap = FCI_LINE_MAX + g->label_max + 8;
  fci_day_cache dc = {0, false, {0}};
  for (size_t i = 0; i < sl->n_items; i++) {
    FC_CALL(reserve(&sl->text, &sl->text_cap, sl->text_len + line_cap, 1));
    fci_gitem *it = &sl->items[i];
    size_t n = fci_gen_format(g, &sl->flows[it->flow], it->dir, sl->text + sl->text_len, &dc);
    sl->text[sl->text_len + n] = '\n';
    it->off = sl->text_len;
    it->len = (uint32_t)(n + 1);
    sl->text_len += n + 1;
  }
  return FC_OK;
}

fc_status fc_generate_slice(const fc_generator *g, uint64_t k, fc_gen_slice **out) {
  if (k >= g->n_slices)
    return FC_ERROR(FC_ERR_ARG, "slice %llu of %llu", (unsigned long long)k,
                    (unsigned long long)g->n_slices);
  int64_t a, b;
  fc_generator_slice_span(g, k, &a, &b);
  fc_status st = FC_OK;
  fc_gen_slice *sl = NULL;
  piece *pcs = NULL;
  uint64_t *counts = NULL;
  double *uni = NULL;
  uint32_t *vals = NULL;
  fci_gflow *tmp_flows = NULL;
  fci_gitem *tmp_items = NULL;
  FC_CALL(fci_gen_slice_new(k, &sl));
  /* Hour pieces of the slice: rates are constant inside a local hour. */
  size_t n_pcs = 0, cap_pcs = 0;
  for (int64_t t = a; t < b;) {
    int64_t e = fc_timeline_hour_end(g->tl, t);
    if (e > b) e = b;
    FC_CALL_GOTO(st, reserve(&pcs, &cap_pcs, n_pcs + 1, sizeof *pcs), out);
    pcs[n_pcs].a = t;
    pcs[n_pcs].b = e;
    pcs[n_pcs].bin = fc_timeline_bin(g->tl, t);
    n_pcs++;
    t = e;
  }
  FC_CALL_GOTO(st, fci_calloc(g->n_series * n_pcs, sizeof *counts, &counts), out);
  uint64_t n_rows = 0;
  for (size_t s = 0; s < g->n_series; s++) {
    if (g->prog[s].rows == 0) continue;
    for (size_t j = 0; j < n_pcs; j++) {
      double mean = fc_timeline_rate(g->tl, s, pcs[j].bin) * (double)(pcs[j].b - pcs[j].a) /
                    (double)FC_US_PER_HOUR * g->o.scale;
      fc_rng r;
      fc_rng_init(&r, g->o.seed, PURPOSE_COUNT, k, s, j);
      counts[s * n_pcs + j] = fc_rng_poisson(&r, mean);
      n_rows += counts[s * n_pcs + j] * (uint64_t)g->prog[s].rows;
    }
  }
  if (n_rows > UINT32_MAX / 2) {
    st = FC_ERROR(FC_ERR_LIMIT,
                  "slice %llu would hold %llu flows: use shorter slices (--slice) or a smaller "
                  "scale",
                  (unsigned long long)k, (unsigned long long)n_rows);
    goto out;
  }
  FC_CALL_GOTO(st, reserve(&sl->flows, &sl->cap_flows, n_rows ? n_rows : 1, sizeof *sl->flows),
               out);
  FC_CALL_GOTO(st, fci_malloc((size_t)(g->max_vars + 1) * sizeof *uni, &uni), out);
  FC_CALL_GOTO(st, fci_malloc((size_t)(g->max_vars + 1) * sizeof *vals, &vals), out);
  for (size_t s = 0; s < g->n_series; s++) {
    if (g->prog[s].rows == 0) continue;
    uint64_t i = 0;
    for (size_t j = 0; j < n_pcs; j++)
      for (uint64_t c = 0; c < counts[s * n_pcs + j]; c++)
        gen_instance(g, sl, s, i++, &pcs[j], uni, vals);
  }
  /* Flows in start order, then the records: one per flow, CIDDS adds the backward direction
   * of flows that have one (1 us later, so those records need sorting again). */
  FC_CALL_GOTO(st, fci_malloc((sl->n_flows ? sl->n_flows : 1) * sizeof *tmp_flows, &tmp_flows),
               out);
  sort_flows_by_start(sl->flows, tmp_flows, sl->n_flows);
  size_t n_items = sl->n_flows;
  if (g->o.format == FC_GEN_CIDDS)
    for (size_t i = 0; i < sl->n_flows; i++)
      n_items += sl->flows[i].bp > 0;
  FC_CALL_GOTO(st, reserve(&sl->items, &sl->cap_items, n_items ? n_items : 1, sizeof *sl->items),
               out);
  for (size_t i = 0; i < sl->n_flows; i++) {
    const fci_gflow *f = &sl->flows[i];
    fci_gitem it = {f->ts, (uint32_t)i, 0, 0, 0};
    sl->items[sl->n_items++] = it;
    if (g->o.format == FC_GEN_CIDDS && f->bp > 0) {
      it.dir = 1;
      it.key = f->ts + (f->dur >= 1 ? 1 : 0);
      sl->items[sl->n_items++] = it;
    }
  }
  if (g->o.format == FC_GEN_CIDDS) {
    FC_CALL_GOTO(st, fci_malloc(sl->n_items * sizeof *tmp_items, &tmp_items), out);
    sort_items_by_key(sl->items, tmp_items, sl->n_items);
  }
  sl->stats.flows = sl->n_flows;
  sl->stats.records = sl->n_items;
  FC_CALL_GOTO(st, order_ties(g, sl), out);
  if (g->o.format != FC_GEN_H5) FC_CALL_GOTO(st, format_lines(g, sl), out);
out:
  free(pcs);
  free(counts);
  free(uni);
  free(vals);
  free(tmp_flows);
  free(tmp_items);
  if (st != FC_OK) {
    fc_gen_slice_destroy(&sl);
    return st;
  }
  *out = sl;
  return FC_OK;
}

fc_status fc_gen_slice_to_table(const fc_generator *g, const fc_gen_slice *s, fc_flow_table *t) {
  for (size_t i = 0; i < s->n_items; i++) {
    const fci_gitem *it = &s->items[i];
    if (it->dir) continue;
    fc_flow f;
    fci_gen_to_flow(g, &s->flows[it->flow], &f);
    if (g->labelled) {
      const char *l = g->label_texts[f.label];
      FC_CALL(fc_table_intern_label(t, l, strlen(l), &f.label));
    }
    FC_CALL(fc_table_append(t, &f));
  }
  return FC_OK;
}
