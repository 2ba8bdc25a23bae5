/* Draws from counter-based streams that need more than one uniform: bounded integers and
 * Poisson counts (the generator's instances per time slice). The algorithms are those numpy uses,
 * written against fc_rng so every draw is a pure function of the stream's name. */
#include "flowchronicle/rng.h"

#include <math.h>

uint64_t fc_rng_below_slow(fc_rng *r, uint64_t n) {
  if (n <= 1) return 0;
  /* Accept x >= 2^64 mod n: the accepted range is a multiple of n, so x % n is exactly uniform. */
  uint64_t threshold = (0 - n) % n;
  for (;;) {
    uint64_t x = fc_rng_u64(r);
    if (x >= threshold) return x % n;
  }
}

double fc_log_gamma(double x) {
  static const double a[10] = {
      8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04, -5.952380952380952e-04,
      8.417508417508418e-04, -1.917526917526918e-03, 6.410256410256410e-03, -2.955065359477124e-02,
      1.796443723688307e-01, -1.39243221690590e+00};
  if (x == 1.0 || x == 2.0) return 0.0;
  int n = x < 7.0 ? (int)(7.0 - x) : 0;
  double x0 = x + n;
  double x2 = (1.0 / x0) * (1.0 / x0);
  double gl0 = a[9];
  for (int k = 8; k >= 0; k--) {
    gl0 *= x2;
    gl0 += a[k];
  }
  double gl = gl0 / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * log(x0) - x0;
  for (int k = 1; k <= n; k++) {
    gl -= log(x0 - 1.0);
    x0 -= 1.0;
  }
  return gl;
}

/* Multiplication of uniforms until the product falls below e^-mean (small means). */
static uint64_t poisson_mult(fc_rng *r, double mean) {
  double enlam = exp(-mean), prod = 1.0;
  uint64_t x = 0;
  for (;;) {
    prod *= fc_rng_uniform(r);
    if (prod > enlam)
      x++;
    else
      return x;
  }
}

/* W. Hoermann, "The transformed rejection method for generating Poisson random variables",
 * Insurance: Mathematics and Economics 12 (1993) 39-45. */
static uint64_t poisson_ptrs(fc_rng *r, double mean) {
  double slam = sqrt(mean), loglam = log(mean);
  double b = 0.931 + 2.53 * slam;
  double a = -0.059 + 0.02483 * b;
  double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  double vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    double u = fc_rng_uniform(r) - 0.5;
    double v = fc_rng_uniform(r);
    double us = 0.5 - fabs(u);
    double kf = floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return (uint64_t)kf;
    if (kf < 0 || (us < 0.013 && v > us)) continue;
    if (log(v) + log(invalpha) - log(a / (us * us) + b) <=
        -mean + kf * loglam - fc_log_gamma(kf + 1))
      return (uint64_t)kf;
  }
}

uint64_t fc_rng_poisson(fc_rng *r, double mean) {
  if (!(mean > 0) || !isfinite(mean)) return 0;
  if (mean > 1e15) mean = 1e15;
  return mean < 10 ? poisson_mult(r, mean) : poisson_ptrs(r, mean);
}
