#!/usr/bin/env python3
"""Cuts a capture at every byte offset (or every STEP-th) and checks pcap2pkt on each
cut: every whole packet before the cut comes out (records numbered 1..N), then, unless
the cut falls on a record boundary, exit 1 with a message naming the byte offset.
Through a file (mmap path) at every offset, and through a pipe every 16th offset.

usage: truncations.py PCAP2PKT CAPTURE [STEP]"""
import concurrent.futures
import os
import struct
import subprocess
import sys
import tempfile

ENV = dict(os.environ, ASAN_OPTIONS="exitcode=86:detect_leaks=1",
           UBSAN_OPTIONS="exitcode=87:print_stacktrace=1:halt_on_error=1")


def boundaries(data):
    """(header_end, [end offset of each packet-carrying record], [end of every record])"""
    ends, all_ends = [], []
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        pos, e = 0, "<"
        while pos + 12 <= len(data):
            btype = struct.unpack(e + "I", data[pos:pos + 4])[0]
            if btype == 0x0A0D0D0A:
                e = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            blen = struct.unpack(e + "I", data[pos + 4:pos + 8])[0]
            pos += blen
            all_ends.append(pos)
            if btype in (3, 6):
                ends.append(pos)
        return all_ends[0], ends, all_ends
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    pos = 24
    while pos + 16 <= len(data):
        pos += 16 + struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
        ends.append(pos)
    return 24, ends, [24] + ends


def run(tool, data, cut, tmpdir, pipe):
    prefix = data[:cut]
    if pipe:
        p = subprocess.run([tool], input=prefix, capture_output=True, timeout=20, env=ENV)
    else:
        path = os.path.join(tmpdir, f"cut{cut}.pcap")
        with open(path, "wb") as f:
            f.write(prefix)
        p = subprocess.run([tool, path], stdin=subprocess.DEVNULL, capture_output=True, timeout=20, env=ENV)
        os.unlink(path)
    return p


def check(tool, data, cut, tmpdir, pipe, hdr_end, ends, all_ends):
    where = f"cut at {cut}{' (pipe)' if pipe else ''}"
    p = run(tool, data, cut, tmpdir, pipe)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode not in (0, 1) or "Sanitizer" in err or "runtime error" in err:
        return f"{where}: exit {p.returncode}: {err[-1500:]}"
    lines = p.stdout.splitlines()
    want = sum(1 for e in ends if e <= cut)
    if len(lines) != want:
        return f"{where}: {len(lines)} records, expected {want}"
    for i, ln in enumerate(lines, 1):
        if not ln.startswith(b'{"type":"pkt","n":%d,' % i):
            return f"{where}: record {i} is {ln[:60]!r}"
    if cut == 0:
        return None  # an empty input: nothing to read, either way is fine
    clean = cut in all_ends
    if clean and (p.returncode != 0 or err):
        return f"{where}: on a record boundary, expected a clean exit: {p.returncode} {err!r}"
    if not clean:
        if p.returncode != 1:
            return f"{where}: expected exit 1, got {p.returncode}"
        if cut >= hdr_end and "offset" not in err:
            return f"{where}: message does not name the offset: {err!r}"
        if not err.strip():
            return f"{where}: no message"
    return None


def main():
    tool, cap = sys.argv[1], sys.argv[2]
    step = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    data = open(cap, "rb").read()
    hdr_end, ends, all_ends = boundaries(data)
    jobs = [(c, False) for c in range(0, len(data) + 1, step)]
    jobs += [(c, True) for c in range(0, len(data) + 1, step * 16)]
    jobs += [(e, False) for e in all_ends if e % step]
    failures = []
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(2) as ex:
        for r in ex.map(lambda j: check(tool, data, j[0], tmp, j[1], hdr_end, ends, all_ends), jobs):
            if r:
                failures.append(r)
    for f in failures[:20]:
        print(f)
    print(f"{os.path.basename(cap)}: {len(jobs)} cuts ({len(ends)} packets), {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
