// fm-capture: the forwarder's native capture engine. It replaces `tcpdump -U --immediate-mode -w -`
// with the same contract (pcap on stdout, "listening on" and the kernel counters on stderr, SIGINT or
// SIGTERM to stop) but reads an AF_PACKET TPACKET_V3 block ring: the kernel hands over whole blocks
// (retired when full or after the block timeout), and each block becomes one write on the pipe instead
// of one write per packet. The filter is classic BPF as `tcpdump -ddd` prints it (compiled by the
// forwarder at start), attached to the socket, so the forwarder's own VXLAN output is never captured.
//
// With -C CONFIG (forward mode) it also does the forwarder's per-packet work, the whole capture-to-send
// loop: it decodes each frame, applies the mirror filter rules, learns each TCP connection's segment
// size, cuts super-frames into the wire's segments, writes the VXLAN header and sends the datagrams with
// sendmmsg in batches, straight from the ring (the payload is never copied: an iovec points into the
// block, the headers of a cut segment come from a small per-message scratch). It is a port of
// src/frame-encapsulator.ts and src/tcp-segment-sizes.ts, byte for byte (test/lab/native-forward.test.ts
// compares both on the same frames). What it does not decode the simple way - non-IP, VLAN past four
// tags, IP fragments, IPv6 extension headers, anything malformed - goes on the pcap pipe as before and
// the TypeScript path handles it. Configuration (rules, addresses, ports, sizes) comes from the
// forwarder in CONFIG; counters go back as `fm-stats name=value ...` lines on stderr every second and
// at exit.
//
// usage: fm-capture -i IFACE -F BPF_FILE [-B KiB] [-s SNAPLEN] [-t BLOCK_TIMEOUT_MS] [-C CONFIG]
//        fm-capture -C CONFIG -r PCAP -o DATAGRAMS   (test: frames from a pcap file, datagrams to a file)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fm-forward.h"

#define BLOCK_SIZE (1u << 20) /* holds the largest super-frame (64 KiB + headers) many times over */
#define OUT_SIZE (1u << 20)   /* pcap bytes gathered before a write */

static volatile sig_atomic_t stopping = 0;
static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
}

static void die(const char *what) {
  fprintf(stderr, "fm-capture: %s: %s\n", what, strerror(errno));
  exit(errno == EPERM || errno == EACCES ? 3 : 1);
}

static unsigned char out[OUT_SIZE];
static size_t out_len = 0;

static void flush_out(void) {
  size_t done = 0;
  while (done < out_len) {
    ssize_t n = write(1, out + done, out_len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) exit(0); /* the forwarder is gone */
      die("write");
    }
    done += (size_t)n;
  }
  out_len = 0;
}

static void put(const void *p, size_t n) {
  if (out_len + n > OUT_SIZE) flush_out();
  if (n > OUT_SIZE) { /* cannot happen with the snaplen cap, but never overflow */
    flush_out();
    n = OUT_SIZE;
  }
  memcpy(out + out_len, p, n);
  out_len += n;
}

/* pcap global header, microsecond timestamps, Ethernet */
static void put_pcap_header(unsigned snaplen) {
  struct {
    uint32_t magic;
    uint16_t major, minor;
    int32_t zone;
    uint32_t sigfigs, snaplen, linktype;
  } gh = {0xa1b2c3d4, 2, 4, 0, 0, snaplen, 1};
  put(&gh, sizeof gh);
  flush_out();
}

static void put_record(uint32_t sec, uint32_t usec, const uint8_t *frame, uint32_t caplen, uint32_t len) {
  struct {
    uint32_t sec, usec, caplen, len;
  } rh = {sec, usec, caplen, len};
  put(&rh, sizeof rh);
  put(frame, caplen);
}

/* Test mode: the frames of a pcap file (Ethernet, microseconds, this machine's byte order) through
   the forward path; datagrams to the -o file, frames for the TypeScript path on stdout. */
static int forward_file(const char *pcap, unsigned snaplen) {
  FILE *in = fopen(pcap, "rb");
  if (in == NULL) die("open pcap file");
  struct {
    uint32_t magic;
    uint16_t major, minor;
    int32_t zone;
    uint32_t sigfigs, snaplen, linktype;
  } gh;
  if (fread(&gh, sizeof gh, 1, in) != 1 || gh.magic != 0xa1b2c3d4 || gh.linktype != 1) {
    fprintf(stderr, "fm-capture: %s is not a microsecond Ethernet pcap file in host byte order\n", pcap);
    return 2;
  }
  put_pcap_header(snaplen);
  static uint8_t frame[262144];
  struct {
    uint32_t sec, usec, caplen, len;
  } rh;
  while (fread(&rh, sizeof rh, 1, in) == 1) {
    if (rh.caplen > sizeof frame || fread(frame, 1, rh.caplen, in) != rh.caplen) {
      fprintf(stderr, "fm-capture: %s: truncated record\n", pcap);
      return 2;
    }
    if (!fwd_frame(frame, rh.caplen, rh.len)) put_record(rh.sec, rh.usec, frame, rh.caplen, rh.len);
    fwd_flush();
  }
  fclose(in);
  flush_out();
  fwd_print_stats(stderr);
  return 0;
}

static struct sock_fprog read_filter(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) die("open filter file");
  unsigned count = 0;
  if (fscanf(f, "%u", &count) != 1 || count == 0 || count > BPF_MAXINSNS) {
    fprintf(stderr, "fm-capture: filter file %s is not `tcpdump -ddd` output\n", path);
    exit(2);
  }
  struct sock_filter *code = calloc(count, sizeof *code);
  if (code == NULL) die("calloc");
  for (unsigned i = 0; i < count; i++) {
    unsigned c, jt, jf, k;
    if (fscanf(f, "%u %u %u %u", &c, &jt, &jf, &k) != 4) {
      fprintf(stderr, "fm-capture: filter file %s: instruction %u unreadable\n", path, i);
      exit(2);
    }
    code[i] = (struct sock_filter){(uint16_t)c, (uint8_t)jt, (uint8_t)jf, k};
  }
  fclose(f);
  return (struct sock_fprog){(unsigned short)count, code};
}

int main(int argc, char **argv) {
  const char *iface = NULL, *filter_path = NULL, *config = NULL, *read_pcap = NULL, *test_output = NULL;
  unsigned buffer_kib = 32768, snaplen = 262144, timeout_ms = 100;
  int opt;
  while ((opt = getopt(argc, argv, "i:F:B:s:t:C:r:o:")) != -1) {
    switch (opt) {
    case 'C': config = optarg; break;
    case 'r': read_pcap = optarg; break;
    case 'o': test_output = optarg; break;
    case 'i': iface = optarg; break;
    case 'F': filter_path = optarg; break;
    case 'B': buffer_kib = (unsigned)strtoul(optarg, NULL, 10); break;
    case 's': snaplen = (unsigned)strtoul(optarg, NULL, 10); break;
    case 't': timeout_ms = (unsigned)strtoul(optarg, NULL, 10); break;
    default:
      fprintf(stderr, "usage: fm-capture -i IFACE -F BPF_FILE [-B KiB] [-s SNAPLEN] [-t MS]\n");
      return 2;
    }
  }
  if (snaplen == 0 || snaplen > 262144) snaplen = 262144;
  signal(SIGPIPE, SIG_IGN);
  if (read_pcap != NULL) {
    if (config == NULL || test_output == NULL) {
      fprintf(stderr, "usage: fm-capture -C CONFIG -r PCAP -o DATAGRAMS\n");
      return 2;
    }
    FILE *out_file = fopen(test_output, "wb");
    if (out_file == NULL) die("open datagram file");
    fwd_configure(config, out_file);
    int rc = forward_file(read_pcap, snaplen);
    fclose(out_file);
    return rc;
  }
  if (iface == NULL || filter_path == NULL) {
    fprintf(stderr, "usage: fm-capture -i IFACE -F BPF_FILE [-B KiB] [-s SNAPLEN] [-t MS] [-C CONFIG]\n");
    return 2;
  }
  int forward = config != NULL;
  if (forward) fwd_configure(config, NULL);
  if (timeout_ms == 0) timeout_ms = 1;
  struct sock_fprog filter = read_filter(filter_path);

  struct sigaction sa = {0};
  sa.sa_handler = on_stop; /* no SA_RESTART: poll returns at once */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  int fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: nothing arrives before the bind */
  if (fd < 0) die("socket(AF_PACKET): Operation not permitted without CAP_NET_RAW?");
  unsigned ifindex = if_nametoindex(iface);
  if (ifindex == 0) die("if_nametoindex");
  /* On loopback every packet shows up twice (sent and received): keep only the received copy, as
     libpcap does. */
  int loopback = 0;
  {
    struct ifreq ifr = {0};
    strncpy(ifr.ifr_name, iface, IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) loopback = (ifr.ifr_flags & IFF_LOOPBACK) != 0;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &filter, sizeof filter) < 0)
    die("SO_ATTACH_FILTER");
  int version = TPACKET_V3;
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0)
    die("PACKET_VERSION");
  unsigned blocks = buffer_kib / (BLOCK_SIZE / 1024);
  if (blocks < 2) blocks = 2;
  struct tpacket_req3 req = {0};
  req.tp_block_size = BLOCK_SIZE;
  req.tp_block_nr = blocks;
  req.tp_frame_size = 2048;
  req.tp_frame_nr = (BLOCK_SIZE / 2048) * blocks;
  req.tp_retire_blk_tov = timeout_ms;
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) die("PACKET_RX_RING");
  uint8_t *ring = mmap(NULL, (size_t)BLOCK_SIZE * blocks, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_LOCKED, fd, 0);
  if (ring == MAP_FAILED)
    ring = mmap(NULL, (size_t)BLOCK_SIZE * blocks, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (ring == MAP_FAILED) die("mmap ring");
  struct sockaddr_ll ll = {0};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_ALL);
  ll.sll_ifindex = (int)ifindex;
  if (bind(fd, (struct sockaddr *)&ll, sizeof ll) < 0) die("bind");

  put_pcap_header(snaplen);
  fprintf(stderr, "listening on %s, link-type EN10MB (Ethernet), snapshot length %u bytes, fm-capture TPACKET_V3 %u x %u KiB blocks%s\n",
          iface, snaplen, blocks, BLOCK_SIZE / 1024, forward ? ", forwarding" : "");

  unsigned long long received = 0, dropped = 0, captured = 0;
  unsigned cur = 0;
  time_t last_stats = 0;
  struct pollfd pfd = {fd, POLLIN | POLLERR, 0};
  /* Once asked to stop, the block being filled still holds packets: wait for the kernel to retire it
     (the block timeout), hand it over, then stop. */
  struct timespec stop_at = {0, 0};
  for (;;) {
    if (stopping && stop_at.tv_sec == 0) {
      clock_gettime(CLOCK_MONOTONIC, &stop_at);
      stop_at.tv_nsec += (long)(timeout_ms * 2 + 50) * 1000000L;
      stop_at.tv_sec += stop_at.tv_nsec / 1000000000L;
      stop_at.tv_nsec %= 1000000000L;
    }
    /* Once a second: the kernel's counters (reading them resets them); a loss is reported at once
       on stderr, where the forwarder turns it into a log line. */
    struct timespec now_ts;
    clock_gettime(CLOCK_MONOTONIC, &now_ts);
    if (now_ts.tv_sec != last_stats) {
      last_stats = now_ts.tv_sec;
      struct tpacket_stats_v3 st;
      socklen_t sl = sizeof st;
      if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) {
        received += st.tp_packets;
        dropped += st.tp_drops;
        if (st.tp_drops > 0)
          fprintf(stderr, "fm-capture: %u packets dropped by kernel in the last second (%llu in all)\n",
                  st.tp_drops, dropped);
      }
      if (forward) fwd_print_stats(stderr);
    }
    struct tpacket_block_desc *b = (struct tpacket_block_desc *)(ring + (size_t)cur * BLOCK_SIZE);
    if ((__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) {
      flush_out();
      int wait_ms = -1;
      if (stop_at.tv_sec != 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = (stop_at.tv_sec - now.tv_sec) * 1000L + (stop_at.tv_nsec - now.tv_nsec) / 1000000L;
        if (left <= 0) break;
        wait_ms = (int)left;
      }
      if (wait_ms < 0 || wait_ms > 1000) wait_ms = 1000;
      if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) die("poll");
      continue;
    }
    struct tpacket3_hdr *p =
        (struct tpacket3_hdr *)((uint8_t *)b + b->hdr.bh1.offset_to_first_pkt);
    for (unsigned i = 0; i < b->hdr.bh1.num_pkts; i++) {
      if (loopback) {
        const struct sockaddr_ll *from =
            (const struct sockaddr_ll *)((uint8_t *)p + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
        if (from->sll_pkttype == PACKET_OUTGOING) {
          p = (struct tpacket3_hdr *)((uint8_t *)p + p->tp_next_offset);
          continue;
        }
      }
      uint32_t caplen = p->tp_snaplen < snaplen ? p->tp_snaplen : snaplen;
      uint8_t *frame = (uint8_t *)p + p->tp_mac;
      if (!forward || !fwd_frame(frame, caplen, p->tp_len))
        put_record(p->tp_sec, p->tp_nsec / 1000, frame, caplen, p->tp_len);
      captured++;
      p = (struct tpacket3_hdr *)((uint8_t *)p + p->tp_next_offset);
    }
    /* The batched datagrams point into this block: send them before it goes back to the kernel. */
    if (forward) fwd_flush();
    __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    cur = (cur + 1) % blocks;
  }
  flush_out();
  struct tpacket_stats_v3 st;
  socklen_t sl = sizeof st;
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) {
    received += st.tp_packets;
    dropped += st.tp_drops;
  }
  if (forward) {
    fwd_flush();
    fwd_print_stats(stderr);
  }
  fprintf(stderr, "%llu packets captured\n%llu packets received by filter\n%llu packets dropped by kernel\n",
          captured, received, dropped);
  return 0;
}
