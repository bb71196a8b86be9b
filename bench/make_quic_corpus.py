#!/usr/bin/env python3
"""QUIC benchmark capture: the Ethernet QUIC captures given, repeated ROUNDS times,
each copy with its own client address and port and its own server address. Copies
are 5 ms apart; the UDP checksum is left 0 (legal in IPv4).

    make_quic_corpus.py [--same-dcid] [--seed N] OUT.pcap ROUNDS CAPTURE...

Initial keys (RFC 9001 5.2, RFC 9369 3.3.1) come from the client's first
Destination Connection ID alone. Real clients pick a random DCID per connection, so
by default every copy of a connection gets its own DCID (same length as the
original, drawn from a hash of the seed, the round, the capture and the CID's
place, and distinct across the whole file), and its Initial packets are
re-protected for the keys of the new DCID:

  - each Initial packet (client's or server's) is decrypted once with the original
    keys (header protection off, AES-128-GCM open); every copy re-encrypts the same
    plaintext under the same packet number with the copy's keys, the AAD being the
    copy's header, and puts header protection back on with the copy's hp key;
  - a CID field of any long header (either side, either CID, any packet type) that
    equals a key-giving DCID is replaced by the copy's value: the client's first
    DCID in its Initials and 0-RTT packets, the Retry's SCID and the packets that
    use it. Other CIDs (the server's own, the client's SCID) stay, as do
    Handshake, 0-RTT and 1-RTT payloads (keys this script does not have) and short
    headers;
  - a Retry gets a fresh SCID and its integrity tag (RFC 9001 5.8, RFC 9369 3.3.3)
    recomputed over the copy's first DCID; the client's Initials after it decrypt
    with keys from that SCID and get the same treatment as the first ones. No Zeek
    capture has a Retry: --self-test checks the tag against the RFCs' appendix A.4,
    and a Retry made up from the Chromium capture came out of this script with
    every copy's Initials decrypting in tlssni and tshark;
  - a packet that does not decrypt with the keys it should have, of a version other
    than v1 and v2, or that does not parse, is copied unchanged (the script says how
    many on stderr).

--same-dcid keeps every packet's bytes (the corpus before: every copy has the same
DCIDs, so a decoder that caches keys by DCID would hit on almost every connection).
"""
import argparse
import hashlib
import hmac
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

V1, V2 = 0x00000001, 0x6B3343CF
SALT = {V1: bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"),
        V2: bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9")}
LABEL = {V1: (b"quic key", b"quic iv", b"quic hp"), V2: (b"quicv2 key", b"quicv2 iv", b"quicv2 hp")}
# Long-header type bits (RFC 9000 17.2, RFC 9369 3.2).
INITIAL = {V1: 0, V2: 1}
RETRY = {V1: 3, V2: 0}
# Retry Integrity Tag key and nonce (RFC 9001 5.8, RFC 9369 3.3.3).
RETRY_KEY = {V1: (bytes.fromhex("be0c690b9f66575a1d766b54e368c84e"), bytes.fromhex("461599d35d632bf2239825bb")),
             V2: (bytes.fromhex("8fb4b01b56ac48e260fbcbcead7ccc92"), bytes.fromhex("d86969bc2d7c6d9990efb04a"))}


def expand_label(secret, label, length):
    """HKDF-Expand-Label (RFC 8446 7.1) with an empty context; one Expand block."""
    full = b"tls13 " + label
    info = struct.pack(">HB", length, len(full)) + full + b"\0"
    return hmac.digest(secret, info + b"\1", "sha256")[:length]


class Keys:
    def __init__(self, version, dcid, server):
        initial = hmac.digest(SALT[version], dcid, "sha256")
        secret = expand_label(initial, b"server in" if server else b"client in", 32)
        kl, il, hl = LABEL[version]
        self.key, self.iv, self.hp = expand_label(secret, kl, 16), expand_label(secret, il, 12), expand_label(secret, hl, 16)
        self.aead = AESGCM(self.key)
        self.ecb = Cipher(algorithms.AES(self.hp), modes.ECB()).encryptor()

    def mask(self, sample):
        return self.ecb.update(sample)

    def nonce(self, pn):
        return (int.from_bytes(self.iv, "big") ^ pn).to_bytes(12, "big")


def retry_tag(version, odcid, packet_without_tag):
    key, nonce = RETRY_KEY[version]
    return AESGCM(key).encrypt(nonce, b"", bytes([len(odcid)]) + odcid + packet_without_tag)


def varint(b, i):
    """(value, next offset) of the QUIC variable-length integer at b[i]."""
    n = 1 << (b[i] >> 6)
    if i + n > len(b):
        raise ValueError("short varint")
    v = b[i] & 0x3F
    for x in b[i + 1:i + n]:
        v = v << 8 | x
    return v, i + n


def decode_pn(largest, truncated, bits):
    """RFC 9000 A.3."""
    expected, win = largest + 1, 1 << bits
    cand = (expected & ~(win - 1)) | truncated
    if cand <= expected - win // 2 and cand < (1 << 62) - win:
        return cand + win
    if cand > expected + win // 2 and cand >= win:
        return cand - win
    return cand


def long_header(d, i):
    """Fields of the long-header packet at d[i], or None if it does not parse."""
    if len(d) - i < 7 or not d[i] & 0x80:
        return None
    version = struct.unpack(">I", d[i + 1:i + 5])[0]
    j = i + 5
    dl = d[j]
    dcid_at = j + 1
    j = dcid_at + dl
    if j >= len(d):
        return None
    sl = d[j]
    scid_at = j + 1
    j = scid_at + sl
    if j > len(d):
        return None
    h = dict(start=i, version=version, dcid_at=dcid_at, dcid=d[dcid_at:dcid_at + dl],
             scid_at=scid_at, scid=d[scid_at:scid_at + sl], end=len(d), type=None)
    if version not in SALT:
        return h  # unknown layout after the CIDs: the rest of the datagram as is
    h["type"] = d[i] >> 4 & 3
    if h["type"] == RETRY[version]:
        return h  # a Retry fills the datagram
    try:
        if h["type"] == INITIAL[version]:
            tl, j = varint(d, j)
            j += tl
        ln, j = varint(d, j)
    except (ValueError, IndexError):
        return None
    if j + ln > len(d) or ln < 20:
        return None
    h["pn_at"], h["end"] = j, j + ln
    return h


class Conn:
    """The key-giving DCIDs of one capture (the client's first DCID, then a Retry's
    SCID or a new connection's DCID on the same addresses) and the packet numbers seen."""

    def __init__(self):
        self.cids = []      # (version, dcid) in the order they appear
        self.keys = {}      # (index, server) -> Keys with the original DCID
        self.largest = {}   # (index, server) -> largest packet number
        self.current = None

    def index(self, version, dcid):
        if (version, dcid) not in self.cids:
            self.cids.append((version, dcid))
        return self.cids.index((version, dcid))

    def keys_of(self, idx, server):
        if (idx, server) not in self.keys:
            v, dcid = self.cids[idx]
            self.keys[idx, server] = Keys(v, dcid, server)
        return self.keys[idx, server]


def open_initial(d, h, keys, largest):
    """(first byte, pn, pn length, plaintext) of the Initial h in d, or None."""
    pn_at = h["pn_at"]
    m = keys.mask(d[pn_at + 4:pn_at + 20])
    first = d[h["start"]] ^ (m[0] & 0x0F)
    pl = (first & 3) + 1
    tpn = int.from_bytes(bytes(a ^ b for a, b in zip(d[pn_at:pn_at + pl], m[1:1 + pl])), "big")
    pn = decode_pn(largest, tpn, 8 * pl)
    aad = bytes([first]) + d[h["start"] + 1:pn_at] + tpn.to_bytes(pl, "big")
    try:
        plain = keys.aead.decrypt(keys.nonce(pn), d[pn_at + pl:h["end"]], aad)
    except Exception:  # cryptography's InvalidTag: not these keys
        return None
    return first, pn, pl, tpn, plain


def template(d, from_client, conn, stats):
    """The datagram d as a list of parts: bytes kept as they are, and operations
    that need the copy's CIDs (('cid', idx), ('initial', ...), ('retry', ...))."""
    parts, i = [], 0
    while i < len(d):
        h = long_header(d, i)
        if h is None:
            parts.append(d[i:])  # a short header, padding or garbage: to the end as is
            break
        v, t = h["version"], h["type"]
        kind = None
        if v in SALT and t == INITIAL[v]:
            server = not from_client
            got, idx = None, conn.current
            if idx is not None:
                got = open_initial(d, h, conn.keys_of(idx, server), conn.largest.get((idx, server), -1))
            if not got and from_client and (idx is None or conn.cids[idx] != (v, h["dcid"])):
                # A new connection on the same addresses, or the Initial after a Retry:
                # keys from this packet's DCID.
                k = Keys(v, h["dcid"], False)
                got = open_initial(d, h, k, -1)
                if got:
                    idx = conn.index(v, h["dcid"])
                    conn.keys[idx, False] = k
            if got:
                conn.current = idx
                conn.largest[idx, server] = max(conn.largest.get((idx, server), -1), got[1])
                kind = ("initial", idx, server) + got
                stats["initial"] += 1
            else:
                stats["undecrypted"] += 1
        elif v in SALT and t == RETRY[v] and not from_client and conn.current is not None:
            if len(d) - h["scid_at"] - len(h["scid"]) >= 16:
                odcid = conn.cids[conn.current][1]
                if retry_tag(v, odcid, d[i:-16]) == d[-16:]:
                    kind = ("retry", conn.current, conn.index(v, h["scid"]))
                    stats["retry"] += 1
            if kind is None:
                stats["bad_retry"] += 1
        elif v not in SALT:
            stats["unknown_version"] += 1
        parts.append((h, kind))
        i = h["end"]
    return parts


def cid_index(conn, version, cid):
    return conn.cids.index((version, cid)) if (version, cid) in conn.cids else None


def render(d, parts, conn, new, cache):
    """The datagram of one copy: new[idx] is the copy's value of conn.cids[idx];
    cache holds the copy's Keys by (idx, server)."""
    out = []
    for p in parts:
        if isinstance(p, bytes):
            out.append(p)
            continue
        h, kind = p
        v, s, e = h["version"], h["start"], h["end"]
        pkt = bytearray(d[s:e])
        # Long-header CIDs that give keys take the copy's values.
        for at, cid in ((h["dcid_at"], h["dcid"]), (h["scid_at"], h["scid"])):
            idx = cid_index(conn, v, cid) if cid else None
            if idx is not None:
                pkt[at - s:at - s + len(cid)] = new[idx]
        if kind and kind[0] == "initial":
            _, idx, server, first, pn, pl, tpn, plain = kind
            if (idx, server) not in cache:
                cache[idx, server] = Keys(v, new[idx], server)
            k = cache[idx, server]
            pn_at = h["pn_at"] - s
            pkt[0] = first
            pkt[pn_at:pn_at + pl] = tpn.to_bytes(pl, "big")
            aad = bytes(pkt[:pn_at + pl])
            pkt[pn_at + pl:] = k.aead.encrypt(k.nonce(pn), plain, aad)
            m = k.mask(bytes(pkt[pn_at + 4:pn_at + 20]))
            pkt[0] ^= m[0] & 0x0F
            for j in range(pl):
                pkt[pn_at + j] ^= m[1 + j]
        elif kind and kind[0] == "retry":
            _, odcid_idx, _ = kind
            pkt[-16:] = retry_tag(v, new[odcid_idx], bytes(pkt[:-16]))
        out.append(bytes(pkt))
    return b"".join(out)


def packets(path):
    d = open(path, "rb").read()
    if d[:4] != b"\xd4\xc3\xb2\xa1" or struct.unpack("<I", d[20:24])[0] != 1:
        raise SystemExit(f"{path}: only little-endian Ethernet pcaps")
    off = 24
    while off + 16 <= len(d):
        sec, usec, incl, _ = struct.unpack("<IIII", d[off:off + 16])
        yield sec + usec / 1e6, d[off + 16:off + 16 + incl]
        off += 16 + incl


def udp_of(frame):
    """(src, dst, sport, dport, payload) with addresses as bytes, or None."""
    et = struct.unpack(">H", frame[12:14])[0]
    p = frame[14:]
    if et == 0x0800 and p[9] == 17:
        ihl = (p[0] & 15) * 4
        src, dst, l4 = p[12:16], p[16:20], p[ihl:]
    elif et == 0x86DD and p[6] == 17:
        src, dst, l4 = p[8:24], p[24:40], p[40:]
    else:
        return None
    sport, dport, ln = struct.unpack(">HHH", l4[:6])
    return src, dst, sport, dport, l4[8:ln]


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f">{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def self_test():
    """RFC 9001 A.1/A.4 and RFC 9369 A.1/A.4 vectors."""
    dcid = bytes.fromhex("8394c8f03e515708")
    k1, k2 = Keys(V1, dcid, False), Keys(V2, dcid, False)
    assert (k1.key.hex(), k1.iv.hex(), k1.hp.hex()) == (
        "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2")
    assert (k2.key.hex(), k2.iv.hex(), k2.hp.hex()) == (
        "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9")
    s1 = Keys(V1, dcid, True)
    assert s1.key.hex() == "cf3a5331653c364c88f0f379b6067e37"
    assert Keys(V2, dcid, True).key.hex() == "82db637861d55e1d011f19ea71d5d2a7"
    r1 = bytes.fromhex("ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba")
    r2 = bytes.fromhex("cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6")
    assert retry_tag(V1, dcid, r1[:-16]) == r1[-16:]
    assert retry_tag(V2, dcid, r2[:-16]) == r2[-16:]
    print("self-test: RFC 9001 and RFC 9369 vectors match")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--same-dcid", action="store_true", help="copy every packet as it is (the old corpus)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the fresh CIDs (default 1)")
    ap.add_argument("--self-test", action="store_true", help="check the key and Retry tag derivations, then exit")
    ap.add_argument("out", nargs="?")
    ap.add_argument("rounds", nargs="?", type=int)
    ap.add_argument("captures", nargs="*")
    a = ap.parse_args()
    if a.self_test:
        self_test()
        return
    if not a.out or a.rounds is None or not a.captures:
        ap.error("OUT.pcap ROUNDS CAPTURE... are needed")
    flows = []  # per capture: (conn, [(dt, from_client, payload, parts)])
    for f in a.captures:
        pk, client, t0 = [], None, None
        conn = Conn()
        stats = dict(initial=0, undecrypted=0, retry=0, bad_retry=0, unknown_version=0)
        for ts, frame in packets(f):
            u = udp_of(frame)
            if not u:
                continue
            if client is None:
                client, t0 = (u[0], u[2]), ts
            from_client = (u[0], u[2]) == client
            parts = None if a.same_dcid else template(u[4], from_client, conn, stats)
            pk.append((ts - t0, from_client, u[4], parts))
        if not a.same_dcid:
            print(f"{f.rsplit('/', 1)[-1]}: {len(conn.cids)} key DCID(s) "
                  f"{' '.join(c.hex() for _, c in conn.cids)}; " + ", ".join(f"{k} {v}" for k, v in stats.items()),
                  file=sys.stderr)
        flows.append((conn, pk))
    used = set()

    def fresh(r, i, idx, n):
        for attempt in range(1000):
            c = hashlib.sha256(b"%d/%d/%d/%d/%d" % (a.seed, r, i, idx, attempt)).digest()[:n]
            if c not in used:
                used.add(c)
                return c
        raise SystemExit("no fresh CID")

    with open(a.out, "wb") as w:
        w.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        base, n = 1700000000.0, 0
        for r in range(a.rounds):
            for i, (conn, pk) in enumerate(flows):
                n += 1
                cip = bytes([10, n >> 16 & 255, n >> 8 & 255, n & 255])
                sip = bytes([172, 16, i, r & 255])
                cport = 1024 + (n * 7919) % 60000
                new = [fresh(r, i, idx, len(c)) for idx, (_, c) in enumerate(conn.cids)]
                cache = {}
                for dt, from_client, payload, parts in pk:
                    if parts is not None:
                        payload = render(payload, parts, conn, new, cache)
                    src, dst, sp, dp = (cip, sip, cport, 443) if from_client else (sip, cip, 443, cport)
                    udp = struct.pack(">HHHH", sp, dp, 8 + len(payload), 0) + payload
                    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, src, dst)
                    ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
                    frame = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + udp
                    t = base + r * 0.005 * len(flows) + i * 0.005 + dt
                    w.write(struct.pack("<IIII", int(t), int(t % 1 * 1e6), len(frame), len(frame)) + frame)


main()
