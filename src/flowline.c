/* Canonical flow-CSV lines formatted without printf (the generator's output hot path). The
 * forms are those of fc_write_flows_csv; tests compare the two writers byte for byte. */
#include "flowline.h"

#include <stdlib.h>
#include <string.h>

char *fci_put_u64(char *b, uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n)
    *b++ = tmp[--n];
  return b;
}

static char *put_2(char *b, unsigned v) {
  b[0] = (char)('0' + v / 10);
  b[1] = (char)('0' + v % 10);
  return b + 2;
}

static char *put_6(char *b, uint64_t v) {
  for (int i = 5; i >= 0; i--) {
    b[i] = (char)('0' + v % 10);
    v /= 10;
  }
  return b + 6;
}

char *fci_put_time(char *b, int64_t us, fci_day_cache *dc) {
  int64_t day = us >= 0 ? us / 86400000000LL : -((-us + 86399999999LL) / 86400000000LL);
  int64_t rem = us - day * 86400000000LL;
  if (!dc->valid || dc->day != day) {
    int64_t y;
    unsigned m, d;
    fc_civil_from_days(day, &y, &m, &d);
    char *t = dc->text;
    for (int i = 3; i >= 0; i--) {
      t[i] = (char)('0' + y % 10);
      y /= 10;
    }
    t[4] = '-';
    put_2(t + 5, m);
    t[7] = '-';
    put_2(t + 8, d);
    t[10] = ' ';
    dc->day = day;
    dc->valid = true;
  }
  memcpy(b, dc->text, 11);
  b += 11;
  uint64_t secs = (uint64_t)rem / 1000000;
  b = put_2(b, (unsigned)(secs / 3600));
  *b++ = ':';
  b = put_2(b, (unsigned)(secs / 60 % 60));
  *b++ = ':';
  b = put_2(b, (unsigned)(secs % 60));
  *b++ = '.';
  return put_6(b, (uint64_t)rem % 1000000);
}

char *fci_put_duration(char *b, int64_t us) {
  b = fci_put_u64(b, (uint64_t)us / 1000000);
  *b++ = '.';
  return put_6(b, (uint64_t)us % 1000000);
}

fc_status fci_csv_label(const char *s, size_t n, char **out, size_t *out_n) {
  bool quote =
      n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[0] == '"');
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n' || s[i] == '\r')
      return FC_ERROR(FC_ERR_ARG,
                      "label '%.40s' contains a line break, which the flow CSV cannot hold", s);
    if (s[i] == ',' || s[i] == '"') quote = true;
  }
  char *e;
  FC_CALL(fci_malloc(2 * n + 3, &e));
  size_t k = 0;
  if (quote) e[k++] = '"';
  for (size_t i = 0; i < n; i++) {
    if (quote && s[i] == '"') e[k++] = '"';
    e[k++] = s[i];
  }
  if (quote) e[k++] = '"';
  e[k] = '\0';
  *out = e;
  *out_n = k;
  return FC_OK;
}

char *fci_flow_line(char *b, const fc_flow *f, const char *src, size_t src_len, const char *dst,
                    size_t dst_len, const char *label, size_t label_len, fci_day_cache *dc) {
  b = fci_put_time(b, f->ts_us, dc);
  *b++ = ',';
  b = fci_put_duration(b, f->duration_us);
  *b++ = ',';
  char pb[8];
  const char *pn = fc_proto_name(f->proto, pb);
  size_t pl = strlen(pn);
  memcpy(b, pn, pl);
  b += pl;
  *b++ = ',';
  memcpy(b, src, src_len);
  b += src_len;
  *b++ = ',';
  b = fci_put_u64(b, f->src_port);
  *b++ = ',';
  memcpy(b, dst, dst_len);
  b += dst_len;
  *b++ = ',';
  b = fci_put_u64(b, f->dst_port);
  *b++ = ',';
  b = fci_put_u64(b, f->fwd_pkts);
  *b++ = ',';
  b = fci_put_u64(b, f->bwd_pkts);
  *b++ = ',';
  b = fci_put_u64(b, f->fwd_bytes);
  *b++ = ',';
  b = fci_put_u64(b, f->bwd_bytes);
  *b++ = ',';
  fc_flags_format(f->flags, b);
  b += 6;
  if (label) {
    *b++ = ',';
    memcpy(b, label, label_len);
    b += label_len;
  }
  return b;
}

char *fci_flow_line_ip(char *b, const fc_flow *f, const char *label, size_t label_len,
                       fci_day_cache *dc) {
  char s[FC_IP_STRLEN], d[FC_IP_STRLEN];
  int sl = fc_ip_format(&f->src_ip, s), dl = fc_ip_format(&f->dst_ip, d);
  return fci_flow_line(b, f, s, (size_t)sl, d, (size_t)dl, label, label_len, dc);
}
