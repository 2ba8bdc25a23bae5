/* Column encoding for mining: dictionaries for categorical and IP columns (ordered by count,
 * then text, so the codes depend only on the data's multiset of values) and equal-frequency
 * bins for numeric columns. */
#include "flowchronicle/encode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  fc_col_kind kind;
} col_info[FC_NCOLS] = {
    [FC_COL_PROTO] = {"proto", FC_KIND_CATEGORICAL},
    [FC_COL_SRC_IP] = {"src_ip", FC_KIND_IP},
    [FC_COL_DST_IP] = {"dst_ip", FC_KIND_IP},
    [FC_COL_DST_PORT] = {"dst_port", FC_KIND_CATEGORICAL},
    [FC_COL_FLAGS] = {"flags", FC_KIND_CATEGORICAL},
    [FC_COL_FWD_PKTS] = {"fwd_pkts", FC_KIND_NUMERIC},
    [FC_COL_BWD_PKTS] = {"bwd_pkts", FC_KIND_NUMERIC},
    [FC_COL_FWD_BYTES] = {"fwd_bytes", FC_KIND_NUMERIC},
    [FC_COL_BWD_BYTES] = {"bwd_bytes", FC_KIND_NUMERIC},
    [FC_COL_DURATION] = {"duration", FC_KIND_NUMERIC},
    [FC_COL_LABEL] = {"label", FC_KIND_CATEGORICAL},
};

const char *fc_col_name(fc_col_id id) {
  return (unsigned)id < FC_NCOLS ? col_info[id].name : "?";
}

fc_col_kind fc_col_kind_of(fc_col_id id) { return col_info[id].kind; }

int fc_col_lookup(const char *name) {
  for (int i = 0; i < FC_NCOLS; i++)
    if (!strcmp(name, col_info[i].name)) return i;
  return -1;
}

void fc_encoding_options_default(fc_encoding_options *o) {
  o->bins = 40;
  o->tick_us = 10000;
}

double fc_numeric_value(const fc_flow_table *t, fc_col_id id, size_t row) {
  switch (id) {
  case FC_COL_FWD_PKTS: return (double)t->fwd_pkts[row];
  case FC_COL_BWD_PKTS: return (double)t->bwd_pkts[row];
  case FC_COL_FWD_BYTES: return (double)t->fwd_bytes[row];
  case FC_COL_BWD_BYTES: return (double)t->bwd_bytes[row];
  case FC_COL_DURATION: return (double)t->duration_us[row] / 1e6;
  default: return 0.0;
  }
}

/* ---------------------------------------------------------------- categorical */

/* The raw bytes of a categorical/IP value of one row: the dictionary is built over these (no
 * text per row), and only the distinct values are formatted. Returns the length. */
static size_t cat_key(const fc_flow_table *t, fc_col_id id, size_t row, uint8_t *key) {
  switch (id) {
  case FC_COL_PROTO: key[0] = t->proto[row]; return 1;
  case FC_COL_SRC_IP: key[0] = t->src_ip[row].family; memcpy(key + 1, t->src_ip[row].addr, 16); return 17;
  case FC_COL_DST_IP: key[0] = t->dst_ip[row].family; memcpy(key + 1, t->dst_ip[row].addr, 16); return 17;
  case FC_COL_DST_PORT: memcpy(key, &t->dst_port[row], 2); return 2;
  case FC_COL_FLAGS: key[0] = t->flags[row]; return 1;
  case FC_COL_LABEL: memcpy(key, &t->label[row], 4); return 4;
  default: return 0;
  }
}

/* Text of a value given its key bytes (the forms of the canonical flow CSV). */
static void key_text(const fc_flow_table *t, fc_col_id id, const uint8_t *key, char *buf,
                     size_t cap) {
  char pb[8];
  switch (id) {
  case FC_COL_PROTO: snprintf(buf, cap, "%s", fc_proto_name(key[0], pb)); return;
  case FC_COL_SRC_IP:
  case FC_COL_DST_IP: {
    fc_ip ip;
    ip.family = key[0];
    memcpy(ip.addr, key + 1, 16);
    fc_ip_format(&ip, buf);
    return;
  }
  case FC_COL_DST_PORT: {
    uint16_t p;
    memcpy(&p, key, 2);
    snprintf(buf, cap, "%u", p);
    return;
  }
  case FC_COL_FLAGS: fc_flags_format(key[0], buf); return;
  case FC_COL_LABEL: {
    uint32_t l;
    memcpy(&l, key, 4);
    snprintf(buf, cap, "%s", fc_strdict_get(t->labels, l));
    return;
  }
  default: buf[0] = '\0';
  }
}

typedef struct entry {
  char *text;
  uint64_t count;
  uint32_t first_id;
} entry;

static int entry_cmp(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->count != y->count) return x->count > y->count ? -1 : 1;
  return strcmp(x->text, y->text);
}

/* Interns each row's text in a dictionary (first-seen ids), then renumbers ids by (count desc,
 * text asc). The two IP columns are encoded together over ONE address dictionary (counts
 * summed over both columns), so that a code means the same host in src_ip and dst_ip: the
 * miner's placeholders bind a source address and reuse it as a destination. Small-domain
 * columns go through the same path: one mechanism for all. */
static fc_status encode_dictionary(const fc_flow_table *t, fc_column **cols, int n_cols) {
  fc_status st = FC_OK;
  fc_strdict *d = NULL;
  uint64_t *cnt = NULL;
  entry *ents = NULL;
  uint32_t *remap = NULL;
  size_t cnt_cap = 0, m = 0;
  FC_CALL(fc_strdict_create(&d));
  uint8_t key[17];
  for (int k = 0; k < n_cols; k++) {
    fc_column *c = cols[k];
    FC_CALL_GOTO(st, fci_malloc((t->n ? t->n : 1) * sizeof *c->codes, &c->codes), out);
    for (size_t i = 0; i < t->n; i++) {
      size_t n = cat_key(t, c->id, i, key);
      uint32_t id;
      FC_CALL_GOTO(st, fc_strdict_intern(d, (const char *)key, n, &id), out);
      if (id >= cnt_cap) {
        size_t nc = cnt_cap ? cnt_cap * 2 : 256;
        FC_CALL_GOTO(st, fci_realloc(nc * sizeof *cnt, &cnt), out);
        memset(cnt + cnt_cap, 0, (nc - cnt_cap) * sizeof *cnt);
        cnt_cap = nc;
      }
      cnt[id]++;
      c->codes[i] = id;
    }
  }
  m = fc_strdict_size(d);
  FC_CALL_GOTO(st, fci_calloc(m ? m : 1, sizeof *ents, &ents), out);
  for (size_t i = 0; i < m; i++) {
    char buf[FC_IP_STRLEN + 4096];
    key_text(t, cols[0]->id, (const uint8_t *)fc_strdict_get(d, (uint32_t)i), buf, sizeof buf);
    size_t len = strlen(buf);
    FC_CALL_GOTO(st, fci_malloc(len + 1, &ents[i].text), out);
    memcpy(ents[i].text, buf, len + 1);
    ents[i].count = cnt[i];
    ents[i].first_id = (uint32_t)i;
  }
  qsort(ents, m, sizeof *ents, entry_cmp);
  FC_CALL_GOTO(st, fci_malloc((m ? m : 1) * sizeof *remap, &remap), out);
  for (size_t i = 0; i < m; i++) remap[ents[i].first_id] = (uint32_t)i;
  for (int k = 0; k < n_cols; k++) {
    fc_column *c = cols[k];
    c->domain = (uint32_t)m;
    FC_CALL_GOTO(st, fci_calloc(m ? m : 1, sizeof *c->values, &c->values), out);
    FC_CALL_GOTO(st, fci_calloc(m ? m : 1, sizeof *c->counts, &c->counts), out);
    for (size_t i = 0; i < m; i++) {
      size_t len = strlen(ents[i].text);
      FC_CALL_GOTO(st, fci_malloc(len + 1, &c->values[i]), out);
      memcpy(c->values[i], ents[i].text, len + 1);
    }
    for (size_t i = 0; i < t->n; i++) {
      c->codes[i] = remap[c->codes[i]];
      c->counts[c->codes[i]]++;
    }
  }
out:
  fc_strdict_destroy(&d);
  free(cnt);
  if (ents)
    for (size_t i = 0; i < m; i++) free(ents[i].text);
  free(ents);
  free(remap);
  return st;
}

/* ---------------------------------------------------------------- numeric */

static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

bool fc_column_same_dictionary(const fc_column *a, const fc_column *b) {
  if (a->kind != b->kind || a->domain != b->domain) return false;
  if (a->values == b->values) return true;
  for (uint32_t k = 0; k < a->domain; k++)
    if (strcmp(a->values[k], b->values[k]) != 0) return false;
  return true;
}

uint32_t fc_numeric_code(const fc_column *c, double v) {
  if (v == 0.0 || c->domain <= 1) return 0;
  uint32_t bins = c->domain - 1;
  /* Largest k in [1, bins] with edges[k] <= v; values outside the edges clamp to the ends. */
  uint32_t lo = 1, hi = bins;
  if (v < c->edges[1]) return 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo + 1) / 2;
    if (c->edges[mid] <= v)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

static fc_status encode_numeric(const fc_flow_table *t, int bins, fc_column *c) {
  fc_status st = FC_OK;
  double *nz = NULL;
  size_t m = 0;
  FC_CALL(fci_malloc((t->n ? t->n : 1) * sizeof *c->codes, &c->codes));
  FC_CALL_GOTO(st, fci_malloc((t->n ? t->n : 1) * sizeof *nz, &nz), out);
  for (size_t i = 0; i < t->n; i++) {
    double v = fc_numeric_value(t, c->id, i);
    if (v != 0.0) nz[m++] = v;
  }
  qsort(nz, m, sizeof *nz, dbl_cmp);
  /* Quantile boundaries at i / bins with linear interpolation (numpy's default), then unique. */
  FC_CALL_GOTO(st, fci_malloc((size_t)(bins + 3) * sizeof *c->edges, &c->edges), out);
  c->edges[0] = 0.0;
  uint32_t ne = 1;
  if (m > 0) {
    for (int i = 0; i <= bins; i++) {
      double pos = (double)(m - 1) * (double)i / (double)bins;
      size_t lo = (size_t)floor(pos);
      size_t hi = lo + 1 < m ? lo + 1 : lo;
      double q = nz[lo] + (nz[hi] - nz[lo]) * (pos - (double)lo);
      if (i == bins) q = nz[m - 1];
      if (ne == 1 || q > c->edges[ne - 1]) c->edges[ne++] = q;
    }
    if (ne == 2) c->edges[ne++] = c->edges[1]; /* one distinct value: the bin [v, v] */
  } else {
    c->edges[ne++] = 0.0;
  }
  c->n_edges = ne;
  c->domain = ne - 1;
  FC_CALL_GOTO(st, fci_calloc(c->domain, sizeof *c->counts, &c->counts), out);
  for (size_t i = 0; i < t->n; i++) {
    uint32_t code = fc_numeric_code(c, fc_numeric_value(t, c->id, i));
    c->codes[i] = code;
    c->counts[code]++;
  }
out:
  free(nz);
  return st;
}

/* ---------------------------------------------------------------- table */

fc_status fc_encode(const fc_flow_table *t, const fc_encoding_options *o, fc_encoded *e) {
  fc_status st = FC_OK;
  memset(e, 0, sizeof *e);
  if (o->bins < 1 || o->bins > 100000)
    return FC_ERROR(FC_ERR_ARG, "the number of bins must be in 1..100000, not %d", o->bins);
  if (o->tick_us < 1) return FC_ERROR(FC_ERR_ARG, "the tick must be at least 1 microsecond");
  for (size_t i = 1; i < t->n; i++)
    if (t->ts_us[i] < t->ts_us[i - 1])
      return FC_ERROR(FC_ERR_STATE, "flow table is not sorted by start time (row %zu)", i);
  e->n_rows = t->n;
  e->n_cols = t->has_labels ? FC_NCOLS : FC_NCOLS - 1;
  e->tick_us = o->tick_us;
  e->bins = o->bins;
  e->t0_us = t->n ? t->ts_us[0] : 0;
  FC_CALL_GOTO(st, fci_malloc((t->n ? t->n : 1) * sizeof *e->ticks, &e->ticks), fail);
  for (size_t i = 0; i < t->n; i++) e->ticks[i] = (t->ts_us[i] - e->t0_us) / o->tick_us;
  for (int k = 0; k < e->n_cols; k++) {
    fc_column *c = &e->cols[k];
    c->id = (fc_col_id)k;
    c->kind = fc_col_kind_of(c->id);
    if (c->kind == FC_KIND_NUMERIC)
      FC_CALL_GOTO(st, encode_numeric(t, o->bins, c), fail);
    else if (c->kind == FC_KIND_CATEGORICAL)
      FC_CALL_GOTO(st, encode_dictionary(t, &c, 1), fail);
  }
  fc_column *ips[2] = {&e->cols[FC_COL_SRC_IP], &e->cols[FC_COL_DST_IP]};
  FC_CALL_GOTO(st, encode_dictionary(t, ips, 2), fail);
  return FC_OK;
fail:
  fc_encoded_free(e);
  return st;
}

void fc_encoded_free(fc_encoded *e) {
  if (!e) return;
  for (int k = 0; k < FC_NCOLS; k++) {
    fc_column *c = &e->cols[k];
    free(c->codes);
    free(c->counts);
    if (c->values)
      for (uint32_t i = 0; i < c->domain; i++) free(c->values[i]);
    free(c->values);
    free(c->edges);
  }
  free(e->ticks);
  memset(e, 0, sizeof *e);
}

static int fmt_num(char *buf, size_t cap, double v) {
  if (v == floor(v) && fabs(v) < 1e15) return snprintf(buf, cap, "%.0f", v);
  return snprintf(buf, cap, "%.6g", v);
}

int fc_code_format(const fc_column *c, uint32_t code, char *buf, size_t cap) {
  if (code >= c->domain) return snprintf(buf, cap, "?");
  if (c->kind != FC_KIND_NUMERIC) return snprintf(buf, cap, "%s", c->values[code]);
  if (code == 0) return snprintf(buf, cap, "0");
  char lo[64], hi[64];
  fmt_num(lo, sizeof lo, c->edges[code]);
  fmt_num(hi, sizeof hi, c->edges[code + 1]);
  return snprintf(buf, cap, "[%s,%s%c", lo, hi, code + 1 == c->domain ? ']' : ')');
}
