// Live capture and BPF filtering through libpcap.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "libcore/decode/packet.hpp"

namespace nl {

// A compiled BPF program applied per packet (files and stdin), via pcap_offline_filter.
class BpfFilter {
 public:
  ~BpfFilter();
  // Compiles `expr` for the link type and snap length. Returns nullptr and sets
  // `error` when the expression does not compile.
  static std::unique_ptr<BpfFilter> compile(const std::string& expr, uint32_t linktype,
                                            uint32_t snaplen, std::string& error);
  bool matches(const Packet& pkt) const;

 private:
  BpfFilter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Filters per link type, compiled lazily: pcapng files may mix link types.
class BpfFilterSet {
 public:
  explicit BpfFilterSet(std::string expr) : expr_(std::move(expr)) {}
  bool empty() const { return expr_.empty(); }
  // False and sets error when the expression cannot be compiled for this link type
  // (error is left alone otherwise: clear it before calling to tell the two apart).
  bool matches(const Packet& pkt, std::string& error);
  // Compiles once for Ethernet to report a syntax error before any input is read.
  bool check(std::string& error);

 private:
  std::string expr_;
  std::vector<std::pair<uint32_t, std::unique_ptr<BpfFilter>>> filters_;  // null: did not compile
  std::vector<std::pair<uint32_t, std::string>> errors_;                  // why, per link type
};

struct LiveOptions {
  std::string interface;
  std::string filter;
  int snaplen = 262144;
  bool promiscuous = true;
  int64_t count = 0;         // 0: no limit
  int buffer_kib = 0;        // -B: capture buffer in KiB; 0: libpcap's default (2 MiB)
  // Each packet handed over at once. Off (tcpdump's default), packets come in
  // blocks of the TPACKET_V3 ring, at the latest after a 100 ms timeout; on, libpcap
  // falls back to TPACKET_V2 with fewer slots and drops sooner under load.
  bool immediate = false;
  // Told while the capture goes on ("capture on vB: interface down"); may be empty.
  std::function<void(const std::string&)> notice;
};

struct LiveStats {
  bool opened = false;       // the capture started (false: it failed to open)
  uint64_t received = 0;
  uint64_t dropped = 0;      // by the kernel
  uint64_t if_dropped = 0;   // by the interface/driver
};

// Captures until `count` packets, `stop` becomes true (set it from SIGINT/SIGTERM),
// or an error. Calls `on_packet` per packet, and `on_idle` (if set) after each wait
// of up to 100 ms in which no packet came, so a caller can act on wall time (expire
// flows, flush output) on a quiet interface. `stats` is kept current during the
// run (at least every 100 ms), for records that carry the drops so far. An
// interface that goes down and comes back is told once each way on stderr; the
// capture goes on. Returns false and sets error (e.g.
// "eth9: No such device exists", "you don't have permission to capture on that device").
bool live_capture(const LiveOptions& opt, const std::atomic<bool>& stop,
                  const std::function<void(const Packet&)>& on_packet, LiveStats& stats,
                  std::string& error, const std::function<void()>& on_idle = {});

}  // namespace nl
