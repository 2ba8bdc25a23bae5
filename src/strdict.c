/* String interning with open addressing (linear probing) over xxHash3 of the bytes. */
#include "flowchronicle/strdict.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct fc_strdict {
  char *arena;
  size_t arena_len, arena_cap;
  size_t *off;      /* offset of string id in arena */
  size_t *len;      /* its length */
  uint64_t *hash;   /* its hash */
  size_t n, cap;    /* strings */
  uint32_t *slots;  /* id + 1, 0 = empty */
  size_t nslots;    /* power of two */
};

fc_status fc_strdict_create(fc_strdict **out) {
  fc_strdict *d;
  FC_CALL(fci_calloc(1, sizeof *d, &d));
  d->nslots = 64;
  fc_status st = fci_calloc(d->nslots, sizeof *d->slots, &d->slots);
  if (st != FC_OK) {
    free(d);
    return st;
  }
  *out = d;
  return FC_OK;
}

void fc_strdict_destroy(fc_strdict **pd) {
  if (!pd || !*pd) return;
  fc_strdict *d = *pd;
  free(d->arena);
  free(d->off);
  free(d->len);
  free(d->hash);
  free(d->slots);
  free(d);
  *pd = NULL;
}

static int lookup(const fc_strdict *d, const char *s, size_t len, uint64_t h, size_t *slot) {
  size_t mask = d->nslots - 1;
  size_t i = (size_t)h & mask;
  for (;;) {
    uint32_t v = d->slots[i];
    if (v == 0) {
      *slot = i;
      return -1;
    }
    uint32_t id = v - 1;
    if (d->hash[id] == h && d->len[id] == len && memcmp(d->arena + d->off[id], s, len) == 0) {
      *slot = i;
      return (int)id;
    }
    i = (i + 1) & mask;
  }
}

static fc_status grow_slots(fc_strdict *d) {
  size_t n = d->nslots * 2;
  uint32_t *slots;
  FC_CALL(fci_calloc(n, sizeof *slots, &slots));
  for (size_t id = 0; id < d->n; id++) {
    size_t i = (size_t)d->hash[id] & (n - 1);
    while (slots[i]) i = (i + 1) & (n - 1);
    slots[i] = (uint32_t)id + 1;
  }
  free(d->slots);
  d->slots = slots;
  d->nslots = n;
  return FC_OK;
}

int fc_strdict_find(const fc_strdict *d, const char *s, size_t len, uint32_t *id) {
  size_t slot;
  int r = lookup(d, s, len, XXH3_64bits(s, len), &slot);
  if (r < 0) return -1;
  *id = (uint32_t)r;
  return 0;
}

fc_status fc_strdict_intern(fc_strdict *d, const char *s, size_t len, uint32_t *id) {
  uint64_t h = XXH3_64bits(s, len);
  size_t slot;
  int r = lookup(d, s, len, h, &slot);
  if (r >= 0) {
    *id = (uint32_t)r;
    return FC_OK;
  }
  if (d->n >= UINT32_MAX - 1) return FC_ERROR(FC_ERR_LIMIT, "more than 2^32 distinct strings");
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 64;
    FC_CALL(fci_realloc(cap * sizeof *d->off, &d->off));
    FC_CALL(fci_realloc(cap * sizeof *d->len, &d->len));
    FC_CALL(fci_realloc(cap * sizeof *d->hash, &d->hash));
    d->cap = cap;
  }
  if (d->arena_len + len + 1 > d->arena_cap) {
    size_t cap = d->arena_cap ? d->arena_cap : 1024;
    while (cap < d->arena_len + len + 1) cap *= 2;
    FC_CALL(fci_realloc(cap, &d->arena));
    d->arena_cap = cap;
  }
  memcpy(d->arena + d->arena_len, s, len);
  d->arena[d->arena_len + len] = '\0';
  d->off[d->n] = d->arena_len;
  d->len[d->n] = len;
  d->hash[d->n] = h;
  d->arena_len += len + 1;
  d->slots[slot] = (uint32_t)d->n + 1;
  *id = (uint32_t)d->n;
  d->n++;
  if (d->n * 2 > d->nslots) FC_CALL(grow_slots(d));
  return FC_OK;
}

size_t fc_strdict_size(const fc_strdict *d) { return d->n; }
const char *fc_strdict_get(const fc_strdict *d, uint32_t id) { return d->arena + d->off[id]; }
size_t fc_strdict_len(const fc_strdict *d, uint32_t id) { return d->len[id]; }
