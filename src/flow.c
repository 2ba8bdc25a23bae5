/* Flow table storage and the text forms of flow values (addresses, flags, protocols, times).
 * The parsers here are on the ingest hot path: no locale, no sscanf, no allocation. */
#include "flowchronicle/flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ---------------------------------------------------------------- table */

fc_status fc_table_init(fc_flow_table *t) {
  memset(t, 0, sizeof *t);
  return fc_strdict_create(&t->labels);
}

void fc_table_free(fc_flow_table *t) {
  if (!t) return;
  free(t->ts_us);
  free(t->duration_us);
  free(t->src_ip);
  free(t->dst_ip);
  free(t->src_port);
  free(t->dst_port);
  free(t->proto);
  free(t->flags);
  free(t->fwd_pkts);
  free(t->bwd_pkts);
  free(t->fwd_bytes);
  free(t->bwd_bytes);
  free(t->label);
  fc_strdict_destroy(&t->labels);
  memset(t, 0, sizeof *t);
}

fc_status fc_table_reserve(fc_flow_table *t, size_t cap) {
  if (cap <= t->cap) return FC_OK;
  FC_CALL(fci_realloc(cap * sizeof *t->ts_us, &t->ts_us));
  FC_CALL(fci_realloc(cap * sizeof *t->duration_us, &t->duration_us));
  FC_CALL(fci_realloc(cap * sizeof *t->src_ip, &t->src_ip));
  FC_CALL(fci_realloc(cap * sizeof *t->dst_ip, &t->dst_ip));
  FC_CALL(fci_realloc(cap * sizeof *t->src_port, &t->src_port));
  FC_CALL(fci_realloc(cap * sizeof *t->dst_port, &t->dst_port));
  FC_CALL(fci_realloc(cap * sizeof *t->proto, &t->proto));
  FC_CALL(fci_realloc(cap * sizeof *t->flags, &t->flags));
  FC_CALL(fci_realloc(cap * sizeof *t->fwd_pkts, &t->fwd_pkts));
  FC_CALL(fci_realloc(cap * sizeof *t->bwd_pkts, &t->bwd_pkts));
  FC_CALL(fci_realloc(cap * sizeof *t->fwd_bytes, &t->fwd_bytes));
  FC_CALL(fci_realloc(cap * sizeof *t->bwd_bytes, &t->bwd_bytes));
  FC_CALL(fci_realloc(cap * sizeof *t->label, &t->label));
  t->cap = cap;
  return FC_OK;
}

void fc_table_set(fc_flow_table *t, size_t i, const fc_flow *f) {
  t->ts_us[i] = f->ts_us;
  t->duration_us[i] = f->duration_us;
  t->src_ip[i] = f->src_ip;
  t->dst_ip[i] = f->dst_ip;
  t->src_port[i] = f->src_port;
  t->dst_port[i] = f->dst_port;
  t->proto[i] = f->proto;
  t->flags[i] = f->flags;
  t->fwd_pkts[i] = f->fwd_pkts;
  t->bwd_pkts[i] = f->bwd_pkts;
  t->fwd_bytes[i] = f->fwd_bytes;
  t->bwd_bytes[i] = f->bwd_bytes;
  t->label[i] = f->label;
}

fc_status fc_table_append(fc_flow_table *t, const fc_flow *f) {
  if (t->n == t->cap) FC_CALL(fc_table_reserve(t, t->cap ? t->cap * 2 : 1024));
  fc_table_set(t, t->n++, f);
  return FC_OK;
}

void fc_table_get(const fc_flow_table *t, size_t i, fc_flow *f) {
  f->ts_us = t->ts_us[i];
  f->duration_us = t->duration_us[i];
  f->src_ip = t->src_ip[i];
  f->dst_ip = t->dst_ip[i];
  f->src_port = t->src_port[i];
  f->dst_port = t->dst_port[i];
  f->proto = t->proto[i];
  f->flags = t->flags[i];
  f->fwd_pkts = t->fwd_pkts[i];
  f->bwd_pkts = t->bwd_pkts[i];
  f->fwd_bytes = t->fwd_bytes[i];
  f->bwd_bytes = t->bwd_bytes[i];
  f->label = t->label[i];
}

fc_status fc_table_intern_label(fc_flow_table *t, const char *s, size_t len, uint32_t *id) {
  t->has_labels = true;
  return fc_strdict_intern(t->labels, s, len, id);
}

fc_status fc_table_append_table(fc_flow_table *dst, const fc_flow_table *src) {
  FC_CALL(fc_table_reserve(dst, dst->n + src->n));
  size_t nl = fc_strdict_size(src->labels);
  uint32_t *map = NULL;
  if (src->has_labels) {
    FC_CALL(fci_malloc((nl ? nl : 1) * sizeof *map, &map));
    for (size_t i = 0; i < nl; i++) {
      fc_status st = fc_table_intern_label(dst, fc_strdict_get(src->labels, (uint32_t)i),
                                           fc_strdict_len(src->labels, (uint32_t)i), &map[i]);
      if (st != FC_OK) {
        free(map);
        return st;
      }
    }
  }
  for (size_t i = 0; i < src->n; i++) {
    fc_flow f;
    fc_table_get(src, i, &f);
    f.label = map ? map[f.label] : 0;
    fc_table_set(dst, dst->n++, &f);
  }
  free(map);
  return FC_OK;
}

/* Sort a permutation by (ts, index): a radix-free merge sort keeps it stable and O(n log n). */
static void merge_sort(uint32_t *idx, uint32_t *tmp, size_t n, const int64_t *key) {
  if (n < 2) return;
  if (n < 24) {
    for (size_t i = 1; i < n; i++) {
      uint32_t v = idx[i];
      size_t j = i;
      while (j > 0 && key[idx[j - 1]] > key[v]) {
        idx[j] = idx[j - 1];
        j--;
      }
      idx[j] = v;
    }
    return;
  }
  size_t h = n / 2;
  merge_sort(idx, tmp, h, key);
  merge_sort(idx + h, tmp, n - h, key);
  if (key[idx[h - 1]] <= key[idx[h]]) return;
  memcpy(tmp, idx, h * sizeof *idx);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) idx[k++] = key[idx[j]] < key[tmp[i]] ? idx[j++] : tmp[i++];
  while (i < h) idx[k++] = tmp[i++];
}

#define PERMUTE(field, type)                                                                     \
  do {                                                                                           \
    type *nv;                                                                                    \
    FC_CALL_GOTO(st, fci_malloc(t->n * sizeof *nv, &nv), out);                                   \
    for (size_t i = 0; i < t->n; i++) nv[i] = t->field[idx[i]];                                  \
    free(t->field);                                                                              \
    t->field = nv;                                                                               \
  } while (0)

fc_status fc_table_sort_by_time(fc_flow_table *t) {
  fc_status st = FC_OK;
  if (t->n < 2) return FC_OK;
  if (t->n > UINT32_MAX) return FC_ERROR(FC_ERR_LIMIT, "table of %zu rows is too large", t->n);
  int sorted = 1;
  for (size_t i = 1; i < t->n && sorted; i++) sorted = t->ts_us[i - 1] <= t->ts_us[i];
  if (sorted) return FC_OK;
  uint32_t *idx = NULL, *tmp = NULL;
  FC_CALL_GOTO(st, fci_malloc(t->n * sizeof *idx, &idx), out);
  FC_CALL_GOTO(st, fci_malloc(t->n * sizeof *tmp, &tmp), out);
  for (size_t i = 0; i < t->n; i++) idx[i] = (uint32_t)i;
  merge_sort(idx, tmp, t->n, t->ts_us);
  PERMUTE(ts_us, int64_t);
  PERMUTE(duration_us, int64_t);
  PERMUTE(src_ip, fc_ip);
  PERMUTE(dst_ip, fc_ip);
  PERMUTE(src_port, uint16_t);
  PERMUTE(dst_port, uint16_t);
  PERMUTE(proto, uint8_t);
  PERMUTE(flags, uint8_t);
  PERMUTE(fwd_pkts, uint64_t);
  PERMUTE(bwd_pkts, uint64_t);
  PERMUTE(fwd_bytes, uint64_t);
  PERMUTE(bwd_bytes, uint64_t);
  PERMUTE(label, uint32_t);
  t->cap = t->n;
out:
  free(idx);
  free(tmp);
  return st;
}

/* ---------------------------------------------------------------- addresses */

static bool parse_v4(const char *s, size_t len, uint8_t out[4]) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    if (i >= len || s[i] < '0' || s[i] > '9') return false;
    unsigned v = 0;
    size_t start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + (unsigned)(s[i] - '0');
      if (v > 255 || i - start >= 3) return false;
      i++;
    }
    out[part] = (uint8_t)v;
    if (part < 3) {
      if (i >= len || s[i] != '.') return false;
      i++;
    }
  }
  return i == len;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool parse_v6(const char *s, size_t len, uint8_t out[16]) {
  uint16_t words[8];
  int nw = 0, gap = -1;
  size_t i = 0;
  if (len >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = 2;
    if (i == len) goto done;
  } else if (len >= 1 && s[0] == ':') {
    return false;
  }
  while (i < len) {
    if (nw >= 8) return false;
    /* An embedded IPv4 tail (::ffff:1.2.3.4) */
    size_t j = i;
    while (j < len && s[j] != ':' && s[j] != '.') j++;
    if (j < len && s[j] == '.') {
      uint8_t v4[4];
      if (nw > 6 || !parse_v4(s + i, len - i, v4)) return false;
      words[nw++] = (uint16_t)(v4[0] << 8 | v4[1]);
      words[nw++] = (uint16_t)(v4[2] << 8 | v4[3]);
      i = len;
      break;
    }
    unsigned v = 0;
    int digits = 0;
    while (i < len && s[i] != ':') {
      int h = hexval(s[i]);
      if (h < 0 || ++digits > 4) return false;
      v = v << 4 | (unsigned)h;
      i++;
    }
    if (digits == 0) return false;
    words[nw++] = (uint16_t)v;
    if (i < len) { /* at ':' */
      i++;
      if (i < len && s[i] == ':') {
        if (gap >= 0) return false;
        gap = nw;
        i++;
        if (i == len) break;
      } else if (i == len) {
        return false;
      }
    }
  }
done:
  if (gap < 0 && nw != 8) return false;
  if (gap >= 0 && nw > 7) return false;
  memset(out, 0, 16);
  if (gap < 0) {
    for (int k = 0; k < 8; k++) {
      out[2 * k] = (uint8_t)(words[k] >> 8);
      out[2 * k + 1] = (uint8_t)words[k];
    }
  } else {
    int tail = nw - gap;
    for (int k = 0; k < gap; k++) {
      out[2 * k] = (uint8_t)(words[k] >> 8);
      out[2 * k + 1] = (uint8_t)words[k];
    }
    for (int k = 0; k < tail; k++) {
      int pos = 8 - tail + k;
      out[2 * pos] = (uint8_t)(words[gap + k] >> 8);
      out[2 * pos + 1] = (uint8_t)words[gap + k];
    }
  }
  return true;
}

bool fc_ip_parse(const char *s, size_t len, fc_ip *out) {
  memset(out, 0, sizeof *out);
  if (memchr(s, ':', len)) {
    out->family = 6;
    return parse_v6(s, len, out->addr);
  }
  out->family = 4;
  return parse_v4(s, len, out->addr);
}

int fc_ip_format(const fc_ip *ip, char *buf) {
  if (ip->family == 4)
    return snprintf(buf, FC_IP_STRLEN, "%u.%u.%u.%u", ip->addr[0], ip->addr[1], ip->addr[2],
                    ip->addr[3]);
  if (ip->family != 6) return snprintf(buf, FC_IP_STRLEN, "?");
  uint16_t w[8];
  for (int k = 0; k < 8; k++) w[k] = (uint16_t)(ip->addr[2 * k] << 8 | ip->addr[2 * k + 1]);
  /* RFC 5952: compress the longest run (>= 2) of zero words, the first one on ties. */
  int best = -1, best_len = 0;
  for (int k = 0; k < 8;) {
    if (w[k] != 0) {
      k++;
      continue;
    }
    int j = k;
    while (j < 8 && w[j] == 0) j++;
    if (j - k > best_len && j - k >= 2) {
      best = k;
      best_len = j - k;
    }
    k = j;
  }
  int n = 0;
  for (int k = 0; k < 8; k++) {
    if (k == best) {
      n += snprintf(buf + n, (size_t)(FC_IP_STRLEN - n), "::");
      k += best_len - 1;
      continue;
    }
    if (k > 0 && k != best + best_len) n += snprintf(buf + n, (size_t)(FC_IP_STRLEN - n), ":");
    n += snprintf(buf + n, (size_t)(FC_IP_STRLEN - n), "%x", w[k]);
  }
  return n;
}

int fc_ip_cmp(const fc_ip *a, const fc_ip *b) {
  if (a->family != b->family) return a->family < b->family ? -1 : 1;
  return memcmp(a->addr, b->addr, 16);
}

bool fc_ip_equal(const fc_ip *a, const fc_ip *b) {
  return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

uint64_t fc_ip_hash(const fc_ip *ip) {
  uint8_t key[17];
  key[0] = ip->family;
  memcpy(key + 1, ip->addr, 16);
  return XXH3_64bits(key, sizeof key);
}

void fc_ip_from_v4(uint32_t v, fc_ip *out) {
  memset(out, 0, sizeof *out);
  out->family = 4;
  out->addr[0] = (uint8_t)(v >> 24);
  out->addr[1] = (uint8_t)(v >> 16);
  out->addr[2] = (uint8_t)(v >> 8);
  out->addr[3] = (uint8_t)v;
}

/* ---------------------------------------------------------------- flags, protocols */

bool fc_flags_parse(const char *s, size_t len, uint8_t *out) {
  uint8_t f = 0;
  for (size_t i = 0; i < len; i++) {
    switch (s[i]) {
    case 'F': f |= FC_TCP_FIN; break;
    case 'S': f |= FC_TCP_SYN; break;
    case 'R': f |= FC_TCP_RST; break;
    case 'P': f |= FC_TCP_PSH; break;
    case 'A': f |= FC_TCP_ACK; break;
    case 'U': f |= FC_TCP_URG; break;
    case 'C': case 'E': case '.': case ' ': break;
    default: return false;
    }
  }
  *out = f;
  return true;
}

void fc_flags_format(uint8_t f, char *buf) {
  buf[0] = (f & FC_TCP_URG) ? 'U' : '.';
  buf[1] = (f & FC_TCP_ACK) ? 'A' : '.';
  buf[2] = (f & FC_TCP_PSH) ? 'P' : '.';
  buf[3] = (f & FC_TCP_RST) ? 'R' : '.';
  buf[4] = (f & FC_TCP_SYN) ? 'S' : '.';
  buf[5] = (f & FC_TCP_FIN) ? 'F' : '.';
  buf[6] = '\0';
}

static const struct {
  const char *name;
  uint8_t num;
} protos[] = {{"ICMP", 1},  {"IGMP", 2},  {"TCP", 6},    {"UDP", 17}, {"GRE", 47},
              {"ESP", 50},  {"AH", 51},   {"ICMP6", 58}, {"IPV6-ICMP", 58},
              {"OSPF", 89}, {"PIM", 103}, {"SCTP", 132}};

bool fc_proto_parse(const char *s, size_t len, uint8_t *out) {
  if (len == 0) return false;
  if (s[0] >= '0' && s[0] <= '9') {
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (unsigned)(s[i] - '0');
      if (v > 255) return false;
    }
    *out = (uint8_t)v;
    return true;
  }
  for (size_t k = 0; k < sizeof protos / sizeof protos[0]; k++) {
    const char *n = protos[k].name;
    size_t nl = strlen(n);
    if (nl != len) continue;
    size_t i = 0;
    while (i < len && (s[i] == n[i] || s[i] == n[i] + ('a' - 'A'))) i++;
    if (i == len) {
      *out = protos[k].num;
      return true;
    }
  }
  return false;
}

const char *fc_proto_name(uint8_t proto, char buf[8]) {
  for (size_t k = 0; k < sizeof protos / sizeof protos[0]; k++)
    if (protos[k].num == proto) return protos[k].name;
  snprintf(buf, 8, "%u", proto);
  return buf;
}

/* ---------------------------------------------------------------- time */

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t fc_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void fc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

static bool digits(const char *s, int n, unsigned *v) {
  unsigned x = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    x = x * 10 + (unsigned)(s[i] - '0');
  }
  *v = x;
  return true;
}

bool fc_time_parse(const char *s, size_t len, int64_t *us) {
  /* YYYY-MM-DD HH:MM:SS = 19 chars */
  if (len < 19) return false;
  unsigned y, mo, d, h, mi, se;
  if (!digits(s, 4, &y) || (s[4] != '-' && s[4] != '/') || !digits(s + 5, 2, &mo) ||
      s[7] != s[4] || !digits(s + 8, 2, &d) || (s[10] != ' ' && s[10] != 'T') ||
      !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
      !digits(s + 17, 2, &se))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return false;
  int64_t frac = 0;
  size_t i = 19;
  if (i < len && s[i] == '.') {
    i++;
    int nd = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
      if (nd < 6) {
        frac = frac * 10 + (s[i] - '0');
        nd++;
      }
      i++;
    }
    if (nd == 0) return false;
    for (; nd < 6; nd++) frac *= 10;
  }
  if (i < len && s[i] == 'Z') i++;
  if (i != len) return false;
  int64_t days = fc_days_from_civil((int64_t)y, mo, d);
  *us = ((days * 86400) + (int64_t)h * 3600 + (int64_t)mi * 60 + (int64_t)se) * 1000000 + frac;
  return true;
}

int fc_time_format(int64_t us, char *buf) {
  int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  int64_t frac = us - secs * 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  fc_civil_from_days(days, &y, &m, &d);
  return snprintf(buf, FC_TIME_STRLEN, "%04lld-%02u-%02u %02u:%02u:%02u.%06lld", (long long)y, m,
                  d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60),
                  (long long)frac);
}
