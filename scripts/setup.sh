#!/usr/bin/env bash
# Set-up command 1: install what is missing, build everything, and run the main job
# (the whole pipeline) on the sample capture shipped in tests/data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
sample=tests/data/sample.pcapng
echo "== pcap2pkt $sample | head -3" >&2
build/pcap2pkt --payload=none "$sample" | head -3
# pkt2pcap writes a capture, not lines: shown read back further down.
for tool in $(sed -e 's/#.*//' -e '/^pcap2pkt/d' -e '/^pkt2pcap/d' cmd/tools.txt | awk 'NF { print $1 }'); do
  if [ -x "build/$tool" ]; then
    echo "== $tool $sample" >&2
    "build/$tool" "$sample" | head -5
  fi
done
echo "== pcap2pkt --payload=frame $sample | pkt2pcap | pcap2pkt --payload=none | head -3" >&2
build/pcap2pkt --payload=frame "$sample" | build/pkt2pcap | build/pcap2pkt --payload=none | head -3
echo "Built into ./build; add it to PATH: export PATH=\"$PWD/build:\$PATH\"" >&2
