/* Internals shared by the eval module's files: the keyed random stream, small sorting helpers
 * and the ACF core that both the dense and the per-second (sparse) entry points use. */
#ifndef FC_EVAL_IMPL_H
#define FC_EVAL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"

/* Flag bits of the text form (UAPRSF): values are compared as their text forms are. */
#define FCI_FLAGS_TEXT 0x3f

/* Uniform integer in [0, bound) (bound >= 1) from the Philox4x64 stream keyed by (seed, purpose)
 * at counter (run, index): exact rejection sampling, further words of the same counter block and
 * then further blocks on the rare rejection. Independent of threads and call order. */
uint64_t fci_eval_rand_below(uint64_t seed, uint64_t purpose, uint64_t run, uint64_t index,
                             uint64_t bound);

/* qsort comparators. */
int fci_cmp_u32(const void *a, const void *b);
int fci_cmp_u64(const void *a, const void *b);
int fci_cmp_double(const void *a, const void *b);

/* ACF of a series of length ns given by its non-zero entries: strictly increasing positions
 * pos[0..nnz) in [0, ns) and their values. Writes acf[0..nlags] (nlags < ns), all NaN when the
 * series is constant. mode 0 chooses: a series at least half non-zero is expanded and computed
 * directly on deviations from the mean; a sparser one uses sum_t x_t x_{t+k} over pairs of
 * non-zero entries and prefix sums, O(nnz * neighbours within nlags). mode 1 forces dense,
 * mode 2 sparse (tests). */
fc_status fci_eval_acf_sparse(const int64_t *pos, const double *val, size_t nnz, size_t ns,
                              int nlags, int mode, double *acf);

/* The difference of two ACFs as fc_eval_acf_series_diff, on sparse series as above. */
fc_status fci_eval_acf_diff_sparse(const int64_t *pos_r, const double *val_r, size_t nnz_r,
                                   size_t ns_r, const int64_t *pos_g, const double *val_g,
                                   size_t nnz_g, size_t ns_g, int max_lag, double *out);

#endif
