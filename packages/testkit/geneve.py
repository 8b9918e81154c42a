#!/usr/bin/python3
"""Wrap each mirrored VXLAN datagram the way a Gateway Load Balancer endpoint delivers it.

usage: geneve.py IN.pcap OUT.pcap

For every outer frame carrying UDP 4789/VXLAN, the mirror's whole IP packet (IP/UDP 4789/VXLAN/
inner frame) becomes the payload of GENEVE (RFC 8926, protocol 0x0800 or 0x86DD) over UDP 6081 from
the load balancer to the appliance, with AWS's GWLB options (class 0x0108): type 1 the GWLB endpoint
id (8 bytes), type 2 the attachment id (8 bytes), type 3 the flow cookie (4 bytes). Other frames are
copied unchanged. Prints "wrapped=K copied=M" on stdout.
"""

import struct
import sys
import zlib

from scapy.all import PcapReader, PcapWriter
from scapy.contrib.geneve import GENEVE, GeneveOptions
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from vxlan_capture import outer_ip, vxlan_udp

GENEVE_PORT = 6081
AWS_OPTION_CLASS = 0x0108
GWLB_IP = "10.77.5.5"
APPLIANCE_IP = "10.77.5.10"
GWLB_MAC = "02:00:0a:4d:05:05"
APPLIANCE_MAC = "02:00:0a:4d:05:0a"
GWLBE_ID = 0x0A1B2C3D4E5F6071
ATTACHMENT_ID = 0x1122334455667788


def aws_options(flow_cookie):
    def option(kind, data):
        return GeneveOptions(classid=AWS_OPTION_CLASS, type=kind, length=len(data) // 4, data=data)

    return [
        option(1, struct.pack("!Q", GWLBE_ID)),
        option(2, struct.pack("!Q", ATTACHMENT_ID)),
        option(3, struct.pack("!I", flow_cookie)),
    ]


def wrap(ip_bytes, ethertype):
    # One flow cookie and one source port per mirrored datagram stream, as GWLB keeps per flow.
    cookie = zlib.crc32(ip_bytes[:40]) & 0xFFFFFFFF
    options = aws_options(cookie)
    option_words = sum(1 + o.length for o in options)
    return (
        Ether(src=GWLB_MAC, dst=APPLIANCE_MAC)
        / IP(src=GWLB_IP, dst=APPLIANCE_IP, ttl=64)
        / UDP(sport=49152 + cookie % 16384, dport=GENEVE_PORT)
        / GENEVE(optionlen=option_words, proto=ethertype, vni=0, options=options)
        / ip_bytes
    )


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    wrapped = copied = 0
    with PcapReader(argv[1]) as reader:
        if reader.linktype != 1:
            sys.exit("geneve.py needs an Ethernet capture (link type 1)")
        writer = PcapWriter(argv[2], linktype=1, sync=False)
        for pkt in reader:
            if vxlan_udp(pkt) is not None:
                ip = outer_ip(pkt)
                ethertype = 0x0800 if isinstance(ip, IP) else 0x86DD
                out = wrap(bytes(ip), ethertype)
                out.time = pkt.time
                writer.write(out)
                wrapped += 1
            else:
                writer.write(pkt)
                copied += 1
        writer.close()
    print(f"wrapped={wrapped} copied={copied}")


if __name__ == "__main__":
    main(sys.argv)
