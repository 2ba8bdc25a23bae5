/* Readers for the flow export formats (CIDDS-001, nfdump CSV, UGR'16, Argus binetflow, Zeek
 * conn.log as TSV or JSON lines, the canonical flow CSV) and the canonical flow CSV writer.
 * docs/input-formats.md says how each format's columns map onto a flow; docs/flows-csv.md
 * defines the canonical CSV.
 *
 * This is the ingest hot path, so the tokenizer and the field parsers are hand-written (the
 * house style allows it here): a line is split in place into trimmed fields; integers, ports and
 * decimals are parsed digit by digit, decimals as integers of micro-units (no strtod, no sscanf,
 * no locale, no rounding surprises); the day of the previous timestamp is cached because
 * consecutive records almost always share their YYYY-MM-DD prefix; the label of the previous row
 * is cached because labels repeat.
 *
 * CIDDS-001 anonymises some addresses as names (EXT_SERVER, DNS, OPENSTACK_NET, 10008_251).
 * Such a name becomes an IPv6 address in the unique-local block fd00:0:0:cafe::/64 whose low 64
 * bits are XXH3_64 of the name, big-endian: fd00:0:0:cafe:<hash>. The mapping is deterministic
 * (the same name is the same address in every file and run) but not invertible, so exported
 * flows show the IPv6 form. */
#include "flowchronicle/ingest.h"
#include "flowline.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "flowchronicle/log.h"
#include "flowchronicle/textio.h"

/* ================================================================== formats and options */

static const char *const format_names[FC_FMT_COUNT] = {
    [FC_FMT_CIDDS] = "cidds", [FC_FMT_NFDUMP] = "nfdump", [FC_FMT_UGR16] = "ugr16",
    [FC_FMT_ARGUS] = "argus", [FC_FMT_ZEEK] = "zeek",     [FC_FMT_FLOWS] = "flows"};

static int lower(int c) {
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive equality of s[0..n) and the NUL-terminated word w. */
static bool eq_nocase(const char *s, size_t n, const char *w) {
  for (size_t i = 0; i < n; i++)
    if (w[i] == '\0' || lower((unsigned char)s[i]) != lower((unsigned char)w[i])) return false;
  return w[n] == '\0';
}

bool fc_format_parse(const char *name, fc_format *out) {
  if (!name) return false;
  size_t n = strlen(name);
  for (int f = 0; f < FC_FMT_COUNT; f++)
    if (eq_nocase(name, n, format_names[f])) {
      *out = (fc_format)f;
      return true;
    }
  if (eq_nocase(name, n, "binetflow")) {
    *out = FC_FMT_ARGUS;
    return true;
  }
  return false;
}

const char *fc_format_name(fc_format f) {
  return (int)f >= 0 && f < FC_FMT_COUNT ? format_names[f] : "unknown";
}

bool fc_format_unidirectional(fc_format f) {
  return f == FC_FMT_CIDDS || f == FC_FMT_NFDUMP || f == FC_FMT_UGR16;
}

void fc_ingest_options_default(fc_ingest_options *o) {
  memset(o, 0, sizeof *o);
  o->format = FC_FMT_FLOWS;
  o->session_gap_us = 120 * INT64_C(1000000);
  o->skip_bad = false;
}

/* ================================================================== columns */

/* What a column means, whatever its name in a given format. */
enum role {
  R_TS,  /* start time */
  R_TE,  /* end time (UGR'16) */
  R_DUR, /* duration, seconds */
  R_PROTO,
  R_SA,
  R_SP,
  R_DA,
  R_DP,
  R_FLAGS,
  R_PKTS,  /* packets of a unidirectional record, or the total of both directions (Argus) */
  R_BYTES, /* same for bytes */
  R_FPKTS,
  R_FBYTES,
  R_BPKTS,
  R_BBYTES,  /* per direction */
  R_STATE,   /* Argus State */
  R_HISTORY, /* Zeek history */
  R_LABEL,
  R_ATTACK, /* CIDDS attackType, appended to the class label */
  R_SUDATA,
  R_DUDATA, /* Argus user data: free text, the only fields that could hold commas */
  R_COUNT
};

typedef struct colspec {
  int role;
  bool required;
  const char *names; /* accepted header names, '|'-separated; the first is quoted in errors */
} colspec;

static const colspec cidds_cols[] = {{R_TS, true, "Date first seen"},
                                     {R_DUR, true, "Duration"},
                                     {R_PROTO, true, "Proto"},
                                     {R_SA, true, "Src IP Addr"},
                                     {R_SP, true, "Src Pt"},
                                     {R_DA, true, "Dst IP Addr"},
                                     {R_DP, true, "Dst Pt"},
                                     {R_PKTS, true, "Packets"},
                                     {R_BYTES, true, "Bytes"},
                                     {R_FLAGS, true, "Flags"},
                                     {R_LABEL, false, "class"},
                                     {R_ATTACK, false, "attackType"},
                                     {-1, false, NULL}};

static const colspec nfdump_cols[] = {
    {R_TS, true, "ts"},       {R_DUR, true, "td"},      {R_SA, true, "sa"},
    {R_DA, true, "da"},       {R_SP, true, "sp"},       {R_DP, true, "dp"},
    {R_PROTO, true, "pr"},    {R_FLAGS, true, "flg"},   {R_FPKTS, true, "ipkt"},
    {R_FBYTES, true, "ibyt"}, {R_BPKTS, false, "opkt"}, {R_BBYTES, false, "obyt"},
    {-1, false, NULL}};

static const colspec ugr16_cols[] = {{R_TE, true, "te"},
                                     {R_DUR, true, "td"},
                                     {R_SA, true, "sa"},
                                     {R_DA, true, "da"},
                                     {R_SP, true, "sp"},
                                     {R_DP, true, "dp"},
                                     {R_PROTO, true, "pr"},
                                     {R_FLAGS, true, "flg"},
                                     {R_PKTS, true, "pkt"},
                                     {R_BYTES, true, "byt"},
                                     {R_LABEL, false, "lable|label"},
                                     {-1, false, NULL}};

/* The 13 columns of a UGR'16 file without a header, in order. */
static const char *const ugr16_positional[13] = {"te",  "td",  "sa",   "da",  "sp",  "dp",   "pr",
                                                 "flg", "fwd", "stos", "pkt", "byt", "lable"};

static const colspec argus_cols[] = {
    {R_TS, true, "StartTime"},     {R_DUR, true, "Dur"},          {R_PROTO, true, "Proto"},
    {R_SA, true, "SrcAddr"},       {R_SP, true, "Sport"},         {R_DA, true, "DstAddr"},
    {R_DP, true, "Dport"},         {R_STATE, true, "State"},      {R_PKTS, true, "TotPkts"},
    {R_BYTES, true, "TotBytes"},   {R_FBYTES, true, "SrcBytes"},  {R_FPKTS, false, "SrcPkts"},
    {R_BPKTS, false, "DstPkts"},   {R_BBYTES, false, "DstBytes"}, {R_LABEL, false, "Label"},
    {R_SUDATA, false, "srcUdata"}, {R_DUDATA, false, "dstUdata"}, {-1, false, NULL}};

static const colspec zeek_cols[] = {{R_TS, true, "ts"},
                                    {R_SA, true, "id.orig_h"},
                                    {R_SP, true, "id.orig_p"},
                                    {R_DA, true, "id.resp_h"},
                                    {R_DP, true, "id.resp_p"},
                                    {R_PROTO, true, "proto"},
                                    {R_DUR, true, "duration"},
                                    {R_FPKTS, true, "orig_pkts"},
                                    {R_BPKTS, true, "resp_pkts"},
                                    {R_FBYTES, true, "orig_ip_bytes"},
                                    {R_BBYTES, true, "resp_ip_bytes"},
                                    {R_HISTORY, false, "history"},
                                    {R_LABEL, false, "label"},
                                    {-1, false, NULL}};

#define FLOWS_HEADER                                                                               \
  "ts,duration,proto,src_ip,src_port,dst_ip,dst_port,fwd_pkts,bwd_pkts,fwd_bytes,bwd_bytes,flags"
static const char *const flows_names[13] = {
    "ts",       "duration", "proto",     "src_ip",    "src_port", "dst_ip", "dst_port",
    "fwd_pkts", "bwd_pkts", "fwd_bytes", "bwd_bytes", "flags",    "label"};
static const int flows_roles[13] = {R_TS,    R_DUR,   R_PROTO,  R_SA,     R_SP,    R_DA,   R_DP,
                                    R_FPKTS, R_BPKTS, R_FBYTES, R_BBYTES, R_FLAGS, R_LABEL};

/* ================================================================== parser state */

typedef struct field {
  char *s;
  size_t n;
} field;

typedef enum row_result { ROW_OK, ROW_BAD, ROW_IGNORED } row_result;

typedef struct parser {
  const char *path;
  const fc_ingest_options *o;
  fc_format fmt;
  fc_flow_table *out;
  fc_ingest_report *rep;
  fc_line_reader *lr;
  uint64_t line;
  char why[512]; /* what is wrong with the current row */

  field *f; /* fields of the current line */
  size_t nf, fcap;

  /* column map: field index per role (-1 absent) and its header name, for messages */
  int col[R_COUNT];
  char colname[R_COUNT][48];
  size_t ncols;           /* fields per record */
  bool have_header;       /* the header (or the first positional record) has been seen */
  bool headerless;        /* UGR'16 without a header line */
  bool has_label_col;     /* rows carry a label */
  int udata_lo, udata_hi; /* Argus: free-text columns; extra fields are taken to be theirs */
  size_t shift;           /* extra fields in the current Argus row */

  /* Zeek */
  bool zeek_json;
  char zsep;
  char zunset[16], zempty[16];
  size_t zunset_n, zempty_n;

  bool stopped; /* nfdump: past the "Summary" line */

  /* caches */
  char day_key[10];
  int64_t day_us;
  bool day_valid;
  char last_label[64];
  size_t last_label_n;
  uint32_t last_label_id;
  bool last_label_valid;
  uint32_t empty_label_id;
  bool empty_label_valid;

  /* the label of the current row */
  bool lab_present;
  const char *lab;
  size_t lab_n;
  char labbuf[1024];
} parser;

static bool fail(parser *p, const char *fmt, ...) FCI_PRINTF(2, 3);
static bool fail(parser *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->why, sizeof p->why, fmt, ap);
  va_end(ap);
  return false;
}

static const field *fld(const parser *p, int role) {
  int c = p->col[role];
  return &p->f[(size_t)c + ((c > p->udata_hi && p->udata_hi >= 0) ? p->shift : 0)];
}

/* Reports a bad field value: "field 'Dst Pt': '80x' is not a port". */
static bool bad(parser *p, int role, const field *x, const char *what) {
  int show = x->n > 60 ? 60 : (int)x->n;
  return fail(p, "field '%s': '%.*s%s' %s", p->colname[role], show, x->s, x->n > 60 ? "..." : "",
              what);
}

/* ================================================================== tokenizer */

/* Splits line[0..len) at sep into trimmed fields, in place. The last field takes the rest of the
 * line once max_fields - 1 separators have been seen (max_fields 0: no limit). Spaces (and tabs,
 * when tab is not the separator) around a field are not part of it. */
static fc_status split(parser *p, char *line, size_t len, char sep, size_t max_fields) {
  size_t n = 0;
  char *s = line, *end = line + len;
  for (;;) {
    char *e = s;
    if (max_fields == 0 || n + 1 < max_fields)
      while (e < end && *e != sep)
        e++;
    else
      e = end;
    if (n == p->fcap) {
      size_t cap = p->fcap ? p->fcap * 2 : 64;
      FC_CALL(fci_realloc(cap * sizeof *p->f, &p->f));
      p->fcap = cap;
    }
    char *a = s, *b = e;
    while (a < b && (*a == ' ' || (*a == '\t' && sep != '\t')))
      a++;
    while (b > a && (b[-1] == ' ' || (b[-1] == '\t' && sep != '\t')))
      b--;
    p->f[n].s = a;
    p->f[n].n = (size_t)(b - a);
    n++;
    if (e == end) break;
    s = e + 1;
  }
  p->nf = n;
  return FC_OK;
}

/* ================================================================== value parsers */

static bool parse_u64(const char *s, size_t n, uint64_t *out) {
  if (n == 0 || n > 20) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned d = (unsigned)(unsigned char)s[i] - '0';
    if (d > 9 || v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

static const uint64_t pow10_u64[20] = {1ULL,
                                       10ULL,
                                       100ULL,
                                       1000ULL,
                                       10000ULL,
                                       100000ULL,
                                       1000000ULL,
                                       10000000ULL,
                                       100000000ULL,
                                       1000000000ULL,
                                       10000000000ULL,
                                       100000000000ULL,
                                       1000000000000ULL,
                                       10000000000000ULL,
                                       100000000000000ULL,
                                       1000000000000000ULL,
                                       10000000000000000ULL,
                                       100000000000000000ULL,
                                       1000000000000000000ULL,
                                       10000000000000000000ULL};

/* A decimal number ("6.004", "-1", ".5", "1e-05") as integer micro-units, rounded half away
 * from zero at the seventh decimal. Exact for up to 19 significant digits; |value| < 9.2e12. */
static bool parse_dec_us(const char *s, size_t n, int64_t *out) {
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  uint64_t mant = 0;
  int sig = 0, exp10 = 0, digits = 0;
  bool round_up = false; /* the first dropped significant digit is >= 5 */
  bool dropped = false;
  for (bool frac = false; i < n; i++) {
    char c = s[i];
    if (c == '.') {
      if (frac) return false;
      frac = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    digits++;
    if (sig < 19) {
      if (mant != 0 || c != '0') {
        mant = mant * 10 + (uint64_t)(c - '0');
        sig++;
      }
      if (frac) exp10--;
    } else {
      if (!dropped) round_up = c >= '5';
      dropped = true;
      if (!frac) exp10++;
    }
  }
  if (digits == 0) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    bool eneg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
    if (i == n) return false;
    int e = 0;
    for (; i < n; i++) {
      if (s[i] < '0' || s[i] > '9' || e > 1000) return false;
      e = e * 10 + (s[i] - '0');
    }
    exp10 += eneg ? -e : e;
  }
  if (i != n) return false;
  if (round_up && mant < UINT64_MAX) mant++;
  int k = exp10 + 6; /* value in micro-units = mant * 10^k */
  uint64_t v;
  if (mant == 0) {
    v = 0;
  } else if (k >= 0) {
    if (k > 19 || mant > (uint64_t)INT64_MAX / pow10_u64[k]) return false;
    v = mant * pow10_u64[k];
  } else if (k < -19) {
    v = 0;
  } else {
    uint64_t d = pow10_u64[-k];
    v = mant / d;
    if (mant % d >= d - mant % d) v++; /* remainder >= d / 2, without overflow */
  }
  if (v > (uint64_t)INT64_MAX) return false;
  *out = neg ? -(int64_t)v : (int64_t)v;
  return true;
}

/* A duration in seconds: decimal, not negative. */
static bool parse_duration(parser *p, int role, const field *x, int64_t *us) {
  if (!parse_dec_us(x->s, x->n, us)) return bad(p, role, x, "is not a duration in seconds");
  if (*us < 0) return bad(p, role, x, "is a negative duration");
  return true;
}

static bool parse_count(parser *p, int role, const field *x, uint64_t *v) {
  if (parse_u64(x->s, x->n, v)) return true;
  return bad(p, role, x, "is not a count");
}

/* CIDDS counts may carry a magnitude: "1.2 M" (x 1e6), also K (1e3) and G (1e9). */
static bool parse_count_mag(parser *p, int role, const field *x, uint64_t *v) {
  if (parse_u64(x->s, x->n, v)) return true;
  size_t n = x->n;
  uint64_t mult = 0;
  if (n > 0) {
    switch (x->s[n - 1]) {
    case 'K':
    case 'k':
      mult = 1000ULL;
      break;
    case 'M':
      mult = 1000000ULL;
      break;
    case 'G':
      mult = 1000000000ULL;
      break;
    default:
      break;
    }
  }
  if (mult) {
    n--;
    while (n > 0 && x->s[n - 1] == ' ')
      n--;
    int64_t us;
    if (parse_dec_us(x->s, n, &us) && us >= 0) {
      /* value = us * mult / 1e6, rounded half up: whole and fractional parts apart, no overflow */
      uint64_t whole = (uint64_t)us / 1000000, frac = (uint64_t)us % 1000000;
      if (whole <= UINT64_MAX / mult) {
        uint64_t r = whole * mult + (frac * mult + 500000) / 1000000;
        if (r >= whole * mult) {
          *v = r;
          return true;
        }
      }
    }
  }
  return bad(p, role, x, "is not a count");
}

static bool digits_n(const char *s, int n, unsigned *v) {
  unsigned x = 0;
  for (int i = 0; i < n; i++) {
    unsigned d = (unsigned)(unsigned char)s[i] - '0';
    if (d > 9) return false;
    x = x * 10 + d;
  }
  *v = x;
  return true;
}

/* "YYYY-MM-DD HH:MM:SS[.ffffff][Z]" (or '/' in the date, 'T' before the time) as UTC; accepts
 * exactly what fc_time_parse accepts, with the day of the previous call cached. */
static bool parse_time(parser *p, const char *s, size_t n, int64_t *us) {
  if (n < 19) return false;
  if (!p->day_valid || memcmp(s, p->day_key, 10) != 0) {
    unsigned y, mo, d;
    if (!digits_n(s, 4, &y) || (s[4] != '-' && s[4] != '/') || !digits_n(s + 5, 2, &mo) ||
        s[7] != s[4] || !digits_n(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
      return false;
    memcpy(p->day_key, s, 10);
    p->day_us = fc_days_from_civil((int64_t)y, mo, d) * 86400 * INT64_C(1000000);
    p->day_valid = true;
  }
  unsigned h, mi, se;
  if ((s[10] != ' ' && s[10] != 'T') || !digits_n(s + 11, 2, &h) || s[13] != ':' ||
      !digits_n(s + 14, 2, &mi) || s[16] != ':' || !digits_n(s + 17, 2, &se) || h > 23 || mi > 59 ||
      se > 60)
    return false;
  int64_t frac = 0;
  size_t i = 19;
  if (i < n && s[i] == '.') {
    int nd = 0;
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
      if (nd < 6) {
        frac = frac * 10 + (s[i] - '0');
        nd++;
      }
    if (nd == 0) return false;
    for (; nd < 6; nd++)
      frac *= 10;
  }
  if (i < n && s[i] == 'Z') i++;
  if (i != n) return false;
  *us = p->day_us + ((int64_t)h * 3600 + (int64_t)mi * 60 + (int64_t)se) * 1000000 + frac;
  return true;
}

static bool parse_ts(parser *p, int role, const field *x, int64_t *us) {
  if (parse_time(p, x->s, x->n, us)) return true;
  return bad(p, role, x, "is not a time (YYYY-MM-DD HH:MM:SS[.ffffff])");
}

/* Protocol by name or number. Beyond fc_proto_parse: IPIP and IPv6 (nfdump names), and Argus's
 * names for UDP payloads (rtp, rtcp, udt). Argus also records non-IP traffic (arp, rarp, llc,
 * ...): ROW_IGNORED. */
static row_result parse_proto(parser *p, const field *x, uint8_t *out) {
  const char *s = x->s;
  size_t n = x->n;
  if (n == 3) { /* the common cases first */
    int a = lower((unsigned char)s[0]), b = lower((unsigned char)s[1]),
        c = lower((unsigned char)s[2]);
    if (a == 't' && b == 'c' && c == 'p') {
      *out = FC_PROTO_TCP;
      return ROW_OK;
    }
    if (a == 'u' && b == 'd' && c == 'p') {
      *out = FC_PROTO_UDP;
      return ROW_OK;
    }
  }
  if (fc_proto_parse(s, n, out)) return ROW_OK;
  if (eq_nocase(s, n, "ipip")) {
    *out = 4;
    return ROW_OK;
  }
  if (eq_nocase(s, n, "ipv6")) {
    *out = 41;
    return ROW_OK;
  }
  if (p->fmt == FC_FMT_ARGUS) {
    if (eq_nocase(s, n, "rtp") || eq_nocase(s, n, "rtcp") || eq_nocase(s, n, "udt")) {
      *out = FC_PROTO_UDP;
      return ROW_OK;
    }
    static const char *const non_ip[] = {"arp", "rarp", "llc", "ipx/spx", "lldp", "stp", "ipx"};
    for (size_t k = 0; k < sizeof non_ip / sizeof non_ip[0]; k++)
      if (eq_nocase(s, n, non_ip[k])) return ROW_IGNORED;
  }
  bad(p, R_PROTO, x, "is not a protocol name or number");
  return ROW_BAD;
}

static bool is_icmp(uint8_t proto) {
  return proto == FC_PROTO_ICMP || proto == FC_PROTO_ICMP6;
}

/* A port: decimal 0..65535; "0x..." hex when hex_ok (Argus); "type.code" for ICMP when
 * dotted_ok (nfdump, CIDDS), which becomes type * 256 + code. */
static bool parse_port(parser *p, int role, const field *x, bool hex_ok, bool dotted_ok,
                       uint16_t *out) {
  const char *s = x->s;
  size_t n = x->n;
  uint64_t v;
  if (parse_u64(s, n, &v)) {
    if (v > 65535) return bad(p, role, x, "is not a port (0..65535)");
    *out = (uint16_t)v;
    return true;
  }
  if (hex_ok && n > 2 && n <= 6 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    unsigned h = 0;
    for (size_t i = 2; i < n; i++) {
      char c = s[i];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) return bad(p, role, x, "is not a port");
      h = h << 4 | (unsigned)d;
    }
    *out = (uint16_t)h;
    return true;
  }
  if (dotted_ok) {
    const char *dot = memchr(s, '.', n);
    uint64_t t, c;
    if (dot && parse_u64(s, (size_t)(dot - s), &t) &&
        parse_u64(dot + 1, n - (size_t)(dot - s) - 1, &c) && t <= 255 && c <= 255) {
      *out = (uint16_t)(t * 256 + c);
      return true;
    }
  }
  return bad(p, role, x, "is not a port");
}

static bool parse_ip(parser *p, int role, const field *x, fc_ip *ip) {
  if (fc_ip_parse(x->s, x->n, ip)) return true;
  return bad(p, role, x, "is not an IP address");
}

/* CIDDS anonymised host names, see the file comment. A name is letters, digits, '_' and '-' with
 * at least one non-digit, so a malformed dotted address is still an error. */
static bool parse_ip_or_name(parser *p, int role, const field *x, fc_ip *ip) {
  if (fc_ip_parse(x->s, x->n, ip)) return true;
  bool name = x->n > 0, nondigit = false;
  for (size_t i = 0; i < x->n && name; i++) {
    char c = x->s[i];
    bool digit = c >= '0' && c <= '9';
    name = digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
    nondigit |= !digit;
  }
  if (!name || !nondigit) return bad(p, role, x, "is neither an IP address nor a host name");
  uint64_t h = XXH3_64bits(x->s, x->n);
  memset(ip, 0, sizeof *ip);
  ip->family = 6;
  ip->addr[0] = 0xfd;
  ip->addr[6] = 0xca;
  ip->addr[7] = 0xfe;
  for (int k = 0; k < 8; k++)
    ip->addr[8 + k] = (uint8_t)(h >> (56 - 8 * k));
  return true;
}

static bool parse_flags(parser *p, int role, const field *x, uint8_t *flags) {
  if (fc_flags_parse(x->s, x->n, flags)) return true;
  return bad(p, role, x, "is not a set of TCP flags");
}

/* round(a * b / c) (half up) for b <= c, exactly: a 128-bit product by 32-bit halves and a
 * bitwise long division, so the result does not depend on floating point. */
static uint64_t muldiv_round(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
  uint64_t p0 = al * bl, p1 = al * bh, p2 = ah * bl, p3 = ah * bh;
  uint64_t mid = (p0 >> 32) + (p1 & 0xffffffffu) + (p2 & 0xffffffffu);
  uint64_t lo = (p0 & 0xffffffffu) | (mid << 32);
  uint64_t hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
  uint64_t q = 0, r = 0;
  for (int i = 127; i >= 0; i--) {
    uint64_t bit = i >= 64 ? (hi >> (i - 64)) & 1 : (lo >> i) & 1;
    uint64_t carry = r >> 63;
    r = (r << 1) | bit;
    q <<= 1;
    if (carry || r >= c) {
      r -= c;
      q |= 1;
    }
  }
  if (r >= c - r) q++;
  return q;
}

/* Argus gives packets for both directions together: split them in proportion to the bytes,
 * rounded half up, with at least one packet on a side that has bytes when there are two or more
 * packets (a single packet goes to the side with more bytes, forward on a tie). */
static void split_packets(uint64_t tot, uint64_t fb, uint64_t bb, uint64_t *fp, uint64_t *bp) {
  uint64_t f;
  if (tot == 0 || (fb == 0 && bb == 0)) {
    f = tot;
  } else if (fb == 0) {
    f = 0;
  } else if (bb == 0) {
    f = tot;
  } else if (tot == 1) {
    f = fb >= bb ? 1 : 0;
  } else {
    uint64_t sum = fb + bb;
    if (sum < fb) { /* both near 2^64: halve to keep the ratio */
      fb >>= 1;
      bb >>= 1;
      sum = fb + bb;
    }
    f = muldiv_round(tot, fb, sum);
    if (f < 1) f = 1;
    if (f > tot - 1) f = tot - 1;
  }
  *fp = f;
  *bp = tot - f;
}

/* ================================================================== labels */

/* A table becomes labelled at the first label it sees; rows already in it (and later rows
 * without a label) get the empty label "", so every row of a labelled table has a label. */
static fc_status empty_label(parser *p, uint32_t *id) {
  if (!p->empty_label_valid) {
    FC_CALL(fc_table_intern_label(p->out, "", 0, &p->empty_label_id));
    p->empty_label_valid = true;
  }
  *id = p->empty_label_id;
  return FC_OK;
}

static fc_status make_labelled(parser *p) {
  fc_flow_table *t = p->out;
  if (t->has_labels) return FC_OK;
  if (t->n == 0) {
    t->has_labels = true;
    return FC_OK;
  }
  uint32_t e;
  FC_CALL(empty_label(p, &e));
  for (size_t i = 0; i < t->n; i++)
    t->label[i] = e;
  return FC_OK;
}

static fc_status row_label(parser *p, uint32_t *id) {
  if (!p->lab_present) {
    if (p->out->has_labels) return empty_label(p, id);
    *id = 0;
    return FC_OK;
  }
  if (p->last_label_valid && p->lab_n == p->last_label_n &&
      memcmp(p->lab, p->last_label, p->lab_n) == 0) {
    *id = p->last_label_id;
    return FC_OK;
  }
  FC_CALL(make_labelled(p));
  FC_CALL(fc_table_intern_label(p->out, p->lab, p->lab_n, id));
  if (p->lab_n <= sizeof p->last_label) {
    memcpy(p->last_label, p->lab, p->lab_n);
    p->last_label_n = p->lab_n;
    p->last_label_id = *id;
    p->last_label_valid = true;
  }
  return FC_OK;
}

static void set_label(parser *p, const char *s, size_t n) {
  p->lab_present = true;
  p->lab = s;
  p->lab_n = n;
}

/* ================================================================== headers */

/* Which format a line looks like, for hints in error messages; -1 when unsure. */
static int guess_format(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  s += i;
  n -= i;
#define STARTS(w) (n >= sizeof(w) - 1 && memcmp(s, w, sizeof(w) - 1) == 0)
  if (n > 0 && s[0] == '{') return FC_FMT_ZEEK;
  if (STARTS("#separator") || STARTS("#fields")) return FC_FMT_ZEEK;
  if (STARTS("ts,duration,proto,src_ip")) return FC_FMT_FLOWS;
  if (STARTS("Date first seen")) return FC_FMT_CIDDS;
  if (STARTS("ts,te,td,sa,da")) return FC_FMT_NFDUMP;
  if (STARTS("te,td,sa,da")) return FC_FMT_UGR16;
  if (STARTS("StartTime,")) return FC_FMT_ARGUS;
#undef STARTS
  if (n > 0 && s[0] >= '0' && s[0] <= '9' && memchr(s, '\t', n) && !memchr(s, ',', n))
    return FC_FMT_ZEEK;
  return -1;
}

/* " (this looks like a zeek file: try --format zeek)", or "" */
static const char *hint(parser *p, const char *s, size_t n, char *buf, size_t cap) {
  int g = guess_format(s, n);
  if (g < 0 || g == (int)p->fmt) return "";
  snprintf(buf, cap, " (this looks like a %s file: try --format %s)", format_names[g],
           format_names[g]);
  return buf;
}

static void set_colname(parser *p, int role, const char *name, size_t n) {
  if (n >= sizeof p->colname[role]) n = sizeof p->colname[role] - 1;
  memcpy(p->colname[role], name, n);
  p->colname[role][n] = '\0';
}

/* Does header name h[0..n) match one of the '|'-separated names? */
static bool name_matches(const char *h, size_t n, const char *names) {
  for (const char *a = names; *a;) {
    const char *bar = strchr(a, '|');
    size_t an = bar ? (size_t)(bar - a) : strlen(a);
    if (an == n) {
      size_t i = 0;
      while (i < n && lower((unsigned char)h[i]) == lower((unsigned char)a[i]))
        i++;
      if (i == n) return true;
    }
    if (!bar) break;
    a = bar + 1;
  }
  return false;
}

/* Maps the columns of a header (already split into p->f) by name. */
static fc_status map_columns(parser *p, const colspec *spec, char *line, size_t len) {
  for (int r = 0; r < R_COUNT; r++)
    p->col[r] = -1;
  for (const colspec *c = spec; c->names; c++) {
    for (size_t i = 0; i < p->nf; i++)
      if (name_matches(p->f[i].s, p->f[i].n, c->names)) {
        p->col[c->role] = (int)i;
        set_colname(p, c->role, p->f[i].s, p->f[i].n);
        break;
      }
    if (p->col[c->role] < 0 && c->required) {
      const char *bar = strchr(c->names, '|');
      int nl = bar ? (int)(bar - c->names) : (int)strlen(c->names);
      char hb[128];
      return FC_ERROR(FC_ERR_FORMAT, "%s:%llu: no column '%.*s' in the header (format %s)%s",
                      p->path, (unsigned long long)p->line, nl, c->names, format_names[p->fmt],
                      hint(p, line, len, hb, sizeof hb));
    }
  }
  p->ncols = p->nf;
  p->has_label_col = p->col[R_LABEL] >= 0;
  p->udata_lo = p->udata_hi = -1;
  if (p->fmt == FC_FMT_ARGUS && p->col[R_SUDATA] >= 0) {
    int a = p->col[R_SUDATA], b = p->col[R_DUDATA] >= 0 ? p->col[R_DUDATA] : a;
    p->udata_lo = a < b ? a : b;
    p->udata_hi = a < b ? b : a;
  }
  p->have_header = true;
  if (p->has_label_col) FC_CALL(make_labelled(p));
  return FC_OK;
}

/* First line of a UGR'16 file: a header (by name) or already a record (positional). */
static bool ugr16_is_header(const char *s, size_t n) {
  return n > 0 && !(s[0] >= '0' && s[0] <= '9');
}

static fc_status ugr16_positional_map(parser *p) {
  for (int r = 0; r < R_COUNT; r++)
    p->col[r] = -1;
  for (const colspec *c = ugr16_cols; c->names; c++)
    for (int i = 0; i < 13; i++)
      if (name_matches(ugr16_positional[i], strlen(ugr16_positional[i]), c->names)) {
        p->col[c->role] = i;
        set_colname(p, c->role, ugr16_positional[i], strlen(ugr16_positional[i]));
        break;
      }
  p->ncols = 13;
  p->headerless = true;
  p->has_label_col = true;
  p->udata_lo = p->udata_hi = -1;
  p->have_header = true;
  return make_labelled(p);
}

static fc_status flows_header(parser *p, const char *line, size_t len) {
  static const char with_label[] = FLOWS_HEADER ",label";
  bool lab = len == sizeof with_label - 1 && memcmp(line, with_label, len) == 0;
  if (!lab && !(len == sizeof FLOWS_HEADER - 1 && memcmp(line, FLOWS_HEADER, len) == 0)) {
    char hb[128];
    return FC_ERROR(FC_ERR_FORMAT,
                    "%s:%llu: not a flow CSV header: expected '%s' (optionally followed by "
                    "',label')%s",
                    p->path, (unsigned long long)p->line, FLOWS_HEADER,
                    hint(p, line, len, hb, sizeof hb));
  }
  for (int r = 0; r < R_COUNT; r++)
    p->col[r] = -1;
  p->ncols = lab ? 13 : 12;
  for (size_t i = 0; i < p->ncols; i++) {
    p->col[flows_roles[i]] = (int)i;
    set_colname(p, flows_roles[i], flows_names[i], strlen(flows_names[i]));
  }
  p->has_label_col = lab;
  p->udata_lo = p->udata_hi = -1;
  p->have_header = true;
  if (lab) FC_CALL(make_labelled(p));
  return FC_OK;
}

/* ================================================================== rows: CSV formats */

static bool check_field_count(parser *p) {
  p->shift = 0;
  if (p->nf == p->ncols) return true;
  /* Argus user data is free text: extra fields belong to it when it sits between the columns
   * we read. */
  if (p->nf > p->ncols && p->udata_hi >= 0) {
    p->shift = p->nf - p->ncols;
    return true;
  }
  return fail(p, "expected %zu fields, found %zu", p->ncols, p->nf);
}

static row_result cidds_row(parser *p, fc_flow *r) {
  if (!check_field_count(p)) return ROW_BAD;
  row_result pr;
  if (!parse_ts(p, R_TS, fld(p, R_TS), &r->ts_us) ||
      !parse_duration(p, R_DUR, fld(p, R_DUR), &r->duration_us))
    return ROW_BAD;
  if ((pr = parse_proto(p, fld(p, R_PROTO), &r->proto)) != ROW_OK) return pr;
  bool icmp = is_icmp(r->proto);
  if (!parse_ip_or_name(p, R_SA, fld(p, R_SA), &r->src_ip) ||
      !parse_port(p, R_SP, fld(p, R_SP), false, icmp, &r->src_port) ||
      !parse_ip_or_name(p, R_DA, fld(p, R_DA), &r->dst_ip) ||
      !parse_port(p, R_DP, fld(p, R_DP), false, icmp, &r->dst_port) ||
      !parse_count_mag(p, R_PKTS, fld(p, R_PKTS), &r->fwd_pkts) ||
      !parse_count_mag(p, R_BYTES, fld(p, R_BYTES), &r->fwd_bytes) ||
      !parse_flags(p, R_FLAGS, fld(p, R_FLAGS), &r->flags))
    return ROW_BAD;
  r->bwd_pkts = r->bwd_bytes = 0;
  if (p->col[R_LABEL] >= 0) {
    const field *c = fld(p, R_LABEL);
    const field *a = p->col[R_ATTACK] >= 0 ? fld(p, R_ATTACK) : NULL;
    if (a && a->n > 0 && !(a->n == 3 && memcmp(a->s, "---", 3) == 0)) {
      if (c->n + 1 + a->n > sizeof p->labbuf) {
        fail(p, "label '%.*s/%.*s' is too long", c->n > 40 ? 40 : (int)c->n, c->s,
             a->n > 40 ? 40 : (int)a->n, a->s);
        return ROW_BAD;
      }
      memcpy(p->labbuf, c->s, c->n);
      p->labbuf[c->n] = '/';
      memcpy(p->labbuf + c->n + 1, a->s, a->n);
      set_label(p, p->labbuf, c->n + 1 + a->n);
    } else {
      set_label(p, c->s, c->n);
    }
  }
  return ROW_OK;
}

static row_result nfdump_row(parser *p, fc_flow *r) {
  if (!check_field_count(p)) return ROW_BAD;
  row_result pr;
  if (!parse_ts(p, R_TS, fld(p, R_TS), &r->ts_us) ||
      !parse_duration(p, R_DUR, fld(p, R_DUR), &r->duration_us))
    return ROW_BAD;
  if ((pr = parse_proto(p, fld(p, R_PROTO), &r->proto)) != ROW_OK) return pr;
  bool icmp = is_icmp(r->proto);
  if (!parse_ip(p, R_SA, fld(p, R_SA), &r->src_ip) ||
      !parse_port(p, R_SP, fld(p, R_SP), false, icmp, &r->src_port) ||
      !parse_ip(p, R_DA, fld(p, R_DA), &r->dst_ip) ||
      !parse_port(p, R_DP, fld(p, R_DP), false, icmp, &r->dst_port) ||
      !parse_flags(p, R_FLAGS, fld(p, R_FLAGS), &r->flags) ||
      !parse_count(p, R_FPKTS, fld(p, R_FPKTS), &r->fwd_pkts) ||
      !parse_count(p, R_FBYTES, fld(p, R_FBYTES), &r->fwd_bytes))
    return ROW_BAD;
  r->bwd_pkts = r->bwd_bytes = 0;
  if (p->col[R_BPKTS] >= 0 && !parse_count(p, R_BPKTS, fld(p, R_BPKTS), &r->bwd_pkts))
    return ROW_BAD;
  if (p->col[R_BBYTES] >= 0 && !parse_count(p, R_BBYTES, fld(p, R_BBYTES), &r->bwd_bytes))
    return ROW_BAD;
  return ROW_OK;
}

static row_result ugr16_row(parser *p, fc_flow *r) {
  if (!check_field_count(p)) return ROW_BAD;
  int64_t te;
  row_result pr;
  if (!parse_ts(p, R_TE, fld(p, R_TE), &te) ||
      !parse_duration(p, R_DUR, fld(p, R_DUR), &r->duration_us))
    return ROW_BAD;
  r->ts_us = te - r->duration_us; /* te is the END time */
  if ((pr = parse_proto(p, fld(p, R_PROTO), &r->proto)) != ROW_OK) return pr;
  bool icmp = is_icmp(r->proto);
  if (!parse_ip(p, R_SA, fld(p, R_SA), &r->src_ip) ||
      !parse_port(p, R_SP, fld(p, R_SP), false, icmp, &r->src_port) ||
      !parse_ip(p, R_DA, fld(p, R_DA), &r->dst_ip) ||
      !parse_port(p, R_DP, fld(p, R_DP), false, icmp, &r->dst_port) ||
      !parse_flags(p, R_FLAGS, fld(p, R_FLAGS), &r->flags) ||
      !parse_count(p, R_PKTS, fld(p, R_PKTS), &r->fwd_pkts) ||
      !parse_count(p, R_BYTES, fld(p, R_BYTES), &r->fwd_bytes))
    return ROW_BAD;
  r->bwd_pkts = r->bwd_bytes = 0;
  if (p->col[R_LABEL] >= 0) {
    const field *l = fld(p, R_LABEL);
    set_label(p, l->s, l->n);
  }
  return ROW_OK;
}

/* Argus TCP states are the flags seen on each side, "SRC_DST" (PA_PA, FSPA_FSA, S_RA); E and C
 * are ECN bits. Any other letter means a named state (CON, INT, RST, ...): no flags. */
static uint8_t argus_state_flags(const field *x) {
  uint8_t f = 0;
  for (size_t i = 0; i < x->n; i++) {
    switch (x->s[i]) {
    case 'F':
      f |= FC_TCP_FIN;
      break;
    case 'S':
      f |= FC_TCP_SYN;
      break;
    case 'R':
      f |= FC_TCP_RST;
      break;
    case 'P':
      f |= FC_TCP_PSH;
      break;
    case 'A':
      f |= FC_TCP_ACK;
      break;
    case 'U':
      f |= FC_TCP_URG;
      break;
    case 'E':
    case 'C':
    case '_':
      break;
    default:
      return 0;
    }
  }
  return f;
}

/* An Argus port that may be empty (protocols without ports). */
static bool argus_port(parser *p, int role, uint8_t proto, uint16_t *out) {
  const field *x = fld(p, role);
  if (x->n == 0 && proto != FC_PROTO_TCP && proto != FC_PROTO_UDP) {
    *out = 0;
    return true;
  }
  return parse_port(p, role, x, true, false, out);
}

static row_result argus_row(parser *p, fc_flow *r) {
  if (!check_field_count(p)) return ROW_BAD;
  row_result pr;
  if ((pr = parse_proto(p, fld(p, R_PROTO), &r->proto)) != ROW_OK) return pr;
  if (!parse_ts(p, R_TS, fld(p, R_TS), &r->ts_us) ||
      !parse_duration(p, R_DUR, fld(p, R_DUR), &r->duration_us) ||
      !parse_ip(p, R_SA, fld(p, R_SA), &r->src_ip) || !parse_ip(p, R_DA, fld(p, R_DA), &r->dst_ip))
    return ROW_BAD;
  uint16_t sp, dp;
  if (!argus_port(p, R_SP, r->proto, &sp) || !argus_port(p, R_DP, r->proto, &dp)) return ROW_BAD;
  if (is_icmp(r->proto)) {
    /* Argus puts the ICMP type in the low byte of Sport and the code in the high byte
     * (0x0303: unreachable/port, 0x0d03: type 3 code 13, 0x0008: echo); Dport is the ICMP id. */
    r->src_port = 0;
    r->dst_port = (uint16_t)((sp & 0xff) << 8 | sp >> 8);
  } else {
    r->src_port = sp;
    r->dst_port = dp;
  }
  r->flags = r->proto == FC_PROTO_TCP ? argus_state_flags(fld(p, R_STATE)) : 0;
  uint64_t tp = 0, tb = 0;
  if (!parse_count(p, R_PKTS, fld(p, R_PKTS), &tp) ||
      !parse_count(p, R_BYTES, fld(p, R_BYTES), &tb) ||
      !parse_count(p, R_FBYTES, fld(p, R_FBYTES), &r->fwd_bytes))
    return ROW_BAD;
  if (p->col[R_BBYTES] >= 0) {
    if (!parse_count(p, R_BBYTES, fld(p, R_BBYTES), &r->bwd_bytes)) return ROW_BAD;
  } else {
    if (r->fwd_bytes > tb) {
      fail(p, "SrcBytes %llu exceeds TotBytes %llu", (unsigned long long)r->fwd_bytes,
           (unsigned long long)tb);
      return ROW_BAD;
    }
    r->bwd_bytes = tb - r->fwd_bytes;
  }
  if (p->col[R_FPKTS] >= 0) {
    if (!parse_count(p, R_FPKTS, fld(p, R_FPKTS), &r->fwd_pkts)) return ROW_BAD;
    if (p->col[R_BPKTS] >= 0) {
      if (!parse_count(p, R_BPKTS, fld(p, R_BPKTS), &r->bwd_pkts)) return ROW_BAD;
    } else if (r->fwd_pkts > tp) {
      fail(p, "SrcPkts %llu exceeds TotPkts %llu", (unsigned long long)r->fwd_pkts,
           (unsigned long long)tp);
      return ROW_BAD;
    } else {
      r->bwd_pkts = tp - r->fwd_pkts;
    }
  } else {
    split_packets(tp, r->fwd_bytes, r->bwd_bytes, &r->fwd_pkts, &r->bwd_pkts);
  }
  if (p->col[R_LABEL] >= 0) {
    const field *l = fld(p, R_LABEL);
    set_label(p, l->s, l->n);
  }
  return ROW_OK;
}

/* The canonical CSV's label is the rest of the line after the twelfth comma; the writer quotes
 * it (RFC 4180) when it holds a comma, a quote or surrounding blanks. */
static bool flows_label(parser *p, field *x) {
  if (x->n == 0 || x->s[0] != '"') {
    if (memchr(x->s, ',', x->n)) return fail(p, "expected 13 fields, found more");
    set_label(p, x->s, x->n);
    return true;
  }
  size_t o = 0, i = 1;
  for (;; i++) {
    if (i >= x->n) return bad(p, R_LABEL, x, "has no closing quote");
    if (x->s[i] == '"') {
      if (i + 1 < x->n && x->s[i + 1] == '"') {
        x->s[o++] = '"';
        i++;
        continue;
      }
      break;
    }
    x->s[o++] = x->s[i];
  }
  if (i + 1 != x->n) return bad(p, R_LABEL, x, "has text after the closing quote");
  set_label(p, x->s, o); /* unquoted in place: o < i, and the line is ours to modify */
  return true;
}

static row_result flows_row(parser *p, fc_flow *r) {
  if (p->nf != p->ncols) {
    fail(p, "expected %zu fields, found %zu", p->ncols, p->nf);
    return ROW_BAD;
  }
  row_result pr;
  if (!parse_ts(p, R_TS, fld(p, R_TS), &r->ts_us) ||
      !parse_duration(p, R_DUR, fld(p, R_DUR), &r->duration_us))
    return ROW_BAD;
  if ((pr = parse_proto(p, fld(p, R_PROTO), &r->proto)) != ROW_OK) return pr;
  if (!parse_ip(p, R_SA, fld(p, R_SA), &r->src_ip) ||
      !parse_port(p, R_SP, fld(p, R_SP), false, false, &r->src_port) ||
      !parse_ip(p, R_DA, fld(p, R_DA), &r->dst_ip) ||
      !parse_port(p, R_DP, fld(p, R_DP), false, false, &r->dst_port) ||
      !parse_count(p, R_FPKTS, fld(p, R_FPKTS), &r->fwd_pkts) ||
      !parse_count(p, R_BPKTS, fld(p, R_BPKTS), &r->bwd_pkts) ||
      !parse_count(p, R_FBYTES, fld(p, R_FBYTES), &r->fwd_bytes) ||
      !parse_count(p, R_BBYTES, fld(p, R_BBYTES), &r->bwd_bytes) ||
      !parse_flags(p, R_FLAGS, fld(p, R_FLAGS), &r->flags))
    return ROW_BAD;
  if (p->has_label_col && !flows_label(p, &p->f[12])) return ROW_BAD;
  return ROW_OK;
}

/* ================================================================== rows: Zeek */

/* The values of one conn.log record, from TSV text or from JSON. */
typedef struct zeek_rec {
  int64_t ts, dur;
  fc_ip sa, da;
  uint16_t sp, dp;
  field proto, history; /* history.n == 0 when unset */
  uint64_t op, rp, ob, rb;
} zeek_rec;

/* Zeek names ICMP "ports" (orig_p, resp_p) = (type, counterpart type) for request/reply
 * messages and (type, code) for the others; see Zeek's ICMP4_counterpart / ICMP6_counterpart. */
static bool icmp_has_counterpart(uint8_t proto, unsigned type) {
  if (proto == FC_PROTO_ICMP)
    return type == 0 || type == 8 || type == 9 || type == 10 || type == 13 || type == 14 ||
           type == 15 || type == 16 || type == 17 || type == 18;
  return (type >= 128 && type <= 131) || type == 133 || type == 134 || type == 135 || type == 136 ||
         type == 139 || type == 140 || (type >= 144 && type <= 147);
}

static row_result zeek_finish(parser *p, zeek_rec *z, fc_flow *r) {
  r->ts_us = z->ts;
  r->duration_us = z->dur;
  r->src_ip = z->sa;
  r->dst_ip = z->da;
  if (eq_nocase(z->proto.s, z->proto.n, "tcp")) {
    r->proto = FC_PROTO_TCP;
  } else if (eq_nocase(z->proto.s, z->proto.n, "udp")) {
    r->proto = FC_PROTO_UDP;
  } else if (eq_nocase(z->proto.s, z->proto.n, "icmp")) {
    /* Zeek says "icmp" for ICMPv6 too */
    r->proto = z->sa.family == 6 ? FC_PROTO_ICMP6 : FC_PROTO_ICMP;
  } else {
    bad(p, R_PROTO, &z->proto, "is not tcp, udp or icmp");
    return ROW_BAD;
  }
  if (is_icmp(r->proto)) {
    if (z->sp > 255 || z->dp > 255) {
      fail(p, "ICMP type %u or code %u out of range", z->sp, z->dp);
      return ROW_BAD;
    }
    unsigned code = icmp_has_counterpart(r->proto, z->sp) ? 0 : z->dp;
    r->src_port = 0;
    r->dst_port = (uint16_t)(z->sp * 256 + code);
  } else {
    r->src_port = z->sp;
    r->dst_port = z->dp;
  }
  r->flags = 0;
  if (r->proto == FC_PROTO_TCP)
    for (size_t i = 0; i < z->history.n; i++) {
      switch (z->history.s[i]) {
      case 'S':
      case 's':
        r->flags |= FC_TCP_SYN;
        break;
      case 'H':
      case 'h':
        r->flags |= FC_TCP_SYN | FC_TCP_ACK;
        break;
      case 'A':
      case 'a':
        r->flags |= FC_TCP_ACK;
        break;
      case 'D':
      case 'd':
        r->flags |= FC_TCP_PSH | FC_TCP_ACK;
        break;
      case 'F':
      case 'f':
        r->flags |= FC_TCP_FIN;
        break;
      case 'R':
      case 'r':
        r->flags |= FC_TCP_RST;
        break;
      default:
        break; /* C G T W I Q ^ ...: not flags */
      }
    }
  r->fwd_pkts = z->op;
  r->bwd_pkts = z->rp;
  r->fwd_bytes = z->ob;
  r->bwd_bytes = z->rb;
  return ROW_OK;
}

static bool zeek_unset(const parser *p, const field *x) {
  return (x->n == p->zunset_n && memcmp(x->s, p->zunset, x->n) == 0) ||
         (x->n == p->zempty_n && memcmp(x->s, p->zempty, x->n) == 0);
}

/* Zeek time: epoch seconds as a decimal. */
static bool zeek_ts(parser *p, int role, const field *x, int64_t *us) {
  if (parse_dec_us(x->s, x->n, us) && *us >= 0) return true;
  return bad(p, role, x, "is not a time in epoch seconds");
}

static bool zeek_count_opt(parser *p, int role, uint64_t *v) {
  const field *x = fld(p, role);
  if (zeek_unset(p, x)) {
    *v = 0;
    return true;
  }
  return parse_count(p, role, x, v);
}

static row_result zeek_tsv_row(parser *p, fc_flow *r) {
  if (!check_field_count(p)) return ROW_BAD;
  zeek_rec z;
  memset(&z, 0, sizeof z);
  const field *d = fld(p, R_DUR);
  if (!zeek_ts(p, R_TS, fld(p, R_TS), &z.ts) || !parse_ip(p, R_SA, fld(p, R_SA), &z.sa) ||
      !parse_port(p, R_SP, fld(p, R_SP), false, false, &z.sp) ||
      !parse_ip(p, R_DA, fld(p, R_DA), &z.da) ||
      !parse_port(p, R_DP, fld(p, R_DP), false, false, &z.dp) ||
      (!zeek_unset(p, d) && !parse_duration(p, R_DUR, d, &z.dur)) ||
      !zeek_count_opt(p, R_FPKTS, &z.op) || !zeek_count_opt(p, R_BPKTS, &z.rp) ||
      !zeek_count_opt(p, R_FBYTES, &z.ob) || !zeek_count_opt(p, R_BBYTES, &z.rb))
    return ROW_BAD;
  z.proto = *fld(p, R_PROTO);
  if (p->col[R_HISTORY] >= 0 && !zeek_unset(p, fld(p, R_HISTORY))) z.history = *fld(p, R_HISTORY);
  if (p->col[R_LABEL] >= 0) {
    const field *l = fld(p, R_LABEL);
    if (zeek_unset(p, l))
      set_label(p, "", 0);
    else
      set_label(p, l->s, l->n);
  }
  return zeek_finish(p, &z, r);
}

/* JSON helpers: a key of the record, also looked up in a nested "id" object ("id.orig_h" as
 * {"id": {"orig_h": ...}}). */
static json_t *jget(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (v || strncmp(key, "id.", 3) != 0) return v;
  json_t *id = json_object_get(o, "id");
  return json_is_object(id) ? json_object_get(id, key + 3) : NULL;
}

static bool jfail(parser *p, const char *key, const char *what) {
  return fail(p, "field '%s' %s", key, what);
}

static bool jcount(parser *p, json_t *o, const char *key, bool required, uint64_t *v) {
  json_t *x = jget(o, key);
  *v = 0;
  if (!x || json_is_null(x)) return required ? jfail(p, key, "is missing") : true;
  if (!json_is_integer(x) || json_integer_value(x) < 0) return jfail(p, key, "is not a count");
  *v = (uint64_t)json_integer_value(x);
  return true;
}

/* A JSON number of seconds (or an ISO 8601 string for ts) as microseconds. Jansson hands out
 * doubles; "%.6f" rounds the double correctly to microseconds, which recovers the written
 * decimal whenever it had at most 6 decimals and |t| < 2^33 s. */
static bool jseconds(parser *p, json_t *o, const char *key, bool required, bool iso_ok,
                     int64_t *us) {
  json_t *x = jget(o, key);
  *us = 0;
  if (!x || json_is_null(x)) return required ? jfail(p, key, "is missing") : true;
  if (iso_ok && json_is_string(x)) {
    if (parse_time(p, json_string_value(x), json_string_length(x), us)) return true;
    return jfail(p, key, "is not a time");
  }
  if (!json_is_number(x)) return jfail(p, key, "is not a number");
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%.6f", json_number_value(x));
  if (n <= 0 || (size_t)n >= sizeof buf || !parse_dec_us(buf, (size_t)n, us) || *us < 0)
    return jfail(p, key, "is out of range");
  return true;
}

static bool jip(parser *p, json_t *o, const char *key, fc_ip *ip) {
  json_t *x = jget(o, key);
  if (!json_is_string(x)) return jfail(p, key, x ? "is not a string" : "is missing");
  if (!fc_ip_parse(json_string_value(x), json_string_length(x), ip))
    return fail(p, "field '%s': '%.60s' is not an IP address", key, json_string_value(x));
  return true;
}

static bool jport(parser *p, json_t *o, const char *key, uint16_t *port) {
  uint64_t v;
  if (!jcount(p, o, key, true, &v)) return false;
  if (v > 65535) return jfail(p, key, "is not a port");
  *port = (uint16_t)v;
  return true;
}

static row_result zeek_json_row(parser *p, char *line, size_t len, fc_flow *r) {
  json_error_t err;
  json_t *o = json_loadb(line, len, 0, &err);
  if (!o) {
    fail(p, "not a JSON object: %s (column %d)", err.text, err.column);
    return ROW_BAD;
  }
  row_result res = ROW_BAD;
  zeek_rec z;
  memset(&z, 0, sizeof z);
  if (!json_is_object(o)) {
    fail(p, "not a JSON object");
    goto out;
  }
  json_t *pr = jget(o, "proto"), *hist = jget(o, "history"), *lab = jget(o, "label");
  if (!jseconds(p, o, "ts", true, true, &z.ts) || !jip(p, o, "id.orig_h", &z.sa) ||
      !jport(p, o, "id.orig_p", &z.sp) || !jip(p, o, "id.resp_h", &z.da) ||
      !jport(p, o, "id.resp_p", &z.dp) || !jseconds(p, o, "duration", false, false, &z.dur) ||
      !jcount(p, o, "orig_pkts", true, &z.op) || !jcount(p, o, "resp_pkts", true, &z.rp) ||
      !jcount(p, o, "orig_ip_bytes", true, &z.ob) || !jcount(p, o, "resp_ip_bytes", true, &z.rb))
    goto out;
  if (!json_is_string(pr)) {
    jfail(p, "proto", pr ? "is not a string" : "is missing");
    goto out;
  }
  /* The strings live in o; zeek_finish uses them before o is freed. */
  z.proto.s = (char *)json_string_value(pr);
  z.proto.n = json_string_length(pr);
  if (json_is_string(hist)) {
    z.history.s = (char *)json_string_value(hist);
    z.history.n = json_string_length(hist);
  }
  res = zeek_finish(p, &z, r);
  if (res == ROW_OK && lab && !json_is_null(lab)) {
    if (!json_is_string(lab)) {
      jfail(p, "label", "is not a string");
      res = ROW_BAD;
    } else if (json_string_length(lab) > sizeof p->labbuf) {
      jfail(p, "label", "is too long");
      res = ROW_BAD;
    } else { /* copied: o is freed below */
      memcpy(p->labbuf, json_string_value(lab), json_string_length(lab));
      set_label(p, p->labbuf, json_string_length(lab));
    }
  }
out:
  json_decref(o);
  return res;
}

/* Zeek "#..." lines: #separator, #empty_field, #unset_field and #fields are interpreted; #close
 * is counted as ignored; the others (#path, #open, #types, #set_separator) are skipped. */
static fc_status zeek_meta(parser *p, char *s, size_t n) {
  if (n >= 10 && memcmp(s, "#separator", 10) == 0) {
    size_t i = 10;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
      i++;
    char v = 0;
    size_t k = 0;
    while (i < n) {
      char c = s[i];
      if (c == '\\' && i + 3 < n && s[i + 1] == 'x') {
        unsigned h = 0;
        for (int j = 2; j < 4; j++) {
          char d = s[i + j];
          h = h * 16 + (unsigned)(d >= '0' && d <= '9'   ? d - '0'
                                  : d >= 'a' && d <= 'f' ? d - 'a' + 10
                                  : d >= 'A' && d <= 'F' ? d - 'A' + 10
                                                         : 0);
        }
        c = (char)h;
        i += 4;
      } else {
        i++;
      }
      v = c;
      k++;
    }
    if (k != 1)
      return FC_ERROR(FC_ERR_FORMAT,
                      "%s:%llu: unsupported Zeek separator '%.*s' (one character "
                      "expected)",
                      p->path, (unsigned long long)p->line, (int)(n > 40 ? 40 : n), s);
    p->zsep = v;
    return FC_OK;
  }
  /* the other header lines use the separator between key and value */
  const char *sep = memchr(s, p->zsep, n);
  size_t key_n = sep ? (size_t)(sep - s) : n;
  char *val = sep ? (char *)sep + 1 : s + n;
  size_t val_n = (size_t)(s + n - val);
  if (key_n == 12 && memcmp(s, "#unset_field", 12) == 0 && val_n < sizeof p->zunset) {
    memcpy(p->zunset, val, val_n);
    p->zunset_n = val_n;
  } else if (key_n == 12 && memcmp(s, "#empty_field", 12) == 0 && val_n < sizeof p->zempty) {
    memcpy(p->zempty, val, val_n);
    p->zempty_n = val_n;
  } else if (key_n == 6 && memcmp(s, "#close", 6) == 0) {
    p->rep->ignored++;
  } else if (key_n == 7 && memcmp(s, "#fields", 7) == 0) {
    FC_CALL(split(p, val, val_n, p->zsep, 0));
    FC_CALL(map_columns(p, zeek_cols, s, n));
  }
  return FC_OK;
}

/* ================================================================== the read loop */

static fc_status report_row(parser *p) {
  if (!p->o->skip_bad)
    return FC_ERROR(FC_ERR_PARSE, "%s:%llu: %s", p->path, (unsigned long long)p->line, p->why);
  fc_log_warn("%s:%llu: %s (row skipped)", p->path, (unsigned long long)p->line, p->why);
  p->rep->skipped++;
  return FC_OK;
}

/* Handles one line that is neither blank nor a comment. */
static fc_status handle_line(parser *p, char *line, size_t len) {
  fc_flow r;
  row_result res;
  bool first_record = false; /* a headerless first line that must prove the format */
  p->lab_present = false;
  if (p->fmt == FC_FMT_ZEEK) {
    if (!p->have_header) {
      size_t i = 0;
      while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
      if (line[i] != '{') {
        char hb[128];
        return FC_ERROR(FC_ERR_FORMAT,
                        "%s:%llu: not a Zeek conn.log: no #fields header before the first "
                        "record, and the record is not JSON%s",
                        p->path, (unsigned long long)p->line, hint(p, line, len, hb, sizeof hb));
      }
      p->zeek_json = p->have_header = true;
      first_record = true;
      for (const colspec *c = zeek_cols; c->names; c++)
        set_colname(p, c->role, c->names, strlen(c->names));
    }
    if (p->zeek_json) {
      res = zeek_json_row(p, line, len, &r);
    } else {
      FC_CALL(split(p, line, len, p->zsep, 0));
      res = zeek_tsv_row(p, &r);
    }
  } else {
    size_t max_fields = p->fmt == FC_FMT_FLOWS && p->has_label_col ? 13 : 0;
    FC_CALL(split(p, line, len, ',', max_fields));
    if (!p->have_header) {
      switch (p->fmt) {
      case FC_FMT_CIDDS:
        return map_columns(p, cidds_cols, line, len);
      case FC_FMT_NFDUMP:
        return map_columns(p, nfdump_cols, line, len);
      case FC_FMT_ARGUS:
        return map_columns(p, argus_cols, line, len);
      case FC_FMT_FLOWS:
        return flows_header(p, line, len);
      case FC_FMT_UGR16:
        if (ugr16_is_header(p->f[0].s, p->f[0].n)) return map_columns(p, ugr16_cols, line, len);
        FC_CALL(ugr16_positional_map(p));
        first_record = true;
        break;
      default:
        return FC_ERROR(FC_ERR_STATE, "unhandled format %d", (int)p->fmt);
      }
    }
    if (p->fmt == FC_FMT_NFDUMP && len == 7 && memcmp(line, "Summary", 7) == 0) {
      p->stopped = true; /* the summary block at the end of nfdump -o csv */
      p->rep->ignored++;
      return FC_OK;
    }
    switch (p->fmt) {
    case FC_FMT_CIDDS:
      res = cidds_row(p, &r);
      break;
    case FC_FMT_NFDUMP:
      res = nfdump_row(p, &r);
      break;
    case FC_FMT_UGR16:
      res = ugr16_row(p, &r);
      break;
    case FC_FMT_ARGUS:
      res = argus_row(p, &r);
      break;
    default:
      res = flows_row(p, &r);
      break;
    }
  }
  if (res == ROW_BAD) {
    if (first_record) {
      char hb[128];
      return FC_ERROR(FC_ERR_FORMAT,
                      "%s:%llu: the first line is neither a header nor a record "
                      "of format %s: %s%s",
                      p->path, (unsigned long long)p->line, format_names[p->fmt], p->why,
                      hint(p, line, len, hb, sizeof hb));
    }
    return report_row(p);
  }
  if (res == ROW_IGNORED) {
    p->rep->ignored++;
    return FC_OK;
  }
  FC_CALL(row_label(p, &r.label));
  return fc_table_append(p->out, &r);
}

fc_status fc_read_flow_file(const char *path, const fc_ingest_options *o, fc_flow_table *out,
                            fc_ingest_report *rep) {
  if (!path || !o || !out)
    return FC_ERROR(FC_ERR_ARG, "fc_read_flow_file: path, options and table are required");
  if ((int)o->format < 0 || o->format >= FC_FMT_COUNT)
    return FC_ERROR(FC_ERR_ARG, "%s: unknown input format %d", path, (int)o->format);
  fc_ingest_report local;
  memset(&local, 0, sizeof local);
  if (!rep) rep = &local;
  parser p;
  memset(&p, 0, sizeof p);
  p.path = path;
  p.o = o;
  p.fmt = o->format;
  p.out = out;
  p.rep = rep;
  p.zsep = '\t';
  memcpy(p.zunset, "-", 2);
  p.zunset_n = 1;
  memcpy(p.zempty, "(empty)", 8);
  p.zempty_n = 7;
  for (int r = 0; r < R_COUNT; r++)
    p.col[r] = -1;
  p.udata_lo = p.udata_hi = -1;
  size_t n0 = out->n;
  bool labelled0 = out->has_labels;
  uint64_t ignored0 = rep->ignored;
  fc_status st = FC_OK;
  fc_progress prog;
  fc_progress_start(&prog, 5.0);
  FC_CALL_GOTO(st, fc_line_reader_open(path, &p.lr), done);
  for (;;) {
    char *line;
    size_t len;
    FC_CALL_GOTO(st, fc_line_reader_next(p.lr, &line, &len), done);
    if (!line) break;
    p.line = fc_line_reader_line_no(p.lr);
    if ((p.line & 0xffff) == 0 && fc_progress_due(&prog))
      fc_log_info("reading %s: %llu lines, %zu records, %.0f s", path, (unsigned long long)p.line,
                  out->n - n0, fc_progress_elapsed(&prog));
    if (p.stopped) {
      rep->ignored++;
      continue;
    }
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
      i++;
    if (i == len) continue; /* blank */
    if (line[i] == '#') {
      if (p.fmt == FC_FMT_ZEEK && !p.zeek_json)
        FC_CALL_GOTO(st, zeek_meta(&p, line + i, len - i), done);
      continue;
    }
    FC_CALL_GOTO(st, handle_line(&p, line, len), done);
  }
  if (!p.have_header) {
    st = FC_ERROR(FC_ERR_FORMAT, "%s: no %s header%s (the file has no records)", path,
                  format_names[p.fmt], p.fmt == FC_FMT_ZEEK ? " (#fields) or JSON record" : "");
    goto done;
  }
  rep->records += out->n - n0;
done:
  if (p.lr) {
    rep->lines += fc_line_reader_line_no(p.lr);
    rep->bytes += fc_line_reader_bytes(p.lr);
  }
  if (st != FC_OK) {
    out->n = n0;
    out->has_labels = labelled0;
    rep->ignored = ignored0;
  }
  fc_line_reader_close(&p.lr);
  free(p.f);
  return st;
}

/* ================================================================== the canonical CSV writer */


/* The label as written: quoted (RFC 4180) when it holds a comma or a quote or starts or ends
 * with a blank, which the reader would otherwise split or trim. Line breaks cannot be held. */
fc_status fc_write_flows_csv(const fc_flow_table *t, const char *path) {
  fc_status st = FC_OK;
  fc_atomic_file *f = NULL;
  size_t nl = t->has_labels ? fc_strdict_size(t->labels) : 0;
  char **lab = NULL;
  size_t *lab_n = NULL;
  char *line = NULL;
  if (nl) {
    FC_CALL_GOTO(st, fci_calloc(nl, sizeof *lab, &lab), out);
    FC_CALL_GOTO(st, fci_calloc(nl, sizeof *lab_n, &lab_n), out);
    for (size_t i = 0; i < nl; i++)
      FC_CALL_GOTO(st,
                   fci_csv_label(fc_strdict_get(t->labels, (uint32_t)i),
                                 fc_strdict_len(t->labels, (uint32_t)i), &lab[i], &lab_n[i]),
                   out);
  }
  /* Times the reader can take back: years 0000 to 9999. */
  const int64_t t_min = fc_days_from_civil(0, 1, 1) * 86400000000LL;
  const int64_t t_max = fc_days_from_civil(10000, 1, 1) * 86400000000LL;
  FC_CALL_GOTO(st, fc_atomic_open(path, &f), out);
  FC_CALL_GOTO(st, fc_atomic_puts(f, t->has_labels ? FLOWS_HEADER ",label\n" : FLOWS_HEADER "\n"),
               out);
  fci_day_cache dc = {0, false, {0}};
  size_t longest = 0;
  for (size_t k = 0; k < nl; k++)
    if (lab_n[k] > longest) longest = lab_n[k];
  FC_CALL_GOTO(st, fci_malloc(FCI_LINE_MAX + longest + 2, &line), out);
  for (size_t i = 0; i < t->n; i++) {
    if (t->ts_us[i] < t_min || t->ts_us[i] >= t_max) {
      st = FC_ERROR(FC_ERR_ARG, "%s: row %zu: start time %lld us is outside years 0000-9999", path,
                    i, (long long)t->ts_us[i]);
      goto out;
    }
    if (t->duration_us[i] < 0) {
      st = FC_ERROR(FC_ERR_ARG, "%s: row %zu: negative duration %lld us", path, i,
                    (long long)t->duration_us[i]);
      goto out;
    }
    if ((t->src_ip[i].family != 4 && t->src_ip[i].family != 6) ||
        (t->dst_ip[i].family != 4 && t->dst_ip[i].family != 6)) {
      st = FC_ERROR(FC_ERR_ARG, "%s: row %zu: address without a family (neither IPv4 nor IPv6)",
                    path, i);
      goto out;
    }
    uint32_t id = t->has_labels ? t->label[i] : 0;
    if (t->has_labels && id >= nl) {
      st = FC_ERROR(FC_ERR_ARG, "%s: row %zu: label id %u outside the label dictionary (%zu)",
                    path, i, id, nl);
      goto out;
    }
    fc_flow fl;
    fc_table_get(t, i, &fl);
    /* One formatter for the canonical line, shared with the generator (flowline.c). */
    char *b = fci_flow_line_ip(line, &fl, t->has_labels ? lab[id] : NULL,
                               t->has_labels ? lab_n[id] : 0, &dc);
    *b++ = '\n';
    FC_CALL_GOTO(st, fc_atomic_write(f, line, (size_t)(b - line)), out);
  }
  FC_CALL_GOTO(st, fc_atomic_commit(&f), out);
out:
  free(line);
  fc_atomic_abort(&f);
  if (lab)
    for (size_t i = 0; i < nl; i++)
      free(lab[i]);
  free(lab);
  free(lab_n);
  return st;
}
