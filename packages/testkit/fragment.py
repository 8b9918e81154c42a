#!/usr/bin/python3
"""IP-fragment each mirrored VXLAN datagram larger than an MTU, as a router on the path would.

usage: fragment.py IN.pcap OUT.pcap [MTU] [forward|reverse]   (MTU 1500, order forward)

IPv4 datagrams get IPv4 fragments (DF cleared), IPv6 datagrams a Fragment extension header; the
fragments keep the original frame's timestamp and Ethernet header. `reverse` writes each datagram's
fragments last-first, as reordering networks deliver them. Other frames are copied unchanged.
Prints "fragmented=K fragments=F copied=M" on stdout.
"""

import sys

from scapy.all import PcapReader, PcapWriter
from scapy.layers.inet import IP, fragment
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment, fragment6
from scapy.layers.l2 import Ether
from vxlan_capture import outer_ip, vxlan_udp

IPV6_HEADER_LEN = 40


def fragments_of(ip, mtu):
    if isinstance(ip, IP):
        ip = ip.copy()
        ip.flags = 0
        # fragsize is the payload per fragment: a multiple of 8 that fills the MTU.
        return fragment(ip, fragsize=(mtu - ip.ihl * 4) // 8 * 8)
    with_header = IPv6(bytes(ip)[:IPV6_HEADER_LEN]) / IPv6ExtHdrFragment() / ip.payload
    with_header[IPv6].nh = 44
    del with_header[IPv6].plen
    with_header[IPv6ExtHdrFragment].nh = ip.nh
    return fragment6(IPv6(bytes(with_header)), mtu)


def main(argv):
    if len(argv) not in (3, 4, 5):
        sys.exit(__doc__)
    mtu = int(argv[3]) if len(argv) >= 4 else 1500
    order = argv[4] if len(argv) == 5 else "forward"
    if order not in ("forward", "reverse"):
        sys.exit(__doc__)
    fragmented = fragments = copied = 0
    with PcapReader(argv[1]) as reader:
        if reader.linktype != 1:
            sys.exit("fragment.py needs an Ethernet capture (link type 1)")
        writer = PcapWriter(argv[2], linktype=1, sync=False)
        for pkt in reader:
            ip = outer_ip(pkt)
            if vxlan_udp(pkt) is None or len(ip) <= mtu:
                writer.write(pkt)
                copied += 1
                continue
            parts = fragments_of(ip, mtu)
            if order == "reverse":
                parts = list(reversed(parts))
            eth = pkt[Ether]
            for part in parts:
                out = Ether(src=eth.src, dst=eth.dst, type=eth.type) / part
                out.time = pkt.time
                writer.write(out)
            fragmented += 1
            fragments += len(parts)
        writer.close()
    print(f"fragmented={fragmented} fragments={fragments} copied={copied}")


if __name__ == "__main__":
    main(sys.argv)
