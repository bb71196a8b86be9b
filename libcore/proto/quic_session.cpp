#include "libcore/proto/quic_session.hpp"

#include <algorithm>
#include <cstring>

namespace nl {

void CryptoStream::add(uint64_t offset, Bytes data, size_t max_bytes, size_t max_ranges, QuicAnomalies& an) {
  if (data.empty()) return;
  if (offset > max_bytes || data.size() > max_bytes - offset) {
    an.set(QuicAnomaly::crypto_offset_too_large);
    return;
  }
  size_t b = size_t(offset), e = b + data.size();
  // Bytes already held must match (a retransmission resends the same stream bytes).
  for (const auto& r : ranges_) {
    size_t lo = std::max(r.first, b), hi = std::min(r.second, e);
    if (lo < hi && std::memcmp(buf_.data() + lo, data.data() + (lo - b), hi - lo) != 0) {
      an.set(QuicAnomaly::crypto_data_mismatch);
      return;  // keep the first copy
    }
  }
  // Where [b, e) goes, merged with every range it overlaps or touches.
  auto first = std::lower_bound(ranges_.begin(), ranges_.end(), b,
                                [](const std::pair<size_t, size_t>& r, size_t v) { return r.second < v; });
  auto last = first;
  while (last != ranges_.end() && last->first <= e) ++last;
  if (first == last && ranges_.size() >= max_ranges) {
    an.set(QuicAnomaly::crypto_too_fragmented);
    return;
  }
  if (buf_.size() < e) buf_.resize(e);
  std::memcpy(buf_.data() + b, data.data(), data.size());
  size_t nb = b, ne = e;
  if (first != last) {
    nb = std::min(nb, first->first);
    ne = std::max(ne, (last - 1)->second);
  }
  auto at = ranges_.erase(first, last);
  ranges_.insert(at, {nb, ne});
}

std::vector<std::pair<const char*, uint64_t>> QuicStats::named() const {
  return {{"datagrams", datagrams},
          {"initial_packets", initial_packets},
          {"decrypted", decrypted},
          {"decrypt_failed", decrypt_failed},
          {"after_hello", after_hello},
          {"retry", retry},
          {"version_negotiation", version_negotiation},
          {"malformed", malformed},
          {"connections", connections},
          {"evicted", evicted},
          {"hellos", hellos},
          {"with_sni", with_sni},
          {"server_hellos", server_hellos}};
}

// What a hello needs until its record is written: the CRYPTO streams and the
// result. Taken from the sink's pool when a hello begins and given back once its
// record is written, so that the states of connections already reported stay
// small and the vectors of a hello keep their capacity from one to the next.
struct QuicSink::Hello {
  CryptoStream cs, ss;
  TlsHandshakeResult res;
};

struct QuicSink::Conn {
  SessionView view;            // key oriented client -> server
  uint32_t version = 0;
  QuicCid odcid;               // the client's first DCID: both sides' Initial keys come from it
  QuicCid client_scid;         // the client's SCID, and the server's once it answered:
  QuicCid server_scid;         // an Initial with these IDs after the hello is this connection's
  bool has_server_scid = false;
  uint8_t initial[32] = {};     // initial secret: the server's keys come from it when needed
  QuicKeys ck{}, sk{};
  bool sk_ok = false;
  std::unique_ptr<Hello> hello; // while the hello is not written (emitted false)
  uint32_t hello_no = 0;
  bool client_started = false;  // CRYPTO bytes of this hello came
  bool client_done = false, server_done = false, emitted = false;
  bool retry_seen = false;      // a Retry since the last hello began
  uint64_t last_dgram = 0;
  int64_t last_ns = 0;
  size_t buffered = 0;          // bytes the two streams held when last counted in the sink's total

  // `fresh`: a new Hello or one given back (its fields are reset here).
  void start_hello(uint32_t v, Bytes dcid, const uint8_t secret[32], const QuicKeys& keys, uint32_t no,
                   std::unique_ptr<Hello> fresh) {
    version = v;
    odcid.set(dcid);
    std::memcpy(initial, secret, 32);
    ck = keys;
    sk_ok = false;
    hello = std::move(fresh);
    hello->cs.clear();
    hello->ss.clear();
    // Field by field, so the hello's vectors keep their capacity when a state is reused.
    TlsHandshakeResult& res = hello->res;
    res.client.clear();
    res.client.record_version = 0;
    res.server.clear();
    res.server.record_version = 0;
    res.hello_parsed = res.has_server = false;
    res.client_hello_records = 0;
    res.anomalies = res.server_anomalies = {};
    res.first_ts = {};
    res.quic = {};
    res.hello_no = hello_no = no;
    res.transport = TlsTransport::quic;
    res.quic.version = v;
    res.quic.dcid = odcid;
    res.quic.retry = retry_seen;
    retry_seen = false;
    client_started = client_done = server_done = emitted = false;
  }
  size_t held() const { return hello ? hello->cs.buffered() + hello->ss.buffered() : 0; }
};

QuicSink::QuicSink(Emit emit, const QuicLimits& limits) : emit_(std::move(emit)), limits_(limits) {
  conns_.reserve(std::min<size_t>(limits_.max_connections, 4096));
}

std::unique_ptr<QuicSink::Hello> QuicSink::take_hello() {
  if (hello_pool_.empty()) return std::make_unique<Hello>();
  std::unique_ptr<Hello> h = std::move(hello_pool_.back());
  hello_pool_.pop_back();
  return h;
}

void QuicSink::give_back(std::unique_ptr<Hello> h) {
  if (!h) return;
  h->cs.clear();
  h->ss.clear();
  if (hello_pool_.size() < 1024) hello_pool_.push_back(std::move(h));
}
QuicSink::~QuicSink() = default;

void QuicSink::on_datagram(const Packet& p, const Decoded& d) {
  if (d.l4 != L4::udp) return;
  datagram(flow_key_of(d), p.ts, d.payload);
}

void QuicSink::finish(EndReason) { sweep({}, true); }

void QuicSink::datagram(const FlowKey& k, const Timestamp& ts, Bytes payload) {
  // Only long headers carry Initials; 7 bytes reach the DCID length.
  if (payload.size() < 7 || !(payload[0] & 0x80)) return;
  QuicLongHeader h;
  QuicHeaderStatus st = parse_quic_long_header(payload, h);
  if (st == QuicHeaderStatus::not_quic || st == QuicHeaderStatus::short_header) return;
  ++stats_.datagrams;
  // The payload is usually cold (the reader touched only the headers) and is read
  // whole by the AEAD: its lines are fetched while the state is looked up.
  for (size_t i = 64; i < payload.size() && i < 2048; i += 64) __builtin_prefetch(payload.data() + i);
  if (idle_sweep_due(ts, next_sweep_sec_)) sweep(ts, false);
  bool flipped;
  FlowKey canon = canonical(k, flipped);
  auto it = conns_.find(canon);
  Conn* c = it == conns_.end() ? nullptr : it->second.get();
  bool counted = false;
  size_t off = 0;
  while (off < payload.size()) {
    Bytes rest = payload.subspan(off);
    if (off) st = parse_quic_long_header(rest, h);  // the first packet's header is read above
    if (st == QuicHeaderStatus::short_header || st == QuicHeaderStatus::not_quic) break;
    if (st != QuicHeaderStatus::ok) {
      ++stats_.malformed;
      if (c && !c->emitted) {
        QuicAnomaly a = st == QuicHeaderStatus::truncated ? QuicAnomaly::truncated_packet
                        : (h.dcid.size() > 20 || h.scid.size() > 20) ? QuicAnomaly::bad_connection_id_length
                                                                     : QuicAnomaly::bad_packet_length;
        c->hello->res.quic.anomalies.set(a);
      }
      break;
    }
    if (h.type == QuicPacketType::version_negotiation) {
      ++stats_.version_negotiation;
      break;
    }
    if (h.type == QuicPacketType::retry) {
      ++stats_.retry;
      // From the server: the client's next Initial goes to the Retry's SCID, with keys from it.
      if (c && !(k.src == c->view.key.src && k.sport == c->view.key.sport)) c->retry_seen = true;
      break;
    }
    if (h.type == QuicPacketType::initial) {
      ++stats_.initial_packets;
      if (!c) {
        // A new 5-tuple: only a client's Initial decrypts with keys from its own DCID.
        QuicKeys keys;
        uint8_t secret[32];
        uint64_t pn;
        if (!quic_initial_secret(h.version, h.dcid, secret) ||
            !quic_keys_from_secret(h.version, secret, false, keys) ||
            !quic_decrypt_packet(keys, h, rest.data(), plain_, pn)) {
          ++stats_.decrypt_failed;
          break;  // the rest of the datagram cannot be told apart from noise either
        }
        c = &conn_for(canon, k, ts);
        c->start_hello(h.version, h.dcid, secret, keys, 1, take_hello());
        c->client_scid.set(h.scid);
        c->has_server_scid = false;
        ++stats_.decrypted;
        client_initial(*c, h, plain_, ts, counted);
      } else {
        packet(*c, k.src == c->view.key.src && k.sport == c->view.key.sport, h, rest.first(h.size), ts, counted);
      }
    }
    off += h.size;
  }
  if (c) {
    c->last_ns = ts.total_nsec();
    account(*c);
  }
  while (total_buffered_ > limits_.max_total_crypto && !conns_.empty()) evict_some();
}

void QuicSink::account(Conn& c) {
  size_t now = c.held();
  total_buffered_ += now;
  total_buffered_ -= c.buffered;
  c.buffered = now;
}

void QuicSink::drop(std::unordered_map<FlowKey, std::unique_ptr<Conn>, KeyHash>::iterator it) {
  emit(*it->second, true);
  // A hello not written (nothing of it came whole) still held bytes: they leave the
  // total with it.
  give_back(std::move(it->second->hello));
  account(*it->second);
  if (pool_.size() < 1024) pool_.push_back(std::move(it->second));
  conns_.erase(it);
}

QuicSink::Conn& QuicSink::conn_for(const FlowKey& canon, const FlowKey& oriented, const Timestamp& ts) {
  if (conns_.size() >= limits_.max_connections) evict_some();
  std::unique_ptr<Conn> c;
  if (!pool_.empty()) {
    c = std::move(pool_.back());
    pool_.pop_back();
    c->view = {};
    c->retry_seen = false;
    c->last_dgram = 0;
    c->buffered = 0;
  } else {
    c = std::make_unique<Conn>();
  }
  c->view.session_no = ++session_no_;
  c->view.key = oriented;
  c->view.start = ts;
  c->view.flow_id = flow_id(oriented, ts);
  c->view.community_id = community_id(oriented);
  c->last_ns = ts.total_nsec();
  ++stats_.connections;
  Conn& ref = *c;
  conns_[canon] = std::move(c);
  return ref;
}

void QuicSink::packet(Conn& c, bool from_client, const QuicLongHeader& h, Bytes pkt, const Timestamp& ts,
                      bool& counted) {
  uint64_t pn;
  if (from_client) {
    // After the hello, the client's Initials carry ACKs and resent pieces of it:
    // with the connection's own IDs they are not decrypted. A new connection on the
    // same 5-tuple, or the Initial after a Retry, comes with other IDs.
    if (c.client_done && c.client_scid.is(h.scid) &&
        (c.odcid.is(h.dcid) || (c.has_server_scid && c.server_scid.is(h.dcid)))) {
      ++stats_.after_hello;
      return;
    }
    if (quic_decrypt_packet(c.ck, h, pkt.data(), plain_, pn)) {
      ++stats_.decrypted;
      client_initial(c, h, plain_, ts, counted);
      return;
    }
    // Keys that do not fit: a new connection on the same 5-tuple, or the Initial
    // after a Retry, both with keys from this packet's DCID.
    QuicKeys keys;
    uint8_t secret[32];
    if (!quic_initial_secret(h.version, h.dcid, secret) || !quic_keys_from_secret(h.version, secret, false, keys) ||
        !quic_decrypt_packet(keys, h, pkt.data(), plain_, pn)) {
      ++stats_.decrypt_failed;
      if (!c.emitted) c.hello->res.quic.anomalies.set(QuicAnomaly::decrypt_failed);
      return;
    }
    ++stats_.decrypted;
    bool retry = c.retry_seen;
    uint32_t next = c.hello_no + 1;
    emit(c, true);
    c.retry_seen = retry;
    c.start_hello(h.version, h.dcid, secret, keys, next, c.hello ? std::move(c.hello) : take_hello());
    c.client_scid.set(h.scid);
    c.has_server_scid = false;
    client_initial(c, h, plain_, ts, counted);
    return;
  }
  if (!c.has_server_scid) {
    c.server_scid.set(h.scid);
    c.has_server_scid = true;
  }
  if (c.emitted || c.server_done) return;
  if (!c.sk_ok) {
    if (!quic_keys_from_secret(c.version, c.initial, true, c.sk)) return;
    c.sk_ok = true;
  }
  if (!quic_decrypt_packet(c.sk, h, pkt.data(), plain_, pn)) {
    ++stats_.decrypt_failed;
    c.hello->res.quic.anomalies.set(QuicAnomaly::server_decrypt_failed);
    return;
  }
  ++stats_.decrypted;
  server_initial(c, h, plain_);
}

void QuicSink::client_initial(Conn& c, const QuicLongHeader& h, Bytes plain, const Timestamp& ts, bool& counted) {
  if (c.client_done || c.emitted) return;  // an ACK, or a resent piece of a hello already read
  bool any = false;
  bool ok = walk_quic_initial_frames(plain, [&](uint64_t off, Bytes data) {
    if (!c.client_started) {
      c.client_started = true;
      c.hello->res.first_ts = ts;
      c.hello->res.quic.scid.set(h.scid);
    }
    any = true;
    c.hello->cs.add(off, data, limits_.max_crypto, limits_.max_ranges, c.hello->res.quic.anomalies);
  });
  if (!ok) c.hello->res.quic.anomalies.set(QuicAnomaly::bad_frame);
  if (any) {
    ++c.hello->res.quic.packets;
    if (!counted) {
      ++c.hello->res.quic.datagrams;
      counted = true;
    }
  }
  check_client(c);
}

void QuicSink::server_initial(Conn& c, const QuicLongHeader& h, Bytes plain) {
  if (!c.hello->res.quic.has_server_scid) {
    c.hello->res.quic.server_scid.set(h.scid);
    c.hello->res.quic.has_server_scid = true;
  }
  bool ok = walk_quic_initial_frames(plain, [&](uint64_t off, Bytes data) {
    c.hello->ss.add(off, data, limits_.max_crypto, limits_.max_ranges, c.hello->res.quic.anomalies);
  });
  if (!ok) c.hello->res.quic.anomalies.set(QuicAnomaly::bad_frame);
  check_server(c);
}

namespace {
// A handshake message at the start of a CRYPTO stream: 0 not yet known, 1 whole,
// -1 never will be (wrong type, or longer than the cap).
int message_state(Bytes b, uint8_t want, size_t cap, size_t& len) {
  if (b.size() < 4) return 0;
  len = size_t(b[1]) << 16 | size_t(b[2]) << 8 | b[3];
  if (b[0] != want || 4 + len > cap) return -1;
  return b.size() >= 4 + len ? 1 : 0;
}
}  // namespace

void QuicSink::check_client(Conn& c) {
  size_t len = 0;
  Bytes b = c.hello->cs.bytes();
  int s = message_state(b, 1, limits_.max_crypto, len);
  if (s == 0) return;
  ClientHello& ch = c.hello->res.client;
  if (s < 0) {
    if (b[0] != 1) {
      c.hello->res.quic.anomalies.set(QuicAnomaly::unexpected_handshake_type);
      c.hello->res.anomalies.set(TlsAnomaly::unexpected_handshake_type);
    } else {
      c.hello->res.anomalies.set(TlsAnomaly::handshake_too_large);
      parse_client_hello(b.subspan(4), ch, limits_.caps);
      c.hello->res.anomalies.set(TlsAnomaly::truncated_client_hello);
    }
  } else {
    c.hello->res.hello_parsed = parse_client_hello(b.subspan(4, len), ch, limits_.caps);
    if (!c.hello->res.hello_parsed) c.hello->res.anomalies.set(TlsAnomaly::truncated_client_hello);
  }
  c.hello->res.anomalies.merge(ch.anomalies);
  c.client_done = true;
  c.hello->cs.clear();
  if (c.server_done) emit(c, false);
}

void QuicSink::check_server(Conn& c) {
  size_t len = 0;
  Bytes b = c.hello->ss.bytes();
  int s = message_state(b, 2, limits_.max_crypto, len);
  if (s == 0) return;
  ServerHello& sh = c.hello->res.server;
  if (s < 0) {
    c.hello->res.server_anomalies.set(b[0] != 2 ? TlsAnomaly::unexpected_handshake_type : TlsAnomaly::handshake_too_large);
  } else {
    c.hello->res.has_server = true;
    sh.complete = parse_server_hello(b.subspan(4, len), sh, limits_.caps);
    if (!sh.complete) c.hello->res.server_anomalies.set(TlsAnomaly::truncated_server_hello);
    c.hello->res.server_anomalies.merge(sh.anomalies);
    ++stats_.server_hellos;
  }
  c.server_done = true;
  c.hello->ss.clear();
  if (c.client_done) emit(c, false);
}

void QuicSink::emit(Conn& c, bool partial) {
  if (c.emitted) return;
  if (!c.client_done) {
    if (!partial || !c.client_started) return;
    // The hello never came whole: what came of it, as a cut TCP hello is reported.
    Bytes b = c.hello->cs.bytes();
    if (b.size() >= 4 && b[0] == 1) parse_client_hello(b.subspan(4), c.hello->res.client, limits_.caps);
    c.hello->res.anomalies.merge(c.hello->res.client.anomalies);
    c.hello->res.anomalies.set(TlsAnomaly::truncated_client_hello);
    c.hello->res.quic.anomalies.set(QuicAnomaly::incomplete_crypto);
  }
  if (!c.server_done && c.hello->ss.contiguous() >= 4 && c.hello->ss.bytes()[0] == 2) {
    c.hello->res.has_server = true;
    parse_server_hello(c.hello->ss.bytes().subspan(4), c.hello->res.server, limits_.caps);
    c.hello->res.server_anomalies.merge(c.hello->res.server.anomalies);
    c.hello->res.server_anomalies.set(TlsAnomaly::truncated_server_hello);
  }
  c.emitted = true;
  ++stats_.hellos;
  if (!c.hello->res.client.server_names.empty()) ++stats_.with_sni;
  emit_(c.view, c.hello->res);
  give_back(std::move(c.hello));
}

void QuicSink::sweep(const Timestamp& now, bool all) {
  drop_idle_states(conns_, now, limits_.idle_timeout_ns, all, [&](auto it) { drop(it); });
}

void QuicSink::evict_some() { stats_.evicted += drop_least_recent_states(conns_, [&](auto it) { drop(it); }); }

}  // namespace nl
