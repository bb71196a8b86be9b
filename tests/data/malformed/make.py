#!/usr/bin/env python3
"""Writes the malformed captures of this folder (standard library only).
Each file is small and names what is wrong with it; README.md lists them.
Run again after changing a case: python3 make.py (writes into this folder)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# A valid Ethernet/IPv4/TCP SYN frame to wrap in broken containers.
ETH = bytes.fromhex("020000000002" "020000000001" "0800")
IP = bytes.fromhex("45000028" "00014000" "4006" "0000" "0a000001" "0a000002")
TCP = bytes.fromhex("9c400050" "00000001" "00000000" "5002ffff" "00000000")
FRAME = ETH + IP + TCP


def pcap_header(linktype=1, snaplen=65535, magic=0xA1B2C3D4, major=2, minor=4, endian="<"):
    return struct.pack(endian + "IHHiIII", magic, major, minor, 0, 0, snaplen, linktype)


def pcap_record(data, ts=1700000000, frac=0, caplen=None, origlen=None, endian="<"):
    caplen = len(data) if caplen is None else caplen
    origlen = len(data) if origlen is None else origlen
    return struct.pack(endian + "IIII", ts, frac, caplen, origlen) + data


def block(btype, body, total=None, trailer=None):
    pad = (-len(body)) % 4
    body = body + b"\0" * pad
    total = 12 + len(body) if total is None else total
    trailer = total if trailer is None else trailer
    return struct.pack("<II", btype, total) + body + struct.pack("<I", trailer)


def shb(major=1, minor=0, magic=0x1A2B3C4D):
    return block(0x0A0D0D0A, struct.pack("<IHHq", magic, major, minor, -1))


def idb(linktype=1, snaplen=0, options=b""):
    return block(1, struct.pack("<HHI", linktype, 0, snaplen) + options)


def opt(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * ((-len(value)) % 4)


def epb(data, iface=0, ts=0, caplen=None, origlen=None, options=b""):
    caplen = len(data) if caplen is None else caplen
    origlen = len(data) if origlen is None else origlen
    pad = b"\0" * ((-len(data)) % 4)
    return block(6, struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, caplen, origlen) + data + pad
                 + options)


def spb(data, origlen=None):
    origlen = len(data) if origlen is None else origlen
    return block(3, struct.pack("<I", origlen) + data)


GOOD = pcap_header() + pcap_record(FRAME) + pcap_record(FRAME, ts=1700000001)
# Bytes no record header can start with (a captured length or block length of 0xefbeadde).
GARBAGE = b"\xde\xad\xbe\xef" * 9 + b"!"

CASES = {
    # classic pcap
    "pcap_short_file_header.pcap": pcap_header()[:10],
    "pcap_header_only.pcap": pcap_header(),
    "pcap_bad_version.pcap": pcap_header(major=9, minor=9) + pcap_record(FRAME),
    "pcap_truncated_record_header.pcap": GOOD + pcap_record(FRAME)[:9],
    "pcap_truncated_record_data.pcap": GOOD + pcap_record(FRAME)[:40],
    "pcap_caplen_4g.pcap": GOOD + pcap_record(FRAME, caplen=0xFFFFFFF0),
    "pcap_caplen_over_snaplen.pcap": pcap_header(snaplen=64) + pcap_record(FRAME + b"\0" * 200),
    "pcap_caplen_256k.pcap": pcap_header() + pcap_record(b"\0" * 262145),
    "pcap_origlen_below_caplen.pcap": pcap_header() + pcap_record(FRAME, origlen=10),
    "pcap_zero_caplen.pcap": pcap_header() + pcap_record(b"") + pcap_record(FRAME),
    "pcap_zero_snaplen.pcap": pcap_header(snaplen=0) + pcap_record(FRAME),
    "pcap_unknown_linktype.pcap": pcap_header(linktype=147) + pcap_record(FRAME),
    "pcap_linktype_ffffffff.pcap": pcap_header(linktype=0xFFFFFFFF) + pcap_record(FRAME),
    "pcap_usec_over_million.pcap": pcap_header() + pcap_record(FRAME, frac=4000000000),
    "pcap_nsec_ts_max.pcap": pcap_header(magic=0xA1B23C4D) + pcap_record(FRAME, ts=0xFFFFFFFF, frac=0xFFFFFFFF),
    "pcap_big_endian_cut.pcap": (pcap_header(endian=">") + pcap_record(FRAME, endian=">"))[:-7],
    "pcap_garbage_after_magic.pcap": struct.pack("<I", 0xA1B2C3D4) + bytes(range(256)) * 4,
    "pcap_ip_lies.pcap": pcap_header() + pcap_record(ETH + bytes.fromhex("4f00ffff00002000ff06") + b"\xff" * 8)
    + pcap_record(ETH[:12] + b"\x86\xdd" + bytes.fromhex("60000000ffff00ff") + b"\0" * 32 + b"\0\0" * 20)
    + pcap_record(ETH + IP + bytes.fromhex("9c400050000000010000000"+"0f002ffff00000000"))
    + pcap_record(ETH[:12] + b"\x81\x00" * 40),
    # damage in the middle: the reader resynchronises on the records after it
    "pcap_garbage_between_records.pcap": GOOD + GARBAGE + pcap_record(FRAME, ts=1700000002)
    + pcap_record(FRAME, ts=1700000003),
    "pcap_caplen_corrupt_mid_file.pcap": GOOD + pcap_record(FRAME, ts=1700000002, caplen=0x7FFF0000)
    + pcap_record(FRAME, ts=1700000003) + pcap_record(FRAME, ts=1700000004),
    # pcapng
    "pcapng_truncated_shb.pcapng": shb()[:20],
    "pcapng_bad_byte_order_magic.pcapng": shb(magic=0x12345678) + idb() + epb(FRAME),
    "pcapng_bad_major_version.pcapng": shb(major=7) + idb() + epb(FRAME),
    "pcapng_epb_before_idb.pcapng": shb() + epb(FRAME) + idb() + epb(FRAME),
    "pcapng_epb_bad_interface.pcapng": shb() + idb() + epb(FRAME) + epb(FRAME, iface=5) + epb(FRAME),
    "pcapng_block_length_not_multiple_of_4.pcapng": shb() + idb() + block(6, b"\0" * 40, total=53),
    "pcapng_block_length_too_small.pcapng": shb() + idb() + epb(FRAME) + struct.pack("<II", 6, 4) + b"\0" * 16,
    "pcapng_block_length_huge.pcapng": shb() + idb() + epb(FRAME) + struct.pack("<II", 6, 0x7FFFFFF0) + b"\0" * 64,
    "pcapng_trailer_mismatch.pcapng": shb() + idb() + epb(FRAME) + block(6, epb(FRAME)[8:-4], trailer=1234),
    "pcapng_epb_caplen_past_block.pcapng": shb() + idb() + epb(FRAME, caplen=4000) + epb(FRAME),
    "pcapng_truncated_epb.pcapng": (shb() + idb() + epb(FRAME) + epb(FRAME))[:-20],
    "pcapng_unknown_blocks.pcapng": shb() + block(0x0BAD, b"x" * 20) + idb() + block(0x80000001, b"") + epb(FRAME),
    "pcapng_tsresol_odd.pcapng": shb() + idb(options=opt(9, b"\xff") + opt(0, b"")) + epb(FRAME, ts=(1 << 64) - 1)
    + idb(options=opt(9, b"\x80\x3f")) + epb(FRAME, iface=1, ts=(1 << 63)) + idb(options=opt(9, b"\x00"))
    + epb(FRAME, iface=2, ts=12345),
    "pcapng_option_overrun.pcapng": shb() + idb(options=struct.pack("<HH", 9, 400) + b"\x06\0\0\0") + epb(FRAME),
    "pcapng_spb_with_snaplen.pcapng": shb() + idb(snaplen=20) + spb(FRAME) + spb(FRAME[:20], origlen=54),
    "pcapng_idb_linktype_unknown.pcapng": shb() + idb(linktype=0xFFFF) + epb(FRAME),
    "pcapng_garbage_after_section.pcapng": shb() + idb() + epb(FRAME) + bytes(range(256)),
    "pcapng_garbage_between_blocks.pcapng": shb() + idb() + epb(FRAME, ts=1700000000 * 10**6)
    + epb(FRAME, ts=1700000001 * 10**6) + GARBAGE + epb(FRAME, ts=1700000002 * 10**6)
    + epb(FRAME, ts=1700000003 * 10**6),
    "pcapng_two_sections_big_endian.pcapng": shb() + idb() + epb(FRAME)
    + struct.pack(">II", 0x0A0D0D0A, 28) + struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1) + struct.pack(">I", 28)
    + struct.pack(">II", 1, 20) + struct.pack(">HHI", 1, 0, 0) + struct.pack(">I", 20),
    # neither
    "not_a_capture.txt": b"this is not a capture\n",
    "empty.pcap": b"",
}


def main():
    for name, data in CASES.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    print(f"{len(CASES)} files")


if __name__ == "__main__":
    main()
