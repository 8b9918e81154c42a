// The bare C peer of bench/receive: a recvmmsg loop on UDP PORT that counts datagrams and reads each
// one's VNI (so it touches the data, like any receiver), writing the count to COUNT_FILE every 50 ms.
// usage: vxsink PORT RCVBUF_BYTES COUNT_FILE
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define SNAP 9216

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: vxsink PORT RCVBUF_BYTES COUNT_FILE\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int rcvbuf = atoi(argv[2]);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct timeval tv = {0, 50000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    perror("vxsink: bind");
    return 1;
  }
  static uint8_t bufs[BATCH][SNAP];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = SNAP;
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  FILE *out = fopen(argv[3], "w");
  if (!out) {
    perror("vxsink: count file");
    return 1;
  }
  unsigned long long count = 0, vni_sum = 0;
  struct timespec last, t;
  clock_gettime(CLOCK_MONOTONIC, &last);
  fprintf(stderr, "vxsink: listening\n");
  for (;;) {
    int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    for (int i = 0; i < n; i++) {
      const uint8_t *b = bufs[i];
      if (msgs[i].msg_len >= 8 && (b[0] & 0x08)) vni_sum += (b[4] << 16) | (b[5] << 8) | b[6];
    }
    if (n > 0) count += n;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if ((t.tv_sec - last.tv_sec) * 1000000000L + (t.tv_nsec - last.tv_nsec) > 50000000L) {
      last = t;
      rewind(out);
      fprintf(out, "%llu %llu\n", count, vni_sum);
      fflush(out);
    }
  }
}
