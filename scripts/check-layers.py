#!/usr/bin/env python3
"""Checks that libcore/ stays layered: a folder includes only folders below it.
Prints each include that points up or sideways and exits 1; silent and 0 when clean.
The layers, bottom first (docs/HACKING.md explains each):"""
import re
import sys
from pathlib import Path

LAYERS = [
    ["bytes", "time", "interrupt"],  # libcore/bytes.hpp, time.*: spans, cursors, timestamps; interrupt.*: stop signals
    ["version"],              # libcore/version.hpp (generated from version.hpp.in)
    ["json", "decode"],       # the JSON writer and scanner; one decoder per protocol layer
    ["capture", "flow"],      # capture files and live capture; flow keys and the flow table
    ["reasm"],                # the datagram path (defragmentation) and TCP reassembly
    ["record"],               # pkt and session records: writers and readers
    ["proto"],                # application parsers over reassembled bytes (http, tls)
    ["cli"],                  # the command line: options, output, diagnostics, progress
    ["stage"],                # the stage runtime: inputs, read-ahead, packet and session loops
    ["netlines"],             # libcore/netlines.hpp: the public API of libnetlines, all of it
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
INCLUDE = re.compile(r'#include "libcore/([a-z_]+)[/.]')


def folder(path, root):
    rel = path.relative_to(root / "libcore")
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    bad = []
    for path in sorted((root / "libcore").rglob("*.[ch]pp")):
        me = folder(path, root)
        if me not in RANK:
            bad.append(f"{path.relative_to(root)}: folder '{me}' has no layer in scripts/check-layers.py")
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = INCLUDE.match(line)
            if m and m.group(1) != me and RANK.get(m.group(1), len(LAYERS)) >= RANK[me]:
                bad.append(f"{path.relative_to(root)}:{n}: {me} includes {m.group(1)}, which is not below it")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
