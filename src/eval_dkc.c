/* Domain knowledge checks (DKC): the 21 rules of METRICS.md a plausible flow never breaks, and
 * the site description the site-specific rules (10-13) need, derived from the real training data
 * rather than from constants: its internal address ranges (configurable CIDR list), its DNS
 * servers, the web/mail services its internal hosts offer, and its mDNS group addresses.
 * Sets of addresses are string dictionaries keyed by the raw address bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_impl.h"
#include "flowchronicle/eval.h"

typedef struct cidr {
  fc_ip net;
  int len;
} cidr;

struct fc_eval_site {
  cidr *ranges;
  size_t n_ranges;
  fc_strdict *dns;      /* hosts that answer port 53 */
  fc_strdict *services; /* (internal host, port) for the web/mail ports */
  fc_strdict *mdns;     /* mDNS group addresses */
};

static const uint16_t udp_only[] = {53, 137, 138, 5353, 1900, 67, 3544, 8612, 3702, 123};
static const uint16_t tcp_only[] = {443, 80, 8000, 25, 993, 587, 445, 84, 8088, 8080};
static const uint16_t netbios_ssdp[] = {137, 138, 1900};
static const uint16_t web_mail[] = {80, 443, 8000, 25, 587};
static const uint16_t mail_dhcp[] = {993, 67};

#define IN_SET(port, set) in_set((port), (set), sizeof(set) / sizeof((set)[0]))

static bool in_set(uint16_t p, const uint16_t *set, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (set[i] == p) return true;
  return false;
}

static const char *const rule_names[FC_DKC_RULES] = {
    "TCP to a UDP-only service port",
    "UDP to a TCP-only service port",
    "destination port 0 on a protocol other than ICMP/IGMP",
    "ICMP with response bytes",
    "ICMP with response packets",
    "IGMP with bytes in either direction",
    "NetBIOS/SSDP with response bytes",
    "NetBIOS/SSDP with response packets",
    "NetBIOS/SSDP to a non-broadcast address",
    "web/mail port on an internal host not offering it",
    "IMAPS/DHCP server port to an external address",
    "DNS to a host that is not a DNS server of the site",
    "mDNS not to the mDNS group address",
    "TCP flags on a non-TCP flow",
    "forward packets x 42 > forward bytes",
    "backward packets x 42 > backward bytes",
    "forward bytes > 65535 x forward packets",
    "backward bytes > 65535 x backward packets",
    "negative duration",
    "zero duration with more than one packet",
    "non-zero duration with exactly one packet",
};

const char *fc_eval_dkc_rule_name(int rule) {
  return rule >= 0 && rule < FC_DKC_RULES ? rule_names[rule] : "?";
}

/* ---------------------------------------------------------------- addresses */

static void ip_key(const fc_ip *ip, uint8_t key[17]) {
  key[0] = ip->family;
  memcpy(key + 1, ip->addr, 16);
}

static fc_status set_add(fc_strdict *d, const fc_ip *ip) {
  uint8_t key[17];
  uint32_t id;
  ip_key(ip, key);
  return fc_strdict_intern(d, (const char *)key, sizeof key, &id);
}

static bool set_has(const fc_strdict *d, const fc_ip *ip) {
  uint8_t key[17];
  uint32_t id;
  ip_key(ip, key);
  return fc_strdict_find(d, (const char *)key, sizeof key, &id) == 0;
}

static void service_key(const fc_ip *ip, uint16_t port, uint8_t key[19]) {
  ip_key(ip, key);
  key[17] = (uint8_t)(port >> 8);
  key[18] = (uint8_t)port;
}

static bool is_multicast(const fc_ip *ip) {
  return (ip->family == 4 && (ip->addr[0] & 0xf0) == 0xe0) ||
         (ip->family == 6 && ip->addr[0] == 0xff);
}

/* Broadcast in the sense of rule 9: a directed broadcast (x.x.x.255), the limited broadcast, or
 * a multicast group (SSDP goes to 239.255.255.250). */
static bool is_broadcast(const fc_ip *ip) {
  return (ip->family == 4 && ip->addr[3] == 255) || is_multicast(ip);
}

static bool is_limited_broadcast(const fc_ip *ip) {
  return ip->family == 4 && ip->addr[0] == 255 && ip->addr[1] == 255 && ip->addr[2] == 255 &&
         ip->addr[3] == 255;
}

static bool in_cidr(const cidr *c, const fc_ip *ip) {
  if (c->net.family != ip->family) return false;
  int full = c->len / 8, rest = c->len % 8;
  if (memcmp(c->net.addr, ip->addr, (size_t)full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (c->net.addr[full] & mask) == (ip->addr[full] & mask);
}

bool fc_eval_site_is_internal(const fc_eval_site *s, const fc_ip *ip) {
  for (size_t i = 0; i < s->n_ranges; i++)
    if (in_cidr(&s->ranges[i], ip)) return true;
  return false;
}

static fc_status parse_cidrs(const char *list, cidr **out, size_t *n) {
  *out = NULL;
  *n = 0;
  size_t cap = 1;
  for (const char *p = list; *p; p++)
    cap += *p == ',';
  cidr *v;
  FC_CALL(fci_calloc(cap, sizeof *v, &v));
  size_t k = 0;
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    while (len > 0 && (*p == ' '))
      p++, len--;
    while (len > 0 && p[len - 1] == ' ')
      len--;
    if (len > 0) {
      const char *slash = memchr(p, '/', len);
      size_t alen = slash ? (size_t)(slash - p) : len;
      cidr c;
      int bits = -1;
      if (!fc_ip_parse(p, alen, &c.net)) {
        free(v);
        return FC_ERROR(FC_ERR_ARG, "bad address in CIDR '%.*s'", (int)len, p);
      }
      int maxbits = c.net.family == 4 ? 32 : 128;
      if (slash) {
        bits = 0;
        size_t i = alen + 1;
        if (i >= len) bits = -1;
        for (; i < len && bits >= 0; i++) {
          if (p[i] < '0' || p[i] > '9')
            bits = -1;
          else
            bits = bits * 10 + (p[i] - '0');
          if (bits > maxbits) bits = -1;
        }
      } else {
        bits = maxbits;
      }
      if (bits < 0) {
        free(v);
        return FC_ERROR(FC_ERR_ARG, "bad prefix length in CIDR '%.*s'", (int)len, p);
      }
      c.len = bits;
      /* Keep only the network bits so matching compares prefixes. */
      for (int b = bits; b < 128; b++)
        c.net.addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
      v[k++] = c;
    }
    if (!e) break;
    p = e + 1;
  }
  if (k == 0) {
    free(v);
    return FC_ERROR(FC_ERR_ARG, "empty internal address list");
  }
  *out = v;
  *n = k;
  return FC_OK;
}

/* ---------------------------------------------------------------- site */

void fc_eval_site_destroy(fc_eval_site **ps) {
  if (!ps || !*ps) return;
  fc_eval_site *s = *ps;
  free(s->ranges);
  fc_strdict_destroy(&s->dns);
  fc_strdict_destroy(&s->services);
  fc_strdict_destroy(&s->mdns);
  free(s);
  *ps = NULL;
}

fc_status fc_eval_site_create(const fc_flow_table *real, const char *internal_cidrs,
                              fc_eval_site **out) {
  *out = NULL;
  fc_eval_site *s;
  fc_strdict *sources = NULL;
  FC_CALL(fci_calloc(1, sizeof *s, &s));
  fc_status st = FC_OK;
  FC_CALL_GOTO(
      st,
      parse_cidrs(internal_cidrs && *internal_cidrs ? internal_cidrs : FC_EVAL_DEFAULT_INTERNAL,
                  &s->ranges, &s->n_ranges),
      fail);
  FC_CALL_GOTO(st, fc_strdict_create(&s->dns), fail);
  FC_CALL_GOTO(st, fc_strdict_create(&s->services), fail);
  FC_CALL_GOTO(st, fc_strdict_create(&s->mdns), fail);
  FC_CALL_GOTO(st, fc_strdict_create(&sources), fail);
  fc_ip g;
  fc_ip_from_v4(0xe00000fbu, &g); /* 224.0.0.251 */
  FC_CALL_GOTO(st, set_add(s->mdns, &g), fail);
  memset(&g, 0, sizeof g);
  g.family = 6;
  g.addr[0] = 0xff;
  g.addr[1] = 0x02;
  g.addr[15] = 0xfb; /* ff02::fb */
  FC_CALL_GOTO(st, set_add(s->mdns, &g), fail);
  for (size_t i = 0; i < real->n; i++)
    FC_CALL_GOTO(st, set_add(sources, &real->src_ip[i]), fail);
  for (size_t i = 0; i < real->n; i++) {
    const fc_ip *dst = &real->dst_ip[i];
    uint16_t dp = real->dst_port[i];
    /* A DNS server answers: the destination of a port-53 flow with a response, or the source of
     * a one-way response record. Not restricted to internal hosts: anonymised exports (CIDDS's
     * "DNS") and sites whose clients use outside resolvers are served by other addresses. */
    if (dp == 53 && (real->bwd_pkts[i] > 0 || real->bwd_bytes[i] > 0))
      FC_CALL_GOTO(st, set_add(s->dns, dst), fail);
    if (real->src_port[i] == 53 && dp != 53)
      FC_CALL_GOTO(st, set_add(s->dns, &real->src_ip[i]), fail);
    if (IN_SET(dp, web_mail) && fc_eval_site_is_internal(s, dst)) {
      uint8_t key[19];
      uint32_t id;
      service_key(dst, dp, key);
      FC_CALL_GOTO(st, fc_strdict_intern(s->services, (const char *)key, sizeof key, &id), fail);
    }
    /* mDNS groups of the site: multicast targets of port 5353, and targets that never send
     * anything (an anonymised group name such as CIDDS's 10008_251). */
    if (dp == 5353 && (is_multicast(dst) || !set_has(sources, dst)))
      FC_CALL_GOTO(st, set_add(s->mdns, dst), fail);
  }
  fc_strdict_destroy(&sources);
  *out = s;
  return FC_OK;
fail:
  fc_strdict_destroy(&sources);
  fc_eval_site_destroy(&s);
  return st;
}

void fc_eval_site_summary(const fc_eval_site *s, size_t *n_ranges, size_t *n_dns,
                          size_t *n_services, size_t *n_mdns) {
  if (n_ranges) *n_ranges = s->n_ranges;
  if (n_dns) *n_dns = fc_strdict_size(s->dns);
  if (n_services) *n_services = fc_strdict_size(s->services);
  if (n_mdns) *n_mdns = fc_strdict_size(s->mdns);
}

/* ---------------------------------------------------------------- rules */

static bool is_icmp(uint8_t proto) {
  return proto == FC_PROTO_ICMP || proto == FC_PROTO_ICMP6;
}

/* b > 65535 p without overflow: when 65535 p does not fit, it exceeds every b. */
static bool over_mtu(uint64_t b, uint64_t p) {
  return p <= UINT64_MAX / 65535 && b > 65535 * p;
}

int fc_eval_dkc_flow(const fc_eval_site *s, const fc_flow *f, bool v[FC_DKC_RULES]) {
  uint16_t dp = f->dst_port;
  uint64_t pkts = f->fwd_pkts + f->bwd_pkts;
  bool nb = IN_SET(dp, netbios_ssdp);
  v[0] = f->proto == FC_PROTO_TCP && IN_SET(dp, udp_only);
  v[1] = f->proto == FC_PROTO_UDP && IN_SET(dp, tcp_only);
  v[2] = dp == 0 && !is_icmp(f->proto) && f->proto != FC_PROTO_IGMP;
  v[3] = is_icmp(f->proto) && f->bwd_bytes > 0;
  v[4] = is_icmp(f->proto) && f->bwd_pkts > 0;
  v[5] = f->proto == FC_PROTO_IGMP && (f->fwd_bytes > 0 || f->bwd_bytes > 0);
  v[6] = nb && f->bwd_bytes > 0;
  v[7] = nb && f->bwd_pkts > 0;
  v[8] = nb && !is_broadcast(&f->dst_ip);
  v[9] = false;
  if (IN_SET(dp, web_mail) && fc_eval_site_is_internal(s, &f->dst_ip)) {
    uint8_t key[19];
    uint32_t id;
    service_key(&f->dst_ip, dp, key);
    v[9] = fc_strdict_find(s->services, (const char *)key, sizeof key, &id) != 0;
  }
  /* External: outside the site and not a link-local destination (limited broadcast, multicast),
   * so a DHCP discover to 255.255.255.255:67 is not "external". */
  v[10] = IN_SET(dp, mail_dhcp) && !fc_eval_site_is_internal(s, &f->dst_ip) &&
          !is_limited_broadcast(&f->dst_ip) && !is_multicast(&f->dst_ip);
  v[11] = dp == 53 && !set_has(s->dns, &f->dst_ip);
  v[12] = dp == 5353 && !set_has(s->mdns, &f->dst_ip);
  v[13] = f->proto != FC_PROTO_TCP && (f->flags & FCI_FLAGS_TEXT) != 0;
  /* Overflow-free forms of p * 42 > b and b > 65535 * p. */
  v[14] = f->fwd_pkts > f->fwd_bytes / 42;
  v[15] = f->bwd_pkts > f->bwd_bytes / 42;
  v[16] = over_mtu(f->fwd_bytes, f->fwd_pkts);
  v[17] = over_mtu(f->bwd_bytes, f->bwd_pkts);
  v[18] = f->duration_us < 0;
  v[19] = f->duration_us == 0 && pkts > 1;
  v[20] = f->duration_us > 0 && pkts == 1;
  int c = 0;
  for (int r = 0; r < FC_DKC_RULES; r++)
    c += v[r];
  return c;
}

fc_status fc_eval_dkc(const fc_eval_site *s, const fc_flow_table *t, const size_t *rows, size_t n,
                      double share[FC_DKC_RULES]) {
  if (!rows) n = t->n;
  size_t count[FC_DKC_RULES] = {0};
  for (size_t i = 0; i < n; i++) {
    size_t r = rows ? rows[i] : i;
    if (r >= t->n) return FC_ERROR(FC_ERR_ARG, "DKC: row %zu of a table of %zu", r, t->n);
    fc_flow f;
    fc_table_get(t, r, &f);
    bool v[FC_DKC_RULES];
    fc_eval_dkc_flow(s, &f, v);
    for (int k = 0; k < FC_DKC_RULES; k++)
      count[k] += v[k];
  }
  for (int k = 0; k < FC_DKC_RULES; k++)
    share[k] = n ? (double)count[k] / (double)n : NAN;
  return FC_OK;
}
