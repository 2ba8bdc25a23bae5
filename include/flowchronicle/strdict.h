/* String interning: maps byte strings to dense ids 0..n-1 in first-seen order. Used for label
 * values and categorical dictionaries. Open addressing on xxHash3; strings live in one arena. */
#ifndef FLOWCHRONICLE_STRDICT_H
#define FLOWCHRONICLE_STRDICT_H

#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"

typedef struct fc_strdict fc_strdict;

fc_status fc_strdict_create(fc_strdict **out);
void fc_strdict_destroy(fc_strdict **d);
/* Returns the id of s (len bytes, no NUL needed), adding it when new. */
fc_status fc_strdict_intern(fc_strdict *d, const char *s, size_t len, uint32_t *id);
/* Looks s up without adding; returns 0 and sets *id when found, -1 otherwise. */
int fc_strdict_find(const fc_strdict *d, const char *s, size_t len, uint32_t *id);
size_t fc_strdict_size(const fc_strdict *d);
/* NUL-terminated string of an id (valid until the next intern). */
const char *fc_strdict_get(const fc_strdict *d, uint32_t id);
size_t fc_strdict_len(const fc_strdict *d, uint32_t id);

#endif
