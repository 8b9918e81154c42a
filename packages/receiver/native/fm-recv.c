// fm-recv: the receiver's native batch intake, a Node-API addon. Node's dgram makes one recvmsg and
// one JavaScript callback (a Buffer and a RemoteInfo object) per datagram; this takes up to a batch
// of datagrams with one recvmmsg into a buffer JavaScript owns and writes each one's length and
// sender address words into a metadata array beside it, so the worker pays one call per batch and
// allocates nothing per datagram.
//
// Built from source with the machine's gcc at install/build time (package.json build:native); the
// receiver falls back to dgram when the .node file is missing (--intake auto).

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/filter.h>

#include "fm-ring.h"

#define MAX_BATCH 256
// Per datagram in the metadata Int32Array: length, sender family (4 or 6), sender words 0..3, and
// whether the datagram was cut to the slot (MSG_TRUNC), then one spare word.
#define META_WORDS 8

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int int_arg(napi_env env, napi_value value, int32_t *out) {
  return napi_get_value_int32(env, value, out) == napi_ok;
}

// A socket still open when its thread's environment ends (a worker that crashed or was terminated)
// is closed here: otherwise it stays in the SO_REUSEPORT group and the kernel keeps giving it a share
// of the datagrams nobody reads.
static void close_at_teardown(void *arg) { close((int)(intptr_t)arg); }

// openSocket(address, port, recvBufferBytes, reusePort) -> [fd, grantedRecvBufferBytes, boundPort]
static napi_value open_socket(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char address[64];
  size_t address_len = 0;
  int32_t port = 0, rcvbuf = 0;
  bool reuse = false;
  if (argc < 4 ||
      napi_get_value_string_utf8(env, argv[0], address, sizeof address, &address_len) != napi_ok ||
      !int_arg(env, argv[1], &port) || !int_arg(env, argv[2], &rcvbuf) ||
      napi_get_value_bool(env, argv[3], &reuse) != napi_ok) {
    napi_throw_type_error(env, NULL, "openSocket(address, port, recvBufferBytes, reusePort)");
    return NULL;
  }
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t ss_len;
  int family;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
    family = AF_INET;
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    ss_len = sizeof *v4;
  } else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    ss_len = sizeof *v6;
  } else {
    napi_throw_type_error(env, NULL, "openSocket: not an IPv4 or IPv6 address");
    return NULL;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int on = 1, off = 0;
  // As dgram does: a dual-stack socket for ::, SO_REUSEPORT so every worker binds its own.
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt SO_REUSEPORT", err);
  }
  // SO_RCVBUFFORCE goes past net.core.rmem_max, but only for a process with CAP_NET_ADMIN (the
  // appliance run as root, or given that capability): the receive buffer is what absorbs a burst,
  // and the kernel default cap (208 KiB) drops one of a few hundred datagrams. Without the
  // capability (EPERM) it is SO_RCVBUF, capped at rmem_max, and the receiver warns naming it.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt SO_RCVBUF", err);
  }
  if (bind(fd, (struct sockaddr *)&ss, ss_len) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  if (napi_add_env_cleanup_hook(env, close_at_teardown, (void *)(intptr_t)fd) != napi_ok) {
    close(fd);
    napi_throw_error(env, NULL, "openSocket: cannot register the socket for teardown");
    return NULL;
  }
  int granted = 0;
  socklen_t granted_len = sizeof granted;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &granted_len);
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &bound_len);
  int bound_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                           : ((struct sockaddr_in6 *)&bound)->sin6_port);
  napi_value result, v;
  napi_create_array_with_length(env, 3, &result);
  napi_create_int32(env, fd, &v);
  napi_set_element(env, result, 0, v);
  napi_create_int32(env, granted, &v);
  napi_set_element(env, result, 1, v);
  napi_create_int32(env, bound_port, &v);
  napi_set_element(env, result, 2, v);
  return result;
}

// Sender words as @fargate-mirror/wire's parseAddress writes them: IPv4 (and ::ffff:a.b.c.d from a
// dual-stack socket) is 0, 0, 0xffff, the address; IPv6 is its four big-endian words.
static void sender_words(const struct sockaddr_storage *ss, int32_t *meta) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    meta[1] = 4;
    meta[2] = 0;
    meta[3] = 0;
    meta[4] = 0xffff;
    meta[5] = (int32_t)ntohl(a->sin_addr.s_addr);
    return;
  }
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    uint32_t w[4];
    memcpy(w, &a->sin6_addr, sizeof w);
    for (int i = 0; i < 4; i++) meta[2 + i] = (int32_t)ntohl(w[i]);
    meta[1] = meta[2] == 0 && meta[3] == 0 && meta[4] == 0xffff ? 4 : 6;
    return;
  }
  meta[1] = 0;
  meta[2] = meta[3] = meta[4] = meta[5] = 0;
}

// receiveBatch(fd, data, meta, slotBytes, maxDatagrams, timeoutMs) -> datagrams received (0: none
// within timeoutMs). Datagram i is at data[i * slotBytes], its metadata at meta[i * 8].
static napi_value receive_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1, slot = 0, max = 0, timeout = 0;
  void *data = NULL, *meta = NULL;
  size_t data_len = 0, meta_len = 0;
  napi_typedarray_type data_type, meta_type;
  napi_value ab;
  size_t byte_offset;
  if (argc < 6 || !int_arg(env, argv[0], &fd) ||
      napi_get_typedarray_info(env, argv[1], &data_type, &data_len, &data, &ab, &byte_offset) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &meta_type, &meta_len, &meta, &ab, &byte_offset) != napi_ok ||
      !int_arg(env, argv[3], &slot) || !int_arg(env, argv[4], &max) || !int_arg(env, argv[5], &timeout) ||
      data_type != napi_uint8_array || meta_type != napi_int32_array || slot <= 0 || max <= 0) {
    napi_throw_type_error(env, NULL,
                          "receiveBatch(fd, Uint8Array, Int32Array, slotBytes, maxDatagrams, timeoutMs)");
    return NULL;
  }
  if (max > MAX_BATCH) max = MAX_BATCH;
  if ((size_t)max * (size_t)slot > data_len) max = (int32_t)(data_len / (size_t)slot);
  if ((size_t)max * META_WORDS > meta_len) max = (int32_t)(meta_len / META_WORDS);
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_storage from[MAX_BATCH];
  for (int i = 0; i < max; i++) {
    iov[i].iov_base = (uint8_t *)data + (size_t)i * (size_t)slot;
    iov[i].iov_len = (size_t)slot;
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
  }
  int n = recvmmsg(fd, msgs, (unsigned)max, MSG_DONTWAIT, NULL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && timeout > 0) {
    // Nothing queued: wait for the first datagram (the worker's only socket), then take the batch.
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = poll(&p, 1, timeout);
    if (ready < 0 && errno != EINTR) return throw_errno(env, "poll", errno);
    n = ready > 0 ? recvmmsg(fd, msgs, (unsigned)max, MSG_DONTWAIT, NULL) : 0;
  }
  if (n < 0) {
    // Nothing there, or an ICMP error queued on the socket (never for a receive-only socket):
    // neither is a failure of the intake.
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNREFUSED) n = 0;
    else return throw_errno(env, "recvmmsg", errno);
  }
  int32_t *m = (int32_t *)meta;
  for (int i = 0; i < n; i++) {
    int32_t *row = m + (size_t)i * META_WORDS;
    unsigned len = msgs[i].msg_len;
    bool cut = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    row[0] = (int32_t)(len > (unsigned)slot ? (unsigned)slot : len);
    sender_words(&from[i], row);
    row[6] = cut ? 1 : 0;
    row[7] = 0;
  }
  napi_value result;
  napi_create_int32(env, n, &result);
  return result;
}

// waitReadable(fds: Int32Array, timeoutMs) -> whether one of fds has a datagram queued. The worker
// waits here (at most timeoutMs, then it serves its event loop) when every socket is empty.
static napi_value wait_readable(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *fds = NULL;
  size_t count = 0, byte_offset;
  napi_typedarray_type type;
  napi_value ab;
  int32_t timeout = 0;
  if (argc < 2 || napi_get_typedarray_info(env, argv[0], &type, &count, &fds, &ab, &byte_offset) != napi_ok ||
      type != napi_int32_array || count == 0 || count > 8 || !int_arg(env, argv[1], &timeout)) {
    napi_throw_type_error(env, NULL, "waitReadable(Int32Array of 1 to 8 fds, timeoutMs)");
    return NULL;
  }
  struct pollfd p[8];
  for (size_t i = 0; i < count; i++) {
    p[i].fd = ((int32_t *)fds)[i];
    p[i].events = POLLIN;
    p[i].revents = 0;
  }
  int ready = poll(p, (nfds_t)count, timeout);
  if (ready < 0 && errno != EINTR) return throw_errno(env, "poll", errno);
  napi_value result;
  napi_get_boolean(env, ready > 0, &result);
  return result;
}

// discardDatagrams(fd): the socket drops every datagram as it arrives (a filter that accepts nothing),
// for a port the packet-ring intake reads: bound, so senders get no ICMP port unreachable, and
// never filled. The kernel counts those drops for the socket; the receiver leaves them out.
static napi_value discard_datagrams(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || !int_arg(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "discardDatagrams(fd)");
    return NULL;
  }
  struct sock_filter nothing[] = {{BPF_RET | BPF_K, 0, 0, 0}};
  struct sock_fprog program = {1, nothing};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0)
    return throw_errno(env, "setsockopt SO_ATTACH_FILTER", errno);
  return NULL;
}

// closeSocket(fd)
static napi_value close_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || !int_arg(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "closeSocket(fd)");
    return NULL;
  }
  if (fd >= 0) {
    napi_remove_env_cleanup_hook(env, close_at_teardown, (void *)(intptr_t)fd);
    close(fd);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openSocket", NULL, open_socket, NULL, NULL, NULL, napi_default, NULL},
      {"receiveBatch", NULL, receive_batch, NULL, NULL, NULL, napi_default, NULL},
      {"waitReadable", NULL, wait_readable, NULL, NULL, NULL, napi_default, NULL},
      {"closeSocket", NULL, close_socket, NULL, NULL, NULL, napi_default, NULL},
      {"discardDatagrams", NULL, discard_datagrams, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  fm_ring_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
