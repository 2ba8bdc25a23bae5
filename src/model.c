/* The model under search and its exact MDL score; trials computed aside, then committed. */
#include "flowchronicle/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/dist.h"
#include "flowchronicle/mdl.h"

#define MAX_VARS (FC_MAX_PROWS * FC_NCOLS)
#define MAX_FOLDS 16
/* Delay code lengths are summed in fixed point (2^-24 bit units): integer sums are exact and
 * associative, so partial sums from any split of the windows add up to the same total. */
#define FX_ONE 16777216.0

typedef struct fci_eval {
  fc_windows used; /* the used windows starting in this rank's block */
  uint64_t usage;  /* used windows over all ranks */
  uint32_t *card;
  uint32_t **alpha;
  fc_bn *bn;
  double data_bits;
} fci_eval;

typedef struct fci_pat {
  fc_pattern p;
  int covered;
  int n_vars;
  uint8_t vrow[MAX_VARS], vcol[MAX_VARS];
  fc_bn_family *fams; /* structure, n_vars entries (learned when the pattern is added) */
  fc_windows wins;    /* all windows */
  double model_bits;  /* L(p) */
  fci_eval ev;
} fci_pat;

struct fc_model {
  const fc_mdata *md;
  uint64_t span;
  double log2T;
  fc_model_options o;
  size_t n, cap;
  fci_pat **pats;
  fc_cover cover;
  fc_window_ref *order; /* every window of the patterns in cover priority order */
  size_t n_order;
  fc_bn_family base_fams[FC_NCOLS];
  uint32_t base_card[FC_NCOLS];
  fc_bn *base_bn; /* counted on the uncovered rows */
  double base_struct_bits, base_data_bits;
  uint64_t n_uncovered; /* over all ranks */
  double empty_total;
  double model_bits, data_bits;
  /* Scratch per column for alphabets (domain-sized, reused): stamp[c][code] == gen marks a code
   * seen in the current variable; pos[c][code] is its index in the alphabet. */
  uint32_t *stamp[FC_NCOLS], *pos[FC_NCOLS];
  uint32_t gen;
};

enum { TRIAL_ADD, TRIAL_REMOVE };

struct fc_trial {
  fc_model *m;
  int kind;
  size_t removed;
  fci_pat *added; /* owned until commit */
  size_t n;
  fci_pat **pats; /* the trial's pattern list (borrowed, plus `added` last) */
  fci_eval *evs;  /* new evaluations where reuse[i] is false */
  bool *reuse;
  fc_cover cover;
  fc_window_ref *order;
  size_t n_order;
  fc_bn *base_bn;
  double base_data_bits;
  uint64_t n_uncovered;
  double model_bits, data_bits, total;
};

/* ---------------------------------------------------------------- evaluation pieces */

static void eval_free(fci_eval *e) {
  fc_windows_free(&e->used);
  if (e->alpha)
    for (int v = 0; v < MAX_VARS; v++) free(e->alpha[v]);
  free(e->alpha);
  free(e->card);
  fc_bn_destroy(&e->bn);
  memset(e, 0, sizeof *e);
}

static void pat_destroy(fci_pat **pp) {
  if (!*pp) return;
  fci_pat *p = *pp;
  eval_free(&p->ev);
  fc_windows_free(&p->wins);
  free(p->fams);
  free(p);
  *pp = NULL;
}

static void pat_vars(fci_pat *P, int n_cols) {
  P->n_vars = 0;
  for (int r = 0; r < P->p.n_rows; r++)
    for (int c = 0; c < n_cols; c++) {
      uint8_t k = P->p.cell[r][c].kind;
      if (k == FC_CELL_FREE || k == FC_CELL_SET) {
        P->vrow[P->n_vars] = (uint8_t)r;
        P->vcol[P->n_vars] = (uint8_t)c;
        P->n_vars++;
      }
    }
}

static double pattern_model_bits(const fc_model *m, const fci_pat *P) {
  int C = m->md->n_cols;
  double rows[FC_MAX_PROWS];
  int bound = 0;
  for (int r = 0; r < P->p.n_rows; r++) {
    int F = 0, U = 0, S = 0;
    double fix_bits = 0;
    for (int c = 0; c < C; c++) {
      const fc_cell *x = &P->p.cell[r][c];
      if (x->kind == FC_CELL_FIX) {
        F++;
        fix_bits += log2((double)(m->md->domain[c] > 1 ? m->md->domain[c] : 1));
      } else if (x->kind == FC_CELL_USE) {
        U++;
      } else if (x->kind == FC_CELL_SET) {
        S++;
      }
    }
    rows[r] = fc_mdl_row_bits(C, F, U, S, bound, r == 0, fix_bits);
    bound += S;
  }
  double sb = 0;
  if (P->n_vars > 0 && P->fams) {
    int np[MAX_VARS];
    for (int v = 0; v < P->n_vars; v++) np[v] = P->fams[v].n_parents;
    sb = fc_mdl_bn_structure_bits(P->n_vars, np, m->o.max_indegree, m->o.artifact_struct_bits);
  }
  return fc_mdl_pattern_bits(P->p.n_rows, rows, sb);
}

static int u32_cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* Evaluates pattern P on the given used windows: time and usage bits, and the KT bits of its BN,
 * learning the structure when `learn` (and storing it in P) or recounting P's structure. */
static fc_status eval_pattern(fc_model *m, fci_pat *P, const fc_windows *used, bool learn,
                              fci_eval *ev) {
  fc_status st = FC_OK;
  const fc_mdata *md = m->md;
  memset(ev, 0, sizeof *ev);
  size_t u = used->n;
  int R = P->p.n_rows;
  ev->used.n_rows = R;
  if (u) {
    FC_CALL(fci_malloc(u * (size_t)R * sizeof *ev->used.ids, &ev->used.ids));
    memcpy(ev->used.ids, used->ids, u * (size_t)R * sizeof *ev->used.ids);
    ev->used.n = ev->used.cap = u;
  }
  int64_t fx = 0;
  for (size_t w = 0; w < u; w++) {
    const uint32_t *ids = used->ids + w * (size_t)R;
    for (int r = 1; r < R; r++) {
      int64_t d = md->ticks[ids[r]] - md->ticks[ids[r - 1]];
      fx += llround(fc_mdl_universal((uint64_t)d + 1) * FX_ONE);
    }
  }
  int64_t red[2] = {(int64_t)u, fx}; /* usage and delay bits over all ranks */
  FC_CALL_GOTO(st, fc_dist_sum_i64(md->comm, red, 2), fail);
  uint64_t ug = (uint64_t)red[0];
  ev->usage = ug;
  double bits = (double)ug * m->log2T + (double)red[1] / FX_ONE;
  if (ug) bits += fc_mdl_universal(ug);
  uint32_t *vals = NULL;
  const uint32_t **cols = NULL;
  if (P->n_vars > 0 && ug > 0) {
    int nv = P->n_vars;
    FC_CALL_GOTO(st, fci_calloc((size_t)nv, sizeof *ev->card, &ev->card), fail);
    FC_CALL_GOTO(st, fci_calloc(MAX_VARS, sizeof *ev->alpha, &ev->alpha), fail);
    FC_CALL_GOTO(st, fci_malloc(((size_t)nv * u + 1) * sizeof *vals, &vals), fail);
    FC_CALL_GOTO(st, fci_malloc((size_t)nv * sizeof *cols, &cols), fail);
    for (int v = 0; v < nv; v++) {
      uint32_t *col = vals + (size_t)v * u;
      for (size_t w = 0; w < u; w++) col[w] = md->codes[P->vcol[v]][used->ids[w * (size_t)R + P->vrow[v]]];
      /* Alphabet: the distinct codes over all ranks, ascending; values become indices. The
       * distinct codes are found with a stamp per code (no sort of all values), then only
       * they are sorted. */
      int c = P->vcol[v];
      if (!m->stamp[c]) {
        FC_CALL_GOTO(st, fci_calloc(md->domain[c] + 1, sizeof *m->stamp[c], &m->stamp[c]), fail);
        FC_CALL_GOTO(st, fci_malloc((md->domain[c] + 1) * sizeof *m->pos[c], &m->pos[c]), fail);
      }
      if (++m->gen == 0) { /* wrapped: clear the stamps once */
        for (int cc = 0; cc < FC_NCOLS; cc++)
          if (m->stamp[cc]) memset(m->stamp[cc], 0, (md->domain[cc] + 1) * sizeof *m->stamp[cc]);
        m->gen = 1;
      }
      uint32_t *a;
      FC_CALL_GOTO(st, fci_malloc((u ? u : 1) * sizeof *a, &a), fail);
      size_t k = 0;
      for (size_t w = 0; w < u; w++)
        if (m->stamp[c][col[w]] != m->gen) {
          m->stamp[c][col[w]] = m->gen;
          a[k++] = col[w];
        }
      qsort(a, k, sizeof *a, u32_cmp);
      size_t kg = 0;
      st = fc_dist_union_u32(md->comm, a, k, &ev->alpha[v], &kg);
      free(a);
      if (st != FC_OK) goto fail;
      ev->card[v] = (uint32_t)kg;
      for (size_t j = 0; j < kg; j++) m->pos[c][ev->alpha[v][j]] = (uint32_t)j;
      for (size_t w = 0; w < u; w++) col[w] = m->pos[c][col[w]];
      cols[v] = col;
    }
    fc_dist_bn_ctx data = {{nv, u, cols, ev->card}, md->comm};
    if (learn) {
      fc_bn_learn_opts lo;
      fc_bn_learn_opts_default(&lo);
      lo.max_indegree = m->o.max_indegree;
      lo.score = fc_dist_bn_score;
      FC_CALL_GOTO(st, fc_bn_learn(nv, ev->card, &lo, fc_dist_bn_count, &data, &ev->bn, NULL),
                   fail);
      free(P->fams);
      FC_CALL_GOTO(st, fci_malloc((size_t)nv * sizeof *P->fams, &P->fams), fail);
      for (int v = 0; v < nv; v++) P->fams[v] = *fc_bn_family_of(ev->bn, v);
    } else {
      FC_CALL_GOTO(st, fc_bn_create_counted(nv, ev->card, P->fams, fc_dist_bn_count, &data,
                                            &ev->bn),
                   fail);
    }
    /* KT with r = the column's whole domain: the decoder knows the domain, not the pattern's
     * observed alphabet, so coding against the alphabet would hide its cost. (BIC above uses the
     * observed cardinalities, as pgmpy's BicScore does.) */
    for (int v = 0; v < nv; v++)
      bits += fc_bn_counts_kt_bits(fc_bn_counts_of(ev->bn, v), md->domain[P->vcol[v]]);
  } else if (P->n_vars > 0 && learn && ug == 0) {
    free(P->fams); /* unused pattern: empty structure */
    FC_CALL_GOTO(st, fci_calloc((size_t)P->n_vars, sizeof *P->fams, &P->fams), fail);
    for (int v = 0; v < P->n_vars; v++) {
      P->fams[v].node = v;
      for (int k = 0; k < FC_BN_MAX_PARENTS; k++) P->fams[v].parents[k] = -1;
    }
  }
  ev->data_bits = bits;
  free(vals);
  free(cols);
  return FC_OK;
fail:
  free(vals);
  free(cols);
  eval_free(ev);
  return st;
}

/* KT bits of the uncovered rows (of every rank's block) under the base structure. */
static fc_status eval_base(const fc_model *m, const uint8_t *covered, size_t n_unc, fc_bn **bn,
                           double *bits) {
  fc_status st = FC_OK;
  const fc_mdata *md = m->md;
  int C = md->n_cols;
  uint32_t *vals = NULL;
  const uint32_t *cols[FC_NCOLS];
  FC_CALL(fci_malloc(((size_t)C * n_unc + 1) * sizeof *vals, &vals));
  for (int c = 0; c < C; c++) {
    uint32_t *col = vals + (size_t)c * n_unc;
    size_t o = 0;
    for (size_t i = 0; i < md->n_own; i++)
      if (!covered || !covered[i]) col[o++] = md->codes[c][i];
    cols[c] = col;
  }
  uint64_t ng = n_unc;
  fc_dist_bn_ctx data = {{C, n_unc, cols, m->base_card}, md->comm};
  st = fc_dist_sum_u64(md->comm, &ng, 1);
  if (st == FC_OK)
    st = fc_bn_create_counted(C, m->base_card, m->base_fams, fc_dist_bn_count, &data, bn);
  if (st == FC_OK)
    *bits = (double)ng * m->log2T + fc_bn_data_bits(*bn);
  else
    fci_error_trace(__FILE__, __LINE__, __func__);
  free(vals);
  return st;
}

/* ---------------------------------------------------------------- model */

fc_status fc_model_create(const fc_mdata *md, uint64_t span_ticks, const fc_model_options *o,
                          const fc_bn_family *base_structure, fc_model **out) {
  fc_model *m;
  FC_CALL(fci_calloc(1, sizeof *m, &m));
  fc_status st = FC_OK;
  m->md = md;
  m->span = span_ticks;
  m->log2T = fc_mdl_log2_span(span_ticks);
  m->o = *o;
  int C = md->n_cols;
  for (int c = 0; c < C; c++) m->base_card[c] = md->domain[c] ? md->domain[c] : 1;
  if (base_structure) {
    memcpy(m->base_fams, base_structure, (size_t)C * sizeof *base_structure);
  } else {
    fc_bn_learn_opts lo;
    fc_bn_learn_opts_default(&lo);
    lo.max_indegree = o->max_indegree;
    fc_dist_bn_ctx data = {{C, md->n_own, (const uint32_t *const *)md->codes, m->base_card},
                           md->comm};
    lo.score = fc_dist_bn_score;
    fc_bn *bn = NULL;
    FC_CALL_GOTO(st, fc_bn_learn(C, m->base_card, &lo, fc_dist_bn_count, &data, &bn, NULL),
                 fail);
    for (int c = 0; c < C; c++) m->base_fams[c] = *fc_bn_family_of(bn, c);
    fc_bn_destroy(&bn);
  }
  FC_CALL_GOTO(st, eval_base(m, NULL, md->n_own, &m->base_bn, &m->base_data_bits), fail);
  m->base_struct_bits = fc_bn_structure_bits(m->base_bn, o->max_indegree, o->artifact_struct_bits);
  FC_CALL_GOTO(st, fci_calloc(md->n ? md->n : 1, 1, &m->cover.covered), fail);
  FC_CALL_GOTO(st, fci_malloc((md->n ? md->n : 1) * sizeof *m->cover.row_score,
                              &m->cover.row_score),
               fail);
  for (size_t i = 0; i < md->n; i++) m->cover.row_score[i] = INT64_MIN;
  m->cover.n_uncovered = md->n_own;
  m->n_uncovered = md->global_n;
  m->model_bits = fc_mdl_model_bits(0, NULL, m->base_struct_bits);
  m->data_bits = m->base_data_bits;
  m->empty_total = m->model_bits + m->data_bits;
  *out = m;
  return FC_OK;
fail:
  fc_model_destroy(&m);
  return st;
}

void fc_model_destroy(fc_model **pm) {
  if (!*pm) return;
  fc_model *m = *pm;
  for (size_t k = 0; k < m->n; k++) pat_destroy(&m->pats[k]);
  free(m->pats);
  free(m->order);
  for (int c = 0; c < FC_NCOLS; c++) {
    free(m->stamp[c]);
    free(m->pos[c]);
  }
  fc_cover_free(&m->cover);
  fc_bn_destroy(&m->base_bn);
  free(m);
  *pm = NULL;
}

size_t fc_model_n_patterns(const fc_model *m) { return m->n; }
int64_t fc_model_max_span(const fc_model *m) { return m->o.max_span_ticks; }
const fc_model_options *fc_model_get_options(const fc_model *m) { return &m->o; }
const fc_bn_family *fc_model_base_structure(const fc_model *m) { return m->base_fams; }
const fc_bn_family *fc_model_structure(const fc_model *m, size_t k, int *n_vars) {
  *n_vars = m->pats[k]->n_vars;
  return m->pats[k]->fams;
}
const fc_pattern *fc_model_pattern(const fc_model *m, size_t k) { return &m->pats[k]->p; }
uint64_t fc_model_usage(const fc_model *m, size_t k) { return m->pats[k]->ev.usage; }
const fc_windows *fc_model_used(const fc_model *m, size_t k) { return &m->pats[k]->ev.used; }
const fc_bn *fc_model_bn(const fc_model *m, size_t k) { return m->pats[k]->ev.bn; }
const fc_bn *fc_model_base_bn(const fc_model *m) { return m->base_bn; }
const uint8_t *fc_model_covered(const fc_model *m) { return m->cover.covered; }
const int64_t *fc_model_row_scores(const fc_model *m) { return m->cover.row_score; }
size_t fc_model_uncovered(const fc_model *m) { return m->n_uncovered; }
double fc_model_pattern_bits(const fc_model *m, size_t k) { return m->pats[k]->model_bits; }
double fc_model_pattern_data_bits(const fc_model *m, size_t k) {
  return m->pats[k]->ev.data_bits;
}

int fc_model_bn_vars(const fc_model *m, size_t k, const uint8_t **row, const uint8_t **col,
                     const uint32_t *const **alphabet) {
  const fci_pat *P = m->pats[k];
  *row = P->vrow;
  *col = P->vcol;
  *alphabet = (const uint32_t *const *)P->ev.alpha;
  return P->n_vars;
}

void fc_model_get_bits(const fc_model *m, fc_model_bits *b) {
  b->model = m->model_bits;
  b->data = m->data_bits;
  b->total = m->model_bits + m->data_bits;
  b->empty = m->empty_total;
}

/* ---------------------------------------------------------------- trials */

void fc_trial_destroy(fc_trial **pt) {
  if (!*pt) return;
  fc_trial *t = *pt;
  if (t->evs)
    for (size_t i = 0; i < t->n; i++)
      if (!t->reuse[i]) eval_free(&t->evs[i]);
  free(t->evs);
  free(t->reuse);
  free(t->pats);
  pat_destroy(&t->added);
  free(t->order);
  fc_cover_free(&t->cover);
  fc_bn_destroy(&t->base_bn);
  free(t);
  *pt = NULL;
}

double fc_trial_total(const fc_trial *t) { return t->total; }
const fc_pattern *fc_trial_pattern(const fc_trial *t) { return t->added ? &t->added->p : NULL; }

static bool windows_same(const fc_windows *a, const fc_windows *b) {
  return a->n == b->n && a->n_rows == b->n_rows &&
         (a->n == 0 || !memcmp(a->ids, b->ids, a->n * (size_t)a->n_rows * sizeof *a->ids));
}

/* The trial's window order from the model's, without sorting everything again: an added
 * pattern's windows are merged in (it comes last, so it loses ties); a removed pattern's are
 * dropped and the later pattern indices shift down. */
static fc_status trial_order(fc_trial *t) {
  fc_model *m = t->m;
  if (t->kind == TRIAL_REMOVE) {
    FC_CALL(fci_malloc((m->n_order ? m->n_order : 1) * sizeof *t->order, &t->order));
    uint32_t k = (uint32_t)t->removed;
    for (size_t i = 0; i < m->n_order; i++) {
      fc_window_ref r = m->order[i];
      if (r.pattern == k) continue;
      if (r.pattern > k) r.pattern--;
      t->order[t->n_order++] = r;
    }
    return FC_OK;
  }
  fc_window_ref *add = NULL;
  size_t na = 0, cap = 0;
  FC_CALL(fc_window_refs(&t->added->wins, t->added->covered, (uint32_t)(t->n - 1), &add, &na,
                         &cap));
  fc_status st = fci_malloc((m->n_order + na + 1) * sizeof *t->order, &t->order);
  if (st == FC_OK) {
    size_t i = 0, j = 0;
    while (i < m->n_order || j < na) {
      if (j == na || (i < m->n_order && fc_window_ref_cmp(&m->order[i], &add[j]) < 0))
        t->order[t->n_order++] = m->order[i++];
      else
        t->order[t->n_order++] = add[j++];
    }
  }
  free(add);
  return st;
}

/* Covers with the trial's pattern list and scores it. learn_last: learn the BN of the last
 * pattern (the candidate) instead of recounting a known structure. */
static fc_status trial_score(fc_trial *t, bool learn_last) {
  fc_model *m = t->m;
  const fc_windows **wins;
  int *cells;
  FC_CALL(fci_malloc((t->n ? t->n : 1) * sizeof *wins, &wins));
  fc_status st = fci_malloc((t->n ? t->n : 1) * sizeof *cells, &cells);
  if (st != FC_OK) {
    free(wins);
    return st;
  }
  for (size_t i = 0; i < t->n; i++) {
    wins[i] = &t->pats[i]->wins;
    cells[i] = t->pats[i]->covered;
  }
  st = trial_order(t);
  if (st == FC_OK) st = fc_cover_compute(m->md, wins, cells, t->n, t->order, &t->cover);
  free(wins);
  free(cells);
  FC_CALL(st);
  FC_CALL(fci_calloc(t->n ? t->n : 1, sizeof *t->evs, &t->evs));
  FC_CALL(fci_calloc(t->n ? t->n : 1, sizeof *t->reuse, &t->reuse));
  double pbits[1024], *pb = pbits;
  if (t->n > 1024) FC_CALL(fci_malloc(t->n * sizeof *pb, &pb));
  /* A pattern keeps its evaluation when its used windows are unchanged on every rank. */
  int *same;
  FC_CALL(fci_malloc((t->n ? t->n : 1) * sizeof *same, &same));
  for (size_t i = 0; i < t->n; i++)
    same[i] = t->pats[i] != t->added && windows_same(&t->cover.used[i], &t->pats[i]->ev.used);
  if (m->md->size > 1 && t->n > 0 &&
      MPI_Allreduce(MPI_IN_PLACE, same, (int)t->n, MPI_INT, MPI_LAND, m->md->comm) != MPI_SUCCESS)
    st = FC_ERROR(FC_ERR_MPI, "agreeing on changed patterns failed");
  double data = 0;
  for (size_t i = 0; i < t->n && st == FC_OK; i++) {
    fci_pat *P = t->pats[i];
    bool is_new = P == t->added;
    if (same[i]) {
      t->reuse[i] = true;
      data += P->ev.data_bits;
    } else {
      st = eval_pattern(m, P, &t->cover.used[i], is_new && learn_last, &t->evs[i]);
      if (st != FC_OK) {
        t->reuse[i] = true; /* nothing to free */
        break;
      }
      data += t->evs[i].data_bits;
      if (is_new) P->model_bits = pattern_model_bits(m, P);
    }
    pb[i] = P->model_bits;
  }
  free(same);
  if (st == FC_OK) {
    t->model_bits = fc_mdl_model_bits(t->n, pb, m->base_struct_bits);
    st = eval_base(m, t->cover.covered, t->cover.n_uncovered, &t->base_bn, &t->base_data_bits);
  }
  if (st == FC_OK) {
    t->n_uncovered = t->cover.n_uncovered;
    st = fc_dist_sum_u64(m->md->comm, &t->n_uncovered, 1);
  }
  if (pb != pbits) free(pb);
  FC_CALL(st);
  t->data_bits = data + t->base_data_bits;
  t->total = t->model_bits + t->data_bits;
  return FC_OK;
}

static fc_status trial_new(fc_model *m, int kind, fc_trial **out) {
  fc_trial *t;
  FC_CALL(fci_calloc(1, sizeof *t, &t));
  t->m = m;
  t->kind = kind;
  fc_status st = fci_malloc((m->n + 1) * sizeof *t->pats, &t->pats);
  if (st != FC_OK) {
    free(t);
    return st;
  }
  *out = t;
  return FC_OK;
}

fc_status fc_model_trial_add(fc_model *m, const fc_pattern *c, const fc_bn_family *structure,
                             fc_trial **out) {
  *out = NULL;
  fc_pattern cur = *c;
  for (int fold = 0; fold <= MAX_FOLDS; fold++) {
    fc_trial *t;
    FC_CALL(trial_new(m, TRIAL_ADD, &t));
    fc_status st = fci_calloc(1, sizeof *t->added, &t->added);
    if (st != FC_OK) {
      fc_trial_destroy(&t);
      return st;
    }
    fci_pat *P = t->added;
    P->p = cur;
    P->covered = fc_pattern_covered_cells(&cur, m->md->n_cols);
    pat_vars(P, m->md->n_cols);
    if (structure && P->n_vars > 0) {
      st = fci_malloc((size_t)P->n_vars * sizeof *P->fams, &P->fams);
      if (st == FC_OK) memcpy(P->fams, structure, (size_t)P->n_vars * sizeof *P->fams);
    }
    if (st == FC_OK)
      st = fc_find_windows(m->md, &cur, m->o.max_span_ticks, 0, m->md->n_own, &P->wins);
    uint64_t nw = P->wins.n;
    if (st == FC_OK) st = fc_dist_sum_u64(m->md->comm, &nw, 1);
    if (st != FC_OK || nw == 0) {
      fc_trial_destroy(&t);
      FC_CALL(st);
      return FC_OK; /* no window: nothing to add */
    }
    /* Constants over all its windows first: a candidate competes in the cover with the cells
     * it will have, not with fewer (it would lose windows it deserves to better-scored ones). */
    fc_pattern folded = cur;
    bool changed = false;
    if (!structure) st = fc_pattern_fold(m->md, &P->wins, &folded, &changed);
    if (st != FC_OK || changed) {
      fc_trial_destroy(&t);
      FC_CALL(st);
      cur = folded;
      continue;
    }
    for (size_t i = 0; i < m->n; i++) t->pats[i] = m->pats[i];
    t->pats[m->n] = P;
    t->n = m->n + 1;
    st = trial_score(t, structure == NULL);
    if (st != FC_OK) {
      fc_trial_destroy(&t);
      FC_CALL(st);
    }
    if (t->evs[t->n - 1].usage == 0) { /* every window lost to better ones (on every rank) */
      fc_trial_destroy(&t);
      return FC_OK;
    }
    /* Then constants over the windows it uses (fewer than it has when others win some). */
    folded = cur;
    changed = false;
    if (!structure) st = fc_pattern_fold(m->md, &t->evs[t->n - 1].used, &folded, &changed);
    if (st == FC_OK && !changed) {
      *out = t;
      return FC_OK;
    }
    fc_trial_destroy(&t);
    FC_CALL(st);
    cur = folded;
    if (!fc_pattern_valid(&cur, m->md->n_cols))
      return FC_ERROR(FC_ERR_STATE, "constant folding made an invalid pattern");
  }
  return FC_ERROR(FC_ERR_STATE, "constant folding did not settle in %d rounds", MAX_FOLDS);
}

fc_status fc_model_trial_remove(fc_model *m, size_t k, fc_trial **out) {
  if (k >= m->n) return FC_ERROR(FC_ERR_ARG, "no pattern %zu", k);
  fc_trial *t;
  FC_CALL(trial_new(m, TRIAL_REMOVE, &t));
  t->removed = k;
  for (size_t i = 0, o = 0; i < m->n; i++)
    if (i != k) t->pats[o++] = m->pats[i];
  t->n = m->n - 1;
  fc_status st = trial_score(t, false);
  if (st != FC_OK) {
    fc_trial_destroy(&t);
    FC_CALL(st);
  }
  *out = t;
  return FC_OK;
}

void fc_model_commit(fc_model *m, fc_trial **pt) {
  fc_trial *t = *pt;
  if (!t) return;
  /* New evaluations move into their patterns. */
  for (size_t i = 0; i < t->n; i++)
    if (!t->reuse[i]) {
      eval_free(&t->pats[i]->ev);
      t->pats[i]->ev = t->evs[i];
      memset(&t->evs[i], 0, sizeof t->evs[i]);
      t->reuse[i] = true;
    }
  if (t->kind == TRIAL_REMOVE) pat_destroy(&m->pats[t->removed]);
  if (t->n > m->cap) {
    fci_pat **np = realloc(m->pats, (t->n + 16) * sizeof *np);
    if (np) { /* t->pats has the same content; on failure keep using it */
      m->pats = np;
      m->cap = t->n + 16;
    } else {
      free(m->pats);
      m->pats = t->pats;
      t->pats = NULL;
      m->cap = t->n + 1;
    }
  }
  if (t->pats) memcpy(m->pats, t->pats, t->n * sizeof *m->pats);
  m->n = t->n;
  t->added = NULL; /* now owned by the model */
  fc_cover_free(&m->cover);
  m->cover = t->cover;
  memset(&t->cover, 0, sizeof t->cover);
  free(m->order);
  m->order = t->order;
  m->n_order = t->n_order;
  t->order = NULL;
  fc_bn_destroy(&m->base_bn);
  m->base_bn = t->base_bn;
  t->base_bn = NULL;
  m->base_data_bits = t->base_data_bits;
  m->n_uncovered = t->n_uncovered;
  m->model_bits = t->model_bits;
  m->data_bits = t->data_bits;
  fc_trial_destroy(pt);
}
