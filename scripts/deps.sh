#!/usr/bin/env bash
# Installs the Debian packages netlines needs to build and test, if any is missing.
set -euo pipefail
PKGS="g++ cmake make pkg-config libpcap-dev nlohmann-json3-dev libcli11-dev doctest-dev bats
      libssl-dev zlib1g-dev libzstd-dev zstd libsimdjson-dev jq python3
      clang libclang-rt-dev time postgresql sqlite3"
# tests/cli/live.bats: network namespaces (iproute2), --line-buffered's writes (strace).
PKGS="$PKGS iproute2 strace"
# tests/cli/shard.bats and fanout.bats: GNU parallel (with rsync for --transferfile)
# locally and over a throwaway sshd; tcpreplay onto a veth for the fanout workers.
PKGS="$PKGS parallel rsync openssh-server openssh-client tcpreplay"
# tests/cli/pkt2pcap.bats: pkt2pcap's captures against tcpdump -r F -w.
PKGS="$PKGS tcpdump"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
