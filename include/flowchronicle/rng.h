/* Counter-based random streams (house style rule 7): a stream is named by (seed, purpose) as the
 * Philox key and by three 64-bit coordinates (a shard such as a time slice, and two indices such
 * as a pattern and an instance) as the counter; the fourth counter word counts blocks of four
 * 64-bit outputs. A draw therefore depends only on its name and its position in the stream,
 * never on which rank or thread computes it or in which order: that is what makes generated
 * traffic identical for any number of ranks and threads.
 *
 * Philox4x64-10 (Random123, Salmon et al., SC'11) passes BigCrush for every key; streams with
 * different names are independent for all practical purposes. A stream is a small value (no
 * allocation), cheap to create, and must not be shared between threads. */
#ifndef FLOWCHRONICLE_RNG_H
#define FLOWCHRONICLE_RNG_H

#include <stdint.h>

#include <Random123/philox.h>

typedef struct fc_rng {
  philox4x64_key_t key;
  philox4x64_ctr_t ctr; /* (a, b, c, block) */
  philox4x64_ctr_t out; /* the current block's outputs */
  int pos;              /* next unused output of out, 4 when exhausted */
} fc_rng;

/* The stream named (seed, purpose; a, b, c), positioned at its first draw. */
static inline void fc_rng_init(fc_rng *r, uint64_t seed, uint64_t purpose, uint64_t a, uint64_t b,
                               uint64_t c) {
  r->key.v[0] = seed;
  r->key.v[1] = purpose;
  r->ctr.v[0] = a;
  r->ctr.v[1] = b;
  r->ctr.v[2] = c;
  r->ctr.v[3] = 0;
  r->pos = 4;
}

/* The next 64 random bits. */
static inline uint64_t fc_rng_u64(fc_rng *r) {
  if (r->pos == 4) {
    r->out = philox4x64(r->ctr, r->key);
    r->ctr.v[3]++;
    r->pos = 0;
  }
  return r->out.v[r->pos++];
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double fc_rng_uniform(fc_rng *r) {
  return (double)(fc_rng_u64(r) >> 11) * 0x1p-53;
}

/* Uniform integer in [0, n) for n >= 1 (0 for n = 0). Below 2^32, floor(u n) of a 53-bit
 * uniform u (bias under 2^-21 relative, far below any test's resolution, and no division on the
 * hot path); above, an exact rejection method. */
uint64_t fc_rng_below_slow(fc_rng *r, uint64_t n);
static inline uint64_t fc_rng_below(fc_rng *r, uint64_t n) {
  if (n <= (UINT64_C(1) << 32)) {
    uint64_t x = (uint64_t)(fc_rng_uniform(r) * (double)n);
    return x < n ? x : (n ? n - 1 : 0);
  }
  return fc_rng_below_slow(r, n);
}

/* Poisson(mean) for mean >= 0 (0 for mean <= 0 or not finite): inversion for means below 10,
 * Hoermann's transformed rejection with squeeze (PTRS, 1993) above, as numpy does. The number of
 * draws consumed varies; the result is still a pure function of the stream's position. Means
 * above 1e15 are clamped. Thread-safe (no lgamma: its sign global is shared state). */
uint64_t fc_rng_poisson(fc_rng *r, double mean);

/* ln Gamma(x) for x > 0 (Stirling series with recurrence below 7; relative error < 1e-14). */
double fc_log_gamma(double x);

#endif
