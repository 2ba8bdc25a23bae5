/* Posting-list index, window search and the greedy cover. */
#include "flowchronicle/cover.h"

#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---------------------------------------------------------------- index */

fc_status fc_mdata_build_raw(fc_mdata *m, size_t n, int n_cols, const uint32_t *const *codes,
                             const uint32_t *domain, const int64_t *ticks) {
  memset(m, 0, sizeof *m);
  if (n > UINT32_MAX - 1) return FC_ERROR(FC_ERR_LIMIT, "a block of %zu rows is too large", n);
  m->n = n;
  m->n_cols = n_cols;
  m->ticks = ticks;
  m->comm = MPI_COMM_SELF;
  m->rank = 0;
  m->size = 1;
  m->n_own = n;
  m->global_begin = 0;
  m->global_n = n;
  fc_status st = FC_OK;
  for (int c = 0; c < n_cols; c++) {
    m->codes[c] = codes[c];
    m->domain[c] = domain[c];
    FC_CALL_GOTO(st, fci_calloc((size_t)domain[c] + 1, sizeof *m->post_off[c], &m->post_off[c]),
                 fail);
    FC_CALL_GOTO(st, fci_malloc((n ? n : 1) * sizeof *m->post_rows[c], &m->post_rows[c]), fail);
    uint32_t *off = m->post_off[c];
    for (size_t i = 0; i < n; i++) {
      if (codes[c][i] >= domain[c]) {
        st = FC_ERROR(FC_ERR_STATE, "row %zu column %d: code %u outside domain %u", i, c,
                      codes[c][i], domain[c]);
        goto fail;
      }
      off[codes[c][i] + 1]++;
    }
    for (uint32_t v = 0; v < domain[c]; v++) off[v + 1] += off[v];
    /* Fill by a running cursor per code; rows come in ascending order so lists stay sorted. */
    uint32_t *cur;
    FC_CALL_GOTO(st, fci_malloc(((size_t)domain[c] + 1) * sizeof *cur, &cur), fail);
    memcpy(cur, off, ((size_t)domain[c] + 1) * sizeof *cur);
    for (size_t i = 0; i < n; i++) m->post_rows[c][cur[codes[c][i]]++] = (uint32_t)i;
    free(cur);
    FC_CALL_GOTO(st, fci_malloc(((size_t)domain[c] + 1) * sizeof *m->global_count[c],
                                &m->global_count[c]),
                 fail);
    for (uint32_t v = 0; v < domain[c]; v++) m->global_count[c][v] = off[v + 1] - off[v];
  }
  return FC_OK;
fail:
  fc_mdata_free(m);
  return st;
}

fc_status fc_mdata_build(fc_mdata *m, const fc_encoded *e) {
  const uint32_t *codes[FC_NCOLS];
  uint32_t domain[FC_NCOLS];
  for (int c = 0; c < e->n_cols; c++) {
    codes[c] = e->cols[c].codes;
    domain[c] = e->cols[c].domain;
  }
  return fc_mdata_build_raw(m, e->n_rows, e->n_cols, codes, domain, e->ticks);
}

void fc_mdata_free(fc_mdata *m) {
  for (int c = 0; c < FC_NCOLS; c++) {
    free(m->post_off[c]);
    free(m->post_rows[c]);
    free(m->global_count[c]);
  }
  memset(m, 0, sizeof *m);
}

fc_status fc_mdata_distribute(fc_mdata *m, MPI_Comm comm, size_t n_own, uint64_t global_begin) {
  if (n_own > m->n) return FC_ERROR(FC_ERR_ARG, "block of %zu rows in a view of %zu", n_own, m->n);
  m->comm = comm;
  MPI_Comm_rank(comm, &m->rank);
  MPI_Comm_size(comm, &m->size);
  m->n_own = n_own;
  m->global_begin = global_begin;
  uint64_t own = n_own;
  MPI_Allreduce(&own, &m->global_n, 1, MPI_UINT64_T, MPI_SUM, comm);
  /* Counts over own rows only (the halo belongs to the next ranks), summed over ranks. */
  for (int c = 0; c < m->n_cols; c++) {
    memset(m->global_count[c], 0, m->domain[c] * sizeof *m->global_count[c]);
    for (size_t i = 0; i < n_own; i++) m->global_count[c][m->codes[c][i]]++;
    if (MPI_Allreduce(MPI_IN_PLACE, m->global_count[c], (int)m->domain[c], MPI_UINT64_T, MPI_SUM,
                      comm) != MPI_SUCCESS)
      return FC_ERROR(FC_ERR_MPI, "reducing the code counts of column %d failed", c);
  }
  return FC_OK;
}

size_t fc_mdata_rows(const fc_mdata *m, int c, uint32_t v, const uint32_t **rows) {
  if (v >= m->domain[c]) {
    *rows = NULL;
    return 0;
  }
  *rows = m->post_rows[c] + m->post_off[c][v];
  return m->post_off[c][v + 1] - m->post_off[c][v];
}

/* ---------------------------------------------------------------- windows */

void fc_windows_free(fc_windows *w) {
  free(w->ids);
  memset(w, 0, sizeof *w);
}

static fc_status windows_push(fc_windows *w, const uint32_t *ids) {
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 256;
    FC_CALL(fci_realloc(cap * (size_t)w->n_rows * sizeof *w->ids, &w->ids));
    w->cap = cap;
  }
  memcpy(w->ids + w->n * (size_t)w->n_rows, ids, (size_t)w->n_rows * sizeof *ids);
  w->n++;
  return FC_OK;
}

typedef struct constraint {
  int col;
  int8_t var; /* -1: FIX with value; else USE of var */
  uint32_t value;
} constraint;

typedef struct row_plan {
  int n_con;
  constraint con[FC_NCOLS];
  int n_set;
  int set_col[FC_NCOLS];
  int set_var[FC_NCOLS];
} row_plan;

static void plan_rows(const fc_pattern *p, int n_cols, row_plan *plan) {
  for (int r = 0; r < p->n_rows; r++) {
    row_plan *rp = &plan[r];
    rp->n_con = rp->n_set = 0;
    for (int c = 0; c < n_cols; c++) {
      const fc_cell *x = &p->cell[r][c];
      if (x->kind == FC_CELL_FIX)
        rp->con[rp->n_con++] = (constraint){c, -1, x->arg};
      else if (x->kind == FC_CELL_USE)
        rp->con[rp->n_con++] = (constraint){c, (int8_t)x->arg, 0};
      else if (x->kind == FC_CELL_SET) {
        rp->set_col[rp->n_set] = c;
        rp->set_var[rp->n_set++] = (int)x->arg;
      }
    }
  }
}

static inline uint32_t con_value(const constraint *k, const uint32_t *bound) {
  return k->var < 0 ? k->value : bound[k->var];
}

static bool row_matches(const fc_mdata *m, const row_plan *rp, const uint32_t *bound, size_t i) {
  for (int k = 0; k < rp->n_con; k++)
    if (m->codes[rp->con[k].col][i] != con_value(&rp->con[k], bound)) return false;
  return true;
}

/* Where a search left off in a posting list: the next search of the same list for a later prev
 * gallops forward from pos instead of bisecting the whole list. */
typedef struct list_hint {
  const uint32_t *list;
  size_t pos; /* list[pos - 1] <= prev of that search (pos 0: nothing known) */
} list_hint;

/* First row j with prev < j <= last matching rp; returns -1 when none. Rows are in time order,
 * so `last` (the last row within the window's span) bounds the scan without reading ticks. */
static int64_t find_next(const fc_mdata *m, const row_plan *rp, const uint32_t *bound,
                         uint32_t prev, uint32_t last, list_hint *hint) {
  const uint32_t *best = NULL;
  size_t best_n = SIZE_MAX;
  for (int k = 0; k < rp->n_con; k++) {
    const uint32_t *rows;
    size_t n = fc_mdata_rows(m, rp->con[k].col, con_value(&rp->con[k], bound), &rows);
    if (n < best_n) {
      best = rows;
      best_n = n;
    }
  }
  if (best_n == 0 || !best) return -1;
  /* first entry > prev: gallop from the hint when it is on this list and not past prev */
  size_t lo = 0, hi = best_n;
  if (hint && hint->list == best && hint->pos <= best_n && (hint->pos == 0 || best[hint->pos - 1] <= prev)) {
    lo = hint->pos;
    size_t step = 1;
    hi = lo;
    while (hi < best_n && best[hi] <= prev) {
      lo = hi + 1;
      hi += step;
      step *= 2;
    }
    if (hi > best_n) hi = best_n;
  }
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (best[mid] <= prev)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (hint) *hint = (list_hint){best, lo};
  for (size_t i = lo; i < best_n; i++) {
    uint32_t j = best[i];
    if (j > last) return -1;
    if (row_matches(m, rp, bound, j)) return j;
  }
  return -1;
}

/* For a row without USE cells the next match after a row is a monotone function of that row:
 * the last answer is remembered and reused while the queries move forward (starts are taken in
 * ascending order), so a long stretch without a match is scanned once, not once per start. */
typedef struct next_cache {
  int64_t prev, ans, last; /* ans: first match in (prev, last], or -1 */
  uint32_t key;            /* the bound value, for rows with one USE cell */
  bool valid;
  list_hint hint;
} next_cache;

/* Slots per row for rows with one USE cell: the same reasoning per bound value (a host's next
 * flow), direct-mapped by value; a collision only costs a fresh search. */
#define NEXT_SLOTS 256

static int64_t find_next_cached(const fc_mdata *m, const row_plan *rp, const uint32_t *bound,
                                uint32_t prev, uint32_t last, next_cache *slots) {
  int n_use = 0;
  uint32_t key = 0;
  for (int k = 0; k < rp->n_con; k++)
    if (rp->con[k].var >= 0) {
      n_use++;
      key = bound[rp->con[k].var];
    }
  if (n_use > 1) return find_next(m, rp, bound, prev, last, NULL);
  next_cache *c = &slots[n_use ? (key * 2654435761u) % NEXT_SLOTS : 0];
  bool forward = c->valid && c->key == key && (int64_t)prev >= c->prev;
  if (forward) {
    if (c->ans > (int64_t)prev) return c->ans <= (int64_t)last ? c->ans : -1;
    if (c->ans < 0 && (int64_t)last <= c->last) return -1;
  }
  list_hint h = forward ? c->hint : (list_hint){NULL, 0};
  int64_t a = find_next(m, rp, bound, prev, last, &h);
  *c = (next_cache){prev, a, last, key, true, h};
  return a;
}

/* Windows starting at the given candidate start rows (ascending), appended to out. */
static fc_status windows_from_starts(const fc_mdata *m, const fc_pattern *p, const row_plan *plan,
                                     int64_t max_span, const uint32_t *starts, size_t n_starts,
                                     fc_windows *out) {
  uint32_t ids[FC_MAX_PROWS], bound[FC_MAX_VARS];
  /* Zeroed slots only for the rows the pattern has (row 0 needs none). */
  next_cache *cache;
  FC_CALL(fci_calloc((size_t)p->n_rows * NEXT_SLOTS, sizeof *cache, &cache));
  size_t last = 0;
  for (size_t s = 0; s < n_starts; s++) {
    uint32_t i = starts[s];
    if (!row_matches(m, &plan[0], bound, i)) continue;
    ids[0] = i;
    for (int k = 0; k < plan[0].n_set; k++) bound[plan[0].set_var[k]] = m->codes[plan[0].set_col[k]][i];
    /* the last row within the span (starts ascend, so the bound only moves forward) */
    const int64_t limit = m->ticks[i] + max_span;
    if (last < i) last = i;
    while (last + 1 < m->n && m->ticks[last + 1] <= limit) last++;
    int r = 1;
    for (; r < p->n_rows; r++) {
      int64_t j = find_next_cached(m, &plan[r], bound, ids[r - 1], (uint32_t)last,
                                   cache + (size_t)r * NEXT_SLOTS);
      if (j < 0) break;
      ids[r] = (uint32_t)j;
      for (int k = 0; k < plan[r].n_set; k++)
        bound[plan[r].set_var[k]] = m->codes[plan[r].set_col[k]][j];
    }
    if (r == p->n_rows) {
      fc_status st = windows_push(out, ids);
      if (st != FC_OK) {
        free(cache);
        return st;
      }
    }
  }
  free(cache);
  return FC_OK;
}

fc_status fc_find_windows(const fc_mdata *m, const fc_pattern *p, int64_t max_span,
                          size_t start_begin, size_t start_end, fc_windows *out) {
  memset(out, 0, sizeof *out);
  out->n_rows = p->n_rows;
  if (start_end > m->n) start_end = m->n;
  if (start_begin >= start_end) return FC_OK;
  row_plan plan[FC_MAX_PROWS];
  plan_rows(p, m->n_cols, plan);
  if (plan[0].n_con == 0) return FC_ERROR(FC_ERR_ARG, "row 0 of a pattern has no FIX cell");
  /* Start rows: the shortest posting list among row 0's FIX cells, restricted to the range. */
  const uint32_t *cand = NULL;
  size_t n_cand = SIZE_MAX;
  for (int k = 0; k < plan[0].n_con; k++) {
    const uint32_t *rows;
    size_t n = fc_mdata_rows(m, plan[0].con[k].col, plan[0].con[k].value, &rows);
    if (n < n_cand) {
      cand = rows;
      n_cand = n;
    }
  }
  size_t lo = 0, hi = n_cand;
  while (lo < hi) { /* first >= start_begin */
    size_t mid = lo + (hi - lo) / 2;
    if (cand[mid] < start_begin) lo = mid + 1; else hi = mid;
  }
  size_t a = lo;
  hi = n_cand;
  while (lo < hi) { /* first >= start_end */
    size_t mid = lo + (hi - lo) / 2;
    if (cand[mid] < start_end) lo = mid + 1; else hi = mid;
  }
  size_t b = lo;
  size_t n = b - a;
  if (n == 0) return FC_OK;
  /* Fixed chunks (independent of the thread count), concatenated in chunk order. */
  size_t chunk = 4096;
  size_t n_chunks = (n + chunk - 1) / chunk;
  if (n_chunks == 1) return windows_from_starts(m, p, plan, max_span, cand + a, n, out);
  fc_windows *parts;
  FC_CALL(fci_calloc(n_chunks, sizeof *parts, &parts));
  fc_status st = FC_OK;
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t k = 0; k < n_chunks; k++) {
    parts[k].n_rows = p->n_rows;
    size_t s = a + k * chunk, e = s + chunk < b ? s + chunk : b;
    fc_status s2 = windows_from_starts(m, p, plan, max_span, cand + s, e - s, &parts[k]);
    if (s2 != FC_OK) {
#pragma omp critical(fc_windows_err)
      st = s2;
    }
  }
  size_t total = 0;
  for (size_t k = 0; k < n_chunks; k++) total += parts[k].n;
  if (st == FC_OK && total) {
    st = fci_malloc(total * (size_t)p->n_rows * sizeof *out->ids, &out->ids);
    if (st == FC_OK) {
      out->cap = total;
      for (size_t k = 0; k < n_chunks; k++) {
        if (parts[k].n == 0) continue;
        memcpy(out->ids + out->n * (size_t)p->n_rows, parts[k].ids,
               parts[k].n * (size_t)p->n_rows * sizeof *out->ids);
        out->n += parts[k].n;
      }
    }
  }
  for (size_t k = 0; k < n_chunks; k++) fc_windows_free(&parts[k]);
  free(parts);
  return st;
}

/* A cell's values over the local windows: 0 none, 1 several, 2 + v the single value v. */
static uint64_t cell_summary(const fc_mdata *m, const fc_windows *w, int r, int c) {
  if (w->n == 0) return 0;
  uint32_t v = m->codes[c][w->ids[(size_t)r]];
  for (size_t i = 1; i < w->n; i++)
    if (m->codes[c][w->ids[i * (size_t)w->n_rows + (size_t)r]] != v) return 1;
  return 2 + (uint64_t)v;
}

fc_status fc_pattern_fold(const fc_mdata *m, const fc_windows *w, fc_pattern *p, bool *changed) {
  *changed = false;
  int R = p->n_rows, C = m->n_cols;
  uint64_t sum[FC_MAX_PROWS * FC_NCOLS];
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) {
      uint8_t k = p->cell[r][c].kind;
      sum[r * C + c] = (k == FC_CELL_FREE || k == FC_CELL_SET) ? cell_summary(m, w, r, c) : 1;
    }
  if (m->size > 1) { /* combine the ranks' summaries: constant only if constant everywhere */
    uint64_t *all;
    FC_CALL(fci_malloc((size_t)m->size * (size_t)(R * C) * sizeof *all, &all));
    if (MPI_Allgather(sum, R * C, MPI_UINT64_T, all, R * C, MPI_UINT64_T, m->comm) !=
        MPI_SUCCESS) {
      free(all);
      return FC_ERROR(FC_ERR_MPI, "exchanging constant cells failed");
    }
    for (int i = 0; i < R * C; i++) {
      uint64_t acc = 0;
      for (int q = 0; q < m->size; q++) {
        uint64_t x = all[(size_t)q * (size_t)(R * C) + (size_t)i];
        if (x == 0) continue;
        acc = (acc == 0 || acc == x) ? x : 1;
        if (x == 1) acc = 1;
      }
      sum[i] = acc;
    }
    free(all);
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) {
      if (sum[r * C + c] < 2) continue;
      fc_cell *x = &p->cell[r][c];
      uint32_t v = (uint32_t)(sum[r * C + c] - 2);
      if (x->kind == FC_CELL_SET) {
        uint32_t var = x->arg;
        for (int r2 = 0; r2 < R; r2++)
          for (int c2 = 0; c2 < FC_NCOLS; c2++)
            if (p->cell[r2][c2].kind == FC_CELL_USE && p->cell[r2][c2].arg == var)
              p->cell[r2][c2] = (fc_cell){FC_CELL_FIX, v};
      }
      *x = (fc_cell){FC_CELL_FIX, v};
      *changed = true;
    }
  if (*changed) fc_pattern_canonical(p);
  return FC_OK;
}

int64_t fc_window_score100(const fc_windows *w, size_t i, int covered_cells) {
  const uint32_t *ids = w->ids + i * (size_t)w->n_rows;
  int64_t gaps = (int64_t)ids[w->n_rows - 1] - (int64_t)ids[0] - (w->n_rows - 1);
  return 100 * (int64_t)covered_cells - gaps;
}

/* ---------------------------------------------------------------- cover */

typedef fc_window_ref wref;

int fc_window_ref_cmp(const fc_window_ref *a, const fc_window_ref *b) {
  if (a->score != b->score) return a->score > b->score ? -1 : 1;
  if (a->pattern != b->pattern) return a->pattern < b->pattern ? -1 : 1;
  return (a->win > b->win) - (a->win < b->win);
}

static int wref_cmp(const void *pa, const void *pb) { return fc_window_ref_cmp(pa, pb); }

/* Windows of one pattern by score: scores differ only by gaps, which are mostly small, so a
 * counting sort on the gaps (stable: start order is kept among equal gaps) beats qsort. */
fc_status fc_window_refs(const fc_windows *w, int covered_cells, uint32_t pattern,
                         fc_window_ref **refs, size_t *n, size_t *cap) {
  if (w->n == 0) return FC_OK;
  if (*n + w->n > *cap) {
    size_t nc = *cap ? *cap : 1024;
    while (nc < *n + w->n) nc *= 2;
    FC_CALL(fci_realloc(nc * sizeof **refs, refs));
    *cap = nc;
  }
  fc_window_ref *out = *refs + *n;
  enum { MAXG = 4096 };
  size_t *count = NULL;
  bool small = true;
  for (size_t i = 0; i < w->n && small; i++)
    small = 100 * (int64_t)covered_cells - fc_window_score100(w, i, covered_cells) < MAXG;
  if (small && w->n > 64) {
    FC_CALL(fci_calloc(MAXG + 1, sizeof *count, &count));
    for (size_t i = 0; i < w->n; i++)
      count[100 * (int64_t)covered_cells - fc_window_score100(w, i, covered_cells) + 1]++;
    for (size_t g = 1; g <= MAXG; g++) count[g] += count[g - 1];
    for (size_t i = 0; i < w->n; i++) {
      int64_t sc = fc_window_score100(w, i, covered_cells);
      out[count[100 * (int64_t)covered_cells - sc]++] = (wref){sc, pattern, (uint32_t)i};
    }
    free(count);
  } else {
    for (size_t i = 0; i < w->n; i++)
      out[i] = (wref){fc_window_score100(w, i, covered_cells), pattern, (uint32_t)i};
    qsort(out, w->n, sizeof *out, wref_cmp);
  }
  *n += w->n;
  return FC_OK;
}


/* ---------------------------------------------------------------- distributed greedy
 *
 * The greedy cover takes windows in priority order and accepts one when none of its rows is
 * taken. On one rank that is a single pass. With blocks, a window starting near the end of a
 * block may reach rows of the next ranks ("crossing" window); every rank must know those that
 * touch its rows. The crossing windows of all ranks are exchanged once, then each rank makes a
 * pass over its windows and the crossing windows touching its rows, given a decision for each
 * crossing window (initially: accepted); it reports which crossing windows found a row already
 * taken at a higher priority on its side; a crossing window is accepted iff no rank found that.
 * Passes repeat until the decisions no longer change. The fixed point is the single-process
 * greedy (by induction over the priority order), and it is reached in as many rounds as the
 * longest chain of crossing windows deciding one another: two in practice. */

typedef struct xwin {
  int64_t score;
  uint64_t pattern, gstart;
  int n_rows;
  const uint64_t *gids;
} xwin;

static int xwin_cmp(const xwin *a, const xwin *b) {
  if (a->score != b->score) return a->score > b->score ? -1 : 1;
  if (a->pattern != b->pattern) return a->pattern < b->pattern ? -1 : 1;
  return (a->gstart > b->gstart) - (a->gstart < b->gstart);
}

static int xwin_qcmp(const void *a, const void *b) {
  return xwin_cmp(*(const xwin *const *)a, *(const xwin *const *)b);
}

/* The repair rounds of the distributed greedy. Round 1 is a pass in priority order with every
 * crossing window assumed accepted; when the ranks then find that some crossing windows are
 * blocked (or free again), the pass is not redone: the greedy cover is the unique assignment in
 * which a window is accepted iff its decision allows it and none of its rows is taken by an
 * accepted window of higher priority, so it is restored by re-deciding, in priority order, only
 * the windows whose inputs changed: a window that gains its rows evicts the lower-priority
 * owners, one that loses them frees its rows to the lower-priority windows holding them. Those
 * are found through the windows of each pattern, which are in start order, within the longest
 * row extent of that pattern's windows. Positions are indexes in this rank's merged priority
 * order (its windows and the foreign crossing windows touching its rows). */
#define NO_POS UINT64_MAX

/* Work arrays of the distributed greedy, kept between calls (it runs once per quick score and
 * per cover, on the main thread only): fresh allocations of this size cost page faults on every
 * call. Grown, never shrunk; not freed (reachable until exit). */
typedef struct scratch {
  void *p;
  size_t cap;
} scratch;

static fc_status scratch_get(scratch *s, size_t bytes, void *out) {
  if (bytes == 0) bytes = 1;
  if (s->cap < bytes) {
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < bytes) cap *= 2;
    void *p = realloc(s->p, cap);
    if (!p) return FC_ERROR(FC_ERR_NOMEM, "out of memory (%zu bytes for the cover)", cap);
    s->p = p;
    s->cap = cap;
  }
  memcpy(out, &s->p, sizeof s->p);
  return FC_OK;
}

static scratch g_lx, g_mref, g_acc, g_inv, g_fpos, g_owner, g_gpos;

typedef struct repair_state {
  const fc_mdata *m;
  const fc_windows *const *windows;
  const size_t *base;
  const fc_window_ref *order;
  xwin **fx;
  size_t n_fx;
  const xwin *gx;
  const size_t *lx_of;
  size_t my_first;
  const uint8_t *decide;
  const int64_t *ext;
  uint8_t *picked, *covered;
  int64_t *row_score;
  int64_t *mref;    /* position -> order index a (>= 0) or -1 - foreign index b */
  uint8_t *acc;     /* position -> accepted */
  uint64_t *inv;    /* base[k] + i -> position */
  uint64_t *fpos;   /* foreign index -> position */
  uint64_t *owner;  /* own row -> 1 + position of the window covering it; valid only where the
                       row is covered (so it needs no clearing) */
  uint64_t *gpos;   /* crossing index -> position here, NO_POS when not on this rank */
  uint64_t *heap;   /* positions to redo (min-heap) */
  size_t n_heap, cap_heap;
  uint8_t *queued;  /* position -> in the heap */
  uint32_t *extent; /* per pattern: the longest last - first row id of its windows */
  size_t n_patterns;
} repair_state;

typedef struct wview {
  int64_t score;
  size_t gidx; /* crossing index or SIZE_MAX */
  int nl;
  uint32_t lids[FC_MAX_PROWS];
} wview;

/* A window of this rank (its crossing index, if any, is the caller's to set). */
static wview local_view(const fc_mdata *m, const fc_windows *const *windows,
                        const fc_window_ref *o) {
  wview v; /* lids beyond nl are never read */
  v.score = o->score;
  v.gidx = SIZE_MAX;
  v.nl = 0;
  const fc_windows *w = windows[o->pattern];
  const uint32_t *ids = w->ids + (size_t)o->win * (size_t)w->n_rows;
  for (int r = 0; r < w->n_rows; r++)
    if (ids[r] < m->n_own) v.lids[v.nl++] = ids[r];
  return v;
}

/* A crossing window of another rank, on this rank's rows. */
static wview foreign_view(const fc_mdata *m, const xwin *x, const xwin *gx) {
  wview v;
  v.score = x->score;
  v.gidx = (size_t)(x - gx);
  v.nl = 0;
  for (int r = 0; r < x->n_rows; r++) {
    uint64_t g = x->gids[r];
    if (g >= m->global_begin && g < m->global_begin + m->n_own)
      v.lids[v.nl++] = (uint32_t)(g - m->global_begin);
  }
  return v;
}

static wview view_of(const repair_state *rp, uint64_t pos) {
  int64_t ref = rp->mref[pos];
  if (ref < 0) return foreign_view(rp->m, rp->fx[-1 - ref], rp->gx);
  wview v = local_view(rp->m, rp->windows, &rp->order[ref]);
  if (rp->lx_of[ref]) v.gidx = rp->my_first + rp->lx_of[ref] - 1;
  return v;
}

static fc_status heap_push(repair_state *rp, uint64_t pos) {
  if (rp->queued && rp->queued[pos]) return FC_OK;
  if (rp->n_heap == rp->cap_heap) {
    size_t cap = rp->cap_heap ? 2 * rp->cap_heap : 256;
    FC_CALL(fci_realloc(cap * sizeof *rp->heap, &rp->heap));
    rp->cap_heap = cap;
  }
  size_t i = rp->n_heap++;
  while (i > 0 && rp->heap[(i - 1) / 2] > pos) {
    rp->heap[i] = rp->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  rp->heap[i] = pos;
  if (rp->queued) rp->queued[pos] = 1;
  return FC_OK;
}

static uint64_t heap_pop(repair_state *rp) {
  uint64_t top = rp->heap[0], last = rp->heap[--rp->n_heap];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= rp->n_heap) break;
    if (c + 1 < rp->n_heap && rp->heap[c + 1] < rp->heap[c]) c++;
    if (rp->heap[c] >= last) break;
    rp->heap[i] = rp->heap[c];
    i = c;
  }
  if (rp->n_heap) rp->heap[i] = last;
  if (rp->queued) rp->queued[top] = 0;
  return top;
}

/* Queues every window holding own row `row` whose position is after `after`. */
static fc_status push_holders(repair_state *rp, uint32_t row, uint64_t after) {
  for (size_t k = 0; k < rp->n_patterns; k++) {
    const fc_windows *w = rp->windows[k];
    if (w->n == 0) continue;
    const size_t R = (size_t)w->n_rows;
    uint32_t from = row > rp->extent[k] ? row - rp->extent[k] : 0;
    size_t lo = 0, hi = w->n; /* first window starting at or after `from` */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (w->ids[mid * R] < from)
        lo = mid + 1;
      else
        hi = mid;
    }
    for (size_t i = lo; i < w->n && w->ids[i * R] <= row; i++) {
      const uint32_t *ids = w->ids + i * R;
      bool holds = false;
      for (size_t r = 0; r < R && !holds; r++) holds = ids[r] == row;
      if (!holds) continue;
      uint64_t pos = rp->inv[rp->base[k] + i];
      if (pos > after) FC_CALL(heap_push(rp, pos));
    }
  }
  const uint64_t g = rp->m->global_begin + row;
  for (size_t b = 0; b < rp->n_fx; b++) {
    bool holds = false;
    for (int r = 0; r < rp->fx[b]->n_rows && !holds; r++) holds = rp->fx[b]->gids[r] == g;
    if (holds && rp->fpos[b] > after) FC_CALL(heap_push(rp, rp->fpos[b]));
  }
  return FC_OK;
}

static fc_status repair(repair_state *rp) {
  const size_t n_pos = (rp->base ? rp->base[rp->n_patterns] : 0) + rp->n_fx;
  if (!rp->queued) {
    FC_CALL(fci_calloc(n_pos ? n_pos : 1, 1, &rp->queued));
    for (size_t i = 0; i < rp->n_heap; i++) rp->queued[rp->heap[i]] = 1;
  }
  if (!rp->extent) { /* longest row extent per pattern; windows must be in start order */
    FC_CALL(fci_calloc(rp->n_patterns ? rp->n_patterns : 1, sizeof *rp->extent, &rp->extent));
    for (size_t k = 0; k < rp->n_patterns; k++) {
      const fc_windows *w = rp->windows[k];
      const size_t R = (size_t)w->n_rows;
      for (size_t i = 0; i < w->n; i++) {
        const uint32_t *ids = w->ids + i * R;
        if (i > 0 && ids[0] < ids[-(ptrdiff_t)R])
          return FC_ERROR(FC_ERR_STATE, "windows of pattern %zu are not in start order", k);
        if (ids[R - 1] - ids[0] > rp->extent[k]) rp->extent[k] = ids[R - 1] - ids[0];
      }
    }
  }
  while (rp->n_heap) {
    const uint64_t pos = heap_pop(rp);
    wview v = view_of(rp, pos);
    bool blk = false;
    for (int r = 0; r < v.nl && !blk; r++)
      blk = (rp->covered[v.lids[r]] && rp->owner[v.lids[r]] - 1 < pos) ||
            (rp->ext && rp->ext[v.lids[r]] >= v.score);
    const bool accept = !blk && (v.gidx == SIZE_MAX || rp->decide[v.gidx]);
    if (accept == (bool)rp->acc[pos]) continue;
    rp->acc[pos] = accept;
    if (rp->mref[pos] >= 0) {
      const fc_window_ref *o = &rp->order[rp->mref[pos]];
      rp->picked[rp->base[o->pattern] + o->win] = accept;
    }
    for (int r = 0; r < v.nl; r++) {
      const uint32_t row = v.lids[r];
      if (accept) {
        if (rp->covered[row]) FC_CALL(heap_push(rp, rp->owner[row] - 1)); /* evicted */
        rp->owner[row] = pos + 1;
        rp->covered[row] = 1;
        if (rp->row_score) rp->row_score[row] = v.score;
      } else if (rp->covered[row] && rp->owner[row] == pos + 1) {
        rp->covered[row] = 0;
        if (rp->row_score) rp->row_score[row] = INT64_MIN;
        FC_CALL(push_holders(rp, row, pos));
      }
    }
  }
  return FC_OK;
}

static void repair_free(repair_state *rp) {
  free(rp->heap);
  free(rp->queued);
  free(rp->extent);
}

/* Result of the greedy: picked[base[k] + i] for local window i of pattern k; own-row claims in
 * covered (zeroed by the caller) and, when row_score is not NULL, the covering window's score
 * (INT64_MIN by the caller where none). */
static fc_status greedy(const fc_mdata *m, const fc_windows *const *windows, size_t n_patterns,
                        const size_t *base, const fc_window_ref *order, size_t total,
                        const int64_t *ext_row_score, uint8_t *picked, uint8_t *covered,
                        int64_t *row_score, int *rounds_out) {
  fc_status st = FC_OK;
  repair_state rp;
  memset(&rp, 0, sizeof rp);
  const size_t own = m->n_own;
  /* Local crossing windows, in priority order, and their global form. */
  size_t n_lx = 0;
  size_t *lx_of = NULL; /* order index -> local crossing index + 1 (0: not crossing) */
  uint64_t *words = NULL, *all = NULL;
  int *counts = NULL, *displs = NULL;
  xwin *gx = NULL, **fx = NULL;
  uint8_t *decide = NULL, *blocked = NULL;
  size_t n_gx = 0, n_fx = 0, my_first = 0;
  size_t n_words = 0;
  if (m->size > 1) {
    FC_CALL_GOTO(st, scratch_get(&g_lx, total * sizeof *lx_of, &lx_of), out);
    for (size_t i = 0; i < total; i++) {
      const fc_windows *w = windows[order[i].pattern];
      const uint32_t *ids = w->ids + (size_t)order[i].win * (size_t)w->n_rows;
      lx_of[i] = 0;
      if (ids[w->n_rows - 1] >= own) { /* ids increase: the last row decides */
        lx_of[i] = ++n_lx;
        n_words += 4 + (size_t)w->n_rows;
      }
    }
  }
  if (m->size > 1) {
    FC_CALL_GOTO(st, fci_malloc((n_words ? n_words : 1) * sizeof *words, &words), out);
    size_t o = 0;
    for (size_t i = 0; i < total; i++) {
      if (!lx_of[i]) continue;
      const fc_windows *w = windows[order[i].pattern];
      const uint32_t *ids = w->ids + (size_t)order[i].win * (size_t)w->n_rows;
      words[o++] = (uint64_t)order[i].score;
      words[o++] = order[i].pattern;
      words[o++] = m->global_begin + ids[0];
      words[o++] = (uint64_t)w->n_rows;
      for (int r = 0; r < w->n_rows; r++) words[o++] = m->global_begin + ids[r];
    }
    FC_CALL_GOTO(st, fci_malloc((size_t)m->size * sizeof *counts, &counts), out);
    FC_CALL_GOTO(st, fci_malloc((size_t)m->size * sizeof *displs, &displs), out);
    int mine = (int)n_words;
    if (n_words > INT32_MAX) {
      st = FC_ERROR(FC_ERR_LIMIT, "too many crossing windows on rank %d", m->rank);
      goto out;
    }
    MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, m->comm);
    size_t tot = 0;
    for (int r = 0; r < m->size; r++) {
      displs[r] = (int)tot;
      tot += (size_t)counts[r];
    }
    if (tot > INT32_MAX) {
      st = FC_ERROR(FC_ERR_LIMIT, "too many crossing windows (%zu words)", tot);
      goto out;
    }
    FC_CALL_GOTO(st, fci_malloc((tot ? tot : 1) * sizeof *all, &all), out);
    MPI_Allgatherv(words, mine, MPI_UINT64_T, all, counts, displs, MPI_UINT64_T, m->comm);
    /* Parse every rank's crossing windows; note where this rank's start. */
    size_t cap = 0;
    for (size_t p = 0; p < tot;) {
      cap++;
      p += 4 + (size_t)all[p + 3];
    }
    FC_CALL_GOTO(st, fci_malloc((cap ? cap : 1) * sizeof *gx, &gx), out);
    FC_CALL_GOTO(st, fci_malloc((cap ? cap : 1) * sizeof *fx, &fx), out);
    for (int r = 0; r < m->size; r++) {
      if (r == m->rank) my_first = n_gx;
      for (size_t p = (size_t)displs[r]; p < (size_t)displs[r] + (size_t)counts[r];) {
        xwin *x = &gx[n_gx++];
        x->score = (int64_t)all[p];
        x->pattern = all[p + 1];
        x->gstart = all[p + 2];
        x->n_rows = (int)all[p + 3];
        x->gids = all + p + 4;
        p += 4 + (size_t)x->n_rows;
        if (r == m->rank) continue;
        bool touches = false;
        for (int k = 0; k < x->n_rows && !touches; k++)
          touches = x->gids[k] >= m->global_begin && x->gids[k] < m->global_begin + own;
        if (touches) fx[n_fx++] = x;
      }
    }
    qsort(fx, n_fx, sizeof *fx, xwin_qcmp);
  }
  FC_CALL_GOTO(st, fci_malloc((n_gx ? n_gx : 1), &decide), out);
  FC_CALL_GOTO(st, fci_malloc((n_gx ? n_gx : 1), &blocked), out);
  memset(decide, 1, n_gx ? n_gx : 1);
  const bool multi = m->size > 1;
  /* What the repair rounds need: per merged position (priority rank on this rank) the window
   * and its state, per own row the position of the window covering it. */
  const size_t n_pos = total + n_fx;
  if (multi) {
    FC_CALL_GOTO(st, scratch_get(&g_mref, n_pos * sizeof *rp.mref, &rp.mref), out);
    FC_CALL_GOTO(st, scratch_get(&g_acc, n_pos, &rp.acc), out);
    FC_CALL_GOTO(st, scratch_get(&g_inv, total * sizeof *rp.inv, &rp.inv), out);
    FC_CALL_GOTO(st, scratch_get(&g_fpos, n_fx * sizeof *rp.fpos, &rp.fpos), out);
    FC_CALL_GOTO(st, scratch_get(&g_owner, own * sizeof *rp.owner, &rp.owner), out);
    FC_CALL_GOTO(st, scratch_get(&g_gpos, n_gx * sizeof *rp.gpos, &rp.gpos), out);
    for (size_t i = 0; i < n_gx; i++) rp.gpos[i] = NO_POS;
  }
  memset(blocked, 0, n_gx ? n_gx : 1);
  /* Round 1: one pass in priority order, every crossing window assumed accepted. */
  size_t a = 0, b = 0;
  while (a < total || b < n_fx) {
    bool take_local = b == n_fx;
    if (!take_local && a < total) {
      const fc_windows *w = windows[order[a].pattern];
      xwin lw = {order[a].score, order[a].pattern,
                 m->global_begin + w->ids[(size_t)order[a].win * (size_t)w->n_rows], 0, NULL};
      take_local = xwin_cmp(&lw, fx[b]) < 0;
    }
    const size_t pos = a + b;
    /* the window's own rows, as local_view / foreign_view read them (written out here: this
     * loop runs once per window per cover, and the copy through a struct cost 5-10%) */
    const int64_t score = take_local ? order[a].score : fx[b]->score;
    uint32_t lids[FC_MAX_PROWS];
    int nl = 0;
    size_t gidx = SIZE_MAX; /* index in gx when crossing */
    if (take_local) {
      const fc_windows *w = windows[order[a].pattern];
      const uint32_t *ids = w->ids + (size_t)order[a].win * (size_t)w->n_rows;
      for (int r = 0; r < w->n_rows; r++)
        if (ids[r] < own) lids[nl++] = ids[r];
      if (multi && lx_of[a]) gidx = my_first + lx_of[a] - 1;
    } else {
      for (int r = 0; r < fx[b]->n_rows; r++) {
        uint64_t g = fx[b]->gids[r];
        if (g >= m->global_begin && g < m->global_begin + own)
          lids[nl++] = (uint32_t)(g - m->global_begin);
      }
      gidx = (size_t)(fx[b] - gx);
    }
    bool blk = false;
    for (int r = 0; r < nl && !blk; r++)
      blk = covered[lids[r]] || (ext_row_score && ext_row_score[lids[r]] >= score);
    bool accept = gidx == SIZE_MAX ? !blk : (decide[gidx] && !blk);
    if (gidx != SIZE_MAX) blocked[gidx] = blk;
    if (accept)
      for (int r = 0; r < nl; r++) {
        covered[lids[r]] = 1;
        if (row_score) row_score[lids[r]] = score;
      }
    if (multi) {
      rp.acc[pos] = accept;
      if (gidx != SIZE_MAX) rp.gpos[gidx] = pos;
      if (accept)
        for (int r = 0; r < nl; r++) rp.owner[lids[r]] = pos + 1;
    }
    if (take_local) {
      picked[base[order[a].pattern] + order[a].win] = accept;
      if (multi) {
        rp.mref[pos] = (int64_t)a;
        rp.inv[base[order[a].pattern] + order[a].win] = pos;
      }
      a++;
    } else {
      if (multi) {
        rp.mref[pos] = -1 - (int64_t)b;
        rp.fpos[b] = pos;
      }
      b++;
    }
  }
  int rounds = 1;
  rp.m = m;
  rp.windows = windows;
  rp.n_patterns = n_patterns;
  rp.base = base;
  rp.order = order;
  rp.fx = fx;
  rp.n_fx = n_fx;
  rp.gx = gx;
  rp.lx_of = lx_of;
  rp.my_first = my_first;
  rp.decide = decide;
  rp.ext = ext_row_score;
  rp.picked = picked;
  rp.covered = covered;
  rp.row_score = row_score;
  /* Later rounds: the ranks agree on the crossing windows; where a decision changed, only the
   * windows it reaches are redone (repair), not the whole pass. */
  while (multi) {
    if (MPI_Allreduce(MPI_IN_PLACE, blocked, (int)n_gx, MPI_UINT8_T, MPI_MAX, m->comm) !=
        MPI_SUCCESS) {
      st = FC_ERROR(FC_ERR_MPI, "exchanging cover decisions failed");
      goto out;
    }
    bool changed = false;
    for (size_t i = 0; i < n_gx; i++) {
      uint8_t d = !blocked[i];
      if (d == decide[i]) continue;
      changed = true;
      decide[i] = d;
      if (rp.gpos[i] != NO_POS) FC_CALL_GOTO(st, heap_push(&rp, rp.gpos[i]), out);
    }
    if (!changed) break;
    if (++rounds > 100000) {
      st = FC_ERROR(FC_ERR_STATE, "the distributed cover did not settle");
      goto out;
    }
    FC_CALL_GOTO(st, repair(&rp), out);
    /* blocked as a pass would find it: a row taken by a window of higher priority */
    memset(blocked, 0, n_gx ? n_gx : 1);
    for (size_t i = 0; i < n_gx; i++) {
      if (rp.gpos[i] == NO_POS) continue;
      wview v = view_of(&rp, rp.gpos[i]);
      for (int r = 0; r < v.nl && !blocked[i]; r++)
        blocked[i] = (covered[v.lids[r]] && rp.owner[v.lids[r]] - 1 < rp.gpos[i]) ||
                     (ext_row_score && ext_row_score[v.lids[r]] >= v.score);
    }
  }
  /* Local crossing windows take the agreed decision. */
  for (size_t i = 0; multi && i < total; i++)
    if (lx_of[i]) picked[base[order[i].pattern] + order[i].win] = decide[my_first + lx_of[i] - 1];
  if (rounds_out) *rounds_out = rounds;
out:
  free(words);
  free(all);
  free(counts);
  free(displs);
  free(gx);
  free(fx);
  free(decide);
  free(blocked);
  repair_free(&rp);
  return st;
}

fc_status fc_windows_placeable(const fc_mdata *m, const fc_windows *w, int covered_cells,
                               const int64_t *row_score, uint64_t *placed) {
  fc_status st = FC_OK;
  wref *order = NULL;
  uint8_t *picked = NULL, *covered = NULL;
  size_t n = 0, cap = 0, base[2] = {0, w->n};
  const fc_windows *ws[1] = {w};
  FC_CALL_GOTO(st, fc_window_refs(w, covered_cells, 0, &order, &n, &cap), out);
  FC_CALL_GOTO(st, fci_calloc(n ? n : 1, 1, &picked), out);
  FC_CALL_GOTO(st, fci_calloc(m->n_own ? m->n_own : 1, 1, &covered), out);
  FC_CALL_GOTO(st, greedy(m, ws, 1, base, order, n, row_score, picked, covered, NULL, NULL), out);
  uint64_t cnt = 0;
  for (size_t i = 0; i < n; i++) cnt += picked[i];
  if (m->size > 1) MPI_Allreduce(MPI_IN_PLACE, &cnt, 1, MPI_UINT64_T, MPI_SUM, m->comm);
  *placed = cnt;
out:
  free(order);
  free(picked);
  free(covered);
  return st;
}

void fc_cover_free(fc_cover *c) {
  if (c->used)
    for (size_t k = 0; k < c->n_patterns; k++) fc_windows_free(&c->used[k]);
  free(c->used);
  free(c->covered);
  free(c->row_score);
  memset(c, 0, sizeof *c);
}

fc_status fc_cover_compute(const fc_mdata *m, const fc_windows *const *windows,
                           const int *covered_cells, size_t n_patterns,
                           const fc_window_ref *order, fc_cover *out) {
  fc_status st = FC_OK;
  memset(out, 0, sizeof *out);
  wref *refs = NULL;
  uint8_t *picked = NULL;
  size_t total = 0;
  for (size_t k = 0; k < n_patterns; k++) total += windows[k]->n;
  out->n_patterns = n_patterns;
  FC_CALL_GOTO(st, fci_calloc(n_patterns ? n_patterns : 1, sizeof *out->used, &out->used), fail);
  FC_CALL_GOTO(st, fci_calloc(m->n ? m->n : 1, 1, &out->covered), fail);
  FC_CALL_GOTO(st, fci_malloc((m->n ? m->n : 1) * sizeof *out->row_score, &out->row_score), fail);
  for (size_t i = 0; i < m->n; i++) out->row_score[i] = INT64_MIN;
  FC_CALL_GOTO(st, fci_calloc(total ? total : 1, 1, &picked), fail);
  if (!order) {
    size_t o = 0, cap = 0;
    for (size_t k = 0; k < n_patterns; k++)
      FC_CALL_GOTO(st, fc_window_refs(windows[k], covered_cells[k], (uint32_t)k, &refs, &o, &cap),
                   fail);
    if (total) qsort(refs, total, sizeof *refs, wref_cmp);
    order = refs;
  }
  size_t *used_n;
  FC_CALL_GOTO(st, fci_calloc(n_patterns ? n_patterns : 1, sizeof *used_n, &used_n), fail);
  size_t *base;
  st = fci_calloc(n_patterns + 1, sizeof *base, &base);
  if (st != FC_OK) {
    free(used_n);
    goto fail;
  }
  for (size_t k = 0; k < n_patterns; k++) base[k + 1] = base[k] + windows[k]->n;
  st = greedy(m, windows, n_patterns, base, order, total, NULL, picked, out->covered,
              out->row_score, &out->rounds);
  if (st != FC_OK) {
    free(used_n);
    free(base);
    goto fail;
  }
  for (size_t k = 0; k < n_patterns; k++)
    for (size_t i = 0; i < windows[k]->n; i++) used_n[k] += picked[base[k] + i];
  /* Accepted windows per pattern, in start order. */
  for (size_t k = 0; k < n_patterns && st == FC_OK; k++) {
    fc_windows *u = &out->used[k];
    u->n_rows = windows[k]->n_rows;
    if (!used_n[k]) continue;
    st = fci_malloc(used_n[k] * (size_t)u->n_rows * sizeof *u->ids, &u->ids);
    if (st != FC_OK) break;
    u->cap = used_n[k];
    for (size_t i = 0; i < windows[k]->n; i++)
      if (picked[base[k] + i]) {
        memcpy(u->ids + u->n * (size_t)u->n_rows, windows[k]->ids + i * (size_t)u->n_rows,
               (size_t)u->n_rows * sizeof *u->ids);
        u->n++;
      }
  }
  free(used_n);
  free(base);
  if (st != FC_OK) goto fail;
  out->n_uncovered = 0;
  for (size_t i = 0; i < m->n_own; i++) out->n_uncovered += !out->covered[i];
  free(refs);
  free(picked);
  return FC_OK;
fail:
  free(refs);
  free(picked);
  fc_cover_free(out);
  return st;
}
