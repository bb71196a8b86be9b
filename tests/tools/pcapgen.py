"""Pieces the test-capture generators share: the Internet checksum, IPv4/TCP
packets, and a classic pcap writer. Byte for byte what each generator wrote
before, so the captures made from them do not change."""
import struct

SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04


def csum(data):
    """RFC 1071 one's-complement sum."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0, mf=False, frag_off=0):
    """An IPv4 header (checksum 0: decoders do not verify it by default) and payload."""
    flags = (0x2000 if mf else 0) | (frag_off // 8)
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, proto, 0,
                       src, dst) + payload


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    """IPv4 + TCP without checksums."""
    hdr = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                      65535, 0, 0)
    return ipv4(src, dst, 6, hdr + payload)


def ipv4_tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", ident=1):
    """IPv4 (DF) + TCP with both checksums right."""
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
    seg = seg[:16] + struct.pack("!H", csum(pseudo + seg)) + seg[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), ident, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + seg


class Pcap:
    """A classic pcap of raw IP packets (link type 101), step_us apart."""

    def __init__(self, path, step_us):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        self.t = 1_700_000_000_000_000
        self.step = step_us

    def add(self, pkt):
        self.t += self.step
        self.f.write(struct.pack("<IIII", self.t // 1_000_000, self.t % 1_000_000, len(pkt), len(pkt)))
        self.f.write(pkt)

    def close(self):
        self.f.close()
