/* The miner's window cache: a candidate's windows depend on the data and the candidate only, not
 * on the model, yet the same top candidates are quick-scored again in every iteration (their
 * placement against the model changes, their windows do not). The cache keeps, per candidate
 * hash, its windows on this rank's rows, its pattern with constants folded (a collective result)
 * and its covered cells, within a memory budget, evicting the least recently used entries.
 *
 * Every decision (hit, miss, eviction) depends only on the sequence of calls and on the charge
 * passed with each entry, never on this rank's own sizes: when the ranks make the same calls
 * with the same charges (a global figure, e.g. the window count summed over ranks), they keep the
 * same entries, so collective work skipped on a hit is skipped on every rank. Results never
 * depend on the cache: it only saves recomputation. */
#ifndef FLOWCHRONICLE_WCACHE_H
#define FLOWCHRONICLE_WCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/cover.h"
#include "flowchronicle/error.h"
#include "flowchronicle/pattern.h"

typedef struct fc_wcache fc_wcache;

typedef struct fc_wcache_entry {
  uint64_t key;
  fc_windows windows;  /* this rank's windows of the candidate */
  fc_pattern folded;   /* the candidate with its constants folded */
  int covered_cells;   /* of the folded pattern */
  uint64_t charge;     /* bytes accounted for it */
  uint64_t last_used;  /* call counter at its last use */
} fc_wcache_entry;

typedef struct fc_wcache_stats {
  uint64_t hits, misses, stored, evicted, too_large;
  uint64_t charged; /* bytes accounted for the entries held now */
  size_t entries;
} fc_wcache_stats;

/* budget_bytes 0 makes a cache that stores nothing. */
fc_status fc_wcache_create(uint64_t budget_bytes, fc_wcache **out);
void fc_wcache_destroy(fc_wcache **c);

/* The entry for key, marked as used, or NULL (a miss). The pointer is valid until the next
 * fc_wcache_put. */
const fc_wcache_entry *fc_wcache_get(fc_wcache *c, uint64_t key);

/* Stores an entry, taking w's rows (w is left empty either way). charge: the bytes to account,
 * which must be the same on every rank sharing the decisions. Least recently used entries are
 * evicted (ties: smaller key first) until the new one fits; one larger than the budget is not
 * stored. A key already present is replaced. */
fc_status fc_wcache_put(fc_wcache *c, uint64_t key, fc_windows *w, const fc_pattern *folded,
                        int covered_cells, uint64_t charge);

void fc_wcache_get_stats(const fc_wcache *c, fc_wcache_stats *out);

#endif
