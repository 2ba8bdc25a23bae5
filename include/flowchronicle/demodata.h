/* The embedded demo data: a deterministic generator of one small office network's flows.
 *
 * The network (docs/demo-data.md has the full address plan): four servers in 192.168.100.0/24,
 * 36 workstations and 2 printers in 192.168.200.0/24 and 192.168.210.0/24, a pool of 300
 * public web servers with a popularity skew. Over the requested days it produces planted
 * multi-flow behaviours (DNS lookup then HTTPS, mail polling, NTP, SMB bursts, the talk's
 * 8.8.8.8-then-HTTP example) on an office rhythm, plus background traffic that is not a
 * pattern, and one labelled port scan on the third day.
 *
 * The output is a pure function of the options: every random draw comes from a Philox stream
 * keyed by the seed and counted by (purpose, day, actor, index), so the (day, actor) pieces can
 * be computed in any order. The behaviour table below is the machine-readable ground truth the
 * mining tests check against; fc_demo_generate_truth also tells, for every generated flow,
 * which behaviour instance it belongs to. */
#ifndef FLOWCHRONICLE_DEMODATA_H
#define FLOWCHRONICLE_DEMODATA_H

#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"
#include "flowchronicle/flow.h"

/* Fixed addresses of the network (the same for every seed). */
#define FC_DEMO_DNS_SERVER "192.168.100.3"  /* internal resolver, UDP 53 */
#define FC_DEMO_MAIL_SERVER "192.168.100.4" /* IMAPS 993, SMTP submission 587 */
#define FC_DEMO_FILE_SERVER "192.168.100.5" /* SMB 445 */
#define FC_DEMO_NTP_SERVER "192.168.100.6"  /* NTP 123, synchronises upstream */
#define FC_DEMO_UPSTREAM_DNS "1.1.1.1"      /* forwarder of the internal resolver */
#define FC_DEMO_UPSTREAM_NTP "162.159.200.123"
#define FC_DEMO_PUBLIC_DNS "8.8.8.8"      /* used directly by the misconfigured lab hosts */
#define FC_DEMO_ATTACKER "192.168.210.15" /* compromised workstation running the port scan */

/* Labels put on the flows. */
#define FC_DEMO_LABEL_NORMAL "normal"
#define FC_DEMO_LABEL_PORTSCAN "attack/portScan"

typedef struct fc_demo_options {
  uint64_t seed;
  int days;         /* 1 .. 3660 */
  int64_t start_us; /* start of day 0; the office clock is UTC, measured from this instant */
  double scale;     /* multiplies the rates of user-driven events and scans; (0, 100] */
} fc_demo_options;

/* seed 1, 7 days, Monday 2024-03-04 00:00:00 UTC, scale 1.0. */
fc_demo_options fc_demo_options_default(void);

/* ---------------------------------------------------------------- ground truth */

#define FC_DEMO_MAX_ROWS 4

typedef enum fc_demo_kind {
  FC_DEMO_PLANTED,    /* a behaviour a miner should recover as a pattern */
  FC_DEMO_BACKGROUND, /* traffic that is there for realism (single flows, mostly not patterns) */
  FC_DEMO_ATTACK      /* the labelled attack */
} fc_demo_kind;

/* One flow of a behaviour. Row 0 is the flow that starts an instance; row k > 0 starts
 * min_delay_us .. max_delay_us (inclusive) after row k-1 starts. */
typedef struct fc_demo_row {
  uint8_t proto;
  uint16_t dst_port;  /* service port, ICMP type*256+code; 0 when it varies */
  int flags;          /* OR of TCP flags of every instance; -1 when it varies; 0 for UDP/ICMP */
  const char *src_ip; /* fixed source address, or NULL when it varies between instances */
  const char *dst_ip; /* fixed destination address, or NULL */
  int src_reuses_row; /* -1, or an earlier row whose src_ip equals this row's src_ip */
  int dst_reuses_row; /* -1, or an earlier row whose dst_ip equals this row's dst_ip (set only
                         when dst_ip is NULL: a fixed address needs no reuse) */
  int64_t min_delay_us, max_delay_us; /* 0, 0 for row 0 */
} fc_demo_row;

typedef struct fc_demo_behaviour {
  const char *name; /* short id, e.g. "dns-https" */
  fc_demo_kind kind;
  const char *label; /* the label its flows carry */
  const char *who;   /* which hosts do it, and how often, in words */
  int n_rows;
  fc_demo_row rows[FC_DEMO_MAX_ROWS];
} fc_demo_behaviour;

/* Indices into fc_demo_behaviours(); the order is part of the API. */
typedef enum fc_demo_behaviour_id {
  /* planted */
  FC_DEMO_DNS_HTTPS,       /* A -> DNS udp/53, A -> W tcp/443 */
  FC_DEMO_DNS_HTTPS_TWICE, /* A -> DNS udp/53, A -> W tcp/443, A -> W tcp/443 */
  FC_DEMO_MAIL_CHECK,      /* A -> mail tcp/993 */
  FC_DEMO_MAIL_SEND,       /* A -> mail tcp/993, A -> mail tcp/587 */
  FC_DEMO_NTP_SYNC,        /* A -> NTP server udp/123 */
  FC_DEMO_FILE_BURST2,     /* A -> file tcp/445 twice */
  FC_DEMO_FILE_BURST3,     /* A -> file tcp/445 three times */
  FC_DEMO_PUBLIC_DNS_HTTP, /* A -> 8.8.8.8 udp/53, A -> W tcp/80 (the talk's example) */
  /* background */
  FC_DEMO_DNS_FORWARD,   /* DNS server -> 1.1.1.1 udp/53 on a cache miss */
  FC_DEMO_NTP_UPSTREAM,  /* NTP server -> upstream udp/123 */
  FC_DEMO_DNS_ONLY,      /* A -> DNS udp/53 with no connection after it */
  FC_DEMO_HTTPS_CACHED,  /* A -> W tcp/443 without a lookup */
  FC_DEMO_HTTP_CACHED,   /* lab host -> W tcp/80 without a lookup */
  FC_DEMO_NETBIOS_NS,    /* udp 137 -> subnet broadcast */
  FC_DEMO_NETBIOS_DGM,   /* udp 138 -> subnet broadcast */
  FC_DEMO_SSDP,          /* udp -> 239.255.255.250:1900 */
  FC_DEMO_MDNS,          /* udp 5353 -> 224.0.0.251:5353 */
  FC_DEMO_ICMP_ECHO,     /* echo request/reply between internal hosts */
  FC_DEMO_PRINT_JOB,     /* workstation -> printer tcp/9100 */
  FC_DEMO_INTERNET_SCAN, /* random internet host -> server subnet, single SYN */
  /* attack */
  FC_DEMO_PORT_SCAN, /* FC_DEMO_ATTACKER -> servers, SYN scan, label attack/portScan */
  FC_DEMO_N_BEHAVIOURS
} fc_demo_behaviour_id;

/* The behaviour table (static storage), *n set to FC_DEMO_N_BEHAVIOURS. */
const fc_demo_behaviour *fc_demo_behaviours(size_t *n);

/* Per-flow truth: the flow is row `row` of instance `instance` of behaviour `behaviour`.
 * Instances are numbered 0.. over the whole output in the order of their first flow; every
 * flow belongs to exactly one instance (a background flow is an instance of one row). */
typedef struct fc_demo_truth {
  uint32_t instance;
  uint16_t behaviour; /* fc_demo_behaviour_id */
  uint16_t row;
} fc_demo_truth;

/* ---------------------------------------------------------------- generation */

/* Appends the generated flows to out (initialised by fc_table_init), sorted by start time
 * among themselves, labelled (FC_DEMO_LABEL_*). Every flow starts inside
 * [start_us, start_us + days * 86400 s). */
fc_status fc_demo_generate(const fc_demo_options *o, fc_flow_table *out);

/* Same, and *truth receives a malloc'ed array (caller frees with free()) with one entry per
 * appended flow: truth[i] describes out row (rows before the call) + i. *n_instances, when not
 * NULL, receives the number of instances. */
fc_status fc_demo_generate_truth(const fc_demo_options *o, fc_flow_table *out,
                                 fc_demo_truth **truth, size_t *n_instances);

#endif
