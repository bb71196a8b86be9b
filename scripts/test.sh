#!/usr/bin/env bash
# Set-up command 2: install what is missing, build everything, and run every test
# (doctest unit tests and bats CLI tests through ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure
