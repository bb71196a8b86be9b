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
for tool in $(sed -e 's/#.*//' -e '/^pcap2pkt/d' cmd/tools.txt | awk 'NF { print $1 }'); do
  if [ -x "build/$tool" ]; then
    echo "== $tool $sample" >&2
    "build/$tool" "$sample" | head -5
  fi
done
echo "Built into ./build; add it to PATH: export PATH=\"$PWD/build:\$PATH\"" >&2
