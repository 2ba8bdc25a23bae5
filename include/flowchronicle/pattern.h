/* The pattern language (spec section 2): a pattern is an ordered list of row patterns, each
 * assigning some columns a cell: FIX v (the column equals code v), SET k (binds variable k to
 * the flow's value; the value stays free), USE k (equals the value bound to k by an earlier row).
 * Columns without a cell are free. SET and USE only appear on the IP columns, whose codes share
 * one address dictionary, so a source address can be reused as a destination.
 *
 * Patterns are small value types (copied freely); fc_pattern_canonical renumbers variables in
 * the order their SET cells appear so that equal patterns compare and hash equal. */
#ifndef FLOWCHRONICLE_PATTERN_H
#define FLOWCHRONICLE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/encode.h"

#define FC_MAX_PROWS 8 /* rows per pattern */
#define FC_MAX_VARS 8  /* placeholder variables per pattern */

typedef enum fc_cell_kind { FC_CELL_FREE = 0, FC_CELL_FIX, FC_CELL_SET, FC_CELL_USE } fc_cell_kind;

typedef struct fc_cell {
  uint8_t kind;
  uint32_t arg; /* FIX: the code; SET/USE: the variable; FREE: 0 */
} fc_cell;

typedef struct fc_pattern {
  uint8_t n_rows;
  uint8_t n_vars;
  fc_cell cell[FC_MAX_PROWS][FC_NCOLS];
} fc_pattern;

void fc_pattern_init(fc_pattern *p, int n_rows);
/* Renumbers variables by first SET (row-major), drops variables never SET, recounts n_vars. */
void fc_pattern_canonical(fc_pattern *p);
bool fc_pattern_equal(const fc_pattern *a, const fc_pattern *b);
uint64_t fc_pattern_hash(const fc_pattern *p);
/* Total order on canonical patterns (for deterministic tie-breaking). */
int fc_pattern_cmp(const fc_pattern *a, const fc_pattern *b);
/* True when every USE refers to a variable SET in an earlier row, SET/USE cells sit on IP
 * columns, each variable is SET once, and every row constrains something or is a USE-only row. */
bool fc_pattern_valid(const fc_pattern *p, int n_cols);
/* Cells the pattern covers in one window: its FIX and USE cells. */
int fc_pattern_covered_cells(const fc_pattern *p, int n_cols);
/* Number of free variables of the pattern's BN: (row, column) cells that are not FIX or USE. */
int fc_pattern_free_cells(const fc_pattern *p, int n_cols);
/* The pattern in raw codes for debug messages, rows separated by " | ":
 * "dst_ip=4 dst_port=17 src_ip=SET0 | src_ip=USE0 dst_port=9". Truncated to fit cap (>= 1). */
void fc_pattern_format(const fc_pattern *p, int n_cols, char *buf, size_t cap);

#endif
