// TLS hellos in DTLS over UDP: DtlsSink takes whole UDP datagrams, keeps one state
// per UDP 5-tuple (created by a ClientHello: its sender is the client), reassembles
// the ClientHello and ServerHello from their handshake fragments (RFC 6347 4.2.3,
// RFC 9147 5.5), and hands one TlsHandshakeResult per ClientHello (retransmitted
// copies counted, not repeated; the second hello of a cookie exchange is a result
// of its own, flagged) to the same Emit as TlsSessionSink.
//
// Bounds: one message of at most DtlsLimits::max_message bytes per side in at most
// max_ranges pieces; at most max_connections states (the least recently seen go
// first, their pending hellos written); idle states written and dropped.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "libcore/flow/key.hpp"
#include "libcore/proto/dtls.hpp"
#include "libcore/proto/quic_session.hpp"
#include "libcore/proto/tls_session.hpp"
#include "libcore/reasm/datagram_states.hpp"
#include "libcore/reasm/datagrams.hpp"

namespace nl {

struct DtlsLimits {
  size_t max_message = 64 * 1024;
  size_t max_ranges = 64;
  size_t max_connections = 16384;
  size_t max_pending = 8;           // ClientHellos awaiting their answer per connection
  uint64_t idle_timeout_ns = 60ull * 1000 * 1000 * 1000;
  TlsCaps caps;
};

struct DtlsStats {
  uint64_t records = 0;             // plaintext handshake records read
  uint64_t connections = 0;
  uint64_t evicted = 0;
  uint64_t hellos = 0;              // results emitted
  uint64_t with_sni = 0;
  uint64_t retransmitted_hellos = 0;
  uint64_t hello_verify_requests = 0;
  uint64_t server_hellos = 0;
  uint64_t malformed = 0;           // records or fragments cut, messages past the cap
  std::vector<std::pair<const char*, uint64_t>> named() const;
};

class DtlsSink : public DatagramSink {
 public:
  using Emit = std::function<void(const SessionView&, const TlsHandshakeResult&)>;
  explicit DtlsSink(Emit emit, const DtlsLimits& limits = {});
  ~DtlsSink() override;

  void on_datagram(const Packet& p, const Decoded& d) override;
  void finish(EndReason why) override;
  void datagram(const FlowKey& k, const Timestamp& ts, Bytes payload);
  const DtlsStats& stats() const { return stats_; }
  // Whether a UDP payload starts like a DTLS plaintext record.
  static bool looks_like_dtls(Bytes payload);

 private:
  struct Conn;
  struct KeyHash {
    size_t operator()(const FlowKey& k) const { return table_hash(k); }
  };
  void fragment(Conn& c, bool from_client, const DtlsRecord& rec, const DtlsFragment& f, const Timestamp& ts);
  void client_hello_done(Conn& c, bool whole);
  void server_hello_done(Conn& c, bool whole);
  void emit_front(Conn& c);
  void flush(Conn& c);
  void drop(std::unordered_map<FlowKey, std::unique_ptr<Conn>, KeyHash>::iterator it);
  void sweep(const Timestamp& now, bool all);
  void evict_some();

  Emit emit_;
  DtlsLimits limits_;
  DtlsStats stats_;
  std::unordered_map<FlowKey, std::unique_ptr<Conn>, KeyHash> conns_;
  uint64_t session_no_ = 0;
  int64_t next_sweep_sec_ = 0;
  std::vector<uint8_t> body_;
};

// QUIC and DTLS side by side on the datagram hook: each datagram goes to the one
// whose first bytes it matches.
class TlsDatagramSink : public DatagramSink {
 public:
  TlsDatagramSink(QuicSink& quic, DtlsSink& dtls) : quic_(quic), dtls_(dtls) {}
  void on_datagram(const Packet& p, const Decoded& d) override;
  void finish(EndReason why) override {
    quic_.finish(why);
    dtls_.finish(why);
  }

 private:
  QuicSink& quic_;
  DtlsSink& dtls_;
};

}  // namespace nl
