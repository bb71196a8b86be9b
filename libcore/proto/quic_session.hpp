// TLS hellos inside QUIC Initial packets: QuicSink takes whole UDP datagrams (the
// session loop's DatagramSink hook), keeps one state per UDP 5-tuple (the Initial
// keys of the client's first Destination Connection ID, the CRYPTO streams of both
// sides being reassembled), and hands one TlsHandshakeResult per ClientHello, with
// the server's ServerHello when its Initial was seen, to the same Emit as
// TlsSessionSink (so the same "tls" record is written).
//
// Bounds: a CRYPTO stream keeps at most QuicLimits::max_crypto bytes in at most
// max_ranges pieces; at most max_connections states live at once (the least
// recently seen go first, their pending hellos written); a state idle for
// idle_timeout of capture time is written and dropped. Datagrams from a spoofed
// flood each cost one key derivation and one failed decryption at most.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "libcore/flow/key.hpp"
#include "libcore/proto/quic.hpp"
#include "libcore/proto/tls_session.hpp"
#include "libcore/reasm/datagram_states.hpp"
#include "libcore/reasm/datagrams.hpp"

namespace nl {

struct QuicLimits {
  size_t max_crypto = 64 * 1024;   // CRYPTO stream bytes per side (offset + length past it: anomaly)
  size_t max_ranges = 64;          // disjoint pieces of one CRYPTO stream
  size_t max_connections = 16384;  // states kept at once
  size_t max_total_crypto = 32 * 1024 * 1024;  // CRYPTO bytes held over all states
  uint64_t idle_timeout_ns = 60ull * 1000 * 1000 * 1000;
  TlsCaps caps;
};

// A CRYPTO stream being reassembled from frames that may come out of order,
// repeated, or overlapping (RFC 9000 19.6).
class CryptoStream {
 public:
  // Adds data at offset; anomalies for a piece past the cap, with other contents
  // than before, or one piece too many (the data is then dropped).
  void add(uint64_t offset, Bytes data, size_t max_bytes, size_t max_ranges, QuicAnomalies& an);
  size_t contiguous() const { return !ranges_.empty() && ranges_[0].first == 0 ? ranges_[0].second : 0; }
  Bytes bytes() const { return {buf_.data(), contiguous()}; }
  bool empty() const { return ranges_.empty(); }
  size_t buffered() const { return buf_.capacity(); }
  void clear() {
    buf_.clear();
    buf_.shrink_to_fit();
    ranges_.clear();
  }

 private:
  std::vector<uint8_t> buf_;
  std::vector<std::pair<size_t, size_t>> ranges_;  // [begin, end), sorted, disjoint, not touching
};

struct QuicStats {
  uint64_t datagrams = 0;            // UDP datagrams that looked like QUIC long headers
  uint64_t initial_packets = 0;      // Initial packets parsed
  uint64_t decrypted = 0;            // of which decrypted
  uint64_t decrypt_failed = 0;       // of which did not decrypt (no state, or keys did not fit)
  uint64_t after_hello = 0;          // of which the client's after its hello, not decrypted
  uint64_t retry = 0;
  uint64_t version_negotiation = 0;
  uint64_t unknown_version = 0;      // long headers of a version without known Initial keys
  uint64_t malformed = 0;            // long headers cut or with lying lengths
  uint64_t connections = 0;          // states created
  uint64_t evicted = 0;              // states dropped at the cap
  uint64_t hellos = 0;               // results emitted
  uint64_t with_sni = 0;
  uint64_t server_hellos = 0;
  std::vector<std::pair<const char*, uint64_t>> named() const;
};

class QuicSink : public DatagramSink {
 public:
  using Emit = std::function<void(const SessionView&, const TlsHandshakeResult&)>;
  explicit QuicSink(Emit emit, const QuicLimits& limits = {});
  ~QuicSink() override;

  void on_datagram(const Packet& p, const Decoded& d) override;
  void finish(EndReason why) override;
  // One UDP payload with its key oriented as the datagram travelled (tests, fuzzing).
  void datagram(const FlowKey& k, const Timestamp& ts, Bytes payload);
  // CRYPTO bytes held for hellos not yet written, against max_total_crypto.
  size_t buffered_bytes() const { return total_buffered_; }
  const QuicStats& stats() const { return stats_; }

 private:
  struct Conn;
  struct Hello;
  struct KeyHash {
    size_t operator()(const FlowKey& k) const { return table_hash(k); }
  };
  Conn& conn_for(const FlowKey& canon, const FlowKey& oriented, const Timestamp& ts);
  void packet(Conn& c, bool from_client, const QuicLongHeader& h, Bytes pkt, const Timestamp& ts,
              bool& counted_datagram);
  void client_initial(Conn& c, const QuicLongHeader& h, Bytes plain, const Timestamp& ts, bool& counted);
  void server_initial(Conn& c, const QuicLongHeader& h, Bytes plain);
  void check_client(Conn& c);
  void check_server(Conn& c);
  void emit(Conn& c, bool partial);
  void sweep(const Timestamp& now, bool all);
  void evict_some();
  void account(Conn& c);  // brings total_buffered_ up to date with c's streams
  void drop(std::unordered_map<FlowKey, std::unique_ptr<Conn>, KeyHash>::iterator it);
  std::unique_ptr<Hello> take_hello();
  void give_back(std::unique_ptr<Hello> h);

  Emit emit_;
  QuicLimits limits_;
  QuicStats stats_;
  std::unordered_map<FlowKey, std::unique_ptr<Conn>, KeyHash> conns_;
  std::vector<std::unique_ptr<Conn>> pool_;  // states dropped, kept for reuse
  std::vector<std::unique_ptr<Hello>> hello_pool_;  // hellos written, kept for reuse
  std::vector<uint8_t> plain_;
  uint64_t session_no_ = 0;
  size_t total_buffered_ = 0;
  int64_t next_sweep_sec_ = 0;
};

}  // namespace nl
