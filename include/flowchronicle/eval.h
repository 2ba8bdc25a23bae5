/* Quality metrics of synthetic flows (docs/eval.md, ../shared/spec/METRICS.md): the paper's
 * Density, Coverage, JSD, EMD, PCD, CMD, DKC and MD, the temporal ACF and next-value prediction
 * differences, and the protocol that repeats them over random samples (fc_eval_run).
 *
 * Two levels. The kernels (fc_eval_jsd ... fc_eval_predict_accuracy) work on plain arrays: codes
 * for discrete columns (equal code = equal value), doubles for continuous ones; they are what the
 * tests check against hand computations. fc_eval_run draws the samples from flow tables, turns
 * them into those arrays and aggregates mean and standard deviation over the runs.
 *
 * Randomness is a Philox stream keyed by (seed, purpose, run, index) and every parallel loop
 * produces integer counts or per-item results, so results are bit-identical for any number of
 * OpenMP threads. */
#ifndef FLOWCHRONICLE_EVAL_H
#define FLOWCHRONICLE_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"
#include "flowchronicle/flow.h"

/* ---------------------------------------------------------------- columns */

/* Discrete columns (compared by value identity, which is identity of their text forms). */
typedef enum fc_eval_cat {
  FC_EVAL_PROTO,
  FC_EVAL_SRC_IP,
  FC_EVAL_DST_IP,
  FC_EVAL_DST_PORT,
  FC_EVAL_FLAGS,
  FC_EVAL_NCAT
} fc_eval_cat;

/* Continuous columns; duration in seconds. */
typedef enum fc_eval_num {
  FC_EVAL_FWD_BYTES,
  FC_EVAL_BWD_BYTES,
  FC_EVAL_FWD_PKTS,
  FC_EVAL_BWD_PKTS,
  FC_EVAL_DURATION,
  FC_EVAL_NNUM
} fc_eval_num;

const char *fc_eval_cat_name(int c);
const char *fc_eval_num_name(int c);

/* ---------------------------------------------------------------- kernels */

/* Jensen-Shannon distance (square root of the divergence, natural log) between the value counts
 * of a and b over the union of their values. Empty inputs give NaN. */
fc_status fc_eval_jsd(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, double *out);

/* EMD of one continuous column. *artifact: Freedman-Diaconis bins from the real sample (bin width
 * at least 1 when integer_valued, as numpy does for integer arrays), ECDF of each sample on those
 * bins (generated values outside the real range are dropped, as np.histogram does), 1-D
 * Wasserstein distance between the two ECDF-value vectors = mean over bins of the absolute ECDF
 * difference. *w1: the true 1-D Wasserstein distance between the two samples after min-max
 * scaling with the joint minimum and maximum. Either output may be NULL. */
fc_status fc_eval_emd(const double *real, size_t nr, const double *gen, size_t ng,
                      bool integer_valued, double *artifact, double *w1);

/* Pairwise correlation difference: min-max scale each of the ncols columns over real and gen
 * together, Pearson correlation matrix of each sample (NaN, from a constant column, as 0),
 * Frobenius norm of the difference. real[c] / gen[c] are column arrays of nr / ng values. */
fc_status fc_eval_pcd(const double *const *real, size_t nr, const double *const *gen, size_t ng,
                      int ncols, double *out);

/* Contingency matrix difference: for every pair of the ncols discrete columns, the contingency
 * tables normalised to sum 1, Frobenius norm of their difference on the union of categories;
 * mean over the pairs. */
fc_status fc_eval_cmd(const uint32_t *const *real, size_t nr, const uint32_t *const *gen, size_t ng,
                      int ncols, double *out);

/* Points for Density/Coverage, already encoded: n_cat one-hot columns given by their codes (two
 * rows with different codes differ by 1 in two one-hot dimensions: squared distance 2) and n_num
 * numeric columns already scaled. Both sets must have the same columns. */
typedef struct fc_eval_points {
  size_t n;
  int n_cat, n_num;
  const uint32_t *const *cat; /* n_cat arrays of n codes */
  const double *const *num;   /* n_num arrays of n values */
} fc_eval_points;

/* Naeem et al. 2020 with exact Euclidean k-NN (prdc semantics): radius of a real point = distance
 * to its k-th nearest other real point; Density = (1/kM) sum over the M generated points of the
 * number of real balls containing them (strictly inside); Coverage = share of real points whose
 * ball strictly contains a generated point. Needs real->n > k. OpenMP over real points. */
fc_status fc_eval_density_coverage(const fc_eval_points *real, const fc_eval_points *gen, int k,
                                   double *density, double *coverage);

/* Membership disclosure on rows already binned into codes (ncols column arrays each): Hamming
 * share between every real row (members and non-members) and every generated row; for each of the
 * nradii radii linspace(0, 1, nradii) a real row is predicted "member" when some generated row is
 * within the radius; MD = sum of the F1 scores, skipping radii where nothing is predicted (F1 is 0
 * when no prediction is right). */
fc_status fc_eval_md(const uint64_t *const *members, size_t n_mem,
                     const uint64_t *const *nonmembers, size_t n_non, const uint64_t *const *gen,
                     size_t n_gen, int ncols, int nradii, double *out);

/* Quantile binning for MD (pandas qcut(x, bins, duplicates="drop")): when the n values have more
 * than `bins` distinct values, edges = the bins+1 quantiles (linear interpolation) with
 * duplicates removed, and a value's code is its interval (e0,e1] -> 0 (the first closed), ...;
 * otherwise *binned = false and codes are left alone. Fills *n_edges edges into edges (capacity
 * bins + 1). */
fc_status fc_eval_quantile_edges(const double *x, size_t n, int bins, double *edges, int *n_edges,
                                 bool *binned);
uint64_t fc_eval_quantile_code(const double *edges, int n_edges, double v);

/* Autocorrelation as statsmodels acf(adjusted=False, demean=True): acf[k] for k = 0..nlags
 * (nlags < n); all NaN when the series is constant. */
fc_status fc_eval_acf(const double *x, size_t n, int nlags, double *acf);

/* ACF difference of two series: lags 0..min(n_real - 1, max_lag) where the real ACF is
 * significant (Bartlett 95 %: |acf_k| >= 1.96 sqrt((1 + 2 sum_{j<k} acf_j^2) / n), lag 0
 * always), sum of |acf_real - acf_gen| (gen ACF 0 beyond its length or when constant) divided by
 * the real series length. NaN when a series has fewer than 2 points. */
fc_status fc_eval_acf_series_diff(const double *real, size_t nr, const double *gen, size_t ng,
                                  int max_lag, double *out);

/* The same on flows: sums value per second of start time (from each sample's first to last
 * second, empty seconds 0) and compares the two per-second series. Times need not be sorted. */
fc_status fc_eval_acf_diff(const int64_t *ts_real, const double *real, size_t nr,
                           const int64_t *ts_gen, const double *gen, size_t ng, int max_lag,
                           double *out);

/* The curves behind the ACF difference of one column, for plots: ACF at lags 0..nlags of the
 * real and of the generated per-second series, NaN where undefined (a constant series, or a lag
 * at or beyond the generated series' length; the metric counts these as 0), and band[k], the
 * half-width of the real ACF's Bartlett 95 % band (0 at lag 0): lag k is significant when
 * |real[k]| >= band[k]. n_real / n_gen: the series' lengths in seconds. All zero (NULL arrays)
 * when the difference is undefined. */
typedef struct fc_eval_acf_curve {
  int nlags;
  size_t n_real, n_gen;
  double *real, *gen, *band;
} fc_eval_acf_curve;

/* fc_eval_acf_diff that also fills *curve (owned by the caller: fc_eval_acf_curve_free). */
fc_status fc_eval_acf_diff_curve(const int64_t *ts_real, const double *real, size_t nr,
                                 const int64_t *ts_gen, const double *gen, size_t ng, int max_lag,
                                 double *out, fc_eval_acf_curve *curve);
void fc_eval_acf_curve_free(fc_eval_acf_curve *c);

/* Next-value prediction: an order-1 most-frequent-successor model trained on the sequence
 * train (ties: the successor more frequent overall, then the smaller code; an unseen value
 * predicts the most frequent value) and tested on the sequence test: share of t >= 1 with
 * predict(test[t-1]) == test[t]. NaN when a sequence has fewer than 2 values. */
fc_status fc_eval_predict_accuracy(const uint32_t *train, size_t ntrain, const uint32_t *test,
                                   size_t ntest, double *acc);

/* ---------------------------------------------------------------- domain knowledge checks */

#define FC_DKC_RULES 21

/* What the site-specific rules (10-13) know about the site, derived from the real data. */
typedef struct fc_eval_site fc_eval_site;

/* Default internal ranges when internal_cidrs is NULL or empty: the RFC 1918 blocks. IPv6
 * unique-local space is not included: the CIDDS reader maps anonymised names, most of them
 * outside hosts, into fd00:0:0:cafe::/64. */
#define FC_EVAL_DEFAULT_INTERNAL "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"

/* internal_cidrs: comma-separated CIDR list (NULL = FC_EVAL_DEFAULT_INTERNAL). From the real
 * table: DNS servers (hosts answering port 53), the (internal host, port) pairs offering a
 * web/mail port, and the mDNS group addresses (docs/eval.md). */
fc_status fc_eval_site_create(const fc_flow_table *real, const char *internal_cidrs,
                              fc_eval_site **out);
void fc_eval_site_destroy(fc_eval_site **s);
bool fc_eval_site_is_internal(const fc_eval_site *s, const fc_ip *ip);
void fc_eval_site_summary(const fc_eval_site *s, size_t *n_ranges, size_t *n_dns,
                          size_t *n_services, size_t *n_mdns);

/* Rule 1..21 as index 0..20: short description. */
const char *fc_eval_dkc_rule_name(int rule);
/* Which rules the flow breaks; returns how many. */
int fc_eval_dkc_flow(const fc_eval_site *s, const fc_flow *f, bool violated[FC_DKC_RULES]);
/* Share of the rows (all rows of t when rows is NULL) breaking each rule. */
fc_status fc_eval_dkc(const fc_eval_site *s, const fc_flow_table *t, const size_t *rows, size_t n,
                      double share[FC_DKC_RULES]);

/* ---------------------------------------------------------------- protocol */

typedef enum fc_eval_metric {
  FC_EVAL_DENSITY,
  FC_EVAL_COVERAGE,
  FC_EVAL_JSD,
  FC_EVAL_EMD,    /* artifact variant (ECDF on Freedman-Diaconis bins) */
  FC_EVAL_EMD_W1, /* corrected: true Wasserstein-1 after min-max scaling */
  FC_EVAL_PCD,
  FC_EVAL_CMD,
  FC_EVAL_DKC,          /* corrected: sum of the 21 rule shares / 21 */
  FC_EVAL_DKC_ARTIFACT, /* the artifact's sum / 20 */
  FC_EVAL_MD,
  FC_EVAL_ACF,  /* mean over the continuous columns */
  FC_EVAL_PRED, /* mean over the discrete columns */
  FC_EVAL_NMETRICS
} fc_eval_metric;

const char *fc_eval_metric_key(int m);   /* "density", "emd_w1", ... (JSON keys) */
const char *fc_eval_metric_label(int m); /* "Density", "EMD (W1)", ... */
/* +1: higher is better; -1: lower is better; 0: closer to the reference is better. */
int fc_eval_metric_direction(int m);

typedef struct fc_eval_options {
  int runs;                /* repetitions, default 20 */
  size_t sample;           /* flows drawn per table and run, default 10,000 */
  uint64_t seed;           /* default 1 */
  int knn_k;               /* Density/Coverage neighbours, default 5 */
  int onehot_max_distinct; /* continuous columns with fewer distinct values are one-hot, 40 */
  size_t md_n;             /* MD flows per group, default 500 */
  int md_bins;             /* MD quantile bins, default 50 */
  int md_radii;            /* MD radii, default 15 */
  int acf_max_lag;         /* ACF lags cap in seconds, default 1000 */
  const char *internal;    /* CIDR list for the site rules, NULL = FC_EVAL_DEFAULT_INTERNAL */
} fc_eval_options;

void fc_eval_options_default(fc_eval_options *o);

/* Mean and sample standard deviation over the runs where the value was defined (n of them);
 * NaN mean when n = 0, sd 0 when n = 1. */
typedef struct fc_eval_stat {
  double mean, sd;
  int n;
} fc_eval_stat;

typedef struct fc_eval_row {
  fc_eval_stat metric[FC_EVAL_NMETRICS];
  fc_eval_stat dkc_rule[FC_DKC_RULES];
  fc_eval_stat jsd_col[FC_EVAL_NCAT], pred_col[FC_EVAL_NCAT];
  fc_eval_stat emd_col[FC_EVAL_NNUM], emd_w1_col[FC_EVAL_NNUM], acf_col[FC_EVAL_NNUM];
  double *per_run; /* runs x FC_EVAL_NMETRICS, row-major; NaN where undefined */
  /* The first run's ACF curves per continuous column (the real window against this row's
   * window): what eval --report plots. */
  fc_eval_acf_curve acf_curve[FC_EVAL_NNUM];
} fc_eval_row;

typedef struct fc_eval_results {
  int runs;
  size_t n_real, n_synthetic, n_holdout;                /* table sizes */
  size_t sample_real, sample_synthetic, sample_holdout; /* rows drawn per run */
  bool has_reference; /* holdout given: `reference` is holdout vs real */
  fc_eval_row synthetic, reference;
  size_t site_ranges, site_dns, site_services, site_mdns;
  double knn_seconds; /* wall time in Density/Coverage, over all runs and rows */
  int knn_calls;
  double seconds; /* wall time of fc_eval_run */
} fc_eval_results;

/* Runs the protocol: real = training data, synthetic = generated data, holdout = held-out real
 * data or NULL. Without a holdout, MD and the prediction difference are undefined (NaN) and there
 * is no reference row. res is overwritten; free it with fc_eval_results_free. */
fc_status fc_eval_run(const fc_flow_table *real, const fc_flow_table *synthetic,
                      const fc_flow_table *holdout, const fc_eval_options *o, fc_eval_results *res);
void fc_eval_results_free(fc_eval_results *res);

#endif
