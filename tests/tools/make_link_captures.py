#!/usr/bin/env python3
"""Writes tests/data/links_*.pcap: one HTTP/1.1 exchange (handshake, GET, 200 with a
body, close) carried over link types other than Ethernet, checksums correct.
    make_link_captures.py [OUTDIR]      (default: tests/data beside this script)
  links_pppoe_pfc.pcap   Ethernet + PPPoE, PPP protocol field compressed to 1 byte
                         (RFC 1661 6.5), plus an LCP echo (not IP) and a Van Jacobson
                         compressed frame (PPP 0x2d: unknown_ppp_protocol)
  links_nflog.pcap       LINKTYPE_NFLOG, little-endian TLVs, log prefix "http-in"
  links_chdlc.pcap       LINKTYPE_C_HDLC, plus a SLARP keepalive
  links_radiotap.pcap    LINKTYPE_IEEE802_11_RADIOTAP, QoS data to/from DS, FCS at the
                         end, plus a beacon and a protected data frame
  links_ipoib.pcap       LINKTYPE_IPOIB
No third-party modules: struct only."""
import os
import struct
import sys

from pcapgen import ipv4_tcp

CLIENT, SERVER = bytes([10, 1, 0, 2]), bytes([10, 1, 0, 1])
CPORT, SPORT = 51000, 80
REQUEST = b"GET /links/hello.txt HTTP/1.1\r\nHost: links.example\r\nUser-Agent: netlines-test\r\n\r\n"
BODY = b"hello over another link layer\n"
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(BODY)) + BODY
MAC_C, MAC_S = bytes.fromhex("020000000a02"), bytes.fromhex("020000000a01")
MAC_AP = bytes.fromhex("0200000000aa")


def conversation():
    """(from_client, IPv4 packet) of one HTTP exchange."""
    SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
    c, s = 1000, 5000
    out = []
    def cs(flags, payload=b""):
        ack = 0 if flags == SYN else s
        out.append((True, ipv4_tcp(CLIENT, SERVER, CPORT, SPORT, c, ack, flags, payload, len(out) + 1)))
    def sc(flags, payload=b""):
        out.append((False, ipv4_tcp(SERVER, CLIENT, SPORT, CPORT, s, c, flags, payload, len(out) + 1)))
    cs(SYN); c += 1
    sc(SYN | ACK); s += 1
    cs(ACK)
    cs(PSH | ACK, REQUEST); c += len(REQUEST)
    sc(ACK)
    sc(PSH | ACK, RESPONSE); s += len(RESPONSE)
    cs(ACK)
    cs(FIN | ACK); c += 1
    sc(FIN | ACK); s += 1
    cs(ACK)
    return out


def pcap(path, linktype, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 5, (i % 5) * 1000 + 1, len(frame), len(frame)))
            f.write(frame)


def pppoe(frame_from_client, ppp_payload):
    src, dst = (MAC_C, MAC_S) if frame_from_client else (MAC_S, MAC_C)
    return dst + src + struct.pack("!HBBHH", 0x8864, 0x11, 0, 0x0042, len(ppp_payload)) + ppp_payload


def nflog_tlv(t, value):
    tlv = struct.pack("<HH", 4 + len(value), t) + value
    return tlv + b"\0" * (-len(tlv) % 4)


def nflog(from_client, ip):
    hook = 1 if from_client else 3  # NF_INET_LOCAL_IN / FORWARD: whatever the rule saw
    return (struct.pack("!BBH", 2, 0, 7)
            + nflog_tlv(1, struct.pack("!HBB", 0x0800, hook, 0))   # NFULA_PACKET_HDR
            + nflog_tlv(10, b"http-in\0")                           # NFULA_PREFIX
            + nflog_tlv(4, struct.pack("!I", 2))                    # NFULA_IFINDEX_INDEV
            + nflog_tlv(9, ip))                                     # NFULA_PAYLOAD


def radiotap(fcs=True):
    # version, pad, length 17, present TSFT|Flags, TSFT (aligned to 8), flags (0x10: FCS at end)
    return struct.pack("<BBHI", 0, 0, 17, 0x3) + struct.pack("<Q", 123456) + bytes([0x10 if fcs else 0])


def wlan_data(from_client, body, protected=False):
    if from_client:   # station -> AP (to DS): A1 BSSID, A2 SA, A3 DA
        flags, a1, a2, a3 = 0x01, MAC_AP, MAC_C, MAC_S
    else:             # AP -> station (from DS): A1 DA, A2 BSSID, A3 SA
        flags, a1, a2, a3 = 0x02, MAC_C, MAC_AP, MAC_S
    if protected:
        flags |= 0x40
    hdr = struct.pack("<BBH", 0x88, flags, 44) + a1 + a2 + a3 + struct.pack("<H", 0x10) + b"\x00\x00"  # QoS data
    return radiotap() + hdr + body + b"\xde\xad\xbe\xef"  # FCS (not checked)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
    conv = conversation()

    frames = [pppoe(d, b"\x21" + ip) for d, ip in conv]
    frames.insert(3, pppoe(True, struct.pack("!HBBHI", 0xC021, 9, 1, 8, 0x1234)))   # LCP echo request
    frames.insert(5, pppoe(False, b"\x2d" + bytes(12)))                              # VJ compressed TCP/IP
    pcap(os.path.join(out, "links_pppoe_pfc.pcap"), 1, frames)

    pcap(os.path.join(out, "links_nflog.pcap"), 239, [nflog(d, ip) for d, ip in conv])

    frames = [b"\x0f\x00\x08\x00" + ip for _, ip in conv]
    frames.insert(2, b"\x8f\x00\x80\x35" + struct.pack("!IIIH", 2, 1, 0, 0xFFFF))   # SLARP keepalive
    pcap(os.path.join(out, "links_chdlc.pcap"), 104, frames)

    snap = b"\xaa\xaa\x03\x00\x00\x00\x08\x00"
    frames = [wlan_data(d, snap + ip) for d, ip in conv]
    beacon = (radiotap() + struct.pack("<BBH", 0x80, 0, 0) + b"\xff" * 6 + MAC_AP + MAC_AP + b"\x00\x00"
              + bytes(12) + b"\x00\x05links" + b"\x00\x00\x00\x00")
    frames.insert(0, beacon)
    frames.insert(4, wlan_data(True, bytes(8) + b"ciphertext", protected=True))
    pcap(os.path.join(out, "links_radiotap.pcap"), 127, frames)

    pcap(os.path.join(out, "links_ipoib.pcap"), 242, [b"\x08\x00\x00\x00" + ip for _, ip in conv])


main()
