/* Deterministic flow tables and hand-built encodings for the dataset-file tests: row i, code
 * (column, i) and dictionary entry (column, k) are pure functions of their indices, so a rank
 * reading any block can check it against the generator without the writer's memory. The
 * encodings are not what fc_encode would produce (the store does not care what codes mean);
 * they exercise every column kind, long and short strings, zeros, IPv4 and IPv6. */
#ifndef FC_TEST_STORE_GEN_H
#define FC_TEST_STORE_GEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/encode.h"
#include "flowchronicle/flow.h"
#include "flowchronicle/store.h"
#include "testutil.h"

#define GEN_T0 1489622400000000LL /* 2017-03-16 00:00:00 UTC */
#define GEN_TICK 10000            /* 10 ms */

static const char *const gen_labels[] = {"normal", "attacker", "victim:dos-\xc3\xa9t\xc3\xa9"};

static inline uint64_t gen_mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static inline uint64_t gen_h(uint64_t a, uint64_t b) {
  return gen_mix(gen_mix(a) ^ (b * 0x2545f4914f6cdd1dULL));
}

static inline void gen_flow(size_t i, bool labelled, fc_flow *f) {
  uint64_t h = gen_h(1, i), g = gen_h(2, i);
  memset(f, 0, sizeof *f);
  f->ts_us = GEN_T0 + (int64_t)i * 1000 + (int64_t)(h % 1000); /* increasing */
  f->duration_us = (h >> 10) % 4 == 0 ? 0 : (int64_t)((h >> 12) % 50000000);
  static const uint8_t protos[] = {FC_PROTO_TCP, FC_PROTO_UDP, FC_PROTO_ICMP, FC_PROTO_ICMP6};
  f->proto = protos[(h >> 20) % 4];
  if ((h >> 24) % 3 == 0) { /* IPv6 */
    f->src_ip.family = f->dst_ip.family = 6;
    for (int k = 0; k < 16; k++) {
      f->src_ip.addr[k] = (uint8_t)(gen_h(3 + (uint64_t)k, i) & 0xff);
      f->dst_ip.addr[k] = (uint8_t)(gen_h(30 + (uint64_t)k, i) & 0xff);
    }
  } else {
    fc_ip_from_v4(0xc0a80000u | (uint32_t)(g & 0xffff), &f->src_ip);
    fc_ip_from_v4(0x0a000000u | (uint32_t)((g >> 16) & 0xffffff), &f->dst_ip);
  }
  f->src_port = (uint16_t)(g >> 40);
  f->dst_port = (uint16_t)((g >> 56) * 7 + 1);
  f->flags = (uint8_t)((h >> 30) & 0x3f);
  f->fwd_pkts = (h >> 36) % 5 == 0 ? 0 : (h >> 36) % 100000;
  f->bwd_pkts = (g >> 8) % 7;
  f->fwd_bytes = f->fwd_pkts * 60 + (g >> 20) % 1500;
  f->bwd_bytes = (uint64_t)1 << 62 | (g % 1000); /* large: no silent narrowing */
  f->label = labelled ? (uint32_t)(i % 3) : 0;
}

/* Domains per column: a few codes, numeric bins, and one address dictionary shared by src_ip
 * and dst_ip (as fc_encode makes it). */
static inline uint32_t gen_domain(int c, size_t n) {
  if (n == 0) return fc_col_kind_of((fc_col_id)c) == FC_KIND_NUMERIC ? 1 : 0;
  if (c == FC_COL_LABEL) return 3;
  if (fc_col_kind_of((fc_col_id)c) == FC_KIND_IP) return 40;
  return (uint32_t)(3 + 7 * c);
}

static inline uint32_t gen_code(int c, size_t i, size_t n) {
  if (c == FC_COL_LABEL) return (uint32_t)(i % 3);
  return (uint32_t)(gen_h(100 + (uint64_t)c, i) % gen_domain(c, n));
}

/* Dictionary text of code k: varied lengths, so the fixed width is the longest + 1. */
static inline void gen_value(int c, uint32_t k, char *buf, size_t cap) {
  if (c == FC_COL_LABEL) {
    snprintf(buf, cap, "%s", gen_labels[k]);
    return;
  }
  if (fc_col_kind_of((fc_col_id)c) == FC_KIND_IP) {
    if (k % 2)
      snprintf(buf, cap, "2001:db8::%x", (unsigned)k);
    else
      snprintf(buf, cap, "10.0.%u.%u", k / 256, k % 256);
    return;
  }
  snprintf(buf, cap, "%s-%u%s", fc_col_name((fc_col_id)c), k, k == 2 ? "-long-value-text" : "");
}

static inline double gen_edge(int c, uint32_t k) {
  return k == 0 ? 0.0 : (double)k * 1.5 + c;
}

/* The table of rows [0, n), time-sorted. */
static inline void gen_table(size_t n, bool labelled, fc_flow_table *t) {
  assert_int_equal(fc_table_init(t), FC_OK);
  for (size_t l = 0; labelled && l < 3; l++) {
    uint32_t id;
    assert_int_equal(fc_table_intern_label(t, gen_labels[l], strlen(gen_labels[l]), &id), FC_OK);
    assert_int_equal(id, l);
  }
  for (size_t i = 0; i < n; i++) {
    fc_flow f;
    gen_flow(i, labelled, &f);
    assert_int_equal(fc_table_append(t, &f), FC_OK);
  }
}

static inline uint64_t gen_count(int c, uint32_t k, size_t n) {
  uint64_t cnt = 0;
  for (size_t i = 0; i < n; i++)
    cnt += gen_code(c, i, n) == k;
  return cnt;
}

/* The encoding of rows [0, n), every array and string malloc'ed separately, as fc_encode and
 * fc_dataset_read make them (freed with fc_encoded_free). */
static inline void gen_encoded(size_t n, bool labelled, fc_encoded *e) {
  memset(e, 0, sizeof *e);
  e->n_rows = n;
  e->n_cols = labelled ? FC_NCOLS : FC_NCOLS - 1;
  e->t0_us = n ? GEN_T0 : 0;
  e->tick_us = GEN_TICK;
  e->bins = 40;
  e->ticks = malloc((n ? n : 1) * sizeof *e->ticks);
  assert_non_null(e->ticks);
  for (size_t i = 0; i < n; i++) {
    fc_flow f;
    gen_flow(i, labelled, &f);
    e->ticks[i] = (f.ts_us - GEN_T0) / GEN_TICK;
  }
  for (int c = 0; c < e->n_cols; c++) {
    fc_column *col = &e->cols[c];
    col->id = (fc_col_id)c;
    col->kind = fc_col_kind_of((fc_col_id)c);
    col->domain = gen_domain(c, n);
    col->codes = malloc((n ? n : 1) * sizeof *col->codes);
    col->counts = calloc(col->domain ? col->domain : 1, sizeof *col->counts);
    assert_non_null(col->codes);
    assert_non_null(col->counts);
    for (size_t i = 0; i < n; i++) {
      col->codes[i] = gen_code(c, i, n);
      col->counts[col->codes[i]]++;
    }
    if (col->kind == FC_KIND_NUMERIC) {
      col->n_edges = col->domain + 1;
      col->edges = malloc(col->n_edges * sizeof *col->edges);
      assert_non_null(col->edges);
      for (uint32_t k = 0; k < col->n_edges; k++)
        col->edges[k] = gen_edge(c, k);
    } else {
      col->values = calloc(col->domain ? col->domain : 1, sizeof *col->values);
      assert_non_null(col->values);
      for (uint32_t k = 0; k < col->domain; k++) {
        char buf[128];
        gen_value(c, k, buf, sizeof buf);
        col->values[k] = strdup(buf);
        assert_non_null(col->values[k]);
      }
    }
  }
}

/* Checks rows [b, b + t->n) of a read table against the generator, field by field. */
static inline void gen_check_raw(const fc_flow_table *t, size_t b, bool labelled) {
  assert_int_equal(t->has_labels, labelled);
  if (labelled) {
    assert_int_equal(fc_strdict_size(t->labels), 3);
    for (uint32_t l = 0; l < 3; l++)
      assert_string_equal(fc_strdict_get(t->labels, l), gen_labels[l]);
  }
  for (size_t i = 0; i < t->n; i++) {
    fc_flow want, got;
    gen_flow(b + i, labelled, &want);
    fc_table_get(t, i, &got);
    assert_int_equal(got.ts_us, want.ts_us);
    assert_int_equal(got.duration_us, want.duration_us);
    assert_int_equal(got.proto, want.proto);
    assert_int_equal(got.src_ip.family, want.src_ip.family);
    assert_memory_equal(got.src_ip.addr, want.src_ip.addr, 16);
    assert_int_equal(got.dst_ip.family, want.dst_ip.family);
    assert_memory_equal(got.dst_ip.addr, want.dst_ip.addr, 16);
    assert_true(fc_ip_equal(&got.src_ip, &want.src_ip));
    assert_int_equal(got.src_port, want.src_port);
    assert_int_equal(got.dst_port, want.dst_port);
    assert_int_equal(got.flags, want.flags);
    assert_true(got.fwd_pkts == want.fwd_pkts);
    assert_true(got.bwd_pkts == want.bwd_pkts);
    assert_true(got.fwd_bytes == want.fwd_bytes);
    assert_true(got.bwd_bytes == want.bwd_bytes);
    assert_int_equal(got.label, want.label);
  }
}

/* Checks a read encoding of rows [b, b + e->n_rows) of a dataset of n rows. */
static inline void gen_check_encoded(const fc_encoded *e, size_t b, size_t n, bool labelled) {
  assert_int_equal(e->n_cols, labelled ? FC_NCOLS : FC_NCOLS - 1);
  assert_int_equal(e->tick_us, GEN_TICK);
  assert_int_equal(e->t0_us, n ? GEN_T0 : 0);
  assert_int_equal(e->bins, 40);
  for (size_t i = 0; i < e->n_rows; i++) {
    fc_flow f;
    gen_flow(b + i, labelled, &f);
    assert_int_equal(e->ticks[i], (f.ts_us - GEN_T0) / GEN_TICK);
  }
  for (int c = 0; c < e->n_cols; c++) {
    const fc_column *col = &e->cols[c];
    assert_int_equal(col->id, c);
    assert_int_equal(col->kind, fc_col_kind_of((fc_col_id)c));
    assert_int_equal(col->domain, gen_domain(c, n));
    for (size_t i = 0; i < e->n_rows; i++)
      assert_int_equal(col->codes[i], gen_code(c, b + i, n));
    for (uint32_t k = 0; k < col->domain; k++)
      assert_true(col->counts[k] == gen_count(c, k, n));
    if (col->kind == FC_KIND_NUMERIC) {
      assert_null(col->values);
      assert_int_equal(col->n_edges, col->domain + 1);
      for (uint32_t k = 0; k < col->n_edges; k++)
        assert_true(col->edges[k] == gen_edge(c, k));
    } else {
      assert_null(col->edges);
      for (uint32_t k = 0; k < col->domain; k++) {
        char buf[128];
        gen_value(c, k, buf, sizeof buf);
        assert_string_equal(col->values[k], buf);
      }
    }
  }
  if (!labelled) assert_null(e->cols[FC_COL_LABEL].codes);
}

#endif
