#include "libcore/proto/dtls_session.hpp"

#include <algorithm>

namespace nl {

namespace {
constexpr uint8_t kHandshake = 22;
constexpr uint8_t kClientHello = 1, kServerHello = 2, kHelloVerifyRequest = 3;
constexpr uint16_t kCookieExtension = 0x002c;  // RFC 8446 4.2.2 (DTLS 1.3's cookie)

// One handshake message being put together from its fragments.
struct Msg {
  int32_t seq = -1;  // message_seq; -1: none in progress
  uint32_t length = 0;
  uint16_t record_version = 0;
  uint32_t fragments = 0;
  Timestamp ts;
  CryptoStream data;
  void reset() {
    seq = -1;
    length = 0;
    fragments = 0;
    data.clear();
  }
  bool whole() const { return seq >= 0 && data.contiguous() >= length; }
  Bytes body() const { return data.bytes().first(std::min<size_t>(data.contiguous(), length)); }
};
}  // namespace

std::vector<std::pair<const char*, uint64_t>> DtlsStats::named() const {
  return {{"records", records},
          {"connections", connections},
          {"evicted", evicted},
          {"hellos", hellos},
          {"with_sni", with_sni},
          {"retransmitted_hellos", retransmitted_hellos},
          {"hello_verify_requests", hello_verify_requests},
          {"server_hellos", server_hellos},
          {"malformed", malformed}};
}

struct DtlsSink::Conn {
  SessionView view;  // key oriented client -> server
  Msg cm, sm;
  int32_t last_cseq = -1, last_sseq = -1;
  std::vector<TlsHandshakeResult> pending;  // ClientHellos read, awaiting the server's answer
  uint32_t hellos = 0;
  int64_t last_ns = 0;
};

DtlsSink::DtlsSink(Emit emit, const DtlsLimits& limits) : emit_(std::move(emit)), limits_(limits) {}
DtlsSink::~DtlsSink() = default;

bool DtlsSink::looks_like_dtls(Bytes p) {
  return p.size() >= 13 && p[0] >= 20 && p[0] <= 25 && p[1] == 0xfe && (p[2] == 0xff || p[2] == 0xfd || p[2] == 0xfc);
}

void DtlsSink::on_datagram(const Packet& p, const Decoded& d) {
  if (d.l4 != L4::udp) return;
  datagram(flow_key_of(d), p.ts, d.payload);
}

void DtlsSink::finish(EndReason) { sweep({}, true); }

void DtlsSink::datagram(const FlowKey& k, const Timestamp& ts, Bytes payload) {
  if (!looks_like_dtls(payload)) return;
  if (idle_sweep_due(ts, next_sweep_sec_)) sweep(ts, false);
  bool flipped;
  FlowKey canon = canonical(k, flipped);
  auto it = conns_.find(canon);
  Conn* c = it == conns_.end() ? nullptr : it->second.get();
  size_t off = 0;
  while (off < payload.size()) {
    DtlsRecord rec;
    DtlsRecordStatus st = parse_dtls_record(payload.subspan(off), rec);
    if (st != DtlsRecordStatus::ok) {
      if (st == DtlsRecordStatus::truncated) ++stats_.malformed;
      break;  // an encrypted record (DTLS 1.3's unified header) or the end
    }
    off += rec.size;
    if (rec.type != kHandshake || rec.epoch != 0) continue;  // hellos travel in epoch 0
    ++stats_.records;
    bool ok = walk_dtls_fragments(rec.body, [&](const DtlsFragment& f) {
      if (!c) {
        if (f.msg_type != kClientHello) return;  // a state begins with a client's hello
        if (conns_.size() >= limits_.max_connections) evict_some();
        auto n = std::make_unique<Conn>();
        n->view.session_no = ++session_no_;
        n->view.key = k;
        n->view.start = ts;
        n->view.flow_id = flow_id(k, ts);
        n->view.community_id = community_id(k);
        c = n.get();
        conns_[canon] = std::move(n);
        ++stats_.connections;
      }
      fragment(*c, k.src == c->view.key.src && k.sport == c->view.key.sport, rec, f, ts);
    });
    if (!ok) ++stats_.malformed;
  }
  if (c) c->last_ns = ts.total_nsec();
}

void DtlsSink::fragment(Conn& c, bool from_client, const DtlsRecord& rec, const DtlsFragment& f,
                        const Timestamp& ts) {
  int32_t seq = f.message_seq;
  Msg& m = from_client ? c.cm : c.sm;
  if (from_client) {
    if (f.msg_type != kClientHello) return;
    if (seq <= c.last_cseq) {  // a copy of a hello already read
      if (f.fragment_offset == 0) {
        ++stats_.retransmitted_hellos;
        for (auto& r : c.pending)
          if (r.dtls.message_seq == seq) ++r.dtls.retransmissions;
      }
      return;
    }
  } else {
    if (f.msg_type == kHelloVerifyRequest) {
      if (seq <= c.last_sseq) return;
      c.last_sseq = seq;
      ++stats_.hello_verify_requests;
      if (!c.pending.empty()) {
        c.pending.front().dtls.hello_verify_request = true;
        emit_front(c);
      }
      return;
    }
    if (f.msg_type != kServerHello || seq <= c.last_sseq) return;
  }
  if (m.seq != seq) {
    if (m.seq >= 0) from_client ? client_hello_done(c, false) : server_hello_done(c, false);
    m.reset();
    m.seq = seq;
    m.length = f.length;
    m.record_version = rec.version;
    m.ts = ts;
  }
  if (f.length != m.length || f.length > limits_.max_message) {
    ++stats_.malformed;
    return;
  }
  QuicAnomalies an;
  m.data.add(f.fragment_offset, f.data, limits_.max_message, limits_.max_ranges, an);
  if (an.any()) ++stats_.malformed;
  ++m.fragments;
  if (m.whole()) from_client ? client_hello_done(c, true) : server_hello_done(c, true);
}

void DtlsSink::client_hello_done(Conn& c, bool whole) {
  Msg& m = c.cm;
  TlsHandshakeResult r;
  r.transport = TlsTransport::dtls;
  r.hello_no = ++c.hellos;
  r.first_ts = m.ts;
  uint8_t cookie = 0;
  bool ok = dtls_client_hello_as_tls(m.body(), body_, cookie) && parse_client_hello(body_, r.client, limits_.caps);
  r.hello_parsed = whole && ok;
  if (!r.hello_parsed) r.anomalies.set(TlsAnomaly::truncated_client_hello);
  r.anomalies.merge(r.client.anomalies);
  r.client.record_version = m.record_version;
  r.client_hello_records = 0;
  r.dtls.record_version = m.record_version;
  r.dtls.message_seq = uint16_t(m.seq);
  r.dtls.cookie_length = cookie;
  r.dtls.cookie = cookie > 0 || std::any_of(r.client.extensions.begin(), r.client.extensions.end(),
                                            [](const TlsExtension& e) { return e.type == kCookieExtension; });
  r.dtls.fragments = m.fragments;
  c.last_cseq = m.seq;
  m.reset();
  if (c.pending.size() >= limits_.max_pending) emit_front(c);
  c.pending.push_back(std::move(r));
}

void DtlsSink::server_hello_done(Conn& c, bool whole) {
  Msg& m = c.sm;
  c.last_sseq = m.seq;
  if (c.pending.empty()) {  // no hello of the client's seen: nothing to answer
    m.reset();
    return;
  }
  TlsHandshakeResult& r = c.pending.front();
  r.has_server = true;
  r.server.complete = parse_server_hello(m.body(), r.server, limits_.caps) && whole;
  r.server.record_version = m.record_version;
  if (!r.server.complete) r.server_anomalies.set(TlsAnomaly::truncated_server_hello);
  r.server_anomalies.merge(r.server.anomalies);
  ++stats_.server_hellos;
  m.reset();
  emit_front(c);
}

void DtlsSink::emit_front(Conn& c) {
  if (c.pending.empty()) return;
  TlsHandshakeResult r = std::move(c.pending.front());
  c.pending.erase(c.pending.begin());
  ++stats_.hellos;
  if (!r.client.server_names.empty()) ++stats_.with_sni;
  emit_(c.view, r);
}

void DtlsSink::flush(Conn& c) {
  if (c.cm.seq >= 0 && !c.cm.data.empty()) client_hello_done(c, false);
  if (c.sm.seq >= 0 && !c.sm.data.empty()) server_hello_done(c, false);
  while (!c.pending.empty()) emit_front(c);
}

void DtlsSink::drop(std::unordered_map<FlowKey, std::unique_ptr<Conn>, KeyHash>::iterator it) {
  flush(*it->second);
  conns_.erase(it);
}

void DtlsSink::sweep(const Timestamp& now, bool all) {
  drop_idle_states(conns_, now, limits_.idle_timeout_ns, all, [&](auto it) { drop(it); });
}

void DtlsSink::evict_some() { stats_.evicted += drop_least_recent_states(conns_, [&](auto it) { drop(it); }); }

void TlsDatagramSink::on_datagram(const Packet& p, const Decoded& d) {
  if (d.l4 != L4::udp) return;
  if (DtlsSink::looks_like_dtls(d.payload)) dtls_.on_datagram(p, d);
  else quic_.on_datagram(p, d);
}

}  // namespace nl
