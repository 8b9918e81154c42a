"""Shared helpers for the scapy capture rewriters: find the mirror's VXLAN datagram in an outer frame."""

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import (
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
)
from scapy.layers.vxlan import VXLAN
from scapy.packet import NoPayload, split_layers

# Only the outer headers matter here: leave the VXLAN payload undissected (scapy would otherwise walk
# every inner frame down to TLS, which makes the rewriters several times slower).
for _field in ("dport", "sport"):
    for _port in (4789, 4790, 6633, 8472, 48879):
        split_layers(UDP, VXLAN, **{_field: _port})

IPV6_EXTENSION_HEADERS = (IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment)

VXLAN_PORT = 4789
VXLAN_HEADER_LEN = 8


def outer_ip(pkt):
    """The outermost IP layer (IPv4 or IPv6) of a captured frame, or None.

    (`IP in pkt` would also find the inner packet of a VXLAN-over-IPv6 frame.)
    """
    layer = pkt
    while not isinstance(layer, NoPayload):
        if isinstance(layer, (IP, IPv6)):
            return layer
        layer = layer.payload
    return None


def after_ip_header(ip):
    """The layer that follows the IP header and, for IPv6, its extension headers."""
    layer = ip.payload
    while isinstance(layer, IPV6_EXTENSION_HEADERS):
        layer = layer.payload
    return layer


def is_fragment(ip):
    if isinstance(ip, IP):
        return ip.frag != 0 or bool(ip.flags.MF)
    layer = ip.payload
    while isinstance(layer, IPV6_EXTENSION_HEADERS):
        if isinstance(layer, IPv6ExtHdrFragment):
            return True
        layer = layer.payload
    return False


def vxlan_udp(pkt):
    """The outer UDP layer of a mirrored VXLAN datagram (UDP dport 4789), or None.

    Raises ValueError on an IP fragment: rewriting needs whole datagrams.
    """
    ip = outer_ip(pkt)
    if ip is None:
        return None
    if is_fragment(ip):
        raise ValueError("capture holds outer IP fragments; use a capture without them")
    udp = after_ip_header(ip)
    if not isinstance(udp, UDP) or udp.dport != VXLAN_PORT:
        return None
    return udp


def clear_lengths(ip, udp):
    """Drop lengths and checksums so scapy recomputes them from the new payload."""
    if isinstance(ip, IP):
        del ip.len
        del ip.chksum
    else:
        del ip.plen
    del udp.len
    del udp.chksum
