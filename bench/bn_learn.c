/* Benchmark of BN structure learning on synthetic flow-like data: n rows x 10 variables with
 * cardinalities 5..5000 and planted dependencies (ports from IPs, flags from protocol, counters
 * from each other). Prints wall time, steps, families counted and the learned arcs.
 * Usage: bn_learn [rows] [threads]. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "flowchronicle/bn.h"
#include "flowchronicle/log.h"

static uint64_t sm64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static uint32_t below(uint64_t *s, uint32_t n) {
  return (uint32_t)((double)(sm64(s) >> 11) * 0x1.0p-53 * n);
}
/* Zipf-ish: small codes frequent, as dictionary codes ordered by count are. */
static uint32_t skewed(uint64_t *s, uint32_t n) {
  uint32_t a = below(s, n), b = below(s, n);
  return a < b ? a : b;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atoll(argv[1]) : 100000;
  if (argc > 2) omp_set_num_threads(atoi(argv[2]));
  enum { M = 10 };
  const char *names[M] = {"proto",    "src_ip",   "dst_ip",    "dst_port",  "flags",
                          "fwd_pkts", "bwd_pkts", "fwd_bytes", "bwd_bytes", "duration"};
  const uint32_t card[M] = {5, 5000, 3000, 500, 20, 41, 41, 41, 41, 41};
  uint32_t *col[M];
  for (int v = 0; v < M; v++)
    col[v] = malloc(n * sizeof **col);
  uint64_t s = 1;
  for (size_t i = 0; i < n; i++) {
    uint32_t proto = skewed(&s, 5), src = skewed(&s, 5000);
    uint32_t dst = below(&s, 4) ? (src * 7) % 3000 : skewed(&s, 3000);
    uint32_t port = below(&s, 5) ? (dst % 100) * 5 + proto : skewed(&s, 500);
    uint32_t flags = below(&s, 10) ? (proto * 4 + below(&s, 2)) % 20 : below(&s, 20);
    uint32_t fp = (port % 20 + below(&s, 5)) % 41;
    uint32_t bp = below(&s, 4) ? fp : below(&s, 41);
    uint32_t fb = (fp + below(&s, 3)) % 41, bb = (bp + below(&s, 3)) % 41;
    uint32_t dur = below(&s, 3) ? (fp + flags) % 41 : below(&s, 41);
    uint32_t row[M] = {proto, src, dst, port, flags, fp, bp, fb, bb, dur};
    for (int v = 0; v < M; v++)
      col[v][i] = row[v];
  }
  fc_bn_data d = {M, n, (const uint32_t *const *)col, card};
  fc_bn_learn_stats st;
  fc_bn *bn = NULL;
  double t0 = fc_now();
  fc_status rc = fc_bn_learn(M, card, NULL, fc_bn_count_local, &d, &bn, &st);
  double t1 = fc_now();
  if (rc != FC_OK) {
    fprintf(stderr, "%s: %s\n", fc_strerror(rc), fc_error_message());
    return 1;
  }
  double bits = fc_bn_data_bits(bn);
  double t2 = fc_now();
  printf("rows %zu threads %d: learn %.3f s (%ld steps, %zu families in %zu calls, %.2f ms per "
         "family), data bits %.1f in %.2f ms, peak RSS %.0f MB\n",
         n, omp_get_max_threads(), t1 - t0, st.steps, st.families_counted, st.count_calls,
         1e3 * (t1 - t0) / (double)st.families_counted, bits, 1e3 * (t2 - t1),
         (double)fc_peak_rss_bytes() / 1e6);
  for (int v = 0; v < M; v++) {
    const fc_bn_family *f = fc_bn_family_of(bn, v);
    printf("  %-9s <-", names[v]);
    for (int k = 0; k < f->n_parents; k++)
      printf(" %s", names[f->parents[k]]);
    printf("   (%zu entries)\n", fc_bn_counts_size(fc_bn_counts_of(bn, v)));
  }
  fc_bn_destroy(&bn);
  for (int v = 0; v < M; v++)
    free(col[v]);
  return 0;
}
