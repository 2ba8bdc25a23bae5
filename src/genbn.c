/* Hash-indexed CPTs for fast ancestral sampling (see genbn.h). Laid out for few cache misses
 * per draw on large tables: the hash slot holds the configuration itself with its entry range,
 * an entry holds its cumulative count and value together, and a guide table (Chen and Asau,
 * 1974) maps a draw to its entry's neighbourhood, so a draw reads a slot, a guide cell and one or
 * two entries. */
#include "genbn.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Configurations with at least this many entries get a guide table: the entry of a draw is then
 * found from its cell with a short forward scan instead of a binary search (a root node can have
 * thousands of values). */
#define GUIDE_MIN 16
#define GUIDE_MAX_COUNT (UINT64_C(1) << 40) /* t * E must not overflow 64 bits */

typedef struct slot {
  uint32_t cfg[3];
  uint32_t used;  /* 1 when the slot holds a configuration */
  uint64_t begin; /* its entries [begin, begin + n) */
  uint32_t n;
  uint32_t guided; /* 1: guide cells [guide, guide + n) */
  uint64_t guide;
} slot;

typedef struct entry {
  uint64_t cum; /* inclusive cumulative count inside the configuration */
  uint32_t value;
} entry;

typedef struct gnode {
  int n_parents;
  int parents[FC_BN_MAX_PARENTS];
  uint64_t card;
  slot *slots;
  uint64_t mask; /* slots - 1 */
  entry *e;
  uint32_t *guide; /* cell j of a configuration with n entries and total n_c: the first entry
                      (relative) whose cumulative count exceeds floor(j n_c / n) */
} gnode;

struct fci_gen_bn {
  int m;
  int *topo;
  gnode *node;
};

static uint64_t cfg_hash(const uint32_t *c) {
  uint64_t h = (uint64_t)c[0] * UINT64_C(0x9e3779b97f4a7c15);
  h ^= (uint64_t)c[1] * UINT64_C(0xc2b2ae3d27d4eb4f);
  h ^= (uint64_t)c[2] * UINT64_C(0x165667b19e3779f9);
  return h ^ (h >> 29);
}

void fci_gen_bn_destroy(fci_gen_bn **sp) {
  if (!sp || !*sp) return;
  fci_gen_bn *s = *sp;
  for (int v = 0; s->node && v < s->m; v++) {
    free(s->node[v].slots);
    free(s->node[v].e);
    free(s->node[v].guide);
  }
  free(s->node);
  free(s->topo);
  free(s);
  *sp = NULL;
}

static fc_status build_node(const fc_bn *bn, int v, gnode *g) {
  const fc_bn_counts *c = fc_bn_counts_of(bn, v);
  const fc_bn_family *f = fc_bn_family_of(bn, v);
  g->n_parents = f->n_parents;
  for (int k = 0; k < FC_BN_MAX_PARENTS; k++)
    g->parents[k] = f->parents[k];
  g->card = fc_bn_cardinality(bn, v);
  size_t n = fc_bn_counts_size(c), n_cfg = 0;
  uint8_t *fresh = NULL;
  FC_CALL(fci_malloc((n ? n : 1) * sizeof *g->e, &g->e));
  FC_CALL(fci_malloc(n + 1, &fresh));
  uint32_t prev[3] = {0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    uint32_t cfg[3];
    uint64_t count;
    fc_bn_counts_entry(c, i, cfg, &g->e[i].value, &count);
    fresh[i] = i == 0 || memcmp(cfg, prev, sizeof prev) != 0;
    g->e[i].cum = (fresh[i] ? 0 : g->e[i - 1].cum) + count;
    n_cfg += fresh[i];
    memcpy(prev, cfg, sizeof prev);
  }
  fresh[n] = 1;
  uint64_t slots = 4;
  while (slots < 2 * (uint64_t)n_cfg)
    slots *= 2;
  g->mask = slots - 1;
  fc_status st = fci_calloc((size_t)slots, sizeof *g->slots, &g->slots);
  if (st != FC_OK) {
    free(fresh);
    return st;
  }
  size_t cells = 0;
  for (size_t i = 0; i < n;) {
    uint32_t cfg[3];
    fc_bn_counts_entry(c, i, cfg, NULL, NULL);
    size_t j = i + 1;
    while (!fresh[j])
      j++;
    uint64_t h = cfg_hash(cfg) & g->mask;
    while (g->slots[h].used)
      h = (h + 1) & g->mask;
    slot *s = &g->slots[h];
    memcpy(s->cfg, cfg, sizeof cfg);
    s->used = 1;
    s->begin = i;
    s->n = (uint32_t)(j - i);
    if (j - i >= GUIDE_MIN && g->e[j - 1].cum < GUIDE_MAX_COUNT) {
      s->guided = 1;
      s->guide = cells;
      cells += j - i;
    }
    i = j;
  }
  free(fresh);
  FC_CALL(fci_malloc((cells ? cells : 1) * sizeof *g->guide, &g->guide));
  for (uint64_t h = 0; h <= g->mask; h++) {
    const slot *s = &g->slots[h];
    if (!s->used || !s->guided) continue;
    const entry *e = &g->e[s->begin];
    uint64_t n_c = e[s->n - 1].cum;
    size_t i = 0;
    for (size_t j = 0; j < s->n; j++) {
      uint64_t t = (uint64_t)j * n_c / s->n;
      while (e[i].cum <= t)
        i++;
      g->guide[s->guide + j] = (uint32_t)i;
    }
  }
  return FC_OK;
}

fc_status fci_gen_bn_create(const fc_bn *bn, fci_gen_bn **out) {
  fci_gen_bn *s = NULL;
  FC_CALL(fci_calloc(1, sizeof *s, &s));
  s->m = fc_bn_n_nodes(bn);
  fc_status st = FC_OK;
  FC_CALL_GOTO(st, fci_calloc(s->m ? (size_t)s->m : 1, sizeof *s->node, &s->node), fail);
  FC_CALL_GOTO(st, fci_malloc((s->m ? (size_t)s->m : 1) * sizeof *s->topo, &s->topo), fail);
  memcpy(s->topo, fc_bn_topo_order(bn), (size_t)s->m * sizeof *s->topo);
  for (int v = 0; v < s->m; v++)
    FC_CALL_GOTO(st, build_node(bn, v, &s->node[v]), fail);
  *out = s;
  return FC_OK;
fail:
  fci_gen_bn_destroy(&s);
  return st;
}

uint32_t fci_gen_bn_sample_node(const fci_gen_bn *s, int v, const uint32_t *values, double u) {
  const gnode *g = &s->node[v];
  uint32_t cfg[3] = {0, 0, 0};
  for (int k = 0; k < g->n_parents; k++)
    cfg[k] = values[g->parents[k]];
  if (!(u > 0.0)) u = 0.0;
  const slot *found = NULL;
  for (uint64_t h = cfg_hash(cfg) & g->mask; g->slots[h].used; h = (h + 1) & g->mask) {
    const slot *sl = &g->slots[h];
    if (sl->cfg[0] == cfg[0] && sl->cfg[1] == cfg[1] && sl->cfg[2] == cfg[2]) {
      found = sl;
      break;
    }
  }
  const entry *e = found ? &g->e[found->begin] : NULL;
  uint64_t n_c = found ? e[found->n - 1].cum : 0;
  /* From here as fc_bn_sample_node: observed mass by cumulative counts, smoothing mass uniform.
   * The entry is the first whose cumulative count exceeds t. */
  const double x = u * (double)(n_c + g->card);
  if (x < (double)n_c) {
    const uint64_t t = (uint64_t)x;
    size_t a, b = found->n - 1;
    if (found->guided) {
      a = g->guide[found->guide + t * found->n / n_c];
      while (e[a].cum <= t)
        a++;
      return e[a].value;
    }
    a = 0;
    while (a < b) {
      size_t mid = a + (b - a) / 2;
      if (e[mid].cum > t)
        b = mid;
      else
        a = mid + 1;
    }
    return e[a].value;
  }
  uint64_t j = (uint64_t)(x - (double)n_c);
  return (uint32_t)(j < g->card ? j : g->card - 1);
}

void fci_gen_bn_sample(const fci_gen_bn *s, const double *uniforms, uint32_t *values) {
  for (int i = 0; i < s->m; i++) {
    const int v = s->topo[i];
    values[v] = fci_gen_bn_sample_node(s, v, values, uniforms[v]);
  }
}
