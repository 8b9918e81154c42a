// fm-capture: the forwarder's native capture engine. It replaces `tcpdump -U --immediate-mode -w -`
// with the same contract (pcap on stdout, "listening on" and the kernel counters on stderr, SIGINT or
// SIGTERM to stop) but reads an AF_PACKET TPACKET_V3 block ring: the kernel hands over whole blocks
// (retired when full or after the block timeout), and each block becomes one write on the pipe instead
// of one write per packet. The filter is classic BPF as `tcpdump -ddd` prints it (compiled by the
// forwarder at start), attached to the socket, so the forwarder's own VXLAN output is never captured.
//
// usage: fm-capture -i IFACE -F BPF_FILE [-B KiB] [-s SNAPLEN] [-t BLOCK_TIMEOUT_MS]
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
  const char *iface = NULL, *filter_path = NULL;
  unsigned buffer_kib = 32768, snaplen = 262144, timeout_ms = 100;
  int opt;
  while ((opt = getopt(argc, argv, "i:F:B:s:t:")) != -1) {
    switch (opt) {
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
  if (iface == NULL || filter_path == NULL) {
    fprintf(stderr, "usage: fm-capture -i IFACE -F BPF_FILE [-B KiB] [-s SNAPLEN] [-t MS]\n");
    return 2;
  }
  if (snaplen == 0 || snaplen > 262144) snaplen = 262144;
  if (timeout_ms == 0) timeout_ms = 1;
  struct sock_fprog filter = read_filter(filter_path);

  struct sigaction sa = {0};
  sa.sa_handler = on_stop; /* no SA_RESTART: poll returns at once */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

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

  /* pcap global header, microsecond timestamps, Ethernet */
  struct {
    uint32_t magic;
    uint16_t major, minor;
    int32_t zone;
    uint32_t sigfigs, snaplen, linktype;
  } gh = {0xa1b2c3d4, 2, 4, 0, 0, snaplen, 1};
  put(&gh, sizeof gh);
  flush_out();
  fprintf(stderr, "listening on %s, link-type EN10MB (Ethernet), snapshot length %u bytes, fm-capture TPACKET_V3 %u x %u KiB blocks\n",
          iface, snaplen, blocks, BLOCK_SIZE / 1024);

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
      struct {
        uint32_t sec, usec, caplen, len;
      } rh = {p->tp_sec, p->tp_nsec / 1000, p->tp_snaplen, p->tp_len};
      if (rh.caplen > snaplen) rh.caplen = snaplen;
      put(&rh, sizeof rh);
      put((uint8_t *)p + p->tp_mac, rh.caplen);
      captured++;
      p = (struct tpacket3_hdr *)((uint8_t *)p + p->tp_next_offset);
    }
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
  fprintf(stderr, "%llu packets captured\n%llu packets received by filter\n%llu packets dropped by kernel\n",
          captured, received, dropped);
  return 0;
}
