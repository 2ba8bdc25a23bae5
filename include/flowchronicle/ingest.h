/* Reading flow exports into a flow table: the input formats, the session rule that turns
 * unidirectional records into bidirectional conversations, and the whole ingest (several
 * inputs, merged in time order). Input files may be gzip-compressed (detected by magic). */
#ifndef FLOWCHRONICLE_INGEST_H
#define FLOWCHRONICLE_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"
#include "flowchronicle/flow.h"

typedef enum fc_format {
  FC_FMT_CIDDS,  /* CIDDS-001 CSV: Date first seen,Duration,Proto,Src IP Addr,... */
  FC_FMT_NFDUMP, /* nfdump -o csv: ts,te,td,sa,da,sp,dp,pr,flg,...,ipkt,ibyt,opkt,obyt,... */
  FC_FMT_UGR16,  /* te,td,sa,da,sp,dp,pr,flg,fwd,stos,pkt,byt,lable (te = END time) */
  FC_FMT_ARGUS,  /* Argus binetflow CSV: StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,... */
  FC_FMT_ZEEK,   /* Zeek conn.log, TSV with #fields or JSON lines */
  FC_FMT_FLOWS,  /* the canonical flow CSV (docs/flows-csv.md) */
  FC_FMT_COUNT
} fc_format;

bool fc_format_parse(const char *name, fc_format *out);
const char *fc_format_name(fc_format f);
/* True for formats whose records are one direction of a conversation (sessionized on ingest). */
bool fc_format_unidirectional(fc_format f);

typedef struct fc_ingest_options {
  fc_format format;
  int64_t session_gap_us; /* session rule gap, default 120 s */
  bool skip_bad;          /* count, report and skip malformed rows instead of stopping */
} fc_ingest_options;

void fc_ingest_options_default(fc_ingest_options *o);

typedef struct fc_ingest_report {
  uint64_t lines;        /* physical lines read (headers and comments included) */
  uint64_t records;      /* records accepted from the inputs */
  uint64_t skipped;      /* malformed records skipped (only with skip_bad) */
  uint64_t ignored;      /* non-record lines ignored by rule (nfdump summary, Zeek #close) */
  uint64_t bytes;        /* uncompressed bytes read */
  uint64_t sessions;     /* rows after the session rule (== records when not applied) */
} fc_ingest_report;

/* Parses one file in format o->format and appends its records to out (unsorted, as read).
 * Errors name the file and line. With o->skip_bad, each skipped row is reported with
 * fc_log_warn and counted in rep->skipped. */
fc_status fc_read_flow_file(const char *path, const fc_ingest_options *o, fc_flow_table *out,
                            fc_ingest_report *rep);

/* The session rule of the spec: group by unordered (proto, {ip,port}, {ip,port}); inside a group
 * in start order, a new session starts when next start - current end >= gap_us; counters summed
 * per direction, flags ORed, duration = last end - first start; oriented so dst_port is the lower
 * port (ties: the earliest record's direction). The result is sorted by start time. */
fc_status fc_sessionize(fc_flow_table *t, int64_t gap_us);

/* Reads every input, applies the session rule for unidirectional formats, merges by start time
 * (stable: equal times keep input order). out must be initialised and empty. */
fc_status fc_ingest(const char *const *paths, size_t n_paths, const fc_ingest_options *o,
                    fc_flow_table *out, fc_ingest_report *rep);

/* Writes the table as canonical flow CSV (header included), atomically: a temporary name in the
 * same directory, renamed when complete. A path ending in .gz is gzip-compressed. */
fc_status fc_write_flows_csv(const fc_flow_table *t, const char *path);

#endif
