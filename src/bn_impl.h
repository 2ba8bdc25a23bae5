/* Private structures of the BN module (bn_counts.c: count tables and counting; bn.c: networks,
 * learning, sampling, serialisation). */
#ifndef FLOWCHRONICLE_BN_IMPL_H
#define FLOWCHRONICLE_BN_IMPL_H

#include "flowchronicle/bn.h"

/* One count-table entry; the key (k0, k1) packs (cfg0, cfg1, cfg2, value) so that unsigned
 * comparison of (k0, k1) is the lexicographic order of the 4-tuple. In a hash slot count == 0
 * marks an empty slot. */
typedef struct fci_bn_entry {
  uint64_t k0; /* (cfg0 << 32) | cfg1 */
  uint64_t k1; /* (cfg2 << 32) | value */
  uint64_t count;
} fci_bn_entry;

#define FCI_BN_KEY0(c0, c1) (((uint64_t)(c0) << 32) | (uint64_t)(c1))
#define FCI_BN_KEY1(c2, v) (((uint64_t)(c2) << 32) | (uint64_t)(v))
/* The parent-configuration part of an entry: equal for entries of one configuration. */
#define FCI_BN_SAME_CFG(a, b) ((a)->k0 == (b)->k0 && ((a)->k1 >> 32) == ((b)->k1 >> 32))

struct fc_bn_counts {
  fc_bn_family fam;
  size_t n, cap;
  fci_bn_entry *e;
  uint64_t total;
};

/* Per-node sampling index over the node's table: distinct configurations in table order, the
 * first entry of each, and cumulative counts inside each configuration. */
typedef struct fci_bn_cpt {
  size_t n_cfg;
  uint64_t *cfg_k0;  /* (cfg0 << 32) | cfg1 */
  uint32_t *cfg_k2;  /* cfg2 */
  size_t *cfg_start; /* n_cfg + 1 entry offsets */
  uint64_t *cum;     /* per entry: inclusive cumulative count within its configuration */
} fci_bn_cpt;

struct fc_bn {
  int m;
  uint32_t *card;
  fc_bn_counts **tab; /* one per node, node v's family in tab[v]->fam */
  int *npar;          /* parents per node (for the structure code length) */
  int *topo;
  uint8_t *adj; /* m x m, adj[from * m + to] */
  fci_bn_cpt *cpt;
  uint64_t n_rows;
};

/* Sorts entries by key and sums equal keys in place (dropping zero counts); returns the new
 * length. scratch must hold n entries (or be NULL for n below the radix threshold); returns
 * (size_t)-1 if scratch is needed but NULL. Exposed for the tests of canonical order. */
size_t fci_bn_canonicalize(fci_bn_entry *e, size_t n, fci_bn_entry *scratch);

/* Validates and fills a family (parents sorted); returns 0 or -1 (no error recorded). */
int fci_bn_family_check(fc_bn_family *fam);

#endif
