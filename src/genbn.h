/* A sampling index over a finished BN for the generator's hot path: per node, the observed
 * parent configurations in an open-addressing hash table (one probe instead of a binary search
 * over every configuration), each with its entries' cumulative counts and values. A draw with
 * uniform u returns exactly what fc_bn_sample_node returns for the same u (same K2-smoothed CPT,
 * same inversion; tests/test_generate.c compares the two), only faster on nodes with many
 * configurations. Built once from the BN's public count tables; read-only afterwards, so threads
 * share it. */
#ifndef FLOWCHRONICLE_GENBN_H
#define FLOWCHRONICLE_GENBN_H

#include <stdint.h>

#include "flowchronicle/bn.h"
#include "flowchronicle/error.h"

typedef struct fci_gen_bn fci_gen_bn;

fc_status fci_gen_bn_create(const fc_bn *bn, fci_gen_bn **out);
void fci_gen_bn_destroy(fci_gen_bn **s);
/* One joint ancestral draw: node v uses uniforms[v]; writes values[0..m). */
void fci_gen_bn_sample(const fci_gen_bn *s, const double *uniforms, uint32_t *values);
uint32_t fci_gen_bn_sample_node(const fci_gen_bn *s, int v, const uint32_t *values, double u);

#endif
