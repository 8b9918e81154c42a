// fm-capture's forward mode: decode, mirror filter, segment sizes, super-frame cutting, VXLAN and
// sendmmsg. A port of src/frame-encapsulator.ts (with wire's FrameDecoder, FlowKey and checksum
// helpers) and src/tcp-segment-sizes.ts that must give the same datagrams byte for byte, from the same
// sockets (the flow hash picks one of them as FlowKey.hash(0) % sockets does); the comments name the
// TypeScript each part mirrors. Frames it does not decode the simple way go back to TypeScript.
#define _GNU_SOURCE
#include "fm-forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_RULES 512
#define MAX_TASK_ADDRESSES 64
#define MAX_SOCKETS 1024
#define BATCH 64         /* messages per sendmmsg */
#define SEGMENTS 256     /* datagrams per batch: a UDP GSO message carries up to GSO_SEGMENTS of them */
#define GSO_SEGMENTS 64  /* UDP_MAX_SEGMENTS of older kernels */
#define GSO_BYTES 65000  /* UDP payload of one GSO message at most (65507 for IPv4) */
/* VXLAN 8 + Ethernet with four VLAN tags 30 + IPv4 header 60 + TCP header 60 */
#define HEADER_SCRATCH 160
#define SEGMENT_TABLE 4096 /* TCP_SEGMENT_TABLE_SIZE */
#define MIN_OBSERVED_MSS 536
#define MIN_SEGMENT_PAYLOAD 64
#define TCP 6
#define UDP 17

struct cidr {
  int version; /* 4 or 6 */
  uint32_t words[4];
  int prefix128;
};
struct rule {
  int accept, protocol, src_from, src_to, dst_from, dst_to; /* -1: any */
  struct cidr src, dst;
};

/* The datagrams waiting for one socket's next sendmmsg. Each datagram is two iovecs (headers,
   payload); a message is one datagram, or several cut from one super-frame sent as one UDP GSO
   message (UDP_SEGMENT: the kernel cuts it into datagrams of gso_size, the same datagrams as separate
   sends, for one pass through the stack). */
struct batch {
  struct mmsghdr msgs[BATCH];
  unsigned segments[BATCH]; /* datagrams in each message */
  /* For a message of whole frames (emit_whole): the length of each of its datagrams, which the next
     datagram of the same length may join (0: a message of cut segments, closed). */
  unsigned joinable[BATCH];
  union {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } control[BATCH];
  struct iovec iov[SEGMENTS * 2];
  uint8_t scratch[SEGMENTS][HEADER_SCRATCH];
  unsigned count, used; /* messages, datagrams */
};

static struct {
  unsigned vni, max_inner, interface_mtu, packet_length, frame_limit;
  int truncate_superframes, split_oversize, gso;
  struct rule ingress[MAX_RULES], egress[MAX_RULES];
  unsigned n_ingress, n_egress;
  uint32_t task[MAX_TASK_ADDRESSES][4];
  unsigned n_task;
  struct sockaddr_storage to;
  socklen_t to_length;
  int family;
  unsigned n_sockets;
  int fds[MAX_SOCKETS];
  struct batch *batches;
  FILE *test_output;
  uint8_t vxlan[8];
} cfg;

/* The names are ForwarderStats' own: the forwarder adds them to its counters. */
#define COUNTERS(X)                                                                                \
  X(framesCaptured) X(bytesCaptured) X(framesFilteredOut) X(framesIngress) X(framesEgress)           \
  X(superframes) X(framesSegmentedTcp) X(framesSplitUdp) X(superframesCutAtConnectionMss)           \
  X(segmentsCreated) X(superframesTruncated) X(oversizeTruncated) X(packetLengthTruncated)          \
  X(checksumsWritten) X(datagramsQueued) X(datagramsSent) X(bytesSent) X(sendErrors)                \
  X(framesToTypeScript) X(sendBatches) X(gsoSends)
#define DECLARE(name) unsigned long long name;
static struct { COUNTERS(DECLARE) } st;

/* ---- configuration ---------------------------------------------------------------------------- */

static void bad_config(const char *path, unsigned line, const char *what) {
  fprintf(stderr, "fm-capture: config %s line %u: %s\n", path, line, what);
  exit(2);
}

static int read_cidr(const char *text, struct cidr *c) {
  return sscanf(text, "%d %u %u %u %u %d", &c->version, &c->words[0], &c->words[1], &c->words[2],
                &c->words[3], &c->prefix128) == 6;
}

static void open_sockets(const unsigned *ports) {
  for (unsigned i = 0; i < cfg.n_sockets; i++) {
    int fd = socket(cfg.family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
      perror("fm-capture: socket(UDP)");
      exit(1);
    }
    int one = 1, sndbuf = 4 * 1024 * 1024;
    /* The forwarder's own sockets hold these ports (SO_REUSEPORT on both sides): a flow leaves
       from the same port whichever path encapsulates it. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf); /* capped by wmem_max */
    struct sockaddr_storage local = {0};
    socklen_t length;
    if (cfg.family == 6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&local;
      a->sin6_family = AF_INET6;
      a->sin6_port = htons((uint16_t)ports[i]);
      length = sizeof *a;
    } else {
      struct sockaddr_in *a = (struct sockaddr_in *)&local;
      a->sin_family = AF_INET;
      a->sin_port = htons((uint16_t)ports[i]);
      length = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&local, length) < 0) {
      fprintf(stderr, "fm-capture: binding UDP source port %u: %s\n", ports[i], strerror(errno));
      exit(1);
    }
    /* Connected: the kernel keeps the route and the neighbour for the socket, where an address on
       every message costs a route lookup per datagram (measured: a tenth of the sidecar's own cost). */
    if (connect(fd, (struct sockaddr *)&cfg.to, cfg.to_length) < 0) {
      fprintf(stderr, "fm-capture: connecting the UDP socket to the target: %s\n", strerror(errno));
      exit(1);
    }
    cfg.fds[i] = fd;
  }
}

void fwd_configure(const char *path, FILE *test_output) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "fm-capture: config %s: %s\n", path, strerror(errno));
    exit(2);
  }
  static unsigned ports[MAX_SOCKETS];
  char line[512], key[32], dir[16];
  unsigned n = 0, have_to = 0;
  cfg.test_output = test_output;
  cfg.gso = 1;
  while (fgets(line, sizeof line, f) != NULL) {
    n++;
    int used = 0;
    if (line[0] == '\n' || line[0] == '#') continue;
    if (sscanf(line, "%31s %n", key, &used) != 1) bad_config(path, n, "no key");
    const char *rest = line + used;
    unsigned v = 0;
    if (strcmp(key, "rule") == 0) {
      struct rule r;
      int a = 0;
      if (sscanf(rest, "%15s %d %d %d %d %d %d %n", dir, &r.accept, &r.protocol, &r.src_from, &r.src_to,
                 &r.dst_from, &r.dst_to, &a) != 7 ||
          !read_cidr(rest + a, &r.src))
        bad_config(path, n, "rule: direction accept protocol ports, then two CIDRs");
      /* skip the six numbers of the source CIDR */
      const char *p = rest + a;
      for (int k = 0; k < 6; k++) {
        while (*p == ' ') p++;
        while (*p != ' ' && *p != '\0') p++;
      }
      if (!read_cidr(p, &r.dst)) bad_config(path, n, "rule: destination CIDR");
      int ingress = strcmp(dir, "ingress") == 0;
      if (!ingress && strcmp(dir, "egress") != 0) bad_config(path, n, "rule: ingress or egress");
      unsigned *count = ingress ? &cfg.n_ingress : &cfg.n_egress;
      if (*count == MAX_RULES) bad_config(path, n, "too many rules");
      (ingress ? cfg.ingress : cfg.egress)[(*count)++] = r;
    } else if (strcmp(key, "task") == 0) {
      if (cfg.n_task == MAX_TASK_ADDRESSES) bad_config(path, n, "too many task addresses");
      uint32_t *w = cfg.task[cfg.n_task++];
      if (sscanf(rest, "%u %u %u %u", &w[0], &w[1], &w[2], &w[3]) != 4) bad_config(path, n, "task: four words");
    } else if (strcmp(key, "to") == 0) {
      char address[64];
      unsigned port;
      if (sscanf(rest, "%d %63s %u", &cfg.family, address, &port) != 3) bad_config(path, n, "to: family address port");
      memset(&cfg.to, 0, sizeof cfg.to);
      if (cfg.family == 6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&cfg.to;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, address, &a->sin6_addr) != 1) bad_config(path, n, "to: bad IPv6 address");
        cfg.to_length = sizeof *a;
      } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&cfg.to;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, address, &a->sin_addr) != 1) bad_config(path, n, "to: bad IPv4 address");
        cfg.to_length = sizeof *a;
      }
      have_to = 1;
    } else if (strcmp(key, "source-port") == 0) {
      if (cfg.n_sockets == MAX_SOCKETS || sscanf(rest, "%u", &ports[cfg.n_sockets]) != 1)
        bad_config(path, n, "source-port: a port (at most 1024)");
      cfg.n_sockets++;
    } else if (sscanf(rest, "%u", &v) == 1) {
      if (strcmp(key, "vni") == 0) cfg.vni = v;
      else if (strcmp(key, "max-inner-frame") == 0) cfg.max_inner = v;
      else if (strcmp(key, "interface-mtu") == 0) cfg.interface_mtu = v;
      else if (strcmp(key, "packet-length") == 0) cfg.packet_length = v;
      else if (strcmp(key, "truncate-superframes") == 0) cfg.truncate_superframes = v != 0;
      else if (strcmp(key, "split-oversize") == 0) cfg.split_oversize = v != 0;
      else if (strcmp(key, "udp-gso") == 0) cfg.gso = v != 0;
      else bad_config(path, n, "unknown key");
    } else {
      bad_config(path, n, "unknown key or missing value");
    }
  }
  fclose(f);
  if (!have_to || cfg.n_sockets == 0 || cfg.max_inner == 0 || cfg.interface_mtu == 0)
    bad_config(path, n, "needs to, source-port, max-inner-frame and interface-mtu");
  cfg.frame_limit = cfg.max_inner;
  if (cfg.packet_length != 0 && cfg.packet_length < cfg.frame_limit) cfg.frame_limit = cfg.packet_length;
  cfg.vxlan[0] = 0x08; /* encodeVxlanHeader: the I flag, the VNI in bytes 4-6 */
  cfg.vxlan[4] = (uint8_t)(cfg.vni >> 16);
  cfg.vxlan[5] = (uint8_t)(cfg.vni >> 8);
  cfg.vxlan[6] = (uint8_t)cfg.vni;
  cfg.batches = calloc(cfg.n_sockets, sizeof *cfg.batches);
  if (cfg.batches == NULL) {
    perror("fm-capture: calloc");
    exit(1);
  }
  if (test_output == NULL) open_sockets(ports);
}

/* ---- decoding (FrameDecoder, for the frames this path takes) ---------------------------------- */

struct decoded {
  unsigned l3, ip_length, ip_header, l4, captured_end, protocol, ip_version;
  uint32_t words[8]; /* source then destination, IPv4 as ::ffff:a.b.c.d */
  int has_ports, one_way;
  unsigned src_port, dst_port;
  /* TCP */
  uint32_t seq;
  unsigned tcp_header, flags, tcp_payload;
  /* UDP */
  unsigned udp_length, udp_checksum;
  unsigned ipv4_id;
};

static inline unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static inline uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* icmpPorts: Community ID's request/response counterparts; -1 none (the message is one-way) */
static int icmp_counterpart(unsigned protocol, unsigned type) {
  static const int v4[][2] = {{8, 0}, {13, 14}, {15, 16}, {10, 9}, {17, 18}};
  static const int v6[][2] = {{128, 129}, {133, 134}, {135, 136}, {130, 131}, {144, 145}};
  const int(*t)[2] = protocol == 58 ? v6 : v4;
  for (int i = 0; i < 5; i++) {
    if ((unsigned)t[i][0] == type) return t[i][1];
    if ((unsigned)t[i][1] == type) return t[i][0];
  }
  return -1;
}

/* 1 when the frame is one this path handles: Ethernet (up to four VLAN tags), IPv4 or IPv6 without
   extension headers, not a fragment, transport header complete and consistent. */
static int decode(const uint8_t *f, unsigned end, struct decoded *d) {
  if (end < 14) return 0;
  unsigned p = 12, type = be16(f + 12), tags = 0;
  while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
    if (p + 6 > end || tags == 4) return 0;
    tags++;
    p += 4;
    type = be16(f + p);
  }
  unsigned l3 = p + 2, segment;
  d->l3 = l3;
  d->has_ports = 0;
  d->one_way = 0;
  if (type == 0x0800) {
    if (end - l3 < 20 || f[l3] >> 4 != 4) return 0;
    unsigned hl = (f[l3] & 0x0f) * 4u, total = be16(f + l3 + 2);
    if (hl < 20 || end - l3 < hl || total < hl) return 0;
    if ((be16(f + l3 + 6) & 0x3fff) != 0) return 0; /* a fragment */
    d->ip_version = 4;
    d->ip_length = total;
    d->ip_header = hl;
    d->protocol = f[l3 + 9];
    d->ipv4_id = be16(f + l3 + 4);
    d->words[0] = d->words[1] = d->words[4] = d->words[5] = 0;
    d->words[2] = d->words[6] = 0xffff;
    d->words[3] = be32(f + l3 + 12);
    d->words[7] = be32(f + l3 + 16);
    segment = total - hl;
  } else if (type == 0x86dd) {
    if (end - l3 < 40 || f[l3] >> 4 != 6) return 0;
    unsigned next = f[l3 + 6];
    if (next == 0 || next == 43 || next == 44 || next == 51 || next == 60 || next == 135 || next == 139 ||
        next == 140)
      return 0; /* extension headers: the TypeScript path walks them */
    d->ip_version = 6;
    segment = be16(f + l3 + 4);
    d->ip_length = segment + 40;
    d->ip_header = 40;
    d->protocol = next;
    for (int i = 0; i < 4; i++) {
      d->words[i] = be32(f + l3 + 8 + i * 4);
      d->words[4 + i] = be32(f + l3 + 24 + i * 4);
    }
  } else {
    return 0; /* not IP: counted by the TypeScript path */
  }
  unsigned l4 = l3 + d->ip_header;
  unsigned ce = l3 + d->ip_length < end ? l3 + d->ip_length : end;
  d->l4 = l4;
  d->captured_end = ce;
  if (d->protocol == TCP) {
    if (ce < l4 + 14) return 0;
    unsigned hl = (f[l4 + 12] >> 4) * 4u;
    if (hl < 20 || l4 + hl > ce) return 0;
    d->src_port = be16(f + l4);
    d->dst_port = be16(f + l4 + 2);
    d->has_ports = 1;
    d->seq = be32(f + l4 + 4);
    d->tcp_header = hl;
    d->flags = f[l4 + 13];
    d->tcp_payload = segment > hl ? segment - hl : 0;
  } else if (d->protocol == UDP) {
    if (ce < l4 + 8) return 0;
    d->udp_length = be16(f + l4 + 4);
    d->udp_checksum = be16(f + l4 + 6);
    if (d->udp_length < 8 || d->udp_length > segment) return 0;
    d->src_port = be16(f + l4);
    d->dst_port = be16(f + l4 + 2);
    d->has_ports = 1;
  } else if (d->protocol == 1 || d->protocol == 58) {
    if (ce >= l4 + 2) {
      unsigned t = f[l4], code = f[l4 + 1];
      int other = icmp_counterpart(d->protocol, t);
      d->src_port = t;
      d->dst_port = other >= 0 ? (unsigned)other : code;
      d->one_way = other < 0;
      d->has_ports = 1;
    }
  }
  return 1;
}

/* ---- the flow key and its hash (FlowKey.set, hashFlowKey) --------------------------------------- */

static inline uint32_t rotl(uint32_t x, int r) { return x << r | x >> (32 - r); }

static uint32_t flow_hash(const struct decoded *d, int *src_is_a) {
  const uint32_t *w = d->words;
  unsigned sp = d->has_ports ? d->src_port : 0, dp = d->has_ports ? d->dst_port : 0;
  int cmp = 0;
  for (int i = 0; i < 4 && cmp == 0; i++)
    if (w[i] != w[4 + i]) cmp = w[i] < w[4 + i] ? -1 : 1;
  if (cmp == 0) cmp = (int)sp - (int)dp;
  int a_first = cmp <= 0;
  *src_is_a = a_first;
  uint32_t key[10];
  const uint32_t *a = a_first ? w : w + 4, *b = a_first ? w + 4 : w;
  memcpy(key, a, 16);
  memcpy(key + 4, b, 16);
  key[8] = a_first ? (sp << 16 | dp) : (dp << 16 | sp);
  key[9] = d->protocol | d->ip_version << 8 | (d->one_way ? 1u << 12 : 0);
  uint32_t h = (0u ^ 0x9e3779b9u) * 0x85ebca6bu;
  for (int i = 0; i < 10; i++) {
    h = (h ^ key[i]) * 0xcc9e2d51u;
    h = rotl(h, 15);
    h = h * 0x1b873593u;
  }
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  return h;
}

/* ---- the mirror filter (MirrorFilter.accepts, cidrContains) ------------------------------------- */

static uint32_t word_mask(int prefix128, int i) {
  int bits = prefix128 - i * 32;
  if (bits >= 32) return 0xffffffffu;
  if (bits <= 0) return 0;
  return 0xffffffffu << (32 - bits);
}

static int cidr_contains(const struct cidr *c, unsigned version, const uint32_t *w) {
  if ((unsigned)c->version != version) return 0;
  for (int i = 0; i < 4; i++) {
    uint32_t m = word_mask(c->prefix128, i);
    if (m == 0) return 1;
    if ((w[i] & m) != c->words[i]) return 0;
  }
  return 1;
}

static int accepts(int ingress, const struct decoded *d) {
  const struct rule *rules = ingress ? cfg.ingress : cfg.egress;
  unsigned n = ingress ? cfg.n_ingress : cfg.n_egress;
  int ports = d->has_ports && (d->protocol == TCP || d->protocol == UDP);
  for (unsigned i = 0; i < n; i++) {
    const struct rule *r = &rules[i];
    if (r->protocol != -1 && (unsigned)r->protocol != d->protocol) continue;
    if (r->src_from != -1 && (!ports || (int)d->src_port < r->src_from || (int)d->src_port > r->src_to)) continue;
    if (r->dst_from != -1 && (!ports || (int)d->dst_port < r->dst_from || (int)d->dst_port > r->dst_to)) continue;
    if (!cidr_contains(&r->src, d->ip_version, d->words)) continue;
    if (!cidr_contains(&r->dst, d->ip_version, d->words + 4)) continue;
    return r->accept;
  }
  return 0;
}

static int is_task_address(const uint32_t *w) {
  for (unsigned i = 0; i < cfg.n_task; i++)
    if (memcmp(cfg.task[i], w, 16) == 0) return 1;
  return 0;
}

/* ---- TCP segment sizes (TcpSegmentSizes) -------------------------------------------------------- */

static struct {
  uint32_t tags[SEGMENT_TABLE];
  uint8_t used[SEGMENT_TABLE];
  uint16_t advertised[SEGMENT_TABLE * 2], observed[SEGMENT_TABLE * 2];
} seg;

static int owns(unsigned slot, uint32_t hash) { return seg.used[slot] && seg.tags[slot] == hash; }
static void claim(unsigned slot, uint32_t hash) {
  seg.used[slot] = 1;
  seg.tags[slot] = hash;
  seg.advertised[slot * 2] = seg.advertised[slot * 2 + 1] = 0;
  seg.observed[slot * 2] = seg.observed[slot * 2 + 1] = 0;
}

/* TcpLayer.parseOptions, the MSS only (the last one wins, as there); -1 when absent */
static int tcp_mss(const uint8_t *f, const struct decoded *d) {
  unsigned p = d->l4 + 20, end = d->l4 + d->tcp_header;
  int mss = -1;
  while (p < end) {
    unsigned kind = f[p];
    if (kind == 0) break;
    if (kind == 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) break;
    unsigned length = f[p + 1];
    if (length < 2 || p + length > end) break;
    if (kind == 2 && length == 4) mss = (int)be16(f + p + 2);
    p += length;
  }
  return mss;
}

/* FrameEncapsulator.learnSegmentSize */
static int learn_segment_size(const uint8_t *f, const struct decoded *d, uint32_t hash, int side, int superframe) {
  unsigned slot = hash & (SEGMENT_TABLE - 1);
  if (d->flags & 0x02) { /* SYN */
    int mss = tcp_mss(f, d);
    if (!(d->flags & 0x10) || !owns(slot, hash)) claim(slot, hash);
    if (mss > 0) seg.advertised[slot * 2 + side] = (uint16_t)mss;
    return 0;
  }
  if (d->flags & 0x04) { /* RST */
    if (owns(slot, hash)) seg.used[slot] = 0;
    return 0;
  }
  if (!superframe) {
    unsigned payload = d->tcp_payload;
    if (payload < MIN_OBSERVED_MSS) return 0;
    if (!owns(slot, hash)) {
      if (seg.used[slot] && (seg.advertised[slot * 2] | seg.advertised[slot * 2 + 1]) != 0) return 0;
      claim(slot, hash);
    }
    unsigned i = slot * 2 + side;
    if (payload > seg.observed[i]) seg.observed[i] = (uint16_t)(payload > 0xffff ? 0xffff : payload);
    return 0;
  }
  if (!owns(slot, hash)) return 0;
  int mine = seg.advertised[slot * 2 + side], peers = seg.advertised[slot * 2 + (side ^ 1)];
  int mss = mine == 0 ? peers : peers == 0 ? mine : (mine < peers ? mine : peers);
  int learned;
  if (mss > 0) {
    learned = mss - (int)(d->tcp_header - 20);
    if (learned < 0) learned = 0;
  } else {
    learned = seg.observed[slot * 2 + side];
  }
  if (learned == 0) return 0;
  int header = d->tcp_header > 20 ? (int)d->tcp_header : 20;
  int within = (int)cfg.interface_mtu - (int)d->ip_header - header; /* payloadWithinMtu */
  return learned < within ? learned : within;
}

/* ---- checksums (wire's checksum.ts) ------------------------------------------------------------- */

/* The sum of the big-endian 16-bit words of b[start, end) (an odd last byte padded with 0), added to
   `sum`; start must be even relative to the checksummed stream, as every caller's is. Eight bytes at a
   time: the ones'-complement sum is byte-order independent, so the bytes are summed as little-endian
   32-bit halves and swapped once at the end (RFC 1071, section 2(B)). */
static uint64_t add_words(const uint8_t *b, unsigned start, unsigned end, uint64_t sum) {
  const uint8_t *p = b + start;
  size_t n = end - start;
  uint64_t acc = 0;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    acc += (w & 0xffffffffu) + (w >> 32);
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    uint16_t h;
    memcpy(&h, p, 2);
    acc += h;
    p += 2;
    n -= 2;
  }
  if (n == 1) acc += *p; /* little-endian view of (byte << 8) */
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return sum + (uint64_t)(((acc & 0xff) << 8) | (acc >> 8)); /* back to big-endian words */
}
static unsigned finish(uint64_t sum) {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return ~(unsigned)sum & 0xffff;
}
static void ipv4_header_checksum(uint8_t *ip) {
  unsigned hl = (ip[0] & 0x0f) * 4u;
  ip[10] = ip[11] = 0;
  put16(ip + 10, finish(add_words(ip, 0, hl, 0)));
}
/* writeL4Checksum: header at `l4` (IP header at `ip`), payload possibly elsewhere */
static void l4_checksum(uint8_t *ip, uint8_t *l4, unsigned l4_header, unsigned protocol, const uint8_t *payload,
                        unsigned payload_length) {
  uint8_t *field = l4 + (protocol == TCP ? 16 : 6);
  field[0] = field[1] = 0;
  unsigned length = l4_header + payload_length;
  uint64_t sum = (ip[0] >> 4) == 6 ? add_words(ip, 8, 40, 0) : add_words(ip, 12, 20, 0);
  sum += protocol + (length & 0xffff) + (length >> 16);
  sum = add_words(l4, 0, l4_header, sum);
  sum = add_words(payload, 0, payload_length, sum);
  unsigned c = finish(sum);
  if (c == 0 && protocol == UDP) c = 0xffff;
  put16(field, c);
}

/* ---- sending ------------------------------------------------------------------------------------ */

static void count_error(unsigned datagrams) {
  /* The first failure and then every 1000th: a target that is down must not flood the log. */
  if (st.sendErrors % 1000 == 0)
    fprintf(stderr, "fm-capture: send failed: %s (%llu send errors in all)\n", strerror(errno), st.sendErrors + 1);
  st.sendErrors += datagrams;
}

/* A GSO message the kernel refused (no checksum offload on the route's device, an old kernel): its
   datagrams one by one, and no GSO from now on. */
static void send_one_by_one(int fd, struct batch *b, unsigned i) {
  if (cfg.gso) fprintf(stderr, "fm-capture: UDP GSO refused (%s): sending datagrams one by one\n", strerror(errno));
  cfg.gso = 0;
  struct iovec *iov = b->msgs[i].msg_hdr.msg_iov;
  for (unsigned k = 0; k < b->segments[i]; k++) {
    struct msghdr m = {.msg_iov = iov + 2 * k, .msg_iovlen = 2}; /* the socket is connected */
    ssize_t n;
    int refused = 0;
    do n = sendmsg(fd, &m, 0);
    while (n < 0 && (errno == EINTR || (errno == ECONNREFUSED && !refused++)));
    if (n < 0) count_error(1);
    else {
      st.datagramsSent++;
      st.bytesSent += (unsigned long long)n;
    }
  }
}

static void flush_socket(unsigned s) {
  struct batch *b = &cfg.batches[s];
  unsigned i = 0;
  if (b->count == 0) return;
  st.sendBatches++;
  if (cfg.test_output != NULL) {
    /* each datagram as it would leave: socket index, length, bytes */
    for (; i < b->count; i++) {
      struct iovec *iov = b->msgs[i].msg_hdr.msg_iov;
      for (unsigned k = 0; k < b->segments[i]; k++) {
        uint32_t head[2] = {s, (uint32_t)(iov[2 * k].iov_len + iov[2 * k + 1].iov_len)};
        fwrite(head, sizeof head, 1, cfg.test_output);
        fwrite(iov[2 * k].iov_base, 1, iov[2 * k].iov_len, cfg.test_output);
        fwrite(iov[2 * k + 1].iov_base, 1, iov[2 * k + 1].iov_len, cfg.test_output);
        st.datagramsSent++;
        st.bytesSent += head[1];
      }
    }
    b->count = b->used = 0;
    return;
  }
  unsigned refused_at = ~0u;
  while (i < b->count) {
    int sent = sendmmsg(cfg.fds[s], b->msgs + i, b->count - i, 0);
    if (sent < 0) {
      if (errno == EINTR) continue;
      /* A connected socket reports an earlier ICMP port unreachable from the target (nothing
         listening there for a moment) on the next send, which then sends nothing: that error is
         consumed, the message goes again (once). An unconnected socket never saw those. */
      if (errno == ECONNREFUSED && refused_at != i) {
        refused_at = i;
        continue;
      }
      if (b->segments[i] > 1 && (errno == EIO || errno == EINVAL || errno == EOPNOTSUPP))
        send_one_by_one(cfg.fds[s], b, i);
      else
        count_error(b->segments[i]);
      i++;
      continue;
    }
    for (int k = 0; k < sent; k++) {
      st.bytesSent += b->msgs[i + k].msg_len;
      st.datagramsSent += b->segments[i + k];
    }
    i += (unsigned)sent;
  }
  b->count = b->used = 0;
}

void fwd_flush(void) {
  for (unsigned s = 0; s < cfg.n_sockets; s++) flush_socket(s);
}

/* The flow's socket's batch, with room for a message of `datagrams` datagrams. */
static struct batch *room(uint32_t hash, unsigned datagrams) {
  unsigned s = hash % cfg.n_sockets;
  struct batch *b = &cfg.batches[s];
  if (b->count == BATCH || b->used + datagrams > SEGMENTS) flush_socket(s);
  return b;
}

/* Starts a message at the batch's next datagram. */
static void open_message(struct batch *b) {
  struct mmsghdr *m = &b->msgs[b->count];
  memset(m, 0, sizeof *m);
  /* no msg_name: the socket is connected to the target */
  m->msg_hdr.msg_iov = &b->iov[2 * b->used];
  b->segments[b->count] = 0;
}

/* Appends one datagram (headers, payload) to the open message. */
static void add_datagram(struct batch *b, const void *head, size_t head_length, const void *body,
                         size_t body_length) {
  struct iovec *iov = &b->iov[2 * b->used++];
  iov[0].iov_base = (void *)head;
  iov[0].iov_len = head_length;
  iov[1].iov_base = (void *)body;
  iov[1].iov_len = body_length;
  b->segments[b->count]++;
  b->msgs[b->count].msg_hdr.msg_iovlen += 2;
  st.datagramsQueued++;
}

/* Closes the open message; several datagrams of `gso_size` bytes (the last may be shorter) go as one
   UDP GSO send. */
static void set_gso(struct batch *b, unsigned i, unsigned gso_size) {
  struct msghdr *h = &b->msgs[i].msg_hdr;
  h->msg_control = b->control[i].buf;
  h->msg_controllen = sizeof b->control[i].buf;
  struct cmsghdr *c = CMSG_FIRSTHDR(h);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  uint16_t size = (uint16_t)gso_size;
  memcpy(CMSG_DATA(c), &size, sizeof size);
  st.gsoSends++;
}
static void close_message(struct batch *b, unsigned gso_size) {
  unsigned i = b->count++;
  b->joinable[i] = 0;
  if (b->segments[i] >= 2) set_gso(b, i, gso_size);
}

/* A whole frame's datagram joins the batch's last message when that one is of whole frames of the
   same length: small packets of one size (a steady stream of requests, DNS, iperf3) then leave as UDP
   GSO messages, one pass through the send stack for up to GSO_SEGMENTS datagrams; the kernel cuts
   them into the same datagrams as separate sends (in software where the device has no UDP
   segmentation, as an ENA has none). 1 when it joined. */
static int join_last(struct batch *b, uint8_t *f, unsigned inner) {
  unsigned size = 8 + inner;
  if (!cfg.gso || b->count == 0) return 0;
  unsigned i = b->count - 1;
  if (b->joinable[i] != size || b->segments[i] >= GSO_SEGMENTS || (b->segments[i] + 1) * size > GSO_BYTES)
    return 0;
  /* the last message's iovecs end where the batch's free ones start */
  struct iovec *iov = &b->iov[2 * b->used++];
  iov[0].iov_base = cfg.vxlan;
  iov[0].iov_len = 8;
  iov[1].iov_base = f;
  iov[1].iov_len = inner;
  b->msgs[i].msg_hdr.msg_iovlen += 2;
  st.datagramsQueued++;
  if (++b->segments[i] == 2) set_gso(b, i, size);
  return 1;
}

/* ---- FrameEncapsulator.emitWhole and .split ------------------------------------------------------ */

static void emit_whole(uint8_t *f, const struct decoded *d, unsigned captured_ip, uint32_t hash) {
  unsigned link = d->l3;
  unsigned inner = link + captured_ip < cfg.frame_limit ? link + captured_ip : cfg.frame_limit;
  int copy = (int)inner - (int)link;
  if (cfg.packet_length != 0 && link + captured_ip > cfg.packet_length) st.packetLengthTruncated++;
  if (copy == (int)d->ip_length) { /* the whole segment is in the datagram: its real checksum */
    uint8_t *ip = f + d->l3, *l4 = f + d->l4;
    if (d->protocol == TCP) {
      l4_checksum(ip, l4, d->tcp_header, TCP, l4 + d->tcp_header, d->tcp_payload);
      st.checksumsWritten++;
    } else if (d->protocol == UDP && !(d->ip_version == 4 && d->udp_checksum == 0)) {
      l4_checksum(ip, l4, 8, UDP, l4 + 8, d->udp_length - 8);
      st.checksumsWritten++;
    }
  }
  struct batch *b = room(hash, 1);
  if (join_last(b, f, inner)) return;
  open_message(b);
  add_datagram(b, cfg.vxlan, 8, f, inner);
  close_message(b, 0);
  b->joinable[b->count - 1] = 8 + inner;
}

/* 0 when the pieces would be too small to be worth it (the caller cuts the packet instead) */
static int split(uint8_t *f, const struct decoded *d, unsigned max_ip, int segment_payload, uint32_t hash) {
  int tcp = d->protocol == TCP;
  unsigned link = d->l3, ip_header = d->ip_header, l4_header = tcp ? d->tcp_header : 8;
  unsigned payload_start = d->l4 + l4_header;
  int payload_length = (int)d->ip_length - (int)ip_header - (int)l4_header;
  int fits = (int)max_ip - (int)ip_header - (int)l4_header;
  int mss = segment_payload > 0 ? (segment_payload < fits ? segment_payload : fits) : fits;
  if (mss < MIN_SEGMENT_PAYLOAD) return 0;
  int count = (payload_length + mss - 1) / mss;
  unsigned header_bytes = ip_header + l4_header;
  /* Every datagram but the last has this length: consecutive ones go out as UDP GSO messages. */
  unsigned full = link + header_bytes + (unsigned)mss;
  unsigned gso_size = 8 + (full < cfg.frame_limit ? full : cfg.frame_limit);
  unsigned per_message = cfg.gso ? GSO_BYTES / gso_size : 1;
  if (per_message > GSO_SEGMENTS) per_message = GSO_SEGMENTS;
  if (per_message < 1) per_message = 1;
  struct batch *b = NULL;
  unsigned in_message = 0;
  for (int k = 0; k < count; k++) {
    if (in_message == 0) {
      unsigned left = (unsigned)(count - k);
      b = room(hash, left < per_message ? left : per_message);
      open_message(b);
    }
    uint8_t *out = b->scratch[b->used];
    int chunk_start = k * mss;
    int chunk = payload_length - chunk_start < mss ? payload_length - chunk_start : mss;
    memcpy(out, cfg.vxlan, 8);
    memcpy(out + 8, f, link);
    uint8_t *ip = out + 8 + link, *l4 = ip + ip_header;
    memcpy(ip, f + d->l3, header_bytes);
    unsigned l4_length = l4_header + (unsigned)chunk;
    if (d->ip_version == 4) {
      put16(ip + 2, ip_header + l4_length);
      put16(ip + 4, (d->ipv4_id + (unsigned)k) & 0xffff);
      ipv4_header_checksum(ip);
    } else {
      put16(ip + 4, ip_header - 40 + l4_length);
    }
    if (tcp) {
      uint32_t s = d->seq + (uint32_t)chunk_start;
      l4[4] = (uint8_t)(s >> 24);
      l4[5] = (uint8_t)(s >> 16);
      l4[6] = (uint8_t)(s >> 8);
      l4[7] = (uint8_t)s;
      unsigned flags = d->flags;
      if (k != count - 1) flags &= ~(0x01u | 0x08u); /* FIN, PSH on the last only */
      if (k != 0) flags &= ~0x80u;                   /* CWR on the first only */
      l4[13] = (uint8_t)flags;
    } else {
      put16(l4 + 4, l4_length);
    }
    l4_checksum(ip, l4, l4_header, d->protocol, f + payload_start + chunk_start, (unsigned)chunk);
    st.checksumsWritten++;
    unsigned whole = link + header_bytes + (unsigned)chunk;
    unsigned inner = whole < cfg.frame_limit ? whole : cfg.frame_limit;
    int payload_copy = (int)inner - (int)link - (int)header_bytes;
    if (inner < whole) st.packetLengthTruncated++;
    st.segmentsCreated++;
    size_t head = payload_copy > 0 ? 8 + link + header_bytes : 8 + inner;
    add_datagram(b, out, head, f + payload_start + chunk_start, payload_copy > 0 ? (size_t)payload_copy : 0);
    if (++in_message == per_message || k == count - 1) {
      close_message(b, gso_size);
      in_message = 0;
    }
  }
  if (tcp) st.framesSegmentedTcp++;
  if (mss == segment_payload) st.superframesCutAtConnectionMss++;
  else st.framesSplitUdp++;
  return 1;
}

/* FrameEncapsulator.process */
int fwd_frame(uint8_t *f, unsigned captured, unsigned original) {
  struct decoded d;
  if (!decode(f, captured, &d)) {
    st.framesToTypeScript++;
    return 0;
  }
  st.framesCaptured++;
  st.bytesCaptured += original;
  int ingress = is_task_address(d.words + 4);
  if (!accepts(ingress, &d)) {
    st.framesFilteredOut++;
    return 1;
  }
  if (ingress) st.framesIngress++;
  else st.framesEgress++;
  int src_is_a;
  uint32_t hash = flow_hash(&d, &src_is_a);
  unsigned captured_ip = d.captured_end - d.l3;
  unsigned max_ip = cfg.max_inner - d.l3;
  int superframe = d.ip_length > cfg.interface_mtu;
  if (superframe) st.superframes++;
  int segment_payload = d.protocol == TCP ? learn_segment_size(f, &d, hash, src_is_a ? 0 : 1, superframe) : 0;
  int recut = segment_payload >= MIN_SEGMENT_PAYLOAD && (int)d.tcp_payload > segment_payload &&
              !cfg.truncate_superframes && captured_ip == d.ip_length;
  if (d.ip_length <= max_ip && !recut) {
    emit_whole(f, &d, captured_ip, hash);
    return 1;
  }
  int splittable = (superframe ? !cfg.truncate_superframes : cfg.split_oversize) && captured_ip == d.ip_length &&
                   (d.protocol == TCP || (d.protocol == UDP && superframe));
  if (splittable && split(f, &d, max_ip, superframe ? segment_payload : 0, hash)) return 1;
  if (superframe) st.superframesTruncated++;
  else st.oversizeTruncated++;
  emit_whole(f, &d, captured_ip, hash);
  return 1;
}

/* One write, so that the line never interleaves with another on the unbuffered stderr. */
#define PRINT(name) at += snprintf(line + at, sizeof line - at, " " #name "=%llu", st.name);
void fwd_print_stats(FILE *to) {
  char line[1024];
  size_t at = (size_t)snprintf(line, sizeof line, "fm-stats");
  COUNTERS(PRINT)
  fprintf(to, "%s\n", line);
  fflush(to);
}
