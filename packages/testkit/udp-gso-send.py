# Sends VXLAN datagrams as UDP_SEGMENT super-datagrams: one sendto per `--batch` datagrams, which the
# kernel keeps whole on loopback (and veth) and splits only for a receiving UDP socket. Each datagram
# is VXLAN (VNI 7) over an inner Ethernet/IPv4/UDP frame of its own source port, `--size` bytes in
# all; the last of each batch is 20 bytes shorter, as GSO allows. Prints how many datagrams it sent.
#
# usage: python3 udp-gso-send.py --to 127.0.0.1 --port P [--batches 3] [--batch 10] [--size 200]
import argparse
import socket
import struct

UDP_SEGMENT = 103  # linux/udp.h

parser = argparse.ArgumentParser()
parser.add_argument("--to", default="127.0.0.1")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--batches", type=int, default=3)
parser.add_argument("--batch", type=int, default=10)
parser.add_argument("--size", type=int, default=200)
args = parser.parse_args()


def checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def datagram(sport: int, size: int) -> bytes:
    payload = bytes(size - 8 - 14 - 20 - 8)
    udp = struct.pack("!HHHH", sport, 9999, 8 + len(payload), 0) + payload
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), sport, 0, 64, 17, 0,
                               bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2])))
    ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
    ethernet = bytes.fromhex("020000000002" "020000000001" "0800")
    vxlan = struct.pack("!II", 0x08000000, 7 << 8)
    return vxlan + ethernet + bytes(ip) + udp


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, args.size)
sent = 0
for b in range(args.batches):
    sizes = [args.size] * (args.batch - 1) + [args.size - 20]
    parts = [datagram(20000 + b * args.batch + i, size) for i, size in enumerate(sizes)]
    s.sendto(b"".join(parts), (args.to, args.port))
    sent += len(parts)
print(sent)
