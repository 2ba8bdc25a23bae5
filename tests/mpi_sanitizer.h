/* Sanitizer defaults for test programs that start MPI (include in exactly one file of the test).
 *
 * Open MPI unloads its plugins in MPI_Finalize. LeakSanitizer then meets (1) allocations made
 * by plugin code that the fast frame-pointer unwinder records as "<unknown module>" only, so
 * tests/lsan.supp cannot match them: the slow unwinder follows the stacks into libmpi and
 * libopen-pal, where the suppressions apply; and (2) in a singleton run (no mpiexec), a stale
 * dynamic-TLS entry of an unloaded plugin that crashes LeakSanitizer's tracer: scanning TLS as
 * roots is turned off (this can only add reports, never hide a leak). ASAN_OPTIONS and
 * LSAN_OPTIONS from the environment are applied after these and win. Without sanitizers
 * nothing calls these functions. */
#ifndef FC_TEST_MPI_SANITIZER_H
#define FC_TEST_MPI_SANITIZER_H

const char *__asan_default_options(void);
const char *__lsan_default_options(void);

const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }
const char *__lsan_default_options(void) { return "use_tls=0"; }

#endif
