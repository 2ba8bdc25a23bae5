/* Candidate generation, quick scores and the accept-first search loop. */
#include "flowchronicle/search.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/dist.h"
#include "flowchronicle/log.h"
#include "flowchronicle/wcache.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static volatile sig_atomic_t stop_flag = 0;
void fc_search_request_stop(void) { stop_flag = 1; }
bool fc_search_stop_requested(void) { return stop_flag != 0; }

void fc_search_options_default(fc_search_options *o) {
  memset(o, 0, sizeof *o);
  o->max_rejections = 20;
  o->progress_interval_s = 5;
  o->max_rows = FC_MAX_PROWS;
  o->single_cell_top = 16;
  o->checkpoint_interval_s = 10;
  o->min_support = 2;
  o->window_cache_bytes = (uint64_t)1024 << 20;
}

void fc_search_state_free(fc_search_state *s) {
  free(s->tested);
  memset(s, 0, sizeof *s);
}

static bool is_ip(int c) { return c == FC_COL_SRC_IP || c == FC_COL_DST_IP; }

/* ---------------------------------------------------------------- candidate lists */

typedef struct cand {
  fc_pattern p;
  uint64_t hash;
  uint64_t ub;    /* upper bound of the quick score */
  uint64_t quick; /* exact quick score once evaluated */
  uint64_t fhash; /* hash of the pattern with its constants folded, once evaluated */
  bool exact;
} cand;

typedef struct cand_list {
  cand *v;
  size_t n, cap;
  /* open-addressing set of hashes already in the list */
  uint64_t *set;
  size_t set_cap;
} cand_list;

static void cands_free(cand_list *l) {
  free(l->v);
  free(l->set);
  memset(l, 0, sizeof *l);
}

static bool hashset_has(const uint64_t *set, size_t cap, uint64_t h) {
  if (!cap) return false;
  h |= 1; /* 0 marks an empty slot */
  for (size_t i = (size_t)(h * 0x9E3779B97F4A7C15ULL) & (cap - 1);; i = (i + 1) & (cap - 1)) {
    if (set[i] == 0) return false;
    if (set[i] == h) return true;
  }
}

static fc_status hashset_add(uint64_t **set, size_t *cap, size_t n_after, uint64_t h) {
  if (n_after * 2 > *cap) {
    size_t nc = *cap ? *cap * 2 : 1024;
    while (n_after * 2 > nc) nc *= 2;
    uint64_t *ns;
    FC_CALL(fci_calloc(nc, sizeof *ns, &ns));
    for (size_t i = 0; i < *cap; i++)
      if ((*set)[i]) {
        size_t j = (size_t)((*set)[i] * 0x9E3779B97F4A7C15ULL) & (nc - 1);
        while (ns[j]) j = (j + 1) & (nc - 1);
        ns[j] = (*set)[i];
      }
    free(*set);
    *set = ns;
    *cap = nc;
  }
  h |= 1;
  size_t i = (size_t)(h * 0x9E3779B97F4A7C15ULL) & (*cap - 1);
  while ((*set)[i] && (*set)[i] != h) i = (i + 1) & (*cap - 1);
  (*set)[i] = h;
  return FC_OK;
}

typedef struct gen_ctx {
  const fc_mdata *md;
  const fc_model *m;
  const fc_search_state *s;
  const fc_search_options *o;
  uint64_t *model_hashes;
  size_t n_model;
} gen_ctx;

static bool tested_has(const fc_search_state *s, uint64_t h) {
  size_t lo = 0, hi = s->n_tested;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->tested[mid] < h) lo = mid + 1; else hi = mid;
  }
  return lo < s->n_tested && s->tested[lo] == h;
}

static fc_status tested_add(fc_search_state *s, uint64_t h) {
  if (tested_has(s, h)) return FC_OK;
  FC_CALL(fci_realloc((s->n_tested + 1) * sizeof *s->tested, &s->tested));
  size_t i = s->n_tested;
  while (i > 0 && s->tested[i - 1] > h) {
    s->tested[i] = s->tested[i - 1];
    i--;
  }
  s->tested[i] = h;
  s->n_tested++;
  return FC_OK;
}

/* Upper bound of the quick score: disjoint windows use distinct rows in every row position, so
 * their number is at most the smallest posting list among any row's FIX cells. */
static uint64_t quick_bound(const fc_mdata *md, const fc_pattern *p) {
  uint64_t best = md->global_n;
  for (int r = 0; r < p->n_rows; r++)
    for (int c = 0; c < md->n_cols; c++)
      if (p->cell[r][c].kind == FC_CELL_FIX) {
        uint64_t n = md->global_count[c][p->cell[r][c].arg];
        if (n < best) best = n;
      }
  return best * (uint64_t)fc_pattern_covered_cells(p, md->n_cols);
}

/* Adds a candidate unless invalid, known, tested or already in the model. ub_hint: a known
 * upper bound of its quick score (0: derive one from the posting lists). */
static fc_status offer(cand_list *l, const gen_ctx *g, fc_pattern p, uint64_t ub_hint) {
  fc_pattern_canonical(&p);
  if (p.n_rows > g->o->max_rows || !fc_pattern_valid(&p, g->md->n_cols)) return FC_OK;
  uint64_t h = fc_pattern_hash(&p);
  if (hashset_has(l->set, l->set_cap, h) || tested_has(g->s, h)) return FC_OK;
  for (size_t k = 0; k < g->n_model; k++)
    if (g->model_hashes[k] == h) return FC_OK;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 1024;
    FC_CALL(fci_realloc(cap * sizeof *l->v, &l->v));
    l->cap = cap;
  }
  FC_CALL(hashset_add(&l->set, &l->set_cap, l->n + 1, h));
  cand *c = &l->v[l->n++];
  c->p = p;
  c->hash = h;
  c->exact = false;
  c->quick = 0;
  c->ub = ub_hint ? ub_hint : quick_bound(g->md, &p);
  return FC_OK;
}

/* ---------------------------------------------------------------- family 1 */

typedef struct pair_count {
  uint64_t key;
  uint64_t count;
} pair_count;

static int u64_cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Sorted (key, count) pairs of every rank merged into one sorted list with summed counts:
 * the gathered list is sorted by key and equal keys are added. */
static int pair_cmp(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  return (x[0] > y[0]) - (x[0] < y[0]);
}

static fc_status merge_counts(MPI_Comm comm, uint64_t *pairs, size_t n, uint64_t **out,
                              size_t *n_out) {
  uint64_t *all = NULL;
  size_t na = 0;
  FC_CALL(fc_dist_allgatherv_u64(comm, pairs, 2 * n, &all, &na));
  qsort(all, na / 2, 2 * sizeof *all, pair_cmp);
  size_t k = 0;
  for (size_t i = 0; i < na / 2; i++) {
    if (k > 0 && all[2 * (k - 1)] == all[2 * i]) {
      all[2 * (k - 1) + 1] += all[2 * i + 1];
    } else {
      all[2 * k] = all[2 * i];
      all[2 * k + 1] = all[2 * i + 1];
      k++;
    }
  }
  *out = all;
  *n_out = k;
  return FC_OK;
}

/* Every co-occurring value pair of two non-IP columns, counted by sorting packed keys over each
 * rank's block and merging the ranks' counts. The list does not depend on the model, so it is
 * made once. */
static fc_status family1(const gen_ctx *g, cand_list *out) {
  const fc_mdata *md = g->md;
  uint64_t *keys, *pairs = NULL;
  size_t n = md->n_own;
  FC_CALL(fci_malloc((n ? n : 1) * sizeof *keys, &keys));
  fc_status st = fci_malloc((2 * n + 2) * sizeof *pairs, &pairs);
  for (int a = 0; a < md->n_cols && st == FC_OK; a++)
    for (int b = a + 1; b < md->n_cols && st == FC_OK; b++) {
      if (is_ip(a) || is_ip(b)) continue;
      for (size_t i = 0; i < n; i++) keys[i] = (uint64_t)md->codes[a][i] << 32 | md->codes[b][i];
      qsort(keys, n, sizeof *keys, u64_cmp);
      size_t np = 0;
      for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && keys[j] == keys[i]) j++;
        pairs[2 * np] = keys[i];
        pairs[2 * np + 1] = j - i;
        np++;
        i = j;
      }
      uint64_t *merged = NULL;
      size_t nm = 0;
      st = merge_counts(md->comm, pairs, np, &merged, &nm);
      for (size_t i = 0; i < nm && st == FC_OK; i++) {
        if (merged[2 * i + 1] < g->o->min_support) continue;
        fc_pattern p;
        fc_pattern_init(&p, 1);
        p.cell[0][a] = (fc_cell){FC_CELL_FIX, (uint32_t)(merged[2 * i] >> 32)};
        p.cell[0][b] = (fc_cell){FC_CELL_FIX, (uint32_t)merged[2 * i]};
        st = offer(out, g, p, merged[2 * i + 1] * 2);
      }
      free(merged);
    }
  free(keys);
  free(pairs);
  return st;
}

/* ---------------------------------------------------------------- families 2-5 */

static int u32_cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* One more FIX cell: every non-IP value seen in at least min_support of the pattern's windows
 * (over all ranks) in a free cell. Keys pack (pattern, row, column, value). */
static fc_status family2(const gen_ctx *g, cand_list *out) {
  const fc_mdata *md = g->md;
  fc_status st = FC_OK;
  uint64_t *pairs = NULL;
  size_t np = 0, cap = 0;
  for (size_t k = 0; k < g->n_model && st == FC_OK; k++) {
    const fc_pattern *p = fc_model_pattern(g->m, k);
    const fc_windows *u = fc_model_used(g->m, k);
    if (fc_model_usage(g->m, k) < g->o->min_support) continue;
    uint32_t *vals;
    FC_CALL(fci_malloc((u->n ? u->n : 1) * sizeof *vals, &vals));
    for (int r = 0; r < p->n_rows && st == FC_OK; r++)
      for (int c = 0; c < md->n_cols && st == FC_OK; c++) {
        if (is_ip(c) || p->cell[r][c].kind != FC_CELL_FREE) continue;
        for (size_t w = 0; w < u->n; w++)
          vals[w] = md->codes[c][u->ids[w * (size_t)u->n_rows + (size_t)r]];
        qsort(vals, u->n, sizeof *vals, u32_cmp);
        for (size_t i = 0; i < u->n && st == FC_OK;) {
          size_t j = i;
          while (j < u->n && vals[j] == vals[i]) j++;
          if (np == cap) {
            cap = cap ? 2 * cap : 1024;
            st = fci_realloc(2 * cap * sizeof *pairs, &pairs);
            if (st != FC_OK) break;
          }
          pairs[2 * np] = (uint64_t)k << 40 | (uint64_t)r << 36 | (uint64_t)c << 32 | vals[i];
          pairs[2 * np + 1] = j - i;
          np++;
          i = j;
        }
      }
    free(vals);
  }
  uint64_t *merged = NULL;
  size_t nm = 0;
  if (st == FC_OK) st = merge_counts(md->comm, pairs, np, &merged, &nm);
  for (size_t i = 0; i < nm && st == FC_OK; i++) {
    if (merged[2 * i + 1] < g->o->min_support) continue;
    uint64_t key = merged[2 * i];
    size_t k = (size_t)(key >> 40);
    int r = (int)(key >> 36 & 15), c = (int)(key >> 32 & 15);
    fc_pattern q = *fc_model_pattern(g->m, k);
    q.cell[r][c] = (fc_cell){FC_CELL_FIX, (uint32_t)key};
    st = offer(out, g, q, 0);
  }
  free(merged);
  free(pairs);
  return st;
}

/* Placeholders on the IP columns. */
static fc_status family3(const gen_ctx *g, cand_list *out) {
  const int ips[2] = {FC_COL_SRC_IP, FC_COL_DST_IP};
  fc_status st = FC_OK;
  for (size_t k = 0; k < g->n_model && st == FC_OK; k++) {
    const fc_pattern *p = fc_model_pattern(g->m, k);
    int R = p->n_rows;
    for (int i = 0; i < R && st == FC_OK; i++)
      for (int ai = 0; ai < 2 && st == FC_OK; ai++) {
        int a = ips[ai];
        const fc_cell *x = &p->cell[i][a];
        if (x->kind != FC_CELL_SET && x->kind != FC_CELL_FREE) continue;
        if (x->kind == FC_CELL_FREE && p->n_vars >= FC_MAX_VARS) continue;
        uint32_t var = x->kind == FC_CELL_SET ? x->arg : p->n_vars;
        fc_pattern base = *p;
        base.cell[i][a] = (fc_cell){FC_CELL_SET, var};
        /* a USE in a later existing row */
        for (int j = i + 1; j < R && st == FC_OK; j++)
          for (int bi = 0; bi < 2 && st == FC_OK; bi++) {
            int b = ips[bi];
            if (base.cell[j][b].kind != FC_CELL_FREE) continue;
            fc_pattern q = base;
            q.cell[j][b] = (fc_cell){FC_CELL_USE, var};
            st = offer(out, g, q, 0);
          }
        /* a new last row holding only the USE */
        if (R < g->o->max_rows)
          for (int bi = 0; bi < 2 && st == FC_OK; bi++) {
            fc_pattern q = base;
            q.n_rows = (uint8_t)(R + 1);
            memset(q.cell[R], 0, sizeof q.cell[R]);
            q.cell[R][ips[bi]] = (fc_cell){FC_CELL_USE, var};
            st = offer(out, g, q, 0);
          }
      }
  }
  return st;
}

static bool single_row_plain(const fc_pattern *p, int n_cols) {
  if (p->n_rows != 1) return false;
  for (int c = 0; c < n_cols; c++)
    if (p->cell[0][c].kind == FC_CELL_SET || p->cell[0][c].kind == FC_CELL_USE) return false;
  return true;
}

/* Merges of two single-row model patterns. */
static fc_status family4(const gen_ctx *g, cand_list *out) {
  int C = g->md->n_cols;
  fc_status st = FC_OK;
  for (size_t a = 0; a < g->n_model && st == FC_OK; a++) {
    const fc_pattern *pa = fc_model_pattern(g->m, a);
    if (!single_row_plain(pa, C)) continue;
    for (size_t b = a + 1; b < g->n_model && st == FC_OK; b++) {
      const fc_pattern *pb = fc_model_pattern(g->m, b);
      if (!single_row_plain(pb, C)) continue;
      fc_pattern q = *pa;
      bool ok = true;
      for (int c = 0; c < C && ok; c++) {
        const fc_cell *y = &pb->cell[0][c];
        if (y->kind != FC_CELL_FIX) continue;
        if (q.cell[0][c].kind == FC_CELL_FIX && q.cell[0][c].arg != y->arg) ok = false;
        q.cell[0][c] = *y;
      }
      if (ok) st = offer(out, g, q, 0);
    }
  }
  return st;
}

/* Appends B's rows after A's, B's variables renumbered after A's. */
static bool concat(const fc_pattern *A, const fc_pattern *B, int max_rows, fc_pattern *q) {
  if (A->n_rows + B->n_rows > max_rows || A->n_vars + B->n_vars > FC_MAX_VARS) return false;
  *q = *A;
  q->n_rows = (uint8_t)(A->n_rows + B->n_rows);
  for (int r = 0; r < B->n_rows; r++)
    for (int c = 0; c < FC_NCOLS; c++) {
      fc_cell y = B->cell[r][c];
      if (y.kind == FC_CELL_SET || y.kind == FC_CELL_USE) y.arg += A->n_vars;
      q->cell[A->n_rows + r][c] = y;
    }
  q->n_vars = (uint8_t)(A->n_vars + B->n_vars);
  return true;
}

/* Concatenations A.B linked through the IP columns. B ranges over the model's patterns and the
 * single-cell patterns of the most frequent values of each non-IP column. */
static fc_status family5(const gen_ctx *g, cand_list *out) {
  const fc_mdata *md = g->md;
  const int ips[2] = {FC_COL_SRC_IP, FC_COL_DST_IP};
  size_t n_single = 0;
  fc_pattern *singles;
  FC_CALL(fci_malloc((size_t)md->n_cols * (size_t)g->o->single_cell_top * sizeof *singles + 1,
                     &singles));
  for (int c = 0; c < md->n_cols; c++) {
    if (is_ip(c)) continue;
    /* the most frequent codes of the column (posting list lengths), ties by code */
    for (int t = 0; t < g->o->single_cell_top; t++) {
      uint32_t best = UINT32_MAX;
      uint64_t best_n = 0;
      for (uint32_t v = 0; v < md->domain[c]; v++) {
        uint64_t n = md->global_count[c][v];
        bool taken = false;
        for (size_t s = 0; s < n_single && !taken; s++)
          taken = singles[s].cell[0][c].kind == FC_CELL_FIX && singles[s].cell[0][c].arg == v;
        if (!taken && n > best_n) {
          best = v;
          best_n = n;
        }
      }
      if (best == UINT32_MAX || best_n < g->o->min_support) break;
      fc_pattern_init(&singles[n_single], 1);
      singles[n_single].cell[0][c] = (fc_cell){FC_CELL_FIX, best};
      n_single++;
    }
  }
  fc_status st = FC_OK;
  size_t nb = g->n_model + n_single;
  for (size_t a = 0; a < g->n_model && st == FC_OK; a++) {
    const fc_pattern *A = fc_model_pattern(g->m, a);
    for (size_t b = 0; b < nb && st == FC_OK; b++) {
      const fc_pattern *B = b < g->n_model ? fc_model_pattern(g->m, b) : &singles[b - g->n_model];
      fc_pattern q;
      if (!concat(A, B, g->o->max_rows, &q)) continue;
      int Ra = A->n_rows;
      /* a shared IP value: both sides FIX the same address */
      bool shared_value = false;
      for (int i = 0; i < Ra && !shared_value; i++)
        for (int ai = 0; ai < 2 && !shared_value; ai++)
          for (int j = 0; j < B->n_rows && !shared_value; j++)
            for (int bi = 0; bi < 2 && !shared_value; bi++) {
              const fc_cell *x = &A->cell[i][ips[ai]], *y = &B->cell[j][ips[bi]];
              shared_value = x->kind == FC_CELL_FIX && y->kind == FC_CELL_FIX && x->arg == y->arg;
            }
      if (shared_value) st = offer(out, g, q, 0);
      /* a shared variable: a SET (existing or new) in A, a USE in B */
      for (int i = 0; i < Ra && st == FC_OK; i++)
        for (int ai = 0; ai < 2 && st == FC_OK; ai++) {
          const fc_cell *x = &q.cell[i][ips[ai]];
          if (x->kind != FC_CELL_SET && x->kind != FC_CELL_FREE) continue;
          if (x->kind == FC_CELL_FREE && q.n_vars >= FC_MAX_VARS) continue;
          uint32_t var = x->kind == FC_CELL_SET ? x->arg : q.n_vars;
          for (int j = Ra; j < q.n_rows && st == FC_OK; j++)
            for (int bi = 0; bi < 2 && st == FC_OK; bi++) {
              if (q.cell[j][ips[bi]].kind != FC_CELL_FREE) continue;
              fc_pattern z = q;
              z.cell[i][ips[ai]] = (fc_cell){FC_CELL_SET, var};
              z.cell[j][ips[bi]] = (fc_cell){FC_CELL_USE, var};
              st = offer(out, g, z, 0);
            }
        }
    }
  }
  free(singles);
  return st;
}

/* ---------------------------------------------------------------- ordering */

static int cand_order(const cand *a, const cand *b, bool by_ub) {
  uint64_t x = by_ub ? a->ub : a->quick, y = by_ub ? b->ub : b->quick;
  if (x != y) return x > y ? -1 : 1;
  return fc_pattern_cmp(&a->p, &b->p);
}
static int cand_cmp_ub(const void *a, const void *b) { return cand_order(a, b, true); }

/* Exact quick scores of candidates [from, to): their windows in parallel (each candidate alone,
 * so the result does not depend on the thread count), then the placement, which is collective
 * over the ranks and so runs outside the parallel region. Windows and folded patterns come from
 * the cache when it has them (the same hits on every rank, wcache.h); new ones are stored,
 * charged with their window count summed over the ranks. */
static fc_status evaluate_quick(const fc_mdata *md, int64_t max_span, const int64_t *row_score,
                                fc_wcache *cache, cand *v, size_t from, size_t to) {
  fc_status st = FC_OK;
  size_t n = to - from;
  fc_windows *w = NULL;
  const fc_wcache_entry **hit = NULL;
  fc_pattern *folded = NULL;
  int *cells = NULL;
  uint64_t *global_n = NULL; /* windows over all ranks per candidate; [n]: failures */
  FC_CALL_GOTO(st, fci_calloc(n ? n : 1, sizeof *w, &w), out);
  FC_CALL_GOTO(st, fci_calloc(n ? n : 1, sizeof *hit, &hit), out);
  FC_CALL_GOTO(st, fci_calloc(n ? n : 1, sizeof *folded, &folded), out);
  FC_CALL_GOTO(st, fci_calloc(n ? n : 1, sizeof *cells, &cells), out);
  FC_CALL_GOTO(st, fci_calloc(n + 1, sizeof *global_n, &global_n), out);
  for (size_t i = 0; i < n; i++)
    if (!v[from + i].exact && cache) hit[i] = fc_wcache_get(cache, v[from + i].hash);
  fc_status err = FC_OK;
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t i = 0; i < n; i++) {
    if (v[from + i].exact || hit[i]) continue;
    fc_status s2 = fc_find_windows(md, &v[from + i].p, max_span, 0, md->n_own, &w[i]);
    if (s2 != FC_OK) {
#pragma omp critical(fc_quick_err)
      err = s2;
      continue;
    }
  }
  /* Ranks agree on failure before the collective placement, and sum the window counts. */
  for (size_t i = 0; i < n; i++) global_n[i] = w[i].n;
  global_n[n] = err != FC_OK;
  FC_CALL_GOTO(st, fc_dist_sum_u64(md->comm, global_n, n + 1), out);
  if (global_n[n]) {
    st = FC_ERROR(err != FC_OK ? err : FC_ERR_MPI, "finding candidate windows failed%s",
                  err != FC_OK ? "" : " on another rank");
    goto out;
  }
  for (size_t i = 0; i < n && st == FC_OK; i++) {
    if (v[from + i].exact) continue;
    const fc_windows *wi = &w[i];
    if (hit[i]) {
      folded[i] = hit[i]->folded;
      cells[i] = hit[i]->covered_cells;
      wi = &hit[i]->windows;
    } else {
      /* Scored with the cells it will have once its constants are folded. */
      folded[i] = v[from + i].p;
      bool changed;
      st = fc_pattern_fold(md, &w[i], &folded[i], &changed);
      if (st != FC_OK) break;
      cells[i] = fc_pattern_covered_cells(&folded[i], md->n_cols);
    }
    v[from + i].fhash = fc_pattern_hash(&folded[i]);
    uint64_t placed = 0;
    st = fc_windows_placeable(md, wi, cells[i], row_score, &placed);
    v[from + i].quick = placed * (uint64_t)cells[i];
    v[from + i].exact = true;
  }
  /* Store the new windows (after every use of hit[]: a store may evict). */
  for (size_t i = 0; i < n && st == FC_OK && cache; i++) {
    if (hit[i] || !v[from + i].exact || !w[i].n_rows) continue;
    uint64_t per_rank = (global_n[i] + (uint64_t)md->size - 1) / (uint64_t)md->size;
    uint64_t charge = sizeof(fc_wcache_entry) + per_rank * (uint64_t)w[i].n_rows * sizeof(uint32_t);
    st = fc_wcache_put(cache, v[from + i].hash, &w[i], &folded[i], cells[i], charge);
  }
out:
  for (size_t i = 0; w && i < n; i++) fc_windows_free(&w[i]);
  free(w);
  free(hit);
  free(folded);
  free(cells);
  free(global_n);
  return st;
}

/* Emits candidates in decreasing exact quick score without computing all of them: the list is
 * sorted by upper bound, and a candidate is emitted once its exact score is at least the bound
 * of every candidate not yet computed. */
typedef struct cand_iter {
  cand_list *l;
  fc_wcache *cache; /* may be NULL */
  size_t evaluated; /* candidates [0, evaluated) have exact scores */
  size_t *pending;
  size_t n_pending;
  size_t batch;
} cand_iter;

static fc_status iter_init(cand_iter *it, cand_list *l, fc_wcache *cache) {
  memset(it, 0, sizeof *it);
  it->l = l;
  it->cache = cache;
  /* Small batches: an iteration often ends after a few tests, and each exact score costs a
   * window search. Enough candidates per batch to keep every thread busy. */
#ifdef _OPENMP
  it->batch = 4 * (size_t)omp_get_max_threads();
#else
  it->batch = 4;
#endif
  if (it->batch < 8) it->batch = 8;
  if (l->n) qsort(l->v, l->n, sizeof *l->v, cand_cmp_ub);
  return fci_malloc((l->n ? l->n : 1) * sizeof *it->pending, &it->pending);
}

static void iter_free(cand_iter *it) { free(it->pending); }

/* *out = index of the next candidate, or SIZE_MAX when none is left. */
static fc_status iter_next(cand_iter *it, const fc_mdata *md, int64_t max_span,
                           const int64_t *row_score, size_t *out) {
  cand *v = it->l->v;
  for (;;) {
    size_t best = SIZE_MAX, best_at = 0;
    for (size_t i = 0; i < it->n_pending; i++) {
      size_t k = it->pending[i];
      if (best == SIZE_MAX || cand_order(&v[k], &v[best], false) < 0) {
        best = k;
        best_at = i;
      }
    }
    bool all_done = it->evaluated >= it->l->n;
    if (best != SIZE_MAX && (all_done || v[best].quick >= v[it->evaluated].ub)) {
      it->pending[best_at] = it->pending[--it->n_pending];
      *out = best;
      return FC_OK;
    }
    if (all_done) {
      *out = SIZE_MAX;
      return FC_OK;
    }
    size_t to = it->evaluated + it->batch < it->l->n ? it->evaluated + it->batch : it->l->n;
    FC_CALL(evaluate_quick(md, max_span, row_score, it->cache, v, it->evaluated, to));
    for (size_t k = it->evaluated; k < to; k++)
      if (v[k].quick > 0) it->pending[it->n_pending++] = k;
    it->evaluated = to;
  }
}

/* ---------------------------------------------------------------- the loop */

typedef struct run_ctx {
  fc_model *m;
  const fc_mdata *md;
  const fc_search_options *o;
  fc_search_state *s;
  int64_t max_span;
  fc_progress prog;
  double t_start, s_start;
  double last_checkpoint;
  size_t tested_this_run;
  bool stop;
  const char *stop_reason;
  fc_wcache *wcache;
} run_ctx;

static double model_total(const fc_model *m) {
  fc_model_bits b;
  fc_model_get_bits(m, &b);
  return b.total;
}

static void progress_line(run_ctx *r, const char *what) {
  fc_model_bits b;
  fc_model_get_bits(r->m, &b);
  double el = fc_now() - r->t_start;
  r->s->seconds = r->s_start + el;
  fc_log_info("%s iteration %ld phase %d: %zu patterns, %.0f bits (%.2f%% of the empty model), "
              "%zu candidates tested (%.1f/s), %.0f s",
              what, r->s->iteration, r->s->phase, fc_model_n_patterns(r->m), b.total,
              b.empty > 0 ? 100.0 * b.total / b.empty : 100.0, r->s->n_tested,
              el > 0 ? (double)r->tested_this_run / el : 0.0, r->s->seconds);
}

/* Collective: every rank stops together when any rank got a signal or ran out of time. */
static bool should_stop(run_ctx *r) {
  if (r->stop) return true;
  int why[2] = {fc_search_stop_requested(),
                r->o->time_limit_s > 0 && fc_now() - r->t_start >= r->o->time_limit_s};
  if (r->md->size > 1) MPI_Allreduce(MPI_IN_PLACE, why, 2, MPI_INT, MPI_MAX, r->md->comm);
  if (why[0]) {
    r->stop = true;
    r->stop_reason = "stop requested (signal)";
    fc_search_request_stop(); /* so every rank reports the interruption */
  } else if (why[1]) {
    r->stop = true;
    r->stop_reason = "time limit reached";
  }
  return r->stop;
}

static fc_status checkpoint(run_ctx *r) {
  if (!r->o->checkpoint) return FC_OK;
  r->s->seconds = r->s_start + (fc_now() - r->t_start);
  FC_CALL(r->o->checkpoint(r->o->checkpoint_ctx, r->m, r->s));
  r->last_checkpoint = fc_now();
  return FC_OK;
}

/* After an accept: patterns whose usage dropped are removed when the total gets shorter
 * without them (spec section 6; the artifact's test is inverted). */
static fc_status prune(run_ctx *r, const uint64_t *hash_before, const uint64_t *usage_before,
                       size_t n_before) {
  bool removed = true;
  while (removed) {
    removed = false;
    size_t n = fc_model_n_patterns(r->m);
    for (size_t k = 0; k + 1 < n && !removed; k++) { /* the new pattern is last */
      uint64_t h = fc_pattern_hash(fc_model_pattern(r->m, k));
      uint64_t before = 0;
      for (size_t i = 0; i < n_before; i++)
        if (hash_before[i] == h) before = usage_before[i];
      if (fc_model_usage(r->m, k) >= before) continue;
      fc_trial *t = NULL;
      FC_CALL(fc_model_trial_remove(r->m, k, &t));
      if (fc_trial_total(t) < model_total(r->m) - 1e-9) {
        fc_model_commit(r->m, &t);
        r->s->n_pruned++;
        removed = true;
      } else {
        fc_trial_destroy(&t);
      }
    }
  }
  return FC_OK;
}

/* mh: the hashes of the model's np patterns. */
static fc_status build_candidates(run_ctx *r, const cand_list *f1, uint64_t *mh, size_t np,
                                  cand_list *l) {
  gen_ctx g = {r->md, r->m, r->s, r->o, mh, np};
  fc_status st = FC_OK;
  for (size_t i = 0; i < f1->n && st == FC_OK; i++)
    st = offer(l, &g, f1->v[i].p, f1->v[i].ub);
  if (st == FC_OK) st = family2(&g, l);
  if (st == FC_OK) st = family3(&g, l);
  if (st == FC_OK) st = family4(&g, l);
  if (st == FC_OK && r->s->phase >= 2) st = family5(&g, l);
  return st;
}

/* One iteration: test candidates in quick-score order until one is accepted or max_rejections
 * are rejected. *accepted says which. */
static fc_status iteration(run_ctx *r, const cand_list *f1, bool *accepted) {
  *accepted = false;
  cand_list l;
  memset(&l, 0, sizeof l);
  /* The model's patterns and usages as the iteration starts (it changes only at its end). */
  const size_t n_before = fc_model_n_patterns(r->m);
  uint64_t *hb = NULL, *ub = NULL;
  fc_status st = fci_malloc((n_before + 1) * sizeof *hb, &hb);
  if (st == FC_OK) st = fci_malloc((n_before + 1) * sizeof *ub, &ub);
  for (size_t i = 0; st == FC_OK && i < n_before; i++) {
    hb[i] = fc_pattern_hash(fc_model_pattern(r->m, i));
    ub[i] = fc_model_usage(r->m, i);
  }
  if (st == FC_OK) st = build_candidates(r, f1, hb, n_before, &l);
  cand_iter it;
  memset(&it, 0, sizeof it);
  if (st == FC_OK) st = iter_init(&it, &l, r->wcache);
  int rejections = 0;
  while (st == FC_OK && rejections < r->o->max_rejections && !should_stop(r)) {
    size_t k;
    st = iter_next(&it, r->md, r->max_span, fc_model_row_scores(r->m), &k);
    if (st != FC_OK || k == SIZE_MAX) break;
    cand *c = &l.v[k];
    /* Candidates equal once their constants are folded make the same trial: the first one
     * stands for all (and one already in the model for none), so they use one rejection. */
    bool same = tested_has(r->s, c->fhash);
    for (size_t i = 0; i < n_before && !same; i++) same = hb[i] == c->fhash;
    st = tested_add(r->s, c->hash);
    if (st == FC_OK) st = tested_add(r->s, c->fhash);
    if (st != FC_OK) break;
    if (same) continue;
    r->tested_this_run++;
    fc_trial *t = NULL;
    st = fc_model_trial_add(r->m, &c->p, NULL, &t);
    if (st != FC_OK) break;
    const double total = model_total(r->m), change = t ? fc_trial_total(t) - total : 0.0;
    const bool better = t && fc_trial_total(t) < total - 1e-9;
    if (fc_log_get_level() >= FC_LOG_DEBUG && r->md->rank == 0) {
      char text[512];
      fc_pattern_format(&c->p, r->md->n_cols, text, sizeof text);
      fc_log_debug("iteration %ld: tested (quick score %llu):%s: %.0f bits%s", r->s->iteration,
                   (unsigned long long)c->quick, text, change, better ? ", accepted" : "");
    }
    if (better) {
      fc_model_commit(r->m, &t);
      r->s->n_accepted++;
      st = prune(r, hb, ub, n_before);
      *accepted = true;
      break;
    }
    fc_trial_destroy(&t);
    rejections++;
    if (fc_progress_due(&r->prog)) progress_line(r, "search");
  }
  iter_free(&it);
  cands_free(&l);
  free(hb);
  free(ub);
  return st;
}

fc_status fc_search_run(fc_model *m, const fc_mdata *md, const fc_search_options *o,
                        fc_search_state *s) {
  run_ctx r;
  memset(&r, 0, sizeof r);
  r.m = m;
  r.md = md;
  r.o = o;
  r.s = s;
  r.t_start = fc_now();
  r.s_start = s->seconds;
  r.last_checkpoint = r.t_start;
  fc_progress_start(&r.prog, o->progress_interval_s);
  if (s->phase < 1) s->phase = 1;
  r.max_span = fc_model_max_span(m);
  FC_CALL(fc_wcache_create(o->window_cache_bytes, &r.wcache));
  cand_list f1;
  memset(&f1, 0, sizeof f1);
  fc_search_state none;
  memset(&none, 0, sizeof none);
  gen_ctx g = {md, m, &none, o, NULL, 0};
  fc_status st = family1(&g, &f1);
  while (!s->converged && st == FC_OK) {
    if (o->max_iterations > 0 && s->iteration >= o->max_iterations) {
      r.stop_reason = "iteration limit reached";
      break;
    }
    if (should_stop(&r)) break;
    s->iteration++;
    bool accepted = false;
    st = iteration(&r, &f1, &accepted);
    if (st != FC_OK) break;
    if (accepted) {
      if (fc_progress_due(&r.prog)) progress_line(&r, "search");
      /* After an accept, once the interval since the last checkpoint has passed: a killed run
       * then loses at most that much work, without an fsync'ed file per pattern. */
      if (fc_now() - r.last_checkpoint >= o->checkpoint_interval_s) st = checkpoint(&r);
    } else if (!r.stop) {
      if (s->phase == 1)
        s->phase = 2;
      else
        s->converged = true;
    }
  }
  cands_free(&f1);
  fc_wcache_stats cs;
  fc_wcache_get_stats(r.wcache, &cs);
  fc_wcache_destroy(&r.wcache);
  FC_CALL(st);
  fc_log_debug("window cache: %llu hits, %llu misses, %llu stored, %llu evicted, %llu too large; "
               "%zu entries, %.1f MB accounted at the end",
               (unsigned long long)cs.hits, (unsigned long long)cs.misses,
               (unsigned long long)cs.stored, (unsigned long long)cs.evicted,
               (unsigned long long)cs.too_large, cs.entries, (double)cs.charged / 1e6);
  progress_line(&r, s->converged ? "converged:" : "stopped:");
  if (!s->converged && r.stop_reason) fc_log_info("search stopped early: %s", r.stop_reason);
  FC_CALL(checkpoint(&r));
  return FC_OK;
}
