/* The flow record and the columnar flow table.
 *
 * A flow is one bidirectional conversation: "forward" is the direction from src to dst, dst_port
 * is the service side. Times are integer microseconds (start since the Unix epoch, UTC; duration).
 * Bytes are IP-level (sum of IP total lengths), as NetFlow and nfdump count them. ICMP type and
 * code travel in dst_port as type * 256 + code (the nfdump convention), src_port 0.
 *
 * The table is a plain struct of column arrays so hot loops (parsers, the encoder, the miner)
 * read columns directly; grow it only through fc_table_* so the arrays stay the same length. */
#ifndef FLOWCHRONICLE_FLOW_H
#define FLOWCHRONICLE_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"
#include "flowchronicle/strdict.h"

/* TCP flag bits, as in the TCP header. */
enum {
  FC_TCP_FIN = 0x01,
  FC_TCP_SYN = 0x02,
  FC_TCP_RST = 0x04,
  FC_TCP_PSH = 0x08,
  FC_TCP_ACK = 0x10,
  FC_TCP_URG = 0x20
};

/* IP protocol numbers used by name. */
enum { FC_PROTO_ICMP = 1, FC_PROTO_IGMP = 2, FC_PROTO_TCP = 6, FC_PROTO_UDP = 17,
       FC_PROTO_GRE = 47, FC_PROTO_ICMP6 = 58 };

/* An IPv4 or IPv6 address. IPv4 sits in addr[0..3], the rest zero; family 4 or 6. Compare
 * with fc_ip_cmp, not memcmp of the struct (no padding assumptions). */
typedef struct fc_ip {
  uint8_t family;
  uint8_t addr[16];
} fc_ip;

typedef struct fc_flow {
  int64_t ts_us;       /* start, microseconds since 1970-01-01 UTC */
  int64_t duration_us; /* last packet minus first packet, >= 0 */
  fc_ip src_ip, dst_ip;
  uint16_t src_port, dst_port;
  uint8_t proto;
  uint8_t flags; /* OR of TCP flags over the conversation */
  uint64_t fwd_pkts, bwd_pkts, fwd_bytes, bwd_bytes;
  uint32_t label; /* index into the table's label dictionary (when the table has labels) */
} fc_flow;

typedef struct fc_flow_table {
  size_t n, cap;
  int64_t *ts_us, *duration_us;
  fc_ip *src_ip, *dst_ip;
  uint16_t *src_port, *dst_port;
  uint8_t *proto, *flags;
  uint64_t *fwd_pkts, *bwd_pkts, *fwd_bytes, *bwd_bytes;
  uint32_t *label;
  bool has_labels;
  fc_strdict *labels; /* label strings, always allocated; empty when !has_labels */
} fc_flow_table;

fc_status fc_table_init(fc_flow_table *t);
void fc_table_free(fc_flow_table *t);
fc_status fc_table_reserve(fc_flow_table *t, size_t cap);
fc_status fc_table_append(fc_flow_table *t, const fc_flow *f);
void fc_table_get(const fc_flow_table *t, size_t i, fc_flow *out);
void fc_table_set(fc_flow_table *t, size_t i, const fc_flow *f);
/* Stable sort by (ts_us, then input order). */
fc_status fc_table_sort_by_time(fc_flow_table *t);
/* Appends all rows of src (labels re-interned into dst's dictionary). */
fc_status fc_table_append_table(fc_flow_table *dst, const fc_flow_table *src);
/* Interns a label string, returns its id, and marks the table as labelled. */
fc_status fc_table_intern_label(fc_flow_table *t, const char *s, size_t len, uint32_t *id);

/* --- value helpers (text forms are those of the canonical flow CSV, docs/flows-csv.md) --- */

/* Parses dotted IPv4 or RFC 4291 IPv6 text (exactly len bytes). Returns false when invalid. */
bool fc_ip_parse(const char *s, size_t len, fc_ip *out);
/* Formats into buf (at least FC_IP_STRLEN bytes); IPv6 in RFC 5952 form. Returns length. */
#define FC_IP_STRLEN 48
int fc_ip_format(const fc_ip *ip, char *buf);
int fc_ip_cmp(const fc_ip *a, const fc_ip *b);
bool fc_ip_equal(const fc_ip *a, const fc_ip *b);
uint64_t fc_ip_hash(const fc_ip *ip);
void fc_ip_from_v4(uint32_t host_order, fc_ip *out);

/* nfdump-style flags: any string of the letters C E U A P R S F and '.', in any position (so
 * ".AP.SF" and "...A.R.." both parse; C and E, CWR and ECE, are ignored). */
bool fc_flags_parse(const char *s, size_t len, uint8_t *out);
/* Writes the 6-character "UAPRSF" form with '.' for unset bits, NUL-terminated (7 bytes). */
void fc_flags_format(uint8_t flags, char *buf);

/* Protocol names (TCP, UDP, ICMP, ...; case-insensitive) or decimal numbers. */
bool fc_proto_parse(const char *s, size_t len, uint8_t *out);
/* Upper-case name when known, else the decimal number. Returns a static or buf. */
const char *fc_proto_name(uint8_t proto, char buf[8]);

/* Parses "YYYY-MM-DD HH:MM:SS[.ffffff]" (also 'T' or '/' variants: YYYY/MM/DD) as UTC into
 * microseconds since the epoch. Fractions longer than 6 digits are truncated. */
bool fc_time_parse(const char *s, size_t len, int64_t *us);
/* "YYYY-MM-DD HH:MM:SS.ffffff" UTC, NUL-terminated; buf at least FC_TIME_STRLEN bytes. */
#define FC_TIME_STRLEN 32
int fc_time_format(int64_t us, char *buf);
/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t fc_days_from_civil(int64_t y, unsigned m, unsigned d);
void fc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
