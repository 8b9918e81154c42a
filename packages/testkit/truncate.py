#!/usr/bin/python3
"""Cut each mirrored inner frame to N bytes, as AWS Traffic Mirroring does with a session's PacketLength.

usage: truncate.py IN.pcap OUT.pcap [N]   (N defaults to 128)

For every outer frame carrying UDP 4789/VXLAN, the bytes after the VXLAN header are cut to N; the
outer IP total length (or IPv6 payload length), UDP length and checksums are rewritten to match.
The inner headers keep their original length fields: a receiver must count bytes from those.
Other frames are copied unchanged. Prints "truncated=K copied=M" on stdout.
"""

import sys

from scapy.all import PcapReader, PcapWriter, Raw
from vxlan_capture import VXLAN_HEADER_LEN, clear_lengths, outer_ip, vxlan_udp


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    src, dst = argv[1], argv[2]
    keep = int(argv[3]) if len(argv) == 4 else 128
    truncated = copied = 0
    with PcapReader(src) as reader:
        writer = None
        for pkt in reader:
            if writer is None:
                writer = PcapWriter(dst, linktype=reader.linktype, sync=False)
            udp = vxlan_udp(pkt)
            if udp is not None:
                payload = bytes(udp.payload)
                if len(payload) - VXLAN_HEADER_LEN > keep:
                    udp.remove_payload()
                    udp.add_payload(Raw(payload[: VXLAN_HEADER_LEN + keep]))
                    clear_lengths(outer_ip(pkt), udp)
                    rebuilt = pkt.__class__(bytes(pkt))
                    rebuilt.time = pkt.time
                    pkt = rebuilt
                    truncated += 1
                else:
                    copied += 1
            else:
                copied += 1
            writer.write(pkt)
        if writer is not None:
            writer.close()
    print(f"truncated={truncated} copied={copied}")


if __name__ == "__main__":
    main(sys.argv)
