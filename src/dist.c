/* MPI helpers of the distributed miner. */
#include "flowchronicle/dist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t bytes_sent;

uint64_t fc_dist_bytes_sent(void) { return bytes_sent; }

static int u32_cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static int comm_size(MPI_Comm comm) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  return size;
}

fc_status fc_dist_allgatherv_u64(MPI_Comm comm, const uint64_t *words, size_t n, uint64_t **all,
                                 size_t *n_all) {
  int size = comm_size(comm);
  if (n > INT32_MAX) return FC_ERROR(FC_ERR_LIMIT, "%zu words are too many for one exchange", n);
  int *counts, *displs;
  FC_CALL(fci_malloc((size_t)size * sizeof *counts, &counts));
  fc_status st = fci_malloc((size_t)size * sizeof *displs, &displs);
  if (st != FC_OK) {
    free(counts);
    return st;
  }
  int mine = (int)n;
  MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, comm);
  size_t tot = 0;
  for (int r = 0; r < size; r++) {
    displs[r] = (int)tot;
    tot += (size_t)counts[r];
  }
  if (tot > INT32_MAX) {
    st = FC_ERROR(FC_ERR_LIMIT, "%zu words are too many for one exchange", tot);
  } else {
    st = fci_malloc((tot ? tot : 1) * sizeof **all, all);
    if (st == FC_OK) {
      if (MPI_Allgatherv(words, mine, MPI_UINT64_T, *all, counts, displs, MPI_UINT64_T, comm) !=
          MPI_SUCCESS) {
        free(*all);
        *all = NULL;
        st = FC_ERROR(FC_ERR_MPI, "all-gather of %zu words failed", tot);
      } else {
        *n_all = tot;
        bytes_sent += (uint64_t)n * 8 * (uint64_t)(size - 1);
      }
    }
  }
  free(counts);
  free(displs);
  return st;
}

fc_status fc_dist_gatherv_i64(MPI_Comm comm, int root, const int64_t *v, size_t n, int64_t **all,
                              size_t *n_all) {
  int size = comm_size(comm), rank;
  MPI_Comm_rank(comm, &rank);
  if (n > INT32_MAX) return FC_ERROR(FC_ERR_LIMIT, "%zu values are too many for one gather", n);
  int *counts = NULL, *displs = NULL;
  FC_CALL(fci_malloc((size_t)size * sizeof *counts, &counts));
  fc_status st = fci_malloc((size_t)size * sizeof *displs, &displs);
  int mine = (int)n;
  if (st == FC_OK) MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, root, comm);
  size_t tot = 0;
  if (st == FC_OK && rank == root)
    for (int r = 0; r < size; r++) {
      displs[r] = (int)tot;
      tot += (size_t)counts[r];
    }
  int ok = st == FC_OK && tot <= INT32_MAX;
  if (ok) ok = fci_malloc((tot ? tot : 1) * sizeof **all, all) == FC_OK;
  MPI_Bcast(&ok, 1, MPI_INT, root, comm); /* the root's verdict, so nobody waits in vain */
  if (!ok) {
    free(counts);
    free(displs);
    if (rank == root && *all) free(*all);
    return FC_ERROR(FC_ERR_NOMEM, "cannot gather %zu values on rank %d", tot, root);
  }
  if (MPI_Gatherv(v, mine, MPI_INT64_T, *all, counts, displs, MPI_INT64_T, root, comm) !=
      MPI_SUCCESS)
    st = FC_ERROR(FC_ERR_MPI, "gather of %zu values failed", tot);
  bytes_sent += rank == root ? 0 : (uint64_t)n * 8;
  *n_all = rank == root ? tot : 0;
  free(counts);
  free(displs);
  return st;
}

fc_status fc_dist_union_u32(MPI_Comm comm, const uint32_t *sorted, size_t n, uint32_t **out,
                            size_t *n_out) {
  if (comm_size(comm) == 1) {
    FC_CALL(fci_malloc((n ? n : 1) * sizeof **out, out));
    if (n) memcpy(*out, sorted, n * sizeof *sorted);
    *n_out = n;
    return FC_OK;
  }
  uint64_t *w, *all = NULL;
  size_t na = 0;
  FC_CALL(fci_malloc((n ? n : 1) * sizeof *w, &w));
  for (size_t i = 0; i < n; i++) w[i] = sorted[i];
  fc_status st = fc_dist_allgatherv_u64(comm, w, n, &all, &na);
  free(w);
  FC_CALL(st);
  /* The gathered lists are each sorted: sort the concatenation and drop duplicates. */
  st = fci_malloc((na ? na : 1) * sizeof **out, out);
  if (st == FC_OK) {
    for (size_t i = 0; i < na; i++) (*out)[i] = (uint32_t)all[i];
    qsort(*out, na, sizeof **out, u32_cmp);
    size_t k = 0;
    for (size_t i = 0; i < na; i++)
      if (k == 0 || (*out)[i] != (*out)[k - 1]) (*out)[k++] = (*out)[i];
    *n_out = k;
  }
  free(all);
  return st;
}

fc_status fc_dist_sum_u64(MPI_Comm comm, uint64_t *v, size_t n) {
  if (comm_size(comm) == 1 || n == 0) return FC_OK;
  if (MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_UINT64_T, MPI_SUM, comm) != MPI_SUCCESS)
    return FC_ERROR(FC_ERR_MPI, "sum over ranks failed");
  bytes_sent += n * 8;
  return FC_OK;
}

fc_status fc_dist_sum_i64(MPI_Comm comm, int64_t *v, size_t n) {
  if (comm_size(comm) == 1 || n == 0) return FC_OK;
  if (MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_INT64_T, MPI_SUM, comm) != MPI_SUCCESS)
    return FC_ERROR(FC_ERR_MPI, "sum over ranks failed");
  bytes_sent += n * 8;
  return FC_OK;
}

fc_status fc_dist_all(MPI_Comm comm, int *flag) {
  if (comm_size(comm) == 1) return FC_OK;
  if (MPI_Allreduce(MPI_IN_PLACE, flag, 1, MPI_INT, MPI_LAND, comm) != MPI_SUCCESS)
    return FC_ERROR(FC_ERR_MPI, "agreement over ranks failed");
  bytes_sent += 4;
  return FC_OK;
}

/* Adds the n tables rank r sent (serialised one after the other in words[0..n_words)) to acc[0..n)
 * (an empty slot takes the table); every word must be used. */
static fc_status merge_sent_tables(int r, const uint64_t *words, size_t n_words, size_t n,
                                   fc_bn_counts **acc) {
  size_t p = 0;
  for (size_t j = 0; j < n; j++) {
    fc_bn_counts *t = NULL;
    size_t used = 0;
    FC_CALL(fc_bn_counts_deserialize(words + p, n_words - p, &t, &used));
    p += used;
    if (!acc[j]) {
      acc[j] = t;
      continue;
    }
    fc_status st = fc_bn_counts_merge(acc[j], t);
    fc_bn_counts_destroy(&t);
    FC_CALL(st);
  }
  if (p != n_words)
    return FC_ERROR(FC_ERR_STATE, "rank %d sent %zu count words, %zu were read", r, n_words, p);
  return FC_OK;
}

fc_status fc_dist_bn_count(void *vctx, size_t n_families, const fc_bn_family *families,
                           fc_bn_counts **out) {
  fc_dist_bn_ctx *ctx = vctx;
  FC_CALL(fc_bn_count_local(&ctx->local, n_families, families, out));
  int size = comm_size(ctx->comm);
  if (size == 1) return FC_OK;
  /* Serialise this rank's tables, gather everyone's, and merge them in rank order. */
  fc_status st = FC_OK;
  size_t nw = 0;
  for (size_t f = 0; f < n_families; f++) nw += fc_bn_counts_serial_words(out[f]);
  uint64_t *words = NULL, *all = NULL;
  size_t na = 0;
  int *counts = NULL;
  FC_CALL_GOTO(st, fci_malloc((nw ? nw : 1) * sizeof *words, &words), fail);
  for (size_t f = 0, o = 0; f < n_families; f++) {
    fc_bn_counts_serialize(out[f], words + o);
    o += fc_bn_counts_serial_words(out[f]);
  }
  FC_CALL_GOTO(st, fci_malloc((size_t)size * sizeof *counts, &counts), fail);
  int mine = (int)nw;
  MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, ctx->comm);
  FC_CALL_GOTO(st, fc_dist_allgatherv_u64(ctx->comm, words, nw, &all, &na), fail);
  for (size_t f = 0; f < n_families; f++) fc_bn_counts_destroy(&out[f]);
  for (int r = 0, p = 0; r < size; p += counts[r], r++)
    FC_CALL_GOTO(st, merge_sent_tables(r, all + p, (size_t)counts[r], n_families, out), fail);
  free(words);
  free(all);
  free(counts);
  return FC_OK;
fail:
  for (size_t f = 0; f < n_families; f++) fc_bn_counts_destroy(&out[f]);
  free(words);
  free(all);
  free(counts);
  return st;
}

fc_status fc_dist_bn_score(void *vctx, size_t n_families, const fc_bn_family *families,
                           const uint32_t *card, double *bic, uint64_t *n_rows) {
  fc_dist_bn_ctx *ctx = vctx;
  const int size = comm_size(ctx->comm);
  int rank;
  MPI_Comm_rank(ctx->comm, &rank);
  fc_status st = FC_OK;
  fc_bn_counts **tabs = NULL, **mine = NULL;
  uint64_t *send = NULL, *recv = NULL;
  int *scount = NULL, *sdispl = NULL, *rcount = NULL, *rdispl = NULL, *gcount = NULL,
      *gdispl = NULL;
  double *own_bic = NULL, *all_bic = NULL;
  size_t n_mine = 0;
  FC_CALL_GOTO(st, fci_calloc(n_families ? n_families : 1, sizeof *tabs, &tabs), out);
  FC_CALL_GOTO(st, fc_bn_count_local(&ctx->local, n_families, families, tabs), out);
  uint64_t rows = n_families ? fc_bn_counts_total(tabs[0]) : ctx->local.n_rows;
  if (size == 1) {
    fc_bn_counts_bic_batch(n_families, tabs, card, rows, bic);
    *n_rows = rows;
    goto out;
  }
  FC_CALL_GOTO(st, fc_dist_sum_u64(ctx->comm, &rows, 1), out);
  /* Tables to their owners: grouped by destination rank, families in order. */
  FC_CALL_GOTO(st, fci_calloc((size_t)size, sizeof *scount, &scount), out);
  FC_CALL_GOTO(st, fci_calloc((size_t)size, sizeof *sdispl, &sdispl), out);
  FC_CALL_GOTO(st, fci_calloc((size_t)size, sizeof *rcount, &rcount), out);
  FC_CALL_GOTO(st, fci_calloc((size_t)size, sizeof *rdispl, &rdispl), out);
  size_t nw = 0;
  for (size_t i = 0; i < n_families; i++) {
    size_t w = fc_bn_counts_serial_words(tabs[i]);
    nw += w;
    if (nw > INT32_MAX) {
      st = FC_ERROR(FC_ERR_LIMIT, "count tables of %zu families exceed 2^31 words", n_families);
      goto out;
    }
    scount[i % (size_t)size] += (int)w;
  }
  for (int r = 1; r < size; r++) sdispl[r] = sdispl[r - 1] + scount[r - 1];
  FC_CALL_GOTO(st, fci_malloc((nw ? nw : 1) * sizeof *send, &send), out);
  {
    size_t *at;
    FC_CALL_GOTO(st, fci_malloc((size_t)size * sizeof *at, &at), out);
    for (int r = 0; r < size; r++) at[r] = (size_t)sdispl[r];
    for (size_t i = 0; i < n_families; i++) {
      size_t r = i % (size_t)size;
      fc_bn_counts_serialize(tabs[i], send + at[r]);
      at[r] += fc_bn_counts_serial_words(tabs[i]);
    }
    free(at);
  }
  for (size_t i = 0; i < n_families; i++) fc_bn_counts_destroy(&tabs[i]);
  if (MPI_Alltoall(scount, 1, MPI_INT, rcount, 1, MPI_INT, ctx->comm) != MPI_SUCCESS) {
    st = FC_ERROR(FC_ERR_MPI, "exchanging count table sizes failed");
    goto out;
  }
  size_t nr = 0;
  for (int r = 0; r < size; r++) {
    rdispl[r] = (int)nr;
    nr += (size_t)rcount[r];
    if (nr > INT32_MAX) {
      st = FC_ERROR(FC_ERR_LIMIT, "count tables to merge exceed 2^31 words");
      goto out;
    }
  }
  FC_CALL_GOTO(st, fci_malloc((nr ? nr : 1) * sizeof *recv, &recv), out);
  if (MPI_Alltoallv(send, scount, sdispl, MPI_UINT64_T, recv, rcount, rdispl, MPI_UINT64_T,
                    ctx->comm) != MPI_SUCCESS) {
    st = FC_ERROR(FC_ERR_MPI, "exchanging count tables failed");
    goto out;
  }
  bytes_sent += (nw - (size_t)scount[rank]) * sizeof *send;
  /* Merge this rank's families (rank order) and score them. */
  n_mine = n_families > (size_t)rank
               ? (n_families - (size_t)rank + (size_t)size - 1) / (size_t)size
               : 0;
  FC_CALL_GOTO(st, fci_calloc(n_mine ? n_mine : 1, sizeof *mine, &mine), out);
  for (int r = 0; r < size; r++)
    FC_CALL_GOTO(st, merge_sent_tables(r, recv + rdispl[r], (size_t)rcount[r], n_mine, mine), out);
  FC_CALL_GOTO(st, fci_malloc((n_mine ? n_mine : 1) * sizeof *own_bic, &own_bic), out);
  fc_bn_counts_bic_batch(n_mine, mine, card, rows, own_bic);
  /* Everyone's scores: rank r's are families r, r + size, ... */
  FC_CALL_GOTO(st, fci_malloc((size_t)size * sizeof *gcount, &gcount), out);
  FC_CALL_GOTO(st, fci_malloc((size_t)size * sizeof *gdispl, &gdispl), out);
  for (int r = 0, o = 0; r < size; r++) {
    gcount[r] = n_families > (size_t)r
                    ? (int)((n_families - (size_t)r + (size_t)size - 1) / (size_t)size)
                    : 0;
    gdispl[r] = o;
    o += gcount[r];
  }
  FC_CALL_GOTO(st, fci_malloc((n_families ? n_families : 1) * sizeof *all_bic, &all_bic), out);
  if (MPI_Allgatherv(own_bic, (int)n_mine, MPI_DOUBLE, all_bic, gcount, gdispl, MPI_DOUBLE,
                     ctx->comm) != MPI_SUCCESS) {
    st = FC_ERROR(FC_ERR_MPI, "gathering family scores failed");
    goto out;
  }
  bytes_sent += n_mine * sizeof *own_bic * (uint64_t)(size - 1);
  for (int r = 0; r < size; r++)
    for (int j = 0; j < gcount[r]; j++)
      bic[(size_t)r + (size_t)j * (size_t)size] = all_bic[gdispl[r] + j];
  *n_rows = rows;
out:
  if (tabs)
    for (size_t i = 0; i < n_families; i++) fc_bn_counts_destroy(&tabs[i]);
  if (mine)
    for (size_t j = 0; j < n_mine; j++) fc_bn_counts_destroy(&mine[j]);
  free(tabs);
  free(mine);
  free(send);
  free(recv);
  free(scount);
  free(sdispl);
  free(rcount);
  free(rdispl);
  free(gcount);
  free(gdispl);
  free(own_bic);
  free(all_bic);
  return st;
}
