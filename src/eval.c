/* The evaluation protocol: repeated random samples of the real, synthetic and held-out tables,
 * every metric per run, mean and standard deviation over the runs; plus the names of metrics
 * and columns and the keyed random stream.
 *
 * Per run, each table gives a random sample without replacement (distribution metrics, DKC, MD)
 * and contiguous windows in time order (temporal metrics: a random subsample would destroy the
 * succession they measure). Discrete values become codes through one dictionary per run, so
 * equal values get equal codes across the tables compared in that run. */
#include <Random123/philox.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_impl.h"
#include "flowchronicle/eval.h"
#include "flowchronicle/log.h"
#include "flowchronicle/strdict.h"

/* ---------------------------------------------------------------- names */

static const char *const cat_names[FC_EVAL_NCAT] = {"proto", "src_ip", "dst_ip", "dst_port",
                                                    "flags"};
static const char *const num_names[FC_EVAL_NNUM] = {"fwd_bytes", "bwd_bytes", "fwd_pkts",
                                                    "bwd_pkts", "duration"};

const char *fc_eval_cat_name(int c) {
  return c >= 0 && c < FC_EVAL_NCAT ? cat_names[c] : "?";
}
const char *fc_eval_num_name(int c) {
  return c >= 0 && c < FC_EVAL_NNUM ? num_names[c] : "?";
}

static const struct {
  const char *key, *label;
  int dir;
} metric_info[FC_EVAL_NMETRICS] = {
    {"density", "Density", 1},
    {"coverage", "Coverage", 1},
    {"jsd", "JSD", -1},
    {"emd", "EMD (artifact)", -1},
    {"emd_w1", "EMD (W1, corrected)", -1},
    {"pcd", "PCD", -1},
    {"cmd", "CMD", -1},
    {"dkc", "DKC (/21, corrected)", -1},
    {"dkc_artifact", "DKC (/20, artifact)", -1},
    {"md", "MD", 0},
    {"acf_diff", "ACF difference", -1},
    {"pred_diff", "Prediction difference", -1},
};

const char *fc_eval_metric_key(int m) {
  return m >= 0 && m < FC_EVAL_NMETRICS ? metric_info[m].key : "?";
}
const char *fc_eval_metric_label(int m) {
  return m >= 0 && m < FC_EVAL_NMETRICS ? metric_info[m].label : "?";
}
int fc_eval_metric_direction(int m) {
  return m >= 0 && m < FC_EVAL_NMETRICS ? metric_info[m].dir : 0;
}

/* ---------------------------------------------------------------- helpers */

int fci_cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}
int fci_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}
int fci_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

uint64_t fci_eval_rand_below(uint64_t seed, uint64_t purpose, uint64_t run, uint64_t index,
                             uint64_t bound) {
  philox4x64_key_t key = {{seed, purpose}};
  /* Accept x >= 2^64 mod bound: the accepted range is a multiple of bound, so x % bound is
   * exactly uniform. A rejection needs x < bound, rare for the bounds used here. */
  uint64_t threshold = (0 - bound) % bound;
  for (uint64_t block = 0;; block++) {
    philox4x64_ctr_t ctr = {{run, index, block, 0}};
    philox4x64_ctr_t r = philox4x64(ctr, key);
    for (int w = 0; w < 4; w++)
      if (r.v[w] >= threshold) return r.v[w] % bound;
  }
}

void fc_eval_options_default(fc_eval_options *o) {
  o->runs = 20;
  o->sample = 10000;
  o->seed = 1;
  o->knn_k = 5;
  o->onehot_max_distinct = 40;
  o->md_n = 500;
  o->md_bins = 50;
  o->md_radii = 15;
  o->acf_max_lag = 1000;
  o->internal = NULL;
}

/* Purposes of the random stream: one per table and use, so adding a use never shifts another. */
enum {
  P_SAMPLE_REAL = 1,
  P_SAMPLE_SYN = 2,
  P_SAMPLE_HOLD = 3,
  P_WIN_REAL = 4,
  P_WIN_SYN = 5,
  P_WIN_HOLD = 6,
  P_WIN_HOLD_FIRST = 7,
  P_WIN_TEST = 8
};

/* ---------------------------------------------------------------- sampling */

/* Partial Fisher-Yates over a permutation that is restored after each draw (the swaps undone in
 * reverse), so a draw costs O(m) after one O(n) set-up. */
typedef struct sampler {
  size_t n;
  uint32_t *perm;
  size_t *undo;
} sampler;

static fc_status sampler_init(sampler *s, size_t n, size_t m) {
  memset(s, 0, sizeof *s);
  if (n > UINT32_MAX) return FC_ERROR(FC_ERR_LIMIT, "eval: a table of %zu rows is too large", n);
  FC_CALL(fci_malloc((n ? n : 1) * sizeof *s->perm, &s->perm));
  FC_CALL(fci_malloc((m ? m : 1) * sizeof *s->undo, &s->undo));
  for (size_t i = 0; i < n; i++)
    s->perm[i] = (uint32_t)i;
  s->n = n;
  return FC_OK;
}

static void sampler_free(sampler *s) {
  free(s->perm);
  free(s->undo);
  memset(s, 0, sizeof *s);
}

static void sampler_draw(sampler *s, uint64_t seed, uint64_t purpose, int run, size_t m,
                         size_t *out) {
  for (size_t i = 0; i < m; i++) {
    size_t j = i + (size_t)fci_eval_rand_below(seed, purpose, (uint64_t)run, i, s->n - i);
    uint32_t t = s->perm[i];
    s->perm[i] = s->perm[j];
    s->perm[j] = t;
    s->undo[i] = j;
    out[i] = s->perm[i];
  }
  for (size_t i = m; i-- > 0;) {
    uint32_t t = s->perm[i];
    s->perm[i] = s->perm[s->undo[i]];
    s->perm[s->undo[i]] = t;
  }
}

typedef struct ts_idx {
  int64_t ts;
  size_t i;
} ts_idx;

static int cmp_ts_idx(const void *a, const void *b) {
  const ts_idx *x = a, *y = b;
  if (x->ts != y->ts) return (x->ts > y->ts) - (x->ts < y->ts);
  return (x->i > y->i) - (x->i < y->i);
}

/* Rows in (start time, row) order. */
static fc_status time_order(const fc_flow_table *t, size_t **out) {
  ts_idx *v;
  FC_CALL(fci_malloc((t->n ? t->n : 1) * sizeof *v, &v));
  for (size_t i = 0; i < t->n; i++)
    v[i] = (ts_idx){t->ts_us[i], i};
  qsort(v, t->n, sizeof *v, cmp_ts_idx);
  fc_status st = fci_malloc((t->n ? t->n : 1) * sizeof **out, out);
  if (st == FC_OK)
    for (size_t i = 0; i < t->n; i++)
      (*out)[i] = v[i].i;
  free(v);
  return st;
}

/* ---------------------------------------------------------------- views */

/* The metric columns of some rows of a table. */
typedef struct view {
  size_t n;
  uint32_t *cat[FC_EVAL_NCAT];
  double *num[FC_EVAL_NNUM];
  int64_t *ts;
  void *mem;
} view;

static fc_status intern_ip(fc_strdict *d, const fc_ip *ip, uint32_t *code) {
  uint8_t key[17];
  key[0] = ip->family;
  memcpy(key + 1, ip->addr, 16);
  return fc_strdict_intern(d, (const char *)key, sizeof key, code);
}

static fc_status view_build(view *v, const fc_flow_table *t, const size_t *rows, size_t n,
                            fc_strdict *ips) {
  memset(v, 0, sizeof *v);
  size_t per = FC_EVAL_NCAT * sizeof(uint32_t) + FC_EVAL_NNUM * sizeof(double) + sizeof(int64_t);
  char *mem;
  FC_CALL(fci_malloc((n ? n : 1) * per, &mem));
  v->mem = mem;
  v->n = n;
  for (int c = 0; c < FC_EVAL_NNUM; c++)
    v->num[c] = (double *)(void *)(mem + c * n * sizeof(double));
  v->ts = (int64_t *)(void *)(mem + FC_EVAL_NNUM * n * sizeof(double));
  char *cm = mem + FC_EVAL_NNUM * n * sizeof(double) + n * sizeof(int64_t);
  for (int c = 0; c < FC_EVAL_NCAT; c++)
    v->cat[c] = (uint32_t *)(void *)(cm + c * n * sizeof(uint32_t));
  for (size_t i = 0; i < n; i++) {
    size_t r = rows[i];
    v->cat[FC_EVAL_PROTO][i] = t->proto[r];
    FC_CALL(intern_ip(ips, &t->src_ip[r], &v->cat[FC_EVAL_SRC_IP][i]));
    FC_CALL(intern_ip(ips, &t->dst_ip[r], &v->cat[FC_EVAL_DST_IP][i]));
    v->cat[FC_EVAL_DST_PORT][i] = t->dst_port[r];
    v->cat[FC_EVAL_FLAGS][i] = t->flags[r] & FCI_FLAGS_TEXT; /* the bits the text form shows */
    v->num[FC_EVAL_FWD_BYTES][i] = (double)t->fwd_bytes[r];
    v->num[FC_EVAL_BWD_BYTES][i] = (double)t->bwd_bytes[r];
    v->num[FC_EVAL_FWD_PKTS][i] = (double)t->fwd_pkts[r];
    v->num[FC_EVAL_BWD_PKTS][i] = (double)t->bwd_pkts[r];
    v->num[FC_EVAL_DURATION][i] = (double)t->duration_us[r] / 1e6;
    v->ts[i] = t->ts_us[r];
  }
  return FC_OK;
}

static void view_free(view *v) {
  free(v->mem);
  memset(v, 0, sizeof *v);
}

static view view_slice(const view *v, size_t off, size_t len) {
  view s;
  s.n = len;
  for (int c = 0; c < FC_EVAL_NCAT; c++)
    s.cat[c] = v->cat[c] + off;
  for (int c = 0; c < FC_EVAL_NNUM; c++)
    s.num[c] = v->num[c] + off;
  s.ts = v->ts + off;
  s.mem = NULL;
  return s;
}

/* ---------------------------------------------------------------- per-run values */

/* Flat layout of one row's values in one run. */
enum {
  V_METRIC = 0,
  V_RULE = V_METRIC + FC_EVAL_NMETRICS,
  V_JSD = V_RULE + FC_DKC_RULES,
  V_PRED = V_JSD + FC_EVAL_NCAT,
  V_EMD = V_PRED + FC_EVAL_NCAT,
  V_EMDW = V_EMD + FC_EVAL_NNUM,
  V_ACF = V_EMDW + FC_EVAL_NNUM,
  NV = V_ACF + FC_EVAL_NNUM
};

/* Mean over the defined (non-NaN) entries. */
static double mean_defined(const double *x, int n) {
  double s = 0;
  int k = 0;
  for (int i = 0; i < n; i++)
    if (!isnan(x[i])) s += x[i], k++;
  return k ? s / k : NAN;
}

typedef struct ctx {
  const fc_eval_options *o;
  fc_eval_results *res;
  bool warned_knn;
} ctx;

/* Density/Coverage: discrete columns one-hot; a continuous column one-hot too when the two
 * samples together have fewer than onehot_max_distinct values, else min-max scaled over both. */
static fc_status prdc(ctx *cx, const view *a, const view *b, double *density, double *coverage) {
  *density = *coverage = NAN;
  int k = cx->o->knn_k;
  if (a->n <= (size_t)k || b->n == 0) {
    if (!cx->warned_knn)
      fc_log_warn("eval: Density/Coverage need more than k = %d real flows; left undefined", k);
    cx->warned_knn = true;
    return FC_OK;
  }
  size_t na = a->n, nb = b->n, nab = na + nb;
  fc_status st = FC_OK;
  const uint32_t *acat[FC_EVAL_NCAT + FC_EVAL_NNUM], *bcat[FC_EVAL_NCAT + FC_EVAL_NNUM];
  const double *anum[FC_EVAL_NNUM], *bnum[FC_EVAL_NNUM];
  int ncat = 0, nnum = 0;
  uint32_t *codes = NULL;
  double *scaled = NULL, *u = NULL;
  FC_CALL_GOTO(st, fci_malloc(FC_EVAL_NNUM * nab * sizeof *codes, &codes), done);
  FC_CALL_GOTO(st, fci_malloc(FC_EVAL_NNUM * nab * sizeof *scaled, &scaled), done);
  FC_CALL_GOTO(st, fci_malloc(nab * sizeof *u, &u), done);
  for (int c = 0; c < FC_EVAL_NCAT; c++) {
    acat[ncat] = a->cat[c];
    bcat[ncat++] = b->cat[c];
  }
  for (int c = 0; c < FC_EVAL_NNUM; c++) {
    memcpy(u, a->num[c], na * sizeof *u);
    memcpy(u + na, b->num[c], nb * sizeof *u);
    qsort(u, nab, sizeof *u, fci_cmp_double);
    size_t nu = 1;
    for (size_t i = 1; i < nab; i++)
      if (u[i] != u[nu - 1]) u[nu++] = u[i];
    if (nu < (size_t)cx->o->onehot_max_distinct) {
      uint32_t *ca = codes + (size_t)c * nab, *cb = ca + na;
      for (size_t i = 0; i < nab; i++) {
        double v = i < na ? a->num[c][i] : b->num[c][i - na];
        size_t lo = 0, hi = nu;
        while (lo < hi) {
          size_t mid = (lo + hi) / 2;
          if (u[mid] < v)
            lo = mid + 1;
          else
            hi = mid;
        }
        ca[i] = (uint32_t)lo;
      }
      acat[ncat] = ca;
      bcat[ncat++] = cb;
    } else {
      double lo = u[0], range = u[nu - 1] - u[0];
      double *sa = scaled + (size_t)c * nab, *sb = sa + na;
      for (size_t i = 0; i < na; i++)
        sa[i] = range > 0 ? (a->num[c][i] - lo) / range : 0;
      for (size_t i = 0; i < nb; i++)
        sb[i] = range > 0 ? (b->num[c][i] - lo) / range : 0;
      anum[nnum] = sa;
      bnum[nnum++] = sb;
    }
  }
  fc_eval_points pa = {na, ncat, nnum, acat, anum}, pb = {nb, ncat, nnum, bcat, bnum};
  double t0 = fc_now();
  FC_CALL_GOTO(st, fc_eval_density_coverage(&pa, &pb, k, density, coverage), done);
  cx->res->knn_seconds += fc_now() - t0;
  cx->res->knn_calls++;
done:
  free(codes);
  free(scaled);
  free(u);
  return st;
}

/* JSD, EMD (both), PCD, CMD, Density, Coverage of sample b against the real sample a. */
static fc_status compare_samples(ctx *cx, const view *a, const view *b, double *v) {
  for (int c = 0; c < FC_EVAL_NCAT; c++)
    FC_CALL(fc_eval_jsd(a->cat[c], a->n, b->cat[c], b->n, &v[V_JSD + c]));
  v[V_METRIC + FC_EVAL_JSD] = mean_defined(v + V_JSD, FC_EVAL_NCAT);
  for (int c = 0; c < FC_EVAL_NNUM; c++)
    FC_CALL(fc_eval_emd(a->num[c], a->n, b->num[c], b->n, c != FC_EVAL_DURATION, &v[V_EMD + c],
                        &v[V_EMDW + c]));
  v[V_METRIC + FC_EVAL_EMD] = mean_defined(v + V_EMD, FC_EVAL_NNUM);
  v[V_METRIC + FC_EVAL_EMD_W1] = mean_defined(v + V_EMDW, FC_EVAL_NNUM);
  const double *an[FC_EVAL_NNUM], *bn[FC_EVAL_NNUM];
  for (int c = 0; c < FC_EVAL_NNUM; c++)
    an[c] = a->num[c], bn[c] = b->num[c];
  FC_CALL(fc_eval_pcd(an, a->n, bn, b->n, FC_EVAL_NNUM, &v[V_METRIC + FC_EVAL_PCD]));
  const uint32_t *ac[FC_EVAL_NCAT], *bc[FC_EVAL_NCAT];
  for (int c = 0; c < FC_EVAL_NCAT; c++)
    ac[c] = a->cat[c], bc[c] = b->cat[c];
  FC_CALL(fc_eval_cmd(ac, a->n, bc, b->n, FC_EVAL_NCAT, &v[V_METRIC + FC_EVAL_CMD]));
  FC_CALL(prdc(cx, a, b, &v[V_METRIC + FC_EVAL_DENSITY], &v[V_METRIC + FC_EVAL_COVERAGE]));
  return FC_OK;
}

static fc_status dkc_run(const fc_eval_site *site, const fc_flow_table *t, const size_t *rows,
                         size_t n, double *v) {
  FC_CALL(fc_eval_dkc(site, t, rows, n, v + V_RULE));
  double s = 0;
  for (int r = 0; r < FC_DKC_RULES; r++)
    s += v[V_RULE + r];
  v[V_METRIC + FC_EVAL_DKC] = s / FC_DKC_RULES;
  v[V_METRIC + FC_EVAL_DKC_ARTIFACT] = s / 20;
  return FC_OK;
}

/* MD with members from mem, non-members from non, generated from gen. Continuous columns are
 * binned on the concatenation of the three full samples in src (the artifact bins the
 * concatenation of the three tables it is given). */
static fc_status md_run(ctx *cx, const view *mem, const view *non, const view *gen,
                        const view *const src[3], double *out) {
  enum { NC = FC_EVAL_NCAT + FC_EVAL_NNUM };
  const view *grp[3] = {mem, non, gen};
  size_t total = mem->n + non->n + gen->n, nsrc = src[0]->n + src[1]->n + src[2]->n;
  uint64_t *codes = NULL;
  double *x = NULL, *edges = NULL;
  fc_status st = FC_OK;
  FC_CALL_GOTO(st, fci_malloc((total ? total : 1) * NC * sizeof *codes, &codes), done);
  FC_CALL_GOTO(st, fci_malloc((nsrc ? nsrc : 1) * sizeof *x, &x), done);
  FC_CALL_GOTO(st, fci_malloc(((size_t)cx->o->md_bins + 1) * sizeof *edges, &edges), done);
  uint64_t *mc[3][NC];
  const uint64_t *cols[3][NC];
  uint64_t *p = codes;
  for (int c = 0; c < NC; c++)
    for (int g = 0; g < 3; g++) {
      cols[g][c] = mc[g][c] = p;
      p += grp[g]->n;
    }
  for (int c = 0; c < FC_EVAL_NCAT; c++)
    for (int g = 0; g < 3; g++) {
      uint64_t *dst = mc[g][c];
      for (size_t i = 0; i < grp[g]->n; i++)
        dst[i] = grp[g]->cat[c][i];
    }
  for (int c = 0; c < FC_EVAL_NNUM; c++) {
    size_t k = 0;
    for (int s = 0; s < 3; s++) {
      memcpy(x + k, src[s]->num[c], src[s]->n * sizeof *x);
      k += src[s]->n;
    }
    int ne;
    bool binned;
    FC_CALL_GOTO(st, fc_eval_quantile_edges(x, nsrc, cx->o->md_bins, edges, &ne, &binned), done);
    for (int g = 0; g < 3; g++) {
      uint64_t *dst = mc[g][FC_EVAL_NCAT + c];
      for (size_t i = 0; i < grp[g]->n; i++) {
        double v = grp[g]->num[c][i];
        if (binned) {
          dst[i] = fc_eval_quantile_code(edges, ne, v);
        } else {
          if (v == 0) v = 0; /* -0.0 and 0.0 are the same value */
          memcpy(&dst[i], &v, sizeof v);
        }
      }
    }
  }
  FC_CALL_GOTO(
      st, fc_eval_md(cols[0], mem->n, cols[1], non->n, cols[2], gen->n, NC, cx->o->md_radii, out),
      done);
done:
  free(codes);
  free(x);
  free(edges);
  return st;
}

/* curves: NULL, or FC_EVAL_NNUM curves to keep (the first run's, for the report). */
static fc_status acf_run(const fc_eval_options *o, const view *a, const view *b, double *v,
                         fc_eval_acf_curve *curves) {
  for (int c = 0; c < FC_EVAL_NNUM; c++)
    FC_CALL(fc_eval_acf_diff_curve(a->ts, a->num[c], a->n, b->ts, b->num[c], b->n, o->acf_max_lag,
                                   &v[V_ACF + c], curves ? &curves[c] : NULL));
  v[V_METRIC + FC_EVAL_ACF] = mean_defined(v + V_ACF, FC_EVAL_NNUM);
  return FC_OK;
}

static fc_status pred_run(const view *train, const view *test, const double *acc_real, double *v) {
  for (int c = 0; c < FC_EVAL_NCAT; c++) {
    double acc;
    FC_CALL(fc_eval_predict_accuracy(train->cat[c], train->n, test->cat[c], test->n, &acc));
    v[V_PRED + c] = fabs(acc_real[c] - acc);
  }
  v[V_METRIC + FC_EVAL_PRED] = mean_defined(v + V_PRED, FC_EVAL_NCAT);
  return FC_OK;
}

/* ---------------------------------------------------------------- statistics */

static fc_eval_stat stat_of(const double *vals, int runs, int idx) {
  fc_eval_stat s = {NAN, NAN, 0};
  double sum = 0;
  for (int r = 0; r < runs; r++) {
    double x = vals[(size_t)r * NV + (size_t)idx];
    if (!isnan(x)) sum += x, s.n++;
  }
  if (s.n == 0) return s;
  s.mean = sum / s.n;
  double ss = 0;
  for (int r = 0; r < runs; r++) {
    double x = vals[(size_t)r * NV + (size_t)idx];
    if (!isnan(x)) ss += (x - s.mean) * (x - s.mean);
  }
  s.sd = s.n > 1 ? sqrt(ss / (s.n - 1)) : 0;
  return s;
}

static fc_status fill_row(fc_eval_row *row, const double *vals, int runs) {
  for (int m = 0; m < FC_EVAL_NMETRICS; m++)
    row->metric[m] = stat_of(vals, runs, V_METRIC + m);
  for (int r = 0; r < FC_DKC_RULES; r++)
    row->dkc_rule[r] = stat_of(vals, runs, V_RULE + r);
  for (int c = 0; c < FC_EVAL_NCAT; c++) {
    row->jsd_col[c] = stat_of(vals, runs, V_JSD + c);
    row->pred_col[c] = stat_of(vals, runs, V_PRED + c);
  }
  for (int c = 0; c < FC_EVAL_NNUM; c++) {
    row->emd_col[c] = stat_of(vals, runs, V_EMD + c);
    row->emd_w1_col[c] = stat_of(vals, runs, V_EMDW + c);
    row->acf_col[c] = stat_of(vals, runs, V_ACF + c);
  }
  FC_CALL(fci_malloc((size_t)runs * FC_EVAL_NMETRICS * sizeof *row->per_run, &row->per_run));
  for (int r = 0; r < runs; r++)
    for (int m = 0; m < FC_EVAL_NMETRICS; m++)
      row->per_run[(size_t)r * FC_EVAL_NMETRICS + (size_t)m] = vals[(size_t)r * NV + (size_t)m];
  return FC_OK;
}

void fc_eval_results_free(fc_eval_results *res) {
  if (!res) return;
  free(res->synthetic.per_run);
  free(res->reference.per_run);
  res->synthetic.per_run = res->reference.per_run = NULL;
  for (int c = 0; c < FC_EVAL_NNUM; c++) {
    fc_eval_acf_curve_free(&res->synthetic.acf_curve[c]);
    fc_eval_acf_curve_free(&res->reference.acf_curve[c]);
  }
}

/* ---------------------------------------------------------------- protocol */

static fc_status check_options(const fc_eval_options *o) {
  if (o->runs < 1) return FC_ERROR(FC_ERR_ARG, "eval: runs = %d (at least 1)", o->runs);
  if (o->sample < 2) return FC_ERROR(FC_ERR_ARG, "eval: sample = %zu (at least 2)", o->sample);
  if (o->sample > UINT32_MAX)
    return FC_ERROR(FC_ERR_ARG, "eval: sample = %zu too large", o->sample);
  if (o->knn_k < 1 || o->knn_k > 64) return FC_ERROR(FC_ERR_ARG, "eval: k = %d (1..64)", o->knn_k);
  if (o->onehot_max_distinct < 0) return FC_ERROR(FC_ERR_ARG, "eval: bad one-hot threshold");
  if (o->md_n < 1 || o->md_bins < 1 || o->md_radii < 1)
    return FC_ERROR(FC_ERR_ARG, "eval: MD sizes must be positive");
  if (o->acf_max_lag < 0) return FC_ERROR(FC_ERR_ARG, "eval: ACF max lag %d", o->acf_max_lag);
  return FC_OK;
}

static size_t min_sz(size_t a, size_t b) {
  return a < b ? a : b;
}

typedef struct table_state {
  const fc_flow_table *t;
  const char *name;
  size_t m; /* sample size per run */
  sampler smp;
  size_t *order; /* rows in time order */
  size_t *idx;   /* this run's sample */
} table_state;

static fc_status table_setup(table_state *ts, const fc_flow_table *t, const char *name,
                             const fc_eval_options *o) {
  memset(ts, 0, sizeof *ts);
  ts->t = t;
  ts->name = name;
  if (!t) return FC_OK;
  if (t->n == 0) return FC_ERROR(FC_ERR_ARG, "eval: the %s table is empty", name);
  ts->m = min_sz(o->sample, t->n);
  if (t->n < o->sample)
    fc_log_info("eval: the %s table has %zu flows, fewer than the sample size %zu: every run "
                "uses all of them",
                name, t->n, o->sample);
  FC_CALL(sampler_init(&ts->smp, t->n, ts->m));
  FC_CALL(fci_malloc(ts->m * sizeof *ts->idx, &ts->idx));
  FC_CALL(time_order(t, &ts->order));
  return FC_OK;
}

static void table_free(table_state *ts) {
  sampler_free(&ts->smp);
  free(ts->order);
  free(ts->idx);
}

/* A random contiguous window of m rows of order[0..n). */
static const size_t *window(const size_t *order, size_t n, size_t m, uint64_t seed,
                            uint64_t purpose, int run) {
  return order + fci_eval_rand_below(seed, purpose, (uint64_t)run, 0, n - m + 1);
}

static fc_status one_run(ctx *cx, int run, table_state *R, table_state *S, table_state *H,
                         const fc_eval_site *site, double *vs, double *vr) {
  const fc_eval_options *o = cx->o;
  fc_strdict *ips = NULL;
  view vR = {0}, vS = {0}, vH = {0}, wR = {0}, wS = {0}, wH = {0}, wH1 = {0}, wT = {0};
  fc_status st = FC_OK;
  for (int i = 0; i < NV; i++)
    vs[i] = vr[i] = NAN;
  FC_CALL_GOTO(st, fc_strdict_create(&ips), done);
  bool hold = H->t != NULL;

  sampler_draw(&R->smp, o->seed, P_SAMPLE_REAL, run, R->m, R->idx);
  sampler_draw(&S->smp, o->seed, P_SAMPLE_SYN, run, S->m, S->idx);
  if (hold) sampler_draw(&H->smp, o->seed, P_SAMPLE_HOLD, run, H->m, H->idx);
  FC_CALL_GOTO(st, view_build(&vR, R->t, R->idx, R->m, ips), done);
  FC_CALL_GOTO(st, view_build(&vS, S->t, S->idx, S->m, ips), done);
  if (hold) FC_CALL_GOTO(st, view_build(&vH, H->t, H->idx, H->m, ips), done);

  const size_t *rw = window(R->order, R->t->n, R->m, o->seed, P_WIN_REAL, run);
  const size_t *sw = window(S->order, S->t->n, S->m, o->seed, P_WIN_SYN, run);
  FC_CALL_GOTO(st, view_build(&wR, R->t, rw, R->m, ips), done);
  FC_CALL_GOTO(st, view_build(&wS, S->t, sw, S->m, ips), done);
  /* The prediction test sequence comes from the later half of the holdout in time; the
   * reference model trains on a window of the earlier half, so it is never tested on the data
   * it learnt from. */
  size_t n1 = 0, n2 = 0, m1 = 0, m2 = 0;
  if (hold) {
    const size_t *hw = window(H->order, H->t->n, H->m, o->seed, P_WIN_HOLD, run);
    FC_CALL_GOTO(st, view_build(&wH, H->t, hw, H->m, ips), done);
    n1 = H->t->n / 2;
    n2 = H->t->n - n1;
    m1 = min_sz(o->sample, n1);
    m2 = min_sz(o->sample, n2);
    if (m1 > 0) {
      const size_t *h1 = window(H->order, n1, m1, o->seed, P_WIN_HOLD_FIRST, run);
      FC_CALL_GOTO(st, view_build(&wH1, H->t, h1, m1, ips), done);
    }
    const size_t *tw = window(H->order + n1, n2, m2, o->seed, P_WIN_TEST, run);
    FC_CALL_GOTO(st, view_build(&wT, H->t, tw, m2, ips), done);
  }

  /* Synthetic against real. */
  FC_CALL_GOTO(st, compare_samples(cx, &vR, &vS, vs), done);
  FC_CALL_GOTO(st, dkc_run(site, S->t, S->idx, S->m, vs), done);
  FC_CALL_GOTO(st, acf_run(o, &wR, &wS, vs, run == 0 ? cx->res->synthetic.acf_curve : NULL), done);
  if (hold) {
    /* MD groups: md_n members, non-members and generated flows; the holdout sample is split in
     * two disjoint halves at most, so the reference row can take its "generated" flows from it
     * without reusing the non-members. Both rows use the same group sizes. */
    size_t nmem = min_sz(o->md_n, vR.n), nnon = min_sz(o->md_n, vH.n / 2);
    size_t ngen_s = min_sz(o->md_n, vS.n), ngen_h = min_sz(o->md_n, vH.n - nnon);
    view mem = view_slice(&vR, 0, nmem), non = view_slice(&vH, 0, nnon);
    view gs = view_slice(&vS, 0, ngen_s), gh = view_slice(&vH, nnon, ngen_h);
    const view *src_s[3] = {&vR, &vH, &vS}, *src_h[3] = {&vR, &vH, &vH};
    FC_CALL_GOTO(st, md_run(cx, &mem, &non, &gs, src_s, &vs[V_METRIC + FC_EVAL_MD]), done);

    double acc_real[FC_EVAL_NCAT];
    for (int c = 0; c < FC_EVAL_NCAT; c++)
      FC_CALL_GOTO(st, fc_eval_predict_accuracy(wR.cat[c], wR.n, wT.cat[c], wT.n, &acc_real[c]),
                   done);
    FC_CALL_GOTO(st, pred_run(&wS, &wT, acc_real, vs), done);

    /* Reference: the held-out real data in place of the synthetic data. */
    FC_CALL_GOTO(st, compare_samples(cx, &vR, &vH, vr), done);
    FC_CALL_GOTO(st, dkc_run(site, H->t, H->idx, H->m, vr), done);
    FC_CALL_GOTO(st, acf_run(o, &wR, &wH, vr, run == 0 ? cx->res->reference.acf_curve : NULL),
                 done);
    FC_CALL_GOTO(st, md_run(cx, &mem, &non, &gh, src_h, &vr[V_METRIC + FC_EVAL_MD]), done);
    if (m1 > 0) FC_CALL_GOTO(st, pred_run(&wH1, &wT, acc_real, vr), done);
  }
done:
  view_free(&vR);
  view_free(&vS);
  view_free(&vH);
  view_free(&wR);
  view_free(&wS);
  view_free(&wH);
  view_free(&wH1);
  view_free(&wT);
  fc_strdict_destroy(&ips);
  return st;
}

fc_status fc_eval_run(const fc_flow_table *real, const fc_flow_table *synthetic,
                      const fc_flow_table *holdout, const fc_eval_options *o,
                      fc_eval_results *res) {
  memset(res, 0, sizeof *res);
  if (!real || !synthetic) return FC_ERROR(FC_ERR_ARG, "eval: real and synthetic tables needed");
  FC_CALL(check_options(o));
  double t0 = fc_now();
  fc_status st = FC_OK;
  table_state R, S, H;
  fc_eval_site *site = NULL;
  double *vals_s = NULL, *vals_r = NULL;
  memset(&S, 0, sizeof S);
  memset(&H, 0, sizeof H);
  FC_CALL_GOTO(st, table_setup(&R, real, "real", o), done);
  FC_CALL_GOTO(st, table_setup(&S, synthetic, "synthetic", o), done);
  FC_CALL_GOTO(st, table_setup(&H, holdout, "holdout", o), done);
  FC_CALL_GOTO(st, fc_eval_site_create(real, o->internal, &site), done);
  fc_eval_site_summary(site, &res->site_ranges, &res->site_dns, &res->site_services,
                       &res->site_mdns);
  fc_log_info("eval: site from the real data: %zu internal ranges, %zu DNS servers, %zu web/mail "
              "services, %zu mDNS groups",
              res->site_ranges, res->site_dns, res->site_services, res->site_mdns);
  res->runs = o->runs;
  res->n_real = real->n;
  res->n_synthetic = synthetic->n;
  res->n_holdout = holdout ? holdout->n : 0;
  res->sample_real = R.m;
  res->sample_synthetic = S.m;
  res->sample_holdout = H.m;
  res->has_reference = holdout != NULL;
  FC_CALL_GOTO(st, fci_malloc((size_t)o->runs * NV * sizeof *vals_s, &vals_s), done);
  FC_CALL_GOTO(st, fci_malloc((size_t)o->runs * NV * sizeof *vals_r, &vals_r), done);
  ctx cx = {o, res, false};
  fc_progress pg;
  fc_progress_start(&pg, 5.0);
  for (int run = 0; run < o->runs; run++) {
    FC_CALL_GOTO(
        st,
        one_run(&cx, run, &R, &S, &H, site, vals_s + (size_t)run * NV, vals_r + (size_t)run * NV),
        done);
    if (fc_progress_due(&pg))
      fc_log_info("eval: run %d/%d done, %.1f s", run + 1, o->runs, fc_progress_elapsed(&pg));
  }
  FC_CALL_GOTO(st, fill_row(&res->synthetic, vals_s, o->runs), done);
  if (holdout) FC_CALL_GOTO(st, fill_row(&res->reference, vals_r, o->runs), done);
  res->seconds = fc_now() - t0;
  fc_log_info("eval: %d runs of %zu/%zu/%zu flows (real/synthetic/holdout) in %.2f s, "
              "Density/Coverage %.2f s over %d k-NN computations",
              o->runs, R.m, S.m, H.m, res->seconds, res->knn_seconds, res->knn_calls);
done:
  if (st != FC_OK) fc_eval_results_free(res);
  free(vals_s);
  free(vals_r);
  fc_eval_site_destroy(&site);
  table_free(&R);
  table_free(&S);
  table_free(&H);
  return st;
}
