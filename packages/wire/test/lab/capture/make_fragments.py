#!/usr/bin/python3
"""Prints JSON test cases for IpReassembler, built with scapy's own fragment() and fragment6().

Each case: the datagram as it was before fragmentation (`whole`, what reassembly must give back; for IPv6
built without the Fragment header), its fragments in order, and where scapy put the IPv6 Fragment header.
Overlap cases are fragments of one datagram cut by hand so that two of them share bytes.
"""
import json

from scapy.all import (IP, TCP, UDP, VXLAN, Ether, IPOption_NOP, IPOption_RR, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, Raw, fragment, fragment6, raw)


def payload(n, seed):
    return bytes((i * 7 + seed) & 0xff for i in range(n))


def v4_case(name, pkt, fragsize):
    whole = raw(pkt)
    frags = [raw(f) for f in fragment(IP(whole), fragsize=fragsize)]
    return {'name': name, 'family': 4, 'whole': whole.hex(), 'fragments': [f.hex() for f in frags],
            'fragmentHeaderOffset': -1}


def v6_case(name, unfragmentable, upper, fragsize, ident):
    whole = raw(unfragmentable / upper)
    with_fh = unfragmentable / IPv6ExtHdrFragment(id=ident) / upper
    frags = [raw(f) for f in fragment6(with_fh, fragsize)]
    return {'name': name, 'family': 6, 'whole': whole.hex(), 'fragments': [f.hex() for f in frags],
            'fragmentHeaderOffset': len(raw(unfragmentable))}


inner = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02') / IP(src='10.0.1.5', dst='10.0.2.9') / TCP(
    sport=40000, dport=443, flags='PA') / Raw(payload(2900, 1))
cases = [
    v4_case('ipv4-udp', IP(src='10.0.0.1', dst='10.0.0.2', id=0x1234) / UDP(sport=1000, dport=2000) /
            Raw(payload(5000, 2)), 1480),
    v4_case('ipv4-options', IP(src='10.0.0.3', dst='10.0.0.4', id=7, options=[IPOption_RR(routers=['1.2.3.4']),
                                                                                IPOption_NOP()]) /
            UDP(sport=1, dport=2) / Raw(payload(3000, 3)), 1000),
    v4_case('ipv4-vxlan-mirror', IP(src='172.31.0.10', dst='172.31.0.20', id=0xbeef) /
            UDP(sport=50000, dport=4789) / VXLAN(vni=42) / inner, 1480),
    v6_case('ipv6-udp', IPv6(src='2001:db8::1', dst='2001:db8::2'), UDP(sport=3000, dport=4000) /
            Raw(payload(4000, 4)), 1280, 0xabcdef),
    v6_case('ipv6-extension-headers', IPv6(src='2001:db8::3', dst='2001:db8::4') / IPv6ExtHdrHopByHop() /
            IPv6ExtHdrDestOpt(), UDP(sport=5, dport=6) / Raw(payload(3000, 5)), 1280, 0x12345678),
]

# Overlaps: one UDP datagram of 2000 payload bytes cut into [0,1000) and [992,2008) (8 bytes shared).
udp = raw(UDP(sport=9, dport=9) / Raw(payload(2000, 6)))
v4a = raw(IP(src='10.9.0.1', dst='10.9.0.2', id=99, proto=17, flags='MF', frag=0) / Raw(udp[:1000]))
v4b = raw(IP(src='10.9.0.1', dst='10.9.0.2', id=99, proto=17, frag=992 // 8) / Raw(udp[992:]))
v6a = raw(IPv6(src='2001:db8::9', dst='2001:db8::a') / IPv6ExtHdrFragment(nh=17, id=5, m=1, offset=0) /
          Raw(udp[:1000]))
v6b = raw(IPv6(src='2001:db8::9', dst='2001:db8::a') / IPv6ExtHdrFragment(nh=17, id=5, m=0, offset=992 // 8) /
          Raw(udp[992:]))
overlaps = [
    {'name': 'ipv4-overlap', 'family': 4, 'fragments': [v4a.hex(), v4b.hex()]},
    {'name': 'ipv6-overlap', 'family': 6, 'fragments': [v6a.hex(), v6b.hex()]},
]
print(json.dumps({'cases': cases, 'overlaps': overlaps}))
