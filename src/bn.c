/* Bayesian networks: construction from family count tables, hill-climbing structure learning on
 * BIC with a family-score cache and batched counting, KT code length, K2-smoothed ancestral
 * sampling, and flat serialisation. */
#include "bn_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/mdl.h"

/* --- sampling index ------------------------------------------------------------------------ */

static void cpt_free(fci_bn_cpt *c) {
  free(c->cfg_k0);
  free(c->cfg_k2);
  free(c->cfg_start);
  free(c->cum);
  memset(c, 0, sizeof *c);
}

static fc_status cpt_build(fci_bn_cpt *c, const fc_bn_counts *t) {
  size_t n_cfg = 0;
  for (size_t i = 0; i < t->n; i++)
    if (i == 0 || !FCI_BN_SAME_CFG(&t->e[i - 1], &t->e[i])) n_cfg++;
  fc_status st = FC_OK;
  FC_CALL_GOTO(st, fci_malloc(n_cfg * sizeof *c->cfg_k0, &c->cfg_k0), fail);
  FC_CALL_GOTO(st, fci_malloc(n_cfg * sizeof *c->cfg_k2, &c->cfg_k2), fail);
  FC_CALL_GOTO(st, fci_malloc((n_cfg + 1) * sizeof *c->cfg_start, &c->cfg_start), fail);
  FC_CALL_GOTO(st, fci_malloc(t->n * sizeof *c->cum, &c->cum), fail);
  size_t k = 0;
  uint64_t run = 0;
  for (size_t i = 0; i < t->n; i++) {
    if (i == 0 || !FCI_BN_SAME_CFG(&t->e[i - 1], &t->e[i])) {
      c->cfg_k0[k] = t->e[i].k0;
      c->cfg_k2[k] = (uint32_t)(t->e[i].k1 >> 32);
      c->cfg_start[k++] = i;
      run = 0;
    }
    run += t->e[i].count;
    c->cum[i] = run;
  }
  c->cfg_start[n_cfg] = t->n;
  c->n_cfg = n_cfg;
  return FC_OK;
fail:
  cpt_free(c);
  return st;
}

/* --- construction -------------------------------------------------------------------------- */

void fc_bn_destroy(fc_bn **pbn) {
  if (!pbn || !*pbn) return;
  fc_bn *bn = *pbn;
  for (int v = 0; v < bn->m; v++) {
    if (bn->tab) fc_bn_counts_destroy(&bn->tab[v]);
    if (bn->cpt) cpt_free(&bn->cpt[v]);
  }
  free(bn->tab);
  free(bn->cpt);
  free(bn->card);
  free(bn->npar);
  free(bn->topo);
  free(bn->adj);
  free(bn);
  *pbn = NULL;
}

/* Kahn's algorithm taking the smallest ready node first; returns the number of nodes placed
 * (m when acyclic). adj is m x m, adj[from * m + to]. */
static int topo_sort(int m, const uint8_t *adj, int *order, int *indeg) {
  for (int v = 0; v < m; v++) {
    indeg[v] = 0;
    for (int u = 0; u < m; u++)
      indeg[v] += adj[(size_t)u * (size_t)m + (size_t)v];
  }
  int placed = 0;
  for (;;) {
    int next = -1;
    for (int v = 0; v < m && next < 0; v++)
      if (indeg[v] == 0) next = v;
    if (next < 0) break;
    order[placed++] = next;
    indeg[next] = -1;
    for (int w = 0; w < m; w++)
      if (adj[(size_t)next * (size_t)m + (size_t)w]) indeg[w]--;
  }
  return placed;
}

static fc_status check_tables(int m, const uint32_t *card, fc_bn_counts *const *tables) {
  for (int v = 0; v < m; v++) {
    const fc_bn_counts *t = tables[v];
    if (card[v] < 1) return FC_ERROR(FC_ERR_ARG, "variable %d has cardinality 0", v);
    if (!t) return FC_ERROR(FC_ERR_ARG, "no count table for node %d", v);
    const fc_bn_family *f = &t->fam;
    if (f->node != v) return FC_ERROR(FC_ERR_ARG, "table %d is for node %d", v, f->node);
    if (f->n_parents > 0 && f->parents[f->n_parents - 1] >= m)
      return FC_ERROR(FC_ERR_ARG, "node %d: parent %d outside %d nodes", v,
                      f->parents[f->n_parents - 1], m);
    if (t->total != tables[0]->total)
      return FC_ERROR(FC_ERR_ARG, "node %d counts %llu rows, node 0 %llu", v,
                      (unsigned long long)t->total, (unsigned long long)tables[0]->total);
    uint32_t lim[4] = {1, 1, 1, card[v]};
    for (int k = 0; k < f->n_parents; k++)
      lim[k] = card[f->parents[k]];
    for (size_t i = 0; i < t->n; i++) {
      uint32_t cfg[FC_BN_MAX_PARENTS], value;
      fc_bn_counts_entry(t, i, cfg, &value, NULL);
      if (cfg[0] >= lim[0] || cfg[1] >= lim[1] || cfg[2] >= lim[2] || value >= lim[3])
        return FC_ERROR(FC_ERR_ARG, "node %d: entry (%u, %u, %u; %u) outside the cardinalities", v,
                        cfg[0], cfg[1], cfg[2], value);
    }
  }
  return FC_OK;
}

fc_status fc_bn_create(int m, const uint32_t *card, fc_bn_counts **tables, fc_bn **out) {
  if (m < 0) return FC_ERROR(FC_ERR_ARG, "negative node count %d", m);
  FC_CALL(check_tables(m, card, tables));
  fc_bn *bn;
  FC_CALL(fci_calloc(1, sizeof *bn, &bn));
  const size_t mm = (size_t)m;
  fc_status st = FC_OK;
  int *indeg = NULL;
  FC_CALL_GOTO(st, fci_calloc(mm, sizeof *bn->card, &bn->card), fail);
  FC_CALL_GOTO(st, fci_calloc(mm, sizeof *bn->npar, &bn->npar), fail);
  FC_CALL_GOTO(st, fci_calloc(mm, sizeof *bn->topo, &bn->topo), fail);
  FC_CALL_GOTO(st, fci_calloc(mm * mm, sizeof *bn->adj, &bn->adj), fail);
  FC_CALL_GOTO(st, fci_calloc(mm, sizeof *bn->cpt, &bn->cpt), fail);
  FC_CALL_GOTO(st, fci_calloc(mm, sizeof *bn->tab, &bn->tab), fail);
  FC_CALL_GOTO(st, fci_calloc(mm, sizeof *indeg, &indeg), fail);
  bn->m = m; /* from here fc_bn_destroy walks the (still empty) per-node arrays */
  for (int v = 0; v < m; v++) {
    const fc_bn_family *f = &tables[v]->fam;
    bn->card[v] = card[v];
    bn->npar[v] = f->n_parents;
    for (int k = 0; k < f->n_parents; k++)
      bn->adj[(size_t)f->parents[k] * mm + (size_t)v] = 1;
  }
  if (topo_sort(m, bn->adj, bn->topo, indeg) != m) {
    st = FC_ERROR(FC_ERR_ARG, "the parent sets of the %d nodes contain a cycle", m);
    goto fail;
  }
  for (int v = 0; v < m; v++)
    FC_CALL_GOTO(st, cpt_build(&bn->cpt[v], tables[v]), fail);
  bn->n_rows = m > 0 ? tables[0]->total : 0;
  for (int v = 0; v < m; v++) {
    bn->tab[v] = tables[v];
    tables[v] = NULL;
  }
  free(indeg);
  *out = bn;
  return FC_OK;
fail:
  free(indeg);
  fc_bn_destroy(&bn);
  return st;
}

fc_status fc_bn_create_counted(int m, const uint32_t *card, const fc_bn_family *families,
                               fc_bn_count_fn count, void *ctx, fc_bn **out) {
  if (m < 0) return FC_ERROR(FC_ERR_ARG, "negative node count %d", m);
  for (int v = 0; v < m; v++)
    if (families[v].node != v)
      return FC_ERROR(FC_ERR_ARG, "family %d is for node %d", v, families[v].node);
  fc_bn_counts **tables;
  FC_CALL(fci_calloc((size_t)m, sizeof *tables, &tables));
  fc_status st = FC_OK;
  if (m > 0) FC_CALL_GOTO(st, count(ctx, (size_t)m, families, tables), done);
  for (int v = 0; v < m; v++)
    if (!tables[v] || !fc_bn_family_equal(&tables[v]->fam, &families[v])) {
      st = FC_ERROR(FC_ERR_STATE, "the count callback returned a wrong table for node %d", v);
      goto done;
    }
  FC_CALL_GOTO(st, fc_bn_create(m, card, tables, out), done);
done:
  for (int v = 0; v < m; v++)
    fc_bn_counts_destroy(&tables[v]);
  free(tables);
  return st;
}

/* --- accessors and code lengths ------------------------------------------------------------ */

int fc_bn_n_nodes(const fc_bn *bn) {
  return bn->m;
}
uint32_t fc_bn_cardinality(const fc_bn *bn, int v) {
  return bn->card[v];
}
uint64_t fc_bn_n_rows(const fc_bn *bn) {
  return bn->n_rows;
}
const fc_bn_family *fc_bn_family_of(const fc_bn *bn, int v) {
  return &bn->tab[v]->fam;
}
const fc_bn_counts *fc_bn_counts_of(const fc_bn *bn, int v) {
  return bn->tab[v];
}
const int *fc_bn_topo_order(const fc_bn *bn) {
  return bn->topo;
}

bool fc_bn_has_arc(const fc_bn *bn, int from, int to) {
  return bn->adj[(size_t)from * (size_t)bn->m + (size_t)to] != 0;
}

int fc_bn_n_arcs(const fc_bn *bn) {
  int n = 0;
  for (int v = 0; v < bn->m; v++)
    n += bn->npar[v];
  return n;
}

double fc_bn_tables_kt_bits(int m, const uint32_t *card, const fc_bn_counts *const *tables) {
  double bits = 0.0;
  for (int v = 0; v < m; v++)
    bits += fc_bn_counts_kt_bits(tables[v], card[v]);
  return bits;
}

double fc_bn_data_bits(const fc_bn *bn) {
  return fc_bn_tables_kt_bits(bn->m, bn->card, (const fc_bn_counts *const *)bn->tab);
}

double fc_bn_structure_bits(const fc_bn *bn, int max_indegree, bool artifact_compat) {
  return fc_mdl_bn_structure_bits(bn->m, bn->npar, max_indegree, artifact_compat);
}

double fc_bn_bic(const fc_bn *bn) {
  double s = 0.0;
  for (int v = 0; v < bn->m; v++)
    s += fc_bn_counts_bic(bn->tab[v], bn->card, bn->n_rows);
  return s;
}

/* --- sampling ------------------------------------------------------------------------------ */

uint32_t fc_bn_sample_node(const fc_bn *bn, int v, const uint32_t *values, double u) {
  const fc_bn_family *f = &bn->tab[v]->fam;
  const fci_bn_cpt *c = &bn->cpt[v];
  const uint64_t r = bn->card[v];
  uint32_t cfg[FC_BN_MAX_PARENTS] = {0, 0, 0};
  for (int k = 0; k < f->n_parents; k++)
    cfg[k] = values[f->parents[k]];
  const uint64_t k0 = FCI_BN_KEY0(cfg[0], cfg[1]);
  const uint32_t k2 = cfg[2];
  if (!(u > 0.0)) u = 0.0;      /* NaN and negatives */
  size_t lo = 0, hi = c->n_cfg; /* first configuration >= (k0, k2) */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (c->cfg_k0[mid] < k0 || (c->cfg_k0[mid] == k0 && c->cfg_k2[mid] < k2))
      lo = mid + 1;
    else
      hi = mid;
  }
  uint64_t n_c = 0;
  size_t begin = 0, end = 0;
  if (lo < c->n_cfg && c->cfg_k0[lo] == k0 && c->cfg_k2[lo] == k2) {
    begin = c->cfg_start[lo];
    end = c->cfg_start[lo + 1];
    n_c = c->cum[end - 1];
  }
  const double x = u * (double)(n_c + r);
  if (x < (double)n_c) {
    /* Observed mass: the entry whose cumulative range [cum - count, cum) holds floor(x). */
    const uint64_t t = (uint64_t)x;
    size_t a = begin, b = end - 1;
    while (a < b) {
      size_t mid = a + (b - a) / 2;
      if (c->cum[mid] > t)
        b = mid;
      else
        a = mid + 1;
    }
    return (uint32_t)bn->tab[v]->e[a].k1;
  }
  /* Smoothing mass (one pseudo-count per value), and unseen configurations: uniform. */
  uint64_t j = (uint64_t)(x - (double)n_c);
  return (uint32_t)(j < r ? j : r - 1);
}

void fc_bn_sample(const fc_bn *bn, const double *uniforms, uint32_t *values) {
  for (int i = 0; i < bn->m; i++) {
    const int v = bn->topo[i];
    values[v] = fc_bn_sample_node(bn, v, values, uniforms[v]);
  }
}

/* --- serialisation ------------------------------------------------------------------------- */

size_t fc_bn_serial_words(const fc_bn *bn) {
  size_t n = 0;
  for (int v = 0; v < bn->m; v++)
    n += fc_bn_counts_serial_words(bn->tab[v]);
  return n;
}

void fc_bn_serialize(const fc_bn *bn, int32_t *structure, uint64_t *words) {
  for (int v = 0; v < bn->m; v++) {
    const fc_bn_family *f = &bn->tab[v]->fam;
    structure[4 * v] = f->n_parents;
    for (int k = 0; k < FC_BN_MAX_PARENTS; k++)
      structure[4 * v + 1 + k] = k < f->n_parents ? f->parents[k] : -1;
    fc_bn_counts_serialize(bn->tab[v], words);
    words += fc_bn_counts_serial_words(bn->tab[v]);
  }
}

fc_status fc_bn_deserialize(int m, const uint32_t *card, const int32_t *structure,
                            const uint64_t *words, size_t n_words, fc_bn **out) {
  if (m < 0) return FC_ERROR(FC_ERR_FORMAT, "negative node count %d", m);
  fc_bn_counts **tables;
  FC_CALL(fci_calloc((size_t)m, sizeof *tables, &tables));
  fc_status st = FC_OK;
  size_t off = 0;
  for (int v = 0; v < m; v++) {
    fc_bn_family want;
    want.node = v;
    want.n_parents = structure[4 * v];
    if (want.n_parents < 0 || want.n_parents > FC_BN_MAX_PARENTS) {
      st = FC_ERROR(FC_ERR_FORMAT, "node %d: %d parents in the structure", v, want.n_parents);
      goto done;
    }
    for (int k = 0; k < FC_BN_MAX_PARENTS; k++)
      want.parents[k] = structure[4 * v + 1 + k];
    size_t used = 0;
    FC_CALL_GOTO(st, fc_bn_counts_deserialize(words + off, n_words - off, &tables[v], &used), done);
    off += used;
    if (!fc_bn_family_equal(&tables[v]->fam, &want)) {
      st = FC_ERROR(FC_ERR_FORMAT, "node %d: the count table does not match the structure", v);
      goto done;
    }
  }
  if (off != n_words) {
    st = FC_ERROR(FC_ERR_FORMAT, "%zu trailing words after %d count tables", n_words - off, m);
    goto done;
  }
  st = fc_bn_create(m, card, tables, out);
  if (st == FC_ERR_ARG) { /* everything fc_bn_create rejects here came from the arrays */
    fci_error_trace(__FILE__, __LINE__, __func__);
    st = FC_ERR_FORMAT;
  }
done:
  for (int v = 0; v < m; v++)
    fc_bn_counts_destroy(&tables[v]);
  free(tables);
  return st;
}

/* --- structure learning -------------------------------------------------------------------- */

void fc_bn_learn_opts_default(fc_bn_learn_opts *o) {
  o->max_indegree = FC_BN_MAX_PARENTS;
  o->min_gain = 1e-9;
  o->max_steps = 100000;
  o->max_batch = 64;
  o->score = NULL;
}

enum { OP_ADD = 0, OP_REMOVE = 1, OP_REVERSE = 2 };

typedef struct op {
  int type, from, to;
  size_t a; /* score slot of the new family of `to` */
  size_t b; /* reverse only: score slot of the new family of `from` */
} op;

typedef struct learner {
  int m;
  const uint32_t *card;
  fc_bn_learn_opts opts;
  fc_bn_count_fn count;
  void *ctx;
  /* family cache: open addressing on the packed family key, count = score slot + 1 */
  fci_bn_entry *map;
  size_t map_cap, map_n;
  double *score;
  fc_bn_family *slot_fam;
  size_t n_slots, cap_slots;
  size_t *pending; /* slots whose families still need counting */
  size_t n_pending, cap_pending;
  uint64_t n_rows;
  bool have_rows;
  fc_bn_learn_stats stats;
} learner;

static void family_key(const fc_bn_family *f, uint64_t *k0, uint64_t *k1) {
  *k0 = ((uint64_t)(uint32_t)f->node << 32) | (uint32_t)f->parents[0];
  *k1 = ((uint64_t)(uint32_t)f->parents[1] << 32) | (uint32_t)f->parents[2];
}

static inline size_t family_hash(uint64_t k0, uint64_t k1) {
  uint64_t h = (k0 * 0x9e3779b97f4a7c15ULL) ^ (k1 * 0xbf58476d1ce4e5b9ULL);
  h ^= h >> 31;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 29;
  return (size_t)h;
}

static fc_status grow_map(learner *L) {
  size_t nc = L->map_cap ? L->map_cap * 2 : 1024;
  fci_bn_entry *nm;
  FC_CALL(fci_calloc(nc, sizeof *nm, &nm));
  for (size_t i = 0; i < L->map_cap; i++) {
    if (L->map[i].count == 0) continue;
    size_t s = family_hash(L->map[i].k0, L->map[i].k1) & (nc - 1);
    while (nm[s].count != 0)
      s = (s + 1) & (nc - 1);
    nm[s] = L->map[i];
  }
  free(L->map);
  L->map = nm;
  L->map_cap = nc;
  return FC_OK;
}

/* The score slot of a family, creating it (score pending) when new. */
static fc_status family_slot(learner *L, const fc_bn_family *f, size_t *slot) {
  if ((L->map_n + 1) * 2 > L->map_cap) FC_CALL(grow_map(L));
  uint64_t k0, k1;
  family_key(f, &k0, &k1);
  size_t s = family_hash(k0, k1) & (L->map_cap - 1);
  while (L->map[s].count != 0) {
    if (L->map[s].k0 == k0 && L->map[s].k1 == k1) {
      *slot = (size_t)L->map[s].count - 1;
      return FC_OK;
    }
    s = (s + 1) & (L->map_cap - 1);
  }
  if (L->n_slots == L->cap_slots) {
    size_t nc = L->cap_slots ? L->cap_slots * 2 : 256;
    FC_CALL(fci_realloc(nc * sizeof *L->score, &L->score));
    FC_CALL(fci_realloc(nc * sizeof *L->slot_fam, &L->slot_fam));
    L->cap_slots = nc;
  }
  if (L->n_pending == L->cap_pending) {
    size_t nc = L->cap_pending ? L->cap_pending * 2 : 256;
    FC_CALL(fci_realloc(nc * sizeof *L->pending, &L->pending));
    L->cap_pending = nc;
  }
  const size_t id = L->n_slots++;
  L->score[id] = NAN;
  L->slot_fam[id] = *f;
  L->pending[L->n_pending++] = id;
  L->map[s].k0 = k0;
  L->map[s].k1 = k1;
  L->map[s].count = (uint64_t)id + 1;
  L->map_n++;
  *slot = id;
  return FC_OK;
}

/* Counts and scores every pending family, max_batch families per callback. */
static fc_status flush_pending(learner *L) {
  size_t done = 0;
  fc_status st = FC_OK;
  fc_bn_family *fams = NULL;
  fc_bn_counts **tabs = NULL;
  double *sc = NULL;
  const size_t cap = L->opts.max_batch < L->n_pending ? L->opts.max_batch : L->n_pending;
  if (cap == 0) return FC_OK;
  FC_CALL_GOTO(st, fci_malloc(cap * sizeof *fams, &fams), out);
  FC_CALL_GOTO(st, fci_calloc(cap, sizeof *tabs, &tabs), out);
  FC_CALL_GOTO(st, fci_malloc(cap * sizeof *sc, &sc), out);
  while (done < L->n_pending) {
    size_t b = L->n_pending - done;
    if (b > cap) b = cap;
    for (size_t i = 0; i < b; i++)
      fams[i] = L->slot_fam[L->pending[done + i]];
    if (L->opts.score) {
      uint64_t rows = 0;
      FC_CALL_GOTO(st, L->opts.score(L->ctx, b, fams, L->card, sc, &rows), out);
      L->stats.count_calls++;
      L->stats.families_counted += b;
      if (!L->have_rows) {
        L->n_rows = rows;
        L->have_rows = true;
      }
      if (rows != L->n_rows) {
        st = FC_ERROR(FC_ERR_STATE, "families scored over %llu rows, expected %llu",
                      (unsigned long long)rows, (unsigned long long)L->n_rows);
        goto out;
      }
      for (size_t i = 0; i < b; i++) L->score[L->pending[done + i]] = sc[i];
      done += b;
      continue;
    }
    FC_CALL_GOTO(st, L->count(L->ctx, b, fams, tabs), out);
    L->stats.count_calls++;
    L->stats.families_counted += b;
    for (size_t i = 0; i < b; i++) {
      if (!tabs[i] || !fc_bn_family_equal(&tabs[i]->fam, &fams[i])) {
        st = FC_ERROR(FC_ERR_STATE, "the count callback returned a wrong table for node %d",
                      fams[i].node);
        goto out;
      }
      if (!L->have_rows) {
        L->n_rows = tabs[i]->total;
        L->have_rows = true;
      }
      if (tabs[i]->total != L->n_rows) {
        st = FC_ERROR(FC_ERR_STATE, "family of node %d counts %llu rows, expected %llu",
                      fams[i].node, (unsigned long long)tabs[i]->total,
                      (unsigned long long)L->n_rows);
        goto out;
      }
    }
    fc_bn_counts_bic_batch(b, tabs, L->card, L->n_rows, sc);
    for (size_t i = 0; i < b; i++) {
      L->score[L->pending[done + i]] = sc[i];
      fc_bn_counts_destroy(&tabs[i]);
    }
    done += b;
  }
  L->n_pending = 0;
out:
  if (tabs)
    for (size_t i = 0; i < cap; i++)
      fc_bn_counts_destroy(&tabs[i]);
  free(tabs);
  free(fams);
  free(sc);
  return st;
}

static fc_bn_family family_plus(const fc_bn_family *f, int p) {
  fc_bn_family g = *f;
  g.parents[g.n_parents++] = p;
  (void)fci_bn_family_check(&g); /* sorts; the caller keeps it valid */
  return g;
}

static fc_bn_family family_minus(const fc_bn_family *f, int p) {
  fc_bn_family g = *f;
  int k = 0;
  for (int i = 0; i < f->n_parents; i++)
    if (f->parents[i] != p) g.parents[k++] = f->parents[i];
  g.n_parents = k;
  for (int i = k; i < FC_BN_MAX_PARENTS; i++)
    g.parents[i] = -1;
  return g;
}

/* reach[s * m + t] = 1 when a directed path of length >= 1 leads from s to t. Fills nodes in
 * reverse topological order so each node ORs in its children's rows. */
static void reachability(int m, const uint8_t *adj, uint8_t *reach, int *order, int *indeg) {
  const size_t mm = (size_t)m;
  (void)topo_sort(m, adj, order, indeg);
  memset(reach, 0, mm * mm);
  for (int i = m - 1; i >= 0; i--) {
    const size_t s = (size_t)order[i];
    for (size_t c = 0; c < mm; c++) {
      if (!adj[s * mm + c]) continue;
      reach[s * mm + c] = 1;
      for (size_t t = 0; t < mm; t++)
        reach[s * mm + t] |= reach[c * mm + t];
    }
  }
}

static fc_status push_op(op **ops, size_t *n, size_t *cap, op o) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 256;
    FC_CALL(fci_realloc(nc * sizeof **ops, ops));
    *cap = nc;
  }
  (*ops)[(*n)++] = o;
  return FC_OK;
}

fc_status fc_bn_learn(int m, const uint32_t *card, const fc_bn_learn_opts *opts,
                      fc_bn_count_fn count, void *ctx, fc_bn **out, fc_bn_learn_stats *stats) {
  learner L;
  memset(&L, 0, sizeof L);
  L.m = m;
  L.card = card;
  L.count = count;
  L.ctx = ctx;
  if (opts)
    L.opts = *opts;
  else
    fc_bn_learn_opts_default(&L.opts);
  if (m < 0) return FC_ERROR(FC_ERR_ARG, "negative node count %d", m);
  if (L.opts.max_indegree < 0 || L.opts.max_indegree > FC_BN_MAX_PARENTS)
    return FC_ERROR(FC_ERR_ARG, "max in-degree %d outside [0, %d]", L.opts.max_indegree,
                    FC_BN_MAX_PARENTS);
  if (L.opts.max_batch == 0) L.opts.max_batch = 1;
  for (int v = 0; v < m; v++)
    if (card[v] < 1) return FC_ERROR(FC_ERR_ARG, "variable %d has cardinality 0", v);

  const size_t mm = (size_t)m;
  fc_status st = FC_OK;
  fc_bn_family *fam = NULL;
  double *cur = NULL;
  uint8_t *adj = NULL, *reach = NULL;
  int *order = NULL, *indeg = NULL;
  size_t *slot_now = NULL;
  op *ops = NULL;
  size_t n_ops = 0, cap_ops = 0;
  FC_CALL_GOTO(st, fci_calloc(mm, sizeof *fam, &fam), done);
  FC_CALL_GOTO(st, fci_calloc(mm, sizeof *cur, &cur), done);
  FC_CALL_GOTO(st, fci_calloc(mm * mm, 1, &adj), done);
  FC_CALL_GOTO(st, fci_calloc(mm * mm, 1, &reach), done);
  FC_CALL_GOTO(st, fci_calloc(mm, sizeof *order, &order), done);
  FC_CALL_GOTO(st, fci_calloc(mm, sizeof *indeg, &indeg), done);
  FC_CALL_GOTO(st, fci_calloc(mm, sizeof *slot_now, &slot_now), done);
  for (int v = 0; v < m; v++) {
    FC_CALL_GOTO(st, fc_bn_family_set(&fam[v], v, NULL, 0), done);
    FC_CALL_GOTO(st, family_slot(&L, &fam[v], &slot_now[v]), done);
  }
  FC_CALL_GOTO(st, flush_pending(&L), done);
  for (int v = 0; v < m; v++)
    cur[v] = L.score[slot_now[v]];

  const int maxdeg = L.opts.max_indegree;
  while (L.stats.steps < L.opts.max_steps) {
    reachability(m, adj, reach, order, indeg);
    n_ops = 0;
    /* Enumerated in canonical (type, from, to) order; ties go to the first. */
    for (int u = 0; u < m; u++)
      for (int v = 0; v < m; v++) {
        if (u == v || adj[(size_t)u * mm + (size_t)v] || adj[(size_t)v * mm + (size_t)u]) continue;
        if (fam[v].n_parents >= maxdeg || reach[(size_t)v * mm + (size_t)u]) continue;
        fc_bn_family g = family_plus(&fam[v], u);
        op o = {OP_ADD, u, v, 0, 0};
        FC_CALL_GOTO(st, family_slot(&L, &g, &o.a), done);
        FC_CALL_GOTO(st, push_op(&ops, &n_ops, &cap_ops, o), done);
      }
    for (int u = 0; u < m; u++)
      for (int v = 0; v < m; v++) {
        if (!adj[(size_t)u * mm + (size_t)v]) continue;
        fc_bn_family g = family_minus(&fam[v], u);
        op o = {OP_REMOVE, u, v, 0, 0};
        FC_CALL_GOTO(st, family_slot(&L, &g, &o.a), done);
        FC_CALL_GOTO(st, push_op(&ops, &n_ops, &cap_ops, o), done);
      }
    for (int u = 0; u < m; u++)
      for (int v = 0; v < m; v++) {
        if (!adj[(size_t)u * mm + (size_t)v] || fam[u].n_parents >= maxdeg) continue;
        bool other_path = false; /* u -> w ->...-> v with w != v makes v -> u a cycle */
        for (int w = 0; w < m && !other_path; w++)
          other_path =
              w != v && adj[(size_t)u * mm + (size_t)w] && reach[(size_t)w * mm + (size_t)v];
        if (other_path) continue;
        fc_bn_family gv = family_minus(&fam[v], u), gu = family_plus(&fam[u], v);
        op o = {OP_REVERSE, u, v, 0, 0};
        FC_CALL_GOTO(st, family_slot(&L, &gv, &o.a), done);
        FC_CALL_GOTO(st, family_slot(&L, &gu, &o.b), done);
        FC_CALL_GOTO(st, push_op(&ops, &n_ops, &cap_ops, o), done);
      }
    FC_CALL_GOTO(st, flush_pending(&L), done);

    double best = -INFINITY, total = 0.0;
    for (int v = 0; v < m; v++)
      total += cur[v];
    for (size_t i = 0; i < n_ops; i++) {
      const op *o = &ops[i];
      double d = L.score[o->a] - cur[o->to];
      if (o->type == OP_REVERSE) d += L.score[o->b] - cur[o->from];
      if (d > best) best = d;
    }
    if (!(best > L.opts.min_gain)) break;
    const double tie = 1e-11 * (1.0 + fabs(total));
    const op *pick = NULL;
    for (size_t i = 0; i < n_ops && !pick; i++) {
      const op *o = &ops[i];
      double d = L.score[o->a] - cur[o->to];
      if (o->type == OP_REVERSE) d += L.score[o->b] - cur[o->from];
      if (d >= best - tie && d > L.opts.min_gain) pick = o;
    }
    const int u = pick->from, v = pick->to;
    switch (pick->type) {
    case OP_ADD:
      fam[v] = family_plus(&fam[v], u);
      adj[(size_t)u * mm + (size_t)v] = 1;
      cur[v] = L.score[pick->a];
      break;
    case OP_REMOVE:
      fam[v] = family_minus(&fam[v], u);
      adj[(size_t)u * mm + (size_t)v] = 0;
      cur[v] = L.score[pick->a];
      break;
    default:
      fam[v] = family_minus(&fam[v], u);
      fam[u] = family_plus(&fam[u], v);
      adj[(size_t)u * mm + (size_t)v] = 0;
      adj[(size_t)v * mm + (size_t)u] = 1;
      cur[v] = L.score[pick->a];
      cur[u] = L.score[pick->b];
      break;
    }
    L.stats.steps++;
  }

  FC_CALL_GOTO(st, fc_bn_create_counted(m, card, fam, count, ctx, out), done);
  L.stats.count_calls += m > 0;
  L.stats.bic = 0.0;
  for (int v = 0; v < m; v++)
    L.stats.bic += cur[v];
  if (stats) *stats = L.stats;
done:
  free(slot_now);
  free(fam);
  free(cur);
  free(adj);
  free(reach);
  free(order);
  free(indeg);
  free(ops);
  free(L.map);
  free(L.score);
  free(L.slot_fam);
  free(L.pending);
  return st;
}
