/* The session rule (unidirectional records -> bidirectional conversations) and the whole ingest
 * of several inputs into one time-ordered table. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "flowchronicle/ingest.h"
#include "flowchronicle/log.h"

/* One endpoint of a conversation. */
typedef struct endpoint {
  fc_ip ip;
  uint16_t port;
} endpoint;

static int endpoint_cmp(const endpoint *a, const endpoint *b) {
  int c = fc_ip_cmp(&a->ip, &b->ip);
  if (c) return c;
  return (a->port > b->port) - (a->port < b->port);
}

static bool is_icmp(uint8_t proto) { return proto == FC_PROTO_ICMP || proto == FC_PROTO_ICMP6; }

/* The grouping key of a record: proto plus its endpoints in canonical (sorted) order. ICMP keeps
 * the direction, because its dst_port carries type and code rather than a port. */
typedef struct rec_key {
  uint64_t hash;
  endpoint lo, hi;
  uint8_t proto;
  uint32_t row;
} rec_key;

static int rec_key_cmp(const void *pa, const void *pb) {
  const rec_key *a = pa, *b = pb;
  if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
  if (a->proto != b->proto) return a->proto < b->proto ? -1 : 1;
  int c = endpoint_cmp(&a->lo, &b->lo);
  if (c) return c;
  c = endpoint_cmp(&a->hi, &b->hi);
  if (c) return c;
  return (a->row > b->row) - (a->row < b->row); /* rows are already in start order */
}

static bool same_group(const rec_key *a, const rec_key *b) {
  return a->hash == b->hash && a->proto == b->proto && endpoint_cmp(&a->lo, &b->lo) == 0 &&
         endpoint_cmp(&a->hi, &b->hi) == 0;
}

static uint64_t key_hash(const rec_key *k) {
  uint8_t buf[1 + 2 * (17 + 2)];
  size_t o = 0;
  buf[o++] = k->proto;
  const endpoint *e[2] = {&k->lo, &k->hi};
  for (int i = 0; i < 2; i++) {
    buf[o++] = e[i]->ip.family;
    memcpy(buf + o, e[i]->ip.addr, 16);
    o += 16;
    buf[o++] = (uint8_t)(e[i]->port >> 8);
    buf[o++] = (uint8_t)e[i]->port;
  }
  return XXH3_64bits(buf, o);
}

fc_status fc_sessionize(fc_flow_table *t, int64_t gap_us) {
  fc_status st = FC_OK;
  if (gap_us < 0) return FC_ERROR(FC_ERR_ARG, "the session gap must not be negative");
  if (t->n > UINT32_MAX) return FC_ERROR(FC_ERR_LIMIT, "too many records (%zu)", t->n);
  FC_CALL(fc_table_sort_by_time(t));
  rec_key *keys = NULL;
  fc_flow_table out;
  FC_CALL(fc_table_init(&out));
  out.has_labels = t->has_labels;
  fc_strdict_destroy(&out.labels);
  out.labels = t->labels; /* the label dictionary moves over unchanged */
  t->labels = NULL;
  FC_CALL_GOTO(st, fc_table_reserve(&out, t->n ? t->n : 1), done);
  FC_CALL_GOTO(st, fci_malloc((t->n ? t->n : 1) * sizeof *keys, &keys), done);
  for (size_t i = 0; i < t->n; i++) {
    rec_key *k = &keys[i];
    memset(k, 0, sizeof *k);
    endpoint s = {t->src_ip[i], t->src_port[i]}, d = {t->dst_ip[i], t->dst_port[i]};
    k->proto = t->proto[i];
    if (is_icmp(k->proto) || endpoint_cmp(&s, &d) <= 0) {
      k->lo = s;
      k->hi = d;
    } else {
      k->lo = d;
      k->hi = s;
    }
    k->row = (uint32_t)i;
    k->hash = key_hash(k);
  }
  qsort(keys, t->n, sizeof *keys, rec_key_cmp);

  for (size_t g = 0; g < t->n;) {
    size_t ge = g + 1;
    while (ge < t->n && same_group(&keys[g], &keys[ge])) ge++;
    /* Sessions inside the group, in start order. lo->hi counters are "a", hi->lo are "b". */
    size_t i = g;
    while (i < ge) {
      uint32_t r0 = keys[i].row;
      int64_t start = t->ts_us[r0], end = start + t->duration_us[r0];
      uint64_t a_pkts = 0, a_bytes = 0, b_pkts = 0, b_bytes = 0;
      uint8_t flags = 0;
      size_t j = i;
      for (; j < ge; j++) {
        uint32_t r = keys[j].row;
        if (j > i && t->ts_us[r] - end >= gap_us) break;
        int64_t e = t->ts_us[r] + t->duration_us[r];
        if (e > end) end = e;
        endpoint s = {t->src_ip[r], t->src_port[r]};
        bool from_lo = is_icmp(keys[j].proto) || endpoint_cmp(&s, &keys[j].lo) == 0;
        if (from_lo) {
          a_pkts += t->fwd_pkts[r];
          a_bytes += t->fwd_bytes[r];
          b_pkts += t->bwd_pkts[r];
          b_bytes += t->bwd_bytes[r];
        } else {
          b_pkts += t->fwd_pkts[r];
          b_bytes += t->fwd_bytes[r];
          a_pkts += t->bwd_pkts[r];
          a_bytes += t->bwd_bytes[r];
        }
        flags |= t->flags[r];
      }
      /* Orientation: the service (lower port) is the destination; on equal ports, the
       * direction of the earliest record. ICMP keeps its direction. */
      const rec_key *k = &keys[i];
      bool lo_is_src;
      if (is_icmp(k->proto) || k->lo.port == k->hi.port) {
        endpoint s0 = {t->src_ip[r0], t->src_port[r0]};
        lo_is_src = is_icmp(k->proto) || endpoint_cmp(&s0, &k->lo) == 0;
      } else {
        lo_is_src = k->lo.port > k->hi.port;
      }
      fc_flow f;
      memset(&f, 0, sizeof f);
      f.ts_us = start;
      f.duration_us = end - start;
      f.proto = k->proto;
      f.flags = flags;
      f.label = t->label[r0];
      const endpoint *src = lo_is_src ? &k->lo : &k->hi, *dst = lo_is_src ? &k->hi : &k->lo;
      f.src_ip = src->ip;
      f.src_port = src->port;
      f.dst_ip = dst->ip;
      f.dst_port = dst->port;
      f.fwd_pkts = lo_is_src ? a_pkts : b_pkts;
      f.fwd_bytes = lo_is_src ? a_bytes : b_bytes;
      f.bwd_pkts = lo_is_src ? b_pkts : a_pkts;
      f.bwd_bytes = lo_is_src ? b_bytes : a_bytes;
      fc_table_set(&out, out.n++, &f);
      i = j;
    }
    g = ge;
  }
  FC_CALL_GOTO(st, fc_table_sort_by_time(&out), done);
  fc_table_free(t);
  *t = out;
  memset(&out, 0, sizeof out);
done:
  free(keys);
  fc_table_free(&out);
  return st;
}

fc_status fc_ingest(const char *const *paths, size_t n_paths, const fc_ingest_options *o,
                    fc_flow_table *out, fc_ingest_report *rep) {
  memset(rep, 0, sizeof *rep);
  if (n_paths == 0) return FC_ERROR(FC_ERR_ARG, "no input files");
  if (out->n != 0) return FC_ERROR(FC_ERR_STATE, "the output table must be empty");
  for (size_t i = 0; i < n_paths; i++) {
    fc_ingest_report r;
    memset(&r, 0, sizeof r);
    double t0 = fc_now();
    FC_CALL(fc_read_flow_file(paths[i], o, out, &r));
    double dt = fc_now() - t0;
    fc_log_info("read %s: %llu records in %.2f s (%.0f records/s)%s", paths[i],
                (unsigned long long)r.records, dt, dt > 0 ? (double)r.records / dt : 0.0,
                r.skipped ? ", some rows skipped" : "");
    if (r.skipped)
      fc_log_warn("%s: %llu malformed rows skipped (--skip-bad)", paths[i],
                  (unsigned long long)r.skipped);
    rep->lines += r.lines;
    rep->records += r.records;
    rep->skipped += r.skipped;
    rep->ignored += r.ignored;
    rep->bytes += r.bytes;
  }
  /* A label column whose every value is empty carries no labels. */
  if (out->has_labels && fc_strdict_size(out->labels) == 1 &&
      fc_strdict_len(out->labels, 0) == 0)
    out->has_labels = false;
  if (fc_format_unidirectional(o->format)) {
    double t0 = fc_now();
    FC_CALL(fc_sessionize(out, o->session_gap_us));
    fc_log_info("session rule (gap %.0f s): %llu records -> %zu sessions in %.2f s",
                (double)o->session_gap_us / 1e6, (unsigned long long)rep->records, out->n,
                fc_now() - t0);
  } else {
    FC_CALL(fc_table_sort_by_time(out));
  }
  rep->sessions = out->n;
  return FC_OK;
}
