/* Sparse family count tables: canonical form (radix-sorted unique keys), merge, flat
 * serialisation, the KT and BIC family scores, and local counting over a column-major block
 * (dense arrays for small key spaces, hashing otherwise) with OpenMP over (family, row chunk)
 * tasks. Counts are integers, so the tasks can be split and merged in any way without changing
 * a table. */
#include "bn_impl.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/mdl.h"

_Static_assert(sizeof(fci_bn_entry) == 3 * sizeof(uint64_t), "entries are read as uint64 words");

/* Below this many entries insertion sort beats the radix passes. */
#define RADIX_MIN 64
/* Rows per counting task at least: smaller chunks cost more in merging than they gain. */
#define CHUNK_MIN_ROWS ((size_t)1 << 16)
/* First hash capacity at most (slots, 24 bytes each); tables grow by doubling past half full. */
#define HASH_CAP0_MAX ((size_t)1 << 20)
/* Dense counting when the (configuration, value) space has at most this many cells (8 bytes
 * each) and at most DENSE_PER_ROW cells per row counted, so reading it out stays cheap. */
#define DENSE_MAX ((double)(1 << 22))
#define DENSE_PER_ROW 2.0

/* --- families --------------------------------------------------------------------------- */

int fci_bn_family_check(fc_bn_family *fam) {
  if (fam->node < 0 || fam->n_parents < 0 || fam->n_parents > FC_BN_MAX_PARENTS) return -1;
  int p[FC_BN_MAX_PARENTS];
  int k = fam->n_parents;
  for (int i = 0; i < k; i++) {
    p[i] = fam->parents[i];
    if (p[i] < 0 || p[i] == fam->node) return -1;
  }
  for (int i = 1; i < k; i++) /* insertion sort of at most 3 */
    for (int j = i; j > 0 && p[j - 1] > p[j]; j--) {
      int t = p[j];
      p[j] = p[j - 1];
      p[j - 1] = t;
    }
  for (int i = 1; i < k; i++)
    if (p[i] == p[i - 1]) return -1;
  for (int i = 0; i < FC_BN_MAX_PARENTS; i++)
    fam->parents[i] = i < k ? p[i] : -1;
  return 0;
}

fc_status fc_bn_family_set(fc_bn_family *fam, int node, const int *parents, int n_parents) {
  fc_bn_family f;
  f.node = node;
  f.n_parents = n_parents;
  if (n_parents < 0 || n_parents > FC_BN_MAX_PARENTS)
    return FC_ERROR(FC_ERR_ARG, "node %d: %d parents (at most %d)", node, n_parents,
                    FC_BN_MAX_PARENTS);
  for (int i = 0; i < FC_BN_MAX_PARENTS; i++)
    f.parents[i] = i < n_parents ? parents[i] : -1;
  if (fci_bn_family_check(&f) != 0)
    return FC_ERROR(FC_ERR_ARG, "node %d: invalid parent set (negative, duplicate or self)", node);
  *fam = f;
  return FC_OK;
}

bool fc_bn_family_equal(const fc_bn_family *a, const fc_bn_family *b) {
  if (a->node != b->node || a->n_parents != b->n_parents) return false;
  for (int i = 0; i < a->n_parents; i++)
    if (a->parents[i] != b->parents[i]) return false;
  return true;
}

/* --- canonical order ---------------------------------------------------------------------- */

static inline bool key_less(const fci_bn_entry *a, const fci_bn_entry *b) {
  return a->k0 < b->k0 || (a->k0 == b->k0 && a->k1 < b->k1);
}

static inline bool key_equal(const fci_bn_entry *a, const fci_bn_entry *b) {
  return a->k0 == b->k0 && a->k1 == b->k1;
}

static void insertion_sort(fci_bn_entry *e, size_t n) {
  for (size_t i = 1; i < n; i++) {
    fci_bn_entry x = e[i];
    size_t j = i;
    for (; j > 0 && key_less(&x, &e[j - 1]); j--)
      e[j] = e[j - 1];
    e[j] = x;
  }
}

static inline unsigned key_byte(const fci_bn_entry *e, int b) {
  return b < 8 ? (unsigned)(e->k1 >> (8 * b)) & 0xffu : (unsigned)(e->k0 >> (8 * (b - 8))) & 0xffu;
}

/* LSD radix sort over the 16 key bytes; bytes that are the same in every key (most of them:
 * absent parents, small cardinalities) are skipped after one histogram pass. */
static void radix_sort(fci_bn_entry *e, size_t n, fci_bn_entry *tmp) {
  size_t hist[16][256];
  memset(hist, 0, sizeof hist);
  for (size_t i = 0; i < n; i++)
    for (int b = 0; b < 16; b++)
      hist[b][key_byte(&e[i], b)]++;
  fci_bn_entry *src = e, *dst = tmp;
  for (int b = 0; b < 16; b++) {
    size_t *h = hist[b];
    if (h[key_byte(&src[0], b)] == n) continue;
    size_t sum = 0;
    for (int d = 0; d < 256; d++) {
      size_t c = h[d];
      h[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++)
      dst[h[key_byte(&src[i], b)]++] = src[i];
    fci_bn_entry *t = src;
    src = dst;
    dst = t;
  }
  if (src != e) memcpy(e, src, n * sizeof *e);
}

size_t fci_bn_canonicalize(fci_bn_entry *e, size_t n, fci_bn_entry *scratch) {
  if (n >= RADIX_MIN) {
    if (!scratch) return (size_t)-1;
    radix_sort(e, n, scratch);
  } else {
    insertion_sort(e, n);
  }
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    if (e[i].count == 0) continue;
    if (j > 0 && key_equal(&e[j - 1], &e[i]))
      e[j - 1].count += e[i].count;
    else
      e[j++] = e[i];
  }
  return j;
}

/* --- tables ------------------------------------------------------------------------------- */

static uint64_t sum_counts(const fci_bn_entry *e, size_t n) {
  uint64_t t = 0;
  for (size_t i = 0; i < n; i++)
    t += e[i].count;
  return t;
}

fc_status fc_bn_counts_create(const fc_bn_family *fam, fc_bn_counts **out) {
  fc_bn_family f = *fam;
  if (fci_bn_family_check(&f) != 0 || !fc_bn_family_equal(&f, fam))
    return FC_ERROR(FC_ERR_ARG, "node %d: parents must be distinct, ascending, not the node",
                    fam->node);
  fc_bn_counts *c;
  FC_CALL(fci_calloc(1, sizeof *c, &c));
  c->fam = f;
  *out = c;
  return FC_OK;
}

void fc_bn_counts_destroy(fc_bn_counts **pc) {
  if (!pc || !*pc) return;
  free((*pc)->e);
  free(*pc);
  *pc = NULL;
}

fc_status fc_bn_counts_from_entries(const fc_bn_family *fam, size_t n, const uint32_t *keys,
                                    const uint64_t *counts, fc_bn_counts **out) {
  fc_bn_counts *c;
  FC_CALL(fc_bn_counts_create(fam, &c));
  fc_status st = FC_OK;
  fci_bn_entry *scratch = NULL;
  for (size_t i = 0; i < n; i++)
    for (int k = c->fam.n_parents; k < FC_BN_MAX_PARENTS; k++)
      if (keys[4 * i + (size_t)k] != 0) {
        st = FC_ERROR(FC_ERR_ARG, "entry %zu: configuration slot %d of an absent parent is %u", i,
                      k, keys[4 * i + (size_t)k]);
        goto fail;
      }
  FC_CALL_GOTO(st, fci_malloc(n * sizeof *c->e, &c->e), fail);
  c->cap = n;
  for (size_t i = 0; i < n; i++) {
    const uint32_t *k = keys + 4 * i;
    c->e[i].k0 = FCI_BN_KEY0(k[0], k[1]);
    c->e[i].k1 = FCI_BN_KEY1(k[2], k[3]);
    c->e[i].count = counts[i];
  }
  if (n >= RADIX_MIN) FC_CALL_GOTO(st, fci_malloc(n * sizeof *scratch, &scratch), fail);
  c->n = fci_bn_canonicalize(c->e, n, scratch);
  c->total = sum_counts(c->e, c->n);
  free(scratch);
  *out = c;
  return FC_OK;
fail:
  free(scratch);
  fc_bn_counts_destroy(&c);
  return st;
}

fc_status fc_bn_counts_copy(const fc_bn_counts *src, fc_bn_counts **out) {
  fc_bn_counts *c = NULL;
  FC_CALL(fc_bn_counts_create(&src->fam, &c));
  if (src->n > 0) {
    fc_status st = fci_malloc(src->n * sizeof *c->e, &c->e);
    if (st != FC_OK) {
      fc_bn_counts_destroy(&c);
      FC_CALL(st);
    }
    memcpy(c->e, src->e, src->n * sizeof *c->e);
  }
  c->n = c->cap = src->n;
  c->total = src->total;
  *out = c;
  return FC_OK;
}

const fc_bn_family *fc_bn_counts_family(const fc_bn_counts *c) {
  return &c->fam;
}
size_t fc_bn_counts_size(const fc_bn_counts *c) {
  return c->n;
}
uint64_t fc_bn_counts_total(const fc_bn_counts *c) {
  return c->total;
}

void fc_bn_counts_entry(const fc_bn_counts *c, size_t i, uint32_t cfg[FC_BN_MAX_PARENTS],
                        uint32_t *value, uint64_t *count) {
  const fci_bn_entry *e = &c->e[i];
  if (cfg) {
    cfg[0] = (uint32_t)(e->k0 >> 32);
    cfg[1] = (uint32_t)e->k0;
    cfg[2] = (uint32_t)(e->k1 >> 32);
  }
  if (value) *value = (uint32_t)e->k1;
  if (count) *count = e->count;
}

bool fc_bn_counts_equal(const fc_bn_counts *a, const fc_bn_counts *b) {
  return fc_bn_family_equal(&a->fam, &b->fam) && a->n == b->n &&
         (a->n == 0 || memcmp(a->e, b->e, a->n * sizeof *a->e) == 0);
}

/* Merges two canonical entry runs into a new array; returns NULL when out of memory. */
static fci_bn_entry *merge_runs(const fci_bn_entry *a, size_t na, const fci_bn_entry *b, size_t nb,
                                size_t *n_out) {
  fci_bn_entry *r = malloc((na + nb ? na + nb : 1) * sizeof *r);
  if (!r) return NULL;
  size_t i = 0, j = 0, k = 0;
  while (i < na && j < nb) {
    if (key_less(&a[i], &b[j]))
      r[k++] = a[i++];
    else if (key_less(&b[j], &a[i]))
      r[k++] = b[j++];
    else {
      r[k] = a[i++];
      r[k++].count += b[j++].count;
    }
  }
  while (i < na)
    r[k++] = a[i++];
  while (j < nb)
    r[k++] = b[j++];
  *n_out = k;
  return r;
}

/* dst += src without recording an error (for OpenMP workers): 0 or -1 when out of memory. */
static int merge_quiet(fc_bn_counts *dst, const fc_bn_counts *src) {
  if (src->n == 0) return 0;
  size_t n;
  fci_bn_entry *r = merge_runs(dst->e, dst->n, src->e, src->n, &n);
  if (!r) return -1;
  free(dst->e);
  dst->e = r;
  dst->n = n;
  dst->cap = dst->n + src->n;
  dst->total += src->total;
  return 0;
}

fc_status fc_bn_counts_merge(fc_bn_counts *dst, const fc_bn_counts *src) {
  if (!fc_bn_family_equal(&dst->fam, &src->fam))
    return FC_ERROR(FC_ERR_ARG, "merging count tables of different families (node %d, %d)",
                    dst->fam.node, src->fam.node);
  if (merge_quiet(dst, src) != 0)
    return FC_ERROR(FC_ERR_NOMEM, "cannot merge count tables of %zu and %zu entries", dst->n,
                    src->n);
  return FC_OK;
}

/* --- serialisation ------------------------------------------------------------------------ */

#define HEADER_WORDS 7

size_t fc_bn_counts_serial_words(const fc_bn_counts *c) {
  return HEADER_WORDS + 3 * c->n;
}

void fc_bn_counts_serialize(const fc_bn_counts *c, uint64_t *w) {
  w[0] = FC_BN_COUNTS_TAG;
  w[1] = (uint64_t)c->fam.node;
  w[2] = (uint64_t)c->fam.n_parents;
  for (int i = 0; i < FC_BN_MAX_PARENTS; i++)
    w[3 + i] = i < c->fam.n_parents ? (uint64_t)c->fam.parents[i] : UINT64_MAX;
  w[6] = (uint64_t)c->n;
  uint64_t *p = w + HEADER_WORDS;
  for (size_t i = 0; i < c->n; i++) {
    p[3 * i] = c->e[i].k0;
    p[3 * i + 1] = c->e[i].k1;
    p[3 * i + 2] = c->e[i].count;
  }
}

fc_status fc_bn_counts_deserialize(const uint64_t *w, size_t n_words, fc_bn_counts **out,
                                   size_t *used) {
  if (n_words < HEADER_WORDS || w[0] != FC_BN_COUNTS_TAG)
    return FC_ERROR(FC_ERR_FORMAT, "not a BN count table (%zu words, tag %#llx)", n_words,
                    n_words ? (unsigned long long)w[0] : 0ULL);
  if (w[1] > INT32_MAX || w[2] > FC_BN_MAX_PARENTS)
    return FC_ERROR(FC_ERR_FORMAT, "count table: bad node %llu or parent count %llu",
                    (unsigned long long)w[1], (unsigned long long)w[2]);
  fc_bn_family f;
  f.node = (int)w[1];
  f.n_parents = (int)w[2];
  for (int i = 0; i < FC_BN_MAX_PARENTS; i++) {
    uint64_t p = w[3 + i];
    if (i < f.n_parents ? p > INT32_MAX : p != UINT64_MAX)
      return FC_ERROR(FC_ERR_FORMAT, "count table of node %d: bad parent slot %d", f.node, i);
    f.parents[i] = i < f.n_parents ? (int)p : -1;
  }
  fc_bn_family g = f;
  if (fci_bn_family_check(&g) != 0 || !fc_bn_family_equal(&g, &f))
    return FC_ERROR(FC_ERR_FORMAT, "count table of node %d: parents not distinct ascending",
                    f.node);
  uint64_t n = w[6];
  if (n > (n_words - HEADER_WORDS) / 3)
    return FC_ERROR(FC_ERR_FORMAT, "count table of node %d: %llu entries but %zu words", f.node,
                    (unsigned long long)n, n_words);
  fc_bn_counts *c;
  FC_CALL(fc_bn_counts_create(&f, &c));
  fc_status st = FC_OK;
  if (n > 0) FC_CALL_GOTO(st, fci_malloc((size_t)n * sizeof *c->e, &c->e), fail);
  const uint64_t *p = w + HEADER_WORDS;
  const uint64_t absent_mask0 = f.n_parents < 1 ? ~0ULL : f.n_parents < 2 ? 0xffffffffULL : 0;
  const uint64_t absent_mask1 = f.n_parents < 3 ? ~0xffffffffULL : 0;
  for (size_t i = 0; i < (size_t)n; i++) {
    fci_bn_entry e = {p[3 * i], p[3 * i + 1], p[3 * i + 2]};
    if (e.count == 0 || (e.k0 & absent_mask0) || (e.k1 & absent_mask1) ||
        (i > 0 && !key_less(&c->e[i - 1], &e))) {
      st = FC_ERROR(FC_ERR_FORMAT,
                    "count table of node %d: entry %zu is zero, out of order or sets an absent "
                    "parent",
                    f.node, i);
      goto fail;
    }
    c->e[i] = e;
    c->total += e.count;
  }
  c->n = c->cap = (size_t)n;
  if (used) *used = HEADER_WORDS + 3 * (size_t)n;
  *out = c;
  return FC_OK;
fail:
  fc_bn_counts_destroy(&c);
  return st;
}

/* --- scores ------------------------------------------------------------------------------- */

double fc_bn_counts_kt_bits(const fc_bn_counts *c, uint32_t card_node) {
  /* The entries viewed as uint64 words; the count of entry i is word 3 i + 2. */
  const uint64_t *w = (const uint64_t *)(const void *)c->e;
  double bits = 0.0;
  size_t i = 0;
  while (i < c->n) {
    size_t j = i + 1;
    while (j < c->n && FCI_BN_SAME_CFG(&c->e[i], &c->e[j]))
      j++;
    bits += fc_mdl_kt_bits_strided(w + 3 * i + 2, j - i, 3, card_node);
    i = j;
  }
  return bits;
}

double fc_bn_counts_bic(const fc_bn_counts *c, const uint32_t *card, uint64_t n_rows) {
  double ll = 0.0;
  size_t i = 0;
  while (i < c->n) {
    size_t j = i;
    uint64_t n_c = 0;
    while (j < c->n && FCI_BN_SAME_CFG(&c->e[i], &c->e[j]))
      n_c += c->e[j++].count;
    const double log_nc = log((double)n_c);
    for (size_t k = i; k < j; k++) {
      const double n_cv = (double)c->e[k].count;
      ll += n_cv * (log(n_cv) - log_nc);
    }
    i = j;
  }
  double q = 1.0;
  for (int k = 0; k < c->fam.n_parents; k++)
    q *= (double)card[c->fam.parents[k]];
  const double log_n = n_rows > 1 ? log((double)n_rows) : 0.0;
  return ll - 0.5 * log_n * ((double)card[c->fam.node] - 1.0) * q;
}

void fc_bn_counts_bic_batch(size_t n, fc_bn_counts *const *tabs, const uint32_t *card,
                            uint64_t n_rows, double *bic) {
  size_t entries = 0;
  for (size_t i = 0; i < n; i++) entries += fc_bn_counts_size(tabs[i]);
  const long nb = (long)n;
  const int par = nb > 1 && entries >= 100000; /* else one thread: cheaper than a region */
#pragma omp parallel for schedule(dynamic, 1) if (par)
  for (long i = 0; i < nb; i++) bic[i] = fc_bn_counts_bic(tabs[i], card, n_rows);
}

/* --- local counting ----------------------------------------------------------------------- */

typedef struct task {
  const fc_bn_family *fam;
  size_t begin, end;
  fc_bn_counts *out;
  int err; /* 0 ok, 1 out of memory, 2 value out of range */
  int bad_var;
  size_t bad_row;
  uint32_t bad_value;
} task;

static inline uint64_t mix64(uint64_t k0, uint64_t k1) {
  uint64_t h = (k0 * 0x9e3779b97f4a7c15ULL) ^ k1;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/* Per-thread buffers reused over the tasks of one counting call: fresh multi-megabyte
 * allocations for every family cost more in page faults (serialised in the kernel across
 * threads) than the counting itself. slots[0..alloc) is all empty between tasks. */
typedef struct workspace {
  fci_bn_entry *slots;
  size_t alloc;
  fci_bn_entry *scratch;
  size_t scratch_n;
  uint64_t *dense; /* dense counts, all zero between tasks */
  size_t dense_n;
} workspace;

static void workspace_free(workspace *ws) {
  free(ws->slots);
  free(ws->scratch);
  free(ws->dense);
}

static void bad_value(task *t, const fc_bn_family *f, const uint32_t *lim, size_t row,
                      const uint32_t *vals) {
  int k = 0;
  while (k < 3 && vals[k] < lim[k])
    k++;
  t->err = 2;
  t->bad_var = k == 3 ? f->node : f->parents[k];
  t->bad_row = row;
  t->bad_value = vals[k];
}

/* Families whose full (configuration, value) space is small against the rows are counted in a
 * dense array indexed by the mixed-radix number (cfg0, cfg1, cfg2, value): no hashing, and
 * reading the array in index order yields the canonical order without a sort. */
static bool count_dense(const fc_bn_data *d, task *t, workspace *ws, const uint32_t *lim,
                        double prod) {
  const fc_bn_family *f = t->fam;
  const int np = f->n_parents;
  const size_t size = (size_t)prod;
  uint64_t r[4]; /* radices, 1 for absent parents */
  for (int k = 0; k < 4; k++)
    r[k] = k < np || k == 3 ? lim[k] : 1;
  if (ws->dense_n < size) {
    free(ws->dense);
    ws->dense_n = 0;
    if (!(ws->dense = calloc(size, sizeof *ws->dense))) {
      t->err = 1;
      return true;
    }
    ws->dense_n = size;
  }
  uint64_t *cnt = ws->dense;
  const uint32_t *cv = d->cols[f->node];
  const uint32_t *c0 = np > 0 ? d->cols[f->parents[0]] : NULL;
  const uint32_t *c1 = np > 1 ? d->cols[f->parents[1]] : NULL;
  const uint32_t *c2 = np > 2 ? d->cols[f->parents[2]] : NULL;
  size_t n = 0;
  for (size_t i = t->begin; i < t->end; i++) {
    const uint32_t vals[4] = {c0 ? c0[i] : 0, c1 ? c1[i] : 0, c2 ? c2[i] : 0, cv[i]};
    if (vals[0] >= lim[0] || vals[1] >= lim[1] || vals[2] >= lim[2] || vals[3] >= lim[3]) {
      bad_value(t, f, lim, i, vals);
      break;
    }
    const size_t idx = (size_t)(((vals[0] * r[1] + vals[1]) * r[2] + vals[2]) * r[3] + vals[3]);
    n += cnt[idx]++ == 0;
  }
  fci_bn_entry *e = t->err ? NULL : malloc((n ? n : 1) * sizeof *e);
  if (!t->err && !e) t->err = 1;
  size_t j = 0;
  for (size_t idx = 0; idx < size; idx++) { /* read out (when no error) and re-zero */
    if (cnt[idx] == 0) continue;
    if (e) {
      size_t x = idx;
      const uint32_t v = (uint32_t)(x % r[3]);
      x /= r[3];
      const uint32_t c = (uint32_t)(x % r[2]);
      x /= r[2];
      const uint32_t b = (uint32_t)(x % r[1]);
      const uint32_t a = (uint32_t)(x / r[1]);
      e[j].k0 = FCI_BN_KEY0(a, b);
      e[j].k1 = FCI_BN_KEY1(c, v);
      e[j++].count = cnt[idx];
    }
    cnt[idx] = 0;
  }
  if (t->err) return true;
  fc_bn_counts *out = calloc(1, sizeof *out);
  if (!out) {
    free(e);
    t->err = 1;
    return true;
  }
  out->fam = *f;
  out->e = e;
  out->n = out->cap = n;
  out->total = (uint64_t)(t->end - t->begin);
  t->out = out;
  return true;
}

/* Doubles the table into a new buffer, which becomes the workspace's. */
static int hash_grow(workspace *ws, size_t *cap) {
  const size_t nc = *cap * 2, mask = nc - 1;
  fci_bn_entry *ns = calloc(nc, sizeof *ns);
  if (!ns) return -1;
  for (size_t i = 0; i < *cap; i++) {
    const fci_bn_entry *e = &ws->slots[i];
    if (e->count == 0) continue;
    size_t s = (size_t)mix64(e->k0, e->k1) & mask;
    while (ns[s].count != 0)
      s = (s + 1) & mask;
    ns[s] = *e;
  }
  free(ws->slots);
  ws->slots = ns;
  ws->alloc = nc;
  *cap = nc;
  return 0;
}

/* Counts rows [begin, end) of one family into t->out (canonical). */
static void count_task(const fc_bn_data *d, task *t, workspace *ws) {
  const fc_bn_family *f = t->fam;
  const int np = f->n_parents;
  const uint32_t *cv = d->cols[f->node];
  const uint32_t *c0 = np > 0 ? d->cols[f->parents[0]] : NULL;
  const uint32_t *c1 = np > 1 ? d->cols[f->parents[1]] : NULL;
  const uint32_t *c2 = np > 2 ? d->cols[f->parents[2]] : NULL;
  uint32_t lim[4] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
  double prod = INFINITY;
  const bool check = d->card != NULL;
  if (check) {
    lim[3] = d->card[f->node];
    prod = (double)lim[3];
    for (int k = 0; k < np; k++) {
      lim[k] = d->card[f->parents[k]];
      prod *= (double)lim[k];
    }
  }
  const size_t rows = t->end - t->begin;
  if (check && prod <= DENSE_MAX && prod <= DENSE_PER_ROW * (double)rows &&
      count_dense(d, t, ws, lim, prod))
    return;
  const double want = 2.0 * fmin((double)rows, prod);
  size_t cap = 16;
  while (cap < HASH_CAP0_MAX && (double)cap < want)
    cap *= 2;
  if (ws->alloc < cap) {
    free(ws->slots);
    ws->alloc = 0;
    if (!(ws->slots = calloc(cap, sizeof *ws->slots))) {
      t->err = 1;
      return;
    }
    ws->alloc = cap;
  }
  size_t n = 0, mask = cap - 1;
  for (size_t i = t->begin; i < t->end; i++) {
    const uint32_t a = c0 ? c0[i] : 0, b = c1 ? c1[i] : 0, c = c2 ? c2[i] : 0, v = cv[i];
    if (check && (a >= lim[0] || b >= lim[1] || c >= lim[2] || v >= lim[3])) {
      const uint32_t vals[4] = {a, b, c, v};
      bad_value(t, f, lim, i, vals);
      break;
    }
    const uint64_t k0 = FCI_BN_KEY0(a, b), k1 = FCI_BN_KEY1(c, v);
    fci_bn_entry *slots = ws->slots;
    size_t s = (size_t)mix64(k0, k1) & mask;
    for (;;) {
      fci_bn_entry *e = &slots[s];
      if (e->count == 0) {
        e->k0 = k0;
        e->k1 = k1;
        e->count = 1;
        if (++n * 2 > cap) {
          if (hash_grow(ws, &cap) != 0) {
            t->err = 1;
            goto drain;
          }
          mask = cap - 1;
        }
        break;
      }
      if (e->k0 == k0 && e->k1 == k1) {
        e->count++;
        break;
      }
      s = (s + 1) & mask;
    }
  }
drain:; /* move the entries out and leave the workspace empty, also after an error */
  fci_bn_entry *out_e = t->err ? NULL : malloc((n ? n : 1) * sizeof *out_e);
  if (!t->err && !out_e) t->err = 1;
  size_t j = 0;
  for (size_t i = 0; i < cap; i++) {
    fci_bn_entry *e = &ws->slots[i];
    if (e->count == 0) continue;
    if (out_e) out_e[j++] = *e;
    e->count = 0;
  }
  if (t->err) return;
  if (n >= RADIX_MIN && ws->scratch_n < n) {
    free(ws->scratch);
    ws->scratch_n = 0;
    if (!(ws->scratch = malloc(n * sizeof *ws->scratch))) {
      free(out_e);
      t->err = 1;
      return;
    }
    ws->scratch_n = n;
  }
  n = fci_bn_canonicalize(out_e, n, ws->scratch);
  fc_bn_counts *out = calloc(1, sizeof *out);
  if (!out) {
    free(out_e);
    t->err = 1;
    return;
  }
  out->fam = *f;
  out->e = out_e;
  out->n = out->cap = n;
  out->total = (uint64_t)rows;
  t->out = out;
}

fc_status fc_bn_count_local(void *ctx, size_t n_families, const fc_bn_family *families,
                            fc_bn_counts **out) {
  const fc_bn_data *d = ctx;
  for (size_t f = 0; f < n_families; f++) {
    const fc_bn_family *fam = &families[f];
    fc_bn_family g = *fam;
    if (fci_bn_family_check(&g) != 0 || !fc_bn_family_equal(&g, fam) || fam->node >= d->n_vars ||
        (fam->n_parents > 0 && fam->parents[fam->n_parents - 1] >= d->n_vars))
      return FC_ERROR(FC_ERR_ARG, "family %zu (node %d) is invalid for %d variables", f, fam->node,
                      d->n_vars);
  }
  const int threads = omp_get_max_threads();
  size_t per = 1;
  if (n_families > 0 && n_families < (size_t)threads) {
    per = ((size_t)threads + n_families - 1) / n_families;
    size_t by_rows = d->n_rows / CHUNK_MIN_ROWS;
    if (per > by_rows) per = by_rows > 0 ? by_rows : 1;
  }
  const size_t n_tasks = n_families * per;
  task *tasks;
  FC_CALL(fci_calloc(n_tasks, sizeof *tasks, &tasks));
  for (size_t t = 0; t < n_tasks; t++) {
    const size_t f = t / per, c = t % per;
    tasks[t].fam = &families[f];
    tasks[t].begin = d->n_rows * c / per;
    tasks[t].end = d->n_rows * (c + 1) / per;
  }
  long nt = (long)n_tasks;
  /* Small batches (a pattern's BN over a few hundred windows) run on one thread: starting a
   * parallel region costs more than the counting, and idle threads spin. */
  const int par = nt > 1 && (double)d->n_rows * (double)n_families >= 2e5;
#pragma omp parallel if (par)
  {
    workspace ws = {NULL, 0, NULL, 0, NULL, 0};
#pragma omp for schedule(dynamic, 1)
    for (long t = 0; t < nt; t++)
      count_task(d, &tasks[t], &ws);
    workspace_free(&ws);
  }

  fc_status st = FC_OK;
  for (size_t t = 0; t < n_tasks && st == FC_OK; t++) {
    if (tasks[t].err == 1)
      st = FC_ERROR(FC_ERR_NOMEM, "out of memory counting node %d over %zu rows",
                    tasks[t].fam->node, tasks[t].end - tasks[t].begin);
    else if (tasks[t].err == 2)
      st = FC_ERROR(FC_ERR_ARG, "variable %d, row %zu: value %u outside [0, %u)", tasks[t].bad_var,
                    tasks[t].bad_row, tasks[t].bad_value, d->card[tasks[t].bad_var]);
  }
  for (size_t f = 0; f < n_families && st == FC_OK; f++) {
    fc_bn_counts *acc = tasks[f * per].out;
    for (size_t c = 1; c < per && st == FC_OK; c++)
      if (merge_quiet(acc, tasks[f * per + c].out) != 0)
        st = FC_ERROR(FC_ERR_NOMEM, "out of memory merging counts of node %d", families[f].node);
  }
  if (st == FC_OK) {
    for (size_t f = 0; f < n_families; f++) {
      out[f] = tasks[f * per].out;
      tasks[f * per].out = NULL;
    }
  }
  for (size_t t = 0; t < n_tasks; t++)
    fc_bn_counts_destroy(&tasks[t].out);
  free(tasks);
  return st;
}
