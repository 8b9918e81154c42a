#!/usr/bin/python3
"""Rewrites a capture of mirrored traffic (outer IPv4/UDP 4789/VXLAN) for the receiver's tests.

Each packet becomes a copy with a new outer source address and VNI (another mirror point), inner
addresses mapped (to put the traffic on other hosts), the inner TTL / hop limit lowered (a routed
hop) and every inner checksum recomputed. With --with-original the original packet is kept and the
copy follows it --delay-us later: both ends of each conversation mirrored.

usage: rewrite-mirror.py IN OUT [--outer-src IP] [--vni N] [--map-inner A=B ...] [--hop-dec N]
                         [--delay-us N] [--with-original] [--ipv4-only]
"""
import argparse

from scapy.all import IP, TCP, UDP, ICMP, Ether, IPv6, rdpcap, wrpcap
from scapy.layers.inet6 import ICMPv6EchoRequest, ICMPv6EchoReply
from scapy.layers.vxlan import VXLAN

ap = argparse.ArgumentParser()
ap.add_argument("inp")
ap.add_argument("out")
ap.add_argument("--outer-src")
ap.add_argument("--vni", type=int)
ap.add_argument("--map-inner", action="append", default=[])
ap.add_argument("--hop-dec", type=int, default=0)
ap.add_argument("--delay-us", type=int, default=0)
ap.add_argument("--with-original", action="store_true")
ap.add_argument("--ipv4-only", action="store_true")
args = ap.parse_args()
mapping = dict(m.split("=", 1) for m in args.map_inner)

out = []
for p in rdpcap(args.inp):
    if VXLAN not in p:
        continue
    inner = p[VXLAN].payload
    if args.ipv4_only and IP not in inner:
        continue
    q = p.copy()
    if args.outer_src:
        q[IP].src = args.outer_src
    del q[IP].chksum
    if args.vni is not None:
        q[VXLAN].vni = args.vni
    qi = q[VXLAN].payload
    if IP in qi:
        ip = qi[IP]
        ip.src = mapping.get(ip.src, ip.src)
        ip.dst = mapping.get(ip.dst, ip.dst)
        ip.ttl -= args.hop_dec
        del ip.chksum
    elif IPv6 in qi:
        ip = qi[IPv6]
        ip.src = mapping.get(ip.src, ip.src)
        ip.dst = mapping.get(ip.dst, ip.dst)
        ip.hlim -= args.hop_dec
    for layer in (TCP, UDP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply):
        if layer in qi:
            field = "cksum" if layer in (ICMPv6EchoRequest, ICMPv6EchoReply) else "chksum"
            delattr(qi[layer], field)
    # Outer UDP checksum 0 (as the kernel's VXLAN sends it): no need to recompute it over the change.
    if UDP in q:
        q[UDP].chksum = 0
    q = Ether(bytes(q))
    q.time = p.time + args.delay_us / 1e6
    if args.with_original:
        out.append(p)
    out.append(q)
out.sort(key=lambda x: x.time)
wrpcap(args.out, out)
