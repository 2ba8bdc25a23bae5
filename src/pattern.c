/* Pattern value operations: canonical form, comparison, hashing, validity. */
#include "flowchronicle/pattern.h"

#include <stdio.h>
#include <string.h>
#include <xxhash.h>

void fc_pattern_init(fc_pattern *p, int n_rows) {
  memset(p, 0, sizeof *p);
  p->n_rows = (uint8_t)n_rows;
}

void fc_pattern_canonical(fc_pattern *p) {
  int map[256];
  for (int i = 0; i < 256; i++) map[i] = -1;
  int next = 0;
  for (int r = 0; r < p->n_rows; r++)
    for (int c = 0; c < FC_NCOLS; c++)
      if (p->cell[r][c].kind == FC_CELL_SET && p->cell[r][c].arg < 256 &&
          map[p->cell[r][c].arg] < 0)
        map[p->cell[r][c].arg] = next++;
  for (int r = 0; r < p->n_rows; r++)
    for (int c = 0; c < FC_NCOLS; c++) {
      fc_cell *x = &p->cell[r][c];
      if (x->kind == FC_CELL_SET || x->kind == FC_CELL_USE) {
        int m = x->arg < 256 ? map[x->arg] : -1;
        if (m < 0) { /* a USE of a variable never SET: drop it */
          x->kind = FC_CELL_FREE;
          x->arg = 0;
        } else {
          x->arg = (uint32_t)m;
        }
      } else if (x->kind == FC_CELL_FREE) {
        x->arg = 0;
      }
    }
  for (int r = p->n_rows; r < FC_MAX_PROWS; r++) memset(p->cell[r], 0, sizeof p->cell[r]);
  p->n_vars = (uint8_t)next;
}

bool fc_pattern_equal(const fc_pattern *a, const fc_pattern *b) {
  return fc_pattern_cmp(a, b) == 0;
}

int fc_pattern_cmp(const fc_pattern *a, const fc_pattern *b) {
  if (a->n_rows != b->n_rows) return a->n_rows < b->n_rows ? -1 : 1;
  for (int r = 0; r < a->n_rows; r++)
    for (int c = 0; c < FC_NCOLS; c++) {
      const fc_cell *x = &a->cell[r][c], *y = &b->cell[r][c];
      if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
      if (x->arg != y->arg) return x->arg < y->arg ? -1 : 1;
    }
  return 0;
}

uint64_t fc_pattern_hash(const fc_pattern *p) {
  uint8_t buf[1 + FC_MAX_PROWS * FC_NCOLS * 5];
  size_t o = 0;
  buf[o++] = p->n_rows;
  for (int r = 0; r < p->n_rows; r++)
    for (int c = 0; c < FC_NCOLS; c++) {
      const fc_cell *x = &p->cell[r][c];
      buf[o++] = x->kind;
      memcpy(buf + o, &x->arg, 4);
      o += 4;
    }
  return XXH3_64bits(buf, o);
}

static bool is_ip_col(int c) { return c == FC_COL_SRC_IP || c == FC_COL_DST_IP; }

bool fc_pattern_valid(const fc_pattern *p, int n_cols) {
  if (p->n_rows < 1 || p->n_rows > FC_MAX_PROWS) return false;
  int set_row[256];
  for (int i = 0; i < 256; i++) set_row[i] = -1;
  for (int r = 0; r < p->n_rows; r++) {
    int constraints = 0;
    for (int c = 0; c < FC_NCOLS; c++) {
      const fc_cell *x = &p->cell[r][c];
      if (x->kind == FC_CELL_FREE) continue;
      if (c >= n_cols) return false;
      if ((x->kind == FC_CELL_SET || x->kind == FC_CELL_USE) && (!is_ip_col(c) || x->arg >= 256))
        return false;
      if (x->kind == FC_CELL_SET) {
        if (set_row[x->arg] >= 0) return false;
        set_row[x->arg] = r;
      }
      if (x->kind == FC_CELL_FIX || x->kind == FC_CELL_USE) constraints++;
    }
    for (int c = 0; c < FC_NCOLS; c++) {
      const fc_cell *x = &p->cell[r][c];
      if (x->kind == FC_CELL_USE && (set_row[x->arg] < 0 || set_row[x->arg] >= r)) return false;
    }
    if (constraints == 0) return false;
  }
  return true;
}

int fc_pattern_covered_cells(const fc_pattern *p, int n_cols) {
  int n = 0;
  for (int r = 0; r < p->n_rows; r++)
    for (int c = 0; c < n_cols; c++)
      n += p->cell[r][c].kind == FC_CELL_FIX || p->cell[r][c].kind == FC_CELL_USE;
  return n;
}

int fc_pattern_free_cells(const fc_pattern *p, int n_cols) {
  return p->n_rows * n_cols - fc_pattern_covered_cells(p, n_cols);
}

void fc_pattern_format(const fc_pattern *p, int n_cols, char *buf, size_t cap) {
  size_t o = 0;
  buf[0] = '\0';
  for (int r = 0; r < p->n_rows && o < cap; r++) {
    if (r) o += (size_t)snprintf(buf + o, cap - o, " |");
    for (int c = 0; c < n_cols && o < cap; c++) {
      const fc_cell *x = &p->cell[r][c];
      const char *name = fc_col_name((fc_col_id)c);
      if (x->kind == FC_CELL_FIX)
        o += (size_t)snprintf(buf + o, cap - o, " %s=%u", name, (unsigned)x->arg);
      else if (x->kind == FC_CELL_SET || x->kind == FC_CELL_USE)
        o += (size_t)snprintf(buf + o, cap - o, " %s=%s%u", name,
                              x->kind == FC_CELL_SET ? "SET" : "USE", (unsigned)x->arg);
    }
  }
}
