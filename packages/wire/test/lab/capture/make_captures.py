#!/usr/bin/python3
"""Builds the capture-reader fixtures with scapy (real encoders) into OUTDIR.

Usage: make_captures.py OUTDIR

Writes pcap files in several variants (byte order, resolution, link types) and one hand-framed pcapng
(`crafted.pcapng`) for the block types no tool writes on demand: big-endian sections, several sections,
power-of-2 and millisecond if_tsresol, SPB, OPB, NRB, ISB, custom and unknown blocks. Ground truth
always comes from tshark reading the files, never from this script.
"""
import struct
import sys
from decimal import Decimal

from scapy.all import (ARP, DNS, DNSQR, ICMP, IP, TCP, UDP, VXLAN, CookedLinux, Dot1Q, Ether, IPv6,
                       PcapWriter, Raw)
from scapy.layers.l2 import CookedLinuxV2

out = sys.argv[1]
BASE_TIME = Decimal('1700000000')


def stamp(pkts, step_ns=1_234_567_891):
    """Gives packets nanosecond timestamps that exercise every digit (and second carries)."""
    for i, p in enumerate(pkts):
        p.time = BASE_TIME + Decimal(i * step_ns + 123_456_789 * (i % 3)) / Decimal(1_000_000_000)
    return pkts


def ethernet_packets():
    inner = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02') / IP(src='10.0.1.5', dst='10.0.2.9') / TCP(
        sport=40000, dport=443, flags='PA') / Raw(b'x' * 200)
    pkts = [
        Ether() / IP(src='172.31.0.10', dst='172.31.0.20') / UDP(sport=50000, dport=4789) / VXLAN(vni=42) / inner,
        Ether() / IPv6(src='2001:db8::1', dst='2001:db8::2') / TCP(sport=1234, dport=80, flags='S'),
        Ether(dst='ff:ff:ff:ff:ff:ff') / ARP(pdst='10.0.0.1'),
        Ether() / Dot1Q(vlan=7) / IP(dst='10.9.9.9') / ICMP(),
        Ether() / IP() / UDP(dport=53) / DNS(qd=DNSQR(qname='example.com')),
        Ether() / IP() / UDP(sport=1, dport=2) / Raw(bytes(range(256)) * 35),  # ~9000 bytes: jumbo
        Ether() / Raw(b''),  # 14 bytes: shortest frame
    ]
    for n in range(8):
        pkts.append(Ether() / IP(id=n) / TCP(seq=n) / Raw(bytes([n]) * (n * 97 % 1400)))
    # Captured short: 96 of 1514 bytes kept, as a snaplen or a mirror's PacketLength does.
    cut = Ether() / IP() / TCP() / Raw(b'z' * 1460)
    pkts.append(Ether(bytes(cut)[:96]))
    pkts[-1].wirelen = len(cut)
    return stamp(pkts)


def write(name, pkts, **kwargs):
    w = PcapWriter(f'{out}/{name}', sync=True, **kwargs)
    for p in pkts:
        w.write(p)
    w.close()


eth = ethernet_packets()
write('eth-nsec-le.pcap', eth, nano=True, linktype=1, snaplen=262144)
write('eth-nsec-be.pcap', eth, nano=True, linktype=1, endianness='>', snaplen=262144)
write('eth-usec-be.pcap', eth, nano=False, linktype=1, endianness='>', snaplen=262144)

raw_ip = stamp([IP(src='192.0.2.1', dst='192.0.2.2') / UDP() / Raw(b'r' * n) for n in (0, 10, 500)], 777_000_001)
for p in raw_ip:
    p.time += Decimal('0.5')
write('rawip-nsec.pcap', raw_ip, nano=True, linktype=101)
sll = stamp([CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b'\x02\x00\x00\x00\x00\x09', proto=0x0800) /
             IP(dst='198.51.100.7') / ICMP() for _ in range(3)], 999_999_999)
write('sll-usec.pcap', sll, nano=False, linktype=113)
sll2 = stamp([CookedLinuxV2(proto=0x86dd, ifindex=3, pkttype=4, lladdrtype=1, lladdrlen=6) /
              IPv6(dst='2001:db8::9') / UDP() / Raw(b'6' * 33) for _ in range(2)], 333_333_333)
write('sll2-nsec.pcap', sll2, nano=True, linktype=276)


# --- hand-framed pcapng ------------------------------------------------------------------------------

def pad4(b):
    return b + b'\0' * (-len(b) % 4)


def block(e, btype, body):
    body = pad4(body)
    total = 12 + len(body)
    return struct.pack(e + 'II', btype, total) + body + struct.pack(e + 'I', total)


def options(e, opts):
    out_ = b''
    for code, value in opts:
        out_ += struct.pack(e + 'HH', code, len(value)) + pad4(value)
    return out_ + (struct.pack(e + 'HH', 0, 0) if opts else b'')


def shb(e):
    return block(e, 0x0A0D0D0A, struct.pack(e + 'IHHq', 0x1A2B3C4D, 1, 0, -1) +
                 options(e, [(4, b'make_captures.py')]))


def idb(e, linktype, snaplen, tsresol=None, extra=()):
    opts = [(2, b'if%d' % linktype)] + ([(9, bytes([tsresol]))] if tsresol is not None else []) + list(extra)
    return block(e, 1, struct.pack(e + 'HHI', linktype, 0, snaplen) + options(e, opts))


def units(t, tsresol):
    """Timestamp `t` (Decimal seconds) in if_tsresol units, as the 64-bit count pcapng stores."""
    scale = (2 ** (tsresol & 0x7f)) if tsresol & 0x80 else (10 ** tsresol)
    return int(t * scale)


def epb(e, iface, t, tsresol, data, wirelen=None, opts=()):
    u = units(t, tsresol)
    return block(e, 6, struct.pack(e + 'IIIII', iface, u >> 32, u & 0xffffffff, len(data),
                                   wirelen or len(data)) + pad4(data) + options(e, list(opts)))


def opb(e, iface, t, tsresol, data):
    u = units(t, tsresol)
    return block(e, 2, struct.pack(e + 'HHIIII', iface, 0, u >> 32, u & 0xffffffff, len(data), len(data)) + pad4(data))


def spb(e, data, wirelen=None):
    return block(e, 3, struct.pack(e + 'I', wirelen or len(data)) + pad4(data))


def frame(n, size):
    return bytes(Ether(src='02:00:00:00:00:%02x' % n) / IP(id=n) / UDP() / Raw(bytes([n]) * size))


t0 = Decimal('1700000100.000000000')
crafted = b''
# Section 1, big endian: Ethernet at 2^-10 s, raw IP at milliseconds, Ethernet with default microseconds.
B = '>'
crafted += shb(B)
crafted += idb(B, 1, 65535, 0x8a)
crafted += idb(B, 101, 0, 3)
crafted += idb(B, 1, 128, extra=[(14, struct.pack(B + 'q', 3600))])  # if_tsoffset: +1 hour
crafted += epb(B, 0, t0 + Decimal(517) / 1024, 0x8a, frame(1, 60))
crafted += block(B, 4, struct.pack(B + 'HH', 1, 9) + bytes([10, 0, 0, 1]) + pad4(b'host\0') +
                 struct.pack(B + 'HH', 0, 0))  # NRB: one IPv4 record, then the end record
crafted += epb(B, 1, t0 + Decimal('1.250'), 3, bytes(IP(dst='192.0.2.77') / UDP() / Raw(b'q' * 20)),
               opts=[(1, b'a comment')])
crafted += opb(B, 0, t0 + Decimal(2049) / 1024, 0x8a, frame(2, 100))
crafted += block(B, 5, struct.pack(B + 'III', 0, 0, 0))  # ISB, no options
crafted += epb(B, 2, t0 + Decimal('3.000001'), 6, frame(3, 40))
crafted += block(B, 0x00000BAD, struct.pack(B + 'I', 32473) + b'custom!!')  # custom block, copyable
crafted += block(B, 0x7777, b'unknown block type')
# Section 2, little endian: interface numbering restarts; SPB uses interface 0 and its snaplen.
L = '<'
crafted += shb(L)
crafted += idb(L, 1, 80, 9)
crafted += idb(L, 113, 0, 0x80 | 20)
crafted += spb(L, frame(4, 200)[:80], wirelen=len(frame(4, 200)))
crafted += epb(L, 1, t0 + Decimal('4.123456789'), 0x80 | 20,
               bytes(CookedLinux(proto=0x0800) / IP(dst='203.0.113.1') / ICMP()))
crafted += epb(L, 0, t0 + Decimal('5.987654321'), 9, frame(5, 20)[:60], wirelen=len(frame(5, 20)))
crafted += spb(L, frame(6, 10))
with open(f'{out}/crafted.pcapng', 'wb') as f:
    f.write(crafted)
