/* Fast text forms of flow records for the generator and the merge: the canonical flow-CSV line
 * (byte for byte what fc_write_flows_csv writes, docs/flows-csv.md; tests/test_generate.c holds
 * the two writers to each other) and the CIDDS-001 style record. Addresses are passed as text
 * so callers can format each distinct address once. Hand-written digit formatting instead of
 * printf: this is the output hot path. */
#ifndef FLOWCHRONICLE_FLOWLINE_H
#define FLOWCHRONICLE_FLOWLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"
#include "flowchronicle/flow.h"

#define FCI_FLOWS_HEADER                                                                           \
  "ts,duration,proto,src_ip,src_port,dst_ip,dst_port,fwd_pkts,bwd_pkts,fwd_bytes,bwd_bytes,flags"
#define FCI_CIDDS_HEADER                                                                           \
  "Date first seen,Duration,Proto,Src IP Addr,Src Pt,Dst IP Addr,Dst Pt,Packets,Bytes,Flows,"      \
  "Flags,Tos,class,attackType,attackID,attackDescription"

/* Longest line without the label: two IPv6 addresses, 20-digit counters and the separators. */
#define FCI_LINE_MAX 400

/* The date part of the last time formatted ("YYYY-MM-DD "), reused while the day is the same. */
typedef struct fci_day_cache {
  int64_t day;
  bool valid;
  char text[11];
} fci_day_cache;

char *fci_put_u64(char *b, uint64_t v);
/* "YYYY-MM-DD HH:MM:SS.ffffff" for years 0000-9999. */
char *fci_put_time(char *b, int64_t us, fci_day_cache *dc);
/* "<seconds>.<6 digits>" of a non-negative duration. */
char *fci_put_duration(char *b, int64_t us);

/* A label as the flow CSV writes it (quoted when it holds a comma or a quote, or starts or ends
 * with a blank); FC_ERR_ARG for a line break. *out is malloc'ed. */
fc_status fci_csv_label(const char *s, size_t n, char **out, size_t *out_n);

/* The canonical line of f without the newline, at b (room for FCI_LINE_MAX + label_len bytes);
 * label NULL for unlabelled output. Returns the end. */
char *fci_flow_line(char *b, const fc_flow *f, const char *src, size_t src_len, const char *dst,
                    size_t dst_len, const char *label, size_t label_len, fci_day_cache *dc);

/* Same, formatting the addresses itself (slower; for ties and tests). */
char *fci_flow_line_ip(char *b, const fc_flow *f, const char *label, size_t label_len,
                       fci_day_cache *dc);

#endif
