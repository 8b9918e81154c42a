// fm-ring: the receiver's packet-ring intake, part of the fm-recv addon. A UDP socket costs the
// receiving thread a system call per batch and a copy of every datagram out of the kernel; an
// AF_PACKET socket with a TPACKET_V3 ring (what tcpdump, Zeek and Suricata capture with) has the
// kernel copy each frame into memory mapped into the process as the frame arrives, in the receive
// path's context, so the worker only walks filled blocks: no copy and no system call per frame.
//
// JavaScript sees the ring as one ArrayBuffer over the mapping and, per call, rows in the socket
// intake's layout: each datagram's UDP payload (offset, length), its sender and kind, a UDP_SEGMENT
// super-datagram split back into its datagrams, and outer IP fragments as whole Ethernet frames (the
// kernel reassembles only for sockets; the worker does it for the ring).

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fm-ring.h"

// Per UDP payload in the metadata Int32Array, its first eight words laid out as the socket intake's
// rows (fm-recv.c) so the worker takes both alike: payload length, sender family (4 or 6, 0 for a
// whole frame), sender words 0..3, what it is (RING_VXLAN, RING_GENEVE, or RING_FRAME: an outer IP
// fragment, the whole Ethernet frame, for the worker to reassemble), its offset in the ring; then the
// time the kernel took the frame (seconds, nanoseconds), the time tcpdump writes for it.
#define RING_ROW_WORDS 10
#define RING_VXLAN 0
#define RING_GENEVE 1
#define RING_FRAME 2
// virtio_net_hdr's gso_type for a UDP_SEGMENT super-datagram (a local sender's, or a veth's).
#define VNET_GSO_UDP_L4 5
#define VNET_HDR_BYTES 10
#define RING_FRAME_ROOM (65536 + 512)
#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000  // Linux 4.20; older headers lack the name
#endif
#ifndef PACKET_FANOUT_FLAG_UNIQUEID
#define PACKET_FANOUT_FLAG_UNIQUEID 0x2000  // Linux 4.4
#endif

struct ring {
  int fd;
  uint8_t *map;
  size_t map_bytes;
  uint32_t block_bytes;
  uint32_t block_count;
  uint32_t current;       // the block being read
  bool held;              // `current` is filled and being read
  uint32_t next_frame;    // frames of `current` already read
  uint32_t next_segment;  // segments of that frame already read (a UDP_SEGMENT super-datagram)
  uint8_t *at;            // that frame
  uint16_t vxlan_port;
  uint16_t geneve_port;  // 0: none
  double ignored;        // frames let in but too short to hold their UDP header
};

static napi_value ring_throw(napi_env env, const char *what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static void ring_close(struct ring *r) {
  if (r->map != NULL) munmap(r->map, r->map_bytes);
  r->map = NULL;
  if (r->fd >= 0) close(r->fd);
  r->fd = -1;
}

// A ring still open when its thread's environment ends (a worker that crashed or was terminated).
static void ring_teardown(void *arg) { ring_close((struct ring *)arg); }

static void ring_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  struct ring *r = data;
  napi_remove_env_cleanup_hook(env, ring_teardown, r);
  ring_close(r);
  free(r);
}

// The ring of a call's first argument, `argv` filled with up to `want` arguments (NULL, with a
// TypeError pending, when the first is not a ring).
static struct ring *ring_arg(napi_env env, napi_callback_info info, napi_value *argv, size_t want) {
  size_t argc = want;
  void *data = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "not a packet ring");
    return NULL;
  }
  return data;
}

// A failed step of openRing: what it had made so far undone (`map` NULL before the mapping), and
// the error thrown with errno's reason.
static napi_value ring_fail(napi_env env, int fd, void *map, size_t map_bytes, const char *what) {
  int err = errno;
  if (map != NULL) munmap(map, map_bytes);
  if (fd >= 0) close(fd);
  return ring_throw(env, what, err);
}

// openRing(interface, blockBytes, blockCount, retireMs, vxlanPort, genevePort, fanoutGroup)
//   -> [ring, ArrayBuffer over it, fd, group]. The rings of one fanout group (the workers of one
//   receiver) share the frames by outer source address (below): fanoutGroup -1 is none, 0 a new group whose id the kernel picks (unused by any other process:
//   two receivers on one interface never share) and `group` returns, > 0 joins that group.
static napi_value open_ring(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[IF_NAMESIZE + 1];
  size_t name_len = 0;
  int32_t block_bytes = 0, block_count = 0, retire_ms = 0, vxlan_port = 0, geneve_port = 0, group = 0;
  if (argc < 7 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_len) != napi_ok ||
      napi_get_value_int32(env, argv[1], &block_bytes) != napi_ok ||
      napi_get_value_int32(env, argv[2], &block_count) != napi_ok ||
      napi_get_value_int32(env, argv[3], &retire_ms) != napi_ok ||
      napi_get_value_int32(env, argv[4], &vxlan_port) != napi_ok ||
      napi_get_value_int32(env, argv[5], &geneve_port) != napi_ok ||
      napi_get_value_int32(env, argv[6], &group) != napi_ok || block_bytes < RING_FRAME_ROOM ||
      (block_bytes & (block_bytes - 1)) != 0 || block_count < 2 || retire_ms < 1 || vxlan_port < 1 ||
      vxlan_port > 65535 || geneve_port < 0 || geneve_port > 65535 || group < -1 || group > 65535) {
    napi_throw_type_error(env, NULL,
                          "openRing(interface, blockBytes (a power of two >= 128 KiB), blockCount >= 2, retireMs >= 1, "
                          "vxlanPort, genevePort (0: none), fanoutGroup (-1: none, 0: a new one, or its id))");
    return NULL;
  }
  unsigned index = if_nametoindex(name);
  if (index == 0) return ring_throw(env, "no such interface", errno);
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);  // protocol 0: nothing arrives before bind
  if (fd < 0) return ring_throw(env, "socket(AF_PACKET)", errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, name_len);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) return ring_fail(env, fd, NULL, 0, "SIOCGIFHWADDR");
  // Ethernet framing only (loopback has it too): the pipeline decodes the frames as Ethernet.
  if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER && ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK) {
    close(fd);
    napi_throw_error(env, NULL, "openRing: the interface does not carry Ethernet frames");
    return NULL;
  }
  // Only what the receiver takes reaches the ring: UDP to a mirror port and outer IP fragments (of
  // UDP, for IPv4), as tcpdump compiles `udp dst port V or udp dst port G or (ip[6:2] & 0x3fff != 0)
  // or (ip6 and ip6[6] == 44)`; the interface's other traffic (the receiver's own HEC, S3 and health
  // check connections) is not copied at all. Untagged frames only, as the receive path delivers them
  // on a VPC interface (a VLAN tag the NIC strips is not in the frame).
  uint32_t vx = (uint32_t)vxlan_port, gv = geneve_port != 0 ? (uint32_t)geneve_port : (uint32_t)vxlan_port;
  struct sock_filter mirror_only[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),             // 0: EtherType
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 7),  // 1: IPv6, else 9
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),             // 2: its next header
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 3),      // 3: UDP, else 7
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 56),             // 4: its destination port
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, vx, 12, 0),     // 5: VXLAN: accept
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, gv, 11, 0),     // 6: GENEVE: accept
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),             // 7: the next header again
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 44, 9, 10),     // 8: a Fragment header: accept, else reject
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 9),  // 9: IPv4, else reject
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),             // 10: its protocol
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 7),      // 11: UDP, else reject
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),             // 12: flags and fragment offset
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 4, 0), // 13: a fragment (MF or an offset): accept
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),            // 14: X = the IPv4 header's length
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),             // 15: the UDP destination port
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, vx, 1, 0),      // 16: VXLAN: accept
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, gv, 0, 1),      // 17: GENEVE: accept, else reject
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),              // 18: accept the whole frame
      BPF_STMT(BPF_RET | BPF_K, 0),                       // 19: reject
  };
  struct sock_fprog filter = {sizeof mirror_only / sizeof mirror_only[0], mirror_only};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &filter, sizeof filter) != 0)
    return ring_fail(env, fd, NULL, 0, "setsockopt SO_ATTACH_FILTER");
  int version = TPACKET_V3;
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0)
    return ring_fail(env, fd, NULL, 0, "setsockopt PACKET_VERSION");
  // Only what arrives: on loopback every frame would otherwise be seen leaving and arriving.
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0)
    return ring_fail(env, fd, NULL, 0, "setsockopt PACKET_IGNORE_OUTGOING");
  // Each frame's offload header: a super-datagram a local sender's UDP_SEGMENT left whole (loopback
  // and veth pass them on unsplit; the UDP socket would have split it) names its segment size.
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) != 0)
    return ring_fail(env, fd, NULL, 0, "setsockopt PACKET_VNET_HDR");
  struct tpacket_req3 req;
  memset(&req, 0, sizeof req);
  req.tp_block_size = (unsigned)block_bytes;
  req.tp_block_nr = (unsigned)block_count;
  // The most one frame may take: the kernel cuts any frame longer than this (less its headers), so
  // it holds a 64 KiB datagram, or a UDP_SEGMENT super-datagram, whole. The kernel packs frames into
  // a block by their own length; this only caps each one.
  req.tp_frame_size = RING_FRAME_ROOM;
  req.tp_frame_nr = req.tp_block_size / req.tp_frame_size * req.tp_block_nr;
  // A block not yet full is handed over after this long, so a quiet link still delivers promptly.
  req.tp_retire_blk_tov = (unsigned)retire_ms;
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0)
    return ring_fail(env, fd, NULL, 0, "setsockopt PACKET_RX_RING");
  size_t map_bytes = (size_t)req.tp_block_size * req.tp_block_nr;
  uint8_t *map = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
  if (map == MAP_FAILED) map = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return ring_fail(env, fd, NULL, 0, "mmap of the packet ring");
  struct sockaddr_ll ll;
  memset(&ll, 0, sizeof ll);
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_ALL);
  ll.sll_ifindex = (int)index;
  if (bind(fd, (struct sockaddr *)&ll, sizeof ll) != 0)
    return ring_fail(env, fd, map, map_bytes, "bind to the interface");
  if (group >= 0) {
    // Frames go to the group's rings by their outer source address: a mirror session (one ENI's
    // mirror, one sender) stays on one ring, in the order it came, fragments included, as it would on
    // one socket; a ring hands the datagrams of connections another worker owns on, in that order.
    // A hash of the 4-tuple (PACKET_FANOUT_HASH) would spread one session's inner connections over
    // the rings by their VXLAN source ports, and each ring hands its blocks over on its own timer:
    // packets of one connection could then reach their worker up to a retire time out of order.
    // The group's own hook replaces this socket's, so it must be told to skip outgoing frames too.
    int flags = PACKET_FANOUT_FLAG_IGNORE_OUTGOING | (group == 0 ? PACKET_FANOUT_FLAG_UNIQUEID : 0);
    int fanout = group | ((PACKET_FANOUT_CBPF | flags) << 16);
    socklen_t fanout_len = sizeof fanout;
    struct sock_filter by_sender[] = {
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),             // 0: EtherType
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 11), // 1: IPv6, else 13
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 22),             // 2: its source address, word by word
        BPF_STMT(BPF_MISC | BPF_TAX, 0),                    // 3
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 26),             // 4
        BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),             // 5
        BPF_STMT(BPF_MISC | BPF_TAX, 0),                    // 6
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 30),             // 7
        BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),             // 8
        BPF_STMT(BPF_MISC | BPF_TAX, 0),                    // 9
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 34),             // 10
        BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),             // 11
        BPF_JUMP(BPF_JMP | BPF_JA, 2, 0, 0),                // 12: -> 15
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 4),  // 13: IPv4, else ring 0
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 26),             // 14: its source address
        BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1),    // 15: mixed, its high bits
        BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),            // 16
        BPF_STMT(BPF_RET | BPF_A, 0),                       // 17: the kernel takes it modulo the rings
        BPF_STMT(BPF_RET | BPF_K, 0),                       // 18
    };
    struct sock_fprog program = {sizeof by_sender / sizeof by_sender[0], by_sender};
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof fanout) != 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &program, sizeof program) != 0 ||
        getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &fanout, &fanout_len) != 0)
      return ring_fail(env, fd, map, map_bytes, "setsockopt PACKET_FANOUT");
    group = fanout & 0xffff;  // the id the kernel gave a new group
  }
  struct ring *r = calloc(1, sizeof *r);
  if (r == NULL) return ring_fail(env, fd, map, map_bytes, "openRing");
  r->fd = fd;
  r->map = map;
  r->map_bytes = map_bytes;
  r->block_bytes = req.tp_block_size;
  r->block_count = req.tp_block_nr;
  r->vxlan_port = (uint16_t)vxlan_port;
  r->geneve_port = (uint16_t)geneve_port;
  napi_add_env_cleanup_hook(env, ring_teardown, r);
  napi_value handle, buffer, fd_value, group_value, result;
  napi_create_external(env, r, ring_finalize, NULL, &handle);
  // The mapping outlives the ArrayBuffer only through the handle, which JavaScript keeps beside it.
  if (napi_create_external_arraybuffer(env, map, map_bytes, NULL, NULL, &buffer) != napi_ok) {
    napi_throw_error(env, NULL, "openRing: this Node cannot map external memory into JavaScript");
    return NULL;  // the handle's finalizer closes the ring
  }
  napi_create_int32(env, fd, &fd_value);
  napi_create_int32(env, group, &group_value);
  napi_create_array_with_length(env, 4, &result);
  napi_set_element(env, result, 0, handle);
  napi_set_element(env, result, 1, buffer);
  napi_set_element(env, result, 2, fd_value);
  napi_set_element(env, result, 3, group_value);
  return result;
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static int32_t be32(const uint8_t *p) {
  return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

// What one frame holds for the receiver: fills the sender words of `row` and returns the kind, or -1
// when it is not for a mirror port. `payload`, `payload_len`: where its UDP payload is.
static int classify(const struct ring *r, const uint8_t *frame, uint32_t captured, int32_t *row,
                    uint32_t *payload, uint32_t *payload_len) {
  uint32_t l3 = 14;
  if (captured < l3) return -1;
  uint16_t type = be16(frame + 12);
  for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); tags++) {
    if (captured < l3 + 4) return -1;
    type = be16(frame + l3 + 2);
    l3 += 4;
  }
  uint32_t l4;
  if (type == 0x0800) {
    if (captured < l3 + 20 || (frame[l3] >> 4) != 4 || frame[l3 + 9] != 17) return -1;
    if ((be16(frame + l3 + 6) & 0x3fff) != 0) return RING_FRAME;  // a fragment: reassembled in JavaScript
    l4 = l3 + (uint32_t)(frame[l3] & 0x0f) * 4;
    row[1] = 4;
    row[2] = 0;
    row[3] = 0;
    row[4] = 0xffff;
    row[5] = be32(frame + l3 + 12);
  } else if (type == 0x86dd) {
    if (captured < l3 + 40) return -1;
    uint8_t next = frame[l3 + 6];
    if (next == 44) return RING_FRAME;  // a fragment header
    if (next != 17) return -1;          // other extension headers: not how a mirror datagram comes
    l4 = l3 + 40;
    for (int i = 0; i < 4; i++) row[2 + i] = be32(frame + l3 + 8 + 4 * i);
    row[1] = row[2] == 0 && row[3] == 0 && row[4] == 0xffff ? 4 : 6;
  } else {
    return -1;
  }
  if (captured < l4 + 8) return -1;
  uint16_t port = be16(frame + l4 + 2);
  int kind = port == r->vxlan_port                           ? RING_VXLAN
             : r->geneve_port != 0 && port == r->geneve_port ? RING_GENEVE
                                                              : -1;
  if (kind < 0) return -1;
  uint32_t length = be16(frame + l4 + 4);
  uint32_t room = captured - (l4 + 8);
  // A super-datagram's UDP length covers all its segments (or is 0 past 65535): take what is there.
  if (length < 8 || length - 8 > room) length = room + 8;
  *payload = l4 + 8;
  *payload_len = length - 8;
  return kind;
}

// takeBlock(ring, meta: Int32Array) -> rows written to meta (0: nothing more has arrived). Rows stay
// valid until the next call, which gives a block JavaScript finished back to the kernel first.
static napi_value take_block(napi_env env, napi_callback_info info) {
  napi_value argv[2] = {NULL, NULL};
  struct ring *r = ring_arg(env, info, argv, 2);
  if (r == NULL) return NULL;
  void *meta = NULL;
  size_t length = 0, byte_offset;
  napi_typedarray_type type;
  napi_value ab;
  if (argv[1] == NULL || napi_get_typedarray_info(env, argv[1], &type, &length, &meta, &ab, &byte_offset) != napi_ok ||
      type != napi_int32_array || length < RING_ROW_WORDS) {
    napi_throw_type_error(env, NULL, "takeBlock(ring, Int32Array of at least one row)");
    return NULL;
  }
  size_t room = length / RING_ROW_WORDS, rows = 0;
  int32_t *row = meta;
  while (r->map != NULL && rows < room) {
    struct tpacket_block_desc *block = (void *)(r->map + (size_t)r->current * r->block_bytes);
    if (r->held && r->next_frame >= block->hdr.bh1.num_pkts) {
      __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      r->held = false;
      r->current = (r->current + 1) % r->block_count;
      continue;
    }
    if (!r->held) {
      if ((__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) break;
      r->held = true;
      r->next_frame = 0;
      r->next_segment = 0;
      r->at = (uint8_t *)block + block->hdr.bh1.offset_to_first_pkt;
      continue;
    }
    struct tpacket3_hdr *h = (void *)r->at;
    uint8_t *frame = r->at + h->tp_mac;
    uint32_t captured = h->tp_snaplen;
    uint32_t payload = 0, payload_len = 0;
    int kind = classify(r, frame, captured, row, &payload, &payload_len);
    bool frame_done = true;
    size_t base = (size_t)(frame - r->map);
    if (kind == RING_FRAME) {
      row[0] = (int32_t)captured;
      row[1] = 0;
      row[6] = RING_FRAME;
      row[7] = (int32_t)base;
      row[8] = (int32_t)h->tp_sec;
      row[9] = (int32_t)h->tp_nsec;
      row += RING_ROW_WORDS;
      rows++;
    } else if (kind >= 0) {
      uint32_t segment_size = payload_len;
      const uint8_t *vnet = frame - VNET_HDR_BYTES;
      uint16_t gso_size = (uint16_t)(vnet[4] | vnet[5] << 8);
      if (vnet[1] == VNET_GSO_UDP_L4 && gso_size > 0 && gso_size < payload_len) segment_size = gso_size;
      // One row per segment: a super-datagram stands for the datagrams its sender gave the kernel.
      uint32_t from = r->next_segment * segment_size;
      uint32_t len = payload_len - from < segment_size ? payload_len - from : segment_size;
      row[0] = (int32_t)len;
      row[6] = kind;
      row[7] = (int32_t)(base + payload + from);
      row[8] = (int32_t)h->tp_sec;
      row[9] = (int32_t)h->tp_nsec;
      row += RING_ROW_WORDS;
      rows++;
      if (from + len < payload_len) {
        r->next_segment++;
        frame_done = false;
      }
    } else {
      r->ignored++;
    }
    if (frame_done) {
      r->next_frame++;
      r->next_segment = 0;
      r->at += h->tp_next_offset;
    }
  }
  napi_value result;
  napi_create_int32(env, (int32_t)rows, &result);
  return result;
}

// ringStats(ring) -> [frames, drops] since the previous call (the kernel resets them when read), and
// the frames so far that were let in but too short to take.
static napi_value ring_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct ring *r = ring_arg(env, info, argv, 1);
  if (r == NULL) return NULL;
  struct tpacket_stats_v3 stats;
  memset(&stats, 0, sizeof stats);
  socklen_t len = sizeof stats;
  if (r->fd >= 0 && getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &stats, &len) != 0)
    return ring_throw(env, "getsockopt PACKET_STATISTICS", errno);
  napi_value result, v;
  napi_create_array_with_length(env, 3, &result);
  napi_create_double(env, stats.tp_packets, &v);
  napi_set_element(env, result, 0, v);
  napi_create_double(env, stats.tp_drops, &v);
  napi_set_element(env, result, 1, v);
  napi_create_double(env, r->ignored, &v);
  napi_set_element(env, result, 2, v);
  return result;
}

// closeRing(ring)
static napi_value close_ring(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct ring *r = ring_arg(env, info, argv, 1);
  if (r != NULL) ring_close(r);
  return NULL;
}

void fm_ring_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openRing", NULL, open_ring, NULL, NULL, NULL, napi_default, NULL},
      {"takeBlock", NULL, take_block, NULL, NULL, NULL, napi_default, NULL},
      {"ringStats", NULL, ring_stats, NULL, NULL, NULL, napi_default, NULL},
      {"closeRing", NULL, close_ring, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
