/* Rendering patterns: placeholders become letters (?A where a value is bound, A where it is
 * reused), FIX cells their decoded values, free cells are left out (the BN draws them). */
#include "flowchronicle/show.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int i64_cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

double fc_show_delay_median_s(const fc_model_file *m, size_t k, int row) {
  const fc_mined_pattern *q = &m->patterns[k];
  int R = q->p.n_rows;
  if (row < 1 || row >= R || q->usage == 0) return 0.0;
  int64_t *d = malloc(q->usage * sizeof *d);
  if (!d) return 0.0;
  for (uint64_t w = 0; w < q->usage; w++) d[w] = q->delays[w * (uint64_t)(R - 1) + (uint64_t)(row - 1)];
  qsort(d, q->usage, sizeof *d, i64_cmp);
  double med = q->usage % 2 ? (double)d[q->usage / 2]
                            : 0.5 * ((double)d[q->usage / 2 - 1] + (double)d[q->usage / 2]);
  free(d);
  return med * (double)m->cols.tick_us / 1e6;
}

/* Variables are few (at most FC_MAX_VARS): A, B, C, ... */
static void var_name(uint32_t v, char *buf) {
  buf[0] = (char)('A' + (int)(v % 26));
  buf[1] = '\0';
}

static void delay_text(double s, char *buf, size_t cap) {
  if (s < 1.0)
    snprintf(buf, cap, "%.0f ms", s * 1e3);
  else if (s < 120)
    snprintf(buf, cap, "%.1f s", s);
  else
    snprintf(buf, cap, "%.1f min", s / 60);
}

static void cell_value(const fc_model_file *m, int c, uint32_t code, char *buf, size_t cap) {
  fc_code_format(&m->cols.cols[c], code, buf, cap);
}

/* "from ?A", "to 192.168.100.3", "from A" */
static void ip_phrase(const fc_model_file *m, const fc_cell *x, int c, const char *word,
                      char *buf, size_t cap) {
  char v[64];
  if (x->kind == FC_CELL_FIX) {
    cell_value(m, c, x->arg, v, sizeof v);
    snprintf(buf, cap, " %s %s", word, v);
  } else if (x->kind == FC_CELL_SET) {
    var_name(x->arg, v);
    snprintf(buf, cap, " %s ?%s", word, v);
  } else if (x->kind == FC_CELL_USE) {
    var_name(x->arg, v);
    snprintf(buf, cap, " %s %s", word, v);
  } else {
    buf[0] = '\0';
  }
}

fc_status fc_show_text(FILE *out, const fc_model_file *m) {
  double total = m->bits_model + m->bits_data;
  fprintf(out, "%zu patterns over %zu flows; L(M) = %.0f bits, L(D|M) = %.0f bits, total %.0f "
               "bits = %.1f%% of the empty model (%.0f bits)\n",
          m->n_patterns, m->cols.n_rows, m->bits_model, m->bits_data, total,
          m->bits_empty > 0 ? 100.0 * total / m->bits_empty : 100.0, m->bits_empty);
  fprintf(out, "flows left to the base model: %llu\n", (unsigned long long)m->n_uncovered);
  int C = m->cols.n_cols;
  for (size_t k = 0; k < m->n_patterns; k++) {
    const fc_mined_pattern *q = &m->patterns[k];
    fprintf(out, "\npattern %zu: used %llu times (%llu flows), saves %.0f bits\n", k + 1,
            (unsigned long long)q->usage, (unsigned long long)(q->usage * q->p.n_rows),
            q->bits_saved);
    for (int r = 0; r < q->p.n_rows; r++) {
      char line[1024], part[256];
      int n = snprintf(line, sizeof line, "  flow %d", r + 1);
      if (r > 0) {
        char d[32];
        delay_text(fc_show_delay_median_s(m, k, r), d, sizeof d);
        n += snprintf(line + n, sizeof line - (size_t)n, ", typically %s later", d);
      }
      n += snprintf(line + n, sizeof line - (size_t)n, ":");
      const fc_cell *pc = &q->p.cell[r][FC_COL_PROTO];
      if (pc->kind == FC_CELL_FIX) {
        cell_value(m, FC_COL_PROTO, pc->arg, part, sizeof part);
        n += snprintf(line + n, sizeof line - (size_t)n, " %s", part);
      } else {
        n += snprintf(line + n, sizeof line - (size_t)n, " a flow");
      }
      ip_phrase(m, &q->p.cell[r][FC_COL_SRC_IP], FC_COL_SRC_IP, "from", part, sizeof part);
      n += snprintf(line + n, sizeof line - (size_t)n, "%s", part);
      ip_phrase(m, &q->p.cell[r][FC_COL_DST_IP], FC_COL_DST_IP, "to", part, sizeof part);
      n += snprintf(line + n, sizeof line - (size_t)n, "%s", part);
      const fc_cell *pt = &q->p.cell[r][FC_COL_DST_PORT];
      if (pt->kind == FC_CELL_FIX) {
        cell_value(m, FC_COL_DST_PORT, pt->arg, part, sizeof part);
        n += snprintf(line + n, sizeof line - (size_t)n, " port %s", part);
      }
      for (int c = 0; c < C; c++) {
        if (c == FC_COL_PROTO || c == FC_COL_SRC_IP || c == FC_COL_DST_IP || c == FC_COL_DST_PORT)
          continue;
        const fc_cell *x = &q->p.cell[r][c];
        if (x->kind != FC_CELL_FIX) continue;
        cell_value(m, c, x->arg, part, sizeof part);
        n += snprintf(line + n, sizeof line - (size_t)n, ", %s %s", fc_col_name((fc_col_id)c),
                      part);
        if (n >= (int)sizeof line) break;
      }
      fprintf(out, "%s\n", line);
    }
  }
  if (ferror(out)) return FC_ERROR(FC_ERR_IO, "cannot write the pattern listing");
  return FC_OK;
}

fc_status fc_show_json(FILE *out, const fc_model_file *m) {
  json_t *root = json_object(), *cols = json_array(), *pats = json_array();
  int C = m->cols.n_cols;
  for (int c = 0; c < C; c++) json_array_append_new(cols, json_string(fc_col_name((fc_col_id)c)));
  json_object_set_new(root, "columns", cols);
  json_object_set_new(root, "bits", json_pack("{s:f,s:f,s:f}", "model", m->bits_model, "data",
                                              m->bits_data, "empty", m->bits_empty));
  json_object_set_new(root, "flows", json_integer((json_int_t)m->cols.n_rows));
  json_object_set_new(root, "uncovered", json_integer((json_int_t)m->n_uncovered));
  for (size_t k = 0; k < m->n_patterns; k++) {
    const fc_mined_pattern *q = &m->patterns[k];
    json_t *rows = json_array();
    for (int r = 0; r < q->p.n_rows; r++) {
      json_t *cells = json_object();
      for (int c = 0; c < C; c++) {
        const fc_cell *x = &q->p.cell[r][c];
        char v[256];
        json_t *cell = NULL;
        if (x->kind == FC_CELL_FIX) {
          cell_value(m, c, x->arg, v, sizeof v);
          cell = json_pack("{s:s}", "fix", v);
        } else if (x->kind == FC_CELL_SET) {
          var_name(x->arg, v);
          cell = json_pack("{s:s}", "set", v);
        } else if (x->kind == FC_CELL_USE) {
          var_name(x->arg, v);
          cell = json_pack("{s:s}", "use", v);
        }
        if (cell) json_object_set_new(cells, fc_col_name((fc_col_id)c), cell);
      }
      json_array_append_new(rows, json_pack("{s:o,s:f}", "cells", cells, "delay_median_s",
                                            fc_show_delay_median_s(m, k, r)));
    }
    json_array_append_new(pats, json_pack("{s:I,s:f,s:f,s:o}", "usage", (json_int_t)q->usage,
                                          "bits_saved", q->bits_saved, "bits", q->bits, "rows",
                                          rows));
  }
  json_object_set_new(root, "patterns", pats);
  int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(root);
  fputc('\n', out);
  if (rc != 0 || ferror(out)) return FC_ERROR(FC_ERR_IO, "cannot write the JSON document");
  return FC_OK;
}
