/* The miner's window cache (wcache.h): entries in a dense array, found through a linear-probing
 * index of their keys (deletion by backward shift, so no tombstones); the least recently used
 * entry is found by a scan when room is needed. */
#include "flowchronicle/wcache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct fc_wcache {
  uint64_t budget, charged, clock;
  fc_wcache_entry *e;
  size_t n, cap;
  uint32_t *slot; /* entry index + 1, 0 = empty; size mask + 1 (a power of two) */
  size_t mask;
  fc_wcache_stats stats;
};

static size_t home(const fc_wcache *c, uint64_t key) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  return (size_t)key & c->mask;
}

/* The index slot holding key, or the empty slot where it would go. */
static size_t find_slot(const fc_wcache *c, uint64_t key) {
  size_t s = home(c, key);
  while (c->slot[s] && c->e[c->slot[s] - 1].key != key) s = (s + 1) & c->mask;
  return s;
}

static fc_status grow_index(fc_wcache *c) {
  size_t size = c->slot ? (c->mask + 1) * 2 : 1024;
  uint32_t *slot;
  FC_CALL(fci_calloc(size, sizeof *slot, &slot));
  free(c->slot);
  c->slot = slot;
  c->mask = size - 1;
  for (size_t i = 0; i < c->n; i++) c->slot[find_slot(c, c->e[i].key)] = (uint32_t)(i + 1);
  return FC_OK;
}

/* Removes the index slot s (backward-shift deletion). */
static void unindex(fc_wcache *c, size_t s) {
  c->slot[s] = 0;
  for (size_t j = (s + 1) & c->mask; c->slot[j]; j = (j + 1) & c->mask) {
    size_t h = home(c, c->e[c->slot[j] - 1].key);
    /* the entry at j may move to the hole at s when its home is not in (s, j] cyclically */
    bool stays = s <= j ? (h > s && h <= j) : (h > s || h <= j);
    if (stays) continue;
    c->slot[s] = c->slot[j];
    c->slot[j] = 0;
    s = j;
  }
}

static void remove_entry(fc_wcache *c, size_t i) {
  unindex(c, find_slot(c, c->e[i].key));
  c->charged -= c->e[i].charge;
  fc_windows_free(&c->e[i].windows);
  size_t last = c->n - 1;
  if (i != last) {
    c->e[i] = c->e[last];
    c->slot[find_slot(c, c->e[i].key)] = (uint32_t)(i + 1);
  }
  c->n--;
}

fc_status fc_wcache_create(uint64_t budget_bytes, fc_wcache **out) {
  fc_wcache *c;
  FC_CALL(fci_calloc(1, sizeof *c, &c));
  c->budget = budget_bytes;
  fc_status st = grow_index(c);
  if (st != FC_OK) {
    free(c);
    return st;
  }
  *out = c;
  return FC_OK;
}

void fc_wcache_destroy(fc_wcache **pc) {
  fc_wcache *c = *pc;
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) fc_windows_free(&c->e[i].windows);
  free(c->e);
  free(c->slot);
  free(c);
  *pc = NULL;
}

const fc_wcache_entry *fc_wcache_get(fc_wcache *c, uint64_t key) {
  size_t s = find_slot(c, key);
  if (!c->slot[s]) {
    c->stats.misses++;
    return NULL;
  }
  fc_wcache_entry *e = &c->e[c->slot[s] - 1];
  e->last_used = ++c->clock;
  c->stats.hits++;
  return e;
}

fc_status fc_wcache_put(fc_wcache *c, uint64_t key, fc_windows *w, const fc_pattern *folded,
                        int covered_cells, uint64_t charge) {
  size_t s = find_slot(c, key);
  if (c->slot[s]) remove_entry(c, c->slot[s] - 1);
  if (charge > c->budget) {
    c->stats.too_large++;
    fc_windows_free(w);
    return FC_OK;
  }
  while (c->charged + charge > c->budget && c->n) {
    size_t v = 0;
    for (size_t i = 1; i < c->n; i++)
      if (c->e[i].last_used < c->e[v].last_used ||
          (c->e[i].last_used == c->e[v].last_used && c->e[i].key < c->e[v].key))
        v = i;
    remove_entry(c, v);
    c->stats.evicted++;
  }
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 256;
    fc_status st = fci_realloc(cap * sizeof *c->e, &c->e);
    if (st != FC_OK) {
      fc_windows_free(w);
      return st;
    }
    c->cap = cap;
  }
  if (2 * (c->n + 1) > c->mask + 1) {
    fc_status st = grow_index(c);
    if (st != FC_OK) {
      fc_windows_free(w);
      return st;
    }
  }
  if (w->cap > w->n && w->n) { /* keep only what is used */
    uint32_t *ids = realloc(w->ids, w->n * (size_t)w->n_rows * sizeof *ids);
    if (ids) {
      w->ids = ids;
      w->cap = w->n;
    }
  }
  fc_wcache_entry *e = &c->e[c->n];
  e->key = key;
  e->windows = *w;
  memset(w, 0, sizeof *w);
  e->folded = *folded;
  e->covered_cells = covered_cells;
  e->charge = charge;
  e->last_used = ++c->clock;
  c->slot[find_slot(c, key)] = (uint32_t)(c->n + 1);
  c->n++;
  c->charged += charge;
  c->stats.stored++;
  return FC_OK;
}

void fc_wcache_get_stats(const fc_wcache *c, fc_wcache_stats *out) {
  *out = c->stats;
  out->charged = c->charged;
  out->entries = c->n;
}
