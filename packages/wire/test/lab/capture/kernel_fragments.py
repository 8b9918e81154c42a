#!/usr/bin/python3
"""Sends fragmented UDP datagrams to 127.0.0.1:PORT4 and [::1]:PORT6 through raw sockets, so the Linux
kernel reassembles them for the test's UDP sockets, and prints (JSON) every fragment exactly as sent.

Usage: kernel_fragments.py PORT4 PORT6 SEED   (needs root: raw sockets)

Per family: two datagrams whose fragments are shuffled and partly duplicated, one whose fragments
partly overlap (the kernel must drop it), then a small whole datagram as a sentinel: loopback keeps
order, so once the sentinel arrives everything sent before it has been delivered or dropped.
"""
import json
import random
import socket
import sys

from scapy.all import IP, UDP, IPv6, IPv6ExtHdrFragment, Raw, fragment, fragment6, raw

port4, port6, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)


def payload(n, tag):
    return bytes([tag]) + bytes(rng.randrange(256) for _ in range(n - 1))


def shuffle_with_duplicates(frags):
    order = frags[:]
    rng.shuffle(order)
    last = order.pop()
    order += [rng.choice(order) for _ in range(2)]
    rng.shuffle(order)
    return order + [last]


sent4, sent6 = [], []
for i, size in enumerate((5000, 20000)):
    pkt = IP(src='127.0.0.1', dst='127.0.0.1', id=0x4000 + i) / UDP(sport=40000 + i, dport=port4) / Raw(
        payload(size, i + 1))
    sent4 += [raw(f) for f in shuffle_with_duplicates(fragment(IP(raw(pkt)), fragsize=1480))]
    pkt6 = IPv6(src='::1', dst='::1') / IPv6ExtHdrFragment(id=0x6000 + i) / UDP(sport=40000 + i, dport=port6) / Raw(
        payload(size, i + 1))
    sent6 += [raw(f) for f in shuffle_with_duplicates(fragment6(pkt6, 1280))]

udp4 = raw(IP(src='127.0.0.1', dst='127.0.0.1') / UDP(sport=40009, dport=port4) / Raw(payload(2000, 9)))[20:]
sent4 += [raw(IP(src='127.0.0.1', dst='127.0.0.1', id=0x4999, proto=17, flags='MF') / Raw(udp4[:1000])),
          raw(IP(src='127.0.0.1', dst='127.0.0.1', id=0x4999, proto=17, frag=992 // 8) / Raw(udp4[992:]))]
udp6 = raw(IPv6(src='::1', dst='::1') / UDP(sport=40009, dport=port6) / Raw(payload(2000, 9)))[40:]
sent6 += [raw(IPv6(src='::1', dst='::1') / IPv6ExtHdrFragment(nh=17, id=0x6999, m=1) / Raw(udp6[:1000])),
          raw(IPv6(src='::1', dst='::1') / IPv6ExtHdrFragment(nh=17, id=0x6999, offset=992 // 8) / Raw(udp6[992:]))]

sent4.append(raw(IP(src='127.0.0.1', dst='127.0.0.1') / UDP(sport=40099, dport=port4) / Raw(b'sentinel')))
sent6.append(raw(IPv6(src='::1', dst='::1') / UDP(sport=40099, dport=port6) / Raw(b'sentinel')))

s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for f in sent4:
    s4.sendto(f, ('127.0.0.1', 0))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
for f in sent6:
    s6.sendto(f, ('::1', 0))
print(json.dumps({'ipv4': [f.hex() for f in sent4], 'ipv6': [f.hex() for f in sent6]}))
