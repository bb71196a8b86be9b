// TLS over one reassembled TCP session: TlsSessionParser reads both directions'
// byte streams (as monologue pieces), reassembles TLS records and handshake
// messages (RFC 8446 5.1: a message may span records; a record may hold several
// messages), parses the ClientHello(s) and ServerHello(s), and hands back one
// TlsHandshakeResult per ClientHello; TlsSessionSink runs one per session.
// tls_record.hpp writes the "tls" JSON record.
//
// A direction stops at ChangeCipherSpec / application data / alert, at the first
// handshake message after its hellos, at a gap, or at malformed framing; buffering
// is bounded (one record, one hello of at most TlsLimits::max_handshake bytes).
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "libcore/proto/quic.hpp"
#include "libcore/proto/starttls.hpp"
#include "libcore/proto/tls.hpp"
#include "libcore/reasm/session.hpp"

namespace nl {

// Where the hello travelled: a TCP stream (tcp), QUIC Initial packets (quic), DTLS
// records over UDP (dtls).
enum class TlsTransport : uint8_t { tcp, quic, dtls };
inline const char* tls_transport_name(TlsTransport t) {
  return t == TlsTransport::quic ? "quic" : t == TlsTransport::dtls ? "dtls" : "tcp";
}

// A connection ID as seen on the wire (at most 20 bytes in v1 and v2).
struct QuicCid {
  uint8_t len = 0;
  uint8_t b[20] = {};
  void set(Bytes v) {
    len = uint8_t(v.size() < sizeof b ? v.size() : sizeof b);
    for (size_t i = 0; i < len; ++i) b[i] = v[i];
  }
  Bytes bytes() const { return {b, len}; }
  bool is(Bytes v) const { return v.size() == len && std::equal(v.begin(), v.end(), b); }
  friend bool operator==(const QuicCid& x, const QuicCid& y) {
    return x.len == y.len && std::equal(x.b, x.b + x.len, y.b);
  }
};

// The QUIC side of a hello found in Initial packets.
struct QuicHelloInfo {
  uint32_t version = 0;
  QuicCid dcid;             // the client's Destination Connection ID (the Initial keys' input)
  QuicCid scid;             // the client's Source Connection ID
  QuicCid server_scid;      // the server's Source Connection ID, when a server Initial was decrypted
  bool has_server_scid = false;
  bool retry = false;       // the hello follows a Retry
  uint32_t packets = 0;     // client Initial packets that carried CRYPTO bytes of the hello
  uint32_t datagrams = 0;   // client datagrams those packets came in
  QuicAnomalies anomalies;
};

// The DTLS side of a hello found in DTLS records over UDP.
struct DtlsHelloInfo {
  uint16_t record_version = 0;      // of the hello's first record
  uint16_t message_seq = 0;
  bool cookie = false;              // the hello carries a cookie: the second of a cookie exchange
  uint8_t cookie_length = 0;        // legacy cookie field (DTLS 1.0/1.2); DTLS 1.3 sends a cookie extension
  uint32_t fragments = 0;           // handshake fragments it was reassembled from
  uint32_t retransmissions = 0;     // copies of it sent again
  bool hello_verify_request = false;  // the server answered with a HelloVerifyRequest (RFC 6347 4.2.1)
};

struct TlsHandshakeResult {
  uint32_t hello_no = 1;              // 1-based within the session (2 after a HelloRetryRequest)
  Timestamp first_ts;                 // first_ts of the piece holding the hello's first record
  bool hello_parsed = false;          // false: the client gave up before a ClientHello
  ClientHello client;
  uint32_t client_hello_records = 0;  // TLS records the ClientHello spans
  TlsAnomalies anomalies;             // client direction: framing + hello
  bool has_server = false;
  ServerHello server;
  TlsAnomalies server_anomalies;      // server direction: framing + hello
  TlsTransport transport = TlsTransport::tcp;
  const char* starttls = nullptr;     // how TLS started inside another protocol, else null
  QuicHelloInfo quic;                 // transport == quic
  DtlsHelloInfo dtls;                 // transport == dtls
};

struct TlsLimits {
  size_t max_handshake = 256 * 1024;  // a hello claiming more is parsed up to this many bytes
  bool starttls = true;               // look for TLS after a clear-text preamble (starttls.hpp)
  size_t max_preamble = 64 * 1024;    // preamble bytes per direction read before giving up
  TlsCaps caps;
};

class TlsSessionParser {
 public:
  explicit TlsSessionParser(const TlsLimits& limits = {});

  void reset();                              // for reuse on a new session
  void piece(const MonologuePiece& p);       // feed bytes of either direction, in stream order
  void end();                                // session over: flush partial hellos and pending results

  bool not_tls() const { return not_tls_; }  // gave up: the session does not carry TLS
  bool done() const;                         // both directions stopped: further pieces are ignored
  uint64_t hellos_seen() const { return clients_total_; }

  // Results ready to write, in ClientHello order; drain() hands each to f and forgets them.
  const std::vector<TlsHandshakeResult>& ready() const { return ready_; }
  template <class F>
  void drain(F&& f) {
    for (auto& r : ready_) f(static_cast<const TlsHandshakeResult&>(r));
    ready_.clear();
  }

 private:
  enum class State : uint8_t { start, records, stopped };
  struct Direction {
    bool client = true;
    State st = State::start;
    std::vector<uint8_t> rec;       // a record being assembled (header + body)
    Timestamp rec_ts;
    std::vector<uint8_t> hs;        // handshake message bytes (capped)
    uint64_t hs_claimed = 0;        // bytes of the current message incl. its header, when known
    uint32_t record_no = 0;
    uint32_t msg_start_record = 0;
    uint16_t msg_record_version = 0;
    Timestamp msg_ts;
    uint32_t hellos = 0;
    uint64_t bytes_seen = 0;
    size_t rec_total = 0;           // size of the record in rec once its header is known
    bool rec_sslv2 = false;         // rec holds an SSLv2-compatible ClientHello
    uint16_t cur_version = 0;       // version of the record being processed
    Timestamp cur_ts;
    TlsAnomalies an;                // since the last hello was handed over
    void clear();
  };

  void feed(Direction& d, Bytes data, const Timestamp& ts);
  bool check_header(Direction& d, const uint8_t* h, size_t& total);  // false: stopped
  void on_record(Direction& d, uint8_t type, uint16_t version, Bytes body, const Timestamp& ts);
  void parse_messages(Direction& d);
  bool on_message(Direction& d, uint8_t type, Bytes body, bool partial);  // false: stop
  void dispatch(Direction& d, Bytes rec, const Timestamp& ts);
  void on_sslv2(Direction& d, Bytes record, const Timestamp& ts);
  void stop(Direction& d);
  void flush_partial(Direction& d);  // a hello cut by a gap / end / give-up
  void give_up_not_tls();
  void pair();
  bool preamble_piece(const MonologuePiece& p);  // true: the piece was taken by the preamble

  // TLS after another protocol: off (the stream began with TLS, or is not TLS),
  // reading the clear-text preamble, or TLS found in the client's stream (the
  // server's TLS begins with its next monologue).
  enum class Preamble : uint8_t { undecided, off, reading, client_tls, both_tls };
  Preamble pre_ = Preamble::undecided;
  StartTlsScanner scanner_;
  const char* starttls_ = nullptr;

  TlsLimits limits_;
  Direction c_, s_;
  std::vector<TlsHandshakeResult> clients_;  // ClientHellos awaiting their ServerHello
  std::vector<ServerHello> servers_;         // ServerHellos awaiting their ClientHello
  std::vector<TlsHandshakeResult> ready_;
  bool not_tls_ = false;
  bool hrr_seen_ = false;
  bool ended_ = false;
  std::vector<uint8_t> scratch_;
  uint64_t clients_total_ = 0;
};

// Counters, summed over the sessions a TlsSessionSink saw.
struct TlsStats {
  uint64_t sessions = 0;              // sessions started
  uint64_t tls_sessions = 0;          // ended with at least one ClientHello seen
  uint64_t not_tls = 0;               // gave up: not TLS
  uint64_t hellos = 0;                // results emitted (one per ClientHello)
  uint64_t sslv2 = 0;                 // of which SSLv2-compatible ClientHellos
  uint64_t with_sni = 0;
  uint64_t with_anomalies = 0;        // client-side anomalies set

  // (name, value) for --stats, in a fixed order.
  std::vector<std::pair<const char*, uint64_t>> named() const;
};

// One TlsSessionParser per open session, driven by the reassembler's calls; parsers
// are reused between sessions. Once a parser is past the hellos (or not TLS) the
// sink clears SessionView::want_data: the engine need not keep the rest.
class TlsSessionSink : public SessionSink {
 public:
  using Emit = std::function<void(const SessionView&, const TlsHandshakeResult&)>;
  explicit TlsSessionSink(Emit emit, const TlsLimits& limits = {}) : emit_(std::move(emit)), limits_(limits) {}

  void session_start(const SessionView& s) override;
  void monologue(const SessionView& s, const MonologuePiece& p) override;
  void session_end(const SessionView& s, const SessionEnd& e) override;
  const TlsStats& stats() const { return stats_; }

 private:
  void emit_ready(const SessionView& s, TlsSessionParser& p);

  Emit emit_;
  TlsLimits limits_;
  TlsStats stats_;
  std::unordered_map<uint64_t, std::unique_ptr<TlsSessionParser>> parsers_;
  std::vector<std::unique_ptr<TlsSessionParser>> pool_;
};

}  // namespace nl
