// DNS over UDP and TCP into one transaction table: see dns_session.hpp.
#include "libcore/proto/dns_session.hpp"

#include <algorithm>

#include "libcore/json/writer.hpp"

namespace nl {

const char* dns_status_name(DnsStatus s) {
  switch (s) {
    case DnsStatus::answered: return "answered";
    case DnsStatus::unanswered: return "unanswered";
    case DnsStatus::unsolicited: return "unsolicited";
    case DnsStatus::duplicate: return "duplicate";
    case DnsStatus::malformed: return "malformed";
  }
  return "malformed";
}

std::vector<std::pair<const char*, uint64_t>> DnsStats::named() const {
  return {{"udp_datagrams", udp_datagrams},
          {"udp_messages", udp_messages},
          {"tcp_sessions", tcp_sessions},
          {"tcp_dns_sessions", tcp_dns_sessions},
          {"tcp_messages", tcp_messages},
          {"tcp_resyncs", tcp_resyncs},
          {"queries", queries},
          {"responses", responses},
          {"retransmitted_queries", retransmitted_queries},
          {"transactions", transactions},
          {"answered", answered},
          {"unanswered", unanswered},
          {"unsolicited", unsolicited},
          {"duplicate", duplicate},
          {"malformed", malformed},
          {"with_anomalies", with_anomalies},
          {"pending_peak", pending_peak},
          {"evicted_flow_cap", evicted_flow_cap},
          {"evicted_total_cap", evicted_total_cap},
          {"flows_evicted", flows_evicted}};
}

namespace {

bool dns_port(uint16_t p) { return p == 53 || p == 5353 || p == 5355; }

// The first question, case folded (RFC 4343), with its type; 0 without a question.
uint64_t question_key(const DnsMessage& m) {
  if (m.questions.empty()) return 0;
  uint64_t h = 1469598103934665603ULL;
  for (char c : m.questions[0].name) {
    h ^= uint8_t(c >= 'A' && c <= 'Z' ? c + 32 : c);
    h *= 1099511628211ULL;
  }
  h ^= m.questions[0].type;
  h *= 1099511628211ULL;
  return h | 1;
}

// Anomalies that say the bytes are not a DNS message as much as a bad one: a
// message on a port that is not DNS's with one of them is not taken.
constexpr uint32_t kStructural =
    1u << unsigned(DnsAnomaly::truncated_header) | 1u << unsigned(DnsAnomaly::truncated_question) |
    1u << unsigned(DnsAnomaly::truncated_record) | 1u << unsigned(DnsAnomaly::count_exceeds_message) |
    1u << unsigned(DnsAnomaly::rdlength_overflow) | 1u << unsigned(DnsAnomaly::name_pointer_loop) |
    1u << unsigned(DnsAnomaly::name_pointer_forward) | 1u << unsigned(DnsAnomaly::name_pointer_out_of_bounds) |
    1u << unsigned(DnsAnomaly::name_too_long) | 1u << unsigned(DnsAnomaly::label_too_long) |
    1u << unsigned(DnsAnomaly::trailing_bytes);

// A message's header that could start a DNS message of `len` bytes (TCP framing,
// before the message is whole): a valid opcode, counts `len` can hold.
bool header_fits(Bytes h, size_t len) {
  if (h.size() < 12 || len < 12) return false;
  uint16_t flags = load_be16(&h[2]);
  uint8_t opcode = flags >> 11 & 15;
  if (opcode == 3 || opcode > 6) return false;
  size_t qd = load_be16(&h[4]), rest = size_t(load_be16(&h[6])) + load_be16(&h[8]) + load_be16(&h[10]);
  if (!(flags & 0x8000) && (qd == 0 || (flags & 15) != 0)) return false;
  return qd + rest > 0 && 12 + qd * 5 + rest * 11 <= len;
}

constexpr size_t kResyncLimit = 4096;  // bytes searched before a stream is judged not DNS

}  // namespace

DnsSink::DnsSink(Emit emit, const DnsOptions& opt) : emit_(std::move(emit)), opt_(opt) {}
DnsSink::~DnsSink() = default;

DnsSink::Flow* DnsSink::flow(uint64_t no) {
  auto it = flows_.find(no);
  return it == flows_.end() ? nullptr : &it->second;
}

void DnsSink::emit(Flow& f, DnsTransaction& tx) {
  ++stats_.transactions;
  switch (tx.status) {
    case DnsStatus::answered: ++stats_.answered; break;
    case DnsStatus::unanswered: ++stats_.unanswered; break;
    case DnsStatus::unsolicited: ++stats_.unsolicited; break;
    case DnsStatus::duplicate: ++stats_.duplicate; break;
    case DnsStatus::malformed: ++stats_.malformed; break;
  }
  if (tx.all().any()) ++stats_.with_anomalies;
  emit_(f.ids, tx);
}

void DnsSink::emit_pending(Flow& f, size_t i, DnsAnomalies extra) {
  DnsTransaction tx = take_pending(f, i);
  tx.status = tx.has_query ? DnsStatus::unanswered : DnsStatus::unsolicited;
  tx.anomalies.merge(extra);
  emit(f, tx);
}

void DnsSink::evict_oldest_pending() {
  while (!deadlines_.empty()) {
    Deadline d = deadlines_.front();
    deadlines_.pop_front();
    Flow* f = flow(d.flow);
    if (!f) continue;
    for (size_t i = 0; i < f->pending.size(); ++i)
      if (f->pending[i].seq == d.seq) {
        DnsAnomalies a;
        a.set(DnsAnomaly::evicted);
        ++stats_.evicted_total_cap;
        emit_pending(*f, i, a);
        return;
      }
  }
}

void DnsSink::advance(int64_t now) {
  if (now <= now_) return;
  now_ = now;
  while (!deadlines_.empty() && deadlines_.front().at <= now_) {
    Deadline d = deadlines_.front();
    deadlines_.pop_front();
    if (Flow* f = flow(d.flow))
      for (size_t i = 0; i < f->pending.size(); ++i)
        if (f->pending[i].seq == d.seq) {
          emit_pending(*f, i, {});
          break;
        }
  }
  // Answered queries leave their deadline behind: dropped when they outnumber the
  // pending ones, so the queue stays as small as the table.
  if (deadlines_.size() > 2 * std::max<size_t>(pending_, 4096)) {
    std::deque<Deadline> kept;
    for (const Deadline& d : deadlines_)
      if (Flow* f = flow(d.flow))
        if (std::any_of(f->pending.begin(), f->pending.end(), [&](const Pending& p) { return p.seq == d.seq; }))
          kept.push_back(d);
    deadlines_.swap(kept);
  }
  while (!idle_.empty() && idle_.front().first + opt_.flow_idle_nsec <= now_) {
    uint64_t no = idle_.front().second;
    idle_.pop_front();
    Flow* f = flow(no);
    if (!f) continue;
    if (f->last + opt_.flow_idle_nsec > now_ || !f->pending.empty()) {
      idle_.emplace_back(std::max(f->last, now_ - opt_.flow_idle_nsec + 1), no);
      continue;
    }
    udp_.erase(f->canon);
    flows_.erase(no);
  }
}

namespace {

void set_query(DnsTransaction& tx, DnsMessage& m, const Timestamp& ts) {
  tx.has_query = true;
  tx.query = std::move(m);
  tx.query_ts = ts;
  tx.query_packets = 1;
}
void set_response(DnsTransaction& tx, DnsMessage& m, const Timestamp& ts) {
  tx.has_response = true;
  tx.response = std::move(m);
  tx.response_ts = ts;
}

}  // namespace

DnsTransaction DnsSink::take_pending(Flow& f, size_t i) {
  DnsTransaction tx = std::move(f.pending[i].tx);
  f.pending.erase(f.pending.begin() + ptrdiff_t(i));
  --pending_;
  return tx;
}

void DnsSink::emit_answered(Flow& f, DnsTransaction& tx, uint64_t question, int64_t t) {
  tx.status = DnsStatus::answered;
  // Remembered for a while: a second response to it is a duplicate, not unsolicited.
  if (f.answered.size() >= 32) f.answered.erase(f.answered.begin());
  f.answered.push_back({tx.query.h.id, question, t + opt_.timeout_nsec});
  emit(f, tx);
}

void DnsSink::message(Flow& f, DnsMessage& m, const Timestamp& ts, bool from_client, DnsAnomalies extra) {
  int64_t t = ts.total_nsec();
  f.last = std::max(f.last, t);
  DnsTransaction tx;
  tx.tcp = f.tcp;
  tx.anomalies = extra;
  if (!m.has_header) {
    tx.status = DnsStatus::malformed;
    from_client ? set_query(tx, m, ts) : set_response(tx, m, ts);
    emit(f, tx);
    return;
  }
  uint64_t qk = question_key(m);
  if (!m.h.qr()) {
    ++stats_.queries;
    for (size_t i = 0; i < f.pending.size(); ++i) {
      Pending& p = f.pending[i];
      if (p.tx.has_query) {
        if (p.tx.query.h.id == m.h.id && question_key(p.tx.query) == qk) {
          ++p.tx.query_packets;
          ++stats_.retransmitted_queries;
          p.tx.anomalies.merge(extra);
          return;
        }
      } else if (p.tx.response.h.id == m.h.id && (qk == question_key(p.tx.response) || p.tx.response.questions.empty())) {
        // The response came first (captures merged from several interfaces, clocks apart).
        DnsTransaction held = take_pending(f, i);
        set_query(held, m, ts);
        held.anomalies.bits &= ~(1u << unsigned(DnsAnomaly::unsolicited));
        held.anomalies.set(DnsAnomaly::response_before_query);
        held.anomalies.merge(extra);
        emit_answered(f, held, qk, t);
        return;
      }
    }
    set_query(tx, m, ts);
    hold(f, std::move(tx), t);
    return;
  }
  ++stats_.responses;
  for (size_t i = 0; i < f.pending.size(); ++i) {
    const DnsTransaction& q = f.pending[i].tx;
    if (!q.has_query || q.query.h.id != m.h.id || (qk != 0 && question_key(q.query) != qk)) continue;
    DnsTransaction held = take_pending(f, i);
    set_response(held, m, ts);
    held.anomalies.merge(extra);
    emit_answered(f, held, qk, t);
    return;
  }
  set_response(tx, m, ts);
  tx.status = DnsStatus::unsolicited;
  std::erase_if(f.answered, [&](const Answered& a) { return a.until < t; });
  for (const Answered& a : f.answered)
    if (a.id == tx.response.h.id && (qk == 0 || a.question == qk)) tx.status = DnsStatus::duplicate;
  if (tx.status == DnsStatus::duplicate) {
    tx.anomalies.set(DnsAnomaly::duplicate_response);
    emit(f, tx);
    return;
  }
  // Held like a query: its query may still come (a capture slightly out of order).
  tx.anomalies.set(DnsAnomaly::unsolicited);
  hold(f, std::move(tx), t);
}

void DnsSink::hold(Flow& f, DnsTransaction&& tx, int64_t t) {
  if (f.pending.size() >= opt_.max_pending_per_flow) {
    DnsAnomalies a;
    a.set(DnsAnomaly::evicted);
    ++stats_.evicted_flow_cap;
    emit_pending(f, 0, a);
  }
  if (pending_ >= opt_.max_pending) evict_oldest_pending();
  Pending p;
  p.seq = next_seq_++;
  p.tx = std::move(tx);
  deadlines_.push_back({t + opt_.timeout_nsec, f.no, p.seq});
  f.pending.push_back(std::move(p));
  ++pending_;
  stats_.pending_peak = std::max<uint64_t>(stats_.pending_peak, pending_);
}

void DnsSink::on_datagram(const Packet& p, const Decoded& d) {
  if (d.l4 != L4::udp) return;
  ++stats_.udp_datagrams;
  bool port = dns_port(d.udp.sport) || dns_port(d.udp.dport);
  // On DNS's ports even a message too short for a header is one (a record says so).
  if (!dns_plausible(d.payload, !port) && !(port && !d.payload.empty())) return;
  parse_dns(d.payload, scratch_, d.payload_len);
  if (!port && (scratch_.anomalies.bits & kStructural)) return;
  ++stats_.udp_messages;
  advance(p.ts.total_nsec());
  FlowKey k = flow_key_of(d);
  bool flipped;
  // Pairing ignores the VLAN, as Zeek's connection key does: a query and its response
  // may cross different VLANs (asymmetric routes); the ids are those of the first message.
  FlowKey novlan = k;
  novlan.vlan = 0;
  FlowKey c = canonical(novlan, flipped);
  auto it = udp_.find(c);
  Flow* f;
  if (it == udp_.end()) {
    while (udp_.size() >= opt_.max_flows && !idle_.empty()) {
      uint64_t no = idle_.front().second;
      idle_.pop_front();
      Flow* old = flow(no);
      if (!old) continue;
      DnsAnomalies a;
      a.set(DnsAnomaly::evicted);
      while (!old->pending.empty()) emit_pending(*old, 0, a);
      ++stats_.flows_evicted;
      udp_.erase(old->canon);
      flows_.erase(no);
    }
    uint64_t no = next_flow_++;
    Flow& nf = flows_[no];
    nf.no = no;
    nf.canon = c;
    nf.first = p.ts;
    // The client is the side that asked: the sender of a query, the receiver of a response.
    FlowKey oriented = scratch_.has_header && scratch_.h.qr() ? k.reversed() : k;
    JsonWriter w(nf.ids);
    w.field("flow_id", flow_id(oriented, p.ts));
    w.field_str("community_id", community_id(oriented));
    write_eve_tuple(w, oriented);
    w.flush();
    udp_.emplace(c, no);
    idle_.emplace_back(p.ts.total_nsec(), no);
    f = &nf;
    f->client_src = oriented.src;
    f->client_port = oriented.sport;
  } else {
    f = &flows_.at(it->second);
  }
  bool from_client = k.src == f->client_src && k.sport == f->client_port;
  message(*f, scratch_, p.ts, from_client, {});
}

void DnsSink::finish(EndReason) {
  // Every query still waiting, in the order they came.
  for (const Deadline& d : deadlines_)
    if (Flow* f = flow(d.flow))
      for (size_t i = 0; i < f->pending.size(); ++i)
        if (f->pending[i].seq == d.seq) {
          emit_pending(*f, i, {});
          break;
        }
  deadlines_.clear();
  idle_.clear();
  udp_.clear();
  flows_.clear();
}

void DnsSink::session_start(const SessionView&) {
  // The state is made with the session's first bytes: sessions without data (a
  // SYN flood) cost nothing.
  ++stats_.tcp_sessions;
}

DnsSink::Flow& DnsSink::tcp_flow(const SessionView& s, TcpState& st) {
  if (st.flow != 0)
    if (Flow* f = flow(st.flow)) return *f;
  uint64_t no = next_flow_++;
  Flow& f = flows_[no];
  f.no = no;
  f.tcp = true;
  f.first = s.start;
  f.client_src = s.key.src;
  f.client_port = s.key.sport;
  JsonWriter w(f.ids);
  w.field("flow_id", s.flow_id);
  w.field_str("community_id", s.community_id);
  write_eve_tuple(w, s.key);
  w.flush();
  st.flow = no;
  return f;
}

bool DnsSink::tcp_take(const SessionView& s, TcpState& st, Dir dir, Bytes msg, size_t wire_len,
                       DnsAnomalies extra) {
  parse_dns(msg, scratch_, wire_len);
  if (wire_len > msg.size()) {
    // Cut by the end of the session, not by a snaplen.
    scratch_.anomalies.bits &= ~(1u << unsigned(DnsAnomaly::snaplen_truncated));
    extra.set(DnsAnomaly::tcp_truncated);
  }
  ++stats_.tcp_messages;
  Flow& f = tcp_flow(s, st);
  message(f, scratch_, st.dir[int(dir)].ts, dir == Dir::c2s, extra);
  return true;
}

void DnsSink::tcp_extract(const SessionView& s, TcpState& st, Dir dir, bool at_end) {
  TcpDir& d = st.dir[int(dir)];
  bool port = dns_port(s.key.sport) || dns_port(s.key.dport);
  for (;;) {
    Bytes avail(d.buf.data() + d.start, d.buf.size() - d.start);
    if (d.resync) {
      size_t i = 0;
      bool found = false, wait = false;
      for (; i + 14 <= avail.size(); ++i) {
        size_t len = load_be16(&avail[i]);
        if (len < 12) continue;
        if (i + 2 + len <= avail.size()) {
          if (dns_plausible(avail.subspan(i + 2, len), true)) {
            found = true;
            break;
          }
        } else if (header_fits(avail.subspan(i + 2), len)) {
          wait = true;
          break;
        }
      }
      if (i > 0) {
        d.carry.set(DnsAnomaly::tcp_resync);
        ++stats_.tcp_resyncs;
      }
      if (found || wait) {
        d.start += i;
        d.resync = !found;
        if (found) continue;
        break;
      }
      size_t drop = avail.size() > 13 ? avail.size() - 13 : 0;
      d.start += drop;
      d.skipped += drop;
      if (!st.decided && d.skipped > kResyncLimit) {
        st.decided = true;  // not DNS
        return;
      }
      break;
    }
    if (avail.size() < 2) break;
    size_t len = load_be16(&avail[0]);
    if (!st.decided && avail.size() >= 14 && !header_fits(avail.subspan(2), len) &&
        !(port && len >= 12)) {
      st.decided = true;  // not DNS
      return;
    }
    if (avail.size() < 2 + len) {
      if (at_end && avail.size() > 2 && st.decided) {
        tcp_take(s, st, dir, avail.subspan(2), len, d.carry);
        d.carry = {};
        d.start = d.buf.size();
      }
      break;
    }
    Bytes msg = avail.subspan(2, len);
    if (!st.decided) {
      if (!dns_plausible(msg, !port)) {
        st.decided = true;  // not DNS
        return;
      }
      st.decided = st.dns = true;
      ++stats_.tcp_dns_sessions;
    }
    d.start += 2 + len;
    tcp_take(s, st, dir, msg, len, d.carry);
    d.carry = {};
  }
  if (d.start == d.buf.size()) {
    d.buf.clear();
    d.start = 0;
  } else if (d.start > 65536) {
    d.buf.erase(d.buf.begin(), d.buf.begin() + ptrdiff_t(d.start));
    d.start = 0;
  }
}

void DnsSink::monologue(const SessionView& s, const MonologuePiece& p) {
  auto it = tcp_.find(s.session_no);
  if (it == tcp_.end()) it = tcp_.emplace(s.session_no, std::make_unique<TcpState>()).first;
  TcpState& st = *it->second;
  if (st.decided && !st.dns) return;
  advance(p.first_ts.total_nsec());
  TcpDir& d = st.dir[int(p.dir)];
  if (!d.started) {
    d.started = true;
    // Without the handshake the stream may start inside a message.
    d.resync = !s.handshake_seen || p.offset != 0;
  }
  if (p.gap_before > 0) {
    d.buf.clear();
    d.start = 0;
    d.resync = true;
    d.carry.set(DnsAnomaly::tcp_gap);
  }
  if (d.start == d.buf.size()) {
    d.buf.clear();
    d.start = 0;
    d.ts = p.first_ts;
  }
  d.buf.insert(d.buf.end(), p.data.begin(), p.data.end());
  tcp_extract(s, st, p.dir, false);
  if (st.decided && !st.dns) {
    s.want_data = false;
    st.dir[0] = {};
    st.dir[1] = {};
  }
}

void DnsSink::session_end(const SessionView& s, const SessionEnd&) {
  auto it = tcp_.find(s.session_no);
  if (it == tcp_.end()) return;
  TcpState& st = *it->second;
  if (st.dns) {
    for (Dir dir : {Dir::c2s, Dir::s2c}) {
      TcpDir& d = st.dir[int(dir)];
      if (!d.resync && d.start < d.buf.size()) tcp_extract(s, st, dir, true);
    }
    if (st.flow) close_flow(st.flow);
  }
  tcp_.erase(it);
}

void DnsSink::close_flow(uint64_t no) {
  Flow* f = flow(no);
  if (!f) return;
  while (!f->pending.empty()) emit_pending(*f, 0, {});
  flows_.erase(no);
}

}  // namespace nl
