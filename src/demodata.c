/* The demo data generator: an office network's week of flows, with the planted behaviours and
 * the ground truth described in demodata.h and docs/demo-data.md.
 *
 * The output is cut into pieces, one per (day, actor), an actor being a host of the network, the
 * internet's scanners or the attacker. A piece draws only from its own Philox streams, keyed by
 * the seed and counted by (purpose, day, actor, index), and its flows are sorted among all
 * others by (start, piece, sequence in piece): the result is the same whatever order the pieces
 * are computed in. Rates and shapes are constants at the top, documented in docs/demo-data.md;
 * change both together. */
#include "flowchronicle/demodata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>

#define US_S INT64_C(1000000)
#define US_MS INT64_C(1000)
#define US_MIN (60 * US_S)
#define US_H (3600 * US_S)
#define US_DAY (24 * US_H)

#define V4(a, b, c, d)                                                                             \
  ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* ---------------------------------------------------------------- the network */

enum { H_DNS, H_MAIL, H_FILE, H_NTP, H_PRN200, H_PRN210, H_WS0 };
#define N_WS200 20 /* 192.168.200.10 .. .29 */
#define N_WS210 16 /* 192.168.210.10 .. .25 */
#define N_HOSTS (H_WS0 + N_WS200 + N_WS210)
#define A_INTERNET N_HOSTS
#define A_ATTACK (N_HOSTS + 1)
#define N_ACTORS (N_HOSTS + 2)

#define POOL_N 300    /* external web servers */
#define POOL_ZIPF 1.0 /* popularity exponent over the pool's ranks */
#define N_FAV 6       /* per-host favourite sites */
#define P_FAV 0.35    /* chance a visit goes to a favourite rather than a popular site */
#define N_PERSISTENT_SCANNERS 10

/* Fixed addresses; the text forms are in demodata.h. */
#define IP_DNS V4(192, 168, 100, 3)
#define IP_MAIL V4(192, 168, 100, 4)
#define IP_FILE V4(192, 168, 100, 5)
#define IP_NTP V4(192, 168, 100, 6)
#define IP_UPSTREAM_DNS V4(1, 1, 1, 1)
#define IP_UPSTREAM_NTP V4(162, 159, 200, 123)
#define IP_PUBLIC_DNS V4(8, 8, 8, 8)
#define IP_ATTACKER V4(192, 168, 210, 15)
#define IP_SSDP V4(239, 255, 255, 250)
#define IP_MDNS V4(224, 0, 0, 251)

/* Host roles that do not depend on the seed. */
static const uint32_t always_on_ws[] = {V4(192, 168, 200, 12), V4(192, 168, 200, 19),
                                        V4(192, 168, 200, 26), V4(192, 168, 210, 13),
                                        V4(192, 168, 210, 18), V4(192, 168, 210, 22)};
#define LAB_FIRST V4(192, 168, 210, 20) /* .20 .. .23 resolve through 8.8.8.8 */
#define LAB_LAST V4(192, 168, 210, 23)

/* ---------------------------------------------------------------- rates and shapes */

#define WEB_RATE_H 12.0    /* browsing events per hour of full activity */
#define P_LOOKUP 0.55      /* event starts with a DNS lookup (else a cache hit) */
#define P_LOOKUP_ONLY 0.12 /* lookup not followed by a connection */
#define P_TWICE 0.30       /* a second HTTPS connection to the same server */
#define P_FORWARD 0.25     /* internal resolver cache miss: it asks 1.1.1.1 */
#define P_LAB_LOOKUP 0.60  /* lab host event is the 8.8.8.8-then-HTTP example */
#define P_MAIL_SEND 0.10   /* a mail check followed by a submission */
#define FILE_RATE_H 2.0
#define P_FILE3 0.40
#define NTP_PERIOD_US (1024 * US_S)
#define NTP_JITTER_US (5 * US_S)
#define IDLE_LEVEL 0.03 /* activity of a powered machine whose user is away */
#define NBNS_RATE_H 0.5
#define NBDGM_PERIOD_US (60 * US_MIN)
#define SSDP_RATE_H 0.5
#define MDNS_RATE_H 0.3
#define ICMP_RATE_H 0.2
#define PRINT_RATE_H 0.25
#define PRINTER_SSDP_PERIOD_US (30 * US_MIN)
#define PRINTER_MDNS_PERIOD_US (20 * US_MIN)
#define SCAN_RATE_H 15.0
#define ATTACK_DAY 2
#define ATTACK_PORTS 250 /* per target, out of 1..1024 */

/* ---------------------------------------------------------------- random streams */

enum purpose {
  P_POOL = 1, /* address plan: keyed by a constant, not the seed */
  P_PROFILE,
  P_SCHED,
  P_WEB,
  P_MAIL,
  P_NTP,
  P_FILE,
  P_NOISE,
  P_SCAN,
  P_ATTACK
};
#define PLAN_KEY UINT64_C(0x466c6f774368726f) /* the address plan is the same for every seed */

typedef struct stream {
  philox4x32_key_t key;
  philox4x32_ctr_t ctr, out;
  int pos;
} stream;

static void stream_init(stream *s, uint64_t seed, uint32_t purpose, uint32_t day, uint32_t actor) {
  s->key.v[0] = (uint32_t)seed;
  s->key.v[1] = (uint32_t)(seed >> 32);
  s->ctr.v[0] = purpose;
  s->ctr.v[1] = day;
  s->ctr.v[2] = actor;
  s->ctr.v[3] = 0; /* the index */
  s->pos = 4;
}

static uint32_t next32(stream *s) {
  if (s->pos == 4) {
    s->out = philox4x32(s->ctr, s->key);
    s->ctr.v[3]++;
    s->pos = 0;
  }
  return s->out.v[s->pos++];
}

/* Uniform in [0, 1) with 53 random bits. */
static double u01(stream *s) {
  uint64_t a = next32(s);
  uint64_t b = next32(s);
  return (double)((a << 21) ^ (b >> 11)) * 0x1p-53;
}

static double unif(stream *s, double a, double b) {
  return a + (b - a) * u01(s);
}
static int chance(stream *s, double p) {
  return u01(s) < p;
}
static uint32_t below(stream *s, uint32_t n) {
  return (uint32_t)(((uint64_t)next32(s) * n) >> 32);
}

static double gauss(stream *s) {
  double u1 = 1.0 - u01(s); /* (0, 1] */
  double u2 = u01(s);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double lognorm(stream *s, double median, double sigma) {
  return median * exp(sigma * gauss(s));
}

static double clampd(double x, double lo, double hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

/* Seconds (double) to microseconds. */
static int64_t us_of(double seconds) {
  return (int64_t)llround(seconds * 1e6);
}

/* ---------------------------------------------------------------- network state */

enum role { R_SERVER, R_PRINTER, R_WS };

typedef struct host {
  uint32_t ip;
  int role;
  int always_on, lab;
  uint32_t bcast, printer;
  int64_t mail_period_us;
  uint16_t fav[N_FAV];
} host;

typedef struct net {
  host hosts[N_HOSTS];
  uint32_t pool[POOL_N];
  double pool_cdf[POOL_N];
  uint32_t scanners[N_PERSISTENT_SCANNERS];
} net;

/* First octets of public unicast space that hosts content (no private, shared, test or
 * multicast ranges can come out of these). */
static const uint8_t public_octets[] = {
    13,  23,  31,  34,  35,  37,  46,  52,  54,  62,  64,  66,  69,  74,  77,  78,  80,  81,
    82,  85,  87,  88,  89,  91,  93,  94,  95,  104, 107, 108, 130, 138, 139, 141, 142, 145,
    146, 151, 152, 157, 176, 178, 185, 188, 193, 194, 195, 207, 208, 209, 212, 213, 216, 217};

static uint32_t public_ip(stream *s) {
  uint32_t a = public_octets[below(s, sizeof public_octets)];
  uint32_t b = below(s, 256), c = below(s, 256), d = 1 + below(s, 254);
  return V4(a, b, c, d);
}

static int in_list(const uint32_t *v, size_t n, uint32_t x) {
  for (size_t i = 0; i < n; i++)
    if (v[i] == x) return 1;
  return 0;
}

static void net_build(net *nw, uint64_t seed) {
  memset(nw, 0, sizeof *nw);
  host *h = nw->hosts;
  h[H_DNS].ip = IP_DNS;
  h[H_MAIL].ip = IP_MAIL;
  h[H_FILE].ip = IP_FILE;
  h[H_NTP].ip = IP_NTP;
  for (int i = H_DNS; i <= H_NTP; i++)
    h[i].role = R_SERVER;
  h[H_PRN200].ip = V4(192, 168, 200, 250);
  h[H_PRN210].ip = V4(192, 168, 210, 250);
  for (int i = 0; i < N_WS200 + N_WS210; i++) {
    int sub = i < N_WS200 ? 200 : 210;
    h[H_WS0 + i].ip = V4(192, 168, sub, 10 + (i < N_WS200 ? i : i - N_WS200));
  }
  for (int i = 0; i < N_HOSTS; i++) {
    host *x = &h[i];
    if (i == H_PRN200 || i == H_PRN210) x->role = R_PRINTER;
    if (i >= H_WS0) x->role = R_WS;
    x->bcast = (x->ip & 0xffffff00u) | 0xffu;
    x->printer = ((x->ip >> 8) & 0xff) == 200 ? h[H_PRN200].ip : h[H_PRN210].ip;
    x->always_on = x->role != R_WS ||
                   in_list(always_on_ws, sizeof always_on_ws / sizeof always_on_ws[0], x->ip);
    x->lab = x->ip >= LAB_FIRST && x->ip <= LAB_LAST;
    /* 5, 10 or 15 minutes, by host number: a fixed role, documented per host. */
    x->mail_period_us = (5 + 5 * (int64_t)((x->ip & 0xff) % 3)) * US_MIN;
  }

  stream s;
  stream_init(&s, PLAN_KEY, P_POOL, 0, 0);
  for (int i = 0; i < POOL_N; i++) {
    uint32_t ip;
    do {
      ip = public_ip(&s);
    } while (in_list(nw->pool, (size_t)i, ip));
    nw->pool[i] = ip;
  }
  for (int i = 0; i < N_PERSISTENT_SCANNERS; i++) {
    uint32_t ip;
    do {
      ip = public_ip(&s);
    } while (in_list(nw->pool, POOL_N, ip) || in_list(nw->scanners, (size_t)i, ip));
    nw->scanners[i] = ip;
  }
  double sum = 0;
  for (int r = 0; r < POOL_N; r++)
    sum += pow(r + 1.0, -POOL_ZIPF);
  double acc = 0;
  for (int r = 0; r < POOL_N; r++) {
    acc += pow(r + 1.0, -POOL_ZIPF) / sum;
    nw->pool_cdf[r] = acc;
  }
  nw->pool_cdf[POOL_N - 1] = 1.0;

  /* Favourite sites make the server a host talks to depend on the host (the seed decides). */
  for (int i = 0; i < N_HOSTS; i++) {
    stream_init(&s, seed, P_PROFILE, 0, (uint32_t)i);
    for (int k = 0; k < N_FAV; k++) {
      uint16_t f;
      int dup;
      do {
        f = (uint16_t)below(&s, POOL_N);
        dup = 0;
        for (int j = 0; j < k; j++)
          dup |= h[i].fav[j] == f;
      } while (dup);
      h[i].fav[k] = f;
    }
  }
}

static uint32_t pick_site(const net *nw, const host *h, stream *s) {
  if (chance(s, P_FAV)) return nw->pool[h->fav[below(s, N_FAV)]];
  double u = u01(s);
  int lo = 0, hi = POOL_N - 1;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (nw->pool_cdf[mid] > u)
      hi = mid;
    else
      lo = mid + 1;
  }
  return nw->pool[lo];
}

/* ---------------------------------------------------------------- output records */

typedef struct rec {
  fc_flow f;
  uint32_t piece, seq, inst; /* inst: numbered inside the piece */
  uint16_t beh, row;
} rec;

typedef struct gen {
  const net *nw;
  const fc_demo_options *o;
  rec *v;
  size_t n, cap;
  uint32_t piece, seq, n_inst;
  int64_t day0, end; /* this day's start; the end of the whole period */
  uint32_t label_normal, label_attack;
  /* the instance being built */
  int beh, nrow;
  fc_flow pend[FC_DEMO_MAX_ROWS];
} gen;

static void inst_begin(gen *g, int beh) {
  g->beh = beh;
  g->nrow = 0;
}

static void inst_row(gen *g, const fc_flow *f) {
  if (g->nrow < FC_DEMO_MAX_ROWS) g->pend[g->nrow++] = *f;
}

/* Keeps the instance unless a row would start past the period (only at the very end). */
static fc_status inst_end(gen *g) {
  for (int r = 0; r < g->nrow; r++)
    if (g->pend[r].ts_us >= g->end) return FC_OK;
  if (g->n + (size_t)g->nrow > g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 65536;
    FC_CALL(fci_realloc(cap * sizeof *g->v, &g->v));
    g->cap = cap;
  }
  for (int r = 0; r < g->nrow; r++) {
    rec *x = &g->v[g->n++];
    x->f = g->pend[r];
    x->f.label = g->beh == FC_DEMO_PORT_SCAN ? g->label_attack : g->label_normal;
    x->piece = g->piece;
    x->seq = g->seq++;
    x->inst = g->n_inst;
    x->beh = (uint16_t)g->beh;
    x->row = (uint16_t)r;
  }
  g->n_inst++;
  return FC_OK;
}

static fc_status single(gen *g, int beh, const fc_flow *f) {
  inst_begin(g, beh);
  inst_row(g, f);
  return inst_end(g);
}

static fc_flow flow_base(int64_t ts, uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
                         uint16_t dport) {
  fc_flow f;
  memset(&f, 0, sizeof f);
  f.ts_us = ts;
  f.proto = proto;
  fc_ip_from_v4(src, &f.src_ip);
  fc_ip_from_v4(dst, &f.dst_ip);
  f.src_port = sport;
  f.dst_port = dport;
  return f;
}

/* A complete TCP conversation: handshake, `up` payload bytes from the client, `down` from the
 * server, FIN close. 52-byte headers (timestamps option), 1448-byte segments, delayed ACKs. */
static void tcp_conv(fc_flow *f, double up, double down, double seconds) {
  uint64_t u = (uint64_t)up, d = (uint64_t)down;
  uint64_t useg = (u + 1447) / 1448, dseg = (d + 1447) / 1448;
  f->fwd_pkts = 3 + useg + dseg / 2;
  f->bwd_pkts = 2 + dseg + useg / 2;
  f->fwd_bytes = 52 * f->fwd_pkts + 8 + u; /* +8: SYN options */
  f->bwd_bytes = 52 * f->bwd_pkts + 8 + d;
  f->flags = FC_TCP_ACK | FC_TCP_PSH | FC_TCP_SYN | FC_TCP_FIN;
  f->duration_us = us_of(seconds);
}

static void udp_pair(fc_flow *f, uint64_t q, uint64_t r, int64_t dur) {
  f->fwd_pkts = 1;
  f->fwd_bytes = q;
  f->bwd_pkts = r ? 1 : 0;
  f->bwd_bytes = r;
  f->duration_us = dur;
}

static uint16_t eph(stream *s, const host *h) {
  /* Windows workstations use the IANA range, the Linux lab hosts the Linux default. */
  if (h->lab) return (uint16_t)(32768 + below(s, 28232));
  return (uint16_t)(49152 + below(s, 16384));
}

static void https_conv(stream *s, fc_flow *f) {
  tcp_conv(f, 600 + lognorm(s, 1200, 0.6), 3000 + lognorm(s, 25000, 1.3),
           clampd(lognorm(s, 1.5, 1.2), 0.03, 300));
}

static void http_conv(stream *s, fc_flow *f) {
  tcp_conv(f, 200 + lognorm(s, 400, 0.4), 500 + lognorm(s, 15000, 1.3),
           clampd(lognorm(s, 0.8, 1.0), 0.01, 120));
}

/* 62 .. 84 bytes: headers, a name of 18 .. 40 characters, type and class. */
static uint64_t dns_query_bytes(stream *s) {
  return 62 + below(s, 23);
}

/* ---------------------------------------------------------------- workstation day */

typedef struct sched {
  int64_t on0, on1; /* powered during [on0, on1), offsets in the day; empty when off */
  int present;
  int64_t arrive, leave, lunch0, lunch1;
} sched;

static void make_sched(stream *s, const host *h, int weekday, sched *sc) {
  memset(sc, 0, sizeof *sc);
  int workday = weekday < 5;
  sc->present = chance(s, workday ? 0.92 : 0.04);
  if (sc->present) {
    if (workday) {
      double a = clampd(8.25 + gauss(s) * 35.0 / 60, 6.75, 10.5);
      double l = clampd(a + 8.75 + gauss(s) * 40.0 / 60, 15.5, 20.5);
      double l0 = 12.0 + unif(s, 0, 1.0);
      sc->arrive = us_of(a * 3600);
      sc->leave = us_of(l * 3600);
      sc->lunch0 = us_of(l0 * 3600);
      sc->lunch1 = sc->lunch0 + us_of(unif(s, 30, 60) * 60);
    } else {
      double a = unif(s, 10, 14);
      sc->arrive = us_of(a * 3600);
      sc->leave = sc->arrive + us_of(unif(s, 1, 4) * 3600);
      sc->lunch0 = sc->lunch1 = sc->leave;
    }
  }
  if (h->always_on) {
    sc->on0 = 0;
    sc->on1 = US_DAY;
  } else if (sc->present) {
    sc->on0 = sc->arrive - us_of(unif(s, 60, 240));
    sc->on1 = sc->leave + us_of(unif(s, 30, 180));
  }
}

/* User activity in [0, 1]: a morning ramp over 45 minutes, a lunch dip, a trickle of machine
 * traffic while the user is away and the machine is on. */
static double activity(const sched *sc, int64_t t) {
  if (t < sc->on0 || t >= sc->on1) return 0;
  if (!sc->present || t < sc->arrive || t >= sc->leave) return IDLE_LEVEL;
  double since_min = (double)(t - sc->arrive) / (double)US_MIN;
  double lv = since_min < 45 ? 0.4 + 0.6 * since_min / 45 : 1.0;
  if (t >= sc->lunch0 && t < sc->lunch1) lv = 0.2;
  return lv;
}

typedef struct tvec {
  int64_t *v;
  size_t n, cap;
} tvec;

static fc_status tvec_push(tvec *tv, int64_t t) {
  if (tv->n == tv->cap) {
    size_t cap = tv->cap ? tv->cap * 2 : 256;
    FC_CALL(fci_realloc(cap * sizeof *tv->v, &tv->v));
    tv->cap = cap;
  }
  tv->v[tv->n++] = t;
  return FC_OK;
}

/* Event times (offsets in the day) of a Poisson process with rate rate_h * activity(t) per
 * hour, by thinning; with sc NULL the rate is constant over [t0, t1). */
static fc_status poisson(stream *s, const sched *sc, int64_t t0, int64_t t1, double rate_h,
                         tvec *out) {
  out->n = 0;
  if (rate_h <= 0 || t1 <= t0) return FC_OK;
  double mean_gap_s = 3600.0 / rate_h;
  double t = (double)t0;
  for (;;) {
    t += -log(1.0 - u01(s)) * mean_gap_s * 1e6;
    if (t >= (double)t1) break;
    int64_t ti = (int64_t)t;
    if (sc && u01(s) >= activity(sc, ti)) continue;
    FC_CALL(tvec_push(out, ti));
  }
  return FC_OK;
}

/* One browsing event of a workstation at absolute time ts. */
static fc_status web_event(gen *g, stream *s, const host *h, int64_t ts) {
  const net *nw = g->nw;
  if (h->lab) {
    if (chance(s, P_LAB_LOOKUP)) {
      double rtt_ms = unif(s, 8, 30);
      fc_flow d = flow_base(ts, FC_PROTO_UDP, h->ip, eph(s, h), IP_PUBLIC_DNS, 53);
      uint64_t q = dns_query_bytes(s);
      udp_pair(&d, q, q + 16 * (1 + below(s, 3)), us_of(rtt_ms / 1e3));
      int64_t t1 = ts + d.duration_us + us_of(unif(s, 1, 10) / 1e3);
      fc_flow w = flow_base(t1, FC_PROTO_TCP, h->ip, eph(s, h), pick_site(nw, h, s), 80);
      http_conv(s, &w);
      inst_begin(g, FC_DEMO_PUBLIC_DNS_HTTP);
      inst_row(g, &d);
      inst_row(g, &w);
      return inst_end(g);
    }
    fc_flow w = flow_base(ts, FC_PROTO_TCP, h->ip, eph(s, h), pick_site(nw, h, s), 80);
    http_conv(s, &w);
    return single(g, FC_DEMO_HTTP_CACHED, &w);
  }
  if (!chance(s, P_LOOKUP)) {
    fc_flow w = flow_base(ts, FC_PROTO_TCP, h->ip, eph(s, h), pick_site(nw, h, s), 443);
    https_conv(s, &w);
    return single(g, FC_DEMO_HTTPS_CACHED, &w);
  }
  /* The lookup; on a cache miss the resolver asks upstream while the client waits. */
  fc_flow d = flow_base(ts, FC_PROTO_UDP, h->ip, eph(s, h), IP_DNS, 53);
  uint64_t q = dns_query_bytes(s);
  uint64_t r = q + 16 * (1 + below(s, 3));
  int forward = chance(s, P_FORWARD);
  fc_flow up;
  if (forward) {
    int64_t off = us_of(unif(s, 0.1e-3, 0.3e-3));
    int64_t rtt = us_of(unif(s, 8e-3, 35e-3));
    up = flow_base(ts + off, FC_PROTO_UDP, IP_DNS, (uint16_t)(1024 + below(s, 64512)),
                   IP_UPSTREAM_DNS, 53);
    udp_pair(&up, q, r, rtt);
    udp_pair(&d, q, r, off + rtt + us_of(unif(s, 0.1e-3, 0.5e-3)));
  } else {
    udp_pair(&d, q, r, us_of(unif(s, 0.15e-3, 1.2e-3)));
  }
  if (chance(s, P_LOOKUP_ONLY)) {
    FC_CALL(single(g, FC_DEMO_DNS_ONLY, &d));
  } else {
    int twice = chance(s, P_TWICE);
    uint32_t site = pick_site(nw, h, s);
    int64_t t1 = ts + d.duration_us + us_of(unif(s, 3e-3, 12e-3));
    fc_flow w1 = flow_base(t1, FC_PROTO_TCP, h->ip, eph(s, h), site, 443);
    https_conv(s, &w1);
    inst_begin(g, twice ? FC_DEMO_DNS_HTTPS_TWICE : FC_DEMO_DNS_HTTPS);
    inst_row(g, &d);
    inst_row(g, &w1);
    if (twice) {
      fc_flow w2 =
          flow_base(t1 + us_of(unif(s, 0.02, 1.5)), FC_PROTO_TCP, h->ip, eph(s, h), site, 443);
      https_conv(s, &w2);
      inst_row(g, &w2);
    }
    FC_CALL(inst_end(g));
  }
  if (forward) FC_CALL(single(g, FC_DEMO_DNS_FORWARD, &up));
  return FC_OK;
}

static fc_status ntp_sync(gen *g, stream *s, uint32_t src, int64_t ts) {
  int upstream = src == IP_NTP;
  fc_flow f = flow_base(ts, FC_PROTO_UDP, src, 123, upstream ? IP_UPSTREAM_NTP : IP_NTP, 123);
  udp_pair(&f, 76, 76, us_of(upstream ? unif(s, 4e-3, 25e-3) : unif(s, 0.2e-3, 1.5e-3)));
  return single(g, upstream ? FC_DEMO_NTP_UPSTREAM : FC_DEMO_NTP_SYNC, &f);
}

/* NTP polls every NTP_PERIOD_US (+- jitter) while the machine is on. */
static fc_status ntp_day(gen *g, int day, int hi, int64_t on0, int64_t on1, int from_boot) {
  stream s;
  stream_init(&s, g->o->seed, P_NTP, (uint32_t)day, (uint32_t)hi);
  int64_t t = from_boot ? on0 + us_of(unif(&s, 5, 60)) : on0 + us_of(u01(&s) * 1024);
  while (t < on1) {
    FC_CALL(ntp_sync(g, &s, g->nw->hosts[hi].ip, g->day0 + t));
    t += NTP_PERIOD_US + us_of(unif(&s, -5, 5));
  }
  return FC_OK;
}

static fc_status gen_workstation(gen *g, int day, int weekday, int hi, tvec *tv) {
  const host *h = &g->nw->hosts[hi];
  const double scale = g->o->scale;
  const uint64_t seed = g->o->seed;
  stream s;
  sched sc;
  stream_init(&s, seed, P_SCHED, (uint32_t)day, (uint32_t)hi);
  make_sched(&s, h, weekday, &sc);
  if (sc.on1 <= sc.on0) return FC_OK; /* switched off all day */

  stream_init(&s, seed, P_WEB, (uint32_t)day, (uint32_t)hi);
  FC_CALL(poisson(&s, &sc, sc.on0, sc.on1, WEB_RATE_H * scale, tv));
  for (size_t i = 0; i < tv->n; i++)
    FC_CALL(web_event(g, &s, h, g->day0 + tv->v[i]));

  /* The mail client polls while its user is at the desk. */
  if (sc.present) {
    stream_init(&s, seed, P_MAIL, (uint32_t)day, (uint32_t)hi);
    double period_s = (double)h->mail_period_us / 1e6;
    int64_t t = sc.arrive + us_of(unif(&s, 0, period_s));
    while (t < sc.leave) {
      int64_t ts = g->day0 + t;
      fc_flow m = flow_base(ts, FC_PROTO_TCP, h->ip, eph(&s, h), IP_MAIL, 993);
      tcp_conv(&m, 700 + lognorm(&s, 300, 0.4), 800 + lognorm(&s, 2000, 0.8),
               clampd(lognorm(&s, 0.4, 0.5), 0.04, 10));
      if (chance(&s, P_MAIL_SEND)) {
        fc_flow sm =
            flow_base(ts + us_of(unif(&s, 0.3, 5)), FC_PROTO_TCP, h->ip, eph(&s, h), IP_MAIL, 587);
        tcp_conv(&sm, 1500 + lognorm(&s, 30000, 1.2), 600 + lognorm(&s, 800, 0.3),
                 clampd(lognorm(&s, 1.2, 0.6), 0.1, 60));
        inst_begin(g, FC_DEMO_MAIL_SEND);
        inst_row(g, &m);
        inst_row(g, &sm);
        FC_CALL(inst_end(g));
      } else {
        FC_CALL(single(g, FC_DEMO_MAIL_CHECK, &m));
      }
      t += us_of(period_s + unif(&s, -20, 20));
    }
  }

  FC_CALL(ntp_day(g, day, hi, sc.on0, sc.on1, !h->always_on));

  stream_init(&s, seed, P_FILE, (uint32_t)day, (uint32_t)hi);
  FC_CALL(poisson(&s, &sc, sc.on0, sc.on1, FILE_RATE_H * scale, tv));
  for (size_t i = 0; i < tv->n; i++) {
    int n = chance(&s, P_FILE3) ? 3 : 2;
    int64_t ts = g->day0 + tv->v[i];
    inst_begin(g, n == 3 ? FC_DEMO_FILE_BURST3 : FC_DEMO_FILE_BURST2);
    for (int k = 0; k < n; k++) {
      if (k > 0) ts += us_of(unif(&s, 0.2, 4));
      fc_flow f = flow_base(ts, FC_PROTO_TCP, h->ip, eph(&s, h), IP_FILE, 445);
      tcp_conv(&f, 1000 + lognorm(&s, 3000, 1.0), 2000 + lognorm(&s, 60000, 1.5),
               clampd(lognorm(&s, 2, 1.2), 0.02, 600));
      inst_row(g, &f);
    }
    FC_CALL(inst_end(g));
  }

  /* Background: broadcasts and multicasts of a Windows desktop, pings, print jobs. */
  stream_init(&s, seed, P_NOISE, (uint32_t)day, (uint32_t)hi);
  if (!h->always_on) { /* name registration at boot */
    fc_flow f = flow_base(g->day0 + sc.on0 + us_of(unif(&s, 2, 20)), FC_PROTO_UDP, h->ip, 137,
                          h->bcast, 137);
    udp_pair(&f, 4 * 96, 0, us_of(unif(&s, 1.4, 1.6)));
    f.fwd_pkts = 4;
    FC_CALL(single(g, FC_DEMO_NETBIOS_NS, &f));
  }
  for (int64_t t = sc.on0 + us_of(unif(&s, 0, 3600)); t < sc.on1;
       t += NBDGM_PERIOD_US + us_of(unif(&s, -300, 300))) {
    fc_flow f = flow_base(g->day0 + t, FC_PROTO_UDP, h->ip, 138, h->bcast, 138);
    udp_pair(&f, 229 + below(&s, 15), 0, 0);
    FC_CALL(single(g, FC_DEMO_NETBIOS_DGM, &f));
  }
  FC_CALL(poisson(&s, NULL, sc.on0, sc.on1, NBNS_RATE_H, tv));
  for (size_t i = 0; i < tv->n; i++) {
    fc_flow f = flow_base(g->day0 + tv->v[i], FC_PROTO_UDP, h->ip, 137, h->bcast, 137);
    int n = 1 + (int)below(&s, 3); /* retries 0.75 s apart when nobody answers */
    udp_pair(&f, 78 * (uint64_t)n, 0, us_of(0.75 * (n - 1)));
    f.fwd_pkts = (uint64_t)n;
    FC_CALL(single(g, FC_DEMO_NETBIOS_NS, &f));
  }
  FC_CALL(poisson(&s, NULL, sc.on0, sc.on1, SSDP_RATE_H, tv));
  for (size_t i = 0; i < tv->n; i++) {
    fc_flow f = flow_base(g->day0 + tv->v[i], FC_PROTO_UDP, h->ip, eph(&s, h), IP_SSDP, 1900);
    int n = 2 + (int)below(&s, 3);
    udp_pair(&f, (uint64_t)n * (165 + below(&s, 20)), 0, us_of(1.0 * (n - 1)));
    f.fwd_pkts = (uint64_t)n;
    FC_CALL(single(g, FC_DEMO_SSDP, &f));
  }
  FC_CALL(poisson(&s, NULL, sc.on0, sc.on1, MDNS_RATE_H, tv));
  for (size_t i = 0; i < tv->n; i++) {
    fc_flow f = flow_base(g->day0 + tv->v[i], FC_PROTO_UDP, h->ip, 5353, IP_MDNS, 5353);
    udp_pair(&f, 70 + below(&s, 40), 0, 0);
    FC_CALL(single(g, FC_DEMO_MDNS, &f));
  }
  FC_CALL(poisson(&s, &sc, sc.on0, sc.on1, ICMP_RATE_H * scale, tv));
  for (size_t i = 0; i < tv->n; i++) {
    uint32_t dst =
        chance(&s, 0.5) ? IP_FILE : g->nw->hosts[H_WS0 + below(&s, N_WS200 + N_WS210)].ip;
    if (dst == h->ip) dst = IP_FILE;
    fc_flow f = flow_base(g->day0 + tv->v[i], FC_PROTO_ICMP, h->ip, 0, dst, 8 * 256);
    f.fwd_pkts = f.bwd_pkts = 4;
    f.fwd_bytes = f.bwd_bytes = 4 * 60;
    f.duration_us = 3 * US_S + us_of(unif(&s, 0.0002, 0.002));
    FC_CALL(single(g, FC_DEMO_ICMP_ECHO, &f));
  }
  FC_CALL(poisson(&s, &sc, sc.on0, sc.on1, PRINT_RATE_H * scale, tv));
  for (size_t i = 0; i < tv->n; i++) {
    fc_flow f = flow_base(g->day0 + tv->v[i], FC_PROTO_TCP, h->ip, eph(&s, h), h->printer, 9100);
    tcp_conv(&f, lognorm(&s, 400000, 1.0), 0, clampd(lognorm(&s, 5, 0.6), 0.5, 300));
    FC_CALL(single(g, FC_DEMO_PRINT_JOB, &f));
  }
  return FC_OK;
}

static fc_status gen_printer(gen *g, int day, int hi) {
  const host *h = &g->nw->hosts[hi];
  FC_CALL(ntp_day(g, day, hi, 0, US_DAY, 0));
  stream s;
  stream_init(&s, g->o->seed, P_NOISE, (uint32_t)day, (uint32_t)hi);
  /* Two timers with different periods, so that SSDP and mDNS do not pair up into a pattern. */
  for (int64_t t = us_of(unif(&s, 0, 1800)); t < US_DAY;
       t += PRINTER_SSDP_PERIOD_US + us_of(unif(&s, -60, 60))) {
    fc_flow f = flow_base(g->day0 + t, FC_PROTO_UDP, h->ip, 1900, IP_SSDP, 1900);
    udp_pair(&f, 3 * (uint64_t)(300 + below(&s, 40)), 0, us_of(unif(&s, 0.05, 0.3)));
    f.fwd_pkts = 3;
    FC_CALL(single(g, FC_DEMO_SSDP, &f));
  }
  for (int64_t t = us_of(unif(&s, 0, 1200)); t < US_DAY;
       t += PRINTER_MDNS_PERIOD_US + us_of(unif(&s, -60, 60))) {
    fc_flow m = flow_base(g->day0 + t, FC_PROTO_UDP, h->ip, 5353, IP_MDNS, 5353);
    udp_pair(&m, 2 * (uint64_t)(330 + below(&s, 60)), 0, us_of(unif(&s, 0.9, 1.1)));
    m.fwd_pkts = 2;
    FC_CALL(single(g, FC_DEMO_MDNS, &m));
  }
  return FC_OK;
}

/* Internet background radiation reaching the server subnet through the firewall. */
static const uint16_t scan_ports[] = {22,   22,   22,   23,   23,   80,   80,   443,  443,
                                      445,  3389, 3389, 8080, 21,   25,   1433, 3306, 5900,
                                      8443, 139,  135,  110,  143,  993,  587,  53,   6379,
                                      9200, 5432, 2323, 8888, 7547, 5060, 81,   8000};

static int port_open(uint32_t ip, uint16_t port) {
  switch (ip) {
  case IP_DNS:
    return port == 22 || port == 53;
  case IP_MAIL:
    return port == 22 || port == 25 || port == 587 || port == 993;
  case IP_FILE:
    return port == 22 || port == 139 || port == 445;
  case IP_NTP:
    return port == 22;
  default:
    return 0;
  }
}

static int host_exists(uint32_t ip) {
  return ip == IP_DNS || ip == IP_MAIL || ip == IP_FILE || ip == IP_NTP;
}

/* A SYN probe seen at the server side: no answer, a RST, or SYN-ACK then the prober's RST. */
static void syn_probe(stream *s, fc_flow *f) {
  uint32_t dst = ((uint32_t)f->dst_ip.addr[0] << 24) | ((uint32_t)f->dst_ip.addr[1] << 16) |
                 ((uint32_t)f->dst_ip.addr[2] << 8) | f->dst_ip.addr[3];
  if (!host_exists(dst)) {
    udp_pair(f, 44, 0, 0);
    f->flags = FC_TCP_SYN;
  } else if (port_open(dst, f->dst_port)) {
    f->fwd_pkts = 2;
    f->fwd_bytes = 44 + 40;
    f->bwd_pkts = 1;
    f->bwd_bytes = 44;
    f->flags = FC_TCP_SYN | FC_TCP_ACK | FC_TCP_RST;
    f->duration_us = us_of(unif(s, 0.2e-3, 0.8e-3));
  } else {
    udp_pair(f, 44, 40, us_of(unif(s, 0.05e-3, 0.5e-3)));
    f->flags = FC_TCP_SYN | FC_TCP_ACK | FC_TCP_RST;
  }
}

static fc_status gen_internet(gen *g, int day, tvec *tv) {
  stream s;
  stream_init(&s, g->o->seed, P_SCAN, (uint32_t)day, A_INTERNET);
  FC_CALL(poisson(&s, NULL, 0, US_DAY, SCAN_RATE_H * g->o->scale, tv));
  for (size_t i = 0; i < tv->n; i++) {
    uint32_t src =
        chance(&s, 0.2) ? g->nw->scanners[below(&s, N_PERSISTENT_SCANNERS)] : public_ip(&s);
    uint32_t dst = V4(192, 168, 100, 1 + below(&s, 20));
    uint16_t dport = scan_ports[below(&s, sizeof scan_ports / sizeof scan_ports[0])];
    uint32_t lo = dport < 1024 ? 1024 : (uint32_t)dport + 1;
    uint16_t sport = (uint16_t)(lo + below(&s, 65536 - lo));
    fc_flow f = flow_base(g->day0 + tv->v[i], FC_PROTO_TCP, src, sport, dst, dport);
    syn_probe(&s, &f);
    FC_CALL(single(g, FC_DEMO_INTERNET_SCAN, &f));
  }
  return FC_OK;
}

/* The planted attack: a SYN scan of 250 random ports of each server, one source port for the
 * whole scan (as nmap does), probes in random order about 40 ms apart. */
static fc_status gen_attack(gen *g, int day) {
  if (day != ATTACK_DAY) return FC_OK;
  stream s;
  stream_init(&s, g->o->seed, P_ATTACK, (uint32_t)day, A_ATTACK);
  static const uint32_t targets[] = {IP_DNS, IP_MAIL, IP_FILE, IP_NTP};
  enum { NT = sizeof targets / sizeof targets[0], NP = ATTACK_PORTS };
  uint16_t ports[1024];
  uint32_t probes[NT * NP];
  for (int k = 0; k < NT; k++) {
    for (int p = 0; p < 1024; p++)
      ports[p] = (uint16_t)(p + 1);
    for (int p = 0; p < NP; p++) { /* partial Fisher-Yates: NP distinct ports */
      int j = p + (int)below(&s, (uint32_t)(1024 - p));
      uint16_t tmp = ports[p];
      ports[p] = ports[j];
      ports[j] = tmp;
      probes[k * NP + p] = (uint32_t)k << 16 | ports[p];
    }
  }
  for (int i = NT * NP - 1; i > 0; i--) {
    int j = (int)below(&s, (uint32_t)(i + 1));
    uint32_t tmp = probes[i];
    probes[i] = probes[j];
    probes[j] = tmp;
  }
  uint16_t sport = (uint16_t)(40000 + below(&s, 20000));
  double t = 14 * 3600 + unif(&s, 0, 1800);
  for (int i = 0; i < NT * NP; i++) {
    t += -log(1.0 - u01(&s)) * 0.040;
    fc_flow f = flow_base(g->day0 + us_of(t), FC_PROTO_TCP, IP_ATTACKER, sport,
                          targets[probes[i] >> 16], (uint16_t)(probes[i] & 0xffff));
    syn_probe(&s, &f);
    FC_CALL(single(g, FC_DEMO_PORT_SCAN, &f));
  }
  return FC_OK;
}

static fc_status gen_piece(gen *g, int day, int weekday, int actor, tvec *tv) {
  if (actor == A_INTERNET) return gen_internet(g, day, tv);
  if (actor == A_ATTACK) return gen_attack(g, day);
  const host *h = &g->nw->hosts[actor];
  if (h->role == R_WS) return gen_workstation(g, day, weekday, actor, tv);
  if (h->role == R_PRINTER) return gen_printer(g, day, actor);
  return ntp_day(g, day, actor, 0, US_DAY, 0); /* servers (the NTP server syncs upstream) */
}

/* ---------------------------------------------------------------- sort and output */

static int rec_cmp(const void *a, const void *b) {
  const rec *x = a, *y = b;
  if (x->f.ts_us != y->f.ts_us) return x->f.ts_us < y->f.ts_us ? -1 : 1;
  if (x->piece != y->piece) return x->piece < y->piece ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

fc_demo_options fc_demo_options_default(void) {
  fc_demo_options o;
  o.seed = 1;
  o.days = 7;
  o.start_us = fc_days_from_civil(2024, 3, 4) * US_DAY;
  o.scale = 1.0;
  return o;
}

static fc_status check_options(const fc_demo_options *o) {
  if (!o) return FC_ERROR(FC_ERR_ARG, "demo data: no options");
  if (o->days < 1 || o->days > 3660)
    return FC_ERROR(FC_ERR_ARG, "demo data: days must be in 1..3660, got %d", o->days);
  if (!(o->scale > 0 && o->scale <= 100))
    return FC_ERROR(FC_ERR_ARG, "demo data: scale must be in (0, 100], got %g", o->scale);
  /* Year 1970 .. 9999, so that every time fits comfortably. */
  if (o->start_us < 0 || o->start_us > INT64_C(253402300799) * US_S)
    return FC_ERROR(FC_ERR_ARG, "demo data: start time out of range (1970 .. 9999)");
  return FC_OK;
}

fc_status fc_demo_generate_truth(const fc_demo_options *o, fc_flow_table *out,
                                 fc_demo_truth **truth, size_t *n_instances) {
  fc_status st = FC_OK;
  if (truth) *truth = NULL;
  if (n_instances) *n_instances = 0;
  FC_CALL(check_options(o));
  if (!out) return FC_ERROR(FC_ERR_ARG, "demo data: no output table");

  net *nw = NULL;
  uint32_t *inst_count = NULL, *dense = NULL;
  size_t *inst_off = NULL;
  fc_demo_truth *tr = NULL;
  tvec tv = {NULL, 0, 0};
  gen g;
  memset(&g, 0, sizeof g);
  size_t n_pieces = (size_t)o->days * N_ACTORS;

  FC_CALL_GOTO(st, fci_malloc(sizeof *nw, &nw), done);
  net_build(nw, o->seed);
  FC_CALL_GOTO(st, fci_calloc(n_pieces, sizeof *inst_count, &inst_count), done);
  FC_CALL_GOTO(st, fci_malloc((n_pieces + 1) * sizeof *inst_off, &inst_off), done);
  FC_CALL_GOTO(st,
               fc_table_intern_label(out, FC_DEMO_LABEL_NORMAL, strlen(FC_DEMO_LABEL_NORMAL),
                                     &g.label_normal),
               done);
  if (o->days > ATTACK_DAY)
    FC_CALL_GOTO(st,
                 fc_table_intern_label(out, FC_DEMO_LABEL_PORTSCAN, strlen(FC_DEMO_LABEL_PORTSCAN),
                                       &g.label_attack),
                 done);

  g.nw = nw;
  g.o = o;
  g.end = o->start_us + (int64_t)o->days * US_DAY;
  int64_t first_day = o->start_us / US_DAY; /* start_us >= 0: plain division is the floor */
  /* Every piece is independent of the others (own streams, own counters): this loop could run
   * in any order or in parallel. */
  for (int day = 0; day < o->days; day++) {
    int weekday = (int)((first_day + day + 3) % 7); /* 1970-01-01 was a Thursday; Monday = 0 */
    for (int a = 0; a < N_ACTORS; a++) {
      g.piece = (uint32_t)((size_t)day * N_ACTORS + (size_t)a);
      g.seq = 0;
      g.n_inst = 0;
      g.day0 = o->start_us + (int64_t)day * US_DAY;
      FC_CALL_GOTO(st, gen_piece(&g, day, weekday, a, &tv), done);
      inst_count[g.piece] = g.n_inst;
    }
  }
  if (g.n > UINT32_MAX) {
    st = FC_ERROR(FC_ERR_LIMIT, "demo data: %zu flows is too many", g.n);
    goto done;
  }
  qsort(g.v, g.n, sizeof *g.v, rec_cmp);

  /* Instances are numbered in the order of their first flow. */
  inst_off[0] = 0;
  for (size_t p = 0; p < n_pieces; p++)
    inst_off[p + 1] = inst_off[p] + inst_count[p];
  size_t n_inst = inst_off[n_pieces];
  FC_CALL_GOTO(st, fci_malloc((n_inst ? n_inst : 1) * sizeof *dense, &dense), done);
  for (size_t i = 0; i < n_inst; i++)
    dense[i] = UINT32_MAX;
  if (truth) FC_CALL_GOTO(st, fci_malloc((g.n ? g.n : 1) * sizeof *tr, &tr), done);
  uint32_t next = 0;
  for (size_t i = 0; i < g.n; i++) {
    size_t key = inst_off[g.v[i].piece] + g.v[i].inst;
    if (dense[key] == UINT32_MAX) dense[key] = next++;
    if (tr) {
      tr[i].instance = dense[key];
      tr[i].behaviour = g.v[i].beh;
      tr[i].row = g.v[i].row;
    }
  }

  FC_CALL_GOTO(st, fc_table_reserve(out, out->n + g.n), done);
  for (size_t i = 0; i < g.n; i++)
    FC_CALL_GOTO(st, fc_table_append(out, &g.v[i].f), done);
  if (truth) {
    *truth = tr;
    tr = NULL;
  }
  if (n_instances) *n_instances = next;

done:
  free(nw);
  free(inst_count);
  free(inst_off);
  free(dense);
  free(tr);
  free(tv.v);
  free(g.v);
  return st;
}

fc_status fc_demo_generate(const fc_demo_options *o, fc_flow_table *out) {
  FC_CALL(fc_demo_generate_truth(o, out, NULL, NULL));
  return FC_OK;
}

/* ---------------------------------------------------------------- the behaviour table */

#define APSF (FC_TCP_ACK | FC_TCP_PSH | FC_TCP_SYN | FC_TCP_FIN)
/* row with fixed destination, src free; later rows reuse row 0's source */
#define ROW0(proto, port, flags, src, dst)                                                         \
  { proto, port, flags, src, dst, -1, -1, 0, 0 }
#define ROWK(proto, port, flags, dst, dreuse, lo, hi)                                              \
  { proto, port, flags, NULL, dst, 0, dreuse, lo, hi }

static const fc_demo_behaviour behaviours[FC_DEMO_N_BEHAVIOURS] = {
    [FC_DEMO_DNS_HTTPS] = {"dns-https",
                           FC_DEMO_PLANTED,
                           FC_DEMO_LABEL_NORMAL,
                           "workstations except the lab hosts, while on; 4.1 per hour of full "
                           "activity",
                           2,
                           {ROW0(FC_PROTO_UDP, 53, 0, NULL, FC_DEMO_DNS_SERVER),
                            ROWK(FC_PROTO_TCP, 443, APSF, NULL, -1, 3 * US_MS, 50 * US_MS)}},
    [FC_DEMO_DNS_HTTPS_TWICE] = {"dns-https-twice",
                                 FC_DEMO_PLANTED,
                                 FC_DEMO_LABEL_NORMAL,
                                 "workstations except the lab hosts, while on; 1.7 per hour of "
                                 "full activity",
                                 3,
                                 {ROW0(FC_PROTO_UDP, 53, 0, NULL, FC_DEMO_DNS_SERVER),
                                  ROWK(FC_PROTO_TCP, 443, APSF, NULL, -1, 3 * US_MS, 50 * US_MS),
                                  ROWK(FC_PROTO_TCP, 443, APSF, NULL, 1, 20 * US_MS,
                                       1500 * US_MS)}},
    [FC_DEMO_MAIL_CHECK] = {"mail-check",
                            FC_DEMO_PLANTED,
                            FC_DEMO_LABEL_NORMAL,
                            "workstations while their user is present, every 5, 10 or 15 min "
                            "(by host) +- 20 s",
                            1,
                            {ROW0(FC_PROTO_TCP, 993, APSF, NULL, FC_DEMO_MAIL_SERVER)}},
    [FC_DEMO_MAIL_SEND] = {"mail-check-send",
                           FC_DEMO_PLANTED,
                           FC_DEMO_LABEL_NORMAL,
                           "10% of the mail checks",
                           2,
                           {ROW0(FC_PROTO_TCP, 993, APSF, NULL, FC_DEMO_MAIL_SERVER),
                            ROWK(FC_PROTO_TCP, 587, APSF, FC_DEMO_MAIL_SERVER, -1, 300 * US_MS,
                                 5 * US_S)}},
    [FC_DEMO_NTP_SYNC] = {"ntp-sync",
                          FC_DEMO_PLANTED,
                          FC_DEMO_LABEL_NORMAL,
                          "every machine but the NTP server, every 1024 +- 5 s while on",
                          1,
                          {ROW0(FC_PROTO_UDP, 123, 0, NULL, FC_DEMO_NTP_SERVER)}},
    [FC_DEMO_FILE_BURST2] = {"file-burst-2",
                             FC_DEMO_PLANTED,
                             FC_DEMO_LABEL_NORMAL,
                             "workstations while on; 1.2 per hour of full activity",
                             2,
                             {ROW0(FC_PROTO_TCP, 445, APSF, NULL, FC_DEMO_FILE_SERVER),
                              ROWK(FC_PROTO_TCP, 445, APSF, FC_DEMO_FILE_SERVER, -1, 200 * US_MS,
                                   4 * US_S)}},
    [FC_DEMO_FILE_BURST3] =
        {"file-burst-3",
         FC_DEMO_PLANTED,
         FC_DEMO_LABEL_NORMAL,
         "workstations while on; 0.8 per hour of full activity",
         3,
         {ROW0(FC_PROTO_TCP, 445, APSF, NULL, FC_DEMO_FILE_SERVER),
          ROWK(FC_PROTO_TCP, 445, APSF, FC_DEMO_FILE_SERVER, -1, 200 * US_MS, 4 * US_S),
          ROWK(FC_PROTO_TCP, 445, APSF, FC_DEMO_FILE_SERVER, -1, 200 * US_MS, 4 * US_S)}},
    [FC_DEMO_PUBLIC_DNS_HTTP] = {"public-dns-http",
                                 FC_DEMO_PLANTED,
                                 FC_DEMO_LABEL_NORMAL,
                                 "the lab hosts 192.168.210.20-23 only, 7.2 per hour of full "
                                 "activity",
                                 2,
                                 {ROW0(FC_PROTO_UDP, 53, 0, NULL, FC_DEMO_PUBLIC_DNS),
                                  ROWK(FC_PROTO_TCP, 80, APSF, NULL, -1, 5 * US_MS, 50 * US_MS)}},
    [FC_DEMO_DNS_FORWARD] = {"dns-forward",
                             FC_DEMO_BACKGROUND,
                             FC_DEMO_LABEL_NORMAL,
                             "the DNS server, on 25% of client lookups (cache misses), "
                             "0.1-0.3 ms after the client's query",
                             1,
                             {ROW0(FC_PROTO_UDP, 53, 0, FC_DEMO_DNS_SERVER, FC_DEMO_UPSTREAM_DNS)}},
    [FC_DEMO_NTP_UPSTREAM] = {"ntp-upstream",
                              FC_DEMO_BACKGROUND,
                              FC_DEMO_LABEL_NORMAL,
                              "the NTP server, every 1024 +- 5 s",
                              1,
                              {ROW0(FC_PROTO_UDP, 123, 0, FC_DEMO_NTP_SERVER,
                                    FC_DEMO_UPSTREAM_NTP)}},
    [FC_DEMO_DNS_ONLY] = {"dns-only",
                          FC_DEMO_BACKGROUND,
                          FC_DEMO_LABEL_NORMAL,
                          "workstations: 12% of lookups are not followed by a connection",
                          1,
                          {ROW0(FC_PROTO_UDP, 53, 0, NULL, FC_DEMO_DNS_SERVER)}},
    [FC_DEMO_HTTPS_CACHED] = {"https-cached",
                              FC_DEMO_BACKGROUND,
                              FC_DEMO_LABEL_NORMAL,
                              "workstations except the lab hosts: 45% of browsing events "
                              "(name already cached)",
                              1,
                              {ROW0(FC_PROTO_TCP, 443, APSF, NULL, NULL)}},
    [FC_DEMO_HTTP_CACHED] = {"http-cached",
                             FC_DEMO_BACKGROUND,
                             FC_DEMO_LABEL_NORMAL,
                             "the lab hosts: 40% of their browsing events",
                             1,
                             {ROW0(FC_PROTO_TCP, 80, APSF, NULL, NULL)}},
    [FC_DEMO_NETBIOS_NS] = {"netbios-ns",
                            FC_DEMO_BACKGROUND,
                            FC_DEMO_LABEL_NORMAL,
                            "workstations: registration at boot, queries 0.5 per hour while on",
                            1,
                            {ROW0(FC_PROTO_UDP, 137, 0, NULL, NULL)}},
    [FC_DEMO_NETBIOS_DGM] = {"netbios-dgm",
                             FC_DEMO_BACKGROUND,
                             FC_DEMO_LABEL_NORMAL,
                             "workstations: browser announcement every 60 +- 5 min while on",
                             1,
                             {ROW0(FC_PROTO_UDP, 138, 0, NULL, NULL)}},
    [FC_DEMO_SSDP] = {"ssdp",
                      FC_DEMO_BACKGROUND,
                      FC_DEMO_LABEL_NORMAL,
                      "workstations M-SEARCH 0.5 per hour while on; printers NOTIFY every "
                      "30 +- 1 min",
                      1,
                      {ROW0(FC_PROTO_UDP, 1900, 0, NULL, "239.255.255.250")}},
    [FC_DEMO_MDNS] = {"mdns",
                      FC_DEMO_BACKGROUND,
                      FC_DEMO_LABEL_NORMAL,
                      "workstations 0.3 queries per hour while on; printers announce every "
                      "20 +- 1 min",
                      1,
                      {ROW0(FC_PROTO_UDP, 5353, 0, NULL, "224.0.0.251")}},
    [FC_DEMO_ICMP_ECHO] = {"icmp-echo",
                           FC_DEMO_BACKGROUND,
                           FC_DEMO_LABEL_NORMAL,
                           "workstations ping the file server or another workstation, 0.2 per "
                           "hour of full activity",
                           1,
                           {ROW0(FC_PROTO_ICMP, 8 * 256, 0, NULL, NULL)}},
    [FC_DEMO_PRINT_JOB] = {"print-job",
                           FC_DEMO_BACKGROUND,
                           FC_DEMO_LABEL_NORMAL,
                           "workstations to their subnet's printer, 0.25 per hour of full "
                           "activity",
                           1,
                           {ROW0(FC_PROTO_TCP, 9100, APSF, NULL, NULL)}},
    [FC_DEMO_INTERNET_SCAN] = {"internet-scan",
                               FC_DEMO_BACKGROUND,
                               FC_DEMO_LABEL_NORMAL,
                               "random internet hosts probe 192.168.100.1-20, 15 per hour, "
                               "day and night",
                               1,
                               {ROW0(FC_PROTO_TCP, 0, -1, NULL, NULL)}},
    [FC_DEMO_PORT_SCAN] = {"port-scan",
                           FC_DEMO_ATTACK,
                           FC_DEMO_LABEL_PORTSCAN,
                           "192.168.210.15 on the third day from 14:00-14:30: 250 ports of each "
                           "of the 4 servers",
                           1,
                           {ROW0(FC_PROTO_TCP, 0, FC_TCP_ACK | FC_TCP_RST | FC_TCP_SYN,
                                 FC_DEMO_ATTACKER, NULL)}},
};

const fc_demo_behaviour *fc_demo_behaviours(size_t *n) {
  if (n) *n = FC_DEMO_N_BEHAVIOURS;
  return behaviours;
}
