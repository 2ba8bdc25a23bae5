/* The model file: collecting a model's content, writing it as HDF5, reading it back. */
#include "flowchronicle/modelfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/dist.h"
#include "h5util.h"

/* ---------------------------------------------------------------- memory */

static void pattern_free(fc_mined_pattern *p) {
  free(p->var_row);
  free(p->var_col);
  free(p->card);
  if (p->alpha)
    for (int v = 0; v < p->n_vars; v++) free(p->alpha[v]);
  free(p->alpha);
  free(p->structure);
  fc_bn_destroy(&p->bn);
  free(p->start_ticks);
  free(p->delays);
  memset(p, 0, sizeof *p);
}

void fc_model_file_free(fc_model_file *f) {
  free(f->version);
  free(f->git_revision);
  free(f->command_line);
  free(f->dataset);
  fc_encoded_free(&f->cols);
  if (f->patterns)
    for (size_t k = 0; k < f->n_patterns; k++) pattern_free(&f->patterns[k]);
  free(f->patterns);
  free(f->base_structure);
  fc_bn_destroy(&f->base_bn);
  free(f->base_start_ticks);
  fc_search_state_free(&f->search);
  memset(f, 0, sizeof *f);
}

static fc_status dup_str(const char *s, char **out) {
  size_t n = strlen(s ? s : "");
  FC_CALL(fci_malloc(n + 1, out));
  memcpy(*out, s ? s : "", n + 1);
  return FC_OK;
}

/* A BN rebuilt from its serial form: an owned copy that does not share the model's memory. */
static fc_status bn_copy(const fc_bn *bn, int m, const uint32_t *card, fc_bn **out) {
  size_t nw = fc_bn_serial_words(bn);
  int32_t *structure;
  uint64_t *words;
  FC_CALL(fci_malloc((size_t)(m ? m : 1) * 4 * sizeof *structure, &structure));
  fc_status st = fci_malloc((nw ? nw : 1) * sizeof *words, &words);
  if (st == FC_OK) {
    fc_bn_serialize(bn, structure, words);
    st = fc_bn_deserialize(m, card, structure, words, nw, out);
  }
  free(structure);
  free(words);
  return st;
}

/* Dictionaries, edges and counts of the columns (no codes). */
static fc_status copy_columns(const fc_encoded *e, fc_encoded *out) {
  memset(out, 0, sizeof *out);
  out->n_rows = e->n_rows; /* the caller sets the global count */
  out->n_cols = e->n_cols;
  out->t0_us = e->t0_us;
  out->tick_us = e->tick_us;
  out->bins = e->bins;
  for (int k = 0; k < e->n_cols; k++) {
    const fc_column *c = &e->cols[k];
    fc_column *d = &out->cols[k];
    d->id = c->id;
    d->kind = c->kind;
    d->domain = c->domain;
    FC_CALL(fci_malloc((c->domain ? c->domain : 1) * sizeof *d->counts, &d->counts));
    memcpy(d->counts, c->counts, c->domain * sizeof *d->counts);
    if (c->kind == FC_KIND_NUMERIC) {
      d->n_edges = c->n_edges;
      FC_CALL(fci_malloc(c->n_edges * sizeof *d->edges, &d->edges));
      memcpy(d->edges, c->edges, c->n_edges * sizeof *d->edges);
    } else {
      FC_CALL(fci_calloc(c->domain ? c->domain : 1, sizeof *d->values, &d->values));
      for (uint32_t v = 0; v < c->domain; v++) FC_CALL(dup_str(c->values[v], &d->values[v]));
    }
  }
  return FC_OK;
}

fc_status fc_model_file_from_model(fc_model *m, const fc_mdata *md, const fc_encoded *e,
                                   const fc_search_state *s, bool with_bits_saved,
                                   fc_model_file *f) {
  fc_status st = FC_OK;
  memset(f, 0, sizeof *f);
  FC_CALL_GOTO(st, copy_columns(e, &f->cols), fail);
  f->cols.n_rows = md->global_n;
  int C = md->n_cols;
  const fc_model_options *o = fc_model_get_options(m);
  f->max_span_ticks = o->max_span_ticks;
  f->max_indegree = o->max_indegree;
  f->artifact_struct_bits = o->artifact_struct_bits;
  /* The time span over all ranks: the first rank's first tick and the last rank's last. */
  int64_t span[2] = {md->n_own ? -md->ticks[0] : INT64_MIN, md->n_own ? md->ticks[md->n_own - 1] : INT64_MIN};
  if (md->size > 1) MPI_Allreduce(MPI_IN_PLACE, span, 2, MPI_INT64_T, MPI_MAX, md->comm);
  f->span_ticks = span[1] + span[0];
  f->t_end_us = e->t0_us + span[1] * e->tick_us;
  fc_model_bits b;
  fc_model_get_bits(m, &b);
  f->bits_model = b.model;
  f->bits_data = b.data;
  f->bits_empty = b.empty;
  size_t P = fc_model_n_patterns(m);
  f->n_patterns = P;
  FC_CALL_GOTO(st, fci_calloc(P ? P : 1, sizeof *f->patterns, &f->patterns), fail);
  for (size_t k = 0; k < P; k++) {
    fc_mined_pattern *q = &f->patterns[k];
    q->p = *fc_model_pattern(m, k);
    const fc_windows *u = fc_model_used(m, k);
    int R = q->p.n_rows;
    q->usage = fc_model_usage(m, k); /* over all ranks */
    q->bits = fc_model_pattern_bits(m, k);
    q->data_bits = fc_model_pattern_data_bits(m, k);
    const uint8_t *vr, *vc;
    const uint32_t *const *alpha;
    q->n_vars = fc_model_bn_vars(m, k, &vr, &vc, &alpha);
    int nv = q->n_vars;
    FC_CALL_GOTO(st, fci_malloc((size_t)(nv ? nv : 1), &q->var_row), fail);
    FC_CALL_GOTO(st, fci_malloc((size_t)(nv ? nv : 1), &q->var_col), fail);
    memcpy(q->var_row, vr, (size_t)nv);
    memcpy(q->var_col, vc, (size_t)nv);
    int nvs;
    const fc_bn_family *fams = fc_model_structure(m, k, &nvs);
    FC_CALL_GOTO(st, fci_calloc((size_t)(nv ? nv : 1), sizeof *q->structure, &q->structure), fail);
    if (fams) memcpy(q->structure, fams, (size_t)nv * sizeof *fams);
    FC_CALL_GOTO(st, fci_calloc((size_t)(nv ? nv : 1), sizeof *q->card, &q->card), fail);
    FC_CALL_GOTO(st, fci_calloc((size_t)(nv ? nv : 1), sizeof *q->alpha, &q->alpha), fail);
    const fc_bn *bn = fc_model_bn(m, k);
    if (bn && u->n > 0) {
      for (int v = 0; v < nv; v++) {
        q->card[v] = fc_bn_cardinality(bn, v);
        FC_CALL_GOTO(st, fci_malloc(q->card[v] * sizeof *q->alpha[v], &q->alpha[v]), fail);
        memcpy(q->alpha[v], alpha[v], q->card[v] * sizeof *q->alpha[v]);
      }
      FC_CALL_GOTO(st, bn_copy(bn, nv, q->card, &q->bn), fail);
    }
    /* Start ticks and delays of this rank's windows, gathered on rank 0 in rank order, which
     * is time order (blocks are consecutive in time). */
    int64_t *starts = NULL, *delays = NULL;
    size_t got = 0;
    st = fci_malloc((u->n ? u->n : 1) * sizeof *starts, &starts);
    if (st == FC_OK) st = fci_malloc((u->n * (size_t)(R - 1) + 1) * sizeof *delays, &delays);
    if (st == FC_OK)
      for (size_t w = 0; w < u->n; w++) {
        const uint32_t *ids = u->ids + w * (size_t)R;
        starts[w] = md->ticks[ids[0]];
        for (int r = 1; r < R; r++)
          delays[w * (size_t)(R - 1) + (size_t)(r - 1)] = md->ticks[ids[r]] - md->ticks[ids[r - 1]];
      }
    if (st == FC_OK) st = fc_dist_gatherv_i64(md->comm, 0, starts, u->n, &q->start_ticks, &got);
    if (st == FC_OK)
      st = fc_dist_gatherv_i64(md->comm, 0, delays, u->n * (size_t)(R - 1), &q->delays, &got);
    free(starts);
    free(delays);
    if (st != FC_OK) goto fail;
    if (with_bits_saved) {
      fc_trial *t = NULL;
      FC_CALL_GOTO(st, fc_model_trial_remove(m, k, &t), fail);
      q->bits_saved = fc_trial_total(t) - b.total;
      fc_trial_destroy(&t);
    }
  }
  FC_CALL_GOTO(st, fci_malloc((size_t)C * sizeof *f->base_structure, &f->base_structure), fail);
  memcpy(f->base_structure, fc_model_base_structure(m), (size_t)C * sizeof *f->base_structure);
  uint32_t card[FC_NCOLS];
  for (int c = 0; c < C; c++) card[c] = md->domain[c] ? md->domain[c] : 1;
  FC_CALL_GOTO(st, bn_copy(fc_model_base_bn(m), C, card, &f->base_bn), fail);
  const uint8_t *cov = fc_model_covered(m);
  f->n_uncovered = fc_model_uncovered(m);
  int64_t *mine = NULL;
  size_t n_mine = 0, got = 0;
  FC_CALL_GOTO(st, fci_malloc((md->n_own ? md->n_own : 1) * sizeof *mine, &mine), fail);
  for (size_t i = 0; i < md->n_own; i++)
    if (!cov[i]) mine[n_mine++] = md->ticks[i];
  st = fc_dist_gatherv_i64(md->comm, 0, mine, n_mine, &f->base_start_ticks, &got);
  free(mine);
  if (st != FC_OK) goto fail;
  if (s) {
    f->search = *s;
    f->search.tested = NULL;
    FC_CALL_GOTO(st, fci_malloc((s->n_tested ? s->n_tested : 1) * sizeof *f->search.tested,
                                &f->search.tested),
                 fail);
    if (s->n_tested) memcpy(f->search.tested, s->tested, s->n_tested * sizeof *s->tested);
  }
  return FC_OK;
fail:
  fc_model_file_free(f);
  return st;
}

/* ---------------------------------------------------------------- writing */

static fc_status write_bn(hid_t loc, const char *grp, const fc_bn *bn, int m,
                          const uint32_t *card, const fc_bn_family *structure) {
  char name[256];
  int32_t *s;
  FC_CALL(fci_malloc((size_t)(m ? m : 1) * 4 * sizeof *s, &s));
  for (int v = 0; v < m; v++) {
    s[4 * v] = structure[v].n_parents;
    for (int k = 0; k < FC_BN_MAX_PARENTS; k++)
      s[4 * v + 1 + k] = k < structure[v].n_parents ? structure[v].parents[k] : -1;
  }
  snprintf(name, sizeof name, "%s/bn_structure", grp);
  fc_status st = fci_h5_write_array(loc, name, H5T_NATIVE_INT32, (size_t)m, 4, s);
  free(s);
  FC_CALL(st);
  snprintf(name, sizeof name, "%s/bn_card", grp);
  FC_CALL(fci_h5_write_array(loc, name, H5T_NATIVE_UINT32, (size_t)m, 0, card));
  size_t nw = bn ? fc_bn_serial_words(bn) : 0;
  uint64_t *words = NULL;
  if (bn) {
    int32_t *tmp;
    FC_CALL(fci_malloc((size_t)(m ? m : 1) * 4 * sizeof *tmp, &tmp));
    st = fci_malloc((nw ? nw : 1) * sizeof *words, &words);
    if (st == FC_OK) fc_bn_serialize(bn, tmp, words);
    free(tmp);
    FC_CALL(st);
  }
  snprintf(name, sizeof name, "%s/bn_counts", grp);
  st = fci_h5_write_array(loc, name, H5T_NATIVE_UINT64, nw, 0, words);
  free(words);
  return st;
}

static fc_status write_file(hid_t f, const fc_model_file *m) {
  FC_CALL(fci_h5_attr_write_str(f, ".", "format", FC_MODEL_FORMAT));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "format_version", FC_MODEL_FORMAT_VERSION));
  FC_CALL(fci_h5_attr_write_str(f, ".", "version", m->version ? m->version : ""));
  FC_CALL(fci_h5_attr_write_str(f, ".", "git_revision", m->git_revision ? m->git_revision : ""));
  FC_CALL(fci_h5_attr_write_str(f, ".", "command_line", m->command_line ? m->command_line : ""));
  FC_CALL(fci_h5_attr_write_str(f, ".", "dataset", m->dataset ? m->dataset : ""));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "created_unix", m->created_unix));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "ranks", m->ranks));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "threads", m->threads));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "rows", (int64_t)m->cols.n_rows));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "n_cols", m->cols.n_cols));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "t0_us", m->cols.t0_us));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "t_end_us", m->t_end_us));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "tick_us", m->cols.tick_us));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "bins", m->cols.bins));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "span_ticks", m->span_ticks));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "max_span_ticks", m->max_span_ticks));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "max_indegree", m->max_indegree));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "artifact_struct_bits", m->artifact_struct_bits));
  FC_CALL(fci_h5_attr_write_f64(f, ".", "bits_model", m->bits_model));
  FC_CALL(fci_h5_attr_write_f64(f, ".", "bits_data", m->bits_data));
  FC_CALL(fci_h5_attr_write_f64(f, ".", "bits_empty", m->bits_empty));
  FC_CALL(fci_h5_attr_write_i64(f, ".", "n_patterns", (int64_t)m->n_patterns));

  FC_CALL(fci_h5_create_group(f, "columns"));
  for (int k = 0; k < m->cols.n_cols; k++) {
    const fc_column *c = &m->cols.cols[k];
    char g[128], name[192];
    snprintf(g, sizeof g, "columns/%s", fc_col_name(c->id));
    FC_CALL(fci_h5_create_group(f, g));
    FC_CALL(fci_h5_attr_write_str(f, g, "kind",
                                  c->kind == FC_KIND_NUMERIC ? "numeric"
                                  : c->kind == FC_KIND_IP    ? "ip"
                                                             : "categorical"));
    FC_CALL(fci_h5_attr_write_i64(f, g, "domain", c->domain));
    snprintf(name, sizeof name, "%s/counts", g);
    FC_CALL(fci_h5_write_array(f, name, H5T_NATIVE_UINT64, c->domain, 0, c->counts));
    if (c->kind == FC_KIND_NUMERIC) {
      snprintf(name, sizeof name, "%s/edges", g);
      FC_CALL(fci_h5_write_array(f, name, H5T_NATIVE_DOUBLE, c->n_edges, 0, c->edges));
    } else {
      snprintf(name, sizeof name, "%s/values", g);
      FC_CALL(fci_h5_write_strings(f, name, (const char *const *)c->values, c->domain));
    }
  }

  FC_CALL(fci_h5_create_group(f, "patterns"));
  for (size_t k = 0; k < m->n_patterns; k++) {
    const fc_mined_pattern *q = &m->patterns[k];
    char g[64], name[128];
    snprintf(g, sizeof g, "patterns/%06zu", k);
    FC_CALL(fci_h5_create_group(f, g));
    int R = q->p.n_rows, C = m->cols.n_cols;
    int32_t cells[FC_MAX_PROWS * FC_NCOLS * 2];
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) {
        cells[(r * C + c) * 2] = q->p.cell[r][c].kind;
        cells[(r * C + c) * 2 + 1] = (int32_t)q->p.cell[r][c].arg;
      }
    snprintf(name, sizeof name, "%s/cells", g);
    FC_CALL(fci_h5_write_array(f, name, H5T_NATIVE_INT32, (size_t)R, (size_t)C * 2, cells));
    FC_CALL(fci_h5_attr_write_i64(f, g, "rows", R));
    FC_CALL(fci_h5_attr_write_i64(f, g, "usage", (int64_t)q->usage));
    FC_CALL(fci_h5_attr_write_f64(f, g, "bits", q->bits));
    FC_CALL(fci_h5_attr_write_f64(f, g, "data_bits", q->data_bits));
    FC_CALL(fci_h5_attr_write_f64(f, g, "bits_saved", q->bits_saved));
    FC_CALL(fci_h5_attr_write_i64(f, g, "n_vars", q->n_vars));
    uint8_t vars[2 * (FC_MAX_PROWS * FC_NCOLS)];
    for (int v = 0; v < q->n_vars; v++) {
      vars[2 * v] = q->var_row[v];
      vars[2 * v + 1] = q->var_col[v];
    }
    snprintf(name, sizeof name, "%s/bn_vars", g);
    FC_CALL(fci_h5_write_array(f, name, H5T_NATIVE_UINT8, (size_t)q->n_vars, 2, vars));
    size_t na = 0;
    for (int v = 0; v < q->n_vars; v++) na += q->card[v];
    uint32_t *alpha;
    FC_CALL(fci_malloc((na ? na : 1) * sizeof *alpha, &alpha));
    for (int v = 0, o = 0; v < q->n_vars; v++) {
      if (q->card[v]) memcpy(alpha + o, q->alpha[v], q->card[v] * sizeof *alpha);
      o += (int)q->card[v];
    }
    snprintf(name, sizeof name, "%s/bn_alphabet", g);
    fc_status st = fci_h5_write_array(f, name, H5T_NATIVE_UINT32, na, 0, alpha);
    free(alpha);
    FC_CALL(st);
    FC_CALL(write_bn(f, g, q->bn, q->n_vars, q->card, q->structure));
    snprintf(name, sizeof name, "%s/start_ticks", g);
    FC_CALL(fci_h5_write_array(f, name, H5T_NATIVE_INT64, q->usage, 0, q->start_ticks));
    snprintf(name, sizeof name, "%s/delays", g);
    FC_CALL(fci_h5_write_array(f, name, H5T_NATIVE_INT64, q->usage * (uint64_t)(R - 1), 0,
                               q->delays));
  }

  FC_CALL(fci_h5_create_group(f, "base"));
  uint32_t card[FC_NCOLS];
  for (int c = 0; c < m->cols.n_cols; c++) card[c] = fc_bn_cardinality(m->base_bn, c);
  FC_CALL(write_bn(f, "base", m->base_bn, m->cols.n_cols, card, m->base_structure));
  FC_CALL(fci_h5_attr_write_i64(f, "base", "uncovered", (int64_t)m->n_uncovered));
  FC_CALL(fci_h5_write_array(f, "base/start_ticks", H5T_NATIVE_INT64, m->n_uncovered, 0,
                             m->base_start_ticks));

  FC_CALL(fci_h5_create_group(f, "search"));
  const fc_search_state *s = &m->search;
  FC_CALL(fci_h5_attr_write_i64(f, "search", "iteration", s->iteration));
  FC_CALL(fci_h5_attr_write_i64(f, "search", "phase", s->phase));
  FC_CALL(fci_h5_attr_write_i64(f, "search", "accepted", (int64_t)s->n_accepted));
  FC_CALL(fci_h5_attr_write_i64(f, "search", "pruned", (int64_t)s->n_pruned));
  FC_CALL(fci_h5_attr_write_i64(f, "search", "converged", s->converged));
  FC_CALL(fci_h5_attr_write_f64(f, "search", "seconds", s->seconds));
  FC_CALL(fci_h5_write_array(f, "search/tested", H5T_NATIVE_UINT64, s->n_tested, 0, s->tested));
  return FC_OK;
}

fc_status fc_model_file_write(const char *path, const fc_model_file *m) {
  fci_h5_writer w;
  FC_CALL(fci_h5_writer_create(path, &w));
  fc_status st = write_file(w.file, m);
  if (st != FC_OK) {
    fci_h5_writer_abort(&w);
    fci_error_trace(__FILE__, __LINE__, __func__);
    return st;
  }
  FC_CALL(fci_h5_writer_commit(&w));
  return FC_OK;
}

/* ---------------------------------------------------------------- reading */

static fc_status read_i64(hid_t f, const char *obj, const char *name, int64_t *v) {
  return fci_h5_attr_read_i64(f, obj, name, v);
}

static fc_status read_bn(const fci_h5_reader *r, const char *grp, int m, bool want_bn,
                         uint32_t **card_out, fc_bn_family **structure_out, fc_bn **bn_out) {
  char name[256];
  fc_status st = FC_OK;
  int32_t *s = NULL;
  uint32_t *card = NULL;
  uint64_t *words = NULL;
  size_t rows, nc, nw;
  snprintf(name, sizeof name, "%s/bn_structure", grp);
  FC_CALL_GOTO(st, fci_h5_read_all(r, name, H5T_NATIVE_INT32, 4, (void **)&s, &rows), out);
  snprintf(name, sizeof name, "%s/bn_card", grp);
  FC_CALL_GOTO(st, fci_h5_read_all(r, name, H5T_NATIVE_UINT32, 0, (void **)&card, &nc), out);
  snprintf(name, sizeof name, "%s/bn_counts", grp);
  FC_CALL_GOTO(st, fci_h5_read_all(r, name, H5T_NATIVE_UINT64, 0, (void **)&words, &nw), out);
  if (rows != (size_t)m || nc != (size_t)m) {
    st = FC_ERROR(FC_ERR_FORMAT, "%s: %s: BN of %zu nodes where %d are expected", r->path, grp,
                  rows, m);
    goto out;
  }
  fc_bn_family *fams;
  FC_CALL_GOTO(st, fci_calloc((size_t)(m ? m : 1), sizeof *fams, &fams), out);
  for (int v = 0; v < m; v++) {
    int np = s[4 * v];
    if (np < 0 || np > FC_BN_MAX_PARENTS) {
      free(fams);
      st = FC_ERROR(FC_ERR_FORMAT, "%s: %s: node %d has %d parents", r->path, grp, v, np);
      goto out;
    }
    st = fc_bn_family_set(&fams[v], v, s + 4 * v + 1, np);
    if (st != FC_OK) {
      free(fams);
      fci_error_trace(__FILE__, __LINE__, __func__);
      goto out;
    }
  }
  *structure_out = fams;
  if (want_bn && nw > 0) FC_CALL_GOTO(st, fc_bn_deserialize(m, card, s, words, nw, bn_out), out);
  *card_out = card;
  card = NULL;
out:
  free(s);
  free(card);
  free(words);
  return st;
}

static fc_status read_file(const fci_h5_reader *r, fc_model_file *m) {
  hid_t f = r->file;
  int64_t v;
  char *fmt = NULL;
  fc_status st = fci_h5_attr_read_str(f, ".", "format", &fmt);
  if (st != FC_OK || strcmp(fmt, FC_MODEL_FORMAT) != 0) {
    free(fmt);
    return FC_ERROR(FC_ERR_VERSION, "%s is not a FlowChronicle model file", r->path);
  }
  free(fmt);
  FC_CALL(read_i64(f, ".", "format_version", &v));
  if (v != FC_MODEL_FORMAT_VERSION)
    return FC_ERROR(FC_ERR_VERSION, "%s: model format version %lld, this build reads version %d",
                    r->path, (long long)v, FC_MODEL_FORMAT_VERSION);
  FC_CALL(fci_h5_attr_read_str(f, ".", "version", &m->version));
  FC_CALL(fci_h5_attr_read_str(f, ".", "git_revision", &m->git_revision));
  FC_CALL(fci_h5_attr_read_str(f, ".", "command_line", &m->command_line));
  FC_CALL(fci_h5_attr_read_str(f, ".", "dataset", &m->dataset));
  FC_CALL(read_i64(f, ".", "created_unix", &m->created_unix));
  FC_CALL(read_i64(f, ".", "ranks", &v));
  m->ranks = (int)v;
  FC_CALL(read_i64(f, ".", "threads", &v));
  m->threads = (int)v;
  FC_CALL(read_i64(f, ".", "rows", &v));
  m->cols.n_rows = (size_t)v;
  FC_CALL(read_i64(f, ".", "n_cols", &v));
  if (v < FC_NCOLS - 1 || v > FC_NCOLS)
    return FC_ERROR(FC_ERR_FORMAT, "%s: %lld columns", r->path, (long long)v);
  m->cols.n_cols = (int)v;
  FC_CALL(read_i64(f, ".", "t0_us", &m->cols.t0_us));
  FC_CALL(read_i64(f, ".", "t_end_us", &m->t_end_us));
  FC_CALL(read_i64(f, ".", "tick_us", &m->cols.tick_us));
  FC_CALL(read_i64(f, ".", "bins", &v));
  m->cols.bins = (int)v;
  FC_CALL(read_i64(f, ".", "span_ticks", &m->span_ticks));
  FC_CALL(read_i64(f, ".", "max_span_ticks", &m->max_span_ticks));
  FC_CALL(read_i64(f, ".", "max_indegree", &v));
  m->max_indegree = (int)v;
  FC_CALL(read_i64(f, ".", "artifact_struct_bits", &v));
  m->artifact_struct_bits = v != 0;
  FC_CALL(fci_h5_attr_read_f64(f, ".", "bits_model", &m->bits_model));
  FC_CALL(fci_h5_attr_read_f64(f, ".", "bits_data", &m->bits_data));
  FC_CALL(fci_h5_attr_read_f64(f, ".", "bits_empty", &m->bits_empty));
  FC_CALL(read_i64(f, ".", "n_patterns", &v));
  if (v < 0 || v > 100000000) return FC_ERROR(FC_ERR_FORMAT, "%s: %lld patterns", r->path, (long long)v);
  m->n_patterns = (size_t)v;

  int C = m->cols.n_cols;
  for (int k = 0; k < C; k++) {
    fc_column *c = &m->cols.cols[k];
    char name[192];
    c->id = (fc_col_id)k;
    c->kind = fc_col_kind_of(c->id);
    snprintf(name, sizeof name, "columns/%s/counts", fc_col_name(c->id));
    size_t n;
    FC_CALL(fci_h5_read_all(r, name, H5T_NATIVE_UINT64, 0, (void **)&c->counts, &n));
    c->domain = (uint32_t)n;
    if (c->kind == FC_KIND_NUMERIC) {
      size_t ne;
      snprintf(name, sizeof name, "columns/%s/edges", fc_col_name(c->id));
      FC_CALL(fci_h5_read_all(r, name, H5T_NATIVE_DOUBLE, 0, (void **)&c->edges, &ne));
      if (ne != n + 1)
        return FC_ERROR(FC_ERR_FORMAT, "%s: column %s has %zu edges for %zu codes", r->path,
                        fc_col_name(c->id), ne, n);
      c->n_edges = (uint32_t)ne;
    } else {
      size_t nv;
      snprintf(name, sizeof name, "columns/%s/values", fc_col_name(c->id));
      FC_CALL(fci_h5_read_strings(r, name, &c->values, &nv));
      if (nv != n)
        return FC_ERROR(FC_ERR_FORMAT, "%s: column %s has %zu values for %zu counts", r->path,
                        fc_col_name(c->id), nv, n);
    }
  }

  FC_CALL(fci_calloc(m->n_patterns ? m->n_patterns : 1, sizeof *m->patterns, &m->patterns));
  for (size_t k = 0; k < m->n_patterns; k++) {
    fc_mined_pattern *q = &m->patterns[k];
    char g[64], name[128];
    snprintf(g, sizeof g, "patterns/%06zu", k);
    FC_CALL(read_i64(f, g, "rows", &v));
    if (v < 1 || v > FC_MAX_PROWS)
      return FC_ERROR(FC_ERR_FORMAT, "%s: pattern %zu has %lld rows", r->path, k, (long long)v);
    int R = (int)v;
    fc_pattern_init(&q->p, R);
    int32_t *cells;
    size_t rows;
    snprintf(name, sizeof name, "%s/cells", g);
    FC_CALL(fci_h5_read_all(r, name, H5T_NATIVE_INT32, (size_t)C * 2, (void **)&cells, &rows));
    if (rows != (size_t)R) {
      free(cells);
      return FC_ERROR(FC_ERR_FORMAT, "%s: pattern %zu: %zu cell rows for %d rows", r->path, k,
                      rows, R);
    }
    for (int rr = 0; rr < R; rr++)
      for (int c = 0; c < C; c++) {
        q->p.cell[rr][c].kind = (uint8_t)cells[(rr * C + c) * 2];
        q->p.cell[rr][c].arg = (uint32_t)cells[(rr * C + c) * 2 + 1];
      }
    free(cells);
    fc_pattern p2 = q->p;
    fc_pattern_canonical(&p2);
    q->p.n_vars = p2.n_vars;
    if (!fc_pattern_valid(&q->p, C) || !fc_pattern_equal(&p2, &q->p))
      return FC_ERROR(FC_ERR_FORMAT, "%s: pattern %zu is not a valid canonical pattern", r->path, k);
    for (int rr = 0; rr < R; rr++)
      for (int c = 0; c < C; c++)
        if (q->p.cell[rr][c].kind == FC_CELL_FIX && q->p.cell[rr][c].arg >= m->cols.cols[c].domain)
          return FC_ERROR(FC_ERR_FORMAT, "%s: pattern %zu: a FIX code outside column %s", r->path,
                          k, fc_col_name((fc_col_id)c));
    FC_CALL(read_i64(f, g, "usage", &v));
    q->usage = (uint64_t)v;
    FC_CALL(fci_h5_attr_read_f64(f, g, "bits", &q->bits));
    FC_CALL(fci_h5_attr_read_f64(f, g, "data_bits", &q->data_bits));
    FC_CALL(fci_h5_attr_read_f64(f, g, "bits_saved", &q->bits_saved));
    FC_CALL(read_i64(f, g, "n_vars", &v));
    q->n_vars = (int)v;
    uint8_t *vars;
    snprintf(name, sizeof name, "%s/bn_vars", g);
    FC_CALL(fci_h5_read_all(r, name, H5T_NATIVE_UINT8, 2, (void **)&vars, &rows));
    if (rows != (size_t)q->n_vars) {
      free(vars);
      return FC_ERROR(FC_ERR_FORMAT, "%s: pattern %zu: variable list", r->path, k);
    }
    FC_CALL(fci_malloc((size_t)(q->n_vars ? q->n_vars : 1), &q->var_row));
    FC_CALL(fci_malloc((size_t)(q->n_vars ? q->n_vars : 1), &q->var_col));
    for (int x = 0; x < q->n_vars; x++) {
      q->var_row[x] = vars[2 * x];
      q->var_col[x] = vars[2 * x + 1];
    }
    free(vars);
    FC_CALL(read_bn(r, g, q->n_vars, q->usage > 0, &q->card, &q->structure, &q->bn));
    uint32_t *alpha;
    size_t na, used = 0;
    snprintf(name, sizeof name, "%s/bn_alphabet", g);
    FC_CALL(fci_h5_read_all(r, name, H5T_NATIVE_UINT32, 0, (void **)&alpha, &na));
    st = fci_calloc((size_t)(q->n_vars ? q->n_vars : 1), sizeof *q->alpha, &q->alpha);
    for (int x = 0; x < q->n_vars && st == FC_OK; x++) {
      if (used + q->card[x] > na) {
        st = FC_ERROR(FC_ERR_FORMAT, "%s: pattern %zu: alphabet too short", r->path, k);
        break;
      }
      st = fci_malloc((q->card[x] ? q->card[x] : 1) * sizeof *q->alpha[x], &q->alpha[x]);
      if (st == FC_OK) memcpy(q->alpha[x], alpha + used, q->card[x] * sizeof *alpha);
      for (uint32_t a = 0; st == FC_OK && a < q->card[x]; a++)
        if (alpha[used + a] >= m->cols.cols[q->var_col[x]].domain)
          st = FC_ERROR(FC_ERR_FORMAT, "%s: pattern %zu: alphabet code out of range", r->path, k);
      used += q->card[x];
    }
    free(alpha);
    FC_CALL(st);
    snprintf(name, sizeof name, "%s/start_ticks", g);
    FC_CALL(fci_h5_read_all(r, name, H5T_NATIVE_INT64, 0, (void **)&q->start_ticks, &rows));
    if (rows != q->usage) return FC_ERROR(FC_ERR_FORMAT, "%s: pattern %zu: start ticks", r->path, k);
    snprintf(name, sizeof name, "%s/delays", g);
    FC_CALL(fci_h5_read_all(r, name, H5T_NATIVE_INT64, 0, (void **)&q->delays, &rows));
    if (rows != q->usage * (uint64_t)(R - 1))
      return FC_ERROR(FC_ERR_FORMAT, "%s: pattern %zu: delays", r->path, k);
  }

  uint32_t *card = NULL;
  FC_CALL(read_bn(r, "base", C, true, &card, &m->base_structure, &m->base_bn));
  free(card);
  if (!m->base_bn) return FC_ERROR(FC_ERR_FORMAT, "%s: the base BN has no counts", r->path);
  FC_CALL(read_i64(f, "base", "uncovered", &v));
  m->n_uncovered = (uint64_t)v;
  size_t rows;
  FC_CALL(fci_h5_read_all(r, "base/start_ticks", H5T_NATIVE_INT64, 0,
                          (void **)&m->base_start_ticks, &rows));
  if (rows != m->n_uncovered) return FC_ERROR(FC_ERR_FORMAT, "%s: base start ticks", r->path);

  fc_search_state *s = &m->search;
  FC_CALL(read_i64(f, "search", "iteration", &s->iteration));
  FC_CALL(read_i64(f, "search", "phase", &v));
  s->phase = (int)v;
  FC_CALL(read_i64(f, "search", "accepted", &v));
  s->n_accepted = (size_t)v;
  FC_CALL(read_i64(f, "search", "pruned", &v));
  s->n_pruned = (size_t)v;
  FC_CALL(read_i64(f, "search", "converged", &v));
  s->converged = v != 0;
  FC_CALL(fci_h5_attr_read_f64(f, "search", "seconds", &s->seconds));
  FC_CALL(fci_h5_read_all(r, "search/tested", H5T_NATIVE_UINT64, 0, (void **)&s->tested, &rows));
  s->n_tested = rows;
  return FC_OK;
}

fc_status fc_model_file_read(const char *path, fc_model_file *m) {
  memset(m, 0, sizeof *m);
  fci_h5_reader r;
  FC_CALL(fci_h5_reader_open(path, MPI_COMM_NULL, &r));
  fc_status st = read_file(&r, m);
  fci_h5_reader_close(&r);
  if (st != FC_OK) {
    fc_model_file_free(m);
    fci_error_trace(__FILE__, __LINE__, __func__);
  }
  return st;
}
