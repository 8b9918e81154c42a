// VXLAN load generator for bench/receive: sends COUNT datagrams of VXLAN + an inner Ethernet/IPv4/UDP
// frame of INNER_BYTES bytes, cycling over FLOWS inner flows (both directions), to HOST:PORT at RATE
// datagrams/s, in paced bursts of 64 datagrams. Prints "sent N seconds S" on stdout.
// The frames are prebuilt and contiguous, so a burst is pointers only: no per-datagram work. With UDP
// GSO (UDP_SEGMENT, the default; GSO=0 in the environment turns it off) a burst is one or two messages
// of up to 64 segments each and the kernel's send path runs once per message instead of once per
// datagram; on loopback the receiving socket splits them back into datagrams, so every receiver still
// sees single datagrams. That is what lets one loaded core offer the rates the receivers take.
// usage: vxgen HOST PORT INNER_BYTES RATE COUNT FLOWS
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#define GSO_MAX_BYTES 65000

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint16_t ip_checksum(const uint8_t *p) {
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += (p[i] << 8) | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: vxgen HOST PORT INNER_BYTES RATE COUNT FLOWS\n");
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]), inner = atoi(argv[3]), flows = atoi(argv[6]);
  double rate = atof(argv[4]);
  long count = atol(argv[5]);
  if (inner < 42 || inner > 9000 || flows < 1 || rate <= 0) {
    fprintf(stderr, "vxgen: INNER_BYTES 42..9000, FLOWS >= 1, RATE > 0\n");
    return 2;
  }
  int len = 8 + inner;
  int templates = flows * 2;
  uint8_t *frames = calloc((size_t)templates, (size_t)len);
  for (int t = 0; t < templates; t++) {
    uint8_t *b = frames + (size_t)t * len;
    int flow = t / 2, reverse = t % 2;
    b[0] = 0x08;
    b[6] = 42;  // VNI 42
    uint8_t *e = b + 8;
    memcpy(e, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
    uint8_t *ip = e + 14;
    int iplen = inner - 14;
    ip[0] = 0x45;
    ip[2] = iplen >> 8;
    ip[3] = iplen & 0xff;
    ip[8] = 64;
    ip[9] = 17;
    uint8_t client[4] = {10, 100, (uint8_t)(flow >> 8), (uint8_t)flow}, server[4] = {10, 200, 0, 1};
    memcpy(ip + 12, reverse ? server : client, 4);
    memcpy(ip + 16, reverse ? client : server, 4);
    uint16_t c = ip_checksum(ip);
    ip[10] = c >> 8;
    ip[11] = c & 0xff;
    uint8_t *udp = ip + 20;
    uint16_t cport = 10000 + flow % 50000, sport = 4000;  // no dissector claims port 4000
    uint16_t s = reverse ? sport : cport, d = reverse ? cport : sport;
    udp[0] = s >> 8, udp[1] = s & 0xff, udp[2] = d >> 8, udp[3] = d & 0xff;
    udp[4] = (iplen - 20) >> 8, udp[5] = (iplen - 20) & 0xff;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int sndbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &to.sin_addr);
  if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
    perror("vxgen: connect");
    return 1;
  }
  const char *gso_env = getenv("GSO");
  int gso = !(gso_env && strcmp(gso_env, "0") == 0);
  // Segments per GSO message: the kernel takes at most 64, and the message must fit in 64 KiB.
  int per_msg = gso ? GSO_MAX_BYTES / len : 1;
  if (per_msg > BATCH) per_msg = BATCH;
  if (per_msg < 1) per_msg = 1;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[2 * BATCH];
  union {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } ctl[BATCH];
  long sent = 0, next = 0;
  double start = now();
  while (sent < count) {
    // Pace: the first datagram of this batch is due at start + sent / rate.
    double due = start + sent / rate;
    double t = now();
    if (due > t + 0.0002) {
      struct timespec ts = {0, (long)((due - t) * 1e9)};
      nanosleep(&ts, NULL);
    } else {
      while (now() < due) {
      }
    }
    int n = count - sent < BATCH ? (int)(count - sent) : BATCH;
    int nmsg = 0;
    for (int i = 0; i < n; nmsg++) {
      int segs = n - i < per_msg ? n - i : per_msg;
      // The templates are contiguous: a run of segments that does not wrap is one iovec.
      long first = (next + i) % templates;
      int run = templates - first < segs ? (int)(templates - first) : segs;
      struct iovec *v = &iov[2 * nmsg];
      v[0].iov_base = frames + (size_t)first * len;
      v[0].iov_len = (size_t)run * len;
      v[1].iov_base = frames;
      v[1].iov_len = (size_t)(segs - run) * len;
      struct msghdr *h = &msgs[nmsg].msg_hdr;
      memset(h, 0, sizeof *h);
      h->msg_iov = v;
      h->msg_iovlen = run < segs ? 2 : 1;
      if (gso && segs > 1) {
        h->msg_control = ctl[nmsg].buf;
        h->msg_controllen = sizeof ctl[nmsg].buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t seg = (uint16_t)len;
        memcpy(CMSG_DATA(c), &seg, sizeof seg);
      }
      msgs[nmsg].msg_len = (unsigned)segs;  // remembered here; the kernel overwrites it with bytes
      i += segs;
    }
    int segs_of[BATCH];
    for (int m = 0; m < nmsg; m++) segs_of[m] = (int)msgs[m].msg_len;
    int r = sendmmsg(fd, msgs, nmsg, 0);
    if (r < 0) {
      if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED) continue;
      perror("vxgen: sendmmsg");
      return 1;
    }
    long done = 0;
    for (int m = 0; m < r; m++) done += segs_of[m];
    sent += done;
    next += done;
  }
  printf("sent %ld seconds %.6f\n", sent, now() - start);
  return 0;
}
